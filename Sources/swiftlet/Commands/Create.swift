import Container

func createCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, createFlags, command: "create")
    try runtime.create(try createOptions(p, id: try requireID(p, "create")))
    return 0
}

func runCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, createFlags + [FlagSpec(names: ["detach", "d"], takesValue: false),
                                                     FlagSpec(names: ["keep"], takesValue: false)],
                                command: "run")
    return try runtime.run(try createOptions(p, id: try requireID(p, "run")), detach: p.has("detach"))
}
