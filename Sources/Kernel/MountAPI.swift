import Glibc
import CShim

/// The new mount API (Linux 5.2/5.12): detached mount trees from open_tree(2), attributes through
/// mount_setattr(2) (ID mapping among them), and move_mount(2) to attach a tree.
public enum MountAPI {
    // As <sys/mount.h> has them; glibc declares AT_RECURSIVE and AT_EMPTY_PATH only with _GNU_SOURCE,
    // which Swift's import of it does not set.
    static let openTreeClone = UInt32(OPEN_TREE_CLONE)
    static let atRecursive: UInt32 = 0x8000
    static let atEmptyPath: UInt32 = 0x1000
    static let moveMountFEmptyPath = UInt32(MOVE_MOUNT_F_EMPTY_PATH)
    static let moveMountTEmptyPath = UInt32(MOVE_MOUNT_T_EMPTY_PATH)

    /// A detached copy of the mount at `path` (with the mounts under it when `recursive`), close-on-exec.
    public static func cloneTree(_ path: String, recursive: Bool) throws -> FD {
        var flags = openTreeClone | UInt32(O_CLOEXEC)
        if recursive { flags |= atRecursive }
        let fd = try sys("open_tree", path) { cs_open_tree(AT_FDCWD, path, flags) }
        return FD(fd)
    }

    /// Whether open_tree_attr(2) is tried: cleared for good by the first ENOSYS (a kernel before
    /// 6.15), and by tests to take the fallback.
    nonisolated(unsafe) public static var tryOpenTreeAttr = true

    /// A detached copy of the mount at `path` (with the mounts under it when `recursive`) with the
    /// attributes `set` set and `clear` cleared on it (on every mount of the copy when `recursive`),
    /// close-on-exec: `cloneTree` then `setAttributes`, in one system call where the kernel has
    /// open_tree_attr (Linux 6.15; each cgroup hierarchy's bind and each flagged bind mount paid two).
    /// Any failure of the one call is retried as the pair, so errors (and their errno, which callers
    /// test: ENOENT, ENOTDIR) and the step they name are exactly the pair's.
    public static func cloneTree(_ path: String, recursive: Bool, set: MountAttributes, clear: MountAttributes,
                                 describe: @autoclosure () -> String) throws -> FD {
        var flags = openTreeClone | UInt32(O_CLOEXEC)
        if recursive { flags |= atRecursive }
        if !set.isEmpty || !clear.isEmpty {
            if tryOpenTreeAttr {
                let fd = cs_open_tree_attr(AT_FDCWD, path, flags, set.rawValue, clear.rawValue)
                if fd >= 0 { return FD(fd) }
                if Glibc.errno == ENOSYS { tryOpenTreeAttr = false }
            }
        }
        let tree = FD(try sys("open_tree", path) { cs_open_tree(AT_FDCWD, path, flags) })
        if !set.isEmpty || !clear.isEmpty {
            do { try setAttributes(tree, set: set, clear: clear, recursive: recursive, describe: describe()) } catch {
                tree.close()
                throw error
            }
        }
        return tree
    }

    /// Makes the detached tree `tree` ID-mapped through the user namespace `userns`.
    public static func setIDMap(_ tree: FD, userns: FD, recursive: Bool, describe: @autoclosure () -> String) throws {
        var flags = atEmptyPath
        if recursive { flags |= atRecursive }
        try sys("mount_setattr MOUNT_ATTR_IDMAP", describe()) {
            cs_mount_setattr(tree.raw, "", flags, MountAttributes.idmap.rawValue, 0, 0, UInt64(userns.raw))
        }
    }

    /// Attaches the detached tree `tree` on the directory or file `target` refers to.
    public static func moveMount(_ tree: FD, onto target: FD, describe: @autoclosure () -> String) throws {
        try sys("move_mount", describe()) {
            cs_move_mount(tree.raw, "", target.raw, "", moveMountFEmptyPath | moveMountTEmptyPath)
        }
    }

    /// Where `moveMount` attaches a tree: a directory (or file) by its fd, or the entry `name` of the
    /// directory `parent` (one component, resolved beneath that fd by move_mount itself; a symlink
    /// there is not followed). The entry saves opening and closing an fd for each target.
    public enum Target {
        case fd(FD)
        case entry(in: FD, name: String)
    }

    /// Attaches the detached tree `tree` on `target`.
    public static func moveMount(_ tree: FD, onto target: Target, describe: @autoclosure () -> String) throws {
        switch target {
        case .fd(let fd):
            try moveMount(tree, onto: fd, describe: describe())
        case .entry(let parent, let name):
            guard !name.isEmpty, name != ".", name != "..", !name.utf8.contains(UInt8(ascii: "/")) else {
                throw KernelError("\(describe()): \"\(name)\" is not one directory entry")
            }
            // No MOVE_MOUNT_T_SYMLINKS and no MOVE_MOUNT_T_AUTOMOUNTS: the entry itself, nothing it leads to.
            try sys("move_mount", describe()) { cs_move_mount(tree.raw, "", parent.raw, name, moveMountFEmptyPath) }
        }
    }

    /// Whether this kernel has mount_setattr(2) (and so ID-mapped mounts and recursive attributes).
    public static var available: Bool {
        // An invalid call: EBADF/EINVAL if the syscall exists, ENOSYS if not.
        let rc = cs_mount_setattr(-1, "", 0xffff_ffff, 0, 0, 0, 0)
        return !(rc < 0 && Glibc.errno == ENOSYS)
    }
}

/// A user namespace that exists only to carry a mapping (for MOUNT_ATTR_IDMAP): a child process
/// unshares it and waits while the parent writes the maps and opens /proc/<child>/ns/user; then
/// the child exits and the namespace lives on through the returned descriptor.
public enum MappingNamespace {
    /// `uidMap`/`gidMap` in /proc/<pid>/uid_map format ("inside outside count\n" lines).
    public static func create(uidMap: String, gidMap: String) throws -> FD {
        let ready = try Pipe.make()
        let release = try Pipe.make()
        let pid = try Proc.fork()
        if pid == 0 {
            ready.read.close()
            release.write.close()
            if cs_unshare(NamespaceKind.user.cloneFlag) != 0 { Proc.exit(1) }
            _ = try? ready.write.write([1])
            _ = try? release.read.read(max: 1)
            Proc.exit(0)
        }
        ready.write.close()
        release.read.close()
        var releaseOpen = true
        defer {
            if releaseOpen { release.write.close() }
            ready.read.close()
            _ = try? Proc.wait(pid)
        }
        let got = (try? ready.read.read(max: 1)) ?? []
        if got.isEmpty { throw KernelError("unshare(CLONE_NEWUSER) for an ID mapping failed in the helper process") }
        do {
            try Procfs.write("/proc/\(pid)/uid_map", uidMap)
            try Procfs.write("/proc/\(pid)/gid_map", gidMap)
        } catch {
            throw KernelError("writing the ID mapping of a helper user namespace: \(error)")
        }
        let fd = try FD.open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
        release.write.close()
        releaseOpen = false
        return fd
    }
}
