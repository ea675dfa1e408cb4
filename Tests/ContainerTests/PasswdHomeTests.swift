import XCTest
@testable import Container

/// The HOME a process gets from the container's /etc/passwd when its environment has none: the home
/// field of the first line with its uid, on fixed files (no root, no container).
final class PasswdHomeTests: XCTestCase {
    func home(_ text: String, _ uid: UInt32) -> String? {
        ProcessTail.home(inPasswd: Array(text.utf8), uid: uid)
    }

    func testHomeOfTheFirstLineWithTheUid() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\n\napp:x:1000:1000::/home/app:/bin/sh\ndup:x:1000:1:::\n"
        XCTAssertEqual(home(passwd, 0), "/root")
        XCTAssertEqual(home(passwd, 1000), "/home/app")
        XCTAssertNil(home(passwd, 1))
        XCTAssertNil(home(passwd, 100))  // a prefix of 1000 is not 1000
        XCTAssertNil(home("", 0))
    }

    func testShortLinesEmptyHomeAndNoFinalNewline() {
        // Fewer than six fields: not a passwd entry; an empty home field: no HOME from this file.
        XCTAssertNil(home("short:x:7:7:gecos\n", 7))
        XCTAssertNil(home("nohome:x:8:8:::/bin/sh\n", 8))
        XCTAssertEqual(home("last:x:9:9::/last", 9), "/last")
        XCTAssertEqual(home("colons:x:10:10:a:b:/home/x:/bin/sh:extra\n", 10), "b")
    }
}
