import Glibc
import Container
import JSON
import Kernel
import RuntimeSpec

let swiftletVersion = "0.1.0"

let globalFlags: [FlagSpec] = [
    .value("root"), .value("log"), .value("log-format"), .bool("debug"), .bool("systemd-cgroup"),
    .value("criu"), .value("rootless"), .bool("version", "v"), .bool("help", "h"),
]

/// The flags that set a field of CreateOptions as they are.
let createOptionFlags: [OptionFlag<CreateOptions>] = [
    .value("pid-file") { $0.pidFile = $1 }, .value("console-socket") { $0.consoleSocket = $1 },
    .bool("no-pivot") { $0.noPivot = $1 },
    .bool("no-new-keyring") { $0.noNewKeyring = $1 }, .value("pidfd-socket") { $0.pidfdSocket = $1 },
]

let createFlags: [FlagSpec] = createOptionFlags.map(\.spec) + [.value("bundle", "b"), .value("preserve-fds")]

var logger = Logger()
/// --systemd-cgroup.
var systemdCgroup = false

func fail(_ msg: String, status: Int32 = 1) -> Never {
    logger.error(msg)
    exit(status)
}

func out(_ s: String) {
    _ = try? FD(1).write(s)
}

func createOptions(_ p: ParsedArguments, id: String) throws -> CreateOptions {
    var o = CreateOptions(id: id, bundle: p.value("bundle") ?? ".")
    p.copy(createOptionFlags, into: &o)
    o.preserveFDs = try preservedFDs(p)
    return o
}

/// --preserve-fds of create, run and exec: how many fds after stdio the process inherits.
func preservedFDs(_ p: ParsedArguments) throws -> Int32 {
    // Not given (the common case): no call of the generic parser, whose metadata every run paid.
    guard p.value("preserve-fds") != nil else { return 0 }
    return try p.integer("preserve-fds", as: Int32.self, in: 0...65535) ?? 0
}

/// The handler of each runc command; each lives in Commands/<Name>.swift. A switch, not a dictionary
/// of closures: building that (its storage's metadata, 17 names hashed) cost every command ~2% of a
/// `run`'s user CPU before it ran one.
func commandHandler(_ command: String) -> ((ArraySlice<String>, Runtime) throws -> Int32)? {
    switch command {
    case "create": return createCommand
    case "run": return runCommand
    case "start": return startCommand
    case "state": return stateCommand
    case "kill": return killCommand
    case "delete": return deleteCommand
    case "list": return listCommand
    case "spec": return specCommand
    case "features": return featuresCommand
    case "exec": return execCommand
    case "pause": return pauseCommand
    case "resume": return resumeCommand
    case "update": return updateCommand
    case "events": return eventsCommand
    case "ps": return psCommand
    case "checkpoint": return checkpointCommand
    case "restore": return restoreCommand
    default: return nil
    }
}

func dispatch(_ command: String, _ rest: ArraySlice<String>, root: String) throws -> Int32 {
    if command == "help" { return try helpCommand(rest) }
    // `COMMAND --help` also for the commands that parse their arguments themselves (ps).
    if let first = rest.first, first == "-h" || first == "--help" || first == "-help", commandHelps[command] != nil {
        throw HelpRequested(command: command)
    }
    var runtime = Runtime(root: root, warn: { logger.warn($0) })
    if logger.debug { runtime.debugLog = { logger.debugLog($0) } }
    runtime.systemdCgroup = systemdCgroup
    runtime.debug("\(command): root \(root)")
    if command == "create" || command == "run" || command == "exec" || command == "restore" {
        // Their forks end in the container: run them from a copy it cannot write (CVE-2019-5736),
        // or not at all.
        try RuntimeBinary.protect()
    }
    if let handler = commandHandler(command) { return try handler(rest, runtime) }
    throw UsageError("unknown command \"\(command)\"")
}

/// runc's default: /run/swiftlet for root; $XDG_RUNTIME_DIR/swiftlet for an unprivileged user (and
/// for root in a user namespace whose $USER is not root, as rootless podman runs it).
func defaultRoot(needed: Bool) throws -> String {
    let system = "/run/swiftlet"
    let xdg = environmentValue("XDG_RUNTIME_DIR") ?? ""
    let euid = Identity.effectiveUID
    if !xdg.isEmpty && (euid != 0 || (Identity.inUserNamespace && environmentValue("USER") != "root")) {
        return xdg + "/swiftlet"
    }
    if euid != 0 && needed {
        // Without XDG_RUNTIME_DIR an unprivileged user can only use /run/swiftlet if it was made theirs.
        let probe = isAccessible(system, F_OK) ? system : "/run"
        if !isAccessible(probe, W_OK | X_OK) {
            throw RuntimeError(object: system, "XDG_RUNTIME_DIR is not set and \(system) is not writable by uid \(euid): "
                + "set XDG_RUNTIME_DIR (the state goes to $XDG_RUNTIME_DIR/swiftlet) or pass --root")
        }
    }
    return system
}

/// Global `--rootless` (runc: whether cgroup permission errors are ignored: true, false or auto).
/// swiftlet always does what `auto` does, by its effective uid (Rootless.swift): a value asking for
/// something else is said not to apply instead of being dropped in silence; one that is no boolean
/// is refused, as by runc. As runc's parseBoolOrAuto: empty is auto, and auto in any case.
func checkRootlessFlag(_ value: String) throws {
    let asked: Bool
    switch value {
    case "", _ where value.lowercased() == "auto": return
    case "1", "t", "T", "true", "TRUE", "True": asked = true
    case "0", "f", "F", "false", "FALSE", "False": asked = false
    default: throw RuntimeError.flag("--rootless", "invalid value \"\(value)\" (true, false or auto)")
    }
    if asked != !Identity.isRoot {
        logger.warn("--rootless \(value): not applied: swiftlet treats cgroup permission errors by its uid "
            + "(\(Identity.effectiveUID)), as with auto")
    }
}

func main() -> Int32 {
    // Before anything that forks or executes: hooks and helpers without an environment of their own
    // inherit this one, and it must be the caller's.
    RuntimeBinary.restoreCallerEnvironment()
    Proc.ignoreBrokenPipe()
    let argv = processArguments()
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
        out(globalHelpText())
        return global.has("help") ? 0 : 1
    }
    systemdCgroup = global.has("systemd-cgroup")
    if let value = global.value("rootless") {
        do { try checkRootlessFlag(value) } catch { fail("\(error)") }
    }
    let command = rest.first!
    if let c = global.value("criu") { criuBinary = c }
    let root: String
    if let r = global.value("root") {
        root = r
    } else {
        let needed = command != "spec" && command != "features" && command != "help"
        do { root = try defaultRoot(needed: needed) } catch { fail("\(error)") }
    }
    do {
        return try dispatch(command, rest.dropFirst(), root: root)
    } catch let help as HelpRequested {
        out(commandHelpText(help.command) ?? globalHelpText())
        return 0
    } catch {
        fail("\(error)")
    }
}

exit(main())
