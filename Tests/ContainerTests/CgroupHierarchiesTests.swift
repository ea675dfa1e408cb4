// Where a container's own cgroup is below a host cgroup mount, for the bind that replaces a cgroup
// mount the container may not make or must not see whole.

import XCTest
@testable import Container

final class CgroupHierarchiesTests: XCTestCase {
    func testOwnCgroupBelowAMountOfTheWholeHierarchy() {
        XCTAssertEqual(CgroupHierarchies.directory(ofCgroup: "/a/b", mountPoint: "/sys/fs/cgroup/pids", root: "/"),
                       "/sys/fs/cgroup/pids/a/b")
        XCTAssertEqual(CgroupHierarchies.directory(ofCgroup: "/", mountPoint: "/sys/fs/cgroup", root: "/"), "/sys/fs/cgroup")
    }

    func testOwnCgroupBelowAMountOfACgroup() {
        XCTAssertEqual(CgroupHierarchies.directory(ofCgroup: "/a/b", mountPoint: "/m", root: "/a"), "/m/b")
        XCTAssertEqual(CgroupHierarchies.directory(ofCgroup: "/a", mountPoint: "/m", root: "/a"), "/m")
    }

    /// A cgroup the mount does not show, a mount of another cgroup namespace's (`/..`), a path
    /// that climbs: no directory, never the mount's top.
    func testCgroupTheMountDoesNotShow() {
        XCTAssertNil(CgroupHierarchies.directory(ofCgroup: "/ab", mountPoint: "/m", root: "/a"))
        XCTAssertNil(CgroupHierarchies.directory(ofCgroup: "/x", mountPoint: "/m", root: "/a"))
        XCTAssertNil(CgroupHierarchies.directory(ofCgroup: "/", mountPoint: "/m", root: "/.."))
        XCTAssertNil(CgroupHierarchies.directory(ofCgroup: "/../x", mountPoint: "/m", root: "/"))
        XCTAssertNil(CgroupHierarchies.directory(ofCgroup: "", mountPoint: "/m", root: "/"))
    }
}
