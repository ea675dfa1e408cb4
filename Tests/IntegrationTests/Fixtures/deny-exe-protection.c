// deny-exe-protection [--bind-only|--memfd-only] PROGRAM ARGS...: runs PROGRAM under a seccomp
// filter that fails, with EPERM, the system calls a runtime uses to protect its binary against
// CVE-2019-5736: open_tree (the read-only bind) and memfd_create (the sealed copy). --bind-only
// denies only open_tree, --memfd-only only memfd_create. Used by HostFileSecurityTests; runs as
// root (CAP_SYS_ADMIN: no no_new_privs needed, so setuid and file capabilities keep working).
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "unsupported architecture"
#endif
#define NR_OPEN_TREE 428

int main(int argc, char **argv) {
    int denyBind = 1, denyMemfd = 1, first = 1;
    if (argc > 1 && strcmp(argv[1], "--bind-only") == 0) { denyMemfd = 0; first = 2; }
    else if (argc > 1 && strcmp(argv[1], "--memfd-only") == 0) { denyBind = 0; first = 2; }
    if (argc <= first) {
        fprintf(stderr, "usage: deny-exe-protection [--bind-only|--memfd-only] PROGRAM ARGS...\n");
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denyBind ? NR_OPEN_TREE : 0xffffffff, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denyMemfd ? SYS_memfd_create : 0xffffffff, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    };
    struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) { perror("PR_SET_SECCOMP"); return 2; }
    execv(argv[first], argv + first);
    perror(argv[first]);
    return 127;
}
