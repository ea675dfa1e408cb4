import XCTest
import Glibc
@testable import RuntimeSpec

final class LoadTests: XCTestCase {
    var dir = ""

    override func setUp() {
        var template = Array("/tmp/runtimespec-test-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    override func tearDown() {
        unlink(dir + "/config.json")
        rmdir(dir)
    }

    func write(_ text: String) {
        let fd = open(dir + "/config.json", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }, bytes.count)
        close(fd)
    }

    func testLoad() throws {
        write(fullConfig)
        let s = try Spec.load(bundle: dir)
        XCTAssertEqual(s.process?.cwd, "/work")
        XCTAssertEqual(try Spec.load(bundle: dir + "/"), s)
    }

    func testMissingFile() {
        XCTAssertThrowsError(try Spec.load(bundle: dir)) { error in
            XCTAssertEqual("\(error)", "open \(dir)/config.json: No such file or directory")
            XCTAssertEqual((error as? SpecLoadError)?.errno, ENOENT)
        }
    }

    /// A file that is read but refused has no errno: no system call failed.
    func testRefusedFileHasNoErrno() {
        XCTAssertThrowsError(try SpecFile.read(dir)) { error in
            XCTAssertEqual("\(error)", "\(dir): not a regular file (a directory)")
            XCTAssertNil((error as? SpecLoadError)?.errno)
        }
    }

    func testMissingRequiredProperty() {
        write(#"{"ociVersion": "1.3.0", "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"]}}"#)
        XCTAssertThrowsError(try Spec.load(bundle: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("config.json: process.cwd: "), text)
            XCTAssertTrue(text.contains("missing"), text)
        }
    }

    func testMalformedJSON() {
        write(#"{"ociVersion": "1.3.0",,}"#)
        XCTAssertThrowsError(try Spec.load(bundle: dir)) { error in
            XCTAssertTrue("\(error)".hasPrefix("config.json: "), "\(error)")
        }
    }
}
