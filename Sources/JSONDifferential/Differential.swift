// swiftlet's JSON parser beside libyajl: the same bytes to both, the same verdict and the same values
// required, except where the two differ by design (README.md, "The JSON parser"):
//
// - numbers: swiftlet keeps a number's text and checks its range when a field is decoded; yajl turns
//   integers into int64 and the rest into doubles while parsing, and refuses what does not fit
//   ("integer overflow" outside ±(2^63 - 1), "numeric (floating point) overflow"). Values compare as
//   yajl sees them: integer syntax (no '.', 'e', 'E') as int64, the rest as the double's bits.
// - swiftlet is strict where yajl is lenient: nesting deeper than JSON.maxDepth (yajl has no limit),
//   UTF-8 that is overlong, encodes a surrogate or lies past U+10FFFF (yajl checks only the byte
//   pattern), an unpaired surrogate escape (yajl writes '?' or combines it with the next escape),
//   vertical tab and form feed as whitespace (yajl skips them; RFC 8259 does not), and a string begun
//   after the value and not finished (`"a" "b`, `[1] "x`: yajl's lexer waits for more input, and the
//   space yajl_complete_parse feeds to end a number does not end a string, so the rest is ignored).
//   On those swiftlet rejects and yajl's verdict is not compared.
// - duplicate keys: both keep every member in order (yajl reports each), so they compare equal.
import CYajl
import JSON

/// What yajl made of a document: its events (cyajl.h's canonical text) or its error message.
public struct YajlVerdict: Equatable {
    public let accepted: Bool
    public let output: [UInt8]

    public init(_ bytes: [UInt8]) {
        var events: UnsafeMutablePointer<CChar>?
        var length = 0
        let accepted = bytes.withUnsafeBufferPointer { cyajl_events($0.baseAddress, $0.count, &events, &length) }
        self.accepted = accepted == 1
        output = events.map { p in
            p.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        } ?? []
        cyajl_free(events)
    }

    public var text: String { String(decoding: output, as: UTF8.self) }
}

/// The events yajl would report for a value swiftlet parsed, or nil when the value holds a number yajl
/// refuses (an integer outside ±(2^63 - 1), a double that overflows).
public func yajlEvents(of value: JSONValue) -> [UInt8]? {
    var out: [UInt8] = []
    return append(value, to: &out) ? out : nil
}

private func append(_ value: JSONValue, to out: inout [UInt8]) -> Bool {
    switch value {
    case .null: out.append(UInt8(ascii: "n"))
    case .bool(let b): out.append(UInt8(ascii: b ? "t" : "f"))
    case .number(let text):
        if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let d = Double(text), d.isFinite else { return false }
            let hex = String(d.bitPattern, radix: 16)
            out += Array("d\(String(repeating: "0", count: 16 - hex.count))\(hex);".utf8)
        } else {
            // yajl accumulates the magnitude in a long long before the sign: -2^63 overflows too.
            guard let i = Int64(text), i != .min else { return false }
            out += Array("i\(i);".utf8)
        }
    case .string(let s): appendString(UInt8(ascii: "s"), s, to: &out)
    case .array(let elements):
        out.append(UInt8(ascii: "["))
        for e in elements where !append(e, to: &out) { return false }
        out.append(UInt8(ascii: "]"))
    case .object(let members):
        out.append(UInt8(ascii: "{"))
        for (k, v) in members {
            appendString(UInt8(ascii: "k"), k, to: &out)
            if !append(v, to: &out) { return false }
        }
        out.append(UInt8(ascii: "}"))
    }
    return true
}

private func appendString(_ tag: UInt8, _ s: String, to out: inout [UInt8]) {
    out.append(tag)
    out += Array("\(s.utf8.count):".utf8)
    out += Array(s.utf8)
}

/// The rejections of swiftlet that yajl need not share (the strictness listed at the top).
public func isStricterByDesign(_ error: JSONError) -> Bool {
    let m = error.message
    return m.contains("nesting deeper than") || m.contains("invalid UTF-8") || m.contains("unpaired")
        || m.contains("unexpected byte 0x0B") || m.contains("unexpected byte 0x0C")
        || m.contains("unexpected character '\"' after top-level value")
}

/// nil when swiftlet and yajl agree on `bytes` (as above), else what differs.
public func disagreement(_ bytes: [UInt8]) -> String? {
    let yajl = YajlVerdict(bytes)
    do {
        let value = try JSON.parse(bytes)
        guard let events = yajlEvents(of: value) else {
            // A number outside yajl's range: yajl must refuse it for that reason.
            if !yajl.accepted && yajl.text.contains("overflow") { return nil }
            return "swiftlet accepts a number yajl cannot hold; yajl says: \(yajl.accepted ? "accepted " : "")\(yajl.text)"
        }
        if !yajl.accepted { return "swiftlet accepts, yajl rejects: \(yajl.text)" }
        if events != yajl.output {
            return "different values: swiftlet \(String(decoding: events, as: UTF8.self)), yajl \(yajl.text)"
        }
        return nil
    } catch let error as JSONError {
        if !yajl.accepted || isStricterByDesign(error) { return nil }
        return "swiftlet rejects (\(error.message)), yajl accepts: \(yajl.text)"
    } catch {
        return "swiftlet threw \(error), not a JSONError"
    }
}
