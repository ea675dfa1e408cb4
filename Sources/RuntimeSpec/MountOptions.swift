// Parsing of fstab-style mount options (`mounts[].options`), with runc's table.

/// mount(2) MS_* flag values (linux/mount.h).
public enum MS {
    public static let RDONLY: UInt64 = 1
    public static let NOSUID: UInt64 = 2
    public static let NODEV: UInt64 = 4
    public static let NOEXEC: UInt64 = 8
    public static let SYNCHRONOUS: UInt64 = 16
    public static let REMOUNT: UInt64 = 32
    public static let MANDLOCK: UInt64 = 64
    public static let DIRSYNC: UInt64 = 128
    public static let NOSYMFOLLOW: UInt64 = 256
    public static let NOATIME: UInt64 = 1024
    public static let NODIRATIME: UInt64 = 2048
    public static let BIND: UInt64 = 4096
    public static let MOVE: UInt64 = 8192
    public static let REC: UInt64 = 16384
    public static let SILENT: UInt64 = 32768
    public static let POSIXACL: UInt64 = 1 << 16
    public static let UNBINDABLE: UInt64 = 1 << 17
    public static let PRIVATE: UInt64 = 1 << 18
    public static let SLAVE: UInt64 = 1 << 19
    public static let SHARED: UInt64 = 1 << 20
    public static let RELATIME: UInt64 = 1 << 21
    public static let I_VERSION: UInt64 = 1 << 23
    public static let STRICTATIME: UInt64 = 1 << 24
    public static let LAZYTIME: UInt64 = 1 << 25
}

/// mount_setattr(2) MOUNT_ATTR_* values (linux/mount.h).
public enum MountAttr {
    public static let RDONLY: UInt64 = 0x0000_0001
    public static let NOSUID: UInt64 = 0x0000_0002
    public static let NODEV: UInt64 = 0x0000_0004
    public static let NOEXEC: UInt64 = 0x0000_0008
    /// Mask of the access-time setting (an enum, not a set of bits).
    public static let ATIME_MASK: UInt64 = 0x0000_0070
    public static let RELATIME: UInt64 = 0x0000_0000
    public static let NOATIME: UInt64 = 0x0000_0010
    public static let STRICTATIME: UInt64 = 0x0000_0020
    public static let NODIRATIME: UInt64 = 0x0000_0080
    public static let IDMAP: UInt64 = 0x0010_0000
    public static let NOSYMFOLLOW: UInt64 = 0x0020_0000
}

/// The meaning of a list of mount options, as runc reads it.
///
/// Known flag options set or clear MS_* bits (last one wins); propagation
/// options are collected in order; `r*` attribute options (e.g. `rro`,
/// `rnosuid`) become mount_setattr(2) bits applied recursively; `bind`,
/// `rbind`, `idmap`, `ridmap` and `tmpcopyup` are reported as booleans;
/// everything else is filesystem data, kept in order for the caller to join
/// with ",". Unlike runc, `defaults` is a no-op rather than data.
public struct MountOptions: Equatable, Sendable {
    /// MS_* bits to pass to mount(2) (includes MS_BIND and MS_REC for `rbind`).
    public var flags: UInt64 = 0
    /// MS_* bits explicitly cleared by an option such as `rw`, `suid`, `dev`, `exec`, `atime`.
    public var clearFlags: UInt64 = 0
    /// Propagation changes in order: MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, with MS_REC for r* forms.
    public var propagation: [UInt64] = []
    /// MOUNT_ATTR_* bits to set recursively (mount_setattr attr_set).
    public var recursiveAttrSet: UInt64 = 0
    /// MOUNT_ATTR_* bits to clear recursively (mount_setattr attr_clr); includes the atime mask when an atime mode is set.
    public var recursiveAttrClear: UInt64 = 0
    /// `bind` or `rbind` was given.
    public var bind: Bool = false
    /// `rbind` was given.
    public var recursiveBind: Bool = false
    /// `idmap` or `ridmap` was given.
    public var idmap: Bool = false
    /// `ridmap` was given.
    public var recursiveIdmap: Bool = false
    /// `tmpcopyup` was given (copy the underlying directory into a new tmpfs).
    public var tmpcopyup: Bool = false
    /// Unknown options, passed to the filesystem as data (join with ",").
    public var data: [String] = []

    public init() {}

    /// Whether any recursive mount attribute was requested.
    public var hasRecursiveAttributes: Bool { recursiveAttrSet != 0 || recursiveAttrClear != 0 }

    /// The filesystem data string ("" if none).
    public var dataString: String { data.joined(separator: ",") }

    /// Parses `options` in order.
    public static func parse(_ options: [String]) -> MountOptions {
        var m = MountOptions()
        for o in options {
            if let (clear, flag) = flagTable[o] {
                if clear {
                    m.flags &= ~flag
                    m.clearFlags |= flag
                } else {
                    m.flags |= flag
                    m.clearFlags &= ~flag
                }
                if o == "bind" { m.bind = true }
                if o == "rbind" { m.bind = true; m.recursiveBind = true }
            } else if o == "defaults" {
                continue
            } else if let p = propagationTable[o] {
                m.propagation.append(p)
            } else if let (clear, attr) = recursiveAttrTable[o] {
                if clear {
                    m.recursiveAttrClear |= attr
                    m.recursiveAttrSet &= ~attr
                } else {
                    m.recursiveAttrSet |= attr
                    m.recursiveAttrClear &= ~attr
                    if attr & MountAttr.ATIME_MASK == attr {
                        // mount_setattr(2): an access-time mode is set by also clearing the whole mask.
                        m.recursiveAttrClear |= MountAttr.ATIME_MASK
                    }
                }
            } else if o == "tmpcopyup" {
                m.tmpcopyup = true
            } else if o == "idmap" {
                m.idmap = true
            } else if o == "ridmap" {
                m.idmap = true
                m.recursiveIdmap = true
            } else {
                m.data.append(o)
            }
        }
        return m
    }

    /// The (clear, MS_* bits) meaning of each flag option.
    public static let flagTable: [String: (Bool, UInt64)] = [
        "async": (true, MS.SYNCHRONOUS),
        "atime": (true, MS.NOATIME),
        "bind": (false, MS.BIND),
        "dev": (true, MS.NODEV),
        "diratime": (true, MS.NODIRATIME),
        "dirsync": (false, MS.DIRSYNC),
        "exec": (true, MS.NOEXEC),
        "iversion": (false, MS.I_VERSION),
        "lazytime": (false, MS.LAZYTIME),
        "loud": (true, MS.SILENT),
        "mand": (false, MS.MANDLOCK),
        "noatime": (false, MS.NOATIME),
        "nodev": (false, MS.NODEV),
        "nodiratime": (false, MS.NODIRATIME),
        "noexec": (false, MS.NOEXEC),
        "noiversion": (true, MS.I_VERSION),
        "nolazytime": (true, MS.LAZYTIME),
        "nomand": (true, MS.MANDLOCK),
        "norelatime": (true, MS.RELATIME),
        "nostrictatime": (true, MS.STRICTATIME),
        "nosuid": (false, MS.NOSUID),
        "nosymfollow": (false, MS.NOSYMFOLLOW),
        "rbind": (false, MS.BIND | MS.REC),
        "relatime": (false, MS.RELATIME),
        "remount": (false, MS.REMOUNT),
        "ro": (false, MS.RDONLY),
        "rw": (true, MS.RDONLY),
        "silent": (false, MS.SILENT),
        "strictatime": (false, MS.STRICTATIME),
        "suid": (true, MS.NOSUID),
        "symfollow": (true, MS.NOSYMFOLLOW),
        "sync": (false, MS.SYNCHRONOUS),
    ]

    /// Propagation options and their MS_* bits.
    public static let propagationTable: [String: UInt64] = [
        "private": MS.PRIVATE, "rprivate": MS.PRIVATE | MS.REC,
        "shared": MS.SHARED, "rshared": MS.SHARED | MS.REC,
        "slave": MS.SLAVE, "rslave": MS.SLAVE | MS.REC,
        "unbindable": MS.UNBINDABLE, "runbindable": MS.UNBINDABLE | MS.REC,
    ]

    /// Recursive attribute options: (clear, MOUNT_ATTR_* bits).
    public static let recursiveAttrTable: [String: (Bool, UInt64)] = [
        "rro": (false, MountAttr.RDONLY), "rrw": (true, MountAttr.RDONLY),
        "rnosuid": (false, MountAttr.NOSUID), "rsuid": (true, MountAttr.NOSUID),
        "rnodev": (false, MountAttr.NODEV), "rdev": (true, MountAttr.NODEV),
        "rnoexec": (false, MountAttr.NOEXEC), "rexec": (true, MountAttr.NOEXEC),
        "rnodiratime": (false, MountAttr.NODIRATIME), "rdiratime": (true, MountAttr.NODIRATIME),
        "rrelatime": (false, MountAttr.RELATIME), "rnorelatime": (true, MountAttr.RELATIME),
        "rnoatime": (false, MountAttr.NOATIME), "ratime": (true, MountAttr.NOATIME),
        "rstrictatime": (false, MountAttr.STRICTATIME), "rnostrictatime": (true, MountAttr.STRICTATIME),
        "rnosymfollow": (false, MountAttr.NOSYMFOLLOW), "rsymfollow": (true, MountAttr.NOSYMFOLLOW),
    ]

    /// Every option name this parser recognises (sorted), for the `features` command's `mountOptions`.
    public static let knownOptions: [String] = {
        var all = Array(flagTable.keys) + Array(propagationTable.keys) + Array(recursiveAttrTable.keys)
        all += ["defaults", "tmpcopyup", "idmap", "ridmap"]
        return all.sorted()
    }()
}
