// Reading config.json from a bundle, without Foundation.

import Glibc
import JSON

/// An error loading a bundle's configuration; `description` is the whole message,
/// e.g. `config.json: process.cwd: required property missing` or
/// `open /b/config.json: No such file or directory`.
public struct SpecLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    /// The errno of the system call that failed (open, stat, read); nil when the file was read but
    /// refused (not a regular file, too large, not valid JSON). RuntimeSpec does not know Kernel's
    /// SysError: the number is kept so that callers (`RuntimeError.errno`) can still reach it.
    public var errno: Int32?
    public init(_ description: String, errno: Int32? = nil) {
        self.description = description
        self.errno = errno
    }
}

/// Small file helpers over open(2)/read(2).
public enum SpecFile {
    /// The largest configuration read (config.json, `exec --process`, `update -r`): a file that
    /// never ends (/dev/zero) or is absurdly large fails with this limit named instead of taking
    /// all memory.
    public static let maxSize = 64 << 20
    static let maxSizeText = "64 MiB"

    /// Reads the whole regular file at `path`. Symlinks are followed (runc's config.json may be one),
    /// but what they lead to must be a regular file: the open does not block (O_NONBLOCK: a FIFO
    /// without a writer) and nothing is read from a FIFO, device, socket or directory. Errors read
    /// `open <path>: <strerror>`, `<path>: not a regular file (a FIFO)`, `<path>: N bytes, larger than
    /// the 64 MiB limit` or `read <path>: <strerror>`.
    public static func read(_ path: String) throws -> [UInt8] {
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        } while fd < 0 && errno == EINTR
        if fd < 0 { throw failed("open", path, errno) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw failed("stat", path, errno) }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else { throw SpecLoadError("\(path): not a regular file (\(fileKind(type)))") }
        if Int(st.st_size) > maxSize { throw tooLarge(path, size: Int(st.st_size)) }
        return try read(fd: fd, name: path)
    }

    /// Reads to end of file from `fd` (a regular file, or a pipe for `update -r -`), at most `maxSize`
    /// bytes: one more is an error naming the limit (a file that grows while it is read, a pipe).
    public static func read(fd: Int32, name: String) throws -> [UInt8] {
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
            if failure != 0 { throw failed("read", name, failure) }
            if bytes.isEmpty { return out }
            if out.isEmpty { out = bytes } else { out += bytes }
            if out.count > maxSize { throw tooLarge(name, size: nil) }
            chunk = min(chunk * 2, 1 << 20)
        }
    }

    /// `<call> <path>: <strerror>`, keeping the errno.
    static func failed(_ call: String, _ path: String, _ code: Int32) -> SpecLoadError {
        SpecLoadError("\(call) \(path): \(errorString(code))", errno: code)
    }

    static func tooLarge(_ name: String, size: Int?) -> SpecLoadError {
        SpecLoadError("\(name): " + (size.map { "\($0) bytes, " } ?? "") + "larger than the \(maxSizeText) limit")
    }

    static func fileKind(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "file type \(type >> 12)"
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
