import Foundation
import Glibc
import XCTest
@testable import Kernel

/// RootedPath.makeDirectories in a scratch directory of the test's own (no privilege needed): the
/// one-missing-component shortcut and the walk from the root give the same directories, follow a
/// symlink only inside the root, and fail the same way.
final class RootedPathDirectoryTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        var template = Array((NSTemporaryDirectory() + "/rooted-path.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp: \(errno)") }
        scratch = String(cString: made)
    }

    override func tearDown() {
        _ = try? FileManager.default.removeItem(atPath: scratch)
    }

    func withRoot(_ body: (RootedPath) throws -> Void) throws {
        try RootedPath.open(scratch).withRoot(body)
    }

    func inode(_ fd: FD) throws -> ino_t { try fd.status(describe: "fd").st_ino }
    func inode(_ path: String) -> ino_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_ino : nil
    }

    func testLastComponentMissingIsMadeAndOpened() throws {
        XCTAssertEqual(mkdir(scratch + "/dev", 0o755), 0)
        try withRoot { root in
            let fd = try root.makeDirectories("/dev/pts")
            defer { fd.close() }
            XCTAssertEqual(try inode(fd), inode(scratch + "/dev/pts"))
            XCTAssertEqual(FileKind.of(path: scratch + "/dev/pts"), .directory)
        }
    }

    func testSeveralMissingComponentsAreMade() throws {
        try withRoot { root in
            let fd = try root.makeDirectories("a/b/c")
            defer { fd.close() }
            XCTAssertEqual(try inode(fd), inode(scratch + "/a/b/c"))
        }
    }

    func testExistingDirectoryIsOpened() throws {
        XCTAssertEqual(mkdir(scratch + "/x", 0o755), 0)
        try withRoot { root in
            let fd = try root.makeDirectories("x")
            defer { fd.close() }
            XCTAssertEqual(try inode(fd), inode(scratch + "/x"))
        }
    }

    /// A dangling absolute symlink as the last component: its target is made inside the root, never
    /// on the host path it names.
    func testDanglingSymlinkIsMadeInsideTheRoot() throws {
        XCTAssertEqual(mkdir(scratch + "/dev", 0o755), 0)
        let outside = scratch + "-outside-\(getpid())"
        XCTAssertEqual(symlink(outside, scratch + "/dev/shm"), 0)
        try withRoot { root in
            let fd = try root.makeDirectories("dev/shm")
            defer { fd.close() }
            XCTAssertEqual(try inode(fd), inode(scratch + outside))
        }
        XCTAssertNil(inode(outside), "made outside the root")
    }

    /// A symlink in the parent leading out of the root: resolved inside the root, as by the walk.
    func testParentSymlinkStaysInsideTheRoot() throws {
        XCTAssertEqual(symlink("/../../..", scratch + "/up"), 0)
        try withRoot { root in
            let fd = try root.makeDirectories("up/made")
            defer { fd.close() }
            XCTAssertEqual(try inode(fd), inode(scratch + "/made"))
        }
    }

    /// A file where the parent should be: the walk's error (ENOTDIR), not the shortcut's silence.
    func testFileInTheWayFailsAsTheWalkDoes() throws {
        let file = creat(scratch + "/file", 0o644)
        XCTAssertNotEqual(file, -1)
        close(file)
        try withRoot { root in
            XCTAssertThrowsError(try root.makeDirectories("file/sub")) { error in
                XCTAssertEqual((error as? SysError)?.errno, ENOTDIR, "\(error)")
            }
        }
    }
}
