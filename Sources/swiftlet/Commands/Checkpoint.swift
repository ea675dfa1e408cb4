import Container
import Kernel

/// The global --criu value (set by main).
nonisolated(unsafe) var criuBinary = "criu"

/// runc's checkpoint/restore flags shared by both commands.
let criuCommonFlags: [FlagSpec] = [
    .value("image-path"), .value("work-path"), .bool("tcp-established"), .bool("ext-unix-sk"),
    .bool("shell-job"), .bool("file-locks"), .value("manage-cgroups-mode"), .value("empty-ns"),
    .bool("auto-dedup"), .bool("lazy-pages"),
]

let checkpointFlags = criuCommonFlags + [
    .value("parent-path"), .bool("leave-running"), .value("status-fd"), .value("page-server"), .bool("pre-dump"),
]

/// runc's default image path: ./checkpoint.
func criuOptions(_ p: ParsedArguments) throws -> CriuOptions {
    var o = CriuOptions(imagePath: absolutePath(p.value("image-path") ?? "checkpoint"))
    o.workPath = p.value("work-path").map { absolutePath($0) }
    o.parentPath = p.value("parent-path")
    o.leaveRunning = p.has("leave-running")
    o.tcpEstablished = p.has("tcp-established")
    o.extUnixSk = p.has("ext-unix-sk")
    o.shellJob = p.has("shell-job")
    o.fileLocks = p.has("file-locks")
    o.preDump = p.has("pre-dump")
    o.autoDedup = p.has("auto-dedup")
    o.lazyPages = p.has("lazy-pages")
    if let fd = try p.integer("status-fd", as: Int32.self) { o.statusFD = fd }
    o.pageServer = p.value("page-server")
    o.manageCgroupsMode = p.value("manage-cgroups-mode")
    o.emptyNamespaces = p.values("empty-ns")
    o.lsmProfile = p.value("lsm-profile")
    o.lsmMountContext = p.value("lsm-mount-context")
    o.criu = criuBinary
    return o
}

func checkpointCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, checkpointFlags, command: "checkpoint")
    try runtime.checkpoint(id: id, options: try criuOptions(p))
    return 0
}
