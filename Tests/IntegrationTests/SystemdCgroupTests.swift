// --systemd-cgroup inside a real systemd (Debian's systemd 252 as PID 1 of its own namespaces, started by
// /work/shared/engines/systemd-host.sh over an overlay of this machine's root): the container's cgroup is a
// transient scope unit; limits reach the unit (`systemctl show`) and the cgroup files; delete leaves no
// unit and no cgroup. runc 1.1 runs the same configs side by side and must agree.

import Foundation
import XCTest

/// A test class with a systemd host of its own: started by its first test, stopped by its tearDown.
class SystemdHostTestCase: IntegrationTestCase {
    static let keeper = "/.systemd-host-\(getpid())"

    /// Starts a host with `script` in `work`; its pid, or the setup error.
    /// The workplace's recipe (`../shared/engines/systemd-host.sh` beside the checkout; /work/shared
    /// where the checkout lives elsewhere, as a clone under /tmp).
    static let sharedHostScript: String = {
        let beside = URL(fileURLWithPath: Env.repo + "/../shared/engines/systemd-host.sh").standardized.path
        return FileManager.default.fileExists(atPath: beside) ? beside : "/work/shared/engines/systemd-host.sh"
    }()

    static func startHost(_ script: String, work: String) -> Result<String, SetupError> {
        if let e = Env.rootfsError { return .failure(SetupError(message: e)) }
        // The bound directories must outlive each test's tearDown, which removes them once empty (the
        // host would keep the removed ones): a keeper inside each, removed with the host.
        for base in [Env.scratchBase, Env.stateBase] {
            try? FileManager.default.createDirectory(atPath: base + keeper, withIntermediateDirectories: true)
        }
        let binaries = URL(fileURLWithPath: Env.runtime).deletingLastPathComponent().path
        let r = Host.exec("/bin/bash", [script, "start", work, binaries, Env.sharedRootfs, Env.scratchBase, Env.stateBase,
                                           // the engine scripts: the host has its own /tmp, where a clone may be
                                           Env.repo + "/Tests/IntegrationTests/Fixtures/systemd"],
                          timeout: 60)
        let pid = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0, Int(pid) != nil else {
            return .failure(SetupError(message: "\(script) start: \(describe(r))"))
        }
        return .success(pid)
    }

    static func stopHost(_ script: String, work: String, started: Bool) {
        // A start that timed out (a loaded machine: systemd not `running` in 20 s) leaves its systemd
        // up and no systemd.pid: the recipe's stop kills only the unshare, whose child would live on.
        if started { Host.sh("p=$(cat '\(work)/unshare.pid' 2>/dev/null) && [ -n \"$p\" ] && pkill -9 -P \"$p\"; true") }
        if started { Host.exec("/bin/bash", [script, "stop", work], timeout: 60) }
        // The recipe removes the cgroups its systemd made once, half a second after the kill: a
        // cgroup whose last process is still exiting then stays (system.slice was seen left in every
        // hierarchy). Again, for up to 15 s, until every new one is gone (only systemd's names: a
        // unit's cgroup, and only what was not there when the host started).
        if started {
            let r = Host.sh("""
                [ -f '\(work)/cgroups.before' ] || exit 0
                for i in $(seq 150); do
                  left=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d \\( -name '*.slice' -o -name '*.scope' -o -name '*.service' \\) \\
                         | sort | comm -13 '\(work)/cgroups.before' -)
                  [ -z "$left" ] && exit 0
                  for d in $left; do find "$d" -depth -type d -exec rmdir {} \\; 2>/dev/null; done
                  sleep 0.1
                done
                for d in $left; do echo "$d (procs: $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\\n' ' '))"; done
                exit 1
                """)
            if r.status != 0 {
                // Shown in the test log: which unit cgroups stayed, and whether anything is in them.
                print("systemd host \(work): cgroups left after 15 s: \(r.stdout) \(r.stderr)")
            }
        }
        Host.sh("rm -rf '\(work)'")
        for base in [Env.scratchBase, Env.stateBase] {
            rmdir(base + keeper)
            rmdir(base)
        }
    }

    /// A host started on the first test of the class that owns it, stopped after its last.
    final class SharedHost {
        let script: String
        let work: String
        private var didStart = false
        private(set) lazy var started: Result<String, SetupError> = {
            didStart = true
            return SystemdHostTestCase.startHost(script, work: work)
        }()

        init(script: String, work: String) {
            self.script = script
            self.work = work
        }

        func stop() {
            // A failed start is stopped too: its systemd may be up.
            if didStart { SystemdHostTestCase.stopHost(script, work: work, started: true) }
        }
    }

    /// The class's host (each subclass has its own).
    class var sharedHost: SharedHost? { nil }

    class var host: Result<String, SetupError> {
        sharedHost?.started ?? .failure(SetupError(message: "no systemd host for this class"))
    }

    override class func tearDown() {
        sharedHost?.stop()
        super.tearDown()
    }

    var hostPID = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        hostPID = try Self.host.get()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: stateRoot + "-runc")
        try super.tearDownWithError()
    }

    /// Runs a command inside the systemd host. Not in its cgroup namespace: /proc/<pid>/cgroup then
    /// shows paths from the hierarchies' roots, which are what this machine mounts there.
    @discardableResult
    func inHost(_ args: [String], timeout: TimeInterval = 30) -> ProcResult {
        Host.exec("/usr/bin/nsenter", ["-t", hostPID, "-m", "-p", "-n", "-u", "-i", "-r", "-w"] + args, timeout: timeout)
    }

    enum Engine: String, CaseIterable { case swiftlet, runc }

    /// The runtime under test or runc, with --systemd-cgroup, each with its own state root.
    @discardableResult
    func rt(_ e: Engine, _ args: [String], systemd: Bool = true) -> ProcResult {
        let exe = e == .swiftlet ? Env.runtime : "/usr/sbin/runc"
        let root = e == .swiftlet ? stateRoot : stateRoot + "-runc"
        return inHost([exe, "--root", root] + (systemd ? ["--systemd-cgroup"] : []) + args)
    }

    /// `systemctl show UNIT -p ...` as a dictionary.
    func show(_ unit: String, _ props: [String]) -> [String: String] {
        properties(inHost(["systemctl", "show", unit] + props.flatMap { ["-p", $0] }))
    }

    /// `systemctl show`'s `Name=value` lines as a dictionary.
    func properties(_ shown: ProcResult) -> [String: String] {
        var out: [String: String] = [:]
        for line in shown.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    func file(_ path: String) -> String {
        inHost(["cat", path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func containerPID(_ e: Engine, _ id: String) -> String { pid(inState: rt(e, ["state", id])) }

    func status(_ e: Engine, _ id: String) -> String { status(inState: rt(e, ["state", id])) }

    /// The `pid` of a `state` command's output ("" when there is none).
    func pid(inState state: ProcResult) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any],
              let pid = obj["pid"] as? Int else { return "" }
        return String(pid)
    }

    /// The `status` of a `state` command's output, or its error when there is none.
    func status(inState state: ProcResult) -> String {
        let obj = try? JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any]
        return obj?["status"] as? String ?? "(none: \(state.stderr))"
    }

    /// Every directory of the scope in every hierarchy.
    func scopeDirectories(_ cgroupPath: String) -> [String] {
        inHost(["sh", "-c", "ls -d /sys/fs/cgroup/*\(cgroupPath) 2>/dev/null"]).stdout
            .split(separator: "\n").map(String.init)
    }

    func limitedBundle(_ cgroupsPath: String? = nil) -> String {
        makeBundle { c in
            c[path: "process.args"] = ["sleep", "1000"]
            if let cgroupsPath { c[path: "linux.cgroupsPath"] = cgroupsPath }
            c[path: "linux.resources.memory"] = ["limit": 64 << 20]
            c[path: "linux.resources.cpu"] = ["shares": 512, "quota": 50000, "period": 100000]
            c[path: "linux.resources.pids"] = ["limit": 100]
        }
    }

    func deleteAndCheckGone(_ e: Engine, _ id: String, unit: String, cgroupPath: String, file: StaticString = #filePath, line: UInt = #line) {
        let d = rt(e, ["delete", "--force", id])
        XCTAssertEqual(d.status, 0, "\(e) delete: \(describe(d))", file: file, line: line)
        XCTAssertEqual(show(unit, ["LoadState"])["LoadState"], "not-found", "\(e): unit \(unit) outlived delete", file: file, line: line)
        XCTAssertEqual(scopeDirectories(cgroupPath), [], "\(e): cgroup directories outlived delete", file: file, line: line)
    }

}

/// The hybrid layout of this machine (v1 controllers, cgroup2 at /sys/fs/cgroup/unified).
final class SystemdCgroupTests: SystemdHostTestCase {
    static let systemdHost = SharedHost(script: SystemdHostTestCase.sharedHostScript,
                                         work: "/tmp/swiftlet-systemd-host-\(getpid())")
    override class var sharedHost: SharedHost? { systemdHost }

    // MARK: (1) the scope, its limits, kill and delete

    func testScopeUnitWithLimitsAsRunc() throws {
        let b = limitedBundle()
        var seen: [Engine: [String: String]] = [:]
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            let unit = "runc-\(id).scope"
            let cgroupPath = "/system.slice/" + unit
            let c = rt(e, ["create", "--bundle", b, id])
            XCTAssertEqual(c.status, 0, "\(e) create: \(describe(c))")
            XCTAssertEqual(rt(e, ["start", id]).status, 0)
            let p = show(unit, ["ActiveState", "ControlGroup", "Delegate", "MemoryLimit", "CPUShares", "CPUQuotaPerSecUSec", "TasksMax", "DevicePolicy"])
            XCTAssertEqual(p["ActiveState"], "active", "\(e): \(p)")
            XCTAssertEqual(p["ControlGroup"], cgroupPath, "\(e): \(p)")
            XCTAssertEqual(p["MemoryLimit"], "67108864", "\(e): \(p)")
            XCTAssertEqual(p["CPUShares"], "512", "\(e): \(p)")
            XCTAssertEqual(p["CPUQuotaPerSecUSec"], "500ms", "\(e): \(p)")
            XCTAssertEqual(p["TasksMax"], "100", "\(e): \(p)")
            XCTAssertEqual(p["DevicePolicy"], "strict", "\(e): \(p)")
            seen[e] = p
            // The files, also of the controllers systemd does not manage on v1 (freezer).
            XCTAssertEqual(file("/sys/fs/cgroup/memory\(cgroupPath)/memory.limit_in_bytes"), "67108864", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup/pids\(cgroupPath)/pids.max"), "100", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup/cpu\(cgroupPath)/cpu.cfs_quota_us"), "50000", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup/cpu\(cgroupPath)/cpu.shares"), "512", "\(e)")
            let devices = file("/sys/fs/cgroup/devices\(cgroupPath)/devices.list")
            XCTAssertTrue(devices.contains("c 1:3 rwm") && !devices.contains("a *:* rwm"), "\(e): device rules \(devices)")
            // Init is in the scope in every hierarchy.
            let pid = containerPID(e, id)
            let lines = file("/proc/\(pid)/cgroup").split(separator: "\n")
            XCTAssertFalse(lines.isEmpty)
            for l in lines { XCTAssertTrue(l.hasSuffix(":" + cgroupPath), "\(e): \(l)") }
            XCTAssertEqual(file("/sys/fs/cgroup/unified\(cgroupPath)/cgroup.procs"), pid, "\(e): only init in the scope")

            XCTAssertEqual(rt(e, ["kill", id, "KILL"]).status, 0)
            inHost(["sh", "-c", "while [ -d /proc/\(pid) ]; do sleep 0.05; done"])
            XCTAssertEqual(status(e, id), "stopped", "\(e)")
            deleteAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
        XCTAssertEqual(seen[.swiftlet]?["Delegate"], "yes")
    }

    // MARK: (2) update, exec, pause/resume, ps, events, kill --all

    func testUpdateExecPauseResumePsThroughTheScope() throws {
        let b = limitedBundle()
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            let unit = "runc-\(id).scope"
            let cgroupPath = "/system.slice/" + unit
            XCTAssertEqual(rt(e, ["create", "--bundle", b, id]).status, 0)
            XCTAssertEqual(rt(e, ["start", id]).status, 0)
            let u = rt(e, ["update", "--memory", "100000000", "--cpu-quota", "25000", "--pids-limit", "50", id])
            XCTAssertEqual(u.status, 0, "\(e) update: \(describe(u))")
            let p = show(unit, ["MemoryLimit", "CPUQuotaPerSecUSec", "TasksMax"])
            XCTAssertEqual(p["MemoryLimit"], "100000000", "\(e): \(p)")
            XCTAssertEqual(p["CPUQuotaPerSecUSec"], "250ms", "\(e): \(p)")
            XCTAssertEqual(p["TasksMax"], "50", "\(e): \(p)")
            XCTAssertEqual(file("/sys/fs/cgroup/pids\(cgroupPath)/pids.max"), "50", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup/cpu\(cgroupPath)/cpu.cfs_quota_us"), "25000", "\(e)")

            let x = rt(e, ["exec", id, "cat", "/proc/self/cgroup"])
            XCTAssertEqual(x.status, 0, "\(e) exec: \(describe(x))")
            for l in x.stdout.split(separator: "\n") { XCTAssertTrue(l.hasSuffix(":" + cgroupPath), "\(e) exec: \(l)") }

            XCTAssertEqual(rt(e, ["pause", id]).status, 0)
            XCTAssertEqual(status(e, id), "paused", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup/freezer\(cgroupPath)/freezer.state"), "FROZEN", "\(e)")
            XCTAssertEqual(rt(e, ["resume", id]).status, 0)
            XCTAssertEqual(status(e, id), "running", "\(e)")

            let pid = containerPID(e, id)
            let ps = rt(e, ["ps", "--format", "json", id])
            XCTAssertEqual(ps.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[\(pid)]", "\(e) ps: \(describe(ps))")
            let ev = rt(e, ["events", "--stats", id])
            XCTAssertTrue(ev.stdout.contains("\"limit\":99999744"), "\(e) events: \(describe(ev))")

            XCTAssertEqual(rt(e, ["kill", "--all", id, "KILL"]).status, 0)
            inHost(["sh", "-c", "while [ -d /proc/\(pid) ]; do sleep 0.05; done"])
            deleteAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
    }

    // MARK: (3) a pod slice, as the kubelet sends it

    func testNestedPodSlice() throws {
        let slice = "kubepods-burstable-pod\(token).slice"
        // The slices are the kubelet's: made by systemd (and by the runtimes in the hierarchies systemd
        // does not manage), left by delete. The test removes them.
        defer {
            inHost(["sh", "-c", "systemctl stop kubepods.slice; find /sys/fs/cgroup/*/kubepods.slice -depth -type d -exec rmdir {} + 2>/dev/null"])
        }
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            let unit = "cri-containerd-\(id).scope"
            let cgroupPath = "/kubepods.slice/kubepods-burstable.slice/\(slice)/\(unit)"
            let b = limitedBundle("\(slice):cri-containerd:\(id)")
            let c = rt(e, ["create", "--bundle", b, id])
            XCTAssertEqual(c.status, 0, "\(e) create: \(describe(c))")
            XCTAssertEqual(show(unit, ["ControlGroup"])["ControlGroup"], cgroupPath, "\(e)")
            XCTAssertEqual(show(unit, ["Slice"])["Slice"], slice, "\(e)")
            let pid = containerPID(e, id)
            // runc 1.1.5 leaves init in the pod slice's devices cgroup here, not in the scope's.
            for l in file("/proc/\(pid)/cgroup").split(separator: "\n") where e == .swiftlet || !l.contains(":devices:") {
                XCTAssertTrue(l.hasSuffix(":" + cgroupPath), "\(e): \(l)")
            }
            deleteAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
    }

    // MARK: a runtime killed half-way

    /// `create` killed at each step after the unit exists, and `delete` killed after the kill: `delete
    /// --force` then removes the container, and no unit, cgroup or process is left.
    func testKilledCreateOrDeleteLeavesNoUnit() throws {
        let b = limitedBundle()
        for step in ["create.cgroup", "create.forked", "create.namespaces", "create.saved", "delete.killed"] {
            let id = newID("fault")
            let unit = "runc-\(id).scope"
            let create = inHost(["/usr/bin/env", step.hasPrefix("create") ? "SWIFTLET_FAULT=" + step : "X=1",
                                 Env.runtime, "--root", stateRoot, "--systemd-cgroup", "create", "--bundle", b, id])
            if step.hasPrefix("create") {
                XCTAssertEqual(create.status, 137, "\(step): \(describe(create))")
            } else {
                XCTAssertEqual(create.status, 0, "\(step): \(describe(create))")
                let d = inHost(["/usr/bin/env", "SWIFTLET_FAULT=" + step, Env.runtime, "--root", stateRoot,
                                "--systemd-cgroup", "delete", "--force", id])
                XCTAssertEqual(d.status, 137, "\(step): \(describe(d))")
            }
            deleteAndCheckGone(.swiftlet, id, unit: unit, cgroupPath: "/system.slice/" + unit)
            XCTAssertNotEqual(rt(.swiftlet, ["state", id]).status, 0, step)
        }
    }

    // MARK: the system bus

    /// With systemd's private socket hidden (a tmpfs over /run/systemd in a mount namespace of the
    /// runtime's own), the calls go through dbus-daemon: Hello, AddMatch for JobRemoved, then the same.
    func testThroughTheSystemBusWhenThePrivateSocketIsAbsent() throws {
        // dbus (Debian's dbus-daemon) is socket-activated: started here, stopped by the host's end.
        let bus = inHost(["systemctl", "start", "dbus.service"])
        XCTAssertEqual(bus.status, 0, "the host has no system bus: \(describe(bus))")
        func onBus(_ args: [String]) -> ProcResult {
            inHost(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /run/systemd && exec \"$@\"", "sh",
                    Env.runtime, "--root", stateRoot, "--systemd-cgroup"] + args)
        }
        let id = newID()
        let unit = "runc-\(id).scope"
        let c = onBus(["create", "--bundle", limitedBundle(), id])
        XCTAssertEqual(c.status, 0, describe(c))
        XCTAssertEqual(show(unit, ["ActiveState"])["ActiveState"], "active")
        let u = onBus(["update", "--pids-limit", "42", id])
        XCTAssertEqual(u.status, 0, describe(u))
        XCTAssertEqual(show(unit, ["TasksMax"])["TasksMax"], "42")
        let d = onBus(["delete", "--force", id])
        XCTAssertEqual(d.status, 0, describe(d))
        XCTAssertEqual(show(unit, ["LoadState"])["LoadState"], "not-found")
        XCTAssertEqual(scopeDirectories("/system.slice/" + unit), [])
    }

    // MARK: errors name the field, leave nothing, touch nothing

    func testUnitThatExistsIsRefusedAndLeftAlone() throws {
        let first = newID("first")
        let path = "system.slice:swt:\(token)"
        let unit = "swt-\(token).scope"
        XCTAssertEqual(rt(.swiftlet, ["create", "--bundle", limitedBundle(path), first]).status, 0)
        let firstPID = containerPID(.swiftlet, first)
        let second = newID("second")
        let r = rt(.swiftlet, ["create", "--bundle", limitedBundle(path), second])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("linux.cgroupsPath"), r.stderr)
        XCTAssertTrue(r.stderr.contains(unit), r.stderr)
        XCTAssertNotEqual(rt(.swiftlet, ["state", second]).status, 0, "the failed container's state is left")
        // The first container's unit and process are untouched.
        XCTAssertEqual(show(unit, ["ActiveState"])["ActiveState"], "active")
        XCTAssertEqual(file("/sys/fs/cgroup/unified/system.slice/\(unit)/cgroup.procs"), firstPID)
        deleteAndCheckGone(.swiftlet, first, unit: unit, cgroupPath: "/system.slice/" + unit)
    }

    func testBadCgroupsPathsNameTheField() throws {
        for bad in ["/not/systemd", "system.slice:onlytwo", "notaslice:p:n", "a--b.slice:p:n"] {
            let id = newID("bad")
            let r = rt(.swiftlet, ["create", "--bundle", limitedBundle(bad), id])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("linux.cgroupsPath"), "\(bad): \(r.stderr)")
            XCTAssertNotEqual(rt(.swiftlet, ["state", id]).status, 0, "\(bad): state left")
            XCTAssertNotEqual(runc(bad), 0, "runc accepts \(bad) too?")
        }
    }

    /// runc's documented examples, and a `...Sec` name given in seconds.
    func testSystemdPropertyAnnotationsAsRunc() throws {
        let b = makeBundle { c in
            c[path: "process.args"] = ["sleep", "1000"]
            c[path: "annotations"] = ["org.systemd.property.TimeoutStopUSec": "uint64 123456789",
                                      "org.systemd.property.CollectMode": "'inactive-or-failed'",
                                      "org.systemd.property.RuntimeMaxSec": "uint64 100"]
        }
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            let unit = "runc-\(id).scope"
            let c = rt(e, ["create", "--bundle", b, id])
            XCTAssertEqual(c.status, 0, "\(e) create: \(describe(c))")
            let p = show(unit, ["TimeoutStopUSec", "CollectMode", "RuntimeMaxUSec"])
            XCTAssertEqual(p["TimeoutStopUSec"], "2min 3.456789s", "\(e): \(p)")
            XCTAssertEqual(p["CollectMode"], "inactive-or-failed", "\(e): \(p)")
            XCTAssertEqual(p["RuntimeMaxUSec"], "1min 40s", "\(e): \(p)")
            deleteAndCheckGone(e, id, unit: unit, cgroupPath: "/system.slice/" + unit)
        }
    }

    func testBadSystemdPropertyAnnotationsNameTheAnnotation() throws {
        for (key, value, words) in [("org.systemd.property.TimeoutStopUSec", "uint64 abc", "org.systemd.property.TimeoutStopUSec"),
                                    ("org.systemd.property.X1", "'a'", "org.systemd.property.X1"),
                                    ("org.systemd.property.NoSuchProperty", "'a'", "NoSuchProperty")] {
            let id = newID()
            let b = makeBundle { c in c[path: "annotations"] = [key: value] }
            let r = rt(.swiftlet, ["create", "--bundle", b, id])
            XCTAssertNotEqual(r.status, 0, "\(key)=\(value)")
            XCTAssertTrue(r.stderr.contains(words), "\(key)=\(value): \(r.stderr)")
            XCTAssertEqual(show("runc-\(id).scope", ["LoadState"])["LoadState"], "not-found")
            XCTAssertEqual(scopeDirectories("/system.slice/runc-\(id).scope"), [])
            XCTAssertNotEqual(rt(.swiftlet, ["state", id]).status, 0)
        }
    }

    /// runc's verdict on the same cgroupsPath (its exit status).
    func runc(_ cgroupsPath: String) -> Int32 {
        let id = newID("rbad")
        let r = rt(.runc, ["create", "--bundle", limitedBundle(cgroupsPath), id])
        if r.status == 0 { rt(.runc, ["delete", "--force", id]) }
        return r.status
    }

    /// A user's systemd delegates only on cgroup v2: on this hybrid host a rootless --systemd-cgroup is refused
    /// before anything is made, naming the flag, as runc 1.1 refuses it ("... on cgroup v1").
    func testRootlessIsRefusedOnHybridAsRunc() throws {
        let user = try hostUser("swiftlet-sdu")
        XCTAssertEqual(inHost(["systemctl", "start", "user@\(user.uid).service"]).status, 0)
        defer { inHost(["systemctl", "stop", "user@\(user.uid).service"]) }
        let b = rootlessBundle(user)
        for e in Engine.allCases {
            let root = userStateRoot(user, "state-\(e.rawValue)")
            let id = newID(e.rawValue)
            let r = asHostUser(user, [e == .swiftlet ? Env.runtime : "/usr/sbin/runc", "--root", root, "--systemd-cgroup",
                                      "run", "-d", "--bundle", b, id], env: ["XDG_RUNTIME_DIR": user.runtimeDir])
            XCTAssertNotEqual(r.status, 0, "\(e): \(describe(r))")
            if e == .swiftlet {
                XCTAssertTrue(r.stderr.contains("--systemd-cgroup") && r.stderr.contains("cgroup v2"), r.stderr)
            } else {
                XCTAssertTrue(r.stderr.contains("cannot use rootless systemd cgroups manager on cgroup v1"), r.stderr)
            }
            XCTAssertEqual(((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []), [], "\(e)")
            XCTAssertEqual(show("runc-\(id).scope", ["LoadState"])["LoadState"], "not-found", "\(e)")
        }
    }

    func testWithoutSystemdTheErrorNamesTheFlag() throws {
        // This machine itself does not run systemd.
        let id = newID()
        let r = runtime(["--systemd-cgroup", "create", "--bundle", limitedBundle(), id])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--systemd-cgroup"), r.stderr)
        assertNothingLeftBehind(id)
    }
}

/// A unified host: cgroup2 at /sys/fs/cgroup inside (Fixtures/systemd/systemd-host-v2.sh). Only hugetlb is a
/// v2 controller on this machine, so what is checked is the scope itself, devices, freezer, exec and delete.
final class SystemdCgroupV2Tests: SystemdHostTestCase {
    static let systemdHost = SharedHost(script: Env.repo + "/Tests/IntegrationTests/Fixtures/systemd/systemd-host-v2.sh",
                                         work: "/tmp/swiftlet-systemd-host-v2-\(getpid())")
    override class var sharedHost: SharedHost? { systemdHost }

    func testScopeOnUnifiedHostAsRunc() throws {
        let b = makeBundle { c in
            c[path: "process.args"] = ["sleep", "1000"]
        }
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            let unit = "runc-\(id).scope"
            let cgroupPath = "/system.slice/" + unit
            let c = rt(e, ["run", "-d", "--bundle", b, id])
            XCTAssertEqual(c.status, 0, "\(e) run -d: \(describe(c))")
            let p = show(unit, ["ActiveState", "ControlGroup", "Delegate", "DevicePolicy"])
            XCTAssertEqual(p["ActiveState"], "active", "\(e): \(p)")
            XCTAssertEqual(p["ControlGroup"], cgroupPath, "\(e): \(p)")
            XCTAssertEqual(p["Delegate"], "yes", "\(e): \(p)")
            XCTAssertEqual(p["DevicePolicy"], "strict", "\(e): \(p)")
            let pid = containerPID(e, id)
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.procs"), pid, "\(e)")
            let x = rt(e, ["exec", id, "sh", "-c", "grep ^0:: /proc/self/cgroup; echo > /dev/null && echo null-ok; head -c1 /dev/kmsg"])
            XCTAssertTrue(x.stdout.contains("0::" + cgroupPath), "\(e) exec: \(describe(x))")
            XCTAssertTrue(x.stdout.contains("null-ok"), "\(e) exec: \(describe(x))")
            XCTAssertTrue(x.stderr.contains("Operation not permitted"), "\(e): /dev/kmsg must be denied: \(describe(x))")
            XCTAssertEqual(rt(e, ["pause", id]).status, 0)
            XCTAssertEqual(status(e, id), "paused", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.freeze"), "1", "\(e)")
            XCTAssertEqual(rt(e, ["resume", id]).status, 0)
            deleteAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
    }

    /// A limit whose controller the unified hierarchy lacks is an error naming the field, and the unit
    /// started for it is stopped again.
    func testMissingControllerIsRefusedAndTheUnitStopped() throws {
        let id = newID()
        let b = makeBundle { c in c[path: "linux.resources.pids"] = ["limit": 100] }
        let r = rt(.swiftlet, ["create", "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("linux.resources.pids.limit"), r.stderr)
        XCTAssertEqual(show("runc-\(id).scope", ["LoadState"])["LoadState"], "not-found")
        XCTAssertEqual(scopeDirectories("/system.slice/runc-\(id).scope"), [])
        XCTAssertNotEqual(rt(.swiftlet, ["state", id]).status, 0)
    }
}
