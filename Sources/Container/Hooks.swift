import Glibc
import CShim
import Kernel
import RuntimeSpec

/// Runs OCI hooks: the container state JSON on stdin, a timeout that kills the hook.
///
/// A hook gets nothing of the runtime but what the spec gives it: stdin is the state, stdout and
/// stderr are the runtime's, every other fd is closed (the runtime's caller may have left some
/// open without CLOEXEC); its environment is `env`, or when `env` is absent the runtime's own (as
/// runc and crun: installed hooks expect PATH), except for startContainer hooks, which come from
/// the container and get the container process's environment (as with runc). It runs in a process
/// group of its own, so that a timeout kills what it forked too.
enum HookRunner {
    /// `cwd`: the hook's working directory (nil: the runtime's). `defaultEnv`: the environment of a
    /// hook without `env` (nil: the runtime's).
    static func run(_ hook: Hook, kind: String, state: [UInt8], cwd: String? = nil,
                    defaultEnv: [String]? = nil) throws {
        // Built before the fork: the child only sets up fds and execs.
        let args = (hook.args?.isEmpty ?? true) ? [hook.path] : hook.args!
        let env = hook.env ?? defaultEnv ?? environment()
        let input = try Pipe.make()
        let pid = try Proc.fork()
        if pid == 0 {
            // The hook's child side: stdin from the pipe, stdout/stderr shared with the runtime.
            _ = setpgid(0, 0)
            _ = try? input.read.dup(to: 0)
            _ = cs_close_range(3, UInt32.max, 0)
            Proc.resetSignalDispositions()
            Proc.unblockAllSignals()
            if let cwd, chdir(cwd) != 0 {
                let msg = "swiftlet: \(kind) hook \(hook.path): chdir \(cwd): \(errnoString(Glibc.errno))\n"
                _ = try? FD(2).write(msg)
                Proc.exit(127)
            }
            _ = try? Proc.exec(path: hook.path, args: args, env: env)
            let msg = "swiftlet: \(kind) hook \(hook.path): exec: \(errnoString(Glibc.errno))\n"
            _ = try? FD(2).write(msg)
            Proc.exit(127)
        }
        // Also here, so that the group exists before a timeout can kill it (whichever runs first).
        _ = setpgid(pid, pid)
        input.read.close()
        // A hook that does not read its stdin must not make us fail with EPIPE.
        try? input.write.write(state)
        input.write.close()

        let result = try waitWithTimeout(pid, seconds: hook.timeout)
        switch result {
        case .some(.exited(0)):
            return
        case .some(let exit):
            throw ContainerError("\(kind) hook \(hook.path) failed: \(exit)")
        case .none:
            // The whole group: children the hook forked must not outlive its timeout.
            _ = Glibc.kill(-pid, SIGKILL)
            _ = Glibc.kill(pid, SIGKILL)
            _ = try? Proc.wait(pid)
            throw ContainerError("\(kind) hook \(hook.path) timed out after \(hook.timeout ?? 0) seconds")
        }
    }

    /// The runtime's environment, for hooks without `env`.
    static func environment() -> [String] {
        var env: [String] = []
        var p = environ
        while let s = p.pointee {
            env.append(String(cString: s))
            p += 1
        }
        return env
    }

    /// Waits for `pid`; nil when `seconds` (if given) pass first.
    static func waitWithTimeout(_ pid: pid_t, seconds: Int?) throws -> Proc.Exit? {
        guard let seconds, seconds > 0 else { return try Proc.wait(pid) }
        let pidfd = cs_pidfd_open(pid, 0)
        guard pidfd >= 0 else { return try Proc.wait(pid) }
        defer { Glibc.close(pidfd) }
        var pfd = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        let deadline = Clock.monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000
        while true {
            let now = Clock.monotonicNanoseconds()
            if now >= deadline { return nil }
            let ms = Int32(min((deadline - now) / 1_000_000 + 1, 1 << 30))
            let r = poll(&pfd, 1, ms)
            if r > 0 { return try Proc.wait(pid) }
            if r < 0 && Glibc.errno != EINTR { throw SysError("poll", "pidfd of hook") }
        }
    }

    /// Runs every hook of a kind, stopping at the first failure.
    static func runAll(_ hooks: [Hook]?, kind: String, state: [UInt8], cwd: String? = nil,
                       defaultEnv: [String]? = nil) throws {
        for hook in hooks ?? [] { try run(hook, kind: kind, state: state, cwd: cwd, defaultEnv: defaultEnv) }
    }

    /// Runs every hook of a kind; failures become warnings (poststart, poststop).
    static func runAllWarning(_ hooks: [Hook]?, kind: String, state: [UInt8], warn: (String) -> Void) {
        for hook in hooks ?? [] {
            do { try run(hook, kind: kind, state: state) } catch { warn("\(error)") }
        }
    }
}
