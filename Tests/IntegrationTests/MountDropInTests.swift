import Foundation
import XCTest

/// Mount configurations runc accepts that swiftlet must handle as well: a read-only /dev, bind
/// sources the container's user namespace cannot reach, no mount namespace at all.
final class MountDropInTests: IntegrationTestCase {
    // MARK: item 4b: a read-only tmpfs on /dev

    /// `/dev` a tmpfs with `ro`: its sub-mounts (devpts, shm, mqueue), the device nodes and the
    /// links are made in it first, and it is read-only for the container's process.
    func testReadOnlyDevTmpfsIsFilledThenReadOnly() {
        let r = runContainer { c in
            var mounts = c.mounts
            for i in mounts.indices where mounts[i]["destination"] as? String == "/dev" {
                mounts[i]["options"] = ["ro", "nosuid", "strictatime", "mode=755", "size=65536k"]
            }
            c.mounts = mounts
            c.shell("""
                test -c /dev/null && test -c /dev/zero && test -c /dev/urandom && echo nodes-ok
                test -L /dev/fd && echo links-ok
                echo x > /dev/null && echo null-writable
                touch /dev/new 2>/dev/null && echo DEV-WRITABLE
                cat /proc/self/mountinfo
                """)
        }
        XCTAssertEqual(r.status, 0, describe(r))
        for want in ["nodes-ok", "links-ok", "null-writable"] {
            XCTAssert(r.stdout.contains(want), "missing \(want): \(describe(r))")
        }
        XCTAssertFalse(r.stdout.contains("DEV-WRITABLE"), "a file could be made in the read-only /dev")
        let mounts = MountInfo.parse(r.stdout)
        let dev = MountInfo.find(mounts, "/dev")
        XCTAssertEqual(dev?.fsType, "tmpfs")
        XCTAssert(dev?.options.contains("ro") ?? false, "/dev is not read-only: \(String(describing: dev))")
        for (point, type) in [("/dev/pts", "devpts"), ("/dev/shm", "tmpfs"), ("/dev/mqueue", "mqueue")] {
            XCTAssertEqual(MountInfo.find(mounts, point)?.fsType, type, "\(point) under the read-only /dev")
        }
    }
}
