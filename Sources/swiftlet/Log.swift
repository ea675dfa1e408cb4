import Glibc
import Kernel

/// Errors and warnings, to stderr and, with --log, to the log file in runc's formats (engines parse
/// the JSON lines: {"level":"error","msg":"...","time":"..."}).
struct Logger {
    var path: String?
    var json = false
    var debug = false

    func error(_ msg: String) {
        _ = try? FD(2).write("swiftlet: \(msg)\n")
        append("error", msg)
    }

    func warn(_ msg: String) {
        if path == nil { _ = try? FD(2).write("swiftlet: warning: \(msg)\n") }
        append("warning", msg)
    }

    func debugLog(_ msg: String) {
        guard debug else { return }
        if path == nil { _ = try? FD(2).write("swiftlet: debug: \(msg)\n") }
        append("debug", msg)
    }

    private func append(_ level: String, _ msg: String) {
        guard let path else { return }
        let time = Clock.rfc3339Nano()
        let line: String
        if json {
            line = "{\"level\":\"\(level)\",\"msg\":\(quote(msg)),\"time\":\"\(time)\"}\n"
        } else {
            line = "time=\"\(time)\" level=\(level) msg=\(quote(msg))\n"
        }
        _ = try? writeFile(path: path, line, flags: O_WRONLY | O_CREAT | O_APPEND)
    }
}

/// A JSON string literal (also what logrus's text format uses for values with spaces).
func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
