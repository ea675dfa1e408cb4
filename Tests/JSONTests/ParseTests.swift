import XCTest
@testable import JSON

final class ParseTests: XCTestCase {
    func testSmoke() throws {
        XCTAssertEqual(try JSON.parse(Array("[1, \"a\", true, null, {\"k\": {}}]".utf8)),
                       .array([.number("1"), .string("a"), .bool(true), .null, .object([("k", .object([]))])]))
    }
}
