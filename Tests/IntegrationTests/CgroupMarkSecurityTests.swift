// The ownership mark on a container's cgroup directories (CgroupOwnership: the xattr
// trusted.swiftlet.container) rewritten from inside the container: with CAP_SYS_ADMIN, no user
// namespace and a writable `cgroup` mount it reaches its own cgroups. Marked as another's (or with
// the mark removed) they looked made again by someone else: `delete --force` killed init and left
// every cgroup directory in place, `pause` and `update` were refused. The runtime now knows its
// directories by their inode numbers, which nothing inside can change.

import Foundation
import XCTest

final class CgroupMarkSecurityTests: CgroupTestCase {
    static let helperDir = "/tmp/swiftlet-it-cgroupmark"
    static let buildError = CFixture.build("set-xattr.c", to: helperDir + "/set-xattr")

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    /// The runtime's mark on `dir`, nil without one.
    static func mark(of dir: String) -> String? {
        let r = Host.exec(helperDir + "/set-xattr", ["get", dir, "trusted.swiftlet.container"])
        return r.status == 0 ? r.stdout : nil
    }

    /// setxattrat(2) (Linux 6.13, system call 463 on x86_64 and arm64), through which a create marks
    /// its directories, refused with EPERM by a seccomp filter of the caller's (an engine profile
    /// older than the call): every directory is marked all the same (setxattr of the absolute
    /// path), and `delete` removes them all.
    func testMarkedWhenTheCallersFilterRefusesSetxattrat() {
        guard isSwiftlet else {
            print("NOTE: n/a for \(runtimeName): it keeps no ownership mark on its cgroups")
            return
        }
        let id = newID("setxattrat")
        let path = cgPath(id)
        let bundle = makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = path
        }
        defer {
            runtime(["delete", "--force", id])
            removeCgroup(path)
        }
        let r = Host.exec("/usr/bin/python3", ["-c", CallerSeccompFilterTests.refusing, "463", Env.runtime, "--root", stateRoot,
                                               "run", "-d", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "run -d under a filter refusing setxattrat with EPERM: \(describe(r))")
        let dirs = hierarchies().map { $0.mount + path }
        XCTAssertGreaterThan(dirs.count, 0)
        for d in dirs {
            let mark = Self.mark(of: d)
            XCTAssertTrue(mark?.hasSuffix("/" + id) ?? false, "\(d) not marked as the container's: \(mark ?? "no mark")")
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertCgroupGone(id)
    }

    /// The container marks every cgroup of its own as another container's (a state directory
    /// that exists), or removes the mark; the host checks that it did. Root's `pause`, `update`
    /// and `delete --force` still act on the container's cgroups, and nothing of it is left.
    func testContainerRewritingItsMarkStillHasItsCgroupsRemoved() {
        guard isSwiftlet else {
            print("NOTE: n/a for \(runtimeName): it keeps no ownership mark on its cgroups")
            return
        }
        let elsewhere = hostDir("another-container")
        for (name, rewrite) in [("marked as another's", "set \"$d\" trusted.swiftlet.container '\(elsewhere)'"),
                                ("mark removed", "remove \"$d\" trusted.swiftlet.container")] {
            let id = startDetached { c in
                let caps = ["CAP_SYS_ADMIN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"]
                for set in ["bounding", "effective", "permitted"] { c[path: "process.capabilities.\(set)"] = caps }
                c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "rw"])
                c.addBind(host: Self.helperDir + "/set-xattr", container: "/set-xattr", options: ["bind", "ro"])
            }
            let path = cgPath(id)
            defer {
                runtime(["delete", "--force", id])
                removeCgroup(path)
            }
            let e = runtime(["exec", id, "sh", "-c", "for d in /sys/fs/cgroup/*; do /set-xattr \(rewrite) || exit 1; done"])
            XCTAssertEqual(e.status, 0, "\(name): the container could not rewrite its mark: \(describe(e))")
            let hosts = hierarchies().map { $0.mount + path }
            for d in hosts {
                let mark = Self.mark(of: d)
                XCTAssertFalse(mark?.hasSuffix("/" + id) ?? false, "\(name): the mark on \(d) was not rewritten: \(mark ?? "none")")
            }

            let p = runtime("pause", id)
            XCTAssertEqual(p.status, 0, "\(name): pause refused: \(describe(p))")
            XCTAssertEqual(readHost("/sys/fs/cgroup/freezer" + path + "/freezer.state"), "FROZEN", name)
            XCTAssertEqual(runtime("resume", id).status, 0)
            let u = runtime("update", "--pids-limit", "7", id)
            XCTAssertEqual(u.status, 0, "\(name): update refused: \(describe(u))")
            XCTAssertEqual(readHost("/sys/fs/cgroup/pids" + path + "/pids.max"), "7", name)

            let d = runtime("delete", "--force", id)
            XCTAssertEqual(d.status, 0, "\(name): delete --force: \(describe(d))")
            XCTAssertFalse(d.stderr.contains("left in place"), "\(name): \(describe(d))")
            for dir in hosts {
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "\(name): \(dir) left in place by delete --force")
            }
        }
    }
}
