import Foundation  // tests only: listing the corpus folders
import JSON
import JSONDifferential
import XCTest

/// swiftlet's JSON parser and libyajl on the same bytes (Sources/JSONDifferential): the fuzz corpus of
/// tools/fuzz-json replayed, and each difference by design pinned down so that it stays one.
final class DifferentialTests: XCTestCase {
    /// Tests/Fuzz, or the copy tools/unit-tier.sh makes where its unprivileged user can read it (a clone
    /// under /root cannot be).
    static let fuzzDir = ProcessInfo.processInfo.environment["SWIFTLET_FUZZ_DIR"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    func files(_ folder: String) throws -> [URL] {
        let dir = Self.fuzzDir.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    /// The differential corpus (Tests/Fuzz/json) and the config corpus (Tests/Fuzz/corpus): no
    /// disagreement beyond the ones by design.
    func testCorpusAgrees() throws {
        let inputs = try files("json") + files("corpus")
        XCTAssertGreaterThan(inputs.count, 20, "the corpus is missing: \(Self.fuzzDir.path)")
        for url in inputs {
            let bytes = try [UInt8](Data(contentsOf: url))
            if let difference = disagreement(bytes) {
                XCTFail("\(url.lastPathComponent): \(difference)")
            }
        }
    }

    func assertAgree(_ text: String, accepted: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(text.utf8)
        XCTAssertNil(disagreement(bytes), text, file: file, line: line)
        XCTAssertEqual(YajlVerdict(bytes).accepted, accepted, "yajl on \(text)", file: file, line: line)
        XCTAssertEqual((try? JSON.parse(bytes)) != nil, accepted, "swiftlet on \(text)", file: file, line: line)
    }

    func testSameVerdictsAndValues() {
        for text in ["0", "-0", "[1,2.5,-0.0,1e2,1E-2]", #"{"a":{"b":[null,true,false]}}"#, #""\u00e9\ud83d\ude00\n\"\\\/""#,
                     "9223372036854775807", "-9223372036854775807", "1e-400", #"{"a":1,"a":2}"#, " \t\r\n[ ] ", #""\u0000""#] {
            assertAgree(text, accepted: true)
        }
        for text in ["", " ", "[1,]", #"{"a":1,}"#, "01", "1.", "-", ".5", "+1", "/*c*/1", "[1] x", "1 2", "nul", "truex",
                     #""\x""#, "\"a\tb\"", "[", #"{"a"}"#, #"{1:2}"#, "'a'", "NaN", "Infinity", "\u{feff}1"] {
            assertAgree(text, accepted: false)
        }
    }

    /// Numbers yajl cannot hold: swiftlet keeps their text (a field's decoder checks the range), yajl
    /// refuses the document.
    func testNumbersOutsideYajlsRangeAreByDesign() throws {
        for text in ["9223372036854775808", "-9223372036854775808", "-9223372036854775809", "[1e400]", "-1e309"] {
            let bytes = Array(text.utf8)
            XCTAssertNotNil(try JSON.parse(bytes), text)
            let yajl = YajlVerdict(bytes)
            XCTAssertFalse(yajl.accepted, text)
            XCTAssert(yajl.text.contains("overflow"), yajl.text)
            XCTAssertNil(disagreement(bytes), text)
        }
    }

    /// Where swiftlet is stricter than yajl: yajl accepts, swiftlet rejects with a message that names why.
    func testStricterByDesign() {
        let cases: [([UInt8], String)] = [
            (Array("\"".utf8) + [0xC0, 0x80] + Array("\"".utf8), "invalid UTF-8"),  // overlong NUL
            (Array("\"".utf8) + [0xED, 0xA0, 0x80] + Array("\"".utf8), "invalid UTF-8"),  // a surrogate
            (Array("\"".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("\"".utf8), "invalid UTF-8"),  // past U+10FFFF
            (Array(#""\ud800""#.utf8), "unpaired"),
            (Array(#""\udc00""#.utf8), "unpaired"),
            (Array(#""\ud800\u0041""#.utf8), "unpaired"),
            (Array("[\u{0B}1]".utf8), "byte 0x0B"),
            (Array("[1]\u{0C}".utf8), "byte 0x0C"),
            (Array(#""a" "b"#.utf8), "after top-level value"),  // found by tools/fuzz-json
            (Array("[1] \"x".utf8), "after top-level value"),
            (Array(repeating: UInt8(ascii: "["), count: JSON.maxDepth + 1) + Array(repeating: UInt8(ascii: "]"), count: JSON.maxDepth + 1),
             "nesting deeper than"),
        ]
        for (bytes, reason) in cases {
            XCTAssertTrue(YajlVerdict(bytes).accepted, "yajl on \(bytes)")
            XCTAssertThrowsError(try JSON.parse(bytes)) { error in
                XCTAssert("\(error)".contains(reason), "\(error)")
            }
            XCTAssertNil(disagreement(bytes), "\(bytes)")
        }
        // At the limit both accept.
        let deepest = Array(repeating: UInt8(ascii: "["), count: JSON.maxDepth) + Array(repeating: UInt8(ascii: "]"), count: JSON.maxDepth)
        XCTAssertNotNil(try? JSON.parse(deepest))
        XCTAssertNil(disagreement(deepest))
    }

    /// The comparison itself catches a difference: a value that differs is reported.
    func testDifferentValuesAreReported() throws {
        let value = try JSON.parse(Array("[1,2.5]".utf8))
        let yajl = YajlVerdict(Array("[1,2.5]".utf8))
        XCTAssertEqual(yajlEvents(of: value), yajl.output)
        XCTAssertEqual(yajl.text, "[i1;d4004000000000000;]")
        XCTAssertNotEqual(yajlEvents(of: try JSON.parse(Array("[1,2.50001]".utf8))), yajl.output)
        XCTAssertNotEqual(yajlEvents(of: try JSON.parse(Array("[1.0,2.5]".utf8))), yajl.output, "1.0 is a double for yajl")
    }
}
