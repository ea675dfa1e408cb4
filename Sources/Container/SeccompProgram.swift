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

    static let base = "config.json: linux.seccomp"

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
                throw ContainerError("\(field): errnoRet \(e) is out of range 0...65535")
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
        default: throw ContainerError("\(field): unknown seccomp action \"\(name)\"")
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
        fileprivate var job: (defaultAction: UInt32, archs: [UInt32], rules: [Rule], specArchs: [String], cache: SeccompCache?)?
        fileprivate var unknown: [String] = []

        var needsBuild: Bool { job != nil }

        mutating func finish(warn: (String) -> Void) throws {
            if let j = job {
                let compiled = try SeccompProgram.build(defaultAction: j.defaultAction, archs: j.archs, rules: j.rules,
                                                        specArchs: j.specArchs)
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
                throw ContainerError("\(base).architectures[\(i)]: \(a) is not supported by libseccomp \(Seccomp.libraryVersion)")
            }
            archs.append(token)
        }
        var flags: UInt32 = 0
        for (i, name) in (s.flags ?? []).enumerated() {
            guard let bit = flagBit(name) else {
                throw ContainerError("\(base).flags[\(i)]: unknown seccomp flag \"\(name)\"")
            }
            let probe = bit == Seccomp.Flag.waitKillableRecv ? bit | Seccomp.Flag.newListener : bit
            guard Seccomp.flagsSupported(probe) else {
                throw ContainerError("\(base).flags[\(i)]: \(name) is not supported by this kernel")
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
                    throw ContainerError("\(field).args[\(j)].op: unknown seccomp operator \"\(arg.op)\"")
                }
                guard arg.index < 6 else {
                    throw ContainerError("\(field).args[\(j)].index: \(arg.index) is out of range 0...5")
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
                throw ContainerError("\(base).listenerPath: required when SCMP_ACT_NOTIFY is used")
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
            prepared.job = (defaultAction, archs, rules, s.architectures ?? [], cache)
        }
        return prepared
    }

    /// The libseccomp part: rules → BPF.
    static func build(defaultAction: UInt32, archs: [UInt32], rules: [Rule], specArchs: [String]) throws -> SeccompCache.Entry {
        let filter: Seccomp.Filter
        do { filter = try Seccomp.Filter(defaultAction: defaultAction) } catch {
            throw ContainerError("\(base).defaultAction: \(error)")
        }
        for (i, token) in archs.enumerated() {
            do { try filter.addArch(token) } catch {
                throw ContainerError("\(base).architectures[\(i)]: \(specArchs[i]): \(error)")
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
                        throw ContainerError("\(rule.field).names[\(j)]: \(name): \(error)")
                    }
                }
            }
        }
        do {
            return SeccompCache.Entry(instructions: try filter.export(), unknown: unknown)
        } catch {
            throw ContainerError("linux.seccomp: \(error)")
        }
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

/// Compiled filters kept in the state root as `seccomp:<hash>` files (':' cannot occur in a
/// container id, and `list` only looks at directories), so that a profile used again (Docker's
/// default, say) is not compiled again. The key covers the filter's JSON and the libseccomp
/// version; a file that does not check out (short, bad magic, bad checksum) is ignored.
struct SeccompCache {
    struct Entry {
        var instructions: [UInt64]
        var unknown: [String]
    }

    let path: String

    static let magic: [UInt8] = Array("swiftlet-seccomp-1\n".utf8)

    init(dir: String, filter: LinuxSeccomp) {
        var key = filter
        // The agent's address and metadata do not change the program.
        key.listenerPath = nil
        key.listenerMetadata = nil
        var bytes = Array("\(Seccomp.libraryVersion)\n".utf8)
        bytes += (try? JSON.encode(key)) ?? []
        path = dir + "/seccomp:" + SeccompCache.hex(SeccompCache.fnv(bytes, seed: 0xcbf2_9ce4_8422_2325))
            + SeccompCache.hex(SeccompCache.fnv(bytes, seed: 0x6c62_272e_07bb_0142))
    }

    static func fnv(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
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

    /// magic, unknown names (one line, comma-separated), instruction count (decimal line), the
    /// instructions (8 bytes each, native order), FNV-1a of everything before.
    func load() -> Entry? {
        guard let data = try? readFile(path: path), data.count > SeccompCache.magic.count + 8,
              Array(data[0..<SeccompCache.magic.count]) == SeccompCache.magic else { return nil }
        let body = Array(data[0..<(data.count - 8)])
        var sum: UInt64 = 0
        for i in 0..<8 { sum |= UInt64(data[data.count - 8 + i]) << UInt64(8 * i) }
        guard sum == SeccompCache.fnv(body, seed: 0xcbf2_9ce4_8422_2325) else { return nil }
        var pos = SeccompCache.magic.count
        func line() -> String? {
            guard let end = body[pos...].firstIndex(of: 10) else { return nil }
            defer { pos = end + 1 }
            return String(decoding: body[pos..<end], as: UTF8.self)
        }
        guard let unknownLine = line(), let countLine = line(), let count = Int(countLine),
              body.count - pos == count * 8 else { return nil }
        let program = SeccompProgram.instructions(from: body[pos...])
        let unknown = unknownLine.isEmpty ? [] : unknownLine.split(separator: ",").map(String.init)
        return Entry(instructions: program, unknown: unknown)
    }

    /// Best effort: a cache that cannot be written only costs the next compile.
    func store(_ e: Entry) {
        var out = SeccompCache.magic
        out += Array((e.unknown.joined(separator: ",") + "\n\(e.instructions.count)\n").utf8)
        out += SeccompProgram.bytes(of: e.instructions)
        let sum = SeccompCache.fnv(out, seed: 0xcbf2_9ce4_8422_2325)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: sum >> UInt64(8 * i))) }
        // The state root may not exist yet on the first `create`.
        if let slash = path.lastIndex(of: "/") { try? makeDirectories(String(path[..<slash]), mode: 0o711) }
        let tmp = path + ".tmp\(Proc.getpid())"
        guard let fd = try? FD.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) else { return }
        let ok = (try? fd.write(out)) != nil
        fd.close()
        if !ok || rename(tmp, path) != 0 { _ = unlink(tmp) }
    }
}
