import Container
import JSON

func listCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [.value("format", "f"), .bool("quiet", "q")], command: "list")
    let states = try runtime.list()
    if p.has("quiet") {
        out(states.map { $0.id + "\n" }.joined())
        return 0
    }
    switch p.value("format") ?? "table" {
    case "json":
        out(String(decoding: try JSON.encode(states), as: UTF8.self) + "\n")
    case "table":
        var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        for s in states {
            rows.append([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])
        }
        // Go's tabwriter as runc sets it up: minimum width 12, padding 3.
        var widths = [Int](repeating: 12, count: 6)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count + 3) } }
        out(rows.map { tableRow($0, widths) }.joined())
    case let f:
        throw UsageError("list: invalid format \"\(f)\" (table or json)")
    }
    return 0
}

func tableRow(_ cells: [String], _ widths: [Int]) -> String {
    var line = ""
    for (i, c) in cells.enumerated() {
        if i == cells.count - 1 { line += c } else { line += c + String(repeating: " ", count: widths[i] - c.count) }
    }
    return line + "\n"
}
