import Glibc
import Kernel
import RuntimeSpec

/// `linux.cgroupsPath` under `--systemd-cgroup`: `slice:prefix:name` (runc's form), or empty for
/// `system.slice:runc:<id>`. The container's cgroup is the scope unit `prefix-name.scope` in `slice`.
public struct SystemdCgroupsPath: Equatable, Sendable {
    public var slice: String
    public var unit: String

    /// `defaultSlice`: system.slice for the system's manager, user.slice for a user's (runc's defaults).
    public init(cgroupsPath: String?, id: String, defaultSlice: String = "system.slice") throws {
        guard let p = cgroupsPath, !p.isEmpty else {
            slice = defaultSlice
            unit = "runc-\(id).scope"
            return
        }
        let parts = p.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw CgroupError("linux.cgroupsPath: \"\(p)\": with --systemd-cgroup it must be \"slice:prefix:name\" (such as \"system.slice:docker:1234\")")
        }
        slice = parts[0].isEmpty ? defaultSlice : parts[0]
        let (prefix, name) = (parts[1], parts[2])
        guard !name.isEmpty else {
            throw CgroupError("linux.cgroupsPath: \"\(p)\": the name (after the second \":\") is empty")
        }
        if name.hasSuffix(".slice") {
            throw CgroupError("linux.cgroupsPath: \"\(p)\": a name ending in .slice asks for a slice unit, which swiftlet does not create (name a scope)")
        }
        unit = prefix.isEmpty ? name + ".scope" : prefix + "-" + name + ".scope"
        for c in unit.unicodeScalars where !(c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || ":-_.\\@".unicodeScalars.contains(c))) {
            throw CgroupError("linux.cgroupsPath: \"\(p)\": the unit name \(unit) has a character systemd does not allow in unit names (\"\(c)\")")
        }
        _ = try Self.expand(slice: slice, field: "linux.cgroupsPath: \"\(p)\"")
    }

    /// The slice's cgroup path as systemd lays it out: `a-b.slice` → `/a.slice/a-b.slice`; `-.slice` → "".
    public static func expand(slice: String, field: String = "linux.cgroupsPath") throws -> String {
        func bad(_ why: String) -> CgroupError { CgroupError("\(field): invalid slice \"\(slice)\": \(why)") }
        guard slice.hasSuffix(".slice") else { throw bad("it must end in .slice") }
        if slice.unicodeScalars.contains("/") { throw bad("it must not contain \"/\"") }
        if slice == "-.slice" { return "" }
        let base = String(slice.dropLast(".slice".count))
        if base.isEmpty || base.hasPrefix("-") || base.hasSuffix("-") || base.containsText("--") {
            throw bad("a dash may not start or end the name nor be doubled")
        }
        var path = ""
        var prefix = ""
        for part in base.split(separator: "-") {
            prefix += prefix.isEmpty ? String(part) : "-" + part
            path += "/" + prefix + ".slice"
        }
        return path
    }

    /// The cgroup path of the scope below each hierarchy's root.
    public var cgroupPath: String {
        ((try? Self.expand(slice: slice)) ?? "") + "/" + unit
    }
}

/// The systemd cgroup driver: the container's cgroup is a transient scope unit that systemd makes
/// (`StartTransientUnit`, Delegate=yes) and removes (`StopUnit`). Limits systemd has a property for
/// go to the unit; every limit is also written to the cgroup files, as runc 1.1 does, so the rest
/// (and the controllers systemd does not manage on v1: freezer, cpuset, hugetlb...) work as with
/// the cgroupfs drivers, which `inner` is.
public struct SystemdDriver: CgroupDriver {
    var inner: CgroupDriver
    public let unit: String
    let slice: String
    /// Limits to start the unit with (create only).
    let resources: LinuxResources?
    /// Properties from `org.systemd.property.*` annotations (create only).
    let annotationProperties: [DBusValue]
    /// The unit is the calling user's systemd's (rootless), not the system's.
    public let userManager: Bool
    let placeholder = Placeholder()

    public init(inner: CgroupDriver, unit: String, slice: String, resources: LinuxResources?,
                annotationProperties: [DBusValue] = [], userManager: Bool = false, bus: SystemdBus? = nil) {
        self.connection = Connection(bus)
        self.inner = inner
        self.unit = unit
        self.slice = slice
        self.resources = resources
        self.annotationProperties = annotationProperties
        self.userManager = userManager
    }

    /// Kept in the state: a later command talks to the same manager.
    public var kind: String { (userManager ? "systemd-user-" : "systemd-") + inner.kind }

    /// One connection per command, made at the first call that needs it: a rootless create asks the
    /// manager for its cgroup, starts the scope and has init moved in over the same one.
    func connect() throws -> SystemdBus {
        if let bus = connection.bus { return bus }
        let bus = try SystemdBus.connect(user: userManager)
        connection.bus = bus
        return bus
    }
    final class Connection {
        var bus: SystemdBus?
        init(_ bus: SystemdBus? = nil) { self.bus = bus }
    }
    let connection: Connection
    public var paths: [String: String] { inner.paths }
    public var joinFiles: [String] { inner.joinFiles }
    public var unifiedPath: String? { inner.unifiedPath }
    public var hierarchyMountPoints: [String] { inner.hierarchyMountPoints }
    public var directories: [String] { inner.directories }
    public var v1FreezerDirectory: String? { inner.v1FreezerDirectory }
    public var made: Set<String> {
        get { inner.made }
        set { inner.made = newValue }
    }
    var isV2: Bool { inner.kind == "v2" }

    /// A scope needs a process to start with, and the container's init does not exist yet (or must
    /// join first): a child of the runtime that only waits holds the scope until init has joined.
    final class Placeholder {
        var pid: pid_t = 0
        /// False while (and if) starting the unit failed: a unit that was there before, another
        /// container's, is not ours to stop. A driver loaded from state owns its unit.
        var ownsUnit = true
    }

    public func create() throws {
        let parent = Proc.getpid()
        let pid = try Proc.fork()
        if pid == 0 {
            // Dies with a `create` that is killed; the pid check closes the race with one killed before the prctl.
            _ = try? Proc.setParentDeathSignal(SIGKILL)
            if Identity.parentPID != parent { Proc.exit(1) }
            Proc.waitUntilKilled()
        }
        placeholder.pid = pid
        placeholder.ownsUnit = false
        do {
            let bus = try connect()
            var props: [DBusValue] = [
                SystemdBus.property("Description", .string("swiftlet container \(unit)")),
                SystemdBus.property("Slice", .string(slice)),
                SystemdBus.property("Delegate", .bool(true)),
                SystemdBus.property("PIDs", .array(element: "u", [.uint32(UInt32(pid))])),
                SystemdBus.property("DefaultDependencies", .bool(false)),
                SystemdBus.property("MemoryAccounting", .bool(true)),
                SystemdBus.property("CPUAccounting", .bool(true)),
                SystemdBus.property(isV2 ? "IOAccounting" : "BlockIOAccounting", .bool(true)),
                SystemdBus.property("TasksAccounting", .bool(true)),
            ]
            if let r = resources { props += try Self.properties(r, v2: isV2, devices: true) }
            // Last, as runc appends them: systemd takes the last value of a property given twice.
            props += annotationProperties
            do {
                try bus.startTransientUnit(unit, props)
            } catch let e as DBusError where e.name == "org.freedesktop.systemd1.UnitExists" {
                throw CgroupError("linux.cgroupsPath: the systemd unit \(unit) already exists (another container, or a leftover: systemctl stop \(unit))")
            } catch let e as DBusError where !annotationProperties.isEmpty && e.name.hasPrefix("org.freedesktop.DBus.Error.") {
                throw CgroupError("--systemd-cgroup: systemd refused the scope unit \(unit) (check the org.systemd.property.* annotations): \(e)")
            } catch let e as DBusError {
                throw CgroupError("--systemd-cgroup: starting the scope unit \(unit) in \(slice): \(e)")
            }
            placeholder.ownsUnit = true
            // What systemd does not make (v1 controllers it does not manage), and cpuset's copy-down.
            try inner.create()
        } catch {
            releasePlaceholder()
            throw error
        }
    }

    /// Ends the placeholder once init is in the scope (and at a failed create).
    public func releasePlaceholder() {
        guard placeholder.pid > 0 else { return }
        Proc.signalIfPresent(placeholder.pid, SIGKILL)
        _ = try? Proc.wait(placeholder.pid)
        placeholder.pid = 0
    }

    public func apply(_ r: LinuxResources, update: Bool) throws {
        if update {
            // The unit's properties first: systemd rewrites the files it owns from them.
            let props = try Self.properties(r, v2: isV2, devices: false)
            if !props.isEmpty {
                do {
                    try connect().setUnitProperties(unit, props)
                } catch let e as DBusError {
                    throw CgroupError("--systemd-cgroup: setting the properties of \(unit): \(e)")
                }
            }
        }
        try inner.apply(r, update: update)
    }

    /// A user's scope is joined through its manager: the user may not move a process from its own
    /// cgroup (outside the delegated subtree) into it, and the manager (or, for it, the system's
    /// manager) may. runc 1.1 has the manager move its init the same way (the unit's PIDs).
    public func addProcess(_ pid: pid_t) throws {
        guard userManager else { return try inner.addProcess(pid) }
        do {
            try connect().attachProcesses(unit, [pid])
        } catch let e as DBusError {
            throw CgroupError("--systemd-cgroup: the user's systemd did not move pid \(pid) into \(unit): \(e)")
        }
    }

    public func freeze() throws { try inner.freeze() }
    public func thaw() throws { try inner.thaw() }
    public func freezerState() -> FreezerState { inner.freezerState() }
    public func pids() -> [pid_t] { inner.pids() }
    public func stats() -> CgroupStats { inner.stats() }
    public func signalAll(_ signal: Int32) throws { try inner.signalAll(signal) }

    public func destroy() throws {
        releasePlaceholder()
        if !pids().isEmpty {
            try? signalAll(SIGKILL)
            _ = waitEmpty()
        }
        var firstError: Error?
        if placeholder.ownsUnit {
            do {
                try connect().stopUnit(unit)
            } catch {
                firstError = CgroupError("--systemd-cgroup: stopping \(unit): \(error)")
            }
        }
        // What systemd did not make, and what it left (an unmanaged hierarchy it does not clean).
        do { try inner.destroy() } catch { if firstError == nil { firstError = error } }
        if let e = firstError { throw e }
    }

    /// As the cgroupfs drivers: nothing is signalled. An empty scope this container started is
    /// stopped (systemd removes its cgroups); one that holds processes that are not the
    /// container's stays with them, as its directories do.
    public func removeMadeSparingProcesses() -> (left: [String], pids: [pid_t]) {
        releasePlaceholder()
        let held = pids()
        if !held.isEmpty { return (directories, held) }
        if placeholder.ownsUnit { try? connect().stopUnit(unit) }
        return inner.removeMadeSparingProcesses()
    }

    /// The unit properties for `r`, as runc 1.1 sends them (libcontainer/cgroups/systemd v1.go and
    /// v2.go): only what systemd has a property for; files carry the rest.
    public static func properties(_ r: LinuxResources, v2: Bool, devices: Bool) throws -> [DBusValue] {
        var props: [DBusValue] = []
        func add(_ name: String, _ v: DBusValue) { props.append(SystemdBus.property(name, v)) }
        func u64(_ v: Int64) -> UInt64 { v == -1 ? UInt64.max : UInt64(bitPattern: v) }
        if devices, let rules = r.devices { props += try deviceProperties(rules) }
        if let m = r.memory {
            if let l = m.limit, l != 0 { add(v2 ? "MemoryMax" : "MemoryLimit", .uint64(u64(l))) }
            if v2 {
                if let low = m.reservation, low != 0 { add("MemoryLow", .uint64(u64(low))) }
                if let swap = m.swap, swap != 0 {
                    // v2's swap limit counts swap alone; the spec's counts memory + swap.
                    if swap == -1 {
                        add("MemorySwapMax", .uint64(UInt64.max))
                    } else if let l = m.limit, l > 0, swap >= l {
                        add("MemorySwapMax", .uint64(UInt64(swap - l)))
                    }
                }
            }
        }
        if let c = r.cpu {
            if let s = c.shares, s != 0 {
                if v2 {
                    let clamped = min(max(s, 2), 262144)
                    add("CPUWeight", .uint64(1 + ((clamped - 2) * 9999) / 262142))
                } else {
                    add("CPUShares", .uint64(s))
                }
            }
            let quota = c.quota ?? 0
            var period = c.period ?? 0
            if period != 0 { add("CPUQuotaPeriodUSec", .uint64(period)) }
            if quota != 0 || period != 0 {
                // USEC_INFINITY unless a quota is set; systemd keeps whole percents: round up to 10 ms.
                var perSec = UInt64.max
                if quota > 0 {
                    if period == 0 { period = 100_000 }
                    perSec = UInt64(quota) * 1_000_000 / period
                    if perSec % 10_000 != 0 { perSec = (perSec / 10_000 + 1) * 10_000 }
                }
                add("CPUQuotaPerSecUSec", .uint64(perSec))
            }
            if let cpus = c.cpus, !cpus.isEmpty {
                add("AllowedCPUs", .array(element: "y", try bitmask(cpus, field: "linux.resources.cpu.cpus").map { .byte($0) }))
            }
            if let mems = c.mems, !mems.isEmpty {
                add("AllowedMemoryNodes", .array(element: "y", try bitmask(mems, field: "linux.resources.cpu.mems").map { .byte($0) }))
            }
        }
        if let b = r.blockIO, let w = b.weight, w != 0, !v2 {
            add("BlockIOWeight", .uint64(UInt64(w)))
        }
        if let p = r.pids?.limit, p > 0 || p == -1 {
            add("TasksMax", .uint64(u64(p)))
        }
        return props
    }

    /// "0-3,7" → the little-endian bit array systemd takes (byte 0 holds CPUs 0-7).
    static func bitmask(_ list: String, field: String) throws -> [UInt8] {
        var bits: [UInt8] = []
        for part in list.split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let lo = Int(ends[0].trimmingSpaces), let hi = Int(ends[ends.count - 1].trimmingSpaces),
                  lo >= 0, hi >= lo, hi < 1 << 16 else {
                throw CgroupError("\(field): \"\(list)\" is not a list of numbers and ranges (such as 0-3,7)")
            }
            for n in lo...hi {
                while bits.count <= n / 8 { bits.append(0) }
                bits[n / 8] |= 1 << UInt8(n % 8)
            }
        }
        return bits
    }

    /// DevicePolicy=strict and a DeviceAllow entry per allow rule, as runc generates them. Deny rules
    /// after the first cannot be said to systemd: the cgroup files (or the v2 BPF program) carry them.
    static func deviceProperties(_ rules: [LinuxDeviceCgroup]) throws -> [DBusValue] {
        var allows: [DBusValue] = []
        var allowAll = false
        for rule in rules {
            let type = rule.type ?? "a"
            let access = (rule.access ?? "rwm").isEmpty ? "rwm" : (rule.access ?? "rwm")
            guard rule.allow else {
                // A deny-all resets the list.
                if type == "a" && (rule.major ?? -1) == -1 && (rule.minor ?? -1) == -1 {
                    allows = []
                    allowAll = false
                }
                continue
            }
            let kindName = type == "b" ? "block" : "char"
            switch (type, rule.major ?? -1, rule.minor ?? -1) {
            case ("a", _, _):
                allowAll = true
            case (_, -1, _):
                allows.append(.structure([.string("\(kindName)-*"), .string(access)]))
            case (_, let major, -1):
                guard let group = deviceGroup(type: type, major: major) else { continue }
                allows.append(.structure([.string("\(kindName)-\(group)"), .string(access)]))
            case (_, let major, let minor):
                allows.append(.structure([.string("/dev/\(kindName)/\(major):\(minor)"), .string(access)]))
            }
        }
        if allowAll {
            return [SystemdBus.property("DevicePolicy", .string("auto")),
                    SystemdBus.property("DeviceAllow", .array(element: "(ss)", []))]
        }
        return [SystemdBus.property("DevicePolicy", .string("strict")),
                SystemdBus.property("DeviceAllow", .array(element: "(ss)", allows))]
    }

    /// The name /proc/devices gives a major number ("pts" for char 136).
    static func deviceGroup(type: String, major: Int64) -> String? {
        guard let text = try? readTextFile(path: "/proc/devices") else { return nil }
        var section = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Character") { section = "c"; continue }
            if line.hasPrefix("Block") { section = "b"; continue }
            let f = line.split(separator: " ")
            if section == type, f.count == 2, Int64(f[0]) == major { return String(f[1]) }
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

/// The calls the driver makes to systemd's manager.
public struct SystemdBus {
    let connection: DBusConnection
    let onBus: Bool

    static let destination = "org.freedesktop.systemd1"
    static let path = "/org/freedesktop/systemd1"
    static let manager = "org.freedesktop.systemd1.Manager"

    /// The system's manager: its private socket (root, no bus daemon needed), else the system bus.
    /// `user`: the calling user's manager (rootless), in runc 1.1's order as far as it goes:
    /// $DBUS_SESSION_BUS_ADDRESS, then $XDG_RUNTIME_DIR/bus; then that manager's own private socket
    /// $XDG_RUNTIME_DIR/systemd/private, which needs no session bus (where runc runs `systemctl --user
    /// show-environment` instead). Without $XDG_RUNTIME_DIR, /run/user/<uid> stands for it.
    public static func connect(user: Bool = false) throws -> SystemdBus {
        var errors: [String] = []
        guard user else {
            for (socket, bus) in [("/run/systemd/private", false), ("/run/dbus/system_bus_socket", true)] {
                do {
                    return SystemdBus(connection: try DBusConnection(path: socket, bus: bus), onBus: bus)
                } catch {
                    errors.append("\(socket): \(error)")
                }
            }
            throw DBusError("cannot reach systemd (is it the init of this host?): " + errors.joined(separator: "; "))
        }
        let uid = hostUID()
        var sockets: [(path: String, bus: Bool)] = []
        if let address = environment("DBUS_SESSION_BUS_ADDRESS") {
            let paths = unixSocketPaths(address)
            if paths.isEmpty { errors.append("$DBUS_SESSION_BUS_ADDRESS \"\(address)\": no unix:path= address in it") }
            sockets += paths.map { ($0, true) }
        } else {
            errors.append("$DBUS_SESSION_BUS_ADDRESS: not set")
        }
        let runtimeDir = environment("XDG_RUNTIME_DIR") ?? "/run/user/\(uid)"
        sockets += [(runtimeDir + "/bus", true), (runtimeDir + "/systemd/private", false)]
        for (socket, bus) in sockets {
            do {
                return SystemdBus(connection: try DBusConnection(path: socket, uid: uid, bus: bus), onBus: bus)
            } catch {
                errors.append("\(socket): \(error)")
            }
        }
        throw DBusError("cannot reach the systemd of uid \(uid) (swiftlet runs rootless: the user's own manager makes the "
            + "container's scope; start it with `loginctl enable-linger` or a login, or leave out --systemd-cgroup): "
            + errors.joined(separator: "; "))
    }

    static func environment(_ name: String) -> String? {
        guard let s = environmentValue(name), !s.isEmpty else { return nil }
        return s
    }

    /// The socket paths of a D-Bus address list ("unix:path=/run/user/1000/bus,guid=...;..."), in
    /// order; other transports (tcp:, unix:abstract=) are left out.
    public static func unixSocketPaths(_ address: String) -> [String] {
        var paths: [String] = []
        for entry in address.split(separator: ";") where entry.hasPrefix("unix:") {
            for pair in entry.dropFirst("unix:".count).split(separator: ",") where pair.hasPrefix("path=") {
                // Values are %-escaped.
                var bytes: [UInt8] = []
                var u = Array(pair.dropFirst("path=".count).utf8)[...]
                while let b = u.first {
                    if b == UInt8(ascii: "%"), u.count >= 3, let v = UInt8(String(decoding: u.dropFirst().prefix(2), as: UTF8.self), radix: 16) {
                        bytes.append(v)
                        u = u.dropFirst(3)
                    } else {
                        bytes.append(b)
                        u = u.dropFirst()
                    }
                }
                if !bytes.isEmpty { paths.append(String(decoding: bytes, as: UTF8.self)) }
            }
        }
        return paths
    }

    /// The caller's uid as the user's manager knows it: in a user namespace, the id it maps to
    /// outside (/proc/self/uid_map), which is what EXTERNAL authentication is checked against.
    /// The effective uid, which the socket's peer credentials carry: a process with effective uid 0
    /// and another real uid (setuid root) is root, as for runc, and never reaches for a user's
    /// manager at addresses its caller's environment names.
    public static func hostUID() -> uid_t {
        let uid = Identity.effectiveUID
        guard let text = try? readTextFile(path: "/proc/self/uid_map") else { return uid }
        return mapOutside(uid, uidMap: text) ?? uid
    }

    /// `id` through a uid_map's lines ("inside outside count"); nil when no line covers it.
    public static func mapOutside(_ id: UInt32, uidMap: String) -> UInt32? {
        for line in uidMap.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).compactMap { UInt64($0) }
            guard f.count == 3, UInt64(id) >= f[0], UInt64(id) < f[0] + f[2] else { continue }
            return UInt32(exactly: f[1] + (UInt64(id) - f[0]))
        }
        return nil
    }

    /// The manager's own cgroup (`/user.slice/user-1000.slice/user@1000.service` for a user's): the
    /// cgroups of its units are below it.
    public func managerControlGroup() throws -> String {
        let reply = try connection.call(.methodCall(destination: Self.destination, path: Self.path,
                                                    interface: "org.freedesktop.DBus.Properties", member: "Get",
                                                    [.string(Self.manager), .string("ControlGroup")]))
        guard let group = reply.first?.stringValue, group.hasPrefix("/") else {
            throw DBusError("systemd's manager gave no ControlGroup")
        }
        return group
    }

    public static func property(_ name: String, _ value: DBusValue) -> DBusValue {
        .structure([.string(name), .variant(value)])
    }

    func managerCall(_ member: String, _ body: [DBusValue]) throws -> [DBusValue] {
        try connection.call(.methodCall(destination: Self.destination, path: Self.path, interface: Self.manager,
                                        member: member, body))
    }

    /// Starts the unit and waits for its job to finish; a job that does not end "done" is an error.
    public func startTransientUnit(_ unit: String, _ properties: [DBusValue]) throws {
        try subscribe()
        let reply = try managerCall("StartTransientUnit", [
            .string(unit), .string("replace"), .array(element: "(sv)", properties), .array(element: "(sa(sv))", []),
        ])
        let result = try waitJob(reply.first?.stringValue ?? "")
        guard result == "done" else {
            throw DBusError("the job starting \(unit) ended \"\(result)\" (journalctl -u \(unit) says why)")
        }
    }

    /// Moves processes into the unit's cgroup (systemd 238 and later).
    public func attachProcesses(_ unit: String, _ pids: [pid_t]) throws {
        _ = try managerCall("AttachProcessesToUnit", [.string(unit), .string(""),
                                                      .array(element: "u", pids.map { .uint32(UInt32(bitPattern: $0)) })])
    }

    public func setUnitProperties(_ unit: String, _ properties: [DBusValue]) throws {
        _ = try managerCall("SetUnitProperties", [.string(unit), .bool(true), .array(element: "(sv)", properties)])
    }

    /// Stops the unit (a unit already gone is fine) and forgets a failed one.
    public func stopUnit(_ unit: String) throws {
        try subscribe()
        do {
            let reply = try managerCall("StopUnit", [.string(unit), .string("replace")])
            _ = try waitJob(reply.first?.stringValue ?? "")
        } catch let e as DBusError where e.name == "org.freedesktop.systemd1.NoSuchUnit" {}
        do { _ = try managerCall("ResetFailedUnit", [.string(unit)]) } catch let e as DBusError where e.name.hasPrefix("org.freedesktop.systemd1.") {}
    }

    /// JobRemoved reaches us only once subscribed (and, on a bus, matched).
    func subscribe() throws {
        if onBus {
            _ = try connection.call(.methodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                                                interface: "org.freedesktop.DBus", member: "AddMatch",
                                                [.string("type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'")]))
        }
        // A connection that started a unit is subscribed already (its create failing, it stops it).
        do { _ = try managerCall("Subscribe", []) } catch let e as DBusError where e.name == "org.freedesktop.systemd1.AlreadySubscribed" {}
    }

    /// Waits for JobRemoved of `job`; returns its result ("done", "failed", "canceled"...).
    func waitJob(_ job: String) throws -> String {
        let m = try connection.waitSignal { m in
            m.member == "JobRemoved" && m.body.count == 4 && m.body[1].stringValue == job
        }
        return m.body[3].stringValue ?? ""
    }
}

/// `org.systemd.property.NAME` annotations, which runc passes to the unit as properties. Values are GVariant
/// text; the forms read here are strings ('x' or "x"), booleans, integers (bare: int32) with an optional
/// type word (byte, int32, uint32, int64, uint64) and arrays of strings. A name ending in a lowercase
/// letter and `Sec` is given in seconds and sent as `...USec` in microseconds, as runc does.
public enum SystemdAnnotations {
    static let prefix = "org.systemd.property."

    public static func properties(_ annotations: [String: String]?) throws -> [DBusValue] {
        var out: [DBusValue] = []
        for (key, text) in (annotations ?? [:]).sorted(by: { $0.key < $1.key }) where key.hasPrefix(prefix) {
            var name = String(key.dropFirst(prefix.count))
            let field = "annotations[\"\(key)\"]"
            guard name.utf8.count >= 3, name.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else {
                throw CgroupError("\(field): a systemd property name is at least 3 latin letters")
            }
            var value = try parse(text, field: field)
            if name.hasSuffix("Sec"), let before = name.dropLast(3).unicodeScalars.last, ("a"..."z").contains(before) {
                guard let seconds = value.uint64Value else {
                    throw CgroupError("\(field): \"\(text)\": a time in seconds must be a number")
                }
                let (usec, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
                guard !overflow else { throw CgroupError("\(field): \"\(text)\": too many seconds") }
                name = String(name.dropLast(3)) + "USec"
                value = .uint64(usec)
            }
            out.append(SystemdBus.property(name, value))
        }
        return out
    }

    static func parse(_ text: String, field: String) throws -> DBusValue {
        func bad(_ why: String) -> CgroupError {
            CgroupError("\(field): \"\(text)\": \(why) (GVariant text such as 'a string', true, 42, uint64 42, ['a', 'b'])")
        }
        let t = String(Substring(text).trimmingSpaces)
        if t == "true" { return .bool(true) }
        if t == "false" { return .bool(false) }
        if let s = try quoted(t) { return .string(s) }
        if t.hasPrefix("[") && t.hasSuffix("]") {
            let inner = t.dropFirst().dropLast().trimmingSpaces
            if inner.isEmpty { return .array(element: "s", []) }
            var items: [DBusValue] = []
            for part in splitList(String(inner)) {
                guard let s = try quoted(String(Substring(part).trimmingSpaces)) else { throw bad("only arrays of strings are read") }
                items.append(.string(s))
            }
            return .array(element: "s", items)
        }
        let words = t.split(separator: " ", omittingEmptySubsequences: true)
        let (type, number) = words.count == 2 ? (String(words[0]), String(words[1])) : ("int32", t)
        guard words.count <= 2 else { throw bad("not a value swiftlet reads") }
        switch type {
        case "byte": if let v = UInt8(number) { return .byte(v) }
        case "int32": if let v = Int32(number) { return .int32(v) }
        case "uint32": if let v = UInt32(number) { return .uint32(v) }
        case "int64": if let v = Int64(number) { return .int64(v) }
        case "uint64": if let v = UInt64(number) { return .uint64(v) }
        default: throw bad("the type \(type) is not one swiftlet reads")
        }
        throw bad("not a \(type)")
    }

    /// The string of a quoted literal ('x' or "x", backslash escapes), nil if `t` is not one.
    static func quoted(_ t: String) throws -> String? {
        guard let q = t.first, q == "'" || q == "\"", t.count >= 2, t.last == q else { return nil }
        var out = ""
        var escaped = false
        for c in t.dropFirst().dropLast() {
            if escaped { out.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == q { throw CgroupError("an unescaped quote inside \(t)") }
            out.append(c)
        }
        return escaped ? nil : out
    }

    /// Splits "'a', 'b,c'" at the commas outside quotes.
    static func splitList(_ s: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        for c in s {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; current.append(c); continue }
            if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == "," {
                parts.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        parts.append(current)
        return parts
    }
}

extension Cgroups {
    /// The systemd driver of a rootless container: a scope of the calling user's manager, on a
    /// cgroup v2 host only (a user's manager delegates only in the unified hierarchy; runc 1.1 refuses
    /// the v1 and hybrid layouts too). The scope's directory is below the manager's own cgroup, which
    /// is asked of the manager rather than guessed: `<its ControlGroup>/<expanded slice>/<unit>`.
    /// Its cgroup files are the user's (the manager runs as the user): no device program (that needs
    /// privilege) and no controllers enabled above it (systemd hands the delegated ones down).
    public static func userSystemdDriver(cgroupsPath: String?, id: String, resources: LinuxResources?,
                                         annotations: [String: String]? = nil, host: CgroupHost) throws -> SystemdDriver {
        let path = try SystemdCgroupsPath(cgroupsPath: cgroupsPath, id: id, defaultSlice: "user.slice")
        let extra = try SystemdAnnotations.properties(annotations)
        guard host.mode == .v2, host.v1.isEmpty, let mount = host.unified else {
            throw CgroupError("a rootless container's systemd scope needs a cgroup v2 host; this one has cgroup v1 "
                + "hierarchies (\(host.mode.rawValue) layout)")
        }
        let bus = try SystemdBus.connect(user: true)
        let managerGroup = try bus.managerControlGroup()
        let dir = CgroupFS.join(CgroupFS.join(mount, managerGroup), path.cgroupPath)
        return SystemdDriver(inner: CgroupV2Driver(path: dir, mountPoint: mount, trackingOnly: true), unit: path.unit,
                             slice: path.slice, resources: resources, annotationProperties: extra, userManager: true, bus: bus)
    }
}
