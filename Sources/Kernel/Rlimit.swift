import CShim

public enum Rlimit {
    public static func set(_ resource: Int32, soft: UInt64, hard: UInt64, name: String) throws {
        try sys("setrlimit", "\(name) soft \(soft) hard \(hard)") { cs_setrlimit(resource, soft, hard) }
    }

    public static func get(_ resource: Int32) throws -> (soft: UInt64, hard: UInt64) {
        var s: UInt64 = 0, h: UInt64 = 0
        try sys("getrlimit", "\(resource)") { cs_getrlimit(resource, &s, &h) }
        return (s, h)
    }
}
