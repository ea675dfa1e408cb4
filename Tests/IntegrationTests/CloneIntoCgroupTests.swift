// On a cgroup v2 host the container's init is born in its cgroup (clone3 CLONE_INTO_CGROUP): the
// kernel never migrates it there. Checked with the kernel's own record of migrations: the
// cgroup:cgroup_attach_task tracepoint fires for every process moved through cgroup.procs (and
// not for one created in place), read from a private tracefs instance filtered on the test's
// cgroup. An `exec` into the container, which joins the cgroup by a move, is the control that
// the tracer sees what it should.

import Foundation
import XCTest

final class CloneIntoCgroupTests: CgroupTestCase {
    /// `script` run in tracefs, mounted on a scratch directory in a private mount namespace (instances
    /// are global to tracefs: what the script makes outlives the namespace). Not on
    /// /sys/kernel/tracing: where the host has tracefs mounted there already (perf mounts it), the
    /// kernel refuses the same file system twice on one mount point (EBUSY).
    @discardableResult
    func tracefs(_ script: String) -> ProcResult {
        let dir = scratch + "/tracefs"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t tracefs nodev '\(dir)' && cd '\(dir)' && \(script)"])
    }

    func testV2InitIsBornInItsCgroupNotMoved() {
        let id = newID()
        let instance = traceMovesInto(cgPath(id), tracer: id)
        defer { stopTracing(instance) }

        let b = sleeperBundle(id)
        let r = runtime(in: .v2, ["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        defer { runtime(in: .v2, ["delete", "--force", id]) }
        let initPID = pid(id)
        XCTAssertGreaterThan(initPID, 0)
        // It is in its cgroup...
        let cgroupLine = unifiedLine(of: initPID)
        XCTAssertEqual(cgroupLine, "0::\(cgPath(id))")
        // ...and a process moved there by hand is seen moving.
        let controlPID = moveByHand(into: cgPath(id))

        let trace = tracefs("cat \(instance)/trace")
        XCTAssertEqual(trace.status, 0, describe(trace))
        let moves = trace.stdout.split(separator: "\n").filter { $0.contains("cgroup_attach_task:") }
        XCTAssertFalse(moves.filter { $0.contains(" pid=\(controlPID) ") }.isEmpty,
                       "the tracer did not see the move by hand (pid \(controlPID)):\n\(trace.stdout)")
        let initMoves = moves.filter { $0.contains(" pid=\(initPID) ") }
        if isSwiftlet {
            XCTAssertEqual(initMoves, [], "init (pid \(initPID)) was moved into its cgroup instead of being born there")
        } else if !initMoves.isEmpty {
            print("\(Env.runtimeName): init moved into its cgroup: \(initMoves)")
        }
    }

    /// A tracefs instance (named `tracer`) recording every process moved into `cgroup` or below
    /// (cgroup_attach_task); its name for `cat <instance>/trace` and `stopTracing`.
    func traceMovesInto(_ cgroup: String, tracer: String) -> String {
        let instance = "instances/\(tracer)"
        let event = "\(instance)/events/cgroup/cgroup_attach_task"
        let setUp = tracefs("mkdir \(instance) && echo 'dst_path ~ \"*\(cgroup)*\"' > \(event)/filter"
            + " && echo 1 > \(event)/enable")
        XCTAssertEqual(setUp.status, 0, "tracefs instance: \(describe(setUp))")
        return instance
    }

    func stopTracing(_ instance: String) {
        tracefs("echo 0 > \(instance)/events/cgroup/cgroup_attach_task/enable; rmdir \(instance)")
    }

    /// A shell moved into `cgroup` by writing its pid to cgroup.procs (in a v2 view), which then
    /// exits: the tracer's control. Returns its pid.
    func moveByHand(into cgroup: String) -> Int32 {
        let r = Host.exec("/usr/bin/unshare", ["-m", "sh", "-c",
                                               "mount -t cgroup2 none /sys/fs/cgroup && echo $$ > /sys/fs/cgroup\(cgroup)/cgroup.procs && echo $$"])
        XCTAssertEqual(r.status, 0, "move by hand: \(describe(r))")
        return Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// An exec'd process is born in the container's cgroup too: the exec child (and so the process it
    /// forks into the container's pid namespace) is made there, never moved; the process runs in it.
    func testV2ExecIsBornInTheCgroupNotMoved() {
        let id = newID()
        let b = sleeperBundle(id)
        let r = runtime(in: .v2, ["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        defer { runtime(in: .v2, ["delete", "--force", id]) }
        let instance = traceMovesInto(cgPath(id), tracer: id)
        defer { stopTracing(instance) }

        let pidFile = scratch + "/exec.pid"
        let e = runtime(in: .v2, ["exec", "-d", "--pid-file", pidFile, id, "sleep", "100"])
        XCTAssertEqual(e.status, 0, describe(e))
        let execPID = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "") ?? 0
        XCTAssertGreaterThan(execPID, 0)
        let line = unifiedLine(of: execPID)
        XCTAssertEqual(line, "0::\(cgPath(id))", "the exec'd process runs in the container's cgroup")
        XCTAssertEqual(runtime(in: .v2, ["exec", id, "true"]).status, 0)
        let controlPID = moveByHand(into: cgPath(id))

        let trace = tracefs("cat \(instance)/trace")
        XCTAssertEqual(trace.status, 0, describe(trace))
        let moves = trace.stdout.split(separator: "\n").filter { $0.contains("cgroup_attach_task:") }
        let control = moves.filter { $0.contains(" pid=\(controlPID) ") }
        XCTAssertFalse(control.isEmpty, "the tracer did not see the move by hand (pid \(controlPID)):\n\(trace.stdout)")
        if isSwiftlet {
            XCTAssertEqual(moves.count, control.count, "exec moved a process into the cgroup instead of making it there:\n\(trace.stdout)")
        }
    }

    /// On a v2 host `run` moves no process at all: init is born in its cgroup, and the runtime's
    /// start-up no longer moves itself into its own cgroup to start the migration lock's grace
    /// period early (which held cgroup_mutex through that grace period while the container's
    /// cgroup mkdir and the clone3 into it waited for the mutex). Nor does `exec`; a shell joining
    /// the cgroup by hand is the control that the trace sees such opens.
    func testV2RunMovesNoProcessNotEvenItself() {
        let id = newID()
        let b = makeBundle { c in
            c.shell("true")
            c[path: "linux.cgroupsPath"] = cgPath(id)
        }
        let runOpens = cgroupProcsOpenedForWriting([Env.runtime, "--root", stateRoot, "run", "--bundle", b, id], tag: "run")
        if isSwiftlet {
            XCTAssertEqual(runOpens, [], "run on a v2 host wrote to a cgroup.procs")
        } else if !runOpens.isEmpty {
            print("\(Env.runtimeName): run on a v2 host opened \(runOpens.count) cgroup.procs for writing")
        }
        assertCgroupGone(id)

        let sleeper = newID()
        let s = sleeperBundle(sleeper)
        XCTAssertEqual(runtime(in: .v2, ["run", "-d", "--bundle", s, sleeper]).status, 0)
        defer { runtime(in: .v2, ["delete", "--force", sleeper]) }
        // exec moves nothing on v2 either (testV2ExecMovesNoProcessAtAll); the control that the trace
        // sees such opens is a shell joining the cgroup by hand.
        let execOpens = cgroupProcsOpenedForWriting([Env.runtime, "--root", stateRoot, "exec", sleeper, "true"], tag: "exec")
        if isSwiftlet {
            XCTAssertEqual(execOpens, [], "exec on a v2 host wrote to a cgroup.procs")
        }
        let handOpens = cgroupProcsOpenedForWriting(["/bin/sh", "-c", "echo $$ > /sys/fs/cgroup\(cgPath(sleeper))/cgroup.procs"], tag: "hand")
        XCTAssertTrue(handOpens.contains { $0.contains(cgPath(sleeper)) }, "the trace did not see a move by hand: \(handOpens)")
    }

    /// A kernel without clone3 (ENOSYS) or without CLONE_INTO_CGROUP (E2BIG for the larger struct
    /// before 5.7, EINVAL for the flag): the runtime forks and moves init into its cgroup, as before.
    func testV2FallsBackToAMoveWithoutClone3() throws {
        if let e = FailSyscalls.buildError { throw SetupError(message: e) }
        for (name, errno) in [("ENOSYS", ENOSYS), ("EINVAL", EINVAL), ("E2BIG", E2BIG)] {
            let id = newID()
            let b = sleeperBundle(id)
            let r = Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                                   FailSyscalls.path, "clone3", "\(errno)", Env.runtime, "--root", stateRoot,
                                                   "run", "-d", "--bundle", b, id])
            XCTAssertEqual(r.status, 0, "clone3 failing with \(name): \(describe(r))")
            let initPID = pid(id)
            let line = unifiedLine(of: initPID)
            XCTAssertEqual(line, "0::\(cgPath(id))", "clone3 failing with \(name)")
            XCTAssertEqual(runtime(in: .v2, ["delete", "--force", id]).status, 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + cgPath(id)), "cgroup left behind (\(name))")
        }
    }

    /// Nor does exec on a v2 host move anything else: not itself either (the start-up's no-op move
    /// that prepares a migration would hold the migration lock through a grace period, which the
    /// clone3 of the exec child then waits for). Traced unfiltered, by the runtime's pid.
    func testV2ExecMovesNoProcessAtAll() {
        let id = newID()
        let b = sleeperBundle(id)
        XCTAssertEqual(runtime(in: .v2, ["run", "-d", "--bundle", b, id]).status, 0)
        defer { runtime(in: .v2, ["delete", "--force", id]) }
        let instance = "instances/\(id)-all"
        let event = "\(instance)/events/cgroup/cgroup_attach_task"
        let setUp = tracefs("mkdir \(instance) && echo 1 > \(event)/enable")
        XCTAssertEqual(setUp.status, 0, "tracefs instance: \(describe(setUp))")
        defer { tracefs("echo 0 > \(event)/enable; rmdir \(instance)") }
        // The shell's pid is the runtime's (exec replaces the shell).
        let e = Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && echo $$ && exec \"$@\"", "sh",
                                               Env.runtime, "--root", stateRoot, "exec", id, "true"])
        XCTAssertEqual(e.status, 0, describe(e))
        let runtimePID = e.stdout.split(separator: "\n").first.map(String.init) ?? "?"
        let controlPID = moveByHand(into: cgPath(id))
        let trace = tracefs("cat \(instance)/trace")
        let moves = trace.stdout.split(separator: "\n").filter { $0.contains("cgroup_attach_task:") }
        XCTAssertFalse(moves.filter { $0.contains(" pid=\(controlPID) ") }.isEmpty,
                       "the tracer did not see the move by hand (pid \(controlPID)):\n\(trace.stdout)")
        if isSwiftlet {
            XCTAssertEqual(moves.filter { $0.contains(" pid=\(runtimePID) ") }, [], "exec (pid \(runtimePID)) moved itself")
        }
    }

    /// The same for exec: without CLONE_INTO_CGROUP the exec child is forked and moved, and the
    /// process runs in the container's cgroup all the same.
    func testV2ExecFallsBackToAMoveWithoutClone3() throws {
        if let e = FailSyscalls.buildError { throw SetupError(message: e) }
        let id = newID()
        let b = sleeperBundle(id)
        XCTAssertEqual(runtime(in: .v2, ["run", "-d", "--bundle", b, id]).status, 0)
        defer { runtime(in: .v2, ["delete", "--force", id]) }
        for (name, errno) in [("ENOSYS", ENOSYS), ("EINVAL", EINVAL), ("E2BIG", E2BIG)] {
            let pidFile = scratch + "/exec-\(name).pid"
            let r = Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                                   FailSyscalls.path, "clone3", "\(errno)", Env.runtime, "--root", stateRoot,
                                                   "exec", "-d", "--pid-file", pidFile, id, "sleep", "100"])
            XCTAssertEqual(r.status, 0, "clone3 failing with \(name): \(describe(r))")
            let execPID = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "") ?? 0
            XCTAssertGreaterThan(execPID, 0, name)
            let line = unifiedLine(of: execPID)
            XCTAssertEqual(line, "0::\(cgPath(id))", "clone3 failing with \(name)")
        }
    }
}
