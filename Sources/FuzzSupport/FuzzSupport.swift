// What the fuzz targets (FuzzSpec, FuzzJSON) share, and JSONBench with them: reading an input file
// whole, the replayer of normal builds, and in fuzzing builds (-DFUZZING, -sanitize=fuzzer) the
// hand-over to libFuzzer's driver.
import Glibc

/// The bytes of the file at `path`; nil if it cannot be opened.
public func readInputFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

/// The replayer of normal builds: `check` on each file named on the command line (read with `read`),
/// which returns what it found or nil. Prints each finding and a count; exits 1 if a file could not be
/// read or had a finding.
public func replayInputFiles(_ target: String, read: (String) -> [UInt8]?, check: ([UInt8]) -> String?) -> Never {
    var unreadable = 0
    var findings = 0
    let paths = CommandLine.arguments.dropFirst()
    for path in paths {
        guard let bytes = read(path) else {
            print("\(target): cannot read \(path)")
            unreadable += 1
            continue
        }
        if let finding = check(bytes) {
            print("\(target): \(path): \(finding)")
            findings += 1
        }
    }
    print("\(target): \(paths.count) inputs, \(findings) findings, \(unreadable) unreadable")
    exit(findings == 0 && unreadable == 0 ? 0 : 1)
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The fuzz target's check of one input (set once, before the driver starts).
nonisolated(unsafe) private var checkOneInput: ([UInt8]) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // An empty input may come as a null pointer.
    checkOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// Runs libFuzzer's driver on the command line, with `check` (which traps on a finding) for each
/// input. SwiftPM links an executable target with `main` aliased to `<Target>_main`: each fuzz target
/// defines that to call this.
public func runFuzzDriver(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                          check: @escaping ([UInt8]) -> Void) -> Int32 {
    checkOneInput = check
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, LLVMFuzzerTestOneInput)
}
#endif
