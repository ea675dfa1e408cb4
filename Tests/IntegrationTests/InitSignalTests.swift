import Foundation
import XCTest

/// The container's process, and an `exec` process, start with every signal at its default
/// disposition and none blocked, whatever the runtime's caller ignored (a shell's `trap ""`, nohup's
/// SIGHUP) and whatever the runtime ignores itself (SIGPIPE). Only the ignored ones are reset (execve
/// resets the caught ones by itself), found in /proc/self/status before the container's root.
final class InitSignalTests: IntegrationTestCase {
    /// `field` of the container process's /proc/self/status ("SigIgn", "SigBlk"), run by a shell
    /// that ignored `trapped` first.
    func statusField(_ field: String, callerIgnores trapped: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        let id = newID("sig")
        let bundle = makeBundle { $0.args = ["cat", "/proc/self/status"] }
        let r = Host.exec("/bin/sh", ["-c", "trap '' \(trapped); exec \"$@\"", "sh", Env.runtime, "--root", stateRoot,
                                      "run", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, describe(r), file: file, line: line)
        return r.stdout.split(separator: "\n").first { $0.hasPrefix(field + ":") }
            .map { $0.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    /// The test runner leaves signals 32 and 33 ignored (glibc's own, which its sigaction refuses
    /// to change): runc resets all but 32, crun all but 32 and 33.
    func testCallersIgnoredSignalsAreDefaultInTheContainer() {
        let ignored = statusField("SigIgn", callerIgnores: "HUP INT USR2 PIPE")
        assertOrDeviation(ignored == "0000000000000000", runtimes: ["runc", "crun"],
                          reason: "leaves the caller's ignored signals 32 and 33 ignored",
                          "signals the caller or the runtime ignored stay ignored in the container: SigIgn \(ignored ?? "nil")")
        XCTAssertEqual((UInt64(ignored ?? "", radix: 16) ?? 1) & 0x7fff_ffff, 0, "a standard signal stays ignored: \(ignored ?? "nil")")
    }

    /// The same for `exec`'s process.
    func testCallersIgnoredSignalsAreDefaultInAnExecProcess() {
        let id = newID("sigexec")
        XCTAssertEqual(runtime(["run", "-d", "--bundle", makeBundle { $0.args = ["sleep", "100"] }, id]).status, 0)
        let r = Host.exec("/bin/sh", ["-c", "trap '' HUP INT USR2 PIPE; exec \"$@\"", "sh", Env.runtime, "--root", stateRoot,
                                      "exec", id, "cat", "/proc/self/status"])
        XCTAssertEqual(r.status, 0, describe(r))
        let ignored = r.stdout.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
            .map { $0.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces) }
        assertOrDeviation(ignored == "0000000000000000", runtimes: ["runc", "crun"],
                          reason: "leaves the caller's ignored signals 32 and 33 ignored",
                          "signals the caller of exec ignored stay ignored: SigIgn \(ignored ?? "nil")")
        XCTAssertEqual((UInt64(ignored ?? "", radix: 16) ?? 1) & 0x7fff_ffff, 0, "a standard signal stays ignored: \(ignored ?? "nil")")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    func testNothingBlockedWithAPlainCaller() {
        XCTAssertEqual(statusField("SigBlk", callerIgnores: "USR1"), "0000000000000000")
    }
}
