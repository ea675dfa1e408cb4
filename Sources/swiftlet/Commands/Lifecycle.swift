import Container
import JSON
import Kernel

func startCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [], command: "start")
    try runtime.start(id: try requireID(p, "start"))
    return 0
}

func stateCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [], command: "state")
    let s = try runtime.state(id: try requireID(p, "state"))
    out(String(decoding: try JSON.encode(s, pretty: true), as: UTF8.self) + "\n")
    return 0
}

func killCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [FlagSpec(names: ["all", "a"], takesValue: false)], command: "kill")
    let id = try requireID(p, "kill")
    let name = p.positional.count > 1 ? p.positional[1] : "SIGTERM"
    guard let sig = Signals.parse(name) else { throw ContainerError("kill: unknown signal \"\(name)\"") }
    try runtime.kill(id: id, signal: sig, all: p.has("all"))
    return 0
}

func deleteCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [FlagSpec(names: ["force", "f"], takesValue: false)], command: "delete")
    try runtime.delete(id: try requireID(p, "delete"), force: p.has("force"))
    return 0
}
