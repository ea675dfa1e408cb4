import CShim
import Glibc

/// A copy of a directory's contents into another directory, for `tmpcopyup` (the new tmpfs gets
/// what the rootfs had where it is mounted). Both sides are directory fds, and every entry is
/// reached by its name from its parent's fd, never following a symlink (O_NOFOLLOW,
/// AT_SYMLINK_NOFOLLOW): the rootfs is the container's, and a symlink or a rename in it cannot lead
/// the copy out of the directory, or make it write outside the destination.
public enum TreeCopy {
    /// Directories deeper than this are refused (ELOOP): the recursion is bounded.
    public static let maxDepth = 64

    /// Copies every entry of `source` into `destination`: regular files (their bytes, holes left
    /// as holes), directories (their contents), symlinks (as symlinks), fifos and device nodes
    /// (mknod), each with its permission bits, owner and POSIX ACLs (no other extended attribute:
    /// no file capabilities); sockets are left out, and device nodes
    /// where mknod is refused. An owner this process cannot give (EINVAL: an id not mapped in its
    /// user namespace; EPERM) is left as made, without setuid and setgid; in a user namespace so is
    /// the owner stat gives for an id it does not map (the overflow id). What the mount copied
    /// from denies stays denied: its `nosuid` drops setuid and setgid, its `nodev` leaves device
    /// nodes out. Hard links within `source` stay links (one copy of the data). `describe`: the
    /// path of `source` in errors.
    public static func copyContents(of source: FD, into destination: FD, describe: String) throws {
        // In a user namespace a file of an unmapped owner stats as the overflow id, which the
        // namespace maps (its nobody, 65534): chown gives the copy that owner, and its set-user-ID
        // (ignored by the kernel on the original: the owner is not mapped) would run as it. Such an
        // owner cannot be told from a mapped nobody, so set-user-ID and set-group-ID of nobody go.
        let walk = Walk(top: destination, unmapped: Identity.inUserNamespace ? Identity.overflowIDs : nil)
        try copy(source, destination, describe, inCopy: "", walk: walk, depth: 0)
    }

    /// What the whole copy shares: its top directory, the overflow ids in a user namespace, and
    /// the files with more than one link copied so far (by device and inode: their path in the copy).
    private final class Walk {
        let top: FD
        let unmapped: (uid: uid_t, gid: gid_t)?
        var linked: [FileID: String] = [:]
        init(top: FD, unmapped: (uid: uid_t, gid: gid_t)?) {
            self.top = top
            self.unmapped = unmapped
        }
    }

    private struct FileID: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// `inCopy`: the path of `destination` below the top of the copy ("" at the top, else ending
    /// in "/"), made of directories this copy made: a later link of a file resolves it from `top`.
    private static func copy(_ source: FD, _ destination: FD, _ describe: String, inCopy: String, walk: Walk,
                             depth: Int) throws {
        guard depth < maxDepth else { throw SysError("copy", describe + ": deeper than \(maxDepth) directories", errno: ELOOP) }
        // Per directory: a subdirectory may be another mount. A file set-user-ID on a nosuid mount
        // runs without it, a device node on a nodev mount cannot be opened; on the tmpfs both would
        // work (a FUSE or user-mounted image under the rootfs gives any owner and any node).
        var mountFlags = statvfs()
        try sys("fstatvfs", describe) { fstatvfs(source.raw, &mountFlags) }
        let noSuid = mountFlags.f_flag & UInt(ST_NOSUID) != 0, noDev = mountFlags.f_flag & UInt(ST_NODEV) != 0
        for entry in try directoryEntries(source.procPath) {
            let name = entry.name
            let path = describe + "/" + name
            var st = stat()
            try sys("lstat", path) { fstatat(source.raw, name, &st, AT_SYMLINK_NOFOLLOW) }
            let type = st.st_mode & S_IFMT
            var linkAs: FileID?
            switch type {
            case S_IFDIR:
                try sys("mkdir", path) { mkdirat(destination.raw, name, 0o700) }
                let from = try FD.openAt(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                defer { from.close() }
                let to = try FD.openAt(destination, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                defer { to.close() }
                try copy(from, to, path, inCopy: inCopy + name + "/", walk: walk, depth: depth + 1)
            case S_IFREG:
                // A hard link of a file copied already is linked again, not copied: an image of a
                // file linked a thousand times would otherwise fill the tmpfs (and the host's
                // memory) a thousand times over. Where the link fails (EMLINK), a copy of its own.
                if st.st_nlink > 1 {
                    let id = FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                    if let first = walk.linked[id] {
                        if linkat(walk.top.raw, first, destination.raw, name, 0) == 0 { continue }
                    } else {
                        linkAs = id
                    }
                }
                // O_NONBLOCK: if the entry became a fifo since the lstat, the open does not wait.
                let from = try FD.openAt(source, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
                defer { from.close() }
                let opened = try from.status(describe: path)
                guard opened.st_mode & S_IFMT == S_IFREG else {
                    throw SysError("copy", path + ": replaced while being copied", errno: EAGAIN)
                }
                let to = try FD.openAt(destination, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
                defer { to.close() }
                try copyData(from, to, path, size: opened.st_size)
            case S_IFLNK:
                let target = try readLink(at: source, name, describe: path)
                try sys("symlink", path) { symlinkat(target, destination.raw, name) }
            case S_IFIFO, S_IFCHR, S_IFBLK:
                if noDev && type != S_IFIFO { continue }
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
            var mode = st.st_mode & 0o7777
            if fchownat(destination.raw, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 {
                let e = Glibc.errno
                if e != EINVAL && e != EPERM { throw SysError("chown", path, errno: e) }
                // Left as made, the file is this process's (root of a user namespace): setuid of an
                // owner the container cannot name would become setuid to the container's root.
                mode &= ~mode_t(S_ISUID | S_ISGID)
            }
            if noSuid { mode &= ~mode_t(S_ISUID | S_ISGID) }
            if let unmapped = walk.unmapped {
                if st.st_uid == unmapped.uid { mode &= ~mode_t(S_ISUID) }
                if st.st_gid == unmapped.gid { mode &= ~mode_t(S_ISGID) }
            }
            // After the owner: chown clears setuid and setgid.
            if type != S_IFLNK {
                try sys("chmod", path) { fchmodat(destination.raw, name, mode, AT_SYMLINK_NOFOLLOW) }
                try copyACLs(source, destination, name, path, isDirectory: type == S_IFDIR)
            }
            if let linkAs { walk.linked[linkAs] = inCopy + name }
        }
    }

    /// The POSIX ACLs of `name` (its access ACL; a directory's default ACL too), after its mode:
    /// the mode's group bits are an ACL's mask, wider than its owning group's entry, so a copy
    /// without the ACL would give that group what the ACL denied (crun copies them, runc drops
    /// them). No other extended attribute is copied, as runc: `security.capability` (file
    /// capabilities, a privilege as set-user-ID is), labels, `trusted.*`. One the tmpfs refuses
    /// fails the copy, naming the file. Read through the parent's fd without following `name`.
    /// In a user namespace a named entry for an id it does not map reads as id -1, which no setxattr
    /// takes (EINVAL): such entries are left out, as they granted nothing inside the namespace.
    private static func copyACLs(_ source: FD, _ destination: FD, _ name: String, _ path: String, isDirectory: Bool) throws {
        for attribute in isDirectory ? ["system.posix_acl_access", "system.posix_acl_default"] : ["system.posix_acl_access"] {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = cs_lgetxattr(source.procPath + "/" + name, attribute, &buffer, buffer.count)
            if n < 0 {
                let e = Glibc.errno
                if e == ENODATA || e == EOPNOTSUPP { continue }
                throw SysError("getxattr", "\(attribute) of \(path)", errno: e)
            }
            let acl = withoutUnmappedEntries(Array(buffer[..<n]))
            try sys("setxattr", "\(attribute) of \(path) in the copy") {
                cs_lsetxattr(destination.procPath + "/" + name, attribute, acl, acl.count)
            }
        }
    }

    /// An ACL in its xattr form (a 4-byte version, then 8-byte entries: tag, permissions, id, all
    /// little-endian) without its named-user and named-group entries of id -1 (unmapped). Fewer
    /// named entries only narrow what it grants; the mask stays valid without them.
    static func withoutUnmappedEntries(_ acl: [UInt8]) -> [UInt8] {
        guard acl.count >= 4, (acl.count - 4) % 8 == 0 else { return acl }
        var kept = Array(acl[..<4])
        var offset = 4
        while offset < acl.count {
            let entry = acl[offset..<offset + 8]
            let tag = UInt16(entry[offset]) | UInt16(entry[offset + 1]) << 8
            let id = (0..<4).reduce(UInt32(0)) { $0 | UInt32(entry[offset + 4 + $1]) << (8 * UInt32($1)) }
            let namedUser: UInt16 = 0x02, namedGroup: UInt16 = 0x08
            if !((tag == namedUser || tag == namedGroup) && id == UInt32.max) { kept += entry }
            offset += 8
        }
        return kept
    }

    /// The bytes of a regular file, its data regions only (SEEK_DATA/SEEK_HOLE): a sparse file of a
    /// terabyte in the rootfs, a few blocks on disk, stays a few blocks in the tmpfs instead of
    /// filling the host's memory (or the tmpfs's size) with zeros. Files on a filesystem without
    /// SEEK_DATA (EINVAL) are copied whole. `size`: the length fstat gave when it was opened.
    private static func copyData(_ from: FD, _ to: FD, _ path: String, size: off_t) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while offset < size {
            var start = lseek(from.raw, offset, SEEK_DATA)
            if start < 0 {
                let e = Glibc.errno
                if e == ENXIO { break }  // only a hole up to the end
                guard e == EINVAL else { throw SysError("lseek", path, errno: e) }
                start = offset
            }
            var end = lseek(from.raw, start, SEEK_HOLE)
            if end < 0 { end = size }
            end = min(end, size)
            var at = start
            while at < end {
                let want = Int(min(off_t(buffer.count), end - at))
                let n = try buffer.withUnsafeMutableBytes { b in
                    try sys("read", path) { pread(from.raw, b.baseAddress, want, at) }
                }
                if n == 0 { break }  // shortened meanwhile: the rest stays a hole
                var done = 0
                while done < n {
                    let w = try buffer.withUnsafeBytes { b in
                        try sys("write", path) { pwrite(to.raw, b.baseAddress! + done, n - done, at + off_t(done)) }
                    }
                    done += w
                }
                at += off_t(n)
            }
            offset = max(end, at)
        }
        try sys("ftruncate", path) { ftruncate(to.raw, size) }
    }
}
