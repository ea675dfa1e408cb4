import Glibc
import JSON
import Kernel

/// What `events --stats` reports, shaped like runc's types.Stats.
public struct CgroupStats {
    public var cpuTotal: UInt64 = 0, cpuKernel: UInt64 = 0, cpuUser: UInt64 = 0
    public var percpu: [UInt64] = []
    public var periods: UInt64 = 0, throttledPeriods: UInt64 = 0, throttledTime: UInt64 = 0
    public var memUsage: UInt64 = 0, memMax: UInt64 = 0, memLimit: UInt64 = 0, memFailcnt: UInt64 = 0
    public var swapUsage: UInt64 = 0, swapLimit: UInt64 = 0
    public var cache: UInt64 = 0
    public var memRaw: [(String, UInt64)] = []
    public var pidsCurrent: UInt64 = 0, pidsLimit: UInt64 = 0
    public var hugetlb: [(String, UInt64, UInt64, UInt64)] = [] // size, usage, max, failcnt
    public var blkioServiceBytes: [(UInt64, UInt64, String, UInt64)] = []
    public var blkioServiced: [(UInt64, UInt64, String, UInt64)] = []
    /// OOM kills so far (memory.oom_control oom_kill, memory.events oom_kill).
    public var oomKills: UInt64 = 0

    static func n(_ v: UInt64) -> JSONValue { .number("\(v)") }

    /// runc's JSON: zero values of `omitempty` fields are left out.
    public var json: JSONValue {
        // JSONValue takes `nil` as .null: drop both (runc's omitempty).
        func obj(_ members: [(String, JSONValue?)]) -> JSONValue {
            .object(members.compactMap { k, v in
                guard let v, v != .null else { return nil }
                return (k, v)
            })
        }
        func opt(_ v: UInt64) -> JSONValue? { v == 0 ? nil : Stats.n(v) }
        func entry(_ limit: UInt64, _ usage: UInt64, _ max: UInt64, _ failcnt: UInt64) -> JSONValue {
            obj([("limit", Stats.n(limit)), ("usage", opt(usage)), ("max", opt(max)), ("failcnt", Stats.n(failcnt))])
        }
        func blk(_ list: [(UInt64, UInt64, String, UInt64)]) -> JSONValue? {
            list.isEmpty ? nil : .array(list.map { obj([("major", opt($0.0)), ("minor", opt($0.1)),
                                                         ("op", $0.2.isEmpty ? nil : .string($0.2)), ("value", opt($0.3))]) })
        }
        let cpu = obj([
            ("usage", obj([("total", opt(cpuTotal)), ("percpu", percpu.isEmpty ? nil : .array(percpu.map(Stats.n))),
                           ("kernel", Stats.n(cpuKernel)), ("user", Stats.n(cpuUser))])),
            ("throttling", obj([("periods", opt(periods)), ("throttledPeriods", opt(throttledPeriods)),
                                ("throttledTime", opt(throttledTime))])),
        ])
        let memory = obj([
            ("cache", opt(cache)),
            ("usage", entry(memLimit, memUsage, memMax, memFailcnt)),
            ("swap", entry(swapLimit, swapUsage, 0, 0)),
            ("kernel", entry(0, 0, 0, 0)),
            ("kernelTCP", entry(0, 0, 0, 0)),
            ("raw", memRaw.isEmpty ? nil : .object(memRaw.map { ($0.0, Stats.n($0.1)) })),
        ])
        return obj([
            ("cpu", cpu),
            ("cpuset", .object([])),
            ("memory", memory),
            ("pids", obj([("current", opt(pidsCurrent)), ("limit", opt(pidsLimit))])),
            ("blkio", obj([("ioServiceBytesRecursive", blk(blkioServiceBytes)),
                           ("ioServicedRecursive", blk(blkioServiced))])),
            ("hugetlb", .object(hugetlb.map { ($0.0, obj([("usage", opt($0.1)), ("max", opt($0.2)),
                                                           ("failcnt", Stats.n($0.3))])) })),
            ("intel_rdt", .object([])),
        ]).appending("network_interfaces", .null)
    }
}

enum Stats {
    static func n(_ v: UInt64) -> JSONValue { .number("\(v)") }

    static func unlimited(_ v: UInt64?) -> UInt64 {
        guard let v else { return 0 }
        return v
    }

    static func hugepageSizes() -> [String] {
        var out: [String] = []
        for d in ((try? listDirectory("/sys/kernel/mm/hugepages")) ?? []).sorted() where d.hasPrefix("hugepages-") {
            guard let kb = UInt64(d.dropFirst("hugepages-".count).dropLast(2)) else { continue }
            if kb >= 1024 * 1024 { out.append("\(kb / 1024 / 1024)GB") } else if kb >= 1024 { out.append("\(kb / 1024)MB") } else { out.append("\(kb)KB") }
        }
        return out
    }

    static func blkioList(_ path: String) -> [(UInt64, UInt64, String, UInt64)] {
        var out: [(UInt64, UInt64, String, UInt64)] = []
        for line in (CgroupFS.read(path) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, let v = UInt64(f[2]) else { continue }
            let mm = f[0].split(separator: ":")
            guard mm.count == 2, let ma = UInt64(mm[0]), let mi = UInt64(mm[1]) else { continue }
            out.append((ma, mi, String(f[1]), v))
        }
        return out
    }

    static func v1(_ paths: [String: String]) -> CgroupStats {
        var s = CgroupStats()
        if let d = paths["cpuacct"] {
            s.cpuTotal = CgroupFS.readUInt(d + "/cpuacct.usage") ?? 0
            s.percpu = (CgroupFS.read(d + "/cpuacct.usage_percpu") ?? "").split(separator: " ").compactMap { UInt64($0) }
            // cpuacct.stat is in USER_HZ ticks.
            let hz = Clock.ticksPerSecond
            s.cpuUser = (CgroupFS.keyed(d + "/cpuacct.stat", "user") ?? 0) * 1_000_000_000 / hz
            s.cpuKernel = (CgroupFS.keyed(d + "/cpuacct.stat", "system") ?? 0) * 1_000_000_000 / hz
        }
        if let d = paths["cpu"] {
            s.periods = CgroupFS.keyed(d + "/cpu.stat", "nr_periods") ?? 0
            s.throttledPeriods = CgroupFS.keyed(d + "/cpu.stat", "nr_throttled") ?? 0
            s.throttledTime = CgroupFS.keyed(d + "/cpu.stat", "throttled_time") ?? 0
        }
        if let d = paths["memory"] {
            s.memUsage = CgroupFS.readUInt(d + "/memory.usage_in_bytes") ?? 0
            s.memMax = CgroupFS.readUInt(d + "/memory.max_usage_in_bytes") ?? 0
            s.memLimit = CgroupFS.readUInt(d + "/memory.limit_in_bytes") ?? 0
            s.memFailcnt = CgroupFS.readUInt(d + "/memory.failcnt") ?? 0
            s.swapUsage = CgroupFS.readUInt(d + "/memory.memsw.usage_in_bytes") ?? 0
            s.swapLimit = CgroupFS.readUInt(d + "/memory.memsw.limit_in_bytes") ?? 0
            s.memRaw = CgroupFS.readKeyed(d + "/memory.stat")
            s.cache = s.memRaw.first { $0.0 == "cache" }?.1 ?? 0
            s.oomKills = CgroupFS.keyed(d + "/memory.oom_control", "oom_kill") ?? 0
        }
        if let d = paths["pids"] {
            s.pidsCurrent = CgroupFS.readUInt(d + "/pids.current") ?? 0
            let l = CgroupFS.readUInt(d + "/pids.max") ?? 0
            s.pidsLimit = l == UInt64.max ? 0 : l
        }
        if let d = paths["blkio"] {
            s.blkioServiceBytes = blkioList(d + "/blkio.throttle.io_service_bytes_recursive")
            s.blkioServiced = blkioList(d + "/blkio.throttle.io_serviced_recursive")
        }
        if let d = paths["hugetlb"] {
            for size in hugepageSizes() {
                s.hugetlb.append((size, CgroupFS.readUInt(d + "/hugetlb.\(size).usage_in_bytes") ?? 0,
                                  CgroupFS.readUInt(d + "/hugetlb.\(size).max_usage_in_bytes") ?? 0,
                                  CgroupFS.readUInt(d + "/hugetlb.\(size).failcnt") ?? 0))
            }
        }
        return s
    }

    static func v2(_ d: String) -> CgroupStats {
        var s = CgroupStats()
        let cpu = CgroupFS.readKeyed(d + "/cpu.stat")
        func k(_ list: [(String, UInt64)], _ key: String) -> UInt64 { list.first { $0.0 == key }?.1 ?? 0 }
        s.cpuTotal = k(cpu, "usage_usec") * 1000
        s.cpuUser = k(cpu, "user_usec") * 1000
        s.cpuKernel = k(cpu, "system_usec") * 1000
        s.periods = k(cpu, "nr_periods")
        s.throttledPeriods = k(cpu, "nr_throttled")
        s.throttledTime = k(cpu, "throttled_usec") * 1000
        s.memUsage = CgroupFS.readUInt(d + "/memory.current") ?? 0
        s.memMax = CgroupFS.readUInt(d + "/memory.peak") ?? 0
        let limit = CgroupFS.readUInt(d + "/memory.max") ?? 0
        s.memLimit = limit
        s.swapUsage = (CgroupFS.readUInt(d + "/memory.swap.current") ?? 0) + s.memUsage
        s.swapLimit = CgroupFS.readUInt(d + "/memory.swap.max") ?? 0
        s.memRaw = CgroupFS.readKeyed(d + "/memory.stat")
        s.cache = k(s.memRaw, "file")
        let events = CgroupFS.readKeyed(d + "/memory.events")
        s.memFailcnt = k(events, "max")
        s.oomKills = k(events, "oom_kill")
        s.pidsCurrent = CgroupFS.readUInt(d + "/pids.current") ?? 0
        let pl = CgroupFS.readUInt(d + "/pids.max") ?? 0
        s.pidsLimit = pl == UInt64.max ? 0 : pl
        for line in (CgroupFS.read(d + "/io.stat") ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let dev = f.first else { continue }
            let mm = dev.split(separator: ":")
            guard mm.count == 2, let ma = UInt64(mm[0]), let mi = UInt64(mm[1]) else { continue }
            for kv in f.dropFirst() {
                let p = kv.split(separator: "=")
                guard p.count == 2, let v = UInt64(p[1]) else { continue }
                switch p[0] {
                case "rbytes": s.blkioServiceBytes.append((ma, mi, "Read", v))
                case "wbytes": s.blkioServiceBytes.append((ma, mi, "Write", v))
                case "rios": s.blkioServiced.append((ma, mi, "Read", v))
                case "wios": s.blkioServiced.append((ma, mi, "Write", v))
                default: break
                }
            }
        }
        for size in hugepageSizes() where fileExists(d + "/hugetlb.\(size).current") {
            let max = CgroupFS.readUInt(d + "/hugetlb.\(size).max") ?? 0
            s.hugetlb.append((size, CgroupFS.readUInt(d + "/hugetlb.\(size).current") ?? 0,
                              max == UInt64.max ? 0 : max,
                              CgroupFS.keyed(d + "/hugetlb.\(size).events", "max") ?? 0))
        }
        return s
    }
}

extension JSONValue {
    func appending(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var m) = self else { return self }
        m.append((key, value))
        return .object(m)
    }
}
