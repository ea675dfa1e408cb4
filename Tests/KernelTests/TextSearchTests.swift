import XCTest
@testable import Kernel

final class TextSearchTests: XCTestCase {
    func testContainsText() {
        XCTAssertTrue("abc".containsText(""))
        XCTAssertTrue("".containsText(""))
        XCTAssertFalse("".containsText("a"))
        XCTAssertTrue("a/b".containsText("/"))
        XCTAssertTrue("id..x".containsText(".."))
        XCTAssertFalse("id.x.".containsText(".."))
        XCTAssertFalse("ab".containsText("abc"))
        XCTAssertTrue("xxabc".containsText("abc"))
        XCTAssertTrue("aab".containsText("ab"))
        XCTAssertTrue("Error (x)".containsText("Error ("))
        // Byte-wise, not canonical equivalence: é precomposed is not e + combining acute.
        XCTAssertTrue("caf\u{e9}!".containsText("\u{e9}"))
        XCTAssertFalse("cafe\u{301}".containsText("\u{e9}"))
        // Substrings, in either place, and a needle of a longer string's middle.
        let long = "nodev,nosuid,--x--,resctrl"
        XCTAssertTrue(long[long.index(long.startIndex, offsetBy: 6)...].containsText("--"))
        XCTAssertFalse(long[..<long.index(long.startIndex, offsetBy: 12)].containsText("--"))
        XCTAssertTrue(long.containsText(long.split(separator: ",")[3]))
    }
}
