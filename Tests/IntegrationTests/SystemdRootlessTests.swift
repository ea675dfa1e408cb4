// Rootless containers with --systemd-cgroup: an unprivileged user's container gets a scope of that user's own
// systemd (user@UID.service), as with runc 1.1. The host is Fixtures/systemd/systemd-host-v2-rootless.sh: the
// unified layout, its root pivoted to (no user could make a user namespace inside a chroot), user@.service
// delegating all it can. The users are made inside it (its overlay's /etc/passwd, never this machine's) and
// run the runtimes with setpriv, with a state root of their own in the test's scratch directory.

import Foundation
import XCTest

/// A user inside a systemd host, and the runtimes run as that user.
struct HostUser {
    let name: String
    let uid: UInt32
    let gid: UInt32
    var runtimeDir: String { "/run/user/\(uid)" }
    /// The unified cgroup of the user's manager (what its ControlGroup property says, on a Debian host).
    var managerGroup: String { "/user.slice/user-\(uid).slice/user@\(uid).service" }
}

extension SystemdHostTestCase {
    /// Adds `name` inside the host (useradd writes the host's overlay) unless it is there.
    func hostUser(_ name: String) throws -> HostUser {
        if inHost(["id", "-u", name]).status != 0 {
            let r = inHost(["useradd", "-m", "-s", "/bin/sh", name])
            guard r.status == 0 else { throw SetupError(message: "useradd \(name) inside the systemd host: \(describe(r))") }
        }
        let u = inHost(["id", "-u", name]), g = inHost(["id", "-g", name])
        guard let uid = UInt32(u.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
              let gid = UInt32(g.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SetupError(message: "id \(name) inside the systemd host: \(describe(u)) \(describe(g))")
        }
        return HostUser(name: name, uid: uid, gid: gid)
    }

    /// `args` run as `user` inside the host, with only the environment given (PATH, HOME and `env`).
    @discardableResult
    func asHostUser(_ user: HostUser, _ args: [String], env: [String: String]) -> ProcResult {
        inHost(["setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--", "/usr/bin/env", "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/home/\(user.name)"]
               + env.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" } + args)
    }

    /// A state root in the test's scratch directory, owned by `user`.
    func userStateRoot(_ user: HostUser, _ name: String) -> String {
        let dir = hostDir(name)
        chown(dir, user.uid, user.gid)
        return dir
    }

    /// The harness's config made rootless as `runc spec --rootless` makes its own: a user namespace
    /// mapping the user to 0, no network namespace, /sys bound from the host, no gid= option, no limits.
    func rootlessBundle(_ user: HostUser, _ configure: (inout Config) -> Void = { _ in }) -> String {
        makeBundle { c in
            c[path: "process.args"] = ["sleep", "1000"]
            c.makeRootless(uid: user.uid, gid: user.gid)
            configure(&c)
        }
    }
}

final class SystemdRootlessTests: SystemdHostTestCase {
    static let systemdHost = SharedHost(script: Env.repo + "/Tests/IntegrationTests/Fixtures/systemd/systemd-host-v2-rootless.sh",
                                         work: "/tmp/swiftlet-systemd-host-rl-\(getpid())")
    override class var sharedHost: SharedHost? { systemdHost }

    var user = HostUser(name: "", uid: 0, gid: 0)
    /// Each engine's state root for this test, owned by the user.
    var roots: [Engine: String] = [:]
    /// Containers made by a test, force-deleted by tearDown.
    var made: [(Engine, String)] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        user = try hostUser("swiftlet-sdu")
        // The user's manager, as a login (or `loginctl enable-linger`) starts it.
        let start = inHost(["systemctl", "start", "user@\(user.uid).service"])
        guard start.status == 0 else { throw SetupError(message: "starting the user's manager: \(describe(start))") }
        for e in Engine.allCases { roots[e] = userStateRoot(user, "state-\(e.rawValue)") }
    }

    override func tearDownWithError() throws {
        for (e, id) in made { userRT(e, ["delete", "--force", id]) }
        made = []
        try super.tearDownWithError()
    }

    var userEnv: [String: String] { ["XDG_RUNTIME_DIR": user.runtimeDir] }

    @discardableResult
    func userRT(_ e: Engine, _ args: [String], env: [String: String]? = nil) -> ProcResult {
        let exe = e == .swiftlet ? Env.runtime : "/usr/sbin/runc"
        return asHostUser(user, [exe, "--root", roots[e]!, "--systemd-cgroup"] + args, env: env ?? userEnv)
    }

    func userShow(_ unit: String, _ props: [String]) -> [String: String] {
        properties(asHostUser(user, ["systemctl", "--user", "show", unit] + props.flatMap { ["-p", $0] }, env: userEnv))
    }

    func userPID(_ e: Engine, _ id: String) -> String { pid(inState: userRT(e, ["state", id])) }

    func userStatus(_ e: Engine, _ id: String) -> String { status(inState: userRT(e, ["state", id])) }

    /// Runs the bundle detached as the user under a new id in the default `runc-<id>.scope` of the
    /// user manager's user.slice: the id (deleted by tearDown), the unit and its cgroup path.
    func runInUserScope(_ e: Engine, bundle: String,
                        file: StaticString = #filePath, line: UInt = #line) -> (id: String, unit: String, cgroupPath: String) {
        let id = newID(e.rawValue)
        made.append((e, id))
        let unit = "runc-\(id).scope"
        let r = userRT(e, ["run", "-d", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "\(e) run -d: \(describe(r))", file: file, line: line)
        return (id, unit, user.managerGroup + "/user.slice/" + unit)
    }

    func existsInHost(_ path: String) -> Bool { inHost(["test", "-e", path]).status == 0 }

    func deleteAsUserAndCheckGone(_ e: Engine, _ id: String, unit: String, cgroupPath: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let d = userRT(e, ["delete", "--force", id])
        XCTAssertEqual(d.status, 0, "\(e) delete: \(describe(d))", file: file, line: line)
        XCTAssertEqual(userShow(unit, ["LoadState"])["LoadState"], "not-found", "\(e): unit \(unit) outlived delete", file: file, line: line)
        XCTAssertFalse(existsInHost("/sys/fs/cgroup" + cgroupPath), "\(e): \(cgroupPath) outlived delete", file: file, line: line)
        XCTAssertNotEqual(userRT(e, ["state", id]).status, 0, "\(e): state outlived delete", file: file, line: line)
    }

    // MARK: the scope in the user's manager

    /// Default cgroupsPath: `runc-<id>.scope` in the user manager's user.slice, for both runtimes; the
    /// scope's directory is the user's; exec joins it; pause/resume and delete work through it.
    func testScopeOfTheUsersManagerAsRunc() throws {
        let b = rootlessBundle(user)
        for e in Engine.allCases {
            let (id, unit, cgroupPath) = runInUserScope(e, bundle: b)
            let p = userShow(unit, ["ActiveState", "ControlGroup", "Slice", "Delegate"])
            XCTAssertEqual(p["ActiveState"], "active", "\(e): \(p)")
            XCTAssertEqual(p["ControlGroup"], cgroupPath, "\(e): \(p)")
            XCTAssertEqual(p["Slice"], "user.slice", "\(e): \(p)")
            XCTAssertEqual(p["Delegate"], "yes", "\(e): \(p)")
            // Not in the system manager.
            XCTAssertEqual(show(unit, ["LoadState"])["LoadState"], "not-found", "\(e)")
            let pid = userPID(e, id)
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.procs"), pid, "\(e): only init in the scope")
            XCTAssertEqual(inHost(["stat", "-c", "%U", "/sys/fs/cgroup" + cgroupPath]).stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                           user.name, "\(e): the scope's directory is the user's")
            let x = userRT(e, ["exec", id, "cat", "/proc/self/cgroup"])
            XCTAssertEqual(x.status, 0, "\(e) exec: \(describe(x))")
            // runc 1.1.5 cannot write the scope's cgroup.procs as the user, ignores that, and leaves the
            // process where the caller is (README, known differences); swiftlet has the manager move it.
            XCTAssertEqual(x.stdout.split(separator: "\n").contains { $0.hasPrefix("0::") && $0.hasSuffix(unit) }, e == .swiftlet,
                           "\(e) exec: \(describe(x))")
            XCTAssertEqual(userRT(e, ["pause", id]).status, 0, "\(e)")
            XCTAssertEqual(userStatus(e, id), "paused", "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.freeze"), "1", "\(e)")
            XCTAssertEqual(userRT(e, ["resume", id]).status, 0, "\(e)")
            XCTAssertEqual(userStatus(e, id), "running", "\(e)")
            deleteAsUserAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
    }

    /// A cgroup namespace (as `runc spec --rootless` asks for) is rooted in the scope: init is moved
    /// there by the manager before it makes the namespace.
    func testCgroupNamespaceRootedInTheScope() throws {
        let b = rootlessBundle(user) { c in c.addNamespace("cgroup") }
        for e in Engine.allCases {
            let (id, unit, cgroupPath) = runInUserScope(e, bundle: b)
            let pid = userPID(e, id)
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.procs"), pid, "\(e)")
            let x = userRT(e, ["exec", id, "cat", "/proc/1/cgroup"])
            XCTAssertTrue(x.stdout.split(separator: "\n").contains("0::/"), "\(e): init at its namespace's root: \(describe(x))")
            deleteAsUserAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
    }

    /// A `slice:prefix:name` path in the user's manager, and a `linux.resources.unified` file with no
    /// controller behind it, written by the user into the scope, at create and by `update`; `kill --all`
    /// through the scope.
    func testNamedScopeAndAUnifiedFileAsRunc() throws {
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            made.append((e, id))
            let b = rootlessBundle(user) { c in
                c[path: "linux.resources.unified"] = ["cgroup.max.descendants": "7"]
                c[path: "linux.cgroupsPath"] = "user.slice:swt:\(id)"
            }
            let unit = "swt-\(id).scope"
            let cgroupPath = user.managerGroup + "/user.slice/" + unit
            let r = userRT(e, ["create", "--bundle", b, id])
            XCTAssertEqual(r.status, 0, "\(e) create: \(describe(r))")
            XCTAssertEqual(userShow(unit, ["ControlGroup"])["ControlGroup"], cgroupPath, "\(e)")
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.max.descendants"), "7", "\(e)")
            // update goes through the user's manager (SetUnitProperties) and the files.
            let resources = hostDir("resources-\(e.rawValue)") + "/r.json"
            try #"{"unified": {"cgroup.max.descendants": "9"}}"#.write(toFile: resources, atomically: true, encoding: .utf8)
            let u = userRT(e, ["update", "-r", resources, id])
            XCTAssertEqual(u.status, 0, "\(e) update: \(describe(u))")
            XCTAssertEqual(file("/sys/fs/cgroup\(cgroupPath)/cgroup.max.descendants"), "9", "\(e)")
            XCTAssertEqual(userRT(e, ["start", id]).status, 0, "\(e)")
            let k = userRT(e, ["kill", "--all", id, "KILL"])
            XCTAssertEqual(k.status, 0, "\(e) kill --all: \(describe(k))")
            inHost(["sh", "-c", "while [ -s '/sys/fs/cgroup\(cgroupPath)/cgroup.procs' ]; do sleep 0.05; done"])
            XCTAssertEqual(userStatus(e, id), "stopped", "\(e)")
            deleteAsUserAndCheckGone(e, id, unit: unit, cgroupPath: cgroupPath)
        }
    }

    /// pids is not delegated to the user here (it is a v1 controller on this machine): the limit is
    /// refused naming the field, the unit started for it is stopped, nothing is left. runc fails too.
    func testLimitWithoutItsControllerIsRefusedAndTheUnitStopped() throws {
        let b = rootlessBundle(user) { c in c[path: "linux.resources.pids"] = ["limit": 100] }
        for e in Engine.allCases {
            let id = newID(e.rawValue)
            made.append((e, id))
            let r = userRT(e, ["run", "-d", "--bundle", b, id])
            XCTAssertNotEqual(r.status, 0, "\(e): \(describe(r))")
            if e == .swiftlet { XCTAssertTrue(r.stderr.contains("linux.resources.pids.limit"), r.stderr) }
            userRT(e, ["delete", "--force", id])  // runc leaves a stopped container
            XCTAssertEqual(userShow("runc-\(id).scope", ["LoadState"])["LoadState"], "not-found", "\(e)")
            XCTAssertFalse(existsInHost("/sys/fs/cgroup\(user.managerGroup)/user.slice/runc-\(id).scope"), "\(e)")
        }
        XCTAssertEqual(((try? FileManager.default.contentsOfDirectory(atPath: roots[.swiftlet]!)) ?? []), [])
    }

    /// Root of a user namespace whose root is the user outside (as rootless podman runs the runtime): the
    /// user's manager, as runc 1.1 picks it (its OwnerUID check), authenticated as the user. (runc 1.1.5 fails
    /// here before its cgroup is made: "failed to setns to host mntns".)
    func testRootOfAUserNamespaceUsesTheUsersManager() throws {
        let b = rootlessBundle(user) { c in
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 0, "size": 1]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 0, "size": 1]]
        }
        let id = newID()
        made.append((.swiftlet, id))
        let unit = "runc-\(id).scope"
        let cgroupPath = user.managerGroup + "/user.slice/" + unit
        // One user namespace for every command, as an engine keeps its own.
        let rt = "'\(Env.runtime)' --root '\(roots[.swiftlet]!)' --systemd-cgroup"
        let script = """
            \(rt) run -d --bundle '\(b)' \(id) || exit 1
            \(rt) state \(id) | grep '"pid"'
            systemctl --user show \(unit) -p ActiveState -p ControlGroup
            echo "procs=$(cat '/sys/fs/cgroup\(cgroupPath)/cgroup.procs')"
            \(rt) exec \(id) cat /proc/self/cgroup | grep ^0::
            \(rt) delete --force \(id)
            """
        let r = asHostUser(user, ["unshare", "--user", "--map-root-user", "sh", "-c", script], env: userEnv)
        XCTAssertEqual(r.status, 0, describe(r))
        let pid = r.stdout.split(separator: "\n").first { $0.contains("\"pid\"") }.map { $0.filter(\.isNumber) } ?? ""
        XCTAssertTrue(r.stdout.contains("ActiveState=active"), describe(r))
        XCTAssertTrue(r.stdout.contains("ControlGroup=" + cgroupPath), describe(r))
        XCTAssertTrue(r.stdout.contains("0::/") && r.stdout.split(separator: "\n").contains { $0.hasPrefix("0::") && $0.hasSuffix(unit) },
                      "exec's process in the scope: \(describe(r))")
        XCTAssertFalse(pid.isEmpty, describe(r))
        XCTAssertTrue(r.stdout.contains("procs=\(pid)\n"), "only init in the scope: \(describe(r))")
        XCTAssertEqual(show(unit, ["LoadState"])["LoadState"], "not-found", "not the system's manager")
        XCTAssertEqual(userShow(unit, ["LoadState"])["LoadState"], "not-found")
        XCTAssertFalse(existsInHost("/sys/fs/cgroup" + cgroupPath))
    }

    // MARK: which socket

    /// Without a session bus (the user's dbus.socket stopped: no $XDG_RUNTIME_DIR/bus), swiftlet talks to
    /// the manager's private socket; runc 1.1 has no bus to use and fails.
    func testWithoutASessionBusThroughTheManagersPrivateSocket() throws {
        let stop = asHostUser(user, ["systemctl", "--user", "stop", "dbus.socket", "dbus.service"], env: userEnv)
        XCTAssertEqual(stop.status, 0, describe(stop))
        defer { asHostUser(user, ["systemctl", "--user", "start", "dbus.socket"], env: userEnv) }
        // The socket file stays (RemoveOnStop=no): nothing listens on it.
        XCTAssertEqual(asHostUser(user, ["systemctl", "--user", "is-active", "dbus.socket"], env: userEnv).stdout
                        .trimmingCharacters(in: .whitespacesAndNewlines), "inactive")
        let b = rootlessBundle(user)
        let id = newID()
        made.append((.swiftlet, id))
        let unit = "runc-\(id).scope"
        let r = userRT(.swiftlet, ["run", "-d", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(userShow(unit, ["ActiveState"])["ActiveState"], "active")
        deleteAsUserAndCheckGone(.swiftlet, id, unit: unit, cgroupPath: user.managerGroup + "/user.slice/" + unit)

        let rid = newID("runc")
        made.append((.runc, rid))
        XCTAssertNotEqual(userRT(.runc, ["run", "-d", "--bundle", b, rid]).status, 0, "runc found a bus?")
    }

    /// $DBUS_SESSION_BUS_ADDRESS is used first (runc's order), with its %-escapes.
    func testSessionBusAddressFromTheEnvironment() throws {
        let b = rootlessBundle(user)
        let id = newID()
        made.append((.swiftlet, id))
        let unit = "runc-\(id).scope"
        // XDG_RUNTIME_DIR leads nowhere: only the address can find the manager.
        let env = ["XDG_RUNTIME_DIR": "/nonexistent", "DBUS_SESSION_BUS_ADDRESS": "unix:path=\(user.runtimeDir)/%62us,guid=0"]
        let r = userRT(.swiftlet, ["run", "-d", "--bundle", b, id], env: env)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(userShow(unit, ["ActiveState"])["ActiveState"], "active")
        let d = userRT(.swiftlet, ["delete", "--force", id], env: env)
        XCTAssertEqual(d.status, 0, describe(d))
        XCTAssertEqual(userShow(unit, ["LoadState"])["LoadState"], "not-found")
    }

    /// A user whose manager is not running: the error names the flag and every socket looked for, and
    /// nothing is left.
    func testWithoutTheUsersManagerTheErrorNamesTheFlag() throws {
        let other = try hostUser("swiftlet-sdn")
        let root = userStateRoot(other, "state-other")
        let id = newID()
        for env in [["XDG_RUNTIME_DIR": other.runtimeDir], [:]] {
            let r = asHostUser(other, [Env.runtime, "--root", root, "--systemd-cgroup", "run", "-d", "--bundle",
                                       rootlessBundle(other), id], env: env)
            XCTAssertNotEqual(r.status, 0, describe(r))
            for words in ["--systemd-cgroup", "DBUS_SESSION_BUS_ADDRESS", other.runtimeDir + "/bus",
                          other.runtimeDir + "/systemd/private", "uid \(other.uid)"] {
                XCTAssertTrue(r.stderr.contains(words), "\(env): \(words): \(r.stderr)")
            }
            XCTAssertEqual(((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []), [], "\(env)")
        }
    }
}
