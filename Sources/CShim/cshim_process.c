#define _GNU_SOURCE
#include "cshim_process.h"
#include "cshim_residency.h"
#include "cshim_security.h"
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/auxv.h>

#ifndef SYS_sched_setattr
#define SYS_sched_setattr 314
#endif
#ifndef SYS_ioprio_set
#define SYS_ioprio_set 251
#endif
#ifndef SYS_set_mempolicy
#define SYS_set_mempolicy 238
#endif

struct cs_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

// Every fork wrapper's child starts with this: the parent's residency registration is not inherited.
static pid_t forked(pid_t pid) {
    if (pid == 0) cs_residency_exact();
    return pid;
}

pid_t cs_fork_new_pid_namespace(void) {
    cs_make_forks_copy_sparse_ranges();  // the child starts with the parent's sparse pages mapped
    return forked((pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | SIGCHLD), 0UL, NULL, NULL, 0UL));
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// struct clone_args up to and including `cgroup` (CLONE_ARGS_SIZE_VER2, Linux 5.7).
struct cs_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

pid_t cs_clone3_into_cgroup(int cgroup_fd, int new_pid_namespace) {
    struct cs_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_INTO_CGROUP | (new_pid_namespace ? (uint64_t)CLONE_NEWPID : 0);
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)cgroup_fd;
    // No stack: the child goes on on a copy of this one, as after fork().
    cs_make_forks_copy_sparse_ranges();
    return forked((pid_t)syscall(SYS_clone3, &a, sizeof a));
}

int cs_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                     uint64_t runtime, uint64_t deadline, uint64_t period) {
    struct cs_sched_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = policy;
    a.sched_flags = flags;
    a.sched_nice = nice;
    a.sched_priority = priority;
    a.sched_runtime = runtime;
    a.sched_deadline = deadline;
    a.sched_period = period;
    // Without values, a clamp flag would clamp to 0: ask for the whole range instead.
    a.sched_util_min = 0;
    a.sched_util_max = 1024;
    return (int)syscall(SYS_sched_setattr, pid, &a, 0);
}

int cs_ioprio_set(pid_t pid, int ioclass, int level) {
    return (int)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, pid, (ioclass << 13) | level);
}

long cs_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode) {
    return syscall(SYS_set_mempolicy, mode, nodemask, maxnode);
}

int cs_sched_setaffinity(pid_t pid, const uint8_t *mask, size_t len) {
    size_t size = (len + sizeof(unsigned long) - 1) / sizeof(unsigned long) * sizeof(unsigned long);
    if (size < sizeof(cpu_set_t)) size = sizeof(cpu_set_t);
    unsigned char buf[size];
    memset(buf, 0, size);
    memcpy(buf, mask, len);
    return sched_setaffinity(pid, size, (const cpu_set_t *)buf);
}

pid_t cs_fork(void) {
    cs_make_forks_copy_sparse_ranges();
    return forked(fork());
}

int cs_execve(const char *path, char *const argv[], char *const envp[]) { return execve(path, argv, envp); }

int cs_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

int cs_setrlimit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit64 r = { .rlim_cur = soft, .rlim_max = hard };
    return setrlimit64(resource, &r);
}

int cs_getrlimit(int resource, uint64_t *soft, uint64_t *hard) {
    struct rlimit64 r;
    if (getrlimit64(resource, &r) < 0) return -1;
    *soft = r.rlim_cur;
    *hard = r.rlim_max;
    return 0;
}

int cs_personality(unsigned long persona) { return personality(persona); }

// Where the inherited stack's kept top begins: the lowest of argv and the environment's array (the
// aux vector and the strings lie above them).
static uintptr_t inherited_stack_top_pages(void) {
    extern char **environ;
    uintptr_t low = (uintptr_t)cs_argv();
    uintptr_t env = (uintptr_t)environ;
    // environ may have moved to the heap (setenv): then argv alone marks the top.
    if (env && env < low && low - env < (1u << 20)) low = env;
    return low & ~(uintptr_t)4095;
}

// The top of the inherited stack, rounded down to a page: the end of the executable's name, the
// first string the kernel put at the top at exec (AT_EXECFN); else the kept top pages.
static uintptr_t inherited_stack_ceiling(uintptr_t top_pages) {
    const char *name = (const char *)getauxval(AT_EXECFN);
    if (name == NULL) return top_pages;
    uintptr_t end = ((uintptr_t)name + strlen(name) + 1) & ~(uintptr_t)4095;
    return end > top_pages ? end : top_pages;
}

struct own_stack_start {
    void (*body)(void *);
    void *arg;
    uintptr_t drop_from, drop_to;
};

static _Noreturn void own_stack_entry(struct own_stack_start *s) {
    // The inherited stack below its top pages is dead to this process: it never returns into it.
    // Pages of it never mapped are skipped by madvise (ENOMEM for the holes, the rest is dropped).
    if (s->drop_to > s->drop_from) madvise((void *)s->drop_from, s->drop_to - s->drop_from, MADV_DONTNEED);
    s->body(s->arg);
    _exit(127);
}

_Noreturn void cs_continue_on_own_stack(void (*body)(void *), void *arg) {
    struct rlimit64 r;
    size_t size = 8u << 20;
    int bounded = getrlimit64(RLIMIT_STACK, &r) == 0 && r.rlim_cur != RLIM64_INFINITY;
    if (bounded && r.rlim_cur < size) size = r.rlim_cur < (64u << 10) ? (64u << 10) : (size_t)r.rlim_cur;
    size = (size + 4095) & ~(size_t)4095;
    char *base = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) {
        body(arg);
        _exit(127);
    }
    mprotect(base, 4096, PROT_NONE);  // the guard page: an overflow faults instead of writing below
    uintptr_t here = (uintptr_t)&size;
    uintptr_t top_pages = inherited_stack_top_pages();
    // The stack can reach down to RLIMIT_STACK below its top, and the kernel keeps mmap's base at
    // least that limit (as it was at exec: swiftlet never changes its own) and a guard gap below
    // the top, whatever the randomisation; without randomisation at least 128 MiB. So the range
    // dropped is measured from the top itself (not from argv, which lies lower by the arguments'
    // and the environment's size) and is the smaller of the limit and 128 MiB. Without a bound,
    // only the frames above this one go.
    uintptr_t ceiling = inherited_stack_ceiling(top_pages);
    uintptr_t reach = bounded && r.rlim_cur < (128u << 20) ? (uintptr_t)r.rlim_cur : (uintptr_t)(128u << 20);
    uintptr_t lowest = bounded && reach < ceiling ? ceiling - reach : (here & ~(uintptr_t)4095);
    struct own_stack_start *start = (struct own_stack_start *)(base + size + 4096) - 1;
    start->body = body;
    start->arg = arg;
    start->drop_from = lowest & ~(uintptr_t)4095;
    start->drop_to = here < top_pages ? top_pages : start->drop_from;
    uintptr_t sp = ((uintptr_t)start - 64) & ~(uintptr_t)15;
#if defined(__x86_64__)
    __asm__ volatile("mov %[sp], %%rsp\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "call *%[entry]\n\t"
                     "ud2"
                     : : [sp] "r"(sp), [entry] "r"(own_stack_entry), "D"(start) : "memory");
#elif defined(__aarch64__)
    register struct own_stack_start *x0 __asm__("x0") = start;
    __asm__ volatile("mov sp, %[sp]\n\t"
                     "mov x29, xzr\n\t"
                     "mov x30, xzr\n\t"
                     "blr %[entry]\n\t"
                     "brk #0"
                     : : [sp] "r"(sp), [entry] "r"(own_stack_entry), "r"(x0) : "memory");
#else
    munmap(base, size + 4096);
    body(arg);
#endif
    _exit(127);
}
