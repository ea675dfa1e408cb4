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

    /// True unless /proc/self/uid_map is the initial user namespace's identity map: below it, what
    /// needs the host's root (a v1 devices cgroup rule) is refused whatever the capabilities.
    public static var inUserNamespace: Bool {
        guard let text = try? readTextFile(path: "/proc/self/uid_map") else { return false }
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return !(f.count == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
    }

    /// The uid and gid stat(2) gives in a user namespace for an owner it does not map
    /// (/proc/sys/kernel/overflowuid, overflowgid; 65534 when unreadable).
    public static var overflowIDs: (uid: uid_t, gid: gid_t) {
        func read(_ name: String) -> UInt32 {
            let text = (try? readTextFile(path: "/proc/sys/kernel/" + name)) ?? ""
            return UInt32(text.filter { $0 != "\n" }) ?? 65534
        }
        return (read("overflowuid"), read("overflowgid"))
    }

    /// /proc/self/setgroups says "deny": setgroups(2) is refused in this user namespace whatever
    /// the capabilities (one whose gid_map an unprivileged user wrote, and every one below it).
    public static var setgroupsDenied: Bool {
        (try? readTextFile(path: "/proc/self/setgroups"))?.hasPrefix("deny") == true
    }
}

/// The value of environment variable `name` in this process, if set.
public func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
