import Glibc
import XCTest
@testable import Kernel

/// listSubdirectories on a scratch directory of this user's: directories only (not files, not
/// symlinks to directories), "." and ".." left out; a missing directory is an error naming it.
final class DirectoryListingTests: XCTestCase {
    func testSubdirectoriesOnly() throws {
        var template = Array("/tmp/swiftlet-dirlist.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let dir = try XCTUnwrap(made.map { String(cString: $0) })
        defer { try? removeTree(dir) }
        for sub in ["a", "b c", "ß"] { XCTAssertEqual(mkdir(dir + "/" + sub, 0o755), 0) }
        try writeFile(path: dir + "/file", "x")
        XCTAssertEqual(symlink(dir + "/a", dir + "/link"), 0)
        XCTAssertEqual(try listSubdirectories(dir).sorted(), ["a", "b c", "ß"])
        XCTAssertThrowsError(try listSubdirectories(dir + "/missing")) { error in
            XCTAssertTrue("\(error)".contains(dir + "/missing"), "\(error)")
        }
    }
}
