// The cgroup v2 device program without conditional jumps gives the verdict the branching program
// before it gave (kept here as the reference), on every request built from the rules' own numbers
// and the numbers beside them, for the engines' configs and a few hundred random rule lists. Both run
// in a small interpreter of the eBPF instructions they use.

import Foundation
import XCTest
import RuntimeSpec
@testable import Cgroups

final class DeviceFilterProgramTests: XCTestCase {
    // MARK: The reference: the branching generator as it was (rules last to first, a jump past the
    // rest of the rule for each field that differs).

    static func branchingProgram(_ rules: [DeviceRule]) -> [UInt64] {
        let insn = DeviceFilter.insn
        let (ldxW, and32K, rsh32K, mov64K, mov64X, and64K): (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0x61, 0x54, 0x74, 0xb7, 0xbf, 0x57)
        let (jneK, jeqK, exit): (UInt8, UInt8, UInt8) = (0x55, 0x15, 0x95)
        var p: [UInt64] = [
            insn(ldxW, 2, 1, 0, 0), insn(and32K, 2, 0, 0, 0xffff), insn(ldxW, 3, 1, 0, 0), insn(rsh32K, 3, 0, 0, 16),
            insn(ldxW, 4, 1, 4, 0), insn(ldxW, 5, 1, 8, 0),
        ]
        for r in rules.reversed() {
            var checks: [(UInt8, UInt8, Int32)] = []
            var prelude: [UInt64] = []
            if r.type == "c" { checks.append((jneK, 2, 2)) }
            if r.type == "b" { checks.append((jneK, 2, 1)) }
            if r.major >= 0 { checks.append((jneK, 4, Int32(truncatingIfNeeded: r.major))) }
            if r.minor >= 0 { checks.append((jneK, 5, Int32(truncatingIfNeeded: r.minor))) }
            if r.access != 7 {
                prelude = [insn(mov64X, 1, 3, 0, 0), insn(and64K, 1, 0, 0, Int32(r.allow ? (~r.access & 7) : r.access))]
                checks.append((r.allow ? jneK : jeqK, 1, 0))
            }
            let n = checks.count
            var block: [UInt64] = []
            for (i, c) in checks.enumerated() {
                if i == n - 1 && !prelude.isEmpty { block += prelude }
                var remaining = 2 + (n - 1 - i)
                if !prelude.isEmpty && i < n - 1 { remaining += prelude.count }
                block.append(insn(c.0, c.1, 0, Int16(remaining), c.2))
            }
            block += [insn(mov64K, 0, 0, 0, r.allow ? 1 : 0), insn(exit, 0, 0, 0, 0)]
            p += block
            if checks.isEmpty { return p }
        }
        return p + [insn(mov64K, 0, 0, 0, 0), insn(exit, 0, 0, 0, 0)]
    }

    // MARK: An interpreter of the eBPF subset both generators emit.

    struct Fault: Error, CustomStringConvertible { let description: String }

    /// Runs `program` on the kernel's context (access_type = type | access << 16, major, minor) and
    /// returns r0 at exit. Faults where the verifier would refuse: an unknown opcode, a register
    /// read before it is written, a backward jump, a load from anything but the context.
    static func run(_ program: [UInt64], type: UInt32, access: UInt32, major: UInt32, minor: UInt32) throws -> UInt64 {
        let ctx = [type | access << 16, major, minor]
        var reg = [UInt64](repeating: 0, count: 11)
        var written: Set<UInt8> = [1]
        var ctxIn: UInt8? = 1
        var pc = 0
        while pc < program.count {
            let i = program[pc]
            let code = UInt8(i & 0xff), dst = UInt8(i >> 8 & 0xf), src = UInt8(i >> 12 & 0xf)
            let off = Int16(bitPattern: UInt16(i >> 16 & 0xffff)), imm = Int32(bitPattern: UInt32(i >> 32))
            func read(_ r: UInt8) throws -> UInt64 {
                guard written.contains(r), r != ctxIn else { throw Fault(description: "r\(r) read at \(pc) before it holds a number") }
                return reg[Int(r)]
            }
            pc += 1
            switch code & 0x07 {
            case 0x01: // LDX
                guard code == 0x61, src == ctxIn, off >= 0, off % 4 == 0, Int(off) / 4 < ctx.count else {
                    throw Fault(description: "load \(String(code, radix: 16)) at \(pc - 1)")
                }
                reg[Int(dst)] = UInt64(ctx[Int(off) / 4])
                written.insert(dst)
                if dst == ctxIn { ctxIn = nil }
            case 0x04, 0x07: // ALU, ALU64
                let wide = code & 0x07 == 0x07
                let op = code & 0xf0
                let a = op == 0xb0 ? 0 : try read(dst)
                let b = code & 0x08 != 0 ? try read(src) : (wide ? UInt64(bitPattern: Int64(imm)) : UInt64(UInt32(bitPattern: imm)))
                var v: UInt64
                switch op {
                case 0x00: v = a &+ b
                case 0x10: v = a &- b
                case 0x40: v = a | b
                case 0x50: v = a & b
                case 0x60: v = a << (b & (wide ? 63 : 31))
                case 0x70: v = (wide ? a : a & 0xffff_ffff) >> (b & (wide ? 63 : 31))
                case 0x80: v = 0 &- a
                case 0xa0: v = a ^ b
                case 0xb0: v = b
                default: throw Fault(description: "ALU op \(String(code, radix: 16)) at \(pc - 1)")
                }
                if !wide { v &= 0xffff_ffff }
                reg[Int(dst)] = v
                written.insert(dst)
                if dst == ctxIn { ctxIn = nil }
            case 0x05: // JMP
                if code == 0x95 { return try read(0) }
                guard code & 0x08 == 0, off >= 0 else { throw Fault(description: "jump \(String(code, radix: 16)) at \(pc - 1)") }
                let a = try read(dst), b = UInt64(bitPattern: Int64(imm))
                let taken: Bool
                switch code & 0xf0 {
                case 0x00: taken = true
                case 0x10: taken = a == b
                case 0x50: taken = a != b
                default: throw Fault(description: "jump \(String(code, radix: 16)) at \(pc - 1)")
                }
                if taken { pc += Int(off) }
            default:
                throw Fault(description: "opcode \(String(code, radix: 16)) at \(pc - 1)")
            }
        }
        throw Fault(description: "ran off the end")
    }

    /// Conditional jumps in a program (the exit is a jump-class instruction but not one).
    static func conditionalJumps(_ program: [UInt64]) -> Int {
        program.filter { $0 & 0x07 == 0x05 && $0 & 0xff != 0x95 && $0 & 0xf0 != 0x00 }.count
    }

    // MARK: Comparing the two.

    /// Every request: type block, char and one the kernel never sends; access 0-7; each major and
    /// minor the rules name, the numbers beside them, 0 and 2^32-1.
    func assertSameVerdicts(_ rules: [DeviceRule], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        func numbers(_ values: [Int64]) -> [UInt32] {
            var s: Set<UInt32> = [0, .max]
            for v in values where v >= 0 {
                let u = UInt32(truncatingIfNeeded: v)
                s.formUnion([u &- 1, u, u &+ 1])
            }
            return s.sorted()
        }
        let reference = Self.branchingProgram(rules), program = DeviceFilter.program(rules)
        XCTAssertEqual(Self.conditionalJumps(program), 0, "\(what): a conditional jump", file: file, line: line)
        var checked = 0
        for type: UInt32 in [1, 2, 3] {
            for access: UInt32 in 0...7 {
                for major in numbers(rules.map(\.major)) {
                    for minor in numbers(rules.map(\.minor)) {
                        let want = try Self.run(reference, type: type, access: access, major: major, minor: minor)
                        let got = try Self.run(program, type: type, access: access, major: major, minor: minor)
                        guard want == got else {
                            let list = rules.map { "\($0.allow ? "allow" : "deny") \($0.v1Line)" }.joined(separator: ", ")
                            return XCTFail("\(what): type \(type) access \(access) \(major):\(minor): \(got), reference \(want); rules \(list)",
                                           file: file, line: line)
                        }
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 0, file: file, line: line)
    }

    /// linux.resources.devices of each config in conformance/configs, made effective (defaults added).
    func configRuleSets() throws -> [(String, [DeviceRule])] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("conformance/configs")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertTrue(names.contains("docker.json") && names.contains("ctr.json") && names.contains("podman.json")
                      && names.contains("runc-spec.json"), "\(names)")
        return try names.map { name in
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any]
            let linux = json?["linux"] as? [String: Any], resources = linux?["resources"] as? [String: Any]
            let devices = try JSONSerialization.data(withJSONObject: resources?["devices"] ?? [])
            return (name, try DeviceRules.effective(JSONDecoder().decode([LinuxDeviceCgroup].self, from: devices)))
        }
    }

    func testEngineConfigsGiveTheReferenceVerdicts() throws {
        for (name, rules) in try configRuleSets() {
            try assertSameVerdicts(rules, name)
            // Also the config's rules alone, without the defaults.
            try assertSameVerdicts(rules.filter { $0.index != nil }, name + " without defaults")
        }
    }

    /// SplitMix64: the same lists on every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    func testRandomRuleListsGiveTheReferenceVerdicts() throws {
        var g = Seeded(state: 0x5eed_de71ce)
        // Majors below 2^15 are compared together with the type, the others alone.
        let majors: [Int64] = [-1, -1, 0, 1, 5, 136, 0x7fff, 0x8000, 0x7fff_ffff]
        let minors: [Int64] = [-1, -1, 0, 3, 9, 229, 0xfffff]
        for n in 0..<300 {
            let count = Int.random(in: 1...(n % 4 == 0 ? 14 : 6), using: &g)
            let rules = (0..<count).map { _ in
                DeviceRule(allow: Bool.random(using: &g), type: ["a", "c", "b", "c"].randomElement(using: &g)!,
                           major: majors.randomElement(using: &g)!, minor: minors.randomElement(using: &g)!,
                           access: UInt32.random(in: 1...7, using: &g), index: nil)
            }
            try assertSameVerdicts(rules, "random list \(n)")
        }
    }

    /// What is left out: the engines' leading "deny all" and the config rules the defaults repeat.
    func testRulesThatNeverDecideAreLeftOut() throws {
        let sets = Dictionary(uniqueKeysWithValues: try configRuleSets())
        let runcSpec = try XCTUnwrap(sets["runc-spec.json"]), ctr = try XCTUnwrap(sets["ctr.json"])
        XCTAssertEqual(DeviceFilter.decidingRules(runcSpec).map(\.v1Line), DeviceRules.defaults.map(\.v1Line))
        // ctr allows c 1:3 and friends rwm: the defaults after them hide them, and the same rules
        // again after the defaults (they name a default device) hide the defaults' own.
        XCTAssertEqual(DeviceFilter.decidingRules(ctr).map(\.v1Line),
                       ["c 5:1 rwm", "c *:* m", "b *:* m", "c 136:* rwm", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
                        "c 1:5 rwm", "c 1:9 rwm", "c 5:2 rwm"])
        XCTAssertEqual(ctr.count, 27)
        let allowAll = DeviceRule(allow: true, type: "a", major: -1, minor: -1, access: 7, index: 3)
        let kmsg = DeviceRule(allow: false, type: "c", major: 1, minor: 11, access: 2, index: 2)
        XCTAssertEqual(DeviceFilter.decidingRules([kmsg, allowAll]), [allowAll])
        XCTAssertEqual(DeviceFilter.decidingRules([allowAll, kmsg]), [allowAll, kmsg])
        // An allow of reads does not hide an earlier allow of writes to the same device.
        var kmsgRead = kmsg, kmsgWrite = kmsg
        (kmsgRead.allow, kmsgWrite.allow, kmsgWrite.access) = (true, true, 4)
        XCTAssertEqual(DeviceFilter.decidingRules([kmsgWrite, kmsgRead]), [kmsgWrite, kmsgRead])
    }

    /// Past the limit nothing is left out but the leading denies (a quadratic check would hang on a
    /// config of a million rules); the verdicts stay the reference's.
    func testLongRuleListsKeepEveryRule() throws {
        let deny = DeviceRule(allow: false, type: "a", major: -1, minor: -1, access: 7, index: 0)
        let many = [deny] + (0..<DeviceFilter.shadowCheckLimit).map {
            DeviceRule(allow: true, type: "c", major: 1, minor: Int64($0 % 4), access: 7, index: $0 + 1)
        }
        XCTAssertEqual(DeviceFilter.decidingRules(many).count, DeviceFilter.shadowCheckLimit)
        XCTAssertEqual(DeviceFilter.decidingRules(Array(many.prefix(9))).count, 4)
        for (major, minor) in [(1, 3), (1, 4), (2, 3)] as [(UInt32, UInt32)] {
            XCTAssertEqual(try Self.run(DeviceFilter.program(many), type: 2, access: 2, major: major, minor: minor),
                           try Self.run(Self.branchingProgram(many), type: 2, access: 2, major: major, minor: minor))
        }
    }

    /// A major or minor of 2^31 or more: the branching program compared it, sign-extended, with the
    /// kernel's zero-extended u32 and never matched; this one matches the u32. (No device has one:
    /// the kernel's majors have 12 bits, minors 20.)
    func testNumbersFromTwoToThe31Match() throws {
        for major: Int64 in [0x8000_0001, 0xffff_ffff] {
            let rules = [DeviceRule(allow: false, type: "a", major: -1, minor: -1, access: 7, index: 0),
                         DeviceRule(allow: true, type: "c", major: major, minor: 0x8000_0000, access: 2, index: 1)]
            let program = DeviceFilter.program(rules)
            let (maj, min) = (UInt32(major), UInt32(0x8000_0000))
            XCTAssertEqual(try Self.run(program, type: 2, access: 2, major: maj, minor: min), 1)
            XCTAssertEqual(try Self.run(program, type: 2, access: 4, major: maj, minor: min), 0)
            XCTAssertEqual(try Self.run(program, type: 2, access: 2, major: maj &- 1, minor: min), 0)
            XCTAssertEqual(try Self.run(program, type: 1, access: 2, major: maj, minor: min), 0)
            XCTAssertEqual(try Self.run(Self.branchingProgram(rules), type: 2, access: 2, major: maj, minor: min), 0)
        }
    }
}
