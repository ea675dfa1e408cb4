import Kernel

/// The cgroup hierarchies mounted under /sys/fs/cgroup, as a container's cgroup mount reproduces them.
struct CgroupHierarchies {
    struct V1 {
        /// The directory name under /sys/fs/cgroup (`cpu,cpuacct`, `memory`, `systemd`).
        let name: String
        let mountPoint: String
        /// The controller list as a mount option (`cpu,cpuacct`, `name=systemd`).
        let options: String
        /// Which cgroup of the hierarchy the mount shows (mountinfo's root field: `/` for the whole).
        var root = "/"
    }

    var v1: [V1] = []
    var unifiedMountPoint: String?
    /// The mountinfo roots of the cgroup2 mounts at `unifiedMountPoint` and at /sys/fs/cgroup.
    var unifiedRoot = "/"
    var pureV2Root = "/"
    var isPureV2 = false

    static func host() -> CgroupHierarchies {
        from((try? MountInfo.read(mountPointsUnder: "/sys/fs/cgroup")) ?? [])
    }

    /// From mountinfo's entries under /sys/fs/cgroup.
    static func from(_ entries: [MountInfoEntry]) -> CgroupHierarchies {
        var h = CgroupHierarchies()
        for e in entries where e.mountPoint.hasPrefix("/sys/fs/cgroup") {
            if e.fsType == "cgroup2" {
                if e.mountPoint == "/sys/fs/cgroup" {
                    h.isPureV2 = true
                    h.pureV2Root = e.root
                } else {
                    h.unifiedMountPoint = e.mountPoint
                    h.unifiedRoot = e.root
                }
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
                h.v1.append(V1(name: name, mountPoint: e.mountPoint, options: options, root: e.root))
            }
        }
        return h
    }

    /// The directory, below `mountPoint`, of the cgroup `own` (a /proc/self/cgroup path) in a
    /// hierarchy mounted there showing the cgroup `root`; nil when that mount does not show it (a
    /// mount of another cgroup namespace's, or of a cgroup the process is not under).
    static func directory(ofCgroup own: String, mountPoint: String, root: String) -> String? {
        guard own.hasPrefix("/"), root.hasPrefix("/"), !own.split(separator: "/").contains("..") else { return nil }
        if root == "/" { return own == "/" ? mountPoint : mountPoint + own }
        if own == root { return mountPoint }
        guard own.hasPrefix(root + "/") else { return nil }
        return mountPoint + own.dropFirst(root.count)
    }
}
