import XCTest
@testable import Container
import Glibc

/// InitStage.closeRuns closes exactly the fds it is given, whatever their order and gaps: the fds
/// between two runs (the sync socket, the exec fifo) stay open. No root.
final class CloseRunsTests: XCTestCase {
    func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

    func testClosesTheGivenFdsAndNoOther() {
        var fds: [Int32] = []
        for _ in 0..<8 { fds.append(open("/dev/null", O_RDONLY | O_CLOEXEC)) }
        XCTAssertFalse(fds.contains(-1))
        defer { for fd in fds where isOpen(fd) { close(fd) } }
        // Two runs with a gap of two and a lone one, given out of order.
        let closed = [fds[5], fds[0], fds[1], fds[7], fds[2], fds[6]]
        let kept = [fds[3], fds[4]]
        XCTAssertEqual(fds[3], fds[2] + 1, "fds made in a row are consecutive here")
        InitStage.closeRuns(closed)
        for fd in closed { XCTAssertFalse(isOpen(fd), "fd \(fd) still open") }
        for fd in kept { XCTAssertTrue(isOpen(fd), "fd \(fd) closed though not given") }
        InitStage.closeRuns([])
        for fd in kept { XCTAssertTrue(isOpen(fd)) }
    }
}
