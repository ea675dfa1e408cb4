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
    public var v1FreezerDirectory: String? { nil }

    public var paths: [String: String] { ["": path] }
    public var unifiedPath: String? { path }
    public var hierarchyMountPoints: [String] { [mountPoint] }
    public var joinFiles: [String] { [path + "/cgroup.procs"] }

    /// Controllers enabled for this cgroup (its cgroup.controllers).
    public var controllers: Set<String> {
        Set((CgroupFS.read(path + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
    }

    public func create() throws {
        // Hand every available controller on, level by level from the mount point down to the
        // parent of this cgroup (a level with processes in it refuses; what is missing then is
        // reported when a resource needs it). CgroupOwnership.claim made the directories.
        if trackingOnly {
            enableControllers(CgroupFS.join(mountPoint, "/"), only: ["hugetlb"], below: path)
            return
        }
        var parent = mountPoint
        for level in CgroupFS.levels(from: mountPoint, to: path) {
            enableControllers(parent)
            parent = level
        }
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
        // Where the leaf's parent hands them on already, so does every level above it (the kernel
        // enables a controller in a cgroup's subtree_control only while its parent's has it, and
        // disables none in a parent while a child's has it): one read instead of two a level.
        let levels = CgroupFS.levels(from: root, to: leaf)
        let leafParent = levels.count >= 2 ? levels[levels.count - 2] : root
        let handedOn = Set((CgroupFS.read(leafParent + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        if only.isSubset(of: handedOn) { return }
        var parent = root
        for level in levels {
            enableControllers(parent, only: only)
            parent = level
        }
    }

    public func apply(_ r: LinuxResources, update: Bool) throws {
        try ResourcesV2.apply(r, dir: path, update: update, devices: !trackingOnly)
    }

    public func freeze() throws {
        try CgroupFS.write(path, "cgroup.freeze", "1", field: "freezer")
        for _ in 0..<2000 {
            if isFrozen { return }
            Clock.sleep(milliseconds: 1)
        }
        try? thaw()
        throw CgroupError("pause: the cgroup \(path) did not freeze in time", path: path)
    }

    public func thaw() throws {
        try CgroupFS.write(path, "cgroup.freeze", "0", field: "freezer")
    }

    public func freezerState() -> FreezerState {
        // cgroup.events has the effective state, which a frozen ancestor sets too (the container's
        // processes are stopped all the same): frozen there is frozen, whatever cgroup.freeze says.
        // Only short of that does cgroup.freeze (what was written here) tell freezing from thawed.
        if isFrozen { return .frozen }
        guard let f = CgroupFS.read(path + "/cgroup.freeze") else { return .unknown }
        return f == "0" ? .thawed : .freezing
    }

    /// Frozen by itself or by an ancestor: one file (cgroup.events), for `list` and `state`.
    var isFrozen: Bool { CgroupFS.keyed(path + "/cgroup.events", "frozen") == 1 }

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
