import Foundation
import XCTest

/// `exec`: namespaces, process flags, exit status, --process, --pid-file, --detach, fds,
/// --preserve-fds, LISTEN_FDS, and foreground signal forwarding of `run` and `exec`.
final class ExecTests: IntegrationTestCase {
    func exec(_ id: String, _ args: [String], flags: [String] = [], stdin: String? = nil) -> ProcResult {
        runtime(["exec"] + flags + [id] + args, stdin: stdin)
    }

    func testExecJoinsEveryNamespace() {
        let id = startSleeper()
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid") }
        let r = exec(id, ["sh", "-c", "for n in ipc mnt net pid uts; do readlink /proc/self/ns/$n; done; hostname; echo $$"])
        XCTAssertEqual(r.status, 0, describe(r))
        var want = ""
        for n in ["ipc", "mnt", "net", "pid", "uts"] {
            want += ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(n)")) ?? "?") + "\n"
        }
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.prefix(5).joined(separator: "\n") + "\n", want, describe(r))
        XCTAssertEqual(lines.dropFirst(5).first, token, "hostname: \(describe(r))")
        XCTAssertNotEqual(lines.last, "1", "exec'd process is pid 1: \(describe(r))")
        XCTAssertLessThan(Int(lines.last ?? "") ?? 999, 100, "pid not in the container's pid namespace: \(describe(r))")
    }

    func testExecJoinsUserNamespace() {
        let id = startSleeper { c in
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        }
        let r = exec(id, ["sh", "-c", "cat /proc/self/uid_map; id -u"])
        XCTAssertEqual(r.status, 0, describe(r))
        let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        XCTAssertEqual(words, ["0", "100000", "65536", "0"], describe(r))
    }

    func testExitStatusAndErrors() {
        let id = startSleeper()
        XCTAssertEqual(exec(id, ["sh", "-c", "exit 7"]).status, 7)
        XCTAssertEqual(exec(id, ["true"]).status, 0)
        let killed = exec(id, ["sh", "-c", "kill -9 $$"])
        XCTAssertEqual(killed.status, 137, describe(killed))
        let missing = exec(id, ["/no/such/binary"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/no/such/binary"), describe(missing))
        let noContainer = exec(token + "-nothere", ["true"])
        XCTAssertNotEqual(noContainer.status, 0)
    }

    /// A process that exits at once, many times over: every `exec` and `run` returns. (A start-up
    /// thread of the runtime that did not block signals once took the SIGCHLD meant for the main
    /// thread's signalfd, about one `exec` in a hundred, and that `exec` waited forever.)
    func testQuickExitsAlwaysReturn() {
        let id = startSleeper()
        for i in 0..<150 {
            let r = runtime(["exec", id, "true"], timeout: 10)
            guard r.status == 0 else { return XCTFail("exec #\(i) of true: \(describe(r))") }
        }
        let b = makeBundle { c in c.args = ["true"] }
        for i in 0..<30 {
            let r = runtime(["run", "--bundle", b, newID("quick")], timeout: 10)
            guard r.status == 0 else { return XCTFail("run #\(i) of true: \(describe(r))") }
        }
    }

    func testExecInStoppedContainerFails() {
        let b = makeBundle { $0.args = ["true"] }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0)
        XCTAssertEqual(runtime(["start", id]).status, 0)
        _ = waitForStatus(id, "stopped")
        let r = exec(id, ["true"])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stderr.contains("stopped"), describe(r))
    }

    func testInheritsContainerProcessSettings() {
        let id = startSleeper { c in
            c[path: "process.env"] = ["PATH=/bin", "FROMCONFIG=yes", "SWIFTLET_TEST_ID=\(self.token)"]
            c[path: "process.cwd"] = "/etc"
            c[path: "process.rlimits"] = [["type": "RLIMIT_NOFILE", "soft": 777, "hard": 888]]
        }
        let r = exec(id, ["sh", "-c", "echo $FROMCONFIG; pwd; ulimit -n; ulimit -Hn; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"])
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(2)), ["yes", "/etc"], describe(r))
        XCTAssertEqual(lines.dropFirst(3).first, "888", describe(r))
        // Go raises the soft nofile limit to the hard one at start-up, and runc 1.1 does not set it
        // back for exec'd processes (fixed in runc 1.2).
        assertOrDeviation(lines.dropFirst(2).first == "777", runtimes: ["runc"],
                          reason: "runc 1.1 leaks Go's raised RLIMIT_NOFILE soft limit into exec'd processes",
                          "soft nofile limit: \(describe(r))")
        let f = statusFields(r.stdout)
        let caps = capMask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        XCTAssertEqual(f["CapEff"], caps, describe(r))
        XCTAssertEqual(f["CapBnd"], caps, describe(r))
        XCTAssertEqual(f["NoNewPrivs"], "1", describe(r))
    }

    func testCommandLineFlags() {
        let id = startSleeper { c in c[path: "process.noNewPrivileges"] = false }
        let r = exec(id, ["sh", "-c", "id -u; id -g; id -G; pwd; echo $A $B; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status"],
                     flags: ["--user", "1000:1001", "--additional-gids", "20", "--additional-gids", "30", "--cwd", "/tmp",
                             "--env", "A=1", "--env", "B=two words", "--cap", "CAP_SYS_CHROOT", "--no-new-privs"])
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7, describe(r))
        guard lines.count == 7 else { return }
        XCTAssertEqual(lines[0], "1000")
        XCTAssertEqual(lines[1], "1001")
        XCTAssertEqual(Set(lines[2].split(separator: " ")), ["1001", "20", "30"], describe(r))
        XCTAssertEqual(lines[3], "/tmp")
        XCTAssertEqual(lines[4], "1 two words")
        // A non-root user keeps the ambient capabilities (runc puts --cap into ambient too).
        let f = statusFields(r.stdout)
        XCTAssertEqual(f["NoNewPrivs"], "1", describe(r))
        XCTAssertNotNil(f["CapEff"])
    }

    func testProcessFile() {
        let id = startSleeper()
        let file = scratch + "/process.json"
        let process: [String: Any] = [
            "terminal": false, "user": ["uid": 2000, "gid": 2000], "args": ["sh", "-c", "id -u; echo $ONLY; pwd; exit 3"],
            "env": ["PATH=/bin", "ONLY=fromfile"], "cwd": "/dev",
        ]
        try! jsonText(process).write(toFile: file, atomically: true, encoding: .utf8)
        let r = exec(id, [], flags: ["--process", file])
        XCTAssertEqual(r.status, 3, describe(r))
        XCTAssertEqual(r.stdout, "2000\nfromfile\n/dev\n", describe(r))
    }

    /// `exec --process` goes through the resolver `create` uses: a kernel name it does not know, or
    /// a value out of range, is refused before anything runs, naming the field in the process file
    /// (`process: rlimits[0].type`); the process never starts. An unknown capability is ignored with
    /// a warning naming its field, as in config.json (runtime-spec 1.3: runtimes SHOULD NOT fail).
    func testProcessFileWithBadKernelValuesIsRefused() {
        let id = startSleeper()
        let marker = "/tmp/exec-ran-" + token
        let base: [String: Any] = [
            "user": ["uid": 0, "gid": 0], "args": ["touch", marker], "env": ["PATH=/bin"], "cwd": "/",
        ]
        let bad: [(name: String, field: String, value: [String: Any], newField: Bool)] = [
            ("unknown rlimit", "process: rlimits[0].type", ["rlimits": [["type": "RLIMIT_FOO", "soft": 1, "hard": 1]]], false),
            ("soft above hard", "process: rlimits[0]", ["rlimits": [["type": "RLIMIT_NOFILE", "soft": 9, "hard": 8]]], false),
            ("unknown scheduler policy", "process: scheduler.policy", ["scheduler": ["policy": "SCHED_FAST"]], true),
            ("unknown scheduler flag", "process: scheduler.flags[0]",
             ["scheduler": ["policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_NOPE"]]], true),
            ("unknown I/O priority class", "process: ioPriority.class", ["ioPriority": ["class": "IOPRIO_CLASS_X", "priority": 0]], true),
            ("oomScoreAdj out of range", "process: oomScoreAdj", ["oomScoreAdj": 5000], false),
        ]
        for (i, c) in bad.enumerated() {
            let file = scratch + "/bad-process-\(i).json"
            try! jsonText(base.merging(c.value) { _, new in new }).write(toFile: file, atomically: true, encoding: .utf8)
            let r = exec(id, [], flags: ["--process", file])
            // runc 1.1.5 does not know scheduler and ioPriority (runtime-spec 1.2/1.3) and ignores them.
            assertOrDeviation(r.status != 0, runtimes: c.newField ? ["runc"] : [],
                              reason: "runc 1.1.5 does not know this runtime-spec 1.2/1.3 field", "\(c.name): \(describe(r))")
            if isSwiftlet {
                XCTAssertTrue(r.stderr.contains(c.field), "\(c.name): the error names \(c.field): \(describe(r))")
                let ran = exec(id, ["test", "-e", marker])
                XCTAssertNotEqual(ran.status, 0, "\(c.name): the process ran: \(describe(ran))")
            }
            _ = exec(id, ["rm", "-f", marker])
        }
        let file = scratch + "/unknown-cap-process.json"
        var withCap = base
        withCap["args"] = ["true"]
        withCap["capabilities"] = ["bounding": ["CAP_KILL", "CAP_NOT_A_THING"], "effective": ["CAP_KILL"],
                                   "permitted": ["CAP_KILL"]]
        try! jsonText(withCap).write(toFile: file, atomically: true, encoding: .utf8)
        let r = exec(id, [], flags: ["--process", file])
        XCTAssertEqual(r.status, 0, "an unknown capability must not fail exec: \(describe(r))")
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("process: capabilities.bounding[1]") && r.stderr.contains("CAP_NOT_A_THING"),
                          describe(r))
        }
    }

    func testDetachAndPidFile() {
        let id = startSleeper()
        let pidFile = scratch + "/exec.pid"
        let r = exec(id, ["sleep", "500"], flags: ["--detach", "--pid-file", pidFile])
        XCTAssertEqual(r.status, 0, describe(r))
        let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        guard let pid = Int32(text) else { return XCTFail("pid file: \(text)") }
        let cmdline = readFileBytes("/proc/\(pid)/cmdline").replacingOccurrences(of: "\0", with: " ")
        XCTAssertEqual(cmdline, "sleep 500 ", "pid file names another process")
        // It is in the container: the container's ps shows it.
        let ps = exec(id, ["ps"])
        XCTAssertTrue(ps.stdout.contains("sleep 500"), describe(ps))
        kill(pid, SIGKILL)
    }

    func testNoRuntimeFDsLeak() {
        let id = startSleeper()
        let r = exec(id, ["ls", "/proc/self/fd"])
        XCTAssertEqual(r.status, 0, describe(r))
        // 0-2 and the fd ls reads the directory with.
        XCTAssertEqual(r.stdout.split(separator: "\n").map(String.init), ["0", "1", "2", "3"], describe(r))
        let run = runContainer { $0.args = ["ls", "/proc/self/fd"] }
        XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init), ["0", "1", "2", "3"], describe(run))
    }

    func testPreserveFDs() {
        let id = startSleeper()
        let file = scratch + "/preserved"
        try! "preserved-content".write(toFile: file, atomically: true, encoding: .utf8)
        let cmd = "exec 3<'\(file)' 4<'\(file)'; exec '\(Env.runtime)' --root '\(stateRoot)' exec --preserve-fds 2 \(id) sh -c 'cat <&4; echo; ls /proc/self/fd'"
        let r = Host.sh(cmd)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "preserved-content\n0\n1\n2\n3\n4\n5\n", describe(r))
    }

    func testListenFDs() {
        let b = makeBundle { $0.shell("echo $LISTEN_FDS $LISTEN_PID; cat <&3; echo; cat <&4; echo; ls /proc/self/fd") }
        let f1 = scratch + "/l1", f2 = scratch + "/l2"
        try! "one".write(toFile: f1, atomically: true, encoding: .utf8)
        try! "two".write(toFile: f2, atomically: true, encoding: .utf8)
        let cmd = "exec 3<'\(f1)' 4<'\(f2)'; LISTEN_FDS=2 LISTEN_PID=$$ exec '\(Env.runtime)' --root '\(stateRoot)' run --bundle '\(b)' \(newID())"
        let r = Host.sh(cmd)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "2 1\none\ntwo\n0\n1\n2\n3\n4\n5\n", describe(r))
    }

    func testPidfdSocket() throws {
        if isKnownDeviation(["runc"]) {
            print("NOTE: known deviation of \(runtimeName): runc 1.1 has no --pidfd-socket — not tested")
            return
        }
        // A python listener receives the fd and reports what it points at.
        let sock = scratch + "/pidfd.sock"
        let out = scratch + "/pidfd.out"
        let py = """
        import socket, os, array, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
        print("ready", flush=True)
        c, _ = s.accept()
        msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(4))
        fd = array.array("i", anc[0][2][:4])[0]
        info = open("/proc/self/fdinfo/%d" % fd).read()
        pid = [l.split()[1] for l in info.splitlines() if l.startswith("Pid:")][0]
        open(sys.argv[2], "w").write(pid)
        """
        let script = scratch + "/recv.py"
        try py.write(toFile: script, atomically: true, encoding: .utf8)
        let listener = Host.spawn("/usr/bin/env", ["python3", script, sock, out])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: sock) { usleep(20_000) }
        let id = startSleeper()
        let pidFile = scratch + "/p.pid"
        let r = exec(id, ["sleep", "300"], flags: ["-d", "--pidfd-socket", sock, "--pid-file", pidFile])
        XCTAssertEqual(r.status, 0, describe(r))
        _ = listener.wait(timeout: 10)
        let got = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let want = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "?"
        XCTAssertEqual(got, want, "the pidfd names another process than the exec'd one")
        if let p = Int32(want) { kill(p, SIGKILL) }
    }

    func testForegroundRunForwardsSignals() {
        let b = makeBundle { $0.shell("trap 'echo got-term; exit 42' TERM; echo started; while :; do sleep 0.1; done") }
        let p = spawnRuntime(["run", "--bundle", b, newID()])
        usleep(700_000)
        kill(p.pid, SIGTERM)
        let r = p.wait(timeout: 10)
        XCTAssertEqual(r.status, 42, describe(r))
        XCTAssertEqual(r.stdout, "started\ngot-term\n", describe(r))
    }

    func testForegroundRunKilledBySignal() {
        // Outside a pid namespace: pid 1 of one would ignore the signal.
        let b = makeBundle { c in
            c.removeNamespace("pid")
            c.shell("kill -USR1 $$; sleep 5")
        }
        let r = run(b)
        XCTAssertEqual(r.status, 128 + SIGUSR1, describe(r))
    }

    func testForegroundExecForwardsSignals() {
        let id = startSleeper()
        let p = spawnRuntime(["exec", id, "sh", "-c", "trap 'echo got-hup; exit 9' HUP; echo started; while :; do sleep 0.1; done"])
        usleep(700_000)
        kill(p.pid, SIGHUP)
        let r = p.wait(timeout: 10)
        XCTAssertEqual(r.status, 9, describe(r))
        XCTAssertEqual(r.stdout, "started\ngot-hup\n", describe(r))
    }
}
