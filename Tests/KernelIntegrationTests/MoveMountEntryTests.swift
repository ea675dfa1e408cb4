// MountAPI.moveMount(_:onto: .entry(in:name:)): the tree goes on the named entry beneath the
// directory fd, a symlink there is not followed (not even one to a directory beside it), and a name
// that is not one entry is refused before any system call. Root. Everything happens inside detached
// copies of a scratch directory (Linux 6.15 mounts onto detached trees): closing them leaves no
// mount; the scratch directory is removed.

import XCTest
import Glibc
@testable import Kernel

final class MoveMountEntryTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/move-mount-entry-XXXXXX".utf8CString)
        scratch = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        XCTAssertEqual(mkdir(scratch + "/sub", 0o755), 0)
        XCTAssertEqual(mkdir(scratch + "/other", 0o755), 0)
        XCTAssertEqual(symlink("other", scratch + "/link"), 0)
        XCTAssertEqual(mkdir(scratch + "/payload", 0o755), 0)
        XCTAssertEqual(creat(scratch + "/payload/marker", 0o644) >= 0, true)
    }

    override func tearDown() {
        unlink(scratch + "/payload/marker")
        for d in ["sub", "other", "payload"] { rmdir(scratch + "/" + d) }
        unlink(scratch + "/link")
        rmdir(scratch)
    }

    func testTheTreeGoesOnTheNamedEntryAndASymlinkIsNotFollowed() throws {
        let host = try MountAPI.cloneTree(scratch, recursive: false)
        defer { host.close() }
        let payload = try MountAPI.cloneTree(scratch + "/payload", recursive: false)
        defer { payload.close() }
        try MountAPI.moveMount(payload, onto: .entry(in: host, name: "sub"), describe: "payload on sub")
        // Seen through the detached copy only: the host's scratch/sub stays empty.
        XCTAssertEqual(faccessat(host.raw, "sub/marker", F_OK, 0), 0)
        XCTAssertNotEqual(access(scratch + "/sub/marker", F_OK), 0)

        let second = try MountAPI.cloneTree(scratch + "/payload", recursive: false)
        defer { second.close() }
        XCTAssertThrowsError(try MountAPI.moveMount(second, onto: .entry(in: host, name: "link"), describe: "on link"))
        XCTAssertNotEqual(faccessat(host.raw, "other/marker", F_OK, 0), 0, "the symlink was followed")
    }

    func testANameThatIsNotOneEntryIsRefused() throws {
        let host = try MountAPI.cloneTree(scratch, recursive: false)
        defer { host.close() }
        let payload = try MountAPI.cloneTree(scratch + "/payload", recursive: false)
        defer { payload.close() }
        for name in ["", ".", "..", "sub/..", "../sub", "other/x"] {
            XCTAssertThrowsError(try MountAPI.moveMount(payload, onto: .entry(in: host, name: name), describe: "d")) {
                XCTAssertTrue("\($0)".contains("is not one directory entry"), "\(name): \($0)")
            }
        }
    }
}
