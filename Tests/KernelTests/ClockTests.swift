import Glibc
import XCTest
@testable import Kernel

/// Clock's UTC conversion is its own (glibc's gmtime_r loads the time zone first): it must agree
/// with gmtime_r everywhere, leap days, century years and dates before the epoch included.
final class ClockTests: XCTestCase {
    private func assertMatchesGmtime(_ seconds: Int, file: StaticString = #filePath, line: UInt = #line) {
        var secs = time_t(seconds)
        var tm = Glibc.tm()
        XCTAssertNotNil(gmtime_r(&secs, &tm), "gmtime_r(\(seconds))", file: file, line: line)
        let t = Clock.utc(seconds)
        let want = (Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        XCTAssertTrue(t == want, "\(seconds): \(t), gmtime_r says \(want)", file: file, line: line)
    }

    func testUTCAgreesWithGmtime() {
        // Edges: the epoch, a second before it, leap days (2000: a leap century year; 1900 and 2100
        // are not), year ends, the 32-bit rollover, and far from the epoch on both sides.
        let edges = [0, -1, 86399, 86400, -86400, -86401, 951_782_400, 951_868_799, 951_868_800, 4_107_542_399,
                     4_107_542_400, -2_203_891_200, 2_147_483_647, 2_147_483_648, 253_402_300_799, -62_135_596_800]
        for s in edges { assertMatchesGmtime(s) }
        // Every day's first and last second over 1,200 years, stepping 7 days + 13 s.
        var s = -12_000_000_000
        while s < 25_000_000_000 {
            assertMatchesGmtime(s)
            s += 7 * 86400 + 13
        }
    }

    func testRFC3339Nano() {
        XCTAssertEqual(Clock.rfc3339Nano(timespec(tv_sec: 0, tv_nsec: 0)), "1970-01-01T00:00:00Z")
        XCTAssertEqual(Clock.rfc3339Nano(timespec(tv_sec: 951_868_799, tv_nsec: 120_000_000)), "2000-02-29T23:59:59.12Z")
        XCTAssertEqual(Clock.rfc3339Nano(timespec(tv_sec: 1_796_299_200, tv_nsec: 5)), "2026-12-03T12:00:00.000000005Z")
    }
}
