import XCTest
@testable import JSON

/// Deterministic xorshift so failures are reproducible.
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

final class FuzzTests: XCTestCase {
    func check(_ input: [UInt8]) {
        do {
            let v = try JSON.parse(input)
            // Whatever parses must re-serialize to something that parses to the same value.
            let again = try JSON.parse(JSON.serialize(v))
            XCTAssertEqual(again, v)
            // And decoding into a few shapes must throw or succeed, never trap.
            _ = try? JSON.decode(Spec.self, from: v)
            _ = try? JSON.decode([String: JSONValue].self, from: v)
            _ = try? JSON.decode([Int].self, from: v)
            _ = try? JSON.decode(UInt8.self, from: v)
        } catch is JSONError {
            // fine
        } catch {
            XCTFail("unexpected error type \(error)")
        }
    }

    func testRandomBytes() {
        var rng = XorShift(state: 0x9E3779B97F4A7C15)
        let alphabet = Array("{}[]\",:0123456789-+.eE tfnrlsua\\/\n\t".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]
        for _ in 0..<3000 {
            let len = Int(rng.next() % 40)
            var input: [UInt8] = []
            for _ in 0..<len {
                input.append(rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))])
            }
            check(input)
        }
    }

    func testTruncationsAndMutations() {
        let doc = Array(sampleSpec.utf8) + Array(#"[{"\ud83d\ude00":"\u00e9","n":[-0.5e-3,1E+2,0]},"é😀"]"#.utf8)
        // Every prefix.
        for n in 0...doc.count { check(Array(doc[0..<n])) }
        // Random single/multi byte mutations, deletions, insertions.
        var rng = XorShift(state: 42)
        for _ in 0..<3000 {
            var m = doc
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = Int(rng.next() % UInt64(m.count))
                switch rng.next() % 3 {
                case 0: m[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: m.remove(at: i)
                default: m.insert(Array("{}[]\",:\\u0e".utf8)[Int(rng.next() % 11)], at: i)
                }
            }
            check(m)
        }
    }

    func testDeepAndHugeInputs() {
        check(Array(String(repeating: "[", count: 200_000).utf8))
        check(Array(String(repeating: "{\"a\":[", count: 50_000).utf8))
        check(Array(("[" + String(repeating: "1,", count: 100_000) + "1]").utf8))
        check(Array(("\"" + String(repeating: "\\u00e9", count: 10_000) + "\"").utf8))
        check(Array(String(repeating: "9", count: 10_000).utf8))
        _ = try? JSON.decode(Int.self, from: Array(("1" + String(repeating: "0", count: 5000) + "e-4999").utf8))
        _ = try? JSON.decode(Int.self, from: Array("1e99999999999999999999999".utf8))
        _ = try? JSON.decode(Int.self, from: Array("1e-99999999999999999999999".utf8))
        XCTAssertEqual(try JSON.decode(Int.self, from: Array("1000e-3".utf8)), 1)
        XCTAssertEqual(try JSON.decode(Int.self, from: Array(("0." + String(repeating: "0", count: 3000) + "1e3001").utf8)), 1)
    }
}

final class DepthTests: XCTestCase {
    final class Node: Codable {
        var c: [Node]
        init(c: [Node]) { self.c = c }
    }

    func testDeepRecursiveDecodeEncode() throws {
        // Deepest document the parser accepts: 255 Node levels = 510 containers.
        let depth = 255
        let text = String(repeating: #"{"c":["#, count: depth) + String(repeating: "]}", count: depth)
        let node = try JSON.decode(Node.self, from: bytes(text))
        var d = 0
        var cur: Node? = node
        while let n = cur { d += 1; cur = n.c.first }
        XCTAssertEqual(d, depth)
        XCTAssertEqual(text, String(decoding: try JSON.encode(node), as: UTF8.self))
        let v = try JSON.parse(bytes(text))
        XCTAssertEqual(v, try JSON.parse(JSON.serialize(v, pretty: true)))
    }
}
