import Glibc
import CShim

/// A small client of the D-Bus wire protocol: enough to call systemd's manager (method calls, their
/// replies and errors, signals) over a unix socket, with SASL EXTERNAL. Used only by the systemd
/// cgroup driver: nothing here runs unless `--systemd-cgroup` is given.

/// One D-Bus value. Arrays and variants carry their element / content signature so that an empty
/// array still marshals.
public indirect enum DBusValue: Equatable, Sendable {
    case byte(UInt8)
    case bool(Bool)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case string(String)
    case objectPath(String)
    case signature(String)
    /// `element`: the signature of one element (`(sv)`, `u`, `{sv}`).
    case array(element: String, [DBusValue])
    /// A struct, or a dict entry when it sits in an array whose element signature starts with `{`.
    case structure([DBusValue])
    case variant(DBusValue)

    /// The value's own signature.
    public var signature: String {
        switch self {
        case .byte: return "y"
        case .bool: return "b"
        case .int32: return "i"
        case .uint32: return "u"
        case .int64: return "x"
        case .uint64: return "t"
        case .string: return "s"
        case .objectPath: return "o"
        case .signature: return "g"
        case .array(let e, _): return "a" + e
        case .structure(let m): return "(" + m.map(\.signature).joined() + ")"
        case .variant: return "v"
        }
    }

    public var stringValue: String? {
        switch self {
        case .string(let s), .objectPath(let s), .signature(let s): return s
        case .variant(let v): return v.stringValue
        default: return nil
        }
    }

    public var uint64Value: UInt64? {
        switch self {
        case .byte(let v): return UInt64(v)
        case .uint32(let v): return UInt64(v)
        case .uint64(let v): return v
        case .int32(let v): return v >= 0 ? UInt64(v) : nil
        case .int64(let v): return v >= 0 ? UInt64(v) : nil
        case .variant(let v): return v.uint64Value
        default: return nil
        }
    }
}

public struct DBusError: Error, CustomStringConvertible {
    /// The D-Bus error name (`org.freedesktop.systemd1.UnitExists`), or "" for a local failure.
    public let name: String
    public let message: String
    public init(name: String = "", _ message: String) {
        self.name = name
        self.message = message
    }
    public var description: String { name.isEmpty ? message : "\(message) (\(name))" }
}

/// Splits a signature into its complete types: "sa(sv)u" → ["s", "a(sv)", "u"].
public func dbusSplitSignature(_ signature: String) throws -> [String] {
    let chars = Array(signature.utf8)
    var out: [String] = []
    var i = 0
    while i < chars.count {
        let end = try dbusTypeEnd(chars, i)
        out.append(String(decoding: chars[i..<end], as: UTF8.self))
        i = end
    }
    return out
}

/// The index just past the complete type that starts at `i`.
func dbusTypeEnd(_ c: [UInt8], _ i: Int) throws -> Int {
    guard i < c.count else { throw DBusError("bad D-Bus signature: truncated") }
    switch c[i] {
    case UInt8(ascii: "a"):
        return try dbusTypeEnd(c, i + 1)
    case UInt8(ascii: "("), UInt8(ascii: "{"):
        let close: UInt8 = c[i] == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "}")
        var j = i + 1
        while j < c.count && c[j] != close { j = try dbusTypeEnd(c, j) }
        guard j < c.count else { throw DBusError("bad D-Bus signature: unclosed \(Character(UnicodeScalar(c[i])))") }
        return j + 1
    case UInt8(ascii: "y"), UInt8(ascii: "b"), UInt8(ascii: "n"), UInt8(ascii: "q"), UInt8(ascii: "i"),
         UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "t"), UInt8(ascii: "d"), UInt8(ascii: "s"),
         UInt8(ascii: "o"), UInt8(ascii: "g"), UInt8(ascii: "v"), UInt8(ascii: "h"):
        return i + 1
    default:
        throw DBusError("bad D-Bus signature: unknown type code \(Character(UnicodeScalar(c[i])))")
    }
}

/// Marshals values in little-endian order; alignment counts from the start of the message.
public struct DBusWriter {
    public internal(set) var bytes: [UInt8] = []
    public init() {}

    mutating func pad(_ n: Int) {
        while bytes.count % n != 0 { bytes.append(0) }
    }

    mutating func raw<T: FixedWidthInteger>(_ v: T) {
        pad(MemoryLayout<T>.size)
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ s: String) {
        let u = Array(s.utf8)
        raw(UInt32(u.count))
        bytes += u
        bytes.append(0)
    }

    /// Writes `value` as the type `signature` says (which must match the value).
    public mutating func write(_ value: DBusValue) throws {
        switch value {
        case .byte(let v): bytes.append(v)
        case .bool(let v): raw(UInt32(v ? 1 : 0))
        case .int32(let v): raw(v)
        case .uint32(let v): raw(v)
        case .int64(let v): raw(v)
        case .uint64(let v): raw(v)
        case .string(let s), .objectPath(let s): text(s)
        case .signature(let s):
            let u = Array(s.utf8)
            guard u.count < 256 else { throw DBusError("D-Bus signature too long") }
            bytes.append(UInt8(u.count))
            bytes += u
            bytes.append(0)
        case .array(let element, let items):
            raw(UInt32(0))
            let lengthAt = bytes.count - 4
            // Padding to the element's alignment is not part of the length, even when empty.
            pad(dbusAlignment(element))
            let start = bytes.count
            for item in items {
                guard item.signature == element || (element.hasPrefix("{") && item.signature == "(" + String(element.dropFirst().dropLast()) + ")") else {
                    throw DBusError("D-Bus array of \(element) given a \(item.signature)")
                }
                try write(item)
            }
            let length = UInt32(bytes.count - start)
            withUnsafeBytes(of: length.littleEndian) { for (k, b) in $0.enumerated() { bytes[lengthAt + k] = b } }
        case .structure(let members):
            pad(8)
            for m in members { try write(m) }
        case .variant(let inner):
            try write(.signature(inner.signature))
            try write(inner)
        }
    }
}

func dbusAlignment(_ signature: String) -> Int {
    switch signature.utf8.first {
    case UInt8(ascii: "y"), UInt8(ascii: "g"), UInt8(ascii: "v"): return 1
    case UInt8(ascii: "n"), UInt8(ascii: "q"): return 2
    case UInt8(ascii: "x"), UInt8(ascii: "t"), UInt8(ascii: "d"), UInt8(ascii: "("), UInt8(ascii: "{"): return 8
    default: return 4
    }
}

/// Reads values of a given signature from a message (both byte orders).
public struct DBusReader {
    let bytes: [UInt8]
    var offset: Int
    let bigEndian: Bool

    public init(_ bytes: [UInt8], offset: Int = 0, bigEndian: Bool = false) {
        self.bytes = bytes
        self.offset = offset
        self.bigEndian = bigEndian
    }

    mutating func align(_ n: Int) throws {
        let next = (offset + n - 1) / n * n
        guard next <= bytes.count else { throw DBusError("D-Bus message truncated") }
        offset = next
    }

    mutating func raw<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        try align(size)
        guard offset + size <= bytes.count else { throw DBusError("D-Bus message truncated") }
        var v: T = 0
        for k in 0..<size { v |= T(truncatingIfNeeded: bytes[offset + k]) << (8 * k) }
        offset += size
        return bigEndian ? v.byteSwapped : v
    }

    mutating func text(length: Int) throws -> String {
        guard length >= 0, offset + length < bytes.count else { throw DBusError("D-Bus message truncated") }
        let s = String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        offset += length + 1
        return s
    }

    /// Reads one value of the complete type `signature`.
    public mutating func read(_ signature: String) throws -> DBusValue {
        let c = Array(signature.utf8)
        guard let code = c.first else { throw DBusError("bad D-Bus signature: empty") }
        switch code {
        case UInt8(ascii: "y"):
            guard offset < bytes.count else { throw DBusError("D-Bus message truncated") }
            offset += 1
            return .byte(bytes[offset - 1])
        case UInt8(ascii: "b"): return .bool(try raw(UInt32.self) != 0)
        case UInt8(ascii: "n"): return .int32(Int32(try raw(Int16.self)))
        case UInt8(ascii: "q"): return .uint32(UInt32(try raw(UInt16.self)))
        case UInt8(ascii: "i"): return .int32(try raw(Int32.self))
        case UInt8(ascii: "u"), UInt8(ascii: "h"): return .uint32(try raw(UInt32.self))
        case UInt8(ascii: "x"): return .int64(try raw(Int64.self))
        case UInt8(ascii: "t"), UInt8(ascii: "d"): return .uint64(try raw(UInt64.self))
        case UInt8(ascii: "s"): return .string(try text(length: Int(try raw(UInt32.self))))
        case UInt8(ascii: "o"): return .objectPath(try text(length: Int(try raw(UInt32.self))))
        case UInt8(ascii: "g"):
            guard offset < bytes.count else { throw DBusError("D-Bus message truncated") }
            let n = Int(bytes[offset])
            offset += 1
            return .signature(try text(length: n))
        case UInt8(ascii: "v"):
            guard case .signature(let inner) = try read("g") else { throw DBusError("bad D-Bus variant") }
            guard try dbusSplitSignature(inner).count == 1 else { throw DBusError("bad D-Bus variant signature \(inner)") }
            return .variant(try read(inner))
        case UInt8(ascii: "a"):
            let element = String(decoding: c[1...], as: UTF8.self)
            let length = Int(try raw(UInt32.self))
            try align(dbusAlignment(element))
            let end = offset + length
            guard length <= 1 << 26, end <= bytes.count else { throw DBusError("D-Bus array length \(length) out of bounds") }
            var items: [DBusValue] = []
            while offset < end { items.append(try read(element)) }
            return .array(element: element, items)
        case UInt8(ascii: "("), UInt8(ascii: "{"):
            try align(8)
            let inner = String(decoding: c[1..<(c.count - 1)], as: UTF8.self)
            return .structure(try dbusSplitSignature(inner).map { try read($0) })
        default:
            throw DBusError("bad D-Bus signature \(signature)")
        }
    }
}

/// One D-Bus message.
public struct DBusMessage: Sendable {
    public enum Kind: UInt8, Sendable {
        case methodCall = 1, methodReturn = 2, error = 3, signal = 4
    }

    public var kind: Kind
    public var flags: UInt8 = 0
    public var serial: UInt32 = 0
    public var path: String?
    public var interface: String?
    public var member: String?
    public var errorName: String?
    public var replySerial: UInt32?
    public var destination: String?
    public var sender: String?
    public var body: [DBusValue] = []

    public init(kind: Kind) { self.kind = kind }

    public static func methodCall(destination: String?, path: String, interface: String, member: String,
                                  _ body: [DBusValue]) -> DBusMessage {
        var m = DBusMessage(kind: .methodCall)
        m.destination = destination
        m.path = path
        m.interface = interface
        m.member = member
        m.body = body
        return m
    }

    /// The wire bytes (little-endian).
    public func marshal() throws -> [UInt8] {
        var fields: [DBusValue] = []
        func field(_ code: UInt8, _ v: DBusValue) { fields.append(.structure([.byte(code), .variant(v)])) }
        if let path { field(1, .objectPath(path)) }
        if let interface { field(2, .string(interface)) }
        if let member { field(3, .string(member)) }
        if let errorName { field(4, .string(errorName)) }
        if let replySerial { field(5, .uint32(replySerial)) }
        if let destination { field(6, .string(destination)) }
        let signature = body.map(\.signature).joined()
        if !signature.isEmpty { field(8, .signature(signature)) }

        var bodyWriter = DBusWriter()
        for v in body { try bodyWriter.write(v) }
        var w = DBusWriter()
        w.bytes += [UInt8(ascii: "l"), kind.rawValue, flags, 1]
        w.raw(UInt32(bodyWriter.bytes.count))
        w.raw(serial)
        try w.write(.array(element: "(yv)", fields))
        w.pad(8)
        return w.bytes + bodyWriter.bytes
    }

    /// How many bytes the message that starts with these 16 bytes has in all; nil if not yet known.
    public static func totalLength(header: [UInt8]) throws -> Int {
        guard header.count >= 16 else { throw DBusError("D-Bus message header truncated") }
        let big = header[0] == UInt8(ascii: "B")
        guard big || header[0] == UInt8(ascii: "l") else { throw DBusError("bad D-Bus byte order mark \(header[0])") }
        var r = DBusReader(header, offset: 4, bigEndian: big)
        let bodyLength = Int(try r.raw(UInt32.self))
        r.offset = 12
        let fieldsLength = Int(try r.raw(UInt32.self))
        guard bodyLength < 1 << 27, fieldsLength < 1 << 26 else { throw DBusError("D-Bus message too long") }
        let headerEnd = (16 + fieldsLength + 7) / 8 * 8
        return headerEnd + bodyLength
    }

    public static func unmarshal(_ bytes: [UInt8]) throws -> DBusMessage {
        guard bytes.count >= 16 else { throw DBusError("D-Bus message truncated") }
        let big = bytes[0] == UInt8(ascii: "B")
        guard let kind = Kind(rawValue: bytes[1]) else { throw DBusError("unknown D-Bus message type \(bytes[1])") }
        var m = DBusMessage(kind: kind)
        m.flags = bytes[2]
        var r = DBusReader(bytes, offset: 4, bigEndian: big)
        let bodyLength = Int(try r.raw(UInt32.self))
        m.serial = try r.raw(UInt32.self)
        guard case .array(_, let fields) = try r.read("a(yv)") else { throw DBusError("bad D-Bus header") }
        var signature = ""
        for f in fields {
            guard case .structure(let pair) = f, pair.count == 2, case .byte(let code) = pair[0],
                  case .variant(let v) = pair[1] else { continue }
            switch code {
            case 1: m.path = v.stringValue
            case 2: m.interface = v.stringValue
            case 3: m.member = v.stringValue
            case 4: m.errorName = v.stringValue
            case 5: if case .uint32(let s) = v { m.replySerial = s }
            case 6: m.destination = v.stringValue
            case 7: m.sender = v.stringValue
            case 8: signature = v.stringValue ?? ""
            default: break
            }
        }
        try r.align(8)
        guard r.offset + bodyLength == bytes.count else { throw DBusError("D-Bus message body length mismatch") }
        for t in try dbusSplitSignature(signature) { m.body.append(try r.read(t)) }
        return m
    }
}

/// A connection to a D-Bus peer: systemd's private socket or a bus daemon.
public final class DBusConnection {
    let fd: FD
    var nextSerial: UInt32 = 1
    var buffer: [UInt8] = []
    /// Signals that arrived while waiting for a reply, oldest first.
    var pendingSignals: [DBusMessage] = []

    /// Connects to the unix socket at `path` and authenticates as `uid` (SASL EXTERNAL; the peer
    /// checks it against the socket's credentials, which carry the effective uid). `bus`: the peer
    /// is a bus daemon (dbus-daemon, dbus-broker), which wants a Hello first.
    public init(path: String, uid: uid_t = geteuid(), bus: Bool) throws {
        fd = try UnixSocket.connect(path)
        do {
            // A peer that never answers must not hang the runtime.
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            try sys("setsockopt SO_RCVTIMEO") {
                setsockopt(fd.raw, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
            let hexUID = String("\(uid)".utf8.map { String($0, radix: 16) }.joined())
            // BEGIN goes with AUTH, as sd-bus's own client sends it: systemd's server then leaves the
            // authentication phase before our first message arrives. A message that arrived in the same
            // read as a late BEGIN would wait in its buffer, unprocessed, until more data came.
            try fd.write([0] + Array("AUTH EXTERNAL \(hexUID)\r\nBEGIN\r\n".utf8))
            let line = try readLine()
            guard line.hasPrefix("OK ") else { throw DBusError("\(path): authentication refused: \(line)") }
            if bus {
                _ = try call(.methodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                                         interface: "org.freedesktop.DBus", member: "Hello", []))
            }
        } catch {
            fd.close()
            throw error
        }
    }

    deinit { fd.close() }

    func readLine() throws -> String {
        var line: [UInt8] = []
        while true {
            let b = try fd.read(max: 1)
            guard let c = b.first else { throw DBusError("D-Bus peer closed the connection during authentication") }
            if c == UInt8(ascii: "\n") { break }
            if c != UInt8(ascii: "\r") { line.append(c) }
            if line.count > 4096 { throw DBusError("D-Bus authentication line too long") }
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Sends a message; returns its serial.
    @discardableResult
    public func send(_ message: DBusMessage) throws -> UInt32 {
        var m = message
        m.serial = nextSerial
        nextSerial &+= 1
        try fd.write(try m.marshal())
        return m.serial
    }

    /// The next message from the peer.
    public func receive() throws -> DBusMessage {
        while true {
            if buffer.count >= 16 {
                let total = try DBusMessage.totalLength(header: Array(buffer[0..<16]))
                if buffer.count >= total {
                    let m = try DBusMessage.unmarshal(Array(buffer[0..<total]))
                    buffer.removeFirst(total)
                    return m
                }
            }
            let chunk = try fd.read(max: 65536)
            if chunk.isEmpty { throw DBusError("the D-Bus peer closed the connection") }
            buffer += chunk
        }
    }

    /// Calls a method and returns its reply's body; a D-Bus error reply is thrown as a `DBusError`.
    public func call(_ message: DBusMessage) throws -> [DBusValue] {
        let serial = try send(message)
        while true {
            let m = try receive()
            switch m.kind {
            case .signal:
                pendingSignals.append(m)
            case .methodReturn where m.replySerial == serial:
                return m.body
            case .error where m.replySerial == serial:
                throw DBusError(name: m.errorName ?? "", m.body.first?.stringValue ?? "error")
            default:
                continue
            }
        }
    }

    /// Waits for a signal that `matches` accepts (one already queued counts).
    public func waitSignal(_ matches: (DBusMessage) -> Bool) throws -> DBusMessage {
        if let i = pendingSignals.firstIndex(where: matches) { return pendingSignals.remove(at: i) }
        while true {
            let m = try receive()
            if m.kind == .signal && matches(m) { return m }
        }
    }
}
