import Foundation
import XCTest

/// create / start / state / kill / delete / list / run.
final class LifecycleTests: IntegrationTestCase {
    func testHello() {
        let out = output { $0.shell("echo \"hello from $(hostname), pid $$\"") }
        XCTAssertEqual(out, "hello from \(token), pid 1\n")
    }

    /// A bundle whose program writes /out/ran (host dir `out`) and then sleeps.
    private func markerBundle(_ out: String, sleep: Int = 100) -> String {
        makeBundle { c in
            c.addBind(host: out, container: "/out")
            c.shell("echo ran > /out/ran; exec sleep \(sleep)")
        }
    }

    func testCreateStartKillDelete() throws {
        let out = hostDir("out")
        let bundle = markerBundle(out)
        let id = newID()
        let pidFile = scratch + "/pidfile"

        let created = runtime(["create", "--bundle", bundle, "--pid-file", pidFile, id])
        XCTAssertEqual(created.status, 0, describe(created))
        guard created.status == 0 else { return }

        // created: a process exists, the user program has not run yet.
        let st = try XCTUnwrap(state(id), "state after create")
        XCTAssertEqual(st["status"] as? String, "created")
        let pid = try XCTUnwrap(st["pid"] as? Int, "state.pid")
        XCTAssertGreaterThan(pid, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/proc/\(pid)"), "/proc/\(pid) of the created container")
        let pidText = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        XCTAssertEqual(pidText.trimmingCharacters(in: .whitespacesAndNewlines), String(pid), "--pid-file content")
        usleep(200_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/ran"), "user program ran before start")

        // state fields
        XCTAssertNotNil(st["ociVersion"] as? String, "state.ociVersion")
        XCTAssertEqual(st["id"] as? String, id)
        XCTAssertEqual(st["bundle"] as? String, bundle)
        XCTAssertEqual(st["rootfs"] as? String, Env.sharedRootfs)
        XCTAssertNotNil(st["created"] as? String, "state.created")
        XCTAssertNotNil(st["owner"] as? String, "state.owner")

        // start → running, program runs
        let started = runtime(["start", id])
        XCTAssertEqual(started.status, 0, describe(started))
        XCTAssertEqual(waitForStatus(id, "running"), "running")
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: out + "/ran") && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/ran"), "user program did not run after start")
        XCTAssertEqual(state(id)?["pid"] as? Int, pid, "pid changed between create and start")

        // kill → stopped
        let killed = runtime(["kill", id, "KILL"])
        XCTAssertEqual(killed.status, 0, describe(killed))
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")

        // delete → gone
        let deleted = runtime(["delete", id])
        XCTAssertEqual(deleted.status, 0, describe(deleted))
        XCTAssertNil(state(id), "state after delete")
        XCTAssertNotEqual(runtime(["state", id]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/\(pid)") && !isZombie(pid), "process \(pid) survived")
        assertNothingLeftBehind(id, "after delete")
    }

    private func isZombie(_ pid: Int) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)...].first == "Z"
    }

    func testList() throws {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)

        let table = runtime(["list"])
        XCTAssertEqual(table.status, 0, describe(table))
        let lines = table.stdout.split(separator: "\n")
        let header = lines.first.map { $0.split(separator: " ").map(String.init) } ?? []
        XCTAssertEqual(header, ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], "list header: \(table.stdout)")
        let row = lines.dropFirst().first { $0.hasPrefix(id + " ") }
        XCTAssertNotNil(row, "list row for \(id): \(table.stdout)")
        if let row = row {
            let cols = row.split(separator: " ").map(String.init)
            XCTAssertEqual(cols.count >= 3 ? cols[2] : "", "created", "status column: \(row)")
            XCTAssertTrue(cols.contains(bundle), "bundle column: \(row)")
        }

        let json = runtime(["list", "--format", "json"])
        XCTAssertEqual(json.status, 0, describe(json))
        let arr = try XCTUnwrap(parseJSON(json.stdout) as? [[String: Any]], "list --format json: \(json.stdout)")
        let entry = try XCTUnwrap(arr.first { $0["id"] as? String == id })
        XCTAssertEqual(entry["status"] as? String, "created")
        XCTAssertEqual(entry["bundle"] as? String, bundle)
        XCTAssertGreaterThan(entry["pid"] as? Int ?? 0, 0)
        XCTAssertNotNil(entry["created"] as? String)
        XCTAssertNotNil(entry["owner"] as? String)
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)

        // empty root: header only (or empty JSON array)
        let empty = runtime(["list", "--format", "json"])
        XCTAssertEqual(empty.status, 0, describe(empty))
        XCTAssertEqual((parseJSON(empty.stdout) as? [Any])?.count ?? 0, 0, "list after delete: \(empty.stdout)")
    }

    func testDuplicateIDFails() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        let pid = state(id)?["pid"] as? Int
        let again = runtime(["create", "--bundle", bundle, id])
        XCTAssertNotEqual(again.status, 0, "second create with the same id: \(describe(again))")
        let st = state(id)
        XCTAssertEqual(st?["status"] as? String, "created", "first container must be unaffected")
        XCTAssertEqual(st?["pid"] as? Int, pid)
    }

    func testInvalidIDsFail() {
        let bundle = makeBundle()
        for bad in ["a/b", "../\(token)x", "..", "\(token)/..", ""] {
            let r = runtime(["create", "--bundle", bundle, bad])
            XCTAssertNotEqual(r.status, 0, "create with id '\(bad)' succeeded")
            if r.status == 0 { runtime(["delete", "--force", bad]) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Env.stateBase + "/\(token)x"), "id escaped the root")
    }

    func testStartTwiceFails() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        XCTAssertEqual(runtime(["start", id]).status, 0)
        let again = runtime(["start", id])
        XCTAssertNotEqual(again.status, 0, "second start: \(describe(again))")
        XCTAssertEqual(status(id), "running")
    }

    func testStartUnknownFails() {
        XCTAssertNotEqual(runtime(["start", newID()]).status, 0)
        XCTAssertNotEqual(runtime(["state", newID()]).status, 0)
        XCTAssertNotEqual(runtime(["kill", newID(), "KILL"]).status, 0)
        XCTAssertNotEqual(runtime(["delete", newID()]).status, 0)
    }

    func testDeleteCreatedWithoutForceFails() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        let pid = state(id)?["pid"] as? Int ?? -1
        let r = runtime(["delete", id])
        knownDeviation(runtimes: ["runc", "crun"], reason: "deletes a created (not stopped) container without --force") {
            XCTAssertNotEqual(r.status, 0, "delete of a created container without --force: \(describe(r))")
            XCTAssertEqual(status(id), "created", "delete without --force changed the container")
            XCTAssertTrue(FileManager.default.fileExists(atPath: "/proc/\(pid)"))
        }
    }

    func testDeleteRunningWithoutForceFails() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        XCTAssertNotEqual(runtime(["delete", id]).status, 0)
        XCTAssertEqual(status(id), "running")
    }

    func testDeleteForceRunning() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        let pid = state(id)?["pid"] as? Int ?? -1
        XCTAssertEqual(status(id), "running")
        let r = runtime(["delete", "--force", id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertNil(state(id))
        usleep(100_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/\(pid)") && !isZombie(pid), "process \(pid) survived")
        assertNothingLeftBehind(id, "delete --force")
    }

    func testDeleteForceCreated() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertNothingLeftBehind(id, "delete --force of created")
    }

    func testKillSignalForms() {
        // name, SIG-name and number; the program records the signal it got.
        let out = hostDir("out")
        for (i, sig) in ["TERM", "SIGUSR1", "10", "KILL", "SIGKILL", "9"].enumerated() {
            let bundle = makeBundle { c in
                c.addBind(host: out, container: "/out")
                c.shell("trap 'echo TERM > /out/sig\(i); exit 0' TERM; trap 'echo USR1 > /out/sig\(i); exit 0' USR1; "
                        + "echo ready > /out/ready\(i); while :; do sleep 0.05; done")
            }
            let id = newID()
            XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
            let deadline = Date().addingTimeInterval(5)
            while !FileManager.default.fileExists(atPath: "\(out)/ready\(i)") && Date() < deadline { usleep(10_000) }
            let r = runtime(["kill", id, sig])
            XCTAssertEqual(r.status, 0, "kill \(sig): \(describe(r))")
            XCTAssertEqual(waitForStatus(id, "stopped"), "stopped", "after kill \(sig)")
            let got = (try? String(contentsOfFile: "\(out)/sig\(i)", encoding: .utf8)) ?? ""
            let want = ["TERM": "TERM\n", "SIGUSR1": "USR1\n", "10": "USR1\n"][sig] ?? ""
            XCTAssertEqual(got, want, "signal delivered for kill \(sig)")
            XCTAssertEqual(runtime(["delete", id]).status, 0)
        }
    }

    func testKillDefaultIsTERM() {
        let bundle = makeBundle { $0.shell("trap 'exit 0' TERM; while :; do sleep 0.05; done") }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        usleep(100_000)
        XCTAssertEqual(runtime(["kill", id]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
    }

    func testKillInvalidSignalFails() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        XCTAssertNotEqual(runtime(["kill", id, "NOSUCHSIG"]).status, 0)
        XCTAssertEqual(status(id), "running")
    }

    func testKillAll() {
        // Without a pid namespace killing pid 1 does not kill the other processes; --all does.
        let out = hostDir("out")
        let bundle = makeBundle { c in
            c.removeNamespace("pid")
            c.addBind(host: out, container: "/out")
            c.shell("sleep 100 & echo $! > /out/child; wait")
        }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        let childFile = out + "/child"
        let deadline = Date().addingTimeInterval(5)
        while ((try? String(contentsOfFile: childFile, encoding: .utf8)) ?? "").isEmpty && Date() < deadline { usleep(10_000) }
        let child = Int32(((try? String(contentsOfFile: childFile, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        XCTAssertGreaterThan(child, 0)
        let r = runtime(["kill", "--all", id, "KILL"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        let gone = Date().addingTimeInterval(3)
        while kill(child, 0) == 0 && !isZombie(Int(child)) && Date() < gone { usleep(20_000) }
        XCTAssertTrue(kill(child, 0) != 0 || isZombie(Int(child)), "child \(child) survived kill --all")
    }

    func testRunExitStatus() {
        XCTAssertEqual(runContainer { $0.shell("exit 3") }.status, 3)
        XCTAssertEqual(runContainer { $0.shell("exit 0") }.status, 0)
        XCTAssertEqual(runContainer { $0.args = ["false"] }.status, 1)
    }

    func testRunKilledBySignal() {
        // Without a pid namespace the shell is not an init process and can be killed by its own signal.
        let r = runContainer { c in
            c.removeNamespace("pid")
            c.shell("kill -KILL $$")
        }
        XCTAssertEqual(r.status, 128 + 9, describe(r))
        let t = runContainer { c in
            c.removeNamespace("pid")
            c.shell("kill -TERM $$")
        }
        XCTAssertEqual(t.status, 128 + 15, describe(t))
    }

    func testRunKilledFromOutside() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        let running = spawnRuntime(["run", "--bundle", bundle, id])
        XCTAssertEqual(waitForStatus(id, "running"), "running")
        XCTAssertEqual(runtime(["kill", id, "KILL"]).status, 0)
        let r = running.wait(timeout: 10)
        XCTAssertEqual(r.status, 128 + 9, describe(r))
        // run removes the container when the program exits
        XCTAssertNil(state(id), "run left the container behind")
    }

    func testRunRemovesContainer() {
        let id = newID()
        let r = run(makeBundle { $0.shell("echo done") }, id: id)
        XCTAssertEqual(r.stdout, "done\n")
        assertNothingLeftBehind(id, "after run")
    }

    func testRunDetached() {
        let bundle = makeBundle { $0.shell("sleep 100") }
        let id = newID()
        let start = Date()
        let r = runtime(["run", "-d", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "run -d did not detach")
        XCTAssertEqual(status(id), "running")
        XCTAssertEqual(runtime(["kill", id, "KILL"]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        XCTAssertEqual(runtime(["delete", id]).status, 0)
    }

    func testStoppedAfterProgramExits() {
        let bundle = makeBundle { $0.shell("exit 0") }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        XCTAssertEqual(runtime(["start", id]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        XCTAssertNotEqual(runtime(["start", id]).status, 0, "start of a stopped container")
        XCTAssertEqual(runtime(["delete", id]).status, 0)
        assertNothingLeftBehind(id)
    }

    func testBundleDefaultsToCwd() {
        let bundle = makeBundle { $0.shell("echo cwd-bundle") }
        let id = newID()
        let quoted = [Env.runtime, "--root", stateRoot, "run", id].map { "'\($0)'" }.joined(separator: " ")
        let r = Host.sh("cd '\(bundle)' && exec \(quoted) </dev/null")
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "cwd-bundle\n")
    }
}
