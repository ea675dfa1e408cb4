import Foundation
import XCTest

/// The lifecycle command lines engines send to runc and rely on, with runc 1.1's exit statuses:
/// `delete --force` of a missing container, `kill ID 0` as a liveness check, `kill --all` of a stopped
/// container, exec's 255 for its own failures, `run --keep`. Each passes against runc too.
final class LifecycleDropInTests: IntegrationTestCase {
    /// A detached container running `sleep 1000`.
    func testDeleteForceOfMissingContainerSucceeds() {
        let id = newID("missing")
        let forced = runtime(["delete", "--force", id])
        XCTAssertEqual(forced.status, 0, "delete --force of a missing container: \(describe(forced))")
        let plain = runtime(["delete", id])
        XCTAssertNotEqual(plain.status, 0, "delete without --force of a missing container must fail")
        assertOrDeviation(plain.stderr.contains("not exist"), runtimes: ["crun"], reason: "another message",
                          "delete of a missing container should say it does not exist: \(describe(plain))")
        // An invalid id is still refused, even with --force.
        assertOrDeviation(runtime(["delete", "--force", "../x"]).status != 0, runtimes: ["crun"],
                          reason: "accepts the id ../x", "delete --force ../x was accepted")
        assertNothingLeftBehind(id, "delete --force")
    }

    func testKillZeroChecksAliveAndKillAllOfStoppedSucceeds() {
        let id = startSleeper()
        let alive = runtime(["kill", id, "0"])
        XCTAssertEqual(alive.status, 0, "kill 0 of a running container: \(describe(alive))")
        XCTAssertEqual(status(id), "running", "signal 0 must not do anything")
        XCTAssertEqual(runtime(["kill", id, "KILL"]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        let dead = runtime(["kill", id, "0"])
        XCTAssertNotEqual(dead.status, 0, "kill 0 of a stopped container must fail: \(describe(dead))")
        XCTAssertFalse(dead.stderr.isEmpty, "kill 0 failed silently")
        let all = runtime(["kill", "--all", id, "KILL"])
        XCTAssertEqual(all.status, 0, "kill --all of a stopped container: \(describe(all))")
        XCTAssertEqual(runtime(["delete", id]).status, 0)
        assertNothingLeftBehind(id, "kill")
    }

    /// exec's own failure: 255 (crun 1.8 exits 1).
    func assertExecFailure(_ r: ProcResult, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, "\(context): \(describe(r))", file: file, line: line)
        assertOrDeviation(r.status == 255, runtimes: ["crun"], reason: "exits 1 for its own failures",
                          "\(context): \(describe(r))", file: file, line: line)
    }

    func testExecOwnFailuresExit255() {
        let id = startSleeper()
        func exec(_ flags: [String], _ target: String, _ args: [String]) -> ProcResult {
            runtime(["exec"] + flags + [target] + args)
        }
        // The process's own status comes through as it is, 255 included.
        XCTAssertEqual(exec([], id, ["sh", "-c", "exit 1"]).status, 1)
        XCTAssertEqual(exec([], id, ["sh", "-c", "exit 255"]).status, 255)
        let noContainer = exec([], token + "-nothere", ["true"])
        assertExecFailure(noContainer, "exec into a missing container")
        let missingBinary = exec([], id, ["/no/such/binary"])
        assertExecFailure(missingBinary, "exec of a missing binary")
        let pidFile = scratch + "/no-such-dir/pid"
        let badPidFile = exec(["-d", "--pid-file", pidFile], id, ["sleep", "1000"])
        assertExecFailure(badPidFile, "exec with a pid file in a missing directory")
        let missingProcess = exec(["--process", scratch + "/no-such-process.json"], id, [])
        assertExecFailure(missingProcess, "exec --process of a missing file")
        XCTAssertEqual(runtime(["pause", id]).status, 0)
        let paused = exec([], id, ["true"])
        assertExecFailure(paused, "exec into a paused container")
        XCTAssertEqual(runtime(["resume", id]).status, 0)
        // Only the sleeper is left in the container: the exec whose pid file failed was not left running.
        let ps = runtime(["ps", "--format", "json", id])
        let pids = parseJSON(ps.stdout) as? [Int] ?? []
        assertOrDeviation(pids.count == 1, runtimes: ["crun"], reason: "leaves the process whose pid file failed running",
                          "processes in the container after the failed execs: \(describe(ps))")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertNothingLeftBehind(id, "exec")
    }

    func testRunKeepKeepsStoppedContainer() {
        if isKnownDeviation(["crun"]) {
            return print("NOTE: known deviation of \(runtimeName) (\(name)): crun 1.8 has no run --keep: not run")
        }
        let id = newID("keep")
        let r = run(makeBundle { $0.shell("exit 3") }, id: id, extra: ["--keep"])
        XCTAssertEqual(r.status, 3, "run --keep returns the program's status: \(describe(r))")
        XCTAssertEqual(status(id), "stopped", "run --keep must keep the stopped container")
        XCTAssertTrue(containerIDs().contains(id), "listed after run --keep")
        let d = runtime(["delete", id])
        XCTAssertEqual(d.status, 0, "delete after run --keep: \(describe(d))")
        assertNothingLeftBehind(id, "run --keep")
        // Without --keep the container goes.
        let other = newID("nokeep")
        XCTAssertEqual(run(makeBundle { $0.shell("exit 0") }, id: other).status, 0)
        XCTAssertNil(state(other), "run without --keep removes the container")
    }
}
