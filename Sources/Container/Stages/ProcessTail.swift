import Glibc
import Kernel
import RuntimeSpec

/// How a process already inside the container (its namespaces, root, cgroups and console) becomes
/// the container's process: the same steps for `create`'s init stage and `exec`'s child.
///
/// `becomeUser`: rlimits → oom score → process attributes (personality, memory policy, I/O
/// priority, scheduler, LSM exec labels; before the credentials, as real-time policies and
/// IOPRIO_CLASS_RT need privilege) → HOME from /etc/passwd → cwd entered as root → stdio given to a
/// non-root user → bounding set, groups, user, capabilities → umask, cwd again as the user if root
/// was refused, no_new_privs → PATH lookup.
/// Then, after what only the init does in between (ready, exec fifo, startContainer hooks),
/// `prepareExec`: fds above the preserved ones close on execve → signal dispositions and mask
/// reset → seccomp (+ the CAP_SYS_ADMIN held for it dropped) → `exec`.
///
/// Where the two differ, the caller says so: the init made its namespaces and root, the exec child
/// joined them; the init sends the seccomp listener during create and tells a late failure on
/// stderr (its parent is gone by then), the exec child reports every failure over the sync socket.
struct ProcessTail {
    let process: Process
    let plan: ProcessPlan
    let userNamespaceInUse: Bool
    /// The fds 3..<3+preserveFDs are the caller's, passed on to the program.
    let preserveFDs: Int32
    /// Without no_new_privs, installing a seccomp filter needs CAP_SYS_ADMIN: when the process's
    /// own sets lack it, it is held on top of them until the filter is in.
    let holdsSysAdmin: Bool
    /// The init stage's `/proc`, opened once for its sysctls and oom_score_adj; nil: opened per write.
    var procfs: Procfs.Directory? = nil

    init(process: Process, plan: ProcessPlan, userNamespaceInUse: Bool, preserveFDs: Int32, installsSeccomp: Bool) {
        self.process = process
        self.plan = plan
        self.userNamespaceInUse = userNamespaceInUse
        self.preserveFDs = preserveFDs
        let caps = plan.capabilities
        holdsSysAdmin = installsSeccomp && process.noNewPrivileges != true
            && (caps.effective & caps.permitted) & Capabilities.sysAdminBit == 0
    }

    /// The steps up to the PATH lookup, in the current root as root. Returns the program to execve
    /// and the environment with HOME.
    func becomeUser(env: [String]) throws -> (executable: String, env: [String]) {
        let p = process
        try applyLimits()
        try ProcessAttributes.apply(plan, process: p)
        let env = ProcessTail.environmentWithHome(env, uid: p.user.uid)
        let cwdEntered = try ProcessTail.enterCwdWhilePrivileged(p.cwd)
        try applyCredentials()
        Proc.setUmask(p.user.umask ?? 0o022)
        if !cwdEntered { try ProcessTail.changeDirectory(p.cwd) }
        if p.noNewPrivileges == true {
            try RuntimeError.during("no_new_privs") { try Proc.setNoNewPrivileges() }
        }
        let executable = try ProcessTail.lookPath(p.args?.first ?? "", env: env)
        return (executable, env)
    }

    func applyLimits() throws {
        for (i, l) in plan.rlimits.enumerated() {
            do { try Rlimit.set(l.resource, soft: l.soft, hard: l.hard) } catch {
                throw RuntimeError(field: plan.field("rlimits[\(i)]"), cause: error)
            }
        }
        if let adj = plan.oomScoreAdj {
            do {
                if let procfs { try procfs.write("/proc/self/oom_score_adj", String(adj)) } else {
                    try Procfs.write("/proc/self/oom_score_adj", String(adj))
                }
            } catch {
                throw RuntimeError(field: plan.field("oomScoreAdj"), object: "/proc/self/oom_score_adj", cause: error)
            }
        }
    }

    /// The capability bounding set, groups, user and the process's capability sets (CAP_SYS_ADMIN
    /// kept on top of them while `holdsSysAdmin`; `prepareExec` drops it).
    func applyCredentials() throws {
        let user = process.user
        let caps = plan.capabilities
        if user.uid != 0 { try RuntimeError.during("stdio ownership") { try ProcessTail.giveStdioToUser(uid: user.uid) } }
        try RuntimeError.during("capabilities") {
            try Proc.setKeepCaps(true)
            try Capabilities.limitBounding(to: caps.bounding)
        }
        try RuntimeError.during("groups") {
            let groups = user.additionalGids ?? []
            do {
                try Proc.setGroups(groups)
            } catch let e as SysError where e.errno == EPERM && (userNamespaceInUse || Identity.setgroupsDenied) {
                // setgroups is denied in this user namespace: the container's own, or the caller's that
                // the container shares (runc looks at /proc/self/setgroups too). An empty list is what
                // we wanted anyway. Groups asked for are refused (runc drops them without a word),
                // naming no field: they come from config.json, the process file or --additional-gids.
                guard !groups.isEmpty else { return }
                guard Identity.setgroupsDenied else { throw e }
                throw RuntimeError(step: "groups", object: "/proc/self/setgroups", "additional groups \(groups) "
                                   + "cannot be given: setgroups is denied in this user namespace "
                                   + "(/proc/self/setgroups: deny)", cause: e)
            }
        }
        try RuntimeError.during("user") { try Proc.setIDs(uid: user.uid, gid: user.gid) }
        try RuntimeError.during("capabilities") {
            try Proc.setKeepCaps(false)
            let held = holdsSysAdmin ? Capabilities.sysAdminBit : 0
            try Capabilities.setProcessSets(effective: caps.effective | held, permitted: caps.permitted | held,
                                            inheritable: caps.inheritable)
            // Always: ambient capabilities the runtime's caller had must not reach the container
            // when the config asks for none (they survive setuid to root and execve).
            try Capabilities.setAmbient(caps.ambient, permitted: caps.permitted | held, inheritable: caps.inheritable)
        }
    }

    /// The last steps before execve: every fd of ours closes on execve (the passed-on ones stay
    /// open), signals as a new program expects them, and the seccomp filter (nil: none, or the init
    /// installed it already to send its listener). `ignoredSignals`: the signals this process
    /// ignores, when known (`Proc.ignoredSignals`): only those need resetting.
    func prepareExec(seccomp: SeccompProgram?, listener: FD?, state: [UInt8], ignoredSignals: UInt64? = nil) throws {
        Proc.closeRange(3 + preserveFDs, cloexecOnly: true)
        Proc.resetSignalDispositions(ignored: ignoredSignals)
        Proc.unblockAllSignals()
        if let seccomp {
            try installSeccomp(seccomp, listener: listener, state: state)
        }
    }

    /// execve; returns only by throwing.
    func exec(_ executable: String, env: [String]) throws -> Never {
        do {
            try Proc.exec(path: executable, args: process.args ?? [], env: env)
        } catch {
            throw RuntimeError(object: executable, cause: error)
        }
    }

    /// Installs the seccomp program: as late as can be, so that as few of the runtime's own
    /// syscalls as possible go through the filter (only capset, when CAP_SYS_ADMIN was held for
    /// this, and the sendmsg of the listener to the agent). The agent's message names the version of
    /// the runtime spec this runtime implements (as runc's specs.Version), for `create` and `exec` alike.
    func installSeccomp(_ program: SeccompProgram, listener: FD?, state: [UInt8]) throws {
        let caps = plan.capabilities
        let notifyFD = try RuntimeError.during("seccomp") { try Seccomp.install(program.instructions, flags: program.flags) }
        if holdsSysAdmin {
            try RuntimeError.during("capabilities after seccomp") {
                try Capabilities.setProcessSets(effective: caps.effective, permitted: caps.permitted,
                                                inheritable: caps.inheritable)
            }
        }
        if let notifyFD {
            try RuntimeError.during("seccomp listener \(program.listenerPath ?? "")") {
                guard let listener else { throw KernelError("no connection to the seccomp agent") }
                try UnixSocket.sendFD(listener, notifyFD, name: program.agentMessage(ociVersion: Spec.version, state: state))
                listener.close()
                notifyFD.close()
            }
        }
    }

    /// setsid and the session keyring `keyring` (nil: --no-new-keyring, the caller's stays).
    /// The init (`makesKeyring`) lets its owner's uid search it and nothing more, as runc's init
    /// lets it search: the kernel joins an `exec` to a keyring of that name only if it may search it
    /// (else it makes a new one for every exec). Not the owner's view, read or link: another
    /// container of that uid could link the keyring into its own and so possess its keys.
    static func joinSession(keyring: String?, makesKeyring: Bool = false) throws {
        try RuntimeError.during("setsid") { try Proc.setsid() }
        guard let keyring else { return }
        do {
            try Proc.joinSessionKeyring(keyring)
            if makesKeyring { try Proc.makeSessionKeyringSearchableOnly() }
        } catch let e as SysError {
            // A kernel without keyrings, or one that refuses them here, is not a reason to fail (runc
            // ignores ENOSYS and, in user namespaces, EACCES/EPERM too).
            if e.errno != ENOSYS && e.errno != EACCES && e.errno != EPERM && e.errno != EDQUOT {
                throw RuntimeError(step: "join session keyring", cause: e)
            }
        }
    }

    /// Everything the init stage or the exec child does, in a process whose parent waits on the
    /// sync socket: a failure goes to the parent with its parts, and the process exits 1.
    static func reportingFailure(sync: FD, _ body: (SyncChannel) throws -> Never) -> Never {
        let channel = SyncChannel(fd: sync)
        do {
            try body(channel)
        } catch {
            _ = try? channel.send(.failure(error as? RuntimeError ?? RuntimeError(cause: error)))
            Proc.exit(1)
        }
    }

    /// chdir to `cwd` resolved inside the current root (after pivot_root, or after joining the
    /// container's mount namespace): a cwd like /proc/self/fd/N or ../.. cannot land outside it.
    /// Called after the credentials change, the permission checks are the container user's.
    static func changeDirectory(_ cwd: String) throws {
        do {
            try RootedPath.open("/").withRoot { root in
                let dir = try root.open(cwd, O_PATH | O_DIRECTORY)
                defer { dir.close() }
                try Proc.changeDirectory(to: dir, describe: cwd)
            }
        } catch {
            throw RuntimeError(step: "chdir to process.cwd", object: cwd, cwd, cause: error)
        }
    }

    /// The first of runc's two tries at `process.cwd`: before the credentials change, so that a cwd
    /// only root can reach (a 0700 home, a volume) works for a process whose user cannot search it.
    /// False when root was refused (EACCES/EPERM: e.g. a directory on a root-squashed or
    /// user-namespaced filesystem that only the container user may enter): `changeDirectory` tries
    /// again as that user. Any other failure is the error.
    static func enterCwdWhilePrivileged(_ cwd: String) throws -> Bool {
        do {
            try RootedPath.open("/").withRoot { root in
                let dir = try root.open(cwd, O_PATH | O_DIRECTORY)
                defer { dir.close() }
                try Proc.changeDirectory(to: dir, describe: cwd)
            }
            return true
        } catch let e as SysError where e.errno == EACCES || e.errno == EPERM {
            return false
        } catch {
            throw RuntimeError(step: "chdir to process.cwd", object: cwd, cwd, cause: error)
        }
    }

    /// `env` with HOME added when it has none, as runc does: the home directory of `uid` in the
    /// container's /etc/passwd (read inside the current root, before the credentials change), "/"
    /// when there is no such entry or no readable file. Programs that call getenv("HOME") expect it.
    static func environmentWithHome(_ env: [String], uid: UInt32) -> [String] {
        if env.contains(where: { $0.hasPrefix("HOME=") }) { return env }
        return env + ["HOME=" + (homeDirectory(uid: uid) ?? "/")]
    }

    /// The home field of the first /etc/passwd entry with `uid`, nil when there is none. The file
    /// belongs to the container: only a regular file is read (not a fifo or a device that would
    /// block or never end), and at most 4 MiB of it.
    static func homeDirectory(uid: UInt32) -> String? {
        guard let root = try? RootedPath.open("/") else { return nil }
        defer { root.root.close() }
        guard let fd = try? root.open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY) else { return nil }
        defer { fd.close() }
        guard FileKind.of(fd: fd) == .regular else { return nil }
        var bytes: [UInt8] = []
        while bytes.count < 4 << 20, let chunk = try? fd.read(max: 65536), !chunk.isEmpty { bytes += chunk }
        return home(inPasswd: bytes, uid: uid)
    }

    /// The home field of the first passwd line whose uid field is `uid`; nil without one or when it
    /// is empty. Scanned in place: splitting the file into line and field slices cost more than
    /// reading it (~40 µs per exec and per create, most of it metadata on first use).
    static func home(inPasswd bytes: [UInt8], uid: UInt32) -> String? {
        let wanted = Array(String(uid).utf8)
        let newline = UInt8(ascii: "\n"), colon = UInt8(ascii: ":")
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != newline { lineEnd += 1 }
            // name:password:uid:gid:gecos:home:shell
            var field = 0, fieldStart = lineStart
            var uidField: Range<Int>?, homeField: Range<Int>?
            for i in lineStart...lineEnd where i == lineEnd || bytes[i] == colon {
                if field == 2 { uidField = fieldStart..<i }
                if field == 5 { homeField = fieldStart..<i }
                field += 1
                fieldStart = i + 1
            }
            if let u = uidField, let h = homeField, bytes[u].elementsEqual(wanted) {
                return h.isEmpty ? nil : String(decoding: bytes[h], as: UTF8.self)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// Hands the process's stdin/stdout/stderr to `uid` before the credentials change, as runc's
    /// fixStdioPermissions does: a non-root process must be able to reopen them (`/dev/stdout` is
    /// /proc/self/fd/1 opened again, which checks the inode's permissions; a pipe is mode 0600),
    /// which images running under USER and logging to /dev/stdout rely on. Only the owner changes,
    /// never the group. Left alone:
    ///  - a file not owned by this process's uid (root here): the runtime gives away only what is
    ///    its own, never a third user's file;
    ///  - every character device: /dev/null (runc's exception: the host's device, shared by
    ///    everyone), and likewise the caller's terminal or /dev/zero, which are the host's, not the
    ///    container's; the pty `setupConsole` made already belongs to `uid`.
    /// EINVAL (group not mapped in the user namespace), EPERM (owner not mapped) and EROFS are
    /// ignored as runc does: the process then runs with the stdio as it was given. Only called for a
    /// non-root uid: for root there is nothing to change, and no syscall is spent.
    static func giveStdioToUser(uid: UInt32) throws {
        let runtimeUID = Identity.effectiveUID
        for fd: Int32 in 0...2 {
            let stdio = FD(fd)
            let st: stat
            do { st = try stdio.status(describe: "stdio fd \(fd)") } catch let e as SysError where e.errno == EBADF {
                // A stdio fd the caller closed stays closed: nothing to give.
                continue
            }
            if st.st_uid != runtimeUID || st.st_mode & S_IFMT == S_IFCHR { continue }
            try stdio.giveOwnerIfMapped(uid, describe: "stdio fd \(fd)")
        }
    }

    /// Finds the program as execve(2) would after a shell's PATH search, so a missing binary fails
    /// `create`, not `start`.
    static func lookPath(_ name: String, env: [String]) throws -> String {
        if name.isEmpty { throw RuntimeError(step: "exec", "process.args: empty") }
        if name.contains("/") {
            guard isAccessible(name, X_OK) else {
                throw RuntimeError(step: "exec", object: name, quoted(name), cause: SysError("access", name))
            }
            return name
        }
        var path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for e in env where e.hasPrefix("PATH=") { path = String(e.dropFirst(5)) }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let d = dir.isEmpty ? "." : String(dir)
            let candidate = d + "/" + name
            if FileKind.following(path: candidate) == .regular && isAccessible(candidate, X_OK) {
                return candidate
            }
        }
        throw RuntimeError(step: "exec", object: name, "\(quoted(name)): executable file not found in $PATH")
    }
}
