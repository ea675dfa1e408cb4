#define _GNU_SOURCE
#include "cshim_security.h"
#include "cshim_startup_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

extern char **environ;

#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif

#define CS_MOUNT_ATTR_NOEXEC 0x8
#define CS_FSCONFIG_CMD_CREATE 6
#define CS_FSMOUNT_CLOEXEC 1
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x10U
#endif

int cs_exe_is_protected(void) {
    struct statvfs sv;
    if (statvfs("/proc/self/exe", &sv) == 0 && (sv.f_flag & ST_RDONLY)) return 1;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int seals = fcntl(fd, F_GET_SEALS);
    close(fd);
    return seals >= 0 && (seals & F_SEAL_WRITE) ? 1 : 0;
}

// Why each way of protecting the binary failed (the step and its errno), for the error message.
static const char *bind_failed_step = "";
static int bind_failed_errno;
static const char *memfd_failed_step = "";
static int memfd_failed_errno;

static int memfd_failed(const char *step, int src, int mfd) {
    int e = errno;
    if (src >= 0) close(src);
    if (mfd >= 0) close(mfd);
    memfd_failed_step = step;
    memfd_failed_errno = e;
    errno = e;
    return -1;
}

static int exec_from_memfd(char *const argv[], char *const envp[]) {
    int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (src < 0) return memfd_failed("open /proc/self/exe", -1, -1);
    struct stat st;
    if (fstat(src, &st) < 0) return memfd_failed("fstat /proc/self/exe", src, -1);
    int mfd = (int)syscall(SYS_memfd_create, "swiftlet", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (mfd < 0 && errno == EINVAL) mfd = (int)syscall(SYS_memfd_create, "swiftlet", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0) return memfd_failed("memfd_create", src, -1);
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = sendfile(mfd, src, NULL, (size_t)left);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) errno = EIO;
        if (n <= 0) return memfd_failed("sendfile", src, mfd);
        left -= n;
    }
    close(src);
    if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        return memfd_failed("F_ADD_SEALS", -1, mfd);
    }
    syscall(SYS_execveat, mfd, "", argv, envp, CS_AT_EMPTY_PATH);
    return memfd_failed("execveat of the memfd", -1, mfd);
}

// cshim_entry.c does the bind path below before glibc's start-up: this one runs when that failed.
int cs_exe_protect(char *const argv[], char *const envp[]) {
    if (cs_exe_is_protected()) return 0;
    // Not O_CLOEXEC: were execveat to close it, its last close would dissolve the detached mount
    // (namespace_unlock: an expedited RCU grace period, 0.2-0.8 ms) before the new image's first
    // instruction, on every create, run and exec.
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", CS_OPEN_TREE_CLONE);
    if (fd >= 0) {
        struct cs_mount_attr a = { CS_MOUNT_ATTR_RDONLY | CS_MOUNT_ATTR_NOSUID | CS_MOUNT_ATTR_NODEV, 0, 0, 0 };
        if (syscall(SYS_mount_setattr, fd, "", CS_AT_EMPTY_PATH, &a, sizeof a) == 0) {
            char num[16];
            snprintf(num, sizeof num, "%d", fd);
            if (setenv(CS_EXE_MOUNT_FD_ENV, num, 1) == 0) {
                syscall(SYS_execveat, fd, "", argv, environ, CS_AT_EMPTY_PATH);
                int e = errno;
                unsetenv(CS_EXE_MOUNT_FD_ENV);
                errno = e;
            } else {
                // Unnamed in the new image, it must not outlive this exec.
                fcntl(fd, F_SETFD, FD_CLOEXEC);
                syscall(SYS_execveat, fd, "", argv, envp, CS_AT_EMPTY_PATH);
            }
            bind_failed_step = "execveat of the read-only bind";
        } else {
            bind_failed_step = "mount_setattr MOUNT_ATTR_RDONLY";
        }
        bind_failed_errno = errno;
        close(fd);
    } else {
        bind_failed_step = "open_tree /proc/self/exe";
        bind_failed_errno = errno;
    }
    // Not allowed to make mounts here (no CAP_SYS_ADMIN over our mount namespace): a sealed copy.
    return exec_from_memfd(argv, envp);
}

// The inherited fd of the detached bind: its number, and whether this process still holds it.
static int exe_mount_fd = -1;
static int exe_mount_in_main_table;

void cs_exe_mount_adopt(void) {
    const char *num = getenv(CS_EXE_MOUNT_FD_ENV);
    if (num == NULL) return;
    char *end;
    long fd = strtol(num, &end, 10);
    unsetenv(CS_EXE_MOUNT_FD_ENV);
    if (*end != 0 || fd < 3 || fd > 0x7fffffff) return;
    // Only the bind this binary runs from: a variable set by someone else must not close their fd.
    // An image executed from an fd is named /dev/fd/N by the kernel (AT_EXECFN): this one was loaded
    // from fd N. Still open and not close-on-exec, it is still that file (the re-exec's fd is not
    // close-on-exec; one that was is gone, and what opened since, the residency's userfaultfd, is).
    char expected[32];
    snprintf(expected, sizeof expected, "/dev/fd/%ld", fd);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    if (execfn == NULL || strcmp(execfn, expected) != 0) return;
    if (fcntl((int)fd, F_GETFD) != 0) return;
    // Should anything exec before the release, the fd does not go with it.
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    exe_mount_fd = (int)fd;
    exe_mount_in_main_table = 1;
}

void cs_exe_mount_release(void) {
    if (!exe_mount_in_main_table) return;
    exe_mount_in_main_table = 0;
    close(exe_mount_fd);
}

int cs_proc_accepts_pidns(int nsfd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", nsfd);
    int fs = (int)syscall(SYS_fsopen, "proc", 1 /* FSOPEN_CLOEXEC */);
    if (fs < 0) return 0;
    int r = (int)syscall(SYS_fsconfig, fs, 1 /* FSCONFIG_SET_STRING */, "pidns", path, 0);
    close(fs);
    return r == 0;
}

void cs_exe_protect_failure(const char **bind_step, int *bind_errno, const char **memfd_step, int *memfd_errno) {
    *bind_step = bind_failed_step;
    *bind_errno = bind_failed_errno;
    *memfd_step = memfd_failed_step;
    *memfd_errno = memfd_failed_errno;
}

long cs_getrandom_nonblock(void *buf, unsigned long len) {
    return (long)getrandom(buf, len, GRND_NONBLOCK);
}

int cs_fsmount_tmpfs_ro(void) {
    int fs = (int)syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
    if (fs < 0) return -1;
    if (syscall(SYS_fsconfig, fs, CS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) { int e = errno; close(fs); errno = e; return -1; }
    int m = (int)syscall(SYS_fsmount, fs, CS_FSMOUNT_CLOEXEC, CS_MOUNT_ATTR_RDONLY);
    int e = errno;
    close(fs);
    errno = e;
    return m;
}
