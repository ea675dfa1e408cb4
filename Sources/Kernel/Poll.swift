import Glibc

/// poll(2) over a few fds.
public enum Poll {
    /// Waits until one of `fds` is ready or `milliseconds` pass: how many are ready (0 on timeout).
    /// An interrupted wait starts again.
    public static func wait(_ fds: inout [pollfd], milliseconds: Int32) throws -> Int {
        let n = fds.count
        return Int(try sys("poll") { poll(&fds, nfds_t(n), milliseconds) })
    }

    /// Whether `fd` has something to read within `milliseconds`.
    public static func readable(_ fd: FD, milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: fd.raw, events: Int16(POLLIN), revents: 0)]
        return ((try? wait(&fds, milliseconds: milliseconds)) ?? 0) > 0
    }

    /// A read-readiness entry for `wait`.
    public static func reading(_ fd: FD) -> pollfd { pollfd(fd: fd.raw, events: Int16(POLLIN), revents: 0) }
}
