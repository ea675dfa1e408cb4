import Foundation
import XCTest

/// What a swiftlet process does before main for the commands that re-execute themselves from a
/// read-only bind of the binary (create, run, exec, restore; Sources/CShim/cshim_entry.c and
/// cshim_startup.c) leaves nothing hooks or helpers see, and asks the kernel only what it needs:
/// the environment a hook without `env` inherits is the caller's, whether or not the caller set a
/// Swift backtracer setting of its own, and the start-up neither reads /proc/self/maps (the Swift
/// runtime's argv finder) nor looks for the backtracer's helper program.
final class StartupTests: IntegrationTestCase {
    private static let hookKinds = ["prestart", "createRuntime", "poststop"]
    /// What the hooks' shell adds to the environment it was given.
    private static let shellVariables: Set<String> = ["PWD", "OLDPWD", "SHLVL", "_"]

    /// `run` of /bin/true under exactly `environment` (env -i), with hooks that name no environment
    /// and write the one they got to a file; each hook's variables, less what the shell adds, sorted.
    private func hookEnvironments(_ environment: [String], file: StaticString = #filePath, line: UInt = #line) -> [String: [String]] {
        let dir = hostDir("hook-env")
        let bundle = makeBundle { c in
            for kind in Self.hookKinds {
                c.addHook(kind, ["path": "/bin/sh", "args": ["sh", "-c", "env > \(dir)/\(kind)"]])
            }
        }
        let id = newID()
        let r = Host.exec("/usr/bin/env", ["-i"] + environment + [Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, describe(r), file: file, line: line)
        // The Swift runtime takes the setting the re-exec passes without a word (an unknown key, a
        // bad value would be a warning on every command's stderr).
        XCTAssertEqual(r.stderr, "", "the runtime's stderr", file: file, line: line)
        var found: [String: [String]] = [:]
        for kind in Self.hookKinds {
            let text = (try? String(contentsOfFile: "\(dir)/\(kind)", encoding: .utf8)) ?? ""
            XCTAssertFalse(text.isEmpty, "the \(kind) hook did not run: \(describe(r))", file: file, line: line)
            found[kind] = text.split(separator: "\n").map(String.init)
                .filter { !Self.shellVariables.contains(String($0.prefix { $0 != "=" })) }.sorted()
        }
        return found
    }

    /// The variables the re-exec passes its new image (the bind's fd, the backtracer's settings)
    /// are gone before any hook runs: each hook gets exactly what the caller gave.
    func testHooksInheritTheCallersEnvironment() {
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SWIFTLET_TEST_ID=\(token)", "HOOK_MARK=mark-\(token)"]
        for (kind, variables) in hookEnvironments(environment) {
            XCTAssertEqual(variables, environment.sorted(), "the \(kind) hook's environment")
        }
    }

    /// A caller's own SWIFT_BACKTRACE, even one equal to the setting the re-exec would add, is the
    /// caller's: it reaches the hooks as it was, once.
    func testCallersBacktraceSettingReachesHooks() {
        for setting in ["SWIFT_BACKTRACE=enable=no", "SWIFT_BACKTRACE=enable=no,interactive=no,color=no,swift-backtrace="] {
            let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SWIFTLET_TEST_ID=\(token)", setting]
            for (kind, variables) in hookEnvironments(environment) {
                XCTAssertEqual(variables, environment.sorted(), "\(setting): the \(kind) hook's environment")
            }
        }
    }

    /// `run`'s own process, traced from its start to main (the first rt_sigaction, SIGPIPE): the
    /// re-exec and one statfs of /proc/self/exe after it, no /proc/self/maps, no backtracer probes
    /// (a readlink of /proc/self/exe other than glibc's own, paths ending in swift-backtrace or
    /// libexec/swift), no terminal questions.
    func testStartupAsksOnlyWhatItNeeds() throws {
        guard isSwiftlet else { throw XCTSkip("swiftlet's own start-up") }
        let bundle = makeBundle()
        let id = newID()
        let out = scratch + "/startup.trace"
        let r = Host.exec("/usr/bin/strace", ["-qq", "-o", out, Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, describe(r))
        let calls = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        guard let reexec = calls.firstIndex(where: { $0.hasPrefix("execveat(") }),
              let main = calls.firstIndex(where: { $0.hasPrefix("rt_sigaction(SIGPIPE") }), reexec < main else {
            return XCTFail("no re-exec before main in the trace:\n\(calls.prefix(80).joined(separator: "\n"))")
        }
        let startup = calls[(reexec + 1)..<main]
        let listing = startup.joined(separator: "\n")
        XCTAssertFalse(listing.contains("/proc/self/maps"), "the start-up reads /proc/self/maps:\n\(listing)")
        XCTAssertFalse(listing.contains("swift-backtrace") || listing.contains("libexec/swift"),
                       "the start-up looks for the backtracer:\n\(listing)")
        XCTAssertFalse(listing.contains("TCGETS"), "the start-up asks whether a stream is a terminal:\n\(listing)")
        XCTAssertEqual(startup.filter { $0.hasPrefix("readlink(") }.count, 1, "readlinks (glibc's own only):\n\(listing)")
        XCTAssertEqual(startup.filter { $0.hasPrefix("statfs(") }.count, 1, "statfs after the re-exec:\n\(listing)")
        XCTAssertEqual(calls[main...].filter { $0.hasPrefix("statfs(\"/proc/self/exe\"") }.count, 0,
                       "statfs of /proc/self/exe after main (the constructor's verdict is kept)")
    }
}
