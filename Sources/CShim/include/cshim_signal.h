// Signals and wait statuses: blocking and unblocking every signal, a signalfd for the foreground
// loop of run and exec, and the W* macros Swift cannot call.
#ifndef SWIFTLET_CSHIM_SIGNAL_H
#define SWIFTLET_CSHIM_SIGNAL_H

int cs_sigfillset_block(void);
int cs_sigunblock_all(void);
// Blocks the signals and returns a signalfd (CLOEXEC) reading them.
int cs_signalfd_block(const int *sigs, int n);
// Reads one signal from a signalfd: its number (-1 on error); *pid = the sender.
int cs_signalfd_next(int fd, int *pid);
int cs_wifexited(int status);
int cs_wexitstatus(int status);
int cs_wifsignaled(int status);
int cs_wtermsig(int status);

#endif
