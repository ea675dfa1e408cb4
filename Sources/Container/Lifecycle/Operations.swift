import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

extension Runtime {
    /// `start`: releases the process waiting on the exec fifo, then runs poststart hooks.
    public func start(id: String) throws {
        try start(id: id, record: nil)
    }

    /// `known`: the record `run` has just created (it is `created`), so it is not read back.
    func start(id: String, record known: ContainerRecord?) throws {
        let locked = try store.lock(id)
        defer { locked.unlock() }
        let record = try known ?? store.load(id, locked: locked)
        let status = known != nil ? .created : store.status(of: record)
        guard status == .created else {
            throw RuntimeError(object: id, "cannot start a container that is \(status.rawValue) (only a created one)")
        }
        Fault.point("start.locked")
        let fifo = store.fifoPath(id)
        // Our own reader first: the writer open then cannot fail, and the reader reports hang-up
        // once init's end closes on exec.
        let reader = try FD.open(fifo, O_RDONLY | O_NONBLOCK)
        defer { reader.close() }
        let writer: FD
        do { writer = try FD.open(fifo, O_WRONLY | O_NONBLOCK) } catch {
            throw RuntimeError(step: "start \(id)", object: fifo, "the container's init is gone", cause: error)
        }
        // Two bytes: init reads one and goes on to its execve; the other stays in the fifo until
        // then, and tells `state` (StateStore.waitsOnFifo) that the container was started, should
        // this start be killed before it removes the fifo.
        try writer.write([0, 0])
        writer.close()
        debug("start \(id): exec fifo written, pid \(record.pid) runs the user process")
        Fault.point("start.written")
        try? removeFile(fifo)
        try awaitExec(id: id, record: record, reader: reader)
    }

    /// `run`'s start: the container its create has just made, through what that create handed over
    /// (StartHandOff: the folder still locked, init's pipe). It closes the pipe's write end; the
    /// caller releases the rest.
    func start(id: String, record: ContainerRecord, handOff: StartHandOff) throws {
        Fault.point("start.locked")
        // The two bytes as into the fifo; our write end closed, init's (closed on its execve) is
        // the last one, and its closing the hang-up our read end sees.
        do {
            defer { handOff.write.close() }
            try handOff.write.write([0, 0])
        } catch {
            throw RuntimeError(step: "start \(id)", "the container's init is gone", cause: error)
        }
        debug("start \(id): start pipe written, pid \(record.pid) runs the user process")
        Fault.point("start.written")
        try awaitExec(id: id, record: record, reader: handOff.read)
    }

    /// Waits for init's execve after the start's two bytes (the fifo's or the pipe's `reader`), then
    /// runs the poststart hooks.
    private func awaitExec(id: String, record: ContainerRecord, reader: FD) throws {
        // Hang-up: init's end closed on execve. A program that is quick may already be gone by
        // the time we look, which is not a failure to start.
        var execed = false
        while true {
            if Poll.hungUp(reader, milliseconds: 100) { execed = true; break }
            if !Proc.isAlive(record.pid) { break }
        }
        // Anything left in the fifo past our zero bytes is init's reason for not reaching execve (a
        // startContainer hook failed), as `RuntimeError.wireBytes`; both our bytes left unread
        // mean init never got to read one. Read only when there is something: the pipe's read end is
        // a blocking one (init's read of its byte shares it), and a writer may remain in a process
        // that is not `record.pid`.
        if execed || Poll.hasData(reader), let left = try? reader.read(max: 65536) {
            let report = left.filter { $0 != 0 }
            if !report.isEmpty { throw RuntimeError.fromWire(report) }
            if left.count > 1 { throw RuntimeError(object: id, "container \(id) exited before it was started") }
        }
        guard execed || Proc.isAlive(record.pid) else {
            throw RuntimeError(object: id, "container \(id) exited while starting")
        }
        Fault.point("start.fifo-removed")
        debug("container \(id) started")
        HookRunner.runAllWarning(record.config.hooks?.poststart, kind: "poststart",
                                 state: hookState(record, status: .running), warn: warn)
    }

    public func state(id: String) throws -> RuncState {
        let record = try store.loadSummary(id)
        let status = store.status(of: record)
        return RuncState(ociVersion: record.ociVersion, id: record.id,
                         pid: status == .stopped ? 0 : Int(record.pid), status: status.rawValue,
                         bundle: record.bundle, rootfs: record.rootfs, created: record.created,
                         annotations: record.annotations, owner: record.owner)
    }

    /// A root the runtime does not own is refused, naming it, rather than listed as empty.
    public func list() throws -> [RuncState] {
        if let refusal = store.rootRefusal { throw refusal }
        return store.ids().compactMap { try? state(id: $0) }
    }

    public func kill(id: String, signal: Int32, all: Bool) throws {
        let record = try store.load(id)
        let status = store.status(of: record)
        if all && status == .stopped {
            // As runc: `kill --all` of a stopped container signals what is left in its cgroup. The
            // containerd shim calls it when the init of a container sharing a pod's pid namespace
            // exits, and a failure there leaves the container "running" for the kubelet.
            for pid in cgroup(of: record, replaced: replacedCgroups(of: record))?.pids() ?? [] {
                Proc.signalIfPresent(pid, signal)
            }
            return
        }
        guard status == .created || status == .running || status == .paused else {
            // "container not running" is runc's text, which the containerd shim and conmon match on
            // to treat the kill of an exited container as done.
            throw RuntimeError(object: id, "cannot signal \(id): container not running")
        }
        debug("kill \(id): signal \(signal) to \(all ? "every process" : "pid \(record.pid)")")
        if all {
            if let cg = cgroup(of: record, replaced: replacedCgroups(of: record)) {
                do { try cg.signalAll(signal) } catch { throw RuntimeError(step: "kill --all \(id)", object: id, cause: error) }
            } else {
                for pid in processes(of: record, cgroup: nil) { Proc.signalIfPresent(pid, signal) }
            }
        } else {
            try Proc.kill(record.pid, signal)
        }
    }

    /// The container's processes: its cgroup's, else everything in the pid namespace it made (host
    /// pids), else its init. A pid namespace it joined (`path`) is someone else's: not counted.
    /// `cgroup`: the container's, as `cgroup(of:replaced:)` gives it (nil: it has none).
    public func processes(of record: ContainerRecord, cgroup cg: CgroupDriver?) -> [pid_t] {
        if let cg { return cg.pids() }
        let ownPidNS = (record.config.linux?.namespaces ?? []).contains { $0.type == "pid" && ($0.path ?? "").isEmpty }
        guard ownPidNS, let ns = Namespaces.inode(pid: record.pid, .pid),
              ns != Namespaces.inode(pid: Proc.getpid(), .pid) else {
            return Proc.isAlive(record.pid) ? [record.pid] : []
        }
        var pids: [pid_t] = []
        for name in (try? listDirectory("/proc")) ?? [] {
            guard let pid = Int32(name), Namespaces.inode(pid: pid, .pid) == ns else { continue }
            pids.append(pid)
        }
        return pids
    }

    /// `delete`: a stopped container's folder goes, after its poststop hooks; anything else needs
    /// `force`, which kills it first.
    /// `delete --force` of a container that does not exist succeeds, as with runc: engines use it to
    /// make sure a container is gone.
    public func delete(id: String, force: Bool) throws {
        if force {
            try StateStore.validate(id: id)
            if !fileExists(store.directory(id)) { return }
        }
        try delete(id: id, force: force, record: nil)
    }

    /// `known`: the record `run` created, so that it is not read back.
    func delete(id: String, force: Bool, record known: ContainerRecord?) throws {
        let locked = try store.lock(id)
        defer { locked.unlock() }
        let record: ContainerRecord
        do { record = try known ?? store.load(id, locked: locked) } catch {
            // A folder without state is a create that died half-way: nothing to keep, but its
            // init may still run inside the cgroup it claimed.
            let halfMade = !fileExists(store.directory(id) + "/state.json")
            if force || halfMade {
                if let claim = store.loadCgroupClaim(id),
                   let cg = claimedCgroup(id, claim) {
                    // (An unreadable state.json with --force: its init may run, the cgroup goes whole.)
                    if !halfMade || Set(cg.directories).isSubset(of: cg.made) {
                        try? cg.signalAll(SIGKILL)
                        do { try cg.destroy() } catch { throw RuntimeError(step: "delete \(id)", object: id, cause: error) }
                    } else {
                        // The cgroup was there before create (empty then): its init died with the
                        // killed create (PR_SET_PDEATHSIG until state.json), so what is in it now
                        // is someone else's. Nothing is signalled; only what create made goes.
                        let held = cg.pids()
                        _ = cg.removeMadeSparingProcesses()
                        if !held.isEmpty {
                            warn("delete \(id): the cgroup existed before create and holds processes that are not the container's (pid \(held.prefix(5).map(String.init).joined(separator: ", "))): left running")
                        }
                    }
                }
                RuntimeNamespaceRootfs.undo(stateDirectory: store.directory(id), warn: warn)
                try? store.remove(id, locked: locked)
                return
            }
            throw error
        }
        let status = store.status(of: record)
        let ownPIDNamespace = (record.config.linux?.namespaces ?? []).contains { $0.type == "pid" && ($0.path ?? "").isEmpty }
        // One look at each directory made: it may be someone else's now (CgroupOwnership.replaced).
        let replaced = replacedCgroups(of: record)
        if status != .stopped {
            guard force else {
                throw RuntimeError(object: id,
                                   "cannot delete container \(id) that is \(status.rawValue): stop it first or use --force")
            }
            if ownPIDNamespace, let cg = cgroup(of: record, replaced: replaced), cg.frozenAncestor() == nil {
                // Init's death takes its pid namespace along (the kernel kills every process in
                // it): the cgroup's other processes, if any, are not the container's (as runc).
                Proc.signalIfPresent(record.pid, SIGKILL)
                // A frozen v1 task dies only once thawed. The freezer is asked, not the status: a
                // process moved into the paused cgroup and not frozen yet makes it read FREEZING,
                // which the status calls running, and init, killed but never thawed, kept delete
                // waiting 10 s, then to the branch that kills the whole cgroup.
                if status == .paused || cg.freezerState() != .thawed { try? cg.thaw() }
            } else {
                let cg = cgroup(of: record, replaced: replaced)
                if let cg { try? cg.signalAll(SIGKILL) }
                for pid in processes(of: record, cgroup: cg) { Proc.signalIfPresent(pid, SIGKILL) }
            }
            waitGone(record.pid)
        }
        if !replaced.isEmpty {
            warn("delete \(id): cgroup \(replaced.sorted().joined(separator: ", ")) left in place: it was removed and made again by someone else (not the container's any more)")
        }
        debug("delete \(id): was \(status.rawValue), removing cgroup and state")
        Fault.point("delete.killed")
        if let cg = cgroup(of: record, replaced: replaced) {
            if ownPIDNamespace && !Proc.isAlive(record.pid) {
                // Every process of the container died with its init (the kernel kills its pid
                // namespace): whatever is in the cgroup now was put there by someone else (a
                // pre-existing cgroupsPath, processes moved in). Not ours to kill, as runc.
                let (left, pids) = cg.removeMadeSparingProcesses()
                if !left.isEmpty {
                    warn("delete \(id): cgroup \(left.joined(separator: ", ")) left in place: it holds processes that are not the container's (pid \(pids.prefix(5).map(String.init).joined(separator: ", ")))")
                }
            } else {
                // Also kills what a stopped container without a pid namespace of its own left
                // running in its cgroup.
                do { try cg.destroy() } catch { throw RuntimeError(step: "delete \(id)", object: id, cause: error) }
            }
        }
        releaseProcessFeatures(record)
        if !(record.config.linux?.namespaces ?? []).contains(where: { $0.type == "mount" }) {
            RuntimeNamespaceRootfs.undo(stateDirectory: store.directory(id), warn: warn)
        }
        Fault.point("delete.cgroup")
        try store.remove(id, locked: locked)
        Fault.point("delete.removed")
        HookRunner.runAllWarning(record.config.hooks?.poststop, kind: "poststop",
                                 state: hookState(record, status: .stopped), warn: warn)
    }
}
