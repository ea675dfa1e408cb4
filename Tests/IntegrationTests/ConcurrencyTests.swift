import Foundation
import XCTest

/// Many runtime processes at once: 50 containers through their whole life in parallel, two creates
/// of the same id, kill and delete racing with the container's own exit.
final class ConcurrencyTests: IntegrationTestCase {
    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var list: [String] = []
        func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    }

    /// Runs `body(i)` for i in 0..<n, each on its own thread, all at once; returns when all are done.
    func parallel(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<n {
            group.enter()
            let t = Thread {
                body(i)
                group.leave()
            }
            t.stackSize = 1 << 20
            t.start()
        }
        group.wait()
    }

    func testFiftyContainersConcurrently() {
        let n = 50
        let bundle = makeBundle { $0.args = ["sleep", "1000"] }
        let ids = (0..<n).map { _ in newID("par") }
        let failures = Failures()
        let root = stateRoot
        @Sendable func rt(_ args: [String], timeout: TimeInterval = 60) -> ProcResult {
            Host.exec(Env.runtime, ["--root", root] + args, timeout: timeout)
        }
        let started = Date()
        parallel(n) { i in
            let id = ids[i]
            func step(_ name: String, _ args: [String], expectOut: String? = nil) -> Bool {
                let r = rt(args)
                if r.status != 0 { failures.add("\(id) \(name): \(describe(r))"); return false }
                if let e = expectOut, r.stdout != e { failures.add("\(id) \(name): stdout \(r.stdout.debugDescription)"); return false }
                return true
            }
            guard step("create", ["create", "--bundle", bundle, id]) else { return }
            guard step("start", ["start", id]) else { return }
            _ = step("exec", ["exec", id, "sh", "-c", "echo in-\(i)"], expectOut: "in-\(i)\n")
            _ = step("exec -d", ["exec", "-d", id, "sleep", "1000"])
            _ = step("delete --force", ["delete", "--force", id])
        }
        let seconds = Date().timeIntervalSince(started)
        print("50 containers created, started, exec'd into twice and deleted concurrently in \(String(format: "%.1f", seconds)) s")
        XCTAssertEqual(failures.list, [], "\(failures.list.count) steps failed:\n" + failures.list.prefix(5).joined(separator: "\n"))
        XCTAssertEqual(stateEntries(), [], "state left after the concurrent deletes")
        XCTAssertEqual(leakedProcesses().map(\.cmdline), [], "processes left after the concurrent deletes")
        XCTAssertEqual(leakedCgroups(), [], "cgroups left after the concurrent deletes")
    }

    /// Two creates of one id at the same moment: exactly one wins; the loser fails with a clear
    /// error and leaves the winner intact (created, startable).
    func testSameIDCreatedTwiceAtOnce() {
        if isKnownDeviation(["runc"]) {
            // Observed with runc 1.1.5: both creates fail ("exec fifo ... already exists", "unable to
            // store init state"), the winner's state is gone and a `runc init` and its cgroups stay.
            return print("NOTE: known deviation of \(runtimeName): two creates of one id at once can both fail and leak — not run")
        }
        let bundle = makeBundle { $0.args = ["sleep", "1000"] }
        for round in 0..<8 {
            let id = newID("same")
            let a = spawnRuntime(["create", "--bundle", bundle, id])
            let b = spawnRuntime(["create", "--bundle", bundle, id])
            let ra = a.wait(timeout: 30), rb = b.wait(timeout: 30)
            let results = [ra, rb]
            let winners = results.filter { $0.status == 0 }
            XCTAssertEqual(winners.count, 1, "round \(round): \(results.map(describe))")
            if let loser = results.first(where: { $0.status != 0 }) {
                XCTAssertFalse(loser.stderr.isEmpty, "round \(round): the loser says nothing")
                XCTAssertLessThan(loser.status, 128, "round \(round): the loser died of a signal: \(describe(loser))")
                if isSwiftlet {
                    XCTAssertTrue(loser.stderr.contains("already exists"), "round \(round): \(describe(loser))")
                }
            }
            XCTAssertEqual(status(id), "created", "round \(round): the winner is not intact")
            let s = runtime(["start", id])
            XCTAssertEqual(s.status, 0, "round \(round): the winner does not start: \(describe(s))")
            XCTAssertEqual(status(id), "running", "round \(round)")
            XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
            assertNothingLeftBehind(id, "round \(round)")
        }
    }

    /// kill and delete --force while the container exits by itself: each either works or fails
    /// with a clear error (never a signal death), and afterwards nothing is left.
    func testKillAndDeleteRacingWithExit() {
        for round in 0..<12 {
            let id = newID("race")
            // Exits after 0, 10, 20, ... ms.
            let delay = String(format: "%.2f", Double(round % 4) * 0.01)
            let r = runtime(["run", "-d", "--bundle", makeBundle { $0.args = ["sleep", delay] }, id])
            XCTAssertEqual(r.status, 0, describe(r))
            let k = spawnRuntime(["kill", id, "KILL"])
            let d = spawnRuntime(round % 2 == 0 ? ["delete", "--force", id] : ["delete", id])
            let rk = k.wait(timeout: 30), rd = d.wait(timeout: 30)
            for (name, res) in [("kill", rk), ("delete", rd)] where res.status != 0 {
                XCTAssertLessThan(res.status, 128, "round \(round) \(name) died of a signal: \(describe(res))")
                XCTAssertFalse(res.stderr.isEmpty, "round \(round) \(name) failed silently")
                XCTAssertFalse(res.stderr.contains("Fatal error"), "round \(round) \(name): \(describe(res))")
            }
            if rd.status != 0 {
                // A plain delete may lose the race (still running); the container must still be whole.
                let st = state(id)
                if let st {
                    XCTAssertNotNil(st["status"] as? String)
                    waitForStatus(id, "stopped")
                    let again = runtime(["delete", id])
                    XCTAssertEqual(again.status, 0, "round \(round): delete after the exit: \(describe(again))")
                }
            }
            assertNothingLeftBehind(id, "round \(round)")
        }
    }

    /// kill racing with start: start either runs the program or fails; nothing is left either way.
    func testKillRacingWithStart() {
        for round in 0..<6 {
            let id = newID("kstart")
            let c = runtime(["create", "--bundle", makeBundle { $0.args = ["sleep", "1000"] }, id])
            XCTAssertEqual(c.status, 0, describe(c))
            let s = spawnRuntime(["start", id])
            let k = spawnRuntime(["kill", id, "KILL"])
            for (name, res) in [("start", s.wait(timeout: 30)), ("kill", k.wait(timeout: 30))] where res.status != 0 {
                XCTAssertLessThan(res.status, 128, "round \(round) \(name) died of a signal: \(describe(res))")
                XCTAssertFalse(res.stderr.isEmpty, "round \(round) \(name) failed silently")
            }
            XCTAssertEqual(waitForStatus(id, "stopped"), "stopped", "round \(round): still alive after kill")
            XCTAssertEqual(runtime(["delete", id]).status, 0)
            assertNothingLeftBehind(id, "round \(round)")
        }
    }
}

/// The fuzz corpus and kept crashers (Tests/Fuzz) replayed through FuzzSpec built normally (the
/// same checks as the libFuzzer build of conformance/fuzz): no trap on any of them.
final class FuzzCorpusTests: XCTestCase {
    func testCorpusAndCrashersReplay() throws {
        let buildDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        var fuzz = buildDir + "/FuzzSpec"
        if !FileManager.default.isExecutableFile(atPath: fuzz) {
            // xctest run through a helper: look next to the runtime under test.
            fuzz = URL(fileURLWithPath: Env.runtime).deletingLastPathComponent().path + "/FuzzSpec"
        }
        guard FileManager.default.isExecutableFile(atPath: fuzz) else {
            throw XCTSkip("FuzzSpec is not built next to the tests (\(buildDir))")
        }
        var files: [String] = []
        for dir in ["corpus", "crashers"] {
            let d = Env.repo + "/Tests/Fuzz/" + dir
            for f in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] where !f.hasPrefix(".") {
                files.append(d + "/" + f)
            }
        }
        XCTAssertGreaterThanOrEqual(files.count, 5, "seed corpus missing")
        let r = Host.exec(fuzz, files, timeout: 60)
        XCTAssertEqual(r.status, 0, describe(r))
    }
}

/// The CI-sized version of conformance/bench-sequence: 100 containers one after the other leave no
/// mount, cgroup, state folder, zombie or descriptor behind (no timing assertion: the figures are
/// the script's).
final class SequenceTests: IntegrationTestCase {
    func openDescriptors() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    /// Zombies whose parent is this test process (runtimes it ran that were not reaped would be
    /// caught by Host; this catches container processes reparented to us).
    func zombieChildren() -> [Int32] {
        let me = getpid()
        var found: [Int32] = []
        for e in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(e), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if fields.count > 1, fields[0] == "Z", Int32(fields[1]) == me { found.append(pid) }
        }
        return found
    }

    func testHundredContainersInSequenceLeaveNothing() {
        let bundle = makeBundle { $0.args = ["true"] }
        let fds0 = openDescriptors()
        var failures: [String] = []
        for i in 0..<100 {
            let id = newID("seq")
            let r = run(bundle, id: id)
            if r.status != 0 { failures.append("\(i): \(describe(r))") }
            if i % 25 == 24 {
                // Exercise create/start/delete as separate commands too.
                let id2 = newID("seq")
                for args in [["create", "--bundle", bundle, id2], ["start", id2]] {
                    let c = runtime(args)
                    if c.status != 0 { failures.append("\(i) \(args[0]): \(describe(c))") }
                }
                waitForStatus(id2, "stopped")
                let d = runtime(["delete", id2])
                if d.status != 0 { failures.append("\(i) delete: \(describe(d))") }
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) failed")
        XCTAssertEqual(stateEntries(), [], "state folders left")
        XCTAssertEqual(leakedCgroups(), [], "cgroups left")
        XCTAssertEqual(leakedMounts(), [], "mounts left")
        XCTAssertEqual(leakedProcesses().map(\.cmdline), [], "processes left")
        XCTAssertEqual(zombieChildren(), [], "zombies left")
        XCTAssertLessThanOrEqual(openDescriptors(), fds0 + 2, "the test process holds more descriptors than before")
    }
}
