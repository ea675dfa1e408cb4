import Glibc
import Container
import JSON
import Kernel
import RuntimeSpec

func specCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, _) = try parseFlags(rest, [.value("bundle", "b"), .bool("rootless")], command: "spec")
    let dir = p.value("bundle") ?? "."
    let path = dir + "/config.json"
    let spec = Spec.defaultSpec(rootless: p.has("rootless"))
    let text = String(decoding: try JSON.encode(spec, pretty: true), as: UTF8.self) + "\n"
    do {
        try writeFile(path: path, text, flags: O_WRONLY | O_CREAT | O_EXCL)
    } catch let e as SysError where e.errno == EEXIST {
        throw RuntimeError(step: "spec", object: path, "\(path) already exists; remove it first")
    }
    return 0
}

func featuresCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    _ = try parseFlags(rest, [], command: "features")
    out(String(decoding: JSON.serialize(Features.current(), pretty: true), as: UTF8.self) + "\n")
    return 0
}
