// CgroupOwnership.claim's errors carry the directory they were about and the errno of the call that
// failed, for RuntimeError's `object` and `cause`. Plain directories stand in for a cgroup tree: claim
// only makes directories, locks their parent and marks them (a mark it cannot set is skipped).

import Foundation
import XCTest
@testable import Cgroups

final class OwnershipErrorTests: FakeCgroupTestCase {
    func testMkdirFailureNamesTheDirectoryAndErrno() throws {
        let good = dir + "/a"
        let tooLong = dir + "/" + String(repeating: "x", count: 300)  // NAME_MAX is 255
        XCTAssertThrowsError(try CgroupOwnership.claim([good, tooLong], owner: "/run/test/owner")) { error in
            guard let e = error as? CgroupError else { return XCTFail("not a CgroupError: \(error)") }
            XCTAssertEqual(e.path, tooLong)
            XCTAssertEqual(e.errno, ENAMETOOLONG)
            XCTAssertTrue(e.description.hasPrefix("creating cgroup \(tooLong): "), e.description)
        }
        // what it made before the failure is removed again
        XCTAssertFalse(FileManager.default.fileExists(atPath: good))
    }

    func testClaimMakesTheMissingDirectories() throws {
        let made = try CgroupOwnership.claim([dir + "/b", dir + "/c"], owner: "/run/test/owner")
        XCTAssertEqual(made, [dir + "/b", dir + "/c"])
        let again = try CgroupOwnership.claim([dir + "/b"], owner: "/run/test/owner")
        XCTAssertEqual(again, [], "a directory already there is not made, nor counted as made")
    }

    /// The ancestors claim makes on the way are reported apart from the directories themselves (a
    /// failed create removes them; a systemd slice was left behind otherwise), those already there not.
    func testClaimReportsTheParentsItMade() throws {
        var parents: [String] = []
        let made = try CgroupOwnership.claim([dir + "/s/t/leaf", dir + "/u/leaf"], owner: "/run/test/owner",
                                             parentsMade: &parents)
        XCTAssertEqual(made, [dir + "/s/t/leaf", dir + "/u/leaf"])
        XCTAssertEqual(Set(parents), [dir + "/s", dir + "/s/t", dir + "/u"])
        var again: [String] = []
        _ = try CgroupOwnership.claim([dir + "/s/t/other"], owner: "/run/test/owner", parentsMade: &again)
        XCTAssertEqual(again, [], "parents already there are not counted as made")
    }
}
