import Kernel
import Cgroups
import JSON
import RuntimeSpec

/// Where in the runtime's input a problem sits. The same field path reads differently depending on
/// the document it is in, so the document is part of the reference.
public enum InputField: Equatable, Sendable {
    /// A field of the bundle's config.json: `linux.namespaces[2].path`.
    case config(String)
    /// A field of the process JSON `exec --process` reads.
    case process(String)
    /// A field of the resources JSON `update -r` reads.
    case resources(String)
    /// A command-line flag: `--interval`, `--systemd-cgroup`.
    case flag(String)

    /// How users see the reference: `config.json: linux.cgroupsPath`, `--interval`.
    public var shown: String {
        switch self {
        case .config(let p): return p.isEmpty ? "config.json" : "config.json: \(p)"
        case .process(let p): return p.isEmpty ? "process" : "process: \(p)"
        case .resources(let p): return p.isEmpty ? "resources" : "resources: \(p)"
        case .flag(let f): return f
        }
    }
}

/// A failure of the runtime above the Kernel layer, kept in parts until a user reads it: what the
/// runtime was doing, which input field it was about, what it acted on, and the failure underneath
/// (a `SysError` keeps its errno, a `CgroupError` its directory). Its description is the message
/// users see on stderr and in the `--log` file.
public struct RuntimeError: Error, CustomStringConvertible {
    /// The step that failed: "join namespaces", "mount", "kill", "update". Shown first when no field is.
    public var step: String?
    /// The input field the problem is about.
    public var field: InputField?
    /// The host path, cgroup directory, unit or container acted on.
    public var object: String?
    /// What went wrong, in words; may be empty when the cause says it all.
    public var reason: String
    /// The failure underneath.
    public var cause: (any Error)?
    /// Problems found together with this one (config validation reports every problem at once),
    /// each shown on a line of its own after it. Made by the parent only: not sent over the sync socket.
    public var further: [RuntimeError] = []

    public init(step: String? = nil, field: InputField? = nil, object: String? = nil, _ reason: String = "",
                cause: (any Error)? = nil) {
        self.step = step
        self.field = field
        self.object = object
        self.reason = reason
        self.cause = cause
    }

    /// A refusal of an input field: `config.json: linux.cgroupsPath: must not contain ".."`.
    public static func config(_ field: String, _ reason: String, cause: (any Error)? = nil) -> RuntimeError {
        RuntimeError(field: .config(field), reason, cause: cause)
    }

    /// Every problem `Spec.validate()` found, each with its field path (`config.json: process.cwd: ...`),
    /// one a line; nil when there is none.
    public static func configProblems(_ problems: [SpecProblem]) -> RuntimeError? {
        guard let first = problems.first else { return nil }
        var e = RuntimeError.config(first.path, first.message)
        e.further = problems.dropFirst().map { RuntimeError.config($0.path, $0.message) }
        return e
    }

    /// A refusal of a command-line flag: `--interval: ...`.
    public static func flag(_ flag: String, _ reason: String) -> RuntimeError {
        RuntimeError(field: .flag(flag), reason)
    }

    /// The errno underneath, if a system call failed somewhere below.
    public var errno: Int32? {
        switch cause {
        case let s as SysError: return s.errno
        case let c as CgroupError: return c.errno
        case let r as RuntimeError: return r.errno
        case let l as SpecLoadError: return l.errno
        default: return nil
        }
    }

    public var description: String {
        var parts: [String] = []
        if let field { parts.append(field.shown) } else if let step { parts.append(step) }
        if !reason.isEmpty { parts.append(reason) }
        if let cause { parts.append("\(cause)") }
        return ([parts.joined(separator: ": ")] + further.map(\.description)).joined(separator: "\n")
    }

    /// Runs `body`, putting any failure that is not already a `RuntimeError` under `step`.
    public static func during<T>(_ step: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as RuntimeError { throw e } catch {
            throw RuntimeError(step: step, cause: error)
        }
    }
}

/// How a `RuntimeError` crosses the sync socket from the init stage or the exec child to the parent:
/// its parts as a JSON object, the errno as a number, so the parent rebuilds the same error (and the
/// same text) instead of receiving a finished string.
extension RuntimeError {
    func wireBytes() -> [UInt8] {
        var object: [(String, JSONValue)] = [("reason", .string(reason))]
        if let step { object.append(("step", .string(step))) }
        if let field {
            switch field {
            case .config(let p): object.append(("config", .string(p)))
            case .process(let p): object.append(("process", .string(p)))
            case .resources(let p): object.append(("resources", .string(p)))
            case .flag(let f): object.append(("flag", .string(f)))
            }
        }
        if let o = self.object { object.append(("object", .string(o))) }
        switch cause {
        case nil: break
        case let s as SysError:
            object.append(("sys", .object([("call", .string(s.call)), ("detail", .string(s.detail)),
                                           ("errno", .number(String(s.errno)))])))
        case let r as RuntimeError:
            if let inner = try? JSON.parse(r.wireBytes()) { object.append(("inner", inner)) }
        case let c as CgroupError:
            var o: [(String, JSONValue)] = [("text", .string(c.description))]
            if let p = c.path { o.append(("path", .string(p))) }
            if let e = c.errno { o.append(("errno", .number(String(e)))) }
            object.append(("cgroup", .object(o)))
        case let other?:
            object.append(("text", .string("\(other)")))
        }
        return JSON.serialize(.object(object))
    }

    /// The error `wireBytes` described; a payload that is not such an object is taken as plain text.
    static func fromWire(_ bytes: [UInt8]) -> RuntimeError {
        guard let value = try? JSON.parse(bytes), value.objectValue != nil else {
            return RuntimeError(String(decoding: bytes, as: UTF8.self))
        }
        return fromWire(value)
    }

    private static func fromWire(_ v: JSONValue) -> RuntimeError {
        var e = RuntimeError(step: v["step"]?.stringValue, object: v["object"]?.stringValue,
                             v["reason"]?.stringValue ?? "")
        if let p = v["config"]?.stringValue { e.field = .config(p) }
        else if let p = v["process"]?.stringValue { e.field = .process(p) }
        else if let p = v["resources"]?.stringValue { e.field = .resources(p) }
        else if let f = v["flag"]?.stringValue { e.field = .flag(f) }
        if let s = v["sys"] {
            let errno = s["errno"]?.int64Value.flatMap { Int32(exactly: $0) } ?? 0
            e.cause = SysError(s["call"]?.stringValue ?? "", s["detail"]?.stringValue ?? "", errno: errno)
        } else if let inner = v["inner"] {
            e.cause = fromWire(inner)
        } else if let c = v["cgroup"] {
            e.cause = CgroupError(c["text"]?.stringValue ?? "", path: c["path"]?.stringValue,
                                  errno: c["errno"]?.int64Value.flatMap { Int32(exactly: $0) })
        } else if let t = v["text"]?.stringValue {
            e.cause = KernelError(t)
        }
        return e
    }
}
