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
}

public enum MountInfo {
    public static func read(pid: String = "self") throws -> [MountInfoEntry] {
        parse(try readTextFile(path: "/proc/\(pid)/mountinfo"))
    }

    public static func parse(_ text: String) -> [MountInfoEntry] {
        var out: [MountInfoEntry] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 10, let dash = f.firstIndex(of: "-"), dash >= 6, f.count >= dash + 4,
                  let mountID = Int(f[0]), let parentID = Int(f[1]) else { continue }
            out.append(MountInfoEntry(mountID: mountID, parentID: parentID, mountPoint: unescape(f[4]), root: unescape(f[3]), options: f[5],
                                      optionalFields: Array(f[6..<dash]), fsType: f[dash + 1],
                                      source: unescape(f[dash + 2]), superOptions: f[dash + 3]))
        }
        return out
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
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
