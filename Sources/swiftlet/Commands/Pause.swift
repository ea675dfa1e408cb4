import Container

func pauseCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [], command: "pause")
    try runtime.pause(id: try requireID(p, "pause"))
    return 0
}

func resumeCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [], command: "resume")
    try runtime.resume(id: try requireID(p, "resume"))
    return 0
}
