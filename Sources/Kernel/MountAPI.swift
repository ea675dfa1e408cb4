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

    /// Makes the detached tree `tree` ID-mapped through the user namespace `userns`.
    public static func setIDMap(_ tree: FD, userns: FD, recursive: Bool, describe: String) throws {
        var flags = atEmptyPath
        if recursive { flags |= atRecursive }
        try sys("mount_setattr MOUNT_ATTR_IDMAP", describe) {
            cs_mount_setattr(tree.raw, "", flags, MountAttributes.idmap.rawValue, 0, 0, UInt64(userns.raw))
        }
    }

    /// Attaches the detached tree `tree` on the directory or file `target` refers to.
    public static func moveMount(_ tree: FD, onto target: FD, describe: String) throws {
        try sys("move_mount", describe) {
            cs_move_mount(tree.raw, "", target.raw, "", moveMountFEmptyPath | moveMountTEmptyPath)
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
