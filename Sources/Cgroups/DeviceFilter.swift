import Glibc
import Kernel

/// The cgroup v2 device controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the
/// cgroup. This builds one from the rules: they are checked last to first, the first that matches
/// decides (so a later rule overrides an earlier one, as with v1's devices.allow/deny), and nothing
/// matching means deny.
enum DeviceFilter {
    /// struct bpf_insn packed as the kernel reads it on little-endian: code, dst|src<<4, off, imm.
    static func insn(_ code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) -> UInt64 {
        UInt64(code) | UInt64((dst & 0xf) | (src & 0xf) << 4) << 8 | UInt64(UInt16(bitPattern: off)) << 16
            | UInt64(UInt32(bitPattern: imm)) << 32
    }

    // Opcodes.
    static let ldxW: UInt8 = 0x61      // BPF_LDX | BPF_MEM | BPF_W
    static let and32K: UInt8 = 0x54    // BPF_ALU | BPF_AND | BPF_K
    static let rsh32K: UInt8 = 0x74    // BPF_ALU | BPF_RSH | BPF_K
    static let mov64K: UInt8 = 0xb7    // BPF_ALU64 | BPF_MOV | BPF_K
    static let mov64X: UInt8 = 0xbf    // BPF_ALU64 | BPF_MOV | BPF_X
    static let and64K: UInt8 = 0x57    // BPF_ALU64 | BPF_AND | BPF_K
    static let jneK: UInt8 = 0x55      // BPF_JMP | BPF_JNE | BPF_K
    static let jeqK: UInt8 = 0x15      // BPF_JMP | BPF_JEQ | BPF_K
    static let exit: UInt8 = 0x95

    static func program(_ rules: [DeviceRule]) -> [UInt64] {
        // r2 = device type (1 block, 2 char), r3 = access bits, r4 = major, r5 = minor.
        var p: [UInt64] = [
            insn(ldxW, dst: 2, src: 1, off: 0),
            insn(and32K, dst: 2, imm: 0xffff),
            insn(ldxW, dst: 3, src: 1, off: 0),
            insn(rsh32K, dst: 3, imm: 16),
            insn(ldxW, dst: 4, src: 1, off: 4),
            insn(ldxW, dst: 5, src: 1, off: 8),
        ]
        for r in rules.reversed() {
            // Each check jumps past the rest of the block when the rule does not match.
            var checks: [(UInt8, UInt8, Int32)] = [] // (opcode, reg, imm)
            var prelude: [UInt64] = []
            if r.type == "c" { checks.append((jneK, 2, 2)) }
            if r.type == "b" { checks.append((jneK, 2, 1)) }
            if r.major >= 0 { checks.append((jneK, 4, Int32(truncatingIfNeeded: r.major))) }
            if r.minor >= 0 { checks.append((jneK, 5, Int32(truncatingIfNeeded: r.minor))) }
            if r.access != 7 {
                // allow: the request must ask for nothing outside the rule; deny: for something in it.
                prelude = [insn(mov64X, dst: 1, src: 3),
                           insn(and64K, dst: 1, imm: Int32(r.allow ? (~r.access & 7) : r.access))]
                checks.append((r.allow ? jneK : jeqK, 1, 0))
            }
            let n = checks.count
            // Block: [prelude is placed before the access check] checks..., mov r0, exit.
            var block: [UInt64] = []
            let tail = 2
            for (i, c) in checks.enumerated() {
                if i == n - 1 && !prelude.isEmpty { block += prelude }
                // Remaining instructions after this jump: later checks (+ prelude if not yet) + tail.
                var remaining = tail + (n - 1 - i)
                if !prelude.isEmpty && i < n - 1 { remaining += prelude.count }
                block.append(insn(c.0, dst: c.1, off: Int16(remaining), imm: c.2))
            }
            block.append(insn(mov64K, dst: 0, imm: r.allow ? 1 : 0))
            block.append(insn(exit))
            p += block
            // A rule that matches everything ends the program (the verifier rejects dead code).
            if checks.isEmpty { return p }
        }
        p.append(insn(mov64K, dst: 0, imm: 0))
        p.append(insn(exit))
        return p
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
