// What the fuzz targets (FuzzSpec, FuzzJSON) share, and JSONBench with them: reading an input file
// whole, and in fuzzing builds (-DFUZZING, -sanitize=fuzzer) handing over to libFuzzer's driver.
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
