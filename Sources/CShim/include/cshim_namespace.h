// Namespaces and what a new one is given: unshare, setns, pidfd_open (GNU or missing wrappers),
// host and domain names. Every function returns what the kernel returned (-1 and errno on failure).
#ifndef SWIFTLET_CSHIM_NAMESPACE_H
#define SWIFTLET_CSHIM_NAMESPACE_H

#include <stddef.h>
#include <sys/types.h>

int cs_unshare(int flags);
int cs_setns(int fd, int nstype);
int cs_pidfd_open(pid_t pid, unsigned int flags);
int cs_sethostname(const char *name, size_t len);
int cs_setdomainname(const char *name, size_t len);

#endif
