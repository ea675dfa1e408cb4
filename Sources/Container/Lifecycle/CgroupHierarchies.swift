import Kernel

/// The cgroup hierarchies the host has mounted, read from mountinfo.
struct CgroupHierarchies {
    struct V1 {
        /// The directory name under /sys/fs/cgroup (`cpu,cpuacct`, `memory`, `systemd`).
        let name: String
        let mountPoint: String
        /// The controller list as a mount option (`cpu,cpuacct`, `name=systemd`).
        let options: String
    }

    var v1: [V1] = []
    var unifiedMountPoint: String?
    var isPureV2 = false

    static func host() -> CgroupHierarchies {
        from((try? MountInfo.read(mountPointsUnder: "/sys/fs/cgroup")) ?? [])
    }

    /// From mountinfo's entries under /sys/fs/cgroup.
    static func from(_ entries: [MountInfoEntry]) -> CgroupHierarchies {
        var h = CgroupHierarchies()
        for e in entries where e.mountPoint.hasPrefix("/sys/fs/cgroup") {
            if e.fsType == "cgroup2" {
                if e.mountPoint == "/sys/fs/cgroup" { h.isPureV2 = true } else { h.unifiedMountPoint = e.mountPoint }
            } else if e.fsType == "cgroup" {
                let known: [Substring] = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                                          "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"]
                // Appended by hand: `joined` is generic code the standard library does not specialise,
                // whose first call (in every create's init stage and every exec) looks up metadata by name.
                var options = ""
                for opt in e.superOptions.split(separator: ",") where known.contains(opt) || opt.hasPrefix("name=") {
                    if !options.isEmpty { options += "," }
                    options += String(opt)  // (appending a Substring is generic code too)
                }
                guard !options.isEmpty else { continue }
                let name = e.mountPoint.split(separator: "/").last.map(String.init) ?? ""
                h.v1.append(V1(name: name, mountPoint: e.mountPoint, options: options))
            }
        }
        return h
    }
}
