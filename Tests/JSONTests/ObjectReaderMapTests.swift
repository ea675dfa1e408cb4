import XCTest
@testable import JSON

/// The maps of config.json (netDevices, timeOffsets, rdma; annotations, sysctl, unified) keep each
/// name's last member, as the Codable decoder's dictionaries did: on both sides of the size where
/// the reader switches from a look at the rest to a table of last positions.
final class ObjectReaderMapTests: XCTestCase {
    private func object(_ members: [(String, JSONValue)]) -> JSONValue { .object(members) }

    func testLastMembersKeepsEachNamesLastValueInOrder() throws {
        for count in [3, 16, 17, 40] {
            var members: [(String, JSONValue)] = (0..<count).map { ("k\($0 % max(1, count / 2))", .string("v\($0)")) }
            members.append(("k0", .string("last")))
            let kept = try JSONObjectReader.lastMembers(object(members), at: "m")
            XCTAssertEqual(Set(kept.map(\.0)).count, kept.count, "count \(count): a name kept twice")
            XCTAssertEqual(kept.last?.0, "k0", "count \(count)")
            if case .string(let s)? = kept.last?.1 { XCTAssertEqual(s, "last") } else { XCTFail("count \(count)") }
            let expected = members.enumerated().filter { i, m in !members[(i + 1)...].contains { $0.0 == m.0 } }.map(\.element.0)
            XCTAssertEqual(kept.map(\.0), expected, "count \(count)")
        }
    }

    func testStringMapSkipsAValueThatIsNotAStringOnlyWhenTheNameComesAgain() throws {
        for filler in [0, 30] {
            var members: [(String, JSONValue)] = (0..<filler).map { ("f\($0)", .string("x")) }
            members += [("a", .bool(true)), ("b", .string("1")), ("a", .string("2"))]
            let map = try JSONObjectReader.stringMap(object(members), at: "annotations")
            XCTAssertEqual(map["a"], "2")
            XCTAssertEqual(map["b"], "1")
            members.append(("b", .number("1")))
            XCTAssertThrowsError(try JSONObjectReader.stringMap(object(members), at: "annotations"), "filler \(filler)") { e in
                XCTAssertTrue("\(e)".contains("annotations"), "\(e)")
            }
        }
    }
}
