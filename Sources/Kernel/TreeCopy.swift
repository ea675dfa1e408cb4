import Glibc

/// A copy of a directory's contents into another directory, for `tmpcopyup` (the new tmpfs gets
/// what the rootfs had where it is mounted). Both sides are directory fds, and every entry is
/// reached by its name from its parent's fd, never following a symlink (O_NOFOLLOW,
/// AT_SYMLINK_NOFOLLOW): the rootfs is the container's, and a symlink or a rename in it cannot lead
/// the copy out of the directory, or make it write outside the destination.
public enum TreeCopy {
    /// Directories deeper than this are refused (ELOOP): the recursion is bounded.
    public static let maxDepth = 64

    /// Copies every entry of `source` into `destination`: regular files (their bytes), directories
    /// (their contents), symlinks (as symlinks), fifos and device nodes (mknod), each with its
    /// permission bits and owner; sockets are left out, and device nodes where mknod is refused. An owner this process cannot give (EINVAL:
    /// an id not mapped in its user namespace; EPERM) is left as made. `describe`: the path of
    /// `source` in errors.
    public static func copyContents(of source: FD, into destination: FD, describe: String) throws {
        try copy(source, destination, describe, depth: 0)
    }

    private static func copy(_ source: FD, _ destination: FD, _ describe: String, depth: Int) throws {
        guard depth < maxDepth else { throw SysError("copy", describe + ": deeper than \(maxDepth) directories", errno: ELOOP) }
        for entry in try directoryEntries(source.procPath) {
            let name = entry.name
            let path = describe + "/" + name
            var st = stat()
            try sys("lstat", path) { fstatat(source.raw, name, &st, AT_SYMLINK_NOFOLLOW) }
            let type = st.st_mode & S_IFMT
            switch type {
            case S_IFDIR:
                try sys("mkdir", path) { mkdirat(destination.raw, name, 0o700) }
                let from = try FD.openAt(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                defer { from.close() }
                let to = try FD.openAt(destination, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                defer { to.close() }
                try copy(from, to, path, depth: depth + 1)
            case S_IFREG:
                // O_NONBLOCK: if the entry became a fifo since the lstat, the open does not wait.
                let from = try FD.openAt(source, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
                defer { from.close() }
                guard try from.status(describe: path).st_mode & S_IFMT == S_IFREG else {
                    throw SysError("copy", path + ": replaced while being copied", errno: EAGAIN)
                }
                let to = try FD.openAt(destination, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
                defer { to.close() }
                while true {
                    let chunk = try from.read(max: 1 << 16)
                    if chunk.isEmpty { break }
                    try to.write(chunk)
                }
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = try sys("readlink", path) { readlinkat(source.raw, name, &buffer, buffer.count - 1) }
                let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try sys("symlink", path) { symlinkat(target, destination.raw, name) }
            case S_IFIFO, S_IFCHR, S_IFBLK:
                if mknodat(destination.raw, name, type | 0o600, st.st_rdev) != 0 {
                    let e = Glibc.errno
                    // A user namespace may not make device nodes: those are left out there, as
                    // the ones of linux.devices are bound instead.
                    if e == EPERM && type != S_IFIFO { continue }
                    throw SysError("mknod", path, errno: e)
                }
            default:
                continue
            }
            if fchownat(destination.raw, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 {
                let e = Glibc.errno
                if e != EINVAL && e != EPERM { throw SysError("chown", path, errno: e) }
            }
            // After the owner: chown clears setuid and setgid.
            if type != S_IFLNK {
                try sys("chmod", path) { fchmodat(destination.raw, name, st.st_mode & 0o7777, AT_SYMLINK_NOFOLLOW) }
            }
        }
    }
}
