// Fuzz target for everything swiftlet decodes from files a user (or a crashed run) controls:
// config.json (JSON parser → Spec decode → validate → the conversions `create` applies before it
// forks: capabilities, seccomp, cgroup device rules and weights) and state.json (ContainerRecord,
// and runtime-spec's State / runc's state shape).
//
// Normal builds: a replayer, `FuzzSpec FILE...` runs each file through the same checks (CI runs
// the corpus and the kept crashers this way). Fuzzing builds (conformance/fuzz):
//   swift build -c release --product FuzzSpec -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library \
//     -Xswiftc -DFUZZING -Xswiftc -enable-testing
// libFuzzer's driver (Sources/FuzzSupport) then calls fuzzOne with each input.

#if FUZZING
@testable import Cgroups
@testable import Container
#else
import Cgroups
import Container
#endif
import FuzzSupport
import Glibc
import JSON
import RuntimeSpec

/// One input. Any trap (overflow, force-unwrap, index out of range, stack overflow) is a bug: user
/// input must end in a thrown error.
func fuzzOne(_ bytes: [UInt8]) {
    // 1. The parser, and the serializer on whatever parses.
    if let value = try? JSON.parse(bytes) {
        let text = JSON.serialize(value)
        guard let again = try? JSON.parse(text), again == value else {
            fatalError("serialize/parse round trip changed the value")
        }
        _ = JSON.serialize(value, pretty: true)
    }
    // 2. config.json: decode, validate, and the conversions of create.
    if let spec = try? Spec.decode(bytes) {
        _ = spec.validate()
        exerciseSpec(spec)
        if let encoded = try? JSON.encode(spec) { _ = try? Spec.decode(encoded) }
    }
    // 3. state.json and the state shapes.
    if let record = try? JSON.decode(ContainerRecord.self, from: bytes) {
        _ = try? JSON.encode(record)
        _ = record.config.validate()
    }
    #if FUZZING
    _ = try? JSON.decode(CgroupClaim.self, from: bytes)
    #endif
    _ = try? JSON.decode(State.self, from: bytes)
    _ = try? JSON.decode(RuncState.self, from: bytes)
}

func exerciseSpec(_ spec: Spec) {
    _ = MountPlan.resolve(spec)
    #if FUZZING
    let valid = spec.validate().isEmpty
    // linux.seccomp to BPF through libseccomp, as `create` does (no cache: nothing on disk).
    if valid, let s = spec.linux?.seccomp { _ = try? SeccompProgram.compile(s, cacheDir: nil, warn: { _ in }) }
    if let process = spec.process { _ = ProcessPlan.resolve(process, linux: spec.linux, lastCap: 40) }
    if let r = spec.linux?.resources {
        if let rules = try? DeviceRules.effective(r.devices ?? []) { _ = DeviceFilter.program(rules) }
        // The v1 → v2 conversions `create` applies to a config that passed validation.
        if valid {
            if let shares = r.cpu?.shares { _ = ResourcesV2.weight(fromShares: shares) }
            if let w = r.blockIO?.weight { _ = try? ResourcesV2.ioWeight(fromBlkio: UInt64(w)) }
            if let m = r.memory, let swap = m.swap { _ = try? ResourcesV2.swapMax(swap: swap, limit: m.limit ?? -1) }
        }
    }
    #endif
    _ = try? Cgroups.validate(cgroupsPath: spec.linux?.cgroupsPath)
}

#if FUZZING
@_cdecl("FuzzSpec_main")
public func fuzzSpecMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzDriver(argc, argv, check: fuzzOne)
}
#else
@main
struct Replay {
    static func main() {
        replayInputFiles("FuzzSpec", read: { try? SpecFile.read($0) }, check: { fuzzOne($0); return nil })
    }
}
#endif
