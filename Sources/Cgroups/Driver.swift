import Glibc
import Kernel
import RuntimeSpec

public enum FreezerState: String, Sendable {
    case thawed, freezing, frozen, unknown
}

/// A cgroup manager for one container. The cgroupfs drivers (v1, v2, hybrid) implement it, and the
/// systemd driver over one of them (create = StartTransientUnit, the rest through the unit's cgroup).
public protocol CgroupDriver {
    /// "v1", "v2", "hybrid", or one of them after "systemd-" or "systemd-user-" (kept in the container's state to find the driver again).
    var kind: String { get }
    /// Controller → directory, like runc's `cgroup_paths` ("" is the unified hierarchy).
    var paths: [String: String] { get }
    /// The files a single-threaded process writes "0" to in order to join every hierarchy: a v1
    /// hierarchy's `tasks`, the v2 `cgroup.procs`. A "0" written to `tasks` moves only the calling
    /// thread, which the kernel does without its threadgroup lock (cgroup_procs_write_start): the
    /// first writer of that percpu rwsem waits for an RCU grace period (1-15 ms on this 2-core VM),
    /// a "0" to every v1 `tasks` costs ~0.3 ms in all. The thread is the whole process when it has
    /// no other; cgroup v2 has no such file (`cgroup.threads` stays within a threaded domain).
    var joinFiles: [String] { get }
    /// The mount point of every hierarchy the cgroup has a directory in.
    var hierarchyMountPoints: [String] { get }
    /// The directory of the v2 (unified) cgroup, if there is one.
    var unifiedPath: String? { get }
    /// Every directory of the cgroup: one per v1 hierarchy, the unified one.
    var directories: [String] { get }
    /// The container's directory in the v1 freezer hierarchy, if it has one: with `unifiedPath`,
    /// where a freeze reaches it (the other hierarchies have no freezer files to look at).
    var v1FreezerDirectory: String? { get }
    /// The directories this container made: the only ones `destroy` removes. A cgroupsPath naming
    /// a cgroup that was there before is used and left in place.
    var made: Set<String> { get set }

    /// Readies the directories CgroupOwnership.claim made (it makes them, once): the v1 cpuset's
    /// copy-down, on v2 the controllers enabled in the parents, for systemd the scope unit.
    func create() throws
    /// Applies limits. `update` is true for `swiftlet update` (checkBeforeUpdate, no device reset).
    func apply(_ resources: LinuxResources, update: Bool) throws
    func addProcess(_ pid: pid_t) throws
    func freeze() throws
    func thaw() throws
    func freezerState() -> FreezerState
    /// Every process in the cgroup (and below).
    func pids() -> [pid_t]
    func stats() -> CgroupStats
    /// Signals every process; SIGKILL uses cgroup.kill where the kernel has it.
    func signalAll(_ signal: Int32) throws
    /// Kills what is left, waits for the cgroup to empty, removes the directories it made.
    func destroy() throws
    /// Removes what this container made without signalling anything (below); a requirement so that
    /// the systemd driver also stops its unit.
    func removeMadeSparingProcesses() -> (left: [String], pids: [pid_t])
}

extension CgroupDriver {
    public func addProcess(_ pid: pid_t) throws {
        for dir in directories { try CgroupFS.write(dir, "cgroup.procs", "\(pid)", field: "cgroup.procs") }
    }

    /// Waits (up to `milliseconds`) until the cgroup has no process.
    func waitEmpty(milliseconds: Int = 5000) -> Bool {
        var waited = 0
        var delay = 1
        while waited < milliseconds {
            if pids().isEmpty { return true }
            reapChildren()
            Clock.sleep(milliseconds: delay)
            waited += delay
            delay = min(delay * 2, 50)
        }
        return pids().isEmpty
    }

    /// Removes the directories this container made without signalling anything: what is found in
    /// them is not the container's (`delete` of a stopped container that had its own pid namespace:
    /// every process of it died with its init). A directory that still holds processes is left in
    /// place; they are returned.
    public func removeMadeSparingProcesses() -> (left: [String], pids: [pid_t]) {
        var left: [String] = []
        var pids: [pid_t] = []
        let tree = CgroupTree()
        for d in directories where made.contains(d) {
            // The usual case, an empty leaf, goes with its rmdir alone (or is gone already): the
            // kernel refuses it (EBUSY) while a process or a child cgroup is in it, and only then is
            // it looked into. The look first cost 8 system calls per hierarchy (stat, cgroup.procs,
            // the directory listing), 80 on this hybrid host for every `run`.
            if (try? tree.removeDirectory(d)) != nil { continue }
            let procs = CgroupFS.procs(d)
            if !procs.isEmpty {
                left.append(d)
                pids += procs
                continue
            }
            if (try? CgroupFS.remove(d)) == nil { left.append(d) }
        }
        return (left, Array(Set(pids)).sorted())
    }

    /// Why a cgroup ancestor of this container's (not the container's own pause) holds it frozen,
    /// if one does: the v1 freezer's parent_freezing, or a v2 cgroup frozen while its own
    /// cgroup.freeze is 0.
    /// Each hierarchy is asked only for its own file, and v2's cgroup.freeze only once cgroup.events
    /// says frozen: one file per hierarchy in the usual case, where every directory was once asked
    /// for both kinds (two of them missing on a hybrid host, five opens for `exec`).
    public func frozenAncestor() -> String? {
        if let d = v1FreezerDirectory, CgroupFS.read(d + "/freezer.parent_freezing") == "1" {
            return "\(d): freezer.parent_freezing 1"
        }
        if let d = unifiedPath, CgroupFS.keyed(d + "/cgroup.events", "frozen") == 1,
           CgroupFS.read(d + "/cgroup.freeze") == "0" {
            return "\(d): cgroup.events frozen 1 with cgroup.freeze 0"
        }
        return nil
    }

    /// An existing cgroup is used only when it is empty and not frozen: processes in it are not the
    /// container's, yet `destroy` and `kill --all` would hit them (a cgroupsPath of "/" names the
    /// whole host); in a frozen one init would freeze and `create` never return. runc 1.2 refuses
    /// both too. `existing`: the directories that were there before.
    public func checkReusable(existing: [String]) throws {
        for d in existing.sorted() {
            if let frozen = Self.frozenState(d) {
                throw CgroupError("the cgroup \(d) is frozen (\(frozen)): a container cannot start in a frozen cgroup (thaw it, or choose another path)", path: d)
            }
            let procs = CgroupFS.firstProcs(d)
            if !procs.isEmpty {
                let shown = procs.prefix(5).map(String.init).joined(separator: ", ") + (procs.count > 5 ? ", ..." : "")
                throw CgroupError("the cgroup \(d) is not empty: it already has processes (pid \(shown)); a container needs a cgroup of its own, empty or not yet made",
                                  path: d)
            }
        }
    }

    /// The directory of this cgroup that is frozen, by itself or through an ancestor, if any.
    public func frozenDirectory() -> String? {
        directories.first { Self.frozenState($0) != nil }
    }

    /// Why `dir` counts as frozen: the v1 freezer.state (the effective one, ancestors included) or
    /// v2's cgroup.freeze / cgroup.events; nil when it is thawed or has no freezer.
    static func frozenState(_ dir: String) -> String? {
        if let s = CgroupFS.read(dir + "/freezer.state") {
            return s == "THAWED" ? nil : "freezer.state \(s)"
        }
        if CgroupFS.read(dir + "/cgroup.freeze") == "1" { return "cgroup.freeze 1" }
        if CgroupFS.keyed(dir + "/cgroup.events", "frozen") == 1 { return "cgroup.events frozen 1, an ancestor is frozen" }
        return nil
    }

    /// Moves `pid` (a process of ours that was killed) back to the caller's own cgroup of the v1
    /// freezer hierarchy: moved to a thawed cgroup a frozen task thaws, and can die. (A v2 freezer
    /// lets SIGKILL through.)
    public func release(_ pid: pid_t) {
        let fs = (self as? SystemdDriver)?.inner ?? self
        guard let v1 = (fs as? CgroupV1Driver) ?? (fs as? HybridDriver)?.v1,
              v1.paths["freezer"] != nil, let mount = v1.mounts["freezer"] else { return }
        let own = CgroupHost.ownCgroups()["freezer"] ?? "/"
        try? CgroupFS.write(CgroupFS.join(mount, own), "cgroup.procs", "\(pid)", field: "freezer")
    }

    func reapChildren() {
        while (try? Proc.waitAny(nohang: true)) ?? nil != nil {}
    }
}

public enum Cgroups {
    /// The path of the container's cgroup below each hierarchy's root, as runc computes it: an absolute
    /// cgroupsPath is used as is; a relative one (or the container id when there is none) goes below
    /// the caller's own cgroup (on v2: below its parent, which has no processes).
    static func inner(cgroupsPath: String?, id: String) -> (path: String, absolute: Bool) {
        let p = cgroupsPath.map { Kernel.cleanPath($0) } ?? ""
        if p.isEmpty || p == "." { return (id, false) }
        return (p, p.hasPrefix("/"))
    }

    public static func validate(cgroupsPath: String?) throws {
        guard let p = cgroupsPath, !p.isEmpty else { return }
        if p.contains(":") && !p.hasPrefix("/") {
            throw CgroupError("linux.cgroupsPath: \"\(p)\" looks like a systemd slice:prefix:name path; that is the systemd cgroup driver's form: give --systemd-cgroup, or a cgroupfs path")
        }
        let parts = p.split(separator: "/")
        if parts.contains("..") {
            throw CgroupError("linux.cgroupsPath: \"\(p)\": must not contain \"..\"")
        }
    }

    /// The systemd driver for a new container: the scope's directories are where systemd puts them
    /// (`<mount>/<expanded slice>/<unit>` in every hierarchy).
    public static func systemdDriver(cgroupsPath: String?, id: String, resources: LinuxResources?,
                                     annotations: [String: String]? = nil, host: CgroupHost = .detect()) throws -> SystemdDriver {
        let path = try SystemdCgroupsPath(cgroupsPath: cgroupsPath, id: id)
        let extra = try SystemdAnnotations.properties(annotations)
        let inner = try driver(cgroupsPath: path.cgroupPath, id: id, host: host)
        return SystemdDriver(inner: inner, unit: path.unit, slice: path.slice, resources: resources,
                             annotationProperties: extra)
    }

    /// The driver for a new container on this host.
    public static func driver(cgroupsPath: String?, id: String, host: CgroupHost = .detect()) throws -> CgroupDriver {
        try validate(cgroupsPath: cgroupsPath)
        let (inner, absolute) = inner(cgroupsPath: cgroupsPath, id: id)
        let own = (host.mode == .v2 && host.v1.isEmpty) || !absolute ? CgroupHost.ownCgroups() : [:]
        func v2Dir(_ mount: String) -> String {
            if absolute { return CgroupFS.join(mount, inner) }
            var base = own[""] ?? "/"
            // The caller's own cgroup most likely has processes in it: use its parent.
            if base != "/" { base = String(base[..<(base.lastIndex(of: "/") ?? base.startIndex)]) }
            return CgroupFS.join(CgroupFS.join(mount, base), inner)
        }
        func v1Paths() -> [String: String] {
            var paths: [String: String] = [:]
            for (ctrl, mount) in host.v1 {
                if absolute {
                    paths[ctrl] = CgroupFS.join(mount, inner)
                } else {
                    paths[ctrl] = CgroupFS.join(CgroupFS.join(mount, own[ctrl] ?? "/"), inner)
                }
            }
            return paths
        }
        switch host.mode {
        case .v2:
            guard let mount = host.unified else { throw CgroupError("no cgroup hierarchy is mounted") }
            return CgroupV2Driver(path: v2Dir(mount), mountPoint: mount)
        case .v1:
            if host.v1.isEmpty { throw CgroupError("no cgroup hierarchy is mounted under /sys/fs/cgroup") }
            return CgroupV1Driver(paths: v1Paths(), mounts: host.v1)
        case .hybrid:
            let mount = host.unified!
            return HybridDriver(v1: CgroupV1Driver(paths: v1Paths(), mounts: host.v1),
                                v2: CgroupV2Driver(path: v2Dir(mount), mountPoint: mount, trackingOnly: true))
        }
    }

    /// The driver of an existing container, from what its state recorded (no mountinfo read: the
    /// mount points matter only when creating). `made`: the directories it made; nil (a state
    /// written before this was recorded) counts every one as made.
    public static func load(kind: String, paths: [String: String], made: [String]? = nil) -> CgroupDriver {
        if kind.hasPrefix("systemd-") {
            // The unit is the scope: the last component of its directories.
            let dir = paths.values.sorted().first ?? ""
            let unit = String(dir[(dir.lastIndex(of: "/").map { dir.index(after: $0) } ?? dir.startIndex)...])
            let user = kind.hasPrefix("systemd-user-")
            var inner = load(kind: String(kind.dropFirst(user ? "systemd-user-".count : "systemd-".count)), paths: paths, made: made)
            if user, let v2 = inner as? CgroupV2Driver {
                // A user's scope: its files are the user's, and no device program was attached.
                var tracking = CgroupV2Driver(path: v2.path, mountPoint: v2.mountPoint, trackingOnly: true)
                tracking.made = v2.made
                inner = tracking
            }
            return SystemdDriver(inner: inner, unit: unit, slice: "", resources: nil, userManager: user)
        }
        var v1 = paths
        let unified = v1.removeValue(forKey: "") ?? ""
        let unifiedMount = kind == "v2" ? CgroupHost.base : CgroupHost.base + "/unified"
        var driver: CgroupDriver
        switch kind {
        case "v2":
            driver = CgroupV2Driver(path: unified, mountPoint: unifiedMount)
        case "hybrid":
            driver = HybridDriver(v1: CgroupV1Driver(paths: v1, mounts: [:]),
                                  v2: CgroupV2Driver(path: unified, mountPoint: unifiedMount, trackingOnly: true))
        default:
            driver = CgroupV1Driver(paths: v1, mounts: [:])
        }
        if let made { driver.made = Set(made) }
        return driver
    }
}
