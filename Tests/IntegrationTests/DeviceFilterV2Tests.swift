// The cgroup v2 device program of each engine's config (conformance/configs) is accepted by the
// kernel and decides as the rules say: device opens and mknods tried from inside the container,
// the runtime in a private mount namespace with cgroup2 over /sys/fs/cgroup (as CgroupV2Tests).

import Foundation
import XCTest

final class DeviceFilterV2Tests: CgroupTestCase {
    @discardableResult
    func rt2(_ args: [String], timeout: TimeInterval = 30) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", "mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"", "sh",
                                       Env.runtime, "--root", stateRoot] + args, timeout: timeout)
    }

    /// Opens `$1` for writing: "open", "denied" (EPERM, the device filter) or the shell's error.
    static let probe = """
        probe() { if e=$( (exec 3>"$1") 2>&1 ); then echo "$1 open"; else case "$e" in *"not permitted"*) echo "$1 denied";; \
        *) echo "$1 $e";; esac; fi; }
        mk() { if mknod "$@" 2>/dev/null; then echo "$1 made"; else echo "$1 not made"; fi; }
        """

    func testEngineConfigsDeviceRules() throws {
        if isKnownDeviation(["crun"]) {
            print("NOTE: \(runtimeName) (\(name)): not run: crun-v1 hides the cgroup2 hierarchy")
            return
        }
        let dir = Env.repo + "/conformance/configs"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertTrue(names.contains("docker.json") && names.contains("ctr.json"), "\(names)")
        for name in names {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) as? [String: Any]
            let rules = ((json?["linux"] as? [String: Any])?["resources"] as? [String: Any])?["devices"] as? [[String: Any]] ?? []
            // ctr's and docker's configs allow the console (c 5:1), the others deny all but the defaults.
            let console = rules.contains { $0["allow"] as? Bool == true && $0["major"] as? Int == 5 && $0["minor"] as? Int == 1 }
            let id = newID()
            let b = makeBundle { c in
                c.shell(Self.probe + """

                    probe /dev/null; probe /dev/kmsg
                    mk /dev/console51 c 5 1; probe /dev/console51
                    mk /dev/loop70 b 7 0; probe /dev/loop70
                    mk /dev/kmsg111 c 1 11; probe /dev/kmsg111
                    """)
                c[path: "linux.cgroupsPath"] = cgPath(id)
                c[path: "linux.devices"] = [["path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o600]]
                c[path: "linux.resources.devices"] = rules
                let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_MKNOD"]
                for set in ["bounding", "effective", "permitted"] { c[path: "process.capabilities.\(set)"] = caps }
            }
            let r = rt2(["run", "--bundle", b, id])
            XCTAssertEqual(r.status, 0, "\(name): \(describe(r))")
            XCTAssertEqual(r.stdout, """
                /dev/null open
                /dev/kmsg denied
                /dev/console51 made
                /dev/console51 \(console ? "open" : "denied")
                /dev/loop70 made
                /dev/loop70 denied
                /dev/kmsg111 made
                /dev/kmsg111 denied

                """, "\(name): \(describe(r))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + cgPath(id)), "\(name): cgroup left behind")
        }
    }
}
