import Glibc
import CShim

/// Pseudo-terminals and the console socket protocol (the pty master goes to the engine by SCM_RIGHTS).
public enum Terminal {
    /// Opens a new pty pair through the given ptmx (the container's devpts instance).
    public static func openPair(ptmx: String = "/dev/pts/ptmx") throws -> (master: FD, slavePath: String) {
        let master = try FD.open(ptmx, O_RDWR | O_NOCTTY)
        do {
            try sys("unlockpt", ptmx) { cs_pty_unlock(master.raw) }
            var n: Int32 = 0
            try sys("ioctl TIOCGPTN", ptmx) { cs_pty_number(master.raw, &n) }
            return (master, "/dev/pts/\(n)")
        } catch {
            master.close()
            throw error
        }
    }

    public static func setSize(_ fd: FD, rows: UInt16, cols: UInt16) throws {
        try sys("ioctl TIOCSWINSZ") { cs_set_winsize(fd.raw, rows, cols) }
    }

    /// Makes `fd` the controlling terminal of this (session leader) process.
    public static func makeControlling(_ fd: FD) throws {
        try sys("ioctl TIOCSCTTY") { cs_make_controlling_tty(fd.raw) }
    }

    public static func getSize(_ fd: FD) -> (rows: UInt16, cols: UInt16)? {
        var r: UInt16 = 0, c: UInt16 = 0
        guard cs_get_winsize(fd.raw, &r, &c) == 0 else { return nil }
        return (r, c)
    }

    public static func isTerminal(_ fd: FD) -> Bool { isatty(fd.raw) == 1 }

    /// A terminal's saved settings; `restore` puts them back.
    public struct Saved {
        let fd: FD
        let bytes: [UInt8]
        public func restore() {
            bytes.withUnsafeBytes { _ = cs_tty_restore(fd.raw, $0.baseAddress) }
        }
    }

    /// Puts the terminal in raw mode (cfmakeraw) and returns its previous settings.
    public static func makeRaw(_ fd: FD) throws -> Saved {
        var bytes = [UInt8](repeating: 0, count: Int(cs_termios_size()))
        try bytes.withUnsafeMutableBytes { b in _ = try sys("tcgetattr") { cs_tty_save(fd.raw, b.baseAddress) } }
        try sys("tcsetattr") { cs_tty_make_raw(fd.raw) }
        return Saved(fd: fd, bytes: bytes)
    }
}

/// A signalfd for a set of signals (which it blocks for the whole process).
public struct SignalFD {
    public let fd: FD
    public init(_ signals: [Int32]) throws {
        let raw = try signals.withUnsafeBufferPointer { b in
            try sys("signalfd") { cs_signalfd_block(b.baseAddress, Int32(b.count)) }
        }
        fd = FD(raw)
    }

    /// The next pending signal (blocks unless poll said readable); nil on error.
    public func next() -> Int32? {
        var pid: Int32 = 0
        let s = cs_signalfd_next(fd.raw, &pid)
        return s > 0 ? s : nil
    }
}

public enum UnixSocket {
    public static func connect(_ path: String) throws -> FD {
        FD(try sys("connect", path) { cs_connect_unix(path) })
    }

    /// Sends `fd` with `name` as the payload, as runc does with the pty master and its path.
    public static func sendFD(_ socket: FD, _ fd: FD, name: String) throws {
        let bytes = Array(name.utf8)
        try bytes.withUnsafeBufferPointer { buf in
            _ = try buf.withMemoryRebound(to: CChar.self) { p in
                try sys("sendmsg SCM_RIGHTS") { cs_send_fd(socket.raw, fd.raw, p.baseAddress, p.count) }
            }
        }
    }

    public static func receiveFD(_ socket: FD) throws -> (FD, String) {
        var buf = [CChar](repeating: 0, count: 4096)
        let fd = try sys("recvmsg SCM_RIGHTS") { cs_recv_fd(socket.raw, &buf, buf.count) }
        return (FD(fd), String(cString: buf))
    }
}
