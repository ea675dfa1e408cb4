import Glibc
import CShim

/// Path resolution confined to a root directory: every lookup goes through openat2 with
/// RESOLVE_IN_ROOT, so `..` and symlinks (absolute or relative) can never lead outside the root, and
/// magic links (/proc/self/root and friends) are refused.
public struct RootedPath {
    public static let resolveNoXdev: UInt64 = 0x01
    public static let resolveNoMagicLinks: UInt64 = 0x02
    public static let resolveNoSymlinks: UInt64 = 0x04
    public static let resolveBeneath: UInt64 = 0x08
    public static let resolveInRoot: UInt64 = 0x10

    public let root: FD
    public let rootPath: String

    public init(root: FD, rootPath: String) {
        self.root = root
        self.rootPath = rootPath
    }

    public static func open(_ path: String) throws -> RootedPath {
        RootedPath(root: try FD.open(path, O_PATH | O_DIRECTORY), rootPath: path)
    }

    /// Opens `path` (taken relative to the root, leading slashes ignored) inside the root.
    public func open(_ path: String, _ flags: Int32, mode: mode_t = 0, followFinal: Bool = true) throws -> FD {
        let rel = relative(path)
        var resolve = RootedPath.resolveInRoot | RootedPath.resolveNoMagicLinks
        if !followFinal { resolve |= 0 }
        let f = UInt64(UInt32(bitPattern: flags | O_CLOEXEC | (followFinal ? 0 : O_NOFOLLOW)))
        let fd = try sys("openat2", "\(display(path)) in \(rootPath)") {
            cs_openat2(root.raw, rel.isEmpty ? "." : rel, f, UInt64(mode), resolve)
        }
        return FD(fd)
    }

    /// `mkdir -p` inside the root; returns an O_PATH fd of the final directory. Each component is
    /// created with mkdirat on an fd that was itself resolved inside the root.
    @discardableResult
    public func makeDirectories(_ path: String, mode: mode_t = 0o755) throws -> FD {
        var dir = try open("", O_PATH | O_DIRECTORY)
        var sofar = ""
        for part in relative(path).split(separator: "/") {
            let name = String(part)
            sofar += "/" + name
            if name == "." { continue }
            let next: FD
            do {
                next = try FD(sys("openat2", "\(sofar) in \(rootPath)") {
                    cs_openat2(dir.raw, name, UInt64(UInt32(bitPattern: O_PATH | O_DIRECTORY | O_CLOEXEC)), 0,
                               RootedPath.resolveInRoot | RootedPath.resolveNoMagicLinks)
                })
            } catch let e as SysError where e.errno == ENOENT {
                if mkdirat(dir.raw, name, mode) != 0 && Glibc.errno != EEXIST {
                    dir.close()
                    throw SysError("mkdir", "\(sofar) in \(rootPath)")
                }
                // Re-open through the resolver: a racing symlink swap is resolved inside the root too.
                next = try FD(sys("openat2", "\(sofar) in \(rootPath)") {
                    cs_openat2(dir.raw, name, UInt64(UInt32(bitPattern: O_PATH | O_DIRECTORY | O_CLOEXEC)), 0,
                               RootedPath.resolveInRoot | RootedPath.resolveNoMagicLinks)
                })
            } catch {
                dir.close()
                throw error
            }
            dir.close()
            dir = next
        }
        return dir
    }

    /// Makes sure `path` exists as a regular file (for bind mounts of files and /dev nodes); returns
    /// an O_PATH fd of it.
    public func makeFile(_ path: String, mode: mode_t = 0o644) throws -> FD {
        let rel = relative(path)
        let (parent, name) = split(rel)
        let dir = try makeDirectories(parent)
        defer { dir.close() }
        if name.isEmpty { throw KernelError("\(display(path)): not a file path") }
        let fd = openat(dir.raw, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode)
        if fd >= 0 {
            Glibc.close(fd)
        } else if Glibc.errno != EISDIR && Glibc.errno != ELOOP && Glibc.errno != ENXIO
                    && Glibc.errno != EACCES && Glibc.errno != EROFS && Glibc.errno != ETXTBSY {
            throw SysError("create", "\(display(path)) in \(rootPath)")
        }
        return try open(rel, O_PATH)
    }

    /// Splits a relative path into (parent, last component).
    public func split(_ rel: String) -> (String, String) {
        var parts = rel.split(separator: "/").map(String.init)
        let last = parts.popLast() ?? ""
        return (parts.joined(separator: "/"), last)
    }

    private func relative(_ path: String) -> String {
        var s = Substring(path)
        while s.hasPrefix("/") { s = s.dropFirst() }
        return String(s)
    }

    private func display(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }
}

public enum FileKind {
    case directory, regular, symlink, other, missing

    public static func of(fd: FD) -> FileKind {
        var st = stat()
        guard fstat(fd.raw, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    public static func of(path: String) -> FileKind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    public static func following(path: String) -> FileKind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        return (st.st_mode & S_IFMT) == S_IFDIR ? .directory : (st.st_mode & S_IFMT) == S_IFREG ? .regular : .other
    }
}

public enum Procfs {
    public static let magic: Int64 = 0x9fa0
    public static let sysfsMagic: Int64 = 0x6265_6572

    /// Refuses to write to a file that is not really on procfs (a bind mount or symlink planted by the
    /// container could redirect a sysctl write to the host's /proc/sys/kernel/core_pattern).
    public static func writeChecked(_ path: String, _ value: String) throws {
        let fd = try FD.open(path, O_WRONLY | O_NOFOLLOW)
        defer { fd.close() }
        var type: Int64 = 0
        try sys("fstatfs", path) { cs_statfs_type(fd.raw, &type) }
        if type != magic { throw KernelError("\(path) is not on procfs: refusing to write to it") }
        try fd.write(value)
    }
}
