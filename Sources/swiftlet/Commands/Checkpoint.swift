import Container
import Kernel

/// The global --criu value (set by main).
nonisolated(unsafe) var criuBinary = "criu"

/// runc's checkpoint/restore flags shared by both commands that set a field of CriuOptions as they are
/// (both also take --image-path and --work-path).
let criuCommonOptionFlags: [OptionFlag<CriuOptions>] = [
    .bool("tcp-established") { $0.tcpEstablished = $1 }, .bool("ext-unix-sk") { $0.extUnixSk = $1 },
    .bool("shell-job") { $0.shellJob = $1 },
    .bool("file-locks") { $0.fileLocks = $1 }, .value("manage-cgroups-mode") { $0.manageCgroupsMode = $1 },
    .values("empty-ns") { $0.emptyNamespaces = $1 }, .bool("auto-dedup") { $0.autoDedup = $1 },
    .bool("lazy-pages") { $0.lazyPages = $1 },
]

let checkpointOptionFlags = criuCommonOptionFlags + [
    .value("parent-path") { $0.parentPath = $1 }, .bool("leave-running") { $0.leaveRunning = $1 },
    .value("page-server") { $0.pageServer = $1 }, .bool("pre-dump") { $0.preDump = $1 },
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
