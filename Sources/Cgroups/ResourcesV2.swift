import Glibc
import Kernel
import RuntimeSpec

/// linux.resources onto cgroup v2 files, with the spec's v1 → v2 conversions.
enum ResourcesV2 {
    static func controllers(_ dir: String) -> Set<String> {
        Set((CgroupFS.read(dir + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
    }

    static func need(_ dir: String, _ controller: String, _ field: String) throws {
        guard controllers(dir).contains(controller) else {
            throw CgroupError("\(field): the \(controller) controller is not available in the cgroup v2 hierarchy at \(dir) (cgroup.controllers lacks it)")
        }
    }

    /// cpu.shares (2..262144) → cpu.weight (1..10000): the quadratic mapping runc and crun use since
    /// 2025 (shares 1024 ↔ weight 100).
    public static func weight(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262144 { return 10000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return UInt64(ceil(pow(10, exponent)))
    }

    /// blkio weight (10..1000) → io.weight (1..10000). A weight outside 10..1000 is refused (it has
    /// no io.weight; below 10 the formula would go below zero: runc's wraps around and the kernel
    /// refuses the result). `field` names it in the error.
    public static func ioWeight(fromBlkio w: UInt64, field: String = "linux.resources.blockIO.weight") throws -> UInt64 {
        if w == 0 { return 0 }
        guard (10...1000).contains(w) else {
            throw CgroupError("\(field): \(w) is out of range 10...1000 (no cgroup v2 io.weight for it)")
        }
        return 1 + (w - 10) * 9999 / 990
    }

    /// The spec's swap is memory+swap (v1); v2's memory.swap.max is swap alone.
    static func swapMax(swap: Int64, limit: Int64) throws -> Int64 {
        // Below -1 means nothing (and swap - limit would overflow): `update -r` reaches here unchecked.
        if limit < -1 { throw CgroupError("linux.resources.memory.limit: \(limit) is negative (use -1 for unlimited)") }
        if swap < -1 { throw CgroupError("linux.resources.memory.swap: \(swap) is negative (use -1 for unlimited)") }
        if limit == -1 && swap == 0 { return -1 }
        if swap == -1 || swap == 0 { return swap }
        if limit == 0 || limit == -1 {
            throw CgroupError("linux.resources.memory.swap: cannot set a swap limit without a memory limit")
        }
        if swap < limit {
            throw CgroupError("linux.resources.memory.swap: \(swap) must be >= linux.resources.memory.limit (\(limit))")
        }
        return swap - limit
    }

    static func apply(_ r: LinuxResources, dir: String, update: Bool, devices: Bool = true) throws {
        if let m = r.memory { try memory(m, dir, update: update) }
        if let c = r.cpu { try cpu(c, dir) }
        if let p = r.pids, let limit = p.limit {
            try need(dir, "pids", "linux.resources.pids.limit")
            try CgroupFS.write(dir, "pids.max", limit > 0 ? "\(limit)" : "max", field: "linux.resources.pids.limit")
        }
        if let b = r.blockIO { try io(b, dir) }
        for (i, h) in (r.hugepageLimits ?? []).enumerated() {
            let field = "linux.resources.hugepageLimits[\(i)]"
            try need(dir, "hugetlb", field)
            try CgroupFS.write(dir, "hugetlb.\(h.pageSize).max", "\(h.limit)", field: field)
            let rsvd = "hugetlb.\(h.pageSize).rsvd.max"
            if fileExists(dir + "/" + rsvd) { try CgroupFS.write(dir, rsvd, "\(h.limit)", field: field) }
        }
        if let n = r.network, n.classID != nil || !(n.priorities ?? []).isEmpty {
            throw CgroupError("linux.resources.network: net_cls and net_prio do not exist on cgroup v2")
        }
        for (dev, l) in (r.rdma ?? [:]).sorted(by: { $0.key < $1.key }) {
            let field = "linux.resources.rdma.\(dev)"
            try need(dir, "rdma", field)
            try CgroupFS.write(dir, "rdma.max", Rdma.line(dev, l), field: field)
        }
        for (key, value) in (r.unified ?? [:]).sorted(by: { $0.key < $1.key }) {
            let field = "linux.resources.unified[\"\(key)\"]"
            guard !key.isEmpty, !key.contains("/"), key != ".", key != ".." else {
                throw CgroupError("\(field): not a cgroup file name")
            }
            if let dot = key.firstIndex(of: "."), !fileExists(dir + "/" + key) {
                let ctrl = String(key[..<dot])
                if ctrl != "cgroup" { try need(dir, ctrl, field) }
            }
            try CgroupFS.write(dir, key, value, field: field)
        }
        if devices && !update {
            let rules = try DeviceRules.effective(r.devices ?? [])
            do {
                try DeviceFilter.install(rules, dir: dir)
            } catch let e as CgroupError where e.errno == EPERM && Identity.inUserNamespace {
                throw DeviceFilterUnavailable(cause: e, rules: rules)
            }
        }
    }

    static func memory(_ m: LinuxMemory, _ dir: String, update: Bool) throws {
        let any = m.limit != nil || m.reservation != nil || m.swap != nil
        if m.swappiness != nil {
            throw CgroupError("linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness")
        }
        if m.disableOOMKiller == true {
            throw CgroupError("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer")
        }
        guard any else { return }
        try need(dir, "memory", "linux.resources.memory")
        if let limit = m.limit, update, m.checkBeforeUpdate == true, limit > 0,
           let usage = CgroupFS.readUInt(dir + "/memory.current"), UInt64(limit) < usage {
            throw CgroupError("linux.resources.memory.limit: \(limit) is below the current usage \(usage) (checkBeforeUpdate)")
        }
        func v(_ x: Int64) -> String { x < 0 ? "max" : "\(x)" }
        let limit = m.limit ?? 0
        let swap = try swapMax(swap: m.swap ?? 0, limit: limit)
        if swap != 0 {
            guard fileExists(dir + "/memory.swap.max") else {
                throw CgroupError("linux.resources.memory.swap: the host has no swap accounting (memory.swap.max is missing)")
            }
            try CgroupFS.write(dir, "memory.swap.max", v(swap), field: "linux.resources.memory.swap")
        }
        if limit != 0 { try CgroupFS.write(dir, "memory.max", v(limit), field: "linux.resources.memory.limit") }
        if let r = m.reservation, r != 0 {
            try CgroupFS.write(dir, "memory.low", v(r), field: "linux.resources.memory.reservation")
        }
    }

    static func cpu(_ c: LinuxCPU, _ dir: String) throws {
        if c.realtimePeriod != nil || c.realtimeRuntime != nil {
            throw CgroupError("linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no realtime cpu limits")
        }
        let usesCPU = c.shares != nil || c.quota != nil || c.period != nil || c.burst != nil || c.idle != nil
        if usesCPU {
            try need(dir, "cpu", "linux.resources.cpu")
            if let s = c.shares, s != 0 {
                try CgroupFS.write(dir, "cpu.weight", "\(weight(fromShares: s))", field: "linux.resources.cpu.shares")
            }
            if c.quota != nil || c.period != nil {
                // cpu.max is "quota period": keep what is there for the half not given.
                let cur = (CgroupFS.read(dir + "/cpu.max") ?? "max 100000").split(separator: " ")
                var quota = cur.first.map(String.init) ?? "max"
                var period = cur.count > 1 ? String(cur[1]) : "100000"
                if let q = c.quota, q != 0 { quota = q < 0 ? "max" : "\(q)" }
                if let p = c.period, p != 0 { period = "\(p)" }
                try CgroupFS.write(dir, "cpu.max", "\(quota) \(period)", field: "linux.resources.cpu.quota")
            }
            if let b = c.burst {
                try CgroupFS.write(dir, "cpu.max.burst", "\(b)", field: "linux.resources.cpu.burst")
            }
            if let i = c.idle {
                try CgroupFS.write(dir, "cpu.idle", "\(i)", field: "linux.resources.cpu.idle")
            }
        }
        if let cpus = c.cpus, !cpus.isEmpty {
            try need(dir, "cpuset", "linux.resources.cpu.cpus")
            try CgroupFS.write(dir, "cpuset.cpus", cpus, field: "linux.resources.cpu.cpus")
        }
        if let mems = c.mems, !mems.isEmpty {
            try need(dir, "cpuset", "linux.resources.cpu.mems")
            try CgroupFS.write(dir, "cpuset.mems", mems, field: "linux.resources.cpu.mems")
        }
    }

    static func io(_ b: LinuxBlockIO, _ dir: String) throws {
        let used = b.weight != nil || b.leafWeight != nil || !(b.weightDevice ?? []).isEmpty
            || !(b.throttleReadBpsDevice ?? []).isEmpty || !(b.throttleWriteBpsDevice ?? []).isEmpty
            || !(b.throttleReadIOPSDevice ?? []).isEmpty || !(b.throttleWriteIOPSDevice ?? []).isEmpty
        guard used else { return }
        try need(dir, "io", "linux.resources.blockIO")
        if let w = b.leafWeight, w != 0 {
            throw CgroupError("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight")
        }
        if let w = b.weight, w != 0 {
            if fileExists(dir + "/io.weight") {
                try CgroupFS.write(dir, "io.weight", "default \(try ioWeight(fromBlkio: UInt64(w)))",
                                   field: "linux.resources.blockIO.weight")
            } else {
                try CgroupFS.write(dir, "io.bfq.weight", "\(w)", field: "linux.resources.blockIO.weight")
            }
        }
        for (i, wd) in (b.weightDevice ?? []).enumerated() {
            if let w = wd.weight {
                try CgroupFS.write(dir, "io.bfq.weight", "\(wd.major):\(wd.minor) \(w)",
                                   field: "linux.resources.blockIO.weightDevice[\(i)]")
            }
        }
        for (kind, field, t) in BlockIOThrottle.entries(b) {
            try CgroupFS.write(dir, "io.max", "\(t.major):\(t.minor) \(kind.v2Key)=\(t.rate)", field: field)
        }
    }
}
