/// A parsed JSON document.
///
/// Numbers keep their raw text (exactly as it appeared in the input, or as produced by the
/// encoder) so that no precision is lost; objects keep their members in document order
/// (duplicate keys are kept too; lookups use the last one, like Go's encoding/json).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// Raw JSON number text, e.g. `-12`, `3.5e10`. Must be valid RFC 8259 number syntax.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in order.
    case object([(String, JSONValue)])

    /// Structural equality. Objects compare member-by-member *in order*; numbers compare by
    /// their raw text (so `1` != `1.0`).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.number(a), .number(b)):
            return a == b
        case let (.string(a), .string(b)):
            return a == b
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for i in a.indices where a[i].0 != b[i].0 || a[i].1 != b[i].1 {
                return false
            }
            return true
        default:
            return false
        }
    }

    /// "null", "boolean", "number", "string", "array" or "object".
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    // MARK: Convenience accessors

    /// The value of member `key` of an object (last one if duplicated); nil if absent or not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        var i = members.count - 1
        while i >= 0 {
            if members[i].0 == key { return members[i].1 }
            i -= 1
        }
        return nil
    }

    /// Element `index` of an array; nil if out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, index >= 0, index < elements.count else { return nil }
        return elements[index]
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The number as an exact Int64 (nil if not a number, not integral, or out of range).
    public var int64Value: Int64? {
        guard case .number(let s) = self, case .ok(let v) = _parseInteger(s, as: Int64.self) else { return nil }
        return v
    }

    /// The number as an exact UInt64 (nil if not a number, not integral, or out of range).
    public var uint64Value: UInt64? {
        guard case .number(let s) = self, case .ok(let v) = _parseInteger(s, as: UInt64.self) else { return nil }
        return v
    }

    /// The number as a Double (nil if not a number or not finite).
    public var doubleValue: Double? {
        guard case .number(let s) = self, _isValidNumber(s), let d = Double(s), d.isFinite else { return nil }
        return d
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String {
        String(decoding: JSON.serialize(self), as: UTF8.self)
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(floatLiteral value: Double) { self = .number(_formatDouble(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Keeps the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

/// `JSONValue` is Codable so that structs can hold arbitrary JSON (e.g. OCI annotations of
/// unknown shape). With this module's decoder/encoder it is copied through verbatim.
extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        if let d = decoder as? _JSONDecoder {
            self = d.value
            return
        }
        // Generic path for other decoders.
        if let c = try? decoder.singleValueContainer() {
            if c.decodeNil() { self = .null; return }
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let i = try? c.decode(Int64.self) { self = .number(String(i)); return }
            if let u = try? c.decode(UInt64.self) { self = .number(String(u)); return }
            if let d = try? c.decode(Double.self) { self = .number(_formatDouble(d)); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
        }
        if let k = try? decoder.container(keyedBy: _JSONKey.self) {
            var members: [(String, JSONValue)] = []
            for key in k.allKeys {
                members.append((key.stringValue, try k.decode(JSONValue.self, forKey: key)))
            }
            self = .object(members)
            return
        }
        var u = try decoder.unkeyedContainer()
        var elements: [JSONValue] = []
        while !u.isAtEnd {
            elements.append(try u.decode(JSONValue.self))
        }
        self = .array(elements)
    }

    public func encode(to encoder: Encoder) throws {
        if let e = encoder as? _JSONEncoder {
            e.storage = .value(self)
            return
        }
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let s):
            var c = encoder.singleValueContainer()
            if case .ok(let i) = _parseInteger(s, as: Int64.self) {
                try c.encode(i)
            } else if case .ok(let u) = _parseInteger(s, as: UInt64.self) {
                try c.encode(u)
            } else if _isValidNumber(s), let d = Double(s) {
                try c.encode(d)
            } else {
                throw EncodingError.invalidValue(s, .init(codingPath: encoder.codingPath, debugDescription: "invalid JSON number \(s)"))
            }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: _JSONKey.self)
            for (k, v) in o { try c.encode(v, forKey: _JSONKey(k)) }
        }
    }
}
