import Foundation
import XCTest

/// linux.sysctl and hostname.
final class SysctlTests: IntegrationTestCase {
    /// Sets `sysctl` in a container whose `script` prints them back, and checks that the host's copy of
    /// `hostWatch` (a /proc/sys path) kept its value: the setting belongs to the container's namespace.
    func checkNamespacedSysctl(_ sysctl: [String: String], script: String, prints want: String, hostWatch: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let hostValue = readFileBytes(hostWatch)
        XCTAssertEqual(output(file: file, line: line) { c in
            c[path: "linux.sysctl"] = sysctl
            c.shell(script)
        }, want, file: file, line: line)
        XCTAssertEqual(readFileBytes(hostWatch), hostValue, "the host's \(hostWatch) changed", file: file, line: line)
    }

    func testIPCSysctl() {
        checkNamespacedSysctl(["kernel.shmmax": "123456789", "kernel.msgmax": "4321"],
                              script: "cat /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax",
                              prints: "123456789\n4321\n", hostWatch: "/proc/sys/kernel/shmmax")
    }

    func testNetSysctl() {
        checkNamespacedSysctl(["net.ipv4.ip_forward": "1", "net.ipv4.ip_local_port_range": "20000 30000"],
                              script: "cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/net/ipv4/ip_local_port_range | tr -s ' \\t' ' '",
                              prints: "1\n20000 30000\n", hostWatch: "/proc/sys/net/ipv4/ip_forward")
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

    /// A value the kernel refuses: the error names the field and the file (it said "write 5"), and
    /// nothing is left behind.
    func testRefusedValueNamesTheSysctl() {
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { c in
            c[path: "linux.sysctl"] = ["net.ipv4.ip_forward": "not a number"]
        }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: "
                                            + "write /proc/sys/net/ipv4/ip_forward: Invalid argument"), r.stderr)
        }
        assertNothingLeftBehind(id, "refused sysctl value")
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
        XCTAssertNotEqual(hostName(), "nope-\(token)")
    }

    func testNoHostnameKeepsNamespaceDefault() {
        // uts namespace without hostname: the host's name is inherited, nothing is set.
        XCTAssertEqual(output { c in
            c["hostname"] = nil
            c.args = ["hostname"]
        }, hostName() + "\n")
    }

    func hostName() -> String {
        var uts = utsname()
        uname(&uts)
        return withUnsafeBytes(of: &uts.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
