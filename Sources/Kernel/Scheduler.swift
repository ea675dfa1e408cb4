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

    public static func setAttributes(_ a: Attributes, pid: pid_t = 0) throws {
        try sys("sched_setattr", "policy \(a.policy)") {
            cs_sched_setattr(pid, a.policy, a.flags, a.nice, a.priority, a.runtime, a.deadline, a.period)
        }
    }

    /// `ioClass`: 1 = RT, 2 = BE, 3 = IDLE; `level` 0...7.
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

    /// personality(2): the execution domain (PER_LINUX = 0, PER_LINUX32 = 8).
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
