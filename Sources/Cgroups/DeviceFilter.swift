import Glibc
import Kernel

/// The cgroup v2 device controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the
/// cgroup. This builds one from the rules: they are checked last to first, the first that matches
/// decides (so a later rule overrides an earlier one, as with v1's devices.allow/deny), and nothing
/// matching means deny.
///
/// The program has no conditional jump: the verifier copies and explores a state for every jump
/// whose two sides are both possible, which made loading it cost ~25 µs a rule on the critical path
/// of `create`. Instead each rule's match is computed with ALU operations, and the rules are folded
/// first to last into the verdict in r0 (a later match overrides), which is the same as checking
/// them last to first and stopping at the first match.
enum DeviceFilter {
    /// struct bpf_insn packed as the kernel reads it on little-endian: code, dst|src<<4, off, imm.
    static func insn(_ code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) -> UInt64 {
        UInt64(code) | UInt64((dst & 0xf) | (src & 0xf) << 4) << 8 | UInt64(UInt16(bitPattern: off)) << 16
            | UInt64(UInt32(bitPattern: imm)) << 32
    }

    // Opcodes. The 32-bit ALU operations (BPF_ALU) take their immediate as 32 bits and zero the upper
    // half, so a major or minor of 2^31 or more compares as the u32 the kernel passes.
    static let ldxW: UInt8 = 0x61      // BPF_LDX | BPF_MEM | BPF_W
    static let and32K: UInt8 = 0x54    // BPF_ALU | BPF_AND | BPF_K
    static let rsh32K: UInt8 = 0x74    // BPF_ALU | BPF_RSH | BPF_K
    static let xor32K: UInt8 = 0xa4    // BPF_ALU | BPF_XOR | BPF_K
    static let mov32X: UInt8 = 0xbc    // BPF_ALU | BPF_MOV | BPF_X
    static let mov64K: UInt8 = 0xb7    // BPF_ALU64 | BPF_MOV | BPF_K
    static let mov64X: UInt8 = 0xbf    // BPF_ALU64 | BPF_MOV | BPF_X
    static let and64K: UInt8 = 0x57    // BPF_ALU64 | BPF_AND | BPF_K
    static let and64X: UInt8 = 0x5f    // BPF_ALU64 | BPF_AND | BPF_X
    static let or64X: UInt8 = 0x4f     // BPF_ALU64 | BPF_OR | BPF_X
    static let add64K: UInt8 = 0x07    // BPF_ALU64 | BPF_ADD | BPF_K
    static let rsh64K: UInt8 = 0x77    // BPF_ALU64 | BPF_RSH | BPF_K
    static let lsh64K: UInt8 = 0x67    // BPF_ALU64 | BPF_LSH | BPF_K
    static let xor64K: UInt8 = 0xa7    // BPF_ALU64 | BPF_XOR | BPF_K
    static let neg64: UInt8 = 0x87     // BPF_ALU64 | BPF_NEG
    static let exit: UInt8 = 0x95

    /// Registers: r1 the context until loaded, then the rule's difference; r2 device type (1 block,
    /// 2 char), r3 access bits, r4 major, r5 minor, r6 type ^ 2 (0 for a char device), r7 type ^ 1
    /// (0 for a block device), r9 major << 16 | type (type and a major below 2^15 compared at once),
    /// r8 one field's difference. r0 holds the verdict in bit 63 (the other bits mean nothing) until
    /// the exit shifts it down.
    static func program(_ rules: [DeviceRule]) -> [UInt64] {
        let deciding = decidingRules(rules)
        var p: [UInt64] = [
            insn(ldxW, dst: 2, src: 1, off: 0),
            insn(and32K, dst: 2, imm: 0xffff),
            insn(ldxW, dst: 3, src: 1, off: 0),
            insn(rsh32K, dst: 3, imm: 16),
            insn(ldxW, dst: 4, src: 1, off: 4),
            insn(ldxW, dst: 5, src: 1, off: 8),
        ]
        func typeAndMajor(_ r: DeviceRule) -> Int32? {
            guard r.major >= 0, UInt32(truncatingIfNeeded: r.major) < 1 << 15 else { return nil }
            if r.type == "c" { return Int32(truncatingIfNeeded: r.major) << 16 | 2 }
            if r.type == "b" { return Int32(truncatingIfNeeded: r.major) << 16 | 1 }
            return nil
        }
        let typeOnly = deciding.filter { typeAndMajor($0) == nil }
        if typeOnly.contains(where: { $0.type == "c" }) { p += [insn(mov32X, dst: 6, src: 2), insn(xor32K, dst: 6, imm: 2)] }
        if typeOnly.contains(where: { $0.type == "b" }) { p += [insn(mov32X, dst: 7, src: 2), insn(xor32K, dst: 7, imm: 1)] }
        if deciding.contains(where: { typeAndMajor($0) != nil }) {
            p += [insn(mov64X, dst: 9, src: 4), insn(lsh64K, dst: 9, imm: 16), insn(or64X, dst: 9, src: 2)]
        }
        p.append(insn(mov64K, dst: 0, imm: 0))
        for r in deciding {
            // r1 = the OR of each checked field's difference (below 2^48): 0 exactly when the rule
            // matches.
            var terms = 0
            func term(_ compute: (_ dst: UInt8) -> [UInt64]) {
                // The first term lands in r1 itself, later ones in r8 and are ORed in.
                p += compute(terms == 0 ? 1 : 8)
                if terms > 0 { p.append(insn(or64X, dst: 1, src: 8)) }
                terms += 1
            }
            if let key = typeAndMajor(r) {
                term { [insn(mov64X, dst: $0, src: 9), insn(xor64K, dst: $0, imm: key)] }
            } else {
                if r.type == "c" { term { [insn(mov64X, dst: $0, src: 6)] } }
                if r.type == "b" { term { [insn(mov64X, dst: $0, src: 7)] } }
                if r.major >= 0 {
                    term { [insn(mov32X, dst: $0, src: 4), insn(xor32K, dst: $0, imm: Int32(truncatingIfNeeded: r.major))] }
                }
            }
            if r.minor >= 0 {
                term { [insn(mov32X, dst: $0, src: 5), insn(xor32K, dst: $0, imm: Int32(truncatingIfNeeded: r.minor))] }
            }
            if r.access != 7 {
                if r.allow {
                    // Matches when the request asks for nothing outside the rule.
                    term { [insn(mov64X, dst: $0, src: 3), insn(and64K, dst: $0, imm: Int32(~r.access & 7))] }
                } else {
                    // Matches when the request asks for something in the rule: (bits - 1) >> 63 is
                    // 1 exactly when bits is 0.
                    term { [insn(mov64X, dst: $0, src: 3), insn(and64K, dst: $0, imm: Int32(r.access & 7)),
                            insn(add64K, dst: $0, imm: -1), insn(rsh64K, dst: $0, imm: 63)] }
                }
            }
            if terms == 0 {
                p.append(insn(mov64K, dst: 0, imm: r.allow ? -1 : 0))
            } else if r.allow {
                // r1 < 2^63: r1 - 1 has bit 63 set exactly when r1 is 0, a match, which sets it in r0.
                p += [insn(add64K, dst: 1, imm: -1), insn(or64X, dst: 0, src: 1)]
            } else {
                // -r1 has bit 63 clear exactly when r1 is 0, a match, which clears it in r0.
                p += [insn(neg64, dst: 1), insn(and64X, dst: 0, src: 1)]
            }
        }
        p += [insn(rsh64K, dst: 0, imm: 63), insn(exit)]
        return p
    }

    /// The rules that can change the verdict, in order: a rule is left out when a later rule matches
    /// every request it matches (the later one decides first), and so is a deny with only denies
    /// before it (it says what nothing matching says).
    /// Past `shadowCheckLimit` rules every rule is kept: the check compares each rule with every
    /// later one, and a config of a million rules must fail at the kernel's size limit, not hang here.
    static func decidingRules(_ rules: [DeviceRule]) -> [DeviceRule] {
        var kept: [DeviceRule] = []
        for (i, r) in rules.enumerated()
        where rules.count > shadowCheckLimit || !rules[(i + 1)...].contains(where: { matchesAll($0, of: r) }) {
            kept.append(r)
        }
        return Array(kept.drop { !$0.allow })
    }

    static let shadowCheckLimit = 1024

    /// Whether `later` matches every request that `earlier` matches, as the program compares: the
    /// type unless "c" or "b" matches any, numbers as their low 32 bits, and an access of rwm matches
    /// any request, one of no bits too.
    static func matchesAll(_ later: DeviceRule, of earlier: DeviceRule) -> Bool {
        func anyType(_ r: DeviceRule) -> Bool { r.type != "c" && r.type != "b" }
        func covers(_ l: Int64, _ e: Int64) -> Bool {
            l < 0 || (e >= 0 && UInt32(truncatingIfNeeded: l) == UInt32(truncatingIfNeeded: e))
        }
        return (anyType(later) || later.type == earlier.type) && covers(later.major, earlier.major)
            && covers(later.minor, earlier.minor) && requests(earlier) & ~requests(later) == 0
    }

    /// The requests (access bits 0-7) a rule matches, bit n set for request n.
    static func requests(_ r: DeviceRule) -> UInt8 {
        if r.access == 7 { return 0xff }
        var set: UInt8 = 0
        for request: UInt32 in 0..<8 where r.allow ? request & ~r.access & 7 == 0 : request & r.access != 0 {
            set |= 1 << request
        }
        return set
    }

    /// Loads the program and attaches it to the cgroup directory, replacing what swiftlet (or anyone)
    /// attached there before.
    static func install(_ rules: [DeviceRule], dir: String) throws {
        do {
            let program = try DeviceProgram.load(program(rules))
            let cgroup = try OwnedFD.open(dir, O_RDONLY | O_DIRECTORY)
            try DeviceProgram.replace(in: cgroup.fd, with: program.fd, describe: dir)
        } catch let e as SysError {
            throw CgroupError("linux.resources.devices: \(e)", path: dir, errno: e.errno)
        }
    }
}
