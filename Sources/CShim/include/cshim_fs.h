// File systems and mounts: openat2, the new mount API (open_tree, move_mount, mount_setattr),
// pivot_root, statfs/statvfs, mknod and extended attributes. Every function returns what the kernel
// returned (-1 and errno on failure) unless said otherwise.
#ifndef SWIFTLET_CSHIM_FS_H
#define SWIFTLET_CSHIM_FS_H

#include <stdint.h>
#include <sys/types.h>
#include <stddef.h>
// RESOLVE_* for cs_openat2's `resolve`, used by name in Swift.
#include <linux/openat2.h>

int cs_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int cs_pivot_root(const char *new_root, const char *put_old);
int cs_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr,
                     uint64_t propagation, uint64_t userns_fd);
int cs_open_tree(int dirfd, const char *path, unsigned int flags);
// open_tree(2) with OPEN_TREE_CLONE and mount_setattr(2)'s attributes applied to the clone in one call
// (Linux 6.15); ENOSYS before.
int cs_open_tree_attr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr);
int cs_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags);
int cs_statfs_type(int fd, int64_t *type);
int cs_statvfs_flags(const char *path, uint64_t *flags);
int cs_mknod(const char *path, unsigned int mode, unsigned int major, unsigned int minor);
// setxattr/getxattr (sys/xattr.h is not in the Glibc module): the owner mark on a cgroup directory.
int cs_setxattr(const char *path, const char *name, const void *value, size_t size);
long cs_getxattr(const char *path, const char *name, void *value, size_t size);
// setxattr of `path` relative to `dirfd`, following a final symlink (setxattrat(2), Linux 6.13;
// ENOSYS before).
int cs_setxattrat(int dirfd, const char *path, const char *name, const void *value, size_t size);
// The same without following a symlink at `path`'s end: tmpcopyup's copy of POSIX ACLs.
int cs_lsetxattr(const char *path, const char *name, const void *value, size_t size);
long cs_lgetxattr(const char *path, const char *name, void *value, size_t size);
int cs_lremovexattr(const char *path, const char *name);

#endif
