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

    /// removeTree removes symbolic links (at the top and below it), never their targets: the state
    /// directory may hold a link someone planted.
    func testRemoveTreeRemovesLinksNotTheirTargets() throws {
        var template = Array("/tmp/swiftlet-rmtree.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let base = try XCTUnwrap(made.map { String(cString: $0) })
        defer { try? removeTree(base) }
        for d in ["/outside", "/tree", "/tree/sub"] { XCTAssertEqual(mkdir(base + d, 0o755), 0) }
        try writeFile(path: base + "/outside/file", "keep")
        try writeFile(path: base + "/tree/sub/file", "x")
        XCTAssertEqual(symlink(base + "/outside", base + "/tree/sub/link"), 0)
        XCTAssertEqual(symlink(base + "/outside", base + "/top-link"), 0)
        try removeTree(base + "/tree")
        try removeTree(base + "/top-link")
        XCTAssertFalse(fileExists(base + "/tree"))
        XCTAssertEqual(access(base + "/top-link", F_OK), -1)
        XCTAssertTrue(fileExists(base + "/outside/file"), "a link's target was emptied")
    }
}
