import XCTest
import Glibc
@testable import Kernel

/// The kernel ABI tables the process resolver reads: names to the numbers of Glibc's and the
/// kernel's headers.
final class ProcessABITests: XCTestCase {
    func testRlimits() {
        XCTAssertEqual(Rlimit.Resource.all.count, 16)
        XCTAssertEqual(Rlimit.Resource.all.map(\.number), Array(0...15), "in the kernel's order")
        XCTAssertEqual(Rlimit.Resource(named: "RLIMIT_NOFILE")?.number, 7)
        XCTAssertEqual(Rlimit.Resource(named: "RLIMIT_AS")?.number, 9)
        XCTAssertEqual(Rlimit.Resource(named: "RLIMIT_RTTIME")?.number, 15)
        XCTAssertNil(Rlimit.Resource(named: "RLIMIT_FOO"))
        XCTAssertNil(Rlimit.Resource(named: "nofile"))
    }

    func testCapabilities() {
        XCTAssertEqual(Capabilities.named.count, 41)
        XCTAssertEqual(Capabilities.named.map(\.number), Array(0...40), "in number order")
        XCTAssertEqual(Capabilities.number(named: "CAP_KILL"), 5)
        XCTAssertEqual(Capabilities.number(named: "CAP_SYS_ADMIN"), 21)
        XCTAssertEqual(Capabilities.number(named: "CAP_BPF"), 39)
        XCTAssertNil(Capabilities.number(named: "CAP_FOO"))
        for (name, number) in Capabilities.named { XCTAssertEqual(Capabilities.number(named: name), number, name) }
        // Names of the same length as known ones, and a known one in another case or with more.
        for name in ["CAP_KILX", "CAP_kill", "cap_kill", "CAP_KILL ", "CAP_", ""] { XCTAssertNil(Capabilities.number(named: name), name) }
        XCTAssertEqual(Capabilities.sysAdminBit, 1 << 21)
    }

    func testSchedulerIOPriorityMemoryPolicy() {
        XCTAssertEqual(Sched.policies.map(\.number), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Sched.flags.map(\.bit), [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40])
        XCTAssertEqual(Sched.ioPriorityClasses.map(\.number), [1, 2, 3])
        XCTAssertEqual(Sched.personalityDomains.map(\.persona), [0, 8])
        XCTAssertEqual(MemoryPolicy.modes.map(\.number), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(MemoryPolicy.flags.map(\.bit), [1 << 13, 1 << 14, 1 << 15])
    }
}
