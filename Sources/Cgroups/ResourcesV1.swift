import Glibc
import Kernel
import RuntimeSpec

/// linux.resources onto v1 controller files.
enum ResourcesV1 {
    static func need(_ paths: [String: String], _ controller: String, _ field: String) throws -> String {
        guard let d = paths[controller] else {
            throw CgroupError("\(field): the host has no \(controller) cgroup controller mounted")
        }
        return d
    }

    static func apply(_ r: LinuxResources, paths: [String: String], update: Bool) throws {
        if let m = r.memory { try memory(m, paths, update: update) }
        if let c = r.cpu { try cpu(c, paths) }
        if let p = r.pids, let limit = p.limit {
            let d = try need(paths, "pids", "linux.resources.pids.limit")
            try CgroupFS.write(d, "pids.max", limit > 0 ? "\(limit)" : "max", field: "linux.resources.pids.limit")
        }
        if let b = r.blockIO { try blockIO(b, paths) }
        for (i, h) in (r.hugepageLimits ?? []).enumerated() {
            let field = "linux.resources.hugepageLimits[\(i)]"
            let d = try need(paths, "hugetlb", field)
            try CgroupFS.write(d, "hugetlb.\(h.pageSize).limit_in_bytes", "\(h.limit)", field: field)
            let rsvd = "hugetlb.\(h.pageSize).rsvd.limit_in_bytes"
            if fileExists(d + "/" + rsvd) { try CgroupFS.write(d, rsvd, "\(h.limit)", field: field) }
        }
        if let n = r.network {
            if let id = n.classID {
                let d = try need(paths, "net_cls", "linux.resources.network.classID")
                try CgroupFS.write(d, "net_cls.classid", "\(id)", field: "linux.resources.network.classID")
            }
            for (i, p) in (n.priorities ?? []).enumerated() {
                let field = "linux.resources.network.priorities[\(i)]"
                let d = try need(paths, "net_prio", field)
                try CgroupFS.write(d, "net_prio.ifpriomap", "\(p.name) \(p.priority)", field: field)
            }
        }
        for (dev, l) in (r.rdma ?? [:]).sorted(by: { $0.key < $1.key }) {
            let field = "linux.resources.rdma.\(dev)"
            let d = try need(paths, "rdma", field)
            try CgroupFS.write(d, "rdma.max", Rdma.line(dev, l), field: field)
        }
        if let u = r.unified, !u.isEmpty {
            throw CgroupError("linux.resources.unified: needs cgroup v2, and this host's cgroups are v1")
        }
        // Devices are set up once, at create; `update` leaves them alone (as runc does).
        if !update {
            try applyDevices(try DeviceRules.effective(r.devices ?? []), paths)
        }
    }

    static func memory(_ m: LinuxMemory, _ paths: [String: String], update: Bool) throws {
        let any = m.limit != nil || m.reservation != nil || m.swap != nil || m.swappiness != nil
            || m.disableOOMKiller == true || m.kernel != nil || m.kernelTCP != nil
        guard any else { return }
        let d = try need(paths, "memory", "linux.resources.memory")
        if let limit = m.limit, update, m.checkBeforeUpdate == true, limit > 0,
           let usage = CgroupFS.readUInt(d + "/memory.usage_in_bytes"), UInt64(limit) < usage {
            throw CgroupError("linux.resources.memory.limit: \(limit) is below the current usage \(usage) (checkBeforeUpdate)")
        }
        func v(_ x: Int64) -> String { x < 0 ? "-1" : "\(x)" }
        // memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at every step: set in the
        // order that keeps it so.
        if let swap = m.swap, swap != 0 {
            guard fileExists(d + "/memory.memsw.limit_in_bytes") else {
                throw CgroupError("linux.resources.memory.swap: the host has no swap accounting (memory.memsw.limit_in_bytes is missing)")
            }
            let curSwap = CgroupFS.readUInt(d + "/memory.memsw.limit_in_bytes") ?? UInt64.max
            let growing = swap < 0 || UInt64(swap) > curSwap
            if growing {
                try CgroupFS.write(d, "memory.memsw.limit_in_bytes", v(swap), field: "linux.resources.memory.swap")
                if let l = m.limit, l != 0 { try CgroupFS.write(d, "memory.limit_in_bytes", v(l), field: "linux.resources.memory.limit") }
            } else {
                if let l = m.limit, l != 0 { try CgroupFS.write(d, "memory.limit_in_bytes", v(l), field: "linux.resources.memory.limit") }
                try CgroupFS.write(d, "memory.memsw.limit_in_bytes", v(swap), field: "linux.resources.memory.swap")
            }
        } else if let l = m.limit, l != 0 {
            try CgroupFS.write(d, "memory.limit_in_bytes", v(l), field: "linux.resources.memory.limit")
            // -1 for the limit with swap unset: both unlimited, as runc does.
            if l == -1 && fileExists(d + "/memory.memsw.limit_in_bytes") {
                try CgroupFS.write(d, "memory.memsw.limit_in_bytes", "-1", field: "linux.resources.memory.swap")
            }
        }
        if let r = m.reservation, r != 0 {
            try CgroupFS.write(d, "memory.soft_limit_in_bytes", v(r), field: "linux.resources.memory.reservation")
        }
        if let s = m.swappiness {
            guard s <= 100 else {
                throw CgroupError("linux.resources.memory.swappiness: \(s) is out of range (0-100)")
            }
            try CgroupFS.write(d, "memory.swappiness", "\(s)", field: "linux.resources.memory.swappiness")
        }
        if m.disableOOMKiller == true {
            try CgroupFS.write(d, "memory.oom_control", "1", field: "linux.resources.memory.disableOOMKiller")
        }
        if let k = m.kernel, k != 0, fileExists(d + "/memory.kmem.limit_in_bytes") {
            try CgroupFS.write(d, "memory.kmem.limit_in_bytes", v(k), field: "linux.resources.memory.kernel")
        }
        if let k = m.kernelTCP, k != 0 {
            try CgroupFS.write(d, "memory.kmem.tcp.limit_in_bytes", v(k), field: "linux.resources.memory.kernelTCP")
        }
    }

    static func cpu(_ c: LinuxCPU, _ paths: [String: String]) throws {
        let usesCPU = c.shares != nil || c.quota != nil || c.period != nil || c.burst != nil || c.idle != nil
            || c.realtimePeriod != nil || c.realtimeRuntime != nil
        if usesCPU {
            let d = try need(paths, "cpu", "linux.resources.cpu")
            if let s = c.shares, s != 0 {
                try CgroupFS.write(d, "cpu.shares", "\(s)", field: "linux.resources.cpu.shares")
                // The kernel clamps silently: report a value it did not take.
                if let got = CgroupFS.readUInt(d + "/cpu.shares"), got != s {
                    throw CgroupError("linux.resources.cpu.shares: \(s) is out of range: the kernel set \(got)")
                }
            }
            // The period first, then the quota. The kernel checks each write against the other value
            // and the parent's limit (old quota / new period may exceed the parent's): a period it
            // refuses with EINVAL is written again after the quota, as runc does.
            var periodLeft: UInt64?
            if let p = c.period, p != 0 {
                if let q = c.quota, q != 0 {
                    let e = CgroupFS.tryWrite(d, "cpu.cfs_period_us", "\(p)")
                    if e == EINVAL { periodLeft = p } else if e != 0 {
                        try CgroupFS.write(d, "cpu.cfs_period_us", "\(p)", field: "linux.resources.cpu.period")
                    }
                } else {
                    try CgroupFS.write(d, "cpu.cfs_period_us", "\(p)", field: "linux.resources.cpu.period")
                }
            }
            if let q = c.quota, q != 0 {
                try CgroupFS.write(d, "cpu.cfs_quota_us", q < 0 ? "-1" : "\(q)", field: "linux.resources.cpu.quota")
            }
            if let p = periodLeft {
                try CgroupFS.write(d, "cpu.cfs_period_us", "\(p)", field: "linux.resources.cpu.period")
            }
            if let b = c.burst {
                try CgroupFS.write(d, "cpu.cfs_burst_us", "\(b)", field: "linux.resources.cpu.burst")
            }
            if let i = c.idle {
                try CgroupFS.write(d, "cpu.idle", "\(i)", field: "linux.resources.cpu.idle")
            }
            if let p = c.realtimePeriod, p != 0 {
                try CgroupFS.write(d, "cpu.rt_period_us", "\(p)", field: "linux.resources.cpu.realtimePeriod")
            }
            if let r = c.realtimeRuntime, r != 0 {
                try CgroupFS.write(d, "cpu.rt_runtime_us", "\(r)", field: "linux.resources.cpu.realtimeRuntime")
            }
        }
        if let cpus = c.cpus, !cpus.isEmpty {
            let d = try need(paths, "cpuset", "linux.resources.cpu.cpus")
            try CgroupFS.write(d, "cpuset.cpus", cpus, field: "linux.resources.cpu.cpus")
        }
        if let mems = c.mems, !mems.isEmpty {
            let d = try need(paths, "cpuset", "linux.resources.cpu.mems")
            try CgroupFS.write(d, "cpuset.mems", mems, field: "linux.resources.cpu.mems")
        }
    }

    static func blockIO(_ b: LinuxBlockIO, _ paths: [String: String]) throws {
        let used = b.weight != nil || b.leafWeight != nil || !(b.weightDevice ?? []).isEmpty
            || !(b.throttleReadBpsDevice ?? []).isEmpty || !(b.throttleWriteBpsDevice ?? []).isEmpty
            || !(b.throttleReadIOPSDevice ?? []).isEmpty || !(b.throttleWriteIOPSDevice ?? []).isEmpty
        guard used else { return }
        let d = try need(paths, "blkio", "linux.resources.blockIO")
        // CFQ's files, or BFQ's where the host schedules with BFQ: looked for only when a weight
        // is written (engines give weight 0, which writes nothing).
        var bfqFiles: Bool?
        func bfq() -> Bool {
            if let known = bfqFiles { return known }
            let found = !fileExists(d + "/blkio.weight") && fileExists(d + "/blkio.bfq.weight")
            bfqFiles = found
            return found
        }
        if let w = b.weight, w != 0 {
            try CgroupFS.write(d, bfq() ? "blkio.bfq.weight" : "blkio.weight", "\(w)", field: "linux.resources.blockIO.weight")
        }
        if let w = b.leafWeight, w != 0 {
            try CgroupFS.write(d, "blkio.leaf_weight", "\(w)", field: "linux.resources.blockIO.leafWeight")
        }
        for (i, wd) in (b.weightDevice ?? []).enumerated() {
            let field = "linux.resources.blockIO.weightDevice[\(i)]"
            if let w = wd.weight {
                try CgroupFS.write(d, bfq() ? "blkio.bfq.weight_device" : "blkio.weight_device",
                                   "\(wd.major):\(wd.minor) \(w)", field: field)
            }
            if let w = wd.leafWeight {
                try CgroupFS.write(d, "blkio.leaf_weight_device", "\(wd.major):\(wd.minor) \(w)", field: field)
            }
        }
        for (kind, field, t) in BlockIOThrottle.entries(b) {
            try CgroupFS.write(d, kind.v1File, "\(t.major):\(t.minor) \(t.rate)", field: field)
        }
    }

    static func applyDevices(_ rules: [DeviceRule], _ paths: [String: String]) throws {
        let d = try need(paths, "devices", "linux.resources.devices")
        // devices.allow and devices.deny kept open across the rules: a dozen of them on every create.
        var files = OwnedFDs<Bool>()
        func write(allow: Bool, _ line: String, field: String, files: inout OwnedFDs<Bool>) throws {
            let file = allow ? "devices.allow" : "devices.deny"
            if files[allow] == nil { files.insert(try CgroupFS.open(d, file, line, field: field), for: allow) }
            try CgroupFS.write(fd: files[allow]!, path: d + "/" + file, line, field: field)
        }
        // Start from nothing allowed, then the rules in order (a later rule overrides an earlier one).
        let startAllowAll = rules.first.map { $0.isAll && $0.allow } ?? false
        do {
            try write(allow: startAllowAll, "a", field: "linux.resources.devices", files: &files)
        } catch let e as CgroupError where e.errno == EPERM && Identity.inUserNamespace {
            // Only the initial user namespace's root may write device rules (the kernel checks
            // CAP_SYS_ADMIN there). A runtime in a user namespace leaves them as the new cgroup
            // inherited them: its parent's, the caller's own, which the container cannot go past.
            // runc skips them in a user namespace too.
            return
        }
        for r in DeviceRules.v1Writes(rules) {
            try write(allow: r.allow, r.v1Line,
                      field: r.index.map { "linux.resources.devices[\($0)]" } ?? "default device rule \(r.v1Line)",
                      files: &files)
        }
    }
}

enum Rdma {
    static func line(_ dev: String, _ l: LinuxRdma) -> String {
        var parts = [dev]
        if let h = l.hcaHandles { parts.append("hca_handle=\(h)") }
        if let o = l.hcaObjects { parts.append("hca_object=\(o)") }
        return parts.joined(separator: " ")
    }
}

/// The four blockIO throttle lists: one spec field each, one file each on v1, one key of io.max
/// each on v2.
struct BlockIOThrottle {
    let name: String
    let v1File: String
    let v2Key: String

    /// Every entry of `b`'s throttle lists, in the spec's order, with the field path an error names.
    static func entries(_ b: LinuxBlockIO) -> [(BlockIOThrottle, field: String, LinuxThrottleDevice)] {
        // Engines give none (a weight at most): then no list of lists is built, whose tuple and
        // array types' metadata each create instantiated (~10 µs of user CPU) for nothing.
        guard b.throttleReadBpsDevice?.isEmpty == false || b.throttleWriteBpsDevice?.isEmpty == false
            || b.throttleReadIOPSDevice?.isEmpty == false || b.throttleWriteIOPSDevice?.isEmpty == false else { return [] }
        let lists: [(BlockIOThrottle, [LinuxThrottleDevice]?)] = [
            (.init(name: "throttleReadBpsDevice", v1File: "blkio.throttle.read_bps_device", v2Key: "rbps"), b.throttleReadBpsDevice),
            (.init(name: "throttleWriteBpsDevice", v1File: "blkio.throttle.write_bps_device", v2Key: "wbps"), b.throttleWriteBpsDevice),
            (.init(name: "throttleReadIOPSDevice", v1File: "blkio.throttle.read_iops_device", v2Key: "riops"), b.throttleReadIOPSDevice),
            (.init(name: "throttleWriteIOPSDevice", v1File: "blkio.throttle.write_iops_device", v2Key: "wiops"), b.throttleWriteIOPSDevice),
        ]
        return lists.flatMap { kind, devices in
            (devices ?? []).enumerated().map { (kind, "linux.resources.blockIO.\(kind.name)[\($0.offset)]", $0.element) }
        }
    }
}
