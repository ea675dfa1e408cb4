import Glibc
import CShim

/// Path resolution confined to a root directory: every lookup goes through openat2 with
/// RESOLVE_IN_ROOT, so `..` and symlinks (absolute or relative) can never lead outside the root, and
/// magic links (/proc/self/root and friends) are refused.
public struct RootedPath {
    // openat2's RESOLVE_* bits, as <linux/openat2.h> has them.
    public static let resolveNoXdev = UInt64(RESOLVE_NO_XDEV)
    public static let resolveNoMagicLinks = UInt64(RESOLVE_NO_MAGICLINKS)
    public static let resolveNoSymlinks = UInt64(RESOLVE_NO_SYMLINKS)
    public static let resolveBeneath = UInt64(RESOLVE_BENEATH)
    public static let resolveInRoot = UInt64(RESOLVE_IN_ROOT)

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

    /// An O_PATH fd of `path` inside the root, refusing a symlink anywhere on the way (ELOOP) or at
    /// its end (the fd is then of the symlink itself): for destinations a symlink must not redirect.
    /// `flags`: added to O_PATH (O_DIRECTORY: anything but a directory at the end is ENOTDIR).
    public func openRefusingSymlinks(_ path: String, flags: Int32 = 0) throws -> FD {
        let rel = relative(path)
        let resolve = RootedPath.resolveInRoot | RootedPath.resolveNoMagicLinks | RootedPath.resolveNoSymlinks
        let open = UInt64(UInt32(bitPattern: O_PATH | O_NOFOLLOW | O_CLOEXEC | flags))
        let fd = try sys("openat2", "\(display(path)) in \(rootPath)") {
            cs_openat2(root.raw, rel.isEmpty ? "." : rel, open, 0, resolve)
        }
        return FD(fd)
    }

    /// `mkdir -p` inside the root; returns an O_PATH fd of the final directory. Every prefix is
    /// resolved from the root (symlinks in it followed inside the root, magic links refused) and
    /// each missing component is made with mkdirat on the fd of its resolved parent.
    @discardableResult
    public func makeDirectories(_ path: String, mode: mode_t = 0o755) throws -> FD {
        try makeDirectories(path, mode: mode, depth: 0)
    }

    /// A dangling symlink on the way is made to point at something: its target is created inside
    /// the root (as runc's MkdirAllInRoot does), at most 40 links deep.
    private func makeDirectories(_ path: String, mode: mode_t, depth: Int) throws -> FD {
        if let fd = try? open(path, O_PATH | O_DIRECTORY) { return fd }
        if let fd = makeLastDirectory(path, mode: mode) { return fd }
        var dir = try open("", O_PATH | O_DIRECTORY)
        var sofar = ""
        for part in relative(path).split(separator: "/") {
            let name = String(part)
            if name == "." { continue }
            let candidate = sofar + "/" + name
            let next: FD
            do {
                next = try open(candidate, O_PATH | O_DIRECTORY)
            } catch let e as SysError where e.errno == ENOENT {
                if mkdirat(dir.raw, name, mode) != 0 && Glibc.errno != EEXIST {
                    dir.close()
                    throw SysError("mkdir", "\(candidate) in \(rootPath)")
                }
                do {
                    if let link = try? readLink(at: dir, name, describe: name) {
                        if depth >= 40 { throw SysError("mkdir", "\(candidate) in \(rootPath)", errno: ELOOP) }
                        let to = link.hasPrefix("/") ? link : sofar + "/" + link
                        try makeDirectories(to, mode: mode, depth: depth + 1).close()
                    }
                    next = try open(candidate, O_PATH | O_DIRECTORY)
                } catch {
                    dir.close()
                    throw error
                }
            } catch {
                dir.close()
                throw error
            }
            dir.close()
            dir = next
            sofar = candidate
        }
        return dir
    }

    /// The common case of a missing mount point (/dev/pts, /dev/shm, ...): only the last component
    /// is missing. Its parent is opened inside the root, the directory made there, and opened
    /// beneath the parent's fd following nothing (RESOLVE_BENEATH, no symlink, no magic link): what
    /// opens is the entry this call just made, or the open fails. nil where anything else is the
    /// case (the parent missing or no directory, the name there already, mkdir refused, the entry
    /// swapped for a symlink meanwhile): the caller then walks from the root as before, which makes
    /// the same decisions and fails with the same errors. Three system calls where the walk takes six.
    private func makeLastDirectory(_ path: String, mode: mode_t) -> FD? {
        let (parent, name) = split(relative(path))
        guard !name.isEmpty, name != ".", name != "..", let dir = try? open(parent, O_PATH | O_DIRECTORY) else { return nil }
        defer { dir.close() }
        guard mkdirat(dir.raw, name, mode) == 0 else { return nil }
        let resolve = RootedPath.resolveBeneath | RootedPath.resolveNoSymlinks | RootedPath.resolveNoMagicLinks
        let flags = UInt64(UInt32(bitPattern: O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
        let fd = cs_openat2(dir.raw, name, flags, 0, resolve)
        return fd >= 0 ? FD(fd) : nil
    }

    /// Makes sure `path` exists as a file (for bind mounts of files and /dev nodes); returns an
    /// O_PATH fd of it. With `followFinal` false a symlink as the last component is refused (for
    /// targets the runtime itself names, like /dev/console: CVE-2025-52565).
    public func makeFile(_ path: String, mode: mode_t = 0o644, followFinal: Bool = true) throws -> FD {
        let rel = relative(path)
        let (parent, name) = split(rel)
        if name.isEmpty || name == "." || name == ".." { throw KernelError("\(display(path)): not a file path") }
        do {
            let fd = try open(rel, O_PATH, followFinal: followFinal)
            if !followFinal && FileKind.of(fd: fd) == .symlink {
                fd.close()
                throw KernelError("\(display(path)) in \(rootPath) is a symbolic link: refusing to use it")
            }
            return fd
        } catch let e as SysError where e.errno == ENOENT {}
        let dir = try makeDirectories(parent)
        defer { dir.close() }
        let fd = openat(dir.raw, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode)
        if fd >= 0 {
            Glibc.close(fd)
        } else if Glibc.errno != EEXIST {
            throw SysError("create", "\(display(path)) in \(rootPath)")
        }
        var made = try open(rel, O_PATH, followFinal: false)
        if followFinal && FileKind.of(fd: made) == .symlink, let link = try? readLink(at: dir, name, describe: name) {
            // A dangling symlink: the file it names is made inside the root.
            made.close()
            let to = link.hasPrefix("/") ? link : parent + "/" + link
            if cleanAbsolutePath(to) == "/" + rel { throw SysError("create", display(path), errno: ELOOP) }
            try makeFile(to, mode: mode, followFinal: false).close()
            made = try open(rel, O_PATH)
        }
        if FileKind.of(fd: made) == .symlink {
            made.close()
            throw KernelError("\(display(path)) in \(rootPath) is a dangling or swapped symbolic link: refusing to use it")
        }
        return made
    }

    /// Runs `body` with this root and closes it afterwards.
    public func withRoot<T>(_ body: (RootedPath) throws -> T) rethrows -> T {
        defer { root.close() }
        return try body(self)
    }

    /// Splits a relative path into (parent, last component).
    /// The parent is appended by hand: `joined(separator:)` is generic code the standard library
    /// does not specialise, whose metadata was ~2% of a `run`'s user CPU (the init stage's mounts).
    public func split(_ rel: String) -> (String, String) {
        let parts = rel.split(separator: "/")
        guard let last = parts.last else { return ("", "") }
        var parent = ""
        for i in 0..<(parts.count - 1) {
            if i > 0 { parent += "/" }
            parent += String(parts[i])
        }
        return (parent, String(last))
    }

    /// On the UTF-8 view: most paths have no slash to drop and come back as they are (a Substring's
    /// `hasPrefix` is generic StringProtocol code, ~2% of the init stage's user CPU).
    private func relative(_ path: String) -> String {
        let utf8 = path.utf8
        guard utf8.first == UInt8(ascii: "/") else { return path }
        let start = utf8.firstIndex { $0 != UInt8(ascii: "/") } ?? utf8.endIndex
        return String(path[start...])
    }

    private func display(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }
}

/// `cleanPath("/" + path)` without building "//..." first where `path` is absolute already (a
/// mount destination, a device path): a double slash is not clean, so the concatenation sent every
/// such path through cleanPath's copying slow path. The result is the same.
public func cleanAbsolutePath(_ path: String) -> String {
    path.utf8.first == UInt8(ascii: "/") ? cleanPath(path) : cleanPath("/" + path)
}

public enum FileKind {
    case directory, regular, symlink, other, missing

    public static func of(fd: FD) -> FileKind {
        var st = stat()
        return fstat(fd.raw, &st) == 0 ? of(mode: st.st_mode) : .missing
    }

    public static func of(path: String) -> FileKind {
        var st = stat()
        return lstat(path, &st) == 0 ? of(mode: st.st_mode) : .missing
    }

    /// stat(2) follows the last symlink: never `.symlink`.
    public static func following(path: String) -> FileKind {
        var st = stat()
        return stat(path, &st) == 0 ? of(mode: st.st_mode) : .missing
    }

    static func of(mode: mode_t) -> FileKind {
        switch mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }
}
