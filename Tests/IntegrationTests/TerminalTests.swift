import Foundation
import XCTest

/// Terminals: a real pty (python's pty module) in front of the runtime for foreground `run -t`
/// and `exec -t` (raw mode, window size, SIGWINCH, restore), and --console-socket for `exec -d -t`.
final class TerminalTests: IntegrationTestCase {
    /// Runs `command` (a shell line) on a new pty of rows x cols. When the output shows `marker`,
    /// resizes the pty to `resize` and/or types `input`. Returns the pty output and exit status.
    func onPty(_ command: String, rows: Int = 24, cols: Int = 80, marker: String = "",
               resize: (Int, Int)? = nil, input: String = "") -> ProcResult {
        let helper = scratch + "/ptyrun.py"
        let py = pythonDrain + """
        import pty, sys, fcntl, termios, struct
        rows, cols, marker, resize, text, cmd = sys.argv[1:7]
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", int(rows), int(cols), 0, 0))
            os.execv("/bin/sh", ["sh", "-c", cmd])
        done = marker == ""
        if done and text:
            os.write(fd, text.encode())
        def seen(out):
            global done
            if not done and marker.encode() in out:
                done = True
                if resize:
                    r2, c2 = resize.split()
                    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", int(r2), int(c2), 0, 0))
                if text:
                    time.sleep(0.2); os.write(fd, text.encode())
        out = drain(fd, 20, seen)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
        """
        try! py.write(toFile: helper, atomically: true, encoding: .utf8)
        let r = resize.map { "\($0.0) \($0.1)" } ?? ""
        return Host.exec("/usr/bin/env", ["python3", helper, "\(rows)", "\(cols)", marker, r, input, command], timeout: 40)
    }

    var rt: String { "'\(Env.runtime)' --root '\(stateRoot)'" }

    func testRunWithTerminal() {
        let b = makeBundle { c in
            c[path: "process.terminal"] = true
            c.shell("tty; stty size; exit 3")
        }
        let r = onPty("\(rt) run --bundle '\(b)' \(newID())", rows: 33, cols: 101)
        XCTAssertEqual(r.status, 3, describe(r))
        XCTAssertTrue(r.stdout.contains("/dev/pts/0"), describe(r))
        XCTAssertTrue(r.stdout.contains("33 101"), describe(r))
    }

    func testExecWithTerminalAndInput() {
        let id = startSleeper()
        let r = onPty("\(rt) exec -t \(id) sh", marker: "# ", input: "echo $((6*7)); tty; exit 5\r")
        XCTAssertEqual(r.status, 5, describe(r))
        XCTAssertTrue(r.stdout.contains("42"), describe(r))
        XCTAssertTrue(r.stdout.contains("/dev/pts/"), describe(r))
    }

    func testWindowChangeIsPassedOn() {
        let id = startSleeper()
        let script = "stty size; trap 'stty size; exit 0' WINCH; echo waiting; while :; do sleep 0.1; done"
        let r = onPty("\(rt) exec -t \(id) sh -c \"\(script)\"", rows: 20, cols: 70, marker: "waiting", resize: (50, 140))
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.contains("20 70"), describe(r))
        XCTAssertTrue(r.stdout.contains("50 140"), describe(r))
    }

    func testTerminalRestoredAfterwards() {
        let id = startSleeper()
        let r = onPty("stty -g > '\(scratch)/before'; \(rt) exec -t \(id) sh -c 'stty -echo; exit 0'; stty -g > '\(scratch)/after'")
        XCTAssertEqual(r.status, 0, describe(r))
        let before = (try? String(contentsOfFile: scratch + "/before", encoding: .utf8)) ?? "?"
        let after = (try? String(contentsOfFile: scratch + "/after", encoding: .utf8)) ?? "!"
        XCTAssertEqual(before, after, "the caller's terminal settings were not restored")
    }

    func testConsoleSocketForDetachedExec() throws {
        let id = startSleeper()
        let sock = scratch + "/console.sock"
        let out = scratch + "/console.out"
        let listener = consoleListener(socket: sock, out: out, withName: true)
        let file = scratch + "/process.json"
        let process: [String: Any] = [
            "terminal": true, "consoleSize": ["height": 44, "width": 99], "user": ["uid": 0, "gid": 0],
            "args": ["sh", "-c", "tty; stty size"], "env": ["PATH=/bin"], "cwd": "/",
        ]
        try jsonText(process).write(toFile: file, atomically: true, encoding: .utf8)
        let r = runtime(["exec", "--process", file, "--detach", "--console-socket", sock, id])
        XCTAssertEqual(r.status, 0, describe(r))
        _ = listener.wait(timeout: 15)
        let got = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        XCTAssertTrue(got.hasPrefix("/dev/ptmx|"), "the message is the master's name, as runc sends it: \(got)")
        XCTAssertTrue(got.contains("/dev/pts/"), got)
        XCTAssertTrue(got.contains("44 99"), got)
    }

    func testDetachedTerminalNeedsConsoleSocket() {
        let id = startSleeper()
        let r = runtime(["exec", "-t", "-d", id, "true"])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stderr.contains("console socket"), describe(r))
    }
}
