import Glibc
import CShim

/// The Linux namespace kinds the OCI spec names, with their clone flags and /proc/<pid>/ns names.
public enum NamespaceKind: String, CaseIterable, Sendable {
    case user, mount, uts, ipc, network, pid, cgroup, time

    public init?(specName: String) {
        switch specName {
        case "user": self = .user
        case "mount": self = .mount
        case "uts": self = .uts
        case "ipc": self = .ipc
        case "network": self = .network
        case "pid": self = .pid
        case "cgroup": self = .cgroup
        case "time": self = .time
        default: return nil
        }
    }

    public var cloneFlag: Int32 {
        switch self {
        case .user: return 0x1000_0000
        case .mount: return 0x0002_0000
        case .uts: return 0x0400_0000
        case .ipc: return 0x0800_0000
        case .network: return 0x4000_0000
        case .pid: return 0x2000_0000
        case .cgroup: return 0x0200_0000
        case .time: return 0x0000_0080
        }
    }

    /// The file name under /proc/<pid>/ns. For pid and time it names the namespace the process's
    /// children will be born in, which is what a runtime joins.
    public var procName: String {
        switch self {
        case .user: return "user"
        case .mount: return "mnt"
        case .uts: return "uts"
        case .ipc: return "ipc"
        case .network: return "net"
        case .pid: return "pid"
        case .cgroup: return "cgroup"
        case .time: return "time"
        }
    }

    /// pid and time namespaces apply to children only: joining or creating one needs a fork after.
    public var appliesToChildren: Bool { self == .pid || self == .time }
}

public enum Namespaces {
    /// `describe` is made only for an error message: the init stage's list of namespaces took a key
    /// path and a `joined` on every create.
    public static func unshare(_ flags: Int32, describe: @autoclosure () -> String) throws {
        try sys("unshare", describe()) { cs_unshare(flags) }
    }

    public static func join(_ fd: FD, _ kind: NamespaceKind, path: String) throws {
        try sys("setns", "\(kind.rawValue) namespace \(path)") { cs_setns(fd.raw, kind.cloneFlag) }
    }

    /// The namespace inode of a process, for comparisons and `kill --all` without cgroups.
    public static func inode(pid: Int32, _ kind: NamespaceKind) -> UInt64? {
        var st = stat()
        guard stat("/proc/\(pid)/ns/\(kind.procName)", &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }
}
