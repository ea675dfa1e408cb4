import Glibc
import Kernel
import RuntimeSpec

/// The hybrid layout (v1 controllers, cgroup2 at /sys/fs/cgroup/unified): limits go to v1, the
/// unified cgroup tracks processes (cgroup.kill, cgroup.procs) and takes the controllers only it has
/// (hugetlb on this kind of host).
public struct HybridDriver: CgroupDriver {
    public let kind = "hybrid"
    var v1: CgroupV1Driver
    var v2: CgroupV2Driver

    public init(v1: CgroupV1Driver, v2: CgroupV2Driver) {
        self.v1 = v1
        self.v2 = v2
    }

    public var paths: [String: String] { v1.paths.merging(v2.paths) { a, _ in a } }
    public var unifiedPath: String? { v2.path }
    public var hierarchyMountPoints: [String] { v1.hierarchyMountPoints + v2.hierarchyMountPoints }
    public var joinFiles: [String] { v1.joinFiles + v2.joinFiles }
    public var directories: [String] { v1.directories + v2.directories }
    public var v1FreezerDirectory: String? { v1.v1FreezerDirectory }

    public var made: Set<String> {
        get { v1.made.union(v2.made) }
        set {
            v1.made = newValue.intersection(v1.directories)
            v2.made = newValue.intersection(v2.directories)
        }
    }

    public func create() throws {
        try v1.create()
        do { try v2.create() } catch {
            try? v1.destroy()
            throw error
        }
    }

    public func apply(_ r: LinuxResources, update: Bool) throws {
        // hugetlb (where only the unified hierarchy has it) and `unified` go to v2. Most configs
        // have neither: then `r` goes to v1 as it is, without the copies and the comparison of two
        // whole LinuxResources values every create paid for.
        let hugetlbToV2 = r.hugepageLimits?.isEmpty == false && v1.paths["hugetlb"] == nil && v2.controllers.contains("hugetlb")
        let unifiedToV2 = r.unified?.isEmpty == false
        guard hugetlbToV2 || unifiedToV2 else { return try v1.apply(r, update: update) }
        var forV1 = r
        var forV2 = LinuxResources()
        if hugetlbToV2 {
            forV1.hugepageLimits = nil
            forV2.hugepageLimits = r.hugepageLimits
        }
        if unifiedToV2 {
            forV1.unified = nil
            forV2.unified = r.unified
        }
        try v1.apply(forV1, update: update)
        try v2.apply(forV2, update: update)
    }

    public func freeze() throws {
        if v1.paths["freezer"] != nil { try v1.freeze() } else { try v2.freeze() }
    }

    public func thaw() throws {
        if v1.paths["freezer"] != nil { try v1.thaw() } else { try v2.thaw() }
    }

    public func freezerState() -> FreezerState {
        guard v1.paths["freezer"] != nil else { return v2.freezerState() }
        // The processes are in the unified tracking cgroup too: frozen there (an ancestor frozen
        // with cgroup.freeze) they are stopped as much as by the v1 freezer.
        // Only its cgroup.events counts here, so one file is read there, not two.
        let s = v1.freezerState()
        return s == .thawed && v2.isFrozen ? .frozen : s
    }

    public func pids() -> [pid_t] {
        let p = v2.pids()
        return p.isEmpty ? v1.pids() : p
    }

    public func stats() -> CgroupStats {
        var s = v1.stats()
        let u = v2.stats()
        if s.hugetlb.isEmpty { s.hugetlb = u.hugetlb }
        return s
    }

    public func signalAll(_ signal: Int32) throws {
        if signal == SIGKILL && v2.hasKill {
            try CgroupFS.write(v2.path, "cgroup.kill", "1", field: "cgroup.kill")
            // A frozen v1 task dies only once thawed. FREEZING too (a task moved into the frozen
            // cgroup and not frozen yet): its frozen ones stay frozen all the same.
            if v1.freezerState() != .thawed { try? v1.thaw() }
            return
        }
        try v1.signalAll(signal)
    }

    public func destroy() throws {
        if !pids().isEmpty {
            try? signalAll(SIGKILL)
            _ = waitEmpty()
        }
        var firstError: Error?
        do { try v1.destroy() } catch { firstError = error }
        do { try v2.destroy() } catch { if firstError == nil { firstError = error } }
        if let e = firstError { throw e }
    }
}
