import XCTest
@testable import Container
import Cgroups
import Kernel
import Glibc

/// The messages of the socket between `create` and the init stage: each one's code and payload, and
/// back; what does not decode is refused, not guessed.
final class SyncMessageTests: XCTestCase {
    func testEveryMessageRoundTrips() {
        let messages: [SyncMessage] = [
            .userNamespaceReady(pid: 4242), .containerPID(-1), .containerPID(Int32.max), .runtimeHooks, .ready,
            .failure(RuntimeError(step: "mount", cause: SysError("mount", "proc on /proc", errno: 1))),
            .failure(RuntimeError("")), .ack,
            .state(Array(#"{"status":"creating"}"#.utf8)), .seccompProgram([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]),
        ]
        XCTAssertEqual(Set(messages.map(\.code)).count, 8, "one code per kind")
        for m in messages {
            XCTAssertEqual(SyncMessage(code: m.code, payload: m.payload), m, "\(m)")
        }
        XCTAssertEqual(SyncMessage.containerPID(31).payload, Array("31".utf8))
        XCTAssertEqual(SyncMessage.ack.payload, [])
    }

    /// A failure crosses in its parts: the parent gets back the step, field, object and the errno of
    /// the syscall underneath, and the same text the init stage would have printed.
    func testFailureKeepsItsStructureAcrossTheSocket() throws {
        let sent = RuntimeError(step: "join namespaces", field: .config("linux.namespaces[2].path"),
                                object: "/proc/1/ns/net", "cannot join",
                                cause: RuntimeError(step: "setns", cause: SysError("setns", "/proc/1/ns/net", errno: 22)))
        let m = SyncMessage.failure(sent)
        guard case .failure(let got)? = SyncMessage(code: m.code, payload: m.payload) else {
            return XCTFail("not a failure")
        }
        XCTAssertEqual(got.description, sent.description)
        XCTAssertEqual(got.description,
                       "config.json: linux.namespaces[2].path: cannot join: setns: setns /proc/1/ns/net: Invalid argument")
        XCTAssertEqual(got.errno, 22)
        XCTAssertEqual(got.step, "join namespaces")
        XCTAssertEqual(got.field, .config("linux.namespaces[2].path"))
        XCTAssertEqual(got.object, "/proc/1/ns/net")
        let cgroup = SyncMessage.failure(RuntimeError(step: "join cgroup",
                                                      cause: CgroupError("write /sys/fs/cgroup/x: busy", path: "/sys/fs/cgroup/x", errno: 16)))
        guard case .failure(let g2)? = SyncMessage(code: cgroup.code, payload: cgroup.payload) else { return XCTFail() }
        XCTAssertEqual(g2.errno, 16)
        XCTAssertEqual((g2.cause as? CgroupError)?.path, "/sys/fs/cgroup/x", "the cgroup directory crosses too")
        XCTAssertEqual(g2.description, "join cgroup: write /sys/fs/cgroup/x: busy")
        // Text from an older init (or anything not an object) is kept as the reason.
        guard case .failure(let g3)? = SyncMessage(code: 5, payload: Array("plain words".utf8)) else { return XCTFail() }
        XCTAssertEqual(g3.description, "plain words")
    }

    /// Whatever text an error holds crosses unchanged: quotes, backslashes, control characters and
    /// NUL (the exec fifo's reader drops raw NUL bytes: they must arrive escaped), text that is no
    /// ASCII, a path with bytes that were not UTF-8, and a reason of a megabyte.
    func testFailureWithOddTextCrossesUnchanged() throws {
        let odd = "quote \" backslash \\ tab \t newline \n nul \u{0} bell \u{7} del \u{7f} é 漢 🦀 \u{2028}"
        let notUTF8 = String(decoding: [0x2f, 0x74, 0xff, 0xfe, 0x2f, 0x78], as: UTF8.self)
        let huge = String(repeating: "x", count: 1 << 20)
        for sent in [RuntimeError(step: odd, field: .process(odd), object: notUTF8, odd,
                                  cause: SysError("open", notUTF8, errno: ENOENT)),
                     RuntimeError(huge, cause: KernelError(odd))] {
            let bytes = sent.wireBytes()
            XCTAssertFalse(bytes.contains(0), "no raw NUL on the wire")
            let got = RuntimeError.fromWire(bytes)
            XCTAssertEqual(got.description, sent.description)
            XCTAssertEqual(got.step, sent.step)
            XCTAssertEqual(got.field, sent.field)
            XCTAssertEqual(got.object, sent.object)
        }
    }

    func testUnknownCodesAndBadPidsAreRefused() {
        XCTAssertNil(SyncMessage(code: 0, payload: []))
        XCTAssertNil(SyncMessage(code: 9, payload: []))
        XCTAssertNil(SyncMessage(code: 255, payload: [1]))
        XCTAssertNil(SyncMessage(code: 2, payload: Array("12x".utf8)))
        XCTAssertNil(SyncMessage(code: 1, payload: []))
        XCTAssertNil(SyncMessage(code: 2, payload: Array("99999999999".utf8)))
    }
}
