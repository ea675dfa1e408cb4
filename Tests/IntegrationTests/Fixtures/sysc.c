// sysc: makes one system call and prints what the kernel answered, for seccomp tests inside busybox
// containers. Built statically by the tests.
//   sysc NAME [ARG...]   ARGs are numbers (strtoull base 0: 0x.. hex, negative allowed)
// prints "ok <return value>" or "errno <n>"; exits 0 either way (2 for usage errors).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const struct { const char *name; long nr; } calls[] = {
    {"getpid", SYS_getpid},         {"getppid", SYS_getppid},       {"personality", SYS_personality},
    {"unshare", SYS_unshare},       {"mount", SYS_mount},           {"umount2", SYS_umount2},
    {"keyctl", SYS_keyctl},         {"add_key", SYS_add_key},       {"ptrace", SYS_ptrace},
    {"getpriority", SYS_getpriority}, {"setpriority", SYS_setpriority}, {"chroot", SYS_chroot},
    {"uname", SYS_uname},           {"umask", SYS_umask},           {"setns", SYS_setns},
    {"socket", SYS_socket},         {"clone3", SYS_clone3},         {"sethostname", SYS_sethostname},
    {"getcwd", SYS_getcwd},         {"sched_yield", SYS_sched_yield}, {"getuid", SYS_getuid},
    {"syslog", SYS_syslog},         {"acct", SYS_acct},             {"swapon", SYS_swapon},
    {"reboot", SYS_reboot},         {"mknodat", SYS_mknodat},       {"kcmp", SYS_kcmp},
};

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: sysc NAME [ARG...]\n"); return 2; }
    long nr = -1;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (strcmp(calls[i].name, argv[1]) == 0) nr = calls[i].nr;
    if (nr < 0) {
        char *end;
        nr = strtol(argv[1], &end, 0);
        if (*end) { fprintf(stderr, "sysc: unknown syscall %s\n", argv[1]); return 2; }
    }
    unsigned long a[6] = {0};
    for (int i = 2; i < argc && i < 8; i++) a[i - 2] = strtoull(argv[i], NULL, 0);
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r == -1 && errno != 0) printf("errno %d\n", errno);
    else printf("ok %ld\n", r);
    return 0;
}
