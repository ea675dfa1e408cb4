// Signals and wait statuses: blocking and unblocking every signal, a signalfd for the foreground
// loop of run and exec, and the W* macros Swift cannot call.
#ifndef SWIFTLET_CSHIM_SIGNAL_H
#define SWIFTLET_CSHIM_SIGNAL_H

int cs_sigfillset_block(void);
int cs_sigunblock_all(void);
// Sets to SIG_DFL each signal 1..64 (but SIGKILL, SIGSTOP) whose bit (n-1) is in `signals`, by the
// system call itself: glibc's sigaction refuses 32 and 33, which it keeps for itself, though a
// caller may have left them ignored, and an ignored signal stays ignored across execve. Returns
// how many calls failed.
int cs_reset_signals(unsigned long long signals);
// Blocks the signals and returns a signalfd (CLOEXEC) reading them.
int cs_signalfd_block(const int *sigs, int n);
// Reads one signal from a signalfd: its number (-1 on error); *pid = the sender.
int cs_signalfd_next(int fd, int *pid);
int cs_wifexited(int status);
int cs_wexitstatus(int status);
int cs_wifsignaled(int status);
int cs_wtermsig(int status);

#endif
