import XCTest
import Glibc
@testable import RuntimeSpec

final class LoadTests: XCTestCase {
    var dir = ""

    override func setUp() {
        var template = Array("/tmp/runtimespec-test-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    override func tearDown() {
        unlink(dir + "/config.json")
        rmdir(dir)
    }

    func write(_ text: String) {
        let fd = open(dir + "/config.json", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }, bytes.count)
        close(fd)
    }

    func testLoad() throws {
        write(fullConfig)
        let s = try Spec.load(bundle: dir)
        XCTAssertEqual(s.process?.cwd, "/work")
        XCTAssertEqual(try Spec.load(bundle: dir + "/"), s)
    }

    func testMissingFile() {
        XCTAssertThrowsError(try Spec.load(bundle: dir)) { error in
            XCTAssertEqual("\(error)", "open \(dir)/config.json: No such file or directory")
        }
    }

    func testMissingRequiredProperty() {
        write(#"{"ociVersion": "1.3.0", "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"]}}"#)
        XCTAssertThrowsError(try Spec.load(bundle: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("config.json: process.cwd: "), text)
            XCTAssertTrue(text.contains("missing"), text)
        }
    }

    func testMalformedJSON() {
        write(#"{"ociVersion": "1.3.0",,}"#)
        XCTAssertThrowsError(try Spec.load(bundle: dir)) { error in
            XCTAssertTrue("\(error)".hasPrefix("config.json: "), "\(error)")
        }
    }

    func testNames() {
        XCTAssertEqual(CapabilityNames.all.count, 41)
        XCTAssertEqual(CapabilityNames.number(of: "CAP_CHOWN"), 0)
        XCTAssertEqual(CapabilityNames.number(of: "CAP_KILL"), 5)
        XCTAssertEqual(CapabilityNames.number(of: "CAP_SYS_ADMIN"), 21)
        XCTAssertEqual(CapabilityNames.number(of: "CAP_AUDIT_READ"), 37)
        XCTAssertEqual(CapabilityNames.number(of: "CAP_CHECKPOINT_RESTORE"), 40)
        XCTAssertNil(CapabilityNames.number(of: "CAP_FOO"))
        XCTAssertEqual(CapabilityNames.name(of: 39), "CAP_BPF")
        XCTAssertEqual(RlimitNames.number(of: "RLIMIT_CPU"), 0)
        XCTAssertEqual(RlimitNames.number(of: "RLIMIT_NOFILE"), 7)
        XCTAssertEqual(RlimitNames.number(of: "RLIMIT_AS"), 9)
        XCTAssertEqual(RlimitNames.number(of: "RLIMIT_RTTIME"), 15)
        XCTAssertNil(RlimitNames.number(of: "RLIMIT_FOO"))
        XCTAssertEqual(NamespaceNames.cloneFlag(of: "user"), 0x1000_0000)
        XCTAssertEqual(NamespaceNames.procName(of: "network"), "net")
        XCTAssertEqual(SpecNames.schedulerPolicyNumber(of: "SCHED_DEADLINE"), 6)
        XCTAssertEqual(SpecNames.ioPriorityClassNumber(of: "IOPRIO_CLASS_IDLE"), 3)
        XCTAssertEqual(SpecNames.memoryPolicyModeNumber(of: "MPOL_WEIGHTED_INTERLEAVE"), 6)
        XCTAssertEqual(SpecNames.memoryPolicyFlagBit(of: "MPOL_F_STATIC_NODES"), 1 << 15)
        XCTAssertEqual(SpecNames.schedulerFlagBit(of: "SCHED_FLAG_UTIL_CLAMP_MAX"), 0x40)
    }
}
