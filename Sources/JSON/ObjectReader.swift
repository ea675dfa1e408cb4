/// An object's members read by name, for types that take their fields from the parsed value themselves
/// (RuntimeSpec's config types, Read.swift) instead of through Codable: a keyed or unkeyed container is
/// generic over the type's coding keys, so each type's first decode in a process instantiates its
/// container, box and witness-table metadata, most of the CPU of decoding a config.json. Values and
/// errors are the Codable decoder's: the last of duplicate members counts, absent and null optional
/// members are nil, and an error's path and message are those `JSON.decode` gives.
public struct JSONObjectReader {
    let members: [(String, JSONValue)]
    /// Where this object sits in the document (`linux.resources`), as error paths write it.
    public let path: String

    /// `value` must be an object: otherwise the error the Codable decoder gives at `path`.
    public init(_ value: JSONValue, at path: @autoclosure () -> String) throws {
        guard case .object(let members) = value else { throw Self.mismatch("an object", value, path()) }
        self.members = members
        self.path = path()
    }

    /// The reader of the object a Decodable is decoded from, when `decoder` is this module's and
    /// may read directly (not `JSON.decodeByCodable`); nil for any other decoder.
    public init?(decoder: Decoder) throws {
        guard let d = decoder as? _JSONDecoder, !d.codableOnly else { return nil }
        // The top-level decoder (the only one without a parent) is at the empty path.
        try self.init(d.value, at: d.parent === nil ? "" : d.path(nil))
    }

    /// The path of member `name` of this object.
    @inline(__always)
    public func member(_ name: String) -> String { Self.member(path, name) }

    public static func member(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }

    public static func element(_ path: String, _ index: Int) -> String { path + "[\(index)]" }

    /// Member `name` (its last occurrence), null included; nil when absent.
    public func value(_ name: String) -> JSONValue? {
        var i = members.count - 1
        while i >= 0 {
            if members[i].0 == name { return members[i].1 }
            i -= 1
        }
        return nil
    }

    /// Member `name` for an optional field: nil when absent or null.
    public func present(_ name: String) -> JSONValue? {
        guard let v = value(name) else { return nil }
        if case .null = v { return nil }
        return v
    }

    /// Member `name` for a required field (a null is its value, and fails as that field's type).
    public func required(_ name: String) throws -> JSONValue {
        guard let v = value(name) else { throw JSONError(path: member(name), message: "required property missing") }
        return v
    }

    static func mismatch(_ expected: String, _ v: JSONValue, _ path: String) -> JSONError {
        JSONError(path: path, message: "expected \(expected), got \(v.kind)")
    }

    // MARK: Values (`path`: where `v` sits, built only for an error)

    public static func string(_ v: JSONValue, at path: @autoclosure () -> String) throws -> String {
        if case .string(let s) = v { return s }
        throw mismatch("a string", v, path())
    }

    public static func bool(_ v: JSONValue, at path: @autoclosure () -> String) throws -> Bool {
        if case .bool(let b) = v { return b }
        throw mismatch("a boolean", v, path())
    }

    // One function per integer type the config uses, each calling code specialized for its type.
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: Int.Type) throws -> Int {
        try integer(v, path)
    }
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: Int32.Type) throws -> Int32 {
        try integer(v, path)
    }
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: Int64.Type) throws -> Int64 {
        try integer(v, path)
    }
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: UInt.Type) throws -> UInt {
        try integer(v, path)
    }
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: UInt16.Type) throws -> UInt16 {
        try integer(v, path)
    }
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: UInt32.Type) throws -> UInt32 {
        try integer(v, path)
    }
    public static func integer(_ v: JSONValue, at path: @autoclosure () -> String, as _: UInt64.Type) throws -> UInt64 {
        try integer(v, path)
    }

    static func integer<T: FixedWidthInteger>(_ v: JSONValue, _ path: () -> String) throws -> T {
        guard case .number(let s) = v else { throw mismatch("an integer", v, path()) }
        switch _parseInteger(s, as: T.self) {
        case .ok(let r): return r
        case .overflow: throw JSONError(path: path(), message: "\(s) does not fit in \(T.self)")
        case .notInteger: throw JSONError(path: path(), message: "expected an integer, got \(s)")
        case .invalid: throw JSONError(path: path(), message: "invalid number \(s)")
        }
    }

    /// An array's elements.
    public static func elements(_ v: JSONValue, at path: @autoclosure () -> String) throws -> [JSONValue] {
        if case .array(let elements) = v { return elements }
        throw mismatch("an array", v, path())
    }

    public static func strings(_ v: JSONValue, at path: @autoclosure () -> String) throws -> [String] {
        guard case .array(let elements) = v else { throw mismatch("an array", v, path()) }
        var out: [String] = []
        out.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            guard case .string(let s) = element else { throw mismatch("a string", element, self.element(path(), i)) }
            out.append(s)
        }
        return out
    }

    /// An object's members as a dictionary decodes them: each name once, with its last value, in the
    /// order of those last values.
    public static func lastMembers(_ v: JSONValue, at path: @autoclosure () -> String) throws -> [(String, JSONValue)] {
        guard case .object(let members) = v else { throw mismatch("an object", v, path()) }
        var out: [(String, JSONValue)] = []
        out.reserveCapacity(members.count)
        // A look at the rest per member is quadratic: a planted map of 64k members took 4 s.
        // Small objects (the usual maps) skip the dictionary.
        if members.count <= 16 {
            for (i, m) in members.enumerated() where !members[(i + 1)...].contains(where: { $0.0 == m.0 }) {
                out.append(m)
            }
            return out
        }
        let last = lastIndices(members)
        for (i, m) in members.enumerated() where last[m.0] == i { out.append(m) }
        return out
    }

    /// Each name's last position among `members`.
    static func lastIndices(_ members: [(String, JSONValue)]) -> [String: Int] {
        var last = [String: Int](minimumCapacity: members.count)
        for (i, m) in members.enumerated() { last[m.0] = i }
        return last
    }

    /// A name given more than once takes its last value, and only that value must be a string (as the
    /// Codable decoder's [String: String]).
    public static func stringMap(_ v: JSONValue, at path: @autoclosure () -> String) throws -> [String: String] {
        guard case .object(let members) = v else { throw mismatch("an object", v, path()) }
        var out = [String: String](minimumCapacity: members.count)
        var last: [String: Int]?  // made at the first value that is not a string
        for (i, (name, value)) in members.enumerated() {
            guard case .string(let s) = value else {
                if last == nil { last = lastIndices(members) }
                if let l = last?[name], l > i { continue }
                throw mismatch("a string", value, member(path(), name))
            }
            out[name] = s
        }
        return out
    }
}
