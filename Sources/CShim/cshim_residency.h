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

// Makes every later fork of this process copy the page tables of the sparse ranges (the read-only
// segment and the text past the dense start-up code), so that the child does not fault in again,
// one page at a time, the pages the parent has mapped there (cshim_residency.c says how, and why
// only those). The fork wrappers (cshim_process.c) call it before they fork; it does its work once
// per process.
void cs_make_forks_copy_sparse_ranges(void);

#endif
