// Static validation of a Spec: every problem is reported, each with its JSON path.

/// One problem found by `Spec.validate()`; `description` is `path: message`.
public struct SpecProblem: CustomStringConvertible, Equatable, Sendable {
    /// JSON path of the offending value, e.g. `linux.namespaces[2].type`.
    public var path: String
    /// What is wrong, naming the offending value.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

public extension Spec {
    /// Checks the configuration against the runtime spec (and runc's stricter
    /// rules where the spec leaves room), returning every problem found.
    ///
    /// Decisions where the spec is loose:
    /// - A relative mount destination is accepted (runc reads it relative to
    ///   "/"); only empty destinations and NUL bytes are problems. ".." is
    ///   accepted: destinations are resolved inside the rootfs at mount time.
    /// - Device nodes may live outside /dev (the spec says so); the path must be absolute.
    /// - Unknown mount options are not problems: they are filesystem data.
    /// - `ociVersion` must be SemVer with major version 1; any 1.x.y is accepted.
    func validate() -> [SpecProblem] {
        var v = Validator(spec: self)
        v.run()
        return v.problems
    }
}

public extension LinuxResources {
    /// The checks config.json's `linux.resources` gets, for resources that come alone (`update -r`
    /// and `update`'s flags): every problem, each with its path below `linux.resources`.
    func validate() -> [SpecProblem] {
        var v = Validator(spec: Spec(ociVersion: "1.0.0"))
        v.checkResources(self)
        return v.problems
    }
}

public extension Process {
    /// The fields of a process object that reach the kernel as C strings (execve's arguments and
    /// environment, chdir's path, the LSM labels written to /proc/self/attr) and hold a NUL byte,
    /// which would cut them short there. `prefix`: where the object sits (`process.` in config.json,
    /// nothing in `exec --process`'s file). The command line cannot carry a NUL byte (argv entries
    /// are C strings), so `exec`'s flags need no check.
    func nulByteProblems(prefix: String = "") -> [SpecProblem] {
        var problems = nulByteProblemsOf(args, at: "\(prefix)args") + nulByteProblemsOf(env, at: "\(prefix)env")
        if hasNULByte(cwd) { problems.append(SpecProblem(path: "\(prefix)cwd", message: nulByteMessage)) }
        if let a = apparmorProfile, hasNULByte(a) {
            problems.append(SpecProblem(path: "\(prefix)apparmorProfile", message: nulByteMessage))
        }
        if let l = selinuxLabel, hasNULByte(l) {
            problems.append(SpecProblem(path: "\(prefix)selinuxLabel", message: nulByteMessage))
        }
        return problems
    }
}

/// A string of the configuration holds a NUL byte (only a `\u0000` escape in the JSON makes one).
/// Every string that reaches the kernel is checked: as a C string (a path, an argument, a mount
/// option) the kernel would read it only up to the NUL, and as bytes with a length (a hostname, a
/// sysctl or cgroup value) the kernel mostly does the same. Either way the container would get
/// less than it asked for, without a word; runc fails some at the system call (EINVAL) after part
/// of the container is set up and passes others on cut short. Refused up front instead.
func hasNULByte(_ s: String) -> Bool { s.utf8.contains(0) }

let nulByteMessage = "contains a NUL byte"

/// One problem per string of `list` that holds a NUL byte, at `path[i]`.
func nulByteProblemsOf(_ list: [String]?, at path: String) -> [SpecProblem] {
    var problems: [SpecProblem] = []
    for (i, s) in (list ?? []).enumerated() where hasNULByte(s) {
        problems.append(SpecProblem(path: "\(path)[\(i)]", message: nulByteMessage))
    }
    return problems
}

/// Quotes a value the way Go's %q does for printable ASCII (used in messages).
public func quoted(_ s: String) -> String {
    // Most values need no escape: one pass over the bytes, then one concatenation (the init stage
    // quotes every sysctl key it sets, scalar by scalar this was ~1% of a `run`'s user CPU).
    if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
        return "\"" + s + "\""
    }
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7f {
                let hex = String(u.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Parses a SemVer 2.0.0 string; returns (major, minor, patch) or nil.
func parseSemver(_ s: String) -> (Int, Int, Int)? {
    var core = Substring(s)
    if let plus = core.firstIndex(of: "+") {
        let build = core[core.index(after: plus)...]
        guard identifiersValid(build, numericStrict: false) else { return nil }
        core = core[..<plus]
    }
    if let dash = core.firstIndex(of: "-") {
        let pre = core[core.index(after: dash)...]
        guard identifiersValid(pre, numericStrict: true) else { return nil }
        core = core[..<dash]
    }
    let parts = core.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3 else { return nil }
    var nums: [Int] = []
    for p in parts {
        guard !p.isEmpty, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        if p.count > 1 && p.first == "0" { return nil }
        guard let n = Int(p) else { return nil }
        nums.append(n)
    }
    return (nums[0], nums[1], nums[2])
}

private func identifiersValid(_ s: Substring, numericStrict: Bool) -> Bool {
    let ids = s.split(separator: ".", omittingEmptySubsequences: false)
    guard !ids.isEmpty else { return false }
    for id in ids {
        guard !id.isEmpty else { return false }
        var allDigits = true
        for c in id.utf8 {
            let digit = c >= 48 && c <= 57
            let alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45
            guard digit || alpha else { return false }
            if !digit { allDigits = false }
        }
        if numericStrict && allDigits && id.count > 1 && id.first == "0" { return false }
    }
    return true
}

/// Parses a Linux cpu/node list such as `0-3,7`; nil if malformed or empty.
public func parseCPUList(_ s: String) -> [ClosedRange<Int>]? {
    guard !s.isEmpty else { return nil }
    var ranges: [ClosedRange<Int>] = []
    for part in s.split(separator: ",", omittingEmptySubsequences: false) {
        let ends = part.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 1 || ends.count == 2 else { return nil }
        var vals: [Int] = []
        for e in ends {
            let t = e.trimmingSpaces()
            guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(t) else { return nil }
            vals.append(n)
        }
        let lo = vals[0], hi = vals.count == 2 ? vals[1] : vals[0]
        guard lo <= hi else { return nil }
        ranges.append(lo...hi)
    }
    return ranges
}

private extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

private struct Validator {
    let spec: Spec
    var problems: [SpecProblem] = []

    /// Namespace types listed in linux.namespaces (first occurrence), with their paths: made once,
    /// searched by every check that depends on a namespace.
    let namespaces: [(type: String, path: String?)]

    init(spec: Spec) {
        self.spec = spec
        var list: [(type: String, path: String?)] = []
        for ns in spec.linux?.namespaces ?? [] where !list.contains(where: { $0.type == ns.type }) {
            list.append((ns.type, ns.path))
        }
        namespaces = list
    }

    mutating func add(_ path: String, _ message: String) {
        problems.append(SpecProblem(path: path, message: message))
    }

    func hasNamespace(_ type: String) -> Bool { namespaces.contains { $0.type == type } }

    /// A new (not joined) namespace of this type is created.
    func createsNamespace(_ type: String) -> Bool {
        guard let ns = namespaces.first(where: { $0.type == type }) else { return false }
        return (ns.path ?? "").isEmpty
    }

    mutating func run() {
        checkVersion()
        checkRoot()
        if let p = spec.process { checkProcess(p) }
        checkNames()
        for (i, m) in (spec.mounts ?? []).enumerated() { checkMount(m, i) }
        if let h = spec.hooks { checkHooks(h) }
        if let l = spec.linux { checkLinux(l) }
    }

    mutating func checkVersion() {
        let v = spec.ociVersion
        guard let (major, _, _) = parseSemver(v) else {
            add("ociVersion", "invalid semantic version \(quoted(v))")
            return
        }
        if major != 1 {
            add("ociVersion", "unsupported major version \(major) in \(quoted(v)) (want 1.x.y)")
        }
    }

    mutating func checkRoot() {
        if let root = spec.root {
            if root.path.isEmpty { add("root.path", "must not be empty") }
            if hasNULByte(root.path) { add("root.path", nulByteMessage) }
        } else if spec.linux != nil {
            add("root", "required property missing")
        }
    }

    mutating func checkNames() {
        if let h = spec.hostname, !h.isEmpty {
            if hasNULByte(h) { add("hostname", nulByteMessage) }
            if h.utf8.count > 64 { add("hostname", "\(quoted(h)) is longer than 64 bytes") }
            if spec.linux != nil && !hasNamespace("uts") {
                add("hostname", "setting hostname \(quoted(h)) requires a uts namespace")
            }
        }
        if let d = spec.domainname, !d.isEmpty {
            if hasNULByte(d) { add("domainname", nulByteMessage) }
            if d.utf8.count > 64 { add("domainname", "\(quoted(d)) is longer than 64 bytes") }
            if spec.linux != nil && !hasNamespace("uts") {
                add("domainname", "setting domainname \(quoted(d)) requires a uts namespace")
            }
        }
    }

    // MARK: process

    mutating func checkProcess(_ p: Process) {
        if p.cwd.isEmpty {
            add("process.cwd", "must not be empty")
        } else if !p.cwd.hasPrefix("/") {
            add("process.cwd", "must be an absolute path, got \(quoted(p.cwd))")
        }
        if (p.args ?? []).isEmpty && (p.commandLine ?? "").isEmpty {
            add("process.args", "must not be empty")
        } else if let a0 = p.args?.first, a0.isEmpty {
            add("process.args[0]", "must not be empty")
        }
        // rlimits, oomScoreAdj, ioPriority, scheduler, execCPUAffinity, capabilities (and
        // linux.personality, linux.memoryPolicy) name kernel values: resolved, with their problems,
        // by the process resolver (Container/Plan/ProcessPlan.swift), for config.json and `exec --process`.
        problems += p.nulByteProblems(prefix: "process.")
    }

    // MARK: mounts and hooks

    /// `index`: the mount's place in `mounts` (its path is written only for a problem).
    mutating func checkMount(_ m: Mount, _ index: Int) {
        let path = { "mounts[\(index)]" }
        if m.destination.isEmpty {
            add("\(path()).destination", "must not be empty")
        }
        if hasNULByte(m.destination) { add("\(path()).destination", nulByteMessage) }
        if let s = m.source, hasNULByte(s) { add("\(path()).source", nulByteMessage) }
        if let t = m.type, hasNULByte(t) { add("\(path()).type", nulByteMessage) }
        problems += nulByteProblemsOf(m.options, at: "\(path()).options")
        if (m.uidMappings == nil) != (m.gidMappings == nil) {
            add(path(), "uidMappings and gidMappings must be specified together")
        }
        for (i, mp) in (m.uidMappings ?? []).enumerated() where mp.size == 0 {
            add("\(path()).uidMappings[\(i)].size", "must be greater than zero")
        }
        for (i, mp) in (m.gidMappings ?? []).enumerated() where mp.size == 0 {
            add("\(path()).gidMappings[\(i)].size", "must be greater than zero")
        }
        // The options (and what they require: `bind` for an ID-mapped mount, a user namespace for
        // `idmap` without mappings) are resolved by MountPlan (Container/Plan/MountPlan.swift).
    }

    mutating func checkHooks(_ h: Hooks) {
        let lists: [(String, [Hook]?)] = [
            ("prestart", h.prestart), ("createRuntime", h.createRuntime),
            ("createContainer", h.createContainer), ("startContainer", h.startContainer),
            ("poststart", h.poststart), ("poststop", h.poststop),
        ]
        for (name, hooks) in lists {
            for (i, hook) in (hooks ?? []).enumerated() {
                let path = "hooks.\(name)[\(i)]"
                if !hook.path.hasPrefix("/") {
                    add("\(path).path", "must be an absolute path, got \(quoted(hook.path))")
                } else if hasNULByte(hook.path) {
                    add("\(path).path", nulByteMessage)
                }
                problems += nulByteProblemsOf(hook.args, at: "\(path).args") + nulByteProblemsOf(hook.env, at: "\(path).env")
                if let t = hook.timeout, t <= 0 {
                    add("\(path).timeout", "must be greater than zero, got \(t)")
                } else if let t = hook.timeout, t > Hook.maxTimeoutSeconds {
                    add("\(path).timeout", "\(t) seconds is too long (at most \(Hook.maxTimeoutSeconds), a year)")
                }
            }
        }
    }

    // MARK: linux

    mutating func checkLinux(_ l: Linux) {
        var seen: [String] = []
        for (i, ns) in (l.namespaces ?? []).enumerated() {
            let path = { "linux.namespaces[\(i)]" }
            if !NamespaceNames.all.contains(ns.type) {
                add("\(path()).type", "unknown namespace \(quoted(ns.type))")
            } else if seen.contains(ns.type) {
                add("\(path()).type", "duplicate namespace \(quoted(ns.type))")
            } else {
                seen.append(ns.type)
            }
            if let p = ns.path, !p.isEmpty, !p.hasPrefix("/") {
                add("\(path()).path", "must be an absolute path, got \(quoted(p))")
            } else if let p = ns.path, hasNULByte(p) {
                add("\(path()).path", nulByteMessage)
            }
        }
        // A joined pid namespace belongs to the user namespace it was made in, never to one this
        // container creates: the container's root would hold no capability over its own pid
        // namespace (no /proc of it can be mounted), and the namespace's owner is not the
        // container's. Refused up front rather than half set up.
        if createsNamespace("user") {
            for (i, ns) in (l.namespaces ?? []).enumerated() where ns.type == "pid" && !(ns.path ?? "").isEmpty {
                add("linux.namespaces[\(i)].path",
                    "joins the existing pid namespace \(quoted(ns.path!)) while a new user namespace is created: that pid namespace is owned by another user namespace (join the user namespace that owns it too, or create a new pid namespace)")
            }
        }

        // User namespace and mappings.
        if createsNamespace("user") {
            if (l.uidMappings ?? []).isEmpty {
                add("linux.uidMappings", "required when a new user namespace is created")
            }
            if (l.gidMappings ?? []).isEmpty {
                add("linux.gidMappings", "required when a new user namespace is created")
            }
        } else if !hasNamespace("user") {
            if l.uidMappings != nil {
                add("linux.uidMappings", "user namespace mappings specified, but there is no user namespace")
            }
            if l.gidMappings != nil {
                add("linux.gidMappings", "user namespace mappings specified, but there is no user namespace")
            }
        }
        // Each list by itself, not an array of (name, list) pairs: every such tuple type's array
        // storage has its metadata made at its first use, in every create.
        for (i, mp) in (l.uidMappings ?? []).enumerated() where mp.size == 0 {
            add("linux.uidMappings[\(i)].size", "must be greater than zero")
        }
        for (i, mp) in (l.gidMappings ?? []).enumerated() where mp.size == 0 {
            add("linux.gidMappings[\(i)].size", "must be greater than zero")
        }

        // Devices.
        for (i, d) in (l.devices ?? []).enumerated() {
            let path = { "linux.devices[\(i)]" }
            if !SpecNames.deviceTypes.contains(d.type) {
                add("\(path()).type", "unknown device type \(quoted(d.type)) (want c, b, u or p)")
            } else if d.type != "p" {
                if d.major == nil { add("\(path()).major", "required for device type \(quoted(d.type))") }
                if d.minor == nil { add("\(path()).minor", "required for device type \(quoted(d.type))") }
            }
            if !d.path.hasPrefix("/") {
                add("\(path()).path", "must be an absolute path, got \(quoted(d.path))")
            } else if hasDotDotComponent(d.path) {
                add("\(path()).path", "must not contain \"..\", got \(quoted(d.path))")
            } else if hasNULByte(d.path) {
                add("\(path()).path", nulByteMessage)
            }
            if let mode = d.fileMode, mode & ~0o7777 != 0 {
                add("\(path()).fileMode", "\(mode) has bits outside 0o7777")
            }
        }

        if let r = l.resources { checkResources(r) }

        if let c = l.cgroupsPath, hasNULByte(c) { add("linux.cgroupsPath", nulByteMessage) }
        if let m = l.mountLabel, hasNULByte(m) { add("linux.mountLabel", nulByteMessage) }

        if let p = l.rootfsPropagation, !p.isEmpty, !SpecNames.rootfsPropagations.contains(p) {
            add("linux.rootfsPropagation", "unknown propagation \(quoted(p))")
        }

        // sysctl, following runc: only namespaced sysctls are allowed.
        if let sysctl = l.sysctl {
            for key in sysctl.keys.sorted() {
                if hasNULByte(key) {
                    add("linux.sysctl[\(quoted(key))]", "the name \(nulByteMessage)")
                    continue
                }
                checkSysctl(key, l)
                if let value = sysctl[key], hasNULByte(value) {
                    add("linux.sysctl[\(quoted(key))]", "the value \(nulByteMessage)")
                }
            }
        }

        // Time namespace offsets.
        if let offsets = l.timeOffsets {
            for key in offsets.keys.sorted() where !SpecNames.timeOffsetClocks.contains(key) {
                add("linux.timeOffsets[\(quoted(key))]", "unknown clock \(quoted(key)) (want monotonic or boottime)")
            }
            if !offsets.isEmpty && !createsNamespace("time") {
                add("linux.timeOffsets", "time offsets require a new time namespace")
            }
            for key in offsets.keys.sorted() {
                if let ns = offsets[key]?.nanosecs, ns >= 1_000_000_000 {
                    add("linux.timeOffsets[\(quoted(key))].nanosecs", "\(ns) is not below 1000000000")
                }
            }
        }

        checkPathList("maskedPaths", l.maskedPaths)
        checkPathList("readonlyPaths", l.readonlyPaths)

        if let s = l.seccomp { checkSeccomp(s) }

        if let rdt = l.intelRdt {
            if let clos = rdt.closID {
                if clos == "." || clos == ".." || clos.contains("/") {
                    add("linux.intelRdt.closID", "invalid closID \(quoted(clos))")
                } else if hasNULByte(clos) {
                    add("linux.intelRdt.closID", nulByteMessage)
                }
            }
            problems += nulByteProblemsOf(rdt.schemata, at: "linux.intelRdt.schemata")
            if let s = rdt.l3CacheSchema, hasNULByte(s) { add("linux.intelRdt.l3CacheSchema", nulByteMessage) }
            if let s = rdt.memBwSchema, hasNULByte(s) { add("linux.intelRdt.memBwSchema", nulByteMessage) }
        }

        if let devs = l.netDevices, !devs.isEmpty {
            if !hasNamespace("network") {
                add("linux.netDevices", "network devices require a network namespace")
            }
            var names: [String: String] = [:]
            for host in devs.keys.sorted() {
                let path = "linux.netDevices[\(quoted(host))]"
                if !validInterfaceName(host) {
                    add(path, "invalid network interface name \(quoted(host))")
                }
                let name = devs[host]?.name ?? ""
                let target = name.isEmpty ? host : name
                if !name.isEmpty && !validInterfaceName(name) {
                    add("\(path).name", "invalid network interface name \(quoted(name))")
                }
                if let other = names[target] {
                    add("\(path).name", "name \(quoted(target)) is also used by \(quoted(other))")
                } else {
                    names[target] = host
                }
            }
        }
    }

    /// linux.maskedPaths or linux.readonlyPaths.
    mutating func checkPathList(_ key: String, _ list: [String]?) {
        guard let list else { return }
        for (i, p) in list.enumerated() {
            if !p.hasPrefix("/") {
                add("linux.\(key)[\(i)]", "must be an absolute path, got \(quoted(p))")
            } else if hasNULByte(p) {
                add("linux.\(key)[\(i)]", nulByteMessage)
            }
        }
        if !list.isEmpty && !hasNamespace("mount") {
            add("linux.\(key)", "requires a mount namespace")
        }
    }

    /// A component of `path` (between slashes) is `..`: what `split(separator: "/").contains("..")`
    /// says, without an array of the components.
    func hasDotDotComponent(_ path: String) -> Bool {
        var run = 0  // dots since the last slash; -1 once anything else is in the component
        for b in path.utf8 {
            if b == UInt8(ascii: "/") {
                if run == 2 { return true }
                run = 0
            } else if b == UInt8(ascii: "."), run >= 0 {
                run += 1
            } else {
                run = -1
            }
        }
        return run == 2
    }

    func validInterfaceName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count < 16, s != ".", s != ".." else { return false }
        return !b.contains { $0 == 47 || $0 == 58 || $0 <= 32 || $0 == 127 }
    }

    /// The sysctls of the ipc namespace outside fs.mqueue.
    static let ipcSysctls = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    mutating func checkSysctl(_ rawKey: String, _ l: Linux) {
        let path = { "linux.sysctl[\(quoted(rawKey))]" }
        // "net/ipv4/ip_forward" is accepted as "net.ipv4.ip_forward".
        var key = rawKey
        let dot = UInt8(ascii: "."), slash = UInt8(ascii: "/")
        if let first = rawKey.utf8.first(where: { $0 == dot || $0 == slash }), first == slash {
            key = String(decoding: rawKey.utf8.map { $0 == dot ? slash : ($0 == slash ? dot : $0) }, as: UTF8.self)
        }
        if Validator.ipcSysctls.contains(key) || key.hasPrefix("fs.mqueue.") {
            if !hasNamespace("ipc") { add(path(), "sysctl \(quoted(key)) requires an ipc namespace") }
            return
        }
        if key.hasPrefix("net.") {
            if !hasNamespace("network") { add(path(), "sysctl \(quoted(key)) requires a network namespace") }
            return
        }
        if key == "kernel.hostname" || key == "kernel.domainname" {
            // As runc: kernel.hostname always conflicts with the dedicated `hostname` field (set or
            // not, the two would race over one value); kernel.domainname only once `domainname`
            // (added to the spec later) is given too.
            if !hasNamespace("uts") {
                add(path(), "sysctl \(quoted(key)) requires a uts namespace")
            } else if key == "kernel.hostname" {
                add(path(), "sysctl \(quoted(key)) is not allowed as it conflicts with the OCI \"hostname\" field")
            } else if !(spec.domainname ?? "").isEmpty {
                add(path(), "sysctl \(quoted(key)) is not allowed as it conflicts with the OCI \"domainname\" field")
            }
            return
        }
        add(path(), "sysctl \(quoted(key)) is not in a separate kernel namespace")
    }

    mutating func checkResources(_ r: LinuxResources) {
        let base = "linux.resources"
        for (i, d) in (r.devices ?? []).enumerated() {
            let path = { "\(base).devices[\(i)]" }
            if let t = d.type, t != "a" && t != "b" && t != "c" {
                add("\(path()).type", "unknown device type \(quoted(t)) (want a, b or c)")
            }
            if let a = d.access,
               a.isEmpty || a.utf8.contains(where: { $0 != UInt8(ascii: "r") && $0 != UInt8(ascii: "w") && $0 != UInt8(ascii: "m") }) {
                add("\(path()).access", "invalid access \(quoted(a)) (want a combination of r, w, m)")
            }
        }
        if let m = r.memory {
            if let s = m.swappiness, s > 100 {
                add("\(base).memory.swappiness", "\(s) is out of range 0...100")
            }
            // One by one, not over an array of (name, value) pairs (a tuple type's array metadata).
            if let x = m.limit, x < -1 { add("\(base).memory.limit", "\(x) is negative (use -1 for unlimited)") }
            if let x = m.reservation, x < -1 { add("\(base).memory.reservation", "\(x) is negative (use -1 for unlimited)") }
            if let x = m.swap, x < -1 { add("\(base).memory.swap", "\(x) is negative (use -1 for unlimited)") }
            if let lim = m.limit, let swap = m.swap, lim > 0, swap > 0, swap < lim {
                add("\(base).memory.swap", "memory+swap limit \(swap) is below the memory limit \(lim)")
            }
        }
        if let c = r.cpu {
            if let s = c.cpus, !s.isEmpty, parseCPUList(s) == nil {
                add("\(base).cpu.cpus", "invalid CPU list \(quoted(s))")
            }
            if let s = c.mems, !s.isEmpty, parseCPUList(s) == nil {
                add("\(base).cpu.mems", "invalid node list \(quoted(s))")
            }
            if let q = c.quota, q < -1 {
                add("\(base).cpu.quota", "\(q) is invalid (want a positive number of microseconds, or -1)")
            }
            if let i = c.idle, i != 0 && i != 1 {
                add("\(base).cpu.idle", "\(i) is invalid (want 0 or 1)")
            }
        }
        if let b = r.blockIO {
            if let w = b.weight, w != 0, w < 10 || w > 1000 {
                add("\(base).blockIO.weight", "\(w) is out of range 10...1000")
            }
            if let w = b.leafWeight, w != 0, w < 10 || w > 1000 {
                add("\(base).blockIO.leafWeight", "\(w) is out of range 10...1000")
            }
        }
        for (i, h) in (r.hugepageLimits ?? []).enumerated() where !validPageSize(h.pageSize) {
            add("\(base).hugepageLimits[\(i)].pageSize", "invalid page size \(quoted(h.pageSize))")
        }
        if let u = r.unified {
            for key in u.keys.sorted() {
                if hasNULByte(key) {
                    add("\(base).unified[\(quoted(key))]", "the name \(nulByteMessage)")
                } else if key.contains("/") || key.isEmpty || !key.contains(".") {
                    add("\(base).unified[\(quoted(key))]", "invalid cgroup file name \(quoted(key))")
                } else if let value = u[key], hasNULByte(value) {
                    add("\(base).unified[\(quoted(key))]", "the value \(nulByteMessage)")
                }
            }
        }
        if let rdma = r.rdma {
            for device in rdma.keys.sorted() where hasNULByte(device) {
                add("\(base).rdma[\(quoted(device))]", "the device name \(nulByteMessage)")
            }
        }
        for (i, p) in (r.network?.priorities ?? []).enumerated() where hasNULByte(p.name) {
            add("\(base).network.priorities[\(i)].name", nulByteMessage)
        }
    }

    func validPageSize(_ s: String) -> Bool {
        // <number><unit>B, e.g. 64KB, 2MB, 1GB.
        var digits = 0
        let b = Array(s.utf8)
        while digits < b.count, b[digits] >= 48, b[digits] <= 57 { digits += 1 }
        guard digits > 0, b.count == digits + 2 else { return false }
        return "KMGTP".utf8.contains(b[digits]) && b[digits + 1] == 66
    }

    mutating func checkSeccomp(_ s: LinuxSeccomp) {
        let base = "linux.seccomp"
        if !SeccompNames.actions.contains(s.defaultAction) {
            add("\(base).defaultAction", "unknown seccomp action \(quoted(s.defaultAction))")
        }
        for (i, a) in (s.architectures ?? []).enumerated() where !SeccompNames.architectures.contains(a) {
            add("\(base).architectures[\(i)]", "unknown seccomp architecture \(quoted(a))")
        }
        for (i, f) in (s.flags ?? []).enumerated() where !SeccompNames.flags.contains(f) {
            add("\(base).flags[\(i)]", "unknown seccomp flag \(quoted(f))")
        }
        var notify = s.defaultAction == "SCMP_ACT_NOTIFY"
        for (i, sc) in (s.syscalls ?? []).enumerated() {
            let path = "\(base).syscalls[\(i)]"
            if sc.names.isEmpty { add("\(path).names", "must not be empty") }
            for (j, n) in sc.names.enumerated() {
                if n.isEmpty {
                    add("\(path).names[\(j)]", "must not be empty")
                } else if hasNULByte(n) {
                    add("\(path).names[\(j)]", nulByteMessage)
                }
            }
            if !SeccompNames.actions.contains(sc.action) {
                add("\(path).action", "unknown seccomp action \(quoted(sc.action))")
            }
            if sc.action == "SCMP_ACT_NOTIFY" { notify = true }
            for (j, arg) in (sc.args ?? []).enumerated() {
                if !SeccompNames.operators.contains(arg.op) {
                    add("\(path).args[\(j)].op", "unknown seccomp operator \(quoted(arg.op))")
                }
                if arg.index > 5 {
                    add("\(path).args[\(j)].index", "\(arg.index) is out of range 0...5")
                }
            }
        }
        if notify && (s.listenerPath ?? "").isEmpty {
            add("\(base).listenerPath", "required when SCMP_ACT_NOTIFY is used")
        }
        if let lp = s.listenerPath, !lp.isEmpty, !lp.hasPrefix("/") {
            add("\(base).listenerPath", "must be an absolute path, got \(quoted(lp))")
        } else if let lp = s.listenerPath, hasNULByte(lp) {
            add("\(base).listenerPath", nulByteMessage)
        }
    }
}
