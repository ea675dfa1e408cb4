/// A small parser for runc's command line: global flags before the command, the command's flags
/// and positional arguments after it, `--flag value`, `--flag=value` and `-f value` spellings.
/// Its own module, importing nothing, so that the unit tier tests it without the executable.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }

    /// runc's words when a command that acts on a container is given none.
    public init(missingIDFor command: String) {
        self.init("\(command): \"\(command)\" requires a container id")
    }
}

/// Thrown by the flag parser for `-h`/`--help` among a command's flags: main prints the command's
/// help and exits 0.
public struct HelpRequested: Error {
    public let command: String
    public init(command: String) { self.command = command }
}

public struct FlagSpec {
    public let names: [String]
    public let takesValue: Bool

    /// A flag with an argument (`--root DIR`); the first name is the one it is looked up by.
    public static func value(_ names: String...) -> FlagSpec { FlagSpec(names: names, takesValue: true) }

    /// A flag without one (`--debug`, or `--debug=false` to turn it off).
    public static func bool(_ names: String...) -> FlagSpec { FlagSpec(names: names, takesValue: false) }
}

public struct ParsedArguments {
    public var values: [String: String] = [:]
    public var switches: Set<String> = []
    public var positional: [String] = []
    /// Every value of a repeatable flag (--env A --env B), in order.
    public var all: [String: [String]] = [:]

    public init() {}

    /// The value of a flag by its first (canonical) name.
    public func value(_ name: String) -> String? { values[name] }
    public func values(_ name: String) -> [String] { all[name] ?? [] }
    public func has(_ name: String) -> Bool { switches.contains(name) }

    /// The value of `name` read as a `T`, nil when the flag is absent. Text that is not a `T` in
    /// `range` is refused before the command does anything, in the words runc has for it.
    public func integer<T: FixedWidthInteger>(_ name: String, as _: T.Type = T.self, in range: ClosedRange<T> = T.min...T.max,
                                       invalid noun: String = "number") throws -> T? {
        guard let text = value(name) else { return nil }
        guard let n = T(text), range.contains(n) else { throw UsageError("--\(name): invalid \(noun) \"\(text)\"") }
        return n
    }
}

public func parseFlags(_ args: ArraySlice<String>, _ specs: [FlagSpec], command: String,
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
                // -h, --help (and Go's -help) of any command that does not define them itself.
                if name == "help" || name == "h" { throw HelpRequested(command: command) }
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

/// The shape of most commands: their flags, then the id of the container they act on.
public func parseFlagsAndID(_ args: ArraySlice<String>, _ specs: [FlagSpec],
                     command: String) throws -> (ParsedArguments, id: String) {
    let (p, _) = try parseFlags(args, specs, command: command)
    guard let id = p.positional.first else { throw UsageError(missingIDFor: command) }
    return (p, id)
}

/// A flag together with the field of a command's options it sets: one table gives both the flags a
/// command parses and the copy of their values into its options. The field is set by a closure, not a
/// key path: a key path is instantiated at run time on its first use (a mangled-name lookup of its value
/// type and a generic class), ~60 µs of CPU for `run`'s five.
public struct OptionFlag<Options> {
    public let spec: FlagSpec
    let copy: (ParsedArguments, inout Options) -> Void

    /// `--name value` into a `String?` field (nil when the flag is absent).
    public static func value(_ names: String..., set: @escaping (inout Options, String?) -> Void) -> OptionFlag {
        OptionFlag(spec: FlagSpec(names: names, takesValue: true)) { p, o in set(&o, p.value(names[0])) }
    }

    /// A repeatable `--name value` into a `[String]` field, every value in order.
    public static func values(_ names: String..., set: @escaping (inout Options, [String]) -> Void) -> OptionFlag {
        OptionFlag(spec: FlagSpec(names: names, takesValue: true)) { p, o in set(&o, p.values(names[0])) }
    }

    /// `--name` into a `Bool` field.
    public static func bool(_ names: String..., set: @escaping (inout Options, Bool) -> Void) -> OptionFlag {
        OptionFlag(spec: FlagSpec(names: names, takesValue: false)) { p, o in set(&o, p.has(names[0])) }
    }
}

extension ParsedArguments {
    /// Sets every field of `options` that one of `flags` names from what was parsed.
    public func copy<Options>(_ flags: [OptionFlag<Options>], into options: inout Options) {
        for flag in flags { flag.copy(self, &options) }
    }
}
