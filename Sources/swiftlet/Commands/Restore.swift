import Container
import Kernel

let restoreOptionFlags = criuCommonOptionFlags + [
    .value("lsm-profile") { $0.lsmProfile = $1 }, .value("lsm-mount-context") { $0.lsmMountContext = $1 },
]
let restoreFlags = restoreOptionFlags.map(\.spec) + [
    .value("image-path"), .value("work-path"), .value("console-socket"), .value("bundle", "b"), .bool("detach", "d"),
    .value("pid-file"), .bool("no-subreaper"), .bool("no-pivot"),
]

func restoreCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, restoreFlags, command: "restore")
    return try runtime.restore(id: id, bundle: p.value("bundle") ?? ".", options: try criuOptions(p, restoreOptionFlags),
                               detach: p.has("detach"), pidFile: p.value("pid-file"),
                               consoleSocket: p.value("console-socket"), noPivot: p.has("no-pivot"),
                               noSubreaper: p.has("no-subreaper"))
}
