// Ownership of the container process's stdio when `process.user` is not root, as runc's
// fixStdioPermissions: before the credentials change, each of stdin/stdout/stderr owned by the
// runtime's uid is given to the process's uid (the group stays), except character devices
// (/dev/null, the caller's terminal). A non-root process can then reopen its stdio
// (`echo hi > /dev/stdout` opens /proc/self/fd/1 again, which checks the pipe's or file's
// permissions), which images running under USER and logging to /dev/stdout rely on.
//
// runc 1.1 relays the stdio of a foreground `run`/`exec` through pipes of its own; the caller's
// own fds reach the container with `-d`, which is what the tests of files use.

import Foundation
import XCTest

final class StdioOwnershipTests: IntegrationTestCase {
    private var devNullBefore: Owner?

    override func setUpWithError() throws {
        try super.setUpWithError()
        devNullBefore = owner("/dev/null")
    }

    override func tearDownWithError() throws {
        // A runtime that gives the host's /dev/null away (crun 1.8 does, to the container user)
        // must not leave it so for the rest of the machine.
        if let before = devNullBefore { restoreDevNull(before) }
        try super.tearDownWithError()
    }

    /// The script of a non-root process that reopens its stdout and stderr.
    let reopenStdio = "echo hi > /dev/stdout && echo err > /dev/stderr"
    /// The same for a file as stdout and stderr: `>` would truncate what the other wrote.
    let reopenStdioAppending = "echo hi >> /dev/stdout && echo err >> /dev/stderr"

    /// A user namespace whose root is the host's root (so that the caller's pipes, owned by host
    /// root, are owned by someone the namespace knows), every other id shifted by 100000.
    func addUserNamespaceMappingHostRoot(_ c: inout Config) {
        c.addNamespace("user")
        let map: [[String: Any]] = [["containerID": 0, "hostID": 0, "size": 1],
                                    ["containerID": 1, "hostID": 100001, "size": 65535]]
        c[path: "linux.uidMappings"] = map
        c[path: "linux.gidMappings"] = map
    }

    func quoted(_ args: [String]) -> String {
        args.map { "'\($0)'" }.joined(separator: " ")
    }

    /// Runs the runtime (with the test's --root) with stdin from /dev/null and stdout and stderr
    /// each a pipe made by the shell (owned by root, mode 0600, as a caller's pipes are); returns
    /// the runtime's exit status and what came through each pipe.
    func runtimeThroughPipes(_ args: [String]) -> ProcResult {
        let cmd = quoted([Env.runtime, "--root", stateRoot] + args)
        let rc = scratch + "/pipes.rc", out = scratch + "/pipes.out", err = scratch + "/pipes.err"
        let r = Host.sh("( ( \(cmd) </dev/null; echo $? >'\(rc)' ) | cat >'\(out)' ) 2>&1 | cat >'\(err)'")
        XCTAssertEqual(r.status, 0, "the shell pipeline: \(describe(r))")
        defer { for f in [rc, out, err] { unlink(f) } }
        let status = Int32(readFileBytes(rc).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        return (status, readFileBytes(out), readFileBytes(err))
    }

    struct Owner: Equatable {
        let uid: uid_t, gid: gid_t, mode: mode_t
    }

    /// Owner, group and permission bits of a path.
    func owner(_ path: String) -> Owner? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Owner(uid: st.st_uid, gid: st.st_gid, mode: st.st_mode & 0o7777)
    }

    /// A detached container whose init (root) sleeps, for exec.
    func startShellSleeper(_ configure: (inout Config) -> Void = { _ in }) -> String? {
        let bundle = makeBundle { c in
            configure(&c)
            c.shell("sleep 100")
        }
        let id = newID("sleeper")
        let r = runtime(["run", "-d", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "run -d: \(describe(r))")
        return r.status == 0 ? id : nil
    }

    // MARK: pipes

    /// `args` (running `reopenStdio`) through pipes: the process wrote to both.
    func assertReopensStdioPipes(_ args: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = runtimeThroughPipes(args)
        XCTAssertEqual(r.status, 0, "\(what): \(describe(r))", file: file, line: line)
        XCTAssertEqual(r.stdout, "hi\n", describe(r), file: file, line: line)
        XCTAssertEqual(r.stderr, "err\n", describe(r), file: file, line: line)
    }

    func testRunAsNonRootReopensStdoutAndStderrPipes() {
        let bundle = makeBundle { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell(reopenStdio)
        }
        assertReopensStdioPipes(["run", "--bundle", bundle, newID()], "user 1000 writing to /dev/stdout and /dev/stderr")
    }

    func testExecAsNonRootReopensStdoutAndStderrPipes() {
        guard let id = startShellSleeper() else { return }
        assertReopensStdioPipes(["exec", "--user", "1000:1000", id, "sh", "-c", reopenStdio],
                                "exec as 1000 writing to /dev/stdout and /dev/stderr")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    func testUserNamespaceRunAndExecReopenStdioPipes() {
        let bundle = makeBundle { c in
            addUserNamespaceMappingHostRoot(&c)
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell(reopenStdio)
        }
        assertReopensStdioPipes(["run", "--bundle", bundle, newID()], "run, user namespace, user 1000")

        guard let id = startShellSleeper({ addUserNamespaceMappingHostRoot(&$0) }) else { return }
        assertReopensStdioPipes(["exec", "--user", "1000:1000", id, "sh", "-c", reopenStdio], "exec, user namespace, user 1000")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    // MARK: /dev/null

    /// Gives /dev/null back its owner and mode if a runtime under test changed them.
    func restoreDevNull(_ before: Owner) {
        if let now = owner("/dev/null"), now != before {
            chown("/dev/null", before.uid, before.gid)
            chmod("/dev/null", before.mode)
        }
    }

    /// /dev/null as stdin, stdout and stderr of run and exec as user 1000 (with and without a user
    /// namespace in which host root is root): the host's /dev/null keeps its owner, and the
    /// container user's try to change its mode through its stdin (`chmod /proc/self/fd/0`: 0667, a
    /// harmless mode, in case a runtime lets it through) fails.
    func testDevNullStdioIsNeverChowned() {
        guard let before = owner("/dev/null") else { return XCTFail("stat /dev/null") }
        let crunChowns = "crun 1.8 gives the host's /dev/null to the container user (given back at once)"
        let loosenStdin = "chmod 0667 /proc/self/fd/0 2>/dev/null; true"
        let plain = makeBundle { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell(loosenStdin)
        }
        let userns = makeBundle { c in
            addUserNamespaceMappingHostRoot(&c)
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell(loosenStdin)
        }
        /// Runs `args` with /dev/null as stdin, stdout and stderr: /dev/null keeps its owner and mode.
        func assertDevNullKept(_ args: [String], _ what: String) {
            let cmd = quoted([Env.runtime, "--root", stateRoot] + args)
            let r = Host.sh("\(cmd) </dev/null >/dev/null 2>/dev/null; echo $?")
            XCTAssertEqual(r.stdout, "0\n", "\(what) with /dev/null stdio: \(describe(r))")
            let now = owner("/dev/null")
            restoreDevNull(before)
            assertOrDeviation(now == before, runtimes: ["crun"], reason: crunChowns,
                              "\(what) changed the host's /dev/null: \(String(describing: now)), was \(before)")
        }
        for (name, bundle) in [("no user namespace", plain), ("user namespace", userns)] {
            assertDevNullKept(["run", "--bundle", bundle, newID()], "run (\(name))")
        }
        guard let id = startShellSleeper() else { return }
        assertDevNullKept(["exec", "--user", "1000:1000", id, "sh", "-c", loosenStdin], "exec")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    // MARK: files

    /// Waits until `path` has `content` (a detached process writes it); returns what it has.
    func waitForContent(_ path: String, _ content: String, timeout: TimeInterval = 5) -> String {
        poll(until: content, timeout: timeout) { readFileBytes(path) }
    }

    /// An empty file in the scratch dir with this owner and mode.
    func makeLog(_ name: String, uid: uid_t, gid: gid_t, mode: mode_t = 0o600) -> String {
        let path = scratch + "/" + name
        XCTAssert(FileManager.default.createFile(atPath: path, contents: nil))
        XCTAssertEqual(chown(path, uid, gid), 0)
        XCTAssertEqual(chmod(path, mode), 0)
        return path
    }

    /// A file of root's, mode 0600, that the caller gives as stdout and stderr of `run -d` and
    /// `exec -d` becomes the process user's (its group and mode stay), so that user 1000 can
    /// reopen it; runc does the same.
    func testFileGivenAsStdoutIsGivenToTheUser() {
        let bundle = makeBundle { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell(reopenStdioAppending)
        }
        let crunGroup = "crun 1.8 gives the group to the container user's gid too"
        let log = makeLog("run.log", uid: 0, gid: 0)
        let id = newID()
        let r = Host.sh(quoted([Env.runtime, "--root", stateRoot, "run", "-d", "--bundle", bundle, id])
                        + " </dev/null >'\(log)' 2>&1; echo $?")
        XCTAssertEqual(r.stdout, "0\n", "run -d as 1000 with a root-owned 0600 file as stdout: \(describe(r))")
        XCTAssertEqual(waitForContent(log, "hi\nerr\n"), "hi\nerr\n")
        let o = owner(log)
        XCTAssertEqual(o?.uid, 1000, "owner of the file given as stdout")
        assertOrDeviation(o?.gid == 0, runtimes: ["crun"], reason: crunGroup, "group of the file: \(String(describing: o))")
        XCTAssertEqual(o?.mode, 0o600, "the mode stays")
        _ = waitForStatus(id, "stopped")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)

        guard let sleeper = startShellSleeper() else { return }
        let execLog = makeLog("exec.log", uid: 0, gid: 0)
        let e = Host.sh(quoted([Env.runtime, "--root", stateRoot, "exec", "-d", "--user", "1000:1000", sleeper,
                                "sh", "-c", reopenStdioAppending]) + " </dev/null >'\(execLog)' 2>&1; echo $?")
        XCTAssertEqual(e.stdout, "0\n", "exec -d as 1000 with a root-owned 0600 file as stdout: \(describe(e))")
        XCTAssertEqual(waitForContent(execLog, "hi\nerr\n"), "hi\nerr\n")
        let eo = owner(execLog)
        XCTAssertEqual(eo?.uid, 1000, "owner of the file given to exec as stdout")
        assertOrDeviation(eo?.gid == 0, runtimes: ["crun"], reason: crunGroup, "group of the file: \(String(describing: eo))")
        XCTAssertEqual(runtime(["delete", "--force", sleeper]).status, 0)
    }

    /// A file of a third user (not the runtime's) given as stdout keeps its owner: the runtime
    /// gives away only what is its own. runc and crun give it to the container user.
    func testFileOfAnotherUserKeepsItsOwner() {
        let bundle = makeBundle { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell("echo hi")
        }
        let log = makeLog("other.log", uid: 4242, gid: 4242, mode: 0o644)
        let id = newID()
        let r = Host.sh(quoted([Env.runtime, "--root", stateRoot, "run", "-d", "--bundle", bundle, id])
                        + " </dev/null >'\(log)' 2>&1; echo $?")
        XCTAssertEqual(r.stdout, "0\n", "run -d: \(describe(r))")
        XCTAssertEqual(waitForContent(log, "hi\n"), "hi\n", "the process writes through the fd it was given")
        let o = owner(log)
        assertOrDeviation(o == Owner(uid: 4242, gid: 4242, mode: 0o644), runtimes: ["runc", "crun"],
                          reason: "runc and crun give every stdio file but /dev/null to the container user",
                          "the file of uid 4242 given as stdout: \(String(describing: o))")
        _ = waitForStatus(id, "stopped")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    /// The caller's terminal as stdin, stdout and stderr (process.terminal false) keeps its owner:
    /// it is the host's, not the container's. runc (foreground: its own pipes) and crun leave it too.
    /// `script` gives the runtime a fresh pty of root's as its terminal; the container user tries to
    /// change its mode through its stdin.
    func testCallersTerminalKeepsItsOwner() {
        let bundle = makeBundle { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c.shell("chmod 0667 /proc/self/fd/0 2>/dev/null; echo hi")
        }
        let cmd = quoted([Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, newID()])
        let r = Host.sh("script -qec \"stat -c before=%u:%g:%a \\$(tty); \(cmd); echo rc=\\$?; stat -c after=%u:%g:%a \\$(tty)\" /dev/null")
        let lines = r.stdout.split(whereSeparator: \.isNewline).map(String.init)  // the pty ends lines with \r\n
        let before = lines.first { $0.hasPrefix("before=") }?.dropFirst(7)
        let after = lines.first { $0.hasPrefix("after=") }?.dropFirst(6)
        XCTAssert(lines.contains("rc=0") && lines.contains("hi"), "run with a terminal as stdio: \(describe(r))")
        XCTAssertNotNil(before, describe(r))
        XCTAssertEqual(after, before, "owner:group:mode of the caller's terminal after the run")
    }

    /// Root as `process.user`: nothing is chowned (a root-owned file stays root's).
    func testRootUserLeavesStdioAlone() {
        let log = scratch + "/root.log"
        XCTAssert(FileManager.default.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o600]))
        chown(log, 0, 0)
        let bundle = makeBundle { c in c.shell(reopenStdioAppending) }
        let cmd = quoted([Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, newID()])
        let r = Host.sh("\(cmd) </dev/null >'\(log)' 2>&1; echo $?")
        XCTAssertEqual(r.stdout, "0\n", describe(r))
        XCTAssertEqual(readFileBytes(log), "hi\nerr\n")
        XCTAssertEqual(owner(log)?.uid, 0)
        XCTAssertEqual(owner(log)?.gid, 0)
    }
}
