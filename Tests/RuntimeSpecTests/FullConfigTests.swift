import XCTest
import JSON
@testable import RuntimeSpec

/// A config.json using every field of the model.
let fullConfig = #"""
{
  "ociVersion": "1.3.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [5, 6], "username": "me"},
    "args": ["sh", "-c", "echo hi"],
    "commandLine": "sh -c 'echo hi'",
    "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"],
      "effective": ["CAP_KILL"],
      "inheritable": ["CAP_CHOWN"],
      "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "acme_secure_profile",
    "oomScoreAdj": -100,
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 0,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 10000, "deadline": 20000, "period": 30000},
    "selinuxLabel": "system_u:system_r:svirt_lxc_net_t:s0:c124,c675",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "execCPUAffinity": {"initial": "7", "final": "0-3,7"}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "none", "source": "/srv/data",
     "options": ["rbind", "ro", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"], "env": ["key1=value1"]}],
    "createRuntime": [{"path": "/usr/bin/netns", "timeout": 5}],
    "createContainer": [{"path": "/usr/bin/cc"}],
    "startContainer": [{"path": "/usr/bin/refresh-ldcache"}],
    "poststart": [{"path": "/usr/bin/notify-start", "timeout": 5}],
    "poststop": [{"path": "/usr/sbin/cleanup.sh", "args": ["cleanup.sh", "-f"]}]
  },
  "annotations": {"com.example.key1": "value1", "com.example.key2": "value2"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4294967295"},
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}
      ],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "kernel": -1, "kernelTCP": -1, "swappiness": 0, "disableOOMKiller": false,
                 "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 1000000, "burst": 1000, "period": 500000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000,
              "cpus": "2-3", "mems": "0-7", "idle": 0},
      "pids": {"limit": 32771},
      "blockIO": {
        "weight": 10, "leafWeight": 10,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                         {"major": 8, "minor": 16, "weight": 500}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 700}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 80}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 9223372036854772000}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
      "unified": {"io.max": "8:0 rbps=1024", "memory.high": "max"}
    },
    "cgroupsPath": "/myRuntime/myContainer",
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/neta"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "devices": [
      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"path": "/dev/fifo", "type": "p"}
    ],
    "netDevices": {"eth1": {"name": "ctr1"}, "dummy0": {}},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/seccomp.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["getcwd", "chmod"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["ioctl"], "action": "SCMP_ACT_NOTIFY"}
      ]
    },
    "rootfsPropagation": "slave",
    "maskedPaths": ["/proc/kcore", "/proc/latency_stats"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
    "mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
    "intelRdt": {"closID": "guaranteed_group", "schemata": ["L3:0=7f0;1=1f", "MB:0=20;1=70"],
                 "l3CacheSchema": "L3:0=7f0;1=1f", "memBwSchema": "MB:0=20;1=70",
                 "enableMonitoring": true},
    "personality": {"domain": "LINUX", "flags": []},
    "timeOffsets": {"monotonic": {"secs": 172800, "nanosecs": 0}, "boottime": {"secs": -3600}},
    "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-3", "flags": ["MPOL_F_STATIC_NODES"]}
  },
  "vm": {
    "hypervisor": {"path": "/path/to/vmm", "parameters": ["opts1=foo"]},
    "kernel": {"path": "/path/to/vmlinuz", "parameters": ["console=ttyS0"], "initrd": "/path/to/initrd.img"},
    "image": {"path": "/path/to/vm/rootfs.img", "format": "raw"}
  }
}
"""#

final class FullConfigTests: XCTestCase {
    func decodeFull() throws -> Spec {
        try JSON.decode(Spec.self, from: Array(fullConfig.utf8))
    }

    func testDecodesEveryField() throws {
        let s = try decodeFull()
        XCTAssertEqual(s.ociVersion, "1.3.0")
        let p = try XCTUnwrap(s.process)
        XCTAssertEqual(p.terminal, true)
        XCTAssertEqual(p.consoleSize, Box(height: 25, width: 80))
        XCTAssertEqual(p.user, User(uid: 1, gid: 2, umask: 18, additionalGids: [5, 6], username: "me"))
        XCTAssertEqual(p.args, ["sh", "-c", "echo hi"])
        XCTAssertEqual(p.commandLine, "sh -c 'echo hi'")
        XCTAssertEqual(p.env?.count, 2)
        XCTAssertEqual(p.cwd, "/work")
        XCTAssertEqual(p.capabilities?.bounding, ["CAP_AUDIT_WRITE", "CAP_KILL"])
        XCTAssertEqual(p.capabilities?.effective, ["CAP_KILL"])
        XCTAssertEqual(p.capabilities?.inheritable, ["CAP_CHOWN"])
        XCTAssertEqual(p.capabilities?.permitted, ["CAP_KILL", "CAP_NET_BIND_SERVICE"])
        XCTAssertEqual(p.capabilities?.ambient, ["CAP_NET_BIND_SERVICE"])
        XCTAssertEqual(p.rlimits?[0], POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 512))
        XCTAssertEqual(p.rlimits?[1].hard, UInt64.max)
        XCTAssertEqual(p.noNewPrivileges, true)
        XCTAssertEqual(p.apparmorProfile, "acme_secure_profile")
        XCTAssertEqual(p.oomScoreAdj, -100)
        XCTAssertEqual(p.scheduler, Scheduler(policy: "SCHED_DEADLINE", nice: -5, priority: 0,
                                              flags: ["SCHED_FLAG_RESET_ON_FORK"],
                                              runtime: 10000, deadline: 20000, period: 30000))
        XCTAssertEqual(p.selinuxLabel, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675")
        XCTAssertEqual(p.ioPriority, LinuxIOPriority(class: "IOPRIO_CLASS_BE", priority: 4))
        XCTAssertEqual(p.execCPUAffinity, CPUAffinity(initial: "7", final: "0-3,7"))

        XCTAssertEqual(s.root, Root(path: "rootfs", readonly: true))
        XCTAssertEqual(s.hostname, "box")
        XCTAssertEqual(s.domainname, "example.org")
        let m = try XCTUnwrap(s.mounts)
        XCTAssertEqual(m[0], Mount(destination: "/proc", type: "proc", source: "proc"))
        XCTAssertEqual(m[1].options, ["rbind", "ro", "idmap"])
        XCTAssertEqual(m[1].uidMappings?[0], LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536))
        XCTAssertEqual(m[1].gidMappings?[0].hostID, 200000)

        let h = try XCTUnwrap(s.hooks)
        XCTAssertEqual(h.prestart?[0].args, ["fix-mounts", "arg1"])
        XCTAssertEqual(h.prestart?[0].env, ["key1=value1"])
        XCTAssertEqual(h.createRuntime?[0].timeout, 5)
        XCTAssertEqual(h.createContainer?[0].path, "/usr/bin/cc")
        XCTAssertEqual(h.startContainer?[0].path, "/usr/bin/refresh-ldcache")
        XCTAssertEqual(h.poststart?[0].timeout, 5)
        XCTAssertEqual(h.poststop?[0].args, ["cleanup.sh", "-f"])
        XCTAssertEqual(s.annotations?["com.example.key2"], "value2")

        let l = try XCTUnwrap(s.linux)
        XCTAssertEqual(l.uidMappings?[0].containerID, 0)
        XCTAssertEqual(l.gidMappings?[0].size, 32000)
        XCTAssertEqual(l.sysctl?["net.ipv4.ip_forward"], "1")
        let r = try XCTUnwrap(l.resources)
        XCTAssertEqual(r.devices?[0], LinuxDeviceCgroup(allow: false, access: "rwm"))
        XCTAssertEqual(r.devices?[1], LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 229, access: "rw"))
        XCTAssertEqual(r.memory, LinuxMemory(limit: 536870912, reservation: 268435456, swap: 1073741824,
                                             kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: false,
                                             useHierarchy: true, checkBeforeUpdate: true))
        XCTAssertEqual(r.cpu, LinuxCPU(shares: 1024, quota: 1000000, burst: 1000, period: 500000,
                                       realtimeRuntime: 950000, realtimePeriod: 1000000,
                                       cpus: "2-3", mems: "0-7", idle: 0))
        XCTAssertEqual(r.pids?.limit, 32771)
        let b = try XCTUnwrap(r.blockIO)
        XCTAssertEqual(b.weight, 10)
        XCTAssertEqual(b.leafWeight, 10)
        XCTAssertEqual(b.weightDevice?[0], LinuxWeightDevice(major: 8, minor: 0, weight: 500, leafWeight: 300))
        XCTAssertEqual(b.weightDevice?[1].leafWeight, nil)
        XCTAssertEqual(b.throttleReadBpsDevice?[0], LinuxThrottleDevice(major: 8, minor: 0, rate: 600))
        XCTAssertEqual(b.throttleWriteBpsDevice?[0].rate, 700)
        XCTAssertEqual(b.throttleReadIOPSDevice?[0].rate, 80)
        XCTAssertEqual(b.throttleWriteIOPSDevice?[0].minor, 16)
        XCTAssertEqual(r.hugepageLimits?[0], LinuxHugepageLimit(pageSize: "2MB", limit: 9223372036854772000))
        XCTAssertEqual(r.network, LinuxNetwork(classID: 1048577, priorities: [LinuxInterfacePriority(name: "eth0", priority: 500)]))
        XCTAssertEqual(r.rdma?["mlx5_1"], LinuxRdma(hcaHandles: 3, hcaObjects: 10000))
        XCTAssertEqual(r.unified?["memory.high"], "max")
        XCTAssertEqual(l.cgroupsPath, "/myRuntime/myContainer")
        XCTAssertEqual(l.namespaces?.map(\.type), ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"])
        XCTAssertEqual(l.namespaces?[1].path, "/var/run/netns/neta")
        XCTAssertNil(l.namespaces?[0].path)
        XCTAssertEqual(l.devices?[0], LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0))
        XCTAssertEqual(l.devices?[1], LinuxDevice(path: "/dev/fifo", type: "p"))
        XCTAssertEqual(l.netDevices?["eth1"], LinuxNetDevice(name: "ctr1"))
        XCTAssertEqual(l.netDevices?["dummy0"], LinuxNetDevice())
        let sc = try XCTUnwrap(l.seccomp)
        XCTAssertEqual(sc.defaultAction, "SCMP_ACT_ERRNO")
        XCTAssertEqual(sc.defaultErrnoRet, 1)
        XCTAssertEqual(sc.architectures, ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64"])
        XCTAssertEqual(sc.flags, ["SECCOMP_FILTER_FLAG_LOG"])
        XCTAssertEqual(sc.listenerPath, "/run/seccomp.sock")
        XCTAssertEqual(sc.listenerMetadata, "meta")
        XCTAssertEqual(sc.syscalls?[1], LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 38,
                                                     args: [LinuxSeccompArg(index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ")]))
        XCTAssertEqual(l.rootfsPropagation, "slave")
        XCTAssertEqual(l.maskedPaths, ["/proc/kcore", "/proc/latency_stats"])
        XCTAssertEqual(l.readonlyPaths, ["/proc/sys", "/proc/sysrq-trigger"])
        XCTAssertEqual(l.mountLabel, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811")
        XCTAssertEqual(l.intelRdt, LinuxIntelRdt(closID: "guaranteed_group", schemata: ["L3:0=7f0;1=1f", "MB:0=20;1=70"],
                                                 l3CacheSchema: "L3:0=7f0;1=1f", memBwSchema: "MB:0=20;1=70",
                                                 enableMonitoring: true))
        XCTAssertEqual(l.personality, LinuxPersonality(domain: "LINUX", flags: []))
        XCTAssertEqual(l.timeOffsets?["monotonic"], LinuxTimeOffset(secs: 172800, nanosecs: 0))
        XCTAssertEqual(l.timeOffsets?["boottime"], LinuxTimeOffset(secs: -3600))
        XCTAssertEqual(l.memoryPolicy, LinuxMemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: "0-3", flags: ["MPOL_F_STATIC_NODES"]))

        let vm = try XCTUnwrap(s.vm)
        XCTAssertEqual(vm.hypervisor, VMHypervisor(path: "/path/to/vmm", parameters: ["opts1=foo"]))
        XCTAssertEqual(vm.kernel, VMKernel(path: "/path/to/vmlinuz", parameters: ["console=ttyS0"], initrd: "/path/to/initrd.img"))
        XCTAssertEqual(vm.image, VMImage(path: "/path/to/vm/rootfs.img", format: "raw"))
    }

    func testFullConfigValidatesClean() throws {
        XCTAssertEqual(try decodeFull().validate(), [])
    }

    func testRoundTrip() throws {
        let s = try decodeFull()
        for pretty in [false, true] {
            let bytes = try JSON.encode(s, pretty: pretty)
            XCTAssertEqual(try JSON.decode(Spec.self, from: bytes), s)
        }
    }

    func testEncoderOmitsNils() throws {
        let s = Spec(ociVersion: "1.3.0", process: Process(user: User(uid: 0, gid: 0), args: ["sh"], cwd: "/"))
        let text = String(decoding: try JSON.encode(s), as: UTF8.self)
        XCTAssertFalse(text.contains("null"), text)
        XCTAssertFalse(text.contains("terminal"), text)
        XCTAssertFalse(text.contains("linux"), text)
        XCTAssertTrue(text.contains("\"cwd\""), text)
        XCTAssertEqual(try JSON.decode(Spec.self, from: Array(text.utf8)), s)
    }

    func testMinimalConfig() throws {
        let s = try JSON.decode(Spec.self, from: Array(#"{"ociVersion": "1.0.0"}"#.utf8))
        XCTAssertEqual(s, Spec(ociVersion: "1.0.0"))
        XCTAssertEqual(s.validate(), [])
    }

    func testMissingRequiredFieldsFailToDecode() {
        let cases: [(String, String)] = [
            (#"{}"#, "ociVersion"),
            (#"{"ociVersion":"1.0.0","process":{"user":{"uid":0,"gid":0}}}"#, "process.cwd"),
            (#"{"ociVersion":"1.0.0","process":{"cwd":"/","user":{"gid":0}}}"#, "process.user.uid"),
            (#"{"ociVersion":"1.0.0","root":{}}"#, "root.path"),
            (#"{"ociVersion":"1.0.0","mounts":[{"type":"proc"}]}"#, "mounts[0].destination"),
            (#"{"ociVersion":"1.0.0","linux":{"namespaces":[{"path":"/x"}]}}"#, "linux.namespaces[0].type"),
            (#"{"ociVersion":"1.0.0","linux":{"uidMappings":[{"containerID":0,"hostID":1}]}}"#, "linux.uidMappings[0].size"),
            (#"{"ociVersion":"1.0.0","linux":{"seccomp":{}}}"#, "linux.seccomp.defaultAction"),
            (#"{"ociVersion":"1.0.0","hooks":{"poststop":[{"args":[]}]}}"#, "hooks.poststop[0].path"),
            (#"{"ociVersion":"1.0.0","process":{"cwd":"/","user":{"uid":0,"gid":0},"rlimits":[{"type":"RLIMIT_CPU","hard":1}]}}"#, "process.rlimits[0].soft"),
        ]
        for (json, path) in cases {
            XCTAssertThrowsError(try Spec.decode(Array(json.utf8)), json) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("config.json: "), text)
                XCTAssertTrue(text.contains(path), "\(text) should name \(path)")
            }
        }
    }

    func testStateCodable() throws {
        let st = State(ociVersion: "1.3.0", id: "c1", status: "running", pid: 42, bundle: "/b",
                       annotations: ["k": "v"])
        XCTAssertEqual(try JSON.decode(State.self, from: try JSON.encode(st)), st)
        let stopped = State(ociVersion: "1.3.0", id: "c1", status: "stopped", bundle: "/b")
        let text = String(decoding: try JSON.encode(stopped), as: UTF8.self)
        XCTAssertFalse(text.contains("pid"), text)
    }

    func testRuncStateKeyOrder() throws {
        let st = RuncState(ociVersion: "1.3.0", id: "c1", pid: 42, status: "running", bundle: "/b",
                           rootfs: "/b/rootfs", created: "2024-01-02T03:04:05.123456789Z",
                           annotations: ["k": "v"], owner: "")
        let text = String(decoding: try JSON.encode(st), as: UTF8.self)
        let keys = ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"]
        let positions = keys.map { key -> Int in
            guard let r = text.range(of: "\"\(key)\"") else { XCTFail("\(key) missing in \(text)"); return -1 }
            return text.distance(from: text.startIndex, to: r.lowerBound)
        }
        XCTAssertEqual(positions, positions.sorted(), text)
        XCTAssertEqual(try JSON.decode(RuncState.self, from: Array(text.utf8)), st)
    }

    func testFeaturesCodable() throws {
        let f = Features(
            ociVersionMin: "1.0.0", ociVersionMax: "1.3.0",
            hooks: SpecNames.hooks, mountOptions: ["bind", "rbind", "ro", "rro"],
            linux: Features.Linux(
                namespaces: NamespaceNames.all, capabilities: ["CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"],
                cgroup: Features.Cgroup(v1: false, v2: true, systemd: false, systemdUser: false, rdma: true),
                seccomp: Features.Seccomp(enabled: true, actions: SeccompNames.actions, operators: SeccompNames.operators,
                                          archs: SeccompNames.architectures, knownFlags: SeccompNames.flags,
                                          supportedFlags: ["SECCOMP_FILTER_FLAG_LOG"]),
                apparmor: Features.Apparmor(enabled: false), selinux: Features.Selinux(enabled: false),
                intelRdt: Features.IntelRdt(enabled: false, schemata: true),
                memoryPolicy: Features.MemoryPolicy(modes: ["MPOL_DEFAULT", "MPOL_BIND"], flags: ["MPOL_F_STATIC_NODES"]),
                mountExtensions: Features.MountExtensions(idmap: Features.IDMap(enabled: true)),
                netDevices: Features.NetDevices(enabled: true)),
            annotations: ["org.opencontainers.runc.version": "x"],
            potentiallyUnsafeConfigAnnotations: ["bundle", "org.systemd.property."])
        let bytes = try JSON.encode(f, pretty: true)
        XCTAssertEqual(try JSON.decode(Features.self, from: bytes), f)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("\"mountExtensions\""), text)
        XCTAssertTrue(text.contains("\"systemdUser\""), text)
    }
}
