import Container

func pauseCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    try runtime.pause(id: try parseFlagsAndID(rest, [], command: "pause").id)
    return 0
}

func resumeCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    try runtime.resume(id: try parseFlagsAndID(rest, [], command: "resume").id)
    return 0
}
