import XCTest
@testable import Container
import Glibc
import Kernel
import RuntimeSpec

/// The errors of the parent-side lifecycle as users read them, and the parts they keep for the code
/// that reads them instead: the field path, the object acted on, the errno underneath. No root needed.
final class RuntimeErrorTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = "/tmp/swiftlet-runtime-error-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(mkdir(dir, 0o700), 0)
    }

    override func tearDownWithError() throws {
        _ = try? FileManager.default.removeItem(atPath: dir)
    }

    func thrown(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> RuntimeError? {
        do { try body() } catch let e as RuntimeError { return e } catch {
            XCTFail("not a RuntimeError: \(type(of: error)): \(error)", file: file, line: line)
            return nil
        }
        XCTFail("nothing thrown", file: file, line: line)
        return nil
    }

    func testEveryValidationProblemIsListedWithItsFieldPath() throws {
        let problems = [SpecProblem(path: "process.cwd", message: "must be an absolute path"),
                        SpecProblem(path: "linux.namespaces[1].type", message: "unknown namespace \"bogus\""),
                        SpecProblem(path: "", message: "ociVersion missing")]
        let e = try XCTUnwrap(RuntimeError.configProblems(problems))
        XCTAssertEqual(e.field, .config("process.cwd"))
        XCTAssertEqual(e.further.map(\.field), [.config("linux.namespaces[1].type"), .config("")])
        XCTAssertEqual(e.description, """
            config.json: process.cwd: must be an absolute path
            config.json: linux.namespaces[1].type: unknown namespace "bogus"
            config.json: ociVersion missing
            """)
        XCTAssertNil(RuntimeError.configProblems([]))
    }

    func testAConfigThatCannotBeReadNamesTheFileAndKeepsTheLoaderText() throws {
        let e = try XCTUnwrap(thrown { _ = try Runtime.loadSpec(bundle: dir) })
        XCTAssertEqual(e.object, dir + "/config.json")
        XCTAssertEqual(e.description, "open \(dir)/config.json: No such file or directory")
        XCTAssertEqual(e.errno, ENOENT, "the loader's errno is reachable")
    }

    func testAConfigThatDoesNotDecodeNamesTheField() throws {
        let config = #"{"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"cwd":"/","args":"sh"}}"#
        XCTAssert(FileManager.default.createFile(atPath: dir + "/config.json", contents: Data(config.utf8)))
        let e = try XCTUnwrap(thrown { _ = try Runtime.loadSpec(bundle: dir) })
        XCTAssertEqual(e.field, .config("process.args"))
        XCTAssertEqual(e.object, dir + "/config.json")
        XCTAssert(e.description.hasPrefix("config.json: process.args: "), e.description)

        XCTAssert(FileManager.default.createFile(atPath: dir + "/config.json", contents: Data("{".utf8)))
        let syntax = try XCTUnwrap(thrown { _ = try Runtime.loadSpec(bundle: dir + "/") })
        XCTAssertEqual(syntax.field, .config(""))
        XCTAssert(syntax.description.hasPrefix("config.json: line 1"), syntax.description)
    }

    func testAnInvalidConfigReachesTheUserAsEveryProblem() throws {
        let config = #"{"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"cwd":"relative","args":["sh"]},"#
            + #""linux":{"namespaces":[{"type":"bogus"}]}}"#
        XCTAssert(FileManager.default.createFile(atPath: dir + "/config.json", contents: Data(config.utf8)))
        let e = try XCTUnwrap(thrown { _ = try Runtime.loadSpec(bundle: dir) })
        let lines = e.description.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 1 + e.further.count)
        XCTAssertGreaterThanOrEqual(lines.count, 2, e.description)
        for l in lines { XCTAssert(l.hasPrefix("config.json: "), l) }
        XCTAssert(lines.contains { $0.hasPrefix("config.json: process.cwd: ") }, e.description)
        XCTAssert(lines.contains { $0.hasPrefix("config.json: linux.namespaces[0].type: ") }, e.description)
    }

    func testAPidFileThatCannotBeWrittenNamesTheFlagThePathAndTheErrno() throws {
        let path = dir + "/missing/pid"
        let e = try XCTUnwrap(thrown { try writePidFile(path, pid: 1) })
        XCTAssertEqual(e.field, .flag("--pid-file"))
        XCTAssertEqual(e.object, path)
        XCTAssertEqual(e.errno, ENOENT)
        XCTAssert(e.description.hasPrefix("--pid-file: \(path): "), e.description)
        XCTAssert(e.description.hasSuffix("No such file or directory"), e.description)
    }

    func testANamespacePathKeepsItsFieldAndErrno() throws {
        let missing = dir + "/no-such-ns"
        let e = try XCTUnwrap(thrown { _ = try Runtime.openNamespaceFile(missing, field: "linux.namespaces[3].path") })
        XCTAssertEqual(e.field, .config("linux.namespaces[3].path"))
        XCTAssertEqual(e.object, missing)
        XCTAssertEqual(e.errno, ENOENT)
        XCTAssertEqual(e.description,
                       "config.json: linux.namespaces[3].path: open \(missing): No such file or directory")

        let file = dir + "/plain"
        XCTAssert(FileManager.default.createFile(atPath: file, contents: Data()))
        let e2 = try XCTUnwrap(thrown { _ = try Runtime.openNamespaceFile(file, field: "linux.namespaces[0].path") })
        XCTAssertNil(e2.errno, "a refusal, no failed call")
        XCTAssertEqual(e2.description,
                       "config.json: linux.namespaces[0].path: \(file) is not a namespace file (not on nsfs)")
    }

    func testCriuFailureNamesTheLogAsItsObject() throws {
        let log = dir + "/dump.log"
        let text = "(00.001) Version: 3.17\n(00.036) Error (criu/vdso.c:381): vdso: no vDSO\n"
            + "(00.040) Error (criu/cr-dump.c:2): Dumping FAILED.\n"
        XCTAssert(FileManager.default.createFile(atPath: log, contents: Data(text.utf8)))
        let runtime = Runtime(root: dir + "/state", warn: { _ in })
        let e = runtime.criuFailure("checkpoint c1", status: 1, log: log)
        XCTAssertEqual(e.step, "checkpoint c1")
        XCTAssertEqual(e.object, log)
        XCTAssertEqual(e.description, "checkpoint c1: criu failed (exit status 1): Error (criu/vdso.c:381): vdso: no vDSO; "
                       + "Error (criu/cr-dump.c:2): Dumping FAILED.\nlog file: \(log)")
        // A log that goes with the state directory is not pointed at.
        let gone = runtime.criuFailure("restore c1", status: 127, log: dir + "/none.log", keepsLog: false)
        XCTAssertNil(gone.object)
        XCTAssertFalse(gone.description.contains("log file"), gone.description)
        XCTAssert(gone.description.hasPrefix("restore c1: criu failed (exit status 127): could not execute criu"),
                  gone.description)
    }

    func testCriuFlagsAreRefusedByName() throws {
        var o = CriuOptions(imagePath: dir)
        o.parentPath = "/abs"
        let e = try XCTUnwrap(thrown { try o.validate() })
        XCTAssertEqual(e.field, .flag("--parent-path"))
        XCTAssertEqual(e.description, "--parent-path: must be relative (to --image-path)")
        let notExecutable = dir + "/criu"
        XCTAssert(FileManager.default.createFile(atPath: notExecutable, contents: Data(), attributes: [.posixPermissions: 0o644]))
        let e2 = try XCTUnwrap(thrown { _ = try Runtime.findCriu(notExecutable) })
        XCTAssertEqual(e2.object, notExecutable)
        XCTAssertNotNil(e2.errno, "access(2)'s errno is kept")
        XCTAssert(e2.description.hasPrefix("criu: \(notExecutable) is not executable: access \(notExecutable): "),
                  e2.description)
    }

    func testStateErrorsNameTheContainer() throws {
        let store = StateStore(root: dir)
        let e = try XCTUnwrap(thrown { _ = try store.load("absent") })
        XCTAssertEqual(e.description, "container \"absent\" does not exist")
        XCTAssertEqual(e.object, dir + "/absent")
        let e2 = try XCTUnwrap(thrown { try StateStore.validate(id: "a/b") })
        XCTAssertEqual(e2.object, "a/b")
        XCTAssertEqual(e2.description, "invalid container id \"a/b\": it must not contain \"/\" or \"..\"")
        XCTAssertNoThrow(try StateStore.validate(id: "aZ09_+-.x"))
        for bad in ["\u{e9}t\u{e9}", "a b", "a:b", "a\u{0}b", "\u{216B}", "\u{5B57}", "a\nb"] {
            let e = try XCTUnwrap(thrown { try StateStore.validate(id: bad) }, bad)
            XCTAssertEqual(e.description, "invalid container id \"\(bad)\": only [a-zA-Z0-9_+.-] are allowed")
        }
        _ = try store.create("twice").unlock()
        let e3 = try XCTUnwrap(thrown { _ = try store.create("twice") })
        XCTAssertEqual(e3.description, "container with given ID already exists: twice", "runc's words, then the id")
        try store.remove("twice")
    }

    /// A failure that crossed the sync socket still has its errno, and so does one wrapped again.
    func testErrnoIsReachableThroughNestedErrors() {
        let inner = RuntimeError(step: "mount", cause: SysError("mount", "/a", errno: ENOTDIR))
        let outer = RuntimeError(step: "mounts[0] (/a)", field: .config("mounts[0]"), cause: inner)
        XCTAssertEqual(outer.errno, ENOTDIR)
        XCTAssertNil(RuntimeError.config("process", "required").errno)
    }
}
