import Foundation
import XCTest

/// The runtime started by a caller that closed fd 0, 1 or 2. The first fd the runtime opens takes
/// the lowest free number: before the fix the re-exec's detached bind of the binary (not
/// close-on-exec, so that its last close is made off the start-up path) became fd 0 and reached
/// the container's init as its stdin, a directory fd of a host mount (CVE-2024-21626's kind of
/// leak). Now each closed one is /dev/null from the runtime's first instruction on.
final class ClosedStdioTests: IntegrationTestCase {
    /// `run -d` and `exec -d` with 0, 1, 2, and all three closed: read from outside, the container's
    /// processes hold /dev/null where the caller had nothing, and no fd above 2.
    func testNoRuntimeFdBecomesAStandardStream() {
        let rt = "'\(Env.runtime)' --root '\(stateRoot)'"
        for closing in [[0], [1], [2], [0, 1, 2]] {
            let redirections = closing.map { $0 == 0 ? "0<&-" : "\($0)>&-" }.joined(separator: " ")
            let b = makeBundle { c in c.args = ["sleep", "100"] }
            let id = newID()
            let initPidFile = scratch + "/\(id).init.pid"
            let r = Host.sh("\(rt) run -d --pid-file '\(initPidFile)' --bundle '\(b)' \(id) \(redirections)")
            if r.status != 0 {
                assertOrDeviation(false, runtimes: ["crun"], reason: "crun refuses a closed standard stream (fchown std stream: EBADF)",
                                  "run -d with \(redirections): \(describe(r))")
                _ = runtime(["delete", "--force", id])
                continue
            }
            checkDescriptors(pidFile: initPidFile, closed: closing, "run -d with \(redirections)")

            let execPidFile = scratch + "/\(id).exec.pid"
            let e = Host.sh("\(rt) exec -d --pid-file '\(execPidFile)' \(id) sleep 100 \(redirections)")
            XCTAssertEqual(e.status, 0, "exec -d with \(redirections): \(describe(e))")
            if e.status == 0 { checkDescriptors(pidFile: execPidFile, closed: closing, "exec -d with \(redirections)") }
            XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        }
    }

    /// The fds of the process in `pidFile`, by /proc/PID/fd from the host: each of `closed` is
    /// /dev/null (or closed), nothing above 2 is open.
    private func checkDescriptors(pidFile: String, closed: [Int], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            XCTFail("\(what): no pid file", file: file, line: line)
            return
        }
        let dir = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var links: [Int: String] = [:]
        for e in entries {
            guard let n = Int(e) else { continue }
            links[n] = (try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + e)) ?? "?"
        }
        let leaked = links.filter { $0.key > 2 || (closed.contains($0.key) && $0.value != "/dev/null") }
        assertOrDeviation(leaked.isEmpty, runtimes: ["runc"], reason: "runc 1.1.5 (Go before 1.22) hands its own fds on as the standard streams",
                          "\(what): the container's process holds the runtime's fds \(leaked.sorted { $0.key < $1.key }) (all: \(links))",
                          file: file, line: line)
    }
}
