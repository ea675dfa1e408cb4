import Glibc
import XCTest
@testable import Kernel

/// The ignored-signal set read from /proc/PID/status (SigIgn): on fixed texts, and on this
/// process's own set against what sigaction reports. No root.
final class SignalDispositionTests: XCTestCase {
    func status(_ lines: String...) -> [UInt8] { Array(("Name:\tswiftlet\n" + lines.joined(separator: "\n") + "\n").utf8) }

    func testSigIgnIsReadNotTheBlockedOrCaughtOnes() {
        let text = status("SigQ:\t0/96362", "SigPnd:\t0000000000000000", "SigBlk:\t0000000000010000",
                          "SigIgn:\t0000000180001000", "SigCgt:\t0000000000000002", "CapInh:\t0000000000000000")
        XCTAssertEqual(Proc.ignoredSignals(status: text), 0x1_8000_1000, "PIPE (13), 32 and 33")
        XCTAssertEqual(Proc.ignoredSignals(status: status("SigIgn:\tffffffffffffffff")), UInt64.max)
        XCTAssertEqual(Proc.ignoredSignals(status: status("SigIgn:\t0000000000000000")), 0)
    }

    func testWhatIsNoHexNumberIsNil() {
        XCTAssertNil(Proc.ignoredSignals(status: status("SigIgn:\t00000000000g0000")))
        XCTAssertNil(Proc.ignoredSignals(status: status("SigIgn:\t1ffffffffffffffff")), "more than 64 bits")
        XCTAssertNil(Proc.ignoredSignals(status: status("SigIgn:\t")))
        XCTAssertNil(Proc.ignoredSignals(status: status("SigCgt:\t0000000000000002")), "no SigIgn line")
        XCTAssertNil(Proc.ignoredSignals(status: status("XSigIgn:\t0000000000000001")), "a line that only ends so")
        XCTAssertNil(Proc.ignoredSignals(status: []))
    }

    /// This process's own set, with SIGUSR2 ignored for the test and SIGURG caught: the one and
    /// not the other, and every standard signal as sigaction reports it.
    func testOwnProcessAgreesWithSigaction() throws {
        let oldUSR2 = signal(SIGUSR2, SIG_IGN)
        let oldURG = signal(SIGURG, { _ in })
        defer { signal(SIGUSR2, oldUSR2); signal(SIGURG, oldURG) }
        let ignored = try XCTUnwrap(Proc.ignoredSignals())
        XCTAssertNotEqual(ignored & (1 << UInt64(SIGUSR2 - 1)), 0, "SIGUSR2 is ignored")
        XCTAssertEqual(ignored & (1 << UInt64(SIGURG - 1)), 0, "SIGURG is caught, not ignored")
        for s in Int32(1)..<32 where s != SIGKILL && s != SIGSTOP {
            var action = sigaction()
            XCTAssertEqual(sigaction(s, nil, &action), 0)
            let isIgnored = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == 1
            XCTAssertEqual(ignored & (1 << UInt64(s - 1)) != 0, isIgnored, "signal \(s)")
        }
    }
}
