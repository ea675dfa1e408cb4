import XCTest
@testable import JSON

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Asserts that parsing fails with a message containing `fragment`; returns the error.
@discardableResult
func assertParseError(_ text: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) -> JSONError? {
    do {
        let v = try JSON.parse(text)
        XCTFail("expected parse error containing \"\(fragment)\", got \(v)", file: file, line: line)
        return nil
    } catch let e as JSONError {
        XCTAssertEqual(e.path, "", file: file, line: line)
        XCTAssertTrue(e.message.contains(fragment), "\"\(e.message)\" does not contain \"\(fragment)\"", file: file, line: line)
        XCTAssertTrue(e.message.hasPrefix("line "), e.message, file: file, line: line)
        return e
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
        return nil
    }
}

@discardableResult
func assertParseError(_ text: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) -> JSONError? {
    assertParseError(bytes(text), fragment, file: file, line: line)
}

final class ParseTests: XCTestCase {
    func testSmoke() throws {
        XCTAssertEqual(try JSON.parse(bytes("[1, \"a\", true, null, {\"k\": {}}]")),
                       .array([.number("1"), .string("a"), .bool(true), .null, .object([("k", .object([]))])]))
    }

    func testScalarsAtTopLevel() throws {
        XCTAssertEqual(try JSON.parse(bytes("null")), .null)
        XCTAssertEqual(try JSON.parse(bytes(" true ")), .bool(true))
        XCTAssertEqual(try JSON.parse(bytes("\tfalse\r\n")), .bool(false))
        XCTAssertEqual(try JSON.parse(bytes("\"x\"")), .string("x"))
        XCTAssertEqual(try JSON.parse(bytes("0")), .number("0"))
        XCTAssertEqual(try JSON.parse(bytes("[]")), .array([]))
        XCTAssertEqual(try JSON.parse(bytes("{}")), .object([]))
    }

    func testNumbersKeepRawText() throws {
        for n in ["0", "-0", "1", "-1", "123456789012345678901234567890", "1.5", "-0.25", "1e10", "1E+10",
                  "1e-10", "2.5E-3", "0.0", "1.0e0", "-0e-0"] {
            XCTAssertEqual(try JSON.parse(bytes(n)), .number(n), n)
            XCTAssertEqual(try JSON.parse(bytes("[\(n)]")), .array([.number(n)]), n)
        }
    }

    func testInvalidNumbers() {
        assertParseError("01", "leading zeros")
        assertParseError("-01", "leading zeros")
        assertParseError("00", "leading zeros")
        assertParseError("1.", "decimal point")
        assertParseError("1.e5", "decimal point")
        assertParseError(".5", "character '.'")
        assertParseError("+1", "character '+'")
        assertParseError("-", "end of input")
        assertParseError("-a", "expected a digit")
        assertParseError("1e", "exponent")
        assertParseError("1e+", "exponent")
        assertParseError("1x", "after top-level value")
        assertParseError("NaN", "character 'N'")
        assertParseError("Infinity", "character 'I'")
        assertParseError("-Infinity", "expected a digit")
        assertParseError("0x10", "after top-level value")
        assertParseError("[1 2]", "expected ',' or ']'")
    }

    func testStrings() throws {
        XCTAssertEqual(try JSON.parse(bytes(#""a\"b\\c\/d\b\f\n\r\t""#)), .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        XCTAssertEqual(try JSON.parse(bytes(#""\u0041\u00e9\u20AC""#)), .string("Aé€"))
        XCTAssertEqual(try JSON.parse(bytes(#""\u0000""#)), .string("\u{0}"))
        // Surrogate pair → U+1F600
        XCTAssertEqual(try JSON.parse(bytes(#""\ud83d\ude00""#)), .string("😀"))
        XCTAssertEqual(try JSON.parse(bytes(#""x\uD834\uDD1Ey""#)), .string("x𝄞y"))
        // Raw UTF-8
        XCTAssertEqual(try JSON.parse(bytes("\"héllo wörld 😀 日本\"")), .string("héllo wörld 😀 日本"))
        XCTAssertEqual(try JSON.parse(bytes("\"é\\n😀\"")), .string("é\n😀"))
        XCTAssertEqual(try JSON.parse(bytes("\"\"")), .string(""))
        // DEL is not a control character for JSON
        XCTAssertEqual(try JSON.parse([0x22, 0x7F, 0x22]), .string("\u{7F}"))
    }

    func testInvalidStrings() {
        assertParseError("\"abc", "end of input in string")
        assertParseError("\"abc\\", "end of input in string escape")
        assertParseError("\"a\nb\"", "control character 0x0A")
        assertParseError("\"a\tb\"", "control character 0x09")
        assertParseError([0x22, 0x00, 0x22], "control character 0x00")
        assertParseError(#""\x41""#, "invalid escape '\\x'")
        assertParseError(#""\'""#, "invalid escape")
        assertParseError(#""\u12""#, "4 hex digits")
        assertParseError(#""\u12G4""#, "4 hex digits")
        assertParseError(#""\ud83d""#, "unpaired high surrogate")
        assertParseError(#""\ud83dx""#, "unpaired high surrogate")
        assertParseError(#""\ud83d\u0041""#, "unpaired high surrogate")
        assertParseError(#""\ude00""#, "unpaired low surrogate")
        assertParseError("'a'", "character '''")
    }

    func testInvalidUTF8() {
        assertParseError([0x22, 0xFF, 0x22], "invalid UTF-8")
        assertParseError([0x22, 0xC3, 0x22], "invalid UTF-8")  // truncated 2-byte
        assertParseError([0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8")  // overlong '/'
        assertParseError([0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid UTF-8")  // overlong
        assertParseError([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8")  // encoded surrogate
        assertParseError([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8")  // > U+10FFFF
        assertParseError([0x22, 0x80, 0x22], "invalid UTF-8")  // lone continuation
        assertParseError([0x22, 0x5C, 0x6E, 0xFF, 0x22], "invalid UTF-8")  // slow path
        assertParseError([0xEF, 0xBB, 0xBF, 0x31], "byte 0xEF")  // BOM is rejected
    }

    func testStructuralErrors() {
        assertParseError("", "unexpected end of input")
        assertParseError("   ", "unexpected end of input")
        assertParseError("[", "end of input")
        assertParseError("[1,", "end of input")
        assertParseError("[1,]", "character ']' looking for beginning of value")
        assertParseError("{\"a\":1,}", "character '}' in object, expected a string key")
        assertParseError("{\"a\" 1}", "expected ':'")
        assertParseError("{a:1}", "expected a string key")
        assertParseError("{\"a\":1", "end of input in object, expected ',' or '}'")
        assertParseError("{\"a\":1 2}", "character '2' in object, expected ',' or '}'")
        assertParseError("[1", "end of input in array, expected ',' or ']'")
        assertParseError("[1}", "character '}' in array, expected ',' or ']'")
        assertParseError("{\"a\":}", "looking for beginning of value")
        assertParseError("[1] [2]", "after top-level value")
        assertParseError("{} x", "after top-level value")
        assertParseError("tru", "expected 'true'")
        assertParseError("trUe", "expected 'true'")
        assertParseError("nul", "expected 'null'")
        assertParseError("falsy", "expected 'false'")
        assertParseError("nulll", "after top-level value")
        assertParseError("[1]]", "after top-level value")
        assertParseError("\u{0C}1", "byte 0x0C")  // form feed is not JSON whitespace
    }

    func testLineAndColumn() {
        let e = assertParseError("{\n  \"a\": 1,\n  \"b\": tru\n}", "expected 'true'")
        XCTAssertEqual(e?.message, "line 3 column 8: invalid literal, expected 'true'")
        let e2 = assertParseError("[1,\n2,\n]", "looking for beginning of value")
        XCTAssertEqual(e2?.message, "line 3 column 1: unexpected character ']' looking for beginning of value")
        XCTAssertEqual(e2?.description, e2?.message)  // empty path → description is just the message
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try JSON.parse(bytes(ok)))
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        assertParseError(tooDeep, "nesting deeper than 512")
        let objs = String(repeating: "{\"a\":", count: 100_000)
        assertParseError(objs, "nesting deeper than 512")
        assertParseError(String(repeating: "[", count: 1_000_000), "nesting deeper than 512")
    }

    func testObjectOrderAndDuplicates() throws {
        let v = try JSON.parse(bytes(#"{"z":1,"a":2,"m":3,"a":4}"#))
        XCTAssertEqual(v.objectValue?.map(\.0), ["z", "a", "m", "a"])
        XCTAssertEqual(v["a"], .number("4"))  // last wins
        XCTAssertNil(v["nope"])
    }

    func testEquality() {
        XCTAssertEqual(JSONValue.object([("a", 1), ("b", 2)]), ["a": 1, "b": 2])
        XCTAssertNotEqual(JSONValue.object([("a", 1), ("b", 2)]), ["b": 2, "a": 1])
        XCTAssertNotEqual(JSONValue.number("1"), .number("1.0"))
        XCTAssertNotEqual(JSONValue.array([1]), .array([1, 2]))
        XCTAssertNotEqual(JSONValue.null, .bool(false))
        XCTAssertEqual(JSONValue.array([nil, true, "x", 1.5]), .array([.null, .bool(true), .string("x"), .number("1.5")]))
    }

    func testAccessors() throws {
        let v = try JSON.parse(bytes(#"{"a":[1,"x",true,null,-5,1.5,18446744073709551615]}"#))
        XCTAssertEqual(v["a"]?[0]?.int64Value, 1)
        XCTAssertEqual(v["a"]?[1]?.stringValue, "x")
        XCTAssertEqual(v["a"]?[2]?.boolValue, true)
        XCTAssertEqual(v["a"]?[3]?.isNull, true)
        XCTAssertEqual(v["a"]?[4]?.int64Value, -5)
        XCTAssertNil(v["a"]?[4]?.uint64Value)
        XCTAssertNil(v["a"]?[5]?.int64Value)
        XCTAssertEqual(v["a"]?[5]?.doubleValue, 1.5)
        XCTAssertEqual(v["a"]?[6]?.uint64Value, UInt64.max)
        XCTAssertNil(v["a"]?[6]?.int64Value)
        XCTAssertNil(v["a"]?[7])
        XCTAssertNil(v["a"]?[-1])
        XCTAssertEqual(v["a"]?.arrayValue?.count, 7)
        XCTAssertEqual(v.kind, "object")
        XCTAssertEqual(v.description, #"{"a":[1,"x",true,null,-5,1.5,18446744073709551615]}"#)
    }
}

/// `JSON.decode(_:from:skipping:)`: the top-level member is checked as strictly as `parse` checks
/// it (the same errors) and decodes as null; a nested member of that name is built.
final class SkippedMemberTests: XCTestCase {
    struct Inner: Decodable, Equatable { let config: [Int] }
    struct Summary: Decodable { let id: String; let config: [String: Int]?; let inner: Inner }

    func testSkippedMemberDecodesAsNullAndNestedOnesAreBuilt() throws {
        let text = #"{"id":"a","config":{"x":[1,-2.5e3,"s\u00e9\n",true,false,null,{"config":{}}],"é":"ü"},"inner":{"config":[1,2]}}"#
        let s = try JSON.decode(Summary.self, from: bytes(text), skipping: "config")
        XCTAssertEqual(s.id, "a")
        XCTAssertNil(s.config)
        XCTAssertEqual(s.inner, Inner(config: [1, 2]))
        // Without skipping, the same document is read whole (config is not [String: Int]).
        XCTAssertThrowsError(try JSON.decode(Summary.self, from: bytes(text)))
    }

    /// `JSON.parse(_:keeping:)`: the top-level members not named stand as null, in their place; the
    /// named ones and everything inside them are built whole.
    func testOnlyKeptMembersAreBuilt() throws {
        let text = #"{"id":"a","config":{"x":[1,"s\u00e9"]},"inner":{"config":[1,2],"id":3},"id":"b","n":7}"#
        let v = try JSON.parse(bytes(text), keeping: ["id", "inner"])
        XCTAssertEqual(v, .object([("id", "a"), ("config", nil), ("inner", ["config": [1, 2], "id": 3]), ("id", "b"), ("n", nil)]))
        XCTAssertEqual(try JSON.parse(bytes(text), keeping: []), .object([("id", nil), ("config", nil), ("inner", nil), ("id", nil), ("n", nil)]))
        XCTAssertEqual(try JSON.parse(bytes("[1,{\"a\":2}]"), keeping: []), [1, ["a": 2]])
    }

    func testSkippedMemberHasParsesErrors() {
        let bad: [[UInt8]] = [
            bytes("01"), bytes("-"), bytes("1."), bytes("1e"), bytes("[1,]"), bytes("[1 2]"), bytes(#"{"a" 1}"#),
            bytes(#"{"a":}"#), bytes(#"{1:2}"#), bytes(#""abc"#), bytes(#""\x""#), bytes(#""\ud800""#),
            bytes("\"a\tb\""), [0x22, 0xFF, 0x22], [0x22, 0xC0, 0x80, 0x22], bytes("tru"), bytes("nul"), bytes(""),
            bytes(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)),
        ]
        for value in bad {
            let doc = bytes(#"{"id":"a","config":"#) + value + bytes(#","inner":{"config":[]}}"#)
            var expected = ""
            do { _ = try JSON.parse(doc); XCTFail("parse accepted \(String(decoding: value, as: UTF8.self))") } catch let e as JSONError {
                expected = e.message
            } catch { XCTFail("\(error)") }
            XCTAssertThrowsError(try JSON.decode(Summary.self, from: doc, skipping: "config"), String(decoding: value, as: UTF8.self)) { e in
                XCTAssertEqual((e as? JSONError)?.message, expected, String(decoding: value, as: UTF8.self))
            }
            XCTAssertThrowsError(try JSON.parse(doc, keeping: ["id", "inner"]), String(decoding: value, as: UTF8.self)) { e in
                XCTAssertEqual((e as? JSONError)?.message, expected, String(decoding: value, as: UTF8.self))
            }
        }
    }
}
