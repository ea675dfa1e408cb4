// What users read when something fails, and flags that must do what they say: a failure deep in the
// init stage reaches stderr and the --log file with its step, field path and errno text; the global
// --rootless and restore's --console-socket and --no-pivot are not taken and dropped in silence.
// (--debug and run --keep are tested by ProcessDropInTests and LifecycleDropInTests.)

import Foundation
import XCTest

final class ErrorReportTests: IntegrationTestCase {
    /// The error lines of a `--log` file, decoded.
    func logEntries(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { parseJSON(String($0)) as? [String: Any] }
    }

    /// stderr's `swiftlet: <message>` lines, without the prefix.
    func stderrMessages(_ r: ProcResult) -> [String] {
        r.stderr.split(separator: "\n").compactMap { l in
            l.hasPrefix("swiftlet: ") ? String(l.dropFirst("swiftlet: ".count)) : nil
        }
    }

    /// A bind mount whose destination's parent is a file fails in init's mount step with ENOTDIR:
    /// the user reads the mount's field path, the path that was not a directory and the errno text,
    /// the same on stderr and in the --log JSON line (runc's format), and nothing is left.
    func testAMountFailureInInitReachesStderrAndTheLogWithFieldPathAndErrno() {
        let id = newID("mnt")
        let log = scratch + "/log.json"
        var index = 0
        let b = makeBundle { c in
            index = c.mounts.count
            c.addBind(host: hostDir("src"), container: "/etc/passwd/sub")
        }
        let r = runtime(["--log", log, "--log-format", "json", "run", "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssertLessThan(r.status, 128, "killed by a signal: \(describe(r))")
        let entries = logEntries(log)
        let errors = entries.filter { $0["level"] as? String == "error" }
        XCTAssertFalse(errors.isEmpty, "no error line in the --log file: \(entries)")
        for e in errors {
            XCTAssertNotNil(e["time"] as? String, "\(e)")
            XCTAssertEqual(Set(e.keys), ["level", "msg", "time"], "runc's fields only: \(e)")
        }
        if isSwiftlet {
            let msg = errors.last?["msg"] as? String ?? ""
            XCTAssert(msg.contains("mounts[\(index)]"), "field path: \(msg)")
            XCTAssert(msg.contains("/etc/passwd"), "the path that is not a directory: \(msg)")
            XCTAssert(msg.hasSuffix("Not a directory"), "errno text: \(msg)")
            XCTAssertEqual(stderrMessages(r), [msg], "stderr says what the log says: \(describe(r))")
        }
        assertNothingLeftBehind(id, "mount failure")
    }

    /// A sysctl value the kernel refuses (EINVAL from the write): the step names the key, the errno
    /// text follows, in the text format of --log as on stderr.
    func testASysctlTheKernelRefusesReachesTheUserWithItsStepAndErrno() {
        let id = newID("sysctl")
        let log = scratch + "/log.txt"
        let b = makeBundle { c in c[path: "linux.sysctl"] = ["net.ipv4.ip_forward": "bogus"] }
        let r = runtime(["--log", log, "run", "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssert(text.contains("level=error"), "no error line in the --log file: \(text)")
        if isSwiftlet {
            let msg = stderrMessages(r).last ?? ""
            XCTAssert(msg.contains("net.ipv4.ip_forward"), "the key: \(describe(r))")
            XCTAssert(msg.hasSuffix("Invalid argument"), "errno text: \(describe(r))")
            XCTAssert(text.contains("level=error msg=\(quoted(msg))"), "the log line says the same: \(text)")
        }
        assertNothingLeftBehind(id, "sysctl failure")
    }

    /// A startContainer hook fails after `create` has returned: init leaves its error in the exec fifo
    /// in its parts, and `start` reports it as the hook's step, path and exit.
    func testAFailingStartContainerHookReachesStartWithItsStep() {
        let id = newID("hook")
        let b = makeBundle { c in
            c.args = ["sleep", "1000"]
            c.addHook("startContainer", ["path": "/bin/sh", "args": ["sh", "-c", "exit 7"]])
        }
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0)
        let r = runtime(["start", id])
        if isSwiftlet {
            XCTAssertNotEqual(r.status, 0, describe(r))
            let msg = stderrMessages(r).last ?? ""
            XCTAssert(msg.hasPrefix("startContainer hook: /bin/sh failed: "), describe(r))
            XCTAssert(msg.contains("7"), "the exit status: \(describe(r))")
        }
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        XCTAssertEqual(runtime(["delete", id]).status, 0)
        assertNothingLeftBehind(id, "failed startContainer hook")
    }

    /// A startContainer hook whose error is longer than a pipe holds (a 70,000-character path): init
    /// writes it to the exec fifo while `start` waits for the hang-up. It must not hang either of them.
    func testAStartContainerHookErrorLongerThanAPipeDoesNotHangStart() {
        let id = newID("longhook")
        let b = makeBundle { c in
            c.args = ["sleep", "1000"]
            c.addHook("startContainer", ["path": "/" + String(repeating: "a", count: 70_000)])
        }
        let created = runtime(["create", "--bundle", b, id])
        XCTAssertEqual(created.status, 0, describe(created))
        let r = runtime(["start", id], timeout: 20)
        XCTAssertFalse(r.stderr.contains("[harness: killed after"), "start hung: \(describe(r))")
        if isSwiftlet { XCTAssertNotEqual(r.status, 0, describe(r)) }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "long startContainer hook error")
    }

    func quoted(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }

    /// The global `--rootless`: swiftlet does what `auto` does; a value asking for something else is
    /// said not to apply, one that is no boolean is refused naming the flag.
    func testRootlessFlagIsCheckedAndSaidNotToApply() {
        let bad = runtime(["--rootless", "bogus", "list"])
        let asRoot = runtime(["--rootless", "true", "list"])
        let auto = runtime(["--rootless", "auto", "list"])
        XCTAssertEqual(auto.status, 0, describe(auto))
        XCTAssertEqual(asRoot.status, 0, describe(asRoot))
        // runc's parseBoolOrAuto: empty is auto, and auto is told in any case.
        for value in ["", "AUTO", "Auto"] {
            let same = runtime(["--rootless", value, "list"])
            XCTAssertEqual(same.status, 0, "--rootless \"\(value)\": " + describe(same))
            XCTAssertFalse(same.stderr.contains("rootless"), describe(same))
        }
        if isSwiftlet {
            XCTAssertNotEqual(bad.status, 0, describe(bad))
            XCTAssert(bad.stderr.contains("--rootless: invalid value \"bogus\""), describe(bad))
            XCTAssert(asRoot.stderr.contains("--rootless true: not applied"), describe(asRoot))
            XCTAssertFalse(auto.stderr.contains("rootless"), describe(auto))
        }
    }

    /// A fake criu that writes its command line to `args` and fails.
    func fakeCriu() -> (path: String, args: String) {
        let path = scratch + "/fake-criu"
        let args = scratch + "/criu-args"
        let script = "#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(args)'\nexit 1\n"
        FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        return (path, args)
    }

    /// A console socket is for a terminal, and restore has none here (process.terminal false): refused
    /// before criu runs, naming the flag (runc refuses it too), nothing left.
    func testRestoreRefusesAConsoleSocketWithoutATerminal() {
        let id = newID("rcs")
        let criu = fakeCriu()
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let r = runtime(["--criu", criu.path, "restore", "--detach", "--console-socket", scratch + "/console.sock",
                         "--image-path", hostDir("image"), "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssert(r.stderr.contains("--console-socket"), describe(r))
            XCTAssertFalse(FileManager.default.fileExists(atPath: criu.args), "criu ran")
        }
        assertNothingLeftBehind(id, "restore --console-socket")
        XCTAssert(leakedCgroups().isEmpty, "cgroups left: \(leakedCgroups())")
    }

    /// criu enters the restored root with its own pivot_root: `--no-pivot` is accepted (engines pass
    /// it) and said not to apply, and criu's command line is the same as without it.
    func testRestoreSaysNoPivotIsNotApplied() {
        let criu = fakeCriu()
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        var lines: [[String]] = []
        for flags in [["--no-pivot"], []] {
            let id = newID("rnp")
            let r = runtime(["--criu", criu.path, "restore", "--detach"] + flags
                            + ["--image-path", hostDir("image"), "--bundle", b, id])
            XCTAssertNotEqual(r.status, 0, "the fake criu fails: \(describe(r))")
            if isSwiftlet {
                XCTAssertEqual(r.stderr.contains("--no-pivot: not applied"), !flags.isEmpty, describe(r))
                XCTAssert(r.stderr.contains("criu failed (exit status 1)"), describe(r))
                let args = (try? String(contentsOfFile: criu.args, encoding: .utf8)) ?? ""
                XCTAssertEqual(args.split(separator: "\n").first, "restore", args)
                lines.append(args.split(separator: "\n").map(String.init).filter { !$0.contains(id) })
            }
            assertNothingLeftBehind(id, "restore \(flags)")
        }
        if isSwiftlet { XCTAssertEqual(lines.first, lines.last, "--no-pivot changes criu's command line") }
        XCTAssert(leakedCgroups().isEmpty, "cgroups left: \(leakedCgroups())")
    }
}
