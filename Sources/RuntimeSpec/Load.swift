// Reading config.json from a bundle, without Foundation.

import Glibc
import JSON

/// An error loading a bundle's configuration; `description` is the whole message,
/// e.g. `config.json: process.cwd: required property missing` or
/// `open /b/config.json: No such file or directory`.
public struct SpecLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Small file helpers over open(2)/read(2).
public enum SpecFile {
    /// Reads the whole file at `path`. Errors read `open <path>: <strerror>` or `read <path>: <strerror>`.
    public static func read(_ path: String) throws -> [UInt8] {
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        if fd < 0 { throw SpecLoadError("open \(path): \(errorString(errno))") }
        defer { close(fd) }
        // Chunks read straight into uninitialised array storage: no zero-filled scratch buffer whose
        // pages would all be touched (and, after the fork, copied) for a 2 KB file.
        var out: [UInt8] = []
        var chunk = 16 * 1024
        while true {
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: chunk) { buf, count in
                var n: Int
                repeat { n = Glibc.read(fd, buf.baseAddress, chunk) } while n < 0 && errno == EINTR
                if n < 0 { failure = errno; n = 0 }
                count = n
            }
            if failure != 0 { throw SpecLoadError("read \(path): \(errorString(failure))") }
            if bytes.isEmpty { return out }
            if out.isEmpty { out = bytes } else { out += bytes }
            chunk = min(chunk * 2, 1 << 20)
        }
    }

    static func errorString(_ code: Int32) -> String {
        guard let s = strerror(code) else { return "errno \(code)" }
        return String(cString: s)
    }
}

public extension Spec {
    /// Decodes a configuration from JSON bytes; errors are prefixed `config.json: `.
    static func decode(_ bytes: [UInt8]) throws -> Spec {
        do {
            return try JSON.decode(Spec.self, from: bytes)
        } catch {
            throw SpecLoadError("config.json: \(error)")
        }
    }

    /// Reads and decodes `<bundle>/config.json`.
    static func load(bundle: String) throws -> Spec {
        let path = bundle.hasSuffix("/") ? bundle + "config.json" : bundle + "/config.json"
        return try decode(try SpecFile.read(path))
    }
}
