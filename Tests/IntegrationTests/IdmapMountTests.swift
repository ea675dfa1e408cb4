// ID-mapped mounts (mounts[].uidMappings/gidMappings, options idmap/ridmap) and recursive mount
// attributes (rro, rnoexec, rnosuid, ...), checked from inside the container and on the host.

import Foundation
import XCTest

/// runc 1.1 has neither ID-mapped mounts (it ignores the mappings) nor all of their checks.
private let noIdmap = ["runc"]
private let noIdmapReason = "runc 1.1.5 does not implement ID-mapped mounts"

final class IdmapMountTests: IntegrationTestCase {
    /// Swaps host ids 0 and 1000 through the mount: on-disk 0 is seen as 1000, on-disk 1000 as 0.
    let swapMapping: [[String: Any]] = [
        ["containerID": 0, "hostID": 1000, "size": 1],
        ["containerID": 1000, "hostID": 0, "size": 1],
    ]
    let userNSMapping: [[String: Any]] = [["containerID": 0, "hostID": 100000, "size": 65536]]

    /// A host directory with root.txt (0:0) and user.txt (owner given), the directory itself owned by `dirOwner`.
    func sourceDir(_ name: String, userFile: String, dirOwner: String) -> String {
        let d = hostDir(name)
        let r = Host.sh("cd '\(d)' && touch root.txt user.txt && chown \(userFile) user.txt && chown \(dirOwner) .")
        XCTAssertEqual(r.status, 0, describe(r))
        return d
    }

    func hostOwner(_ path: String) -> String {
        Host.sh("stat -c '%u %g' '\(path)'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func mappedMount(_ src: String, options: [String] = ["bind", "rw", "idmap"], uid: [[String: Any]]?,
                     gid: [[String: Any]]?) -> [String: Any] {
        var m: [String: Any] = ["destination": "/mnt", "type": "bind", "source": src, "options": options]
        if let uid { m["uidMappings"] = uid }
        if let gid { m["gidMappings"] = gid }
        return m
    }

    let script = "stat -c '%n %u %g' /mnt/root.txt /mnt/user.txt && touch /mnt/new && stat -c '%n %u %g' /mnt/new"

    func testMappingsWithoutUserNamespace() {
        let src = sourceDir("src", userFile: "1000:1000", dirOwner: "1000:1000")
        let r = runContainer { c in
            c.mounts.append(mappedMount(src, uid: swapMapping, gid: swapMapping))
            c.shell(script)
        }
        knownDeviation(runtimes: noIdmap, reason: noIdmapReason) {
            XCTAssertEqual(r.status, 0, describe(r))
            XCTAssertEqual(r.stdout, "/mnt/root.txt 1000 1000\n/mnt/user.txt 0 0\n/mnt/new 0 0\n", describe(r))
            // Created by root through the mapping: on disk it belongs to 1000.
            XCTAssertEqual(hostOwner(src + "/new"), "1000 1000")
        }
        XCTAssertEqual(hostOwner(src + "/root.txt"), "0 0", "the source itself is not changed")
    }

    /// The mount undoes the container's user namespace whether it names that namespace's mapping
    /// (`mountMapping`) or, with nil, only has the idmap option and so takes the container's.
    func checkMountInUserNamespace(mountMapping: [[String: Any]]?, file: StaticString = #filePath, line: UInt = #line) {
        let src = sourceDir("src", userFile: "1:1", dirOwner: "0:0")
        let r = runContainer { c in
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = userNSMapping
            c[path: "linux.gidMappings"] = userNSMapping
            c.mounts.append(mappedMount(src, uid: mountMapping, gid: mountMapping))
            c.shell(script)
        }
        knownDeviation(runtimes: noIdmap, reason: noIdmapReason, file: file, line: line) {
            XCTAssertEqual(r.status, 0, describe(r), file: file, line: line)
            XCTAssertEqual(r.stdout, "/mnt/root.txt 0 0\n/mnt/user.txt 1 1\n/mnt/new 0 0\n", describe(r),
                           file: file, line: line)
            // The container's root is host 100000, but through the mount its file is owned by 0.
            XCTAssertEqual(hostOwner(src + "/new"), "0 0", file: file, line: line)
        }
    }

    func testMappingsWithUserNamespace() {
        checkMountInUserNamespace(mountMapping: userNSMapping)
    }

    func testIdmapOptionUsesTheContainerUserNamespace() {
        checkMountInUserNamespace(mountMapping: nil)
    }

    /// Without the option the field alone still maps (the option only chooses recursion).
    func testMappingsWithoutTheOption() {
        let src = sourceDir("src", userFile: "1000:1000", dirOwner: "1000:1000")
        let r = runContainer { c in
            c.mounts.append(mappedMount(src, options: ["bind", "ro"], uid: swapMapping, gid: swapMapping))
            c.shell("stat -c '%n %u %g' /mnt/root.txt /mnt/user.txt")
        }
        knownDeviation(runtimes: noIdmap, reason: noIdmapReason) {
            XCTAssertEqual(r.status, 0, describe(r))
            XCTAssertEqual(r.stdout, "/mnt/root.txt 1000 1000\n/mnt/user.txt 0 0\n", describe(r))
        }
    }

    /// rbind + idmap maps only the top mount; rbind + ridmap maps the submounts too.
    func testRidmapMapsSubmounts() {
        let src = sourceDir("src", userFile: "1000:1000", dirOwner: "1000:1000")
        let sub = src + "/sub"
        XCTAssertEqual(Host.sh("mkdir '\(sub)' && mount -t tmpfs -o mode=755 tmpfs '\(sub)' && touch '\(sub)/f'").status, 0)
        defer { Host.sh("umount -l '\(sub)'") }
        for (option, want) in [("idmap", "0 0"), ("ridmap", "1000 1000")] {
            let r = runContainer { c in
                c.mounts.append(mappedMount(src, options: ["rbind", "rw", option], uid: swapMapping, gid: swapMapping))
                c.shell("stat -c '%u %g' /mnt/root.txt /mnt/sub/f")
            }
            knownDeviation(runtimes: noIdmap, reason: noIdmapReason) {
                XCTAssertEqual(r.status, 0, "\(option): \(describe(r))")
                XCTAssertEqual(r.stdout, "1000 1000\n\(want)\n", "\(option): \(describe(r))")
            }
        }
    }

    /// The container must not start; swiftlet's error must name each of `mentions` (where in
    /// config.json the fault is), and nothing of the container may stay behind.
    func checkRejected(_ what: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line,
                       _ configure: (inout Config) -> Void) {
        let id = newID()
        let r = run(makeBundle(configure: configure), id: id)
        knownDeviation(runtimes: noIdmap, reason: noIdmapReason, file: file, line: line) {
            XCTAssertNotEqual(r.status, 0, describe(r), file: file, line: line)
            if isSwiftlet {
                for m in mentions { XCTAssert(r.stderr.contains(m), "\(m): \(describe(r))", file: file, line: line) }
            }
        }
        assertNothingLeftBehind(id, what, file: file, line: line)
    }

    /// sysfs has no ID-mapped mount support: the error names the mount's field and the filesystem.
    func testUnsupportedFilesystemIsAClearError() {
        checkRejected("unsupported filesystem", mentions: ["mounts[6].uidMappings", "sysfs"]) { c in
            c.mounts.append(mappedMount("/sys/kernel", options: ["bind", "ro", "idmap"], uid: swapMapping, gid: swapMapping))
            c.shell("ls /mnt")
        }
    }

    func testMappingsOnANonBindMountAreRejected() {
        checkRejected("non-bind", mentions: ["mounts[6].options"]) { c in
            c.mounts.append(["destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"],
                             "uidMappings": swapMapping, "gidMappings": swapMapping])
        }
    }

    func testIdmapWithoutMappingsOrUserNamespaceIsRejected() {
        let src = sourceDir("src", userFile: "1:1", dirOwner: "0:0")
        checkRejected("idmap without mappings", mentions: ["mounts[6].options"]) { c in
            c.mounts.append(mappedMount(src, uid: nil, gid: nil))
        }
    }

    func testUidMappingsWithoutGidMappingsIsRejected() {
        let src = sourceDir("src", userFile: "1:1", dirOwner: "0:0")
        checkRejected("uid without gid", mentions: ["mounts[6]"]) { c in
            c.mounts.append(mappedMount(src, uid: swapMapping, gid: nil))
        }
    }
}

/// rro, rnoexec, rnosuid, ... through mount_setattr(AT_RECURSIVE): they reach the submounts of an
/// rbind, which a plain ro/noexec remount does not.
final class RecursiveMountAttrTests: IntegrationTestCase {
    /// Runs `script` with a host directory bound at /mnt with `options`: busybox at top-bb, a tmpfs at
    /// sub/ (unmounted when the test ends) with a setuid busybox at sub/bb. Returns the directory and
    /// the result, its status checked.
    func runOnTreeWithSubmount(_ options: [String], _ script: String,
                               file: StaticString = #filePath, line: UInt = #line) -> (src: String, r: ProcResult) {
        let src = hostDir("tree")
        let setup = Host.sh("""
            cd '\(src)' && mkdir sub && mount -t tmpfs -o mode=755 tmpfs sub && \
            cp /tmp/swiftlet-test-rootfs/bin/busybox top-bb && cp top-bb sub/bb && chmod 4755 sub/bb
            """)
        addTeardownBlock { Host.sh("umount -l '\(src)/sub'") }
        XCTAssertEqual(setup.status, 0, describe(setup), file: file, line: line)
        let r = runContainer { c in
            c.addBind(host: src, container: "/mnt", options: options)
            c.shell(script)
        }
        XCTAssertEqual(r.status, 0, describe(r), file: file, line: line)
        return (src, r)
    }

    func mountinfoOptions(_ text: String, _ point: String) -> [String] {
        MountInfo.find(MountInfo.parse(text), point)?.options ?? []
    }

    func testRroMakesTheSubmountReadOnly() {
        let (src, r) = runOnTreeWithSubmount(["rbind", "rro"],
            "cat /proc/self/mountinfo; echo ===; touch /mnt/x 2>&1; echo top=$?; touch /mnt/sub/x 2>&1; echo sub=$?")
        let parts = r.stdout.components(separatedBy: "===\n")
        XCTAssertEqual(parts.count, 2, describe(r))
        XCTAssert(mountinfoOptions(parts[0], "/mnt").contains("ro"), describe(r))
        XCTAssert(mountinfoOptions(parts[0], "/mnt/sub").contains("ro"), describe(r))
        XCTAssert(parts.last!.contains("top=1"), describe(r))
        XCTAssert(parts.last!.contains("sub=1"), describe(r))
        XCTAssert(parts.last!.contains("Read-only file system"), describe(r))
        XCTAssertFalse(FileManager.default.fileExists(atPath: src + "/sub/x"))
    }

    /// Plain `ro` on an rbind only reaches the top mount (the contrast that makes rro necessary).
    func testPlainRoLeavesTheSubmountWritable() {
        let r = runOnTreeWithSubmount(["rbind", "ro"], "touch /mnt/x 2>/dev/null; echo top=$?; touch /mnt/sub/x; echo sub=$?").r
        XCTAssertEqual(r.stdout, "top=1\nsub=0\n", describe(r))
    }

    func testRnoexecAndRnosuid() {
        let r = runOnTreeWithSubmount(["rbind", "rnoexec", "rnosuid", "rnodev"],
            "cat /proc/self/mountinfo; echo ===; /mnt/top-bb true 2>&1; echo top=$?; /mnt/sub/bb true 2>&1; echo sub=$?").r
        let parts = r.stdout.components(separatedBy: "===\n")
        XCTAssertEqual(parts.count, 2, describe(r))
        for point in ["/mnt", "/mnt/sub"] {
            let o = mountinfoOptions(parts[0], point)
            XCTAssert(o.contains("noexec") && o.contains("nosuid") && o.contains("nodev"), "\(point): \(o)")
        }
        XCTAssert(parts.last!.contains("top=126"), describe(r))
        XCTAssert(parts.last!.contains("sub=126"), describe(r))
    }

    /// rrw/rexec clear what the host mount had: a read-only noexec submount becomes writable.
    func testRrwAndRexecClearAttributes() {
        let src = hostDir("tree")
        XCTAssertEqual(Host.sh("mkdir '\(src)/sub' && mount -t tmpfs -o ro,noexec,nosymfollow tmpfs '\(src)/sub'").status, 0)
        defer { Host.sh("umount -l '\(src)/sub'") }
        let r = runContainer { c in
            c.addBind(host: src, container: "/mnt", options: ["rbind", "rrw", "rexec", "rsymfollow", "rnoatime"])
            c.shell("grep ' /mnt/sub ' /proc/self/mountinfo")
        }
        XCTAssertEqual(r.status, 0, describe(r))
        let o = mountinfoOptions(r.stdout, "/mnt/sub")
        // The tmpfs superblock stays read-only (rw is per mount), so only the mount flags are checked.
        XCTAssert(o.contains("rw") && !o.contains("noexec") && !o.contains("nosymfollow") && o.contains("noatime"),
                  describe(r))
    }
}
