// The runtime and cgroups it did not make: a cgroupsPath naming a cgroup that holds host
// processes (or "/") is refused and nothing in it is killed; an existing empty one is used and
// left in place; a frozen one (or one below a frozen ancestor) fails `create` within seconds
// instead of hanging it. Also the default device rules (/dev/net/tun) and `update` orderings the
// kernel is picky about (memory+swap, CPU period/quota below a limited parent).
//
// Each check runs against runc and crun too: where they knowingly differ the check is reported as
// a known deviation for them; for swiftlet every check is asserted.

import Foundation
import XCTest

final class CgroupSecurityTests: CgroupTestCase {
    func procs(_ dir: String) -> [Int32] {
        readHost(dir + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }

    /// A bundle whose process sleeps in the cgroup `cgroupsPath`.
    func sleeperBundle(cgroupsPath: String, _ configure: (inout Config) -> Void = { _ in }) -> String {
        makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = cgroupsPath
            configure(&c)
        }
    }

    func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = readFileBytes("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)...].first != "Z"
    }

    /// A host `sleep` put into `rel` of every hierarchy. Killed and reaped by the returned closure.
    func hostSleeper(in rel: String, hierarchies only: Set<String>? = nil) -> (pid: Int32, stop: () -> Void) {
        let sleeper = Host.spawn("/bin/sleep", ["1000"])
        for h in hierarchies() where only == nil || only!.contains(h.mount) {
            writeHost("\(h.mount)\(rel)/cgroup.procs", "\(sleeper.pid)")
        }
        return (sleeper.pid, { kill(sleeper.pid, SIGKILL); _ = sleeper.wait() })
    }

    // MARK: item 1: never kill or remove what the runtime did not make

    func testNonEmptyCgroupIsRefusedAndItsProcessesLive() {
        let id = newID()
        let rel = cgPath(id)
        makeCgroup(rel)
        let sleeper = hostSleeper(in: rel)
        defer {
            sleeper.stop()
            removeCgroup(rel)
        }
        for h in hierarchies() {
            XCTAssertEqual(procs(h.mount + rel), [sleeper.pid], "setup: the sleep is not in \(h.mount)\(rel)")
        }
        let b = makeBundle { c in c[path: "linux.cgroupsPath"] = rel }
        let r = runtime(["create", "--bundle", b, id])
        let refused = r.status != 0
        assertOrDeviation(refused, runtimes: ["runc", "crun"],
                          reason: "runc 1.1 and crun 1.8 use a cgroup that already has processes (runc 1.2 refuses it)",
                          "create in a cgroup holding a host process succeeded")
        if refused {
            XCTAssertTrue(r.stderr.contains("linux.cgroupsPath") && r.stderr.contains("not empty"), describe(r))
            assertNothingLeftBehind(id, "refused create")
        } else {
            // What the reference runtimes do to the host process when the container goes.
            let d = runtime(["delete", "--force", id])
            XCTAssertEqual(d.status, 0, describe(d))
        }
        let killed = "crun 1.8 SIGKILLs every process in the cgroup on delete, the host's too, and removes the cgroup"
        assertOrDeviation(isAlive(sleeper.pid), runtimes: ["crun"], reason: killed, "the host process in the cgroup was killed")
        for h in hierarchies() {
            assertOrDeviation(FileManager.default.fileExists(atPath: h.mount + rel), runtimes: ["crun"], reason: killed,
                              "\(h.mount)\(rel) was removed")
            assertOrDeviation(procs(h.mount + rel) == [sleeper.pid], runtimes: ["crun"], reason: killed,
                              "\(h.mount)\(rel): processes changed: \(procs(h.mount + rel))")
        }

        // "/" names every hierarchy's root, which holds the whole host. Tried only with a runtime
        // that has just refused a non-empty cgroup: with another one, a delete would kill the host.
        guard refused else {
            print("NOTE: \(runtimeName) (\(name)): cgroupsPath \"/\" not tried: the runtime uses non-empty cgroups")
            return
        }
        let rootID = newID()
        let rb = makeBundle { c in c[path: "linux.cgroupsPath"] = "/" }
        let rr = runtime(["run", "-d", "--bundle", rb, rootID])
        XCTAssertNotEqual(rr.status, 0, "run -d with cgroupsPath \"/\" succeeded")
        XCTAssertTrue(rr.stderr.contains("linux.cgroupsPath") && rr.stderr.contains("not empty"), describe(rr))
        assertNothingLeftBehind(rootID, "cgroupsPath /")
        XCTAssertTrue(isAlive(sleeper.pid) && isAlive(1) && isAlive(getpid()))
    }

    func testExistingEmptyCgroupIsUsedAndLeftInPlace() {
        let id = newID()
        let rel = cgPath(id)
        makeCgroup(rel)
        defer { removeCgroup(rel) }
        let b = sleeperBundle(cgroupsPath: rel)
        let r = runtime(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        let p = pid(id)
        for h in hierarchies() {
            assertOrDeviation(procs(h.mount + rel) == [p], runtimes: h.fsType == "cgroup2" ? ["crun"] : [],
                              reason: "crun 1.8 does not use the cgroup2 hierarchy of a hybrid host",
                              "\(h.mount)\(rel) does not hold the container: \(procs(h.mount + rel))")
        }
        XCTAssertEqual(runtime(["kill", "--all", id, "KILL"]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        let d = runtime(["delete", id])
        XCTAssertEqual(d.status, 0, describe(d))
        for h in hierarchies() {
            assertOrDeviation(FileManager.default.fileExists(atPath: h.mount + rel), runtimes: ["runc", "crun"],
                              reason: "runc and crun remove the container's cgroup on delete even when it was there before",
                              "\(h.mount)\(rel), made before the container, was removed by delete")
        }
    }

    func testOnlyTheDirectoriesItMadeAreRemoved() {
        // The cgroup exists (empty) in the memory hierarchy only: the runtime makes the others.
        let id = newID()
        let rel = cgPath(id)
        let memory = "/sys/fs/cgroup/memory"
        makeCgroup(rel, hierarchies: [memory])
        defer { removeCgroup(rel) }
        let b = sleeperBundle(cgroupsPath: rel)
        let r = runtime(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        let d = runtime(["delete", "--force", id])
        XCTAssertEqual(d.status, 0, describe(d))
        assertOrDeviation(FileManager.default.fileExists(atPath: memory + rel), runtimes: ["runc", "crun"],
                          reason: "runc and crun remove the container's cgroup on delete even when it was there before",
                          "\(memory)\(rel), made before the container, was removed by delete")
        for h in hierarchies() where h.mount != memory {
            XCTAssertFalse(FileManager.default.fileExists(atPath: h.mount + rel), "\(h.mount)\(rel), made by the runtime, left behind")
        }
    }

    /// The runtime in a private mount namespace without any cgroup hierarchy: containers get no cgroup.
    @discardableResult
    func rtNoCgroups(_ args: [String], timeout: TimeInterval = 30) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "umount -R /sys/fs/cgroup && exec \"$@\"", "sh",
                                       Env.runtime, "--root", stateRoot] + args, timeout: timeout)
    }

    func testKillAllWithoutCgroupSparesAJoinedPidNamespace() {
        // Without a cgroup, `kill --all` goes by pid namespace: only one the container made is its
        // own. B joins A's pid namespace; killing all of B must leave A's processes alone.
        guard isSwiftlet else {
            print("NOTE: \(runtimeName) (\(name)): not run: runc and crun need a cgroup hierarchy")
            return
        }
        /// A detached container without cgroups, deleted when the test ends: its pid.
        func runWithoutCgroups(_ id: String, _ configure: (inout Config) -> Void) -> Int32 {
            let r = rtNoCgroups(["run", "-d", "--bundle", makeBundle { c in
                c[path: "linux.resources"] = nil
                configure(&c)
            }, id])
            XCTAssertEqual(r.status, 0, describe(r))
            addTeardownBlock { _ = self.rtNoCgroups(["delete", "--force", id]) }
            let p = pid(id)
            XCTAssertGreaterThan(p, 0)
            return p
        }
        let a = newID("a")
        let aPid = runWithoutCgroups(a) { c in c.shell("sleep 100 & exec sleep 101") }
        let b = newID("b")
        _ = runWithoutCgroups(b) { c in
            c.removeNamespace("pid")
            c.addNamespace("pid", path: "/proc/\(aPid)/ns/pid")
            c.shell("exec sleep 102")
        }
        // A's init and its child sleep, by their host pids.
        let aProcs = [aPid] + (readHost("/proc/\(aPid)/task/\(aPid)/children").split(separator: " ").compactMap { Int32($0) })
        XCTAssertEqual(aProcs.count, 2, "container a: \(aProcs)")
        let k = rtNoCgroups(["kill", "--all", b, "KILL"])
        XCTAssertEqual(k.status, 0, describe(k))
        XCTAssertEqual(waitForStatus(b, "stopped"), "stopped")
        for p in aProcs { XCTAssertTrue(isAlive(p), "kill --all of \(b) killed \(p) of container \(a)") }
        XCTAssertEqual(status(a), "running")
    }

    // MARK: item 2: a frozen cgroup does not hang the runtime

    /// `run -d` into the cgroup `rel` (frozen by the caller) must fail within seconds, naming the
    /// cause, and leave nothing behind.
    func assertFrozenRefused(_ id: String, cgroupsPath: String, configure: (inout Config) -> Void = { _ in },
                             file: StaticString = #filePath, line: UInt = #line) {
        let b = sleeperBundle(cgroupsPath: cgroupsPath, configure)
        let (r, elapsed) = runtimeTimed(["run", "-d", "--bundle", b, id], timeout: 20)
        let quick = r.status != 0 && elapsed < 10
        assertOrDeviation(quick, runtimes: ["runc", "crun"],
                          reason: "runc 1.1 refuses only a frozen v1 freezer cgroup of its own; crun 1.8 none",
                          "run -d in a frozen cgroup: status \(r.status) after \(Int(elapsed)) s: \(describe(r))",
                          file: file, line: line)
        if quick {
            if isSwiftlet {
                XCTAssertTrue(r.stderr.contains("frozen") && r.stderr.contains("linux.cgroupsPath"), describe(r), file: file, line: line)
            }
            assertNothingLeftBehind(id, "frozen cgroup", file: file, line: line)
        }
    }

    func testFrozenV1CgroupIsRefusedQuickly() {
        withFrozenCgroup(v2: false) { id, rel, dir in
            XCTAssertEqual(readHost(dir + "/freezer.state"), "FROZEN")
            assertFrozenRefused(id, cgroupsPath: rel)
            // Left as it was: there, and still frozen.
            XCTAssertEqual(readHost(dir + "/freezer.state"), "FROZEN")
        }
    }

    func testFrozenV2CgroupIsRefusedQuickly() {
        withFrozenCgroup(v2: true) { id, rel, dir in
            XCTAssertTrue(readHost(dir + "/cgroup.events").contains("frozen 1"))
            assertFrozenRefused(id, cgroupsPath: rel)
            XCTAssertEqual(readHost(dir + "/cgroup.freeze"), "1")
        }
    }

    func testFrozenAncestorFailsCreateQuickly() {
        frozenAncestor { _ in }
    }

    func testFrozenAncestorWithCgroupNamespaceFailsCreateQuickly() {
        // init's first process joins the cgroup itself (a cgroup namespace is rooted there), and
        // with a time namespace that is an intermediate process which forks init.
        frozenAncestor { c in
            c.addNamespace("cgroup")
            c.addNamespace("time")
        }
    }

    /// A cgroup the test makes for container `id` (`rel` below each hierarchy) and freezes, through v1's
    /// freezer or cgroup2's cgroup.freeze (`dir` is it in that hierarchy). Afterwards it is thawed, the
    /// container deleted, what a runtime killed by the test's timeout left in its child `c` killed, and
    /// the cgroup removed.
    func withFrozenCgroup(v2: Bool, _ body: (_ id: String, _ rel: String, _ dir: String) -> Void) {
        let id = newID()
        let rel = cgPath(id)
        let dir = (v2 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup/freezer") + rel
        let (control, frozen, thawed) = v2 ? ("/cgroup.freeze", "1", "0") : ("/freezer.state", "FROZEN", "THAWED")
        makeCgroup(rel)
        writeHost(dir + control, frozen)
        defer {
            writeHost(dir + control, thawed)
            runtime(["delete", "--force", id])
            for p in procs(dir + "/c") { kill(p, SIGKILL) }
            for _ in 0..<50 where !procs(dir + "/c").isEmpty { usleep(20_000) }
            removeCgroup(rel)
        }
        body(id, rel, dir)
    }

    /// The container's cgroup is new, below a frozen parent: only noticed once init stops.
    func frozenAncestor(file: StaticString = #filePath, line: UInt = #line, _ configure: (inout Config) -> Void) {
        withFrozenCgroup(v2: false) { id, parent, freezer in
            assertFrozenRefused(id, cgroupsPath: parent + "/c", configure: configure, file: file, line: line)
            XCTAssertEqual(readHost(freezer + "/freezer.state"), "FROZEN", "the parent was thawed", file: file, line: line)
            if !isKnownDeviation(["runc", "crun"]) {
                for h in hierarchies() {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: h.mount + parent + "/c"), "\(h.mount)\(parent)/c left behind",
                                   file: file, line: line)
                }
            }
        }
    }

    func testPureV2NonEmptyOrFrozenCgroupIsRefused() {
        // A host whose only hierarchy is cgroup2 at /sys/fs/cgroup (a private mount namespace).
        if isKnownDeviation(["crun"]) {
            print("NOTE: \(runtimeName) (\(name)): not run: crun-v1 hides the cgroup2 hierarchy")
            return
        }
        let id = newID()
        let rel = cgPath(id)
        let unified = "/sys/fs/cgroup/unified" + rel
        makeCgroup(rel, hierarchies: ["/sys/fs/cgroup/unified"])
        let sleeper = hostSleeper(in: rel, hierarchies: ["/sys/fs/cgroup/unified"])
        defer {
            sleeper.stop()
            writeHost(unified + "/cgroup.freeze", "0")
            rt2(["delete", "--force", id])
            removeCgroup(rel)
        }
        let b = sleeperBundle(cgroupsPath: rel)
        let r = rt2(["run", "-d", "--bundle", b, id], timeout: 20)
        assertOrDeviation(r.status != 0, runtimes: ["runc"],
                          reason: "runc 1.1 uses a cgroup that already has processes (runc 1.2 refuses it)",
                          "v2: run -d in a cgroup holding a host process succeeded")
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("linux.cgroupsPath") && r.stderr.contains("not empty"), describe(r)) }
        rt2(["delete", "--force", id])
        XCTAssertTrue(isAlive(sleeper.pid), "the host process in the cgroup was killed")
        XCTAssertEqual(procs(unified), [sleeper.pid])
        // Emptied and frozen.
        sleeper.stop()
        writeHost(unified + "/cgroup.freeze", "1")
        let started = Date()
        let f = rt2(["run", "-d", "--bundle", b, id], timeout: 20)
        assertOrDeviation(f.status != 0 && Date().timeIntervalSince(started) < 10, runtimes: ["runc"],
                          reason: "runc 1.1 refuses only a frozen v1 freezer cgroup of its own",
                          "v2: run -d in a frozen cgroup: \(describe(f))")
        if isSwiftlet { XCTAssertTrue(f.stderr.contains("linux.cgroupsPath") && f.stderr.contains("frozen"), describe(f)) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: unified), "the frozen cgroup was removed")
    }

    // MARK: item 3: /dev/net/tun is not a default device

    @discardableResult
    func rt2(_ args: [String], timeout: TimeInterval = 30) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                       Env.runtime, "--root", stateRoot] + args, timeout: timeout)
    }

    func testTunNotAllowedByDefault() {
        func bundle(_ id: String, allowTun: Bool) -> String {
            makeBundle { c in
                c[path: "linux.cgroupsPath"] = cgPath(id)
                c[path: "linux.devices"] = [["path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 0o666]]
                var rules: [[String: Any]] = [["allow": false, "access": "rwm"]]
                if allowTun { rules.append(["allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"]) }
                c[path: "linux.resources.devices"] = rules
                c.shell("(exec 3<>/dev/net/tun) 2>/dev/null && echo tun-open || echo tun-denied; (exec 3<>/dev/null) && echo null-ok")
            }
        }
        let reason = "runc 1.1 and crun 1.8 allow /dev/net/tun (c 10:200 rwm) by default (runc 1.2 does not)"
        // v1 devices cgroup (this hybrid host).
        let id1 = newID()
        let byDefault = run(bundle(id1, allowTun: false), id: id1)
        XCTAssertEqual(byDefault.status, 0, describe(byDefault))
        assertOrDeviation(byDefault.stdout == "tun-denied\nnull-ok\n", runtimes: ["runc", "crun"], reason: reason,
                          "v1: default rules: \(describe(byDefault))")
        let id2 = newID()
        let allowed = run(bundle(id2, allowTun: true), id: id2)
        XCTAssertEqual(allowed.stdout, "tun-open\nnull-ok\n", describe(allowed))
        // v2 eBPF device filter (a private mount namespace with cgroup2 at /sys/fs/cgroup).
        if isKnownDeviation(["crun"]) {
            print("NOTE: \(runtimeName) (\(name)): v2 part not run: crun-v1 hides the cgroup2 hierarchy")
            return
        }
        let id3 = newID()
        let v2Default = rt2(["run", "--bundle", bundle(id3, allowTun: false), id3])
        XCTAssertEqual(v2Default.status, 0, describe(v2Default))
        assertOrDeviation(v2Default.stdout == "tun-denied\nnull-ok\n", runtimes: ["runc", "crun"], reason: reason,
                          "v2: default rules: \(describe(v2Default))")
        let id4 = newID()
        let v2Allowed = rt2(["run", "--bundle", bundle(id4, allowTun: true), id4])
        XCTAssertEqual(v2Allowed.stdout, "tun-open\nnull-ok\n", describe(v2Allowed))
    }

    // MARK: item 4: update orderings

    func testUpdateMemoryUnlimitedLiftsSwapLimit() {
        let mem = "/sys/fs/cgroup/memory"
        let unlimited = "9223372036854771712"
        let id = startDetached { c in c[path: "linux.resources.memory"] = ["limit": 64 << 20, "swap": 128 << 20] }
        defer { runtime(["delete", "--force", id]) }
        let p = mem + cgPath(id)
        XCTAssertEqual(readHost(p + "/memory.memsw.limit_in_bytes"), "\(128 << 20)")
        let reason = "crun 1.8 writes memory.limit_in_bytes -1 below the kept memsw limit: EINVAL"
        let r = runtime(["update", "--memory", "-1", id])
        assertOrDeviation(r.status == 0, runtimes: ["crun"], reason: reason, "update --memory -1: \(describe(r))")
        guard r.status == 0 else { return }
        XCTAssertEqual(readHost(p + "/memory.limit_in_bytes"), unlimited)
        XCTAssertEqual(readHost(p + "/memory.memsw.limit_in_bytes"), unlimited)
        // The same through -r: limits back, then unlimited again.
        let file = hostDir("upd") + "/r.json"
        try? #"{"memory": {"limit": 33554432, "swap": 67108864}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let r2 = runtime(["update", "-r", file, id])
        XCTAssertEqual(r2.status, 0, describe(r2))
        XCTAssertEqual(readHost(p + "/memory.limit_in_bytes"), "\(32 << 20)")
        XCTAssertEqual(readHost(p + "/memory.memsw.limit_in_bytes"), "\(64 << 20)")
        try? #"{"memory": {"limit": -1}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let r3 = runtime(["update", "-r", file, id])
        XCTAssertEqual(r3.status, 0, describe(r3))
        XCTAssertEqual(readHost(p + "/memory.limit_in_bytes"), unlimited)
        XCTAssertEqual(readHost(p + "/memory.memsw.limit_in_bytes"), unlimited)
    }

    func testUpdateCPUPeriodBelowLimitedParent() {
        // The parent allows half a CPU. Shrinking the period first (old quota / new period = a
        // whole CPU) is refused by the kernel; the quota first works: the runtime must retry.
        let parentID = newID("parent")
        let parent = cgPath(parentID)
        let cpu = "/sys/fs/cgroup/cpu"
        makeCgroup(parent)
        writeHost(cpu + parent + "/cpu.cfs_quota_us", "50000")
        defer { removeCgroup(parent) }
        let id = newID()
        let rel = parent + "/" + id
        let b = sleeperBundle(cgroupsPath: rel) { c in c[path: "linux.resources.cpu"] = ["quota": 50000, "period": 100000] }
        let r = runtime(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        defer { runtime(["delete", "--force", id]) }
        let u = runtime(["update", "--cpu-period", "50000", "--cpu-quota", "25000", id])
        assertOrDeviation(u.status == 0, runtimes: ["crun"],
                          reason: "crun 1.8 writes cpu.cfs_period_us first and gives up on its EINVAL",
                          "update --cpu-period --cpu-quota: \(describe(u))")
        guard u.status == 0 else { return }
        XCTAssertEqual(readHost(cpu + rel + "/cpu.cfs_period_us"), "50000")
        XCTAssertEqual(readHost(cpu + rel + "/cpu.cfs_quota_us"), "25000")
        let file = hostDir("upd") + "/r.json"
        try? #"{"cpu": {"period": 20000, "quota": 10000}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let u2 = runtime(["update", "-r", file, id])
        XCTAssertEqual(u2.status, 0, describe(u2))
        XCTAssertEqual(readHost(cpu + rel + "/cpu.cfs_period_us"), "20000")
        XCTAssertEqual(readHost(cpu + rel + "/cpu.cfs_quota_us"), "10000")
    }
}
