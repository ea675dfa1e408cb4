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
        let t = utc(ts.tv_sec)
        var s = "\(t.year)-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second))"
        if ts.tv_nsec != 0 {
            var frac = String(ts.tv_nsec)
            frac = String(repeating: "0", count: 9 - frac.count) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        return s + "Z"
    }

    static func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// The UTC calendar date and time of `seconds` since the epoch (proleptic Gregorian calendar),
    /// computed here: glibc's gmtime_r loads the time zone first (/etc/localtime opened and read,
    /// its rules kept on the heap), which `create` did in the parent while the init stage lived.
    public static func utc(_ seconds: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var days = seconds / 86400
        var rest = seconds % 86400
        if rest < 0 {
            rest += 86400
            days -= 1
        }
        // Days to a civil date, counted in 400-year eras that start on March 1st (the leap day last).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, rest / 3600, rest % 3600 / 60, rest % 60)
    }

    /// USER_HZ: the ticks per second of the kernel's clock_t figures (cpuacct.stat, /proc/<pid>/stat).
    public static var ticksPerSecond: UInt64 { UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1)) }

    public static func sleep(milliseconds: Int) {
        sleep(microseconds: milliseconds * 1000)
    }

    public static func sleep(microseconds: Int) {
        var req = timespec(tv_sec: microseconds / 1_000_000, tv_nsec: (microseconds % 1_000_000) * 1000)
        var rem = timespec()
        while nanosleep(&req, &rem) == -1 && errno == EINTR { req = rem }
    }
}
