import XCTest
import Glibc
import JSON
@testable import RuntimeSpec

/// Spec and Process read from swiftlet's JSON decoder without Codable (Read.swift, made by
/// tools/spec-reader.py). Each test decodes documents both ways, directly and through the Codable
/// code (`JSON.decodeByCodable`), and wants the same value or the same error (path and message):
/// the model's full config, the captured engine configs, and every one-member change of them a
/// config could make (a member removed, null, each JSON kind, numbers out of range, duplicates).
final class SpecReadingTests: XCTestCase {
    static let repo: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    /// The documents the changes start from.
    func corpus() throws -> [(String, JSONValue)] {
        var docs = [("fullConfig", try JSON.parse(Array(fullConfig.utf8)))]
        docs.append(("defaultSpec", try JSON.encodeValue(Spec.defaultSpec(rootless: false))))
        docs.append(("defaultSpec rootless", try JSON.encodeValue(Spec.defaultSpec(rootless: true))))
        let dir = SpecReadingTests.repo + "/conformance/configs"
        for name in ["docker", "podman", "runc-spec", "ctr", "ctr-seccomp", "cri-container", "cri-sandbox"] {
            docs.append((name, try JSON.parse(try SpecFile.read("\(dir)/\(name).json"))))
        }
        return docs
    }

    /// What stands in for a value: each JSON kind, integers at and past the ends of the model's types.
    static let replacements: [JSONValue] = [
        .null, .bool(true), .string("x"), .number("0"), .number("-1"), .number("1.5"), .number("1e3"),
        .number("65536"), .number("4294967296"), .number("18446744073709551616"), .number("-9223372036854775809"),
        .object([]), .object([("k", .null)]), .object([("k", .number("1"))]), .object([("k", .string("v"))]),
        .array([]), .array([.null]), .array([.number("1")]), .array([.string("x")]), .array([.object([])]),
    ]

    /// One value of each JSON kind, for the larger documents.
    static let kinds: [JSONValue] = [.null, .bool(false), .string("x"), .number("-1"), .object([]), .array([])]

    /// Every document that differs from `doc` in one place (a value replaced by one of `replacements`).
    static func changes(of doc: JSONValue, replacements: [JSONValue] = replacements) -> [JSONValue] {
        var out: [JSONValue] = replacements
        switch doc {
        case .object(let members):
            for (i, (name, value)) in members.enumerated() {
                var without = members
                without.remove(at: i)
                out.append(.object(without))
                // A duplicate after it (the last one counts) and before it.
                out.append(.object(members + [(name, .null)]))
                out.append(.object([(name, .string("x"))] + members))
                for changed in changes(of: value, replacements: replacements) {
                    var m = members
                    m[i].1 = changed
                    out.append(.object(m))
                }
            }
            out.append(.object(members + [("unknownMember", .number("1"))]))
        case .array(let elements):
            for (i, value) in elements.enumerated() {
                var without = elements
                without.remove(at: i)
                out.append(.array(without))
                for changed in changes(of: value, replacements: replacements) {
                    var e = elements
                    e[i] = changed
                    out.append(.array(e))
                }
            }
        default:
            break
        }
        return out
    }

    func assertSame<T: Decodable & Equatable>(_ type: T.Type, _ doc: JSONValue, _ name: String,
                                              file: StaticString = #filePath, line: UInt = #line) {
        let direct = Result { try JSON.decode(type, from: doc) }
        let codable = Result { try JSON.decodeByCodable(type, from: doc) }
        switch (direct, codable) {
        case (.success(let a), .success(let b)):
            if a != b { XCTFail("\(name): values differ for \(String(decoding: JSON.serialize(doc), as: UTF8.self))", file: file, line: line) }
        case (.failure(let a), .failure(let b)):
            if "\(a)" != "\(b)" {
                XCTFail("\(name): errors differ: \(a) | \(b) for \(String(decoding: JSON.serialize(doc), as: UTF8.self))",
                        file: file, line: line)
            }
        default:
            XCTFail("\(name): \(direct) | \(codable) for \(String(decoding: JSON.serialize(doc), as: UTF8.self))",
                    file: file, line: line)
        }
    }

    func testCorpusDecodesAsByCodable() throws {
        for (name, doc) in try corpus() {
            assertSame(Spec.self, doc, name)
            XCTAssertEqual(try JSON.decode(Spec.self, from: doc), try JSON.decodeByCodable(Spec.self, from: doc), name)
        }
    }

    func testEveryOneMemberChangeOfTheFullConfigDecodesAsByCodable() throws {
        let doc = try JSON.parse(Array(fullConfig.utf8))
        let changed = SpecReadingTests.changes(of: doc)
        XCTAssertGreaterThan(changed.count, 5000)
        var failures = 0
        for c in changed {
            assertSame(Spec.self, c, "fullConfig")
            if case .failure = Result(catching: { try JSON.decode(Spec.self, from: c) }) { failures += 1 }
        }
        // The changes reach the errors as well as the values.
        XCTAssertGreaterThan(failures, changed.count / 3)
        XCTAssertLessThan(failures, changed.count)
    }

    func testEveryOneMemberChangeOfTheEngineConfigsDecodesAsByCodable() throws {
        for (name, doc) in try corpus().dropFirst() {
            for c in SpecReadingTests.changes(of: doc, replacements: SpecReadingTests.kinds) { assertSame(Spec.self, c, name) }
        }
    }

    /// `exec --process`: Process alone, and a missing user is root.
    func testProcessDecodesAsByCodable() throws {
        let process = try XCTUnwrap(try JSON.parse(Array(fullConfig.utf8))["process"])
        for c in SpecReadingTests.changes(of: process) { assertSame(Process.self, c, "process") }
        let noUser = try JSON.decode(Process.self, from: try JSON.parse(Array(#"{"cwd": "/"}"#.utf8)))
        XCTAssertEqual(noUser.user, User(uid: 0, gid: 0))
    }

    /// Spec inside another type's document (state.json keeps the config): error paths start there.
    func testNestedSpecErrorPathsStartAtItsMember() throws {
        struct Wrapper: Decodable, Equatable { var config: [Spec] }
        let doc = try JSON.parse(Array(#"{"config": [{"ociVersion": "1.3.0", "process": {"cwd": 1}}]}"#.utf8))
        XCTAssertThrowsError(try JSON.decode(Wrapper.self, from: doc)) {
            XCTAssertEqual("\($0)", "config[0].process.cwd: expected a string, got number")
        }
        assertSame(Wrapper.self, doc, "wrapper")
    }

    /// Read.swift is what the script makes of Model.swift: a field added to the model is read too.
    func testReadSwiftIsUpToDate() throws {
        let status = system("python3 \(SpecReadingTests.repo)/tools/spec-reader.py --check")
        XCTAssertEqual(status, 0, "run tools/spec-reader.py")
    }
}
