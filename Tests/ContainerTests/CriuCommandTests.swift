// The criu command lines checkpoint/restore run, and the image-directory files they read and write.

import XCTest
@testable import Container

final class CriuCommandTests: XCTestCase {
    func container() -> CriuContainer {
        var c = CriuContainer(root: "/b/rootfs")
        c.pid = 4242
        c.bindMounts = [("/data", "/host/data")]
        c.maskedFiles = ["/proc/kcore"]
        c.freezeCgroup = "/sys/fs/cgroup/freezer/ctr"
        return c
    }

    /// The values of every occurrence of a flag.
    func values(_ args: [String], _ flag: String) -> [String] {
        args.indices.filter { args[$0] == flag && $0 + 1 < args.count }.map { args[$0 + 1] }
    }

    func testDumpMandatoryOptions() {
        let o = CriuOptions(imagePath: "/img")
        let a = CriuCommand.dump(o, container(), workPath: "/work")
        XCTAssertEqual(a.first, "dump")
        XCTAssertEqual(values(a, "--tree"), ["4242"])
        XCTAssertEqual(values(a, "--root"), ["/b/rootfs"])
        XCTAssertEqual(values(a, "--images-dir"), ["/img"])
        XCTAssertEqual(values(a, "--work-dir"), ["/work"])
        XCTAssertEqual(values(a, "--log-file"), ["dump.log"])
        XCTAssert(a.contains("-v4"))
        XCTAssert(a.contains("--manage-cgroups"))
        XCTAssertEqual(values(a, "--freeze-cgroup"), ["/sys/fs/cgroup/freezer/ctr"])
        // Bind mounts and masked files are external: keyed by their destination.
        XCTAssertEqual(values(a, "--external"), ["mnt[/data]:/data", "mnt[/proc/kcore]:/proc/kcore"])
        for flag in ["--leave-running", "--tcp-established", "--shell-job", "--file-locks", "--track-mem",
                     "--ext-unix-sk", "--auto-dedup", "--lazy-pages", "--page-server"] {
            XCTAssertFalse(a.contains(flag), flag)
        }
    }

    func testDumpFlags() {
        var o = CriuOptions(imagePath: "/img")
        o.leaveRunning = true
        o.tcpEstablished = true
        o.extUnixSk = true
        o.shellJob = true
        o.fileLocks = true
        o.autoDedup = true
        o.manageCgroupsMode = "strict"
        o.parentPath = "../pre1"
        o.pageServer = "10.0.0.1:9999"
        let a = CriuCommand.dump(o, container(), workPath: "/work")
        for flag in ["--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks",
                     "--auto-dedup", "--track-mem", "--manage-cgroups=strict", "--page-server"] {
            XCTAssert(a.contains(flag), "\(flag) missing in \(a)")
        }
        XCTAssertFalse(a.contains("--manage-cgroups"))
        XCTAssertEqual(values(a, "--prev-images-dir"), ["../pre1"])
        XCTAssertEqual(values(a, "--address"), ["10.0.0.1"])
        XCTAssertEqual(values(a, "--port"), ["9999"])
    }

    func testPreDump() {
        var o = CriuOptions(imagePath: "/img/pre1")
        o.preDump = true
        o.leaveRunning = true
        let a = CriuCommand.dump(o, container(), workPath: "/work")
        XCTAssertEqual(a.first, "pre-dump")
        XCTAssert(a.contains("--track-mem"))
        XCTAssertFalse(a.contains("--leave-running"), "pre-dump always leaves the tree running")
        XCTAssertEqual(values(a, "--log-file"), ["pre-dump.log"])
    }

    func testLazyPagesWithStatusFD() {
        var o = CriuOptions(imagePath: "/img")
        o.lazyPages = true
        o.statusFD = 7
        let a = CriuCommand.dump(o, container(), workPath: "/w")
        XCTAssert(a.contains("--lazy-pages"))
        XCTAssertEqual(values(a, "--status-fd"), ["7"])
    }

    func testJoinedNamespacesAreExternal() {
        var c = container()
        c.externalNamespaces = [("extRootNetNS", 4026532000, 9), ("extRootPidNS", 4026532001, 10)]
        let dump = CriuCommand.dump(CriuOptions(imagePath: "/img"), c, workPath: "/w")
        XCTAssert(values(dump, "--external").contains("net[4026532000]:extRootNetNS"))
        XCTAssert(values(dump, "--external").contains("pid[4026532001]:extRootPidNS"))
        let restore = CriuCommand.restore(CriuOptions(imagePath: "/img"), c, workPath: "/w", pidFile: "/p")
        XCTAssertEqual(values(restore, "--inherit-fd"), ["fd[9]:extRootNetNS", "fd[10]:extRootPidNS"])
    }

    func testRestore() {
        var c = container()
        c.root = "/state/id/criu-root"
        c.cgroupRoots = ["memory:/ctr", "/ctr"]
        c.descriptors = ["/dev/null", "pipe:[123]", "pipe:[456]"]
        var o = CriuOptions(imagePath: "/img")
        o.shellJob = true
        o.lsmProfile = "apparmor:unconfined"
        let a = CriuCommand.restore(o, c, workPath: "/work", pidFile: "/state/id/criu.pid")
        XCTAssertEqual(a.first, "restore")
        XCTAssert(a.contains("--restore-detached") && a.contains("--restore-sibling") && a.contains("--shell-job"))
        XCTAssertEqual(values(a, "--pidfile"), ["/state/id/criu.pid"])
        XCTAssertEqual(values(a, "--root"), ["/state/id/criu-root"])
        XCTAssertEqual(values(a, "--log-file"), ["restore.log"])
        XCTAssertEqual(values(a, "--cgroup-root"), ["memory:/ctr", "/ctr"])
        // On restore a bind mount's key maps to its host source, a masked file to /dev/null.
        XCTAssertEqual(values(a, "--external"), ["mnt[/data]:/host/data", "mnt[/proc/kcore]:/dev/null"])
        // Its own network namespace comes back empty (runc does not manage network devices).
        XCTAssertEqual(values(a, "--empty-ns"), ["net"])
        // stdio pipes are handed back by their descriptors.json names.
        XCTAssertEqual(values(a, "--inherit-fd"), ["fd[1]:pipe:[123]", "fd[2]:pipe:[456]"])
        XCTAssertEqual(values(a, "--lsm-profile"), ["apparmor:unconfined"])
        XCTAssertFalse(a.contains("--tree"))
    }

    func testRestoreWithoutOwnNetworkNamespace() {
        var c = container()
        c.ownNetworkNamespace = false
        let a = CriuCommand.restore(CriuOptions(imagePath: "/img"), c, workPath: "/w", pidFile: "/p")
        XCTAssertFalse(a.contains("--empty-ns"))
        var o = CriuOptions(imagePath: "/img")
        o.emptyNamespaces = ["network"]
        XCTAssertEqual(values(CriuCommand.restore(o, c, workPath: "/w", pidFile: "/p"), "--empty-ns"), ["net"])
    }

    func testValidation() {
        var o = CriuOptions(imagePath: "/img")
        XCTAssertNoThrow(try o.validate())
        o.manageCgroupsMode = "bogus"
        XCTAssertThrowsError(try o.validate()) { XCTAssert("\($0)".contains("--manage-cgroups-mode")) }
        o.manageCgroupsMode = "full"
        o.emptyNamespaces = ["pid"]
        XCTAssertThrowsError(try o.validate()) { XCTAssert("\($0)".contains("--empty-ns")) }
        o.emptyNamespaces = []
        o.parentPath = "/abs"
        XCTAssertThrowsError(try o.validate()) { XCTAssert("\($0)".contains("--parent-path: must be relative")) }
        o.parentPath = "../p"
        o.pageServer = "nohost"
        XCTAssertThrowsError(try o.validate()) { XCTAssert("\($0)".contains("--page-server")) }
        o.pageServer = "[::1]:8000"
        XCTAssertNoThrow(try o.validate())
        XCTAssertEqual(CriuCommand.splitHostPort("[::1]:8000")?.0, "::1")
    }

    func testDescriptorsRoundTrip() {
        let fds = ["/dev/null", "pipe:[1234]", "/dev/pts/3"]
        let text = CriuCommand.descriptorsJSON(fds)
        XCTAssertEqual(text, #"["/dev/null","pipe:[1234]","/dev/pts/3"]"#)
        XCTAssertEqual(CriuCommand.parseDescriptors(text), fds)
        XCTAssertEqual(CriuCommand.parseDescriptors("not json"), [])
    }

    func testErrorLinesFromLog() {
        let log = """
            (00.000000) Version: 3.17.1 (gitid 0)
            (00.036956) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
            (00.036958) Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable
            (00.036993) Error (criu/crtools.c:260): Could not initialize kernel features detection.
            """
        XCTAssertEqual(CriuCommand.errorLines(fromLog: log), [
            "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds",
            "Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable",
            "Error (criu/crtools.c:260): Could not initialize kernel features detection.",
        ])
        XCTAssertEqual(CriuCommand.errorLines(fromLog: "a\nb\nc\nd"), ["b", "c", "d"])
    }

    func testCgroupRelative() {
        XCTAssertEqual(Runtime.cgroupRelative("/elsewhere/x"), "/elsewhere/x")
        if !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            XCTAssertEqual(Runtime.cgroupRelative("/sys/fs/cgroup/memory/a/b"), "/a/b")
        }
    }
}
