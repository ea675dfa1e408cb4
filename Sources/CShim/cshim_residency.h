// Which of the executable's pages a swiftlet process maps: only those it touches, where the link
// layout leaves the touched ones sparse (cshim_residency.c says why and how).
#ifndef SWIFTLET_CSHIM_RESIDENCY_H
#define SWIFTLET_CSHIM_RESIDENCY_H

// Turns the kernel's fault-around off for the sparse parts of this process's executable mapping.
// Runs before any constructor (.preinit_array) and again in every forked child (the fork wrappers in
// cshim_process.c): a child does not inherit it. Does nothing where the kernel cannot (before 6.7,
// or userfaultfd denied by a seccomp filter or sysctl): the process then maps what it did before.
// The userfaultfd that holds the registration stays open, close-on-exec, for the process's life
// (closing it ends the registration).
void cs_residency_exact(void);

#endif
