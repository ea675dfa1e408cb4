// swift-tools-version:6.0
import PackageDescription

// Layers, each importing only the ones before it:
// CShim (C) → JSON → RuntimeSpec → Kernel → Container → swiftlet (CLI).
// Nothing on the runtime's path imports Foundation: start-up time is the product.
let package = Package(
    name: "swiftlet",
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
    ],
    targets: [
        .target(
            name: "CShim",
            // Linked statically: two fewer shared objects to map at every start (libcap-dev and
            // libseccomp-dev ship the archives).
            linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libcap.a", "-Xlinker", "-l:libseccomp.a"])]
        ),
        .target(name: "JSON"),
        .target(name: "RuntimeSpec", dependencies: ["JSON"]),
        .target(name: "Kernel", dependencies: ["CShim"]),
        .target(name: "Cgroups", dependencies: ["RuntimeSpec", "Kernel", "JSON", "CShim"]),
        .target(name: "Container", dependencies: ["Cgroups", "RuntimeSpec", "Kernel", "JSON", "CShim"]),
        // A static executable: no dynamic loader, no relocations, no shared objects to map. Start-up
        // (`swiftlet --version`) drops from 1.6 ms to 0.7 ms, and `run` execs the binary twice.
        .executableTarget(name: "swiftlet", dependencies: ["Container", "Cgroups", "RuntimeSpec", "Kernel", "JSON"],
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),
        // Fuzz target (conformance/fuzz builds it with -sanitize=fuzzer -parse-as-library -DFUZZING);
        // in normal builds a replayer of the corpus in Tests/Fuzz.
        .executableTarget(name: "FuzzSpec", dependencies: ["Container", "Cgroups", "RuntimeSpec", "JSON"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "RuntimeSpecTests", dependencies: ["RuntimeSpec", "JSON"]),
        // Fixtures (profiles, C sources of test helpers) are read by path, not built.
        .testTarget(name: "IntegrationTests", dependencies: [], exclude: ["Fixtures"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "RuntimeSpec"]),
        .testTarget(name: "ContainerTests", dependencies: ["Container", "RuntimeSpec"]),
    ],
    swiftLanguageModes: [.v5]
)
