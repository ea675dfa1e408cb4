import Glibc
import XCTest
@testable import Kernel

/// ProcLiveness reads the state and start time of /proc/PID/stat as ProcStat does, by the same
/// rules, on fixed lines and on this process's own: no root.
final class ProcLivenessTests: XCTestCase {
    func check(_ line: String, file: StaticString = #filePath, lineNumber: UInt = #line) {
        let full = ProcStat(line)
        let fast = ProcLiveness(Array(line.utf8))
        XCTAssertEqual(fast?.state, full?.state, line, file: file, line: lineNumber)
        XCTAssertEqual(fast?.startTime, full?.startTime, line, file: file, line: lineNumber)
        XCTAssertEqual(fast == nil, full == nil, line, file: file, line: lineNumber)
    }

    func testAgreesWithProcStatOnFixedLines() {
        let tail = " 0 0 0 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 4000000 200 18446744073709551615\n"
        check("42 (sleep) S 1" + tail)
        check("42 (a b) (c)) Z 7" + tail)
        check("42 ()) R 7" + tail)
        check("42 (x) S 1 2 3\n")                      // too few fields
        check("42 (x) S notanumber" + tail)            // ppid not a number
        check("42 x S 1" + tail)                       // no ')'
        check("42 (x) S 1 0 0 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12x4 4000\n")
        check("42 (x) S 1 0 0 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 99999999999999999999999 4000\n")
        check("42 (x) S 1 0 0 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777\n")   // start time last
        check("")
    }

    func testOwnProcess() {
        let fast = ProcLiveness.read(getpid())
        let full = ProcStat.read(getpid())
        XCTAssertNotNil(fast)
        XCTAssertEqual(fast?.state, full?.state)
        XCTAssertEqual(fast?.startTime, full?.startTime)
        XCTAssertNil(ProcLiveness.read(-1))
    }
}
