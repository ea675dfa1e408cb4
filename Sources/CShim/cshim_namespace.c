#define _GNU_SOURCE
#include "cshim_namespace.h"
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int cs_unshare(int flags) { return unshare(flags); }

int cs_setns(int fd, int nstype) { return setns(fd, nstype); }

int cs_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

int cs_sethostname(const char *name, size_t len) { return sethostname(name, len); }

int cs_setdomainname(const char *name, size_t len) { return setdomainname(name, len); }
