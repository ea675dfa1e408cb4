import Foundation
import XCTest

/// A non-root host user who may write in the state directory (`--root` in a directory of theirs)
/// plants what root's `delete` then acts on: a symlink for a container's folder, a folder of their
/// own with a cgroup.json. The runtime must act only on folders that are its own.
final class StateDirectorySecurityTests: IntegrationTestCase {
    /// A `--root` owned by uid 65534 (the user) and `swiftlet --root it delete [--force] victim`.
    func userOwnedRoot() -> String {
        let root = hostDir("user-root")
        XCTAssertEqual(Host.sh("chown 65534:65534 '\(root)' && chmod 755 '\(root)'").status, 0)
        return root
    }

    func deleteAsRoot(_ root: String, force: Bool) -> ProcResult {
        Host.exec(Env.runtime, ["--root", root, "delete"] + (force ? ["--force"] : []) + ["victim"], timeout: 20)
    }

    /// `list` of a root that is not the runtime's own says so, naming it, instead of an empty list
    /// that hides why the containers are not there.
    func testListOfARootNotTheRuntimesIsAnErrorNamingIt() {
        let root = userOwnedRoot()
        let r = Host.exec(Env.runtime, ["--root", root, "list"], timeout: 20)
        if isSwiftlet {
            XCTAssertNotEqual(r.status, 0, describe(r))
            XCTAssert(r.stderr.contains(root + " belongs to uid 65534"), describe(r))
        }
    }

    /// A root made by hand under umask 002 (mode 775, the runtime's own group) is used as runc
    /// uses it: a container runs and is listed there.
    func testRootWritableByTheRuntimesOwnGroupIsUsed() {
        let root = hostDir("umask-002-root")
        XCTAssertEqual(Host.sh("chown 0:0 '\(root)' && chmod 775 '\(root)'").status, 0)
        let id = newID()
        let b = makeBundle { c in c.shell("true") }
        let r = Host.exec(Env.runtime, ["--root", root, "run", "--bundle", b, id], timeout: 30)
        XCTAssertEqual(r.status, 0, describe(r))
        let l = Host.exec(Env.runtime, ["--root", root, "list", "-q"], timeout: 20)
        XCTAssertEqual(l.status, 0, describe(l))
        Host.exec(Env.runtime, ["--root", root, "delete", "--force", id], timeout: 20)
    }

    /// `victim` a symlink to a directory of root's: `delete` and `delete --force` emptied it
    /// (the folder's removal followed the link). Now refused, naming the folder; the target keeps
    /// its file.
    func testDeleteLeavesAPlantedSymlinksTargetAlone() {
        let root = userOwnedRoot()
        let target = hostDir("roots-directory")
        XCTAssertEqual(Host.sh("echo keep > '\(target)/file' && ln -s '\(target)' '\(root)/victim' && chown -h 65534:65534 '\(root)/victim'").status, 0)
        for force in [false, true] {
            let r = deleteAsRoot(root, force: force)
            assertOrDeviation(FileManager.default.fileExists(atPath: target + "/file"), runtimes: ["crun"],
                              reason: "removes the state folder through the symlink",
                              "delete\(force ? " --force" : "") removed the file through the planted symlink: \(describe(r))")
            Host.sh("echo keep > '\(target)/file'")
            if isSwiftlet {
                XCTAssertNotEqual(r.status, 0, describe(r))
                XCTAssert(r.stderr.contains(root + " belongs to uid 65534"), describe(r))
            }
        }
    }

    /// `victim` a folder of the user's with a cgroup.json naming a cgroup of root's that holds a
    /// host process (as a create killed half-way leaves it): `delete` killed the process and
    /// removed the cgroup. Now refused (the folder is not the runtime's own); both stay.
    func testDeleteDoesNotActOnAPlantedCgroupClaim() throws {
        let root = userOwnedRoot()
        let cgroup = "/sys/fs/cgroup/pids/\(token)-held"
        guard FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs") else {
            throw SetupError(message: "needs the v1 pids hierarchy at /sys/fs/cgroup/pids")
        }
        XCTAssertEqual(Host.sh("mkdir '\(cgroup)'").status, 0)
        let held = Host.spawn("/bin/sleep", ["1000"])
        defer {
            kill(held.pid, SIGKILL)
            _ = held.wait()
            rmdir(cgroup)
        }
        XCTAssertEqual(Host.sh("echo \(held.pid) > '\(cgroup)/cgroup.procs'").status, 0)
        let claim = #"{"driver":"v1","paths":{"pids":"\#(cgroup)"},"made":["\#(cgroup)"]}"#
        XCTAssertEqual(Host.sh("mkdir '\(root)/victim' && printf '%s' '\(claim)' > '\(root)/victim/cgroup.json' && chown -R 65534:65534 '\(root)/victim'").status, 0)
        for force in [false, true] {
            let r = deleteAsRoot(root, force: force)
            let procs = (try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8)) ?? ""
            XCTAssertEqual(procs, "\(held.pid)\n", "delete\(force ? " --force" : "") acted on the planted claim: \(describe(r))")
            if isSwiftlet { XCTAssertNotEqual(r.status, 0, describe(r)) }
        }
    }

    /// `victim` a symlink to the folder of a running container of root's: `kill victim KILL` read
    /// that container's state through it and killed it. Now refused; the container runs on and
    /// `exec victim` is refused as well.
    func testKillAndExecDoNotFollowAPlantedSymlink() {
        let root = userOwnedRoot()
        let id = startSleeper()
        defer { _ = runtime(["delete", "--force", id]) }
        XCTAssertEqual(Host.sh("ln -s '\(stateRoot)/\(id)' '\(root)/victim' && chown -h 65534:65534 '\(root)/victim'").status, 0)
        let killed = Host.exec(Env.runtime, ["--root", root, "kill", "victim", "KILL"], timeout: 20)
        let executed = Host.exec(Env.runtime, ["--root", root, "exec", "victim", "true"], timeout: 20)
        assertOrDeviation(status(id) == "running", runtimes: ["crun"], reason: "follows the planted symlink",
                          "kill through the planted symlink: \(describe(killed))")
        if isSwiftlet {
            XCTAssertNotEqual(killed.status, 0, describe(killed))
            XCTAssertNotEqual(executed.status, 0, describe(executed))
            XCTAssert(killed.stderr.contains(root + " belongs to uid 65534"), describe(killed))
        }
    }
}
