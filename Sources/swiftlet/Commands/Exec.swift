import Container
import Kernel

/// The flags that set a field of ExecOptions as they are.
let execOptionFlags: [OptionFlag<ExecOptions>] = [
    .value("console-socket") { $0.consoleSocket = $1 }, .value("pidfd-socket") { $0.pidfdSocket = $1 },
    .value("cwd") { $0.cwd = $1 },
    .values("env", "e") { $0.env = $1 }, .bool("tty", "t") { $0.tty = $1 }, .value("user", "u") { $0.user = $1 },
    .bool("detach", "d") { $0.detach = $1 }, .value("pid-file") { $0.pidFile = $1 },
    .value("process-label") { $0.processLabel = $1 },
    .value("apparmor") { $0.apparmor = $1 }, .bool("no-new-privs") { $0.noNewPrivs = $1 },
    .values("cap", "c") { $0.caps = $1 },
    .values("cgroup") { $0.cgroups = $1 }, .bool("ignore-paused") { $0.ignorePaused = $1 },
]

let execFlags: [FlagSpec] = execOptionFlags.map(\.spec) + [
    .value("additional-gids", "g"), .value("process", "p"), .value("preserve-fds"),
]

/// `exec [flags] ID [command [args...]]`: flags end at the container id, as with runc.
func execCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, tail) = try parseFlags(rest, execFlags, command: "exec", stopAtPositional: true)
    guard let id = tail.first else { throw UsageError(missingIDFor: "exec") }
    var o = ExecOptions(id: id)
    o.args = Array(tail.dropFirst())
    if let f = p.value("process") {
        o.processFile = f
    } else if o.args.isEmpty {
        throw UsageError("exec: a command to run is required (or --process)")
    }
    p.copy(execOptionFlags, into: &o)
    for g in p.values("additional-gids") {
        guard let gid = UInt32(g) else { throw UsageError("exec: --additional-gids: invalid gid \"\(g)\"") }
        o.additionalGids.append(gid)
    }
    o.preserveFDs = try preservedFDs(p)
    // Past the command line, a failure of exec itself (no such container, a paused one, a process
    // that cannot be started, a pid file that cannot be written) exits 255 as with runc, so that it
    // is not taken for the exit status of the process.
    do { return try runtime.exec(o) } catch { fail("\(error)", status: 255) }
}
