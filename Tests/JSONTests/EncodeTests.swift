import XCTest
@testable import JSON

func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

final class EncodeTests: XCTestCase {
    struct Ordered: Codable, Equatable {
        var zeta: Int
        var alpha: String
        var mid: Bool?
        var list: [Int]
        var opt: String?
    }

    func testKeyOrderAndNilOmitted() throws {
        let v = Ordered(zeta: 1, alpha: "a", mid: nil, list: [1, 2], opt: nil)
        XCTAssertEqual(text(try JSON.encode(v)), #"{"zeta":1,"alpha":"a","list":[1,2]}"#)
        let w = Ordered(zeta: -1, alpha: "", mid: false, list: [], opt: "x")
        XCTAssertEqual(text(try JSON.encode(w)), #"{"zeta":-1,"alpha":"","mid":false,"list":[],"opt":"x"}"#)
    }

    func testDictionariesSorted() throws {
        var d: [String: Int] = [:]
        for k in ["b", "a", "c", "B", "aa", "é", "_"] { d[k] = k.utf8.count }
        XCTAssertEqual(text(try JSON.encode(d)), #"{"B":1,"_":1,"a":1,"aa":2,"b":1,"c":1,"é":2}"#)
        struct S: Encodable { var m: [String: [String: Bool]]; var z = 0 }
        XCTAssertEqual(text(try JSON.encode(S(m: ["y": ["q": true, "p": false], "x": [:]]))),
                       #"{"m":{"x":{},"y":{"p":false,"q":true}},"z":0}"#)
        XCTAssertEqual(text(try JSON.encode([2: "b", 1: "a"])), #"{"1":"a","2":"b"}"#)
    }

    /// [String] and [String: String] have their own encoding path: same output as any array and dictionary.
    func testStringArraysAndMapsEncodeAsAnyOther() throws {
        struct W: Encodable {
            var list: [String]
            var map: [String: String]
            var empty: [String: String]
            var none: [String]?
        }
        let w = W(list: ["b", "a"], map: ["b": "1", "a": "2", "é": "3", "B": "4"], empty: [:], none: nil)
        XCTAssertEqual(text(try JSON.encode(w)), #"{"list":["b","a"],"map":{"B":"4","a":"2","b":"1","é":"3"},"empty":{}}"#)
        XCTAssertEqual(text(try JSON.encode(["x": "1"])), #"{"x":"1"}"#)
    }

    func testStringEscaping() throws {
        let s = "q\"b\\s/é😀\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}\u{2028}<>&"
        let out = text(try JSON.encode(s))
        XCTAssertEqual(out, "\"q\\\"b\\\\s/é😀\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f}\u{2028}<>&\"")
        XCTAssertEqual(try JSON.parse(bytes(out)), .string(s))
        XCTAssertEqual(text(JSON.serialize(.object([("k\"ey\n", .string("v"))]))), #"{"k\"ey\n":"v"}"#)
    }

    func testNumbers() throws {
        XCTAssertEqual(text(try JSON.encode([1.0, -0.5, 0.1, 1e100, 123456789.0, Double.leastNonzeroMagnitude, -0.0, 1e16, 2.5e-7])),
                       "[1,-0.5,0.1,1e+100,123456789,5e-324,-0,1e+16,2.5e-07]")
        XCTAssertEqual(text(try JSON.encode([Float(0.1), 3, 1.5e10])), "[0.1,3,1.5e+10]")
        XCTAssertEqual(text(try JSON.encode([Int64.min, Int64.max])), "[-9223372036854775808,9223372036854775807]")
        XCTAssertEqual(text(try JSON.encode(UInt64.max)), "18446744073709551615")
        XCTAssertEqual(text(try JSON.encode(Int128.min)), "-170141183460469231731687303715884105728")
        struct N: Encodable { var a: Int8 = -8; var b: UInt16 = 16; var c: Double = 2; var d: Float = -1.25 }
        XCTAssertEqual(text(try JSON.encode(N())), #"{"a":-8,"b":16,"c":2,"d":-1.25}"#)
        // Every emitted double parses back to the same value.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            let out = try JSON.encode(d)
            XCTAssertEqual(try JSON.decode(Double.self, from: out), d, text(out))
        }
    }

    func testNonFiniteRejected() {
        struct S: Encodable { var inner: [String: [Double]] }
        XCTAssertThrowsError(try JSON.encode(S(inner: ["k": [1, .nan]]))) { e in
            XCTAssertEqual((e as? JSONError)?.path, "inner.k[1]")
            XCTAssertEqual((e as? JSONError)?.message, "cannot encode non-finite number nan")
        }
        XCTAssertThrowsError(try JSON.encode(Float.infinity))
    }

    func testEncodingErrorConverted() {
        struct Bad: Encodable {
            func encode(to encoder: Encoder) throws {
                throw EncodingError.invalidValue(1, .init(codingPath: encoder.codingPath, debugDescription: "nope"))
            }
        }
        struct Outer: Encodable { var list: [Bad] }
        XCTAssertThrowsError(try JSON.encode(Outer(list: [Bad()]))) { e in
            XCTAssertEqual((e as? JSONError)?.description, "list[0]: nope")
        }
    }

    func testPrettyShape() throws {
        struct P: Encodable {
            var name = "x"
            var empty: [Int] = []
            var emptyObj: [String: Int] = [:]
            var list = [1, 2]
            var nested = ["k": ["a", "b"]]
            var objs = [["z": 1]]
        }
        let expected = """
        {
          "name": "x",
          "empty": [],
          "emptyObj": {},
          "list": [
            1,
            2
          ],
          "nested": {
            "k": [
              "a",
              "b"
            ]
          },
          "objs": [
            {
              "z": 1
            }
          ]
        }
        """
        XCTAssertEqual(text(try JSON.encode(P(), pretty: true)), expected)
        XCTAssertEqual(text(try JSON.encode(P())),
                       #"{"name":"x","empty":[],"emptyObj":{},"list":[1,2],"nested":{"k":["a","b"]},"objs":[{"z":1}]}"#)
        XCTAssertEqual(text(try JSON.encode(5, pretty: true)), "5")
    }

    func testRoundTrip() throws {
        let spec = try JSON.decode(Spec.self, from: bytes(sampleSpec))
        for pretty in [false, true] {
            let out = try JSON.encode(spec, pretty: pretty)
            XCTAssertEqual(try JSON.decode(Spec.self, from: out), spec)
        }
        // parse → serialize → parse is the identity on JSONValue (order and number text preserved).
        let v = try JSON.parse(bytes(sampleSpec))
        XCTAssertEqual(try JSON.parse(JSON.serialize(v)), v)
        XCTAssertEqual(try JSON.parse(JSON.serialize(v, pretty: true)), v)
        // Serialization of a parsed compact document reproduces it byte for byte.
        let compact = #"{"a":[1,2.50,-3e+7,{"b":null,"c":"\u00e9\n"}],"d":true,"a":false}"#
        XCTAssertEqual(text(JSON.serialize(try JSON.parse(bytes(compact)))),
                       #"{"a":[1,2.50,-3e+7,{"b":null,"c":"é\n"}],"d":true,"a":false}"#)
    }

    func testEncodeValue() throws {
        let v = try JSON.encodeValue(EncodeTests.Ordered(zeta: 1, alpha: "a", mid: true, list: [], opt: nil))
        XCTAssertEqual(v, ["zeta": 1, "alpha": "a", "mid": true, "list": []])
        XCTAssertEqual(try JSON.encodeValue(JSONValue.number("1.50")), .number("1.50"))
        XCTAssertEqual(try JSON.encodeValue([String]()), .array([]))
        XCTAssertEqual(try JSON.encodeValue(Optional<Int>.none), .null)
    }

    struct Custom: Encodable {
        enum K: String, CodingKey { case a, b, c, d }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(1, forKey: .a)
            var n = c.nestedContainer(keyedBy: K.self, forKey: .b)
            try n.encode("x", forKey: .c)
            var u = c.nestedUnkeyedContainer(forKey: .c)
            try u.encode(true)
            try u.encodeNil()
            var uk = u.nestedContainer(keyedBy: K.self)
            try uk.encode(2.5, forKey: .d)
            var uu = u.nestedUnkeyedContainer()
            try uu.encode("y")
            try c.encode(3, forKey: .a)  // overwrite keeps position
            // A second nested container under the same key continues the first.
            var n2 = c.nestedContainer(keyedBy: K.self, forKey: .b)
            try n2.encode("z", forKey: .d)
            var u2 = c.nestedUnkeyedContainer(forKey: .c)
            try u2.encode(4)
            try c.encodeNil(forKey: .d)
            // Second request for the same container returns the same storage.
            var again = encoder.container(keyedBy: K.self)
            try again.encodeIfPresent(Optional<Int>.none, forKey: .d)
        }
    }

    func testManualContainers() throws {
        XCTAssertEqual(text(try JSON.encode(Custom())), #"{"a":3,"b":{"c":"x","d":"z"},"c":[true,null,{"d":2.5},["y"],4],"d":null}"#)
    }

    func testEmptyEncodableIsEmptyObject() throws {
        struct E: Encodable {}
        XCTAssertEqual(text(try JSON.encode([E()])), "[{}]")
    }
}
