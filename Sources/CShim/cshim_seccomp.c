#define _GNU_SOURCE
#include "cshim_seccomp.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

int cs_seccomp_install(const void *insns, unsigned int count, unsigned int flags) {
    struct sock_fprog prog;
    memset(&prog, 0, sizeof prog);
    /* sock_fprog.len is 16 bits: a longer program would be loaded cut short. */
    if (count > 0xffff) { errno = EINVAL; return -1; }
    prog.len = (unsigned short)count;
    prog.filter = (struct sock_filter *)insns;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int cs_seccomp_action_available(uint32_t action) {
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0 ? 1 : 0;
}

int cs_seccomp_flags_supported(unsigned int flags) {
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
    return (r < 0 && errno == EFAULT) ? 1 : 0;
}

long cs_seccomp_export(scmp_filter_ctx ctx, void **out) {
    *out = NULL;
    int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0) return -1;
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) { close(fd); errno = -rc; return -1; }
    struct stat st;
    if (fstat(fd, &st) < 0) { int e = errno; close(fd); errno = e; return -1; }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size ? size : 1);
    if (!buf) { close(fd); errno = ENOMEM; return -1; }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, buf + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { int e = n < 0 ? errno : EIO; free(buf); close(fd); errno = e; return -1; }
        done += (size_t)n;
    }
    close(fd);
    *out = buf;
    return (long)size;
}

void cs_free(void *p) { free(p); }
