import XCTest
@testable import Kernel

final class CleanPathTests: XCTestCase {
    func testExamples() {
        XCTAssertEqual(cleanPath("/"), "/")
        XCTAssertEqual(cleanPath(""), "")
        XCTAssertEqual(cleanPath("/a/b"), "/a/b")
        XCTAssertEqual(cleanPath("a/b"), "a/b")
        XCTAssertEqual(cleanPath("/a//b/"), "/a/b")
        XCTAssertEqual(cleanPath("/a/./b/../c"), "/a/c")
        XCTAssertEqual(cleanPath("/../x"), "/x")
        XCTAssertEqual(cleanPath("a/../../b"), "b")
        XCTAssertEqual(cleanPath("//"), "/")
        XCTAssertEqual(cleanPath("./"), "")
        XCTAssertEqual(cleanPath("/.a/..b/...c"), "/.a/..b/...c")
    }

    /// The clean-path check agrees with the cleaning itself: every path of up to four components
    /// drawn from names, dots, empties, with and without a leading slash.
    func testFastPathAgreesWithCleaning() {
        let parts = ["a", "bc", ".", "..", "", ".x", "..y", "..."]
        var paths = [""]
        for _ in 0..<4 { paths += paths.flatMap { p in parts.map { p.isEmpty ? $0 : p + "/" + $0 } } }
        paths = Array(Set(paths + paths.map { "/" + $0 }))
        XCTAssertGreaterThan(paths.count, 5000)
        for p in paths {
            let bytes = Array(p.utf8)
            let clean = bytes.withUnsafeBufferPointer(isCleanPath)
            XCTAssertEqual(clean, cleanedPath(p) == p, p)
            XCTAssertEqual(cleanPath(p), cleanedPath(p), p)
        }
    }

    /// cleanAbsolutePath(p) is cleanPath("/" + p) for every such path, absolute or not.
    func testCleanAbsolutePathIsCleanPathOfSlashPlus() {
        let parts = ["a", ".", "..", "", "dev"]
        var paths = [""]
        for _ in 0..<4 { paths += paths.flatMap { p in parts.map { p.isEmpty ? $0 : p + "/" + $0 } } }
        paths = Array(Set(paths + paths.map { "/" + $0 } + paths.map { "//" + $0 }))
        for p in paths { XCTAssertEqual(cleanAbsolutePath(p), cleanPath("/" + p), p) }
    }
}
