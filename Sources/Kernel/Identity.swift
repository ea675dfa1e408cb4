import Glibc

/// Who the runtime runs as, and under which parent.
public enum Identity {
    public static var isRoot: Bool { geteuid() == 0 }
    /// geteuid(2): the uid permission checks use.
    public static var effectiveUID: uid_t { geteuid() }
    /// getegid(2).
    public static var effectiveGID: gid_t { getegid() }
    /// getuid(2): the uid the caller started the runtime as (a per-user D-Bus or runtime directory).
    public static var realUID: uid_t { getuid() }
    /// getppid(2): 0 when the parent is outside this process's pid namespace.
    public static var parentPID: pid_t { getppid() }
}

/// The value of environment variable `name` in this process, if set.
public func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
