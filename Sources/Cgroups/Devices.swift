import RuntimeSpec

/// One device cgroup rule, after defaults are merged in.
struct DeviceRule: Equatable {
    var allow: Bool
    /// "a", "c" or "b".
    var type: Character
    /// -1: any.
    var major: Int64
    var minor: Int64
    /// Bits: 1 mknod, 2 read, 4 write (BPF_DEVCG_ACC_*).
    var access: UInt32
    /// Index in linux.resources.devices, nil for a default rule.
    var index: Int?

    var isAll: Bool { type == "a" }

    /// True when `other` names one device (no wildcard) that this rule also matches.
    func covers(_ other: DeviceRule) -> Bool {
        guard !other.isAll, other.major >= 0, other.minor >= 0 else { return false }
        return (isAll || type == other.type) && (major < 0 || major == other.major) && (minor < 0 || minor == other.minor)
    }

    var accessString: String {
        var s = ""
        if access & 2 != 0 { s += "r" }
        if access & 4 != 0 { s += "w" }
        if access & 1 != 0 { s += "m" }
        return s
    }

    var v1Line: String {
        if isAll { return "a" }
        let maj = major < 0 ? "*" : "\(major)"
        let min = minor < 0 ? "*" : "\(minor)"
        return "\(type) \(maj):\(min) \(accessString)"
    }
}

enum DeviceRules {
    /// The devices every container may use, appended after the config's rules as runc does.
    static let defaults: [DeviceRule] = [
        DeviceRule(allow: true, type: "c", major: -1, minor: -1, access: 1),
        DeviceRule(allow: true, type: "b", major: -1, minor: -1, access: 1),
        DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: 7),    // /dev/null
        DeviceRule(allow: true, type: "c", major: 1, minor: 8, access: 7),    // /dev/random
        DeviceRule(allow: true, type: "c", major: 1, minor: 7, access: 7),    // /dev/full
        DeviceRule(allow: true, type: "c", major: 5, minor: 0, access: 7),    // /dev/tty
        DeviceRule(allow: true, type: "c", major: 1, minor: 5, access: 7),    // /dev/zero
        DeviceRule(allow: true, type: "c", major: 1, minor: 9, access: 7),    // /dev/urandom
        DeviceRule(allow: true, type: "c", major: 136, minor: -1, access: 7), // /dev/pts/*
        DeviceRule(allow: true, type: "c", major: 5, minor: 2, access: 7),    // /dev/ptmx
        // Not /dev/net/tun (10:200): runc 1.1 allowed it, runc 1.2 and later do not (a container
        // that needs it says so in linux.resources.devices).
    ]

    static func parse(_ d: LinuxDeviceCgroup, index: Int) throws -> DeviceRule {
        let field = "linux.resources.devices[\(index)]"
        let t = d.type ?? "a"
        guard t == "a" || t == "c" || t == "b" else {
            throw CgroupError("\(field).type: \"\(t)\" is not a, c or b")
        }
        var access: UInt32 = 0
        let a = d.access ?? "rwm"
        if a.isEmpty { throw CgroupError("\(field).access: cannot be empty") }
        for ch in a {
            switch ch {
            case "r": access |= 2
            case "w": access |= 4
            case "m": access |= 1
            default: throw CgroupError("\(field).access: \"\(a)\": only r, w and m are allowed")
            }
        }
        return DeviceRule(allow: d.allow, type: Character(t), major: d.major ?? -1, minor: d.minor ?? -1,
                          access: access, index: index)
    }

    /// The config's rules, then the defaults (so that a "deny all" first, as engines write it, still
    /// leaves /dev/null and friends usable, as in runc), then again the config's rules that name one
    /// of those default devices: a rule that names /dev/null itself says more than the defaults do,
    /// so `{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}` makes /dev/null
    /// unwritable (runc re-allows it). Such a deny keeps mknod allowed: the runtime must still
    /// create the default device nodes (config-linux.md, default devices).
    static func effective(_ rules: [LinuxDeviceCgroup]) throws -> [DeviceRule] {
        var out: [DeviceRule] = []
        for (i, d) in rules.enumerated() { out.append(try parse(d, index: i)) }
        let explicit = out.compactMap { r -> DeviceRule? in
            guard defaults.contains(where: { $0.access & 6 != 0 && $0.covers(r) }) else { return nil }
            var r = r
            if !r.allow { r.access &= ~1 }
            return r.access == 0 ? nil : r
        }
        return out + defaults + explicit
    }
}

extension DeviceRules {
    /// The rules a v1 devices cgroup is written after its first line (`a`, to devices.deny unless the
    /// rules start by allowing all), without the ones that would change nothing. Below a "deny all"
    /// the kernel keeps one exception per type:major:minor as written (wildcards are their own
    /// entries), holding the access bits allowed: an allow adds its bits to that entry, a deny takes
    /// its bits from it (dev_exception_add, dev_exception_rm), and the new cgroup has no child the
    /// change would reach. So an allow whose bits the entry holds already, and a deny of bits it
    /// does not hold, leave the cgroup as it is: a docker config's rules plus the defaults wrote 18
    /// lines for 11 entries. After an `a` rule past the first (the kernel then starts over, or allows
    /// by default and keeps denials instead) every rule is written.
    static func v1Writes(_ rules: [DeviceRule]) -> [DeviceRule] {
        let startAllowAll = rules.first.map { $0.isAll && $0.allow } ?? false
        var tracking = !startAllowAll
        // The exceptions so far: `access` holds the bits allowed (an array: a dozen entries).
        var exceptions: [DeviceRule] = []
        var writes: [DeviceRule] = []
        for (i, r) in rules.enumerated() {
            if i == 0 && r.isAll { continue }
            if r.isAll { tracking = false }
            if tracking {
                let at = exceptions.firstIndex { $0.type == r.type && $0.major == r.major && $0.minor == r.minor }
                let held = at.map { exceptions[$0].access } ?? 0
                let now = r.allow ? held | r.access : held & ~r.access
                if now == held { continue }
                if let at { exceptions[at].access = now } else { exceptions.append(DeviceRule(allow: true, type: r.type, major: r.major, minor: r.minor, access: now)) }
            }
            writes.append(r)
        }
        return writes
    }

    /// Whether `rules` let a process use device `type` `major`:`minor` for every bit of `access`,
    /// judged as the eBPF filter judges: last rule to first, the first that matches decides, none
    /// matching denies. Returns the deciding rule too (nil: none matched).
    static func decide(_ rules: [DeviceRule], type: Character, major: Int64, minor: Int64,
                       access: UInt32) -> (allowed: Bool, by: DeviceRule?) {
        for r in rules.reversed() {
            guard r.isAll || r.type == type, r.major < 0 || r.major == major, r.minor < 0 || r.minor == minor else { continue }
            if r.allow ? access & ~r.access == 0 : access & r.access != 0 { return (r.allow, r) }
        }
        return (false, nil)
    }
}

/// A device node the runtime itself makes (or binds) in the container's /dev: one of
/// `linux.devices`, or a default device.
public struct DeviceNode: Sendable {
    /// How errors name it: `linux.devices[0] /dev/kmsg`, `the default device /dev/null`.
    public let name: String
    /// "c" or "b".
    public let type: Character
    public let major: Int64
    public let minor: Int64
    public init(name: String, type: Character, major: Int64, minor: Int64) {
        (self.name, self.type, self.major, self.minor) = (name, type, major, minor)
    }
}

/// The cgroup v2 device filter could not be loaded or attached because the runtime is in a user
/// namespace (bpf(2) wants CAP_BPF or CAP_SYS_ADMIN of the initial one). The container's cgroup then
/// keeps the filters it inherits from its ancestors, as runc leaves it; the caller decides whether
/// that may do (`firstDenied`).
public struct DeviceFilterUnavailable: Error, CustomStringConvertible {
    /// The refused load or attach.
    public let cause: CgroupError
    let rules: [DeviceRule]
    public var description: String { cause.description }
    public var errno: Int32? { cause.errno }

    /// The first of `nodes` that the rules deny reading or writing (which, without the filter, the
    /// container could read and write all the same), with the field that denies it.
    public func firstDenied(_ nodes: [DeviceNode]) -> (node: DeviceNode, field: String)? {
        for n in nodes where n.type == "c" || n.type == "b" {
            for access: UInt32 in [2, 4] {
                let d = DeviceRules.decide(rules, type: n.type, major: n.major, minor: n.minor, access: access)
                if d.allowed { continue }
                let verb = access == 2 ? "reading" : "writing"
                if let i = d.by?.index { return (n, "linux.resources.devices[\(i)] denies \(verb) it") }
                return (n, "no rule of linux.resources.devices allows \(verb) it")
            }
        }
        return nil
    }
}
