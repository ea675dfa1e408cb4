import Glibc
import Kernel

/// Foreground `run`/`exec` with a terminal: copies between the caller's stdin/stdout and the
/// container's pty master, with the caller's terminal in raw mode (restored by `close`) and its
/// window size passed on at the start and on every SIGWINCH.
final class TerminalRelay {
    let master: FD
    private var saved: Terminal.Saved?
    var masterOpen = true
    var stdinOpen = true

    init(master: FD) {
        self.master = master
        let stdin = FD(0)
        if Terminal.isTerminal(stdin) {
            resize()
            saved = try? Terminal.makeRaw(stdin)
        }
    }

    /// Gives the pty the caller's window size.
    func resize() {
        // A 0x0 terminal (no size known) leaves the pty's size (process.consoleSize) alone.
        if let size = Terminal.getSize(FD(0)), size.rows > 0 && size.cols > 0 {
            try? Terminal.setSize(master, rows: size.rows, cols: size.cols)
        }
    }

    /// Copies what is readable on `from` to `to`; false at end of file or error.
    static func pump(_ from: FD, _ to: FD, _ buf: inout [UInt8]) -> Bool {
        let n: Int
        do { n = try from.read(into: &buf) } catch let e as SysError where e.errno == EAGAIN { return true } catch {
            return false
        }
        if n == 0 { return false }
        // A failed write: the reader went away; keep draining the pty anyway.
        try? to.write(buf, count: n)
        return true
    }

    /// Copies what the pty still holds after the process ended (up to a quiet 100 ms).
    func drain() {
        var buf = [UInt8](repeating: 0, count: 32768)
        while masterOpen {
            if !Poll.readable(master, milliseconds: 100) { break }
            if !TerminalRelay.pump(master, FD(1), &buf) { masterOpen = false }
        }
    }

    func close() {
        saved?.restore()
        saved = nil
        master.close()
    }
}

extension Runtime {
    /// The foreground loop of `run` and `exec`: forwards signals to `pid`, relays the terminal,
    /// reaps every child (we are a subreaper) and returns `pid`'s exit.
    static func supervise(pid: pid_t, signals: SignalFD, relay: TerminalRelay?) -> Proc.Exit {
        // The terminal's buffer only with a terminal: zero-filled, its 32 KiB were 8 pages touched
        // (and faulted in) by every foreground `run` and `exec`.
        var buf = relay == nil ? [] : [UInt8](repeating: 0, count: 32768)
        var exit: Proc.Exit?
        func reap() {
            while let (p, status) = try? Proc.waitAny(nohang: true) {
                if p == pid { exit = status }
            }
        }
        reap()
        // Without a terminal only the signalfd is watched: one pollfd, no array per wake.
        while exit == nil, relay == nil {
            var entry = Poll.reading(signals.fd)
            guard let r = try? Poll.wait(&entry, milliseconds: 1000) else { break }
            if r == 0 {
                reap()
                continue
            }
            if entry.revents != 0, let sig = signals.next() {
                if sig == SIGCHLD { reap() } else { try? Proc.kill(pid, sig) }
            }
        }
        while exit == nil, relay != nil {
            var fds = [Poll.reading(signals.fd)]
            var masterIndex = -1, stdinIndex = -1
            if let relay {
                if relay.masterOpen {
                    masterIndex = fds.count
                    fds.append(Poll.reading(relay.master))
                }
                if relay.stdinOpen {
                    stdinIndex = fds.count
                    fds.append(Poll.reading(FD(0)))
                }
            }
            // Woken at least once a second to reap: whatever happens to a SIGCHLD, an exit is seen.
            guard let r = try? Poll.wait(&fds, milliseconds: 1000) else { break }
            if r == 0 {
                reap()
                continue
            }
            if fds[0].revents != 0, let sig = signals.next() {
                switch sig {
                case SIGCHLD: reap()
                case SIGWINCH where relay != nil: relay?.resize()
                default: try? Proc.kill(pid, sig)
                }
            }
            if let relay {
                if masterIndex >= 0 && fds[masterIndex].revents != 0 {
                    if !TerminalRelay.pump(relay.master, FD(1), &buf) { relay.masterOpen = false }
                }
                if stdinIndex >= 0 && fds[stdinIndex].revents != 0 {
                    if !TerminalRelay.pump(FD(0), relay.master, &buf) { relay.stdinOpen = false }
                }
            }
        }
        relay?.drain()
        reap()
        return exit ?? .exited(255)
    }
}
