// How the container's process and an exec'd one join their cgroups: without the kernel's
// threadgroup lock where the runtime can. A move through cgroup.procs (of any pid, "0" too) takes
// cgroup_threadgroup_rwsem, whose first writer waits for an RCU grace period; a "0" written to a v1
// hierarchy's `tasks` moves only the writing thread and skips it (cgroup_procs_write_start), so the
// process that forks into the container joins that way first thing, while it has that one thread,
// and is born in the v2 cgroup (clone3 CLONE_INTO_CGROUP). Seen with strace (every process and
// thread of the runtime: what each opened and wrote, what each made) and checked against where the
// process ends up: /proc/<pid>/cgroup against state.json's cgroup paths, in every hierarchy.
//
// Where something must happen around the move (execCPUAffinity), or where the process forked is
// an intermediate one of a pid or time namespace that must stay out of the container's limits,
// the runtime still moves the process by pid: those land in every hierarchy too.

import Foundation
import XCTest

final class CgroupJoinTests: CgroupTestCase {
    /// The configs `run` joins its cgroup differently for: a `cgroup` mount and a cgroup namespace
    /// need it joined before anything else; neither, only before the container's process runs.
    static let runConfigs: [(name: String, configure: (inout Config) -> Void)] = [
        ("cgroup mount", { c in
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
        }),
        ("no cgroup mount", { _ in }),
        ("cgroup namespace", { c in c.addNamespace("cgroup") }),
    ]

    func testRunJoinsEveryHierarchyWithoutTheThreadgroupLock() {
        for (name, configure) in Self.runConfigs { checkRun(name, view: .host, configure) }
    }

    func testExecJoinsEveryHierarchyWithoutTheThreadgroupLock() {
        checkExec(view: .host, subCgroups: [("memory:sub", ["memory": "sub"], "/sys/fs/cgroup/memory"),
                                            (":sub", ["": "sub"], "/sys/fs/cgroup/unified")])
    }

    /// The reference runtimes' known ways with `exec --cgroup`.
    static let subCgroupDeviation = (runtimes: ["crun"],
                                     reason: "crun 1.8 does not join the sub-cgroup (and leaves the exec'd process in the caller's "
                                         + "memory cgroup)")
    static let unifiedSubDeviation = (runtimes: ["runc", "crun"],
                                      reason: "runc 1.1 takes `:sub` for every hierarchy and fails where only the unified one has "
                                          + "it; crun 1.8 does not join it")

    /// On a v2 host (the pure v2 view of this one) the same: no move through cgroup.procs, and the
    /// process is born in its cgroup.
    func testV2ViewJoinsWithoutTheThreadgroupLock() {
        knownDeviation(runtimes: ["crun"], reason: "crun-v1 runs with a tmpfs of its own at /sys/fs/cgroup/unified: no cgroup2 to use") {
            for (name, configure) in Self.runConfigs { checkRun(name, view: .v2, configure) }
            checkExec(view: .v2, subCgroups: [("sub", ["": "sub"], "/sys/fs/cgroup/unified")])
        }
    }

    /// `run` of the config, traced: the container's process joins every hierarchy itself, no process
    /// of the runtime opens a cgroup.procs for writing, and it is in the container's cgroup in each.
    func checkRun(_ name: String, view: CgroupView, _ configure: (inout Config) -> Void) {
        let id = newID()
        let b = sleeperBundle(id, configure)
        let traced = TracedCommand([Env.runtime, "--root", stateRoot, "run", "-d", "--bundle", b, id], view: view,
                                   directory: scratch + "/strace-run-\(view)-\(id)")
        let r = traced.waitForCommand()
        XCTAssertEqual(r.status, 0, "[\(view) \(name)] run: \(describe(r))")
        let containerPID = pid(id)
        let recorded = recordedCgroupPaths(id)
        assertInContainersCgroups(readHost("/proc/\(containerPID)/cgroup"), recorded: recorded, id: id, view: view,
                                  "[\(view) \(name)] the container's process")
        XCTAssertEqual(runtime(in: view, ["delete", "--force", id]).status, 0, "[\(view) \(name)] delete")
        let trace = traced.finish()
        assertJoinedWithoutTheLock(trace, recorded: recorded, joiner: { $0 == containerPID }, "[\(view) \(name)] run")
        assertCgroupGone(id)
    }

    /// `exec` into a container, traced: plain, and with --cgroup to each of `subCgroups` (the flag,
    /// controller → sub-cgroup, the hierarchy it is made in). The exec child joins itself and the
    /// process it starts (its child) runs in the container's cgroup (or the sub-cgroup) in each.
    func checkExec(view: CgroupView, subCgroups: [(flag: String, sub: [String: String], hierarchy: String)]) {
        let id = newID()
        // A sub-cgroup made in a hierarchy the runtime does not use (crun-v1: the unified one) leaves
        // its parent to the test.
        defer { rmdir("/sys/fs/cgroup/unified" + cgPath(id)) }
        XCTAssertEqual(runtime(in: view, ["run", "-d", "--bundle", sleeperBundle(id), id]).status, 0, "[\(view)] run")
        defer { runtime(in: view, ["delete", "--force", id]) }
        let recorded = recordedCgroupPaths(id)
        for sub in subCgroups { makeCgroup(cgPath(id) + "/sub", hierarchies: [sub.hierarchy]) }
        defer { removeCgroup(cgPath(id) + "/sub") }

        let cases = [([String](), [String: String]())] + subCgroups.map { (["--cgroup", $0.flag], $0.sub) }
        for (n, (flags, sub)) in cases.enumerated() {
            let what = "[\(view)] exec \(flags.joined(separator: " "))"
            let traced = TracedCommand([Env.runtime, "--root", stateRoot, "exec"] + flags + [id, "cat", "/proc/self/cgroup"],
                                       view: view, directory: scratch + "/strace-exec-\(view)-\(n)")
            let r = traced.waitForCommand()
            let deviation = sub.isEmpty ? (runtimes: [String](), reason: "")
                : flags.last?.hasPrefix(":") == true ? Self.unifiedSubDeviation : Self.subCgroupDeviation
            knownDeviation(runtimes: deviation.runtimes, reason: deviation.reason) {
                XCTAssertEqual(r.status, 0, "\(what): \(describe(r))")
                assertInContainersCgroups(r.stdout, recorded: recorded, id: id, view: view, sub: sub, "\(what): the exec'd process")
            }
            let trace = traced.finish()
            // The exec child: the exec'd process itself, or the process that made it (in the
            // container's pid namespace).
            let execd = trace.pids(executing: "/bin/cat")
            if r.status == 0 { XCTAssertEqual(execd.count, 1, "\(what): processes that ran cat: \(execd)") }
            assertJoinedWithoutTheLock(trace, recorded: recorded, sub: sub, joiner: { joiner in
                execd.contains { $0 == joiner || trace.creation(of: $0)?.parent == joiner }
            }, what)
        }
    }

    /// Asserts from `trace` that no process of the runtime opened a cgroup.procs for writing, and that
    /// exactly one process (one `joiner` accepts) joined every v1 hierarchy of `recorded` (or the
    /// sub-cgroup `sub` names in it) by writing "0" to its `tasks` while it had no other thread:
    /// made by a clone without CLONE_THREAD, none made by it before its last join. Where there is a
    /// unified hierarchy it was born in it.
    func assertJoinedWithoutTheLock(_ trace: SyscallTrace, recorded: [String: String]?, sub: [String: String] = [:],
                                    joiner accepts: (Int32) -> Bool,
                                    _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let procs = trace.cgroupProcsOpenedForWriting
        let joins = trace.tasksJoins
        guard isSwiftlet else {
            print("\(Env.runtimeName) \(what): \(procs.count) cgroup.procs opened for writing, \(joins.count) \"0\" written to tasks")
            return
        }
        XCTAssertEqual(procs, [], "\(what): a cgroup.procs opened for writing (a move under the threadgroup lock)", file: file, line: line)
        let v1Tasks = Set((recorded ?? [:]).filter { !$0.key.isEmpty }.map { $0.value + (sub[$0.key].map { "/" + $0 } ?? "") + "/tasks" })
        XCTAssertEqual(Set(joins.map(\.file)), v1Tasks, "\(what): the v1 hierarchies joined by \"0\" to tasks", file: file, line: line)
        XCTAssertEqual(joins.count, v1Tasks.count, "\(what): each joined once: \(joins)", file: file, line: line)
        let joiners = Set(joins.map(\.pid))
        XCTAssertLessThanOrEqual(joiners.count, 1, "\(what): more than one process joined: \(joins)", file: file, line: line)
        // With no v1 hierarchy (the v2 view) the process born in the cgroup is the one to look at.
        let bornInCgroup = trace.calls.keys.filter { trace.creation(of: $0)?.call.contains("CLONE_INTO_CGROUP") == true }
        XCTAssertLessThanOrEqual(bornInCgroup.count, 1, "\(what): more than one process born in a cgroup: \(bornInCgroup)",
                                 file: file, line: line)
        guard let joiner = joiners.first ?? (v1Tasks.isEmpty ? bornInCgroup.first : nil) else {
            return XCTFail("\(what): no process joined the cgroup", file: file, line: line)
        }
        XCTAssertTrue(accepts(joiner), "\(what): pid \(joiner) joined, not the process expected", file: file, line: line)
        guard let creation = trace.creation(of: joiner) else {
            return XCTFail("\(what): the trace shows no call that made pid \(joiner)", file: file, line: line)
        }
        XCTAssertFalse(creation.call.contains("CLONE_THREAD"), "\(what): the joiner \(joiner) is a thread: \(creation.call)",
                       file: file, line: line)
        let lastJoin = joins.filter { $0.pid == joiner }.map(\.index).max() ?? 0
        XCTAssertEqual(trace.threadsMade(by: joiner, before: lastJoin), [],
                       "\(what): the joiner \(joiner) had another thread while it joined", file: file, line: line)
        if (recorded ?? [:])[""] != nil {
            XCTAssertTrue(creation.call.contains("CLONE_INTO_CGROUP"), "\(what): the joiner \(joiner) was not born in the v2 cgroup: "
                          + creation.call, file: file, line: line)
        }
    }

    // MARK: moved by the runtime

    /// execCPUAffinity: the runtime sets the exec child's affinity before and after moving it (by
    /// pid), the child waiting. It lands in every hierarchy, with the final affinity (or the initial
    /// one when there is no final), seen from inside.
    func testExecCPUAffinityMoveLandsInEveryHierarchy() throws {
        let id = newID()
        let b = sleeperBundle(id) { c in c[path: "process.execCPUAffinity"] = ["initial": "0", "final": "1"] }
        XCTAssertEqual(runtime(["run", "-d", "--bundle", b, id]).status, 0)
        defer { runtime(["delete", "--force", id]) }
        let recorded = recordedCgroupPaths(id)
        let script = "grep Cpus_allowed_list /proc/self/status; cat /proc/self/cgroup"
        let initialOnly = scratch + "/process-initial.json"
        let process: [String: Any] = ["terminal": false, "cwd": "/", "user": ["uid": 0, "gid": 0], "args": ["sh", "-c", script],
                                      "env": ["PATH=/bin", "SWIFTLET_TEST_ID=\(token)"], "execCPUAffinity": ["initial": "1"]]
        try jsonText(process).write(toFile: initialOnly, atomically: true, encoding: .utf8)
        for (args, want) in [([id, "sh", "-c", script], "1"), (["--process", initialOnly, id], "1")] {
            let r = runtime(["exec"] + args)
            XCTAssertEqual(r.status, 0, "exec \(args): \(describe(r))")
            if isSwiftlet { XCTAssertTrue(r.stdout.contains("Cpus_allowed_list:\t\(want)\n"), "exec \(args): \(describe(r))") }
            let cgroupFile = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("Cpus_allowed_list") }.joined(separator: "\n")
            assertInContainersCgroups(cgroupFile, recorded: recorded, id: id, view: .host, "exec \(args)")
        }
    }

    /// A time namespace: the process forked first is an intermediate one (the namespace is for its
    /// children) that must never count against the container's limits; the runtime moves the
    /// container's process by pid instead. It lands in every hierarchy; the intermediate never
    /// joined any (not born in one, no "0" written, its pid written nowhere).
    func testSecondForkForATimeNamespaceLeavesTheIntermediateOut() {
        let id = newID()
        knownDeviation(runtimes: ["runc", "crun"], reason: "runc 1.1 and crun 1.8 have no time namespace") {
            checkSecondFork(id, sleeperBundle(id) { c in c.addNamespace("time") }, "time namespace")
        }
    }

    /// The same when joining another container's pid namespace.
    func testSecondForkIntoAJoinedPIDNamespaceLeavesTheIntermediateOut() {
        let owner = newID("owner")
        XCTAssertEqual(runtime(["run", "-d", "--bundle", sleeperBundle(owner), owner]).status, 0)
        defer { runtime(["delete", "--force", owner]) }
        let ownerPID = pid(owner)
        let id = newID()
        checkSecondFork(id, sleeperBundle(id) { c in c.addNamespace("pid", path: "/proc/\(ownerPID)/ns/pid") }, "joined pid namespace")
    }

    func checkSecondFork(_ id: String, _ bundle: String, _ what: String) {
        let traced = TracedCommand([Env.runtime, "--root", stateRoot, "run", "-d", "--bundle", bundle, id], view: .host,
                                   directory: scratch + "/strace-\(id)")
        let r = traced.waitForCommand()
        XCTAssertEqual(r.status, 0, "\(what): run: \(describe(r))")
        let containerPID = pid(id)
        let recorded = recordedCgroupPaths(id)
        assertInContainersCgroups(readHost("/proc/\(containerPID)/cgroup"), recorded: recorded, id: id, view: .host,
                                  "\(what): the container's process")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0, "\(what): delete")
        let trace = traced.finish()
        assertCgroupGone(id)
        guard isSwiftlet else { return }
        guard let intermediate = trace.creation(of: containerPID)?.parent,
              let made = trace.creation(of: intermediate) else {
            return XCTFail("\(what): the trace shows no intermediate process for \(containerPID)")
        }
        XCTAssertFalse(made.call.contains("CLONE_INTO_CGROUP"), "\(what): the intermediate was born in the cgroup: \(made.call)")
        XCTAssertEqual(trace.tasksJoins.filter { $0.pid == intermediate }.map(\.file), [], "\(what): the intermediate joined")
        XCTAssertEqual(trace.movesByPID.filter { $0.moved == "\(intermediate)" }.map(\.file), [], "\(what): the intermediate was moved")
        let moved = trace.movesByPID.filter { $0.moved == "\(containerPID)" }.map(\.file)
        XCTAssertEqual(Set(moved), Set((recorded ?? [:]).values.map { $0 + "/cgroup.procs" }),
                       "\(what): the container's process moved by pid into each hierarchy")
    }

    // MARK: a kernel without CLONE_INTO_CGROUP

    /// clone3 failing with ENOSYS (a kernel without it, so without CLONE_INTO_CGROUP): the process
    /// that joins moves itself into the unified hierarchy too, and `run` (each config) and `exec`
    /// (plain, --cgroup to a sub-cgroup of the unified hierarchy) land in every hierarchy. The same
    /// with the kernel's other answers to a CLONE_INTO_CGROUP it lacks (EINVAL for the flag, E2BIG
    /// for the larger struct before 5.7), for `run` without a cgroup mount and `exec`.
    func testWithoutCloneIntoCgroupEveryHierarchyIsJoined() throws {
        if let e = FailSyscalls.buildError { throw SetupError(message: e) }
        // The filter fails every clone3, a thread's too, and glibc's pthread_create falls back to
        // clone on ENOSYS only: with EINVAL or E2BIG a Go runtime (runc) cannot start at all, which
        // no kernel does to it. swiftlet's threads are not needed to start a container.
        let otherAnswers = isSwiftlet ? [("EINVAL", EINVAL), ("E2BIG", E2BIG)] : []
        let cases = Self.runConfigs.map { ("ENOSYS", ENOSYS, $0.name, $0.configure) }
            + otherAnswers.map { ($0.0, $0.1, Self.runConfigs[1].name, Self.runConfigs[1].configure) }
        for (errName, errno, name, configure) in cases {
            let what = "[\(name), clone3 failing with \(errName)]"
            func withoutClone3(_ args: [String]) -> ProcResult {
                Host.exec(FailSyscalls.path, ["clone3", "\(errno)", Env.runtime, "--root", stateRoot] + args)
            }
            let id = newID()
            let r = withoutClone3(["run", "-d", "--bundle", sleeperBundle(id, configure), id])
            XCTAssertEqual(r.status, 0, "\(what) run: \(describe(r))")
            let recorded = recordedCgroupPaths(id)
            assertInContainersCgroups(readHost("/proc/\(pid(id))/cgroup"), recorded: recorded, id: id, view: .host,
                                      "\(what) the container's process")
            if name == "no cgroup mount" {
                makeCgroup(cgPath(id) + "/sub", hierarchies: ["/sys/fs/cgroup/unified"])
                for (flags, sub) in [([String](), [String: String]()), (["--cgroup", ":sub"], ["": "sub"])] {
                    let e = withoutClone3(["exec"] + flags + [id, "cat", "/proc/self/cgroup"])
                    let deviation = sub.isEmpty ? (runtimes: [String](), reason: "") : Self.unifiedSubDeviation
                    knownDeviation(runtimes: deviation.runtimes, reason: deviation.reason) {
                        XCTAssertEqual(e.status, 0, "\(what) exec \(flags): \(describe(e))")
                        assertInContainersCgroups(e.stdout, recorded: recorded, id: id, view: .host, sub: sub, "\(what) exec \(flags)")
                    }
                }
                removeCgroup(cgPath(id) + "/sub")
                // Made by the test where the runtime uses no unified cgroup (crun-v1); else busy.
                rmdir("/sys/fs/cgroup/unified" + cgPath(id))
            }
            XCTAssertEqual(runtime(["delete", "--force", id]).status, 0, "\(what) delete")
            assertCgroupGone(id)
        }
    }
}
