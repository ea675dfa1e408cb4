// containerd and podman with the systemd cgroup manager, inside a systemd host (see SystemdCgroupTests.swift).

import Foundation
import XCTest

/// Engines with the systemd cgroup manager inside a systemd host (engine tier: `--filter EngineTests`):
/// containerd's shim with SystemdCgroup (`ctr --runc-systemd-cgroup`) and podman `--cgroup-manager systemd`,
/// driving the runtime under test and runc through the same script; the outputs must match line by line.
final class SystemdEngineTests: SystemdHostTestCase {
    static let systemdHost = SharedHost(script: SystemdHostTestCase.sharedHostScript,
                                         work: "/tmp/swiftlet-systemd-host-engines-\(getpid())")
    override class var sharedHost: SharedHost? { systemdHost }

    /// Runs the fixture `name` inside the host for `runtime`; its output lines (warnings dropped).
    func engineSteps(_ name: String, runtime: String, tag: String) -> [String] {
        let w = scratch + "/" + tag
        try? FileManager.default.createDirectory(atPath: w, withIntermediateDirectories: true)
        let fixture = Env.repo + "/Tests/IntegrationTests/Fixtures/systemd/" + name
        let r = inHost(["/bin/bash", fixture, w, runtime, Env.sharedRootfs], timeout: 180)
        return r.stdout.split(separator: "\n").map(String.init).filter { $0.contains("=") }
    }

    func check(_ name: String, unitLine: String, cgroupLine: String) {
        let ours = engineSteps(name, runtime: Env.runtime, tag: "ours")
        let runc = engineSteps(name, runtime: "/usr/sbin/runc", tag: "runc")
        XCTAssertEqual(ours, runc, "\(name): the runtime and runc differ")
        for step in ["run=0 hi", "run-d=0", unitLine, cgroupLine, "pause-resume=0", "delete=0", "gone=not-found"] {
            XCTAssertTrue(ours.contains(step), "\(name): no \"\(step)\" in \(ours)")
        }
    }

    func testContainerdWithSystemdCgroup() throws {
        check("containerd-systemd.sh", unitLine: "unit=active /system.slice/ctr-c3.scope",
              cgroupLine: "exec-cgroup=0::/system.slice/ctr-c3.scope")
    }

    func testPodmanWithSystemdCgroupManager() throws {
        check("podman-systemd.sh", unitLine: "unit=active 67108864", cgroupLine: "exec-cgroup=0::/machine.slice/libpod-ID.scope")
    }
}
