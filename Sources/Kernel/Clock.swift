import Glibc

/// Wall-clock timestamps in the forms runc writes them, without Foundation.
public enum Clock {
    public static func now() -> timespec {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts
    }

    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's time.RFC3339Nano).
    public static func rfc3339Nano(_ ts: timespec = now()) -> String {
        var secs = ts.tv_sec
        var tm = Glibc.tm()
        gmtime_r(&secs, &tm)
        var s = "\(tm.tm_year + 1900)-\(pad(tm.tm_mon + 1))-\(pad(tm.tm_mday))T\(pad(tm.tm_hour)):\(pad(tm.tm_min)):\(pad(tm.tm_sec))"
        if ts.tv_nsec != 0 {
            var frac = String(ts.tv_nsec)
            frac = String(repeating: "0", count: 9 - frac.count) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        return s + "Z"
    }

    static func pad(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// USER_HZ: the ticks per second of the kernel's clock_t figures (cpuacct.stat, /proc/<pid>/stat).
    public static var ticksPerSecond: UInt64 { UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1)) }

    public static func sleep(milliseconds: Int) {
        var req = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var rem = timespec()
        while nanosleep(&req, &rem) == -1 && errno == EINTR { req = rem }
    }
}
