// The claim of a container's cgroup directories (CgroupOwnership.claim) is made under an flock on
// their parent held shared: creates that make different directories do not wait on each other.
// A create that meets a directory that exists reads its owner mark under the flock held
// exclusive, after every create that made one has marked it. These tests race two creates of one
// cgroupsPath, and play a create caught between its mkdir and its mark (the flock held shared, the
// directory made, no mark yet) to check that the other waits for the mark instead of taking the
// directory for one that was there before.

import Foundation
import XCTest

final class CgroupClaimRaceTests: CgroupTestCase {
    static let helperDir = "/tmp/swiftlet-it-claimrace"
    static let buildError = CFixture.build("set-xattr.c", to: helperDir + "/set-xattr")

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    /// Two `create`s of one cgroupsPath (one id under two `--root`s) started at once, 12 rounds:
    /// exactly one makes the cgroup, the other is refused naming the field and the other
    /// container; after the winner's delete nothing is left.
    func testOneCgroupsPathCreatedTwiceAtOnce() {
        let id = newID()
        let b = makeBundle(cgroupsPath: cgPath(id), program: "sleep 100")
        let roots = (0..<2).map { "\(stateRoot)-claim\($0)" }
        defer {
            for r in roots {
                Host.exec(Env.runtime, ["--root", r, "delete", "--force", id])
                try? FileManager.default.removeItem(atPath: r)
            }
            removeCgroup(cgPath(id))
        }
        for round in 0..<12 {
            let script = roots.enumerated().map { i, r in
                "( '\(Env.runtime)' --root '\(r)' create --bundle '\(b)' '\(id)' </dev/null >/dev/null 2>\"$0.\(i)\"; "
                    + "echo \"\(i) rc=$? $(tr '\\n' ' ' < \"$0.\(i)\")\"; rm -f \"$0.\(i)\" ) &"
            }.joined(separator: " ") + " wait"
            let r = Host.exec("/bin/sh", ["-c", script, "\(scratch)/race"], timeout: 120)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let winners = lines.filter { $0.contains(" rc=0") }
            if isSwiftlet {
                XCTAssertEqual(winners.count, 1, "round \(round): not exactly one create made the cgroup: \(lines)")
                for l in lines where !l.contains(" rc=0") {
                    XCTAssertTrue(l.contains("a container needs a cgroup of its own") && l.contains("linux.cgroupsPath"),
                                  "round \(round): the loser failed otherwise than by naming the cgroup: \(l)")
                }
            } else if winners.count != 1 {
                print("\(Env.runtimeName): round \(round): \(winners.count) creates made the cgroup")
            }
            for r in roots {
                Host.exec(Env.runtime, ["--root", r, "delete", "--force", id])  // the loser has nothing to delete
                XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: r)) ?? [], [], "round \(round): state left in \(r)")
            }
            assertCgroupGone(id)
        }
        XCTAssertEqual(leakedProcesses().map(\.pid), [], "a create's init outlived the races")
    }

    /// Another create caught between its mkdir and its mark: the parent's flock held shared in
    /// every hierarchy (as a maker holds it), the container's unified directory made and not yet
    /// marked. A create of that path meets the directory; it must wait for the flock exclusive and
    /// then see the mark (written before the flock is let go) and be refused, leaving the
    /// directory it did not make. Taking it at once for one that was there before (empty, thawed:
    /// reusable) would share it with the other container.
    func testCreateMeetingADirectoryNotMarkedYetWaitsForTheMark() {
        guard isSwiftlet else {
            print("NOTE: n/a for \(runtimeName): it keeps no ownership mark on its cgroups")
            return
        }
        let id = newID()
        let parent = cgPath(id)
        let path = parent + "/c"
        makeCgroup(parent)
        defer {
            runtime(["delete", "--force", id])
            removeCgroup(parent)
        }
        let mounts = hierarchies()
        guard let target = (mounts.first { $0.fsType == "cgroup2" } ?? mounts.first).map({ $0.mount + path }) else {
            return XCTFail("no cgroup hierarchy: \(mounts)")
        }
        var locks: [Int32] = []
        defer { for fd in locks { close(fd) } }
        for h in mounts {
            let fd = open(h.mount + parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            XCTAssertGreaterThanOrEqual(fd, 0, "opening \(h.mount + parent): errno \(errno)")
            guard fd >= 0 else { return }
            XCTAssertEqual(flock(fd, LOCK_SH), 0, "flock \(h.mount + parent): errno \(errno)")
            locks.append(fd)
        }
        XCTAssertEqual(mkdir(target, 0o755), 0, "mkdir \(target): errno \(errno)")
        let b = makeBundle(cgroupsPath: path, program: "sleep 100")
        let create = Host.spawn(Env.runtime, ["--root", stateRoot, "create", "--bundle", b, id])
        // The create has claimed the path (cgroup.json) and met the directory: it either waits,
        // sleeping between tries of the flock (nanosleep, clock_nanosleep), or has finished,
        // having taken the directory without waiting for the other maker's mark.
        _ = poll(until: true, timeout: 10) { self.hasCgroupClaim(id) }
        _ = poll(until: true, timeout: 10) {
            let call = (try? String(contentsOfFile: "/proc/\(create.pid)/syscall", encoding: .utf8)) ?? ""
            return call.isEmpty || call.hasPrefix("35 ") || call.hasPrefix("230 ") || !Self.isRunning(create.pid)
        }
        let other = hostDir("another-container")
        let set = Host.exec(Self.helperDir + "/set-xattr", ["set", target, "trusted.swiftlet.container", other])
        XCTAssertEqual(set.status, 0, "marking \(target): \(set.stderr)")
        for fd in locks { close(fd) }
        locks = []
        let r = create.wait(timeout: 60)
        XCTAssertNotEqual(r.status, 0, "the create took a directory another create had made and not yet marked: \(describe(r))")
        XCTAssertTrue(r.stderr.contains("a container needs a cgroup of its own"), describe(r))
        XCTAssertTrue(r.stderr.contains("linux.cgroupsPath"), "the error names no field: \(describe(r))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: target), "the refused create removed a directory it did not make")
        for h in mounts where h.mount + path != target {
            XCTAssertFalse(FileManager.default.fileExists(atPath: h.mount + path), "the refused create left \(h.mount + path)")
        }
        XCTAssertEqual(leakedProcesses().map(\.pid), [], "the refused create's init outlived it")
        XCTAssertEqual(rmdir(target), 0, "rmdir \(target): errno \(errno)")
    }

    /// Whether `pid` still runs (not exited, nor a zombie waiting to be reaped).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
