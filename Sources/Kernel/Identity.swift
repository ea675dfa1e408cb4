import Glibc

/// Who the runtime runs as, and under which parent.
public enum Identity {
    public static var isRoot: Bool { geteuid() == 0 }
    /// getppid(2): 0 when the parent is outside this process's pid namespace.
    public static var parentPID: pid_t { getppid() }
}

/// The value of environment variable `name` in this process, if set.
public func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
