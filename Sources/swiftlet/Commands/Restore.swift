import Container
import Kernel

let restoreFlags = criuCommonFlags + [
    FlagSpec(names: ["console-socket"], takesValue: true),
    FlagSpec(names: ["bundle", "b"], takesValue: true),
    FlagSpec(names: ["detach", "d"], takesValue: false),
    FlagSpec(names: ["pid-file"], takesValue: true),
    FlagSpec(names: ["no-subreaper"], takesValue: false),
    FlagSpec(names: ["no-pivot"], takesValue: false),
    FlagSpec(names: ["lsm-profile"], takesValue: true),
    FlagSpec(names: ["lsm-mount-context"], takesValue: true),
]

func restoreCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, restoreFlags, command: "restore")
    let id = try requireID(p, "restore")
    return try runtime.restore(id: id, bundle: p.value("bundle") ?? ".", options: try criuOptions(p),
                               detach: p.has("detach"), pidFile: p.value("pid-file"),
                               consoleSocket: p.value("console-socket"), noPivot: p.has("no-pivot"),
                               noSubreaper: p.has("no-subreaper"))
}
