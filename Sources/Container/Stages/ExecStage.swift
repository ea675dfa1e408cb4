import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

/// The exec child: joins the container and becomes the process. Never returns.
enum ExecStage {
    static func run(_ plan: ExecPlan) -> Never {
        ProcessTail.reportingFailure(sync: plan.sync) { try stage(plan, $0) }
    }

    static func stage(_ plan: ExecPlan, _ channel: SyncChannel) throws -> Never {
        let p = plan.process
        // Until execve, /proc/<pid>/exe, fd/, ... of this process stay closed to the container's
        // processes without CAP_SYS_PTRACE.
        RuntimeBinary.setNotDumpable()
        // From the runtime's /proc, before any of the container's: only these are reset before execve.
        let ignoredSignals = Proc.ignoredSignals()
        closeUnneededFDs(plan)
        if plan.waitForCgroups { try channel.expect(.ack, step: "cgroups") }
        try InitStage.step("join cgroup") {
            for join in plan.cgroupJoins {
                do {
                    let file = try FD.openAt(join.dir, join.file, O_WRONLY)
                    defer { file.close() }
                    try file.write("0")
                } catch {
                    throw RuntimeError(step: "exec: joining the container's cgroup", object: join.path, join.path, cause: error)
                }
                join.dir.close()
            }
        }
        try InitStage.step("join namespaces") { try InitStage.joinNamespaces(plan.joins) }
        // Without a mount namespace of its own the container's root is a chroot in the runtime's mount
        // namespace: entered before the fork below, so that no process of ours visible in the
        // container's pid namespace ever has the host's root.
        if let root = plan.root {
            try InitStage.step("enter the container's root") {
                try Proc.changeRoot(to: root, describe: "container root")
                root.close()
            }
        }
        if plan.forksIntoPIDNamespace {
            // Joined pid and time namespaces apply to our children only. This process stays invisible
            // to the container (it is in the runtime's pid namespace) while it joins; its child is
            // born in the container's pid namespace already inside everything else: mount namespace,
            // root and cwd at the container's root (setns(mnt) sets both), no namespace fd, no fd but
            // those kept above. A container process with CAP_SYS_PTRACE that looks at
            // /proc/<pid>/root, cwd or fd/ of that child never finds the host there. (Joining pid
            // first and forking before setns(mnt) gave it the host's root for a while.) As in runc's
            // nsexec: this process reports the pid and leaves; the runtime, a subreaper, gets the child.
            let final = try InitStage.step("fork into the container's pid namespace") { try Proc.fork() }
            if final != 0 {
                do { try channel.send(.containerPID(final)) } catch { Proc.signalIfPresent(final, SIGKILL) }
                Proc.exit(0)
            }
        }
        // The same session and keyring as the init's, as runc's setns init joins them (none of the
        // container's with --no-new-keyring at create: the caller's stays, as the init's did).
        try ProcessTail.joinSession(keyring: plan.sessionKeyring)
        if p.terminal == true {
            try InitStage.setupConsole(size: p.consoleSize, socket: plan.consoleSocket, bindDevConsole: false,
                                       owner: p.user.uid)
        }
        plan.consoleSocket?.close()
        let tail = ProcessTail(process: p, plan: plan.processPlan, userNamespaceInUse: plan.userNamespaceInUse,
                               preserveFDs: plan.preserveFDs, installsSeccomp: plan.seccomp != nil)
        let (executable, env) = try tail.becomeUser(env: plan.env)
        // The parent still waits on the sync socket (it closes on execve): every failure goes there.
        try tail.prepareExec(seccomp: plan.seccomp, listener: plan.seccompListener, state: plan.seccompState,
                             ignoredSignals: ignoredSignals)
        try tail.exec(executable, env: env)
    }

    /// Closes every fd of the runtime this process does not need: it, or its child, is visible in
    /// the container's pid namespace, and /proc/<pid>/fd/N of a visible process opens the file for a
    /// container process with CAP_SYS_PTRACE (a --log file, a cgroup directory, ...). Kept: stdio and
    /// the fds passed on (below the floor), the sync and console sockets, the seccomp listener and
    /// the namespace files still to join (closed one by one as they are joined).
    static func closeUnneededFDs(_ plan: ExecPlan) {
        var keep = [plan.sync] + plan.joins.map(\.fd) + plan.cgroupJoins.map(\.dir)
        // One by one: an array of `FD?` would be a type of its own, instantiated at run time for this.
        if let fd = plan.consoleSocket { keep.append(fd) }
        if let fd = plan.seccompListener { keep.append(fd) }
        if let fd = plan.root { keep.append(fd) }
        InitStage.closeFDs(from: plan.fdFloor, keeping: keep)
    }
}
