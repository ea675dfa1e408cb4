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
        // -ff: a file per process, so that no call is split in two by another process's.
        let dir = scratch + "/strace-\(id)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = Host.exec("/usr/bin/strace", ["-ff", "-qq", "-y", "-e", "trace=" + calls, "-o", dir + "/trace",
                                              Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, id],
                          timeout: 60)
        XCTAssertEqual(r.status, 0, "run under strace: \(describe(r))", file: file, line: line)
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
    /// rmdir alone when empty (the look into cgroup.procs and the listing first: 80 calls).
    func testCgroupMadeAndRemovedWithoutLookingFirst() {
        let id = newID()
        let b = makeBundle { c in
            c.shell("true")
            c[path: "linux.cgroupsPath"] = cgPath(id)
        }
        let trace = tracedRun(b, id: id, calls: "getxattr,getdents64,newfstatat,mkdir,rmdir")
        let mine = trace.filter { $0.contains(cgPath(id)) }
        if isSwiftlet {
            let count = hierarchies().count
            XCTAssertEqual(mine.filter { $0.contains("mkdir(") && $0.hasSuffix("= 0") }.count, count, "\(mine)")
            XCTAssertEqual(mine.filter { $0.contains("rmdir(") && $0.hasSuffix("= 0") }.count, count, "\(mine)")
            // A new directory has no mark to ask for (ENODATA); delete reads each mark back once
            // (a cgroup made again by someone else is left alone: ReplacedCgroupTests).
            XCTAssertEqual(mine.filter { $0.contains("getxattr(") && $0.contains("ENODATA") }, [],
                           "asked a new directory for a mark")
            XCTAssertEqual(mine.filter { $0.contains("getxattr(") }.count, count, "\(mine)")
            XCTAssertEqual(mine.filter { $0.contains("getdents64(") }, [], "listed an empty cgroup before its rmdir")
        }
        assertCgroupGone(id)
    }

    /// mkdir before the mark check: a directory marked by a container that still exists is
    /// refused, and what this create made before it met that directory is removed again.
    func testMarkedCgroupRefusedAndWhatWasMadeUndone() {
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
        // rmdir fails while init's task is not yet released: waited for (a zombie holds no cgroup).
        var tries = 0
        while rmdir(firstMount + path) != 0, errno == EBUSY, tries < 500 {
            usleep(10_000)
            tries += 1
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: firstMount + path))
        let second = newID()
        let r = run(b, id: second)
        if isSwiftlet {
            XCTAssertNotEqual(r.status, 0, "took a cgroup marked by a container that still exists: \(describe(r))")
            XCTAssertTrue(r.stderr.contains("a container needs a cgroup of its own"), describe(r))
            XCTAssertFalse(FileManager.default.fileExists(atPath: firstMount + path),
                           "the directory the refused create made is left: \(describe(r))")
            for h in v1.dropFirst() {
                XCTAssertTrue(FileManager.default.fileExists(atPath: h + path), "the first container's \(h + path) went")
            }
        }
        _ = runtime(["delete", "--force", second])
        XCTAssertEqual(runtime(["delete", "--force", first]).status, 0)
        assertCgroupGone(first)
    }
}
