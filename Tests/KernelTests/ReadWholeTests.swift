// FD.readWhole: a file that comes in one piece is read in one read, and one that fills the first
// read is read on to its end. No root: temporary files.

import Foundation
import XCTest
import Glibc
@testable import Kernel

final class ReadWholeTests: XCTestCase {
    private func withFile(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "/readwhole-\(getpid())-\(bytes.count)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { unlink(path) }
        try body(path)
    }

    private func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 251) } }

    func testSizesAroundTheFirstReadComeBackWhole() throws {
        for count in [0, 1, 4095, 4096, 4097, 8192, 12_345, 100_000] {
            let bytes = pattern(count)
            try withFile(bytes) { path in
                XCTAssertEqual(try readWholeFile(path: path), bytes, "\(count) bytes")
                let fd = try FD.open(path, O_RDONLY)
                defer { fd.close() }
                XCTAssertEqual(try fd.readWhole(firstRead: 16), bytes, "\(count) bytes, a first read of 16")
            }
        }
    }

    /// A kernel file made by one show: one read returns it all, the same bytes readAll sees.
    func testProcStatMatchesReadAll() throws {
        XCTAssertEqual(Array(try readWholeFile(path: "/proc/self/status").prefix(5)), Array("Name:".utf8))
        let whole = try readWholeFile(path: "/proc/\(getpid())/stat")
        let all = try readFile(path: "/proc/\(getpid())/stat")
        // The times in it move between the two reads; the fields up to the start time do not.
        XCTAssertEqual(ProcLiveness(whole), ProcLiveness(all))
    }

    func testMissingFileThrowsNamingIt() {
        XCTAssertThrowsError(try readWholeFile(path: "/nonexistent/readwhole")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/readwhole"), "\(error)")
        }
    }
}
