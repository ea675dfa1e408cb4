import JSON
import Kernel
import RuntimeSpec

/// What this build of swiftlet implements, in the shape of runtime-spec's features.md.
enum Features {
    static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }

    static func current() -> JSONValue {
        let mountOptions = ["async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
                            "lazytime", "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime",
                            "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
                            "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave",
                            "runbindable", "rw", "shared", "slave", "strictatime", "suid", "symfollow",
                            "sync", "unbindable", "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev",
                            "rnoexec", "rexec", "rnoatime", "ratime", "rrelatime", "rnorelatime",
                            "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow"]
        let caps = CapabilityNames.all.filter { (CapabilityNames.number(of: $0) ?? 99) <= Capabilities.lastCap }
        return .object([
            ("ociVersionMin", .string("1.0.0")),
            ("ociVersionMax", .string("1.3.0")),
            ("hooks", strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                               "poststop"])),
            ("mountOptions", strings(mountOptions.sorted())),
            ("linux", .object([
                ("namespaces", strings(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])),
                ("capabilities", strings(caps)),
                ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(false)),
                                    ("systemdUser", .bool(false)), ("rdma", .bool(true))])),
                ("seccomp", .object([("enabled", .bool(false))])),
                ("apparmor", .object([("enabled", .bool(false))])),
                ("selinux", .object([("enabled", .bool(false))])),
                ("intelRdt", .object([("enabled", .bool(false))])),
                ("mountExtensions", .object([("idmap", .object([("enabled", .bool(false))]))])),
            ])),
            ("annotations", .object([
                ("org.opencontainers.runtime-spec.features.swiftlet.version", .string(swiftletVersion)),
            ])),
        ])
    }
}
