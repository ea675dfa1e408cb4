import Glibc
import CShim

/// Mounts made through file descriptors only (the new mount API), for the steps that run after
/// pivot_root, where /proc/self/fd of the container cannot be trusted (or may not exist): the
/// source and the target are fds resolved inside the root and checked, never paths the kernel
/// would resolve again.
extension MountAPI {
    /// A detached copy of the mount of the file or directory `fd` refers to (a bind mount of it).
    public static func cloneTree(fd: FD, recursive: Bool, describe: @autoclosure () -> String) throws -> FD {
        var flags = openTreeClone | UInt32(O_CLOEXEC) | atEmptyPath
        if recursive { flags |= atRecursive }
        return FD(try sys("open_tree", describe()) { cs_open_tree(fd.raw, "", flags) })
    }

    /// A detached copy of the mount at `path` relative to the directory `dir`.
    public static func cloneTree(at dir: FD, _ path: String, recursive: Bool, describe: @autoclosure () -> String) throws -> FD {
        var flags = openTreeClone | UInt32(O_CLOEXEC)
        if recursive { flags |= atRecursive }
        return FD(try sys("open_tree", describe()) { cs_open_tree(dir.raw, path, flags) })
    }

    /// Sets (and clears) mount attributes (MOUNT_ATTR_*) on the mount `tree` refers to (a detached
    /// tree, or a mount attached from one: the fd still names that mount), and with `recursive` on
    /// every mount under it. Only the named bits change: flags the kernel locked stay as they are.
    public static func setAttributes(_ tree: FD, set: MountAttributes, clear: MountAttributes = [], recursive: Bool = false,
                                     describe: @autoclosure () -> String) throws {
        var flags = atEmptyPath
        if recursive { flags |= atRecursive }
        try sys("mount_setattr", describe()) { cs_mount_setattr(tree.raw, "", flags, set.rawValue, clear.rawValue, 0, 0) }
    }

    /// Changes the propagation (.shared, .slave, .private or .unbindable) of the mount `fd` refers
    /// to, and with `recursive` of every mount under it: no path is resolved again.
    public static func setPropagation(_ fd: FD, _ propagation: MountFlags, recursive: Bool, describe: @autoclosure () -> String) throws {
        var flags = atEmptyPath
        if recursive { flags |= atRecursive }
        try sys("mount_setattr propagation", describe()) {
            cs_mount_setattr(fd.raw, "", flags, 0, 0, UInt64(propagation.rawValue), 0)
        }
    }

    /// A new read-only tmpfs, detached (what masks a directory).
    public static func readOnlyTmpfs(describe: @autoclosure () -> String) throws -> FD {
        FD(try sys("fsmount tmpfs", describe()) { cs_fsmount_tmpfs_ro() })
    }
}

public enum SafeMount {
    /// Bind-mounts the target onto itself read-only (readonlyPaths): clone, MOUNT_ATTR_RDONLY on the
    /// clone, attach it on the same fd. Locked flags in a user namespace are kept (only RDONLY is set).
    public static func bindReadOnly(_ target: FD, describe: @autoclosure () -> String) throws {
        let tree = try MountAPI.cloneTree(fd: target, recursive: true, describe: describe())
        defer { tree.close() }
        try MountAPI.setAttributes(tree, set: .readOnly, describe: describe())
        try MountAPI.moveMount(tree, onto: target, describe: "read-only \(describe())")
    }

    /// Masks a directory with an empty read-only tmpfs.
    public static func maskDirectory(_ target: FD, describe: @autoclosure () -> String) throws {
        let tree = try MountAPI.readOnlyTmpfs(describe: describe())
        defer { tree.close() }
        try MountAPI.moveMount(tree, onto: target, describe: "tmpfs on \(describe())")
    }

    /// Masks a file with the null device `null`, which must really be the 1:3 character device
    /// (a /dev/null swapped for a symlink or another file would be bound instead, CVE-2025-31133):
    /// checked here unless `verified` (by `verifyNullDevice` on this fd: an fd names one inode,
    /// whose type and device number never change, so one check holds for every use).
    public static func maskFile(_ target: FD, null: FD, verified: Bool = false, describe: @autoclosure () -> String) throws {
        if !verified { try verifyNullDevice(null) }
        let tree = try MountAPI.cloneTree(fd: null, recursive: false, describe: "/dev/null")
        defer { tree.close() }
        try MountAPI.moveMount(tree, onto: target, describe: "/dev/null on \(describe())")
    }

    public static func verifyNullDevice(_ fd: FD) throws {
        var st = stat()
        try sys("fstat", "/dev/null") { fstat(fd.raw, &st) }
        let major = (UInt64(st.st_rdev) >> 8) & 0xfff, minor = (UInt64(st.st_rdev) & 0xff) | ((UInt64(st.st_rdev) >> 12) & 0xfff00)
        if (st.st_mode & S_IFMT) != S_IFCHR || major != 1 || minor != 3 {
            throw KernelError("/dev/null in the container is not the null device (char 1:3): refusing to mask paths with it")
        }
    }
}
