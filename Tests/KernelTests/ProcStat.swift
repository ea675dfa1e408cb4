import Glibc
@testable import Kernel

/// The fields of /proc/<pid>/stat that identify a process over time, read the plain way (split
/// Strings): the reference ProcLivenessTests holds the runtime's reader (ProcLiveness, on the bytes)
/// to. Only tests use it.
struct ProcStat {
    let state: Character
    let ppid: Int32
    let startTime: UInt64

    init?(_ text: String) {
        // comm may contain spaces and parentheses: the fields start after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19, let st = rest[0].first, let pp = Int32(rest[1]), let start = UInt64(rest[19])
        else { return nil }
        state = st
        ppid = pp
        startTime = start
    }

    static func read(_ pid: pid_t) -> ProcStat? {
        guard let text = try? readTextFile(path: "/proc/\(pid)/stat") else { return nil }
        return ProcStat(text)
    }
}
