/// A small parser for runc's command line: global flags before the command, the command's flags
/// and positional arguments after it, `--flag value`, `--flag=value` and `-f value` spellings.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct FlagSpec {
    let names: [String]
    let takesValue: Bool
}

struct ParsedArguments {
    var values: [String: String] = [:]
    var switches: Set<String> = []
    var positional: [String] = []
    /// Every value of a repeatable flag (--env A --env B), in order.
    var all: [String: [String]] = [:]

    /// The value of a flag by its first (canonical) name.
    func value(_ name: String) -> String? { values[name] }
    func values(_ name: String) -> [String] { all[name] ?? [] }
    func has(_ name: String) -> Bool { switches.contains(name) }
}

func parseFlags(_ args: ArraySlice<String>, _ specs: [FlagSpec], command: String,
                stopAtPositional: Bool = false) throws -> (ParsedArguments, ArraySlice<String>) {
    var out = ParsedArguments()
    var i = args.startIndex
    while i < args.endIndex {
        let arg = args[i]
        if arg == "--" {
            out.positional += args[(i + 1)...]
            return (out, [])
        }
        if arg.hasPrefix("-") && arg != "-" {
            var name = arg.hasPrefix("--") ? String(arg.dropFirst(2)) : String(arg.dropFirst())
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = specs.first(where: { $0.names.contains(name) }) else {
                throw UsageError("\(command): flag provided but not defined: -\(name)")
            }
            let canonical = spec.names[0]
            if spec.takesValue {
                if let inline {
                    out.values[canonical] = inline
                } else {
                    i += 1
                    guard i < args.endIndex else { throw UsageError("\(command): flag needs an argument: -\(name)") }
                    out.values[canonical] = args[i]
                }
                out.all[canonical, default: []].append(out.values[canonical]!)
            } else {
                if let inline, inline == "false" { out.switches.remove(canonical) } else { out.switches.insert(canonical) }
            }
        } else {
            if stopAtPositional { return (out, args[i...]) }
            out.positional.append(arg)
        }
        i += 1
    }
    return (out, [])
}
