// Escape hardening: running from a read-only (or sealed) copy of the runtime binary, and the new
// mount API calls the masked paths need. Every function returns what the kernel returned (-1 and
// errno on failure) unless said otherwise.
#ifndef SWIFTLET_CSHIM_SECURITY_H
#define SWIFTLET_CSHIM_SECURITY_H

#include <stdint.h>

// CVE-2019-5736: makes /proc/self/exe of this process (and so of every fork of it) name a file the
// container cannot write to. When the binary is already on a read-only mount (or is our sealed
// memfd) returns 0 at once. Otherwise re-executes the same binary with the same argv/envp from a
// detached read-only bind mount of itself (open_tree + mount_setattr + execveat), or, where that
// is not allowed, from a sealed memfd copy. Returns only on failure (-1, errno set).
int cs_exe_protect(char *const argv[], char *const envp[]);
// After cs_exe_protect failed: the step of each way that failed and its errno.
void cs_exe_protect_failure(const char **bind_step, int *bind_errno, const char **memfd_step, int *memfd_errno);
// 1 when /proc/self/exe cannot be written through (read-only mount or sealed memfd), 0 if it can.
int cs_exe_is_protected(void);
// 1 when the start-up constructor (cshim_startup.c) found this process protected (for create, run,
// exec, restore): what cs_exe_is_protected would say again, without asking the kernel again.
int cs_exe_protected_at_startup(void);
// Removes from the environment what the entry point's re-exec added to it for the Swift runtime's
// start-up (cshim_startup_internal.h, CS_BACKTRACE_ENV); nothing else. Called first thing in main,
// before anything forks or executes a program that inherits the environment.
void cs_startup_environment_restore(void);

// The argument vector the process started with, as the start-up constructor received it. Swift's
// CommandLine would give the same, but its lazy initialisers sit in a 64 KB stretch of the standard
// library that nothing else on a container's start-up path touches (see Package.swift, hotText).
int cs_argc(void);
char **cs_argv(void);
// getrandom(2) with GRND_NONBLOCK: unpredictable names for temporaries in directories others may write.
long cs_getrandom_nonblock(void *buf, unsigned long len);
// A detached, read-only tmpfs (fsopen + fsmount), close-on-exec; attach it with move_mount.
int cs_fsmount_tmpfs_ro(void);
// 1 when procfs takes the pidns= option (Linux 6.18) naming the pid namespace file `nsfd`, else 0.
int cs_proc_accepts_pidns(int nsfd);

#endif
