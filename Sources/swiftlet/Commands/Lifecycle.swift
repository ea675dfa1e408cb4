import Container
import JSON
import Kernel

func startCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    try runtime.start(id: try parseFlagsAndID(rest, [], command: "start").id)
    return 0
}

func stateCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let s = try runtime.state(id: try parseFlagsAndID(rest, [], command: "state").id)
    out(String(decoding: try JSON.encode(s, pretty: true), as: UTF8.self) + "\n")
    return 0
}

func killCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, [.bool("all", "a")], command: "kill")
    let name = p.positional.count > 1 ? p.positional[1] : "SIGTERM"
    // Signal 0 sends nothing: it checks that the container is alive (an error once it has stopped).
    guard let sig = name == "0" ? 0 : Signals.parse(name) else { throw RuntimeError(step: "kill", "unknown signal \"\(name)\"") }
    try runtime.kill(id: id, signal: sig, all: p.has("all"))
    return 0
}

func deleteCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, [.bool("force", "f")], command: "delete")
    try runtime.delete(id: id, force: p.has("force"))
    return 0
}
