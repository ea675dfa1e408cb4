// The spec's own enumerated strings, used by validation and `features`. Names the spec takes from
// the kernel (capabilities, rlimits, scheduler, I/O priority, memory policy, personality) are
// Kernel's tables, read by the process resolver (Container/Plan/ProcessPlan.swift).

/// Namespace type names of `linux.namespaces[].type`.
public enum NamespaceNames {
    /// All namespace types known to the spec.
    public static let all: [String] = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]
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
    /// `linux.timeOffsets` keys.
    public static let timeOffsetClocks: [String] = ["monotonic", "boottime"]
    /// `linux.devices[].type` values.
    public static let deviceTypes: [String] = ["c", "b", "u", "p"]
    /// Container states of `State.status`.
    public static let statuses: [String] = ["creating", "created", "running", "stopped"]
}
