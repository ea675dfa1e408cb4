import Glibc
import Kernel
import RuntimeSpec

/// cgroup v2: one directory in the unified hierarchy.
public struct CgroupV2Driver: CgroupDriver {
    public let kind = "v2"
    public let path: String
    let mountPoint: String
    /// In the hybrid layout the unified cgroup only tracks processes (and holds controllers v1 lacks).
    let trackingOnly: Bool
    public var made: Set<String>

    public init(path: String, mountPoint: String, trackingOnly: Bool = false) {
        self.path = path
        self.mountPoint = mountPoint
        self.trackingOnly = trackingOnly
        made = [path]
    }

    public var directories: [String] { [path] }
    public var freezerDirectories: [String] { [path] }

    public var paths: [String: String] { ["": path] }
    public var unifiedPath: String? { path }
    public var procsFiles: [String] { [path + "/cgroup.procs"] }

    /// Controllers enabled for this cgroup (its cgroup.controllers).
    public var controllers: Set<String> {
        Set((CgroupFS.read(path + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
    }

    public func create() throws {
        // Walk down from the mount point: make each level and hand every available controller on to
        // the level below (a level with processes in it refuses; what is missing then is reported
        // when a resource needs it).
        var chain: [String] = []
        var d = path
        while d.count > mountPoint.count {
            chain.append(d)
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
        var parent = mountPoint
        for level in chain.reversed() {
            if !trackingOnly { enableControllers(parent) }
            do { try makeDirectoryIfMissing(level) } catch let e as SysError {
                throw CgroupError("creating cgroup \(level): \(errnoString(e.errno))", path: level, errno: e.errno)
            }
            parent = level
        }
        if trackingOnly { enableControllers(CgroupFS.join(mountPoint, "/"), only: ["hugetlb"], below: path) }
    }

    /// Enables (in `dir`'s cgroup.subtree_control) the controllers `dir` has.
    func enableControllers(_ dir: String, only: Set<String>? = nil) {
        let available = (CgroupFS.read(dir + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init)
        let enabled = Set((CgroupFS.read(dir + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        let wanted = available.filter { !enabled.contains($0) && (only == nil || only!.contains($0)) }
        if wanted.isEmpty { return }
        if (try? CgroupFS.write(dir, "cgroup.subtree_control", wanted.map { "+" + $0 }.joined(separator: " "),
                                field: "cgroup")) != nil { return }
        for c in wanted { try? CgroupFS.write(dir, "cgroup.subtree_control", "+" + c, field: "cgroup") }
    }

    /// The hybrid case: hand `only` down every level from `root` to the parent of `leaf`.
    func enableControllers(_ root: String, only: Set<String>, below leaf: String) {
        var chain: [String] = []
        var d = leaf
        while d.count > root.count {
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
            chain.append(d)
        }
        for level in chain.reversed() where level.count >= root.count { enableControllers(level, only: only) }
    }

    public func apply(_ r: LinuxResources, update: Bool) throws {
        try ResourcesV2.apply(r, dir: path, update: update, devices: !trackingOnly)
    }

    public func freeze() throws {
        try CgroupFS.write(path, "cgroup.freeze", "1", field: "freezer")
        for _ in 0..<2000 {
            if CgroupFS.keyed(path + "/cgroup.events", "frozen") == 1 { return }
            Clock.sleep(milliseconds: 1)
        }
        try? thaw()
        throw CgroupError("pause: the cgroup \(path) did not freeze in time", path: path)
    }

    public func thaw() throws {
        try CgroupFS.write(path, "cgroup.freeze", "0", field: "freezer")
    }

    public func freezerState() -> FreezerState {
        guard let f = CgroupFS.read(path + "/cgroup.freeze") else { return .unknown }
        // cgroup.freeze is what was written here; cgroup.events has the effective state, which a
        // frozen ancestor sets too (the container's processes are stopped all the same).
        if f == "0" { return CgroupFS.keyed(path + "/cgroup.events", "frozen") == 1 ? .frozen : .thawed }
        return CgroupFS.keyed(path + "/cgroup.events", "frozen") == 1 ? .frozen : .freezing
    }

    public func pids() -> [pid_t] { CgroupFS.procs(path) }

    public func stats() -> CgroupStats { Stats.v2(path) }

    public var hasKill: Bool { fileExists(path + "/cgroup.kill") }

    public func signalAll(_ signal: Int32) throws {
        if signal == SIGKILL && hasKill {
            try CgroupFS.write(path, "cgroup.kill", "1", field: "cgroup.kill")
            return
        }
        let wasFrozen = freezerState() == .frozen
        if !wasFrozen { try? freeze() }
        for p in pids() { try? Proc.kill(p, signal) }
        if !wasFrozen { try? thaw() }
    }

    public func destroy() throws {
        if !isDirectory(path) { return }
        if !pids().isEmpty {
            try? signalAll(SIGKILL)
            _ = waitEmpty()
        }
        if made.contains(path) { try CgroupFS.remove(path) }
    }
}
