import Glibc
import CShim

// File-system calls the layers above make on host paths and on fds: each named for what it does,
// each throwing a SysError that carries the call, the path and the errno.

/// mkdir(2) where an existing entry counts as done: true when this call made the directory.
@discardableResult
public func makeDirectoryIfMissing(_ path: String, mode: mode_t = 0o755) throws -> Bool {
    if Glibc.mkdir(path, mode) == 0 { return true }
    let e = Glibc.errno
    if e == EEXIST { return false }
    throw SysError("mkdir", path, errno: e)
}

/// rmdir(2) where a missing directory counts as removed: true when this call removed it.
@discardableResult
public func removeDirectory(_ path: String) throws -> Bool {
    if Glibc.rmdir(path) == 0 { return true }
    let e = Glibc.errno
    if e == ENOENT { return false }
    throw SysError("rmdir", path, errno: e)
}

/// rename(2) of a host path.
public func renameFile(_ from: String, to: String) throws {
    try sys("rename", "\(from) to \(to)") { Glibc.rename(from, to) }
}

/// Makes a device node (`type` S_IFCHR, S_IFBLK or S_IFIFO) at a host path.
public func makeDeviceNode(_ path: String, type: mode_t, permissions: mode_t, major: UInt32, minor: UInt32,
                           describe: @autoclosure () -> String) throws {
    try sys("mknod", describe()) { cs_mknod(path, UInt32(type | (permissions & 0o7777)), major, minor) }
}

/// chdir(2).
public func changeDirectory(_ path: String) throws {
    try sys("chdir", path) { chdir(path) }
}

/// The working directory (getcwd(3)); nil when it cannot be named (removed, or too long).
public func currentDirectory() -> String? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    return getcwd(&buf, buf.count) != nil ? String(cString: buf) : nil
}

/// chroot(2) (`describe` names the directory for the error when `path` is relative).
public func changeRoot(_ path: String, describe: @autoclosure () -> String) throws {
    try sys("chroot", describe()) { chroot(path) }
}

/// The entry's own status (a symlink's, not its target's); nil when there is no entry.
public func entryStatus(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}

/// access(2): throws unless the caller may use `path` as `mode` asks (X_OK, W_OK | X_OK, F_OK).
public func checkAccess(_ path: String, _ mode: Int32) throws {
    try sys("access", path) { access(path, mode) }
}

/// access(2) as a yes or no.
public func isAccessible(_ path: String, _ mode: Int32) -> Bool { access(path, mode) == 0 }

/// mkfifo(3) at a host path.
public func makeFifo(_ path: String, mode: mode_t) throws {
    try sys("mkfifo", path) { mkfifo(path, mode) }
}

/// readlink(2) of a host path (a /proc/<pid>/fd entry, a symlink): its target.
public func readLink(_ path: String) throws -> String {
    try readLink(at: .atWorkingDirectory, path, describe: path)
}

/// readlinkat(2): the target of the symlink `name` in `dir`; an error names `describe`.
public func readLink(at dir: FD, _ name: String, describe: @autoclosure () -> String) throws -> String {
    // Into a buffer that is not zeroed first (PATH_MAX bytes per link read), and straight to a string.
    let target = try bytesFilled(upTo: Int(PATH_MAX)) { b in
        try b.withMemoryRebound(to: CChar.self) { c in
            guard let start = c.baseAddress else { return 0 }
            return try sys("readlink", describe()) { readlinkat(dir.raw, name, start, c.count) }
        }
    }
    return String(decoding: target, as: UTF8.self)
}

/// stat(2) of what `path` names, a symlink followed (a /proc/<pid>/ns file: the namespace's inode).
public func fileStatus(_ path: String) throws -> stat {
    var st = stat()
    try sys("stat", path) { stat(path, &st) }
    return st
}

/// The magic number statfs(2) reports for the file system holding `path` (CGROUP2_SUPER_MAGIC, ...).
public func fileSystemType(_ path: String) throws -> UInt32 {
    let fd = try FD.open(path, O_PATH)
    defer { fd.close() }
    return try fd.fileSystemType(describe: path)
}

/// Extended attributes of host paths (sys/xattr.h is not in the Glibc module: through the shim).
public enum ExtendedAttribute {
    public static func set(_ path: String, _ name: String, _ value: String) throws {
        try sys("setxattr", "\(name) on \(path)") {
            value.withCString { cs_setxattr(path, name, $0, strlen($0)) }
        }
    }

    /// `set` of `path` relative to `dir` (the kernel walks only that part), through setxattrat(2);
    /// where that call is missing (ENOSYS before Linux 6.13) or refused by a caller's seccomp
    /// filter older than it (EPERM, EACCES), through setxattr(2) of `absolute`, the same file.
    public static func set(at dir: FD, _ path: String, absolute: String, _ name: String, _ value: String) throws {
        let failure = value.withCString { v in cs_setxattrat(dir.raw, path, name, v, strlen(v)) == 0 ? 0 : errno }
        if failure == 0 { return }
        guard failure == ENOSYS || failure == EPERM || failure == EACCES else {
            throw SysError("setxattrat", "\(name) on \(absolute)", errno: failure)
        }
        try set(absolute, name, value)
    }

    /// `set` of `path` itself, a symlink not followed (lsetxattr).
    public static func set(notFollowing path: String, _ name: String, _ value: String) throws {
        try sys("lsetxattr", "\(name) on \(path)") {
            value.withCString { cs_lsetxattr(path, name, $0, strlen($0)) }
        }
    }

    /// Removes the attribute of `path` itself (lremovexattr); none there counts as removed.
    public static func remove(notFollowing path: String, _ name: String) throws {
        if cs_lremovexattr(path, name) == 0 || errno == ENODATA { return }
        throw SysError("lremovexattr", "\(name) on \(path)")
    }

    /// `value` of `path` itself, a symlink not followed (lgetxattr).
    public static func value(notFollowing path: String, _ name: String, maxBytes: Int) throws -> String? {
        try read("lgetxattr", path, name, maxBytes: maxBytes) { cs_lgetxattr(path, name, $0, $1) }
    }

    /// The attribute's value, or nil when the file has none of that name (or it cannot be read).
    public static func get(_ path: String, _ name: String, maxBytes: Int = 4096) -> String? {
        guard let text = try? value(path, name, maxBytes: maxBytes), !text.isEmpty else { return nil }
        return text
    }

    /// The attribute's value, nil when the file has none of that name (ENODATA); throws the other
    /// errors (ENOENT: the file is gone), which `get` cannot tell apart from no attribute.
    public static func value(_ path: String, _ name: String, maxBytes: Int = 4096) throws -> String? {
        try read("getxattr", path, name, maxBytes: maxBytes) { cs_getxattr(path, name, $0, $1) }
    }

    /// One attribute read by `call` (getxattr or lgetxattr) into a buffer of `maxBytes`: nil for
    /// ENODATA, the call's other errors thrown with the attribute and path named.
    private static func read(_ call: String, _ path: String, _ name: String, maxBytes: Int,
                             _ get: (UnsafeMutableRawPointer?, Int) -> Int) throws -> String? {
        var failure: Int32 = 0
        let bytes = bytesFilled(upTo: maxBytes) { buf in
            let n = get(buf.baseAddress, maxBytes)
            if n < 0 { failure = errno }
            return max(0, n)
        }
        if failure == ENODATA { return nil }
        if failure != 0 { throw SysError(call, "\(name) on \(path)", errno: failure) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension FD {
    /// One read(2) into `buffer` (its whole length): the bytes read, 0 at end of file.
    public func read(into buffer: inout [UInt8]) throws -> Int {
        try buffer.withUnsafeMutableBytes { b in try sys("read", "\(raw)") { Glibc.read(raw, b.baseAddress, b.count) } }
    }

    /// Writes the first `count` bytes of `buffer`, however many write(2) calls it takes, waiting out
    /// EAGAIN on a non-blocking fd (a relay must not drop what it read).
    public func write(_ buffer: [UInt8], count: Int) throws {
        var off = 0
        while off < count {
            do {
                off += try buffer.withUnsafeBytes { b in
                    try sys("write", "\(raw)") { Glibc.write(raw, b.baseAddress! + off, count - off) }
                }
            } catch let e as SysError where e.errno == EAGAIN {}
        }
    }

    /// AT_FDCWD: the `*at` calls on it take a relative path from the working directory, an absolute one as it is.
    public static let atWorkingDirectory = FD(AT_FDCWD)

    /// One write(2) of all of `bytes` (retried on EINTR): files such as a cgroup's devices.allow take
    /// one entry per write, so a partial write is not continued with a second one.
    public func writeOnce(_ bytes: [UInt8], describe: @autoclosure () -> String) throws {
        _ = try bytes.withUnsafeBytes { buf in
            try sys("write", describe()) { Glibc.write(raw, buf.baseAddress, buf.count) }
        }
    }

    /// flock(LOCK_EX): waits until the lock is held.
    public func lockExclusive(describe: @autoclosure () -> String) throws {
        try sys("flock", describe()) { flock(raw, LOCK_EX) }
    }

    /// flock(LOCK_EX | LOCK_NB): true once held, false while another holder has it. On an fd that
    /// holds the shared lock it converts it; the kernel drops the shared one first (not atomic), so
    /// a try that fails leaves none held.
    public func tryLockExclusive(describe: @autoclosure () -> String) throws -> Bool {
        try tryLock(LOCK_EX, describe: describe())
    }

    /// flock(LOCK_SH | LOCK_NB): true once held, false while an exclusive holder has it.
    public func tryLockShared(describe: @autoclosure () -> String) throws -> Bool {
        try tryLock(LOCK_SH, describe: describe())
    }

    private func tryLock(_ mode: Int32, describe: @autoclosure () -> String) throws -> Bool {
        while true {
            if flock(raw, mode | LOCK_NB) == 0 { return true }
            let e = Glibc.errno
            if e == EINTR { continue }
            if e == EWOULDBLOCK { return false }
            throw SysError("flock", describe(), errno: e)
        }
    }

    /// The magic number statfs(2) reports for the file system the fd is on.
    public func fileSystemType(describe: @autoclosure () -> String) throws -> UInt32 {
        var type: Int64 = 0
        try sys("statfs", describe()) { cs_statfs_type(raw, &type) }
        return UInt32(truncatingIfNeeded: type)
    }

    /// fstat(2).
    public func status(describe: @autoclosure () -> String) throws -> stat {
        var st = stat()
        try sys("fstat", describe()) { fstat(raw, &st) }
        return st
    }

    /// fchown(2) of the owner only (the group stays), tolerating what leaves the file usable as it
    /// was: an id not mapped in the user namespace (EINVAL, EPERM for the owner) and a read-only
    /// file system (EROFS), as runc tolerates them for a process's terminal and stdio.
    public func giveOwnerIfMapped(_ uid: uid_t, describe: @autoclosure () -> String) throws {
        if fchown(raw, uid, gid_t(bitPattern: -1)) == 0 { return }
        let e = Glibc.errno
        if e != EINVAL && e != EPERM && e != EROFS { throw SysError("fchown", describe(), errno: e) }
    }

    /// fstatat(2) of `name` in this directory, following a final symlink.
    public func status(of name: String, describe: @autoclosure () -> String) throws -> stat {
        var st = stat()
        try sys("stat", describe()) { fstatat(raw, name, &st, 0) }
        return st
    }

    /// mknodat(2) of `name` in this directory (`type` S_IFCHR, S_IFBLK or S_IFIFO): the same lookup
    /// as mknod through the fd's /proc/self/fd path, without the walk of that magic link.
    public func makeDeviceNode(_ name: String, type: mode_t, permissions: mode_t, major: UInt32, minor: UInt32,
                               describe: @autoclosure () -> String) throws {
        // glibc's makedev: the low 8 minor bits and 12 major bits in the low word, the rest above.
        let ma = UInt64(major), mi = UInt64(minor)
        let device = dev_t((mi & 0xff) | ((ma & 0xfff) << 8) | ((mi & ~0xff) << 12) | ((ma & ~0xfff) << 32))
        try sys("mknod", describe()) { mknodat(raw, name, type | (permissions & 0o7777), device) }
    }

    /// fchownat(2) of `name` in this directory, never following a final symlink.
    public func changeOwner(of name: String, uid: uid_t, gid: gid_t, describe: @autoclosure () -> String) throws {
        try sys("chown", describe()) { fchownat(raw, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
    }

    /// fchmodat(2) of `name` in this directory, never following a final symlink (the kernel's
    /// AT_SYMLINK_NOFOLLOW for fchmodat2, Linux 6.6; glibc's emulation before).
    public func changeMode(of name: String, _ mode: mode_t, describe: @autoclosure () -> String) throws {
        try sys("chmod", describe()) { cs_fchmodat_nofollow(raw, name, UInt32(mode)) }
    }

    /// mkdirat(2) in this directory, an existing entry counting as done: true when this call made it.
    @discardableResult
    public func makeDirectory(_ name: String, mode: mode_t = 0o755, describe: @autoclosure () -> String) throws -> Bool {
        if mkdirat(raw, name, mode) == 0 { return true }
        let e = Glibc.errno
        if e == EEXIST { return false }
        throw SysError("mkdir", describe(), errno: e)
    }

    /// symlinkat(2) in this directory, an existing entry counting as done: true when this call made it.
    @discardableResult
    public func makeSymlink(_ name: String, to target: String, describe: @autoclosure () -> String) throws -> Bool {
        if symlinkat(target, raw, name) == 0 { return true }
        let e = Glibc.errno
        if e == EEXIST { return false }
        throw SysError("symlink", describe(), errno: e)
    }

    /// unlinkat(2) of a file (not a directory) in this directory; a missing entry counts as removed.
    public func removeEntry(_ name: String) {
        _ = unlinkat(raw, name, 0)
    }
}
