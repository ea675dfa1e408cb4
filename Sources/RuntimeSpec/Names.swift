// Name tables used by validation, `features` and the code that applies a spec.

/// Linux capability names (`CAP_*`) and their numbers (linux/capability.h).
public enum CapabilityNames {
    /// All known capabilities, ordered by number (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40).
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
        "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    private static let numbers: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, n) in all.enumerated() { d[n] = i }
        return d
    }()

    /// The capability number of `name` (e.g. "CAP_KILL" → 5), or nil if unknown.
    public static func number(of name: String) -> Int? { numbers[name] }

    /// The name of capability number `number`, or nil if unknown.
    public static func name(of number: Int) -> String? {
        number >= 0 && number < all.count ? all[number] : nil
    }
}

/// `RLIMIT_*` names and their resource numbers (asm-generic/resource.h).
public enum RlimitNames {
    /// All known rlimits, ordered by number (RLIMIT_CPU = 0 ... RLIMIT_RTTIME = 15).
    public static let all: [String] = [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
        "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
        "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
        "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ]

    /// The resource number of `name` (e.g. "RLIMIT_NOFILE" → 7), or nil if unknown.
    public static func number(of name: String) -> Int? { all.firstIndex(of: name) }
}

/// Namespace type names of `linux.namespaces[].type`.
public enum NamespaceNames {
    /// All namespace types known to the spec.
    public static let all: [String] = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]

    /// The CLONE_NEW* flag of a namespace type, or nil if unknown.
    public static func cloneFlag(of type: String) -> Int32? {
        switch type {
        case "mount": return 0x0002_0000
        case "cgroup": return 0x0200_0000
        case "uts": return 0x0400_0000
        case "ipc": return 0x0800_0000
        case "user": return 0x1000_0000
        case "pid": return 0x2000_0000
        case "network": return 0x4000_0000
        case "time": return 0x0000_0080
        default: return nil
        }
    }

    /// The file name under /proc/<pid>/ns/ of a namespace type ("network" → "net", "mount" → "mnt").
    public static func procName(of type: String) -> String? {
        switch type {
        case "network": return "net"
        case "mount": return "mnt"
        case "pid", "ipc", "uts", "user", "cgroup", "time": return type
        default: return nil
        }
    }
}

/// Seccomp names of the spec (libseccomp spellings).
public enum SeccompNames {
    /// `defaultAction` / `syscalls[].action` values.
    public static let actions: [String] = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    /// `syscalls[].args[].op` values.
    public static let operators: [String] = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]
    /// `architectures` values.
    public static let architectures: [String] = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
        "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    ]
    /// `flags` values (seccomp(2) SECCOMP_FILTER_FLAG_* defined by the spec).
    public static let flags: [String] = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]
}

/// Other enumerated string values of the spec.
public enum SpecNames {
    /// Hook lists of `hooks`.
    public static let hooks: [String] = [
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    ]
    /// `linux.rootfsPropagation` values accepted (the spec's four, plus runc's recursive forms).
    public static let rootfsPropagations: [String] = [
        "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
    ]
    /// `process.ioPriority.class` values.
    public static let ioPriorityClasses: [String] = ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]
    /// `process.scheduler.policy` values.
    public static let schedulerPolicies: [String] = [
        "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
    ]
    /// `process.scheduler.flags` values.
    public static let schedulerFlags: [String] = [
        "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
        "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
        "SCHED_FLAG_UTIL_CLAMP_MAX",
    ]
    /// `linux.personality.domain` values.
    public static let personalityDomains: [String] = ["LINUX", "LINUX32"]
    /// `linux.memoryPolicy.mode` values.
    public static let memoryPolicyModes: [String] = [
        "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
        "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE",
    ]
    /// `linux.memoryPolicy.flags` values.
    public static let memoryPolicyFlags: [String] = [
        "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES",
    ]
    /// `linux.timeOffsets` keys.
    public static let timeOffsetClocks: [String] = ["monotonic", "boottime"]
    /// `linux.devices[].type` values.
    public static let deviceTypes: [String] = ["c", "b", "u", "p"]
    /// Container states of `State.status`.
    public static let statuses: [String] = ["creating", "created", "running", "stopped"]
}

extension SpecNames {
    /// The kernel number of a scheduler policy (SCHED_OTHER = 0 ... SCHED_DEADLINE = 6).
    public static func schedulerPolicyNumber(of name: String) -> Int32? {
        schedulerPolicies.firstIndex(of: name).map { Int32($0) }
    }
    /// The sched_attr flag bit of a scheduler flag (SCHED_FLAG_RESET_ON_FORK = 0x01 ... UTIL_CLAMP_MAX = 0x40).
    public static func schedulerFlagBit(of name: String) -> UInt64? {
        schedulerFlags.firstIndex(of: name).map { UInt64(1) << UInt64($0) }
    }
    /// The ioprio class number (IOPRIO_CLASS_RT = 1, BE = 2, IDLE = 3).
    public static func ioPriorityClassNumber(of name: String) -> Int32? {
        ioPriorityClasses.firstIndex(of: name).map { Int32($0 + 1) }
    }
    /// The set_mempolicy(2) mode number (MPOL_DEFAULT = 0 ... MPOL_WEIGHTED_INTERLEAVE = 6).
    public static func memoryPolicyModeNumber(of name: String) -> Int32? {
        memoryPolicyModes.firstIndex(of: name).map { Int32($0) }
    }
    /// The set_mempolicy(2) mode flag bit (MPOL_F_NUMA_BALANCING = 1<<13, RELATIVE_NODES = 1<<14, STATIC_NODES = 1<<15).
    public static func memoryPolicyFlagBit(of name: String) -> Int32? {
        memoryPolicyFlags.firstIndex(of: name).map { Int32(1) << Int32(13 + $0) }
    }
}
