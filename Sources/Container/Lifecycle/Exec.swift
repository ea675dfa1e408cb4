import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

/// `exec`'s options, named after runc's flags.
public struct ExecOptions {
    public var id: String
    /// --process: a runtime-spec `process` object in a file; otherwise the container's process
    /// with `args` and the flags below applied.
    public var processFile: String?
    public var args: [String] = []
    public var tty = false
    public var detach = false
    public var pidFile: String?
    public var consoleSocket: String?
    public var pidfdSocket: String?
    public var preserveFDs: Int32 = 0
    public var env: [String] = []
    public var cwd: String?
    /// uid[:gid]
    public var user: String?
    public var additionalGids: [UInt32] = []
    public var caps: [String] = []
    public var noNewPrivs = false
    public var ignorePaused = false
    /// --cgroup [controller[,controller]:]path, a sub-cgroup of the container's.
    public var cgroups: [String] = []
    public var apparmor: String?
    public var processLabel: String?

    public init(id: String) { self.id = id }
}

/// What the exec child applies, decided in the parent.
struct ExecPlan {
    var id: String
    var process: Process
    /// The process's kernel values, resolved in the parent (`ProcessPlan.resolve`).
    var processPlan: ProcessPlan
    /// Every namespace of the container that differs from ours; the exec child joins them all
    /// (user first, mount last).
    var joins: [InitPlan.NamespaceJoin] = []
    /// A pid or time namespace is among `joins`: they apply to children only, so the exec child
    /// joins everything and then forks the process that runs (see `ExecStage`).
    var forksIntoPIDNamespace = false
    var userNamespaceInUse = false
    var env: [String]
    var preserveFDs: Int32
    var consoleSocket: FD?
    var sync: FD
    /// The fds the caller passes on (3..<3+preserveFDs) end below this; everything of ours is above.
    var fdFloor: Int32 { 3 + preserveFDs }
    /// The parent moves the child into the container's cgroups (and resctrl group) and sets its CPU
    /// affinity, then sends `.ack`. A process forked after that inherits all of it.
    var waitForCgroups = false
    /// Else the child joins these cgroups itself, first thing: "0" written to `file` in each
    /// directory (`tasks` in a v1 hierarchy: see CgroupDriver.joinFiles).
    var cgroupJoins: [(dir: FD, file: String, path: String)] = []
    /// The container's `linux.seccomp`, compiled; installed right before execve as in the init.
    var seccomp: SeccompProgram?
    var seccompListener: FD?
    var seccompState: [UInt8] = []
    /// A container without a mount namespace runs chrooted in the runtime's: its root, to enter.
    var root: FD?
    /// The session keyring init made, to join; nil: the caller's stays (created with --no-new-keyring).
    var sessionKeyring: String?
}

extension Runtime {
    /// `exec`: runs a new process in a running container. Returns the process's exit status in the
    /// foreground (128+n for a signal), 0 once it runs with `detach`.
    public func exec(_ opts: ExecOptions) throws -> Int32 {
        let (record, storedSeccomp) = try store.loadForExec(opts.id)
        let status = store.status(of: record)
        // One look at the cgroups' ownership marks, for the check and for the driver.
        let replaced = status != .stopped ? replacedCgroups(of: record) : []
        try requireOwnCgroup(record, "exec", replaced: replaced)
        let containerCgroup = cgroup(of: record, replaced: replaced)
        // A cgroup frozen above the container's own (which `resume` cannot thaw) would freeze the
        // new process as it joins, and exec would wait for it for good, --ignore-paused or not.
        if status != .stopped, let why = containerCgroup?.frozenAncestor() {
            throw RuntimeError(object: opts.id, "cannot exec in container \(opts.id): a cgroup above the container's is frozen (\(why)); the new process would freeze as it joins (thaw that cgroup first)")
        }
        switch status {
        case .stopped:
            throw RuntimeError(object: opts.id, "cannot exec in a stopped container \(opts.id)")
        case .paused where !opts.ignorePaused:
            throw RuntimeError(object: opts.id, "cannot exec in a paused container \(opts.id) (use --ignore-paused to override)")
        default: break
        }
        var (process, document) = try execProcess(opts, record.config)
        // A foreground terminal: the pty gets the caller's window size before the process starts
        // (as process.consoleSize), not after, when the relay starts: a process that asks at once
        // (`stty size`) would otherwise see 0x0.
        if process.terminal == true, !opts.detach, process.consoleSize == nil,
           let size = Terminal.getSize(FD(0)), size.rows > 0, size.cols > 0 {
            process.consoleSize = Box(height: UInt(size.rows), width: UInt(size.cols))
        }
        // The container's linux section: its personality and memory policy apply to exec'd processes too.
        let processPlan = try ProcessPlan.resolved(process, linux: record.config.linux, from: document)
        for warning in processPlan.warnings { warn(warning) }
        try ProcessAttributes.checkLsm(process: process, linux: nil,
                                       apparmorField: opts.apparmor != nil ? .flag("--apparmor") : processPlan.field("apparmorProfile"),
                                       selinuxField: opts.processLabel != nil ? .flag("--process-label") : processPlan.field("selinuxLabel"))
        let initialCPUs = processPlan.initialCPUs.flatMap { $0.isEmpty ? nil : $0 }
        let finalCPUs = processPlan.finalCPUs.flatMap { $0.isEmpty ? nil : $0 }
        let terminal = process.terminal == true
        if opts.detach && terminal && opts.consoleSocket == nil {
            throw RuntimeError.flag("--console-socket", "cannot allocate tty if swiftlet will detach without setting console socket")
        }
        if (!opts.detach || !terminal) && opts.consoleSocket != nil {
            throw RuntimeError.flag("--console-socket", "cannot use console socket if swiftlet will not detach or allocate tty")
        }
        var plan = ExecPlan(id: opts.id, process: process, processPlan: processPlan,
                            env: process.env ?? [], preserveFDs: opts.preserveFDs, sync: FD(-1))
        plan.sessionKeyring = record.noNewKeyring == true ? nil : record.sessionKeyring ?? "_ses." + opts.id

        // Namespaces: every one the container has that differs from ours. Their fds, the container's
        // root and the cgroup directories are the exec child's: closed once the process runs (while it
        // runs, not after), or on the way out.
        var heldOpen = true
        var cgroupMoves: [(dir: FD, path: String, unified: Bool)] = []
        func closeHeldFDs() {
            guard heldOpen else { return }
            heldOpen = false
            for j in plan.joins { j.fd.close() }
            plan.root?.close()
            for m in cgroupMoves { m.dir.close() }
        }
        defer { closeHeldFDs() }
        let floor = 3 + opts.preserveFDs
        for ns in record.config.linux?.namespaces ?? [] {
            guard let kind = NamespaceKind(specName: ns.type) else { continue }
            let path = "/proc/\(record.pid)/ns/\(kind.procName)"
            guard let theirs = Namespaces.inode(pid: record.pid, kind),
                  theirs != Namespaces.inode(pid: Proc.getpid(), kind) else { continue }
            let fd: FD
            do { fd = try FD.open(path, O_RDONLY).moved(above: floor) } catch {
                throw RuntimeError(step: "exec: opening the container's \(kind.rawValue) namespace", object: path, cause: error)
            }
            plan.joins.append(InitPlan.NamespaceJoin(kind: kind, path: path, fd: fd))
            if kind == .user { plan.userNamespaceInUse = true }
        }
        plan.forksIntoPIDNamespace = plan.joins.contains { $0.kind.appliesToChildren }
        if !(record.config.linux?.namespaces ?? []).contains(where: { $0.type == "mount" }) {
            do { plan.root = try FD.open("/proc/\(record.pid)/root", O_PATH | O_DIRECTORY).moved(above: floor) } catch {
                throw RuntimeError(step: "exec: opening the container's root", object: "/proc/\(record.pid)/root", cause: error)
            }
        }
        // The namespaces are held open now: make sure they are still the container's.
        guard ProcLiveness.read(record.pid)?.startTime == record.pidStartTime else {
            throw RuntimeError(object: opts.id, "cannot exec in a stopped container \(opts.id)")
        }
        // A rootless container's systemd scope: joined through the user's manager (SystemdDriver.addProcess).
        let userScope = (containerCgroup as? SystemdDriver).flatMap { $0.userManager ? $0 : nil }
        cgroupMoves = userScope != nil ? [] : try cgroupTargets(containerPID: record.pid, sub: opts.cgroups, floor: floor)
        // The exec child joins the container's cgroups as create's init does: born in the v2 cgroup
        // (clone3 CLONE_INTO_CGROUP), "0" written to each v1 hierarchy's `tasks` by itself first
        // thing. No migration waits for the kernel's threadgroup lock and its grace period, and no
        // round trip holds the child up. Not when something must happen around the move (an
        // affinity before and after it, an RDT group, the user's systemd): this process moves the
        // child then, and the child waits for its `.ack`.
        let movedByParent = userScope != nil || initialCPUs != nil || finalCPUs != nil || record.config.linux?.intelRdt != nil
        plan.waitForCgroups = movedByParent
        let bornInCgroup = movedByParent ? nil : cgroupMoves.first { $0.unified }
        if !movedByParent {
            plan.cgroupJoins = cgroupMoves.filter { !$0.unified }.map { ($0.dir, "tasks", $0.path) }
        }

        let (parentEnd, childEnd) = try Pipe.socketPair()
        defer { parentEnd.close() }
        plan.sync = try childEnd.moved(above: floor)
        var relaySocket: FD?
        if terminal {
            if let path = opts.consoleSocket {
                plan.consoleSocket = try UnixSocket.connect(path).moved(above: floor)
            } else {
                let (mine, theirs) = try Pipe.socketPair()
                relaySocket = mine
                plan.consoleSocket = try theirs.moved(above: floor)
            }
        }
        defer { relaySocket?.close() }
        // The program create compiled (state.json vouches for it), else the config's filter compiled.
        if let program = try storedSeccomp ?? record.config.linux?.seccomp.map({
            try SeccompProgram.compile($0, cacheDir: store.root, warn: warn)
        }) {
            if program.usesNotify, let path = program.listenerPath {
                do { plan.seccompListener = try UnixSocket.connect(path).moved(above: floor) } catch {
                    throw RuntimeError(field: .config("linux.seccomp.listenerPath"), object: path, cause: error)
                }
                plan.seccompState = hookState(record, status: .running)
            }
            plan.seccomp = program
        }

        var signals: SignalFD?
        // The process that runs is our grandchild when the exec child forks it into the pid
        // namespace: as a subreaper we get it when the exec child exits, to wait for it (foreground)
        // or to kill and reap it when it fails.
        if !opts.detach || plan.forksIntoPIDNamespace { try Proc.setChildSubreaper() }
        if !opts.detach { signals = try SignalFD([SIGCHLD] + Runtime.forwardedSignals) }
        defer { signals?.fd.close() }

        var bornChild: pid_t?
        if let target = bornInCgroup {
            do { bornChild = try Proc.forkIntoCgroup(target.dir, newPIDNamespace: false, describe: target.path) } catch {
                throw RuntimeError(step: "exec: starting the process in the container's cgroup", object: target.path, cause: error)
            }
            // A kernel without CLONE_INTO_CGROUP: the child moves itself into the v2 cgroup too.
            if bornChild == nil { plan.cgroupJoins.append((target.dir, "cgroup.procs", target.path)) }
        }
        let child = try bornChild ?? Proc.fork()
        if child == 0 {
            parentEnd.close()
            signals?.fd.close()
            relaySocket?.close()
            ExecStage.run(plan)
        }
        plan.sync.close()
        plan.consoleSocket?.close()
        plan.seccompListener?.close()
        debug("exec \(opts.id): process forked: pid \(child), joining [\(plan.joins.map(\.kind.rawValue).joined(separator: ","))]")
        Fault.point("exec.forked")
        let channel = SyncChannel(fd: parentEnd)
        // The process that runs: the child, or the child's child in the container's pid namespace.
        var processPID = child
        do {
            if plan.waitForCgroups {
                // execCPUAffinity: "initial" before the move into the container's cgroups, "final" after.
                if let cpus = initialCPUs {
                    do { try Sched.setAffinity(cpus: cpus, pid: child) } catch {
                        throw RuntimeError(field: processPlan.field("execCPUAffinity.initial"), cause: error)
                    }
                }
                if let userScope {
                    do { try userScope.addProcess(child) } catch {
                        throw RuntimeError(step: "exec", object: userScope.unit, "joining the container's scope", cause: error)
                    }
                }
                for move in cgroupMoves {
                    do {
                        let procs = try FD.openAt(move.dir, "cgroup.procs", O_WRONLY)
                        defer { procs.close() }
                        try procs.write("\(child)")
                    } catch {
                        throw RuntimeError(step: "exec: joining the container's cgroup", object: move.path, move.path, cause: error)
                    }
                }
                if let cpus = finalCPUs {
                    do { try Sched.setAffinity(cpus: cpus, pid: child) } catch {
                        throw RuntimeError(field: processPlan.field("execCPUAffinity.final"), cause: error)
                    }
                }
                if let rdt = record.config.linux?.intelRdt { try IntelRdt.join(rdt, id: opts.id, pid: child) }
                try channel.send(.ack)
            }
            if plan.forksIntoPIDNamespace {
                switch try receiveUnlessFrozen(channel, containerCgroup, opts) {
                case .containerPID(let pid)?:
                    processPID = pid
                    // The exec child leaves once it has sent the pid; its child is then ours.
                    reapUnlessFrozen(child, containerCgroup)
                case .failure(let error)?: throw error
                case nil: throw RuntimeError(step: "exec", "the exec child exited before it forked the process")
                case .some: throw RuntimeError(step: "exec", "unexpected message from the exec child")
                }
            }
            // The sync socket closes on execve: end of file means the process runs.
            switch try receiveUnlessFrozen(channel, containerCgroup, opts) {
            case .none: Fault.point("exec.running")
            case .failure(let error)?: throw error
            case .some: throw RuntimeError(step: "exec", "unexpected message from the exec child")
            }
        } catch {
            Proc.signalIfPresent(processPID, SIGKILL)
            // Out of a frozen v1 cgroup, or it never dies.
            if let cg = containerCgroup, cg.freezerState() == .frozen { cg.release(processPID) }
            _ = try? Proc.wait(processPID)
            // What the exec child forked before it was stopped (a freeze) is ours now, as the
            // subreaper: a failed exec must not run its command after all, once thawed.
            if plan.forksIntoPIDNamespace { killChildren(containerCgroup) }
            throw error
        }
        closeHeldFDs()

        var relay: TerminalRelay?
        if let socket = relaySocket {
            do {
                let (master, _) = try UnixSocket.receiveFD(socket)
                relay = TerminalRelay(master: master)
            } catch {
                Proc.signalIfPresent(processPID, SIGKILL)
                _ = try? Proc.wait(processPID)
                throw RuntimeError(step: "exec: receiving the terminal", cause: error)
            }
        }
        defer { relay?.close() }
        if let pidFile = opts.pidFile {
            do { try writePidFile(pidFile, pid: processPID) } catch {
                // As runc: a process whose pid could not be reported is not left running.
                Proc.signalIfPresent(processPID, SIGKILL)
                _ = try? Proc.wait(processPID)
                throw error
            }
        }
        if let socket = opts.pidfdSocket { try sendPidfd(of: processPID, to: socket) }
        guard let signals else { return 0 }
        return Runtime.supervise(pid: processPID, signals: signals, relay: relay).status
    }

    /// The exec child's next message. Its cgroup can freeze after exec looked (a cgroup above the
    /// container's, or a pause without --ignore-paused): the child then stops as it joins and the
    /// message never comes, so the freezer is looked at every second.
    func receiveUnlessFrozen(_ channel: SyncChannel, _ cgroup: CgroupDriver?, _ opts: ExecOptions) throws -> SyncMessage? {
        while true {
            if Poll.readable(channel.fd, milliseconds: 1000) { return try channel.receive() }
            guard let cgroup else { continue }
            if let why = cgroup.frozenAncestor() {
                throw RuntimeError(object: opts.id, "cannot exec in container \(opts.id): a cgroup above the container's froze while the process started (\(why))")
            }
            if !opts.ignorePaused && cgroup.freezerState() == .frozen {
                throw RuntimeError(object: opts.id, "cannot exec in container \(opts.id): it was paused while the process started (use --ignore-paused to wait)")
            }
        }
    }

    /// SIGKILLs and reaps every child of this process (the exec's only children are its own).
    func killChildren(_ cgroup: CgroupDriver?) {
        let me = Proc.getpid()
        let text = (try? readTextFile(path: "/proc/self/task/\(me)/children")) ?? ""
        for pid in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap({ pid_t($0) }) where pid > 0 {
            Proc.signalIfPresent(pid, SIGKILL)
            if let cgroup, cgroup.freezerState() == .frozen { cgroup.release(pid) }
            _ = try? Proc.wait(pid)
        }
    }

    /// Reaps the exec child, which exits right after sending the pid. Frozen on its way out (its
    /// cgroup froze meanwhile) it is killed: it has nothing left to do, and its end of the sync
    /// socket must close for the process's execve to show.
    func reapUnlessFrozen(_ pid: pid_t, _ cgroup: CgroupDriver?) {
        let pidfd = try? Proc.pidfd(of: pid)
        guard let pidfd, let cgroup else {
            pidfd?.close()
            _ = try? Proc.wait(pid)
            return
        }
        defer { pidfd.close() }
        while true {
            // A failed poll counts as exited: the wait then reaps it or reports it gone.
            if Poll.readable(pidfd, milliseconds: 1000) { _ = try? Proc.wait(pid); return }
            if cgroup.frozenAncestor() != nil || cgroup.freezerState() == .frozen {
                Proc.signalIfPresent(pid, SIGKILL)
                cgroup.release(pid)  // out of a frozen v1 cgroup, or it never dies
                _ = try? Proc.wait(pid)
                return
            }
        }
    }

    /// The process to run: --process's file as it is, or the container's process with the flags;
    /// and the document its fields are named after.
    func execProcess(_ opts: ExecOptions, _ spec: Spec) throws -> (Process, ProcessPlan.Document) {
        var p: Process
        let document: ProcessPlan.Document = opts.processFile == nil ? .config : .processFile
        if let file = opts.processFile {
            let bytes: [UInt8]
            do { bytes = try SpecFile.read(file) } catch { throw RuntimeError(field: .flag("--process"), object: file, cause: error) }
            do { p = try JSON.decode(Process.self, from: bytes) } catch {
                throw RuntimeError(field: .flag("--process"), object: file, file, cause: error)
            }
            if let problem = p.nulByteProblems().first { throw RuntimeError(field: .process(problem.path), problem.message) }
            // runc takes noNewPrivileges from the process file as it is (absent = false) and the
            // container's rlimits when the file has none.
            if p.noNewPrivileges == nil { p.noNewPrivileges = false }
            if (p.rlimits ?? []).isEmpty { p.rlimits = spec.process?.rlimits }
            // And the container's capabilities when the file names none.
            if p.capabilities == nil { p.capabilities = spec.process?.capabilities }
        } else {
            guard let base = spec.process else { throw RuntimeError(step: "exec", object: opts.id, "the container has no process") }
            p = base
            p.args = opts.args
            p.terminal = opts.tty
            if let cwd = opts.cwd { p.cwd = cwd }
            if let a = opts.apparmor { p.apparmorProfile = a }
            if let l = opts.processLabel { p.selinuxLabel = l }
            if opts.noNewPrivs { p.noNewPrivileges = true }
            if !opts.caps.isEmpty {
                var c = p.capabilities ?? LinuxCapabilities()
                for name in opts.caps {
                    let cap = name.uppercased().hasPrefix("CAP_") ? name.uppercased() : "CAP_" + name.uppercased()
                    guard Capabilities.number(named: cap) != nil else {
                        // As in config.json: ignored with a warning (runc does the same).
                        warn("--cap: ignoring unknown capability \"\(name)\"")
                        continue
                    }
                    c.bounding = (c.bounding ?? []) + [cap]
                    c.effective = (c.effective ?? []) + [cap]
                    c.permitted = (c.permitted ?? []) + [cap]
                    c.ambient = (c.ambient ?? []) + [cap]
                }
                p.capabilities = c
            }
            if !opts.env.isEmpty { p.env = mergeEnv(p.env ?? [], opts.env) }
            if let u = opts.user, !u.isEmpty {
                let parts = u.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard let uid = UInt32(parts[0]) else {
                    throw RuntimeError.flag("--user", "\(quoted(u)): expected uid[:gid] as numbers")
                }
                p.user.uid = uid
                if parts.count > 1 {
                    guard let gid = UInt32(parts[1]) else {
                        throw RuntimeError.flag("--user", "\(quoted(u)): expected uid[:gid] as numbers")
                    }
                    p.user.gid = gid
                }
            }
            if !opts.additionalGids.isEmpty {
                p.user.additionalGids = (p.user.additionalGids ?? []) + opts.additionalGids
            }
        }
        let field = { ProcessPlan.field($0, in: document) }
        if p.cwd.isEmpty { throw RuntimeError(field: field("cwd"), "must not be empty") }
        if !p.cwd.hasPrefix("/") { throw RuntimeError(field: field("cwd"), "\(quoted(p.cwd)) must be an absolute path") }
        if (p.args ?? []).isEmpty { throw RuntimeError(field: field("args"), "must not be empty") }
        return (p, document)
    }

    /// `KEY=value` entries of `extra` replace those with the same key, others are appended.
    func mergeEnv(_ base: [String], _ extra: [String]) -> [String] {
        var out = base
        for e in extra {
            let key = e.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if let i = out.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) { out[i] = e } else { out.append(e) }
        }
        return out
    }

    /// The cgroups the exec'd process must be moved into: each hierarchy where the container's init
    /// is in another cgroup than we are, or a sub-cgroup of the container's named by --cgroup. Each
    /// comes as an O_PATH fd of its directory (above `floor`), opened beneath the container's cgroup.
    ///
    /// --cgroup must not lead out of the container's cgroup (out of its limits): `..`, an absolute
    /// path and a path through a symlink are checked as words first (a clear error naming the
    /// argument), then the directory is opened with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
    /// from the container's cgroup directory, so that what is written to is what was checked.
    func cgroupTargets(containerPID: pid_t, sub: [String], floor: Int32) throws -> [(dir: FD, path: String, unified: Bool)] {
        guard let theirs = try? readTextFile(path: "/proc/\(containerPID)/cgroup") else { return [] }
        let mine = (try? readTextFile(path: "/proc/self/cgroup")) ?? ""
        if theirs == mine && sub.isEmpty { return [] }
        // --cgroup: "path" for every controller, or "ctrl[,ctrl]:path" (runc's forms).
        var subAll: (arg: String, path: String)?
        var subBy: [String: (arg: String, path: String)] = [:]
        for s in sub {
            if let colon = s.firstIndex(of: ":") {
                let path = String(s[s.index(after: colon)...])
                // An empty list (":path") names the cgroup v2 hierarchy, as its /proc/<pid>/cgroup line does.
                let controllers = s[..<colon].split(separator: ",").map(String.init)
                for c in controllers.isEmpty ? [""] : controllers { subBy[c] = (s, path) }
            } else {
                subAll = (s, s)
            }
        }
        let myPaths = Set(mine.split(separator: "\n").map(String.init))
        let hosts = CgroupHierarchies.host()
        // Each v1 mount's controllers as a set, made once (not once per line of the container's
        // /proc/<pid>/cgroup: a dozen lines by a dozen mounts was ~8% of an `exec`'s user CPU).
        let v1Controllers = hosts.v1.map { (controllers: Set($0.options.split(separator: ",").map(String.init)), mountPoint: $0.mountPoint) }
        var out: [(dir: FD, path: String, unified: Bool)] = []
        do {
            for line in theirs.split(separator: "\n") {
                let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard f.count == 3 else { continue }
                let controllers = String(f[1])
                let base = String(f[2])
                let ctrlList = controllers.split(separator: ",").map(String.init)
                let named = controllers.isEmpty ? [""] : ctrlList
                // On a cgroup v2 host the container's cgroup is in the unified hierarchy only: a v1
                // hierarchy the kernel also has (a `name=systemd` one mounted for old systemds in
                // containers, or one hidden under the cgroup2 mount) is not the container's, nor
                // joined by --cgroup; a controller named for it is reported as missing below.
                if hosts.isPureV2 && !controllers.isEmpty { continue }
                let extra = named.lazy.compactMap { subBy[$0] }.first ?? subAll
                for c in named { subBy[c] = nil }
                if extra == nil && myPaths.contains(String(line)) { continue }
                // The sub-cgroup relative to the container's: joined to its path and cleaned as runc
                // does (an absolute path is taken below the container's cgroup too), then checked to
                // stay at or below it, component-wise.
                var rel = ""
                if let extra {
                    let joined = Kernel.cleanPath(base + "/" + extra.path)
                    let prefix = base.hasSuffix("/") ? base : base + "/"
                    guard joined == Kernel.cleanPath(base) || joined.hasPrefix(prefix) else {
                        throw RuntimeError(field: .flag("--cgroup"), object: extra.path, "\(extra.arg): \(extra.path) is not a sub "
                            + "cgroup path of the container's cgroup \(base)")
                    }
                    rel = joined == Kernel.cleanPath(base) ? "" : String(joined.dropFirst(prefix.count))
                }
                let mount: String?
                if controllers.isEmpty {
                    mount = hosts.isPureV2 ? "/sys/fs/cgroup" : hosts.unifiedMountPoint
                } else {
                    let want = Set(ctrlList)
                    mount = v1Controllers.first { $0.controllers == want }?.mountPoint
                }
                guard let mount else { continue }
                let containerDir = mount + base
                let dir = rel.isEmpty ? containerDir : containerDir + "/" + rel
                let fd: FD
                do {
                    let top = try FD.open(containerDir, O_PATH | O_DIRECTORY)
                    if rel.isEmpty {
                        fd = top  // the container's own cgroup: nothing beneath to resolve
                    } else {
                        defer { top.close() }
                        fd = try RootedPath.openStrictlyBeneath(top, rel, O_PATH | O_DIRECTORY, describe: dir)
                    }
                } catch let e as SysError where extra != nil && (e.errno == EXDEV || e.errno == ELOOP) {
                    throw RuntimeError(field: .flag("--cgroup"), object: extra!.path, "\(extra!.arg): \(extra!.path) is not a sub "
                        + "cgroup path of the container's cgroup \(base)", cause: e)
                } catch {
                    throw RuntimeError(step: "exec", object: dir, "cgroup \(dir) does not exist", cause: error)
                }
                out.append((try fd.moved(above: floor), dir, controllers.isEmpty))
            }
            if let (c, extra) = subBy.first {
                throw RuntimeError(field: .flag("--cgroup"), "\(extra.arg): the container has no cgroup with the controller \(quoted(c))")
            }
        } catch {
            for m in out { m.dir.close() }
            throw error
        }
        return out
    }

    /// Sends a pidfd of `pid` over the unix socket at `path` (runc's --pidfd-socket).
    func sendPidfd(of pid: pid_t, to path: String) throws {
        let pidfd = try Proc.pidfd(of: pid)
        defer { pidfd.close() }
        let socket: FD
        do { socket = try UnixSocket.connect(path) } catch { throw RuntimeError(field: .flag("--pidfd-socket"), object: path, cause: error) }
        defer { socket.close() }
        try UnixSocket.sendFD(socket, pidfd, name: "pidfd")
    }

    /// Socket activation: the number of fds (from 3) the caller passed with LISTEN_FDS, when
    /// LISTEN_PID names this process (as sd_listen_fds checks).
    static func inheritedListenFDs() -> Int32 {
        guard let n = getenv("LISTEN_FDS").map({ String(cString: $0) }).flatMap({ Int32($0) }), n > 0,
              let p = getenv("LISTEN_PID").map({ String(cString: $0) }).flatMap({ Int32($0) }),
              p == Proc.getpid() else { return 0 }
        return n
    }
}
