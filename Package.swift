// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only the ones before it:
// CShim (C) → JSON → RuntimeSpec → Kernel → Container → swiftlet (CLI).
// Nothing on the runtime's path imports Foundation: start-up time is the product.

// Every function in its own section, so that the linker can place the ones a container's start-up runs
// next to each other (see `hotText`). No implicit _StringProcessing (1 MB of regex engine, linked as soon
// as one `String.contains(String)` uses it) nor _Concurrency: the init stage must stay single-threaded.
//
// Concrete generic types (KeyedDecodingContainer<Spec.CodingKeys>, [Mount]...) get their metadata from a
// direct accessor call, not from their mangled name: the runtime demangles a name and looks up every
// conformance its generic requirements name (a scan of all conformance records) on each type's first
// use, and swiftlet is a new process per command, so that first use is every use: ~20% of `run`'s
// user-space CPU went there.
let swiftFlags: [SwiftSetting] = [.unsafeFlags([
    "-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors",
    "-Xfrontend", "-function-sections",
    "-Xfrontend", "-disable-implicit-string-processing-module-import",
    "-Xfrontend", "-disable-implicit-concurrency-module-import",
])]

// The code a container's life runs goes first, in the order it first runs, in its own output section
// (the linker script below, written by tools/hot-order; lld, which ships with Swift, reads it). The kernel
// maps text 64 KB around each page it faults in: packed together, that code costs ~1 MB of resident memory
// instead of most of the 7 MB of text. Release builds only (a layout for the code being profiled, not for
// debugging). The file name carries a hash of its content, and tools/hot-order rewrites it here: a new
// layout changes the link command, so SwiftPM relinks.
let hotTextScript = "tools/hot-text-1d4766092fb0.ld"
let hotText: LinkerSetting = .unsafeFlags(["-Xlinker", "-T", "-Xlinker", "\(Context.packageDirectory)/\(hotTextScript)"],
                                          .when(configuration: .release))

let package = Package(
    name: "swiftlet",
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
    ],
    targets: [
        .target(
            name: "CShim",
            cSettings: [.unsafeFlags(["-ffunction-sections"])],
            // Linked statically: two fewer shared objects to map at every start (libcap-dev and
            // libseccomp-dev ship the archives).
            linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libcap.a", "-Xlinker", "-l:libseccomp.a"])]
        ),
        .target(name: "JSON", swiftSettings: swiftFlags),
        .target(name: "RuntimeSpec", dependencies: ["JSON"], swiftSettings: swiftFlags),
        .target(name: "Kernel", dependencies: ["CShim"], swiftSettings: swiftFlags),
        .target(name: "Cgroups", dependencies: ["RuntimeSpec", "Kernel", "JSON"], swiftSettings: swiftFlags),
        .target(name: "Container", dependencies: ["Cgroups", "RuntimeSpec", "Kernel", "JSON", "CShim"], swiftSettings: swiftFlags),
        // A static executable: no dynamic loader, no relocations, no shared objects to map. Start-up
        // (`swiftlet --version`) drops from 1.6 ms to 0.7 ms, and `run` execs the binary twice.
        // runc's command-line syntax, apart from the executable so that the unit tier tests it.
        .target(name: "CommandLineFlags", swiftSettings: swiftFlags),
        .executableTarget(name: "swiftlet", dependencies: ["Container", "Cgroups", "RuntimeSpec", "Kernel", "JSON", "CommandLineFlags"],
                          swiftSettings: swiftFlags,
                          // Its own entry point (Sources/CShim/cshim_entry.c): the CVE-2019-5736 re-exec before
                          // glibc's static start-up, which then runs once per create, run and exec, not twice.
                          linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld",
                                                         "-Xlinker", "-e", "-Xlinker", "swiftlet_entry"]), hotText]),
        // Fuzz target (conformance/fuzz builds it with -sanitize=fuzzer -parse-as-library -DFUZZING);
        // in normal builds a replayer of the corpus in Tests/Fuzz.
        .executableTarget(name: "FuzzSpec", dependencies: ["Container", "Cgroups", "RuntimeSpec", "JSON", "FuzzSupport"]),
        // Reading input files, and libFuzzer's driver in fuzzing builds: the fuzz targets and JSONBench.
        .target(name: "FuzzSupport"),
        // libyajl (libyajl-dev's static archive), the reference the JSON parser is measured and fuzzed
        // against: only the differential fuzz target, the JSON benchmark and their tests use it, never
        // the swiftlet executable.
        .target(name: "CYajl", linkerSettings: [.linkedLibrary("yajl_s")]),
        .target(name: "JSONDifferential", dependencies: ["JSON", "CYajl"]),
        // Differential fuzz target (tools/fuzz-json builds it with -sanitize=fuzzer -parse-as-library
        // -DFUZZING); in normal builds a replayer of files.
        .executableTarget(name: "FuzzJSON", dependencies: ["JSONDifferential", "FuzzSupport"]),
        // The JSON figures of conformance/BENCH.md (release build).
        .executableTarget(name: "JSONBench", dependencies: ["JSON", "RuntimeSpec", "CYajl", "FuzzSupport"]),
        // The unit tier (tools/unit-tier.sh runs it as an unprivileged user): pure logic, no root, no
        // containers. The integration tier is IntegrationTests, the engine tier its EngineTests classes.
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "JSONDifferentialTests", dependencies: ["JSONDifferential", "JSON"]),
        .testTarget(name: "CommandLineFlagsTests", dependencies: ["CommandLineFlags"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel"]),
        // Kernel wrappers that need root (mount API): run with the integration tier, whose filter
        // (`IntegrationTests`) matches this name; the unit tier runs as nobody.
        .testTarget(name: "KernelIntegrationTests", dependencies: ["Kernel"]),
        .testTarget(name: "RuntimeSpecTests", dependencies: ["RuntimeSpec", "JSON"]),
        // Fixtures (profiles, C sources of test helpers) are read by path, not built.
        .testTarget(name: "IntegrationTests", dependencies: [], exclude: ["Fixtures"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "RuntimeSpec"]),
        .testTarget(name: "ContainerTests", dependencies: ["Container", "RuntimeSpec"]),
    ],
    swiftLanguageModes: [.v5]
)
