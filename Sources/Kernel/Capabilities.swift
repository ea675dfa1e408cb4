import CShim

/// The five capability sets as bitmasks (bit n = capability number n), applied through libcap.
public struct CapabilitySets: Equatable, Sendable {
    public var bounding: UInt64 = 0
    public var effective: UInt64 = 0
    public var permitted: UInt64 = 0
    public var inheritable: UInt64 = 0
    public var ambient: UInt64 = 0
    public init() {}
}

public enum Capabilities {
    /// The highest capability number this kernel knows.
    public static var lastCap: Int { Int(cs_capng_last_cap()) }

    /// Drops from the bounding set every capability not in `keep`. Needs CAP_SETPCAP, so it runs
    /// before the switch to the container user.
    public static func limitBounding(to keep: UInt64) throws {
        let last = min(lastCap, 63)
        guard last >= 0 else { return }
        for c in 0...last where keep & (1 << UInt64(c)) == 0 {
            try sys("cap_drop_bound", "capability \(c)") { cs_cap_drop_bound(Int32(c)) }
        }
    }

    public static func setProcessSets(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws {
        try sys("cap_set_proc", "effective \(hex(effective)) permitted \(hex(permitted)) inheritable \(hex(inheritable))") {
            cs_caps_set(effective, permitted, inheritable)
        }
    }

    /// Clears the ambient set, then raises `ambient`'s capabilities that are in both `permitted`
    /// and `inheritable` (the process's sets, already applied).
    public static func setAmbient(_ ambient: UInt64, permitted: UInt64, inheritable: UInt64) throws {
        try sys("prctl", "PR_CAP_AMBIENT_CLEAR_ALL") { cs_cap_ambient_clear() }
        let last = min(lastCap, 63)
        guard last >= 0 else { return }
        // The kernel refuses to raise a capability that is not both permitted and inheritable; runc
        // and crun skip such a one rather than fail the container, and so do we, without asking
        // (`runc spec`'s config lists three ambient capabilities and no inheritable ones).
        let raisable = ambient & permitted & inheritable
        for c in 0...last where raisable & (1 << UInt64(c)) != 0 {
            _ = cs_cap_ambient_raise(Int32(c))
        }
    }

    /// Every capability libcap's header knows, by name, in number order (linux/capability.h).
    public static let named: [(name: String, number: Int32)] = [
        ("CAP_CHOWN", CAP_CHOWN), ("CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE), ("CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH),
        ("CAP_FOWNER", CAP_FOWNER), ("CAP_FSETID", CAP_FSETID), ("CAP_KILL", CAP_KILL),
        ("CAP_SETGID", CAP_SETGID), ("CAP_SETUID", CAP_SETUID), ("CAP_SETPCAP", CAP_SETPCAP),
        ("CAP_LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE), ("CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE), ("CAP_NET_BROADCAST", CAP_NET_BROADCAST),
        ("CAP_NET_ADMIN", CAP_NET_ADMIN), ("CAP_NET_RAW", CAP_NET_RAW), ("CAP_IPC_LOCK", CAP_IPC_LOCK),
        ("CAP_IPC_OWNER", CAP_IPC_OWNER), ("CAP_SYS_MODULE", CAP_SYS_MODULE), ("CAP_SYS_RAWIO", CAP_SYS_RAWIO),
        ("CAP_SYS_CHROOT", CAP_SYS_CHROOT), ("CAP_SYS_PTRACE", CAP_SYS_PTRACE), ("CAP_SYS_PACCT", CAP_SYS_PACCT),
        ("CAP_SYS_ADMIN", CAP_SYS_ADMIN), ("CAP_SYS_BOOT", CAP_SYS_BOOT), ("CAP_SYS_NICE", CAP_SYS_NICE),
        ("CAP_SYS_RESOURCE", CAP_SYS_RESOURCE), ("CAP_SYS_TIME", CAP_SYS_TIME), ("CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG),
        ("CAP_MKNOD", CAP_MKNOD), ("CAP_LEASE", CAP_LEASE), ("CAP_AUDIT_WRITE", CAP_AUDIT_WRITE),
        ("CAP_AUDIT_CONTROL", CAP_AUDIT_CONTROL), ("CAP_SETFCAP", CAP_SETFCAP), ("CAP_MAC_OVERRIDE", CAP_MAC_OVERRIDE),
        ("CAP_MAC_ADMIN", CAP_MAC_ADMIN), ("CAP_SYSLOG", CAP_SYSLOG), ("CAP_WAKE_ALARM", CAP_WAKE_ALARM),
        ("CAP_BLOCK_SUSPEND", CAP_BLOCK_SUSPEND), ("CAP_AUDIT_READ", CAP_AUDIT_READ), ("CAP_PERFMON", CAP_PERFMON),
        ("CAP_BPF", CAP_BPF), ("CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE),
    ]

    /// The number of capability `name` ("CAP_KILL" → 5), nil when there is none of that name.
    /// A search of `named` that compares only names of the same length (a few per lookup): no
    /// dictionary of the 41 names hashed first, in every `create`, `run` and `exec`.
    public static func number(named name: String) -> Int32? {
        let length = name.utf8.count
        for entry in named where entry.name.utf8.count == length && entry.name == name { return entry.number }
        return nil
    }

    /// CAP_SYS_ADMIN as a set bit: what installing a seccomp filter without no_new_privs needs.
    public static let sysAdminBit: UInt64 = 1 << UInt64(CAP_SYS_ADMIN)

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}
