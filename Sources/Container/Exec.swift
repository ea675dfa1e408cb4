import Glibc
import CShim
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
    var capabilities: CapabilitySets
    /// Namespaces the child joins itself (pid and time are joined by the parent, for its children).
    var joins: [InitPlan.NamespaceJoin] = []
    var userNamespaceInUse = false
    var env: [String]
    var preserveFDs: Int32
    var consoleSocket: FD?
    var sync: FD
    /// The parent moves the child into the container's cgroups and then sends `.ack`.
    var waitForCgroups = false
    /// The container's `linux.seccomp`, compiled; installed right before execve as in the init.
    var seccomp: SeccompProgram?
    var seccompListener: FD?
    var seccompState: [UInt8] = []
    /// The container's linux section (personality, memory policy apply to exec'd processes too).
    var linux: Linux?
}

extension Runtime {
    /// `exec`: runs a new process in a running container. Returns the process's exit status in the
    /// foreground (128+n for a signal), 0 once it runs with `detach`.
    public func exec(_ opts: ExecOptions) throws -> Int32 {
        let record = try store.load(opts.id)
        switch store.status(of: record) {
        case .stopped:
            throw ContainerError("cannot exec in a stopped container \(opts.id)")
        case .paused where !opts.ignorePaused:
            throw ContainerError("cannot exec in a paused container \(opts.id) (use --ignore-paused to override)")
        default: break
        }
        let process = try execProcess(opts, record.config)
        try ProcessAttributes.checkLsm(process: process, linux: nil,
                                       apparmorField: opts.apparmor != nil ? "--apparmor" : "process.apparmorProfile",
                                       selinuxField: opts.processLabel != nil ? "--process-label" : "process.selinuxLabel")
        let affinity = process.execCPUAffinity
        let initialCPUs = try affinity?.initial.flatMap { $0.isEmpty ? nil : $0 }
            .map { try ProcessAttributes.cpus($0, field: "process.execCPUAffinity.initial") }
        let finalCPUs = try affinity?.final.flatMap { $0.isEmpty ? nil : $0 }
            .map { try ProcessAttributes.cpus($0, field: "process.execCPUAffinity.final") }
        let terminal = process.terminal == true
        if opts.detach && terminal && opts.consoleSocket == nil {
            throw ContainerError("cannot allocate tty if swiftlet will detach without setting console socket")
        }
        if (!opts.detach || !terminal) && opts.consoleSocket != nil {
            throw ContainerError("cannot use console socket if swiftlet will not detach or allocate tty")
        }
        let containerCaps = record.config.process?.capabilities
        var plan = ExecPlan(id: opts.id, process: process,
                            capabilities: InitPlan.capabilitySets(process.capabilities ?? containerCaps, warn: warn),
                            env: process.env ?? [], preserveFDs: opts.preserveFDs, sync: FD(-1))

        // Namespaces: every one the container has that differs from ours.
        var parentJoins: [InitPlan.NamespaceJoin] = []
        defer {
            for j in parentJoins + plan.joins { j.fd.close() }
        }
        let floor = 3 + opts.preserveFDs
        for ns in record.config.linux?.namespaces ?? [] {
            guard let kind = NamespaceKind(specName: ns.type) else { continue }
            let path = "/proc/\(record.pid)/ns/\(kind.procName)"
            guard let theirs = Namespaces.inode(pid: record.pid, kind),
                  theirs != Namespaces.inode(pid: Proc.getpid(), kind) else { continue }
            let fd: FD
            do { fd = try FD.open(path, O_RDONLY).moved(above: floor) } catch {
                throw ContainerError("exec: opening the container's \(kind.rawValue) namespace: \(error)")
            }
            let join = InitPlan.NamespaceJoin(kind: kind, path: path, fd: fd)
            if kind.appliesToChildren { parentJoins.append(join) } else { plan.joins.append(join) }
            if kind == .user { plan.userNamespaceInUse = true }
        }
        // The namespaces are held open now: make sure they are still the container's.
        guard ProcStat.read(record.pid)?.startTime == record.pidStartTime else {
            throw ContainerError("cannot exec in a stopped container \(opts.id)")
        }
        let cgroupMoves = try cgroupTargets(containerPID: record.pid, sub: opts.cgroups)
        plan.linux = record.config.linux
        // The CPU affinity is set by this process on the child, around its move into the cgroups.
        plan.waitForCgroups = !cgroupMoves.isEmpty || initialCPUs != nil || finalCPUs != nil

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
        if let s = record.config.linux?.seccomp {
            let program = try SeccompProgram.compile(s, cacheDir: store.root, warn: warn)
            if program.usesNotify, let path = program.listenerPath {
                do { plan.seccompListener = try UnixSocket.connect(path).moved(above: floor) } catch {
                    throw ContainerError("linux.seccomp.listenerPath: \(error)")
                }
                plan.seccompState = hookState(record, status: .running)
            }
            plan.seccomp = program
        }

        var signals: SignalFD?
        if !opts.detach {
            try Proc.setChildSubreaper()
            signals = try SignalFD([SIGCHLD] + Runtime.forwardedSignals)
        }
        defer { signals?.fd.close() }

        // pid and time namespaces apply to the children of the process that joins them: join them
        // here, so the child is born inside and stays our child.
        // Unprivileged, those belong to the container's user namespace and can only be joined from
        // inside it: join it here first (the child inherits it). Root keeps its host privileges for
        // the cgroup moves below, so only the rootless case does this.
        if Rootless.active && !parentJoins.isEmpty, let i = plan.joins.firstIndex(where: { $0.kind == .user }) {
            let user = plan.joins.remove(at: i)
            defer { user.fd.close() }
            try Namespaces.join(user.fd, user.kind, path: user.path)
        }
        // setns into a time namespace wants a single-threaded caller (see cs_cgroup_prewarm_start).
        if parentJoins.contains(where: { $0.kind == .time }) { cs_cgroup_prewarm_wait() }
        for j in parentJoins { try Namespaces.join(j.fd, j.kind, path: j.path) }

        let child = try Proc.fork()
        if child == 0 {
            parentEnd.close()
            signals?.fd.close()
            relaySocket?.close()
            for j in parentJoins { j.fd.close() }
            ExecStage.run(plan)
        }
        plan.sync.close()
        plan.consoleSocket?.close()
        plan.seccompListener?.close()
        Fault.point("exec.forked")
        let channel = SyncChannel(fd: parentEnd)
        do {
            if plan.waitForCgroups {
                // execCPUAffinity: "initial" before the move into the container's cgroups, "final" after.
                if let cpus = initialCPUs {
                    do { try Sched.setAffinity(cpus: cpus, pid: child) } catch {
                        throw ContainerError("process.execCPUAffinity.initial: \(error)")
                    }
                }
                for (file, path) in cgroupMoves {
                    do { try writeFile(path: file, "\(child)", flags: O_WRONLY) } catch {
                        throw ContainerError("exec: joining the container's cgroup \(path): \(error)")
                    }
                }
                if let cpus = finalCPUs {
                    do { try Sched.setAffinity(cpus: cpus, pid: child) } catch {
                        throw ContainerError("process.execCPUAffinity.final: \(error)")
                    }
                }
                try channel.send(.ack)
            }
            if let rdt = record.config.linux?.intelRdt { try IntelRdt.join(rdt, id: opts.id, pid: child) }
            // The sync socket closes on execve: end of file means the process runs.
            switch try channel.receive() {
            case .none: Fault.point("exec.running")
            case .failure(let text)?: throw ContainerError(text)
            case .some: throw ContainerError("exec: unexpected message from the exec child")
            }
        } catch {
            _ = Glibc.kill(child, SIGKILL)
            _ = try? Proc.wait(child)
            throw error
        }

        var relay: TerminalRelay?
        if let socket = relaySocket {
            do {
                let (master, _) = try UnixSocket.receiveFD(socket)
                relay = TerminalRelay(master: master)
            } catch {
                _ = Glibc.kill(child, SIGKILL)
                _ = try? Proc.wait(child)
                throw ContainerError("exec: receiving the terminal: \(error)")
            }
        }
        defer { relay?.close() }
        if let pidFile = opts.pidFile {
            try writeFileAtomically(path: absolutePath(pidFile), "\(child)", mode: 0o644)
        }
        if let socket = opts.pidfdSocket { try sendPidfd(of: child, to: socket) }
        guard let signals else { return 0 }
        return Runtime.supervise(pid: child, signals: signals, relay: relay).status
    }

    /// The process to run: --process's file as it is, or the container's process with the flags.
    func execProcess(_ opts: ExecOptions, _ spec: Spec) throws -> Process {
        var p: Process
        if let file = opts.processFile {
            let bytes: [UInt8]
            do { bytes = try readFile(path: file) } catch { throw ContainerError("--process: \(error)") }
            do { p = try JSON.decode(Process.self, from: bytes) } catch {
                throw ContainerError("--process: \(file): \(error)")
            }
            // runc takes noNewPrivileges from the process file as it is (absent = false) and the
            // container's rlimits when the file has none.
            if p.noNewPrivileges == nil { p.noNewPrivileges = false }
            if (p.rlimits ?? []).isEmpty { p.rlimits = spec.process?.rlimits }
        } else {
            guard let base = spec.process else { throw ContainerError("exec: the container has no process") }
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
                    guard CapabilityNames.number(of: cap) != nil else {
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
                    throw ContainerError("--user: \"\(u)\": expected uid[:gid] as numbers")
                }
                p.user.uid = uid
                if parts.count > 1 {
                    guard let gid = UInt32(parts[1]) else {
                        throw ContainerError("--user: \"\(u)\": expected uid[:gid] as numbers")
                    }
                    p.user.gid = gid
                }
            }
            if !opts.additionalGids.isEmpty {
                p.user.additionalGids = (p.user.additionalGids ?? []) + opts.additionalGids
            }
        }
        if p.cwd.isEmpty { throw ContainerError("exec: process.cwd: must not be empty") }
        if !p.cwd.hasPrefix("/") { throw ContainerError("exec: process.cwd: \"\(p.cwd)\" must be an absolute path") }
        if (p.args ?? []).isEmpty { throw ContainerError("exec: process.args: must not be empty") }
        return p
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

    /// The cgroup.procs files the exec'd process must be written to: each hierarchy where the
    /// container's init is in another cgroup than we are (plus --cgroup sub-cgroups).
    func cgroupTargets(containerPID: pid_t, sub: [String]) throws -> [(file: String, path: String)] {
        guard let theirs = try? readTextFile(path: "/proc/\(containerPID)/cgroup") else { return [] }
        let mine = (try? readTextFile(path: "/proc/self/cgroup")) ?? ""
        if theirs == mine && sub.isEmpty { return [] }
        // --cgroup: "path" for every controller, or "ctrl[,ctrl]:path".
        var subAll: String?
        var subBy: [String: String] = [:]
        for s in sub {
            if let colon = s.firstIndex(of: ":") {
                for c in s[..<colon].split(separator: ",") { subBy[String(c)] = String(s[s.index(after: colon)...]) }
            } else {
                subAll = s
            }
        }
        let myPaths = Set(mine.split(separator: "\n").map(String.init))
        let hosts = CgroupHierarchies.host()
        var out: [(String, String)] = []
        for line in theirs.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let controllers = String(f[1])
            var path = String(f[2])
            let ctrlList = controllers.split(separator: ",").map(String.init)
            let extra = ctrlList.lazy.compactMap { subBy[$0] }.first ?? (controllers.isEmpty ? subBy[""] : nil) ?? subAll
            if extra == nil && myPaths.contains(String(line)) { continue }
            if let extra { path = Kernel.cleanPath(path + "/" + extra) }
            let mount: String?
            if controllers.isEmpty {
                mount = hosts.isPureV2 ? "/sys/fs/cgroup" : hosts.unifiedMountPoint
            } else {
                let want = Set(ctrlList)
                mount = hosts.v1.first { Set($0.options.split(separator: ",").map(String.init)) == want }?.mountPoint
            }
            guard let mount else { continue }
            let dir = mount + path
            guard isDirectory(dir) else {
                throw ContainerError("exec: cgroup \(dir) does not exist")
            }
            out.append((dir + "/cgroup.procs", dir))
        }
        return out
    }

    /// Sends a pidfd of `pid` over the unix socket at `path` (runc's --pidfd-socket).
    func sendPidfd(of pid: pid_t, to path: String) throws {
        let raw = try sys("pidfd_open", "\(pid)") { cs_pidfd_open(pid, 0) }
        let pidfd = FD(raw)
        defer { pidfd.close() }
        let socket: FD
        do { socket = try UnixSocket.connect(path) } catch { throw ContainerError("--pidfd-socket: \(error)") }
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

/// The exec child: joins the container and becomes the process. Never returns.
enum ExecStage {
    static func run(_ plan: ExecPlan) -> Never {
        let channel = SyncChannel(fd: plan.sync)
        do {
            try stage(plan, channel)
        } catch {
            _ = try? channel.send(.failure("\(error)"))
            Proc.exit(1)
        }
    }

    static func stage(_ plan: ExecPlan, _ channel: SyncChannel) throws -> Never {
        let p = plan.process
        // Until execve, /proc/<pid>/exe, fd/, ... of this process stay closed to the container.
        RuntimeBinary.setNotDumpable()
        if plan.waitForCgroups { try channel.expect(.ack, step: "cgroups") }
        try InitStage.step("join namespaces") { try InitStage.joinNamespaces(plan.joins) }
        try InitStage.step("setsid") { try Proc.setsid() }
        _ = cs_join_session_keyring("_ses." + plan.id)
        if p.terminal == true {
            try InitStage.setupConsole(size: p.consoleSize, socket: plan.consoleSocket, bindDevConsole: false)
        }
        plan.consoleSocket?.close()
        try InitStage.applyProcessLimits(p)
        try ProcessAttributes.apply(process: p, linux: plan.linux)
        let holdSysAdmin = plan.seccomp != nil && p.noNewPrivileges != true
            && (plan.capabilities.effective & plan.capabilities.permitted) & (1 << 21) == 0
        try InitStage.applyCredentials(user: p.user, caps: plan.capabilities,
                                       userNamespaceInUse: plan.userNamespaceInUse, holdSysAdmin: holdSysAdmin)
        _ = umask(mode_t(p.user.umask ?? 0o022))
        try InitStage.changeDirectory(p.cwd)
        if p.noNewPrivileges == true {
            try InitStage.step("no_new_privs") { try Proc.setNoNewPrivileges() }
        }
        let executable = try InitStage.step("exec") { try InitStage.lookPath(p.args?.first ?? "", env: plan.env) }
        _ = cs_close_range(UInt32(3 + plan.preserveFDs), UInt32.max, 4 /* CLOSE_RANGE_CLOEXEC */)
        for fd in 3..<(3 + plan.preserveFDs) { try? FD(fd).setCloexec(false) }
        Proc.resetSignalDispositions()
        Proc.unblockAllSignals()
        if let program = plan.seccomp {
            try InitStage.installSeccomp(program, caps: plan.capabilities, heldSysAdmin: holdSysAdmin,
                                         listener: plan.seccompListener, ociVersion: "1.3.0", state: plan.seccompState)
        }
        do {
            try Proc.exec(path: executable, args: p.args ?? [], env: plan.env)
        } catch {
            throw ContainerError("exec \(executable): \(errnoString(Glibc.errno))")
        }
    }
}
