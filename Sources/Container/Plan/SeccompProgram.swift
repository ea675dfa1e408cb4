import Glibc
import JSON
import Kernel
import RuntimeSpec

/// `linux.seccomp` compiled to a BPF program in the `create` process (through libseccomp, as runc
/// does), so the container's init only has to install it with one seccomp(2) call right before
/// execve.
struct SeccompProgram {
    /// struct sock_filter words.
    var instructions: [UInt64]
    /// SECCOMP_FILTER_FLAG_* for seccomp(2); has NEW_LISTENER when some rule is SCMP_ACT_NOTIFY.
    var flags: UInt32
    var listenerPath: String?
    var listenerMetadata: String?

    var usesNotify: Bool { flags & Seccomp.Flag.newListener != 0 }

    /// The instructions as bytes (native order), as the cache file and the sync message carry them.
    static func bytes(of instructions: [UInt64]) -> [UInt8] {
        instructions.withUnsafeBytes { Array($0) }
    }

    /// The inverse of `bytes(of:)`; trailing bytes short of a whole instruction are dropped.
    static func instructions<C: Collection>(from bytes: C) -> [UInt64] where C.Element == UInt8 {
        let raw = Array(bytes)
        var words = [UInt64](repeating: 0, count: raw.count / 8)
        words.withUnsafeMutableBytes { dst in raw[0..<dst.count].withUnsafeBytes { dst.copyMemory(from: $0) } }
        return words
    }

    static let base = "linux.seccomp"

    /// BPF_MAXINSNS: the most instructions one seccomp filter may have.
    static let maxInstructions = 4096

    /// The seccomp(2) flag of a `flags` entry.
    static func flagBit(_ name: String) -> UInt32? {
        switch name {
        case "SECCOMP_FILTER_FLAG_TSYNC": return Seccomp.Flag.tsync
        case "SECCOMP_FILTER_FLAG_LOG": return Seccomp.Flag.log
        case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": return Seccomp.Flag.specAllow
        case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": return Seccomp.Flag.waitKillableRecv
        default: return nil
        }
    }

    /// The SECCOMP_RET_* value of an action; `errnoRet` defaults to EPERM for ERRNO and TRACE (runc).
    static func action(_ name: String, errnoRet: UInt?, field: String) throws -> UInt32 {
        let e = errnoRet ?? UInt(EPERM)
        func data() throws -> UInt16 {
            guard e <= 0xffff else {
                throw RuntimeError.config(field, "errnoRet \(e) is out of range 0...65535")
            }
            return UInt16(e)
        }
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return Seccomp.Action.killThread
        case "SCMP_ACT_KILL_PROCESS": return Seccomp.Action.killProcess
        case "SCMP_ACT_TRAP": return Seccomp.Action.trap
        case "SCMP_ACT_ERRNO": return Seccomp.Action.errno(try data())
        case "SCMP_ACT_TRACE": return Seccomp.Action.trace(try data())
        case "SCMP_ACT_ALLOW": return Seccomp.Action.allow
        case "SCMP_ACT_LOG": return Seccomp.Action.log
        case "SCMP_ACT_NOTIFY": return Seccomp.Action.notify
        default: throw RuntimeError.config(field, "unknown seccomp action \"\(name)\"")
        }
    }

    /// The SCMP_CMP_* number of an operator (NE = 1 ... MASKED_EQ = 7).
    static func op(_ name: String) -> UInt32? {
        switch name {
        case "SCMP_CMP_NE": return 1
        case "SCMP_CMP_LT": return 2
        case "SCMP_CMP_LE": return 3
        case "SCMP_CMP_EQ": return 4
        case "SCMP_CMP_GE": return 5
        case "SCMP_CMP_GT": return 6
        case "SCMP_CMP_MASKED_EQ": return 7
        default: return nil
        }
    }

    /// A rule of the filter, checked and translated.
    struct Rule {
        var field: String
        var names: [String]
        var action: UInt32
        /// Each group is one libseccomp rule (its conditions must all hold).
        var groups: [[Seccomp.Condition]]
    }

    /// Compiles the filter, or takes it from the cache in `cacheDir` (the state root) when the
    /// same `linux.seccomp` was compiled before by the same libseccomp. Syscall names libseccomp
    /// does not know are skipped with one warning (as runc does, where it is a debug message);
    /// everything else that cannot be expressed is an error naming the field.
    static func compile(_ s: LinuxSeccomp, cacheDir: String? = nil, warn: (String) -> Void) throws -> SeccompProgram {
        var prepared = try prepare(s, cacheDir: cacheDir)
        try prepared.finish(warn: warn)
        return prepared.program
    }

    /// `compile` in two steps: `prepare` checks every field and looks in the cache (cheap);
    /// `finish` runs libseccomp when the cache had nothing (milliseconds for Docker's profile), so
    /// that `create` can do it after the fork, beside the init stage's work, as crun does.
    struct Prepared {
        /// Without instructions until `finish` when `needsBuild`.
        var program: SeccompProgram
        fileprivate var job: (defaultAction: UInt32, archs: [UInt32], rules: [Rule], specArchs: [String], names: [String],
                              cache: SeccompCache?)?
        fileprivate var unknown: [String] = []

        var needsBuild: Bool { job != nil }

        mutating func finish(warn: (String) -> Void) throws {
            if let j = job {
                let compiled = try SeccompProgram.build(defaultAction: j.defaultAction, archs: j.archs, rules: j.rules,
                                                        specArchs: j.specArchs, names: j.names)
                j.cache?.store(compiled)
                program.instructions = compiled.instructions
                unknown = compiled.unknown
                job = nil
            }
            if !unknown.isEmpty {
                warn("linux.seccomp: syscalls unknown to libseccomp \(Seccomp.libraryVersion) ignored: "
                     + unknown.joined(separator: ", "))
                unknown = []
            }
        }
    }

    static func prepare(_ s: LinuxSeccomp, cacheDir: String? = nil) throws -> Prepared {
        let defaultAction = try action(s.defaultAction, errnoRet: s.defaultErrnoRet, field: "\(base).defaultAction")
        var archs: [UInt32] = []
        for (i, a) in (s.architectures ?? []).enumerated() {
            guard let token = Seccomp.archToken(specName: a) else {
                throw RuntimeError.config("\(base).architectures[\(i)]", "\(a) is not supported by libseccomp \(Seccomp.libraryVersion)")
            }
            archs.append(token)
        }
        var flags: UInt32 = 0
        for (i, name) in (s.flags ?? []).enumerated() {
            guard let bit = flagBit(name) else {
                throw RuntimeError.config("\(base).flags[\(i)]", "unknown seccomp flag \"\(name)\"")
            }
            let probe = bit == Seccomp.Flag.waitKillableRecv ? bit | Seccomp.Flag.newListener : bit
            guard Seccomp.flagsSupported(probe) else {
                throw RuntimeError.config("\(base).flags[\(i)]", "\(name) is not supported by this kernel")
            }
            flags |= bit
        }
        var notify = defaultAction == Seccomp.Action.notify
        var rules: [Rule] = []
        for (i, rule) in (s.syscalls ?? []).enumerated() {
            let field = "\(base).syscalls[\(i)]"
            let act = try action(rule.action, errnoRet: rule.errnoRet, field: "\(field).action")
            if act == Seccomp.Action.notify { notify = true }
            var conditions: [Seccomp.Condition] = []
            var perIndex = [Int](repeating: 0, count: 6)
            for (j, arg) in (rule.args ?? []).enumerated() {
                guard let o = op(arg.op) else {
                    throw RuntimeError.config("\(field).args[\(j)].op", "unknown seccomp operator \"\(arg.op)\"")
                }
                guard arg.index < 6 else {
                    throw RuntimeError.config("\(field).args[\(j)].index", "\(arg.index) is out of range 0...5")
                }
                perIndex[Int(arg.index)] += 1
                conditions.append(Seccomp.Condition(index: UInt32(arg.index), op: o, a: arg.value, b: arg.valueTwo ?? 0))
            }
            // A rule that does what the default does is redundant (and libseccomp refuses it).
            if act == defaultAction { continue }
            // Several conditions on the same argument cannot all hold in one rule: like runc, make
            // one rule per condition then (any of them matches).
            let groups = perIndex.contains(where: { $0 > 1 }) ? conditions.map { [$0] } : [conditions]
            rules.append(Rule(field: field, names: rule.names, action: act, groups: groups))
        }
        if notify {
            flags |= Seccomp.Flag.newListener
            if flags & Seccomp.Flag.tsync != 0 { flags |= Seccomp.Flag.tsyncESRCH }
            guard let path = s.listenerPath, !path.isEmpty else {
                throw RuntimeError.config("\(base).listenerPath", "required when SCMP_ACT_NOTIFY is used")
            }
        } else {
            // Only meaningful for a listener; the kernel refuses it without one.
            flags &= ~Seccomp.Flag.waitKillableRecv
        }

        let cache = cacheDir.map { SeccompCache(dir: $0, filter: s) }
        var prepared = Prepared(program: SeccompProgram(instructions: [], flags: flags,
                                                        listenerPath: notify ? s.listenerPath : nil,
                                                        listenerMetadata: s.listenerMetadata))
        if let hit = cache?.load() {
            prepared.program.instructions = hit.instructions
            prepared.unknown = hit.unknown
        } else {
            try checkProgramSize(rules)
            prepared.job = (defaultAction, archs, rules, s.architectures ?? [], (s.syscalls ?? []).flatMap(\.names), cache)
        }
        return prepared
    }

    /// One argument comparison of one syscall, as the compiled program must test it.
    struct ComparisonKey: Hashable {
        var name: String
        var index: UInt32, op: UInt32, a: UInt64, b: UInt64
    }

    /// Refuses, before libseccomp spends minutes on it, a filter that cannot fit the kernel's limit:
    /// every distinct comparison of a native syscall without an unconditional rule needs at least
    /// one instruction of its own. `build` checks the exact count once the program exists.
    static func checkProgramSize(_ rules: [Rule]) throws {
        var unconditional: Set<String> = []
        for r in rules where r.groups.contains(where: \.isEmpty) { unconditional.formUnion(r.names) }
        var native: [String: Bool] = [:]
        func isNative(_ name: String) -> Bool {
            if let known = native[name] { return known }
            let n = Seccomp.syscallNumber(name).map { $0 >= 0 } ?? false
            native[name] = n
            return n
        }
        var comparisons: Set<ComparisonKey> = []
        for r in rules where r.groups.contains(where: { !$0.isEmpty }) {
            for name in r.names where !unconditional.contains(name) && isNative(name) {
                for g in r.groups {
                    for c in g { comparisons.insert(ComparisonKey(name: name, index: c.index, op: c.op, a: c.a, b: c.b)) }
                }
            }
        }
        guard comparisons.count <= maxInstructions else {
            throw RuntimeError.config("linux.seccomp", "\(comparisons.count) distinct argument comparisons need more BPF "
                + "instructions than the kernel's limit of \(maxInstructions) (BPF_MAXINSNS); use fewer rules")
        }
    }

    /// The libseccomp part: rules → BPF.
    /// `names`: every syscall the profile names (rules redundant with the default included), for
    /// the -ENOSYS stub.
    static func build(defaultAction: UInt32, archs: [UInt32], rules: [Rule], specArchs: [String],
                      names: [String]) throws -> SeccompCache.Entry {
        let filter: Seccomp.Filter
        do { filter = try Seccomp.Filter(defaultAction: defaultAction) } catch {
            throw RuntimeError.config("\(base).defaultAction", "", cause: error)
        }
        for (i, token) in archs.enumerated() {
            do { try filter.addArch(token) } catch {
                throw RuntimeError.config("\(base).architectures[\(i)]", specArchs[i], cause: error)
            }
        }
        if rules.count > 32 {
            // A binary tree of syscall numbers instead of a linear list: fewer instructions per
            // syscall for long profiles (runc does the same above 32 rules).
            try? filter.setOptimize(2)
        }
        var unknown: [String] = []
        for rule in rules {
            for (j, name) in rule.names.enumerated() {
                guard let nr = Seccomp.syscallNumber(name) else {
                    unknown.append(name)
                    continue
                }
                for g in rule.groups {
                    do { try filter.addRule(syscall: nr, action: rule.action, conditions: g) } catch {
                        throw RuntimeError.config("\(rule.field).names[\(j)]", name, cause: error)
                    }
                }
            }
        }
        var instructions: [UInt64]
        do { instructions = try filter.export() } catch {
            throw RuntimeError.config("linux.seccomp", "", cause: error)
        }
        instructions = EnosysStub.make(defaultAction: defaultAction, archs: archs, names: names) + instructions
        // The kernel takes at most BPF_MAXINSNS instructions per filter (and sock_fprog counts them
        // in 16 bits): a longer program must be refused here, never loaded cut short.
        guard instructions.count <= maxInstructions else {
            throw RuntimeError.config("linux.seccomp", "the compiled filter has \(instructions.count) BPF instructions, "
                + "more than the kernel's limit of \(maxInstructions) (BPF_MAXINSNS); use fewer rules")
        }
        return SeccompCache.Entry(instructions: instructions, unknown: unknown)
    }

    /// The message for the seccomp agent (runtime-spec's ContainerProcessState): sent with the
    /// listener fd as SCM_RIGHTS; `state` is the container's state JSON.
    /// `pid` is the container process's pid as the host sees it, taken from `state`.
    func agentMessage(ociVersion: String, state: [UInt8]) -> String {
        func quoted(_ s: String) -> String { String(decoding: JSON.serialize(.string(s)), as: UTF8.self) }
        let pid = (try? JSON.parse(state))?["pid"]?.int64Value ?? 0
        var text = "{\"ociVersion\":\(quoted(ociVersion)),\"fds\":[\"seccompFd\"],\"pid\":\(pid)"
        if let m = listenerMetadata, !m.isEmpty { text += ",\"metadata\":\(quoted(m))" }
        return text + ",\"state\":" + String(decoding: state, as: UTF8.self) + "}"
    }
}

/// The -ENOSYS stub runc prepends to a filter whose default action is not permissive (its
/// libcontainer/seccomp/patchbpf): a syscall numbered above the newest one the profile names for
/// an architecture fails with ENOSYS instead of the default action, so that programs fall back
/// from syscalls newer than the profile (clone3, faccessat2, ...) as on an older kernel, rather
/// than fail with the default errno. Only the profile's `architectures` get a section, as in runc;
/// x32 is x86_64 with bit 30 set in the syscall number.
enum EnosysStub {
    static let auditArchX86_64: UInt32 = 0xc000_003e
    /// libseccomp's SCMP_ARCH_X32, not a real AUDIT_ARCH value: x32 calls come as x86_64.
    static let scmpArchX32: UInt32 = 0x4000_003e
    static let auditArchS390: UInt32 = 0x0000_0016
    static let auditArchS390X: UInt32 = 0x8000_0016
    static let x32SyscallBit: UInt32 = 0x4000_0000

    /// cBPF opcodes (linux/bpf_common.h).
    static let ldAbsW: UInt16 = 0x20, ja: UInt16 = 0x05, jeq: UInt16 = 0x15, jgt: UInt16 = 0x25,
               jset: UInt16 = 0x45, ret: UInt16 = 0x06

    static func isPermissive(_ action: UInt32) -> Bool {
        // TRACE counts as permissive: a tracer handles new syscalls itself (runc).
        action == Seccomp.Action.allow || action == Seccomp.Action.log || action & 0xffff_0000 == 0x7ff0_0000
    }

    /// The stub (empty when none is needed), to go before the libseccomp program.
    static func make(defaultAction: UInt32, archs: [UInt32], names: [String]) -> [UInt64] {
        if isPermissive(defaultAction) || defaultAction == Seccomp.Action.errno(UInt16(ENOSYS)) { return [] }
        // Per native architecture: the highest number named for the native ABI and, on x86_64, for x32.
        var sections: [(arch: UInt32, native: UInt32?, x32: UInt32?)] = []
        for token in archs {
            var top: UInt32 = 0
            for name in names {
                if let n = Seccomp.syscallNumber(name, arch: token), UInt32(n) > top { top = UInt32(n) }
            }
            guard top > 0 else { continue }
            let arch = token == scmpArchX32 ? auditArchX86_64 : token
            if let i = sections.firstIndex(where: { $0.arch == arch }) {
                if token == scmpArchX32 { sections[i].x32 = top } else { sections[i].native = top }
            } else {
                sections.append(token == scmpArchX32 ? (arch, nil, top) : (arch, top, nil))
            }
        }
        if sections.isEmpty { return [] }

        // Assembled with symbolic targets, resolved once the layout is known.
        enum Target { case next, filter, enosys, section(Int), label(Int) }
        struct Insn { var code: UInt16; var k: UInt32; var jt: Target = .next; var jf: Target = .next }
        var code: [Insn] = [Insn(code: ldAbsW, k: 4)]  // seccomp_data.arch
        for (i, s) in sections.enumerated() {
            code.append(Insn(code: jeq, k: s.arch, jt: .section(i), jf: .next))
        }
        code.append(Insn(code: ja, k: 0, jt: .filter))
        var sectionStart: [Int] = []
        var labels: [Int: Int] = [:]
        for (i, s) in sections.enumerated() {
            sectionStart.append(code.count)
            code.append(Insn(code: ldAbsW, k: 0))  // seccomp_data.nr
            if s.arch == auditArchS390 || s.arch == auditArchS390X {
                // Syscall 0 multiplexes numbers the kernel does not know.
                code.append(Insn(code: jeq, k: 0, jt: .enosys, jf: .next))
            }
            if s.arch == auditArchX86_64 {
                switch (s.native, s.x32) {
                case let (native?, x32?):
                    code.append(Insn(code: jset, k: x32SyscallBit, jt: .label(i), jf: .next))
                    code.append(Insn(code: jgt, k: native, jt: .enosys, jf: .filter))
                    labels[i] = code.count
                    code.append(Insn(code: jgt, k: x32, jt: .enosys, jf: .filter))
                case let (native?, nil):
                    code.append(Insn(code: jset, k: x32SyscallBit, jt: .filter, jf: .next))
                    code.append(Insn(code: jgt, k: native, jt: .enosys, jf: .filter))
                case let (nil, x32?):
                    code.append(Insn(code: jset, k: x32SyscallBit, jt: .next, jf: .filter))
                    code.append(Insn(code: jgt, k: x32, jt: .enosys, jf: .filter))
                default: break
                }
            } else if let native = s.native {
                code.append(Insn(code: jgt, k: native, jt: .enosys, jf: .filter))
            }
        }
        let enosys = code.count
        code.append(Insn(code: ret, k: Seccomp.Action.errno(UInt16(ENOSYS))))
        let filter = code.count

        func offset(_ t: Target, from pc: Int) -> Int {
            let to: Int
            switch t {
            case .next: to = pc + 1
            case .filter: to = filter
            case .enosys: to = enosys
            case .section(let i): to = sectionStart[i]
            case .label(let i): to = labels[i] ?? pc + 1
            }
            return to - pc - 1
        }
        // The stub is a few dozen instructions at most: every offset fits in a jump's 8 bits.
        return code.enumerated().map { pc, insn in
            var k = insn.k, jt = 0, jf = 0
            if insn.code == ja { k = UInt32(offset(insn.jt, from: pc)) } else if insn.code & 0x07 == 0x05 {
                jt = offset(insn.jt, from: pc)
                jf = offset(insn.jf, from: pc)
            }
            return UInt64(insn.code) | UInt64(UInt8(jt)) << 16 | UInt64(UInt8(jf)) << 24 | UInt64(k) << 32
        }
    }
}

/// Compiled filters kept in the state root as `seccomp:<hash>` files (':' cannot occur in a
/// container id, and `list` only looks at directories), so that a profile used again (Docker's
/// default, say) is not compiled again.
///
/// The file name is only a hash; the entry carries its full key (the libseccomp version and the
/// filter's canonical JSON), compared byte for byte on load: a profile crafted so that its hashes
/// collide with another's cannot have its program loaded for the other (a mismatch is a miss).
/// Entries are written to an O_EXCL temporary file and renamed, so a crash or a concurrent writer
/// leaves no torn entry (and a file that does not check out is ignored). At most `capacity`
/// entries are kept: a hit refreshes the entry's mtime, a store removes the least recently used.
struct SeccompCache {
    struct Entry {
        var instructions: [UInt64]
        var unknown: [String]
    }

    let dir: String
    let path: String
    /// The libseccomp version line and the filter's JSON.
    let key: [UInt8]

    static let magic: [UInt8] = Array("swiftlet-seccomp-2\n".utf8)
    static let prefix = "seccomp:"
    /// Distinct profiles kept under one state root.
    static let capacity = 64

    init(dir: String, filter: LinuxSeccomp) {
        var k = filter
        // The agent's address and metadata do not change the program.
        k.listenerPath = nil
        k.listenerMetadata = nil
        var bytes = Array("\(Seccomp.libraryVersion)\n".utf8)
        bytes += (try? JSON.encode(k)) ?? []
        self.dir = dir
        key = bytes
        path = dir + "/" + SeccompCache.prefix + SeccompCache.hex(SeccompCache.fnv(bytes, seed: 0xcbf2_9ce4_8422_2325))
            + SeccompCache.hex(SeccompCache.fnv(bytes, seed: 0x6c62_272e_07bb_0142))
    }

    static func fnv<C: Collection>(_ bytes: C, seed: UInt64) -> UInt64 where C.Element == UInt8 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// magic, key length (decimal line), the key, unknown names (one line, comma-separated),
    /// instruction count (decimal line), the instructions (8 bytes each, native order), FNV-1a of
    /// everything before.
    func load() -> Entry? {
        guard let data = try? readFile(path: path), data.count > SeccompCache.magic.count + 8,
              data[0..<SeccompCache.magic.count].elementsEqual(SeccompCache.magic) else { return nil }
        let bodyEnd = data.count - 8
        var sum: UInt64 = 0
        for i in 0..<8 { sum |= UInt64(data[bodyEnd + i]) << UInt64(8 * i) }
        guard sum == SeccompCache.fnv(data[0..<bodyEnd], seed: 0xcbf2_9ce4_8422_2325) else { return nil }
        var pos = SeccompCache.magic.count
        func line() -> String? {
            guard let end = data[pos..<bodyEnd].firstIndex(of: 10) else { return nil }
            defer { pos = end + 1 }
            return String(decoding: data[pos..<end], as: UTF8.self)
        }
        guard let keyLine = line(), let keyCount = Int(keyLine), keyCount == key.count,
              bodyEnd - pos >= keyCount, data[pos..<(pos + keyCount)].elementsEqual(key) else { return nil }
        pos += keyCount
        guard let unknownLine = line(), let countLine = line(), let count = Int(countLine),
              bodyEnd - pos == count * 8 else { return nil }
        let program = SeccompProgram.instructions(from: data[pos..<bodyEnd])
        let unknown = unknownLine.isEmpty ? [] : unknownLine.split(separator: ",").map(String.init)
        // Most recently used: what `evict` keeps.
        _ = utimensat(AT_FDCWD, path, nil, 0)
        return Entry(instructions: program, unknown: unknown)
    }

    /// Best effort: a cache that cannot be written only costs the next compile.
    func store(_ e: Entry) {
        var out = SeccompCache.magic
        out += Array("\(key.count)\n".utf8)
        out += key
        out += Array((e.unknown.joined(separator: ",") + "\n\(e.instructions.count)\n").utf8)
        out += SeccompProgram.bytes(of: e.instructions)
        let sum = SeccompCache.fnv(out, seed: 0xcbf2_9ce4_8422_2325)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: sum >> UInt64(8 * i))) }
        // The state root may not exist yet on the first `create`.
        try? makeDirectories(dir, mode: 0o711)
        let tmp = path + ".tmp\(Proc.getpid())"
        guard let fd = try? OwnedFD.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) else { return }
        let ok = (try? fd.fd.write(out)) != nil
        _ = consume fd
        if !ok || (try? renameFile(tmp, to: path)) == nil {
            try? removeFile(tmp)
            return
        }
        evict()
    }

    /// Removes the least recently used entries (oldest mtime) beyond `capacity`, temporary files
    /// left by a crashed writer included.
    func evict() {
        guard let names = try? listDirectory(dir) else { return }
        var entries: [(name: String, mtime: Int)] = []
        for name in names where name.hasPrefix(SeccompCache.prefix) {
            guard let st = entryStatus(dir + "/" + name) else { continue }
            entries.append((name, st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec))
        }
        guard entries.count > SeccompCache.capacity else { return }
        entries.sort { $0.mtime < $1.mtime }
        for e in entries.prefix(entries.count - SeccompCache.capacity) where dir + "/" + e.name != path {
            try? removeFile(dir + "/" + e.name)
        }
    }
}
