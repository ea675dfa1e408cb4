import Container
import JSON
import Kernel
import RuntimeSpec

/// What this build of swiftlet implements, in the shape of runtime-spec's features.md.
enum Features {
    static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }

    /// The actions, architectures and flags this kernel and libseccomp accept, probed (no filter is
    /// installed: seccomp(2) is asked with SECCOMP_GET_ACTION_AVAIL and with a NULL program).
    static func seccomp() -> JSONValue {
        let actions: [(String, UInt32)] = [
            ("SCMP_ACT_ALLOW", Seccomp.Action.allow), ("SCMP_ACT_ERRNO", Seccomp.Action.errno(0)),
            ("SCMP_ACT_KILL", Seccomp.Action.killThread), ("SCMP_ACT_KILL_PROCESS", Seccomp.Action.killProcess),
            ("SCMP_ACT_KILL_THREAD", Seccomp.Action.killThread), ("SCMP_ACT_LOG", Seccomp.Action.log),
            ("SCMP_ACT_NOTIFY", Seccomp.Action.notify), ("SCMP_ACT_TRACE", Seccomp.Action.trace(0)),
            ("SCMP_ACT_TRAP", Seccomp.Action.trap),
        ]
        let flags: [(String, UInt32)] = [
            ("SECCOMP_FILTER_FLAG_TSYNC", Seccomp.Flag.tsync), ("SECCOMP_FILTER_FLAG_LOG", Seccomp.Flag.log),
            ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", Seccomp.Flag.specAllow),
            ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", Seccomp.Flag.waitKillableRecv | Seccomp.Flag.newListener),
        ]
        return .object([
            ("enabled", .bool(true)),
            ("actions", strings(actions.filter { Seccomp.actionAvailable($0.1) }.map(\.0))),
            ("operators", strings(SeccompNames.operators.sorted())),
            ("archs", strings(SeccompNames.architectures.filter { Seccomp.archToken(specName: $0) != nil }.sorted())),
            ("knownFlags", strings(SeccompNames.flags)),
            ("supportedFlags", strings(flags.filter { Seccomp.flagsSupported($0.1) }.map(\.0))),
        ])
    }

    /// The set_mempolicy(2) modes and flags this kernel accepts, probed on this (short-lived)
    /// process with node 0 and reset to MPOL_DEFAULT afterwards.
    static func memoryPolicy() -> JSONValue {
        let nodes = [MemoryPolicy.nodesWithMemory().first ?? 0]
        func works(_ mode: String, _ flags: [String] = []) -> Bool {
            guard let m = MemoryPolicy.modes.first(where: { $0.name == mode })?.number else { return false }
            let f = MemoryPolicy.flags.filter { flags.contains($0.name) }.reduce(Int32(0)) { $0 | $1.bit }
            let needsNoNodes = mode == "MPOL_DEFAULT" || mode == "MPOL_LOCAL"
            defer { try? MemoryPolicy.set(mode: 0, flags: 0, nodes: []) }
            return (try? MemoryPolicy.set(mode: m, flags: f, nodes: needsNoNodes ? [] : nodes)) != nil
        }
        let modes = MemoryPolicy.modes.map(\.name).filter { works($0) }
        let flags = MemoryPolicy.flags.map(\.name).filter {
            works($0 == "MPOL_F_NUMA_BALANCING" ? "MPOL_BIND" : "MPOL_INTERLEAVE", [$0])
        }
        return .object([("modes", strings(modes)), ("flags", strings(flags))])
    }

    static func current() -> JSONValue {
        let rdt = IntelRdtProbe.mounted
        // Every option the mount code applies.
        let mountOptions = MountPlan.knownOptions
        let caps = Capabilities.named.filter { Int($0.number) <= Capabilities.lastCap }.map(\.name)
        return .object([
            ("ociVersionMin", .string("1.0.0")),
            ("ociVersionMax", .string("1.3.0")),
            ("hooks", strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                               "poststop"])),
            ("mountOptions", strings(mountOptions)),
            ("linux", .object([
                ("namespaces", strings(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])),
                ("capabilities", strings(caps)),
                ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(true)),
                                    ("systemdUser", .bool(false)), ("rdma", .bool(true))])),
                ("seccomp", seccomp()),
                // What works on this host: an LSM that is on, a mounted resctrl.
                ("apparmor", .object([("enabled", .bool(Lsm.apparmorEnabled))])),
                ("selinux", .object([("enabled", .bool(Lsm.selinuxEnabled))])),
                ("intelRdt", .object([("enabled", .bool(rdt)), ("schemata", .bool(rdt))])),
                ("netDevices", .object([("enabled", .bool(Netlink.index(of: "lo") != nil))])),
                ("memoryPolicy", memoryPolicy()),
                // ID-mapped bind mounts need mount_setattr(2) (Linux 5.12).
                ("mountExtensions", .object([("idmap", .object([("enabled", .bool(MountAPI.available))]))])),
            ])),
            ("annotations", .object([
                ("org.opencontainers.runtime-spec.features.swiftlet.version", .string(swiftletVersion)),
            ])),
        ])
    }
}

/// Whether a resctrl filesystem is mounted (Intel RDT / AMD QoS usable).
enum IntelRdtProbe {
    static var mounted: Bool { ((try? MountInfo.read()) ?? []).contains { $0.fsType == "resctrl" } }
}
