/// Foundation-free JSON: strict parser, Codable decoder/encoder, serializer.
public enum JSON {
    /// Nesting limit for arrays/objects when parsing.
    public static let maxDepth = _Parser.maxDepth

    /// Parses RFC 8259 JSON text (UTF-8). Errors have an empty path and a message starting with
    /// `line L column C:`.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buf in
            var parser = _Parser(buf)
            return try parser.parseDocument()
        }
    }

    /// Parses and decodes. Every error thrown is a `JSONError`.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: try parse(bytes))
    }

    /// Parses and decodes a document whose top-level object's member `skipped` the type ignores:
    /// its value is checked as strictly and stepped over, not built (it decodes as null).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], skipping skipped: String) throws -> T {
        let value = try bytes.withUnsafeBufferPointer { buf in
            var parser = _Parser(buf)
            parser.skippedMember = skipped
            return try parser.parseDocument()
        }
        return try decode(type, from: value)
    }

    /// Parses a document of which only the members `kept` of its top-level object are built: every
    /// other member is checked as strictly and stepped over (it stands as null).
    public static func parse(_ bytes: [UInt8], keeping kept: [String]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buf in
            var parser = _Parser(buf)
            parser.keptMembers = kept
            return try parser.parseDocument()
        }
    }

    /// Decodes from an already parsed value. Every error thrown is a `JSONError`; a
    /// `DecodingError` thrown by a type's own `init(from:)` is converted using its coding path.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try decode(type, with: _JSONDecoder(value: value, parent: nil, key: nil))
    }

    /// As `decode`, but types that read their fields from a JSONObjectReader when decoded by this
    /// module go through their Codable code instead: the reference the readers are tested against.
    public static func decodeByCodable<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try decode(type, with: _JSONDecoder(value: value, parent: nil, key: nil, codableOnly: true))
    }

    static func decode<T: Decodable>(_ type: T.Type, with decoder: _JSONDecoder) throws -> T {
        do {
            return try decoder.decode(type)
        } catch let e as JSONError {
            throw e
        } catch let e as DecodingError {
            throw e._jsonError
        }
    }

    /// Encodes to JSON text: compact (no whitespace at all) or pretty (2-space indent,
    /// `"key": value`, no trailing newline).
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
        serialize(try encodeValue(value), pretty: pretty)
    }

    /// Encodes to a `JSONValue` tree. Object keys appear in the order the type encodes them;
    /// Swift dictionaries get their keys sorted (by UTF-8 bytes).
    public static func encodeValue<T: Encodable>(_ value: T) throws -> JSONValue {
        do {
            return try _JSONEncoder.box(value, parent: nil, key: nil).materialized
        } catch let e as JSONError {
            throw e
        } catch let e as EncodingError {
            throw e._jsonError
        }
    }

    /// Serializes a value. Number payloads are written verbatim (they must be valid JSON numbers).
    public static func serialize(_ value: JSONValue, pretty: Bool = false) -> [UInt8] {
        var w = _Writer(pretty: pretty)
        w.write(value)
        return w.out
    }
}
