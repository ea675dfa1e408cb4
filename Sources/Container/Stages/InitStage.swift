import Glibc
import Kernel
import RuntimeSpec

/// The container's init process: a fork of `create` (already pid 1 of a new pid namespace when
/// nothing has to come before that namespace: `InitPlan.canCreatePIDNamespaceAtFork`) that applies
/// an `InitPlan` in one fixed order and ends in execve of the user's program. It never returns;
/// every failure is reported to the parent over the sync socket with the step that failed.
///
/// Order: umask 0 → join the cgroup (made by the parent; on a v1 or hybrid host without a cgroup
/// or user namespace only its unified hierarchy, by birth, and the v1 ones once the state arrives,
/// before the rootfs's first step the cgroup must see; with a second fork and no cgroup namespace
/// or mount, the parent adds the container process while this stage builds the rootfs) → join
/// namespaces (user first, mount last) → bind sources staged as the host sees them (with a new user
/// namespace: BindSources) → new user namespace + id maps → not dumpable → other new namespaces (a
/// new network namespace gets `lo` up) → time offsets → second fork for a pid namespace not made at
/// the fork, or a time namespace → linux.netDevices (moved in by the parent) up with their
/// addresses → setsid, session keyring → hostname → rootfs (mounts, devices) → prestart/
/// createRuntime hooks (parent) → createContainer hooks → pivot_root → rootfs propagation →
/// console → sysctl → process.cwd made → readonly/masked paths → read-only root → `ProcessTail`'s
/// steps up to the PATH lookup (rlimits, oom score, process attributes, credentials, umask, cwd,
/// no_new_privs) → ready → state.json written (ack, under `create` only) → exec fifo → startContainer hooks →
/// `ProcessTail`'s last steps (fds close on exec → signals → seccomp, dropping the CAP_SYS_ADMIN held
/// for it) → execve. A filter with a notify listener goes in before the ack instead, so that the
/// agent gets the listener during create (see below).
///
/// Into a joined pid namespace (`InitPlan.buildsRootOutsidePIDNamespace`) the steps are shared out:
/// this process does everything up to pivot_root outside that namespace, and the container process,
/// forked into it by a helper with an empty root, does setsid/keyring and everything from the
/// console on (see `forkIntoJoinedPIDNamespace`).
enum InitStage {
    /// The most a failure written to the exec fifo may take: half a pipe's 64 KiB.
    static let execFifoMessageLimit = 32 * 1024

    static func run(_ plan: InitPlan) -> Never {
        ProcessTail.reportingFailure(sync: plan.sync) { try stage(plan, $0) }
    }

    /// `run` right after the fork, on a stack of its own: the parent's stack, whose frames (create's
    /// and run's, tens of KiB) the parent goes on writing while this stage lives, is dropped from
    /// this process, so those writes no longer copy pages, and the stage's frames take only the
    /// pages they use. Counted in a memory cgroup that holds both processes (the runtime in the
    /// container's, or both under one limit), that is ~40 KiB less at the stage's peak.
    static func runOnOwnStack(_ plan: InitPlan) -> Never {
        // The plan (a class) is on the heap, retained here: nothing the stage reads may stay on
        // the stack it leaves.
        let box = Unmanaged.passRetained(plan).toOpaque()
        Proc.continueOnOwnStack(box) { raw in
            InitStage.run(Unmanaged<InitPlan>.fromOpaque(raw!).takeUnretainedValue())
        }
    }

    /// Puts a failure that does not say where it happened under the step it happened in (as
    /// RuntimeError.during). The name is made only on failure: most are interpolated (`mounts[3]
    /// (/dev/pts)`, `maskedPaths /proc/kcore`), some thirty strings built per create for nothing.
    @discardableResult
    static func step<T>(_ name: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as RuntimeError { throw e } catch {
            throw RuntimeError(step: name(), cause: error)
        }
    }

    static func stage(_ plan: InitPlan, _ channel: SyncChannel) throws -> Never {
        Proc.setUmask(0)
        // Read here, from the /proc this process was forked with (later /proc is the container's),
        // while this process has the dispositions it ends with: the runtime's SIGPIPE and the
        // caller's ignored signals, nothing caught. Only those are reset before execve.
        let ignoredSignals = Proc.ignoredSignals()
        try step("join cgroup") {
            for file in plan.cgroupJoinFiles { try writeFile(path: file, "0", flags: O_WRONLY) }
            if plan.awaitsCgroupAttach { try channel.expect(.ack, step: "moved into the scope") }
            // Joined later (buildRoot): the hierarchies are held now, before any mount is made.
            for join in plan.cgroupJoinsOnState where plan.cgroupHierarchyFDs[join.hierarchy] == nil {
                plan.cgroupHierarchyFDs[join.hierarchy] = try FD.open(join.hierarchy, O_PATH | O_DIRECTORY)
            }
        }
        // Joining a pid namespace outside the init (see forkIntoJoinedPIDNamespace): keep it for later.
        let pidJoin = plan.buildsRootOutsidePIDNamespace ? plan.joins.first { $0.kind == .pid } : nil
        try step("join namespaces") { try joinNamespaces(plan.joins.filter { $0.kind != .pid || pidJoin == nil }) }
        // Before the user namespace: the sources are resolved as the host's root (see BindSources).
        let stagedSources = try step("bind sources") { try BindSources.stage(plan) }
        if plan.createsUserNamespace {
            try step("create user namespace") {
                try Namespaces.unshare(NamespaceKind.user.cloneFlag, describe: "user")
                try channel.send(.userNamespaceReady(pid: Proc.getpid()))
                try channel.expect(.ack, step: "uid/gid maps")
                try Proc.setIDs(uid: 0, gid: 0)
            }
        }
        // From here on nothing of this process (/proc/<pid>/exe, fd/, ...) is open to the container's
        // processes without CAP_SYS_PTRACE (the uid/gid maps, written by the parent, are done).
        RuntimeBinary.setNotDumpable()
        let others = plan.unsharedNamespaces.filter { $0 != .user }
        if !others.isEmpty {
            let flags = others.reduce(Int32(0)) { $0 | $1.cloneFlag }
            try step("create namespaces") {
                try Namespaces.unshare(flags, describe: others.map(\.rawValue).joined(separator: ","))
            }
            if others.contains(.network) { try bringLoopbackUp() }
        }
        if others.contains(.time), let offsets = plan.spec.linux?.timeOffsets, !offsets.isEmpty {
            try step("time offsets") {
                var text = ""
                for (clock, off) in offsets.sorted(by: { $0.key < $1.key }) {
                    text += "\(clock) \(off.secs ?? 0) \(off.nanosecs ?? 0)\n"
                }
                try Procfs.write("/proc/self/timens_offsets", text)
            }
        }
        // In a joined pid namespace: the socket to the container process, for the root built here.
        var containerProcess: (socket: FD, helper: pid_t)?
        if let pidJoin {
            containerProcess = try forkIntoJoinedPIDNamespace(plan, channel, pidJoin: pidJoin,
                                                              ignoredSignals: ignoredSignals)
        } else if plan.needsSecondFork {
            let child = try step("fork into the new pid namespace") { try Proc.fork() }
            if child != 0 {
                // The intermediate process: report the container's pid and leave.
                do { try channel.send(.containerPID(child)) } catch { Proc.signalIfPresent(child, SIGKILL) }
                Proc.exit(0)
            }
        } else {
            // 0: "the process you forked"; in a pid namespace made by the fork, getpid() is 1.
            try channel.send(.containerPID(plan.pidNamespaceAtFork ? 0 : Proc.getpid()))
        }
        var readOnlyDev: OwnedFD?
        let stateJSON = try buildRoot(plan, channel, staged: stagedSources, isContainerProcess: containerProcess == nil,
                                      readOnlyDev: &readOnlyDev)
        pidJoin?.fd.close()
        if let (socket, helper) = containerProcess {
            // The root is ready: hand it over with the state, and leave (the parent reaps us).
            try step("hand the root over to the container process") {
                try SyncChannel(fd: socket).send(.state(stateJSON))
                let root = try FD.open("/", O_PATH | O_DIRECTORY)
                try UnixSocket.sendFD(socket, root, name: "/")
                root.close()
                // A read-only /dev is made so at the very end, by the container process.
                if let dev = readOnlyDev?.fd { try UnixSocket.sendFD(socket, dev, name: "/dev") }
            }
            _ = try? Proc.wait(helper)
            Proc.exit(0)
        }
        try finishProcess(plan, channel, stateJSON: stateJSON, readOnlyDev: readOnlyDev, ignoredSignals: ignoredSignals)
    }

    /// Joining an existing pid namespace (pod-style) makes the init's children visible to that
    /// namespace's processes, and a process there with CAP_SYS_PTRACE opens /proc/<pid>/root, cwd
    /// and fd/N of any of them. The init building the rootfs has the host's root (a private copy of
    /// the host's mount namespace) and host directory fds, so nothing of it may be visible there.
    /// Hence three processes:
    /// - this one (outside the pid namespace) builds the rootfs and runs the hooks as before, up to
    ///   and including pivot_root, then hands the new root over and exits;
    /// - a helper it forks enters a root that is not the host's (a new, empty, read-only tmpfs,
    ///   detached: `..` cannot leave it, so /proc/<pid>/root/.. stays there), closes every fd the
    ///   container process does not need, joins the pid namespace and forks the container process,
    ///   whose pid it reports before leaving;
    /// - the container process, born in the pid namespace with that empty root as root and cwd,
    ///   does setsid and the keyring, waits for the state and an fd of the built root, chroots into
    ///   it (the same mount namespace, pivoted already), and goes on from the console to execve.
    /// Returns (in this process) the socket to the container process and the helper's pid.
    static func forkIntoJoinedPIDNamespace(_ plan: InitPlan, _ channel: SyncChannel, pidJoin: InitPlan.NamespaceJoin,
                                           ignoredSignals: UInt64?) throws -> (socket: FD, helper: pid_t) {
        let floor = 3 + plan.preserveFDs
        let (builderEnd, processEnd) = try step("socketpair") {
            let (a, b) = try Pipe.socketPair()
            return (try a.moved(above: floor), try b.moved(above: floor))
        }
        let helper = try step("fork") { try Proc.fork() }
        if helper != 0 {
            // The pid namespace fd stays open here for proc's pidns= (closed once the root is built).
            processEnd.close()
            return (builderEnd, helper)
        }
        builderEnd.close()
        let process: pid_t
        do {
            process = try step("join the pid namespace \(pidJoin.path)") {
                let empty = try MountAPI.readOnlyTmpfs(describe: "the container process's first root")
                try Proc.changeRoot(to: empty, describe: "empty root")
                empty.close()
                var keep = [plan.sync, processEnd, pidJoin.fd]
                for fd in [plan.execFifo, plan.execFifoReport, plan.consoleSocket, plan.seccompListener] { if let fd { keep.append(fd) } }
                closeFDs(from: floor, keeping: keep)
                try Namespaces.join(pidJoin.fd, .pid, path: pidJoin.path)
                pidJoin.fd.close()
                return try Proc.fork()
            }
        } catch {
            _ = try? channel.send(.failure(error as? RuntimeError ?? RuntimeError(cause: error)))
            Proc.exit(1)
        }
        if process != 0 {
            do { try channel.send(.containerPID(process)) } catch { Proc.signalIfPresent(process, SIGKILL) }
            Proc.exit(0)
        }
        // The container process.
        try joinSession(plan)
        let builder = SyncChannel(fd: processEnd)
        // End of file: the builder failed and has told the parent why.
        guard case .state(let stateJSON)? = try? builder.receive() else { Proc.exit(1) }
        try step("enter the root") {
            let (root, _) = try UnixSocket.receiveFD(processEnd)
            defer { root.close() }
            try Proc.changeRoot(to: root, describe: "root")
        }
        var readOnlyDev: OwnedFD?
        if plan.mounts.contains(where: \.isReadOnlyDev) {
            readOnlyDev = OwnedFD(try step("receive /dev") { try UnixSocket.receiveFD(processEnd).0 })
        }
        processEnd.close()
        try finishProcess(plan, channel, stateJSON: stateJSON, readOnlyDev: readOnlyDev, ignoredSignals: ignoredSignals)
    }

    /// Closes every fd from `floor` up but those in `keep` (the fds below `floor` are stdio and
    /// those passed on to the container). One close_range per gap.
    static func closeFDs(from floor: Int32, keeping keep: [FD]) {
        var next = floor
        for fd in keep.map(\.raw).sorted() where fd >= floor {
            if fd > next { Proc.closeRange(next, UInt32(fd - 1)) }
            next = max(next, fd + 1)
        }
        Proc.closeRange(next)
    }

    /// Closes these fds, one close_range per run of consecutive numbers: the hierarchies opened one
    /// after the other are one or two runs (nine closes before).
    static func closeRuns(_ fds: [Int32]) {
        let sorted = fds.sorted()
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            Proc.closeRange(sorted[i], UInt32(sorted[j]))
            i = j + 1
        }
    }

    /// setsid and the session keyring: the container process's own.
    static func joinSession(_ plan: InitPlan) throws {
        try ProcessTail.joinSession(keyring: plan.sessionKeyring, makesKeyring: true)
    }

    /// net devices, hostname, the rootfs, prestart/createRuntime/createContainer hooks, pivot_root.
    /// Returns the state JSON the parent sent; a read-only /dev's mount, to be made so last, in `readOnlyDev`.
    static func buildRoot(_ plan: InitPlan, _ channel: SyncChannel, staged stagedSources: BindSources.Staged,
                          isContainerProcess: Bool, readOnlyDev: inout OwnedFD?) throws -> [UInt8] {
        // The state comes from the parent right after it has our pid (and has moved linux.netDevices
        // in), and after the cgroup is made and limited. Without net devices it is read as late as
        // it can be, so that the rootfs is built while the parent works: once the rootfs is built,
        // or, when the v1 hierarchies are joined on its arrival (`cgroupJoinsOnState`), before
        // the rootfs's first step the cgroup must see. Reading it before our next message also
        // orders that message after the pid, which the intermediate process of a pid namespace sends.
        var stateJSON: [UInt8] = []
        var stateReceived = false
        func receiveState() throws {
            if stateReceived { return }
            switch try channel.receive() {
            case .state(let bytes): stateJSON = bytes
            default: throw RuntimeError(step: "init", "expected the container state from the runtime")
            }
            stateReceived = true
            try step("join cgroup") {
                for join in plan.cgroupJoinsOnState {
                    let path = join.hierarchy + "/" + join.file
                    guard let hierarchy = plan.cgroupHierarchyFDs[join.hierarchy] else {
                        throw RuntimeError(object: path, "the hierarchy \(join.hierarchy) was not held open")
                    }
                    let file = try RootedPath.openStrictlyBeneath(hierarchy, join.file, O_WRONLY, describe: path)
                    defer { file.close() }
                    do { try file.write("0") } catch { throw RuntimeError(object: path, cause: error) }
                }
                closeRuns(plan.cgroupHierarchyFDs.values.map(\.raw))
                plan.cgroupHierarchyFDs = [:]
            }
        }
        if !plan.netDevices.isEmpty {
            try receiveState()
            try NetDevices.configureInside(plan.netDevices)
        }

        if isContainerProcess { try joinSession(plan) }
        try applyHostnames(plan)

        // Without a mount namespace the rootfs is built in the runtime's (see RootfsBuilder).
        var rootfs = RootfsBuilder(plan: plan, staged: stagedSources)
        if !plan.cgroupJoinsOnState.isEmpty { rootfs.awaitCgroup = receiveState }
        let rootMount = try rootfs.prepare(readOnlyDev: &readOnlyDev)
        // At the latest here (and with it the v1 hierarchies' joins, when left for then): before
        // the hooks, which run with the process in its cgroup.
        try receiveState()
        if plan.asksForRuntimeHooks {
            try channel.send(.runtimeHooks)
            try channel.expect(.ack, step: "createRuntime hooks")
        }
        // In the container's root (not yet pivoted to), as runc runs them.
        try HookRunner.runAll(plan.spec.hooks?.createContainer, kind: "createContainer", state: stateJSON,
                              cwd: plan.rootfs)

        try rootfs.enterRoot(through: rootMount)
        return stateJSON
    }

    /// From the console to execve, in the container's root.
    static func finishProcess(_ plan: InitPlan, _ channel: SyncChannel, stateJSON: [UInt8],
                              readOnlyDev: consuming OwnedFD?, ignoredSignals: UInt64?) throws -> Never {
        if plan.process.terminal == true {
            try setupConsole(size: plan.process.consoleSize, socket: plan.consoleSocket, bindDevConsole: true,
                             owner: plan.process.user.uid)
        }
        let sysctl = plan.spec.linux?.sysctl ?? [:]
        let procfs = sysctl.isEmpty && plan.processPlan.oomScoreAdj == nil
            ? nil : try step("/proc") { try Procfs.Directory.open() }
        defer { procfs?.close() }
        try applySysctl(plan, sysctl, procfs: procfs)
        // "/" is the root itself, there already: four system calls fewer (open, resolve, two closes).
        if Kernel.cleanAbsolutePath(plan.process.cwd) != "/" {
            try step("process.cwd \(plan.process.cwd)") {
                // Created inside the new root only: `..`, symlinks and magic links (/proc/self/fd/N,
                // CVE-2024-21626) never lead out of it.
                try RootedPath.open("/").withRoot { try $0.makeDirectories(plan.process.cwd).close() }
            }
        }
        try RootfsBuilder(plan: plan).finish(readOnlyDev: readOnlyDev)
        var tail = ProcessTail(process: plan.process, plan: plan.processPlan, userNamespaceInUse: plan.userNamespaceInUse,
                               preserveFDs: plan.preserveFDs, installsSeccomp: plan.seccomp != nil)
        tail.procfs = procfs
        var (executable, env) = try tail.becomeUser(env: plan.env)

        if !plan.readyWaitsForAck {
            // Armed again before `.ready` (a change of uid in becomeUser has cleared it): a runtime
            // gone before this closed its end already, and sending `.ready` fails with EPIPE.
            _ = try? Proc.setParentDeathSignal(SIGKILL)
        }
        try channel.send(.ready)
        var seccomp = plan.seccomp
        if plan.seccompArrivesLater {
            switch try channel.receive() {
            case .seccompProgram(let bytes)?:
                seccomp?.instructions = SeccompProgram.instructions(from: bytes)
            case .some(let m): throw KernelError("seccomp program: unexpected sync message \(m.code)")
            case .none: throw KernelError("seccomp program: the runtime went away")
            }
        }
        if let program = seccomp, program.usesNotify {
            // The agent gets the listener during create, with the state "creating" (as runc): the
            // filter goes in now, so the last runtime syscalls (exec fifo, startContainer hooks,
            // closing fds) pass through it, as they do with runc.
            try tail.installSeccomp(program, listener: plan.seccompListener, state: stateJSON)
            seccomp = nil
        }
        if plan.readyWaitsForAck {
            // The parent acks once state.json is written; end of file means it was killed: leave.
            // From here on this process outlives it (no more parent-death signal), or under `run`
            // after a second fork dies with it until started: armed now that the parent is the
            // runtime (InitPlan.readyWaitsForAck); a change of uid (becomeUser) has cleared it.
            try channel.expect(.ack, step: "state.json")
            _ = try? Proc.setParentDeathSignal(plan.diesWithRuntimeUntilStarted ? SIGKILL : 0)
        }
        plan.sync.close()
        if let fifo = plan.execFifo {
            // `start` writes one byte. Until then the process sits here, fully prepared.
            let byte = try step("exec fifo") { try fifo.read(max: 1) }
            if byte.isEmpty { Proc.exit(1) }
        }
        // `run`'s start waits for the fifo's hang-up at execve, so it is still there to see this.
        if plan.diesWithRuntimeUntilStarted { _ = try? Proc.setParentDeathSignal(0) }
        do {
            // The hook is the container's: the runtime's environment is not its business.
            try HookRunner.runAll(plan.spec.hooks?.startContainer, kind: "startContainer",
                                  state: statusPatched(stateJSON, "created"), defaultEnv: plan.env)
        } catch {
            // The parent is gone; `start` reads the reason from the fifo after it hangs up, in its
            // parts as over the sync socket.
            // A pipe holds 64 KiB: a longer message would block this write while `start` waits for the
            // hang-up, and both would wait forever (a hook path of 70,000 characters did). Cut it short.
            let failure = error as? RuntimeError ?? RuntimeError(cause: error)
            var message = failure.wireBytes()
            if message.count > Self.execFifoMessageLimit {
                // 4 KiB of text stays under the limit even with every byte escaped in JSON.
                message = RuntimeError(String(decoding: Array(failure.description.utf8.prefix(4096)), as: UTF8.self)
                                       + " ... (cut short)").wireBytes()
            }
            _ = try? (plan.execFifoReport ?? plan.execFifo)?.write(message)
            Proc.exit(1)
        }
        if plan.listenFDs > 0 {
            env += ["LISTEN_FDS=\(plan.listenFDs)", "LISTEN_PID=\(Proc.getpid())"]
        }
        do {
            try tail.prepareExec(seccomp: seccomp, listener: nil, state: [], ignoredSignals: ignoredSignals)
        } catch {
            // The parent has gone (sync closed): a failure here can only be told on stderr.
            _ = try? FD(2).write("swiftlet: \(error)\n")
            Proc.exit(1)
        }
        do {
            try tail.exec(executable, env: env)
        } catch {
            _ = try? FD(2).write("swiftlet: \(error)\n")
            Proc.exit(127)
        }
    }

    /// A new network namespace has only `lo`, down (index 1 in every namespace). runc and crun bring
    /// it up, and services on 127.0.0.1 inside the container rely on it: one RTM_NEWLINK.
    static func bringLoopbackUp() throws {
        try step("network namespace: bring lo up") {
            let nl = try Netlink.open()
            defer { nl.close() }
            // A new namespace has its loopback only, named lo (index 1).
            try nl.setUp(interface: "lo")
        }
    }

    static func statusPatched(_ state: [UInt8], _ status: String) -> [UInt8] {
        let text = String(decoding: state, as: UTF8.self)
        return Array(text.replacingFirst("\"status\":\"creating\"", with: "\"status\":\"\(status)\"").utf8)
    }

    /// setns in the order the kernel needs: user first (it grants the rights for the others),
    /// mount last (after it, the other namespace files may no longer be reachable).
    static func joinNamespaces(_ joins: [InitPlan.NamespaceJoin]) throws {
        let ordered = joins.filter { $0.kind == .user }
            + joins.filter { $0.kind != .user && $0.kind != .mount }
            + joins.filter { $0.kind == .mount }
        for j in ordered {
            try Namespaces.join(j.fd, j.kind, path: j.path)
            j.fd.close()
            if j.kind == .user { try Proc.setIDs(uid: 0, gid: 0) }
        }
    }

    static func applyHostnames(_ plan: InitPlan) throws {
        if let h = plan.spec.hostname {
            try step("sethostname") { try Proc.setHostname(h) }
        }
        if let d = plan.spec.domainname {
            try step("setdomainname") { try Proc.setDomainname(d) }
        }
    }

    /// Opens a pty in the container's devpts, sends the master over `socket` (SCM_RIGHTS, with the
    /// slave's path as the message, as runc does), and makes the slave stdio and controlling terminal.
    /// Used by the init stage and by `exec` (which does not touch /dev/console).
    /// The slave belongs to `owner` (the process's uid; the group stays devpts' gid=, tty), as with
    /// runc, so that a non-root process can use its own terminal (mesg, write, chmod of its tty).
    static func setupConsole(size: Box?, socket: FD?, bindDevConsole: Bool, owner: UInt32) throws {
        try step("console") {
            let (master, slavePath) = try Terminal.openPair(ptmx: "/dev/pts/ptmx")
            let slave = try FD.open(slavePath, O_RDWR | O_NOCTTY)
            // Not mapped in the container's user namespace (EINVAL), or devpts refuses (EPERM,
            // EROFS): the terminal still works, owned by root, as runc leaves it then.
            try slave.giveOwnerIfMapped(owner, describe: slavePath)
            if let size {
                try Terminal.setSize(slave, rows: UInt16(clamping: size.height), cols: UInt16(clamping: size.width))
            }
            if bindDevConsole && fileExists("/dev") {
                // /dev/console must name the container's terminal. Its target is resolved inside the
                // root and must not be a symlink (CVE-2025-52565): the pty goes onto that very file.
                try RootedPath.open("/").withRoot { root in
                    let target = try root.makeFile("/dev/console", mode: 0o600, followFinal: false)
                    defer { target.close() }
                    let tree = try MountAPI.cloneTree(fd: slave, recursive: false, describe: slavePath)
                    defer { tree.close() }
                    try MountAPI.moveMount(tree, onto: target, describe: "\(slavePath) on /dev/console")
                }
            }
            if let socket {
                // runc's message is the master's file name, "/dev/ptmx".
                try UnixSocket.sendFD(socket, master, name: "/dev/ptmx")
                socket.close()
            }
            master.close()
            for n in Int32(0)...2 { try slave.dup(to: n) }
            try Terminal.makeControlling(FD(0))
            if slave.raw > 2 { slave.close() }
        }
    }

    static func applySysctl(_ plan: InitPlan, _ sysctl: [String: String], procfs: Procfs.Directory?) throws {
        guard let procfs else { return }
        for (key, value) in sysctl.sorted(by: { $0.key < $1.key }) {
            try step("sysctl \(key)") {
                let path = sysctlPath(key)
                let field = InputField.config("linux.sysctl[\(quoted(key))]")
                do { try procfs.write(path, value) } catch let e as SysError
                    where (e.errno == EACCES || e.errno == EPERM) && plan.userNamespaceInUse {
                    throw RuntimeError(field: field, object: path, "in a user namespace only "
                        + "sysctls of namespaces the container owns can be set; this one needs privilege on the host", cause: e)
                } catch {
                    throw RuntimeError(field: field, object: path, cause: error)
                }
            }
        }
    }
}

extension InitStage {
    /// The /proc/sys file of a sysctl key: each run of dots one "/", none at either end (what
    /// `split(separator: ".").joined(separator: "/")` made, in one pass over the bytes: that generic
    /// pair ran unspecialised, 0.05 ms of the init stage per `run`). "/" in the key stays; a key can
    /// never make ".." (every dot becomes a separator), and Procfs resolves beneath /proc anyway.
    static func sysctlPath(_ key: String) -> String {
        let prefix = "/proc/sys/".utf8, dot = UInt8(ascii: "."), slash = UInt8(ascii: "/")
        var bytes = [UInt8]()
        bytes.reserveCapacity(prefix.count + key.utf8.count)
        bytes.append(contentsOf: prefix)
        var separatorPending = false, started = false
        for b in key.utf8 {
            if b == dot {
                separatorPending = started
                continue
            }
            if separatorPending { bytes.append(slash) }
            separatorPending = false
            started = true
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        let chars = Array(self.utf8), t = Array(target.utf8)
        guard chars.count >= t.count else { return self }
        for i in 0...(chars.count - t.count) where chars[i] == t[0] && Array(chars[i..<(i + t.count)]) == t {
            return String(decoding: chars[..<i], as: UTF8.self) + replacement
                + String(decoding: chars[(i + t.count)...], as: UTF8.self)
        }
        return self
    }
}
