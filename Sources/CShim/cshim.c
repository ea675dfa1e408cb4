#define _GNU_SOURCE
#include "cshim.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <grp.h>
#include <sched.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

int cs_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int cs_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int cs_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int cs_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

int cs_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

pid_t cs_fork(void) { return fork(); }

int cs_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

int cs_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

int cs_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}

int cs_ioctl_int(int fd, unsigned long request, int arg) { return ioctl(fd, request, arg); }
int cs_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

int cs_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int cs_get_winsize(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int cs_pty_number(int masterfd, int *number) {
    unsigned int n = 0;
    if (ioctl(masterfd, TIOCGPTN, &n) < 0) return -1;
    *number = (int)n;
    return 0;
}

int cs_pty_unlock(int masterfd) {
    int unlock = 0;
    return ioctl(masterfd, TIOCSPTLCK, &unlock);
}

int cs_make_controlling_tty(int fd) { return ioctl(fd, TIOCSCTTY, 0); }

/* Both ends of an fd passing build the same message: one buffer, room for one SCM_RIGHTS fd. */
static void fd_message(struct msghdr *msg, struct iovec *iov, char *control, size_t controllen) {
    memset(control, 0, controllen);
    memset(msg, 0, sizeof *msg);
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    msg->msg_control = control;
    msg->msg_controllen = controllen;
}

int cs_send_fd(int sock, int fd, const char *name, size_t namelen) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = (void *)name, .iov_len = namelen };
    char dummy = 0;
    /* On a stream socket the fd travels only with at least one byte of data. */
    if (namelen == 0) { iov.iov_base = &dummy; iov.iov_len = 1; }
    struct msghdr msg;
    fd_message(&msg, &iov, control, sizeof control);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int cs_recv_fd(int sock, char *buf, size_t buflen) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = buf, .iov_len = buflen > 0 ? buflen - 1 : 0 };
    struct msghdr msg;
    fd_message(&msg, &iov, control, sizeof control);
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    if (buflen > 0) buf[n] = 0;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) { errno = EBADMSG; return -1; }
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

int cs_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr,
                     uint64_t propagation, uint64_t userns_fd) {
    struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
    } attr = { attr_set, attr_clr, propagation, userns_fd };
    return (int)syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr);
}

int cs_open_tree(int dirfd, const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

int cs_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

int cs_capng_last_cap(void) {
    // The kernel tells how many capabilities it knows; libcap's cap_max_bits reads the same file.
    return (int)cap_max_bits() - 1;
}

int cs_errno(void) { return errno; }
void cs_set_errno(int e) { errno = e; }

int cs_sigfillset_block(void) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_BLOCK, &all, NULL);
}

int cs_sigunblock_all(void) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_UNBLOCK, &all, NULL);
}

int cs_wifexited(int status) { return WIFEXITED(status); }
int cs_wexitstatus(int status) { return WEXITSTATUS(status); }
int cs_wifsignaled(int status) { return WIFSIGNALED(status); }
int cs_wtermsig(int status) { return WTERMSIG(status); }

int cs_unshare(int flags) { return unshare(flags); }
int cs_setns(int fd, int nstype) { return setns(fd, nstype); }
// The system calls themselves, for the calling thread only. The processes that change credentials
// (the init and exec stages) are single-threaded; glibc's wrappers signal every thread glibc believes
// exists and wait for it, and after cs_fork_new_pid_namespace (no fork bookkeeping) that list still
// holds the start-up prewarm thread of the parent, which never answers.
int cs_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
int cs_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
int cs_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }
int cs_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int cs_dup3(int oldfd, int newfd, int flags) { return dup3(oldfd, newfd, flags); }
int cs_execve(const char *path, char *const argv[], char *const envp[]) { return execve(path, argv, envp); }
int cs_sethostname(const char *name, size_t len) { return sethostname(name, len); }
int cs_setdomainname(const char *name, size_t len) { return setdomainname(name, len); }

int cs_statfs_type(int fd, int64_t *type) {
    struct statfs st;
    if (fstatfs(fd, &st) < 0) return -1;
    *type = (int64_t)st.f_type;
    return 0;
}

int cs_statvfs_flags(const char *path, uint64_t *flags) {
    struct statvfs st;
    if (statvfs(path, &st) < 0) return -1;
    *flags = (uint64_t)st.f_flag;
    return 0;
}

int cs_socketpair_stream(int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }

int cs_connect_unix(const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int cs_setrlimit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit64 r = { .rlim_cur = soft, .rlim_max = hard };
    return setrlimit64(resource, &r);
}

int cs_getrlimit(int resource, uint64_t *soft, uint64_t *hard) {
    struct rlimit64 r;
    if (getrlimit64(resource, &r) < 0) return -1;
    *soft = r.rlim_cur;
    *hard = r.rlim_max;
    return 0;
}

int cs_personality(unsigned long persona) { return personality(persona); }

int cs_mknod(const char *path, unsigned int mode, unsigned int major, unsigned int minor) {
    return mknod(path, mode, makedev(major, minor));
}

int cs_mknodat(int dirfd, const char *path, unsigned int mode, unsigned int major, unsigned int minor) {
    return mknodat(dirfd, path, mode, makedev(major, minor));
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
int cs_cap_ambient_raise(int cap) { return cap_set_ambient((cap_value_t)cap, CAP_SET); }
int cs_cap_ambient_clear(void) { return cap_reset_ambient(); }

int cs_raise_signal_default(int sig) {
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return raise(sig);
}

long cs_join_session_keyring(const char *name) {
    return syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name, 0, 0, 0);
}

// ---- foreground supervision and terminal relay (exec/run) ----
#include <sys/signalfd.h>

int cs_signalfd_block(const int *sigs, int n) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < n; i++) sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
    // Non-blocking: a read after poll must not hang when another thread took the signal first.
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cs_signalfd_next(int fd, int *pid) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n != (ssize_t)sizeof info) return -1;
    if (pid) *pid = (int)info.ssi_pid;
    return (int)info.ssi_signo;
}

int cs_termios_size(void) { return (int)sizeof(struct termios); }
int cs_tty_save(int fd, void *buf) { return tcgetattr(fd, (struct termios *)buf); }
int cs_tty_restore(int fd, const void *buf) { return tcsetattr(fd, TCSANOW, (const struct termios *)buf); }
int cs_tty_make_raw(int fd) {
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -1;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}
