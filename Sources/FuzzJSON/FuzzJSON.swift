// Differential fuzz target: swiftlet's JSON parser against libyajl (Sources/JSONDifferential). Any
// disagreement beyond the ones by design, or any trap, is a finding.
//
// Normal builds: a replayer, `FuzzJSON FILE...` (the unit test JSONDifferentialTests replays the corpus
// Tests/Fuzz/json in-process). Fuzzing builds (tools/fuzz-json):
//   swift build -c release --product FuzzJSON -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFUZZING
import FuzzSupport
import Glibc
import JSONDifferential

func fuzzOne(_ bytes: [UInt8]) {
    if let difference = disagreement(bytes) {
        fatalError("swiftlet and yajl disagree on \(bytes.count) bytes: \(difference)")
    }
}

#if FUZZING
@_cdecl("FuzzJSON_main")
public func fuzzJSONMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzDriver(argc, argv, check: fuzzOne)
}
#else
@main
struct Replay {
    static func main() {
        replayInputFiles("FuzzJSON", read: readInputFile, check: disagreement)
    }
}
#endif
