import Glibc
import CShim

// The calls the runtime makes on processes it started (or found in a container's cgroup) when it
// waits for them, stops them, or cleans up after them: each named for what it does.

extension Proc {
    /// kill(2) on a cleanup path, where a process already gone (ESRCH) or out of reach is no error:
    /// whether the signal was sent.
    @discardableResult
    public static func signalIfPresent(_ pid: pid_t, _ signal: Int32) -> Bool {
        Glibc.kill(pid, signal) == 0
    }

    /// waitpid(WNOHANG): true once `pid` is reaped (by this call) or cannot be waited for (not a
    /// child of ours, or reaped before); false while it still runs.
    public static func reapIfExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == 0 { return false }
            if r < 0 && Glibc.errno == EINTR { continue }
            return true
        }
    }

    /// setpgid(2): `pid` (0: this process) leads a process group of its own, so that one kill of the
    /// group reaches what it forks. Called from both sides of a fork (whichever runs first makes the
    /// group); the parent's call fails harmlessly once the child has exec'd.
    public static func leadOwnProcessGroup(_ pid: pid_t = 0) {
        _ = setpgid(pid, pid == 0 ? 0 : pid)
    }

    /// Closes every fd from `first` up (close_range(2)): a forked child about to exec something that
    /// must not inherit the runtime's fds (the caller's, left without CLOEXEC).
    public static func closeDescriptors(from first: Int32) {
        _ = cs_close_range(UInt32(first), UInt32.max, 0)
    }

    /// Sleeps until a signal ends this process (pause(2) for ever): a child that only holds a place.
    public static func waitUntilKilled() -> Never {
        while true { pause() }
    }

    /// SIGPIPE ignored: a write to a closed pipe or socket fails with EPIPE instead of killing the runtime.
    public static func ignoreBrokenPipe() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// The runtime's own environment (`environ`), as "NAME=value" strings.
    public static func environment() -> [String] {
        var env: [String] = []
        var p = environ
        while let s = p.pointee {
            env.append(String(cString: s))
            p += 1
        }
        return env
    }
}

/// A pidfd (pidfd_open(2)): readable once its process has exited, so that a poll can wait for a
/// child together with other fds or a timeout.
public enum PidFD {
    public static func open(_ pid: pid_t) throws -> OwnedFD {
        OwnedFD(FD(try sys("pidfd_open", "\(pid)") { cs_pidfd_open(pid, 0) }))
    }
}

extension FD {
    /// O_NONBLOCK set on the open file (F_SETFL): reads and writes fail with EAGAIN instead of waiting.
    public func setNonBlocking() throws {
        try sys("fcntl F_SETFL O_NONBLOCK", "\(raw)") { cs_fcntl_int(raw, F_SETFL, O_NONBLOCK) }
    }

    /// The file status flags (F_SETFL) set to exactly `flags`: O_NONBLOCK, given at open, cleared again.
    public func setStatusFlags(_ flags: Int32) throws {
        try sys("fcntl F_SETFL", "\(raw)") { cs_fcntl_int(raw, F_SETFL, flags) }
    }

    /// One write(2) of `bytes` from `offset` on (retried on EINTR): how many went, or nil when a
    /// non-blocking fd takes none now (EAGAIN).
    public func writeSome(_ bytes: [UInt8], from offset: Int) throws -> Int? {
        do {
            return try bytes.withUnsafeBytes { b in
                try sys("write", "\(raw)") { Glibc.write(raw, b.baseAddress! + offset, bytes.count - offset) }
            }
        } catch let e as SysError where e.errno == EAGAIN { return nil }
    }
}
