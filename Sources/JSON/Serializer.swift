struct _Writer {
    var out: [UInt8] = []
    let pretty: Bool

    init(pretty: Bool) {
        self.pretty = pretty
        out.reserveCapacity(1024)
    }

    @inline(__always)
    mutating func newline(_ indent: Int) {
        out.append(0x0A)
        for _ in 0..<indent {
            out.append(0x20)
            out.append(0x20)
        }
    }

    mutating func write(_ value: JSONValue, indent: Int = 0) {
        switch value {
        case .null:
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b):
            if b {
                out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        case .number(let s):
            out.append(contentsOf: s.utf8)
        case .string(let s):
            writeString(s)
        case .array(let elements):
            writeContainer(elements, open: UInt8(ascii: "["), close: UInt8(ascii: "]"), indent: indent) { w, e in
                w.write(e, indent: indent + 1)
            }
        case .object(let members):
            writeContainer(members, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), indent: indent) { w, m in
                w.writeString(m.0)
                w.out.append(UInt8(ascii: ":"))
                if w.pretty { w.out.append(0x20) }
                w.write(m.1, indent: indent + 1)
            }
        }
    }

    /// An array or object: its brackets, and `element` for each element, separated by commas (one a
    /// line when pretty, one level deeper than `indent`).
    @inline(__always)
    mutating func writeContainer<Element>(_ elements: [Element], open: UInt8, close: UInt8, indent: Int,
                                          _ element: (inout _Writer, Element) -> Void) {
        out.append(open)
        if elements.isEmpty {
            out.append(close)
            return
        }
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if pretty { newline(indent + 1) }
            element(&self, e)
        }
        if pretty { newline(indent) }
        out.append(close)
    }

    /// Escapes like Go's encoding/json for `"`, `\`, and control characters; leaves `/` and
    /// non-ASCII alone.
    mutating func writeString(_ s: String) {
        out.append(0x22)
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            var i = 0
            let n = u.count
            while i < n {
                let c = u[i]
                if c >= 0x20 && c != 0x22 && c != 0x5C {
                    i += 1
                    continue
                }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i])) }
                out.append(0x5C)
                switch c {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    // c < 0x20: "\u00" + two lowercase hex digits
                    let lo = c & 0xF
                    out.append(UInt8(ascii: "u"))
                    out.append(0x30)
                    out.append(0x30)
                    out.append(0x30 + (c >> 4))
                    out.append(lo < 10 ? 0x30 + lo : 0x57 + lo)
                }
                i += 1
                runStart = i
            }
            if runStart < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<n])) }
        }
        out.append(0x22)
    }
}
