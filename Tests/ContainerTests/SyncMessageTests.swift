import XCTest
@testable import Container

/// The messages of the socket between `create` and the init stage: each one's code and payload, and
/// back; what does not decode is refused, not guessed.
final class SyncMessageTests: XCTestCase {
    func testEveryMessageRoundTrips() {
        let messages: [SyncMessage] = [
            .userNamespaceReady(pid: 4242), .containerPID(-1), .containerPID(Int32.max), .runtimeHooks, .ready,
            .failure("mount /proc: Operation not permitted"), .failure(""), .ack,
            .state(Array(#"{"status":"creating"}"#.utf8)), .seccompProgram([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]),
        ]
        XCTAssertEqual(Set(messages.map(\.code)).count, 8, "one code per kind")
        for m in messages {
            XCTAssertEqual(SyncMessage(code: m.code, payload: m.payload), m, "\(m)")
        }
        XCTAssertEqual(SyncMessage.containerPID(31).payload, Array("31".utf8))
        XCTAssertEqual(SyncMessage.ack.payload, [])
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
