import XCTest
import Glibc
import JSON
@testable import RuntimeSpec

final class DefaultSpecTests: XCTestCase {
    func testDefaultSpecValidatesClean() {
        XCTAssertEqual(Spec.defaultSpec(rootless: false).validate(), [])
        XCTAssertEqual(Spec.defaultSpec(rootless: true).validate(), [])
    }

    func testDefaultSpecContents() {
        let s = Spec.defaultSpec(rootless: false)
        XCTAssertEqual(s.ociVersion, "1.3.0")
        XCTAssertEqual(s.process?.args, ["sh"])
        XCTAssertEqual(s.process?.terminal, true)
        XCTAssertEqual(s.process?.cwd, "/")
        XCTAssertEqual(s.process?.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"])
        XCTAssertEqual(s.process?.user, User(uid: 0, gid: 0))
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        XCTAssertEqual(s.process?.capabilities, LinuxCapabilities(bounding: caps, effective: caps, permitted: caps))
        XCTAssertEqual(s.process?.rlimits, [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        XCTAssertEqual(s.process?.noNewPrivileges, true)
        XCTAssertEqual(s.root, Root(path: "rootfs", readonly: true))
        XCTAssertEqual(s.hostname, "swiftlet")
        XCTAssertEqual(s.mounts?.map(\.destination),
                       ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
        XCTAssertEqual(s.mounts?[2].options, ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        XCTAssertEqual(s.linux?.namespaces?.map(\.type), ["pid", "network", "ipc", "uts", "mount", "cgroup"])
        XCTAssertEqual(s.linux?.maskedPaths?.count, 10)
        XCTAssertEqual(s.linux?.readonlyPaths, ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
        XCTAssertEqual(s.linux?.resources?.devices, [LinuxDeviceCgroup(allow: false, access: "rwm")])
        XCTAssertNil(s.linux?.uidMappings)
    }

    func testRootless() {
        let s = Spec.defaultSpec(rootless: true)
        XCTAssertEqual(s.linux?.namespaces?.map(\.type), ["pid", "ipc", "uts", "mount", "cgroup", "user"])
        XCTAssertEqual(s.linux?.uidMappings, [LinuxIDMapping(containerID: 0, hostID: geteuid(), size: 1)])
        XCTAssertEqual(s.linux?.gidMappings, [LinuxIDMapping(containerID: 0, hostID: getegid(), size: 1)])
        XCTAssertNil(s.linux?.resources)
        let sys = s.mounts?.first { $0.destination == "/sys" }
        XCTAssertEqual(sys, Mount(destination: "/sys", type: "none", source: "/sys",
                                  options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        XCTAssertEqual(s.mounts?[2].options, ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"])
        XCTAssertEqual(s.mounts?.count, 7)
    }

    func testRoundTrip() throws {
        for rootless in [false, true] {
            let s = Spec.defaultSpec(rootless: rootless)
            XCTAssertEqual(try JSON.decode(Spec.self, from: try JSON.encode(s, pretty: true)), s)
        }
    }

    func testCleanPath() {
        XCTAssertEqual(cleanPath("/sys/"), "/sys")
        XCTAssertEqual(cleanPath("/a/./b/../c"), "/a/c")
        XCTAssertEqual(cleanPath("/../x"), "/x")
        XCTAssertEqual(cleanPath("a/../../b"), "../b")
        XCTAssertEqual(cleanPath(""), ".")
    }
}
