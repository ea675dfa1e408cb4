// An outsider's review of the cgroup join on a v1 or hybrid host (the v1 directories claimed and
// limited after the fork, init writing "0" to each v1 `tasks` once the state arrives). Each test
// tries what the review suspected; each fails on main at 272f727 and passes at a100bd0.

import Foundation
import XCTest

final class JoinReviewTests: CgroupTestCase {
    func isAlive(_ pid: Int32) -> Bool {
        let s = procState(pid)
        return s.hasPrefix("S") || s.hasPrefix("R") || s.hasPrefix("D")
    }

    /// A cgroupsPath whose v1 pids directory exists and holds a host process: the create is
    /// refused (the directory is not empty), and the host process is not the runtime's to kill.
    /// On main the refusal comes after the fork (limitCgroup), whose clean-up destroys every
    /// directory of the driver, the existing one too: the host process is SIGKILLed.
    func testRefusedCreateSparesAHostProcessInItsExistingV1Cgroup() {
        let id = newID()
        let path = cgPath(id)
        let dir = "/sys/fs/cgroup/pids" + path
        XCTAssertNoThrow(try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true))
        withOutsider(inCgroup: path, ofContainer: id) { host in
            let b = makeBundle(cgroupsPath: path, program: "sleep 100")
            let r = runtime(["create", "--bundle", b, id])
            XCTAssertNotEqual(r.status, 0, "took a cgroup that holds a host process: \(describe(r))")
            XCTAssertTrue(r.stderr.contains("not empty"), describe(r))
            XCTAssertTrue(isAlive(host), "the host process in \(dir) was killed by the refused create "
                          + "(state \(procState(host))): \(describe(r))")
        }
    }

    /// Container A runs in the v1 view (the unified hierarchy hidden, so it has no unified
    /// directory); B, same cgroupsPath, is created on the hybrid host (its unified directory is
    /// free) or in the v1 view too (a v1 host: every directory is claimed after the fork). B
    /// forks, then meets A's marked v1 directories and is refused. A must live on.
    /// On main B's clean-up destroys every directory of its driver, A's too: A's init is killed.
    func testRefusedCreateSparesTheRunningContainerWhoseV1CgroupItMet() {
        for bInV1View in [false, true] {
            refusedCreateSparesTheRunningContainer(bInV1View: bInV1View)
        }
    }

    func inV1View(_ args: [String]) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "umount -l /sys/fs/cgroup/unified && "
                                       + "mount -t tmpfs tmpfs /sys/fs/cgroup/unified && exec \"$@\"", "sh",
                                       Env.runtime, "--root", stateRoot] + args)
    }

    func refusedCreateSparesTheRunningContainer(bInV1View: Bool) {
        let context = bInV1View ? "B in the v1 view" : "B on the hybrid host"
        let a = newID(), b = newID()
        let path = cgPath(a)
        let bundle = makeBundle(cgroupsPath: path, program: "sleep 100")
        defer {
            runtime(["delete", "--force", b])
            runtime(["delete", "--force", a])
            removeCgroup(path)
        }
        let ra = inV1View(["run", "-d", "--bundle", bundle, a])
        XCTAssertEqual(ra.status, 0, "\(context): run -d of A in the v1 view: \(describe(ra))")
        let pidA = pid(a)
        XCTAssertGreaterThan(pidA, 0, context)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + path), "\(context): A has a unified directory")
        let rb = bInV1View ? inV1View(["create", "--bundle", bundle, b]) : runtime(["create", "--bundle", bundle, b])
        XCTAssertNotEqual(rb.status, 0, "\(context): B took A's cgroup: \(describe(rb))")
        XCTAssertTrue(rb.stderr.contains("a container needs a cgroup of its own"), "\(context): \(describe(rb))")
        XCTAssertTrue(isAlive(pidA), "\(context): A's init was killed by B's refused create (state \(procState(pidA)), "
                      + "status \(status(a) ?? "none")): \(describe(rb))")
        XCTAssertEqual(status(a), "running", context)
    }

    /// The bundle's root is /sys/fs/cgroup and a bind of a directory of its own covers the pids
    /// hierarchy there, holding a regular file at `<cgroupsPath>/tasks`. Init writes "0" to each
    /// v1 `tasks` by path once the state arrives, which on main is after the bind mounts (only a
    /// mount that needs the cgroup, a device node or the hooks wait for it): the "0" goes into the
    /// bundle's file and the container runs outside its pids cgroup. At a100bd0 init was moved
    /// before any mount.
    func testInitJoinsTheHierarchyNotAFileTheBundleMountedOverIt() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName) cannot run a root without /proc (this bundle's)") }
        let id = newID()
        let path = cgPath(id)
        let fake = hostDir("fake-pids")
        XCTAssertNoThrow(try FileManager.default.createDirectory(atPath: fake + path, withIntermediateDirectories: true))
        XCTAssertTrue(FileManager.default.createFile(atPath: fake + path + "/tasks", contents: Data()))
        XCTAssertNoThrow(try FileManager.default.copyItem(atPath: Env.sharedRootfs + "/bin/busybox", toPath: fake + "/busybox"))
        // The /dev tmpfs's mount point is made in the host's /sys/fs/cgroup tmpfs: removed after.
        let devMadeHere = !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/dev")
        let b = makeBundle { c in
            c[path: "root.path"] = "/sys/fs/cgroup"
            c[path: "root.readonly"] = false
            c[path: "linux.cgroupsPath"] = path
            c[path: "linux.resources.pids"] = ["limit": 50]
            c[path: "linux.maskedPaths"] = [String]()
            c[path: "linux.readonlyPaths"] = [String]()
            c["mounts"] = [
                ["destination": "/pids", "type": "bind", "source": fake, "options": ["rbind"]],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]],
            ] as [[String: Any]]
            c[path: "process.args"] = ["/pids/busybox", "sleep", "100"]
        }
        defer {
            runtime(["delete", "--force", id])
            if devMadeHere { rmdir("/sys/fs/cgroup/dev") }
            removeCgroup(path)
        }
        let r = runtime(["create", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        let p = pid(id)
        XCTAssertGreaterThan(p, 0)
        let pidsLine = readHost("/proc/\(p)/cgroup").split(separator: "\n").first { $0.contains(":pids:") } ?? ""
        XCTAssertTrue(pidsLine.hasSuffix(":pids:" + path), "the container runs outside its pids cgroup: \(pidsLine)")
        XCTAssertEqual(readHost(fake + path + "/tasks"), "", "init wrote into the bundle's file")
    }
}
