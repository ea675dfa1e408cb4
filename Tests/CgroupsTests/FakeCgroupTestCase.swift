import Foundation
import XCTest

/// A test case with a fresh directory of plain files standing in for a cgroup, removed after each test:
/// what this host's cgroups cannot provide is written there and read back.
class FakeCgroupTestCase: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        dir = NSTemporaryDirectory() + "cgroups-fake-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
        try super.tearDownWithError()
    }

    /// Creates `files`, each empty unless `contents` has its text.
    func touch(_ files: [String], _ contents: [String: String] = [:]) {
        for f in files { FileManager.default.createFile(atPath: dir + "/" + f, contents: Data((contents[f] ?? "").utf8)) }
    }

    /// Creates each file with its text.
    func write(_ files: [String: String]) { touch(Array(files.keys), files) }

    /// Each file has the text given.
    func assertFiles(_ expected: KeyValuePairs<String, String>, file: StaticString = #filePath, line: UInt = #line) {
        for (f, text) in expected { XCTAssertEqual(read(f), text, f, file: file, line: line) }
    }

    func read(_ f: String) -> String {
        ((try? String(contentsOfFile: dir + "/" + f, encoding: .utf8)) ?? "<missing>")
    }
}
