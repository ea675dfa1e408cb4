import Glibc
import CShim

/// Every write the runtime makes to procfs goes through here (sysctls, oom_score_adj,
/// timens_offsets, uid_map/gid_map/setgroups, attr/*). A bind mount or symlink planted over a procfs
/// file could otherwise redirect the write to /proc/sys/kernel/core_pattern or /proc/sysrq-trigger
/// (CVE-2025-52881), so each write:
///  - starts from the `/proc` of the current mount namespace, which must itself be procfs,
///  - resolves the rest with openat2(RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS) and
///    O_NOFOLLOW: no mount crossed on the way (an overmount fails with EXDEV), no symlink out of
///    /proc, no magic link, the file itself not a symlink,
///  - so writes to a file on the very mount of that checked `/proc`, hence on procfs: no fstatfs of
///    the file is needed (a file on another superblock is on another mount, which RESOLVE_NO_XDEV
///    refuses to cross, the file itself being a mount point included).
public enum Procfs {
    public static let magic: Int64 = 0x9fa0
    public static let sysfsMagic: Int64 = 0x6265_6572

    /// Writes `value` to the procfs file `path` (an absolute path under /proc), refusing with an
    /// error that names the path when it is not really that procfs file.
    public static func write(_ path: String, _ value: String) throws {
        let fd = try openForWriting(path)
        defer { fd.close() }
        try fd.write(value, naming: path)
    }

    /// `/proc` opened and checked once for several writes (the init stage's sysctls and
    /// oom_score_adj): each write then costs openat2, write and close instead of also opening,
    /// checking and closing `/proc` again. The checks on each file are the same as `write`'s.
    public struct Directory {
        let root: FD

        /// Opens the `/proc` of the current mount namespace, refusing it when it is not procfs.
        public static func open() throws -> Directory { Directory(root: try openRoot()) }

        public func write(_ path: String, _ value: String) throws {
            let fd = try Procfs.openForWriting(path, beneath: root)
            defer { fd.close() }
            try fd.write(value, naming: path)
        }

        public func close() { root.close() }
    }

    static func openRoot() throws -> FD {
        let root = try FD(sys("open", "/proc") { Glibc.open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) })
        var type: Int64 = 0
        do {
            try sys("fstatfs", "/proc") { cs_statfs_type(root.raw, &type) }
        } catch {
            root.close()
            throw error
        }
        if type != magic {
            root.close()
            throw KernelError("/proc is not a procfs mount (refusing to write to a file that may not be procfs)")
        }
        return root
    }

    /// Whether procfs takes the pidns= option (Linux 6.18) naming the pid namespace open at
    /// `namespace`: only then can a proc mount for that namespace be made from outside it.
    public static func acceptsPIDNamespace(_ namespace: FD) -> Bool {
        cs_proc_accepts_pidns(namespace.raw) == 1
    }

    /// Kept for callers of the earlier name.
    public static func writeChecked(_ path: String, _ value: String) throws { try write(path, value) }

    /// Opens the procfs file `path` write-only after the checks above.
    public static func openForWriting(_ path: String) throws -> FD {
        guard path.hasPrefix("/proc/") else { throw KernelError("\(path): not a path under /proc") }
        let root: FD
        do { root = try openRoot() } catch let e as KernelError { throw KernelError("\(path): \(e.description)") }
        defer { root.close() }
        return try openForWriting(path, beneath: root)
    }

    /// Opens `path` (under /proc) beneath `root`, an fd of a checked procfs `/proc` (`openRoot`):
    /// what opens is on `root`'s mount (RESOLVE_NO_XDEV), so on procfs.
    static func openForWriting(_ path: String, beneath root: FD) throws -> FD {
        guard path.hasPrefix("/proc/") else { throw KernelError("\(path): not a path under /proc") }
        let rel = String(path.dropFirst("/proc/".count))
        let resolve = RootedPath.resolveBeneath | RootedPath.resolveNoXdev | RootedPath.resolveNoMagicLinks
        let flags = UInt64(UInt32(bitPattern: O_WRONLY | O_NOFOLLOW | O_CLOEXEC))
        let raw = cs_openat2(root.raw, rel, flags, 0, resolve)
        if raw < 0 {
            let e = Glibc.errno
            switch e {
            case EXDEV:
                throw KernelError("\(path): another mount is on it or on a directory above it inside /proc "
                    + "(refusing to write: the write could be redirected)")
            case ELOOP:
                throw KernelError("\(path): is a symbolic link or leads through one out of /proc (refusing to write)")
            default:
                throw SysError("open", path, errno: e)
            }
        }
        return FD(raw)
    }
}
