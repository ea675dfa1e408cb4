#define _GNU_SOURCE
#include "cshim_fd.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

int cs_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
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
