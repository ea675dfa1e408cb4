/// Decoder over a `JSONValue`. The coding path is kept as a parent chain and only materialised
/// when needed (errors, or a type asking for `codingPath`).
final class _JSONDecoder: Decoder, SingleValueDecodingContainer, _CodingChain {
    let value: JSONValue
    let parent: _JSONDecoder?
    let key: CodingKey?
    /// `JSON.decodeByCodable`: types that read their fields themselves (JSONObjectReader) decode
    /// through Codable instead.
    let codableOnly: Bool

    init(value: JSONValue, parent: _JSONDecoder?, key: CodingKey?, codableOnly: Bool = false) {
        self.value = value
        self.parent = parent
        self.key = key
        self.codableOnly = parent?.codableOnly ?? codableOnly
    }

    // MARK: Containers

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("an object", value, nil) }
        return KeyedDecodingContainer(_KeyedDecoding<Key>(decoder: self, members: members))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("an array", value, nil) }
        return _UnkeyedDecoding(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { self }

    // MARK: Unboxing (key = the key under which `v` sits relative to this decoder, for error paths)

    func mismatch(_ expected: String, _ v: JSONValue, _ key: CodingKey?) -> JSONError {
        JSONError(path: path(key), message: "expected \(expected), got \(v.kind)")
    }

    @inline(__always)
    func unboxBool(_ v: JSONValue, _ key: CodingKey?) throws -> Bool {
        if case .bool(let b) = v { return b }
        throw mismatch("a boolean", v, key)
    }

    @inline(__always)
    func unboxString(_ v: JSONValue, _ key: CodingKey?) throws -> String {
        if case .string(let s) = v { return s }
        throw mismatch("a string", v, key)
    }

    func unboxInt<T: FixedWidthInteger>(_ v: JSONValue, _ key: CodingKey?, as _: T.Type = T.self) throws -> T {
        guard case .number(let s) = v else { throw mismatch("an integer", v, key) }
        switch _parseInteger(s, as: T.self) {
        case .ok(let r): return r
        case .overflow: throw JSONError(path: path(key), message: "\(s) does not fit in \(T.self)")
        case .notInteger: throw JSONError(path: path(key), message: "expected an integer, got \(s)")
        case .invalid: throw JSONError(path: path(key), message: "invalid number \(s)")
        }
    }

    func unboxDouble(_ v: JSONValue, _ key: CodingKey?) throws -> Double { try unboxFloatingPoint(v, key) }

    func unboxFloat(_ v: JSONValue, _ key: CodingKey?) throws -> Float { try unboxFloatingPoint(v, key) }

    func unboxFloatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ v: JSONValue, _ key: CodingKey?) throws -> T {
        guard case .number(let s) = v else { throw mismatch("a number", v, key) }
        guard _isValidNumber(s) else { throw JSONError(path: path(key), message: "invalid number \(s)") }
        guard let f = T(s), f.isFinite else {
            throw JSONError(path: path(key), message: "\(s) does not fit in \(T.self)")
        }
        return f
    }

    /// Decodes any Decodable from `v` (a child of this decoder under `key`), with fast paths
    /// for primitives so arrays of strings/ints don't allocate a decoder per element.
    /// (No `T?` or `as? T` here: in unspecialized code those cost a metadata lookup per call.)
    func unbox<T: Decodable>(_ v: JSONValue, as type: T.Type, _ key: CodingKey?) throws -> T {
        if T.self == String.self { return unsafeBitCast(try unboxString(v, key), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try unboxBool(v, key), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try unboxInt(v, key, as: Int.self), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try unboxInt(v, key, as: UInt32.self), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try unboxInt(v, key, as: Int64.self), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try unboxInt(v, key, as: UInt64.self), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try unboxInt(v, key, as: Int32.self), to: T.self) }
        if T.self == UInt16.self { return unsafeBitCast(try unboxInt(v, key, as: UInt16.self), to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try unboxInt(v, key, as: UInt8.self), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try unboxInt(v, key, as: UInt.self), to: T.self) }
        if T.self == Int16.self { return unsafeBitCast(try unboxInt(v, key, as: Int16.self), to: T.self) }
        if T.self == Int8.self { return unsafeBitCast(try unboxInt(v, key, as: Int8.self), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try unboxDouble(v, key), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(try unboxFloat(v, key), to: T.self) }
        if T.self == JSONValue.self { return unsafeBitCast(v, to: T.self) }
        if T.self == [String].self { return unsafeBitCast(try unboxStrings(v, key), to: T.self) }
        if T.self == [String: String].self { return unsafeBitCast(try unboxStringMap(v, key), to: T.self) }
        return try T(from: _JSONDecoder(value: v, parent: self, key: key))
    }

    // [String] and [String: String] (args, env, mount options, annotations, cgroup paths) without
    // Array's and Dictionary's generic Decodable code: its first use in a process instantiates
    // container, box and coding-key metadata and casts key arrays, ~5% of an `exec`'s user-space CPU.
    // Same results and errors as that code.

    func unboxStrings(_ v: JSONValue, _ key: CodingKey?) throws -> [String] {
        guard case .array(let elements) = v else { throw mismatch("an array", v, key) }
        var out: [String] = []
        out.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            guard case .string(let s) = element else {
                throw _JSONDecoder(value: v, parent: self, key: key).mismatch("a string", element, _JSONKey(index: i))
            }
            out.append(s)
        }
        return out
    }

    /// A name given more than once takes its last value (as a keyed container's lookup does), and
    /// only that value must be a string.
    func unboxStringMap(_ v: JSONValue, _ key: CodingKey?) throws -> [String: String] {
        guard case .object(let members) = v else { throw mismatch("an object", v, key) }
        var out = [String: String](minimumCapacity: members.count)
        for (i, (name, value)) in members.enumerated() {
            guard case .string(let s) = value else {
                if members[(i + 1)...].contains(where: { $0.0 == name }) { continue }
                throw _JSONDecoder(value: v, parent: self, key: key).mismatch("a string", value, _JSONKey(name))
            }
            out[name] = s
        }
        return out
    }

    @inline(__always)
    static func isPrimitive(_ t: Any.Type) -> Bool {
        t == String.self || t == Bool.self || t == Int.self || t == UInt32.self || t == Int64.self
            || t == UInt64.self || t == Int32.self || t == UInt16.self || t == UInt8.self || t == UInt.self
            || t == Int16.self || t == Int8.self || t == Double.self || t == Float.self || t == JSONValue.self
    }

    // MARK: SingleValueDecodingContainer

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try unboxBool(value, nil) }
    func decode(_ type: String.Type) throws -> String { try unboxString(value, nil) }
    func decode(_ type: Double.Type) throws -> Double { try unboxDouble(value, nil) }
    func decode(_ type: Float.Type) throws -> Float { try unboxFloat(value, nil) }
    /// One generic function meets the requirement of each integer type up to 64 bits (Int8 ... UInt64),
    /// inlined into each type's witness so that the witness calls code specialized for its type.
    @inline(__always)
    func decode<T: FixedWidthInteger & Decodable>(_ type: T.Type) throws -> T { try unboxInt(value, nil) }
    /// Int128 and UInt128 need their own: the standard library's default for them (which throws) would be chosen.
    func decode(_ type: Int128.Type) throws -> Int128 { try unboxInt(value, nil) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try unboxInt(value, nil) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if Self.isPrimitive(T.self) { return try unbox(value, as: type, nil) }
        // Same value, same path: let T decode from this decoder.
        return try T(from: self)
    }
}

// MARK: - Keyed

struct _KeyedDecoding<K: CodingKey>: KeyedDecodingContainerProtocol {
    typealias Key = K

    let decoder: _JSONDecoder
    let members: [(String, JSONValue)]
    /// Built for large objects; maps key → index of its last occurrence.
    let index: [String: Int]?

    init(decoder: _JSONDecoder, members: [(String, JSONValue)]) {
        self.decoder = decoder
        self.members = members
        if members.count > 12 {
            var index = [String: Int](minimumCapacity: members.count)
            for (i, m) in members.enumerated() { index[m.0] = i }
            self.index = index
        } else {
            self.index = nil
        }
    }

    var codingPath: [CodingKey] { decoder.codingPath }

    var allKeys: [K] {
        var keys: [K] = []
        keys.reserveCapacity(members.count)
        if let index {
            for (i, m) in members.enumerated() where index[m.0] == i {
                if let k = K(stringValue: m.0) { keys.append(k) }
            }
        } else {
            for (i, m) in members.enumerated() {
                var dup = false
                for j in (i + 1)..<members.count where members[j].0 == m.0 {
                    dup = true
                    break
                }
                if !dup, let k = K(stringValue: m.0) { keys.append(k) }
            }
        }
        return keys
    }

    @inline(__always)
    func lookup(_ key: K) -> JSONValue? {
        let name = key.stringValue
        if let index {
            guard let i = index[name] else { return nil }
            return members[i].1
        }
        var i = members.count - 1
        while i >= 0 {
            if members[i].0 == name { return members[i].1 }
            i -= 1
        }
        return nil
    }

    @inline(__always)
    func require(_ key: K) throws -> JSONValue {
        guard let v = lookup(key) else {
            throw JSONError(path: decoder.path(key), message: "required property missing")
        }
        return v
    }

    /// Value for decodeIfPresent: nil when absent or null.
    @inline(__always)
    func present(_ key: K) -> JSONValue? {
        guard let v = lookup(key) else { return nil }
        if case .null = v { return nil }
        return v
    }

    func contains(_ key: K) -> Bool { lookup(key) != nil }

    func decodeNil(forKey key: K) throws -> Bool { present(key) == nil }

    func decode(_ type: Bool.Type, forKey key: K) throws -> Bool { try decoder.unboxBool(try require(key), key) }
    func decode(_ type: String.Type, forKey key: K) throws -> String { try decoder.unboxString(try require(key), key) }
    func decode(_ type: Double.Type, forKey key: K) throws -> Double { try decoder.unboxDouble(try require(key), key) }
    func decode(_ type: Float.Type, forKey key: K) throws -> Float { try decoder.unboxFloat(try require(key), key) }
    /// One generic function meets the requirement of each integer type up to 64 bits (Int8 ... UInt64),
    /// inlined into each type's witness so that the witness calls code specialized for its type.
    @inline(__always)
    func decode<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: K) throws -> T {
        try decoder.unboxInt(try require(key), key)
    }
    /// Int128 and UInt128 need their own: the standard library's default for them (which throws) would be chosen.
    func decode(_ type: Int128.Type, forKey key: K) throws -> Int128 { try decoder.unboxInt(try require(key), key) }
    func decode(_ type: UInt128.Type, forKey key: K) throws -> UInt128 { try decoder.unboxInt(try require(key), key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T {
        try decoder.unbox(try require(key), as: type, key)
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: K) throws -> Bool? { try present(key).map { try decoder.unboxBool($0, key) } }
    func decodeIfPresent(_ type: String.Type, forKey key: K) throws -> String? { try present(key).map { try decoder.unboxString($0, key) } }
    func decodeIfPresent(_ type: Double.Type, forKey key: K) throws -> Double? { try present(key).map { try decoder.unboxDouble($0, key) } }
    func decodeIfPresent(_ type: Float.Type, forKey key: K) throws -> Float? { try present(key).map { try decoder.unboxFloat($0, key) } }
    // One overload per integer type here: a generic one would lose to the standard library's default
    // decodeIfPresent (contains, decodeNil, then decode: three lookups of the key instead of one).
    func decodeIfPresent(_ type: Int.Type, forKey key: K) throws -> Int? { try intIfPresent(key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: K) throws -> Int8? { try intIfPresent(key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: K) throws -> Int16? { try intIfPresent(key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: K) throws -> Int32? { try intIfPresent(key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: K) throws -> Int64? { try intIfPresent(key) }
    func decodeIfPresent(_ type: Int128.Type, forKey key: K) throws -> Int128? { try intIfPresent(key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: K) throws -> UInt? { try intIfPresent(key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: K) throws -> UInt8? { try intIfPresent(key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: K) throws -> UInt16? { try intIfPresent(key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: K) throws -> UInt32? { try intIfPresent(key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: K) throws -> UInt64? { try intIfPresent(key) }
    func decodeIfPresent(_ type: UInt128.Type, forKey key: K) throws -> UInt128? { try intIfPresent(key) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T? {
        guard let v = present(key) else { return nil }
        return try decoder.unbox(v, as: type, key)
    }

    @inline(__always)
    func intIfPresent<T: FixedWidthInteger>(_ key: K) throws -> T? {
        guard let v = present(key) else { return nil }
        return try decoder.unboxInt(v, key, as: T.self)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: K) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try _JSONDecoder(value: try require(key), parent: decoder, key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: K) throws -> UnkeyedDecodingContainer {
        try _JSONDecoder(value: try require(key), parent: decoder, key: key).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        let k = _JSONKey("super")
        var v: JSONValue = .null
        var i = members.count - 1
        while i >= 0 {
            if members[i].0 == "super" {
                v = members[i].1
                break
            }
            i -= 1
        }
        return _JSONDecoder(value: v, parent: decoder, key: k)
    }

    func superDecoder(forKey key: K) throws -> Decoder {
        _JSONDecoder(value: lookup(key) ?? .null, parent: decoder, key: key)
    }
}

// MARK: - Unkeyed

struct _UnkeyedDecoding: UnkeyedDecodingContainer {
    let decoder: _JSONDecoder
    let elements: [JSONValue]
    private(set) var currentIndex = 0

    init(decoder: _JSONDecoder, elements: [JSONValue]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    @inline(__always)
    func peek() throws -> JSONValue {
        guard currentIndex < elements.count else {
            throw JSONError(
                path: decoder.path(_JSONKey(index: currentIndex)),
                message: "unexpected end of array (it has \(elements.count) elements)")
        }
        return elements[currentIndex]
    }

    var key: _JSONKey { _JSONKey(index: currentIndex) }

    mutating func decodeNil() throws -> Bool {
        if case .null = try peek() {
            currentIndex += 1
            return true
        }
        return false
    }

    @inline(__always)
    mutating func next<T>(_ body: (_JSONDecoder, JSONValue, _JSONKey) throws -> T) throws -> T {
        let d = decoder
        let v = try peek()
        let r = try body(d, v, key)
        currentIndex += 1
        return r
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try $0.unboxBool($1, $2) } }
    mutating func decode(_ type: String.Type) throws -> String { try next { try $0.unboxString($1, $2) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next { try $0.unboxDouble($1, $2) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next { try $0.unboxFloat($1, $2) } }
    /// One generic function meets the requirement of each integer type up to 64 bits (Int8 ... UInt64),
    /// inlined into each type's witness so that the witness calls code specialized for its type.
    @inline(__always)
    mutating func decode<T: FixedWidthInteger & Decodable>(_ type: T.Type) throws -> T { try next { try $0.unboxInt($1, $2) } }
    /// Int128 and UInt128 need their own: the standard library's default for them (which throws) would be chosen.
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try next { try $0.unboxInt($1, $2) } }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try next { try $0.unboxInt($1, $2) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next { try $0.unbox($1, as: type, $2) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next { try _JSONDecoder(value: $1, parent: $0, key: $2).container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        try next { try _JSONDecoder(value: $1, parent: $0, key: $2).unkeyedContainer() }
    }

    mutating func superDecoder() throws -> Decoder {
        try next { _JSONDecoder(value: $1, parent: $0, key: $2) }
    }
}
