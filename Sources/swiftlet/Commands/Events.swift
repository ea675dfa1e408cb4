import Container
import JSON
import Kernel

/// A Go duration as runc's --interval takes it: "5s", "100ms", "1m30s", "2h".
func parseDuration(_ text: String) throws -> Int {
    var total = 0.0
    var rest = Substring(text)
    if rest.isEmpty { throw UsageError("--interval: invalid duration \"\(text)\"") }
    while !rest.isEmpty {
        let num = rest.prefix { $0.isNumber || $0 == "." }
        rest = rest.dropFirst(num.count)
        let unit = rest.prefix { !$0.isNumber && $0 != "." }
        rest = rest.dropFirst(unit.count)
        guard let v = Double(num) else { throw UsageError("--interval: invalid duration \"\(text)\"") }
        let ms: Double
        switch unit {
        case "ns": ms = v / 1_000_000
        case "us", "µs": ms = v / 1000
        case "ms": ms = v
        case "s": ms = v * 1000
        case "m": ms = v * 60_000
        case "h": ms = v * 3_600_000
        default: throw UsageError("--interval: invalid duration \"\(text)\"")
        }
        total += ms
    }
    guard total > 0 else { throw UsageError("--interval: duration must be greater than 0") }
    // Go's durations stop at 2^63 ns (about 292 years): beyond that runc says "invalid duration" too.
    guard total < 0x1p63 / 1_000_000 else { throw UsageError("--interval: invalid duration \"\(text)\" (too large)") }
    return max(1, Int(total))
}

func eventsCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, [.value("interval"), .bool("stats")], command: "events")
    let interval = try parseDuration(p.value("interval") ?? "5s")
    try runtime.events(id: id, intervalMS: interval, statsOnce: p.has("stats")) { event in
        out(String(decoding: JSON.serialize(event), as: UTF8.self) + "\n")
    }
    return 0
}
