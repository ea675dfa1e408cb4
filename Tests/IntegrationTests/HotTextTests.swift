import Foundation
import XCTest

/// The start-up code is linked into one packed section (tools/hot-text-HASH.ld, written by
/// tools/hot-order); peak RSS depends on it (conformance/BENCH.md). These tests check that the
/// binary under test has that section, that the script still names the functions of this code base,
/// that its name is its content's hash and Package.swift links it, and that the profiler works.
final class HotTextTests: IntegrationTestCase {
    /// The script Package.swift's `hotTextScript` names.
    private var script: String {
        get throws {
            let manifest = try String(contentsOfFile: Env.repo + "/Package.swift", encoding: .utf8)
            let line = try XCTUnwrap(manifest.split(separator: "\n").first { $0.hasPrefix("let hotTextScript = \"") },
                                     "Package.swift has no hotTextScript")
            return Env.repo + "/" + line.split(separator: "\"")[1]
        }
    }

    /// One script in tools/, named after the SHA-256 of its content (so that a new layout is a new
    /// link command), with no distribution's version numbers or folders in its patterns.
    func testScriptNameIsItsHashAndPortable() throws {
        let path = try script
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Env.repo + "/tools")
            .filter { $0.hasPrefix("hot-text-") && $0.hasSuffix(".ld") }
        XCTAssertEqual(scripts, [URL(fileURLWithPath: path).lastPathComponent], "tools/ must hold exactly the script Package.swift names")
        let r = Host.exec("/usr/bin/sha256sum", [path])
        XCTAssertEqual(r.status, 0, describe(r))
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        XCTAssertEqual("hot-text-" + r.stdout.prefix(12), name, "the script was edited without renaming it: run tools/hot-order")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("    *") {
            let file = line.prefix { $0 != "(" }
            XCTAssertNil(file.range(of: #"-[0-9]+(\.[0-9]+)+\.a|linux-gnu/|/[0-9]+/"#, options: .regularExpression),
                         "not portable: \(line)")
        }
    }

    private func requireSwiftlet() throws {
        guard Env.isSwiftlet else { throw XCTSkip("swiftlet's link layout") }
    }

    /// `.text.hot` exists and holds the ~1 MB of start-up code (not an empty script).
    func testBinaryHasPackedStartupCode() throws {
        try requireSwiftlet()
        let r = Host.exec("/usr/bin/readelf", ["-SW", Env.runtime])
        XCTAssertEqual(r.status, 0, describe(r))
        guard let line = r.stdout.split(separator: "\n").first(where: { $0.contains(" .text.hot ") }) else {
            return XCTFail("no .text.hot section in \(Env.runtime):\n\(r.stdout)")
        }
        // [Nr] Name Type Address Off Size ...
        let fields = line.split(separator: "]").last!.split(separator: " ")
        let size = Int(fields[4], radix: 16) ?? 0
        XCTAssertGreaterThan(size, 512 * 1024, String(line))
    }

    /// Nine in ten of the swiftlet functions the script names still exist: after a refactor that
    /// renames the start-up path, `tools/hot-order` must be run again.
    func testScriptNamesCurrentFunctions() throws {
        try requireSwiftlet()
        let path = try script
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let modules = ["JSON", "RuntimeSpec", "Kernel", "Cgroups", "Container", "CommandLineFlags", "swiftlet"]
        var named: [String] = []
        for line in text.split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard let open = l.firstIndex(of: "("), l.hasSuffix(")"),
                  modules.contains(where: { l.hasPrefix("*\($0).build/") }) else { continue }
            let section = l[l.index(after: open)..<l.index(before: l.endIndex)]
            guard section.hasPrefix(".text.$s") else { continue }  // unnamed sections have no symbol
            named.append(String(section.dropFirst(".text.".count)))
        }
        XCTAssertGreaterThan(named.count, 500, "the script names too few swiftlet functions: \(path)")
        let nm = Host.exec("/usr/bin/nm", [Env.runtime])
        XCTAssertEqual(nm.status, 0, describe(nm))
        let symbols = Set(nm.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
        let missing = named.filter { !symbols.contains($0) }
        XCTAssertLessThan(Double(missing.count), Double(named.count) * 0.1,
                          "\(missing.count) of \(named.count) functions in hot-text.ld are gone; run tools/hot-order. First: \(missing.prefix(5))")
    }

    /// tools/bptrace reports the functions a command runs, in the order they first run.
    func testProfilerReportsFunctionsRun() throws {
        try requireSwiftlet()
        let dir = scratch
        let tracer = dir + "/bptrace"
        let cc = Host.exec("/usr/bin/cc", ["-O2", "-o", tracer, Env.repo + "/tools/bptrace.c"])
        XCTAssertEqual(cc.status, 0, describe(cc))
        let nm = Host.exec("/usr/bin/nm", [Env.runtime])
        var address: [String: String] = [:]  // symbol -> address as bptrace prints it
        var entries = ""
        for line in nm.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, "tTwW".contains(f[1]), let a = UInt64(f[0], radix: 16) else { continue }
            address[String(f[2])] = String(a, radix: 16)
            entries += "\(f[0])\n"
        }
        try entries.write(toFile: dir + "/entries", atomically: true, encoding: .utf8)
        let r = Host.exec(tracer, [dir + "/entries", dir + "/hits", Env.runtime, "--version"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssert(r.stdout.hasPrefix("swiftlet version"), describe(r))
        let hits = try String(contentsOfFile: dir + "/hits", encoding: .utf8).split(separator: "\n").map(String.init)
        let start = try XCTUnwrap(address["_start"]), main = try XCTUnwrap(address["main"])
        // swiftlet's own ELF entry point (cshim_entry.c), which then jumps to glibc's _start.
        let entry = try XCTUnwrap(address["swiftlet_entry"])
        XCTAssertEqual(hits.first, entry, "the first function run is the entry point, swiftlet_entry")
        let startHit = try XCTUnwrap(hits.firstIndex(of: start), "_start was not reported")
        XCTAssertLessThan(startHit, try XCTUnwrap(hits.firstIndex(of: main), "main was not reported"), "_start runs before main")
        XCTAssertEqual(Set(hits).count, hits.count, "a function was reported twice")
    }
}
