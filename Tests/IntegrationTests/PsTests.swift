// `ps ID`: runc's output (the header and the container's lines of `ps -ef`), obtained by asking ps
// for the container's pids only, so that it does not read every process of the host.

import Foundation
import XCTest

final class PsTests: CgroupTestCase {
    /// A `ps` first on PATH that logs its arguments and runs the real one; with `noQuick` it refuses
    /// `-q` as a ps without procps' quick-pid mode (busybox) does.
    func fakePs(noQuick: Bool) -> (dir: String, log: String) {
        let dir = scratch + "/fake-ps-\(noQuick)"
        let log = dir + "/args"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let refuse = noQuick ? "case \" $* \" in *\" -q \"*) echo \"ps: invalid option -- 'q'\" >&2; exit 1;; esac\n" : ""
        let script = "#!/bin/sh\necho \"$*\" >> '\(log)'\n\(refuse)exec /usr/bin/ps \"$@\"\n"
        _ = FileManager.default.createFile(atPath: dir + "/ps", contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        return (dir, log)
    }

    func ps(_ args: [String], path: String) -> ProcResult {
        Host.exec("/usr/bin/env", ["PATH=\(path):/usr/sbin:/usr/bin:/sbin:/bin", Env.runtime, "--root", stateRoot, "ps"] + args)
    }

    func testDefaultPsIsRuncsTableFromTheContainersPidsOnly() {
        let id = startDetached { c in c.shell("sleep 1000 & sleep 1000 & wait") }
        defer { runtime(["delete", "--force", id]) }
        var pids: [Int] = []
        for _ in 0..<250 {
            pids = (parseJSON(runtime(["ps", "--format", "json", id]).stdout) as? [Int]) ?? []
            if pids.count == 3 { break }
            usleep(20_000)
        }
        XCTAssertEqual(pids.count, 3, "sh and its two sleeps")
        // runc's way: `ps -ef`, its header and the lines whose PID column is the container's.
        let all = Host.exec("/usr/bin/ps", ["-ef"]).stdout.split(separator: "\n")
        let expected = ([all[0]] + all.dropFirst().filter { line in
            let f = line.split(separator: " ")
            return f.count > 1 && pids.contains(Int(f[1]) ?? -1)
        }).joined(separator: "\n") + "\n"

        for noQuick in [false, true] {
            let fake = fakePs(noQuick: noQuick)
            let r = ps([id], path: fake.dir)
            XCTAssertEqual(r.status, 0, describe(r))
            XCTAssertEqual(r.stdout, expected, "noQuick \(noQuick): not runc's lines")
            XCTAssertEqual(r.stderr, "", "noQuick \(noQuick): a refused -q reaches the caller")
            // How the table is made is swiftlet's: runc always runs `ps -ef`.
            guard isSwiftlet else { continue }
            let calls = ((try? String(contentsOfFile: fake.log, encoding: .utf8)) ?? "").split(separator: "\n")
            let quick = "-f -q " + pids.sorted().map(String.init).joined(separator: ",")
            XCTAssertEqual(calls, noQuick ? [Substring(quick), "-ef"] : [Substring(quick)],
                           "ps is asked for the container's pids (ascending), -ef only where -q is refused")
        }

        // Arguments of the caller go to ps as given (runc), the output filtered the same way.
        let fake = fakePs(noQuick: false)
        try? FileManager.default.removeItem(atPath: fake.log)
        let custom = ps([id, "-o", "pid,comm"], path: fake.dir)
        XCTAssertEqual(custom.status, 0, describe(custom))
        let lines = custom.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first.map { $0.split(separator: " ") }, ["PID", "COMMAND"], custom.stdout)
        XCTAssertEqual(lines.dropFirst().compactMap { Int($0.split(separator: " ").first ?? "") }.sorted(), pids.sorted(), custom.stdout)
        XCTAssertEqual((try? String(contentsOfFile: fake.log, encoding: .utf8)) ?? "", "-o pid,comm\n")
    }

    /// `ps --format json` of a container that has no process left (its init killed: stopped) prints
    /// what runc 1.1.5 prints, Go's encoding of an empty pid list: `null`. crun 1.8 prints nothing.
    func testJsonOfAContainerWithoutProcessesIsRuncsNull() {
        let id = newID()
        let b = makeBundle { c in c.shell("sleep 100") }
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0)
        defer { runtime(["delete", "--force", id]) }
        let running = runtime(["ps", "--format", "json", id])
        XCTAssertEqual(running.status, 0, describe(running))
        XCTAssertEqual((parseJSON(running.stdout) as? [Int])?.count, 1, running.stdout)
        let initPID = pid(id)
        XCTAssertGreaterThan(initPID, 0)
        kill(initPID, SIGKILL)
        var tries = 0
        while state(id)?["status"] as? String != "stopped", tries < 500 {
            usleep(10_000)
            tries += 1
        }
        XCTAssertEqual(state(id)?["status"] as? String, "stopped")
        // The cgroup empties once the killed init is released.
        var r = runtime(["ps", "--format", "json", id])
        tries = 0
        while r.stdout.hasPrefix("["), tries < 500 {
            usleep(10_000)
            tries += 1
            r = runtime(["ps", "--format", "json", id])
        }
        XCTAssertEqual(r.status, 0, describe(r))
        if !runtimeName.hasPrefix("crun") {
            XCTAssertEqual(r.stdout, "null\n", "runc's bytes for no process")
        }
    }
}
