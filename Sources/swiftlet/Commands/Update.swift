import Glibc
import Container
import JSON
import Kernel
import RuntimeSpec

let updateFlags: [FlagSpec] = [
    .value("resources", "r"), .value("blkio-weight"), .value("cpu-period"), .value("cpu-quota"), .value("cpu-share"),
    .value("cpu-rt-period"), .value("cpu-rt-runtime"), .value("cpu-idle"), .value("cpuset-cpus"), .value("cpuset-mems"),
    .value("kernel-memory"), .value("kernel-memory-tcp"), .value("memory"), .value("memory-reservation"),
    .value("memory-swap"), .value("pids-limit"), .value("l3-cache-schema"), .value("mem-bw-schema"),
]

/// A size as runc's flags take it: "-1", bytes, or a number with k/m/g/t/p (binary, optional "b"/"ib").
func parseBytes(_ text: String, flag: String) throws -> Int64 {
    if text == "-1" { return -1 }
    var s = Substring(text.lowercased())
    if s.hasSuffix("b") { s = s.dropLast() }
    if s.hasSuffix("i") { s = s.dropLast() }
    var mult: Double = 1
    if let last = s.last, let i = "kmgtp".firstIndex(of: last) {
        mult = Double(1 << (10 * ("kmgtp".distance(from: "kmgtp".startIndex, to: i) + 1)))
        s = s.dropLast()
    }
    while s.last == " " { s = s.dropLast() }
    guard let v = Double(s), v >= 0, v.isFinite else { throw UsageError("--\(flag): invalid size \"\(text)\"") }
    // 2^63 and above is no Int64 (and would trap in the conversion).
    guard v * mult < 0x1p63 else { throw UsageError("--\(flag): size \"\(text)\" is too large (at most \(Int64.max) bytes)") }
    return Int64(v * mult)
}

func updateCommand(_ rest: ArraySlice<String>, _ runtime: Runtime) throws -> Int32 {
    let (p, id) = try parseFlagsAndID(rest, updateFlags, command: "update")
    var r = LinuxResources()
    if let file = p.value("resources") {
        let bytes: [UInt8]
        do { bytes = file == "-" ? try SpecFile.read(fd: 0, name: "stdin") : try SpecFile.read(file) } catch {
            throw RuntimeError(step: "update", object: file, "reading resources from \(file)", cause: error)
        }
        do { r = try JSON.decode(LinuxResources.self, from: bytes) } catch {
            throw RuntimeError(step: "update", object: file, file, cause: error)
        }
    }
    func u64(_ name: String) throws -> UInt64? { try p.integer(name, invalid: "value") }
    func i64(_ name: String) throws -> Int64? { try p.integer(name, invalid: "value") }
    func bytes(_ name: String) throws -> Int64? {
        guard let v = p.value(name) else { return nil }
        return try parseBytes(v, flag: name)
    }
    if let w = try u64("blkio-weight") {
        guard w <= UInt64(UInt16.max) else { throw UsageError("--blkio-weight: out of range") }
        var b = r.blockIO ?? LinuxBlockIO()
        b.weight = UInt16(w)
        r.blockIO = b
    }
    /// Each flag given sets its field of `section`, which is made empty first when the file had none.
    func set<Section, Value>(_ section: inout Section?, empty: Section, _ flags: [(String, WritableKeyPath<Section, Value?>)],
                             _ read: (String) throws -> Value?) throws {
        for (name, field) in flags {
            guard let v = try read(name) else { continue }
            var s = section ?? empty
            s[keyPath: field] = v
            section = s
        }
    }
    try set(&r.cpu, empty: LinuxCPU(), [("cpu-period", \.period), ("cpu-share", \.shares), ("cpu-rt-period", \.realtimePeriod)], u64)
    try set(&r.cpu, empty: LinuxCPU(), [("cpu-quota", \.quota), ("cpu-rt-runtime", \.realtimeRuntime), ("cpu-idle", \.idle)], i64)
    try set(&r.cpu, empty: LinuxCPU(), [("cpuset-cpus", \.cpus), ("cpuset-mems", \.mems)], p.value)
    try set(&r.memory, empty: LinuxMemory(), [("memory", \.limit), ("memory-reservation", \.reservation),
                                              ("memory-swap", \.swap), ("kernel-memory", \.kernel),
                                              ("kernel-memory-tcp", \.kernelTCP)], bytes)
    if let v = try i64("pids-limit") { r.pids = LinuxPids(limit: v) }
    if p.value("l3-cache-schema") != nil || p.value("mem-bw-schema") != nil {
        throw RuntimeError(step: "update", "Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported by swiftlet")
    }
    // As config.json's linux.resources: a hugepage size that is a path, a weight the conversions
    // have no value for, are refused before anything is written.
    let problems = r.validate()
    if !problems.isEmpty {
        throw RuntimeError(step: "update", "invalid resources:\n  " + problems.map(\.description).joined(separator: "\n  "))
    }
    try runtime.update(id: id, changes: r)
    return 0
}
