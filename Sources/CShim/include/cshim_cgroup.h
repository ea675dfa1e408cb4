// Starting the cgroup migration grace period early (see cshim_cgroup.c).
#ifndef SWIFTLET_CSHIM_CGROUP_H
#define SWIFTLET_CSHIM_CGROUP_H

#include <stddef.h>

/// Starts a thread that moves this process into the cgroup it is already in: a no-op for the
/// process, but the kernel's migration lock waits for an RCU grace period the first time, and for a
/// while after that later migrations (the container's) are fast. `migrate` 0: the thread only makes
/// the last close of the re-exec's mount (cshim_security.c). Returns 0 or -1 (errno set).
int cs_cgroup_prewarm_start(int migrate);

#endif
