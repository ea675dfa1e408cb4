import Glibc
import CShim

/// A file descriptor with exactly one owner, closed when that owner is done with it: on every return
/// and every throw, with no `defer { close }` to forget and no close ladder on error paths. `FD`
/// stays the plain number for the fds the init stage hands on to the container; `release()` turns
/// an owned one into such a number when it must outlive its owner.
public struct OwnedFD: ~Copyable {
    public let fd: FD

    public init(_ fd: FD) { self.fd = fd }

    public var raw: Int32 { fd.raw }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> OwnedFD {
        OwnedFD(try FD.open(path, flags, mode: mode))
    }

    /// The same file at the lowest free number at or above `minimum` (clear of fds the container
    /// must receive); the old number is closed.
    public consuming func moved(above minimum: Int32) throws -> OwnedFD {
        OwnedFD(FD(try sys("fcntl F_DUPFD_CLOEXEC", "\(fd.raw)") { cs_fcntl_int(fd.raw, F_DUPFD_CLOEXEC, minimum) }))
    }

    /// Gives up ownership: the caller now closes the fd (or hands it on).
    public consuming func release() -> FD {
        let fd = self.fd
        discard self
        return fd
    }

    deinit { fd.close() }
}

/// Several fds made one after another, where a failure halfway must close the ones made so far:
/// closes all of them unless `release()` hands them on.
///
/// Inlinable: specialised where it is used (the cgroup device files, the init stage's /dev/null
/// binds), not generic code that looks up its Dictionary's metadata and hashes through witnesses.
public struct OwnedFDs<Key: Hashable>: ~Copyable {
    @usableFromInline var fds: [Key: FD] = [:]

    @inlinable public init() {}

    @inlinable public subscript(key: Key) -> FD? { fds[key] }

    @inlinable public mutating func insert(_ fd: consuming OwnedFD, for key: Key) {
        if let old = fds.updateValue(fd.release(), forKey: key) { old.close() }
    }

    @inlinable public consuming func release() -> [Key: FD] {
        let fds = self.fds
        self.fds = [:]
        return fds
    }

    @inlinable deinit { for fd in fds.values { fd.close() } }
}
