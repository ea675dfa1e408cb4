// A container whose cgroup was removed by hand and made again by someone else (another container
// with that cgroupsPath, or a mkdir): the runtime did not make the new directories, so no command
// of the first container may signal, freeze, write to, join or remove them (CgroupOwnership).

import Foundation
import XCTest

final class ReplacedCgroupTests: CgroupTestCase {
    /// Moves `pid` to the root cgroup of every hierarchy, so that its own cgroup can be removed.
    func moveToRoot(_ pid: Int32) {
        for h in hierarchies() { writeHost(h.mount + "/cgroup.procs", "\(pid)") }
    }

    func testAnotherContainersCgroupAtTheSamePathIsLeftAlone() {
        let a = startDetached { _ in }
        let path = cgPath(a)
        let b = newID()
        defer {
            runtime(["delete", "--force", a])
            runtime(["delete", "--force", b])
            removeCgroup(path)
        }
        let pidA = pid(a)
        XCTAssertGreaterThan(pidA, 0)
        moveToRoot(pidA)
        removeCgroup(path)
        let bundleB = makeBundle(cgroupsPath: path, program: "sleep 100")
        let rb = runtime(["run", "-d", "--bundle", bundleB, b])
        XCTAssertEqual(rb.status, 0, "run -d of the second container at \(path): \(describe(rb))")
        let pidB = pid(b)
        XCTAssertGreaterThan(pidB, 0)
        let pidsDir = "/sys/fs/cgroup/pids" + path
        XCTAssertTrue(readHost(pidsDir + "/cgroup.procs").split(separator: "\n").contains(Substring("\(pidB)")))

        // Each command of the first container that would write into the cgroup is refused, naming it.
        for args in [["pause", a], ["update", "--pids-limit", "7", a], ["exec", a, "true"]] {
            let r = runtime(args)
            XCTAssertNotEqual(r.status, 0, "\(args[0]) of \(a) wrote into the cgroup of \(b): \(describe(r))")
            XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("made again"),
                          "\(args[0]): the error names the cgroup: \(describe(r))")
        }
        XCTAssertEqual(readHost("/sys/fs/cgroup/freezer" + path + "/freezer.state"), "THAWED")
        XCTAssertEqual(readHost(pidsDir + "/pids.max"), "max")
        XCTAssertEqual(readHost(pidsDir + "/cgroup.procs").split(separator: "\n"), [Substring("\(pidB)")],
                       "nothing joined the second container's cgroup")

        // kill --all and delete of the first container spare the second's processes and cgroup.
        XCTAssertEqual(runtime("kill", "--all", a, "KILL").status, 0)
        let rd = runtime("delete", "--force", a)
        XCTAssertEqual(rd.status, 0, "delete --force \(a): \(describe(rd))")
        XCTAssertTrue(rd.stderr.contains(path), "delete warns naming the cgroup left in place: \(describe(rd))")
        XCTAssertNil(state(a))
        for h in hierarchies() {
            XCTAssertTrue(FileManager.default.fileExists(atPath: h.mount + path), "\(h.mount + path) removed by the delete of \(a)")
        }
        XCTAssertEqual(kill(pidB, 0), 0, "the second container's init was killed")
        XCTAssertEqual(state(b)?["status"] as? String, "running")

        // The second container still works: exec joins its cgroup, pause freezes it.
        let ex = runtime("exec", b, "true")
        XCTAssertEqual(ex.status, 0, "exec in \(b): \(describe(ex))")
        XCTAssertEqual(runtime("pause", b).status, 0)
        XCTAssertEqual(readHost("/sys/fs/cgroup/freezer" + path + "/freezer.state"), "FROZEN")
        XCTAssertEqual(runtime("resume", b).status, 0)
        let db = runtime("delete", "--force", b)
        XCTAssertEqual(db.status, 0, "delete --force \(b): \(describe(db))")
        assertCgroupGone(a)
    }

    func testACgroupMadeByHandAtTheSamePathIsLeftAlone() {
        let id = newID()
        let path = cgPath(id)
        let bundle = makeBundle(cgroupsPath: path, program: "true")
        defer {
            runtime(["delete", "--force", id])
            removeCgroup(path)
        }
        let rc = runtime(["run", "--bundle", bundle, "--detach", id])
        XCTAssertEqual(rc.status, 0, "run: \(describe(rc))")
        // init exits at once (`true`): the container is stopped, its cgroup empty.
        _ = Host.sh("while [ \"$(cat /sys/fs/cgroup/pids\(path)/cgroup.procs)\" != '' ]; do sleep 0.05; done")
        removeCgroup(path)
        makeCgroup(path)
        let r = runtime("delete", id)
        XCTAssertEqual(r.status, 0, "delete: \(describe(r))")
        XCTAssertTrue(r.stderr.contains(path), "delete warns naming the cgroup left in place: \(describe(r))")
        XCTAssertNil(state(id))
        for h in hierarchies() {
            XCTAssertTrue(FileManager.default.fileExists(atPath: h.mount + path), "\(h.mount + path) made by hand was removed")
        }
        removeCgroup(path)
        assertCgroupGone(id)
    }

    /// A create killed after it made its cgroup leaves a folder without state.json and its claim
    /// (cgroup.json). The cgroup is removed and made again: by another container at the same
    /// cgroupsPath (marked as that one's), or by hand with a host process in it (no mark). `delete`
    /// of the half-made container takes neither: the other container's init and the host process
    /// live, the directories stay, the half-made folder goes.
    func testDeleteOfHalfMadeCreateLeavesACgroupMadeAgainAlone() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName) has no fault injection (SWIFTLET_FAULT)") }
        for remadeBy in ["container", "hand"] {
            let a = newID()
            let path = cgPath(a)
            let other = newID()
            let sleeper = Host.spawn("/bin/sleep", ["1000"])
            defer {
                kill(sleeper.pid, SIGKILL)
                _ = sleeper.wait()
                runtime(["delete", "--force", a])
                runtime(["delete", "--force", other])
                removeCgroup(path)
            }
            let bundle = makeBundle(cgroupsPath: path, program: "sleep 1000")
            let c = Host.exec("/usr/bin/env", ["SWIFTLET_FAULT=create.ready", Env.runtime, "--root", stateRoot, "create", "--bundle", bundle, a])
            XCTAssertEqual(c.status, 128 + SIGKILL, "\(remadeBy): \(describe(c))")
            XCTAssertTrue(hasCgroupClaim(a), "\(remadeBy): no cgroup claim")
            // Its init dies with the killed create: the cgroup empties, then is removed and made again.
            _ = Host.sh("while [ \"$(cat /sys/fs/cgroup/pids\(path)/cgroup.procs)\" != '' ]; do sleep 0.05; done")
            removeCgroup(path)
            var survivor = sleeper.pid
            if remadeBy == "container" {
                let r = runtime(["run", "-d", "--bundle", makeBundle(cgroupsPath: path, program: "sleep 1000"), other])
                XCTAssertEqual(r.status, 0, "run -d of the second container at \(path): \(describe(r))")
                survivor = pid(other)
            } else {
                makeCgroup(path)
                for h in hierarchies() { writeHost(h.mount + path + "/cgroup.procs", "\(sleeper.pid)") }
            }
            XCTAssertGreaterThan(survivor, 0)
            let d = runtime("delete", a)
            XCTAssertEqual(d.status, 0, "\(remadeBy): delete of the half-made container: \(describe(d))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + a), "\(remadeBy): state folder left")
            usleep(100_000)
            XCTAssertEqual(kill(survivor, 0), 0, "\(remadeBy): delete of the half-made container killed pid \(survivor) in the cgroup made again")
            for h in hierarchies() {
                XCTAssertTrue(FileManager.default.fileExists(atPath: h.mount + path), "\(remadeBy): \(h.mount + path) removed by the delete of \(a)")
            }
            if remadeBy == "container" {
                XCTAssertEqual(state(other)?["status"] as? String, "running")
            }
        }
    }
}
