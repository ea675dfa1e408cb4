/// An error from parsing, decoding or encoding JSON.
///
/// `path` locates the offending value inside the document: object keys joined with `.`,
/// array indices appended as `[i]` (e.g. `mounts[3].options[0]`). It is empty for the top-level
/// value and for syntax errors (whose `message` starts with `line L column C:`).
public struct JSONError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// Coding key used for array positions and synthetic keys ("super").
struct _JSONKey: CodingKey {
    let name: String
    let index: Int?

    init(index: Int) {
        self.name = ""
        self.index = index
    }

    init(_ name: String) {
        self.name = name
        self.index = nil
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }

    var stringValue: String {
        if let index { return "Index \(index)" }
        return name
    }

    var intValue: Int? { index }
}

/// The encoder and the decoder keep their coding path as a chain of parents, each knowing only the
/// key it sits under: building the array for every value would cost more than the rare error or
/// custom `codingPath` reader that needs it.
protocol _CodingChain: AnyObject {
    var parent: Self? { get }
    var key: CodingKey? { get }
}

extension _CodingChain {
    var codingPath: [CodingKey] {
        var keys: [CodingKey] = []
        var link: Self? = self
        while let cur = link {
            if let k = cur.key { keys.append(k) }
            link = cur.parent
        }
        return keys.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Where an error about the value under `key` (nil: this one) points.
    func path(_ key: CodingKey?) -> String {
        var keys = codingPath
        if let key { keys.append(key) }
        return _formatPath(keys)
    }
}

/// Formats a coding path as `a.b[3].c`.
func _formatPath(_ keys: [CodingKey]) -> String {
    var out = ""
    for key in keys {
        if let k = key as? _JSONKey, let i = k.index {
            out += "[\(i)]"
        } else {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        }
    }
    return out
}

extension DecodingError {
    /// Converts a `DecodingError` (typically thrown by a type's custom `init(from:)`) to a `JSONError`.
    var _jsonError: JSONError {
        switch self {
        case .keyNotFound(let key, let ctx):
            return JSONError(path: _formatPath(ctx.codingPath + [key]), message: "required property missing")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            return JSONError(path: _formatPath(ctx.codingPath), message: ctx.debugDescription)
        @unknown default:
            return JSONError(path: "", message: "\(self)")
        }
    }
}

extension EncodingError {
    var _jsonError: JSONError {
        switch self {
        case .invalidValue(_, let ctx):
            return JSONError(path: _formatPath(ctx.codingPath), message: ctx.debugDescription)
        @unknown default:
            return JSONError(path: "", message: "\(self)")
        }
    }
}
