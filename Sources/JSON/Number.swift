enum _IntResult<T> {
    case ok(T)
    /// Integral, but outside the range of T.
    case overflow
    /// A valid number with a fractional part (e.g. 1.5, 1e-3).
    case notInteger
    /// Not valid JSON number syntax.
    case invalid
}

@inline(__always)
private func _isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

/// Parses JSON number text into an exact integer of type T.
///
/// Plain integers take a fast path. Numbers with fraction/exponent are accepted when their value
/// is an exact integer (`1.0`, `1e3`, `2.50e1`), computed exactly in decimal.
/// Never traps: all arithmetic is overflow-checked.
func _parseInteger<T: FixedWidthInteger>(_ text: String, as _: T.Type) -> _IntResult<T> {
    var text = text
    return text.withUTF8 { b in _parseInteger(b, as: T.self) }
}

func _parseInteger<T: FixedWidthInteger>(_ b: UnsafeBufferPointer<UInt8>, as _: T.Type) -> _IntResult<T> {
    let n = b.count
    var i = 0
    var negative = false
    if i < n && b[i] == UInt8(ascii: "-") {
        negative = true
        i += 1
    }
    // Fast path: only digits.
    let intStart = i
    var acc: T = 0
    var overflow = false
    while i < n {
        let c = b[i]
        guard _isDigit(c) else { break }
        if !overflow {
            let d = T(truncatingIfNeeded: c &- 0x30)
            let (m, o1) = acc.multipliedReportingOverflow(by: 10)
            let (r, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 { overflow = true } else { acc = r }
        }
        i += 1
    }
    let intEnd = i
    guard intEnd > intStart else { return .invalid }
    if i == n {
        return overflow ? .overflow : .ok(acc)
    }

    // Slow path: fraction and/or exponent.
    var fracStart = i
    var fracEnd = i
    if b[i] == UInt8(ascii: ".") {
        i += 1
        fracStart = i
        while i < n && _isDigit(b[i]) { i += 1 }
        fracEnd = i
        guard fracEnd > fracStart else { return .invalid }
    }
    var exponent = 0
    if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
        i += 1
        var expNegative = false
        if i < n && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) {
            expNegative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        let expStart = i
        while i < n && _isDigit(b[i]) {
            if exponent < 1_000_000 { exponent = exponent * 10 + Int(b[i] &- 0x30) }
            i += 1
        }
        guard i > expStart else { return .invalid }
        if expNegative { exponent = -exponent }
    }
    guard i == n else { return .invalid }

    // Digit sequence = int digits ++ frac digits; value = digits * 10^(exponent - fracCount).
    @inline(__always) func digit(_ k: Int) -> UInt8 {
        let intCount = intEnd - intStart
        return k < intCount ? b[intStart + k] : b[fracStart + k - intCount]
    }
    let total = (intEnd - intStart) + (fracEnd - fracStart)
    var significant = total
    while significant > 0 && digit(significant - 1) == UInt8(ascii: "0") { significant -= 1 }
    if significant == 0 { return .ok(0) }
    var scale = exponent - (fracEnd - fracStart) + (total - significant)
    if scale < 0 { return .notInteger }
    acc = 0
    for k in 0..<significant {
        let d = T(truncatingIfNeeded: digit(k) &- 0x30)
        let (m, o1) = acc.multipliedReportingOverflow(by: 10)
        let (r, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
        if o1 || o2 { return .overflow }
        acc = r
    }
    while scale > 0 {
        let (m, o) = acc.multipliedReportingOverflow(by: 10)
        if o { return .overflow }
        acc = m
        scale -= 1
    }
    return .ok(acc)
}

/// True if `text` is valid RFC 8259 number syntax.
func _isValidNumber(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { b in
        let n = b.count
        var i = 0
        if i < n && b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n else { return false }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else if _isDigit(b[i]) {
            while i < n && _isDigit(b[i]) { i += 1 }
        } else {
            return false
        }
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            let s = i
            while i < n && _isDigit(b[i]) { i += 1 }
            guard i > s else { return false }
        }
        if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            let s = i
            while i < n && _isDigit(b[i]) { i += 1 }
            guard i > s else { return false }
        }
        return i == n
    }
}

/// Shortest round-trip text, with a trailing ".0" removed (`1.0` → `1`). Caller ensures finiteness.
func _formatDouble(_ d: Double) -> String {
    _stripPointZero(d.description)
}

func _formatFloat(_ f: Float) -> String {
    _stripPointZero(f.description)
}

@inline(__always)
private func _stripPointZero(_ s: String) -> String {
    if s.hasSuffix(".0") { return String(s.dropLast(2)) }
    return s
}
