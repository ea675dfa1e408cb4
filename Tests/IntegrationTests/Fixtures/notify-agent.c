// A seccomp notify agent for the tests (runs on the host). Listens on a unix socket; for each
// connection it receives the runtime's message (ContainerProcessState JSON + the listener fd as
// SCM_RIGHTS), writes the JSON to OUT.json, then answers every notification on that fd:
//   getpriority -> success, value 42;   setpriority -> error EHOSTDOWN;   anything else -> continue
// and appends "<syscall nr>\n" per notification to OUT.calls. Exits on SIGTERM.
//   notify-agent SOCKET OUT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/seccomp.h>

static void append(const char *path, const char *text, size_t len, int truncate) {
    int fd = open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND), 0644);
    if (fd < 0) return;
    (void)!write(fd, text, len);
    close(fd);
}

static void serve(int listener, const char *out) {
    char calls[4096];
    snprintf(calls, sizeof calls, "%s.calls", out);
    for (;;) {
        struct seccomp_notif req;
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            if (errno == EINTR) continue;
            return;  // ENOENT/EBADF...: the filter is gone (container exited)
        }
        char line[64];
        int n = snprintf(line, sizeof line, "%d\n", req.data.nr);
        append(calls, line, (size_t)n, 0);
        struct seccomp_notif_resp resp;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (req.data.nr == SYS_getpriority) {
            resp.val = 42;
        } else if (req.data.nr == SYS_setpriority) {
            resp.error = -EHOSTDOWN;
        } else {
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        }
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: notify-agent SOCKET OUT\n"); return 2; }
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    unlink(argv[1]);
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 8) < 0) { perror("bind/listen"); return 1; }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) { if (errno == EINTR) continue; return 1; }
        char buf[65536];
        char control[CMSG_SPACE(sizeof(int) * 4)];
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(c, &msg, 0);
        close(c);
        if (n <= 0) continue;
        int fd = -1;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        append(argv[2], buf, (size_t)n, 1);
        if (fd < 0) continue;
        if (fork() == 0) { close(s); serve(fd, argv[2]); _exit(0); }
        close(fd);
    }
}
