// A new v1 cpuset cgroup gets cpus and mems from its nearest ancestor that has them (it takes no
// process while they are empty). Looked for from the cgroup up; plain files stand in for the
// hierarchy.

import Foundation
import XCTest
@testable import Cgroups

final class CpusetInitTests: FakeCgroupTestCase {
    /// A level of the fake hierarchy (`rel` "" is its mount point) with these values.
    func level(_ rel: String, cpus: String, mems: String) throws {
        try FileManager.default.createDirectory(atPath: dir + rel, withIntermediateDirectories: true)
        let prefix = rel.isEmpty ? "" : String(rel.dropFirst()) + "/"
        write([prefix + "cpuset.cpus": cpus, prefix + "cpuset.mems": mems])
    }

    func testEmptyLevelsGetTheNearestAncestorsValues() throws {
        try level("", cpus: "0-3\n", mems: "0-1\n")
        try level("/engine", cpus: "0-1\n", mems: "\n")
        try level("/engine/pod", cpus: "", mems: "")
        try level("/engine/pod/c", cpus: "", mems: "")
        var driver = CgroupV1Driver(paths: ["cpuset": dir + "/engine/pod/c"], mounts: ["cpuset": dir])
        driver.made = []  // there before: its own values are read first
        try driver.create()
        assertFiles(["engine/pod/c/cpuset.cpus": "0-1", "engine/pod/cpuset.cpus": "0-1", "engine/cpuset.cpus": "0-1\n",
                     "cpuset.cpus": "0-3\n",
                     "engine/pod/c/cpuset.mems": "0-1", "engine/pod/cpuset.mems": "0-1", "engine/cpuset.mems": "0-1",
                     "cpuset.mems": "0-1\n"])
    }

    func testACgroupThatHasThemKeepsThem() throws {
        try level("", cpus: "0-3\n", mems: "0\n")
        try level("/c", cpus: "2\n", mems: "0\n")
        var driver = CgroupV1Driver(paths: ["cpuset": dir + "/c"], mounts: ["cpuset": dir])
        driver.made = []
        try driver.create()
        assertFiles(["c/cpuset.cpus": "2\n", "c/cpuset.mems": "0\n"])
    }

    /// One the create made is not read: it starts empty, or with its parent's values (given by
    /// cgroup.clone_children), and is given its parent's. A value planted in it shows that it was
    /// not read (read, it would be kept).
    func testACgroupMadeGetsItsParentsWithoutBeingRead() throws {
        try level("", cpus: "0-3\n", mems: "0\n")
        try level("/engine", cpus: "1\n", mems: "0\n")
        try level("/engine/c", cpus: "9", mems: "7")
        try CgroupV1Driver(paths: ["cpuset": dir + "/engine/c"], mounts: ["cpuset": dir]).create()
        assertFiles(["engine/c/cpuset.cpus": "1", "engine/c/cpuset.mems": "0", "engine/cpuset.cpus": "1\n"])
    }
}
