#define _GNU_SOURCE
#include "cshim_fd.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/un.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

int cs_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

int cs_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}

/* One fd of a range: closed, or marked close-on-exec under CLOSE_RANGE_CLOEXEC. */
static void close_or_mark_cloexec(int fd, unsigned int flags) {
    if (flags & CLOSE_RANGE_CLOEXEC) {
        int fdflags = fcntl(fd, F_GETFD);
        if (fdflags >= 0 && !(fdflags & FD_CLOEXEC)) fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC);
    } else {
        close(fd);
    }
}

/* close_range's work over the fds /proc/self/fd lists: 0, or -1 when no procfs is there (the init
   stage may have chrooted into a root without one) or it cannot be read. Only a real procfs is
   believed: a directory of the container's image at /proc/self/fd would hide the runtime's fds.
   Closing while reading: back to the start after a buffer that closed something, until a pass
   closes nothing (as glibc's closefrom fallback). Makes no allocation: safe after fork. */
static int close_range_listed(unsigned int first, unsigned int last, unsigned int flags) {
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    struct statfs fs;
    if (fstatfs(dir, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
        close(dir);
        return -1;
    }
    char buf[2048] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n < 0) {
            close(dir);
            return -1;
        }
        if (n == 0) break;
        int closed = 0;
        for (long at = 0; at < n;) {
            struct dirent64 *entry = (struct dirent64 *)(buf + at);
            at += entry->d_reclen;
            unsigned long fd = 0;
            const char *c = entry->d_name;
            if (*c < '0' || *c > '9') continue;  /* "." and ".." */
            for (; *c >= '0' && *c <= '9'; c++) fd = fd * 10 + (unsigned long)(*c - '0');
            if (fd < first || fd > last || (int)fd == dir) continue;
            close_or_mark_cloexec((int)fd, flags);
            if (!(flags & CLOSE_RANGE_CLOEXEC)) closed = 1;
        }
        if (closed && lseek(dir, 0, SEEK_SET) < 0) {
            close(dir);
            return -1;
        }
    }
    close(dir);
    return 0;
}

/* close_range's work over every number of first...last below `end`, the open ones found up to
   256 at a time by one poll (an fd that is not open comes back POLLNVAL; no events asked, no
   wait): below 2^20 that is ~4000 calls, 25-40 ms here, where a call an fd took ~0.2 s. poll takes
   no more fds than the soft fd limit; where it fails anyway, each number of the batch is tried. */
static void close_range_probed(unsigned int first, unsigned int last, unsigned int flags, unsigned long end) {
    struct pollfd probe[256];
    unsigned long batch_size = 256;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < batch_size)
        batch_size = limit.rlim_cur > 0 ? limit.rlim_cur : 1;
    for (unsigned long batch = first; batch <= last && batch < end; batch += batch_size) {
        nfds_t count = 0;
        for (; count < batch_size && batch + count <= last && batch + count < end; count++) {
            probe[count].fd = (int)(batch + count);
            probe[count].events = 0;
            probe[count].revents = 0;
        }
        int polled = poll(probe, count, 0) >= 0;
        for (nfds_t i = 0; i < count; i++)
            if (!polled || !(probe[i].revents & POLLNVAL)) close_or_mark_cloexec(probe[i].fd, flags);
    }
}

int cs_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    int r = (int)syscall(SYS_close_range, first, last, flags);
    /* Refused: ENOSYS before Linux 5.9 (EINVAL for CLOSE_RANGE_CLOEXEC before 5.11), or any errno a
       caller's seccomp filter chose (an engine's profile older than the call: EPERM or ENOSYS). The
       caller's fds left without close-on-exec would reach the container: the same work another way.
       (With first <= last and these flags a kernel that has the call never fails it.) */
    if (r == 0 || first > last) return r;
    if (close_range_listed(first, last, flags) == 0) return 0;
    /* No procfs: every number below 2^20, fs.nr_open's default (the largest fd table a process
       gets unless that was raised). Not the fd limit: by now it may be the container's
       (process.rlimits), below fds the caller opened under its own. */
    close_range_probed(first, last, flags, 1UL << 20);
    return 0;
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

int cs_fchmodat_nofollow(int dirfd, const char *name, unsigned int mode) {
    /* fchmodat2 (Linux 6.6) takes AT_SYMLINK_NOFOLLOW itself: one call. glibc's fchmodat emulates
       the flag with an O_PATH open, fstat, chmod of /proc/self/fd/N and close: its way before. */
    int r = (int)syscall(SYS_fchmodat2, dirfd, name, mode, AT_SYMLINK_NOFOLLOW);
    /* EPERM and EACCES too: a caller's seccomp profile older than the call (Docker's and containerd's
       defaults refuse what they do not list with EPERM) refuses it; a real refusal comes back again. */
    if (r < 0 && (errno == ENOSYS || errno == EPERM || errno == EACCES))
        return fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW);
    return r;
}

int cs_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int cs_dup3(int oldfd, int newfd, int flags) { return dup3(oldfd, newfd, flags); }

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
