// Differential fuzz target: swiftlet's JSON parser against libyajl (Sources/JSONDifferential). Any
// disagreement beyond the ones by design, or any trap, is a finding.
//
// Normal builds: a replayer, `FuzzJSON FILE...` (the unit test JSONDifferentialTests replays the corpus
// Tests/Fuzz/json in-process). Fuzzing builds (tools/fuzz-json):
//   swift build -c release --product FuzzJSON -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFUZZING
import Glibc
import JSONDifferential

func fuzzOne(_ bytes: [UInt8]) {
    if let difference = disagreement(bytes) {
        fatalError("swiftlet and yajl disagree on \(bytes.count) bytes: \(difference)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

// SwiftPM links an executable target with `main` aliased to `<Target>_main`: hand over to
// libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("FuzzJSON_main")
public func fuzzJSONMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, LLVMFuzzerTestOneInput)
}
#else
@main
struct Replay {
    static func main() {
        var failures = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else {
                print("FuzzJSON: cannot read \(path)")
                failures += 1
                continue
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&chunk, 1, chunk.count, f)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            fclose(f)
            if let difference = disagreement(bytes) {
                print("FuzzJSON: \(path): \(difference)")
                failures += 1
            }
        }
        print("FuzzJSON: \(CommandLine.arguments.count - 1) inputs, \(failures) disagreements")
        exit(failures == 0 ? 0 : 1)
    }
}
#endif
