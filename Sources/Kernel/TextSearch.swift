// Substring search on UTF-8 bytes. The standard library's `String.contains(_: String)` and
// `split(separator: String)` live in _StringProcessing (the regex engine); linking it pulls 1 MB of code,
// and its first call faults in pages that no other code on a container's start-up path touches.
// swiftlet's strings here are paths, ids and /proc lines: a byte comparison is what they need.

extension StringProtocol {
    /// Whether `needle` occurs in `self` (byte-wise: equal UTF-8, not canonical equivalence).
    /// Inlinable: specialised for the caller's string types, over their bytes in place (unspecialised,
    /// with two arrays copied per call, it was ~1% of a `run`'s user CPU for the id's check alone).
    @inlinable
    public func containsText(_ needle: some StringProtocol) -> Bool {
        let found = utf8.withContiguousStorageIfAvailable { hay in
            needle.utf8.withContiguousStorageIfAvailable { pat in textOccurs(pat, in: hay) }
        }
        if let found, let found { return found }
        return Array(utf8).withUnsafeBufferPointer { hay in
            Array(needle.utf8).withUnsafeBufferPointer { pat in textOccurs(pat, in: hay) }
        }
    }
}

/// Whether the bytes `pat` occur in `hay`.
@usableFromInline
func textOccurs(_ pat: UnsafeBufferPointer<UInt8>, in hay: UnsafeBufferPointer<UInt8>) -> Bool {
    if pat.isEmpty { return true }
    if pat.count > hay.count { return false }
    outer: for start in 0...(hay.count - pat.count) where hay[start] == pat[0] {
        for k in 1..<pat.count where hay[start + k] != pat[k] { continue outer }
        return true
    }
    return false
}
