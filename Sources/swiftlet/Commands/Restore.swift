import Container
import Kernel

let restoreFlags = criuCommonFlags + [
    .value("console-socket"), .value("bundle", "b"), .bool("detach", "d"), .value("pid-file"),
    .bool("no-subreaper"), .bool("no-pivot"), .value("lsm-profile"), .value("lsm-mount-context"),
]

func restoreCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, restoreFlags, command: "restore")
    return try runtime.restore(id: id, bundle: p.value("bundle") ?? ".", options: try criuOptions(p),
                               detach: p.has("detach"), pidFile: p.value("pid-file"),
                               consoleSocket: p.value("console-socket"), noPivot: p.has("no-pivot"),
                               noSubreaper: p.has("no-subreaper"))
}
