#define _GNU_SOURCE
#include "cshim_credentials.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/capability.h>

// The system calls themselves, for the calling thread only. The processes that change credentials
// (the init and exec stages) are single-threaded; glibc's wrappers signal every thread glibc believes
// exists and wait for it, and after cs_fork_new_pid_namespace (no fork bookkeeping) that list is the
// parent's: a thread of the parent's there would never answer.
int cs_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }

int cs_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }

int cs_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }

int cs_capng_last_cap(void) {
    // The kernel tells how many capabilities it knows; libcap's cap_max_bits reads the same file.
    return (int)cap_max_bits() - 1;
}

int cs_caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    cap_t caps = cap_init();
    if (caps == NULL) return -1;
    int last = cs_capng_last_cap();
    for (int c = 0; c <= last && c < 64; c++) {
        cap_value_t v = c;
        if (effective & (1ULL << c)) cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
        if (permitted & (1ULL << c)) cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
        if (inheritable & (1ULL << c)) cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    int r = cap_set_proc(caps);
    int e = errno;
    cap_free(caps);
    errno = e;
    return r;
}

int cs_cap_drop_bound(int cap) { return cap_drop_bound((cap_value_t)cap); }

int cs_cap_ambient_raise(int cap) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0); }

// One prctl: libcap's cap_reset_ambient asks PR_CAP_AMBIENT_IS_SET of every capability first (42 calls).
int cs_cap_ambient_clear(void) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); }

long cs_join_session_keyring(const char *name) {
    return syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name, 0, 0, 0);
}

/* Clears `clear` from the permissions of the session keyring and adds `set`: KEYCTL_DESCRIBE
 * gives "type;uid;gid;perm;description" with perm in hex, KEYCTL_SETPERM sets the new mask. */
long cs_session_keyring_set_perm(unsigned int clear, unsigned int set) {
    char text[512];
    long n = syscall(SYS_keyctl, 6 /* KEYCTL_DESCRIBE */, -3 /* KEY_SPEC_SESSION_KEYRING */, text, sizeof text - 1, 0);
    if (n < 0) return -1;
    text[n < (long)sizeof text ? n : (long)sizeof text - 1] = 0;
    const char *field = text;
    for (int i = 0; i < 3; i++) {
        field = strchr(field, ';');
        if (!field) { errno = EINVAL; return -1; }
        field++;
    }
    char *end;
    unsigned long perm = strtoul(field, &end, 16);
    if (end == field || *end != ';') { errno = EINVAL; return -1; }
    return syscall(SYS_keyctl, 5 /* KEYCTL_SETPERM */, -3 /* KEY_SPEC_SESSION_KEYRING */, ((unsigned int)perm & ~clear) | set, 0, 0);
}
