import Container
import Kernel

/// The flags that set a field of ExecOptions as they are.
let execOptionFlags: [OptionFlag<ExecOptions>] = [
    .value("console-socket", to: \.consoleSocket), .value("pidfd-socket", to: \.pidfdSocket), .value("cwd", to: \.cwd),
    .values("env", "e", to: \.env), .bool("tty", "t", to: \.tty), .value("user", "u", to: \.user),
    .bool("detach", "d", to: \.detach), .value("pid-file", to: \.pidFile), .value("process-label", to: \.processLabel),
    .value("apparmor", to: \.apparmor), .bool("no-new-privs", to: \.noNewPrivs), .values("cap", "c", to: \.caps),
    .values("cgroup", to: \.cgroups), .bool("ignore-paused", to: \.ignorePaused),
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
