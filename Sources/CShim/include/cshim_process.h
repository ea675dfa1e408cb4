// The process: fork (also into a new pid namespace or a cgroup), execve, prctl, rlimits, personality,
// and the attributes glibc has no (or no convenient) wrapper for: sched_setattr(2), ioprio_set(2),
// set_mempolicy(2), sched_setaffinity(2) with a plain byte mask.
#ifndef SWIFTLET_CSHIM_PROCESS_H
#define SWIFTLET_CSHIM_PROCESS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

// struct sched_attr (SCHED_ATTR_SIZE_VER1, 56 bytes) filled from the arguments; pid 0 = the caller.
int cs_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                     uint64_t runtime, uint64_t deadline, uint64_t period);
// ioprio_set(IOPRIO_WHO_PROCESS, pid, class << 13 | level).
int cs_ioprio_set(pid_t pid, int ioclass, int level);
// set_mempolicy(mode | flags, nodemask, maxnode): `words` unsigned longs of node bits.
long cs_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);
// sched_setaffinity with `len` bytes of CPU bits (bit n = CPU n).
int cs_sched_setaffinity(pid_t pid, const uint8_t *mask, size_t len);
// fork(), with the child as pid 1 of a new pid namespace: clone(CLONE_NEWPID | SIGCHLD), the way crun
// starts a container, instead of unshare + a second fork through an intermediate process. glibc's
// fork bookkeeping does not run: the child must be the only thread that used malloc or stdio
// (swiftlet runs no other thread); glibc's cached thread id stays the parent's (raise() fails with
// ESRCH; nothing here raises); glibc still counts the parent's threads, so its set*id wrappers
// would wait for them (cs_setresuid & co. are the bare system calls for that reason). Returns the
// child's pid in the parent, 0 in the child.
pid_t cs_fork_new_pid_namespace(void);

// fork() with the child born in the cgroup v2 directory `cgroup_fd` (an O_PATH fd is enough):
// clone3(CLONE_INTO_CGROUP), so the child is never moved there (no cgroup.procs write, none of the
// migration lock's RCU grace period). With `new_pid_namespace`, also CLONE_NEWPID as above. Same
// caveats as cs_fork_new_pid_namespace. -1 with errno ENOSYS (no clone3), E2BIG or EINVAL (a kernel
// before 5.7 without CLONE_INTO_CGROUP) means: fall back to fork and a migration.
pid_t cs_clone3_into_cgroup(int cgroup_fd, int new_pid_namespace);

// The process itself: fork, execve, prctl (variadic), rlimits (64-bit), personality. Each returns
// what the kernel returned (-1 and errno on failure).
pid_t cs_fork(void);
int cs_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int cs_execve(const char *path, char *const argv[], char *const envp[]);
int cs_setrlimit(int resource, uint64_t soft, uint64_t hard);
int cs_getrlimit(int resource, uint64_t *soft, uint64_t *hard);
int cs_personality(unsigned long persona);

// In a freshly forked child: goes on with body(arg) on a stack of its own (a new mapping as large as
// RLIMIT_STACK allows, at most 8 MiB, with a guard page) and drops this process's view of the stack it
// was forked on, but for its top pages (argv, the environment, the aux vector, which `environ` and
// the start-up code still point at). The dropped pages stay the parent's: the parent's writes to
// them no longer copy them, and the child's frames, on its own stack, are only as many pages as it
// uses. Never returns; body must not return either (the process exits with 127 if it does). When no
// stack can be mapped, body runs on the inherited stack, as before. Nothing may point into the
// inherited stack below its top pages: body gets everything it needs through arg.
_Noreturn void cs_continue_on_own_stack(void (*body)(void *), void *arg);

#endif
