// File descriptors and unix sockets: fcntl (variadic), close_range, pipe2/dup3 (GNU), a stream
// socketpair, connecting to a unix socket by path, and passing an fd with SCM_RIGHTS (the CMSG macros).
// Every function returns what the kernel returned (-1 and errno on failure) unless said otherwise.
#ifndef SWIFTLET_CSHIM_FD_H
#define SWIFTLET_CSHIM_FD_H

#include <stddef.h>

int cs_fcntl_int(int fd, int cmd, int arg);
int cs_set_cloexec(int fd, int on);
int cs_close_range(unsigned int first, unsigned int last, unsigned int flags);
// fchmodat of `name` in dirfd, never following a final symlink (EOPNOTSUPP for one).
int cs_fchmodat_nofollow(int dirfd, const char *name, unsigned int mode);
int cs_pipe2(int fds[2], int flags);
int cs_dup3(int oldfd, int newfd, int flags);
int cs_socketpair_stream(int fds[2]);
int cs_connect_unix(const char *path);
// Sends fd over a unix socket with SCM_RIGHTS, `name` as the message body (runc sends the pty path).
int cs_send_fd(int sock, int fd, const char *name, size_t namelen);
// Receives one fd; the message body goes to buf (NUL-terminated, truncated to buflen-1).
int cs_recv_fd(int sock, char *buf, size_t buflen);

#endif
