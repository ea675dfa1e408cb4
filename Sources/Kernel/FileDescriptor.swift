import Glibc
import CShim

/// An owned file descriptor number. Not closed automatically: the init stage hands some of them to the
/// container, so every close is explicit.
public struct FD: Hashable, CustomStringConvertible {
    public let raw: Int32
    public init(_ raw: Int32) { self.raw = raw }

    public var description: String { "fd \(raw)" }
    /// The path through which the kernel lets us name this fd's file (`mount` onto it, re-open it).
    public var procPath: String { "/proc/self/fd/\(raw)" }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> FD {
        FD(try sys("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) })
    }

    public static func openAt(_ dir: FD, _ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> FD {
        FD(try sys("openat", path) { Glibc.openat(dir.raw, path, flags | O_CLOEXEC, mode) })
    }

    public func close() { _ = Glibc.close(raw) }

    public func setCloexec(_ on: Bool) throws {
        try sys("fcntl F_SETFD", "\(raw)") { cs_set_cloexec(raw, on ? 1 : 0) }
    }

    public func dup(to target: Int32, cloexec: Bool = false) throws {
        if target == raw {
            try setCloexec(cloexec)
            return
        }
        try sys("dup3", "\(raw) to \(target)") { cs_dup3(raw, target, cloexec ? O_CLOEXEC : 0) }
    }

    /// Moves this fd to the lowest free number at or above `minimum` (keeps it clear of fds the
    /// container must receive, like 0-2 and the preserved ones).
    public func moved(above minimum: Int32) throws -> FD {
        let n = try sys("fcntl F_DUPFD_CLOEXEC", "\(raw)") { cs_fcntl_int(raw, F_DUPFD_CLOEXEC, minimum) }
        close()
        return FD(n)
    }

    public func write(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = try bytes.withUnsafeBytes { buf in
                try sys("write", "\(raw)") { Glibc.write(raw, buf.baseAddress! + off, bytes.count - off) }
            }
            off += n
        }
    }

    public func write(_ string: String) throws { try write(Array(string.utf8)) }

    /// `write`, the error naming `path` instead of the fd number ("write 5: Invalid argument" said nothing).
    public func write(_ string: String, naming path: String) throws {
        do { try write(string) } catch let e as SysError { throw SysError(e.call, path, errno: e.errno) }
    }

    /// Reads up to `max` bytes; an empty result means end of file. The buffer is not zero-filled
    /// first: only the pages the kernel writes get touched (after a fork, each touched page is a
    /// copy charged to the container's memory cgroup).
    public func read(max: Int) throws -> [UInt8] {
        try bytesFilled(upTo: max) { buf in try sys("read", "\(raw)") { Glibc.read(raw, buf.baseAddress, max) } }
    }

    /// Reads exactly `count` bytes, or fewer only at end of file.
    public func read(exactly count: Int) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            let chunk = try read(max: count - out.count)
            if chunk.isEmpty { break }
            out += chunk
        }
        return out
    }

    /// Reads to end of file, in chunks that double from 4 KB (most files read here are /proc and
    /// cgroup files of a few bytes).
    public func readAll() throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = 4096
        while true {
            let bytes = try read(max: chunk)
            if bytes.isEmpty { return out }
            if out.isEmpty { out = bytes } else { out += bytes }
            chunk = min(chunk * 2, 1 << 20)
        }
    }

    /// Reads a whole file that comes in one piece: a regular file, or a kernel file that one show
    /// makes (/proc/PID/stat, a cgroup control file of a value or a few keys). A read that returns
    /// less than asked is the end there, so such a file takes one read where `readAll` takes two
    /// (the second to see 0: 4 of the ~22 system calls per container of `list`). A read that fills
    /// the buffer goes on to the end as `readAll` does. Not for pipes, sockets, or kernel files of
    /// many records (cgroup.procs, mountinfo): a read there can end short with more to come.
    public func readWhole(firstRead: Int = 4096) throws -> [UInt8] {
        let first = try read(max: firstRead)
        if first.count < firstRead { return first }
        var rest = try readAll()
        if rest.isEmpty { return first }
        rest.insert(contentsOf: first, at: 0)
        return rest
    }
}

public enum Pipe {
    /// A pipe whose both ends are close-on-exec.
    public static func make() throws -> (read: FD, write: FD) {
        var fds: [Int32] = [0, 0]
        try sys("pipe2") { cs_pipe2(&fds, O_CLOEXEC) }
        return (FD(fds[0]), FD(fds[1]))
    }

    /// A connected pair of unix stream sockets, both close-on-exec.
    public static func socketPair() throws -> (FD, FD) {
        var fds: [Int32] = [0, 0]
        try sys("socketpair") { cs_socketpair_stream(&fds) }
        return (FD(fds[0]), FD(fds[1]))
    }
}

// MARK: - Whole-file helpers (host paths)

public func readFile(path: String) throws -> [UInt8] {
    let fd = try FD.open(path, O_RDONLY)
    defer { fd.close() }
    return try fd.readAll()
}

public func readTextFile(path: String) throws -> String {
    String(decoding: try readFile(path: path), as: UTF8.self)
}

/// A regular file or a kernel file made in one piece, read in one read where it fits (FD.readWhole).
/// The bytes `fill` writes into a buffer of `max` (it returns how many), as an array of that many.
/// Not `[UInt8](unsafeUninitializedCapacity:)`, whose allocation is unspecialised standard-library code
/// that finds the array's metadata by hashing on every call (~1% of a `run`'s user CPU over its reads).
/// The buffer is not zero-filled: only the pages `fill` writes are touched.
@inlinable
public func bytesFilled(upTo max: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Int) rethrows -> [UInt8] {
    try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(max, 1)) { buf in
        let n = try fill(UnsafeMutableBufferPointer(rebasing: buf[..<max]))
        return Array(UnsafeBufferPointer(rebasing: buf[..<n]))
    }
}

public func readWholeFile(path: String) throws -> [UInt8] {
    let fd = try FD.open(path, O_RDONLY)
    defer { fd.close() }
    return try fd.readWhole()
}

public func writeFile(path: String, _ contents: String, flags: Int32 = O_WRONLY | O_CREAT | O_TRUNC,
                      mode: mode_t = 0o644) throws {
    let fd = try FD.open(path, flags, mode: mode)
    defer { fd.close() }
    try fd.write(contents, naming: path)
}

/// Writes a file by writing a temporary beside it and renaming: readers see the old or the new
/// contents, never half of either. Pid files and checkpoint files go to directories the caller
/// names, which others may write to (/tmp): the temporary gets an unpredictable name and is made with
/// O_EXCL|O_NOFOLLOW (a planted file or symlink is never followed nor truncated), and both the
/// temporary and the rename go through one fd of the directory. The rename replaces a symlink at
/// `path` itself, never its target.
public func writeFileAtomically(path: String, _ contents: String, mode: mode_t = 0o600) throws {
    let (dirPath, name) = splitDirectory(path)
    guard !name.isEmpty, name != ".", name != ".." else { throw SysError("rename", path, errno: EISDIR) }
    let dir = try FD.open(dirPath, O_PATH | O_DIRECTORY)
    defer { dir.close() }
    // A name of up to NAME_MAX bytes leaves no room for the suffix: the temporary's name is cut.
    let stem = name.utf8.count > 200 ? String(decoding: Array(name.utf8.prefix(200)), as: UTF8.self) : name
    var attempt = 0
    while true {
        let tmp = "." + stem + "." + unpredictableSuffix() + ".tmp"
        let fd: FD
        do {
            fd = try FD.openAt(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
        } catch let e as SysError where e.errno == EEXIST && attempt < 8 {
            attempt += 1
            continue
        }
        do {
            defer { fd.close() }
            try fd.write(contents)
        } catch {
            _ = unlinkat(dir.raw, tmp, 0)
            throw error
        }
        if renameat(dir.raw, tmp, dir.raw, name) != 0 {
            let e = SysError("rename", "\(dirPath)/\(tmp) to \(path)")
            _ = unlinkat(dir.raw, tmp, 0)
            throw e
        }
        return
    }
}

/// The directory part ("." for a bare name, "/" for a name under the root) and the last component.
func splitDirectory(_ path: String) -> (String, String) {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
    let dir = trimmed[..<slash]
    return (dir.isEmpty ? "/" : String(dir), String(trimmed[trimmed.index(after: slash)...]))
}

/// 16 hex digits from getrandom(2) (falling back to the clock and pid where it fails): a name
/// another user cannot plant a file or symlink at in advance.
func unpredictableSuffix() -> String {
    var value: UInt64 = 0
    let got = withUnsafeMutableBytes(of: &value) { cs_getrandom_nonblock($0.baseAddress, 8) }
    if got != 8 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        value = UInt64(bitPattern: Int64(ts.tv_nsec) ^ (Int64(ts.tv_sec) << 30)) ^ UInt64(getpid()) << 40
    }
    // By hand: String(_:radix:) is generic code the standard library does not specialise, whose first
    // call in a process looks up metadata by name.
    let digits = Array("0123456789abcdef".utf8)
    let hex = (0..<16).map { digits[Int(truncatingIfNeeded: value >> (60 - 4 * UInt64($0))) & 0xf] }
    return String(decoding: hex, as: UTF8.self)
}

public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

public func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

public func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
    try sys("mkdir", path) { Glibc.mkdir(path, mode) }
}

/// `mkdir -p` for host paths the runtime owns (its state root).
public func makeDirectories(_ path: String, mode: mode_t = 0o711) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if Glibc.mkdir(current, mode) != 0 && Glibc.errno != EEXIST {
            throw SysError("mkdir", current)
        }
    }
}

public func removeFile(_ path: String) throws {
    try sys("unlink", path) { Glibc.unlink(path) }
}

/// `rm -r` for the runtime's own state directories; never crosses into another filesystem and
/// never follows a symbolic link: a link at `path` (or anywhere below it) goes itself, its target
/// is never touched. Every entry is reached from its directory's fd, so a rename meanwhile cannot
/// lead the removal elsewhere.
public func removeTree(_ path: String) throws {
    var st = stat()
    if lstat(path, &st) != 0 {
        if Glibc.errno == ENOENT { return }
        throw SysError("lstat", path)
    }
    guard st.st_mode & S_IFMT == S_IFDIR else {
        if Glibc.unlink(path) != 0 && Glibc.errno != ENOENT { throw SysError("unlink", path) }
        return
    }
    let dir = try FD.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
    defer { dir.close() }
    try removeContents(dir, path, device: st.st_dev)
    if Glibc.rmdir(path) != 0 && Glibc.errno != ENOENT { throw SysError("rmdir", path) }
}

private func removeContents(_ dir: FD, _ path: String, device: dev_t) throws {
    for entry in try directoryEntries(dir.procPath) {
        let child = path + "/" + entry.name
        var st = stat()
        if fstatat(dir.raw, entry.name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
            if Glibc.errno == ENOENT { continue }
            throw SysError("lstat", child)
        }
        if st.st_mode & S_IFMT == S_IFDIR && st.st_dev == device {
            let sub = try FD.openAt(dir, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            defer { sub.close() }
            try removeContents(sub, child, device: device)
        }
        let flags = st.st_mode & S_IFMT == S_IFDIR ? AT_REMOVEDIR : 0
        if unlinkat(dir.raw, entry.name, flags) != 0 && Glibc.errno != ENOENT { throw SysError("unlink", child) }
    }
}

public func listDirectory(_ path: String) throws -> [String] {
    try directoryEntries(path).map(\.name)
}

/// One entry of a directory listing: its name and the type readdir(3) reports (DT_DIR, DT_REG, ...;
/// DT_UNKNOWN where the file system does not say).
public struct DirectoryEntry {
    public let name: String
    public let type: UInt8
}

/// The entries of a directory but `.` and `..`: the one readdir loop.
public func directoryEntries(_ path: String) throws -> [DirectoryEntry] {
    guard let dir = opendir(path) else { throw SysError("opendir", path) }
    defer { closedir(dir) }
    var entries: [DirectoryEntry] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { entries.append(DirectoryEntry(name: name, type: entry.pointee.d_type)) }
    }
    return entries
}

/// The subdirectories of `path`, told apart by the entry type readdir reports (no stat per entry:
/// cgroup directories hold dozens of files and are walked on every delete); only the entries that
/// may be directories get a String of their name.
public func listSubdirectories(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw SysError("opendir", path) }
    defer { closedir(dir) }
    var out: [String] = []
    while let entry = readdir(dir) {
        let type = entry.pointee.d_type
        guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) else { continue }
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name == "." || name == ".." { continue }
        if type == UInt8(DT_DIR) || isDirectory(path + "/" + name) { out.append(name) }
    }
    return out
}

/// Makes a path absolute against the current directory, folding `.` and `..` lexically.
public func absolutePath(_ path: String) -> String {
    var base = path
    if !path.hasPrefix("/") {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let cwd = getcwd(&buf, buf.count).map { String(cString: $0) } ?? "/"
        base = cwd + "/" + path
    }
    return cleanPath(base)
}

/// Lexical clean-up of an absolute or relative path: no `.`, no `..` above the start, no double slashes.
public func cleanPath(_ path: String) -> String {
    // Most paths are clean already: a look at their bytes in place, and the string comes back as it is.
    let clean = path.utf8.withContiguousStorageIfAvailable(isCleanPath) ?? false
    return clean ? path : cleanedPath(path)
}

/// Whether cleanPath would give `path` back unchanged: no empty, `.` or `..` component (a double or
/// trailing slash makes an empty one), "/" and "" aside.
func isCleanPath(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
    let n = b.count
    if n == 0 || (n == 1 && b[0] == slash) { return true }
    var i = b[0] == slash ? 1 : 0
    while true {
        var end = i
        while end < n, b[end] != slash { end += 1 }
        let length = end - i
        if length == 0 || (b[i] == dot && (length == 1 || (length == 2 && b[i + 1] == dot))) { return false }
        if end == n { return true }
        i = end + 1
    }
}

/// cleanPath's work: components copied over a copy of the bytes.
func cleanedPath(_ path: String) -> String {
    // On the bytes: every create cleans a dozen paths, and splitting into Substrings and joining them
    // (generic code, not specialised for Substring) was ~3% of `run`'s user-space CPU.
    var utf8 = Array(path.utf8)
    let absolute = utf8.first == UInt8(ascii: "/")
    // Components are copied left to right over the same buffer; `starts` remembers where each kept
    // one begins in the output, so that `..` can drop the last.
    var out = 0
    var starts: [Int] = []
    var i = 0
    let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
    while i < utf8.count {
        if utf8[i] == slash { i += 1; continue }
        var end = i
        while end < utf8.count, utf8[end] != slash { end += 1 }
        let length = end - i
        if length == 1 && utf8[i] == dot {
            // `.`: nothing
        } else if length == 2 && utf8[i] == dot && utf8[i + 1] == dot {
            if let last = starts.popLast() { out = last }
        } else {
            let start = out
            if !starts.isEmpty || absolute { utf8[out] = slash; out += 1 }
            for k in i..<end { utf8[out] = utf8[k]; out += 1 }
            starts.append(start)
        }
        i = end
    }
    if out == 0 { return absolute ? "/" : "" }
    return String(decoding: utf8[..<out], as: UTF8.self)
}
