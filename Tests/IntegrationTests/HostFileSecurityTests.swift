import Foundation
import XCTest

/// Files the runtime writes or reads on the host, attacked for real (conformance/SECURITY.md has the
/// table): symlinks planted where pid files, their temporaries, descriptors.json and the log file go
/// (a directory others may write to), and bad files where config.json, `exec --process` and
/// `update -r` are read from.
final class HostFileSecurityTests: IntegrationTestCase {
    static let victimText = "precious host file\n"

    /// A host file an attacker wants overwritten; the test checks it is unchanged.
    func makeVictim(_ name: String = "victim") -> String {
        let path = hostDir("host") + "/" + name
        try! Self.victimText.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// `vulnerable`: reference runtimes known to write through the symlink (a known deviation there).
    func assertVictimUntouched(_ victim: String, _ context: String, vulnerable: [String] = [],
                               file: StaticString = #filePath, line: UInt = #line) {
        let text = (try? String(contentsOfFile: victim, encoding: .utf8)) ?? "<unreadable>"
        assertOrDeviation(text == Self.victimText, runtimes: vulnerable, reason: "VULNERABLE: writes through the symlink",
                          "\(context): the victim file was written through a planted symlink: now \(text)",
                          file: file, line: line)
    }

    /// Symlinks to `victim` at the pid file's own name and at every temporary name a runtime is known
    /// to use beside it (swiftlet before: `P.tmp`; runc: `.P`).
    func plantPidFileSymlinks(_ pidFile: String, to victim: String) {
        let dir = (pidFile as NSString).deletingLastPathComponent
        let base = (pidFile as NSString).lastPathComponent
        for name in [base, base + ".tmp", "." + base, "." + base + ".tmp"] {
            XCTAssertEqual(symlink(victim, dir + "/" + name), 0, "planting \(name)")
        }
    }

    /// The pid file is a regular file (not the planted symlink) holding `pid`.
    func assertPidFile(_ pidFile: String, _ pid: Int?, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        var st = stat()
        XCTAssertEqual(lstat(pidFile, &st), 0, "\(context): no pid file", file: file, line: line)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFREG, "\(context): the pid file is not a regular file", file: file, line: line)
        let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        XCTAssertEqual(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid, "\(context): pid file \(text)",
                       file: file, line: line)
    }

    // MARK: item 1: host files never written through a planted symlink

    func testPidFilesNeverWrittenThroughPlantedSymlinks() {
        let bundle = makeBundle { $0.args = ["sleep", "1000"] }
        // create, then start.
        do {
            let victim = makeVictim("victim-create")
            let pidFile = hostDir("pids-create") + "/pid"
            plantPidFileSymlinks(pidFile, to: victim)
            let id = newID("create")
            let r = runtime(["create", "--bundle", bundle, "--pid-file", pidFile, id])
            assertVictimUntouched(victim, "create --pid-file", vulnerable: ["crun"])
            assertOrDeviation(r.status == 0, runtimes: ["runc"], reason: "runc's fixed temporary `.P` is taken (O_EXCL): create fails",
                              "create with planted symlinks failed: \(describe(r))")
            if r.status == 0 && !isKnownDeviation(["crun"]) { assertPidFile(pidFile, state(id)?["pid"] as? Int, "create") }
            _ = runtime(["delete", "--force", id])
        }
        // run -d, then exec -d into it.
        let victim = makeVictim("victim-run")
        let pidFile = hostDir("pids-run") + "/pid"
        plantPidFileSymlinks(pidFile, to: victim)
        let id = newID("run")
        let r = runtime(["run", "-d", "--bundle", bundle, "--pid-file", pidFile, id])
        assertVictimUntouched(victim, "run -d --pid-file", vulnerable: ["crun"])
        assertOrDeviation(r.status == 0, runtimes: ["runc"], reason: "runc's fixed temporary `.P` is taken (O_EXCL): run fails",
                          "run -d with planted symlinks failed: \(describe(r))")
        if r.status != 0 {
            // The rest needs a running container.
            XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        } else if !isKnownDeviation(["crun"]) {
            assertPidFile(pidFile, state(id)?["pid"] as? Int, "run -d")
        }
        let execVictim = makeVictim("victim-exec")
        let execPidFile = hostDir("pids-exec") + "/pid"
        plantPidFileSymlinks(execPidFile, to: execVictim)
        let e = runtime(["exec", "-d", "--pid-file", execPidFile, id, "sleep", "1000"])
        assertVictimUntouched(execVictim, "exec -d --pid-file", vulnerable: ["crun"])
        assertOrDeviation(e.status == 0, runtimes: ["runc"], reason: "runc's fixed temporary `.P` is taken (O_EXCL): exec fails",
                          "exec -d with planted symlinks failed: \(describe(e))")
        if e.status == 0 && !isKnownDeviation(["crun"]) {
            let text = (try? String(contentsOfFile: execPidFile, encoding: .utf8)) ?? ""
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            assertPidFile(execPidFile, Int(pid), "exec -d")
            XCTAssertEqual(kill(pid, 0), 0, "the exec'd process named by the pid file is not alive")
            let cmd = readFileBytes("/proc/\(pid)/cmdline").replacingOccurrences(of: "\0", with: " ")
            XCTAssertTrue(cmd.hasPrefix("sleep 1000"), "pid file names \(cmd)")
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        // No temporaries are left beside the pid files (only what the test planted and the pid file).
        for (dir, file) in [(pidFile, "pid"), (execPidFile, "pid")] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent)) ?? []
            XCTAssertEqual(Set(entries), Set([file, "pid.tmp", ".pid", ".pid.tmp"]), "left beside the pid file: \(entries)")
        }
        assertNothingLeftBehind(id, "pid files")
    }

    func testCheckpointDescriptorsNotWrittenThroughPlantedSymlinks() {
        let id = newID("ck")
        XCTAssertEqual(run(makeBundle { $0.args = ["sleep", "1000"] }, id: id, extra: ["--detach"]).status, 0)
        let victim = makeVictim()
        let image = hostDir("image")
        for name in ["descriptors.json", "descriptors.json.tmp", ".descriptors.json", ".descriptors.json.tmp"] {
            XCTAssertEqual(symlink(victim, image + "/" + name), 0)
        }
        // criu cannot dump on this kernel; the runtime writes descriptors.json before it runs criu.
        let r = runtime(["checkpoint", "--leave-running", "--image-path", image, "--work-path", scratch + "/work", id],
                        timeout: 60)
        assertVictimUntouched(victim, "checkpoint descriptors.json (status \(r.status))", vulnerable: ["runc"])
        if isSwiftlet {
            var st = stat()
            XCTAssertEqual(lstat(image + "/descriptors.json", &st), 0)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFREG, "descriptors.json is not a regular file")
        }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "checkpoint")
    }

    func testLogFileNotFollowedThroughPlantedSymlink() {
        let victim = makeVictim()
        let log = hostDir("logs") + "/log.json"
        XCTAssertEqual(symlink(victim, log), 0)
        // An error is logged: the container does not exist.
        let r = Host.exec(Env.runtime, ["--root", stateRoot, "--log", log, "--log-format", "json", "state", newID("nothere")])
        XCTAssertNotEqual(r.status, 0)
        let untouched = (try? String(contentsOfFile: victim, encoding: .utf8)) == Self.victimText
        assertOrDeviation(untouched, runtimes: ["runc", "crun"], reason: "follows a symlink at --log (O_APPEND)",
                          "an error line was appended to the victim through the --log symlink")
        if isSwiftlet {
            // The error still reaches the caller, on stderr, with why the log was not written.
            XCTAssertTrue(r.stderr.contains("does not exist"), describe(r))
            XCTAssertTrue(r.stderr.contains("--log \(log)"), describe(r))
        }
    }
}
