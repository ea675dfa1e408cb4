import Foundation
import XCTest

/// `run` starts the container it has just created through a pipe its create made (StartHandOff),
/// not through the exec fifo: no other process can start it, so the fifo's name in the state folder
/// is not needed (crun's `run` makes none either). `create` keeps the fifo for `start`. What init
/// reports through the fifo, a startContainer hook's failure, comes through the pipe the same way.
final class RunStartPipeTests: IntegrationTestCase {
    /// What a createRuntime hook (on the host, after the fork) sees in the container's folder.
    func folderSeenByCreateRuntimeHook(_ command: String, id: String) -> [String] {
        let gate = hostDir("gate-\(id)")
        let bundle = makeBundle { c in
            c.args = ["/bin/true"]
            c.addHook("createRuntime", ["path": "/bin/sh", "args": ["sh", "-c", "ls -a '\(stateRoot)/\(id)' > '\(gate)/ls'"]])
        }
        let r = runtime([command, "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "\(command): \(describe(r))")
        let text = (try? String(contentsOfFile: gate + "/ls", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func testRunMakesNoExecFifoAndCreateStillDoes() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName): swiftlet's state folder only") }
        let ran = newID("run")
        let runFolder = folderSeenByCreateRuntimeHook("run", id: ran)
        XCTAssertTrue(runFolder.contains("."), "the hook did not list the folder: \(runFolder)")
        XCTAssertFalse(runFolder.contains("exec.fifo"), "run made an exec fifo: \(runFolder)")
        assertNothingLeftBehind(ran, "run")

        let created = newID("create")
        let createFolder = folderSeenByCreateRuntimeHook("create", id: created)
        XCTAssertTrue(createFolder.contains("exec.fifo"), "create made no exec fifo: \(createFolder)")
        XCTAssertEqual(runtime(["start", created]).status, 0)
        XCTAssertEqual(waitForStatus(created, "stopped"), "stopped")
        XCTAssertEqual(runtime(["delete", created]).status, 0)
        assertNothingLeftBehind(created, "create and start")
    }

    /// `delete` unlinks state.json and cgroup.json by name and removes the folder; anything else in
    /// it (here the fifo of a container never started, and a temporary a killed write left) makes
    /// it remove the whole tree, as before.
    func testDeleteRemovesAFolderHoldingMoreThanItsTwoFiles() {
        let id = newID("extra")
        let c = runtime(["create", "--bundle", makeBundle { $0.args = ["sleep", "100"] }, id])
        XCTAssertEqual(c.status, 0, describe(c))
        let folder = stateRoot + "/" + id
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/.state.json.0123456789abcdef.tmp", contents: Data("{".utf8)))
        let d = runtime(["delete", "--force", id])
        XCTAssertEqual(d.status, 0, describe(d))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "the folder is left: \((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])")
        assertNothingLeftBehind(id, "delete of a folder with extra files")
    }

    /// A startContainer hook of a `run` fails: init's report comes through the pipe, and `run`
    /// says the hook's step, path and exit, as `start` does from the fifo.
    func testAFailingStartContainerHookReachesRunWithItsStep() {
        let id = newID("hook")
        let b = makeBundle { c in
            c.args = ["sleep", "1000"]
            c.addHook("startContainer", ["path": "/bin/sh", "args": ["sh", "-c", "exit 7"]])
        }
        let r = runtime(["run", "--bundle", b, id], timeout: 20)
        XCTAssertFalse(r.stderr.contains("[harness: killed after"), "run hung: \(describe(r))")
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            let lines = r.stderr.split(separator: "\n").map(String.init)
            XCTAssert(lines.contains { $0.hasPrefix("swiftlet: startContainer hook: /bin/sh failed: ") && $0.contains("7") },
                      describe(r))
        }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "failed startContainer hook under run")
    }

    /// The same with an error longer than a pipe holds (a 70,000-character hook path): init cuts it
    /// short, and neither it nor `run` waits for the other.
    func testAStartContainerHookErrorLongerThanAPipeDoesNotHangRun() {
        let id = newID("longhook")
        let b = makeBundle { c in
            c.args = ["sleep", "1000"]
            c.addHook("startContainer", ["path": "/" + String(repeating: "a", count: 70_000)])
        }
        let r = runtime(["run", "--bundle", b, id], timeout: 20)
        XCTAssertFalse(r.stderr.contains("[harness: killed after"), "run hung: \(describe(r))")
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("(cut short)"), describe(r)) }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "long startContainer hook error under run")
    }
}
