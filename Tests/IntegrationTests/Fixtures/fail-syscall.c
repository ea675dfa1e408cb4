// fail-syscall NR ERRNO PROGRAM ARGS...: runs PROGRAM under a seccomp filter that fails system call
// NR with ERRNO, the way an older kernel (ENOSYS: no clone3) or one without a flag (EINVAL) answers.
// Used by CloneIntoCgroupTests for the fallback of clone3(CLONE_INTO_CGROUP). Runs as root
// (CAP_SYS_ADMIN: no no_new_privs needed).
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "unsupported architecture"
#endif

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: fail-syscall NR ERRNO PROGRAM ARGS...\n");
        return 2;
    }
    unsigned nr = (unsigned)strtoul(argv[1], NULL, 10);
    unsigned err = (unsigned)strtoul(argv[2], NULL, 10);
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) { perror("PR_SET_SECCOMP"); return 2; }
    execv(argv[3], argv + 3);
    perror(argv[3]);
    return 127;
}
