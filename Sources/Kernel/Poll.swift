import Glibc

/// poll(2) over a few fds.
public enum Poll {
    /// Waits until one of `fds` is ready or `milliseconds` pass: how many are ready (0 on timeout).
    /// An interrupted wait starts again.
    public static func wait(_ fds: inout [pollfd], milliseconds: Int32) throws -> Int {
        let n = fds.count
        return Int(try sys("poll") { poll(&fds, nfds_t(n), milliseconds) })
    }

    /// `wait` for one fd, without an array.
    public static func wait(_ entry: inout pollfd, milliseconds: Int32) throws -> Int {
        Int(try sys("poll") { poll(&entry, 1, milliseconds) })
    }

    /// Whether `fd` has something to read (or its other end is gone) within `milliseconds`; a
    /// failed poll counts as ready, so that the read that follows reports the failure.
    public static func readable(_ fd: FD, milliseconds: Int32) -> Bool {
        var entry = reading(fd)
        while true {
            let r = poll(&entry, 1, milliseconds)
            if r < 0 && Glibc.errno == EINTR { continue }
            return r != 0
        }
    }

    /// Whether `fd` (a pipe or fifo) has bytes to read now. A failed poll counts as no data.
    public static func hasData(_ fd: FD) -> Bool {
        var entry = reading(fd)
        while true {
            let r = poll(&entry, 1, 0)
            if r < 0 && Glibc.errno == EINTR { continue }
            return r > 0 && entry.revents & Int16(POLLIN) != 0
        }
    }

    /// Whether the other end of `fd` (a pipe or fifo) was closed within `milliseconds` (POLLHUP).
    public static func hungUp(_ fd: FD, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd.raw, events: 0, revents: 0)
        while true {
            let r = poll(&entry, 1, milliseconds)
            if r < 0 && Glibc.errno == EINTR { continue }
            return r > 0 && entry.revents & Int16(POLLHUP) != 0
        }
    }

    /// A read-readiness entry for `wait`.
    public static func reading(_ fd: FD) -> pollfd { pollfd(fd: fd.raw, events: Int16(POLLIN), revents: 0) }

    /// A write-readiness entry for `wait`.
    public static func writing(_ fd: FD) -> pollfd { pollfd(fd: fd.raw, events: Int16(POLLOUT), revents: 0) }
}
