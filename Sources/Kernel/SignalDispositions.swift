import Glibc
import CShim

extension Proc {
    /// The signals this process ignores (SIG_IGN), bit n-1 for signal n, as the kernel lists them in
    /// /proc/self/status ("SigIgn:"; /proc/self/stat's field has only signals 1 to 31); nil when
    /// that file cannot be read or parsed. Read where /proc is one the runtime trusts (the host's,
    /// before the container's root is entered).
    public static func ignoredSignals() -> UInt64? {
        guard let bytes = try? readWholeFile(path: "/proc/self/status") else { return nil }
        return ignoredSignals(status: bytes)
    }

    /// The "SigIgn:" line of a /proc/PID/status text: 16 hex digits after a tab.
    public static func ignoredSignals(status text: [UInt8]) -> UInt64? {
        let key = Array("\nSigIgn:".utf8)
        guard text.count > key.count else { return nil }
        var i = 0
        while i + key.count <= text.count {
            if text[i] == key[0] && Array(text[i..<(i + key.count)]) == key { break }
            i += 1
        }
        i += key.count
        guard i <= text.count else { return nil }
        while i < text.count && (text[i] == UInt8(ascii: "\t") || text[i] == UInt8(ascii: " ")) { i += 1 }
        var value: UInt64 = 0
        var digits = 0
        while i < text.count, text[i] != UInt8(ascii: "\n") {
            let c = text[i]
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            guard digits < 16 else { return nil }
            value = value << 4 | UInt64(v)
            digits += 1
            i += 1
        }
        return digits == 0 ? nil : value
    }

    /// Back to SIG_DFL before execve: every catchable signal when `ignored` is nil, else only
    /// those in it (bit n-1 for signal n). execve resets caught signals by itself and keeps only
    /// ignored ones (and the blocked mask), so with the ignored set known one rt_sigaction each is
    /// enough: one instead of 62 for the runtime's own SIGPIPE. Through the system call, so that
    /// 32 and 33 (glibc's own, which its sigaction refuses) are reset too when a caller ignored them.
    public static func resetSignalDispositions(ignored: UInt64?) {
        _ = cs_reset_signals(ignored ?? UInt64.max)
    }
}
