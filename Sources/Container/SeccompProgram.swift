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

    /// Compiles the filter. Syscall names libseccomp does not know are skipped with one warning (as
    /// runc does, where it is a debug message); everything else that cannot be expressed is an error
    /// naming the field.
    static func compile(_ s: LinuxSeccomp, warn: (String) -> Void) throws -> SeccompProgram {
        let defaultAction = try action(s.defaultAction, errnoRet: s.defaultErrnoRet, field: "\(base).defaultAction")
        let filter: Seccomp.Filter
        do { filter = try Seccomp.Filter(defaultAction: defaultAction) } catch {
            throw ContainerError("\(base).defaultAction: \(s.defaultAction): \(error)")
        }
        for (i, a) in (s.architectures ?? []).enumerated() {
            let field = "\(base).architectures[\(i)]"
            guard let token = Seccomp.archToken(specName: a) else {
                throw ContainerError("\(field): \(a) is not supported by libseccomp \(Seccomp.libraryVersion)")
            }
            do { try filter.addArch(token) } catch { throw ContainerError("\(field): \(a): \(error)") }
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
        let rules = s.syscalls ?? []
        if rules.count > 32 {
            // A binary tree of syscall numbers instead of a linear list: fewer instructions per
            // syscall for long profiles (runc does the same above 32 rules).
            try? filter.setOptimize(2)
        }
        var notify = defaultAction == Seccomp.Action.notify
        var unknown: [String] = []
        for (i, rule) in rules.enumerated() {
            let field = "\(base).syscalls[\(i)]"
            let act = try action(rule.action, errnoRet: rule.errnoRet, field: "\(field).action")
            // A rule that does what the default does is redundant (and libseccomp refuses it).
            if act == defaultAction { continue }
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
            // Several conditions on the same argument cannot all hold in one rule: like runc, make
            // one rule per condition then (any of them matches).
            let groups = perIndex.contains(where: { $0 > 1 }) ? conditions.map { [$0] } : [conditions]
            for (j, name) in rule.names.enumerated() {
                guard let nr = Seccomp.syscallNumber(name) else {
                    unknown.append(name)
                    continue
                }
                for g in groups {
                    do { try filter.addRule(syscall: nr, action: act, conditions: g) } catch {
                        throw ContainerError("\(field).names[\(j)]: \(name): \(error)")
                    }
                }
            }
        }
        if !unknown.isEmpty {
            warn("linux.seccomp: syscalls unknown to libseccomp \(Seccomp.libraryVersion) ignored: "
                 + unknown.joined(separator: ", "))
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
        let program: [UInt64]
        do { program = try filter.export() } catch { throw ContainerError("linux.seccomp: \(error)") }
        return SeccompProgram(instructions: program, flags: flags,
                              listenerPath: notify ? s.listenerPath : nil, listenerMetadata: s.listenerMetadata)
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
