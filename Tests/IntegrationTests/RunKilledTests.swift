import Foundation
import XCTest

/// A `run` that dies between its create and its start (SIGKILL, or the OOM killer in a memory
/// cgroup too small for it) takes its container's init with it: nothing waits on an exec fifo
/// that no `start` will ever write.
final class RunKilledTests: IntegrationTestCase {
    func testRunKilledBeforeItsStartLeavesNoInit() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName) has no fault injection (SWIFTLET_FAULT)") }
        // Detached too, and with a time namespace: a second fork makes the container's process, whose
        // parent is then the runtime only as a subreaper (`run -d` was none: the init was left).
        for (detach, secondFork) in [(false, false), (true, false), (false, true), (true, true)] {
            let context = "\(detach ? "run -d" : "run")\(secondFork ? " with a time namespace" : "")"
            let id = newID("runkilled")
            let bundle = makeBundle { c in
                c.args = ["sleep", "100"]
                if secondFork { c.addNamespace("time") }
            }
            let r = Host.exec("/usr/bin/env", ["SWIFTLET_FAULT=start.locked", Env.runtime, "--root", stateRoot,
                                               "run"] + (detach ? ["-d"] : []) + ["--bundle", bundle, id])
            XCTAssertEqual(r.status, 128 + SIGKILL, "\(context): run did not die at start.locked: \(describe(r))")
            let procs = poll(until: [], timeout: 3) { self.leakedProcesses().map(\.pid) }
            XCTAssertEqual(procs, [], "\(context): the init outlived the killed run")
            _ = runtime(["delete", "--force", id])
        }
    }

    /// The bench's smallest-memory probe (conformance/bench b_minmem): `run` in a v1 memory cgroup
    /// at limits around where the OOM killer takes it; after each, no process is left in the box.
    func testRunOOMKilledInSmallMemoryCgroupLeavesNoProcess() throws {
        let memory = "/sys/fs/cgroup/memory"
        guard FileManager.default.fileExists(atPath: memory + "/memory.limit_in_bytes") else {
            return print("NOTE: no v1 memory hierarchy here")
        }
        for kib in stride(from: 640, through: 1088, by: 64) {
            let box = "\(memory)/\(token)-box\(kib)"
            try FileManager.default.createDirectory(atPath: box + "/rt", withIntermediateDirectories: true)
            defer { removeBox(box) }
            try "\(kib * 1024)".write(toFile: box + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
            let id = newID("oom")
            let bundle = specBundle(cgroupsPath: "/\(token)-box\(kib)/ctr")
            let r = Host.sh("echo $$ > '\(box)/rt/cgroup.procs' && exec '\(Env.runtime)' --root '\(stateRoot)' run --bundle '\(bundle)' '\(id)'")
            let left = poll(until: [], timeout: 3) { self.processes(in: box) }
            XCTAssertEqual(left, [], "[\(kib) KiB] processes left in the memory cgroup after run (status \(r.status)) returned")
            _ = runtime(["delete", "--force", id])
        }
    }

    /// The bench's bundle: `spec`'s default config (its namespaces and mounts) running /bin/true.
    func specBundle(cgroupsPath: String) -> String {
        let dir = hostDir("spec-\(UUID().uuidString.prefix(8))")
        let r = runtimeNoRoot(["spec", "--bundle", dir])
        XCTAssertEqual(r.status, 0, describe(r))
        var config = (parseJSON((try? String(contentsOfFile: dir + "/config.json", encoding: .utf8)) ?? "") as? Config) ?? [:]
        config[path: "root"] = ["path": Env.sharedRootfs, "readonly": true] as [String: Any]
        config[path: "process.args"] = ["/bin/true"]
        config[path: "process.terminal"] = false
        config[path: "linux.cgroupsPath"] = cgroupsPath
        try? jsonText(config).write(toFile: dir + "/config.json", atomically: false, encoding: .utf8)
        return dir
    }

    func processes(in box: String) -> [Int32] {
        Host.sh("find '\(box)' -name cgroup.procs -exec cat {} +").stdout.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Kills what is left in the box and removes it from every hierarchy the runtime made it in.
    func removeBox(_ box: String) {
        let name = URL(fileURLWithPath: box).lastPathComponent
        for _ in 0..<100 {
            for pid in processes(in: box) { kill(pid, SIGKILL) }
            Host.sh("for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [ -d \"${h}\(name)\" ] && find \"${h}\(name)\" -depth -type d -exec rmdir {} + ; done 2>/dev/null; true")
            if !FileManager.default.fileExists(atPath: box) { return }
            usleep(50_000)
        }
        XCTFail("cannot remove \(box)")
    }
}
