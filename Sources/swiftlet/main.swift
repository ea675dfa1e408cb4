import Glibc
import Container
import JSON
import Kernel
import RuntimeSpec

let swiftletVersion = "0.1.0"

let globalFlags = [
    FlagSpec(names: ["root"], takesValue: true),
    FlagSpec(names: ["log"], takesValue: true),
    FlagSpec(names: ["log-format"], takesValue: true),
    FlagSpec(names: ["debug"], takesValue: false),
    FlagSpec(names: ["systemd-cgroup"], takesValue: false),
    FlagSpec(names: ["criu"], takesValue: true),
    FlagSpec(names: ["rootless"], takesValue: true),
    FlagSpec(names: ["version", "v"], takesValue: false),
    FlagSpec(names: ["help", "h"], takesValue: false),
]

let createFlags = [
    FlagSpec(names: ["bundle", "b"], takesValue: true),
    FlagSpec(names: ["pid-file"], takesValue: true),
    FlagSpec(names: ["console-socket"], takesValue: true),
    FlagSpec(names: ["no-pivot"], takesValue: false),
    FlagSpec(names: ["no-new-keyring"], takesValue: false),
    FlagSpec(names: ["preserve-fds"], takesValue: true),
    FlagSpec(names: ["pidfd-socket"], takesValue: true),
]

var logger = Logger()

func fail(_ msg: String, status: Int32 = 1) -> Never {
    logger.error(msg)
    exit(status)
}

func out(_ s: String) {
    _ = try? FD(1).write(s)
}

func requireID(_ p: ParsedArguments, _ command: String) throws -> String {
    guard let id = p.positional.first else {
        throw UsageError("\(command): \"\(command)\" requires a container id")
    }
    return id
}

func createOptions(_ p: ParsedArguments, id: String) throws -> CreateOptions {
    var o = CreateOptions(id: id, bundle: p.value("bundle") ?? ".")
    o.pidFile = p.value("pid-file")
    o.consoleSocket = p.value("console-socket")
    o.noPivot = p.has("no-pivot")
    o.noNewKeyring = p.has("no-new-keyring")
    if let n = p.value("preserve-fds") {
        guard let v = Int32(n), v >= 0, v < 65536 else { throw UsageError("--preserve-fds: invalid number \"\(n)\"") }
        o.preserveFDs = v
    }
    return o
}

func tableRow(_ cells: [String], _ widths: [Int]) -> String {
    var line = ""
    for (i, c) in cells.enumerated() {
        if i == cells.count - 1 { line += c } else { line += c + String(repeating: " ", count: widths[i] - c.count) }
    }
    return line + "\n"
}

func runCommand(_ command: String, _ rest: ArraySlice<String>, root: String) throws -> Int32 {
    let runtime = Runtime(root: root, warn: { logger.warn($0) })
    switch command {
    case "create":
        let (p, _) = try parseFlags(rest, createFlags, command: command)
        try runtime.create(try createOptions(p, id: try requireID(p, command)))
        return 0
    case "run":
        let (p, _) = try parseFlags(rest, createFlags + [FlagSpec(names: ["detach", "d"], takesValue: false),
                                                         FlagSpec(names: ["keep"], takesValue: false)],
                                    command: command)
        return try runtime.run(try createOptions(p, id: try requireID(p, command)), detach: p.has("detach"))
    case "start":
        let (p, _) = try parseFlags(rest, [], command: command)
        try runtime.start(id: try requireID(p, command))
        return 0
    case "state":
        let (p, _) = try parseFlags(rest, [], command: command)
        let s = try runtime.state(id: try requireID(p, command))
        out(String(decoding: try JSON.encode(s, pretty: true), as: UTF8.self) + "\n")
        return 0
    case "kill":
        let (p, _) = try parseFlags(rest, [FlagSpec(names: ["all", "a"], takesValue: false)], command: command)
        let id = try requireID(p, command)
        let name = p.positional.count > 1 ? p.positional[1] : "SIGTERM"
        guard let sig = Signals.parse(name) else { throw ContainerError("kill: unknown signal \"\(name)\"") }
        try runtime.kill(id: id, signal: sig, all: p.has("all"))
        return 0
    case "delete":
        let (p, _) = try parseFlags(rest, [FlagSpec(names: ["force", "f"], takesValue: false)], command: command)
        try runtime.delete(id: try requireID(p, command), force: p.has("force"))
        return 0
    case "list", "ps" where false:
        return 0
    case "list":
        let (p, _) = try parseFlags(rest, [FlagSpec(names: ["format", "f"], takesValue: true),
                                           FlagSpec(names: ["quiet", "q"], takesValue: false)], command: command)
        let states = runtime.list()
        if p.has("quiet") {
            for s in states { out(s.id + "\n") }
            return 0
        }
        switch p.value("format") ?? "table" {
        case "json":
            out(String(decoding: try JSON.encode(states), as: UTF8.self) + "\n")
        case "table":
            var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            for s in states {
                rows.append([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])
            }
            var widths = [Int](repeating: 12, count: 6)
            for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count + 3) } }
            for r in rows { out(tableRow(r, widths)) }
        case let f:
            throw UsageError("list: invalid format \"\(f)\" (table or json)")
        }
        return 0
    case "spec":
        let (p, _) = try parseFlags(rest, [FlagSpec(names: ["bundle", "b"], takesValue: true),
                                           FlagSpec(names: ["rootless"], takesValue: false)], command: command)
        let dir = p.value("bundle") ?? "."
        let path = dir + "/config.json"
        let spec = Spec.defaultSpec(rootless: p.has("rootless"))
        let text = String(decoding: try JSON.encode(spec, pretty: true), as: UTF8.self) + "\n"
        do {
            try writeFile(path: path, text, flags: O_WRONLY | O_CREAT | O_EXCL)
        } catch let e as SysError where e.errno == EEXIST {
            throw ContainerError("spec: \(path) already exists; remove it first")
        }
        return 0
    case "features":
        _ = try parseFlags(rest, [], command: command)
        out(String(decoding: JSON.serialize(Features.current(), pretty: true), as: UTF8.self) + "\n")
        return 0
    case "exec", "ps", "pause", "resume", "update", "events", "checkpoint", "restore":
        throw ContainerError("\(command): not implemented in swiftlet \(swiftletVersion) yet")
    default:
        throw UsageError("unknown command \"\(command)\"")
    }
}

func usage() -> String {
    """
    usage: swiftlet [global options] command [options] [arguments]

    commands: create, start, state, kill, delete, run, list, spec, features
    global options: --root DIR (default /run/swiftlet), --log FILE, --log-format text|json,
                    --debug, --systemd-cgroup, --version

    """
}

func main() -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    let argv = CommandLine.arguments
    let global: ParsedArguments
    let rest: ArraySlice<String>
    do {
        (global, rest) = try parseFlags(argv.dropFirst(), globalFlags, command: "swiftlet", stopAtPositional: true)
    } catch {
        fail("\(error)")
    }
    logger.path = global.value("log")
    switch global.value("log-format") ?? "text" {
    case "json": logger.json = true
    case "text": break
    case let f: fail("--log-format: unknown format \"\(f)\" (text or json)")
    }
    logger.debug = global.has("debug")
    if global.has("version") {
        out("swiftlet version \(swiftletVersion)\nspec: 1.3.0\n")
        return 0
    }
    if global.has("help") || rest.isEmpty {
        out(usage())
        return global.has("help") ? 0 : 1
    }
    if global.has("systemd-cgroup") {
        fail("--systemd-cgroup: the systemd cgroup driver is not supported by swiftlet (no systemd driver exists yet)")
    }
    let root = global.value("root") ?? "/run/swiftlet"
    let command = rest.first!
    do {
        return try runCommand(command, rest.dropFirst(), root: root)
    } catch {
        fail("\(error)")
    }
}

exit(main())
