// sysc: makes one system call and prints what the kernel answered, for seccomp tests inside busybox
// containers. Built statically by the tests.
//   sysc NAME [ARG...]   ARGs are numbers (strtoull base 0: 0x.. hex, negative allowed), or s:TEXT for
//                        a pointer to the string TEXT
// prints "ok <return value>" or "errno <n>"; exits 0 either way (2 for usage errors).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define CALL(name) {#name, SYS_##name}
static const struct { const char *name; long nr; } calls[] = {
    CALL(getpid), CALL(getppid), CALL(personality), CALL(unshare), CALL(mount), CALL(umount2), CALL(keyctl),
    CALL(add_key), CALL(ptrace), CALL(getpriority), CALL(setpriority), CALL(chroot), CALL(uname), CALL(umask),
    CALL(setns), CALL(socket), CALL(clone3), CALL(sethostname), CALL(getcwd), CALL(sched_yield), CALL(getuid),
    CALL(syslog), CALL(acct), CALL(swapon), CALL(reboot), CALL(mknodat), CALL(kcmp),
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
    for (int i = 2; i < argc && i < 8; i++)
        a[i - 2] = strncmp(argv[i], "s:", 2) == 0 ? (unsigned long)(argv[i] + 2) : strtoull(argv[i], NULL, 0);
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r == -1 && errno != 0) printf("errno %d\n", errno);
    else printf("ok %ld\n", r);
    return 0;
}
