// The owner of a file descriptor closes it on every way out of its scope, and only once; a group of
// fds made one after another is closed as a whole on a failure halfway. No root: /dev/null.

import XCTest
import Glibc
@testable import Kernel

final class OwnedFDTests: XCTestCase {
    private func isOpen(_ raw: Int32) -> Bool { fcntl(raw, F_GETFD) != -1 }

    private struct Failure: Error {}

    func testClosedAtTheEndOfItsScope() throws {
        var raw: Int32 = -1
        do {
            let owned = try OwnedFD.open("/dev/null", O_RDONLY)
            raw = owned.raw
            XCTAssertTrue(isOpen(raw))
        }
        XCTAssertFalse(isOpen(raw))
    }

    func testClosedWhenTheScopeThrows() throws {
        var raw: Int32 = -1
        func failAfterOpening() throws {
            let owned = try OwnedFD.open("/dev/null", O_RDONLY)
            raw = owned.raw
            throw Failure()
        }
        XCTAssertThrowsError(try failAfterOpening())
        XCTAssertFalse(isOpen(raw))
    }

    func testReleasedFDStaysOpen() throws {
        let fd: FD
        do { fd = try OwnedFD.open("/dev/null", O_RDONLY).release() }
        XCTAssertTrue(isOpen(fd.raw))
        fd.close()
    }

    func testMovedAboveClosesTheOldNumber() throws {
        let owned = try OwnedFD.open("/dev/null", O_RDONLY)
        let old = owned.raw
        let moved = try owned.moved(above: 100)
        XCTAssertGreaterThanOrEqual(moved.raw, 100)
        XCTAssertFalse(isOpen(old))
        XCTAssertTrue(isOpen(moved.raw))
    }

    func testGroupClosesEverythingOnFailureAndNothingOnceReleased() throws {
        var raws: [Int32] = []
        func makeTwoThenFail() throws {
            var group = OwnedFDs<Int>()
            for i in 0..<2 {
                let fd = try OwnedFD.open("/dev/null", O_RDONLY)
                raws.append(fd.raw)
                group.insert(fd, for: i)
            }
            throw Failure()
        }
        XCTAssertThrowsError(try makeTwoThenFail())
        XCTAssertEqual(raws.count, 2)
        for r in raws { XCTAssertFalse(isOpen(r)) }

        var group = OwnedFDs<Int>()
        group.insert(try OwnedFD.open("/dev/null", O_RDONLY), for: 0)
        let kept = group.release()
        XCTAssertTrue(isOpen(kept[0]!.raw))
        kept[0]!.close()
    }
}
