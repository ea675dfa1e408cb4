import XCTest
@testable import JSON

// A miniature OCI-like model.
struct Spec: Codable, Equatable {
    var ociVersion: String
    var process: Process?
    var mounts: [Mount]?
    var linux: Linux?
    var annotations: [String: String]?
}

struct Process: Codable, Equatable {
    var terminal: Bool?
    var user: User
    var args: [String]?
    var env: [String]?
    var cwd: String
}

struct User: Codable, Equatable {
    var uid: UInt32
    var gid: UInt32
    var additionalGids: [UInt32]?
}

struct Mount: Codable, Equatable {
    var destination: String
    var type: String?
    var source: String?
    var options: [String]?
}

struct Linux: Codable, Equatable {
    var namespaces: [Namespace]?
    var sysctl: [String: String]?
}

struct Namespace: Codable, Equatable {
    var type: String
    var path: String?
}

func assertDecodeError<T: Decodable>(_ t: T.Type, _ text: String, path: String, message: String,
                                     file: StaticString = #filePath, line: UInt = #line)
{
    do {
        let v = try JSON.decode(t, from: bytes(text))
        XCTFail("expected error, got \(v)", file: file, line: line)
    } catch let e as JSONError {
        XCTAssertEqual(e.path, path, file: file, line: line)
        XCTAssertEqual(e.message, message, file: file, line: line)
    } catch {
        XCTFail("not a JSONError: \(type(of: error)) \(error)", file: file, line: line)
    }
}

let sampleSpec = #"""
{
  "ociVersion": "1.2.0",
  "unknownTopLevel": {"deep": [1, 2, {"x": null}]},
  "process": {
    "terminal": true,
    "user": {"uid": 1000, "gid": 1000, "additionalGids": [5, 6], "umask": 18},
    "args": ["sh", "-c", "echo \"hi\""],
    "env": ["PATH=/usr/bin"],
    "cwd": "/"
  },
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "network", "path": "/proc/1/ns/net"}],
    "sysctl": {"net.ipv4.ip_forward": "1"}
  },
  "annotations": {"b": "2", "a": "1"}
}
"""#

final class DecodeTests: XCTestCase {
    func testDecodeSpec() throws {
        let s = try JSON.decode(Spec.self, from: bytes(sampleSpec))
        XCTAssertEqual(s.ociVersion, "1.2.0")
        XCTAssertEqual(s.process?.user, User(uid: 1000, gid: 1000, additionalGids: [5, 6]))
        XCTAssertEqual(s.process?.args, ["sh", "-c", "echo \"hi\""])
        XCTAssertEqual(s.process?.terminal, true)
        XCTAssertEqual(s.mounts?.count, 2)
        XCTAssertEqual(s.mounts?[1].options, ["nosuid", "strictatime", "mode=755"])
        XCTAssertNil(s.mounts?[0].options)
        XCTAssertEqual(s.linux?.namespaces?[2], Namespace(type: "network", path: "/proc/1/ns/net"))
        XCTAssertEqual(s.linux?.sysctl, ["net.ipv4.ip_forward": "1"])
        XCTAssertEqual(s.annotations, ["a": "1", "b": "2"])
    }

    func testMissingRequiredField() {
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":{"user":{"uid":0,"gid":0}}}"#,
                          path: "process.cwd", message: "required property missing")
        assertDecodeError(Spec.self, #"{}"#, path: "ociVersion", message: "required property missing")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","mounts":[{"destination":"/a"},{"type":"x"}]}"#,
                          path: "mounts[1].destination", message: "required property missing")
    }

    /// [String] and [String: String] have their own decoding path: a name given twice takes its last
    /// value, and only that one must be a string, as for any keyed container.
    func testStringMapDuplicateNamesTakeTheLastValue() throws {
        let s = try JSON.decode(Spec.self, from: Array(#"{"ociVersion":"1","annotations":{"a":1,"b":"x","a":"y"}}"#.utf8))
        XCTAssertEqual(s.annotations, ["a": "y", "b": "x"])
        assertDecodeError(Spec.self, #"{"ociVersion":"1","annotations":{"a":"y","a":1}}"#,
                          path: "annotations.a", message: "expected a string, got number")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","annotations":[]}"#,
                          path: "annotations", message: "expected an object, got array")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":{"user":{"uid":0,"gid":0},"cwd":"/","args":"sh"}}"#,
                          path: "process.args", message: "expected an array, got string")
    }

    func testTypeMismatchPaths() {
        assertDecodeError(Spec.self, #"{"ociVersion":"1","linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":3}]}}"#,
                          path: "linux.namespaces[2].type", message: "expected a string, got number")
        assertDecodeError(Spec.self, #"{"ociVersion":1}"#, path: "ociVersion", message: "expected a string, got number")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","mounts":{}}"#, path: "mounts", message: "expected an array, got object")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":[]}"#, path: "process", message: "expected an object, got array")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","mounts":[{"destination":"/","options":["a",false]}]}"#,
                          path: "mounts[0].options[1]", message: "expected a string, got boolean")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","annotations":{"a":"x","b":null}}"#,
                          path: "annotations.b", message: "expected a string, got null")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","linux":{"sysctl":{"k":[]}}}"#,
                          path: "linux.sysctl.k", message: "expected a string, got array")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":{"terminal":"yes","user":{"uid":0,"gid":0},"cwd":"/"}}"#,
                          path: "process.terminal", message: "expected a boolean, got string")
        assertDecodeError(Spec.self, #"[]"#, path: "", message: "expected an object, got array")
        assertDecodeError([String].self, #"["a",{}]"#, path: "[1]", message: "expected a string, got object")
        assertDecodeError([[Int]].self, #"[[1],[2,"x"]]"#, path: "[1][1]", message: "expected an integer, got string")
        assertDecodeError(Spec.self, #"{"ociVersion":null}"#, path: "ociVersion", message: "expected a string, got null")
    }

    func testIntegerRanges() {
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":{"user":{"uid":4294967296,"gid":0},"cwd":"/"}}"#,
                          path: "process.user.uid", message: "4294967296 does not fit in UInt32")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":{"user":{"uid":-1,"gid":0},"cwd":"/"}}"#,
                          path: "process.user.uid", message: "-1 does not fit in UInt32")
        assertDecodeError(Spec.self, #"{"ociVersion":"1","process":{"user":{"uid":0,"gid":0,"additionalGids":[1,2,-3]},"cwd":"/"}}"#,
                          path: "process.user.additionalGids[2]", message: "-3 does not fit in UInt32")
        assertDecodeError(Int32.self, "1099511627776", path: "", message: "1099511627776 does not fit in Int32")
        assertDecodeError(UInt8.self, "256", path: "", message: "256 does not fit in UInt8")
        assertDecodeError(Int8.self, "-129", path: "", message: "-129 does not fit in Int8")
        assertDecodeError(Int64.self, "9223372036854775808", path: "", message: "9223372036854775808 does not fit in Int64")
        assertDecodeError(UInt64.self, "18446744073709551616", path: "", message: "18446744073709551616 does not fit in UInt64")
        assertDecodeError(Int.self, "99999999999999999999999999999999999999999", path: "",
                          message: "99999999999999999999999999999999999999999 does not fit in Int")
        assertDecodeError(Int.self, "1e400", path: "", message: "1e400 does not fit in Int")
        assertDecodeError(Int.self, "1.5", path: "", message: "expected an integer, got 1.5")
        assertDecodeError(Int.self, "1e-1", path: "", message: "expected an integer, got 1e-1")
        assertDecodeError(UInt32.self, "\"5\"", path: "", message: "expected an integer, got string")
        assertDecodeError(Double.self, "1e400", path: "", message: "1e400 does not fit in Double")
        assertDecodeError(Float.self, "1e39", path: "", message: "1e39 does not fit in Float")
        assertDecodeError(Double.self, "true", path: "", message: "expected a number, got boolean")
    }

    func testIntegerBoundaries() throws {
        XCTAssertEqual(try JSON.decode(Int8.self, from: bytes("-128")), Int8.min)
        XCTAssertEqual(try JSON.decode(Int8.self, from: bytes("127")), Int8.max)
        XCTAssertEqual(try JSON.decode(Int16.self, from: bytes("-32768")), Int16.min)
        XCTAssertEqual(try JSON.decode(UInt16.self, from: bytes("65535")), UInt16.max)
        XCTAssertEqual(try JSON.decode(Int32.self, from: bytes("-2147483648")), Int32.min)
        XCTAssertEqual(try JSON.decode(UInt32.self, from: bytes("4294967295")), UInt32.max)
        XCTAssertEqual(try JSON.decode(Int64.self, from: bytes("-9223372036854775808")), Int64.min)
        XCTAssertEqual(try JSON.decode(Int64.self, from: bytes("9223372036854775807")), Int64.max)
        XCTAssertEqual(try JSON.decode(UInt64.self, from: bytes("18446744073709551615")), UInt64.max)
        XCTAssertEqual(try JSON.decode(UInt.self, from: bytes("18446744073709551615")), UInt.max)
        XCTAssertEqual(try JSON.decode(Int.self, from: bytes("-0")), 0)
        XCTAssertEqual(try JSON.decode(UInt8.self, from: bytes("-0")), 0)
        XCTAssertEqual(try JSON.decode(Int128.self, from: bytes("-170141183460469231731687303715884105728")), Int128.min)
        XCTAssertEqual(try JSON.decode(UInt128.self, from: bytes("340282366920938463463374607431768211455")), UInt128.max)
        // Exact integers written with fraction/exponent are accepted.
        XCTAssertEqual(try JSON.decode(Int.self, from: bytes("1.0")), 1)
        XCTAssertEqual(try JSON.decode(Int.self, from: bytes("1e3")), 1000)
        XCTAssertEqual(try JSON.decode(Int.self, from: bytes("2.50e1")), 25)
        XCTAssertEqual(try JSON.decode(Int.self, from: bytes("-12.3400e2")), -1234)
        XCTAssertEqual(try JSON.decode(Int.self, from: bytes("0.0e-5")), 0)
        XCTAssertEqual(try JSON.decode(UInt32.self, from: bytes("4294967295.000")), UInt32.max)
        XCTAssertEqual(try JSON.decode(Int64.self, from: bytes("-9.223372036854775808e18")), Int64.min)
        XCTAssertEqual(try JSON.decode(Double.self, from: bytes("1e-400")), 0)
        XCTAssertEqual(try JSON.decode(Double.self, from: bytes("0.1")), 0.1)
        XCTAssertEqual(try JSON.decode(Float.self, from: bytes("0.1")), Float(0.1))
        XCTAssertEqual(try JSON.decode(Double.self, from: bytes("5")), 5)
    }

    func testUnknownKeysIgnored() throws {
        let u = try JSON.decode(User.self, from: bytes(#"{"x":{"y":[1,{"z":"q"}]},"uid":1,"zzz":null,"gid":2}"#))
        XCTAssertEqual(u, User(uid: 1, gid: 2, additionalGids: nil))
    }

    func testNullIsAbsent() throws {
        let u = try JSON.decode(User.self, from: bytes(#"{"uid":1,"gid":2,"additionalGids":null}"#))
        XCTAssertNil(u.additionalGids)
        let arr = try JSON.decode([Int?].self, from: bytes("[1,null,3]"))
        XCTAssertEqual(arr, [1, nil, 3])
        let dict = try JSON.decode([String: Int?].self, from: bytes(#"{"a":null,"b":2}"#))
        let expected: [String: Int?] = ["a": Int?.none, "b": 2]
        XCTAssertEqual(dict, expected)
        let top = try JSON.decode(Int?.self, from: bytes("null"))
        XCTAssertNil(top)
    }

    func testDuplicateKeysLastWins() throws {
        let u = try JSON.decode(User.self, from: bytes(#"{"uid":1,"gid":2,"uid":3}"#))
        XCTAssertEqual(u.uid, 3)
        let d = try JSON.decode([String: Int].self, from: bytes(#"{"a":1,"b":2,"a":3}"#))
        XCTAssertEqual(d, ["a": 3, "b": 2])
    }

    func testDictionaries() throws {
        var big = "{"
        for i in 0..<100 { big += (i > 0 ? "," : "") + "\"k\(i)\":\(i)" }
        big += "}"
        let d = try JSON.decode([String: Int].self, from: bytes(big))
        XCTAssertEqual(d.count, 100)
        XCTAssertEqual(d["k57"], 57)
        let nested = try JSON.decode([String: [String: [Int]]].self, from: bytes(#"{"a":{"b":[1,2]},"c":{}}"#))
        XCTAssertEqual(nested, ["a": ["b": [1, 2]], "c": [:]])
        assertDecodeError([String: [String: [Int]]].self, #"{"a":{"b":[1,"2"]}}"#, path: "a.b[1]",
                          message: "expected an integer, got string")
        let intKeys = try JSON.decode([Int: String].self, from: bytes(#"{"1":"a","20":"b"}"#))
        XCTAssertEqual(intKeys, [1: "a", 20: "b"])
        assertDecodeError([String: Int].self, "[]", path: "", message: "expected an object, got array")
    }

    func testLargeStructUsesIndex() throws {
        // > 12 members exercises the dictionary-indexed lookup path.
        var text = "{"
        for i in 0..<30 { text += "\"pad\(i)\":\(i)," }
        text += #""uid":7,"gid":8}"#
        XCTAssertEqual(try JSON.decode(User.self, from: bytes(text)), User(uid: 7, gid: 8, additionalGids: nil))
        assertDecodeError(User.self, String(text.dropLast(9)) + "}", path: "gid", message: "required property missing")
    }

    enum Color: String, Codable { case red, green }
    enum Shape: Codable, Equatable { case circle(radius: Double), square(side: Int) }

    struct Mixed: Codable, Equatable {
        var color: Color
        var shape: Shape
        var tuple: [Double]
        var f: Float
        var i8: Int8
        var u16: UInt16
        var raw: JSONValue?
    }

    func testEnumsAndMixed() throws {
        let text = #"{"color":"green","shape":{"square":{"side":3}},"tuple":[1,2.5,-1e3],"f":0.5,"i8":-3,"u16":9,"raw":{"any":[1,"two",null]}}"#
        let m = try JSON.decode(Mixed.self, from: bytes(text))
        XCTAssertEqual(m.color, .green)
        XCTAssertEqual(m.shape, .square(side: 3))
        XCTAssertEqual(m.tuple, [1, 2.5, -1000])
        XCTAssertEqual(m.raw, ["any": [1, "two", nil]])
        // Round trip keeps raw JSON verbatim.
        let again = try JSON.decode(Mixed.self, from: try JSON.encode(m))
        XCTAssertEqual(again, m)
        // Invalid raw value for a RawRepresentable enum is a DecodingError converted with its path.
        do {
            _ = try JSON.decode(Mixed.self, from: bytes(text.replacing("green", with: "blue")))
            XCTFail()
        } catch let e as JSONError {
            XCTAssertEqual(e.path, "color")
            XCTAssertTrue(e.message.contains("blue"), e.message)
        }
    }

    struct Validated: Decodable {
        var mode: String
        enum CodingKeys: String, CodingKey { case mode }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            mode = try c.decode(String.self, forKey: .mode)
            guard mode == "ro" || mode == "rw" else {
                throw DecodingError.dataCorruptedError(forKey: .mode, in: c, debugDescription: "mode must be ro or rw, got \(mode)")
            }
        }
    }

    struct Holder: Decodable { var items: [Validated] }

    func testCustomDecodingErrorConverted() {
        assertDecodeError(Holder.self, #"{"items":[{"mode":"ro"},{"mode":"xx"}]}"#, path: "items[1].mode",
                          message: "mode must be ro or rw, got xx")
        do {
            _ = try JSON.decode(Holder.self, from: bytes(#"{"items":[{"mode":"ro"},{"mode":"xx"}]}"#))
        } catch let e as JSONError {
            XCTAssertEqual(e.description, "items[1].mode: mode must be ro or rw, got xx")
        } catch { XCTFail("\(error)") }
    }

    class Base: Codable {
        var id: Int = 0
    }

    final class Derived: Base {
        var name = ""
        enum CodingKeys: String, CodingKey { case name }
        override init() { super.init() }
        required init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            try super.init(from: c.superDecoder())
        }
        override func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try super.encode(to: c.superEncoder())
        }
    }

    func testSuperDecoderAndEncoder() throws {
        let d = try JSON.decode(Derived.self, from: bytes(#"{"name":"n","super":{"id":4}}"#))
        XCTAssertEqual(d.name, "n")
        XCTAssertEqual(d.id, 4)
        XCTAssertEqual(String(decoding: try JSON.encode(d), as: UTF8.self), #"{"name":"n","super":{"id":4}}"#)
        assertDecodeError(Derived.self, #"{"name":"n","super":{"id":"x"}}"#, path: "super.id", message: "expected an integer, got string")
    }

    struct Manual: Decodable, Equatable {
        var a: Int
        var rest: [String]
        var nested: [String: Bool]
        var isNull: Bool
        init(from decoder: Decoder) throws {
            var u = try decoder.unkeyedContainer()
            XCTAssertEqual(u.count, 4)
            a = try u.decode(Int.self)
            var inner = try u.nestedUnkeyedContainer()
            rest = []
            while !inner.isAtEnd { rest.append(try inner.decode(String.self)) }
            let k = try u.nestedContainer(keyedBy: AnyKey.self)
            nested = [:]
            for key in k.allKeys { nested[key.stringValue] = try k.decode(Bool.self, forKey: key) }
            isNull = try u.decodeNil()
            XCTAssertTrue(u.isAtEnd)
            XCTAssertEqual(u.currentIndex, 4)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct TooShort: Decodable {
        init(from decoder: Decoder) throws {
            var u = try decoder.unkeyedContainer()
            _ = try u.decode(Int.self)
            _ = try u.decode(Int.self)
        }
    }

    func testUnkeyedManual() throws {
        let m = try JSON.decode(Manual.self, from: bytes(#"[1,["x","y"],{"p":true,"q":false},null]"#))
        XCTAssertEqual(m.a, 1)
        XCTAssertEqual(m.rest, ["x", "y"])
        XCTAssertEqual(m.nested, ["p": true, "q": false])
        XCTAssertTrue(m.isNull)
        assertDecodeError([TooShort].self, "[[1]]", path: "[0][1]", message: "unexpected end of array (it has 1 elements)")
    }

    func testCodingPathVisibleToTypes() throws {
        struct PathProbe: Decodable {
            var path: String
            init(from decoder: Decoder) throws { path = _formatPath(decoder.codingPath) }
        }
        struct Outer: Decodable { var list: [[String: PathProbe]] }
        let o = try JSON.decode(Outer.self, from: bytes(#"{"list":[{},{"k":{}}]}"#))
        XCTAssertEqual(o.list[1]["k"]?.path, "list[1].k")
    }

    func testDecodeFromValue() throws {
        let v: JSONValue = ["uid": 1, "gid": 2]
        XCTAssertEqual(try JSON.decode(User.self, from: v), User(uid: 1, gid: 2, additionalGids: nil))
        XCTAssertEqual(try JSON.decode(JSONValue.self, from: v), v)
        // Numbers built by hand are validated when decoded.
        assertDecodeError2(Double.self, .number("nan"), "invalid number nan")
        assertDecodeError2(Int.self, .number("0x10"), "invalid number 0x10")
    }

    func assertDecodeError2<T: Decodable>(_ t: T.Type, _ v: JSONValue, _ msg: String, line: UInt = #line) {
        XCTAssertThrowsError(try JSON.decode(t, from: v), line: line) { e in
            XCTAssertEqual((e as? JSONError)?.message, msg, line: line)
        }
    }

    func testSyntaxErrorThroughDecode() {
        assertDecodeError(User.self, "{\"uid\": 1,\n\"gid\": }", path: "",
                          message: "line 2 column 8: unexpected character '}' looking for beginning of value")
    }
}
