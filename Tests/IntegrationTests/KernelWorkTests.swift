// The kernel work a `run` asks for and need not (issue 19 item 3): system calls that fail by design or
// ask what the runtime already knows. A `run` is traced with strace and its calls counted (counts,
// not times: the times are conformance/bench-split's). And the behaviour those calls stood for, kept.

import Foundation
import XCTest

final class KernelWorkTests: CgroupTestCase {
    /// `run` of `bundle` under strace (every process, fds shown with their paths), tracing `calls`:
    /// the trace's lines.
    func tracedRun(_ bundle: String, id: String, calls: String,
                   file: StaticString = #filePath, line: UInt = #line) -> [String] {
        traced(["run", "--bundle", bundle, id], tag: id, calls: calls, file: file, line: line)
    }

    /// The runtime's `command` under strace, as `tracedRun`; `tag` names the trace's folder.
    func traced(_ command: [String], tag: String, calls: String,
                file: StaticString = #filePath, line: UInt = #line) -> [String] {
        // -ff: a file per process, so that no call is split in two by another process's.
        let dir = scratch + "/strace-\(tag)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = Host.exec("/usr/bin/strace", ["-ff", "-qq", "-y", "-e", "trace=" + calls, "-o", dir + "/trace",
                                              Env.runtime, "--root", stateRoot] + command,
                          timeout: 60)
        XCTAssertEqual(r.status, 0, "\(command.first ?? "") under strace: \(describe(r))", file: file, line: line)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.flatMap { name in
            ((try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    /// `runc spec`'s capabilities: three ambient ones, none inheritable, so the kernel would refuse
    /// to raise any of them. The ambient set is cleared in one call (libcap's reset asked
    /// PR_CAP_AMBIENT_IS_SET of every capability first: 41 calls) and nothing is raised that the
    /// kernel refuses (3 failing calls); the container sees the same sets.
    func testAmbientSetMadeWithoutCallsTheKernelAnswersNo() {
        let id = newID()
        let three = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let b = makeBundle { c in
            c[path: "process.capabilities"] = ["bounding": three, "effective": three, "permitted": three, "ambient": three]
            c.args = ["grep", "^Cap", "/proc/self/status"]
        }
        let trace = tracedRun(b, id: id, calls: "prctl")
        if isSwiftlet {
            let ambient = trace.filter { $0.contains("PR_CAP_AMBIENT") }
            XCTAssertEqual(ambient.filter { $0.contains("PR_CAP_AMBIENT_IS_SET") }, [], "asked what is known")
            XCTAssertEqual(ambient.filter { $0.contains("= -1") }, [], "raised what the kernel refuses")
            XCTAssertEqual(ambient.filter { $0.contains("PR_CAP_AMBIENT_CLEAR_ALL") }.count, 1, "\(ambient)")
        }
        let f = statusFields(run(b).stdout)
        XCTAssertEqual(f["CapAmb"], capMask([]), "nothing is ambient without inheritable: \(f)")
        XCTAssertEqual(f["CapPrm"], capMask(three), "\(f)")
        XCTAssertEqual(f["CapBnd"], capMask(three), "\(f)")
    }

    /// A `run`'s cgroup directories: made without first asking each for another container's mark
    /// (a directory mkdir made carries none: 10 failing getxattr on this host), and removed by
    /// rmdir alone when empty (the look into cgroup.procs and the listing first: 80 calls). Nor
    /// stat'ed to see whether they are there before the mkdir (10 failing stats), nor again by
    /// init before it binds them for the `cgroup` mount (10 more): once when made (for the inode
    /// number), once at delete.
    func testCgroupMadeAndRemovedWithoutLookingFirst() {
        let id = newID()
        let b = makeBundle { c in
            c.shell("true")
            c[path: "linux.cgroupsPath"] = cgPath(id)
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
        }
        let trace = tracedRun(b, id: id, calls: "getxattr,getdents64,newfstatat,mkdir,mkdirat,rmdir,unlinkat")
        // By its path, or by its name in the parent's fd (strace -y shows the fd's path), or by its
        // path below /sys/fs/cgroup from an fd of that (CgroupTree).
        let parent = String(cgPath(id).dropLast(id.count + 1))
        let mine = trace.filter { $0.contains(cgPath(id)) || $0.contains("\(parent)>, \"\(id)\"") }
        if isSwiftlet {
            let count = hierarchies().count
            XCTAssertEqual(mine.filter { ($0.contains("mkdir(") || $0.contains("mkdirat(")) && $0.hasSuffix("= 0") }.count,
                           count, "\(mine)")
            let stats = mine.filter { $0.contains("newfstatat(") }
            XCTAssertEqual(stats.filter { $0.contains("= -1") }, [], "looked for a directory before its mkdir")
            XCTAssertLessThanOrEqual(stats.count, 2 * count, "stat'ed a directory more than when made and at delete: \(stats)")
            let removals = mine.filter { ($0.contains("rmdir(") || ($0.contains("unlinkat(") && $0.contains("AT_REMOVEDIR"))) && $0.hasSuffix("= 0") }
            XCTAssertEqual(removals.count, count, "\(mine)")
            // A new directory has no mark to ask for (ENODATA); delete reads back each directory's
            // inode number, kept in state.json, not its mark (a cgroup made again by someone else
            // is left alone: ReplacedCgroupTests; a rewritten mark changes nothing:
            // CgroupMarkSecurityTests).
            XCTAssertEqual(mine.filter { $0.contains("getxattr(") && $0.contains("ENODATA") }, [],
                           "asked a new directory for a mark")
            XCTAssertEqual(mine.filter { $0.contains("getxattr(") }, [], "read a mark where the inode number is known")
            XCTAssertEqual(mine.filter { $0.contains("getdents64(") }, [], "listed an empty cgroup before its rmdir")
        }
        assertCgroupGone(id)
    }

    /// mkdir before the mark check: a directory marked by a container that still exists is
    /// refused, and what this create made before it met that directory is removed again.
    /// With the first container's unified directory gone too, the second create claims that one
    /// before its fork and meets the marked v1 directories after it (on a v1 or hybrid host the v1
    /// hierarchies' directories are made while init creates its namespaces): init, born in the
    /// unified directory, is killed and both directories it made are removed.
    func testMarkedCgroupRefusedAndWhatWasMadeUndone() {
        for unifiedGoneToo in [false, true] {
            refusedAfterMaking(unifiedGoneToo: unifiedGoneToo)
        }
    }

    func refusedAfterMaking(unifiedGoneToo: Bool) {
        let context = unifiedGoneToo ? "the unified directory gone too" : "one v1 directory gone"
        let first = newID()
        let path = cgPath(first)
        let b = makeBundle(cgroupsPath: path, program: "sleep 100")
        XCTAssertEqual(runtime(["create", "--bundle", b, first]).status, 0)
        let initPID = pid(first)
        XCTAssertGreaterThan(initPID, 0)
        // Stopped, its state kept: its cgroup directories are empty and still marked as its own.
        kill(initPID, SIGKILL)
        var waited = 0
        while procState(initPID).hasPrefix("S") || procState(initPID).hasPrefix("R"), waited < 500 {
            usleep(10_000)
            waited += 1
        }
        // The first directory (in path order) is gone: the second create makes it, then meets
        // the marked ones.
        let v1 = hierarchies().filter { $0.fsType == "cgroup" }.map(\.mount).sorted()
        guard let firstMount = v1.first else { return XCTFail("no cgroup v1 hierarchy: \(hierarchies())") }
        let unified = hierarchies().filter { $0.fsType == "cgroup2" }.map(\.mount)
        var gone = [firstMount + path]
        if unifiedGoneToo { gone += unified.map { $0 + path } }
        // rmdir fails while init's task is not yet released: waited for (a zombie holds no cgroup).
        for dir in gone {
            var tries = 0
            while rmdir(dir) != 0, errno == EBUSY, tries < 500 {
                usleep(10_000)
                tries += 1
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir), context)
        }
        let second = newID()
        let r = run(b, id: second)
        if isSwiftlet {
            XCTAssertNotEqual(r.status, 0, "\(context): took a cgroup marked by a container that still exists: \(describe(r))")
            XCTAssertTrue(r.stderr.contains("a container needs a cgroup of its own"), "\(context): \(describe(r))")
            XCTAssertTrue(r.stderr.contains("linux.cgroupsPath"), "\(context): the error names no field: \(describe(r))")
            for dir in gone {
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "\(context): the directory the refused create made is left: \(dir)")
            }
            for h in v1.dropFirst() {
                XCTAssertTrue(FileManager.default.fileExists(atPath: h + path), "\(context): the first container's \(h + path) went")
            }
            XCTAssertEqual(leakedProcesses().map(\.pid), [], "\(context): the refused create's init outlived it")
        }
        _ = runtime(["delete", "--force", second])
        XCTAssertEqual(runtime(["delete", "--force", first]).status, 0)
        assertCgroupGone(first)
    }

    /// A container `id` running `sleep 100` in its own cgroup, made by create and start.
    func startSleeper(_ id: String, file: StaticString = #filePath, line: UInt = #line) {
        let b = makeBundle(cgroupsPath: cgPath(id), program: "sleep 100")
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0, file: file, line: line)
        XCTAssertEqual(runtime(["start", id]).status, 0, file: file, line: line)
    }

    /// `exec` asks whether the container is paused or held frozen from above by one file per
    /// hierarchy, each the one that hierarchy has: the v1 freezer's freezer.state and
    /// freezer.parent_freezing, the unified cgroup's cgroup.events (cgroup.freeze only once that
    /// says frozen). Every freezer directory was once asked for both kinds: 7 opens, 2 of them
    /// failing, on this hybrid host.
    func testExecAsksEachHierarchyOnlyForItsOwnFreezerFiles() {
        let id = newID()
        startSleeper(id)
        let trace = traced(["exec", id, "true"], tag: id, calls: "openat")
        let freezerFiles = ["freezer.state", "freezer.parent_freezing", "cgroup.freeze", "cgroup.events"]
        let asked = trace.filter { l in l.contains(cgPath(id) + "/") && freezerFiles.contains { l.contains("/" + $0 + "\"") } }
        if isSwiftlet {
            XCTAssertEqual(asked.filter { $0.contains("= -1") }, [], "asked a hierarchy for a file it does not have")
            XCTAssertEqual(asked.filter { $0.contains("/cgroup.freeze\"") }, [], "read cgroup.freeze of a cgroup not frozen")
            let hasV1Freezer = hierarchies().contains { $0.mount.hasSuffix("/freezer") }
            let hasUnified = hierarchies().contains { $0.fsType == "cgroup2" }
            // The status (freezer.state; cgroup.events) and the check above it (parent_freezing; cgroup.events).
            XCTAssertEqual(asked.count, (hasV1Freezer ? 2 : 0) + (hasUnified ? 2 : 0), "\(asked)")
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertCgroupGone(id)
    }

    /// `list` and `state` read state.json, /proc/PID/stat and the freezer files each in one read:
    /// they come whole (a regular file, a kernel file made by one show), and a read to see the end
    /// doubled the reads, 4 of ~21 calls per container; the runtime's uid is asked once, not once
    /// per container.
    func testListAndStateReadEachFileOnce() {
        let id = newID()
        startSleeper(id)
        let initPID = pid(id)
        for command in [["list"], ["state", id]] {
            let trace = traced(command, tag: "\(id)-\(command[0])", calls: "read,geteuid")
            var reads: [String: Int] = [:]
            for l in trace where l.hasPrefix("read(") {
                // strace -y: read(5</path>, ...
                guard let open = l.firstIndex(of: "<"), let close = l[open...].firstIndex(of: ">") else { continue }
                let path = String(l[l.index(after: open)..<close])
                let counted = path.hasSuffix("/\(id)/state.json") || path == "/proc/\(initPID)/stat"
                    || (path.hasPrefix("/sys/fs/cgroup/") && path.contains(cgPath(id) + "/"))
                if counted {
                    reads[path, default: 0] += 1
                }
            }
            if isSwiftlet {
                XCTAssertTrue(reads.keys.contains { $0.hasSuffix("/state.json") }, "\(command): \(reads)")
                XCTAssertTrue(reads.keys.contains("/proc/\(initPID)/stat"), "\(command): \(reads)")
                XCTAssertTrue(reads.keys.contains { $0.hasPrefix("/sys/fs/cgroup/") }, "\(command): \(reads)")
                XCTAssertEqual(reads.filter { $0.value != 1 }, [:], "\(command): files read more than once")
                // The folder's owner is compared with the runtime's uid, asked once per command.
                XCTAssertEqual(trace.filter { $0.hasPrefix("geteuid(") }.count, 1, "\(command)")
            }
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertCgroupGone(id)
    }
}
