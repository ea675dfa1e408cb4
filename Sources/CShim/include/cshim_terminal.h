// Terminals: window size, the pty master (number, unlock), the controlling terminal, and termios
// as an opaque buffer (save, restore, raw mode). Every function returns what the kernel returned
// (-1 and errno on failure) unless said otherwise.
#ifndef SWIFTLET_CSHIM_TERMINAL_H
#define SWIFTLET_CSHIM_TERMINAL_H

int cs_set_winsize(int fd, unsigned short rows, unsigned short cols);
int cs_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
int cs_pty_number(int masterfd, int *number);
int cs_pty_unlock(int masterfd);
int cs_make_controlling_tty(int fd);
// struct termios as an opaque buffer of cs_termios_size() bytes.
int cs_termios_size(void);
int cs_tty_save(int fd, void *buf);
int cs_tty_restore(int fd, const void *buf);
int cs_tty_make_raw(int fd);

#endif
