// fail-syscalls SYSCALL[,SYSCALL...] ERRNO PROGRAM ARGS...: runs PROGRAM under a seccomp filter that
// fails each SYSCALL (a number, or one of the names below) with ERRNO. Runs as root (CAP_SYS_ADMIN: no
// no_new_privs needed, so setuid and file capabilities keep working). Used by
//  - CloneIntoCgroupTests: clone3 failing the way an older kernel (ENOSYS: no clone3) or one without
//    CLONE_INTO_CGROUP (EINVAL, E2BIG) answers, for the fallback to a move;
//  - HostFileSecurityTests: open_tree and open_tree_attr (the read-only bind) and/or memfd_create (the
//    sealed copy) failing with EPERM, the two ways a runtime protects its binary against CVE-2019-5736;
//  - RootfsRaceTests: open_tree or move_mount refused, for the rootfs bind's mount(2) fallback.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

// The same number on every architecture (the unified table of 5.x system calls), not always in
// the C library's headers.
#define NR_OPEN_TREE 428
#define NR_MOVE_MOUNT 429
#define NR_CLONE3 435
#define NR_OPEN_TREE_ATTR 467
#define MAX_SYSCALLS 16

static long syscallNumber(const char *word) {
    if (strcmp(word, "open_tree") == 0) return NR_OPEN_TREE;
    if (strcmp(word, "open_tree_attr") == 0) return NR_OPEN_TREE_ATTR;
    if (strcmp(word, "move_mount") == 0) return NR_MOVE_MOUNT;
    if (strcmp(word, "clone3") == 0) return NR_CLONE3;
    if (strcmp(word, "memfd_create") == 0) return SYS_memfd_create;
    char *end;
    long nr = strtol(word, &end, 10);
    return *word != '\0' && *end == '\0' && nr >= 0 ? nr : -1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: fail-syscalls SYSCALL[,SYSCALL...] ERRNO PROGRAM ARGS...\n");
        return 2;
    }
    unsigned nrs[MAX_SYSCALLS];
    unsigned count = 0;
    for (char *word = strtok(argv[1], ","); word != NULL; word = strtok(NULL, ",")) {
        long nr = syscallNumber(word);
        if (nr < 0 || count == MAX_SYSCALLS) {
            fprintf(stderr, "fail-syscalls: %s: not a system call number or known name (at most %d)\n", word, MAX_SYSCALLS);
            return 2;
        }
        nrs[count++] = (unsigned)nr;
    }
    unsigned err = (unsigned)strtoul(argv[2], NULL, 10);
    // Load the arch, allow other architectures, load nr; then one jump to the failing return per
    // system call; allow; fail.
    struct sock_filter filter[5 + MAX_SYSCALLS + 2];
    unsigned n = 0;
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (unsigned i = 0; i < count; i++) {
        filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[i], (unsigned char)(count - i), 0);
    }
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA));
    struct sock_fprog prog = { (unsigned short)n, filter };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) { perror("PR_SET_SECCOMP"); return 2; }
    execv(argv[3], argv + 3);
    perror(argv[3]);
    return 127;
}
