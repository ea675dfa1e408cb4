// cgroups: limits read back from the host's cgroup files and from inside the container, limits
// that really bite (memory, pids, devices), pause/resume, update, events, ps, kill --all, delete
// of running and paused containers, the cgroup namespace and mount.
//
// This host is hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified): these tests run the
// v1/hybrid driver. CgroupV2Tests runs the runtime in a private mount namespace with cgroup2 at
// /sys/fs/cgroup.

import Foundation
import XCTest

/// Shared helpers for the cgroup tests.
class CgroupTestCase: IntegrationTestCase {
    /// Runs `body` with a host process (its pid) moved into `rel` in every hierarchy that has it:
    /// someone else's process in the container's cgroup. Then kills it, deletes the container `id`
    /// and removes the cgroup.
    func withOutsider(inCgroup rel: String, ofContainer id: String, _ body: (Int32) -> Void) {
        let sleeper = Host.spawn("/bin/sleep", ["1000"])
        defer {
            kill(sleeper.pid, SIGKILL)
            _ = sleeper.wait()
            runtime(["delete", "--force", id])
            removeCgroup(rel)
        }
        for mount in hierarchies().map(\.mount) where FileManager.default.fileExists(atPath: mount + rel) {
            writeHost("\(mount)\(rel)/cgroup.procs", "\(sleeper.pid)")
        }
        body(sleeper.pid)
    }

    /// The absolute cgroupsPath the tests use: `/swiftlet-it/<id>` (the id carries the token, so the
    /// harness's leak check sees a directory left behind).
    func cgPath(_ id: String) -> String { "/swiftlet-it/\(id)" }

    override func tearDownWithError() throws {
        try super.tearDownWithError()
        // The shared parent; fails harmlessly while another test uses it.
        for h in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            rmdir("/sys/fs/cgroup/\(h)/swiftlet-it")
        }
    }

    func readHost(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing \(path)>")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Mount points of every cgroup hierarchy (v1 controllers and the unified one).
    func hierarchies() -> [(mount: String, fsType: String)] {
        MountInfo.parse(readFileBytes("/proc/self/mountinfo"))
            .filter { ($0.fsType == "cgroup" || $0.fsType == "cgroup2") && $0.mountPoint.hasPrefix("/sys/fs/cgroup/") }
            .map { ($0.mountPoint, $0.fsType) }
    }

    /// Makes `rel` in every hierarchy (a new v1 cpuset gets cpus and mems from its parent, or it
    /// takes no process).
    func makeCgroup(_ rel: String, hierarchies only: Set<String>? = nil) {
        for h in hierarchies() where only == nil || only!.contains(h.mount) {
            var dir = h.mount
            for part in rel.split(separator: "/") {
                let parent = dir
                dir += "/" + part
                mkdir(dir, 0o755)
                for f in ["cpuset.cpus", "cpuset.mems"] where FileManager.default.fileExists(atPath: dir + "/" + f) {
                    if readHost(dir + "/" + f).isEmpty { writeHost(dir + "/" + f, readHost(parent + "/" + f)) }
                }
            }
        }
    }

    /// rmdir of `rel` (and its children) in every hierarchy.
    func removeCgroup(_ rel: String) {
        for h in hierarchies() {
            Host.sh("find '\(h.mount)\(rel)' -depth -type d -exec rmdir {} + 2>/dev/null")
        }
    }

    func writeHost(_ path: String, _ value: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0, "open \(path): \(String(cString: strerror(errno)))")
        guard fd >= 0 else { return }
        defer { close(fd) }
        let n = value.withCString { write(fd, $0, strlen($0)) }
        XCTAssertGreaterThanOrEqual(n, 0, "write \(value) to \(path): \(String(cString: strerror(errno)))")
    }

    /// Creates and starts a detached container whose process is `script`; returns its id.
    func startDetached(_ configure: (inout Config) -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        let id = newID()
        let b = makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = cgPath(id)
            configure(&c)
        }
        let r = runtime(["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, "run -d: \(describe(r))", file: file, line: line)
        return id
    }

    func pid(_ id: String) -> Int32 { (state(id)?["pid"] as? Int).map(Int32.init) ?? 0 }

    func procState(_ pid: Int32) -> String {
        statusFields(readFileBytes("/proc/\(pid)/status"))["State"] ?? ""
    }

    func assertCgroupGone(_ id: String, file: StaticString = #filePath, line: UInt = #line) {
        for h in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let p = "/sys/fs/cgroup/\(h)\(cgPath(id))"
            XCTAssertFalse(FileManager.default.fileExists(atPath: p), "cgroup \(p) left behind", file: file, line: line)
        }
    }
}

final class CgroupTests: CgroupTestCase {
    let mem = "/sys/fs/cgroup/memory"

    func testLimitsReadBackFromHostFiles() {
        let id = startDetached { c in
            c[path: "linux.resources.memory"] = ["limit": 64 << 20, "reservation": 32 << 20, "swap": 64 << 20,
                                                 "swappiness": 10]
            c[path: "linux.resources.cpu"] = ["shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"]
            c[path: "linux.resources.pids"] = ["limit": 42]
        }
        defer { runtime(["delete", "--force", id]) }
        let p = cgPath(id)
        XCTAssertEqual(readHost("\(mem)\(p)/memory.limit_in_bytes"), "\(64 << 20)")
        XCTAssertEqual(readHost("\(mem)\(p)/memory.soft_limit_in_bytes"), "\(32 << 20)")
        XCTAssertEqual(readHost("\(mem)\(p)/memory.memsw.limit_in_bytes"), "\(64 << 20)")
        XCTAssertEqual(readHost("\(mem)\(p)/memory.swappiness"), "10")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.shares"), "512")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.cfs_quota_us"), "50000")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.cfs_period_us"), "100000")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpuset\(p)/cpuset.cpus"), "0")
        XCTAssertEqual(readHost("/sys/fs/cgroup/pids\(p)/pids.max"), "42")
        // The container's process is in the cgroup of every hierarchy.
        let cg = readFileBytes("/proc/\(pid(id))/cgroup")
        for ctrl in ["memory", "cpu", "pids", "freezer", "devices"] {
            XCTAssertTrue(cg.split(separator: "\n").contains { $0.hasSuffix(":\(ctrl):\(p)") }, "\(ctrl) not joined: \(cg)")
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertCgroupGone(id)
    }

    func testCgroupNamespaceAndMountShowOwnCgroup() {
        let out = output { c in
            c.addNamespace("cgroup")
            c[path: "linux.cgroupsPath"] = cgPath(newID("ns"))
            c[path: "linux.resources.memory"] = ["limit": 48 << 20]
            c[path: "linux.resources.cpu"] = ["quota": 30000, "period": 100000]
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
            c.shell("cat /proc/self/cgroup; echo ===; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        }
        let parts = out.components(separatedBy: "===\n")
        XCTAssertEqual(parts.count, 2, out)
        for line in parts[0].split(separator: "\n") {
            XCTAssertTrue(line.hasSuffix(":/"), "cgroup namespace root is not the container's cgroup: \(line)")
        }
        XCTAssertEqual(parts.last?.split(separator: "\n").map(String.init), ["\(48 << 20)", "30000"])
    }

    func testCgroupMountWithoutNamespaceBindsOwnCgroup() {
        let out = output { c in
            c[path: "linux.cgroupsPath"] = cgPath(newID("bind"))
            c[path: "linux.resources.pids"] = ["limit": 17]
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
            c.shell("cat /sys/fs/cgroup/pids/pids.max; grep -c . /sys/fs/cgroup/pids/cgroup.procs")
        }
        XCTAssertEqual(out.split(separator: "\n").first.map(String.init), "17", out)
    }

    func testMemoryLimitHitByAllocationAndOOMEvent() {
        let id = newID()
        let b = makeBundle { c in
            c[path: "linux.cgroupsPath"] = cgPath(id)
            c[path: "linux.resources.memory"] = ["limit": 32 << 20, "swap": 32 << 20]
            // tail keeps the one endless "line" in memory: 200 MB against a 32 MB limit.
            c.shell("sleep 1; head -c 200m /dev/zero | tail > /dev/null; echo tail=$?; sleep 100")
        }
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0)
        defer { runtime(["delete", "--force", id]) }
        let events = spawnRuntime(["events", "--interval", "200ms", id])
        XCTAssertEqual(runtime(["start", id]).status, 0)
        let oom = mem + cgPath(id) + "/memory.oom_control"
        // head and tail may both be killed between two looks: any count above 0 will do.
        func kills() -> Int {
            readHost(oom).split(separator: "\n").compactMap { line -> Int? in
                let f = line.split(separator: " ")
                return f.count == 2 && f[0] == "oom_kill" ? Int(f[1]) : nil
            }.first ?? 0
        }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && kills() == 0 { usleep(100_000) }
        XCTAssertGreaterThan(kills(), 0,
                      "no OOM kill: \(readHost(oom)) \(readHost(mem + cgPath(id) + "/memory.stat")) procs: \(Host.sh("for p in $(cat \(mem + cgPath(id))/cgroup.procs); do echo $p $(cat /proc/$p/comm) $(cat /proc/$p/wchan); cat /proc/$p/stack; done").stdout)")
        usleep(1_500_000)
        kill(events.pid, SIGTERM)
        let ev = events.wait(timeout: 5)
        XCTAssertTrue(ev.stdout.contains("\"type\":\"oom\""), "no oom event: \(describe(ev))")
        XCTAssertTrue(ev.stdout.contains("\"type\":\"stats\""), "no stats event: \(describe(ev))")
    }

    func testPidsLimitStopsForkBombHostFine() {
        let id = startDetached { c in
            c[path: "linux.resources.pids"] = ["limit": 20]
            c.shell("i=0; while [ $i -lt 100 ]; do sleep 100 & i=$((i+1)); done 2>/dev/null; sleep 100")
        }
        defer { runtime(["delete", "--force", id]) }
        let p = "/sys/fs/cgroup/pids" + cgPath(id)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !readHost(p + "/pids.events").hasPrefix("max ") { usleep(100_000) }
        var hitMax = false
        for _ in 0..<50 {
            if let n = Int(readHost(p + "/pids.events").split(separator: " ").last ?? ""), n > 0 { hitMax = true; break }
            usleep(100_000)
        }
        XCTAssertTrue(hitMax, "pids limit never hit: \(readHost(p + "/pids.events"))")
        XCTAssertLessThanOrEqual(Int(readHost(p + "/pids.current")) ?? 99, 20)
        XCTAssertEqual(Host.sh("echo host-fine").stdout, "host-fine\n")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertCgroupGone(id)
    }

    func testDeviceRulesDenyAndAllow() {
        func probe(_ rules: [[String: Any]]) -> String {
            output { c in
                c[path: "linux.devices"] = [["path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o600]]
                c[path: "linux.resources.devices"] = rules
                // Opening is what the device cgroup checks; nothing is written.
                c.shell("(exec 3>/dev/kmsg) 2>/dev/null && echo kmsg-open || echo kmsg-denied; (echo x > /dev/null) 2>/dev/null && echo null-ok; true")
            }
        }
        XCTAssertEqual(probe([["allow": false, "access": "rwm"]]), "kmsg-denied\nnull-ok\n")
        XCTAssertEqual(probe([["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"]]),
                       "kmsg-open\nnull-ok\n")
        // A later deny overrides an earlier allow (not "m": the runtime must still mknod it).
        XCTAssertEqual(probe([["allow": true, "access": "rwm"], ["allow": false, "type": "c", "major": 1, "minor": 11, "access": "rw"]]),
                       "kmsg-denied\nnull-ok\n")
        // A rule naming /dev/null itself beats the default devices, which are allowed after the
        // config's rules (so that a leading "deny all" keeps them).
        let nullDenied = probe([["allow": false, "access": "rwm"], ["allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"]])
        assertOrDeviation(nullDenied == "kmsg-denied\n", runtimes: ["runc", "crun"],
                          reason: "runc and crun append their default devices after the config's rules, re-allowing /dev/null",
                          "a deny rule for c 1:3 w left /dev/null writable: \(nullDenied)")
        // Of the config's rules naming /dev/null, the last one still decides.
        let nullWritable = probe([["allow": false, "access": "rwm"], ["allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"],
                                  ["allow": true, "type": "c", "major": 1, "minor": 3, "access": "w"]])
        XCTAssertEqual(nullWritable, "kmsg-denied\nnull-ok\n")
    }

    /// The v1 devices cgroup holds what writing every rule in order gives (the runtime leaves out
    /// the writes that change nothing): read back from devices.list, entry for entry, as the kernel
    /// lists them after a docker config's rules plus the default devices, and after rules that
    /// narrow an entry and name one twice.
    func testDeviceListIsWhatEveryRuleWrittenGives() {
        func list(_ rules: [[String: Any]]) -> String {
            let id = startDetached { c in c[path: "linux.resources.devices"] = rules }
            defer { runtime(["delete", "--force", id]) }
            return readHost("/sys/fs/cgroup/devices\(cgPath(id))/devices.list").replacingOccurrences(of: "\n", with: "; ")
        }
        func dev(_ allow: Bool, _ major: Int, _ minor: Int, _ access: String = "rwm") -> [String: Any] {
            ["allow": allow, "type": "c", "major": major, "minor": minor, "access": access]
        }
        let docker = [["allow": false, "access": "rwm"], dev(true, 1, 5), dev(true, 1, 3), dev(true, 1, 9), dev(true, 1, 8),
                      dev(true, 5, 0), dev(true, 5, 1), dev(false, 10, 229)]
        XCTAssertEqual(list(docker), "c 1:5 rwm; c 1:3 rwm; c 1:9 rwm; c 1:8 rwm; c 5:0 rwm; c 5:1 rwm; c *:* m; b *:* m; "
                       + "c 1:7 rwm; c 136:* rwm; c 5:2 rwm")
        // 1:11 allowed rw, its w denied, its r allowed again (no change); /dev/null's w denied by a
        // rule that comes again after the defaults: mknod and read stay.
        let narrowed = [["allow": false, "access": "rwm"], dev(true, 1, 11, "rw"), dev(false, 1, 11, "w"), dev(true, 1, 11, "r"),
                        dev(false, 1, 3, "w")]
        XCTAssertEqual(list(narrowed), "c 1:11 r; c *:* m; b *:* m; c 1:3 rm; c 1:8 rwm; c 1:7 rwm; c 5:0 rwm; c 1:5 rwm; "
                       + "c 1:9 rwm; c 136:* rwm; c 5:2 rwm")
    }

    func testPauseResumeFreezesProcess() {
        let id = startDetached { _ in }
        defer { runtime(["delete", "--force", id]) }
        let p = pid(id)
        XCTAssertEqual(runtime(["pause", id]).status, 0)
        XCTAssertEqual(status(id), "paused")
        XCTAssertEqual(readHost("/sys/fs/cgroup/freezer\(cgPath(id))/freezer.state"), "FROZEN")
        XCTAssertTrue(procState(p).hasPrefix("D"), "not frozen: \(procState(p))")
        XCTAssertNotEqual(runtime(["pause", id]).status, 0, "pausing a paused container must fail")
        XCTAssertEqual(runtime(["resume", id]).status, 0)
        XCTAssertEqual(status(id), "running")
        XCTAssertEqual(readHost("/sys/fs/cgroup/freezer\(cgPath(id))/freezer.state"), "THAWED")
        XCTAssertNotEqual(runtime(["resume", id]).status, 0, "resuming a running container must fail")
    }

    func testDeleteForceOfPausedAndRunning() {
        let a = startDetached { c in c.shell("sleep 100 & sleep 100") }
        let b = startDetached { _ in }
        XCTAssertEqual(runtime(["pause", a]).status, 0)
        let pids = (runtime(["ps", "--format", "json", a]).stdout)
        XCTAssertEqual(runtime(["delete", "--force", a]).status, 0)
        XCTAssertEqual(runtime(["delete", "--force", b]).status, 0)
        for id in [a, b] {
            XCTAssertNil(state(id))
            assertCgroupGone(id)
        }
        for p in (parseJSON(pids) as? [Int]) ?? [] { XCTAssertFalse(kill(Int32(p), 0) == 0 && procState(Int32(p)) != "Z (zombie)", "pid \(p) survived") }
    }

    func testKillAllSignalsEveryProcessInCgroup() {
        let id = startDetached { c in
            c.removeNamespace("pid")  // without a pid namespace only the cgroup knows the processes
            c.shell("sleep 100 & sleep 100 & sleep 100")
        }
        defer { runtime(["delete", "--force", id]) }
        usleep(200_000)
        let pids = (parseJSON(runtime(["ps", "--format", "json", id]).stdout) as? [Int]) ?? []
        XCTAssertGreaterThanOrEqual(pids.count, 3, "ps: \(pids)")
        XCTAssertEqual(runtime(["kill", "--all", id, "KILL"]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        usleep(300_000)
        for p in pids {
            let st = procState(Int32(p))
            XCTAssertTrue(st.isEmpty || st.hasPrefix("Z"), "pid \(p) still alive: \(st)")
        }
        XCTAssertEqual(runtime(["delete", id]).status, 0)
        assertCgroupGone(id)
    }

    func testDeleteAfterKill9OfEverything() {
        let id = startDetached { c in c.removeNamespace("pid"); c.shell("sleep 100 & sleep 100") }
        let pids = (parseJSON(runtime(["ps", "--format", "json", id]).stdout) as? [Int]) ?? []
        for p in pids { kill(Int32(p), SIGKILL) }
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        XCTAssertEqual(runtime(["delete", id]).status, 0)
        assertCgroupGone(id)
    }

    func testUpdateChangesLiveLimits() {
        let id = startDetached { c in
            c[path: "linux.resources.memory"] = ["limit": 64 << 20]
            c[path: "linux.resources.pids"] = ["limit": 50]
            c[path: "linux.resources.cpu"] = ["quota": 50000, "period": 100000]
        }
        defer { runtime(["delete", "--force", id]) }
        let p = cgPath(id)
        let r = runtime(["update", "--memory", "96M", "--pids-limit", "30", "--cpu-quota", "25000", id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(readHost("\(mem)\(p)/memory.limit_in_bytes"), "\(96 << 20)")
        XCTAssertEqual(readHost("/sys/fs/cgroup/pids\(p)/pids.max"), "30")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.cfs_quota_us"), "25000")
        let file = hostDir("upd") + "/r.json"
        try? #"{"cpu": {"shares": 256}, "pids": {"limit": 40}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let r2 = runtime(["update", "-r", file, id])
        XCTAssertEqual(r2.status, 0, describe(r2))
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.shares"), "256")
        XCTAssertEqual(readHost("/sys/fs/cgroup/pids\(p)/pids.max"), "40")
        // Unchanged values stay.
        XCTAssertEqual(readHost("\(mem)\(p)/memory.limit_in_bytes"), "\(96 << 20)")
        // Unsigned, text and size flags (--cpu-quota above: signed).
        let r3 = runtime(["update", "--cpu-share", "512", "--cpu-period", "200000",
                          "--cpuset-cpus", "0", "--memory-reservation", "32M", id])
        XCTAssertEqual(r3.status, 0, describe(r3))
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.shares"), "512")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.cfs_period_us"), "200000")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpuset\(p)/cpuset.cpus"), "0")
        XCTAssertEqual(readHost("\(mem)\(p)/memory.soft_limit_in_bytes"), "\(32 << 20)")
        XCTAssertEqual(readHost("/sys/fs/cgroup/cpu\(p)/cpu.cfs_quota_us"), "25000")
    }

    func testEventsStatsAndPs() {
        let id = startDetached { c in
            c[path: "linux.resources.memory"] = ["limit": 64 << 20]
            c[path: "linux.resources.pids"] = ["limit": 50]
        }
        defer { runtime(["delete", "--force", id]) }
        let r = runtime(["events", "--stats", id])
        XCTAssertEqual(r.status, 0, describe(r))
        let ev = parseJSON(r.stdout) as? [String: Any]
        XCTAssertEqual(ev?["type"] as? String, "stats", r.stdout)
        XCTAssertEqual(ev?["id"] as? String, id)
        let data = ev?["data"] as? [String: Any]
        let usage = (data?["memory"] as? [String: Any])?["usage"] as? [String: Any]
        XCTAssertEqual(usage?["limit"] as? Int, 64 << 20, r.stdout)
        XCTAssertEqual((data?["pids"] as? [String: Any])?["current"] as? Int, 1, r.stdout)
        XCTAssertNotNil((data?["cpu"] as? [String: Any])?["usage"], r.stdout)

        let ps = runtime(["ps", id])
        XCTAssertEqual(ps.status, 0, describe(ps))
        let lines = ps.stdout.split(separator: "\n")
        XCTAssertTrue(lines.first?.contains("PID") == true, ps.stdout)
        XCTAssertEqual(lines.count, 2, ps.stdout)
        XCTAssertTrue(lines.last?.contains("sleep 100") == true, ps.stdout)
        let json = runtime(["ps", "-f", "json", id])
        XCTAssertEqual(parseJSON(json.stdout) as? [Int], [Int(pid(id))], json.stdout)
        let custom = runtime(["ps", id, "-o", "pid,comm"])
        XCTAssertEqual(custom.status, 0, describe(custom))
        XCTAssertTrue(custom.stdout.contains("sleep"), custom.stdout)
    }

    func testDefaultAndRelativeCgroupsPath() {
        // No cgroupsPath: a cgroup named after the id, below the runtime's own cgroup.
        let a = newID("def")
        let ba = makeBundle { c in c.shell("sleep 100") }
        XCTAssertEqual(runtime(["run", "-d", "--bundle", ba, a]).status, 0)
        defer { runtime(["delete", "--force", a]) }
        let cg = readFileBytes("/proc/\(pid(a))/cgroup")
        XCTAssertTrue(cg.contains(":pids:") && cg.split(separator: "\n").contains { $0.contains(":pids:") && $0.hasSuffix("/\(a)") }, cg)
        // Relative: below the runtime's own cgroup too.
        let b = newID("rel")
        let bb = makeBundle { c in c.shell("sleep 100"); c[path: "linux.cgroupsPath"] = "swiftlet-it-rel/\(b)" }
        XCTAssertEqual(runtime(["run", "-d", "--bundle", bb, b]).status, 0)
        defer { runtime(["delete", "--force", b]) }
        let cgb = readFileBytes("/proc/\(pid(b))/cgroup")
        XCTAssertTrue(cgb.split(separator: "\n").contains { $0.contains(":pids:") && $0.hasSuffix("/swiftlet-it-rel/\(b)") }, cgb)
        XCTAssertEqual(runtime(["delete", "--force", a]).status, 0)
        XCTAssertEqual(runtime(["delete", "--force", b]).status, 0)
        rmdir("/sys/fs/cgroup/pids/swiftlet-it-rel")
        for h in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            rmdir("/sys/fs/cgroup/\(h)/swiftlet-it-rel")
        }
    }

    /// The limits are applied while init creates its namespaces (a v1 or hybrid host): one refused
    /// then still fails `run` naming the field, and kills init and removes the cgroup. With a
    /// `cgroup` mount too, whose init used to join before the limits were applied.
    func testLimitTheHostCannotApplyIsAClearError() {
        // No 3MB huge pages on x86-64, no net_cls and no rdma controller on this host.
        for (field, value, words) in [("linux.resources.hugepageLimits", [["pageSize": "3MB", "limit": 0]] as Any, "hugepageLimits[0]"),
                                      ("linux.resources.network", ["classID": 42] as Any, "network.classID"),
                                      ("linux.resources.rdma", ["mlx4_0": ["hcaHandles": 2]] as Any, "rdma"),
                                      ("linux.resources.memory", ["swappiness": 500] as Any, "swappiness")] {
            for cgroupMount in [false, true] {
                let id = newID("bad")
                let b = makeBundle { c in
                    c[path: "linux.cgroupsPath"] = cgPath(id)
                    c[path: field] = value
                    if cgroupMount { c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"]) }
                }
                let context = "\(field)\(cgroupMount ? " with a cgroup mount" : "")"
                let r = runtime(["run", "--bundle", b, id])
                XCTAssertNotEqual(r.status, 0, "\(context) \(value) should fail: \(describe(r))")
                if isSwiftlet { XCTAssertTrue(r.stderr.contains(words), "\(context): error does not name \(words): \(r.stderr)") }
                assertNothingLeftBehind(id, context)
                assertCgroupGone(id)
            }
        }
    }

    /// Init is in the container's cgroup of every hierarchy before the first step the cgroup must
    /// see, with or without a `cgroup` mount. On a v1 or hybrid host it joins the v1 hierarchies
    /// late (it is born in the unified one; the runtime applies the limits while init creates its
    /// namespaces), and this pins where: the createRuntime hook (run by the runtime) finds the
    /// container's process in every hierarchy's cgroup, and in its own system calls (strace) every
    /// write that joins a hierarchy comes before the first device node it makes and before the
    /// cgroup mount's first bind of a cgroup directory. Also where the container's process is a
    /// second fork: of a time namespace's intermediate process, into a joined pid namespace; and
    /// on a v1 host (the unified hierarchy hidden in a private mount namespace: no birth in it).
    func testInitJoinsEveryHierarchyBeforeDevicesCgroupMountAndHooks() {
        let sleeper = startDetached { _ in }
        defer { runtime(["delete", "--force", sleeper]) }
        let v1Only = "on a v1 host with a cgroup mount"
        let variants: [(name: String, cgroupMount: Bool, configure: (inout Config) -> Void)] = [
            ("without a cgroup mount", false, { _ in }),
            ("with a cgroup mount", true, { _ in }),
            ("with a cgroup mount and a time namespace", true, { c in c.addNamespace("time") }),
            ("with a cgroup mount in a joined pid namespace", true, { c in
                c.addNamespace("pid", path: "/proc/\(self.pid(sleeper))/ns/pid")
            }),
            (v1Only, true, { _ in }),
        ]
        for (context, cgroupMount, configure) in variants {
            if (context.contains("time namespace") || context == v1Only) && !isSwiftlet {
                print("NOTE: \(runtimeName): \(context) not run (no time namespace in runc 1.1 and crun 1.8; crun-v1 hides the unified hierarchy itself)")
                continue
            }
            let id = newID("join")
            let seen = scratch + "/cgroup-at-createRuntime-\(id)"
            let b = makeBundle { c in
                c.shell("true")
                c[path: "linux.cgroupsPath"] = cgPath(id)
                c[path: "linux.resources.pids"] = ["limit": 50]
                if cgroupMount { c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"]) }
                c.addHook("createRuntime", ["path": "/bin/sh",
                                            "args": ["sh", "-c", "pid=$(sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p'); cat /proc/$pid/cgroup > \(seen)"]])
                configure(&c)
            }
            let traceDir = hostDir("strace-\(id)")
            let traced = ["/usr/bin/strace", "-ff", "-qq", "-e", "trace=openat,openat2,open_tree,mknodat", "-o", traceDir + "/trace",
                          Env.runtime, "--root", stateRoot, "run", "--bundle", b, id]
            let r = context == v1Only
                ? Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "umount -l /sys/fs/cgroup/unified && "
                                                 + "mount -t tmpfs tmpfs /sys/fs/cgroup/unified && exec \"$@\"", "sh"] + traced, timeout: 60)
                : Host.exec(traced[0], Array(traced.dropFirst()), timeout: 60)
            XCTAssertEqual(r.status, 0, "\(context): run under strace: \(describe(r))")

            let lines = readHost(seen).split(separator: "\n")
            XCTAssertGreaterThan(lines.count, 1, "\(context): the hook saw no cgroups: \(lines)")
            for line in lines where !line.hasSuffix(":" + cgPath(id)) && !(context == v1Only && line.hasPrefix("0::")) {
                assertOrDeviation(false, runtimes: line.hasPrefix("0::") ? ["crun"] : [],
                                  reason: "conformance/crun-v1 hides the hybrid's cgroup2 mount from crun 1.8 (which refuses it)",
                                  "\(context): init is not in its cgroup of this hierarchy when createRuntime runs: \(line)")
            }

            // Init's trace: the file with the first device node made (the runtime itself makes a fifo).
            let traces = ((try? FileManager.default.contentsOfDirectory(atPath: traceDir)) ?? []).map { name in
                ((try? String(contentsOfFile: traceDir + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            }
            guard let initCalls = traces.first(where: { $0.contains { $0.hasPrefix("mknodat(") && $0.contains("S_IFCHR") } }) else {
                XCTFail("\(context): no process made a device node: \(traces.count) traces")
                continue
            }
            let joins = initCalls.indices.filter {
                (initCalls[$0].contains("/tasks\"") || initCalls[$0].contains("/cgroup.procs\"")) && initCalls[$0].contains("O_WRONLY")
            }
            let firstDevice = initCalls.firstIndex { $0.hasPrefix("mknodat(") && $0.contains("S_IFCHR") } ?? 0
            // open_tree_attr (Linux 6.15) where the bind has flags: strace before 6.15 names it by number
            // and shows no path, so any such call counts (it is the earlier bound, never the later).
            let firstCgroupBind = initCalls.firstIndex {
                ($0.hasPrefix("open_tree(") || $0.hasPrefix("open_tree_attr(")) && $0.contains("\"/sys/fs/cgroup/")
                    || $0.hasPrefix("syscall_0x1d3(")
            }
            guard isSwiftlet else {
                print("\(runtimeName) \(context): init wrote to \(joins.count) tasks/cgroup.procs files itself")
                continue
            }
            XCTAssertFalse(joins.isEmpty, "\(context): init joined no v1 hierarchy itself:\n\(initCalls.joined(separator: "\n"))")
            XCTAssertLessThan(joins.last ?? .max, firstDevice, "\(context): a hierarchy joined after the first device node:\n"
                              + initCalls.joined(separator: "\n"))
            if cgroupMount {
                XCTAssertNotNil(firstCgroupBind, "\(context): no cgroup directory bound")
                XCTAssertLessThan(joins.last ?? .max, firstCgroupBind ?? -1, "\(context): a hierarchy joined after the cgroup mount's "
                                  + "first bind:\n" + initCalls.joined(separator: "\n"))
            }
            assertCgroupGone(id)
        }
    }

    /// Without a systemd to talk to, `--systemd-cgroup` fails clearly and leaves nothing: not the
    /// scope's directories, nor the `system.slice` made on the way to them (it was left in every
    /// hierarchy, the unified one included).
    func testSystemdCgroupIsAClearError() {
        let b = makeBundle()
        let slices = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup"))?.map { "/sys/fs/cgroup/\($0)/system.slice" } ?? []
        let before = slices.filter { FileManager.default.fileExists(atPath: $0) }
        let r = Host.exec(Env.runtime, ["--root", stateRoot, "--systemd-cgroup", "run", "--bundle", b, newID()])
        XCTAssertNotEqual(r.status, 0)
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("systemd"), r.stderr) }
        let after = slices.filter { FileManager.default.fileExists(atPath: $0) }
        XCTAssertEqual(after, before, "system.slice made and left behind")
        for d in after where !before.contains(d) { Host.sh("find '\(d)' -depth -type d -exec rmdir {} \\;") }
    }
}

/// cgroup v2: every runtime call runs in a private mount namespace with cgroup2 mounted over
/// /sys/fs/cgroup (the host's unified hierarchy, seen from the host at /sys/fs/cgroup/unified).
/// Only hugetlb is enabled there, but cgroup.procs, cgroup.freeze, cgroup.kill and the eBPF device
/// controller are real. Containers are deleted inside the namespace by each test.
final class CgroupV2Tests: CgroupTestCase {
    @discardableResult
    func rt2(_ args: [String], timeout: TimeInterval = 30) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                       Env.runtime, "--root", stateRoot] + args, timeout: timeout)
    }

    func hostV2(_ id: String) -> String { "/sys/fs/cgroup/unified" + cgPath(id) }

    func bundle(_ id: String, _ configure: (inout Config) -> Void) -> String {
        makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = cgPath(id)
            configure(&c)
        }
    }

    func testV2PauseResumeKillAllDelete() {
        let id = newID()
        let b = bundle(id) { c in c.removeNamespace("pid"); c.shell("sleep 100 & sleep 100") }
        XCTAssertEqual(rt2(["run", "-d", "--bundle", b, id]).status, 0)
        defer { rt2(["delete", "--force", id]) }
        let st = parseJSON(rt2(["state", id]).stdout) as? [String: Any]
        XCTAssertEqual(st?["status"] as? String, "running")
        XCTAssertEqual(rt2(["pause", id]).status, 0)
        XCTAssertEqual((parseJSON(rt2(["state", id]).stdout) as? [String: Any])?["status"] as? String, "paused")
        XCTAssertEqual(readHost(hostV2(id) + "/cgroup.freeze"), "1")
        XCTAssertTrue(readHost(hostV2(id) + "/cgroup.events").contains("frozen 1"))
        XCTAssertEqual(rt2(["resume", id]).status, 0)
        XCTAssertEqual(readHost(hostV2(id) + "/cgroup.freeze"), "0")
        let pids = (parseJSON(rt2(["ps", "-f", "json", id]).stdout) as? [Int]) ?? []
        XCTAssertEqual(pids.count, 2, "\(pids)")  // sh execs the last sleep
        XCTAssertEqual(rt2(["kill", "--all", id, "KILL"]).status, 0)
        usleep(300_000)
        XCTAssertEqual(readHost(hostV2(id) + "/cgroup.procs"), "")
        XCTAssertEqual(rt2(["delete", id]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostV2(id)), "cgroup left behind")
    }

    func testV2DeletePausedRemovesCgroup() {
        let id = newID()
        XCTAssertEqual(rt2(["run", "-d", "--bundle", bundle(id) { _ in }, id]).status, 0)
        XCTAssertEqual(rt2(["pause", id]).status, 0)
        XCTAssertEqual(rt2(["delete", "--force", id]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostV2(id)), "cgroup left behind")
    }

    func testV2EBPFDeviceFilter() {
        func probe(_ rules: [[String: Any]]) -> ProcResult {
            let id = newID()
            let b = bundle(id) { c in
                c[path: "linux.devices"] = [["path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o600]]
                c[path: "linux.resources.devices"] = rules
                c.shell("(exec 3>/dev/kmsg) 2>/dev/null && echo kmsg-open || echo kmsg-denied; echo x > /dev/null && echo null-ok; (exec 3</dev/null) && echo null-read")
            }
            return rt2(["run", "--bundle", b, id])
        }
        let denied = probe([["allow": false, "access": "rwm"]])
        XCTAssertEqual(denied.stdout, "kmsg-denied\nnull-ok\nnull-read\n", describe(denied))
        let allowed = probe([["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"]])
        XCTAssertEqual(allowed.stdout, "kmsg-open\nnull-ok\nnull-read\n", describe(allowed))
        let later = probe([["allow": true, "access": "rwm"], ["allow": false, "type": "c", "major": 1, "minor": 11, "access": "rw"]])
        XCTAssertEqual(later.stdout, "kmsg-denied\nnull-ok\nnull-read\n", describe(later))
        // A rule naming /dev/null beats the default devices: not writable, still readable.
        let nullDenied = probe([["allow": false, "access": "rwm"], ["allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"]])
        assertOrDeviation(nullDenied.stdout == "kmsg-denied\nnull-read\n", runtimes: ["runc", "crun"],
                          reason: "runc and crun append their default devices after the config's rules, re-allowing /dev/null",
                          "a deny rule for c 1:3 w: \(describe(nullDenied))")
    }

    func testV2HugetlbLimitAndCgroupNamespace() {
        let id = newID()
        let b = bundle(id) { c in
            c.addNamespace("cgroup")
            c[path: "linux.resources.hugepageLimits"] = [["pageSize": "2MB", "limit": 4 << 20]]
            c.addMount("/sys/fs/cgroup", type: "cgroup2", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
            c.shell("grep '^0::' /proc/self/cgroup; cat /sys/fs/cgroup/hugetlb.2MB.max")
        }
        let r = rt2(["run", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "0::/\n\(4 << 20)\n", describe(r))
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostV2(id)), "cgroup left behind")
    }

    func testV2MissingControllerIsAClearError() {
        let id = newID()
        let b = bundle(id) { c in c[path: "linux.resources.memory"] = ["limit": 64 << 20] }
        let r = rt2(["run", "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("linux.resources.memory") && r.stderr.contains("memory controller"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostV2(id)), "cgroup left behind")
        XCTAssertTrue(stateEntries().isEmpty)
    }
}
