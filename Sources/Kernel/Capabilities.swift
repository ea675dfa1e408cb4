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

    public static func setAmbient(_ ambient: UInt64) throws {
        try sys("cap_reset_ambient") { cs_cap_ambient_clear() }
        let last = min(lastCap, 63)
        guard last >= 0 else { return }
        // The kernel refuses to raise a capability that is not both permitted and inheritable; runc
        // and crun skip such a one rather than fail the container, and so do we.
        for c in 0...last where ambient & (1 << UInt64(c)) != 0 {
            _ = cs_cap_ambient_raise(Int32(c))
        }
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}
