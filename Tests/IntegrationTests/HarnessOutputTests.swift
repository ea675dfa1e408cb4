import Foundation
import XCTest

/// The harness's account of a program that failed without a word because its stderr could not be
/// written: the CI failure of FaultTests.testStartKilledAtEachStep (create, start and state each
/// exit 1 with empty stdout and stderr) is what any failing runtime shows on a full file system.
final class HarnessOutputTests: IntegrationTestCase {
    func testFailureWhoseMessageIsLostOnAFullFileSystemIsExplained() throws {
        let full = hostDir("full")
        XCTAssertEqual(Host.sh("mount -t tmpfs -o size=64k tmpfs '\(full)'").status, 0)
        defer { umount2(full, Int32(MNT_DETACH)) }
        let before = ProcessInfo.processInfo.environment["TMPDIR"]
        setenv("TMPDIR", full + "/", 1)
        defer { if let before { setenv("TMPDIR", before, 1) } else { unsetenv("TMPDIR") } }
        // Fill it: the output files can still be made (an inode), not written (a block).
        _ = Host.exec("/bin/sh", ["-c", "cat /dev/zero > '\(full)/filler' 2>/dev/null; true"])
        let r = runtime(["state", newID("absent")])
        XCTAssertEqual(r.status, 1, describe(r))
        XCTAssertTrue(r.stderr.contains("nothing on stderr") && r.stderr.contains("is full"), describe(r))
    }
}
