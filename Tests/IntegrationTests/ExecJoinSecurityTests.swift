import Foundation
import XCTest

/// Processes that join a running container's namespaces (`exec`, `create` with a pid namespace by
/// path) never show the host to the container while they join, and `exec --cgroup` stays inside
/// the container's cgroup.
final class ExecJoinSecurityTests: IntegrationTestCase {
    /// A shell loop for a container process with CAP_SYS_PTRACE: looks through /proc/<pid>/root,
    /// cwd and fd/N of every process it sees (also climbing `..` from them) for the host file
    /// `marker`, and appends each hit to /out/hits. /out/started tells that it runs.
    func scanner(marker: String) -> String {
        let up = String(repeating: "/..", count: 12)
        return """
        touch /out/started
        while :; do
          for p in /proc/[0-9]*; do
            for f in $p/root $p/cwd $p/fd/*; do
              if [ -e "$f\(marker)" ] || [ -e "$f\(up)\(marker)" ]; then echo "$f" >> /out/hits; fi
            done
          done
        done
        """
    }

    /// A detached container (own pid namespace, no user namespace, CAP_SYS_PTRACE added) whose init
    /// runs the scanner. Returns its id and the host directory /out is bound from.
    func startAttacker(marker: String) -> (id: String, out: String)? {
        let out = hostDir("out")
        let b = makeBundle { c in
            c.shell(self.scanner(marker: marker))
            let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_PTRACE"]
            c[path: "process.capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps, "ambient": caps]
            c.addBind(host: out, container: "/out")
        }
        let id = newID("attacker")
        let r = run(b, id: id, extra: ["--detach"])
        guard r.status == 0 else {
            XCTFail("run -d attacker: \(describe(r))")
            return nil
        }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: out + "/started") { usleep(10_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/started"), "the scanner did not start")
        return (id, out)
    }

    func hostMarker() -> String {
        let marker = scratch + "/host-marker"
        try! "host\n".write(toFile: marker, atomically: true, encoding: .utf8)
        return marker
    }

    func hits(_ out: String) -> [String] {
        ((try? String(contentsOfFile: out + "/hits", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// issue 15.1: the exec'd process is in the container's pid namespace only once it is inside
    /// everything else (mount namespace, root, cwd) and holds no fd of the runtime's. Before, the
    /// child joined the pid namespace through its parent and the mount namespace itself after the
    /// fork (and after its move into the container's cgroups): for a few milliseconds a container
    /// process with CAP_SYS_PTRACE found the host's root (and the caller's cwd) through its
    /// /proc/<pid>/root and read and wrote host files.
    func testExecNeverShowsTheHostRootToTheContainer() {
        let marker = hostMarker()
        guard let (id, out) = startAttacker(marker: marker) else { return }
        for i in 0..<40 {
            let r = runtime(["exec", id, "true"], timeout: 15)
            guard r.status == 0 else { return XCTFail("exec #\(i): \(describe(r))") }
            let h = hits(out)
            if !h.isEmpty {
                return XCTFail("exec #\(i): a container process reached the host file \(marker) through \(h)")
            }
        }
        // The detached form and a failing exec too.
        for i in 0..<10 {
            let r = runtime(["exec", "-d", id, "sleep", "0"], timeout: 15)
            XCTAssertEqual(r.status, 0, "exec -d #\(i): \(describe(r))")
            let bad = runtime(["exec", id, "/no/such/binary"], timeout: 15)
            XCTAssertNotEqual(bad.status, 0, "exec of a missing binary: \(describe(bad))")
        }
        usleep(100_000)
        XCTAssertEqual(hits(out), [], "a container process reached the host file \(marker)")
    }

    /// The exec'd process still behaves as before: in the container's pid namespace (not pid 1),
    /// waited for (exit status), its pid file names its host pid, and it holds only stdio.
    func testExecProcessIsWaitedForAndHoldsOnlyStdio() {
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("sleeper")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        let pidFile = scratch + "/exec.pid"
        let r = runtime(["exec", "--pid-file", pidFile, id, "sh", "-c", "ls /proc/self/fd; echo pid $$; exit 3"])
        XCTAssertEqual(r.status, 3, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // ls's own fd of the directory it lists is the fourth.
        XCTAssertEqual(lines.filter { Int($0) != nil }.count, 4, "fds of the exec'd process: \(describe(r))")
        XCTAssertTrue(lines.contains { $0.hasPrefix("pid ") && $0 != "pid 1" }, describe(r))
        let hostPID = (try? String(contentsOfFile: pidFile, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertNotNil(hostPID, "pid file")
        if let hostPID { XCTAssertNotEqual(hostPID, getpid()) }
        // A --log file of the runtime is not among the fds of the process either.
        let log = scratch + "/runtime.log"
        let l = runtime(["--log", log, "exec", id, "ls", "-l", "/proc/self/fd/"])
        XCTAssertEqual(l.status, 0, describe(l))
        XCTAssertFalse(l.stdout.contains("runtime.log"), "the runtime's log is open in the process: \(describe(l))")
    }

    /// issue 15.1, `create` joining an existing pid namespace (pod-style): the new container's init
    /// must not be visible there while its root is still the host's.
    func testCreateJoiningPIDNamespaceNeverShowsTheHostRoot() {
        let marker = hostMarker()
        guard let (id, out) = startAttacker(marker: marker) else { return }
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid for \(id)") }
        let b = makeBundle { c in
            c.args = ["true"]
            c.removeNamespace("pid")
            c.addNamespace("pid", path: "/proc/\(pid)/ns/pid")
        }
        var failed = 0
        for i in 0..<25 {
            let member = newID("member")
            let r = runtime(["create", "--bundle", b, member], timeout: 15)
            if r.status != 0 { failed += 1; XCTFail("create #\(i): \(describe(r))") }
            _ = runtime(["delete", "--force", member], timeout: 15)
            let h = hits(out)
            if !h.isEmpty {
                return assertOrDeviation(false, runtimes: ["runc", "crun"],
                                         reason: "the init joining a pid namespace builds the rootfs there with the host's root",
                                         "create #\(i): a container process reached the host file \(marker) through \(h)")
            }
            if failed > 2 { return }
        }
    }

    /// A container joining another's pid namespace still works as before: in that namespace, its
    /// root built (read-only root, masked and read-only paths, cwd), its exit status returned by a
    /// foreground `run`, its fds only stdio.
    func testContainerJoiningPIDNamespaceRuns() {
        let sleeper = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("pod")
        XCTAssertEqual(run(sleeper, id: id, extra: ["--detach"]).status, 0)
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid") }
        let podNS = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")) ?? "?"
        let b = makeBundle { c in
            c.shell("""
                readlink /proc/self/ns/pid; pwd; ls /proc/self/fd | wc -l
                touch /rootfs-write 2>/dev/null && echo root-writable
                [ -s /proc/kcore ] && echo kcore-visible
                grep -q ' /proc/sys ro,' /proc/self/mounts || grep -q ' /proc/sys proc ro' /proc/self/mounts && echo sys-ro
                ps -o comm | grep -cx sleep
                exit 5
                """)
            c[path: "process.cwd"] = "/tmp"
            c.removeNamespace("pid")
            c.addNamespace("pid", path: "/proc/\(pid)/ns/pid")
        }
        let r = run(b)
        XCTAssertEqual(r.status, 5, describe(r))
        let lines = r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(lines.first, podNS, "pid namespace: \(describe(r))")
        XCTAssertEqual(lines.dropFirst().first, "/tmp", "cwd: \(describe(r))")
        // stdin, stdout, stderr and ls's own fd of the directory.
        XCTAssertEqual(lines.dropFirst(2).first, "4", "fds: \(describe(r))")
        XCTAssertFalse(lines.contains("root-writable"), describe(r))
        XCTAssertFalse(lines.contains("kcore-visible"), describe(r))
        XCTAssertTrue(lines.contains("sys-ro"), describe(r))
        XCTAssertEqual(lines.last, "1", "the pod's sleep is not the only one visible: \(describe(r))")
    }

    /// Pod-style with a user namespace (as Kubernetes pods with user namespaces): the container
    /// joins the pod's user and pid namespaces; it runs as root of that user namespace and sees the
    /// pod's processes.
    func testContainerJoiningUserAndPIDNamespacesRuns() {
        let map: [[String: Any]] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        let sleeper = makeBundle { c in
            c.args = ["sleep", "1000"]
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = map
            c[path: "linux.gidMappings"] = map
        }
        let id = newID("pod")
        let p = run(sleeper, id: id, extra: ["--detach"])
        XCTAssertEqual(p.status, 0, describe(p))
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid") }
        let b = makeBundle { c in
            c.shell("ps -o comm | grep -cx sleep; id -u; cat /proc/self/uid_map")
            c.removeNamespace("pid")
            c.addNamespace("pid", path: "/proc/\(pid)/ns/pid")
            c.addNamespace("user", path: "/proc/\(pid)/ns/user")
            // The pod's own mappings: runc 1.1 wants them even for a joined user namespace.
            c[path: "linux.uidMappings"] = map
            c[path: "linux.gidMappings"] = map
        }
        let r = run(b)
        XCTAssertEqual(r.status, 0, describe(r))
        let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        XCTAssertEqual(words, ["1", "0", "0", "100000", "65536"], describe(r))
    }

    /// Into a joined pid namespace, a failure while the rootfs is built (a bind of a missing host
    /// path) or in the container process (a missing program) fails `create` with the reason and
    /// leaves no process, state or mount.
    func testContainerJoiningPIDNamespaceFailuresLeaveNothing() {
        let sleeper = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("pod")
        XCTAssertEqual(run(sleeper, id: id, extra: ["--detach"]).status, 0)
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid") }
        let missing = scratch + "/no-such-dir"
        let cases: [(String, String, (inout Config) -> Void)] = [
            ("bind of a missing path", "no-such-dir", { c in c.addBind(host: missing, container: "/mnt") }),
            ("missing program", "/no/such/program", { c in c.args = ["/no/such/program"] }),
        ]
        for (what, mention, configure) in cases {
            let b = makeBundle { c in
                configure(&c)
                c.removeNamespace("pid")
                c.addNamespace("pid", path: "/proc/\(pid)/ns/pid")
            }
            let member = newID("member")
            let r = runtime(["create", "--bundle", b, member], timeout: 15)
            XCTAssertNotEqual(r.status, 0, "\(what): \(describe(r))")
            XCTAssertTrue(r.stderr.contains(mention), "\(what): \(describe(r))")
            XCTAssertNil(state(member), "\(what): state left")
            let procs = processesMentioningToken().filter { $0.pid != Int32(pid) }
            XCTAssertEqual(procs.map(\.cmdline), [], "\(what): processes left")
            XCTAssertEqual(leakedMounts(), [], "\(what): mounts left")
        }
    }

    // MARK: exec --cgroup

    /// The container's cgroup path in the hierarchy whose controllers line field is `controllers`.
    func cgroupPath(pid: Int, controllers: String) -> String? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if f.count == 3 && f[1] == controllers { return String(f[2]) }
        }
        return nil
    }

    /// issue 15.11: `exec --cgroup` with a path that leaves the container's cgroup (`..`, an
    /// absolute path climbing out, in every controller form) is refused: a clear error, and no
    /// process started anywhere. A sub-cgroup inside it still works.
    func testExecCgroupCannotLeaveTheContainersCgroup() {
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("sleeper")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        guard let pid = state(id)?["pid"] as? Int else { return XCTFail("no pid") }
        guard let memory = cgroupPath(pid: pid, controllers: "memory") else { return XCTFail("no memory cgroup") }
        let attempts = ["memory:..", "..", "memory:../..", "/../..", "memory:/..", "memory:sub/../../x",
                        "cpu,cpuacct:..", "pids,memory:..", ":..", "memory:/../../.."]
        for arg in attempts {
            let r = runtime(["exec", "-d", "--cgroup", arg, id, "sleep", "1000"], timeout: 15)
            // Whatever was started must be inside the container's memory cgroup.
            let procs = processesMentioningToken().filter { $0.pid != Int32(pid) }
            for p in procs {
                let path = cgroupPath(pid: Int(p.pid), controllers: "memory") ?? "?"
                assertOrDeviation(path == memory || path.hasPrefix(memory + "/"), runtimes: ["crun"],
                                  reason: "crun 1.8 leaves the exec'd process in the caller's cgroup, or puts it where --cgroup says",
                                  "--cgroup \(arg): a process escaped to the memory cgroup \(path) (container: \(memory))")
                kill(p.pid, SIGKILL)
            }
            assertOrDeviation(r.status != 0 && procs.isEmpty, runtimes: ["crun"], reason: "crun 1.8 accepts it",
                              "--cgroup \(arg) was accepted: \(describe(r))")
            if isSwiftlet {
                XCTAssertTrue(r.stderr.contains("is not a sub cgroup path") && r.stderr.contains(arg),
                              "--cgroup \(arg): \(describe(r))")
            }
        }
        // A sub-cgroup of the container's is joined.
        let sub = "/sys/fs/cgroup/memory" + memory + "/sub"
        XCTAssertEqual(mkdir(sub, 0o755), 0, "mkdir \(sub)")
        defer { rmdir(sub) }
        for arg in ["memory:sub", "memory:/sub", "memory:./x/../sub"] {
            let r = runtime(["exec", "--cgroup", arg, id, "cat", "/proc/self/cgroup"], timeout: 15)
            XCTAssertEqual(r.status, 0, "--cgroup \(arg): \(describe(r))")
            XCTAssertTrue(r.stdout.contains(":memory:"), describe(r))
            assertOrDeviation(r.stdout.split(separator: "\n").contains { $0.hasSuffix(":memory:\(memory)/sub") },
                              runtimes: ["crun"], reason: "crun 1.8 does not join the sub-cgroup",
                              "--cgroup \(arg): not in the sub-cgroup: \(describe(r))")
        }
    }
}
