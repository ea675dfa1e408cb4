import Glibc
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
        let env = hook.env ?? defaultEnv ?? Proc.environment()
        let input = try Pipe.make()
        let pid = try Proc.fork()
        if pid == 0 {
            // The hook's child side: stdin from the pipe, stdout/stderr shared with the runtime.
            Proc.leadOwnProcessGroup()
            _ = try? input.read.dup(to: 0)
            Proc.closeDescriptors(from: 3)
            Proc.resetSignalDispositions()
            Proc.unblockAllSignals()
            do {
                if let cwd { try changeDirectory(cwd) }
                try Proc.exec(path: hook.path, args: args, env: env)
            } catch let e as SysError {
                let step = e.call == "chdir" ? "chdir \(cwd ?? "")" : "exec"
                _ = try? FD(2).write("swiftlet: \(kind) hook \(hook.path): \(step): \(errnoString(e.errno))\n")
            } catch {}
            Proc.exit(127)
        }
        // Also here, so that the group exists before a timeout can kill it (whichever runs first).
        Proc.leadOwnProcessGroup(pid)
        input.read.close()
        // The state goes in while we wait, as the pipe takes it: a hook that never reads its stdin
        // (with a state larger than the pipe) must not hold us past its timeout.
        try? input.write.setNonBlocking()
        let result = try waitWithTimeout(pid, seconds: hook.timeout, feeding: StdinFeed(fd: input.write, bytes: state))
        switch result {
        case .some(.exited(0)):
            return
        case .some(let exit):
            throw RuntimeError(step: "\(kind) hook", object: hook.path, "\(hook.path) failed: \(exit)")
        case .none:
            // The whole group: children the hook forked must not outlive its timeout.
            Proc.signalIfPresent(-pid, SIGKILL)
            Proc.signalIfPresent(pid, SIGKILL)
            _ = try? Proc.wait(pid)
            throw RuntimeError(step: "\(kind) hook", object: hook.path,
                               "\(hook.path) timed out after \(hook.timeout ?? 0) seconds")
        }
    }

    /// The state on its way into a hook's stdin (a non-blocking pipe), written as the pipe takes it.
    final class StdinFeed {
        let fd: FD
        let bytes: [UInt8]
        private var offset = 0
        private(set) var closed = false

        init(fd: FD, bytes: [UInt8]) {
            self.fd = fd
            self.bytes = bytes
        }

        /// Writes what fits now; closes the pipe once all is written or the hook closed its end
        /// (a hook that does not read its stdin is not an error).
        func pump() {
            while !closed && offset < bytes.count {
                let sent: Int?
                do { sent = try fd.writeSome(bytes, from: offset) } catch { break }  // EPIPE: the hook closed its stdin
                guard let sent else { return }  // the pipe is full: more once the hook reads
                if sent == 0 { break }
                offset += sent
            }
            close()
        }

        func close() {
            if !closed { fd.close() }
            closed = true
        }
    }

    /// Waits for `pid` while `feeding` its stdin; nil when `seconds` (if given) pass first.
    static func waitWithTimeout(_ pid: pid_t, seconds: Int?, feeding input: StdinFeed) throws -> Proc.Exit? {
        defer { input.close() }
        input.pump()
        guard let exited = try? PidFD.open(pid) else {
            input.close()
            return try Proc.wait(pid)
        }
        // Capped (validation refuses more): seconds * 10^9 must not overflow.
        let deadline = seconds.map { Clock.monotonicNanoseconds() + UInt64(min(max($0, 1), Hook.maxTimeoutSeconds)) * 1_000_000_000 }
        while true {
            var ms: Int32 = -1
            if let deadline {
                let now = Clock.monotonicNanoseconds()
                if now >= deadline { return nil }
                ms = Int32(min((deadline - now) / 1_000_000 + 1, 1 << 30))
            }
            var pfds = [Poll.reading(exited.fd)]
            if !input.closed { pfds.append(Poll.writing(input.fd)) }
            if try Poll.wait(&pfds, milliseconds: ms) == 0 { continue }
            if pfds[0].revents != 0 {
                input.close()
                return try Proc.wait(pid)
            }
            if pfds.count > 1 && pfds[1].revents != 0 { input.pump() }
        }
    }

    /// Runs every hook of a kind, stopping at the first failure.
    static func runAll(_ hooks: [Hook]?, kind: String, state: [UInt8], cwd: String? = nil,
                       defaultEnv: [String]? = nil) throws {
        for hook in hooks ?? [] { try run(hook, kind: kind, state: state, cwd: cwd, defaultEnv: defaultEnv) }
    }

    /// Runs every hook of a kind; failures become warnings (poststart, poststop).
    /// The state is encoded only when there is a hook to give it to.
    static func runAllWarning(_ hooks: [Hook]?, kind: String, state: @autoclosure () -> [UInt8],
                              warn: (String) -> Void) {
        guard let hooks, !hooks.isEmpty else { return }
        let state = state()
        for hook in hooks {
            do { try run(hook, kind: kind, state: state) } catch { warn("\(error)") }
        }
    }
}
