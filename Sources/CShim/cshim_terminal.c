#define _GNU_SOURCE
#include "cshim_terminal.h"
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

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

int cs_termios_size(void) { return (int)sizeof(struct termios); }

int cs_tty_save(int fd, void *buf) { return tcgetattr(fd, (struct termios *)buf); }

int cs_tty_restore(int fd, const void *buf) { return tcsetattr(fd, TCSANOW, (const struct termios *)buf); }

int cs_tty_make_raw(int fd) {
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -1;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}
