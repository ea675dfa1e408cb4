// The v1 device rules written to a new cgroup: the ones that change nothing are left out, and what
// the kernel ends up with is what writing every rule gives. Checked against a model of the kernel's
// devices.allow / devices.deny (security/device_cgroup.c: a default behaviour, a list of exceptions
// keyed by type:major:minor as written).

import XCTest
import RuntimeSpec
@testable import Cgroups

final class DeviceWritesTests: XCTestCase {
    /// The kernel's state after a sequence of (file, line) writes.
    struct KernelModel: Equatable {
        var allowByDefault = false
        var exceptions: [String: UInt32] = [:]

        mutating func write(allow: Bool, _ r: DeviceRule?) {
            guard let r, !r.isAll else {
                exceptions = [:]
                allowByDefault = allow
                return
            }
            let key = "\(r.type) \(r.major):\(r.minor)"
            let held = exceptions[key] ?? 0
            // An allow adds to the exceptions below a deny-all and removes from them below an allow-all.
            let bits = allow != allowByDefault ? held | r.access : held & ~r.access
            exceptions[key] = bits == 0 ? nil : bits
        }

        /// What applyDevices writes: the first line, then `writes`.
        static func after(_ rules: [DeviceRule], writes: [DeviceRule]) -> KernelModel {
            var k = KernelModel(allowByDefault: true)  // what the parent lets through: not looked at here
            k.write(allow: rules.first.map { $0.isAll && $0.allow } ?? false, nil)
            for r in writes { k.write(allow: r.allow, r) }
            return k
        }

        /// Every rule written, as before the pruning.
        static func afterAll(_ rules: [DeviceRule]) -> KernelModel {
            after(rules, writes: Array(rules.enumerated().filter { !($0.offset == 0 && $0.element.isAll) }.map(\.element)))
        }
    }

    func testDockerRulesWriteEachEntryOnce() throws {
        // A docker config's linux.resources.devices (conformance/configs), then the defaults.
        func dev(_ allow: Bool, _ major: Int64, _ minor: Int64) -> LinuxDeviceCgroup {
            LinuxDeviceCgroup(allow: allow, type: "c", major: major, minor: minor, access: "rwm")
        }
        let rules = try DeviceRules.effective([LinuxDeviceCgroup(allow: false, access: "rwm"),
                                               dev(true, 1, 5), dev(true, 1, 3), dev(true, 1, 9), dev(true, 1, 8),
                                               dev(true, 5, 0), dev(true, 5, 1), dev(false, 10, 229)])
        let writes = DeviceRules.v1Writes(rules)
        XCTAssertEqual(writes.map(\.v1Line), ["c 1:5 rwm", "c 1:3 rwm", "c 1:9 rwm", "c 1:8 rwm", "c 5:0 rwm", "c 5:1 rwm",
                                              "c *:* m", "b *:* m", "c 1:7 rwm", "c 136:* rwm", "c 5:2 rwm"])
        XCTAssertTrue(writes.allSatisfy(\.allow))
        XCTAssertEqual(KernelModel.after(rules, writes: writes), KernelModel.afterAll(rules))
        // Every rule was written before: 22 after the first line (the config's 7, the 10 defaults,
        // the config's 5 that name a default device again).
        XCTAssertEqual(rules.count - 1, 22)
    }

    func testDenyOfAnAllowedEntryAndPartialAccessAreWritten() throws {
        let rules = try DeviceRules.effective([LinuxDeviceCgroup(allow: false, access: "rwm"),
                                               LinuxDeviceCgroup(allow: true, type: "c", major: 4, minor: 1, access: "r"),
                                               LinuxDeviceCgroup(allow: true, type: "c", major: 4, minor: 1, access: "rw"),
                                               LinuxDeviceCgroup(allow: true, type: "c", major: 4, minor: 1, access: "w"),
                                               LinuxDeviceCgroup(allow: false, type: "c", major: 4, minor: 1, access: "r"),
                                               LinuxDeviceCgroup(allow: false, type: "c", major: 4, minor: 1, access: "r"),
                                               LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "w")])
        let lines = DeviceRules.v1Writes(rules).map { "\($0.allow ? "allow" : "deny") \($0.v1Line)" }
        XCTAssertEqual(Array(lines.prefix(3)), ["allow c 4:1 r", "allow c 4:1 rw", "deny c 4:1 r"])
        // The deny of /dev/null's write before anything allowed it changes nothing; its copy after
        // the defaults (which allowed it) does.
        XCTAssertEqual(lines.filter { $0 == "deny c 1:3 w" }.count, 1)
        XCTAssertEqual(lines.last, "deny c 1:3 w")
        XCTAssertEqual(KernelModel.after(rules, writes: DeviceRules.v1Writes(rules)), KernelModel.afterAll(rules))
    }

    func testAllowAllFirstOrLaterWritesEveryRule() throws {
        let allowAll = try DeviceRules.effective([LinuxDeviceCgroup(allow: true, access: "rwm"),
                                                  LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "rwm")])
        XCTAssertEqual(DeviceRules.v1Writes(allowAll).count, allowAll.count - 1)
        let later = try DeviceRules.effective([LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
                                               LinuxDeviceCgroup(allow: false, access: "rwm"),
                                               LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm")])
        let writes = DeviceRules.v1Writes(later)
        // The first rule is written (not an "a" rule), then from the "a" on everything.
        XCTAssertEqual(writes.count, later.count)
        XCTAssertEqual(KernelModel.after(later, writes: writes), KernelModel.afterAll(later))
    }

    /// Random rule lists (seeded): the pruned writes leave the kernel model as every write does.
    func testRandomRulesEndTheSame() throws {
        var seed: UInt64 = 0x5eed_cafe
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        let accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"]
        for _ in 0..<2000 {
            var config: [LinuxDeviceCgroup] = []
            for _ in 0..<(1 + next(12)) {
                let kind = next(10)
                if kind == 0 {
                    config.append(LinuxDeviceCgroup(allow: next(2) == 0, access: "rwm"))
                } else {
                    let major: Int64? = next(5) == 0 ? nil : [1, 5, 136][next(3)]
                    let minor: Int64? = next(5) == 0 ? nil : Int64(next(4) + 2)
                    config.append(LinuxDeviceCgroup(allow: next(2) == 0, type: next(6) == 0 ? "b" : "c", major: major, minor: minor,
                                                    access: accesses[next(accesses.count)]))
                }
            }
            let rules = try DeviceRules.effective(config)
            let writes = DeviceRules.v1Writes(rules)
            XCTAssertEqual(KernelModel.after(rules, writes: writes), KernelModel.afterAll(rules), "\(config)")
            XCTAssertLessThanOrEqual(writes.count, rules.count)
        }
    }
}
