// Credentials: uids, gids and groups (the bare system calls: see cshim_credentials.c), capability sets through
// libcap, and the session keyring. Every function returns what the kernel returned (-1 and errno on
// failure) unless said otherwise.
#ifndef SWIFTLET_CSHIM_CREDENTIALS_H
#define SWIFTLET_CSHIM_CREDENTIALS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

int cs_setresuid(uid_t r, uid_t e, uid_t s);
int cs_setresgid(gid_t r, gid_t e, gid_t s);
int cs_setgroups(size_t n, const gid_t *groups);
int cs_capng_last_cap(void);
// Sets effective, permitted and inheritable capability sets from bitmasks (bit n = capability n).
int cs_caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int cs_cap_drop_bound(int cap);
int cs_cap_ambient_raise(int cap);
int cs_cap_ambient_clear(void);
// keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a fresh session keyring, so the container does not share the caller's.
long cs_join_session_keyring(const char *name);
// The session keyring's permissions without `clear`, with `set` (KEYCTL_DESCRIBE, then KEYCTL_SETPERM).
long cs_session_keyring_set_perm(unsigned int clear, unsigned int set);

#endif
