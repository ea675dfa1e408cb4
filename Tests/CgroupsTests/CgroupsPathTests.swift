import XCTest
@testable import Cgroups

/// Where a container's cgroup goes for a given `linux.cgroupsPath`, and which paths are refused.
final class CgroupsPathTests: XCTestCase {
    func testInnerPathAsRuncComputesIt() {
        let table: [(String?, String, Bool)] = [
            (nil, "c1", false), ("", "c1", false), (".", "c1", false), ("/", "/", true),
            ("/a/b", "/a/b", true), ("a/b", "a/b", false), ("/a//b/./c/", "/a/b/c", true), ("a/../b", "b", false),
        ]
        for (path, inner, absolute) in table {
            let r = Cgroups.inner(cgroupsPath: path, id: "c1")
            XCTAssertEqual(r.path, inner, "\(path ?? "nil")")
            XCTAssertEqual(r.absolute, absolute, "\(path ?? "nil")")
        }
    }

    func testValidateNamesTheFieldAndTheReason() {
        for good in [nil, "", "/a/b", "a/b", "/machine.slice/x:y", "/a/b.c"] {
            XCTAssertNoThrow(try Cgroups.validate(cgroupsPath: good), "\(good ?? "nil")")
        }
        let bad: [(String, String)] = [
            ("system.slice:docker:abc", "systemd"), ("/a/../b", "\"..\""), ("../escape", "\"..\""), ("a/..", "\"..\""),
        ]
        for (path, reason) in bad {
            XCTAssertThrowsError(try Cgroups.validate(cgroupsPath: path), path) { error in
                XCTAssert("\(error)".hasPrefix("linux.cgroupsPath: "), "\(error)")
                XCTAssert("\(error)".contains(reason), "\(error)")
            }
        }
    }
}
