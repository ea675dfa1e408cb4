import Container
import Kernel

/// The global --criu value (set by main).
nonisolated(unsafe) var criuBinary = "criu"

/// runc's checkpoint/restore flags shared by both commands.
let criuCommonFlags = [
    FlagSpec(names: ["image-path"], takesValue: true),
    FlagSpec(names: ["work-path"], takesValue: true),
    FlagSpec(names: ["tcp-established"], takesValue: false),
    FlagSpec(names: ["ext-unix-sk"], takesValue: false),
    FlagSpec(names: ["shell-job"], takesValue: false),
    FlagSpec(names: ["file-locks"], takesValue: false),
    FlagSpec(names: ["manage-cgroups-mode"], takesValue: true),
    FlagSpec(names: ["empty-ns"], takesValue: true),
    FlagSpec(names: ["auto-dedup"], takesValue: false),
    FlagSpec(names: ["lazy-pages"], takesValue: false),
]

let checkpointFlags = criuCommonFlags + [
    FlagSpec(names: ["parent-path"], takesValue: true),
    FlagSpec(names: ["leave-running"], takesValue: false),
    FlagSpec(names: ["status-fd"], takesValue: true),
    FlagSpec(names: ["page-server"], takesValue: true),
    FlagSpec(names: ["pre-dump"], takesValue: false),
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
    if let s = p.value("status-fd") {
        guard let fd = Int32(s) else { throw UsageError("--status-fd: invalid number \"\(s)\"") }
        o.statusFD = fd
    }
    o.pageServer = p.value("page-server")
    o.manageCgroupsMode = p.value("manage-cgroups-mode")
    o.emptyNamespaces = p.values("empty-ns")
    o.lsmProfile = p.value("lsm-profile")
    o.lsmMountContext = p.value("lsm-mount-context")
    o.criu = criuBinary
    return o
}

func checkpointCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, checkpointFlags, command: "checkpoint")
    let id = try requireID(p, "checkpoint")
    try runtime.checkpoint(id: id, options: try criuOptions(p))
    return 0
}
