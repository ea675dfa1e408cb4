#define _GNU_SOURCE
#include "cshim_fs.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif

int cs_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int cs_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
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

int cs_open_tree_attr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr) {
    struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
    } attr = { attr_set, attr_clr, 0, 0 };
    return (int)syscall(SYS_open_tree_attr, dirfd, path, flags, &attr, sizeof attr);
}

int cs_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

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

int cs_mknod(const char *path, unsigned int mode, unsigned int major, unsigned int minor) {
    return mknod(path, mode, makedev(major, minor));
}

int cs_setxattr(const char *path, const char *name, const void *value, size_t size) {
    return setxattr(path, name, value, size, 0);
}

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif

int cs_setxattrat(int dirfd, const char *path, const char *name, const void *value, size_t size) {
    // struct xattr_args of <linux/xattr.h> (Linux 6.13), which older headers lack.
    struct { uint64_t value; uint32_t size; uint32_t flags; } args = { (uint64_t)(uintptr_t)value, (uint32_t)size, 0 };
    return (int)syscall(SYS_setxattrat, dirfd, path, 0, name, &args, sizeof args);
}

long cs_getxattr(const char *path, const char *name, void *value, size_t size) {
    return (long)getxattr(path, name, value, size);
}

int cs_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}

int cs_lremovexattr(const char *path, const char *name) {
    return lremovexattr(path, name);
}

long cs_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return (long)lgetxattr(path, name, value, size);
}
