// On a cgroup v2 host the container's init is born in its cgroup (clone3 CLONE_INTO_CGROUP): the
// kernel never migrates it there. Checked with the kernel's own record of migrations: the
// cgroup:cgroup_attach_task tracepoint fires for every process moved through cgroup.procs (and
// not for one created in place), read from a private tracefs instance filtered on the test's
// cgroup. An `exec` into the container, which joins the cgroup by a move, is the control that
// the tracer sees what it should.

import Foundation
import XCTest

final class CloneIntoCgroupTests: CgroupTestCase {
    /// The runtime in a private mount namespace with cgroup2 over /sys/fs/cgroup (a v2 host), as
    /// CgroupV2Tests runs it.
    @discardableResult
    func rt2(_ args: [String], timeout: TimeInterval = 30) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                       Env.runtime, "--root", stateRoot] + args, timeout: timeout)
    }

    /// `script` run in /sys/kernel/tracing, with tracefs mounted there in a private mount namespace
    /// (instances are global to tracefs: what the script makes outlives the namespace).
    @discardableResult
    func tracefs(_ script: String) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c",
                                       "mount -t tracefs nodev /sys/kernel/tracing && cd /sys/kernel/tracing && \(script)"])
    }

    func testV2InitIsBornInItsCgroupNotMoved() {
        let id = newID()
        let instance = "instances/\(id)"
        let event = "\(instance)/events/cgroup/cgroup_attach_task"
        let setUp = tracefs("mkdir \(instance) && echo 'dst_path ~ \"*\(cgPath(id))*\"' > \(event)/filter"
            + " && echo 1 > \(event)/enable")
        XCTAssertEqual(setUp.status, 0, "tracefs instance: \(describe(setUp))")
        defer { tracefs("echo 0 > \(event)/enable; rmdir \(instance)") }

        let b = makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = cgPath(id)
        }
        let r = rt2(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        defer { rt2(["delete", "--force", id]) }
        let initPID = pid(id)
        XCTAssertGreaterThan(initPID, 0)
        // It is in its cgroup...
        let cgroupLine = readHost("/proc/\(initPID)/cgroup").split(separator: "\n").first { $0.hasPrefix("0::") }
        XCTAssertEqual(cgroupLine.map(String.init), "0::\(cgPath(id))")
        // ...and an exec'd process, moved there, is seen moving.
        let e = rt2(["exec", id, "true"])
        XCTAssertEqual(e.status, 0, describe(e))

        let trace = tracefs("cat \(instance)/trace")
        XCTAssertEqual(trace.status, 0, describe(trace))
        let moves = trace.stdout.split(separator: "\n").filter { $0.contains("cgroup_attach_task:") }
        XCTAssertFalse(moves.isEmpty, "the tracer saw no move, not even exec's:\n\(trace.stdout)")
        let initMoves = moves.filter { $0.contains(" pid=\(initPID) ") }
        if isSwiftlet {
            XCTAssertEqual(initMoves, [], "init (pid \(initPID)) was moved into its cgroup instead of being born there")
        } else if !initMoves.isEmpty {
            print("\(Env.runtimeName): init moved into its cgroup: \(initMoves)")
        }
    }

    static let failHelper = "/tmp/swiftlet-it-clone3/fail-syscalls"
    static let helperError = CFixture.build("fail-syscalls.c", to: failHelper)

    /// A kernel without clone3 (ENOSYS) or without CLONE_INTO_CGROUP (E2BIG for the larger struct
    /// before 5.7, EINVAL for the flag): the runtime forks and moves init into its cgroup, as before.
    func testV2FallsBackToAMoveWithoutClone3() throws {
        if let e = Self.helperError { throw SetupError(message: e) }
        for (name, errno) in [("ENOSYS", ENOSYS), ("EINVAL", EINVAL), ("E2BIG", E2BIG)] {
            let id = newID()
            let b = makeBundle { c in
                c.shell("sleep 100")
                c[path: "linux.cgroupsPath"] = cgPath(id)
            }
            let r = Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                                   Self.failHelper, "clone3", "\(errno)", Env.runtime, "--root", stateRoot,
                                                   "run", "-d", "--bundle", b, id])
            XCTAssertEqual(r.status, 0, "clone3 failing with \(name): \(describe(r))")
            let initPID = pid(id)
            let line = readHost("/proc/\(initPID)/cgroup").split(separator: "\n").first { $0.hasPrefix("0::") }
            XCTAssertEqual(line.map(String.init), "0::\(cgPath(id))", "clone3 failing with \(name)")
            XCTAssertEqual(rt2(["delete", "--force", id]).status, 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + cgPath(id)), "cgroup left behind (\(name))")
        }
    }
}
