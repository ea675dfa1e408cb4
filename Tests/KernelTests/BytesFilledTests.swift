import XCTest
import Glibc
@testable import Kernel

final class BytesFilledTests: XCTestCase {
    struct Refused: Error {}

    func testBytesFilledKeepsWhatWasWritten() throws {
        let three = bytesFilled(upTo: 4096) { buf in
            XCTAssertEqual(buf.count, 4096)
            buf[0] = 1; buf[1] = 2; buf[2] = 3
            return 3
        }
        XCTAssertEqual(three, [1, 2, 3])
        XCTAssertEqual(bytesFilled(upTo: 0) { buf in buf.count }, [])
        XCTAssertEqual(bytesFilled(upTo: 8) { buf in buf.initialize(repeating: 7); return 8 }, [UInt8](repeating: 7, count: 8))
        XCTAssertThrowsError(try bytesFilled(upTo: 16) { _ in throw Refused() }) { XCTAssertTrue($0 is Refused) }
    }

    func testReadLink() throws {
        let link = "/tmp/swiftlet-readlink-\(getpid())"
        defer { unlink(link) }
        let target = "/a/" + String(repeating: "b", count: 3000) + "/\u{e9}"
        XCTAssertEqual(symlink(target, link), 0)
        XCTAssertEqual(try readLink(link), target)
        XCTAssertThrowsError(try readLink(link + "-missing"))
    }

    func testReadMaxThroughAPipe() throws {
        let (r, w) = try Pipe.make()
        defer { r.close(); w.close() }
        XCTAssertEqual(Glibc.write(w.raw, "hello", 5), 5)
        XCTAssertEqual(try r.read(max: 3), Array("hel".utf8))
        XCTAssertEqual(try r.read(max: 4096), Array("lo".utf8))
    }
}
