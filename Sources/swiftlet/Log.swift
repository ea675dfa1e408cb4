import Glibc
import JSON
import Kernel

/// What the runtime tells its caller, in runc's formats (engines parse the JSON lines:
/// {"level":"error","msg":"...","time":"..."}): errors to stderr and, with --log, also to the log
/// file; warnings and --debug lines to the log file when there is one, else to stderr.
struct Logger {
    var path: String?
    var json = false
    var debug = false

    func error(_ msg: String) {
        _ = try? FD(2).write("swiftlet: \(msg)\n")
        append("error", msg)
    }

    func warn(_ msg: String) {
        if !append("warning", msg) { _ = try? FD(2).write("swiftlet: warning: \(msg)\n") }
    }

    /// --debug: to the --log file, else to stderr, both in runc's (logrus') format.
    func debugLog(_ msg: String) {
        guard debug else { return }
        if !append("debug", msg) { _ = try? FD(2).write(line("debug", msg)) }
    }

    private func line(_ level: String, _ msg: String) -> String {
        let time = Clock.rfc3339Nano()
        if json {
            return "{\"level\":\"\(level)\",\"msg\":\(quote(msg)),\"time\":\"\(time)\"}\n"
        }
        return "time=\"\(time)\" level=\(level) msg=\(quote(msg))\n"
    }

    /// False when there is no log file or it cannot be written (the caller then uses stderr).
    /// O_NOFOLLOW: a symlink planted where the log file goes (a directory others may write) is not
    /// followed, so no line is appended to its target; runc follows it (README, known differences).
    @discardableResult
    private func append(_ level: String, _ msg: String) -> Bool {
        guard let path else { return false }
        do {
            // O_NONBLOCK: a FIFO there without a reader fails at once (ENXIO) instead of blocking
            // the runtime for good; then cleared, so that a reader that is slow loses no line.
            let log = try OwnedFD.open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK, mode: 0o644)
            try? log.fd.setStatusFlags(O_APPEND)
            try log.fd.write(line(level, msg))
            return true
        } catch {
            _ = try? FD(2).write("swiftlet: --log \(path): \(error)\n")
            return false
        }
    }
}

/// A JSON string literal (also what logrus's text format uses for values with spaces).
func quote(_ s: String) -> String {
    String(decoding: JSON.serialize(.string(s)), as: UTF8.self)
}
