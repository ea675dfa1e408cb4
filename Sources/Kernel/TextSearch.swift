// Substring search on UTF-8 bytes. The standard library's `String.contains(_: String)` and
// `split(separator: String)` live in _StringProcessing (the regex engine); linking it pulls 1 MB of code,
// and its first call faults in pages that no other code on a container's start-up path touches.
// swiftlet's strings here are paths, ids and /proc lines: a byte comparison is what they need.

extension StringProtocol {
    /// Whether `needle` occurs in `self` (byte-wise: equal UTF-8, not canonical equivalence).
    @inlinable
    public func containsText(_ needle: some StringProtocol) -> Bool {
        rangeOfText(needle) != nil
    }

    /// The UTF-8 offsets of the first occurrence of `needle`, if any.
    public func rangeOfText(_ needle: some StringProtocol) -> Range<Int>? {
        let hay = Array(utf8), pat = Array(needle.utf8)
        if pat.isEmpty { return 0..<0 }
        if pat.count > hay.count { return nil }
        outer: for start in 0...(hay.count - pat.count) where hay[start] == pat[0] {
            for k in 1..<pat.count where hay[start + k] != pat[k] { continue outer }
            return start..<(start + pat.count)
        }
        return nil
    }
}
