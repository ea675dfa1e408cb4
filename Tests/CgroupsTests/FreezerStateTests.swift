// The freezer state `list` and `state` derive a container's `paused` from, on fake freezer files:
// every combination of cgroup.freeze and cgroup.events (v2), and of freezer.state with the unified
// tracking cgroup (hybrid), maps to what it did when all three files were read.

import Foundation
import XCTest
@testable import Cgroups

final class FreezerStateTests: FakeCgroupTestCase {
    func v2(_ freeze: String?, _ frozen: Int?) -> FreezerState {
        for f in ["cgroup.freeze", "cgroup.events"] { try? FileManager.default.removeItem(atPath: dir + "/" + f) }
        if let freeze { write(["cgroup.freeze": freeze + "\n"]) }
        if let frozen { write(["cgroup.events": "populated 1\nfrozen \(frozen)\n"]) }
        return CgroupV2Driver(path: dir, mountPoint: dir, trackingOnly: true).freezerState()
    }

    func testV2StateFromFreezeAndEvents() {
        XCTAssertEqual(v2("0", 0), .thawed)
        XCTAssertEqual(v2("1", 0), .freezing)
        XCTAssertEqual(v2("1", 1), .frozen)
        XCTAssertEqual(v2("0", 1), .frozen, "an ancestor's freeze stops the processes all the same")
        XCTAssertEqual(v2(nil, nil), .unknown)
    }

    func testHybridCountsAFrozenUnifiedAncestorOnlyWhenV1IsThawed() throws {
        let v1Dir = dir + "/v1", v2Dir = dir + "/v2"
        for d in [v1Dir, v2Dir] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: false) }
        func hybrid(_ v1: String, _ unifiedFrozen: Int) -> FreezerState {
            write(["v1/freezer.state": v1 + "\n", "v2/cgroup.freeze": "0\n", "v2/cgroup.events": "populated 1\nfrozen \(unifiedFrozen)\n"])
            return HybridDriver(v1: CgroupV1Driver(paths: ["freezer": v1Dir], mounts: [:]),
                                v2: CgroupV2Driver(path: v2Dir, mountPoint: dir, trackingOnly: true)).freezerState()
        }
        XCTAssertEqual(hybrid("THAWED", 0), .thawed)
        XCTAssertEqual(hybrid("THAWED", 1), .frozen)
        XCTAssertEqual(hybrid("FROZEN", 0), .frozen)
        XCTAssertEqual(hybrid("FREEZING", 1), .freezing)
    }

    func testKeyedFindsItsLineOnly() {
        write(["cgroup.events": "populated 1\nfrozen 1\n", "odd": "frozen\nfrozen x\nfrozen 7 8\nfrozen 3\n"])
        XCTAssertEqual(CgroupFS.keyed(dir + "/cgroup.events", "frozen"), 1)
        XCTAssertEqual(CgroupFS.keyed(dir + "/cgroup.events", "populated"), 1)
        XCTAssertNil(CgroupFS.keyed(dir + "/cgroup.events", "froze"))
        XCTAssertEqual(CgroupFS.keyed(dir + "/odd", "frozen"), 3, "lines that are not `key number` are passed over")
        XCTAssertNil(CgroupFS.keyed(dir + "/missing", "frozen"))
    }
}
