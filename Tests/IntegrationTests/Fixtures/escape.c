// escape: tries, from inside a container, to get out of the limits the runtime set. Built statically
// by EscapeTests. Each mode prints one line per attempt: "<what> ok" when the kernel allowed it (an
// escape) or "<what> errno <n>" when it refused.
//   escape caps        capset adding CAP_SYS_ADMIN to permitted/effective, ambient raise, bounding
//   escape seccomp     prctl/seccomp to remove or loosen the filter; then calls getpriority
//   escape nnp         clears no_new_privs (impossible) and prints the value
//   escape status      prints NoNewPrivs/Seccomp/CapEff/Uid lines of /proc/self/status
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static void report(const char *what, long r) {
    if (r < 0) printf("%s errno %d\n", what, errno);
    else printf("%s ok\n", what);
}

static void status(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Seccomp:", 8) || !strncmp(line, "CapEff", 6) ||
            !strncmp(line, "CapPrm", 6) || !strncmp(line, "Uid", 3))
            fputs(line, stdout);
    if (f) fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "caps")) {
        struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0) { report("capget", -1); return 0; }
        d[0].permitted |= 1u << CAP_SYS_ADMIN;
        d[0].effective |= 1u << CAP_SYS_ADMIN;
        report("capset+sys_admin", syscall(SYS_capset, &h, d));
        syscall(SYS_capget, &h, d);
        d[0].inheritable |= 1u << CAP_SYS_ADMIN;
        report("capset+inheritable", syscall(SYS_capset, &h, d));
        report("ambient+sys_admin", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
        report("bounding-has-sys_admin", prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1 ? 0 : (errno = 0, -1));
        report("unshare-mount", syscall(SYS_unshare, 0x00020000));
        status();
    } else if (!strcmp(argv[1], "seccomp")) {
        errno = 0;
        report("getpriority-before", getpriority(PRIO_PROCESS, 0) == -1 && errno ? -1 : 0);
        report("prctl-set-seccomp-0", prctl(PR_SET_SECCOMP, 0, 0, 0, 0));
        report("prctl-set-seccomp-strict-off", prctl(PR_SET_SECCOMP, SECCOMP_MODE_DISABLED, 0, 0, 0));
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { 1, allow };
        report("add-allow-all-filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
        errno = 0;
        report("getpriority-after", getpriority(PRIO_PROCESS, 0) == -1 && errno ? -1 : 0);
        status();
    } else if (!strcmp(argv[1], "nnp")) {
        report("clear-no-new-privs", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
        printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        status();
    } else if (!strcmp(argv[1], "status")) {
        status();
    }
    return 0;
}
