// Host-side racer for MountSecurityTests: exchanges two paths with renameat2(RENAME_EXCHANGE) in a
// tight loop until killed (or until the optional number of seconds has passed).
//   swap A B [SECONDS]
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: swap A B [SECONDS]\n");
        return 2;
    }
    time_t end = argc > 3 ? time(NULL) + atoi(argv[3]) : 0;
    for (unsigned long n = 0;; n++) {
        if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
            perror("renameat2");
            return 1;
        }
        if (end && (n & 1023) == 0 && time(NULL) >= end) return 0;
    }
}
