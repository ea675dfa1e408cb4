// The calls on child processes, pipes and host paths that the layers above reach only through
// Kernel: a child's exit seen through its pidfd and reaped without blocking, a hang-up, a full
// non-blocking pipe, access(2) and readlink(2) errors that name the path. No root.

import XCTest
import Glibc
@testable import Kernel

final class ChildProcessTests: XCTestCase {
    /// A child that exits at once with `status`.
    private func exitingChild(_ status: Int32) throws -> pid_t {
        let pid = try Proc.fork()
        if pid == 0 { Proc.exit(status) }
        return pid
    }

    func testExitedChildIsReapedOnceItsPidfdIsReadable() throws {
        let pid = try exitingChild(3)
        let exited = try PidFD.open(pid)
        XCTAssertTrue(Poll.readable(exited.fd, milliseconds: -1))
        XCTAssertTrue(Proc.reapIfExited(pid))
        // Reaped: no longer a child to wait for, which counts as done too.
        XCTAssertTrue(Proc.reapIfExited(pid))
        XCTAssertFalse(Proc.signalIfPresent(pid, 0))
    }

    func testRunningChildIsNotReapedUntilKilled() throws {
        let pid = try Proc.fork()
        if pid == 0 { Proc.waitUntilKilled() }
        let exited = try PidFD.open(pid)
        XCTAssertFalse(Proc.reapIfExited(pid))
        XCTAssertFalse(Poll.readable(exited.fd, milliseconds: 0))
        XCTAssertTrue(Proc.signalIfPresent(pid, SIGKILL))
        XCTAssertTrue(Poll.readable(exited.fd, milliseconds: -1))
        XCTAssertTrue(Proc.reapIfExited(pid))
    }

    func testPidfdOfNoProcessNamesThePid() {
        XCTAssertThrowsError(try PidFD.open(-5).release()) { error in
            XCTAssertTrue("\(error)".hasPrefix("pidfd_open -5: "), "\(error)")
        }
    }

    func testHangUpIsSeenOnlyOnceTheWriterCloses() throws {
        let (read, write) = try Pipe.make()
        defer { read.close() }
        XCTAssertFalse(Poll.hungUp(read, milliseconds: 0))
        write.close()
        XCTAssertTrue(Poll.hungUp(read, milliseconds: 0))
    }

    func testFullNonBlockingPipeTakesNoMoreWithoutError() throws {
        let (read, write) = try Pipe.make()
        defer { read.close(); write.close() }
        try write.setNonBlocking()
        let bytes = [UInt8](repeating: 7, count: 1 << 20)
        var offset = 0
        while let sent = try write.writeSome(bytes, from: offset) { offset += sent }
        XCTAssertGreaterThan(offset, 0)
        XCTAssertLessThan(offset, bytes.count)
        XCTAssertEqual(try read.read(max: 4).count, 4)
    }

    func testStatusFlagsAreSetExactly() throws {
        let null = try OwnedFD.open("/dev/null", O_WRONLY | O_NONBLOCK)
        try null.fd.setStatusFlags(O_APPEND)
        let flags = fcntl(null.raw, F_GETFL)
        XCTAssertNotEqual(flags & O_APPEND, 0)
        XCTAssertEqual(flags & O_NONBLOCK, 0)
    }

    func testAccessAndLinksNameThePath() throws {
        XCTAssertTrue(isAccessible("/", F_OK))
        XCTAssertFalse(isAccessible("/nonexistent-swiftlet-path", F_OK))
        XCTAssertThrowsError(try checkAccess("/nonexistent-swiftlet-path", X_OK)) { error in
            XCTAssertEqual((error as? SysError)?.errno, ENOENT)
            XCTAssertTrue("\(error)".hasPrefix("access /nonexistent-swiftlet-path: "), "\(error)")
        }
        let dir = "/tmp/swiftlet-childprocess-\(getpid())"
        try makeDirectory(dir, mode: 0o700)
        defer { try? removeTree(dir) }
        XCTAssertEqual(symlink("/dev/null", dir + "/link"), 0)
        XCTAssertEqual(try readLink(dir + "/link"), "/dev/null")
        // stat follows the link to the device; lstat (entryStatus) stays on the link.
        XCTAssertEqual(try fileStatus(dir + "/link").st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(entryStatus(dir + "/link").map { $0.st_mode & S_IFMT }, S_IFLNK)
        XCTAssertThrowsError(try readLink(dir + "/missing")) { error in
            XCTAssertTrue("\(error)".hasPrefix("readlink \(dir)/missing: "), "\(error)")
        }
        try makeFifo(dir + "/fifo", mode: 0o600)
        XCTAssertEqual(try fileStatus(dir + "/fifo").st_mode & S_IFMT, S_IFIFO)
    }

    /// A write the kernel refuses names the file, not the fd number (a sysctl said "write 5").
    func testRefusedWritesNameTheFile() throws {
        XCTAssertThrowsError(try Procfs.write("/proc/self/oom_score_adj", "not a number")) { error in
            XCTAssertEqual((error as? SysError)?.errno, EINVAL)
            XCTAssertEqual("\(error)", "write /proc/self/oom_score_adj: \(errnoString(EINVAL))")
        }
        XCTAssertThrowsError(try writeFile(path: "/proc/self/oom_score_adj", "x", flags: O_WRONLY)) { error in
            XCTAssertEqual("\(error)", "write /proc/self/oom_score_adj: \(errnoString(EINVAL))")
        }
    }

    /// One `/proc` opened for several writes: each write goes to the file it names, refusals name
    /// the file, and a path outside /proc or leading out of it is refused as by `Procfs.write`.
    func testOneProcDirectoryServesSeveralWrites() throws {
        let procfs = try Procfs.Directory.open()
        defer { procfs.close() }
        let current = { try String(decoding: readWholeFile(path: "/proc/self/oom_score_adj").filter { $0 != 10 }, as: UTF8.self) }
        let before = try current()
        defer { try? procfs.write("/proc/self/oom_score_adj", before) }
        let raised = String(min((Int(before) ?? 0) + 1, 1000))
        try procfs.write("/proc/self/oom_score_adj", raised)
        try procfs.write("/proc/self/oom_score_adj", raised)
        XCTAssertEqual(try current(), raised)
        XCTAssertThrowsError(try procfs.write("/proc/self/oom_score_adj", "not a number")) { error in
            XCTAssertEqual("\(error)", "write /proc/self/oom_score_adj: \(errnoString(EINVAL))")
        }
        XCTAssertThrowsError(try procfs.write("/etc/hostname", "x")) { error in
            XCTAssertTrue("\(error)".contains("/etc/hostname"), "\(error)")
        }
        XCTAssertThrowsError(try procfs.write("/proc/../etc/hostname", "x")) { error in
            XCTAssertTrue("\(error)".contains("/proc/../etc/hostname"), "\(error)")
        }
    }
}
