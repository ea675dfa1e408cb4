import XCTest
@testable import RuntimeSpec

final class ValidationTests: XCTestCase {
    typealias Case = (name: String, mutate: (inout Spec) -> Void, path: String, fragment: String)

    static let base = Spec.defaultSpec(rootless: false)

    static func removeNamespace(_ type: String, _ s: inout Spec) {
        s.linux!.namespaces!.removeAll { $0.type == type }
    }

    let cases: [Case] = [
        ("version 2", { $0.ociVersion = "2.0.0" }, "ociVersion", "unsupported major version 2 in \"2.0.0\""),
        ("version abc", { $0.ociVersion = "abc" }, "ociVersion", "invalid semantic version \"abc\""),
        ("version empty", { $0.ociVersion = "" }, "ociVersion", "invalid semantic version \"\""),
        ("version leading zero", { $0.ociVersion = "1.01.0" }, "ociVersion", "invalid semantic version \"1.01.0\""),
        ("version two parts", { $0.ociVersion = "1.3" }, "ociVersion", "invalid semantic version \"1.3\""),
        ("version 0.x", { $0.ociVersion = "0.9.0" }, "ociVersion", "unsupported major version 0"),
        ("root missing", { $0.root = nil }, "root", "required property missing"),
        ("root empty", { $0.root!.path = "" }, "root.path", "must not be empty"),
        ("cwd relative", { $0.process!.cwd = "work" }, "process.cwd", "must be an absolute path, got \"work\""),
        ("cwd empty", { $0.process!.cwd = "" }, "process.cwd", "must not be empty"),
        ("args empty", { $0.process!.args = [] }, "process.args", "must not be empty"),
        ("args nil", { $0.process!.args = nil }, "process.args", "must not be empty"),
        ("unknown namespace", { $0.linux!.namespaces![2].type = "pdi" }, "linux.namespaces[2].type", "unknown namespace \"pdi\""),
        ("duplicate namespace", { $0.linux!.namespaces!.append(LinuxNamespace(type: "pid")) },
         "linux.namespaces[6].type", "duplicate namespace \"pid\""),
        ("namespace path relative", { $0.linux!.namespaces![1].path = "netns/x" },
         "linux.namespaces[1].path", "must be an absolute path, got \"netns/x\""),
        ("userns without uid mappings", { s in
            s.linux!.namespaces!.append(LinuxNamespace(type: "user"))
            s.linux!.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
         }, "linux.uidMappings", "required when a new user namespace is created"),
        ("userns without gid mappings", { s in
            s.linux!.namespaces!.append(LinuxNamespace(type: "user"))
            s.linux!.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
         }, "linux.gidMappings", "required when a new user namespace is created"),
        ("mappings without userns", { $0.linux!.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)] },
         "linux.uidMappings", "no user namespace"),
        ("mapping size zero", { s in
            s.makeRootless(uid: 1000, gid: 1000)
            s.linux!.gidMappings![0].size = 0
         }, "linux.gidMappings[0].size", "must be greater than zero"),
        ("mount destination empty", { $0.mounts![2].destination = "" }, "mounts[2].destination", "must not be empty"),
        ("idmap mapping alone", { s in
            s.mounts!.append(Mount(destination: "/data", source: "/srv", options: ["rbind"],
                                   uidMappings: [LinuxIDMapping(containerID: 0, hostID: 1, size: 1)]))
         }, "mounts[7]", "uidMappings and gidMappings must be specified together"),
        ("device type", { $0.linux!.devices = [LinuxDevice(path: "/dev/x", type: "z")] },
         "linux.devices[0].type", "unknown device type \"z\""),
        ("device major missing", { $0.linux!.devices = [LinuxDevice(path: "/dev/fuse", type: "c", minor: 229)] },
         "linux.devices[0].major", "required for device type \"c\""),
        ("device minor missing", { $0.linux!.devices = [LinuxDevice(path: "/dev/sda", type: "b", major: 8)] },
         "linux.devices[0].minor", "required for device type \"b\""),
        ("device path relative", { $0.linux!.devices = [LinuxDevice(path: "dev/null", type: "c", major: 1, minor: 3)] },
         "linux.devices[0].path", "must be an absolute path, got \"dev/null\""),
        ("rootfsPropagation", { $0.linux!.rootfsPropagation = "sharde" }, "linux.rootfsPropagation", "unknown propagation \"sharde\""),
        ("hook path relative", { $0.hooks = Hooks(createRuntime: [Hook(path: "bin/hook")]) },
         "hooks.createRuntime[0].path", "must be an absolute path, got \"bin/hook\""),
        ("hook timeout zero", { $0.hooks = Hooks(poststop: [Hook(path: "/bin/true"), Hook(path: "/bin/true", timeout: 0)]) },
         "hooks.poststop[1].timeout", "must be greater than zero, got 0"),
        ("hook timeout negative", { $0.hooks = Hooks(prestart: [Hook(path: "/bin/true", timeout: -3)]) },
         "hooks.prestart[0].timeout", "got -3"),
        ("net sysctl without netns", { s in
            removeNamespace("network", &s)
            s.linux!.sysctl = ["net.ipv4.ip_forward": "1"]
         }, "linux.sysctl[\"net.ipv4.ip_forward\"]", "requires a network namespace"),
        ("slash sysctl without netns", { s in
            removeNamespace("network", &s)
            s.linux!.sysctl = ["net/ipv4/conf/eth0.100/rp_filter": "1"]
         }, "linux.sysctl[\"net/ipv4/conf/eth0.100/rp_filter\"]", "\"net.ipv4.conf.eth0/100.rp_filter\" requires a network namespace"),
        ("ipc sysctl without ipcns", { s in
            removeNamespace("ipc", &s)
            s.linux!.sysctl = ["kernel.shmmax": "1"]
         }, "linux.sysctl[\"kernel.shmmax\"]", "requires an ipc namespace"),
        ("domainname sysctl without uts", { s in
            removeNamespace("uts", &s)
            s.hostname = nil
            s.linux!.sysctl = ["kernel.domainname": "x"]
         }, "linux.sysctl[\"kernel.domainname\"]", "requires a uts namespace"),
        ("hostname sysctl conflicts", { $0.linux!.sysctl = ["kernel.hostname": "x"] },
         "linux.sysctl[\"kernel.hostname\"]", "conflicts with the OCI \"hostname\" field"),
        ("hostname sysctl conflicts without hostname", { s in
            s.hostname = nil
            s.linux!.sysctl = ["kernel.hostname": "x"]
         }, "linux.sysctl[\"kernel.hostname\"]", "conflicts with the OCI \"hostname\" field"),
        ("domainname sysctl conflicts with domainname", { s in
            s.domainname = "example"
            s.linux!.sysctl = ["kernel.domainname": "x"]
         }, "linux.sysctl[\"kernel.domainname\"]", "conflicts with the OCI \"domainname\" field"),
        ("non-namespaced sysctl", { $0.linux!.sysctl = ["vm.swappiness": "1"] },
         "linux.sysctl[\"vm.swappiness\"]", "not in a separate kernel namespace"),
        ("hostname without uts", { removeNamespace("uts", &$0) }, "hostname", "requires a uts namespace"),
        ("hostname too long", { $0.hostname = String(repeating: "h", count: 65) }, "hostname", "longer than 64 bytes"),
        ("timeOffsets unknown clock", { s in
            s.linux!.namespaces!.append(LinuxNamespace(type: "time"))
            s.linux!.timeOffsets = ["realtime": LinuxTimeOffset(secs: 1)]
         }, "linux.timeOffsets[\"realtime\"]", "unknown clock \"realtime\""),
        ("timeOffsets without timens", { $0.linux!.timeOffsets = ["monotonic": LinuxTimeOffset(secs: 1)] },
         "linux.timeOffsets", "require a new time namespace"),
        ("masked path relative", { $0.linux!.maskedPaths!.append("proc/foo") },
         "linux.maskedPaths[10]", "must be an absolute path, got \"proc/foo\""),
        ("seccomp defaultAction", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_FOO") },
         "linux.seccomp.defaultAction", "unknown seccomp action \"SCMP_ACT_FOO\""),
        ("seccomp arch", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"]) },
         "linux.seccomp.architectures[0]", "unknown seccomp architecture \"SCMP_ARCH_Z80\""),
        ("seccomp flag", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_FOO"]) },
         "linux.seccomp.flags[0]", "unknown seccomp flag \"SECCOMP_FILTER_FLAG_FOO\""),
        ("seccomp syscall action", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW",
                                                                      syscalls: [LinuxSyscall(names: ["read"], action: "ALLOW")]) },
         "linux.seccomp.syscalls[0].action", "unknown seccomp action \"ALLOW\""),
        ("seccomp operator", { $0.linux!.seccomp = LinuxSeccomp(
            defaultAction: "SCMP_ACT_ALLOW",
            syscalls: [LinuxSyscall(names: ["read"], action: "SCMP_ACT_ERRNO",
                                    args: [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_EQ"),
                                           LinuxSeccompArg(index: 1, value: 1, op: "SCMP_CMP_XX")])]) },
         "linux.seccomp.syscalls[0].args[1].op", "unknown seccomp operator \"SCMP_CMP_XX\""),
        ("seccomp names empty", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW",
                                                                   syscalls: [LinuxSyscall(names: [], action: "SCMP_ACT_ERRNO")]) },
         "linux.seccomp.syscalls[0].names", "must not be empty"),
        ("seccomp notify without listener", { $0.linux!.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_NOTIFY") },
         "linux.seccomp.listenerPath", "required when SCMP_ACT_NOTIFY is used"),
        ("resources device type", { $0.linux!.resources!.devices![0].type = "p" },
         "linux.resources.devices[0].type", "unknown device type \"p\""),
        ("resources device access", { $0.linux!.resources!.devices![0].access = "rwx" },
         "linux.resources.devices[0].access", "invalid access \"rwx\""),
        ("resources device access empty", { $0.linux!.resources!.devices![0].access = "" },
         "linux.resources.devices[0].access", "invalid access \"\""),
        ("resources device access spaced", { $0.linux!.resources!.devices![0].access = "r w" },
         "linux.resources.devices[0].access", "invalid access \"r w\""),
        ("memory limit", { $0.linux!.resources!.memory = LinuxMemory(limit: -2) },
         "linux.resources.memory.limit", "-2 is negative"),
        ("memory reservation", { $0.linux!.resources!.memory = LinuxMemory(reservation: -2) },
         "linux.resources.memory.reservation", "-2 is negative"),
        ("memory swap", { $0.linux!.resources!.memory = LinuxMemory(swap: -3) },
         "linux.resources.memory.swap", "-3 is negative"),
        ("blkio weight", { $0.linux!.resources!.blockIO = LinuxBlockIO(weight: 5) },
         "linux.resources.blockIO.weight", "5 is out of range 10...1000"),
        ("blkio leaf weight", { $0.linux!.resources!.blockIO = LinuxBlockIO(leafWeight: 1001) },
         "linux.resources.blockIO.leafWeight", "1001 is out of range 10...1000"),
        ("masked path relative", { $0.linux!.maskedPaths = ["proc/kcore"] },
         "linux.maskedPaths[0]", "must be an absolute path, got \"proc/kcore\""),
        ("readonly path without mount namespace", { ValidationTests.removeNamespace("mount", &$0); $0.linux!.readonlyPaths = ["/proc/sys"] },
         "linux.readonlyPaths", "requires a mount namespace"),
        ("uid mapping size", { $0.linux!.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 0)] },
         "linux.uidMappings[0].size", "must be greater than zero"),
        ("gid mapping size", { $0.linux!.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 0)] },
         "linux.gidMappings[0].size", "must be greater than zero"),
        ("swappiness", { $0.linux!.resources!.memory = LinuxMemory(swappiness: 101) },
         "linux.resources.memory.swappiness", "101 is out of range 0...100"),
        ("cpuset cpus", { $0.linux!.resources!.cpu = LinuxCPU(cpus: "0-") },
         "linux.resources.cpu.cpus", "invalid CPU list \"0-\""),
        ("hugepage size", { $0.linux!.resources!.hugepageLimits = [LinuxHugepageLimit(pageSize: "2M", limit: 1)] },
         "linux.resources.hugepageLimits[0].pageSize", "invalid page size \"2M\""),
        ("intelRdt closID", { $0.linux!.intelRdt = LinuxIntelRdt(closID: "a/b") },
         "linux.intelRdt.closID", "invalid closID \"a/b\""),
        ("netDevices without netns", { s in
            removeNamespace("network", &s)
            s.linux!.netDevices = ["eth1": LinuxNetDevice()]
         }, "linux.netDevices", "require a network namespace"),
        ("netDevices bad name", { $0.linux!.netDevices = ["eth1": LinuxNetDevice(name: "a/b")] },
         "linux.netDevices[\"eth1\"].name", "invalid network interface name \"a/b\""),
    ]

    func testBaseIsClean() {
        XCTAssertEqual(Self.base.validate(), [])
    }

    func testTable() {
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        for c in cases {
            var s = Self.base
            c.mutate(&s)
            let problems = s.validate()
            let hit = problems.first { $0.path == c.path && $0.message.contains(c.fragment) }
            XCTAssertNotNil(hit, "\(c.name): want \(c.path): …\(c.fragment)…, got \(problems.map(\.description))")
        }
    }

    func testQuoted() {
        XCTAssertEqual(quoted("net.ipv4.ip_forward"), "\"net.ipv4.ip_forward\"")
        XCTAssertEqual(quoted(""), "\"\"")
        XCTAssertEqual(quoted("caf\u{e9}"), "\"caf\u{e9}\"")
        XCTAssertEqual(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"")
        XCTAssertEqual(quoted("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"")
        XCTAssertEqual(quoted("x\u{1}y\u{7f}"), "\"x\\x01y\\x7f\"")
    }

    /// A sysctl key written with slashes is checked as its dotted name.
    func testSysctlWithSlashes() {
        var s = Self.base
        s.linux!.sysctl = ["net/ipv4/ip_forward": "1", "kernel/shm.rmid": "1"]
        s.linux!.namespaces!.removeAll { $0.type == "network" }
        let problems = s.validate().map(\.description)
        XCTAssertTrue(problems.contains("linux.sysctl[\"net/ipv4/ip_forward\"]: sysctl \"net.ipv4.ip_forward\" requires a network namespace"), "\(problems)")
        XCTAssertTrue(problems.contains("linux.sysctl[\"kernel/shm.rmid\"]: sysctl \"kernel.shm/rmid\" is not in a separate kernel namespace"), "\(problems)")
    }

    /// A device path with a `..` component is refused; `...`, `..x` and `x..` are names.
    func testDevicePathDotDot() {
        let refused = ["/dev/..", "/dev/../x", "/../dev/x", "/dev//../x", "/dev/x/.."]
        let accepted = ["/dev/...", "/dev/..x", "/dev/x..", "/dev/.x", "/dev/./x", "/dev/x"]
        for path in refused + accepted {
            var s = Self.base
            s.linux!.devices = [LinuxDevice(path: path, type: "c", major: 1, minor: 3)]
            let hit = s.validate().contains { $0.path == "linux.devices[0].path" && $0.message.contains("must not contain \"..\"") }
            XCTAssertEqual(hit, refused.contains(path), path)
        }
    }

    func testReportsEveryProblem() {
        var s = Self.base
        s.ociVersion = "abc"
        s.process!.cwd = "rel"
        s.process!.capabilities!.bounding![0] = "CAP_FOO"
        s.linux!.namespaces![2].type = "pdi"
        s.hooks = Hooks(poststop: [Hook(path: "x", timeout: 0)])
        let paths = s.validate().map(\.path)
        // An unknown capability is no problem: it is ignored with a warning (runtime-spec 1.3).
        XCTAssertEqual(paths, ["ociVersion", "process.cwd",
                               "hooks.poststop[0].path", "hooks.poststop[0].timeout",
                               "linux.namespaces[2].type"])
    }

    func testDescription() {
        let p = SpecProblem(path: "linux.namespaces[2].type", message: "unknown namespace \"pdi\"")
        XCTAssertEqual(p.description, "linux.namespaces[2].type: unknown namespace \"pdi\"")
    }

    func testAcceptedVariants() {
        var s = Self.base
        s.ociVersion = "1.0.2-dev+build.5"
        s.mounts!.append(Mount(destination: "relative/dir", type: "tmpfs", source: "tmpfs"))
        s.linux!.devices = [LinuxDevice(path: "/opt/fifo", type: "p"),
                            LinuxDevice(path: "/dev/net/tun", type: "c", major: 10, minor: 200)]
        s.linux!.rootfsPropagation = "rslave"
        s.linux!.sysctl = ["net.core.somaxconn": "1024", "fs.mqueue.msg_max": "20", "kernel.domainname": "x"]
        s.process!.scheduler = Scheduler(policy: "SCHED_FIFO", priority: 10)
        s.linux!.memoryPolicy = LinuxMemoryPolicy(mode: "MPOL_PREFERRED")
        s.linux!.resources!.pids = LinuxPids()
        XCTAssertEqual(s.validate(), [])
        for v in ["1.0.0", "1.1.0-rc.1", "1.2.1", "1.3.0", "1.3.9"] {
            s.ociVersion = v
            XCTAssertEqual(s.validate(), [], v)
        }
    }

    func testSemver() {
        XCTAssertEqual(parseSemver("1.3.0").map { [$0.0, $0.1, $0.2] }, [1, 3, 0])
        for bad in ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", "1.2.3-01", "1.2.3+", "v1.2.3"] {
            XCTAssertNil(parseSemver(bad), bad)
        }
    }

    func testCPUList() {
        XCTAssertEqual(parseCPUList("0-3,7"), [0...3, 7...7])
        XCTAssertNil(parseCPUList(""))
        XCTAssertNil(parseCPUList("1,,2"))
        XCTAssertNil(parseCPUList("a"))
    }
}
