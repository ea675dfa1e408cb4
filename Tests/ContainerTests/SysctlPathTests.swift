import XCTest
@testable import Container

/// InitStage.sysctlPath maps a sysctl key to its /proc/sys file exactly as the
/// split-and-join it replaced did: runs of dots are one separator, none at either end, "/" kept.
/// No root.
final class SysctlPathTests: XCTestCase {
    func splitJoined(_ key: String) -> String { "/proc/sys/" + key.split(separator: ".").joined(separator: "/") }

    func testMatchesSplitAndJoinOnEveryShapeOfKey() {
        let keys = ["net.ipv4.ip_forward", "kernel.shmmax", "net.ipv4.ping_group_range", "fs.mqueue.msg_max",
                    "net/ipv4/ip_forward", "net/ipv4/conf/eth0.1/forwarding", "a..b", ".a", "a.", "...", "",
                    "net.ipv4.conf.eth0/1.forwarding", "net/../../kernel/core_pattern", "..net..", "ünï.cödé"]
        for key in keys { XCTAssertEqual(InitStage.sysctlPath(key), splitJoined(key), "key \(key)") }
    }

    func testAKeyNeverMakesADotDotComponent() {
        for key in ["..", "net...ipv4", "net/../x", "x/..", "../../etc"] {
            let components = InitStage.sysctlPath(key).split(separator: "/")
            XCTAssertFalse(components.contains(".."), "key \(key) made \(InitStage.sysctlPath(key))")
        }
    }
}
