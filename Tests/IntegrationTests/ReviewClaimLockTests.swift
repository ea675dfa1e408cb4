// Review of the cgroup claim's flock (h-cg): a create reads the owner mark of a directory it meets
// under the flock held exclusive on the parent of the *first* of its claim's directories, sorted.
// Two claims of one cgroup path can lock different parents: a create that defers its v1
// directories (no cgroup namespace, root outside a user namespace; a v1 or hybrid host) claims its
// unified directory alone, under the flock on the unified parent, while a create that does not
// defer (a cgroup namespace, a user namespace, systemd) claims every hierarchy's under the flock on
// the first one's parent (blkio's). The second never waits for the first's mark: it meets the
// unified directory made and not yet marked, takes it for one that was there before, and shares
// it; the first then meets the v1 directories the second made and marked, fails, and its undo
// kills the second's init and removes the unified directory under it.
// Now every claim of a create locks the parent of the first of all its directories
// (CgroupOwnership.lockDirectory), whichever pass makes them. The test with two real creates (one
// slowed by strace before its mark) fails on main f25c5c5 and on f3905be. The one that plays the
// slowed create itself holds the lock a deferring create holds now (blkio's parent): as first
// written it held the unified parent's, the lock of the code before the fix, and failed there; it
// now checks that a create with a cgroup namespace waits on that lock. The userns tests below (a
// second finding) fail before 83d5b52 and pass since uid 0 in a user namespace no longer defers.

import Foundation
import XCTest

final class ReviewClaimLockTests: CgroupTestCase {
    static let helperDir = "/tmp/swiftlet-it-reviewclaim"
    static let buildError = CFixture.build("set-xattr.c", to: helperDir + "/set-xattr")

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    /// A deferring create caught between the mkdir and the mark of its unified directory holds
    /// the flock of all its claims shared (on the parent of the first of all its directories,
    /// blkio's), though its first claim makes only the unified one. A create of that path with a
    /// cgroup namespace (it defers nothing) meets the directory; it must wait for the mark and be refused, as it is when the
    /// other holds every hierarchy's flock (CgroupClaimRaceTests).
    func testCreateWithCgroupNamespaceWaitsForTheMarkOfADeferringCreatesUnifiedDirectory() {
        guard isSwiftlet else {
            print("NOTE: n/a for \(runtimeName): it keeps no ownership mark on its cgroups")
            return
        }
        let mounts = hierarchies()
        guard let unified = mounts.first(where: { $0.fsType == "cgroup2" })?.mount, mounts.count > 1 else {
            print("NOTE: n/a on this host: no v1 hierarchy beside a unified one (no create defers)")
            return
        }
        let id = newID()
        let parent = cgPath(id)
        let path = parent + "/c"
        let target = unified + path
        makeCgroup(parent)
        defer {
            runtime(["delete", "--force", id])
            rmdir(target)
            removeCgroup(parent)
        }
        // What a deferring create holds while it makes and marks its unified directory: the flock
        // of all its claims, on the parent of the first of all its directories (blkio's here).
        let lockDirectory = (mounts.map(\.mount).sorted().first ?? unified) + parent
        let lock = open(lockDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(lock, 0, "opening \(lockDirectory): errno \(errno)")
        guard lock >= 0 else { return }
        var locked = true
        defer { if locked { close(lock) } }
        XCTAssertEqual(flock(lock, LOCK_SH), 0, "flock \(lockDirectory): errno \(errno)")
        XCTAssertEqual(mkdir(target, 0o755), 0, "mkdir \(target): errno \(errno)")
        let b = makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = path
            c.addNamespace("cgroup")
        }
        let create = Host.spawn(Env.runtime, ["--root", stateRoot, "create", "--bundle", b, id])
        _ = poll(until: true, timeout: 10) { self.hasCgroupClaim(id) }
        _ = poll(until: true, timeout: 10) {
            let call = (try? String(contentsOfFile: "/proc/\(create.pid)/syscall", encoding: .utf8)) ?? ""
            return call.isEmpty || call.hasPrefix("35 ") || call.hasPrefix("230 ") || !CgroupClaimRaceTests.isRunning(create.pid)
        }
        let other = hostDir("deferring-container")
        let set = Host.exec(Self.helperDir + "/set-xattr", ["set", target, "trusted.swiftlet.container", other])
        XCTAssertEqual(set.status, 0, "marking \(target): \(set.stderr)")
        close(lock)
        locked = false
        let r = create.wait(timeout: 60)
        if r.status == 0 { runtime(["delete", "--force", id]) }  // before the look for leaked processes
        XCTAssertNotEqual(r.status, 0, "the create with a cgroup namespace took the unified directory a deferring create had made "
                          + "and not yet marked (it did not wait for the flock on \(lockDirectory)): " + describe(r))
        if r.status != 0 { XCTAssertTrue(r.stderr.contains("a container needs a cgroup of its own"), describe(r)) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: target), "the create removed a directory it did not make")
        XCTAssertEqual(leakedProcesses().map(\.pid), [], "the create's init outlived the test")
    }

    /// The consequence, with two real creates of one cgroupsPath: a deferring one (A) slowed
    /// between the mkdir of its unified directory and its mark (strace delays its first setxattr,
    /// as a preempted or stopped process would be), and one with a cgroup namespace (B) that
    /// completes meanwhile. B must be refused, or at least survive A's failure: its init must still
    /// run once A has given up.
    func testDeferringCreateSlowedBeforeItsMarkNeitherSharesNorKillsAnothersCgroup() {
        guard isSwiftlet else {
            print("NOTE: n/a for \(runtimeName): it keeps no ownership mark on its cgroups")
            return
        }
        let mounts = hierarchies()
        guard mounts.contains(where: { $0.fsType == "cgroup2" }), mounts.count > 1 else {
            print("NOTE: n/a on this host: no v1 hierarchy beside a unified one (no create defers)")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            return XCTFail("this test needs /usr/bin/strace (apt-get install strace)")
        }
        let id = newID()
        let path = cgPath(id) + "/c"
        let roots = ["a", "b"].map { "\(stateRoot)-review-\($0)" }
        defer {
            for r in roots {
                Host.exec(Env.runtime, ["--root", r, "delete", "--force", id])
                try? FileManager.default.removeItem(atPath: r)
            }
            removeCgroup(cgPath(id))
        }
        let deferring = makeBundle(cgroupsPath: path, program: "sleep 100")
        let withCgroupNamespace = makeBundle { c in
            c.shell("sleep 100")
            c[path: "linux.cgroupsPath"] = path
            c.addNamespace("cgroup")
        }
        let a = Host.spawn("/usr/bin/strace", ["-o", "/dev/null", "-e", "trace=setxattr",
                                               "-e", "inject=setxattr:delay_enter=3000000:when=1",
                                               Env.runtime, "--root", roots[0], "create", "--bundle", deferring, id])
        // A has made its unified directory and waits in its first setxattr (the mark).
        let unifiedDir = (mounts.first { $0.fsType == "cgroup2" }?.mount ?? "") + path
        XCTAssertTrue(poll(until: true, timeout: 10) { FileManager.default.fileExists(atPath: unifiedDir) },
                      "A made no unified directory")
        let b = Host.exec(Env.runtime, ["--root", roots[1], "create", "--bundle", withCgroupNamespace, id], timeout: 60)
        let ra = a.wait(timeout: 60)
        let state = Host.exec(Env.runtime, ["--root", roots[1], "state", id])
        if b.status == 0 {
            let status = (try? JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any])?["status"] as? String
            XCTAssertEqual(status, "created",
                          "B was created in a cgroup A had made (not yet marked), and A's failure (\(ra.stderr)) killed B's init: "
                          + state.stdout)
        } else {
            XCTAssertTrue(b.stderr.contains("a container needs a cgroup of its own"), describe(b))
        }
        XCTAssertFalse(ra.status == 0 && b.status == 0, "both creates took the cgroup \(path)")
        for r in roots { Host.exec(Env.runtime, ["--root", r, "delete", "--force", id]) }
        XCTAssertEqual(leakedProcesses().map(\.pid), [], "an init outlived the race")
    }

    // A runtime that is uid 0 inside a user namespace (Rootless.active is false: euid 0) defers
    // its v1 directories like root does, and claimCgroup then counts every directory as made in
    // cgroup.json until its claims have told (CgroupSetup: "deferring needs root outside a user
    // namespace: every directory made is marked"). There it cannot mark (trusted.* needs
    // CAP_SYS_ADMIN in the initial user namespace), so a `delete` of a create killed in between
    // cannot tell a directory that was there before from one it made (claimedCgroup: no mark and
    // could not mark = its own), and removes the one that was there before.

    /// Runs `script` (sh -c) as uid 0 in a new user namespace mapped to the host's uid 0.
    private func inUserNamespace(_ script: String) -> ProcResult {
        Host.exec("/usr/bin/unshare", ["--user", "--map-root-user", "/bin/sh", "-c", script], timeout: 60)
    }

    /// A v1 directory that was there before (memory), a create killed at create.forked (before
    /// limitCgroup claims the v1 directories): the delete must leave it. Fails on f3905be too.
    func testDeleteOfACreateKilledBeforeItsV1ClaimInAUserNamespaceLeavesADirectoryThatWasThere() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName) has no fault injection (SWIFTLET_FAULT)") }
        let mounts = hierarchies()
        guard let memory = mounts.first(where: { $0.mount.hasSuffix("/memory") })?.mount, mounts.contains(where: { $0.fsType == "cgroup2" }) else {
            print("NOTE: n/a on this host: no v1 memory hierarchy beside a unified one (no create defers)")
            return
        }
        let id = newID()
        let path = cgPath(id) + "/c"
        let root = "\(stateRoot)-review-userns"
        let before = memory + path
        makeCgroup(path, hierarchies: [memory])
        defer {
            inUserNamespace("'\(Env.runtime)' --root '\(root)' delete --force '\(id)'")
            try? FileManager.default.removeItem(atPath: root)
            removeCgroup(cgPath(id))
        }
        let b = makeBundle(cgroupsPath: path, program: "sleep 100")
        let r = inUserNamespace("SWIFTLET_FAULT=create.forked '\(Env.runtime)' --root '\(root)' create --bundle '\(b)' '\(id)'; "
                                + "echo \"create rc=$?\"; '\(Env.runtime)' --root '\(root)' delete --force '\(id)'; echo \"delete rc=$?\"")
        XCTAssertTrue(r.stdout.contains("create rc=137"), "the create was not killed at create.forked: \(describe(r))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: before),
                      "the delete removed \(before), there before the create (cgroup.json counted it as made): \(describe(r))")
        XCTAssertEqual(leakedProcesses().map(\.pid), [], "the killed create's init outlived it")
    }

    /// The unified directory that was there before, a create killed at its claim's mkdirat
    /// (strace): cgroup.json counts it as made since a878a57 (no stat first when deferring). The
    /// delete must leave it. f3905be stat'ed first and did not count it (its claim used mkdir, not mkdirat).
    func testDeleteOfACreateKilledAtItsClaimInAUserNamespaceLeavesAUnifiedDirectoryThatWasThere() {
        guard isSwiftlet else { return print("NOTE: n/a for \(runtimeName)") }
        let mounts = hierarchies()
        guard let unified = mounts.first(where: { $0.fsType == "cgroup2" })?.mount, mounts.count > 1 else {
            print("NOTE: n/a on this host: no v1 hierarchy beside a unified one (no create defers)")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            return XCTFail("this test needs /usr/bin/strace (apt-get install strace)")
        }
        let id = newID()
        let path = cgPath(id) + "/c"
        let root = "\(stateRoot)-review-userns"
        let before = unified + path
        makeCgroup(path, hierarchies: [unified])
        defer {
            inUserNamespace("'\(Env.runtime)' --root '\(root)' delete --force '\(id)'")
            try? FileManager.default.removeItem(atPath: root)
            removeCgroup(cgPath(id))
        }
        let b = makeBundle(cgroupsPath: path, program: "sleep 100")
        let r = inUserNamespace("/usr/bin/strace -o /dev/null -e trace=mkdirat -e inject=mkdirat:signal=KILL:when=1 "
                                + "'\(Env.runtime)' --root '\(root)' create --bundle '\(b)' '\(id)'; echo \"create rc=$?\"; "
                                + "'\(Env.runtime)' --root '\(root)' delete --force '\(id)'; echo \"delete rc=$?\"")
        XCTAssertTrue(r.stdout.contains("create rc=137"), "the create was not killed at its mkdirat: \(describe(r))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: before),
                      "the delete removed \(before), there before the create (cgroup.json counted it as made): \(describe(r))")
        XCTAssertEqual(leakedProcesses().map(\.pid), [], "the killed create's init outlived it")
    }
}
