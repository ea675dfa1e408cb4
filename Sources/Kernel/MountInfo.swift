/// One line of /proc/<pid>/mountinfo.
public struct MountInfoEntry {
    /// The mount's id and its parent's (fields 1 and 2): what tells two mounts on one path apart.
    public let mountID: Int
    public let parentID: Int
    public let mountPoint: String
    public let root: String
    public let options: String
    public let optionalFields: [String]
    public let fsType: String
    public let source: String
    public let superOptions: String

    /// Whether the mount is in a peer group (propagation shared).
    public var isShared: Bool { optionalFields.contains { $0.hasPrefix("shared:") } }
}

public enum MountInfo {
    public static func read(pid: String = "self") throws -> [MountInfoEntry] {
        parse(bytes: try readFile(path: "/proc/\(pid)/mountinfo"))
    }

    /// Only the mounts at `prefix` or below it (by the bytes of the path: "/sys/fs/cgroup" also
    /// matches "/sys/fs/cgroupfoo"); the other lines are skipped before any String is made of them.
    /// `prefix` must hold none of the characters mountinfo escapes (space, tab, newline, backslash).
    public static func read(pid: String = "self", mountPointsUnder prefix: String) throws -> [MountInfoEntry] {
        parse(bytes: try readFile(path: "/proc/\(pid)/mountinfo"), mountPointsUnder: prefix)
    }

    public static func parse(_ text: String) -> [MountInfoEntry] {
        parse(bytes: Array(text.utf8))
    }

    /// Fields are found on the bytes, and a String is made only for the fields an entry keeps: every
    /// create, start and init stage reads mountinfo, and splitting it into Substrings and Strings took
    /// ~8% of `run`'s user-space CPU.
    public static func parse(bytes: [UInt8], mountPointsUnder prefix: String? = nil) -> [MountInfoEntry] {
        let wanted = prefix.map { Array($0.utf8) } ?? []
        return bytes.withUnsafeBufferPointer { buf -> [MountInfoEntry] in
            var out: [MountInfoEntry] = []
            var fields: [Range<Int>] = []
            fields.reserveCapacity(16)
            var lineStart = 0
            while lineStart < buf.count {
                var lineEnd = lineStart
                while lineEnd < buf.count, buf[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                guard lineEnd > lineStart else { continue }
                fields.removeAll(keepingCapacity: true)
                var fieldStart = lineStart
                for i in lineStart...lineEnd where i == lineEnd || buf[i] == UInt8(ascii: " ") {
                    fields.append(fieldStart..<i)
                    fieldStart = i + 1
                }
                guard fields.count >= 10,
                      let dash = fields.firstIndex(where: { $0.count == 1 && buf[$0.lowerBound] == UInt8(ascii: "-") }),
                      dash >= 6, fields.count >= dash + 4,
                      let mountID = decimal(buf, fields[0]), let parentID = decimal(buf, fields[1]) else { continue }
                if !wanted.isEmpty {
                    let point = fields[4]
                    guard point.count >= wanted.count,
                          UnsafeBufferPointer(rebasing: buf[point.lowerBound..<point.lowerBound + wanted.count])
                              .elementsEqual(wanted) else { continue }
                }
                func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self) }
                func unescaped(_ r: Range<Int>) -> String { unescape(UnsafeBufferPointer(rebasing: buf[r])) }
                out.append(MountInfoEntry(mountID: mountID, parentID: parentID, mountPoint: unescaped(fields[4]),
                                          root: unescaped(fields[3]), options: text(fields[5]),
                                          optionalFields: fields[6..<dash].map(text), fsType: text(fields[dash + 1]),
                                          source: unescaped(fields[dash + 2]), superOptions: text(fields[dash + 3])))
            }
            return out
        }
    }

    /// A mount id: decimal digits only (mountinfo writes no sign).
    private static func decimal(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 18 else { return nil }
        var v = 0
        for i in r {
            let d = buf[i] &- UInt8(ascii: "0")
            guard d <= 9 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes.
    static func unescape(_ s: String) -> String {
        Array(s.utf8).withUnsafeBufferPointer { unescape($0) }
    }

    static func unescape(_ b: UnsafeBufferPointer<UInt8>) -> String {
        guard b.contains(UInt8(ascii: "\\")) else { return String(decoding: b, as: UTF8.self) }
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count {
                let digits = b[(i + 1)...(i + 3)]
                if digits.allSatisfy({ $0 >= 48 && $0 <= 55 }) {
                    let v = digits.reduce(0) { $0 * 8 + Int($1 - 48) }
                    out.append(UInt8(truncatingIfNeeded: v))
                    i += 4
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
