// checkpoint/restore through CRIU. Debian 12's criu 3.17 cannot run on this kernel (`criu check`
// fails on the vDSO), so here both commands must fail with criu's own message, the checkpointed
// container must keep running untouched, and a failed restore must leave nothing behind.

import Foundation
import XCTest

final class CheckpointTests: IntegrationTestCase {
    /// Whether criu works on this host (`criu check`).
    static let criuWorks: Bool = Host.sh("command -v criu >/dev/null && criu check >/dev/null 2>&1").status == 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        if Host.sh("command -v criu").status != 0 {
            throw SetupError(message: "criu is not installed (.ci/run installs it: apt-get install -y criu)")
        }
    }

    /// A detached `sleep` container; returns its id and pid.
    func startSleeperWithPID() -> (String, Int) {
        let id = newID("ck")
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let r = run(b, id: id, extra: ["--detach"])
        XCTAssertEqual(r.status, 0, describe(r))
        let pid = state(id)?["pid"] as? Int ?? 0
        XCTAssertGreaterThan(pid, 0)
        return (id, pid)
    }

    func assertUntouched(_ id: String, pid: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status(id), "running", file: file, line: line)
        XCTAssertEqual(state(id)?["pid"] as? Int, pid, file: file, line: line)
        XCTAssertEqual(kill(pid_t(pid), 0), 0, "the container process is gone", file: file, line: line)
        let st = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        XCTAssertFalse(st.contains(") T ") || st.contains(") t "), "stopped: \(st)", file: file, line: line)
        let r = runtime(["exec", id, "true"])
        XCTAssertEqual(r.status, 0, "exec into the container after the failed checkpoint: \(describe(r))",
                       file: file, line: line)
    }

    func testCheckpointFailsWithCriusMessageAndLeavesTheContainerRunning() {
        let (id, pid) = startSleeperWithPID()
        let image = scratch + "/image"
        let r = runtime(["checkpoint", "--image-path", image, "--work-path", scratch + "/work", id], timeout: 60)
        if Self.criuWorks {
            XCTAssertEqual(r.status, 0, describe(r))
            XCTAssertNotEqual(status(id), "running", "checkpoint without --leave-running stops the container")
            return
        }
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            // criu's own error lines, taken from its log, and where the log is.
            XCTAssert(r.stderr.contains("Error (criu/"), describe(r))
            XCTAssert(r.stderr.contains("vdso") || r.stderr.contains("vDSO"), describe(r))
            XCTAssert(r.stderr.contains(scratch + "/work/dump.log"), describe(r))
            XCTAssert(FileManager.default.fileExists(atPath: scratch + "/work/dump.log"))
            // The image directory holds what runc writes besides criu's images.
            let desc = (try? String(contentsOfFile: image + "/descriptors.json", encoding: .utf8)) ?? ""
            let fds = parseJSON(desc) as? [String]
            XCTAssertEqual(fds?.count, 3, desc)
        } else {
            XCTAssert(r.stderr.lowercased().contains("criu"), describe(r))
        }
        assertUntouched(id, pid: pid)
    }

    func testCheckpointWithRuncFlagsFailsTheSameWay() {
        let (id, pid) = startSleeperWithPID()
        try? FileManager.default.createDirectory(atPath: scratch + "/image/pre", withIntermediateDirectories: true)
        for flags in [["--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks",
                       "--manage-cgroups-mode", "soft", "--auto-dedup"],
                      ["--pre-dump"],
                      ["--parent-path", "pre", "--empty-ns", "network", "--manage-cgroups-mode", "full"]] {
            let r = runtime(["checkpoint", "--image-path", scratch + "/image"] + flags + [id], timeout: 60)
            if Self.criuWorks { continue }
            XCTAssertNotEqual(r.status, 0, "\(flags): \(describe(r))")
            if isSwiftlet { XCTAssert(r.stderr.contains("Error (criu/"), "\(flags): \(describe(r))") }
            assertUntouched(id, pid: pid)
        }
    }

    func testRestoreFailsCleanly() {
        let id = newID("rs")
        let image = hostDir("image")
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let r = runtime(["restore", "--detach", "--image-path", image, "--bundle", b, "--pid-file", scratch + "/pid", id],
                        timeout: 60)
        if Self.criuWorks {
            XCTAssertNotEqual(r.status, 0, "an empty image directory cannot be restored: \(describe(r))")
        } else {
            XCTAssertNotEqual(r.status, 0, describe(r))
            if isSwiftlet { XCTAssert(r.stderr.contains("Error (criu/"), describe(r)) }
        }
        assertNothingLeftBehind(id, "failed restore")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/pid"))
        XCTAssert(leakedCgroups().isEmpty, "cgroups left: \(leakedCgroups())")
    }

    func testCheckpointOfACreatedContainerIsRefused() {
        let id = newID()
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0)
        let r = runtime(["checkpoint", "--image-path", scratch + "/image", id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssert(r.stderr.lowercased().contains("cannot be checkpointed in created state"), describe(r))
        XCTAssertEqual(status(id), "created")
    }

    func testBadFlagValues() {
        let (id, pid) = startSleeperWithPID()
        let r = runtime(["checkpoint", "--manage-cgroups-mode", "bogus", "--image-path", scratch + "/image", id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssert(r.stderr.lowercased().contains("invalid manage cgroups mode"), describe(r))
        let r2 = runtime(["checkpoint", "--empty-ns", "pid", "--image-path", scratch + "/image", id])
        XCTAssertNotEqual(r2.status, 0, describe(r2))
        XCTAssert(r2.stderr.contains("not supported"), describe(r2))
        let r3 = runtime(["checkpoint", "--image-path", scratch + "/image", "nonexistent-\(token)"])
        XCTAssertNotEqual(r3.status, 0, describe(r3))
        assertUntouched(id, pid: pid)
    }
}
