import Glibc
import CShim

/// seccomp: a libseccomp filter context to compile a program (done in the parent), and the raw
/// seccomp(2) calls to install an exported program (done by the init stage right before execve).
public enum Seccomp {
    /// SECCOMP_RET_* action values (as libseccomp's SCMP_ACT_*), as <linux/seccomp.h> has them.
    public enum Action {
        public static let killProcess = UInt32(SECCOMP_RET_KILL_PROCESS)
        public static let killThread = UInt32(SECCOMP_RET_KILL_THREAD)
        public static let trap = UInt32(SECCOMP_RET_TRAP)
        public static let notify = UInt32(SECCOMP_RET_USER_NOTIF)
        public static let log = UInt32(SECCOMP_RET_LOG)
        public static let allow = UInt32(SECCOMP_RET_ALLOW)
        public static func errno(_ e: UInt16) -> UInt32 { UInt32(SECCOMP_RET_ERRNO) | UInt32(e) }
        public static func trace(_ e: UInt16) -> UInt32 { UInt32(SECCOMP_RET_TRACE) | UInt32(e) }
    }

    /// SECCOMP_FILTER_FLAG_* bits of seccomp(SECCOMP_SET_MODE_FILTER), as <linux/seccomp.h> has them.
    public enum Flag {
        public static let tsync = UInt32(SECCOMP_FILTER_FLAG_TSYNC)
        public static let log = UInt32(SECCOMP_FILTER_FLAG_LOG)
        public static let specAllow = UInt32(SECCOMP_FILTER_FLAG_SPEC_ALLOW)
        public static let newListener = UInt32(SECCOMP_FILTER_FLAG_NEW_LISTENER)
        public static let tsyncESRCH = UInt32(SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
        public static let waitKillableRecv = UInt32(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    }

    /// One argument comparison (scmp_arg_cmp): `op` is an SCMP_CMP_* number (NE = 1 ... MASKED_EQ = 7).
    public struct Condition: Sendable {
        public var index: UInt32
        public var op: UInt32
        public var a: UInt64
        public var b: UInt64
        public init(index: UInt32, op: UInt32, a: UInt64, b: UInt64) {
            self.index = index
            self.op = op
            self.a = a
            self.b = b
        }
    }

    /// The syscall number libseccomp gives `name` on the native architecture (negative pseudo
    /// numbers for syscalls only other architectures have); nil when libseccomp does not know it.
    public static func syscallNumber(_ name: String) -> Int32? {
        let n = seccomp_syscall_resolve_name(name)
        return n == -1 /* __NR_SCMP_ERROR */ ? nil : n
    }

    /// The syscall number of `name` on the architecture `arch` (a libseccomp token); nil when
    /// libseccomp does not know it there (negative pseudo numbers included).
    public static func syscallNumber(_ name: String, arch: UInt32) -> Int32? {
        let n = seccomp_syscall_resolve_name_arch(arch, name)
        return n < 0 ? nil : n
    }

    /// libseccomp's token for an architecture name such as "x86_64"; nil when it does not know it.
    public static func archToken(_ name: String) -> UInt32? {
        let t = seccomp_arch_resolve_name(name)
        return t == 0 ? nil : t
    }

    /// libseccomp's token for a runtime-spec architecture name (SCMP_ARCH_X86_64 → "x86_64").
    public static func archToken(specName: String) -> UInt32? {
        guard specName.hasPrefix("SCMP_ARCH_") else { return nil }
        return archToken(String(specName.dropFirst("SCMP_ARCH_".count)).lowercased())
    }

    /// The installed libseccomp's version, "2.5.4".
    public static var libraryVersion: String {
        guard let v = seccomp_version() else { return "?" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
    }

    public static func actionAvailable(_ action: UInt32) -> Bool { cs_seccomp_action_available(action) == 1 }
    public static func flagsSupported(_ flags: UInt32) -> Bool { cs_seccomp_flags_supported(flags) == 1 }

    /// Installs a BPF program (struct sock_filter words) for this thread. Returns the notify
    /// listener fd with `Flag.newListener`, else nil.
    public static func install(_ program: [UInt64], flags: UInt32) throws -> FD? {
        let r = try program.withUnsafeBytes { buf in
            try sys("seccomp SET_MODE_FILTER", "(\(program.count) instructions, flags \(flags))") {
                cs_seccomp_install(buf.baseAddress, UInt32(program.count), flags)
            }
        }
        return flags & Flag.newListener != 0 ? FD(r) : nil
    }

    /// A libseccomp filter context.
    public final class Filter {
        let ctx: scmp_filter_ctx

        public init(defaultAction: UInt32) throws {
            guard let c = seccomp_init(defaultAction) else {
                throw KernelError("seccomp_init: libseccomp refused default action 0x\(String(defaultAction, radix: 16))")
            }
            ctx = c
        }

        deinit { seccomp_release(ctx) }

        /// Adds an architecture; false when it is there already (the native one).
        @discardableResult
        public func addArch(_ token: UInt32) throws -> Bool {
            let r = seccomp_arch_add(ctx, token)
            if r == -EEXIST { return false }
            if r < 0 { throw SysError("seccomp_arch_add", errno: -r) }
            return true
        }

        /// SCMP_FLTATR_CTL_OPTIMIZE: 1 = priority order, 2 = binary tree of syscall numbers.
        public func setOptimize(_ level: UInt32) throws {
            let r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, level)
            if r < 0 { throw SysError("seccomp_attr_set", "SCMP_FLTATR_CTL_OPTIMIZE \(level)", errno: -r) }
        }

        /// Adds a rule (seccomp_rule_add_array: libseccomp rewrites it for every architecture).
        public func addRule(syscall: Int32, action: UInt32, conditions: [Condition]) throws {
            let cmps = conditions.map {
                scmp_arg_cmp(arg: $0.index, op: scmp_compare(rawValue: $0.op), datum_a: $0.a, datum_b: $0.b)
            }
            let r = cmps.withUnsafeBufferPointer { p in
                seccomp_rule_add_array(ctx, action, syscall, UInt32(p.count), p.baseAddress)
            }
            if r < 0 { throw SysError("seccomp_rule_add", errno: -r) }
        }

        /// The compiled BPF program, as struct sock_filter words.
        public func export() throws -> [UInt64] {
            var raw: UnsafeMutableRawPointer?
            let size = try sys("seccomp_export_bpf") { cs_seccomp_export(ctx, &raw) }
            defer { cs_free(raw) }
            let count = Int(size) / 8
            guard let raw, count > 0 else { return [] }
            return Array(UnsafeBufferPointer(start: raw.bindMemory(to: UInt64.self, capacity: count), count: count))
        }
    }
}
