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

    static func current() -> JSONValue {
        // Every option the mount code applies (tmpcopyup is parsed but not implemented: left out).
        let mountOptions = MountOptions.knownOptions.filter { $0 != "tmpcopyup" }
        let caps = CapabilityNames.all.filter { (CapabilityNames.number(of: $0) ?? 99) <= Capabilities.lastCap }
        return .object([
            ("ociVersionMin", .string("1.0.0")),
            ("ociVersionMax", .string("1.3.0")),
            ("hooks", strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                               "poststop"])),
            ("mountOptions", strings(mountOptions)),
            ("linux", .object([
                ("namespaces", strings(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])),
                ("capabilities", strings(caps)),
                ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(false)),
                                    ("systemdUser", .bool(false)), ("rdma", .bool(true))])),
                ("seccomp", seccomp()),
                ("apparmor", .object([("enabled", .bool(false))])),
                ("selinux", .object([("enabled", .bool(false))])),
                ("intelRdt", .object([("enabled", .bool(false))])),
                // ID-mapped bind mounts need mount_setattr(2) (Linux 5.12).
                ("mountExtensions", .object([("idmap", .object([("enabled", .bool(MountAPI.available))]))])),
            ])),
            ("annotations", .object([
                ("org.opencontainers.runtime-spec.features.swiftlet.version", .string(swiftletVersion)),
            ])),
        ])
    }
}
