import Foundation
import XCTest

/// What engines, their users and their test suites take for granted from runc about the process
/// (issue 16): HOME, a cwd only root can reach, a terminal owned by the process user, an
/// `exec --process` file without `user`, loopback up in a new network namespace, `--help` of every
/// command, `--debug`, and the uts sysctls that conflict with `hostname`/`domainname`.
final class ProcessDropInTests: IntegrationTestCase {
    /// Prints the HOME of the process's environment (not the shell's idea of it), or NOHOME.
    static let printHome = "env | grep '^HOME=' || echo NOHOME"

    /// A process.json for `exec --process`.
    func processFile(_ process: [String: Any]) -> String {
        let file = scratch + "/process-\(UUID().uuidString).json"
        try! jsonText(process).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    // MARK: HOME

    func testHomeComesFromPasswdWhenEnvLacksIt() {
        // The rootfs's /etc/passwd: root → /root, 1000 → /home/app; 4242 has no entry → "/".
        for (uid, want) in [(0, "/root"), (1000, "/home/app"), (4242, "/")] {
            let out = output { c in
                c[path: "process.user"] = ["uid": uid, "gid": uid]
                c.shell(Self.printHome)
            }
            knownDeviation(runtimes: ["crun"], reason: "crun 1.8 sets no HOME for a uid without a passwd entry") {
                XCTAssertEqual(out, "HOME=\(want)\n", "run as uid \(uid)")
            }
        }
        // A HOME given in process.env is kept.
        let given = output { c in
            c.appendEnv("HOME=/data")
            c.shell(Self.printHome)
        }
        XCTAssertEqual(given, "HOME=/data\n")
    }

    func testExecGetsHomeToo() {
        let id = startSleeper()
        if isKnownDeviation(["crun"]) {
            print("NOTE: known deviation of \(runtimeName) (\(name)): crun 1.8's exec sets no HOME — not asserted")
            return
        }
        let plain = runtime(["exec", "-u", "1000:1000", id, "sh", "-c", Self.printHome])
        XCTAssertEqual(plain.status, 0, describe(plain))
        XCTAssertEqual(plain.stdout, "HOME=/home/app\n", describe(plain))

        let root = runtime(["exec", id, "sh", "-c", Self.printHome])
        XCTAssertEqual(root.stdout, "HOME=/root\n", describe(root))

        let file = processFile(["user": ["uid": 4242, "gid": 4242], "args": ["sh", "-c", Self.printHome],
                                "env": ["PATH=/bin:/usr/bin"], "cwd": "/"])
        let viaFile = runtime(["exec", "--process", file, id])
        XCTAssertEqual(viaFile.status, 0, describe(viaFile))
        XCTAssertEqual(viaFile.stdout, "HOME=/\n", describe(viaFile))

        let withHome = runtime(["exec", "-e", "HOME=/tmp", id, "sh", "-c", Self.printHome])
        XCTAssertEqual(withHome.stdout, "HOME=/tmp\n", describe(withHome))
    }

    /// A hostile bundle whose /etc/passwd is a fifo (blocks whoever opens or reads it), a symlink to
    /// /dev/zero (never ends, no newline) or a huge file: the runtime reads it for HOME, as root,
    /// and must neither hang nor run out of memory. HOME falls back to "/".
    func testHostilePasswdDoesNotHangTheRuntime() {
        let cases: [(String, String)] = [
            ("fifo", "rm -f etc/passwd && mkfifo etc/passwd"),
            ("/dev/zero", "rm -f etc/passwd && ln -s /dev/zero etc/passwd"),
            ("64 MiB without a newline", "head -c 67108864 /dev/zero | tr '\\0' x > etc/passwd"),
        ]
        for (what, prepare) in cases {
            if what == "fifo" && isKnownDeviation(["crun"]) {
                // Measured: crun hangs on it, and leaves its process and cgroups when killed.
                print("NOTE: known deviation of \(runtimeName) (\(name)): hangs on a fifo /etc/passwd — not run")
                continue
            }
            let b = makeBundle(privateRootfs: true) { c in c.shell(Self.printHome) }
            let p = Host.sh("cd '\(b)/rootfs' && \(prepare)")
            XCTAssertEqual(p.status, 0, describe(p))
            let id = newID()
            let (r, seconds) = runtimeTimed(["run", "--bundle", b, id], timeout: 20)
            knownDeviation(runtimes: ["runc", "crun"], reason: "reads the container's /etc/passwd as it is") {
                XCTAssertEqual(r.status, 0, "/etc/passwd a \(what): \(describe(r))")
                XCTAssertEqual(r.stdout, "HOME=/\n", "/etc/passwd a \(what): \(describe(r))")
                XCTAssertLessThan(seconds, 10, "/etc/passwd a \(what): took \(seconds) s")
            }
            if !isSwiftlet { print("NOTE: \(runtimeName), /etc/passwd a \(what): \(Int(seconds)) s, \(describe(r))") }
            runtime(["delete", "--force", id])
            Host.sh("rm -rf '\(b)/rootfs'")
        }
    }

    // MARK: cwd

    func testCwdOnlyRootCanReach() {
        // /root is 0700 root in the rootfs: uid 1000 cannot search it, but runc enters the cwd before
        // it drops privileges.
        let r = runContainer { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c[path: "process.cwd"] = "/root"
            c.shell("pwd; id -u; ls . >/dev/null 2>&1 && echo listed || echo unreadable")
        }
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "/root\n1000\nunreadable\n", describe(r))

        let id = startSleeper()
        let e = runtime(["exec", "-u", "1000:1000", "--cwd", "/root", id, "pwd"])
        XCTAssertEqual(e.status, 0, describe(e))
        XCTAssertEqual(e.stdout, "/root\n", describe(e))

        let file = processFile(["user": ["uid": 1000, "gid": 1000], "args": ["pwd"],
                                "env": ["PATH=/bin:/usr/bin"], "cwd": "/root"])
        let p = runtime(["exec", "--process", file, id])
        XCTAssertEqual(p.status, 0, describe(p))
        XCTAssertEqual(p.stdout, "/root\n", describe(p))
    }

    func testCwdThatIsNotADirectoryStillFails() {
        let id = startSleeper()
        let r = runtime(["exec", "--cwd", "/etc/passwd", id, "pwd"])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("/etc/passwd"), describe(r)) }
    }

    // MARK: terminal owner

    static let statTTY = "stat -c 'tty=%u:%g:%a' $(tty)"

    func testTerminalBelongsToProcessUser() {
        // create --console-socket + start, as engines run a container with a terminal.
        let sock = scratch + "/c.sock", out = scratch + "/c.out"
        let listener = consoleListener(socket: sock, out: out)
        let b = makeBundle { c in
            c[path: "process.terminal"] = true
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell(Self.statTTY)
        }
        let id = newID()
        let cr = runtime(["create", "--bundle", b, "--console-socket", sock, id])
        XCTAssertEqual(cr.status, 0, describe(cr))
        let st = runtime(["start", id])
        XCTAssertEqual(st.status, 0, describe(st))
        _ = listener.wait(timeout: 20)
        let got = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        XCTAssertTrue(got.contains("tty=1000:5:620"), "run's terminal: \(got)")
        _ = waitForStatus(id, "stopped")
        runtime(["delete", "--force", id])

        // exec -t -d --console-socket, as a user of the container.
        let sleeper = startSleeper()
        let sock2 = scratch + "/e.sock", out2 = scratch + "/e.out"
        let listener2 = consoleListener(socket: sock2, out: out2)
        let e = runtime(["exec", "-t", "-d", "--console-socket", sock2, "-u", "1000:1000", sleeper,
                         "sh", "-c", Self.statTTY])
        XCTAssertEqual(e.status, 0, describe(e))
        _ = listener2.wait(timeout: 20)
        let got2 = (try? String(contentsOfFile: out2, encoding: .utf8)) ?? ""
        assertOrDeviation(got2.contains("tty=1000:5:620"), runtimes: ["crun"],
                          reason: "crun 1.8 leaves exec's pty to root", "exec's terminal: \(got2)")

        // Root's terminal stays root's.
        let sock3 = scratch + "/r.sock", out3 = scratch + "/r.out"
        let listener3 = consoleListener(socket: sock3, out: out3)
        let r = runtime(["exec", "-t", "-d", "--console-socket", sock3, sleeper, "sh", "-c", Self.statTTY])
        XCTAssertEqual(r.status, 0, describe(r))
        _ = listener3.wait(timeout: 20)
        let got3 = (try? String(contentsOfFile: out3, encoding: .utf8)) ?? ""
        XCTAssertTrue(got3.contains("tty=0:5:620"), "root's terminal: \(got3)")
    }

    // MARK: exec --process without user

    func testExecProcessFileWithoutUserRunsAsRoot() {
        let id = startSleeper { c in c[path: "process.user"] = ["uid": 1000, "gid": 1000] }
        let file = processFile(["args": ["sh", "-c", "echo $(id -u):$(id -g)"], "env": ["PATH=/bin:/usr/bin"], "cwd": "/"])
        let r = runtime(["exec", "--process", file, id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "0:0\n", describe(r))
    }

    // MARK: loopback

    func testLoopbackIsUpInNewNetworkNamespace() {
        // /sys/class/net/lo/flags: 0x9 = IFF_UP|IFF_LOOPBACK; a TCP service on 127.0.0.1 answers.
        let r = runContainer { c in
            c.shell("""
                cat /sys/class/net/lo/flags
                nc -l -p 7777 -e echo pong >/dev/null 2>&1 &
                for i in 1 2 3 4 5 6 7 8 9 10; do
                    out=$(nc 127.0.0.1 7777 </dev/null 2>/dev/null) && [ -n "$out" ] && break
                    sleep 0.1
                done
                echo "got $out"
                """)
        }
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "0x9\ngot pong\n", describe(r))
    }

    func testJoinedNetworkNamespaceIsLeftAlone() {
        // A namespace the container joins belongs to someone else: its lo stays as it is (down).
        let name = token + "-net"
        let add = Host.sh("ip netns add \(name)")
        XCTAssertEqual(add.status, 0, describe(add))
        defer { Host.sh("ip netns del \(name)") }
        let out = output { c in
            c.removeNamespace("network")
            c.addNamespace("network", path: "/run/netns/\(name)")
            c.args = ["cat", "/sys/class/net/lo/flags"]
        }
        XCTAssertEqual(out, "0x8\n")
    }

    // MARK: help

    /// Every command and the flags it takes (as parsed in Sources/swiftlet/Commands).
    static let commandFlags: [String: [String]] = [
        "checkpoint": ["image-path", "work-path", "parent-path", "leave-running", "tcp-established", "ext-unix-sk",
                       "shell-job", "lazy-pages", "status-fd", "page-server", "file-locks", "pre-dump",
                       "manage-cgroups-mode", "empty-ns", "auto-dedup"],
        "restore": ["console-socket", "image-path", "work-path", "tcp-established", "ext-unix-sk", "shell-job",
                    "file-locks", "manage-cgroups-mode", "bundle", "detach", "pid-file", "no-subreaper", "no-pivot",
                    "empty-ns", "auto-dedup", "lazy-pages", "lsm-profile", "lsm-mount-context"],
        "create": ["bundle", "console-socket", "pidfd-socket", "pid-file", "no-pivot", "no-new-keyring", "preserve-fds"],
        "run": ["bundle", "console-socket", "pidfd-socket", "detach", "keep", "pid-file", "no-pivot", "no-new-keyring",
                "preserve-fds"],
        "delete": ["force"], "kill": ["all"], "list": ["format", "quiet"], "ps": ["format"],
        "events": ["interval", "stats"], "spec": ["bundle", "rootless"],
        "exec": ["console-socket", "pidfd-socket", "cwd", "env", "tty", "user", "additional-gids", "process", "detach",
                 "pid-file", "process-label", "apparmor", "no-new-privs", "cap", "preserve-fds", "cgroup",
                 "ignore-paused"],
        "update": ["resources", "blkio-weight", "cpu-period", "cpu-quota", "cpu-share", "cpu-rt-period",
                   "cpu-rt-runtime", "cpu-idle", "cpuset-cpus", "cpuset-mems", "kernel-memory", "kernel-memory-tcp",
                   "memory", "memory-reservation", "memory-swap", "pids-limit", "l3-cache-schema", "mem-bw-schema"],
        "start": [], "state": [], "pause": [], "resume": [], "features": [],
    ]
    /// Flags runc 1.1.5 does not have (later runc's --pidfd-socket, cgroup v2's cpu.idle, ...).
    static let notInRunc11: Set<String> = ["pidfd-socket", "cpu-idle", "kernel-memory", "kernel-memory-tcp"]

    func testHelpOfEveryCommand() throws {
        if isKnownDeviation(["crun"]) { throw XCTSkip("crun's help has its own (argp) layout") }
        for (command, flags) in Self.commandFlags.sorted(by: { $0.key < $1.key }) {
            let r = runtimeNoRoot([command, "--help"])
            XCTAssertEqual(r.status, 0, "\(command) --help: \(describe(r))")
            XCTAssertTrue(r.stdout.hasPrefix("NAME:\n"), "\(command) --help: \(r.stdout)")
            XCTAssertTrue(r.stdout.contains(" \(command) - "), "\(command) --help names it: \(r.stdout)")
            XCTAssertTrue(r.stdout.contains("\nUSAGE:\n"), "\(command) --help: \(r.stdout)")
            if isSwiftlet { XCTAssertTrue(r.stdout.contains("\nDESCRIPTION:\n"), "\(command) --help: \(r.stdout)") }
            if !flags.isEmpty { XCTAssertTrue(r.stdout.contains("\nOPTIONS:\n"), "\(command) --help: \(r.stdout)") }
            for flag in flags where isSwiftlet || !Self.notInRunc11.contains(flag) {
                XCTAssertTrue(r.stdout.contains("   --\(flag)"), "\(command) --help lacks --\(flag): \(r.stdout)")
            }
            // -h and `help COMMAND` say the same.
            let short = runtimeNoRoot([command, "-h"])
            XCTAssertEqual(short.status, 0, "\(command) -h: \(describe(short))")
            XCTAssertEqual(short.stdout, r.stdout, "\(command) -h")
            let viaHelp = runtimeNoRoot(["help", command])
            XCTAssertEqual(viaHelp.status, 0, "help \(command): \(describe(viaHelp))")
            XCTAssertEqual(viaHelp.stdout, r.stdout, "help \(command)")
        }
        // --help after other flags, as urfave/cli takes it.
        let late = runtimeNoRoot(["create", "--bundle", "/nonexistent", "--help"])
        XCTAssertEqual(late.status, 0, describe(late))
        XCTAssertTrue(late.stdout.contains("--console-socket"), describe(late))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/run/swiftlet/--help"))
    }

    func testGlobalHelpListsCommands() throws {
        if isKnownDeviation(["crun"]) { throw XCTSkip("crun's help has its own (argp) layout") }
        for args in [["--help"], ["-h"], ["help"]] {
            let r = runtimeNoRoot(args)
            XCTAssertEqual(r.status, 0, "\(args): \(describe(r))")
            XCTAssertTrue(r.stdout.contains("USAGE:"), "\(args): \(r.stdout)")
            XCTAssertTrue(r.stdout.contains("COMMANDS:"), "\(args): \(r.stdout)")
            for command in Self.commandFlags.keys {
                XCTAssertTrue(r.stdout.contains("\n   \(command) "), "\(args) lacks \(command): \(r.stdout)")
            }
            for flag in ["--root", "--log", "--log-format", "--debug"] {
                XCTAssertTrue(r.stdout.contains(flag), "\(args) lacks \(flag)")
            }
        }
    }

    func testHelpFlagOfTheExecutedProgramIsNotTaken() {
        // Everything after the container id belongs to the process: `exec ID echo --help` runs echo.
        let id = startSleeper()
        let r = runtime(["exec", id, "echo", "--help"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "--help\n", describe(r))
        let k = runtime(["exec", id, "sh", "-c", "echo $0 $1", "-h", "x"])
        XCTAssertEqual(k.stdout, "-h x\n", describe(k))
    }

    // MARK: --debug

    func debugBundle() -> String { makeBundle { $0.args = ["true"] } }

    func testDebugGoesToStderrInRuncFormat() throws {
        if isKnownDeviation(["crun"]) { throw XCTSkip("crun 1.8 logs nothing at debug level for run") }
        let r = runtime(["--debug", "run", "--bundle", debugBundle(), newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("level=debug") }
        XCTAssertFalse(lines.isEmpty, "no debug lines: \(describe(r))")
        for l in lines {
            XCTAssertTrue(l.hasPrefix("time=\"") && l.contains(" level=debug msg="), "not logrus' text format: \(l)")
        }
        if isSwiftlet {
            for step in ["config.json loaded", "namespaces:", "cgroup made:", "container process: pid",
                         "hooks", "created", "started"] {
                XCTAssertTrue(lines.contains { $0.contains(step) }, "no debug line about \(step): \(r.stderr)")
            }
        }
        // Without --debug, nothing of it.
        let quiet = runtime(["run", "--bundle", debugBundle(), newID()])
        XCTAssertEqual(quiet.status, 0, describe(quiet))
        XCTAssertFalse(quiet.stderr.contains("level=debug"), describe(quiet))
    }

    func testDebugGoesToTheLogFile() throws {
        if isKnownDeviation(["crun"]) { throw XCTSkip("crun 1.8 logs nothing at debug level for run") }
        // JSON, as podman and containerd's shim ask for it: every line an object with level, msg, time.
        let json = scratch + "/debug.json"
        let r = runtime(["--debug", "--log", json, "--log-format", "json", "run", "--bundle", debugBundle(), newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertFalse(r.stderr.contains("debug"), "debug lines go to the log, not stderr: \(describe(r))")
        let text = (try? String(contentsOfFile: json, encoding: .utf8)) ?? ""
        let objects = text.split(separator: "\n").map { parseJSON(String($0)) as? [String: Any] }
        XCTAssertFalse(objects.isEmpty, "the log \(json) is empty or missing")
        for (i, o) in objects.enumerated() {
            XCTAssertNotNil(o?["msg"] as? String, "line \(i) of the log is not runc's JSON: \(text)")
            XCTAssertNotNil(o?["time"] as? String, "line \(i): \(text)")
        }
        XCTAssertTrue(objects.contains { $0?["level"] as? String == "debug" }, "no debug line: \(text)")

        let plain = scratch + "/debug.log"
        let t = runtime(["--debug", "--log", plain, "run", "--bundle", debugBundle(), newID()])
        XCTAssertEqual(t.status, 0, describe(t))
        let log = (try? String(contentsOfFile: plain, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains(" level=debug msg="), "no debug line in \(plain): \(log)")

        // --log without --debug: no debug lines.
        let none = scratch + "/nodebug.log"
        let n = runtime(["--log", none, "run", "--bundle", debugBundle(), newID()])
        XCTAssertEqual(n.status, 0, describe(n))
        let nlog = (try? String(contentsOfFile: none, encoding: .utf8)) ?? ""
        XCTAssertFalse(nlog.contains("debug"), nlog)
    }

    // MARK: sysctl

    func testHostnameSysctlRefusedWithoutHostnameField() {
        let b = makeBundle { c in
            c["hostname"] = nil
            c[path: "linux.sysctl"] = ["kernel.hostname": "from-sysctl"]
            c.args = ["hostname"]
        }
        let id = newID()
        let r = runtime(["create", "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0, "kernel.hostname must be refused: \(describe(r))")
        XCTAssertTrue(r.stderr.contains("kernel.hostname"), describe(r))
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("linux.sysctl"), describe(r)) }
        assertNothingLeftBehind(id)
    }

    func testDomainnameSysctlRefusedAlongsideDomainnameField() {
        let b = makeBundle { c in
            c["domainname"] = "field.example"
            c[path: "linux.sysctl"] = ["kernel.domainname": "sysctl.example"]
            c.args = ["cat", "/proc/sys/kernel/domainname"]
        }
        let id = newID()
        let r = runtime(["create", "--bundle", b, id])
        // runc 1.1 knows no `domainname` field (it ignores it), so nothing conflicts there.
        knownDeviation(runtimes: ["runc"], reason: "runc 1.1 ignores the domainname field") {
            XCTAssertNotEqual(r.status, 0, "kernel.domainname next to domainname must be refused: \(describe(r))")
            XCTAssertTrue(r.stderr.contains("kernel.domainname"), describe(r))
            if isSwiftlet { XCTAssertTrue(r.stderr.contains("linux.sysctl"), describe(r)) }
        }
        runtime(["delete", "--force", id])
        assertNothingLeftBehind(id)
    }
}
