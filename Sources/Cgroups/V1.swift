import Glibc
import Kernel
import RuntimeSpec

/// cgroup v1: one directory per hierarchy (co-mounted controllers share one).
public struct CgroupV1Driver: CgroupDriver {
    public let kind = "v1"
    /// controller → directory.
    public let paths: [String: String]
    /// controller → mount point of its hierarchy.
    let mounts: [String: String]

    public var made: Set<String>
    /// The directories, each once (co-mounted controllers share one), in order: made once, as
    /// `paths` never changes. A create asked for them a dozen times (claim, made, lock parent,
    /// join files), each a Set of 9 paths hashed and sorted again.
    let dirs: [String]

    public init(paths: [String: String], mounts: [String: String]) {
        self.paths = paths
        self.mounts = mounts
        dirs = Set(paths.values).sorted()
        made = Set(dirs)
    }

    public var unifiedPath: String? { nil }
    public var hierarchyMountPoints: [String] { Set(mounts.values).sorted() }
    public var directories: [String] { dirs }
    public var v1FreezerDirectory: String? { dir("freezer") }
    public var joinFiles: [String] { dirs.map { $0 + "/tasks" } }

    func dir(_ controller: String) -> String? { paths[controller] }

    public func create() throws {
        if let cpuset = paths["cpuset"], let mount = mounts["cpuset"] { try initCpuset(cpuset, mount: mount) }
    }

    /// A new v1 cpuset has empty cpus and mems, and refuses processes: copy them down from the
    /// nearest ancestor that has them. Looked for from the cgroup up, from its parent when this
    /// create made it (empty, or given its parent's by cgroup.clone_children): below an engine's
    /// parent, set by the first container, that is one read a file, not two a level.
    func initCpuset(_ dir: String, mount: String) throws {
        let levels = [mount] + CgroupFS.levels(from: mount, to: dir)
        let fresh = made.contains(dir) && levels.count > 1
        for file in ["cpuset.cpus", "cpuset.mems"] {
            var empty = fresh ? 1 : 0  // how many levels from the bottom have none
            var value = ""
            for level in levels.dropLast(fresh ? 1 : 0).reversed() {
                value = CgroupFS.read(level + "/" + file) ?? ""
                if !value.isEmpty { break }
                empty += 1
            }
            if value.isEmpty || empty == 0 { continue }
            for level in levels.suffix(empty) {
                try CgroupFS.write(level, file, value, field: "cgroup cpuset")
            }
        }
    }

    public func apply(_ r: LinuxResources, update: Bool) throws {
        try ResourcesV1.apply(r, paths: paths, update: update)
    }

    public func freeze() throws {
        guard let d = dir("freezer") else {
            throw CgroupError("pause: the host has no freezer cgroup controller")
        }
        try CgroupFS.write(d, "freezer.state", "FROZEN", field: "freezer")
        for _ in 0..<1000 {
            if CgroupFS.read(d + "/freezer.state") == "FROZEN" { return }
            // Writing FROZEN again retries tasks that were busy.
            Clock.sleep(milliseconds: 1)
            try CgroupFS.write(d, "freezer.state", "FROZEN", field: "freezer")
        }
        try? thaw()
        throw CgroupError("pause: the cgroup \(d) did not freeze in time", path: d)
    }

    public func thaw() throws {
        guard let d = dir("freezer") else { throw CgroupError("resume: the host has no freezer cgroup controller") }
        try CgroupFS.write(d, "freezer.state", "THAWED", field: "freezer")
    }

    public func freezerState() -> FreezerState {
        guard let d = dir("freezer"), let s = CgroupFS.read(d + "/freezer.state") else { return .unknown }
        switch s {
        case "FROZEN": return .frozen
        case "FREEZING": return .freezing
        default: return .thawed
        }
    }

    /// The hierarchy that tracks processes best: pids, freezer, memory, then any.
    var trackingDir: String? {
        for c in ["pids", "freezer", "memory", "cpu", "devices"] { if let d = paths[c] { return d } }
        return dirs.first
    }

    public func pids() -> [pid_t] {
        guard let d = trackingDir else { return [] }
        return CgroupFS.procs(d)
    }

    public func stats() -> CgroupStats { Stats.v1(paths) }

    public func signalAll(_ signal: Int32) throws {
        // Frozen, nothing can fork while we walk the list; SIGKILL also reaches frozen tasks once thawed.
        let wasFrozen = freezerState() == .frozen
        let canFreeze = dir("freezer") != nil
        if canFreeze && !wasFrozen { try? freeze() }
        for p in pids() { try? Proc.kill(p, signal) }
        if canFreeze && (!wasFrozen || signal == SIGKILL) { try? thaw() }
    }

    public func destroy() throws {
        if !pids().isEmpty {
            try? signalAll(SIGKILL)
            _ = waitEmpty()
        }
        var firstError: Error?
        for d in dirs where made.contains(d) {
            do { try CgroupFS.remove(d) } catch { if firstError == nil { firstError = error } }
        }
        if let e = firstError { throw e }
    }
}
