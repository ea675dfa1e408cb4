// Where a create keeps its cgroup claim (what `delete` of a create killed before state.json
// removes): an extended attribute of the container's folder (StateStore.cgroupClaimAttribute), a
// file (cgroup.json) only where the folder's file system takes no user xattr. A new inode on the
// state root (ext4 without a journal on this kind of host) costs ~0.3 ms while containers come
// and go; the attribute ~15 µs.

import Foundation
import XCTest

final class CgroupClaimStorageTests: CgroupTestCase {
    /// The claim is the folder's attribute, no cgroup.json; a folder whose state.json is gone (a
    /// create killed before it) is deleted with its cgroup, found through the attribute.
    func testClaimIsAnAttributeOfTheFolder() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName)'s state format is its own") }
        let id = startDetached { _ in }
        defer { runtime(["delete", "--force", id]) }
        XCTAssertTrue(hasCgroupClaim(id), "no cgroup claim")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id + "/cgroup.json"), "a cgroup.json besides the attribute")
        try? FileManager.default.removeItem(atPath: stateRoot + "/" + id + "/state.json")
        let d = runtime(["delete", "--force", id])
        XCTAssertEqual(d.status, 0, describe(d))
        assertCgroupGone(id)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state folder left")
    }

    /// A state root on ramfs (no extended attributes at all): the claim goes to cgroup.json, and
    /// delete of the folder without state.json finds the cgroup through it.
    func testClaimIsAFileWhereTheFolderTakesNoAttribute() throws {
        guard isSwiftlet else { return print("NOTE: \(runtimeName)'s state format is its own") }
        let root = hostDir("ramfs-root")
        XCTAssertEqual(Host.sh("mount -t ramfs -o mode=0711 ramfs '\(root)'").status, 0, "mount ramfs")
        defer { _ = Host.sh("umount '\(root)'") }
        let id = newID("ramfs")
        let b = makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = cgPath(id)
        }
        defer { _ = Host.exec(Env.runtime, ["--root", root, "delete", "--force", id]) }
        let r = Host.exec(Env.runtime, ["--root", root, "run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + id + "/cgroup.json"), "no cgroup.json on ramfs")
        try? FileManager.default.removeItem(atPath: root + "/" + id + "/state.json")
        let d = Host.exec(Env.runtime, ["--root", root, "delete", "--force", id])
        XCTAssertEqual(d.status, 0, describe(d))
        assertCgroupGone(id)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/" + id), "state folder left")
    }
}
