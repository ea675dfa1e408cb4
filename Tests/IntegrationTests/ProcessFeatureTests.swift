import Foundation
import XCTest

/// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.personality,
/// linux.memoryPolicy, linux.netDevices, linux.intelRdt, AppArmor/SELinux labels and what
/// `features` says of them, checked from inside real containers. runc 1.1.5 predates all of these
/// but intelRdt and the LSM labels (it ignores the fields it does not know): known deviations.
final class ProcessFeatureTests: IntegrationTestCase {
    static let newFields = ["runc"]
    let newFieldsReason = "runc 1.1.5 does not know this runtime-spec 1.2/1.3 field and ignores it"

    /// Fields 19 (nice), 40 (rt_priority) and 41 (policy) of /proc/self/stat of the shell.
    let statScript = "set -- $(cut -d')' -f2 /proc/$$/stat); echo nice=${17} rtprio=${38} policy=${39}"

    func statFields(_ out: String) -> [String: String] {
        var f: [String: String] = [:]
        for w in out.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { f[kv[0]] = kv[1] }
        }
        return f
    }

    func assertFails(_ r: ProcResult, mentioning words: [String], runtimes: [String] = [], reason: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        assertOrDeviation(r.status != 0, runtimes: runtimes, reason: reason, "expected a failure: \(describe(r))",
                          file: file, line: line)
        if isSwiftlet {
            for w in words {
                XCTAssertTrue(r.stderr.contains(w), "error does not mention \(w): \(describe(r))", file: file, line: line)
            }
        }
    }

    // MARK: scheduler

    func testSchedulerBatchWithNice() {
        let out = output { c in
            c[path: "process.scheduler"] = ["policy": "SCHED_BATCH", "nice": 7]
            c.shell(statScript)
        }
        let f = statFields(out)
        assertOrDeviation(f["policy"] == "3" && f["nice"] == "7", runtimes: Self.newFields, reason: newFieldsReason,
                          "SCHED_BATCH nice 7: \(out)")
    }

    func testSchedulerIdleAndOtherWithNegativeNice() {
        let idle = statFields(output { c in
            c[path: "process.scheduler"] = ["policy": "SCHED_IDLE"]
            c.shell(statScript)
        })
        assertOrDeviation(idle["policy"] == "5", runtimes: Self.newFields, reason: newFieldsReason, "SCHED_IDLE: \(idle)")
        let other = statFields(output { c in
            c[path: "process.scheduler"] = ["policy": "SCHED_OTHER", "nice": -5]
            c.shell(statScript)
        })
        assertOrDeviation(other["policy"] == "0" && other["nice"] == "-5", runtimes: Self.newFields,
                          reason: newFieldsReason, "SCHED_OTHER nice -5: \(other)")
    }

    /// SCHED_FIFO in a v1 cpu cgroup needs real-time runtime there: given through
    /// linux.resources.cpu.realtimeRuntime it works; without, the kernel's EPERM is a clear error.
    func testSchedulerFIFOWithRealtimeRuntime() {
        let id = newID("fifo")
        let r = runtime(["run", "--bundle", makeBundle { c in
            c[path: "linux.cgroupsPath"] = "/swiftlet-it-\(id)"
            c[path: "linux.resources.cpu"] = ["realtimeRuntime": 20000, "realtimePeriod": 1000000]
            c[path: "process.scheduler"] = ["policy": "SCHED_FIFO", "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"]]
            c.shell(statScript)
        }, id])
        XCTAssertEqual(r.status, 0, describe(r))
        let f = statFields(r.stdout)
        assertOrDeviation(f["policy"] == "1" && f["rtprio"] == "10", runtimes: Self.newFields, reason: newFieldsReason,
                          "SCHED_FIFO 10: \(describe(r))")
    }

    func testSchedulerRRWithoutRealtimeRuntimeIsAClearError() {
        let id = newID("rr")
        let r = runtime(["run", "--bundle", makeBundle { c in
            c[path: "linux.cgroupsPath"] = "/swiftlet-it-\(id)"
            c[path: "process.scheduler"] = ["policy": "SCHED_RR", "priority": 5]
        }, id])
        let rt = (try? String(contentsOfFile: "/sys/fs/cgroup/cpu/cpu.rt_runtime_us", encoding: .utf8)) ?? ""
        if rt.isEmpty {
            // No RT group scheduling on this host: the policy is simply granted.
            return assertOrDeviation(r.status == 0, runtimes: [], reason: "", describe(r))
        }
        assertFails(r, mentioning: ["process.scheduler", "SCHED_RR", "realtimeRuntime"], runtimes: Self.newFields,
                    reason: newFieldsReason)
        assertNothingLeftBehind(id, "failed SCHED_RR")
    }

    func testSchedulerDeadline() {
        let out = output { c in
            // A deadline task cannot fork unless its children reset to SCHED_OTHER.
            c[path: "process.scheduler"] = ["policy": "SCHED_DEADLINE", "runtime": 2_000_000, "deadline": 10_000_000,
                                            "period": 10_000_000, "flags": ["SCHED_FLAG_RESET_ON_FORK"]]
            c.shell(statScript + "; grep -E '^dl\\.deadline' /proc/$$/sched | tr -d ' '")
        }
        let f = statFields(out)
        knownDeviation(runtimes: Self.newFields, reason: newFieldsReason) {
            XCTAssertEqual(f["policy"], "6", out)
            XCTAssertTrue(out.contains("dl.deadline:"), out)
        }
    }

    func testSchedulerISOIsAClearError() {
        let r = runContainer { c in c[path: "process.scheduler"] = ["policy": "SCHED_ISO"] }
        assertFails(r, mentioning: ["process.scheduler", "SCHED_ISO"], runtimes: Self.newFields, reason: newFieldsReason)
    }

    func testSchedulerBadValuesAreRejected() {
        let r = runContainer { c in c[path: "process.scheduler"] = ["policy": "SCHED_BATCH", "priority": 3] }
        assertFails(r, mentioning: ["process.scheduler.priority"], runtimes: Self.newFields, reason: newFieldsReason)
        let d = runContainer { c in
            c[path: "process.scheduler"] = ["policy": "SCHED_DEADLINE", "runtime": 10_000_000, "deadline": 1_000_000,
                                            "period": 1_000_000]
        }
        assertFails(d, mentioning: ["process.scheduler", "SCHED_DEADLINE"], runtimes: Self.newFields, reason: newFieldsReason)
    }

    // MARK: I/O priority

    func testIOPriority() {
        for (cls, prio, want) in [("IOPRIO_CLASS_BE", 6, "best-effort: prio 6"), ("IOPRIO_CLASS_RT", 2, "realtime: prio 2"),
                                  ("IOPRIO_CLASS_IDLE", 0, "idle")] {
            let out = output { c in
                c[path: "process.ioPriority"] = ["class": cls, "priority": prio]
                c.args = ["ionice"]
            }
            assertOrDeviation(out.trimmingCharacters(in: .whitespacesAndNewlines) == want, runtimes: Self.newFields,
                              reason: newFieldsReason, "\(cls) \(prio): \(out)")
        }
    }

    // MARK: personality

    func testPersonalityLinux32AndLinux() {
        let out32 = output { c in
            c[path: "linux.personality"] = ["domain": "LINUX32"]
            c.args = ["uname", "-m"]
        }
        assertOrDeviation(["i686", "i386"].contains(out32.trimmingCharacters(in: .whitespacesAndNewlines)),
                          runtimes: Self.newFields, reason: newFieldsReason, "LINUX32: uname -m = \(out32)")
        let out = output { c in
            c[path: "linux.personality"] = ["domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]]
            c.args = ["uname", "-m"]
        }
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "x86_64", out)
    }

    func testPersonalityAppliesToExec() {
        let b = makeBundle { c in
            c[path: "linux.personality"] = ["domain": "LINUX32"]
            c.args = ["sleep", "1000"]
        }
        let id = newID("per")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        let r = runtime(["exec", id, "uname", "-m"])
        XCTAssertEqual(r.status, 0, describe(r))
        assertOrDeviation(r.stdout.hasPrefix("i686") || r.stdout.hasPrefix("i386"), runtimes: Self.newFields,
                          reason: newFieldsReason, "exec under LINUX32: \(describe(r))")
    }

    // MARK: memory policy

    func testMemoryPolicyModes() {
        // This host has one NUMA node (0); numa_maps shows the task policy for mappings without their own.
        let cases: [([String: Any], String)] = [
            (["mode": "MPOL_BIND", "nodes": "0"], "bind:0"),
            (["mode": "MPOL_INTERLEAVE", "nodes": "0"], "interleave:0"),
            (["mode": "MPOL_PREFERRED", "nodes": "0"], "prefer:0"),
            (["mode": "MPOL_LOCAL"], "local"),
            (["mode": "MPOL_PREFERRED_MANY", "nodes": "0"], "prefer (many):0"),
            (["mode": "MPOL_WEIGHTED_INTERLEAVE", "nodes": "0"], "weighted interleave:0"),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]], "bind=static:0"),
            (["mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES"]], "interleave=relative:0"),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]], "bind=balancing:0"),
        ]
        for (policy, want) in cases {
            let out = output { c in
                c[path: "linux.memoryPolicy"] = policy
                c.shell("grep Mems_allowed_list /proc/self/status; head -1 /proc/self/numa_maps")
            }
            XCTAssertTrue(out.contains("Mems_allowed_list:\t0"), out)
            let line = out.split(separator: "\n").last.map(String.init) ?? ""
            assertOrDeviation(line.contains(" \(want) "), runtimes: Self.newFields, reason: newFieldsReason,
                              "\(policy): numa_maps line \(line)")
        }
    }

    func testMemoryPolicyOnAMissingNodeIsAClearError() {
        let r = runContainer { c in c[path: "linux.memoryPolicy"] = ["mode": "MPOL_BIND", "nodes": "1-3"] }
        assertFails(r, mentioning: ["linux.memoryPolicy", "1-3", "NUMA nodes"], runtimes: Self.newFields,
                    reason: newFieldsReason)
        let bad = runContainer { c in c[path: "linux.memoryPolicy"] = ["mode": "MPOL_LOCAL", "nodes": "0"] }
        assertFails(bad, mentioning: ["linux.memoryPolicy.nodes"], runtimes: Self.newFields, reason: newFieldsReason)
    }

    // MARK: execCPUAffinity

    func testExecCPUAffinityInitialAndFinal() throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            throw XCTSkip("needs two CPUs")
        }
        let b = makeBundle { c in
            c.args = ["sleep", "1000"]
            c[path: "process.execCPUAffinity"] = ["initial": "0", "final": "1"]
        }
        let id = newID("aff")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        // The container's init is not affected (the field is for exec'd processes only).
        let pid = state(id)?["pid"] as? Int ?? 0
        let initCPUs = statusFields(readFileBytes("/proc/\(pid)/status"))["Cpus_allowed_list"]
        XCTAssertEqual(initCPUs, statusFields(readFileBytes("/proc/self/status"))["Cpus_allowed_list"])
        // From config.json: final wins.
        let r = runtime(["exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"])
        XCTAssertEqual(r.status, 0, describe(r))
        assertOrDeviation(r.stdout.contains("Cpus_allowed_list:\t1"), runtimes: Self.newFields, reason: newFieldsReason,
                          describe(r))
        // From --process: only initial (kept after the cgroup move), and both.
        for (aff, want) in [(["initial": "1"], "1"), (["initial": "1", "final": "0-1"], "0-1"), (["final": "0"], "0")] {
            let file = scratch + "/process-\(want).json"
            let p: [String: Any] = ["terminal": false, "cwd": "/", "user": ["uid": 0, "gid": 0],
                                    "args": ["grep", "Cpus_allowed_list", "/proc/self/status"],
                                    "env": ["PATH=/bin", "SWIFTLET_TEST_ID=\(token)"], "execCPUAffinity": aff]
            try jsonText(p).write(toFile: file, atomically: true, encoding: .utf8)
            let e = runtime(["exec", "--process", file, id])
            XCTAssertEqual(e.status, 0, describe(e))
            assertOrDeviation(e.stdout.contains("Cpus_allowed_list:\t\(want)\n"), runtimes: Self.newFields,
                              reason: newFieldsReason, "\(aff): \(describe(e))")
        }
        let bad = runtime(["exec", "--process", writeProcess(["execCPUAffinity": ["initial": "0-"]]), id])
        assertFails(bad, mentioning: ["process: execCPUAffinity.initial"], runtimes: Self.newFields, reason: newFieldsReason)
    }

    func writeProcess(_ extra: [String: Any]) -> String {
        var p: [String: Any] = ["terminal": false, "cwd": "/", "user": ["uid": 0, "gid": 0], "args": ["true"],
                                "env": ["PATH=/bin"]]
        for (k, v) in extra { p[k] = v }
        let file = scratch + "/process-\(UUID().uuidString).json"
        try? jsonText(p).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    // MARK: netDevices

    /// A veth pair on the host named after the test (this kernel has no dummy driver), the end
    /// returned with an address; the pair is removed at the end (deleting either end does).
    func makeVeth(_ suffix: String) -> String {
        let name = "sd" + String(token.suffix(8)) + suffix
        let r = Host.sh("ip link add \(name) type veth peer name \(name)p && ip addr add 169.254.77.7/32 dev \(name)")
        XCTAssertEqual(r.status, 0, describe(r))
        addTeardownBlock { Host.sh("ip link del \(name)p 2>/dev/null; ip link del \(name) 2>/dev/null") }
        return name
    }

    func hostHasLink(_ name: String) -> Bool { Host.sh("ip link show dev \(name)").status == 0 }

    func testNetDeviceMovedInRenamedAndBackOnDelete() {
        let dev = makeVeth("a")
        let b = makeBundle { c in
            c[path: "linux.netDevices"] = [dev: ["name": "ctr0"]]
            c.args = ["sleep", "1000"]
        }
        let id = newID("net")
        let r = run(b, id: id, extra: ["--detach"])
        XCTAssertEqual(r.status, 0, describe(r))
        let inside = runtime(["exec", id, "sh", "-c", "ip -o link show ctr0; ip -o addr show dev ctr0"])
        knownDeviation(runtimes: Self.newFields, reason: newFieldsReason) {
            XCTAssertEqual(inside.status, 0, describe(inside))
            XCTAssertTrue(inside.stdout.contains("ctr0"), describe(inside))
            XCTAssertTrue(inside.stdout.contains("UP"), "device not up: \(describe(inside))")
            XCTAssertTrue(inside.stdout.contains("169.254.77.7/32"), "address not kept: \(describe(inside))")
            XCTAssertFalse(hostHasLink(dev), "\(dev) still on the host")
        }
        // Stopped first: the namespace is held until delete, which hands the device back.
        XCTAssertEqual(runtime(["kill", id, "KILL"]).status, 0)
        waitForStatus(id, "stopped")
        let d = runtime(["delete", id])
        XCTAssertEqual(d.status, 0, describe(d))
        knownDeviation(runtimes: Self.newFields, reason: newFieldsReason) {
            XCTAssertTrue(hostHasLink(dev), "\(dev) not back on the host after delete")
        }
        assertNothingLeftBehind(id, "netDevices")
    }

    func testNetDeviceKeepsItsNameAndRunWorks() {
        let dev = makeVeth("b")
        let out = output { c in
            c[path: "linux.netDevices"] = [dev: [String: Any]()]
            c.shell("ip -o link show \(dev) 2>/dev/null | grep -c \(dev); true")
        }
        assertOrDeviation(out.hasPrefix("1"), runtimes: Self.newFields, reason: newFieldsReason, out)
        knownDeviation(runtimes: Self.newFields, reason: newFieldsReason) {
            XCTAssertTrue(hostHasLink(dev), "\(dev) not back on the host after run")
        }
    }

    func testNetDeviceErrors() {
        let missing = runContainer { c in c[path: "linux.netDevices"] = ["nosuchdev0": ["name": "eth9"]] }
        assertFails(missing, mentioning: ["linux.netDevices[\"nosuchdev0\"]", "no network device"],
                    runtimes: Self.newFields, reason: newFieldsReason)
        let dev = makeVeth("c")
        let noNetns = runContainer { c in
            c.removeNamespace("network")
            c[path: "linux.netDevices"] = [dev: [String: Any]()]
        }
        assertFails(noNetns, mentioning: ["linux.netDevices", "network namespace"], runtimes: Self.newFields,
                    reason: newFieldsReason)
        let clash = runContainer { c in c[path: "linux.netDevices"] = [dev: ["name": "lo"]] }
        assertFails(clash, mentioning: ["linux.netDevices[\"\(dev)\"].name", "\"lo\""], runtimes: Self.newFields,
                    reason: newFieldsReason)
        XCTAssertTrue(hostHasLink(dev), "\(dev) lost after a failed create")
        let dev2 = makeVeth("d")
        let twice = runContainer { c in c[path: "linux.netDevices"] = [dev: ["name": "x0"], dev2: ["name": "x0"]] }
        assertFails(twice, mentioning: ["linux.netDevices", "\"x0\""], runtimes: Self.newFields, reason: newFieldsReason)
    }

    // MARK: intelRdt

    func testIntelRdtWithoutResctrlIsAClearError() throws {
        let mounted = readFileBytes("/proc/self/mountinfo").contains(" - resctrl ")
        if mounted { throw XCTSkip("resctrl is mounted on this host") }
        let id = newID("rdt")
        let r = runtime(["run", "--bundle", makeBundle { c in
            c[path: "linux.intelRdt"] = ["closID": "swiftlet-it", "l3CacheSchema": "L3:0=f"]
        }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("linux.intelRdt"), describe(r))
            XCTAssertTrue(r.stderr.contains("resctrl"), describe(r))
        }
        assertNothingLeftBehind(id, "intelRdt")
    }

    // MARK: LSM

    func testAppArmorProfileWithoutAppArmorIsAClearError() throws {
        if readFileBytes("/sys/module/apparmor/parameters/enabled").hasPrefix("Y") { throw XCTSkip("AppArmor is enabled") }
        let r = runContainer { c in c[path: "process.apparmorProfile"] = "swiftlet-test" }
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("process.apparmorProfile"), describe(r))
            XCTAssertTrue(r.stderr.contains("AppArmor is not enabled"), describe(r))
        }
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("aa")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        let e = runtime(["exec", "--apparmor", "swiftlet-test", id, "true"])
        XCTAssertNotEqual(e.status, 0, describe(e))
        if isSwiftlet { XCTAssertTrue(e.stderr.contains("--apparmor"), describe(e)) }
    }

    func testSELinuxLabelsWithoutSELinuxAreClearErrors() throws {
        if FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce") { throw XCTSkip("SELinux is enabled") }
        let label = "system_u:system_r:container_t:s0:c1,c2"
        let r = runContainer { c in c[path: "process.selinuxLabel"] = label }
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("process.selinuxLabel"), describe(r))
            XCTAssertTrue(r.stderr.contains("SELinux is not enabled"), describe(r))
        }
        // runc 1.1.5 ignores a mount label when SELinux is off.
        let m = runContainer { c in c[path: "linux.mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2" }
        assertFails(m, mentioning: ["linux.mountLabel", "SELinux is not enabled"], runtimes: ["runc"],
                    reason: "runc leaves the mount label out when SELinux is disabled")
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("se")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        let e = runtime(["exec", "--process-label", label, id, "true"])
        XCTAssertNotEqual(e.status, 0, describe(e))
        if isSwiftlet { XCTAssertTrue(e.stderr.contains("--process-label"), describe(e)) }
    }

    // MARK: features

    func testFeaturesMatchThisHost() throws {
        let r = runtimeNoRoot(["features"])
        XCTAssertEqual(r.status, 0, describe(r))
        guard let f = parseJSON(r.stdout) as? [String: Any], let linux = f["linux"] as? [String: Any] else {
            return XCTFail("features: \(describe(r))")
        }
        let apparmor = readFileBytes("/sys/module/apparmor/parameters/enabled").hasPrefix("Y")
        let selinux = FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce")
        let rdt = readFileBytes("/proc/self/mountinfo").contains(" - resctrl ")
        // The spec's "enabled" means compiled in; swiftlet reports what works on the running host.
        knownDeviation(runtimes: ["runc"], reason: "runc reports LSM support compiled in, not enabled on the host") {
            XCTAssertEqual((linux["apparmor"] as? [String: Any])?["enabled"] as? Bool, apparmor, describe(r))
            XCTAssertEqual((linux["selinux"] as? [String: Any])?["enabled"] as? Bool, selinux, describe(r))
        }
        knownDeviation(runtimes: Self.newFields, reason: "runc 1.1.5's features predates runtime-spec 1.3.0") {
            XCTAssertEqual((linux["intelRdt"] as? [String: Any])?["enabled"] as? Bool, rdt, describe(r))
            XCTAssertEqual((linux["netDevices"] as? [String: Any])?["enabled"] as? Bool, true, describe(r))
            let mp = linux["memoryPolicy"] as? [String: Any]
            XCTAssertEqual(Set(mp?["modes"] as? [String] ?? []),
                           ["MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
                            "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE"], describe(r))
            XCTAssertEqual(Set(mp?["flags"] as? [String] ?? []),
                           ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"], describe(r))
        }
    }
}
