import Glibc
import CShim

/// Process-level calls: fork, exec, wait, signals, credentials, prctl.
public enum Proc {
    /// Forks. Safe here because swiftlet runs no other thread (no Dispatch, no Swift concurrency):
    /// the child cannot inherit a lock of malloc or stdio held by another thread.
    public static func fork() throws -> pid_t {
        try sys("fork") { cs_fork() }
    }

    /// fork() into a new pid namespace whose init the child is (see cs_fork_new_pid_namespace).
    public static func forkIntoNewPIDNamespace() throws -> pid_t {
        try sys("clone(CLONE_NEWPID)") { cs_fork_new_pid_namespace() }
    }

    /// fork() with the child born in the cgroup v2 directory open at `cgroup`, and pid 1 of a new pid
    /// namespace if asked (see cs_clone3_into_cgroup). nil when this kernel cannot (no clone3, or a
    /// clone3 without CLONE_INTO_CGROUP): the caller forks and moves the child instead.
    public static func forkIntoCgroup(_ cgroup: FD, newPIDNamespace: Bool, describe: String) throws -> pid_t? {
        let pid = cs_clone3_into_cgroup(cgroup.raw, newPIDNamespace ? 1 : 0)
        if pid >= 0 { return pid }
        let e = Glibc.errno
        if e == ENOSYS || e == EINVAL || e == E2BIG { return nil }
        throw SysError("clone3(CLONE_INTO_CGROUP)", describe, errno: e)
    }

    public static func exit(_ status: Int32) -> Never { Glibc._exit(status) }

    /// In a freshly forked child: goes on with `body(arg)` on a stack of its own and drops the stack
    /// it was forked on (but for its top pages: argv, the environment), so that neither process
    /// copies the other's frames (see cs_continue_on_own_stack). `body` gets all it needs through
    /// `arg` and never returns.
    public static func continueOnOwnStack(_ arg: UnsafeMutableRawPointer,
                                          _ body: @convention(c) (UnsafeMutableRawPointer?) -> Void) -> Never {
        cs_continue_on_own_stack(body, arg)
    }

    /// fchdir to `dir` and chroot there: the directory becomes this process's root and cwd.
    public static func changeRoot(to dir: FD, describe: String) throws {
        try changeDirectory(to: dir, describe: describe)
        try sys("chroot", describe) { chroot(".") }
    }

    /// fchdir(2): `dir` becomes the current directory.
    public static func changeDirectory(to dir: FD, describe: String) throws {
        try sys("fchdir", describe) { fchdir(dir.raw) }
    }

    /// umask(2): the mode bits files this process creates leave out.
    public static func setUmask(_ mask: UInt32) {
        _ = umask(mode_t(mask))
    }

    /// sethostname(2) in the current uts namespace.
    public static func setHostname(_ name: String) throws {
        try sys("sethostname", name) { cs_sethostname(name, name.utf8.count) }
    }

    /// setdomainname(2) in the current uts namespace.
    public static func setDomainname(_ name: String) throws {
        try sys("setdomainname", name) { cs_setdomainname(name, name.utf8.count) }
    }

    /// pidfd_open(2): an fd that refers to `pid` itself (never to a later process given its number).
    public static func pidfd(of pid: pid_t) throws -> FD {
        FD(try sys("pidfd_open", "\(pid)") { cs_pidfd_open(pid, 0) })
    }

    /// keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a new session keyring of that name for this
    /// process, so that it does not share its caller's keys.
    public static func joinSessionKeyring(_ name: String) throws {
        try sys("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", name) { cs_join_session_keyring(name) }
    }

    /// Lets processes of the keyring owner's uid search the session keyring (KEY_USR_SEARCH), so
    /// that a later KEYCTL_JOIN_SESSION_KEYRING of its name (an `exec`) joins it instead of making
    /// another (joined keyrings come without it), and nothing else: the owner's view, read and link
    /// bits go (a process that may link it into a keyring of its own and search it possesses it).
    /// The possessor's bits stay: the processes in the keyring keep all of them.
    public static func makeSessionKeyringSearchableOnly() throws {
        let ownerBits: UInt32 = 0x003f_0000  // KEY_USR_ALL
        try sys("keyctl(KEYCTL_SETPERM)", "session keyring") {
            cs_session_keyring_set_perm(ownerBits, 0x0008_0000 /* KEY_USR_SEARCH */)
        }
    }

    /// close_range(2) of `first...last`; with `cloexecOnly` the fds only get FD_CLOEXEC (they
    /// close at execve). Where close_range is refused (an old kernel, a caller's seccomp filter) the
    /// shim does the same fd by fd: the caller's fds must not reach the container either way.
    public static func closeRange(_ first: Int32, _ last: UInt32 = UInt32.max, cloexecOnly: Bool = false) {
        _ = cs_close_range(UInt32(first), last, cloexecOnly ? UInt32(CLOSE_RANGE_CLOEXEC) : 0)
    }

    public static func getpid() -> pid_t { Glibc.getpid() }

    /// execve with a NUL-terminated argv/envp built from Swift strings. Returns only by throwing.
    public static func exec(path: String, args: [String], env: [String]) throws -> Never {
        withCStringArray(args) { argv in
            withCStringArray(env) { envp in
                _ = cs_execve(path, argv, envp)
            }
        }
        throw SysError("exec", path)
    }

    public enum Exit: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        /// The shell convention: 128+n for a signal.
        public var status: Int32 {
            switch self {
            case .exited(let c): return c
            case .signaled(let s): return 128 + s
            }
        }
        public var description: String {
            switch self {
            case .exited(let c): return "exit status \(c)"
            case .signaled(let s): return "killed by signal \(s)"
            }
        }
    }

    public static func wait(_ pid: pid_t) throws -> Exit {
        var status: Int32 = 0
        try sys("waitpid", "\(pid)") { waitpid(pid, &status, 0) }
        return decode(status)
    }

    /// Waits for any child; nil when there is none left.
    public static func waitAny(nohang: Bool = false) throws -> (pid_t, Exit)? {
        var status: Int32 = 0
        let r = waitpid(-1, &status, nohang ? WNOHANG : 0)
        if r == 0 { return nil }
        if r < 0 {
            let e = Glibc.errno
            if e == ECHILD { return nil }
            if e == EINTR { return try waitAny(nohang: nohang) }
            throw SysError("waitpid", "-1", errno: e)
        }
        return (r, decode(status))
    }

    static func decode(_ status: Int32) -> Exit {
        if cs_wifexited(status) != 0 { return .exited(cs_wexitstatus(status)) }
        if cs_wifsignaled(status) != 0 { return .signaled(cs_wtermsig(status)) }
        return .exited(255)
    }

    public static func kill(_ pid: pid_t, _ signal: Int32) throws {
        try sys("kill", "\(pid) with signal \(signal)") { Glibc.kill(pid, signal) }
    }

    /// Whether `pid` names a live process (not a zombie).
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, Glibc.kill(pid, 0) == 0 || Glibc.errno == EPERM else { return false }
        guard let stat = try? readWholeFile(path: "/proc/\(pid)/stat") else { return false }
        return ProcLiveness(stat)?.state != "Z"
    }

    public static func setsid() throws { try sys("setsid") { Glibc.setsid() } }

    public static func prctl(_ option: Int32, _ a2: UInt = 0, _ a3: UInt = 0, describe: String) throws {
        try sys("prctl", describe) { cs_prctl(option, a2, a3, 0, 0) }
    }

    public static func setNoNewPrivileges() throws {
        try prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, describe: "PR_SET_NO_NEW_PRIVS")
    }

    public static func setKeepCaps(_ on: Bool) throws {
        try prctl(8 /* PR_SET_KEEPCAPS */, on ? 1 : 0, describe: "PR_SET_KEEPCAPS")
    }

    public static func setChildSubreaper() throws {
        try prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, describe: "PR_SET_CHILD_SUBREAPER")
    }

    /// Asks the kernel to send `signal` to this process when its parent dies.
    public static func setParentDeathSignal(_ signal: Int32) throws {
        try prctl(1 /* PR_SET_PDEATHSIG */, UInt(signal), describe: "PR_SET_PDEATHSIG")
    }

    public static func setIDs(uid: UInt32, gid: UInt32) throws {
        try sys("setresgid", "\(gid)") { cs_setresgid(gid, gid, gid) }
        try sys("setresuid", "\(uid)") { cs_setresuid(uid, uid, uid) }
    }

    public static func setGroups(_ groups: [UInt32]) throws {
        try groups.withUnsafeBufferPointer { buf in
            _ = try sys("setgroups", "\(groups)") { cs_setgroups(buf.count, buf.baseAddress) }
        }
    }

    public static func personality(_ persona: UInt) throws {
        try sys("personality", "\(persona)") { cs_personality(persona) }
    }

    /// Blocks every signal (so a signal that arrives between fork and exec is kept, not lost).
    public static func blockAllSignals() { _ = cs_sigfillset_block() }
    public static func unblockAllSignals() { _ = cs_sigunblock_all() }

    /// Resets every catchable signal to its default disposition (exec keeps ignored signals ignored).
    public static func resetSignalDispositions() {
        for s in 1..<65 where s != SIGKILL && s != SIGSTOP {
            signal(Int32(s), SIG_DFL)
        }
    }
}

/// A NULL-terminated array of C strings (argv, envp) for `body`. The pointers in one allocation of
/// our own, not a Swift array of optionals: that array type's storage had its metadata made in the
/// init stage just before its exec, ~1% of a `run`'s user CPU.
public func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let count = strings.count
    let ptrs = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: count + 1)
    for (i, s) in strings.enumerated() { (ptrs + i).initialize(to: strdup(s)) }
    (ptrs + count).initialize(to: nil)
    defer {
        for i in 0..<count { free(ptrs[i]) }
        ptrs.deallocate()
    }
    return body(ptrs)
}

/// Signal names as `kill` accepts them (with or without the SIG prefix, or a number).
public enum Signals {
    public static let table: [(String, Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7),
        ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14),
        ("TERM", 15), ("STKFLT", 16), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21),
        ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28),
        ("IO", 29), ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]

    public static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return (n > 0 && n < 65) ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if name.hasPrefix("RTMIN") || name.hasPrefix("RTMAX") {
            let base: Int32 = name.hasPrefix("RTMIN") ? 34 : 64
            let rest = name.dropFirst(5)
            if rest.isEmpty { return base }
            guard let off = Int32(rest), off >= -30, off <= 30 else { return nil }
            let n = base + off
            return (n >= 34 && n <= 64) ? n : nil
        }
        return table.first { $0.0 == name }?.1
    }
}
