import Glibc
import CShim

/// setrlimit(2) and getrlimit(2) on the calling process.
public enum Rlimit {
    /// A resource of setrlimit(2): its number is Glibc's `RLIMIT_*` (the kernel's ABI), its name the
    /// spelling the runtime spec and the kernel share.
    public struct Resource: Hashable, Sendable, CustomStringConvertible {
        public let number: Int32
        public let name: String

        init(_ name: String, _ resource: __rlimit_resource) {
            self.name = name
            self.number = Int32(resource.rawValue)
        }

        /// Every resource, in the kernel's order. Glibc spells some of them only as macros over
        /// `__RLIMIT_*`, which is the name Swift sees.
        public static let all: [Resource] = [
            Resource("RLIMIT_CPU", RLIMIT_CPU), Resource("RLIMIT_FSIZE", RLIMIT_FSIZE),
            Resource("RLIMIT_DATA", RLIMIT_DATA), Resource("RLIMIT_STACK", RLIMIT_STACK),
            Resource("RLIMIT_CORE", RLIMIT_CORE), Resource("RLIMIT_RSS", __RLIMIT_RSS),
            Resource("RLIMIT_NPROC", __RLIMIT_NPROC), Resource("RLIMIT_NOFILE", RLIMIT_NOFILE),
            Resource("RLIMIT_MEMLOCK", __RLIMIT_MEMLOCK), Resource("RLIMIT_AS", RLIMIT_AS),
            Resource("RLIMIT_LOCKS", __RLIMIT_LOCKS), Resource("RLIMIT_SIGPENDING", __RLIMIT_SIGPENDING),
            Resource("RLIMIT_MSGQUEUE", __RLIMIT_MSGQUEUE), Resource("RLIMIT_NICE", __RLIMIT_NICE),
            Resource("RLIMIT_RTPRIO", __RLIMIT_RTPRIO), Resource("RLIMIT_RTTIME", __RLIMIT_RTTIME),
        ]

        /// The resource called `name` ("RLIMIT_NOFILE"), nil when there is none.
        public init?(named name: String) {
            guard let r = Resource.all.first(where: { $0.name == name }) else { return nil }
            self = r
        }

        public var description: String { name }
    }

    public static func set(_ resource: Resource, soft: UInt64, hard: UInt64) throws {
        try sys("setrlimit", "\(resource.name) soft \(soft) hard \(hard)") { cs_setrlimit(resource.number, soft, hard) }
    }

    public static func get(_ resource: Resource) throws -> (soft: UInt64, hard: UInt64) {
        var s: UInt64 = 0, h: UInt64 = 0
        try sys("getrlimit", resource.name) { cs_getrlimit(resource.number, &s, &h) }
        return (s, h)
    }
}
