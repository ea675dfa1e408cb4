import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

/// Commands that work on a running container through its cgroup: pause, resume, update, events, ps.
extension Runtime {
    func requireCgroup(_ record: ContainerRecord, _ command: String) throws -> CgroupDriver {
        // One look at the ownership marks, for the check and for the driver.
        let replaced = replacedCgroups(of: record)
        try requireOwnCgroup(record, command, replaced: replaced)
        guard let cg = cgroup(of: record, replaced: replaced) else {
            throw RuntimeError(step: "\(command) \(record.id)", object: record.id, "the container has no cgroup")
        }
        return cg
    }

    public func pause(id: String) throws {
        let locked = try store.lock(id)
        defer { locked.unlock() }
        let record = try store.load(id, locked: locked)
        let status = store.status(of: record)
        guard status == .running || status == .created else {
            throw RuntimeError(object: id, "container \(id) is not running (it is \(status.rawValue))")
        }
        try RuntimeError.during("pause \(id)") { try requireCgroup(record, "pause").freeze() }
    }

    public func resume(id: String) throws {
        let locked = try store.lock(id)
        defer { locked.unlock() }
        let record = try store.load(id, locked: locked)
        let status = store.status(of: record)
        guard status == .paused else {
            throw RuntimeError(object: id, "container \(id) is not paused (it is \(status.rawValue))")
        }
        try RuntimeError.during("resume \(id)") { try requireCgroup(record, "resume").thaw() }
    }

    /// `update`: merges `changes` into the container's resources, applies them to the live cgroup
    /// and records them.
    public func update(id: String, changes: LinuxResources) throws {
        let locked = try store.lock(id)
        defer { locked.unlock() }
        var record = try store.load(id, locked: locked)
        let status = store.status(of: record)
        guard status != .stopped else { throw RuntimeError(object: id, "container \(id) is not running") }
        let cg = try requireCgroup(record, "update")
        var merged = record.config.linux?.resources ?? LinuxResources()
        merged.merge(changes)
        // An unlimited memory limit without a new swap limit lifts the memory+swap limit too (as
        // runc): a finite one kept from before would be below it, which the kernel refuses.
        if changes.memory?.limit == -1, changes.memory?.swap == nil, let swap = merged.memory?.swap, swap > 0 {
            merged.memory?.swap = -1
        }
        var apply = merged
        apply.devices = nil
        do { try cg.apply(apply, update: true) } catch { throw RuntimeError(step: "update \(id)", object: id, cause: error) }
        if record.config.linux == nil { record.config.linux = Linux() }
        record.config.linux?.resources = merged
        try store.save(record)
    }

    public func stats(id: String) throws -> CgroupStats {
        let record = try store.load(id)
        guard store.status(of: record) != .stopped else { throw RuntimeError(object: id, "container \(id) is not running") }
        return try requireCgroup(record, "events").stats()
    }

    /// `events`: every `interval` ms a stats event (unless `statsOnly` prints one and returns); an
    /// `oom` event whenever the OOM killer struck. Ends when the container stops.
    public func events(id: String, intervalMS: Int, statsOnce: Bool, emit: (JSONValue) -> Void) throws {
        let record = try store.load(id)
        guard store.status(of: record) != .stopped else { throw RuntimeError(object: id, "container \(id) is not running") }
        let cg = try requireCgroup(record, "events")
        func event(_ type: String, _ data: JSONValue?) -> JSONValue {
            var m: [(String, JSONValue)] = [("type", .string(type)), ("id", .string(id))]
            if let data { m.append(("data", data)) }
            return .object(m)
        }
        if statsOnce {
            emit(event("stats", cg.stats().json))
            return
        }
        var lastOOM = cg.stats().oomKills
        var sinceStats = intervalMS
        let tick = min(100, max(intervalMS, 10))
        while store.status(of: record) != .stopped {
            let s = cg.stats()
            if s.oomKills > lastOOM {
                lastOOM = s.oomKills
                emit(event("oom", nil))
            }
            if sinceStats >= intervalMS {
                emit(event("stats", s.json))
                sinceStats = 0
            }
            Clock.sleep(milliseconds: tick)
            sinceStats += tick
        }
        // An OOM kill that stopped the container (its init among the victims) between two looks.
        if cg.stats().oomKills > lastOOM { emit(event("oom", nil)) }
    }

    public func pids(id: String) throws -> [pid_t] {
        let record = try store.load(id)
        return processes(of: record, cgroup: cgroup(of: record, replaced: replacedCgroups(of: record)))
    }
}

extension LinuxResources {
    /// Fields set in `c` replace ours (field by field inside memory, cpu, blockIO; not devices).
    public mutating func merge(_ c: LinuxResources) {
        memory = SetField.overlay(memory, c.memory, on: LinuxMemory(), [
            .init(\.limit), .init(\.reservation), .init(\.swap), .init(\.kernel), .init(\.kernelTCP),
            .init(\.swappiness), .init(\.disableOOMKiller), .init(\.checkBeforeUpdate),
        ])
        cpu = SetField.overlay(cpu, c.cpu, on: LinuxCPU(), [
            .init(\.shares), .init(\.quota), .init(\.burst), .init(\.period), .init(\.realtimeRuntime),
            .init(\.realtimePeriod), .init(\.cpus), .init(\.mems), .init(\.idle),
        ])
        blockIO = SetField.overlay(blockIO, c.blockIO, on: LinuxBlockIO(), [
            .init(\.weight), .init(\.leafWeight), .init(\.weightDevice), .init(\.throttleReadBpsDevice),
            .init(\.throttleWriteBpsDevice), .init(\.throttleReadIOPSDevice), .init(\.throttleWriteIOPSDevice),
        ])
        let whole: [SetField<LinuxResources>] = [.init(\.pids), .init(\.hugepageLimits), .init(\.network), .init(\.rdma),
                                                 .init(\.unified)]
        for field in whole { field.copy(&self, c) }
    }
}

/// An optional field of `Root` that an update replaces only when it sets it.
struct SetField<Root> {
    let copy: (inout Root, Root) -> Void

    init<Value>(_ field: WritableKeyPath<Root, Value?>) {
        copy = { current, update in
            if let value = update[keyPath: field] { current[keyPath: field] = value }
        }
    }

    /// The `fields` that `update` sets, on top of `current` (or of `empty` when there is none yet);
    /// `current` as it is without an update.
    static func overlay(_ current: Root?, _ update: Root?, on empty: Root, _ fields: [SetField]) -> Root? {
        guard let update else { return current }
        var merged = current ?? empty
        for field in fields { field.copy(&merged, update) }
        return merged
    }
}
