import Container

func createCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, createFlags, command: "create")
    try runtime.create(try createOptions(p, id: id))
    return 0
}

func runCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, createFlags + [.bool("detach", "d"), .bool("keep")], command: "run")
    return try runtime.run(try createOptions(p, id: id), detach: p.has("detach"), keep: p.has("keep"))
}
