import Glibc
import CShim

/// mount(2) flags, as the kernel numbers them.
public struct MountFlags: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let readOnly = MountFlags(rawValue: 1)
    public static let noSuid = MountFlags(rawValue: 2)
    public static let noDev = MountFlags(rawValue: 4)
    public static let noExec = MountFlags(rawValue: 8)
    public static let synchronous = MountFlags(rawValue: 16)
    public static let remount = MountFlags(rawValue: 32)
    public static let mandLock = MountFlags(rawValue: 64)
    public static let dirSync = MountFlags(rawValue: 128)
    public static let noSymFollow = MountFlags(rawValue: 256)
    public static let noAtime = MountFlags(rawValue: 1024)
    public static let noDirAtime = MountFlags(rawValue: 2048)
    public static let bind = MountFlags(rawValue: 4096)
    public static let move = MountFlags(rawValue: 8192)
    public static let recursive = MountFlags(rawValue: 16384)
    public static let silent = MountFlags(rawValue: 32768)
    public static let unbindable = MountFlags(rawValue: 1 << 17)
    public static let `private` = MountFlags(rawValue: 1 << 18)
    public static let slave = MountFlags(rawValue: 1 << 19)
    public static let shared = MountFlags(rawValue: 1 << 20)
    public static let relatime = MountFlags(rawValue: 1 << 21)
    public static let iVersion = MountFlags(rawValue: 1 << 23)
    public static let strictAtime = MountFlags(rawValue: 1 << 24)
    public static let lazyTime = MountFlags(rawValue: 1 << 25)

    public static let propagation: MountFlags = [.unbindable, .private, .slave, .shared]
}

/// mount_setattr(2) attributes (MOUNT_ATTR_*, linux/mount.h): the per-mount flags of the new mount API.
public struct MountAttributes: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let readOnly = MountAttributes(rawValue: UInt64(MOUNT_ATTR_RDONLY))
    public static let noSuid = MountAttributes(rawValue: UInt64(MOUNT_ATTR_NOSUID))
    public static let noDev = MountAttributes(rawValue: UInt64(MOUNT_ATTR_NODEV))
    public static let noExec = MountAttributes(rawValue: UInt64(MOUNT_ATTR_NOEXEC))
    /// The access-time mode is a value in these bits, not a set of flags: setting one mode means
    /// clearing the whole mask too. `relatime` is the value 0.
    public static let atimeMask = MountAttributes(rawValue: UInt64(MOUNT_ATTR__ATIME))
    public static let relatime = MountAttributes(rawValue: UInt64(MOUNT_ATTR_RELATIME))
    public static let noAtime = MountAttributes(rawValue: UInt64(MOUNT_ATTR_NOATIME))
    public static let strictAtime = MountAttributes(rawValue: UInt64(MOUNT_ATTR_STRICTATIME))
    public static let noDirAtime = MountAttributes(rawValue: UInt64(MOUNT_ATTR_NODIRATIME))
    public static let idmap = MountAttributes(rawValue: UInt64(MOUNT_ATTR_IDMAP))
    public static let noSymFollow = MountAttributes(rawValue: UInt64(MOUNT_ATTR_NOSYMFOLLOW))
}

public enum Mount {
    public static func mount(source: String?, target: String, type: String?, flags: MountFlags,
                             data: String? = nil, describe: @autoclosure () -> String? = nil) throws {
        // Named only on failure: most callers interpolate (`bind /x on /y`, `proc on /proc`).
        try sys("mount", describe() ?? "\(type ?? source ?? "none") on \(target)") {
            withOptionalCString(source) { src in
                withOptionalCString(type) { fstype in
                    withOptionalCString(data) { d in
                        Glibc.mount(src, target, fstype, flags.rawValue, d.map { UnsafeRawPointer($0) })
                    }
                }
            }
        }
    }

    /// Changes propagation of one mount point (`recursive` for the whole tree under it).
    public static func setPropagation(_ target: String, _ propagation: MountFlags, recursive: Bool,
                                      describe: @autoclosure () -> String? = nil) throws {
        var flags = propagation
        if recursive { flags.insert(.recursive) }
        try mount(source: nil, target: target, type: nil, flags: flags,
                  describe: "\(describe() ?? target) propagation")
    }

    /// The per-mount flags a path's mount has now, so that a remount can keep the ones the kernel
    /// would refuse to clear (locked flags in a user namespace).
    public static func currentFlags(_ path: String) throws -> MountFlags {
        var f: UInt64 = 0
        try sys("statvfs", path) { cs_statvfs_flags(path, &f) }
        // statvfs ST_* values equal the MS_* values for these flags.
        var flags = MountFlags(rawValue: UInt(f)).intersection([.readOnly, .noSuid, .noDev, .noExec,
                                                                  .noAtime, .noDirAtime, .relatime,
                                                                  .noSymFollow])
        _ = flags.remove(.readOnly)
        return flags
    }

    public static func unmount(_ target: String, detach: Bool = false) throws {
        try sys("umount", target) { Glibc.umount2(target, detach ? Int32(MNT_DETACH) : 0) }
    }

    public static func pivotRoot(newRoot: String, putOld: String) throws {
        try sys("pivot_root", newRoot) { cs_pivot_root(newRoot, putOld) }
    }
}

@inline(__always)
func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}
