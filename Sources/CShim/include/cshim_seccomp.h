// seccomp: libseccomp (compiles a filter in the parent) and the seccomp(2) calls the init stage
// makes itself to install the exported program.
#ifndef SWIFTLET_CSHIM_SECCOMP_H
#define SWIFTLET_CSHIM_SECCOMP_H

#include <stdint.h>
#include <seccomp.h>

// seccomp(SECCOMP_SET_MODE_FILTER, flags, {count, insns}); insns are `count` struct sock_filter
// (8 bytes each). Returns what the kernel returned: 0, a listener fd with
// SECCOMP_FILTER_FLAG_NEW_LISTENER, or -1 with errno.
int cs_seccomp_install(const void *insns, unsigned int count, unsigned int flags);
// 1 when seccomp(SECCOMP_GET_ACTION_AVAIL) accepts the action (a SECCOMP_RET_* value), else 0.
int cs_seccomp_action_available(uint32_t action);
// 1 when seccomp(SECCOMP_SET_MODE_FILTER) accepts these flags (probed with a NULL program: the kernel
// checks the flags before it reads the program and answers EFAULT), else 0.
int cs_seccomp_flags_supported(unsigned int flags);
// Exports the compiled BPF of ctx into a malloc'd buffer (*out, free with free()). Returns its size
// in bytes, or -1 with errno.
long cs_seccomp_export(scmp_filter_ctx ctx, void **out);
void cs_free(void *p);

#endif
