import Container
import Kernel

/// The global --criu value (set by main).
nonisolated(unsafe) var criuBinary = "criu"

/// runc's checkpoint/restore flags shared by both commands that set a field of CriuOptions as they are
/// (both also take --image-path and --work-path).
let criuCommonOptionFlags: [OptionFlag<CriuOptions>] = [
    .bool("tcp-established", to: \.tcpEstablished), .bool("ext-unix-sk", to: \.extUnixSk), .bool("shell-job", to: \.shellJob),
    .bool("file-locks", to: \.fileLocks), .value("manage-cgroups-mode", to: \.manageCgroupsMode),
    .values("empty-ns", to: \.emptyNamespaces), .bool("auto-dedup", to: \.autoDedup), .bool("lazy-pages", to: \.lazyPages),
]

let checkpointOptionFlags = criuCommonOptionFlags + [
    .value("parent-path", to: \.parentPath), .bool("leave-running", to: \.leaveRunning),
    .value("page-server", to: \.pageServer), .bool("pre-dump", to: \.preDump),
]
let checkpointFlags = checkpointOptionFlags.map(\.spec) + [.value("image-path"), .value("work-path"), .value("status-fd")]

/// runc's default image path: ./checkpoint. `flags`: the command's flags that are copied as they are.
func criuOptions(_ p: ParsedArguments, _ flags: [OptionFlag<CriuOptions>]) throws -> CriuOptions {
    var o = CriuOptions(imagePath: absolutePath(p.value("image-path") ?? "checkpoint"))
    o.workPath = p.value("work-path").map { absolutePath($0) }
    p.copy(flags, into: &o)
    if let fd = try p.integer("status-fd", as: Int32.self) { o.statusFD = fd }
    o.criu = criuBinary
    return o
}

func checkpointCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, checkpointFlags, command: "checkpoint")
    try runtime.checkpoint(id: id, options: try criuOptions(p, checkpointOptionFlags))
    return 0
}
