import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

public struct CreateOptions {
    public var id: String
    public var bundle: String
    public var pidFile: String?
    public var consoleSocket: String?
    public var noPivot = false
    public var noNewKeyring = false
    public var preserveFDs: Int32 = 0
    /// runc 1.2's --pidfd-socket: a pidfd of the container process is sent over this unix socket.
    public var pidfdSocket: String?
    /// `run` in the foreground with a terminal: one end of a socket pair the pty master comes back on.
    var internalConsole: FD?
    /// `run`: started by this same process, so init dies with it until `start` has released it
    /// (InitPlan.diesWithRuntimeUntilStarted), and is released through a pipe instead of the exec
    /// fifo (StartHandOff).
    var startedByThisProcess = false

    public init(id: String, bundle: String) {
        self.id = id
        self.bundle = bundle
    }
}

/// What `run`'s create hands to its start: the container's folder, still locked (no other command
/// comes between the two, as no other comes into either), and the pipe init waits on for the start
/// in place of the exec fifo. No other process can start the container, so the fifo's name is not
/// needed: `mknod`, three opens and an `unlink` on the state directory's filesystem (on an ext4
/// /run, an inode made and freed, whose allocator then steps over it) each `run` did not need. As
/// with crun's `run`, which makes no fifo either, `state` says `running` rather than `created` in
/// the moment between state.json and the start.
struct StartHandOff {
    let locked: LockedDirectory
    /// Both ends are init's too: it reads the one byte from `read` (InitPlan.execFifo) and writes
    /// a startContainer hook's failure to `write` (InitPlan.execFifoReport), as to the fifo.
    let read: FD
    let write: FD

    /// Closes what is left of it and unlocks the folder; `start` closes `write` itself, earlier.
    func release(writeClosed: Bool) {
        read.close()
        if !writeClosed { write.close() }
        locked.unlock()
    }
}

/// The runtime's operations on containers. Messages that are not errors (warnings) go to `warn`.
public struct Runtime {
    public let store: StateStore
    public let warn: (String) -> Void
    /// --debug: told each main step (config loaded, cgroup made, namespaces, hooks, started...).
    /// nil without --debug, and then `debug` does not even build its message.
    public var debugLog: ((String) -> Void)?
    /// --systemd-cgroup: new containers get their cgroup as a systemd scope unit.
    public var systemdCgroup = false

    public init(root: String, warn: @escaping (String) -> Void) {
        store = StateStore(root: root)
        self.warn = warn
    }

    /// A --debug line; the message is built only when someone listens.
    @inline(__always)
    public func debug(_ message: @autoclosure () -> String) {
        if let debugLog { debugLog(message()) }
    }

    /// Loads and validates the bundle's config.json, reporting every problem at once.
    public static func loadSpec(bundle: String) throws -> Spec { try loadConfig(bundle: bundle).spec }

    /// The config decoded, and its bytes: state.json keeps the bytes (see `StateStore.save`).
    static func loadConfig(bundle: String) throws -> LoadedConfig {
        let path = bundle.hasSuffix("/") ? bundle + "config.json" : bundle + "/config.json"
        let spec: Spec
        let parsed: JSONValue
        let bytes: [UInt8]
        do {
            bytes = try SpecFile.read(path)
            parsed = try JSON.parse(bytes)
            // The reader JSON.decode's path ends in (Spec.init(from:)), called directly: that
            // initializer's frame instantiated the metadata of its Codable fallback's
            // KeyedDecodingContainer<Spec.CodingKeys> on every call, and the generic decode paid a
            // decoder object and its casts; the values and errors are the same.
            spec = try Spec(reading: JSONObjectReader(parsed, at: ""))
        } catch let e as JSONError {
            // The field whose value does not decode (empty for a syntax error, whose message has the line).
            throw RuntimeError(field: .config(e.path), object: path, e.message)
        } catch {
            // SpecFile's text names the file: `open /b/config.json: No such file or directory`.
            throw RuntimeError(object: path, cause: error)
        }
        if let problem = RuntimeError.configProblems(spec.validate()) { throw problem }
        return LoadedConfig(spec: spec, bytes: bytes)
    }

    /// `create`: everything up to the point where the user's program waits on the exec fifo.
    /// On failure nothing is left: no process, no state folder.
    @discardableResult
    public func create(_ opts: CreateOptions) throws -> ContainerRecord {
        try StateStore.validate(id: opts.id)
        return try create(opts, config: Runtime.loadConfig(bundle: absolutePath(opts.bundle)))
    }

    /// `config`: the bundle's config, loaded by the caller (`run` loads it once for create, start
    /// and delete). Not optional: an Optional<LoadedConfig> made and destroyed here instantiated its
    /// metadata at run time (0.01-0.02 ms of every `run`).
    /// Both callers have validated the id before loading the config (its error comes first).
    func create(_ opts: CreateOptions, config: LoadedConfig) throws -> ContainerRecord {
        var unused: StartHandOff?
        return try create(opts, config: config, handOff: &unused)
    }

    /// `handOff`: set under `run` (`opts.startedByThisProcess`), whose start takes it over.
    func create(_ opts: CreateOptions, config: LoadedConfig, handOff: inout StartHandOff?) throws -> ContainerRecord {
        let bundle = absolutePath(opts.bundle)
        let spec = config.spec
        debug("create \(opts.id): config.json loaded from \(bundle)")
        guard let process = spec.process else { throw RuntimeError.config("process", "required to create a container") }
        var plan = try makePlan(spec: spec, process: process, bundle: bundle, opts: opts)
        debug("namespaces: new [\(plan.newNamespaces.map(\.rawValue).joined(separator: ","))], joined ["
            + plan.joins.map { "\($0.kind.rawValue):\($0.path)" }.joined(separator: ",") + "]")

        let locked = try store.create(opts.id)
        Fault.point("create.state-dir")
        var childPID: pid_t = 0
        var containerPID: pid_t = 0
        var cgroup: CgroupDriver?
        do {
            // The cgroup is claimed before the fork, and the process we fork joins it with no
            // migration that waits for the kernel's threadgroup lock (whose first writer waits for
            // an RCU grace period, 1-15 ms here): it is born in the v2 cgroup (clone3
            // CLONE_INTO_CGROUP) and writes "0" to each v1 hierarchy's `tasks` (CgroupDriver.joinFiles).
            // A cgroup namespace must be rooted in the joined cgroup, and a `cgroup` mount binds the
            // container's cgroup directories: both need it there first anyway.
            // Not when that process is an intermediate one of a pid or time namespace (a second fork
            // makes the container's): it stays out, so that it never counts against the container's
            // limits (pids.max), and this process moves the container's process into the cgroup
            // while init builds the rootfs. Unless a cgroup namespace or mount needs it first.
            // A rootless container's systemd scope is joined through the user's manager instead
            // (SystemdDriver.addProcess): right after the fork, while init waits (a cgroup namespace
            // it makes must be rooted in the scope).
            // On a v1 or hybrid host only the unified directory is claimed before the fork (init is
            // born in it): the v1 directories are made (a mkdir and an xattr each) and the cgroup
            // made ready and limited after it, while init creates its namespaces; init writes "0" to
            // the v1 `tasks` files once the `.state` it waits for anyway has come, before its first
            // step the cgroup must see (a `cgroup` mount, a device node, hooks: see
            // RootfsBuilder.awaitCgroup). Not on a v2 host, where init is born in the cgroup and
            // charges its pages there from the start (memory.max must hold by then); nor where init
            // could not write the `tasks` files later: in a user namespace, another mount
            // namespace, a cgroup namespace (rooted in the joined cgroup); nor where the
            // container's process is forked before init reads the state (into a joined pid
            // namespace: `forkIntoJoinedPIDNamespace`); nor with systemd or rootless, whose paths
            // stay as they were.
            let managerAttaches = systemdCgroup && Rootless.usesUserSystemd
            let cgroupNeededFirst = plan.newNamespaces.contains(.cgroup)
                || (spec.mounts ?? []).contains { $0.type == "cgroup" || $0.type == "cgroup2" }
            plan.pidNamespaceAtFork = plan.canCreatePIDNamespaceAtFork
            let initJoinsCgroup = !managerAttaches && (cgroupNeededFirst || !plan.needsSecondFork)
            let limitsMayFollowFork = initJoinsCgroup && !systemdCgroup && !Rootless.active && !plan.userNamespaceInUse
                && !Identity.inUserNamespace
                && !plan.newNamespaces.contains(.cgroup) && !plan.joins.contains { $0.kind == .cgroup || $0.kind == .mount }
                && !plan.buildsRootOutsidePIDNamespace
            var claimedToLimit: ClaimedCgroup?
            if initJoinsCgroup || managerAttaches,
               let claimed = try claimCgroup(spec: spec, id: opts.id, plan: &plan, deferringV1: limitsMayFollowFork) {
                if !claimed.deferred.isEmpty {
                    claimedToLimit = claimed
                    let unifiedProcs = claimed.driver.unifiedPath.map { $0 + "/cgroup.procs" }
                    let mountPoints = claimed.driver.hierarchyMountPoints
                    plan.cgroupJoinsOnState = plan.cgroupJoinFiles.filter { $0 != unifiedProcs }.map { file in
                        let m = mountPoints.filter { file.hasPrefix($0 + "/") }.max { $0.count < $1.count } ?? "/"
                        return (m, String(file.dropFirst(m == "/" ? 1 : m.count + 1)))
                    }
                    plan.cgroupJoinFiles = plan.cgroupJoinFiles.filter { $0 == unifiedProcs }
                    cgroup = claimed.driver
                } else {
                    cgroup = try limitCgroup(claimed, spec: spec, id: opts.id, plan: plan)
                }
            }
            if managerAttaches, cgroup != nil {
                plan.cgroupJoinFiles = []
                plan.awaitsCgroupAttach = true
            }
            var cgroupDirectory: FD?
            if initJoinsCgroup, let dir = cgroup?.unifiedPath {
                do { cgroupDirectory = try FD.open(dir, O_PATH | O_DIRECTORY) } catch {
                    throw RuntimeError(step: "cgroup", object: dir, cause: error)
                }
            }
            defer { cgroupDirectory?.close() }
            let (parentEnd, childEnd) = try Pipe.socketPair()
            let floor = 3 + plan.preserveFDs
            plan.sync = try childEnd.clear(of: floor)
            if opts.startedByThisProcess {
                // Both ends go to init (InitPlan.execFifoReport); ours stay open for `start`. In the
                // plan before they are cleared: a failure of either leaves both to the undo's close.
                let (read, write) = try Pipe.make()
                plan.execFifo = read
                plan.execFifoReport = write
                plan.execFifo = try read.clear(of: floor)
                plan.execFifoReport = try write.clear(of: floor)
            } else {
                let fifoPath = store.fifoPath(opts.id)
                try makeFifo(fifoPath, mode: 0o600)
                plan.execFifo = try FD.open(fifoPath, O_RDWR).clear(of: floor)
            }
            if let socket = opts.consoleSocket {
                plan.consoleSocket = try UnixSocket.connect(socket).clear(of: floor)
            } else if let pair = opts.internalConsole {
                plan.consoleSocket = try pair.clear(of: floor)
            }
            if let program = plan.seccomp, program.usesNotify, let path = program.listenerPath {
                do { plan.seccompListener = try UnixSocket.connect(path).clear(of: floor) } catch {
                    throw RuntimeError(field: .config("linux.seccomp.listenerPath"), object: path, cause: error)
                }
            }
            plan.joins = try plan.joins.map { j in
                InitPlan.NamespaceJoin(kind: j.kind, path: j.path, fd: try j.fd.clear(of: floor))
            }
            plan.idmapTrees = try IDMapMounts.prepare(plan: plan, floor: floor)

            let parentPID = Proc.getpid()
            var bornInCgroup = false
            if let dir = cgroupDirectory {
                // The child must not move itself into the v2 cgroup again: a no-op move would still
                // take the lock.
                let joinFiles = plan.cgroupJoinFiles
                let unifiedProcs = (cgroup?.unifiedPath ?? "") + "/cgroup.procs"
                plan.cgroupJoinFiles = joinFiles.filter { $0 != unifiedProcs }
                if let pid = try Proc.forkIntoCgroup(dir, newPIDNamespace: plan.pidNamespaceAtFork,
                                                     describe: cgroup?.unifiedPath ?? "") {
                    childPID = pid
                    bornInCgroup = true
                } else {
                    plan.cgroupJoinFiles = joinFiles  // a kernel without CLONE_INTO_CGROUP: init moves itself
                }
            }
            if !bornInCgroup {
                childPID = try plan.pidNamespaceAtFork ? Proc.forkIntoNewPIDNamespace() : Proc.fork()
            }
            if childPID != 0 { debug("init stage forked: pid \(childPID)\(bornInCgroup ? ", born in its cgroup" : "")") }
            if childPID == 0 {
                Fault.dieWithParent(parentPID, parentOutsidePIDNamespace: plan.pidNamespaceAtFork)
                parentEnd.close()
                locked.fd.close()
                cgroupDirectory?.close()
                InitStage.runOnOwnStack(plan)
            }
            cgroupDirectory?.close()
            cgroupDirectory = nil
            closePlanFDs(plan, keepingStartPipe: opts.startedByThisProcess)
            Fault.point("create.forked")
            let channel = SyncChannel(fd: parentEnd)
            defer { parentEnd.close() }
            if let claimed = claimedToLimit {
                // On failure the cgroup is removed here (init, if born in the unified one, with it).
                do { cgroup = try limitCgroup(claimed, spec: spec, id: opts.id, plan: plan) } catch {
                    cgroup = nil
                    throw error
                }
            }
            if plan.awaitsCgroupAttach, let cg = cgroup {
                do { try cg.addProcess(childPID) } catch { throw RuntimeError(step: "cgroup", cause: error) }
                try channel.send(.ack)
            }
            // libseccomp's work, while the init stage builds the rootfs on the other CPU.
            if var pending = plan.seccompPending {
                try pending.finish(warn: warn)
                plan.seccomp = pending.program
            }
            // For exec, beside the init stage's work too (SeccompProgramFile).
            let seccompDigest = plan.seccomp.flatMap { SeccompProgramFile.write($0, directory: store.directory(opts.id)) }
            if !initJoinsCgroup && !managerAttaches {
                cgroup = try setUpCgroup(spec: spec, id: opts.id, plan: &plan)
            }
            let record = try driveInit(channel: channel, plan: plan, childPID: childPID,
                                       containerPID: &containerPID, opts: opts,
                                       joinCgroup: initJoinsCgroup || managerAttaches ? nil : cgroup,
                                       configBytes: config.bytes, seccompDigest: seccompDigest)
            // Init is in the scope now: the process that held it is no longer needed.
            (cgroup as? SystemdDriver)?.releasePlaceholder()
            if let pidFile = opts.pidFile {
                try writePidFile(pidFile, pid: containerPID)
            }
            if let socket = opts.pidfdSocket { try sendPidfd(of: containerPID, to: socket) }
            if opts.startedByThisProcess, let read = plan.execFifo, let write = plan.execFifoReport {
                handOff = StartHandOff(locked: locked, read: read, write: write)
            } else {
                locked.unlock()
            }
            debug("container \(opts.id) created: pid \(containerPID)")
            return record
        } catch {
            debug("create \(opts.id) failed, undoing: \(error)")
            if containerPID > 0 { Proc.signalIfPresent(containerPID, SIGKILL) }
            if childPID > 0 { Proc.signalIfPresent(childPID, SIGKILL) }
            // A v1 freezer holds killed tasks until they thaw: ours go back to the runtime's own
            // freezer cgroup (which thaws them) rather than thawing a cgroup that may not be ours.
            if let cg = cgroup, cg.frozenDirectory() != nil {
                for pid in [childPID, containerPID] where pid > 0 { cg.release(pid) }
            }
            if childPID > 0 { reapKilled(childPID) }
            if containerPID > 0 && containerPID != childPID { waitGone(containerPID) }
            closePlanFDs(plan)
            if !plan.hasMountNamespace { RuntimeNamespaceRootfs.undo(stateDirectory: store.directory(opts.id), warn: warn) }
            undoProcessFeatures(spec: spec, id: opts.id)
            try? cgroup?.destroy()
            try? store.remove(opts.id, locked: locked)
            locked.unlock()
            throw error
        }
    }

    /// `keepingStartPipe`: after `run`'s fork, the pipe's ends stay open for its start (StartHandOff).
    func closePlanFDs(_ plan: InitPlan, keepingStartPipe: Bool = false) {
        plan.sync.close()
        if !keepingStartPipe {
            plan.execFifo?.close()
            plan.execFifoReport?.close()
        }
        plan.consoleSocket?.close()
        plan.seccompListener?.close()
        for j in plan.joins { j.fd.close() }
        for t in plan.idmapTrees.values { t.close() }
    }

    /// The parent's half of the conversation with the init stage.
    func driveInit(channel: SyncChannel, plan: InitPlan, childPID: pid_t, containerPID: inout pid_t,
                   opts: CreateOptions, joinCgroup: CgroupDriver?, configBytes: [UInt8],
                   seccompDigest: String?) throws -> ContainerRecord {
        var record: ContainerRecord?
        // Without hooks before `ready`, the container process is moved into its cgroup after init
        // has been told to go on, so that the ten cgroup.procs writes of a v1 host overlap with
        // pivot_root and the rest of init's setup instead of holding it up. Not with a scheduler
        // policy or memory policy, which init sets after that point and which the cgroup (cpu
        // realtime runtime, cpuset) must see first. (Only after a second fork does this process
        // move the container's by pid; init then asks for the runtime hooks in any case:
        // InitPlan.asksForRuntimeHooks.)
        let hooks = plan.spec.hooks
        let hooksBeforeReady = !(hooks?.prestart ?? []).isEmpty || !(hooks?.createRuntime ?? []).isEmpty
            || !(hooks?.createContainer ?? []).isEmpty
            || plan.process.scheduler != nil || plan.spec.linux?.memoryPolicy != nil
        // What init does with the state: createContainer and startContainer hooks get it on stdin, a
        // seccomp agent (only with a listenerPath) gets it with the listener.
        let initUsesState = !(hooks?.createContainer ?? []).isEmpty || !(hooks?.startContainer ?? []).isEmpty
            || !(plan.spec.linux?.seccomp?.listenerPath ?? "").isEmpty
        var pendingJoin: pid_t?
        func join(_ pid: pid_t) throws {
            pendingJoin = nil
            guard let cg = joinCgroup else { return }
            do { try cg.addProcess(pid) } catch { throw RuntimeError(step: "cgroup", cause: error) }
        }
        while true {
            try awaitInit(channel, plan: plan)
            guard let msg = try channel.receive() else {
                var detail = ""
                if containerPID == 0, let exit = try? Proc.wait(childPID) { detail = " (\(exit))" }
                throw RuntimeError("container init exited before it was ready\(detail)")
            }
            switch msg {
            case .userNamespaceReady(let pid):
                try writeIDMaps(pid: pid, plan: plan)
                try channel.send(.ack)
            case .containerPID(let sent):
                let pid = sent == 0 ? childPID : sent
                containerPID = pid
                debug("container process: pid \(pid)")
                // ProcLiveness reads the start time as ProcStat does, on the bytes (no Strings of 52 fields).
                let start = ProcLiveness.read(pid)?.startTime ?? 0
                var r = ContainerRecord(ociVersion: plan.spec.ociVersion, id: opts.id, pid: pid, pidStartTime: start,
                                        bundle: plan.bundle, rootfs: plan.rootfs, created: Clock.rfc3339Nano(),
                                        owner: ownerName(), annotations: plan.spec.annotations, config: plan.spec)
                r.config = plan.spec
                r.cgroupDriver = plan.cgroupKind
                r.cgroupPaths = plan.cgroupPaths.isEmpty ? nil : plan.cgroupPaths
                r.cgroupMade = plan.cgroupMade
                if plan.cgroupMarked { r.cgroupMarked = true }
                r.cgroupInodes = plan.cgroupInodes
                r.noNewKeyring = plan.sessionKeyring == nil ? true : nil
                r.sessionKeyring = plan.sessionKeyring
                r.seccompProgram = seccompDigest
                record = r
                Fault.point("create.namespaces")
                try attachProcessFeatures(plan: plan, pid: pid)
                try reportingInitFailure(channel) {
                    // The message goes in any case (it orders init's next one after the pid); its
                    // content only when init has a use for it: encoding it (Codable, first use of each
                    // type in this process) cost ~50 µs of CPU per create.
                    try channel.send(.state(initUsesState ? hookState(r, status: .creating) : []))
                    // Before any hook runs and before init may go past its createRuntime hooks.
                    if hooksBeforeReady { try join(pid) } else { pendingJoin = pid }
                }
                // The intermediate process of a pid namespace has sent the pid and is exiting: reaped
                // only now, so that init gets its state without waiting for that exit. Into a joined
                // pid namespace, our child builds the root and leaves later (reaped at `.ready`).
                if pid != childPID && !plan.buildsRootOutsidePIDNamespace { try reapIntermediate(childPID, plan: plan) }
            case .runtimeHooks:
                // Asked for only with prestart or createRuntime hooks, or after a second fork
                // (InitPlan.asksForRuntimeHooks).
                Fault.point("create.rootfs")
                guard let r = record else { throw RuntimeError("init asked for hooks before its pid") }
                let runtimeHooks = (hooks?.prestart ?? []) + (hooks?.createRuntime ?? [])
                let state = runtimeHooks.isEmpty ? [] : hookState(r, status: .creating)
                debug("running prestart (\(plan.spec.hooks?.prestart?.count ?? 0)) and createRuntime ("
                    + "\(plan.spec.hooks?.createRuntime?.count ?? 0)) hooks")
                // In the bundle, as runc and crun run them (both chdir there for create).
                try HookRunner.runAll(plan.spec.hooks?.prestart, kind: "prestart", state: state, cwd: plan.bundle)
                try HookRunner.runAll(plan.spec.hooks?.createRuntime, kind: "createRuntime", state: state,
                                      cwd: plan.bundle)
                try channel.send(.ack)
                if let pid = pendingJoin { try reportingInitFailure(channel) { try join(pid) } }
            case .ready:
                guard let r = record else { throw RuntimeError("init ready before its pid") }
                if let pid = pendingJoin { try join(pid) }
                // Without runtime hooks init did not stop after the rootfs: it is built by now.
                if !plan.asksForRuntimeHooks {
                    debug("no prestart or createRuntime hooks: init did not wait for them")
                    Fault.point("create.rootfs")
                }
                if plan.buildsRootOutsidePIDNamespace { try reapIntermediate(childPID, plan: plan) }
                Fault.point("create.ready")
                // config.json's bytes as read: nothing between loading and here changes the Spec.
                try store.save(r, configBytes: configBytes)
                debug("init ready; state saved to \(store.root)/\(r.id)")
                Fault.point("create.saved")
                if plan.seccompArrivesLater, let program = plan.seccomp {
                    try channel.send(.seccompProgram(SeccompProgram.bytes(of: program.instructions)))
                }
                // init waits for this before the exec fifo: a create killed earlier leaves no init.
                // Not under `run` (InitPlan.readyWaitsForAck), where init has closed its end already.
                if plan.readyWaitsForAck { try channel.send(.ack) }
                // init disarms its parent-death signal on this ack and then closes its end: returning
                // (and exiting) before that would kill it.
                try awaitClose(channel, plan: plan)
                return r
            case .failure(let error):
                throw error
            case .ack, .state, .seccompProgram:
                throw RuntimeError("unexpected message from init")
            }
        }
    }

    /// Waits for init's next message. init may be silent for long (createContainer hooks run in
    /// it), so there is no overall timeout; but a frozen cgroup (an ancestor frozen, or frozen after
    /// `create` looked) stops it for good and would hang `create`: checked after each second of
    /// silence.
    func awaitInit(_ channel: SyncChannel, plan: InitPlan) throws {
        while !Poll.readable(channel.fd, milliseconds: 1000) { try failIfFrozen(plan) }
    }

    /// A frozen cgroup (an ancestor frozen, or frozen after `create` looked) stops init for good.
    func failIfFrozen(_ plan: InitPlan) throws {
        guard let kind = plan.cgroupKind,
              let dir = Cgroups.load(kind: kind, paths: plan.cgroupPaths).frozenDirectory() else { return }
        throw RuntimeError(field: .config(Runtime.cgroupsPathField(plan.spec)), object: dir,
                           "the cgroup \(dir) is frozen (by an ancestor, or since create began): "
                           + "the container cannot start in it (thaw it, or choose another path)")
    }

    /// Waits (up to 5 s) for init to close its end after the last ack. init joined its cgroup
    /// while it went on, so it may have sent `.ready` just before a frozen ancestor stopped it:
    /// then it never closes, and `start` would wait for it for good.
    func awaitClose(_ channel: SyncChannel, plan: InitPlan) throws {
        for _ in 0..<5 {
            guard Poll.readable(channel.fd, milliseconds: 1000) else {
                try failIfFrozen(plan)
                continue
            }
            guard let msg = try? channel.receive() else { return }  // end of file (or a broken socket)
            // A failure init reports after the last ack (installing a notify filter, for one).
            if case .failure(let error) = msg { throw error }
        }
    }

    /// Reaps the intermediate process, which exits right after sending the pid. It joined the
    /// cgroup first (a cgroup namespace is rooted there), so a frozen ancestor could hold it: the
    /// freezer is looked at after each second.
    func reapIntermediate(_ pid: pid_t, plan: InitPlan) throws {
        if Proc.reapIfExited(pid) { return }
        guard let exited = try? PidFD.open(pid) else {
            _ = try? Proc.wait(pid)
            return
        }
        while !Poll.readable(exited.fd, milliseconds: 1000) { try failIfFrozen(plan) }
        _ = try? Proc.wait(pid)
    }

    /// Reaps a child this create has SIGKILLed, waiting at most 5 s.
    func reapKilled(_ pid: pid_t) {
        for _ in 0..<500 {
            if Proc.reapIfExited(pid) { return }
            Clock.sleep(milliseconds: 10)
        }
        warn("process \(pid) did not exit within 5 s of SIGKILL")
    }

    /// init reads the state only once its rootfs is built, so it may have failed and gone by the time
    /// the state is sent or its process is moved: its report, still in the socket, says why better
    /// than EPIPE or ESRCH.
    private func reportingInitFailure(_ channel: SyncChannel, _ body: () throws -> Void) throws {
        do { try body() } catch {
            // A live init waits for the state and says nothing: do not wait for it then.
            if Poll.readable(channel.fd, milliseconds: 1000), case .failure(let error)? = try? channel.receive() { throw error }
            throw error
        }
    }

    func writeIDMaps(pid: pid_t, plan: InitPlan) throws {
        try Rootless.writeIDMaps(pid: pid, uid: plan.uidMappings, gid: plan.gidMappings)
    }

    /// The state JSON a hook reads on stdin.
    func hookState(_ r: ContainerRecord, status: ContainerStatus) -> [UInt8] {
        // runtime.md's state: RuntimeSpec's `State`, without the pid once stopped.
        let s = State(ociVersion: r.ociVersion, id: r.id, status: status.rawValue,
                      pid: status == .stopped ? nil : Int(r.pid), bundle: r.bundle, annotations: r.annotations)
        return (try? JSON.encode(s)) ?? []
    }

    func makePlan(spec: Spec, process: Process, bundle: String, opts: CreateOptions) throws -> InitPlan {
        guard let rootPath = spec.root?.path else { throw RuntimeError.config("root.path", "required") }
        let rootfs = rootPath.hasPrefix("/") ? Kernel.cleanPath(rootPath) : Kernel.cleanPath(bundle + "/" + rootPath)
        guard isDirectory(rootfs) else {
            throw RuntimeError(field: .config("root.path"), object: rootfs, "\(rootfs): not a directory or does not exist")
        }
        if process.terminal == true && opts.consoleSocket == nil && opts.internalConsole == nil {
            throw RuntimeError.flag("--console-socket", "required when process.terminal is true")
        }
        if process.terminal != true && opts.consoleSocket != nil {
            throw RuntimeError.flag("--console-socket", "given but process.terminal is false")
        }
        var plan = InitPlan(id: opts.id, bundle: bundle, rootfs: rootfs, spec: spec, process: process,
                            sync: FD(-1), env: process.env ?? [])
        plan.mounts = try MountPlan.resolved(spec)
        plan.noPivot = opts.noPivot
        plan.diesWithRuntimeUntilStarted = opts.startedByThisProcess
        plan.stateDirectory = store.directory(opts.id)
        plan.sessionKeyring = opts.noNewKeyring ? nil : Runtime.sessionKeyringName(id: opts.id)
        try prepareProcessFeatures(&plan, spec: spec, process: process)
        // Socket activation: fds 3..3+LISTEN_FDS go first, then the --preserve-fds ones (as runc).
        plan.listenFDs = Runtime.inheritedListenFDs()
        plan.preserveFDs = plan.listenFDs + opts.preserveFDs
        plan.processPlan = try ProcessPlan.resolved(process, linux: spec.linux)
        for warning in plan.processPlan.warnings { warn(warning) }
        if let s = spec.linux?.seccomp {
            var prepared = try SeccompProgram.prepare(s, cacheDir: store.root)
            if prepared.needsBuild {
                plan.seccompPending = prepared
            } else {
                try prepared.finish(warn: warn)
            }
            plan.seccomp = prepared.program
        }
        var opened: [InitPlan.NamespaceJoin] = []
        do {
            for (i, ns) in (spec.linux?.namespaces ?? []).enumerated() {
                guard let kind = NamespaceKind(specName: ns.type) else {
                    throw RuntimeError.config("linux.namespaces[\(i)].type", "unknown namespace \"\(ns.type)\"")
                }
                if let path = ns.path, !path.isEmpty {
                    let fd: FD
                    // O_NONBLOCK: a FIFO there must not hang create (setns then refuses what is no namespace).
                    do { fd = try FD.open(path, O_RDONLY | O_NONBLOCK) } catch {
                        throw RuntimeError(field: .config("linux.namespaces[\(i)].path"), object: path, cause: error)
                    }
                    opened.append(InitPlan.NamespaceJoin(kind: kind, path: path, fd: fd))
                } else {
                    plan.newNamespaces.append(kind)
                }
            }
        } catch {
            for j in opened { j.fd.close() }
            throw error
        }
        plan.joins = opened
        if plan.createsUserNamespace {
            plan.uidMappings = spec.linux?.uidMappings ?? []
            plan.gidMappings = spec.linux?.gidMappings ?? []
        }
        if let pidJoin = opened.first(where: { $0.kind == .pid }), !plan.createsUserNamespace {
            let mountsProc = (spec.mounts ?? []).contains { $0.type == "proc" }
            plan.buildsRootOutsidePIDNamespace = !mountsProc || Procfs.acceptsPIDNamespace(pidJoin.fd)
        }
        do { try Rootless.check(spec: spec, plan: plan) } catch {
            for j in opened { j.fd.close() }
            throw error
        }
        return plan
    }

    /// The session keyring's name: runc's `_ses.<id>` and 64 random bits. Processes of its owner's
    /// uid may search it (so that `exec` joins it by name), in every container without a user
    /// namespace of its own too: a name they can guess would let them join it and take its keys.
    static func sessionKeyringName(id: String) -> String {
        let secret = String(UInt64.random(in: .min ... .max), radix: 16)
        return "_ses.\(id).\(String(repeating: "0", count: 16 - secret.count))\(secret)"
    }

    func ownerName() -> String {
        let uid = store.uid
        if uid == 0 { return "root" }
        // /etc/passwd read directly, as runc does: the binary is static, and glibc's NSS would have
        // to load shared libraries for getpwuid.
        if let text = try? readTextFile(path: "/etc/passwd") {
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count > 2, f[2] == "\(uid)" { return String(f[0]) }
            }
        }
        return "\(uid)"
    }

    /// Waits (up to 10 s) until `pid` is gone or a zombie: for processes that are not our children.
    func waitGone(_ pid: pid_t) {
        for _ in 0..<1000 {
            if !Proc.isAlive(pid) { return }
            if let _ = try? Proc.waitAny(nohang: true) {}
            Clock.sleep(milliseconds: 10)
        }
    }
}

extension FD {
    /// This fd where it is clear of the fds the container receives (0-2 and the preserved ones,
    /// below `floor`), else a copy above them (the old number closed). The fds handed to init are
    /// all made close-on-exec (FD.open, socketpair, connect), so one at or above the floor stays as
    /// it is: a dup and a close fewer each.
    fileprivate func clear(of floor: Int32) throws -> FD { raw >= floor ? self : try moved(above: floor) }
}
