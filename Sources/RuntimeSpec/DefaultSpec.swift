// The starter configuration written by the `spec` command (mirrors `runc spec`).

import Glibc

public extension Spec {
    /// The runtime-spec version this module implements.
    static let version = "1.3.0"

    /// The configuration `runc spec` writes (with hostname "swiftlet"), or with
    /// `rootless` the one of `runc spec --rootless`: a user namespace mapping
    /// the current euid/egid to root, no network namespace, /sys bind-mounted
    /// from the host, no uid=/gid= mount options and no cgroup resources.
    static func defaultSpec(rootless: Bool) -> Spec {
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        var spec = Spec(
            ociVersion: Spec.version,
            process: Process(
                terminal: true,
                user: User(uid: 0, gid: 0),
                args: ["sh"],
                env: [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm",
                ],
                cwd: "/",
                capabilities: LinuxCapabilities(bounding: caps, effective: caps, permitted: caps),
                rlimits: [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)],
                noNewPrivileges: true
            ),
            root: Root(path: "rootfs", readonly: true),
            hostname: "swiftlet",
            mounts: [
                Mount(destination: "/proc", type: "proc", source: "proc"),
                Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                      options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
                Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
                Mount(destination: "/dev/shm", type: "tmpfs", source: "shm",
                      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
                Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
                      options: ["nosuid", "noexec", "nodev"]),
                Mount(destination: "/sys", type: "sysfs", source: "sysfs",
                      options: ["nosuid", "noexec", "nodev", "ro"]),
                Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                      options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
            ],
            linux: Linux(
                resources: LinuxResources(devices: [LinuxDeviceCgroup(allow: false, access: "rwm")]),
                namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup"].map { LinuxNamespace(type: $0) },
                maskedPaths: [
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                ],
                readonlyPaths: [
                    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                ]
            )
        )
        if rootless { spec.makeRootless(uid: geteuid(), gid: getegid()) }
        return spec
    }

    /// Converts this configuration for a rootless container (runc's ToRootless):
    /// drops the network namespace, adds a user namespace mapping `uid`/`gid`
    /// to 0, replaces /sys by a read-only rbind of the host's, removes uid=/gid=
    /// mount options and drops `linux.resources`.
    mutating func makeRootless(uid: UInt32, gid: UInt32) {
        var linux = self.linux ?? Linux()
        var namespaces = (linux.namespaces ?? []).filter { $0.type != "network" && $0.type != "user" }
        namespaces.append(LinuxNamespace(type: "user"))
        linux.namespaces = namespaces
        linux.uidMappings = [LinuxIDMapping(containerID: 0, hostID: uid, size: 1)]
        linux.gidMappings = [LinuxIDMapping(containerID: 0, hostID: gid, size: 1)]
        linux.resources = nil
        self.linux = linux

        guard let mounts = self.mounts else { return }
        self.mounts = mounts.map { m in
            if cleanPath(m.destination) == "/sys" {
                return Mount(destination: "/sys", type: "none", source: "/sys",
                             options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
            }
            var m = m
            if let opts = m.options {
                let kept = opts.filter { !$0.hasPrefix("uid=") && !$0.hasPrefix("gid=") }
                m.options = kept.isEmpty ? nil : kept
            }
            return m
        }
    }
}

/// Lexically cleans an absolute or relative path (like Go's filepath.Clean).
public func cleanPath(_ path: String) -> String {
    if path.isEmpty { return "." }
    let absolute = path.hasPrefix("/")
    var parts: [Substring] = []
    for comp in path.split(separator: "/", omittingEmptySubsequences: true) {
        if comp == "." { continue }
        if comp == ".." {
            if let last = parts.last, last != ".." {
                parts.removeLast()
            } else if !absolute {
                parts.append(comp)
            }
            continue
        }
        parts.append(comp)
    }
    let joined = parts.joined(separator: "/")
    if absolute { return "/" + joined }
    return joined.isEmpty ? "." : joined
}
