import Glibc
import CShim

/// sched_setattr(2), ioprio_set(2), sched_setaffinity(2) and personality(2) on the calling process
/// (or `pid`).
public enum Sched {
    public struct Attributes: Equatable, Sendable {
        public var policy: UInt32
        public var flags: UInt64 = 0
        public var nice: Int32 = 0
        public var priority: UInt32 = 0
        public var runtime: UInt64 = 0
        public var deadline: UInt64 = 0
        public var period: UInt64 = 0
        public init(policy: UInt32) { self.policy = policy }
    }

    /// sched_setattr(2) policies by name (linux/sched.h). SCHED_ISO is the number the kernel
    /// reserves for it without implementing it (sched_setattr refuses it with EINVAL).
    public static let policies: [(name: String, number: UInt32)] = [
        ("SCHED_OTHER", UInt32(SCHED_OTHER)), ("SCHED_FIFO", UInt32(SCHED_FIFO)), ("SCHED_RR", UInt32(SCHED_RR)),
        ("SCHED_BATCH", UInt32(SCHED_BATCH)), ("SCHED_ISO", 4), ("SCHED_IDLE", UInt32(SCHED_IDLE)),
        ("SCHED_DEADLINE", UInt32(SCHED_DEADLINE)),
    ]

    /// sched_attr flags by name (linux/sched.h).
    public static let flags: [(name: String, bit: UInt64)] = [
        ("SCHED_FLAG_RESET_ON_FORK", UInt64(SCHED_FLAG_RESET_ON_FORK)), ("SCHED_FLAG_RECLAIM", UInt64(SCHED_FLAG_RECLAIM)),
        ("SCHED_FLAG_DL_OVERRUN", UInt64(SCHED_FLAG_DL_OVERRUN)), ("SCHED_FLAG_KEEP_POLICY", UInt64(SCHED_FLAG_KEEP_POLICY)),
        ("SCHED_FLAG_KEEP_PARAMS", UInt64(SCHED_FLAG_KEEP_PARAMS)),
        ("SCHED_FLAG_UTIL_CLAMP_MIN", UInt64(SCHED_FLAG_UTIL_CLAMP_MIN)),
        ("SCHED_FLAG_UTIL_CLAMP_MAX", UInt64(SCHED_FLAG_UTIL_CLAMP_MAX)),
    ]

    /// ioprio_set(2) classes by name (linux/ioprio.h).
    public static let ioPriorityClasses: [(name: String, number: Int32)] = [
        ("IOPRIO_CLASS_RT", Int32(IOPRIO_CLASS_RT)), ("IOPRIO_CLASS_BE", Int32(IOPRIO_CLASS_BE)),
        ("IOPRIO_CLASS_IDLE", Int32(IOPRIO_CLASS_IDLE)),
    ]

    public static func setAttributes(_ a: Attributes, pid: pid_t = 0) throws {
        try sys("sched_setattr", "policy \(a.policy)") {
            cs_sched_setattr(pid, a.policy, a.flags, a.nice, a.priority, a.runtime, a.deadline, a.period)
        }
    }

    /// `ioClass`: one of `ioPriorityClasses`; `level` 0...7.
    public static func setIOPriority(ioClass: Int32, level: Int32, pid: pid_t = 0) throws {
        try sys("ioprio_set", "class \(ioClass) level \(level)") { cs_ioprio_set(pid, ioClass, level) }
    }

    /// Restricts `pid` (0: the caller) to the CPUs listed.
    public static func setAffinity(cpus: [Int], pid: pid_t = 0) throws {
        let top = (cpus.max() ?? 0)
        var mask = [UInt8](repeating: 0, count: top / 8 + 1)
        for c in cpus where c >= 0 { mask[c / 8] |= 1 << UInt8(c % 8) }
        try sys("sched_setaffinity", "\(pid)") { cs_sched_setaffinity(pid, mask, mask.count) }
    }

    /// personality(2) execution domains by the spec's name for them (sys/personality.h).
    public static let personalityDomains: [(name: String, persona: UInt)] = [
        ("LINUX", UInt(PER_LINUX)), ("LINUX32", UInt(PER_LINUX32)),
    ]

    /// personality(2): the execution domain, one of `personalityDomains`.
    public static func setPersonality(_ persona: UInt) throws {
        try sys("personality", "0x\(String(persona, radix: 16))") { cs_personality(persona) }
    }

    /// The CPUs the kernel has (possible ones), from /sys/devices/system/cpu/possible.
    public static func possibleCPUs() -> [Int] {
        guard let text = try? readTextFile(path: "/sys/devices/system/cpu/possible") else { return [] }
        return expandList(text)
    }

    /// "0-3,7" → [0, 1, 2, 3, 7] (malformed parts are skipped: for kernel-written lists).
    public static func expandList(_ text: String) -> [Int] {
        var out: [Int] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let ends = part.split(separator: "-")
            guard let lo = ends.first.flatMap({ Int($0) }) else { continue }
            let hi = ends.count > 1 ? Int(ends[1]) ?? lo : lo
            if hi >= lo { out += Array(lo...hi) }
        }
        return out
    }
}

/// set_mempolicy(2) for the calling thread (kept across fork and execve).
public enum MemoryPolicy {
    /// Modes by name (linux/mempolicy.h). MPOL_WEIGHTED_INTERLEAVE (Linux 6.9) follows
    /// MPOL_PREFERRED_MANY; the uapi headers of Debian 12 predate it.
    public static let modes: [(name: String, number: Int32)] = [
        ("MPOL_DEFAULT", Int32(MPOL_DEFAULT)), ("MPOL_PREFERRED", Int32(MPOL_PREFERRED)), ("MPOL_BIND", Int32(MPOL_BIND)),
        ("MPOL_INTERLEAVE", Int32(MPOL_INTERLEAVE)), ("MPOL_LOCAL", Int32(MPOL_LOCAL)),
        ("MPOL_PREFERRED_MANY", Int32(MPOL_PREFERRED_MANY)), ("MPOL_WEIGHTED_INTERLEAVE", Int32(MPOL_PREFERRED_MANY) + 1),
    ]

    /// Mode flags by name (linux/mempolicy.h).
    public static let flags: [(name: String, bit: Int32)] = [
        ("MPOL_F_NUMA_BALANCING", Int32(MPOL_F_NUMA_BALANCING)), ("MPOL_F_RELATIVE_NODES", Int32(MPOL_F_RELATIVE_NODES)),
        ("MPOL_F_STATIC_NODES", Int32(MPOL_F_STATIC_NODES)),
    ]

    /// `mode` MPOL_* number, `flags` MPOL_F_* bits, `nodes` NUMA node numbers.
    public static func set(mode: Int32, flags: Int32, nodes: [Int]) throws {
        let bits = 64
        let top = nodes.max() ?? -1
        var mask = [UInt](repeating: 0, count: max(1, top / bits + 1))
        for n in nodes where n >= 0 { mask[n / bits] |= 1 << UInt(n % bits) }
        // maxnode counts bits and the kernel reads maxnode-1 of them: one more than we use.
        let maxnode = nodes.isEmpty ? 0 : UInt(mask.count * bits + 1)
        let r: Int = mask.withUnsafeBufferPointer { p in
            cs_set_mempolicy(mode | flags, nodes.isEmpty ? nil : p.baseAddress, maxnode)
        }
        if r != 0 { throw SysError("set_mempolicy", "mode \(mode) flags 0x\(String(flags, radix: 16)) nodes \(nodes)") }
    }

    /// The NUMA nodes that have memory, from /sys/devices/system/node/has_memory (["0"] without NUMA).
    public static func nodesWithMemory() -> [Int] {
        guard let text = try? readTextFile(path: "/sys/devices/system/node/has_memory") else { return [0] }
        return Sched.expandList(text)
    }
}
