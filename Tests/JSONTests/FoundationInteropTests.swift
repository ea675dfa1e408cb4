import Foundation  // tests only
import JSON
import XCTest

/// Output must be readable by other JSON implementations, and JSONValue must work with other coders.
final class FoundationInteropTests: XCTestCase {
    func testFoundationReadsOurOutput() throws {
        let spec = try JSON.decode(Spec.self, from: bytes(sampleSpec))
        for pretty in [false, true] {
            let fromFoundation = try JSONDecoder().decode(Spec.self, from: Data(try JSON.encode(spec, pretty: pretty)))
            XCTAssertEqual(fromFoundation, spec)
        }
        let ours = try JSON.decode(Spec.self, from: Array(try JSONEncoder().encode(spec)))
        XCTAssertEqual(ours, spec)
    }

    func testJSONValueWithFoundationCoders() throws {
        let v: JSONValue = ["a": [1, 2.5, "x", nil, true], "b": ["c": -3]]
        let data = try JSONEncoder().encode(v)
        let back = try JSONDecoder().decode(JSONValue.self, from: data)
        XCTAssertEqual(back["a"], [1, 2.5, "x", nil, true])
        XCTAssertEqual(back["b"]?["c"], -3)
    }

    func testEscapedStringsAgreeWithFoundation() throws {
        var rng = XorShift(state: 7)
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 12) {
                let r = rng.next() % 4
                let v: UInt32 = r == 0 ? UInt32(rng.next() % 0x20) : r == 1 ? UInt32(0x20 + rng.next() % 0x60)
                    : r == 2 ? UInt32(0x80 + rng.next() % 0xD000) : UInt32(0x10000 + rng.next() % 0xFFFFF)
                if let s = Unicode.Scalar(v) { scalars.append(s) }
            }
            let s = String(scalars)
            let out = try JSON.encode([s])
            XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data(out)), [s])
            XCTAssertEqual(try JSON.decode([String].self, from: Array(try JSONEncoder().encode([s]))), [s])
        }
    }
}
