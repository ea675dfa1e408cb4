// The few things Swift cannot call directly: variadic syscalls (ioctl, prctl, fcntl),
// syscalls glibc has no wrapper for, and the CMSG macros for SCM_RIGHTS.
// Every function returns what the kernel returned (-1 and errno on failure).
#ifndef SWIFTLET_CSHIM_H
#define SWIFTLET_CSHIM_H

#include <sys/types.h>
#include <sys/capability.h>
#include <stdint.h>
// RESOLVE_* for cs_openat2's `resolve`.
#include <linux/openat2.h>

int cs_pivot_root(const char *new_root, const char *put_old);
int cs_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int cs_close_range(unsigned int first, unsigned int last, unsigned int flags);
int cs_pidfd_open(pid_t pid, unsigned int flags);
int cs_pidfd_send_signal(int pidfd, int sig);
pid_t cs_fork(void);
int cs_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int cs_fcntl_int(int fd, int cmd, int arg);
int cs_set_cloexec(int fd, int on);
int cs_ioctl_int(int fd, unsigned long request, int arg);
int cs_ioctl_ptr(int fd, unsigned long request, void *arg);
int cs_set_winsize(int fd, unsigned short rows, unsigned short cols);
int cs_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
int cs_pty_number(int masterfd, int *number);
int cs_pty_unlock(int masterfd);
int cs_make_controlling_tty(int fd);
// Sends fd over a unix socket with SCM_RIGHTS, `name` as the message body (runc sends the pty path).
int cs_send_fd(int sock, int fd, const char *name, size_t namelen);
// Receives one fd; the message body goes to buf (NUL-terminated, truncated to buflen-1).
int cs_recv_fd(int sock, char *buf, size_t buflen);
int cs_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr,
                     uint64_t propagation, uint64_t userns_fd);
int cs_open_tree(int dirfd, const char *path, unsigned int flags);
int cs_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags);
int cs_capng_last_cap(void);
int cs_errno(void);
void cs_set_errno(int e);
int cs_sigfillset_block(void);
int cs_sigunblock_all(void);
int cs_wifexited(int status);
int cs_wexitstatus(int status);
int cs_wifsignaled(int status);
int cs_wtermsig(int status);

// GNU-only wrappers, so Swift need not depend on how its Glibc module sets feature macros.
int cs_unshare(int flags);
int cs_setns(int fd, int nstype);
int cs_setresuid(uid_t r, uid_t e, uid_t s);
int cs_setresgid(gid_t r, gid_t e, gid_t s);
int cs_setgroups(size_t n, const gid_t *groups);
int cs_pipe2(int fds[2], int flags);
int cs_dup3(int oldfd, int newfd, int flags);
int cs_execve(const char *path, char *const argv[], char *const envp[]);
int cs_sethostname(const char *name, size_t len);
int cs_setdomainname(const char *name, size_t len);
int cs_statfs_type(int fd, int64_t *type);
int cs_statvfs_flags(const char *path, uint64_t *flags);
int cs_socketpair_stream(int fds[2]);

int cs_connect_unix(const char *path);
int cs_setrlimit(int resource, uint64_t soft, uint64_t hard);
int cs_getrlimit(int resource, uint64_t *soft, uint64_t *hard);
int cs_personality(unsigned long persona);
int cs_mknod(const char *path, unsigned int mode, unsigned int major, unsigned int minor);
int cs_mknodat(int dirfd, const char *path, unsigned int mode, unsigned int major, unsigned int minor);
// Sets effective, permitted and inheritable capability sets from bitmasks (bit n = capability n).
int cs_caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int cs_cap_drop_bound(int cap);
int cs_cap_ambient_raise(int cap);
int cs_cap_ambient_clear(void);
int cs_raise_signal_default(int sig);
// keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a fresh session keyring, so the container does not share the caller's.
long cs_join_session_keyring(const char *name);

// Blocks the signals and returns a signalfd (CLOEXEC) reading them.
int cs_signalfd_block(const int *sigs, int n);
// Reads one signal from a signalfd: its number (-1 on error); *pid = the sender.
int cs_signalfd_next(int fd, int *pid);
// struct termios as an opaque buffer of cs_termios_size() bytes.
int cs_termios_size(void);
int cs_tty_save(int fd, void *buf);
int cs_tty_restore(int fd, const void *buf);
int cs_tty_make_raw(int fd);

#endif
