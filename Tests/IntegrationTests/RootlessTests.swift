// Rootless containers: an unprivileged host user runs the runtime (setpriv --reuid/--regid
// --clear-groups) with a user namespace that maps its own uid/gid to root.
//
// The class creates the user `swiftlet-rl` (useradd, which also gives it a range in /etc/subuid and
// /etc/subgid) unless it exists, and removes it at the end if it made it. Every test gets its own
// $XDG_RUNTIME_DIR under the test's scratch directory (owned by the user, mode 0700), so the
// runtime's state goes to $XDG_RUNTIME_DIR/<swiftlet|runc> (no --root is passed); bundles are
// directories owned by the user, the rootfs is the shared read-only one (world-readable).

import Foundation
import XCTest

final class RootlessTests: IntegrationTestCase {
    static let userName = "swiftlet-rl"
    nonisolated(unsafe) static var createdUser = false
    nonisolated(unsafe) static var userError: String?
    nonisolated(unsafe) static var uid: UInt32 = 0
    nonisolated(unsafe) static var gid: UInt32 = 0
    /// First id of the user's /etc/subuid and /etc/subgid ranges.
    nonisolated(unsafe) static var subUID: UInt32 = 0
    nonisolated(unsafe) static var subGID: UInt32 = 0

    override class func setUp() {
        super.setUp()
        if Host.exec("/usr/bin/id", ["-u", userName]).status != 0 {
            let r = Host.exec("/usr/sbin/useradd", ["-M", "-s", "/bin/sh", "-c", "swiftlet rootless tests", userName])
            if r.status != 0 { userError = "useradd \(userName) failed: \(describe(r))"; return }
            createdUser = true
        }
        let u = Host.exec("/usr/bin/id", ["-u", userName]), g = Host.exec("/usr/bin/id", ["-g", userName])
        guard let uid = UInt32(u.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
              let gid = UInt32(g.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            userError = "id \(userName): \(describe(u)) \(describe(g))"
            return
        }
        self.uid = uid
        self.gid = gid
        func subStart(_ file: String) -> UInt32 {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":")
                if f.count == 3, f[0] == userName || f[0] == "\(uid)", let start = UInt32(f[1]) { return start }
            }
            return 0
        }
        subUID = subStart("/etc/subuid")
        subGID = subStart("/etc/subgid")
    }

    override class func tearDown() {
        if createdUser {
            let r = Host.exec("/usr/sbin/userdel", [userName])
            if r.status != 0 { print("RootlessTests: userdel \(userName) failed: \(describe(r))") }
            // userdel removes the subordinate ranges too; make sure nothing is left.
            for file in ["/etc/subuid", "/etc/subgid"] {
                Host.sh("sed -i '/^\(userName):/d' \(file)")
            }
            createdUser = false
        }
        super.tearDown()
    }

    var uid: UInt32 { Self.uid }
    var gid: UInt32 { Self.gid }
    /// The user's $XDG_RUNTIME_DIR for this test.
    private(set) var xdg = ""
    /// Where the runtime keeps its state below it.
    var stateDir: String {
        let name = runtimeName.hasPrefix("runc") ? "runc" : runtimeName.hasPrefix("crun") ? "crun" : "swiftlet"
        return xdg + "/" + name
    }
    /// Delegated cgroup2 directories made by a test (removed in tearDown, deepest first).
    private var delegated: [String] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.userError { throw SetupError(message: e) }
        xdg = hostDir("xdg")
        chown(xdg, uid, gid)
        chmod(xdg, 0o700)
    }

    override func tearDownWithError() throws {
        // Force-delete (as the user) whatever the test left, then check the state dir is empty.
        if !xdg.isEmpty {
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []).filter { $0.hasPrefix(token) }
            for id in left { _ = asUser(["delete", "--force", id], timeout: 15) }
            let still = ((try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []).filter { $0.hasPrefix(token) }
            XCTAssert(still.isEmpty, "leak: \(stateDir) still has \(still) after delete --force")
        }
        for dir in delegated.reversed() {
            var removed = false
            for _ in 0..<100 {
                if rmdir(dir) == 0 || errno == ENOENT { removed = true; break }
                usleep(20_000)
            }
            XCTAssert(removed, "leak: delegated cgroup \(dir) could not be removed: \(String(cString: strerror(errno)))")
        }
        delegated = []
        try super.tearDownWithError()
    }

    // MARK: helpers

    /// setpriv to the test user, with this test's XDG_RUNTIME_DIR (or none), then the runtime.
    func userCommand(_ args: [String], xdg: String?) -> [String] {
        var command = ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--", "/usr/bin/env"]
        if let xdg { command.append("XDG_RUNTIME_DIR=\(xdg)") } else { command += ["-u", "XDG_RUNTIME_DIR"] }
        return command + [Env.runtime] + args
    }

    @discardableResult
    func asUser(_ args: [String], xdg: String?? = .none, timeout: TimeInterval = 30) -> ProcResult {
        let dir: String? = xdg ?? self.xdg
        return Host.exec("/usr/bin/setpriv", userCommand(args, xdg: dir), timeout: timeout)
    }

    /// The harness's default config turned rootless the way `runc spec --rootless` turns its own:
    /// a user namespace mapping the user to 0, no network namespace, /sys bound from the host, no
    /// gid= option, no resources.
    func rootlessConfig(_ configure: (inout Config) -> Void = { _ in }) -> Config {
        var c = defaultConfig()
        c.makeRootless(uid: uid, gid: gid)
        configure(&c)
        return c
    }

    /// A bundle directory owned by the user, with this config.
    func userBundle(_ config: Config) -> String {
        let dir = newBundleDir()
        try! jsonText(config).write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        chown(dir, uid, gid)
        chown(dir + "/config.json", uid, gid)
        return dir
    }

    func userBundle(_ configure: (inout Config) -> Void) -> String { userBundle(rootlessConfig(configure)) }

    func userState(_ id: String) -> [String: Any]? {
        let r = asUser(["state", id])
        guard r.status == 0 else { return nil }
        return parseJSON(r.stdout) as? [String: Any]
    }

    func hostUID(of pid: Int) -> String? {
        statusFields(readFileBytes("/proc/\(pid)/status"))["Uid"]?.split(separator: "\t").first.map(String.init)
    }

    // MARK: tests

    /// Effective uid 0 with the user's real uid (a setuid-root wrapper, `setpriv --ruid`) is root, as
    /// runc decides by the effective uid: --systemd-cgroup goes to the system's manager, never to a
    /// "user's systemd" found through the caller's $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR.
    func testEffectiveRootWithTheUsersRealUIDIsNotRootless() throws {
        let id = newID("ruid")
        let bundle = makeBundle { c in c[path: "process.args"] = ["true"] }
        let bus = scratch + "/not-a-manager.sock"
        let r = Host.exec("/usr/bin/setpriv", ["--ruid=\(uid)", "--", "/usr/bin/env", "XDG_RUNTIME_DIR=\(xdg)",
                                               "DBUS_SESSION_BUS_ADDRESS=unix:path=\(bus)", Env.runtime,
                                               "--root", stateRoot, "--systemd-cgroup", "create", "--bundle", bundle, id])
        // A host whose init is systemd makes the scope: removed again as root.
        if r.status == 0 { XCTAssertEqual(runtime(["delete", "--force", id]).status, 0) }
        XCTAssertFalse(r.stderr.contains("rootless"), describe(r))
        XCTAssertFalse(r.stderr.contains(bus), describe(r))
        XCTAssertFalse(r.stderr.contains("uid \(uid)"), describe(r))
        XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []).contains(id))
    }

    /// `spec --rootless` run by the user writes a config that runs as is (rootfs and args aside).
    func testSpecRootlessConfigWorks() throws {
        let dir = newBundleDir()
        chown(dir, uid, gid)
        let r = asUser(["spec", "--rootless", "--bundle", dir])
        XCTAssertEqual(r.status, 0, describe(r))
        let text = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        var c = try XCTUnwrap(parseJSON(text) as? Config, text)

        let types = c.namespaces.compactMap { $0["type"] as? String }
        XCTAssert(types.contains("user"), "no user namespace: \(types)")
        XCTAssertFalse(types.contains("network"), "a network namespace in a rootless spec: \(types)")
        let uidMap = c[path: "linux.uidMappings"] as? [[String: Any]] ?? []
        let gidMap = c[path: "linux.gidMappings"] as? [[String: Any]] ?? []
        XCTAssertEqual(uidMap.count, 1)
        XCTAssertEqual(uidMap.first?["hostID"] as? Int, Int(uid), "uidMappings: \(uidMap)")
        XCTAssertEqual(uidMap.first?["containerID"] as? Int, 0)
        XCTAssertEqual(uidMap.first?["size"] as? Int, 1)
        XCTAssertEqual(gidMap.first?["hostID"] as? Int, Int(gid), "gidMappings: \(gidMap)")
        XCTAssertNil(c[path: "linux.resources"], "rootless spec has resources")
        let sys = c.mounts.first { $0["destination"] as? String == "/sys" }
        XCTAssertEqual(sys?["source"] as? String, "/sys")
        XCTAssert((sys?["options"] as? [String] ?? []).contains("rbind"), "/sys: \(String(describing: sys))")
        XCTAssert((sys?["options"] as? [String] ?? []).contains("ro"), "/sys: \(String(describing: sys))")
        let devpts = c.mounts.first { $0["destination"] as? String == "/dev/pts" }
        XCTAssertFalse((devpts?["options"] as? [String] ?? []).contains("gid=5"), "devpts keeps gid=5")

        // Run it (the user wrote config.json, so it owns it).
        c[path: "root.path"] = Env.sharedRootfs
        c[path: "process.terminal"] = false
        c.shell("id; cat /proc/self/uid_map; ls /sys/kernel >/dev/null && echo sys-ok; ls /sys/fs/cgroup")
        c.appendEnv("SWIFTLET_TEST_ID=\(token)")
        try jsonText(c).write(toFile: dir + "/config.json", atomically: false, encoding: .utf8)
        let run = asUser(["run", "--bundle", dir, newID()])
        XCTAssertEqual(run.status, 0, describe(run))
        XCTAssert(run.stdout.contains("uid=0(root) gid=0(root)"), describe(run))
        XCTAssert(run.stdout.contains("sys-ok"), describe(run))
        let map = run.stdout.split(separator: "\n").first { $0.contains("\(uid)") }
            .map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(map, ["0", "\(uid)", "1"], describe(run))
    }

    /// create/start/state/kill/delete as the user; state under $XDG_RUNTIME_DIR.
    func testLifecycle() throws {
        let b = userBundle { $0.args = ["sleep", "60"] }
        let id = newID()
        var r = asUser(["create", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(userState(id)?["status"] as? String, "created")
        var isDir: ObjCBool = false
        XCTAssert(FileManager.default.fileExists(atPath: stateDir + "/" + id, isDirectory: &isDir) && isDir.boolValue,
                  "no state dir \(stateDir)/\(id)")
        let attrs = try FileManager.default.attributesOfItem(atPath: stateDir + "/" + id)
        XCTAssertEqual((attrs[.ownerAccountID] as? NSNumber)?.uint32Value, uid, "state dir not owned by the user")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state went to the --root of root")

        r = asUser(["start", id])
        XCTAssertEqual(r.status, 0, describe(r))
        let st = try XCTUnwrap(userState(id))
        XCTAssertEqual(st["status"] as? String, "running")
        let pid = try XCTUnwrap(st["pid"] as? Int)
        XCTAssertEqual(hostUID(of: pid), "\(uid)", "container process is not the user's on the host")

        let list = asUser(["list", "--format", "json"])
        XCTAssertEqual(list.status, 0, describe(list))
        XCTAssert(list.stdout.contains(id), describe(list))

        r = asUser(["kill", id, "KILL"])
        XCTAssertEqual(r.status, 0, describe(r))
        var status = userState(id)?["status"] as? String
        let deadline = Date().addingTimeInterval(5)
        while status != "stopped" && Date() < deadline {
            usleep(20_000)
            status = userState(id)?["status"] as? String
        }
        XCTAssertEqual(status, "stopped")
        r = asUser(["delete", id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertNil(userState(id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDir + "/" + id), "state dir left after delete")
    }

    /// run in the foreground: output comes back; uid 0 inside is the user outside; setgroups denied.
    func testRunOutputAndIDMapping() {
        let b = userBundle { $0.shell("id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; touch /dev/shm/x && stat -c %u /dev/shm/x") }
        let r = asUser(["run", "--bundle", b, newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssert(r.stdout.contains("uid=0(root) gid=0(root)"), describe(r))
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssert(lines.contains(["0", "\(uid)", "1"]), "uid_map: \(r.stdout)")
        XCTAssert(lines.contains(["0", "\(gid)", "1"]), "gid_map: \(r.stdout)")
        XCTAssert(r.stdout.contains("deny"), "setgroups not denied: \(r.stdout)")
        XCTAssertEqual(lines.last, ["0"], "a file made inside is not root's inside: \(r.stdout)")
    }

    /// exec into a running rootless container joins its user namespace.
    func testExec() {
        let b = userBundle { $0.args = ["sleep", "60"] }
        let id = newID()
        var r = asUser(["run", "--detach", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        r = asUser(["exec", id, "sh", "-c", "id; cat /proc/self/uid_map; echo pid=$$"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssert(r.stdout.contains("uid=0(root)"), describe(r))
        XCTAssert(r.stdout.split(separator: "\n").contains { $0.split(separator: " ") == ["0", "\(uid)", "1"] }, describe(r))
        XCTAssertFalse(r.stdout.contains("pid=1\n"), describe(r))
        r = asUser(["delete", "--force", id])
        XCTAssertEqual(r.status, 0, describe(r))
    }

    /// A foreground run with a terminal (under script(1)): devpts without gid=5, the console is the pty.
    func testTerminal() {
        let b = userBundle {
            $0[path: "process.terminal"] = true
            $0.shell("tty; test -c /dev/console && test -c /dev/pts/ptmx && echo console-ok")
        }
        let command = (["/usr/bin/setpriv"] + userCommand(["run", "--bundle", b, newID()], xdg: xdg))
            .map { "'\($0)'" }.joined(separator: " ")
        let r = Host.exec("/usr/bin/script", ["-qec", command, "/dev/null"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssert(r.stdout.contains("/dev/pts/0"), describe(r))
        XCTAssert(r.stdout.contains("console-ok"), describe(r))
    }

    /// Without --root and without XDG_RUNTIME_DIR, an unprivileged user gets an error naming the
    /// variable (the system directory is not writable for it); nothing is created.
    func testNoXDGRuntimeDirIsAClearError() {
        let b = userBundle { $0.args = ["true"] }
        let id = newID()
        let r = asUser(["run", "--bundle", b, id], xdg: .some(nil))
        XCTAssertNotEqual(r.status, 0, describe(r))
        assertOrDeviation(r.stderr.contains("XDG_RUNTIME_DIR"), runtimes: ["runc"],
                          reason: "runc 1.1.5 reports only the mkdir of /run/runc", "error does not name XDG_RUNTIME_DIR: \(describe(r))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDir + "/" + id))
        XCTAssert(processesMentioningToken().isEmpty)
    }

    /// A memory limit needs a cgroup; without delegation it fails naming the resource and leaves nothing.
    func testMemoryLimitWithoutDelegationFails() {
        let b = userBundle { $0[path: "linux.resources"] = ["memory": ["limit": 64 << 20]] }
        let id = newID()
        let r = asUser(["run", "--bundle", b, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssert(r.stderr.contains("memory"), "error does not name the memory limit: \(describe(r))")
        if isSwiftlet {
            XCTAssert(r.stderr.contains("linux.resources.memory"), describe(r))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDir + "/" + id), "state left after the failure")
        XCTAssert(leakedProcesses().isEmpty)
        XCTAssert(leakedCgroups().isEmpty, "cgroups left: \(leakedCgroups())")
    }

    /// No limits and no delegation: the container runs without a cgroup of its own (device rules,
    /// which need privilege, are not applied), as runc does.
    func testNoResourcesRunsWithoutCgroup() {
        let b = userBundle {
            $0[path: "linux.resources"] = ["devices": [["allow": false, "access": "rwm"]]]
            $0.shell("echo ok")
        }
        let r = asUser(["run", "--bundle", b, newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "ok\n")
    }

    /// A cgroup2 subtree owned by the user (delegation, as systemd does for user sessions): the
    /// runtime runs from inside it and makes the container's cgroup next to its own; pause/resume
    /// work through cgroup.freeze; delete removes the cgroup.
    func testDelegatedCgroup() throws {
        let unified = "/sys/fs/cgroup/unified"
        let top = "\(unified)/\(token)-rl", session = top + "/session"
        for dir in [top, session] {
            XCTAssertEqual(mkdir(dir, 0o755), 0, "mkdir \(dir): \(String(cString: strerror(errno)))")
            delegated.append(dir)
            for f in ["", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"] { chown(dir + f, uid, gid) }
        }
        let b = userBundle { $0.args = ["sleep", "60"] }
        let id = newID()
        // The runtime starts inside the delegated subtree (root moves the shell there, then drops to the user).
        let r = Host.exec("/bin/sh", ["-c", "echo $$ > \"$0\"/cgroup.procs && exec /usr/bin/setpriv \"$@\"", session]
                          + userCommand(["run", "--detach", "--bundle", b, id], xdg: xdg))
        XCTAssertEqual(r.status, 0, describe(r))
        let pid = try XCTUnwrap(userState(id)?["pid"] as? Int)
        knownDeviation(runtimes: ["runc"], reason: "runc 1.1.5 does not use a delegated cgroup2 subtree on a hybrid host") {
            let procs = readFileBytes("\(top)/\(id)/cgroup.procs")
            XCTAssertEqual(procs.split(separator: "\n"), ["\(pid)"], "container not in the delegated cgroup \(top)/\(id)")
            var p = asUser(["pause", id])
            XCTAssertEqual(p.status, 0, describe(p))
            XCTAssertEqual(userState(id)?["status"] as? String, "paused")
            p = asUser(["resume", id])
            XCTAssertEqual(p.status, 0, describe(p))
            XCTAssertEqual(userState(id)?["status"] as? String, "running")
        }
        let d = asUser(["delete", "--force", id])
        XCTAssertEqual(d.status, 0, describe(d))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(top)/\(id)"), "container cgroup left after delete")

        // A limit the delegated cgroup2 subtree cannot hold on this host (memory is a v1 controller
        // here) fails naming it.
        if isSwiftlet {
            let mb = userBundle { $0[path: "linux.resources"] = ["memory": ["limit": 64 << 20]] }
            let m = Host.exec("/bin/sh", ["-c", "echo $$ > \"$0\"/cgroup.procs && exec /usr/bin/setpriv \"$@\"", session]
                              + userCommand(["run", "--bundle", mb, newID()], xdg: xdg))
            XCTAssertNotEqual(m.status, 0, describe(m))
            XCTAssert(m.stderr.contains("memory"), describe(m))
        }
    }

    /// Mappings beyond the user's own id go through newuidmap/newgidmap and /etc/subuid.
    func testSubordinateIDsThroughNewuidmap() throws {
        XCTAssert(FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap"), "newuidmap missing (package uidmap)")
        XCTAssertNotEqual(Self.subUID, 0, "no /etc/subuid range for \(Self.userName)")
        let b = userBundle {
            $0[path: "linux.uidMappings"] = [["containerID": 0, "hostID": Int(uid), "size": 1],
                                             ["containerID": 1, "hostID": Int(Self.subUID), "size": 1000]]
            $0[path: "linux.gidMappings"] = [["containerID": 0, "hostID": Int(gid), "size": 1],
                                             ["containerID": 1, "hostID": Int(Self.subGID), "size": 1000]]
            $0.shell("cat /proc/self/uid_map /proc/self/gid_map")
        }
        let r = asUser(["run", "--bundle", b, newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssert(lines.contains(["1", "\(Self.subUID)", "1000"]), describe(r))
        XCTAssert(lines.contains(["1", "\(Self.subGID)", "1000"]), describe(r))

        // Ids the user was not given: newuidmap refuses, create fails and leaves nothing.
        let bad = userBundle {
            $0[path: "linux.uidMappings"] = [["containerID": 0, "hostID": Int(uid), "size": 1],
                                             ["containerID": 1, "hostID": 1, "size": 10]]
            $0.shell("true")
        }
        let id = newID()
        let f = asUser(["run", "--bundle", bad, id])
        XCTAssertNotEqual(f.status, 0, describe(f))
        if isSwiftlet { XCTAssert(f.stderr.contains("linux.uidMappings") && f.stderr.contains("newuidmap"), describe(f)) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDir + "/" + id))
    }

    /// Only the user's own gid mapped: setgroups is denied, so additional groups are an error.
    func testAdditionalGidsNeedMoreThanOwnGid() {
        let b = userBundle {
            $0[path: "process.user.additionalGids"] = [5]
            $0.shell("id")
        }
        let r = asUser(["run", "--bundle", b, newID()])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssert(r.stderr.contains("additional"), describe(r))
    }

    /// Devices cannot be made with mknod in a user namespace: they are bound from the host.
    func testDevicesAreBoundFromHost() {
        let b = userBundle {
            $0[path: "linux.devices"] = [["path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666]]
            $0.shell("test -c /dev/fuse && test -c /dev/null && echo devices-ok && echo x > /dev/null")
        }
        let r = asUser(["run", "--bundle", b, newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "devices-ok\n")
    }

    /// A sysctl the container's namespaces own can be set; one that needs host privilege fails clearly.
    func testSysctls() {
        let ok = userBundle {
            $0.addNamespace("network")
            $0[path: "linux.sysctl"] = ["net.ipv4.ip_forward": "1", "kernel.shmmax": "100000"]
            $0.shell("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax")
        }
        var r = asUser(["run", "--bundle", ok, newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "1\n100000\n")

        let bad = userBundle {
            $0.addNamespace("network")
            $0[path: "linux.sysctl"] = ["net.core.rmem_max": "100000"]
        }
        let id = newID()
        r = asUser(["run", "--bundle", bad, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssert(r.stderr.contains("rmem_max"), describe(r))
        if isSwiftlet { XCTAssert(r.stderr.contains("privilege"), describe(r)) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDir + "/" + id))
    }

    /// --systemd-cgroup as a user: swiftlet does not talk to the user's systemd yet (nor is there one
    /// here): refused, naming the flag, nothing left. runc fails too (no user bus).
    func testSystemdCgroupRootlessIsRefusedClearly() {
        let id = newID()
        let r = asUser(["--systemd-cgroup", "run", "--bundle", userBundle { _ in }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet { XCTAssert(r.stderr.contains("--systemd-cgroup"), describe(r)) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateDir + "/" + id))
    }

    /// `runc spec --rootless`'s `cgroup` mount at /sys/fs/cgroup, without a cgroup namespace: the
    /// kernel refuses a cgroup or cgroup2 mount there (EPERM; EBUSY on a cgroup2 host), so the
    /// host's hierarchies are bound read-only instead, the unified one too (it failed the create).
    func testCgroupMountWithoutCgroupNamespace() {
        let b = userBundle { c in
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"])
            c.shell("test -e /sys/fs/cgroup/pids/cgroup.procs && echo v1; test -e /sys/fs/cgroup/unified/cgroup.procs && echo v2; "
                + "touch /sys/fs/cgroup/pids/x 2>/dev/null || echo read-only")
        }
        let r = asUser(["run", "--bundle", b, newID()])
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssert(lines.contains("v1") && lines.contains("read-only"), describe(r))
        assertOrDeviation(lines.contains("v2"), runtimes: ["runc"], reason: "runc 1.1 mounts only the v1 hierarchies of a hybrid host",
                          "the unified hierarchy: \(describe(r))")
    }

    /// The host layouts where a rootless container's `cgroup` mount cannot be a fresh cgroup mount
    /// (no cgroup namespace): the runtime is started (as the user) from cgroups `<token>-own` made
    /// by root, next to `<token>-sibling` ones. The container's /sys/fs/cgroup shows its own
    /// cgroup's files only, read-only: no sibling, nothing else of the host's trees.
    enum CgroupLayout: String { case hybrid, v1, v2 }

    func testCgroupMountShowsOnlyTheOwnCgroupHybrid() { cgroupMountShowsOnlyTheOwnCgroup(.hybrid) }
    func testCgroupMountShowsOnlyTheOwnCgroupV1() { cgroupMountShowsOnlyTheOwnCgroup(.v1) }
    func testCgroupMountShowsOnlyTheOwnCgroupV2() {
        knownDeviation(runtimes: ["crun"], reason: "conformance/crun-v1 cannot show cgroup2 at /sys/fs/cgroup") {
            cgroupMountShowsOnlyTheOwnCgroup(.v2)
        }
    }

    func cgroupMountShowsOnlyTheOwnCgroup(_ layout: CgroupLayout) {
        let unified = "/sys/fs/cgroup/unified"
        let v1 = readFileBytes("/proc/self/mounts").split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ")
            return f.count > 2 && f[2] == "cgroup" && f[1].hasPrefix("/sys/fs/cgroup/") ? String(f[1]) : nil
        }
        var own: [String] = []
        for h in (layout == .v2 ? [] : v1) + (layout == .v1 ? [] : [unified]) {
            for name in ["\(token)-own", "\(token)-sibling"] {
                let dir = "\(h)/\(name)"
                XCTAssertEqual(mkdir(dir, 0o755), 0, "mkdir \(dir): \(String(cString: strerror(errno)))")
                delegated.append(dir)  // removed in tearDown
                if h.hasSuffix("/cpuset") {  // a new cpuset cgroup takes no process before it has cpus and mems
                    for f in ["cpuset.cpus", "cpuset.mems"] {
                        try? readFileBytes("\(h)/\(f)").write(toFile: "\(dir)/\(f)", atomically: false, encoding: .utf8)
                    }
                }
            }
            own.append("\(h)/\(token)-own")
        }
        let b = userBundle { c in
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"])
            c.shell("find /sys/fs/cgroup -name '\(token)-*' | sed 's/^/seen /'; "
                    + "for f in pids/cgroup.procs unified/cgroup.procs cgroup.procs; do "
                    + "grep -qx 1 /sys/fs/cgroup/$f 2>/dev/null && echo own $f; done; "
                    + "for d in pids/x unified/x x; do mkdir /sys/fs/cgroup/$d 2>/dev/null && echo writable $d; done; true")
        }
        // Root moves the shell into the own cgroups (in the v1 and v2 views: inside a private
        // mount namespace made for that layout), then drops to the user for the runtime.
        let enter: String
        switch layout {
        case .hybrid, .v1:
            enter = (layout == .v1 ? "umount -l \(unified) && " : "") + own.map { "echo $$ > \($0)/cgroup.procs && " }.joined()
        case .v2:
            enter = "mount -t cgroup2 none /sys/fs/cgroup && echo $$ > /sys/fs/cgroup/\(token)-own/cgroup.procs && "
        }
        let r = Host.exec("/usr/bin/unshare", ["-m", "sh", "-c", enter + "exec /usr/bin/setpriv \"$@\"", "sh"]
                          + userCommand(["run", "--bundle", b, newID()], xdg: xdg))
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let expected: [String]
        switch layout {
        case .hybrid: expected = ["own pids/cgroup.procs", "own unified/cgroup.procs"]
        case .v1: expected = ["own pids/cgroup.procs"]
        case .v2: expected = ["own cgroup.procs"]
        }
        let hostTreeSeen = lines.contains { $0.hasPrefix("seen ") }
        assertOrDeviation(!hostTreeSeen, runtimes: layout == .v2 ? ["runc"] : [],
                          reason: "runc 1.1.5 binds the whole cgroup2 hierarchy without a cgroup namespace",
                          "\(layout): the container sees other cgroups of the host: \(describe(r))")
        XCTAssertFalse(lines.contains { $0.hasPrefix("writable ") && $0 != "writable x" }, "\(layout): \(describe(r))")
        assertOrDeviation(!lines.contains("writable x"), runtimes: layout == .v2 ? [] : ["runc"],
                          reason: "runc 1.1.5 leaves the tmpfs at /sys/fs/cgroup of a rootless container writable",
                          "\(layout): \(describe(r))")
        if layout == .hybrid {
            XCTAssert(lines.contains("own pids/cgroup.procs"), describe(r))
            assertOrDeviation(lines.filter { $0.hasPrefix("own ") } == expected, runtimes: ["runc"],
                              reason: "runc 1.1 mounts only the v1 hierarchies of a hybrid host", "\(layout): \(describe(r))")
        } else if !hostTreeSeen {
            XCTAssertEqual(lines.filter { $0.hasPrefix("own ") }, expected, "\(layout): \(describe(r))")
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Makes the config rootless as `runc spec --rootless` makes its own: a user namespace mapping
    /// `uid`/`gid` to 0, no network namespace, /sys bound from the host, no gid=/uid= option, no limits.
    mutating func makeRootless(uid: UInt32, gid: UInt32) {
        removeNamespace("network")
        addNamespace("user")
        self[path: "linux.uidMappings"] = [["containerID": 0, "hostID": Int(uid), "size": 1]]
        self[path: "linux.gidMappings"] = [["containerID": 0, "hostID": Int(gid), "size": 1]]
        self[path: "linux.resources"] = nil
        mounts = mounts.map { m in
            var m = m
            if m["destination"] as? String == "/sys" {
                return ["destination": "/sys", "type": "none", "source": "/sys",
                        "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]]
            }
            if let opts = m["options"] as? [String] {
                m["options"] = opts.filter { !$0.hasPrefix("gid=") && !$0.hasPrefix("uid=") }
            }
            return m
        }
    }
}
