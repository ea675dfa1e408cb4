// Two containers whose cgroups have one path (one id under several --roots, or one cgroupsPath
// given twice), created and deleted at the same time: each gets the cgroup to itself or is refused
// with a clear error; none has its processes killed by the other's delete, none fails to join a
// cgroup removed under it, and nothing is left (see CgroupLock).

import Foundation
import XCTest

final class SharedCgroupPathTests: CgroupTestCase {
    func testOneCgroupPathRunAtOnceFromThreeRoots() {
        let id = newID()
        // The cgroup mount makes init join the cgroup itself, as the configs of podman, Docker and
        // `runc spec` do: the join is where a cgroup removed by another container's delete showed.
        let b = makeBundle { c in
            c.shell("true")
            c[path: "linux.cgroupsPath"] = cgPath(id)
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
        }
        let roots = (0..<3).map { "\(stateRoot)-r\($0)" }
        defer {
            for r in roots {
                Host.exec(Env.runtime, ["--root", r, "delete", "--force", id])
                try? FileManager.default.removeItem(atPath: r)
            }
        }
        var ran = 0
        var refused = 0
        var broken: [String] = []
        for _ in 0..<15 {
            // one line per run: its exit status and its error message
            let script = roots.enumerated().map { i, r in
                "( '\(Env.runtime)' --root '\(r)' run --bundle '\(b)' '\(id)' </dev/null >/dev/null 2>\"$0.\(i)\"; "
                    + "echo \"rc=$? $(tr '\\n' ' ' < \"$0.\(i)\")\"; rm -f \"$0.\(i)\" ) &"
            }.joined(separator: " ") + " wait"
            let r = Host.exec("/bin/sh", ["-c", script, "\(scratch)/race"], timeout: 120)
            for line in r.stdout.split(separator: "\n") {
                if line.hasPrefix("rc=0") {
                    ran += 1
                } else if line.contains("a container needs a cgroup of its own") {
                    refused += 1  // the other's processes or its mark were there: a clear refusal
                } else {
                    broken.append(String(line))
                }
            }
        }
        if isSwiftlet {
            XCTAssertEqual(broken, [], "runs that failed otherwise than by a clear refusal (ran \(ran), refused \(refused))")
            XCTAssertGreaterThanOrEqual(ran, 15, "at least one run per round (refused \(refused))")
        } else if !broken.isEmpty {
            print("\(Env.runtimeName): \(broken.count) runs broke: \(broken.prefix(3))")
        }
        for r in roots {
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: r)) ?? [], [], "state left in \(r)")
        }
        assertCgroupGone(id)
    }
}
