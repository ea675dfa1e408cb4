// Where the cgroup v2 device filter cannot be attached (a runtime in a user namespace), which device
// node the runtime gives the container the rules would have kept it from: judged as the eBPF
// program judges (last rule first, the first that matches decides, none matching denies).

import XCTest
import RuntimeSpec
@testable import Cgroups

final class DeviceFilterUnavailableTests: XCTestCase {
    func unavailable(_ rules: [LinuxDeviceCgroup]) throws -> DeviceFilterUnavailable {
        DeviceFilterUnavailable(cause: CgroupError("linux.resources.devices: refused", errno: EPERM),
                                rules: try DeviceRules.effective(rules))
    }
    let kmsg = DeviceNode(name: "linux.devices[0] /dev/kmsg", type: "c", major: 1, minor: 11)
    let null = DeviceNode(name: "the default device /dev/null", type: "c", major: 1, minor: 3)
    let denyAll = LinuxDeviceCgroup(allow: false, access: "rwm")

    /// Engines' usual rules: deny all, then what the container is given: nothing is lost.
    func testAllowedNodesAreFine() throws {
        let u = try unavailable([denyAll, LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "rw")])
        XCTAssertNil(u.firstDenied([kmsg, null]))
        XCTAssertNil(try unavailable([]).firstDenied([null]))
    }

    func testANodeNoRuleAllows() throws {
        let d = try XCTUnwrap(try unavailable([denyAll]).firstDenied([null, kmsg]))
        XCTAssertEqual(d.node.name, kmsg.name)
        XCTAssertEqual(d.field, "linux.resources.devices[0] denies reading it")
    }

    /// Read allowed, write not: the field that denies the write; and a deny of /dev/null's write
    /// (a default device) after everything was allowed.
    func testPartialAccess() throws {
        let readOnly = try unavailable([denyAll, LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "r")])
        XCTAssertEqual(readOnly.firstDenied([kmsg])?.field, "linux.resources.devices[0] denies writing it")
        let nullDenied = try unavailable([LinuxDeviceCgroup(allow: true, access: "rwm"),
                                          LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "w")])
        XCTAssertEqual(nullDenied.firstDenied([null])?.field, "linux.resources.devices[1] denies writing it")
        XCTAssertNil(nullDenied.firstDenied([kmsg]))
    }

    /// mknod alone denied is no loss: the runtime cannot mknod in a user namespace anyway.
    func testMknodAloneIsNoLoss() throws {
        let u = try unavailable([LinuxDeviceCgroup(allow: true, access: "rwm"), LinuxDeviceCgroup(allow: false, type: "c", access: "m")])
        XCTAssertNil(u.firstDenied([kmsg, null]))
    }
}
