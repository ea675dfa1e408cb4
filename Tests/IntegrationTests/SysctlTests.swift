import Foundation
import XCTest

/// linux.sysctl and hostname.
final class SysctlTests: IntegrationTestCase {
    func testIPCSysctl() {
        let hostValue = readFileBytes("/proc/sys/kernel/shmmax")
        XCTAssertEqual(output { c in
            c[path: "linux.sysctl"] = ["kernel.shmmax": "123456789", "kernel.msgmax": "4321"]
            c.shell("cat /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax")
        }, "123456789\n4321\n")
        XCTAssertEqual(readFileBytes("/proc/sys/kernel/shmmax"), hostValue, "the host's kernel.shmmax changed")
    }

    func testNetSysctl() {
        let hostValue = readFileBytes("/proc/sys/net/ipv4/ip_forward")
        XCTAssertEqual(output { c in
            c[path: "linux.sysctl"] = ["net.ipv4.ip_forward": "1", "net.ipv4.ip_local_port_range": "20000 30000"]
            c.shell("cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/net/ipv4/ip_local_port_range | tr -s ' \\t' ' '")
        }, "1\n20000 30000\n")
        XCTAssertEqual(readFileBytes("/proc/sys/net/ipv4/ip_forward"), hostValue, "the host's ip_forward changed")
    }

    func testUTSSysctl() {
        XCTAssertEqual(output { c in
            c[path: "linux.sysctl"] = ["kernel.domainname": "sysctl.test"]
            c.args = ["cat", "/proc/sys/kernel/domainname"]
        }, "sysctl.test\n")
    }

    func testSysctlWithoutNamespaceFails() {
        // A network sysctl without a network namespace would change the host: must be refused.
        let hostValue = readFileBytes("/proc/sys/net/ipv4/ip_forward")
        let newValue = hostValue.hasPrefix("1") ? "0" : "1"
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { c in
            c.removeNamespace("network")
            c.mounts = c.mounts.filter { $0["type"] as? String != "sysfs" }
            c[path: "linux.sysctl"] = ["net.ipv4.ip_forward": newValue]
        }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("linux.sysctl"), r.stderr) }
        XCTAssertEqual(readFileBytes("/proc/sys/net/ipv4/ip_forward"), hostValue, "the host's ip_forward changed")
        assertNothingLeftBehind(id, "sysctl without netns")
    }

    func testHostnameWithoutUTSNamespaceFails() {
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { c in
            c.removeNamespace("uts")
            c["hostname"] = "nope-\(token)"
        }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("hostname"), r.stderr) }
        assertNothingLeftBehind(id, "hostname without uts")
        var uts = utsname()
        uname(&uts)
        let hostName = withUnsafeBytes(of: &uts.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertNotEqual(hostName, "nope-\(token)")
    }

    func testNoHostnameKeepsNamespaceDefault() {
        // uts namespace without hostname: the host's name is inherited, nothing is set.
        var uts = utsname()
        uname(&uts)
        let hostName = withUnsafeBytes(of: &uts.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertEqual(output { c in
            c["hostname"] = nil
            c.args = ["hostname"]
        }, hostName + "\n")
    }
}
