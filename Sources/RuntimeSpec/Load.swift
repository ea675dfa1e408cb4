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
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpecLoadError("read \(path): \(errorString(errno))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
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
