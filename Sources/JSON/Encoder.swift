/// Mutable tree built while encoding; turned into a `JSONValue` at the end.
final class _EncObject {
    var keys: [String] = []
    var values: [_EncRef] = []
    var index: [String: Int]?
    /// Set for Swift dictionaries so output is deterministic.
    var sortKeys = false
    /// The CodingKey type of the container that made this object.
    var keyType: ObjectIdentifier?

    func find(_ key: String) -> Int? {
        if let index { return index[key] }
        for i in keys.indices where keys[i] == key { return i }
        return nil
    }

    func get(_ key: String) -> _EncRef? {
        find(key).map { values[$0] }
    }

    func set(_ key: String, _ value: _EncRef) {
        if let i = find(key) {
            values[i] = value
            return
        }
        keys.append(key)
        values.append(value)
        if index != nil {
            index?[key] = keys.count - 1
        } else if keys.count > 16 {
            var idx = [String: Int](minimumCapacity: keys.count * 2)
            for (i, k) in keys.enumerated() { idx[k] = i }
            index = idx
        }
    }
}

final class _EncArray {
    var values: [_EncRef] = []
}

enum _EncRef {
    case value(JSONValue)
    case object(_EncObject)
    case array(_EncArray)
    /// A super-encoder whose content is resolved at the end.
    case encoder(_JSONEncoder)

    var materialized: JSONValue {
        switch self {
        case .value(let v):
            return v
        case .array(let a):
            return .array(a.values.map { $0.materialized })
        case .object(let o):
            var members: [(String, JSONValue)] = []
            members.reserveCapacity(o.keys.count)
            for i in o.keys.indices { members.append((o.keys[i], o.values[i].materialized)) }
            if o.sortKeys {
                members.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            }
            return .object(members)
        case .encoder(let e):
            return e.storage?.materialized ?? .object([])
        }
    }
}

/// The CodingKey type Dictionary encodes its keys with (the standard library's internal
/// `_DictionaryCodingKey`), found once by encoding a small dictionary. Objects keyed by it get
/// sorted keys. Comparing metatypes costs nothing, whereas `T.self is SomeProtocol.Type` scans every
/// protocol conformance in the binary the first time for each T: about 0.2 ms per process.
let _dictionaryKeyType: ObjectIdentifier? = {
    let probe = _JSONEncoder(parent: nil, key: nil)
    try? ["k": 0].encode(to: probe)
    if case .object(let o)? = probe.storage { return o.keyType }
    return nil
}()

final class _JSONEncoder: Encoder, SingleValueEncodingContainer, _CodingChain {
    var storage: _EncRef?
    let parent: _JSONEncoder?
    let key: CodingKey?

    init(parent: _JSONEncoder?, key: CodingKey?) {
        self.parent = parent
        self.key = key
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: _EncObject
        if case .object(let o)? = storage {
            object = o
        } else {
            object = _EncObject()
            object.keyType = ObjectIdentifier(Key.self)
            storage = .object(object)
        }
        return KeyedEncodingContainer(_KeyedEncoding<Key>(encoder: self, object: object))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        let array: _EncArray
        if case .array(let a)? = storage {
            array = a
        } else {
            array = _EncArray()
            storage = .array(array)
        }
        return _UnkeyedEncoding(encoder: self, array: array)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { self }

    // MARK: Boxing

    func boxDouble(_ d: Double, _ key: CodingKey?) throws -> JSONValue {
        guard d.isFinite else { throw JSONError(path: path(key), message: "cannot encode non-finite number \(d)") }
        return .number(_formatDouble(d))
    }

    func boxFloat(_ f: Float, _ key: CodingKey?) throws -> JSONValue {
        guard f.isFinite else { throw JSONError(path: path(key), message: "cannot encode non-finite number \(f)") }
        return .number(_formatFloat(f))
    }

    /// Encodes `value` as a child of `parent` under `key`.
    static func box<T: Encodable>(_ value: T, parent: _JSONEncoder?, key: CodingKey?) throws -> _EncRef {
        // Metatype comparisons + bitcasts: `as?` casts would cost a dynamic cast per value.
        if T.self == String.self { return .value(.string(unsafeBitCast(value, to: String.self))) }
        if T.self == Bool.self { return .value(.bool(unsafeBitCast(value, to: Bool.self))) }
        if T.self == Int.self { return .value(.number(String(unsafeBitCast(value, to: Int.self)))) }
        if T.self == UInt32.self { return .value(.number(String(unsafeBitCast(value, to: UInt32.self)))) }
        if T.self == Int64.self { return .value(.number(String(unsafeBitCast(value, to: Int64.self)))) }
        if T.self == UInt64.self { return .value(.number(String(unsafeBitCast(value, to: UInt64.self)))) }
        if T.self == Int32.self { return .value(.number(String(unsafeBitCast(value, to: Int32.self)))) }
        if T.self == JSONValue.self { return .value(unsafeBitCast(value, to: JSONValue.self)) }
        // Without Array's and Dictionary's generic Encodable code (metadata on first use); a
        // dictionary's keys sorted as for any other.
        if T.self == [String].self {
            return .value(.array(unsafeBitCast(value, to: [String].self).map { .string($0) }))
        }
        if T.self == [String: String].self {
            var members = unsafeBitCast(value, to: [String: String].self).map { ($0.key, JSONValue.string($0.value)) }
            members.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            return .value(.object(members))
        }
        let child = _JSONEncoder(parent: parent, key: key)
        try value.encode(to: child)
        guard let result = child.storage else { return .object(_EncObject()) }
        if case .object(let o) = result, o.keyType != nil, o.keyType == _dictionaryKeyType { o.sortKeys = true }
        return result
    }

    // MARK: SingleValueEncodingContainer

    func encodeNil() { storage = .value(.null) }
    func encode(_ value: Bool) { storage = .value(.bool(value)) }
    func encode(_ value: String) { storage = .value(.string(value)) }
    func encode(_ value: Double) throws { storage = .value(try boxDouble(value, nil)) }
    func encode(_ value: Float) throws { storage = .value(try boxFloat(value, nil)) }
    /// One generic function meets the requirement of each integer type up to 64 bits (Int8 ... UInt64),
    /// inlined into each type's witness so that the witness calls code specialized for its type.
    @inline(__always)
    func encode<T: FixedWidthInteger & Encodable>(_ value: T) { storage = .value(.number(String(value))) }
    /// Int128 and UInt128 need their own: the standard library's default for them (which throws) would be chosen.
    func encode(_ value: Int128) { storage = .value(.number(String(value))) }
    func encode(_ value: UInt128) { storage = .value(.number(String(value))) }
    func encode<T: Encodable>(_ value: T) throws {
        // Same path as this encoder.
        storage = try _JSONEncoder.box(value, parent: parent, key: key)
    }
}

// MARK: - Keyed

struct _KeyedEncoding<K: CodingKey>: KeyedEncodingContainerProtocol {
    typealias Key = K
    let encoder: _JSONEncoder
    let object: _EncObject

    var codingPath: [CodingKey] { encoder.codingPath }

    @inline(__always)
    func put(_ key: K, _ v: JSONValue) { object.set(key.stringValue, .value(v)) }

    mutating func encodeNil(forKey key: K) { put(key, .null) }
    mutating func encode(_ value: Bool, forKey key: K) { put(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: K) { put(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: K) throws { put(key, try encoder.boxDouble(value, key)) }
    mutating func encode(_ value: Float, forKey key: K) throws { put(key, try encoder.boxFloat(value, key)) }
    /// One generic function meets the requirement of each integer type up to 64 bits (Int8 ... UInt64),
    /// inlined into each type's witness so that the witness calls code specialized for its type.
    @inline(__always)
    mutating func encode<T: FixedWidthInteger & Encodable>(_ value: T, forKey key: K) { put(key, .number(String(value))) }
    /// Int128 and UInt128 need their own: the standard library's default for them (which throws) would be chosen.
    mutating func encode(_ value: Int128, forKey key: K) { put(key, .number(String(value))) }
    mutating func encode(_ value: UInt128, forKey key: K) { put(key, .number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: K) throws {
        object.set(key.stringValue, try _JSONEncoder.box(value, parent: encoder, key: key))
    }

    // A nested container is its own child encoder's container, which continues an object (array) an
    // earlier one stored under the same key, or replaces what is there with a new one.
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: K)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = _JSONEncoder(parent: encoder, key: key)
        child.storage = object.get(key.stringValue)
        defer { object.set(key.stringValue, child.storage!) }
        return child.container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer(forKey key: K) -> UnkeyedEncodingContainer {
        let child = _JSONEncoder(parent: encoder, key: key)
        child.storage = object.get(key.stringValue)
        defer { object.set(key.stringValue, child.storage!) }
        return child.unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        let child = _JSONEncoder(parent: encoder, key: _JSONKey("super"))
        object.set("super", .encoder(child))
        return child
    }

    mutating func superEncoder(forKey key: K) -> Encoder {
        let child = _JSONEncoder(parent: encoder, key: key)
        object.set(key.stringValue, .encoder(child))
        return child
    }
}

// MARK: - Unkeyed

struct _UnkeyedEncoding: UnkeyedEncodingContainer {
    let encoder: _JSONEncoder
    let array: _EncArray

    var codingPath: [CodingKey] { encoder.codingPath }
    var count: Int { array.values.count }

    @inline(__always)
    func add(_ v: JSONValue) { array.values.append(.value(v)) }

    var nextKey: _JSONKey { _JSONKey(index: array.values.count) }

    mutating func encodeNil() { add(.null) }
    mutating func encode(_ value: Bool) { add(.bool(value)) }
    mutating func encode(_ value: String) { add(.string(value)) }
    mutating func encode(_ value: Double) throws { add(try encoder.boxDouble(value, nextKey)) }
    mutating func encode(_ value: Float) throws { add(try encoder.boxFloat(value, nextKey)) }
    /// One generic function meets the requirement of each integer type up to 64 bits (Int8 ... UInt64),
    /// inlined into each type's witness so that the witness calls code specialized for its type.
    @inline(__always)
    mutating func encode<T: FixedWidthInteger & Encodable>(_ value: T) { add(.number(String(value))) }
    /// Int128 and UInt128 need their own: the standard library's default for them (which throws) would be chosen.
    mutating func encode(_ value: Int128) { add(.number(String(value))) }
    mutating func encode(_ value: UInt128) { add(.number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        array.values.append(try _JSONEncoder.box(value, parent: encoder, key: nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = _JSONEncoder(parent: encoder, key: nextKey)
        defer { array.values.append(child.storage!) }
        return child.container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let child = _JSONEncoder(parent: encoder, key: nextKey)
        defer { array.values.append(child.storage!) }
        return child.unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        let child = _JSONEncoder(parent: encoder, key: nextKey)
        array.values.append(.encoder(child))
        return child
    }
}
