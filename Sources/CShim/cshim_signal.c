#define _GNU_SOURCE
#include "cshim_signal.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

int cs_sigfillset_block(void) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_BLOCK, &all, NULL);
}

int cs_sigunblock_all(void) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_UNBLOCK, &all, NULL);
}

/* The kernel's struct sigaction (not glibc's): SIG_DFL needs no restorer. */
struct kernel_sigaction_dfl {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long long mask;
};

int cs_reset_signals(unsigned long long signals) {
    struct kernel_sigaction_dfl dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.handler = SIG_DFL;
    int failed = 0;
    for (int s = 1; s <= 64; s++) {
        if (!(signals & (1ULL << (s - 1))) || s == SIGKILL || s == SIGSTOP) continue;
        if (syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof dfl.mask) < 0) failed++;
    }
    return failed;
}

int cs_signalfd_block(const int *sigs, int n) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < n; i++) sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
    // Non-blocking: a read after poll must not hang when another thread took the signal first.
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cs_signalfd_next(int fd, int *pid) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n != (ssize_t)sizeof info) return -1;
    if (pid) *pid = (int)info.ssi_pid;
    return (int)info.ssi_signo;
}

int cs_wifexited(int status) { return WIFEXITED(status); }

int cs_wexitstatus(int status) { return WEXITSTATUS(status); }

int cs_wifsignaled(int status) { return WIFSIGNALED(status); }

int cs_wtermsig(int status) { return WTERMSIG(status); }
