// Substring search on UTF-8 bytes. The standard library's `String.contains(_: String)` and
// `split(separator: String)` live in _StringProcessing (the regex engine); linking it pulls 1 MB of code,
// and its first call faults in pages that no other code on a container's start-up path touches.
// swiftlet's strings here are paths, ids and /proc lines: a byte comparison is what they need.

extension StringProtocol {
    /// Whether `needle` occurs in `self` (byte-wise: equal UTF-8, not canonical equivalence).
    public func containsText(_ needle: some StringProtocol) -> Bool {
        let hay = Array(utf8), pat = Array(needle.utf8)
        if pat.isEmpty { return true }
        if pat.count > hay.count { return false }
        outer: for start in 0...(hay.count - pat.count) where hay[start] == pat[0] {
            for k in 1..<pat.count where hay[start + k] != pat[k] { continue outer }
            return true
        }
        return false
    }
}
