import Foundation
import XCTest

/// process.capabilities: the five sets for root and non-root users, with and without a seccomp
/// filter (which needs CAP_SYS_ADMIN at load time when no_new_privs is off), and bad names.
final class CapabilityTests: IntegrationTestCase {
    /// The Cap* lines of /proc/self/status of the container process (after execve).
    func capStatus(user: [String: Any] = ["uid": 0, "gid": 0], noNewPrivileges: Bool = true,
                   seccomp: [String: Any]? = nil, _ caps: [String: [String]],
                   file: StaticString = #filePath, line: UInt = #line) -> [String: String] {
        statusFields(output(file: file, line: line) { c in
            c[path: "process.user"] = user
            c[path: "process.noNewPrivileges"] = noNewPrivileges
            c[path: "process.capabilities"] = caps
            if let seccomp { c[path: "linux.seccomp"] = seccomp }
            c.args = ["grep", "^Cap", "/proc/self/status"]
        })
    }

    let bounding = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SYS_CHROOT"]
    let permitted = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"]
    let effective = ["CAP_KILL", "CAP_SETUID"]
    let inheritable = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SYS_CHROOT"]
    let ambient = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]

    var allSets: [String: [String]] {
        ["bounding": bounding, "effective": effective, "permitted": permitted, "inheritable": inheritable,
         "ambient": ambient]
    }

    /// What the kernel makes of the sets at execve of a file without capabilities.
    func checkNonRoot(_ f: [String: String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(f["CapBnd"], capMask(bounding), "CapBnd \(f)", file: file, line: line)
        XCTAssertEqual(f["CapInh"], capMask(inheritable), "CapInh \(f)", file: file, line: line)
        XCTAssertEqual(f["CapAmb"], capMask(ambient), "CapAmb \(f)", file: file, line: line)
        XCTAssertEqual(f["CapPrm"], capMask(ambient), "CapPrm \(f)", file: file, line: line)
        XCTAssertEqual(f["CapEff"], capMask(ambient), "CapEff \(f)", file: file, line: line)
    }

    func checkRoot(_ f: [String: String], noNewPrivileges: Bool, file: StaticString = #filePath, line: UInt = #line) {
        // root: execve makes permitted = effective = bounding | inheritable (| ambient); with
        // no_new_privs nothing beyond the permitted set from before execve.
        var expected = Set(bounding).union(inheritable).union(ambient)
        if noNewPrivileges { expected.formIntersection(permitted) }
        XCTAssertEqual(f["CapBnd"], capMask(bounding), "CapBnd \(f)", file: file, line: line)
        XCTAssertEqual(f["CapInh"], capMask(inheritable), "CapInh \(f)", file: file, line: line)
        XCTAssertEqual(f["CapAmb"], capMask(ambient), "CapAmb \(f)", file: file, line: line)
        XCTAssertEqual(f["CapPrm"], capMask(Array(expected)), "CapPrm \(f)", file: file, line: line)
        XCTAssertEqual(f["CapEff"], capMask(Array(expected)), "CapEff \(f)", file: file, line: line)
    }

    func testFiveSetsNonRoot() {
        checkNonRoot(capStatus(user: ["uid": 1000, "gid": 1000], allSets))
    }

    func testFiveSetsNonRootWithoutNoNewPrivileges() {
        checkNonRoot(capStatus(user: ["uid": 1000, "gid": 1000], noNewPrivileges: false, allSets))
    }

    func testFiveSetsRoot() {
        checkRoot(capStatus(allSets), noNewPrivileges: true)
    }

    func testFiveSetsRootWithoutNoNewPrivileges() {
        checkRoot(capStatus(noNewPrivileges: false, allSets), noNewPrivileges: false)
    }

    func testAmbientNeedsPermittedAndInheritable() {
        // execve recomputes the sets; what must survive the uid switch (keepcaps) shows in the
        // ambient set: a capability is only ambient when it is permitted and inheritable too.
        let f = capStatus(user: ["uid": 1000, "gid": 1000], [
            "bounding": bounding, "permitted": ["CAP_KILL"], "effective": ["CAP_KILL"],
            "inheritable": ["CAP_KILL", "CAP_CHOWN"], "ambient": ["CAP_KILL", "CAP_CHOWN"],
        ])
        XCTAssertEqual(f["CapAmb"], capMask(["CAP_KILL"]), "CAP_CHOWN is not permitted: it cannot be ambient: \(f)")
        XCTAssertEqual(f["CapEff"], capMask(["CAP_KILL"]), "\(f)")
    }

    func testSetsUnchangedBySeccompWithoutNoNewPrivileges() {
        // Installing a filter without no_new_privs needs CAP_SYS_ADMIN; it must not stay behind.
        let filter: [String: Any] = ["defaultAction": "SCMP_ACT_ALLOW",
                                     "syscalls": [["names": ["getpriority"], "action": "SCMP_ACT_ERRNO"]]]
        checkNonRoot(capStatus(user: ["uid": 1000, "gid": 1000], noNewPrivileges: false, seccomp: filter, allSets))
        checkRoot(capStatus(noNewPrivileges: false, seccomp: filter, allSets), noNewPrivileges: false)
        let none = capStatus(noNewPrivileges: false, seccomp: filter, [:])
        for k in ["CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"] {
            XCTAssertEqual(none[k], capMask([]), "\(k) with no capabilities and a filter: \(none)")
        }
    }

    func testNotACapabilityIsIgnoredWithAWarning() {
        let id = newID()
        let r = run(makeBundle { c in
            c[path: "process.capabilities.bounding"] = ["CAP_KILL", "CAP_NOT_A_THING"]
        }, id: id)
        // runtime-spec 1.3: runtimes SHOULD NOT fail on an unknown capability (runc and crun warn).
        XCTAssertEqual(r.status, 0, "a name that is not a capability must be ignored: \(describe(r))")
        if Env.isSwiftlet {
            XCTAssertTrue(r.stderr.contains("process.capabilities.bounding[1]"), describe(r))
            XCTAssertTrue(r.stderr.contains("CAP_NOT_A_THING"), describe(r))
        }
        _ = runtime(["delete", "--force", id])
    }
}
