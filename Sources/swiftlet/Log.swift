import Glibc
import JSON
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
    String(decoding: JSON.serialize(.string(s)), as: UTF8.self)
}
