import Container
import Kernel

let execFlags: [FlagSpec] = [
    .value("console-socket"), .value("pidfd-socket"), .value("cwd"), .value("env", "e"), .bool("tty", "t"),
    .value("user", "u"), .value("additional-gids", "g"), .value("process", "p"), .bool("detach", "d"),
    .value("pid-file"), .value("process-label"), .value("apparmor"), .bool("no-new-privs"), .value("cap", "c"),
    .value("preserve-fds"), .value("cgroup"), .bool("ignore-paused"),
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
    o.tty = p.has("tty")
    o.detach = p.has("detach")
    o.pidFile = p.value("pid-file")
    o.consoleSocket = p.value("console-socket")
    o.pidfdSocket = p.value("pidfd-socket")
    o.env = p.values("env")
    o.cwd = p.value("cwd")
    o.user = p.value("user")
    for g in p.values("additional-gids") {
        guard let gid = UInt32(g) else { throw UsageError("exec: --additional-gids: invalid gid \"\(g)\"") }
        o.additionalGids.append(gid)
    }
    o.caps = p.values("cap")
    o.noNewPrivs = p.has("no-new-privs")
    o.ignorePaused = p.has("ignore-paused")
    o.cgroups = p.values("cgroup")
    o.apparmor = p.value("apparmor")
    o.processLabel = p.value("process-label")
    o.preserveFDs = try preservedFDs(p)
    // Past the command line, a failure of exec itself (no such container, a paused one, a process
    // that cannot be started, a pid file that cannot be written) exits 255 as with runc, so that it
    // is not taken for the exit status of the process.
    do { return try runtime.exec(o) } catch { fail("\(error)", status: 255) }
}
