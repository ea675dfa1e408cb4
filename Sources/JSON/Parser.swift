/// Strict RFC 8259 parser over UTF-8 bytes.
struct _Parser {
    static let maxDepth = 512

    let buf: UnsafeBufferPointer<UInt8>
    let end: Int
    var pos = 0
    var depth = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []
    /// A member of the top-level object whose value is checked and stepped over, not built: it
    /// stands as null in the result (a reader that ignores it pays no allocation for it).
    var skippedMember: String?
    /// The only members of the top-level object that are built; every other is checked and stepped
    /// over as `skippedMember` is (nil: all are built).
    var keptMembers: [String]?

    init(_ buf: UnsafeBufferPointer<UInt8>) {
        self.buf = buf
        self.end = buf.count
    }

    // MARK: Errors

    func error(_ message: String, at offset: Int) -> JSONError {
        var line = 1
        var lineStart = 0
        let stop = min(offset, end)
        var i = 0
        while i < stop {
            if buf[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return JSONError(path: "", message: "line \(line) column \(stop - lineStart + 1): \(message)")
    }

    static func describe(_ c: UInt8) -> String {
        if c >= 0x21 && c <= 0x7E { return "character '\(String(UnicodeScalar(c)))'" }
        return "byte 0x\(_hex2(c))"
    }

    func unexpected(_ context: String) -> JSONError {
        if pos >= end { return error("unexpected end of input \(context)", at: pos) }
        return error("unexpected \(Self.describe(buf[pos])) \(context)", at: pos)
    }

    // MARK: Structure

    mutating func parseDocument() throws -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if pos < end {
            throw error("unexpected \(Self.describe(buf[pos])) after top-level value", at: pos)
        }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let c = buf[pos]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            pos += 1
        }
    }

    mutating func parseValue() throws -> JSONValue {
        guard pos < end else { throw error("unexpected end of input, expected a value", at: pos) }
        switch buf[pos] {
        case UInt8(ascii: "\""):
            pos += 1
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try expectLiteral(0x74, 0x72, 0x75, 0x65, nil, "true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral(0x66, 0x61, 0x6C, 0x73, 0x65, "false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral(0x6E, 0x75, 0x6C, 0x6C, nil, "null")
            return .null
        default:
            throw unexpected("looking for beginning of value")
        }
    }

    mutating func expectLiteral(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8?, _ name: String) throws {
        let len = e == nil ? 4 : 5
        guard end - pos >= len, buf[pos] == a, buf[pos + 1] == b, buf[pos + 2] == c, buf[pos + 3] == d,
              e == nil || buf[pos + 4] == e
        else {
            throw error("invalid literal, expected '\(name)'", at: pos)
        }
        pos += len
    }

    mutating func enter() throws {
        depth += 1
        if depth > Self.maxDepth {
            throw error("nesting deeper than \(Self.maxDepth) levels", at: pos)
        }
    }

    /// At `close`, right after the opening bracket or an element: steps over it and leaves the level.
    @inline(__always)
    mutating func leave(at close: UInt8) -> Bool {
        guard pos < end && buf[pos] == close else { return false }
        pos += 1
        depth -= 1
        return true
    }

    /// After an element of an array or object: true at ',' (stepped over, with the whitespace after
    /// it), false at `close` (left as `leave` does).
    @inline(__always)
    mutating func nextElement(close: UInt8, in container: String) throws -> Bool {
        skipWhitespace()
        if pos < end && buf[pos] == UInt8(ascii: ",") {
            pos += 1
            skipWhitespace()
            return true
        }
        if leave(at: close) { return false }
        throw unexpected("in \(container), expected ',' or '\(Character(Unicode.Scalar(close)))'")
    }

    mutating func parseObject() throws -> JSONValue {
        try enter()
        pos += 1  // '{'
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if leave(at: UInt8(ascii: "}")) { return .object(members) }
        repeat {
            guard pos < end, buf[pos] == UInt8(ascii: "\"") else {
                throw unexpected("in object, expected a string key")
            }
            pos += 1
            let key = try parseString()
            skipWhitespace()
            guard pos < end, buf[pos] == UInt8(ascii: ":") else {
                throw unexpected("after object key, expected ':'")
            }
            pos += 1
            skipWhitespace()
            if depth == 1, key == skippedMember || !(keptMembers?.contains(key) ?? true) {
                try skipValue()
                members.append((key, .null))
            } else {
                members.append((key, try parseValue()))
            }
        } while try nextElement(close: UInt8(ascii: "}"), in: "object")
        return .object(members)
    }

    mutating func parseArray() throws -> JSONValue {
        try enter()
        pos += 1  // '['
        var elements: [JSONValue] = []
        skipWhitespace()
        if leave(at: UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            elements.append(try parseValue())
        } while try nextElement(close: UInt8(ascii: "]"), in: "array")
        return .array(elements)
    }

    // MARK: Numbers

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    /// Steps over a value, checked as `parseValue` checks it, building nothing (but the strings
    /// with escapes).
    mutating func skipValue() throws {
        guard pos < end else { throw error("unexpected end of input, expected a value", at: pos) }
        switch buf[pos] {
        case UInt8(ascii: "\""):
            pos += 1
            try skipString()
        case UInt8(ascii: "{"):
            guard try stepIn(close: UInt8(ascii: "}")) else { return }
            repeat {
                guard pos < end, buf[pos] == UInt8(ascii: "\"") else {
                    throw unexpected("in object, expected a string key")
                }
                pos += 1
                try skipString()
                skipWhitespace()
                guard pos < end, buf[pos] == UInt8(ascii: ":") else {
                    throw unexpected("after object key, expected ':'")
                }
                pos += 1
                skipWhitespace()
                try skipValue()
            } while try nextElement(close: UInt8(ascii: "}"), in: "object")
        case UInt8(ascii: "["):
            guard try stepIn(close: UInt8(ascii: "]")) else { return }
            repeat {
                try skipValue()
            } while try nextElement(close: UInt8(ascii: "]"), in: "array")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
        default:
            _ = try parseValue()  // a literal, or the error parseValue gives
        }
    }

    /// Steps over an opening bracket into its level; false when `close` follows at once (left).
    mutating func stepIn(close: UInt8) throws -> Bool {
        try enter()
        pos += 1
        skipWhitespace()
        return !leave(at: close)
    }

    mutating func parseNumber() throws -> String {
        let start = pos
        try scanNumber()
        return String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
    }

    /// Steps over a number, checking its syntax.
    @inline(__always)
    mutating func scanNumber() throws {
        let start = pos
        if buf[pos] == UInt8(ascii: "-") {
            pos += 1
        }
        guard pos < end else { throw error("unexpected end of input in number", at: pos) }
        let first = buf[pos]
        if first == UInt8(ascii: "0") {
            pos += 1
            if pos < end && Self.isDigit(buf[pos]) {
                throw error("invalid number: leading zeros are not allowed", at: start)
            }
        } else if Self.isDigit(first) {
            pos += 1
            while pos < end && Self.isDigit(buf[pos]) { pos += 1 }
        } else {
            throw error("invalid number: expected a digit, found \(Self.describe(first))", at: pos)
        }
        if pos < end && buf[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < end, Self.isDigit(buf[pos]) else {
                throw error("invalid number: expected a digit after the decimal point", at: pos)
            }
            pos += 1
            while pos < end && Self.isDigit(buf[pos]) { pos += 1 }
        }
        if pos < end && (buf[pos] | 0x20) == UInt8(ascii: "e") {
            pos += 1
            if pos < end && (buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-")) {
                pos += 1
            }
            guard pos < end, Self.isDigit(buf[pos]) else {
                throw error("invalid number: expected a digit in the exponent", at: pos)
            }
            pos += 1
            while pos < end && Self.isDigit(buf[pos]) { pos += 1 }
        }
    }

    // MARK: Strings

    /// Parses a string body; `pos` is just past the opening quote.
    mutating func parseString() throws -> String {
        let start = pos
        var high: UInt8 = 0
        while pos < end {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let bytes = UnsafeBufferPointer(rebasing: buf[start..<pos])
                if high & 0x80 != 0 && !_validateUTF8(bytes) {
                    throw error("invalid UTF-8 in string", at: start)
                }
                pos += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            high |= c
            pos += 1
        }
        return try parseStringSlow(start: start, high: high)
    }

    /// Steps over a string body as `parseString` checks it; `pos` is just past the opening quote.
    mutating func skipString() throws {
        let start = pos
        var high: UInt8 = 0
        while pos < end {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                if high & 0x80 != 0 && !_validateUTF8(UnsafeBufferPointer(rebasing: buf[start..<pos])) {
                    throw error("invalid UTF-8 in string", at: start)
                }
                pos += 1
                return
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            high |= c
            pos += 1
        }
        _ = try parseStringSlow(start: start, high: high)
    }

    mutating func parseStringSlow(start: Int, high: UInt8) throws -> String {
        var high = high
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while true {
            guard pos < end else { throw error("unexpected end of input in string", at: pos) }
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                if high & 0x80 != 0 {
                    let valid = scratch.withUnsafeBufferPointer { _validateUTF8($0) }
                    if !valid { throw error("invalid UTF-8 in string", at: start) }
                }
                return String(decoding: scratch, as: UTF8.self)
            }
            if c < 0x20 {
                throw error("invalid control character 0x\(_hex2(c)) in string (must be escaped)", at: pos)
            }
            if c != UInt8(ascii: "\\") {
                high |= c
                scratch.append(c)
                pos += 1
                continue
            }
            // Escape sequence.
            let escStart = pos
            pos += 1
            guard pos < end else { throw error("unexpected end of input in string escape", at: pos) }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4(at: pos) else {
                    throw error("invalid \\u escape in string (expected 4 hex digits)", at: escStart)
                }
                pos += 4
                var scalar = unit
                if unit >= 0xD800 && unit <= 0xDBFF {
                    guard end - pos >= 6, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u"),
                          let low = hex4(at: pos + 2), low >= 0xDC00 && low <= 0xDFFF
                    else {
                        throw error("invalid \\u escape in string: unpaired high surrogate", at: escStart)
                    }
                    pos += 6
                    scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else if unit >= 0xDC00 && unit <= 0xDFFF {
                    throw error("invalid \\u escape in string: unpaired low surrogate", at: escStart)
                }
                appendUTF8(scalar)
            default:
                throw error("invalid escape '\\\(String(UnicodeScalar(e)))' in string", at: escStart)
            }
        }
    }

    func hex4(at p: Int) -> UInt32? {
        guard end - p >= 4 else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = buf[p + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    mutating func appendUTF8(_ s: UInt32) {
        if s < 0x80 {
            scratch.append(UInt8(truncatingIfNeeded: s))
        } else if s < 0x800 {
            scratch.append(UInt8(truncatingIfNeeded: 0xC0 | (s >> 6)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | (s & 0x3F)))
        } else if s < 0x10000 {
            scratch.append(UInt8(truncatingIfNeeded: 0xE0 | (s >> 12)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | (s & 0x3F)))
        } else {
            scratch.append(UInt8(truncatingIfNeeded: 0xF0 | (s >> 18)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | ((s >> 12) & 0x3F)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | (s & 0x3F)))
        }
    }
}

func _hex2(_ c: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    return String([digits[Int(c >> 4)], digits[Int(c & 0xF)]])
}

/// Strict UTF-8 validation (no overlong forms, no surrogates, max U+10FFFF).
func _validateUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = b.count
    var i = 0
    while i < n {
        let c = b[i]
        if c < 0x80 {
            i += 1
            continue
        }
        if c < 0xC2 { return false }
        if c < 0xE0 {
            guard i + 1 < n, b[i + 1] & 0xC0 == 0x80 else { return false }
            i += 2
        } else if c < 0xF0 {
            guard i + 2 < n else { return false }
            let c1 = b[i + 1], c2 = b[i + 2]
            guard c1 & 0xC0 == 0x80, c2 & 0xC0 == 0x80 else { return false }
            if c == 0xE0 && c1 < 0xA0 { return false }  // overlong
            if c == 0xED && c1 >= 0xA0 { return false }  // surrogate
            i += 3
        } else if c < 0xF5 {
            guard i + 3 < n else { return false }
            let c1 = b[i + 1], c2 = b[i + 2], c3 = b[i + 3]
            guard c1 & 0xC0 == 0x80, c2 & 0xC0 == 0x80, c3 & 0xC0 == 0x80 else { return false }
            if c == 0xF0 && c1 < 0x90 { return false }  // overlong
            if c == 0xF4 && c1 >= 0x90 { return false }  // > U+10FFFF
            i += 4
        } else {
            return false
        }
    }
    return true
}
