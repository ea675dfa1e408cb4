import Container
import Kernel

let execFlags = [
    FlagSpec(names: ["console-socket"], takesValue: true),
    FlagSpec(names: ["pidfd-socket"], takesValue: true),
    FlagSpec(names: ["cwd"], takesValue: true),
    FlagSpec(names: ["env", "e"], takesValue: true),
    FlagSpec(names: ["tty", "t"], takesValue: false),
    FlagSpec(names: ["user", "u"], takesValue: true),
    FlagSpec(names: ["additional-gids", "g"], takesValue: true),
    FlagSpec(names: ["process", "p"], takesValue: true),
    FlagSpec(names: ["detach", "d"], takesValue: false),
    FlagSpec(names: ["pid-file"], takesValue: true),
    FlagSpec(names: ["process-label"], takesValue: true),
    FlagSpec(names: ["apparmor"], takesValue: true),
    FlagSpec(names: ["no-new-privs"], takesValue: false),
    FlagSpec(names: ["cap", "c"], takesValue: true),
    FlagSpec(names: ["preserve-fds"], takesValue: true),
    FlagSpec(names: ["cgroup"], takesValue: true),
    FlagSpec(names: ["ignore-paused"], takesValue: false),
]

/// `exec [flags] ID [command [args...]]`: flags end at the container id, as with runc.
func execCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, tail) = try parseFlags(rest, execFlags, command: "exec", stopAtPositional: true)
    guard let id = tail.first else { throw UsageError("exec: \"exec\" requires a container id") }
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
    if let n = p.value("preserve-fds") {
        guard let v = Int32(n), v >= 0, v < 65536 else { throw UsageError("--preserve-fds: invalid number \"\(n)\"") }
        o.preserveFDs = v
    }
    return try runtime.exec(o)
}
