import Foundation
import XCTest

/// Real engines from Debian's packages driving the runtime under test, offline, as root:
/// podman (through conmon, the runtime reached through a link named `runc` so that podman passes
/// --log-format=json) and containerd 1.6 (own config, root, state and socket in a temporary
/// directory; `ctr run --runc-binary` through the io.containerd.runc.v2 shim). Each test is one
/// everyday operation and asserts what the user sees; the same tests pass with runc as the runtime.
/// The engines are set up once per test process and torn down by the class tearDown.
final class EngineTests: IntegrationTestCase {
    static let work = "/tmp/swiftlet-engines-\(getpid())"
    static var podmanReady: String?
    static var containerdPID: Int32 = 0
    static var containerdReady: String?
    /// The engines' own parent cgroups (podman's `libpod_parent`, containerd's per-namespace `test`)
    /// that existed before: only the ones the engines make here are removed afterwards.
    static let engineCgroupNames = ["libpod_parent", "test"]
    static var cgroupsBefore: Set<String> = []

    static func engineCgroups() -> Set<String> {
        let roots = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []).map { "/sys/fs/cgroup/" + $0 }
        return Set(roots.flatMap { root in engineCgroupNames.map { root + "/" + $0 } }
            .filter { FileManager.default.fileExists(atPath: $0 + "/cgroup.procs") })
    }

    override class func setUp() {
        super.setUp()
        cgroupsBefore = engineCgroups()
    }

    static var podman: [String] {
        ["podman", "--root", work + "/storage", "--runroot", work + "/run", "--tmpdir", work + "/tmp",
         "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
         "--runtime", work + "/bin/runc"]
    }

    static var podmanRunFlags: [String] {
        var hard = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &hard)
        let pidMax = ((try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? "4194304")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The hard nofile limit here is below podman's default request, and CAP_SYS_RESOURCE is absent.
        return ["--network", "none", "--ulimit", "nofile=\(hard.rlim_max):\(hard.rlim_max)",
                "--ulimit", "nproc=\(pidMax):\(pidMax)"]
    }

    static func shared(_ args: [String]) -> String { args.map { "'\($0)'" }.joined(separator: " ") }

    /// Imports the busybox image once; nil when ready, else why not.
    static func setUpPodman() -> String? {
        if let r = podmanReady { return r.isEmpty ? nil : r }
        // A busybox root filesystem and its tarball, from Debian's busybox-static.
        let image = Host.sh("""
            set -e; W='\(work)'; mkdir -p "$W/bin" "$W"/rootfs/bin "$W"/rootfs/etc "$W"/rootfs/proc "$W"/rootfs/sys \\
              "$W"/rootfs/dev "$W"/rootfs/tmp "$W"/rootfs/root
            # podman passes no --root: without one the runtime would keep state (seccomp filter cache
            # included) in its default root, outside this test's directory. The name must be `runc`
            # for podman to pass --log-format json.
            cat > "$W/bin/runc" <<'EOS'
            #!/bin/sh
            exec '\(Env.runtime)' --root '\(work)/runtime-root' "$@"
            EOS
            chmod 755 "$W/bin/runc"
            cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
            for a in $("$W/rootfs/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$W/rootfs/bin/$a"; done
            echo 'root:x:0:0:root:/root:/bin/sh' > "$W/rootfs/etc/passwd"; echo 'root:x:0:' > "$W/rootfs/etc/group"
            chmod 1777 "$W/rootfs/tmp"; tar -C "$W/rootfs" -cf "$W/busybox-rootfs.tar" .
            """, timeout: 120)
        if image.status != 0 { podmanReady = "image: \(describe(image))"; return podmanReady }
        let imp = Host.exec("/usr/bin/env", podman + ["import", "-q", work + "/busybox-rootfs.tar", "localhost/busybox"], timeout: 120)
        podmanReady = imp.status == 0 ? "" : "podman import: \(describe(imp))"
        return podmanReady!.isEmpty ? nil : podmanReady
    }

    static func setUpContainerd() -> String? {
        if let r = containerdReady { return r.isEmpty ? nil : r }
        if let e = setUpPodman() { containerdReady = e; return e }
        let c = work + "/containerd"
        try? FileManager.default.createDirectory(atPath: c, withIntermediateDirectories: true)
        let config = """
        version = 2
        root = "\(c)/root"
        state = "\(c)/state"
        disabled_plugins = ["io.containerd.grpc.v1.cri"]
        [grpc]
          address = "\(c)/containerd.sock"
        [ttrpc]
          address = "\(c)/containerd.sock.ttrpc"
        [debug]
          address = "\(c)/debug.sock"
        [metrics]
          address = ""
        """
        try? config.write(toFile: c + "/config.toml", atomically: true, encoding: .utf8)
        let started = Host.sh("setsid containerd --config '\(c)/config.toml' > '\(c)/containerd.log' 2>&1 & echo $!")
        containerdPID = Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: c + "/containerd.sock") { usleep(100_000) }
        containerdReady = FileManager.default.fileExists(atPath: c + "/containerd.sock") ? "" : "containerd did not start"
        return containerdReady!.isEmpty ? nil : containerdReady
    }

    override class func tearDown() {
        if podmanReady != nil {
            _ = Host.exec("/usr/bin/env", podman + ["rm", "-af", "-t", "0"], timeout: 60)
            _ = Host.exec("/usr/bin/env", podman + ["rmi", "-af"], timeout: 60)
        }
        if containerdPID > 0 {
            let ctr = ["ctr", "-a", work + "/containerd/containerd.sock", "-n", "test"]
            let tasks = Host.exec("/usr/bin/env", ctr + ["task", "ls", "-q"]).stdout.split(separator: "\n")
            for t in tasks { _ = Host.exec("/usr/bin/env", ctr + ["task", "kill", "-s", "SIGKILL", String(t)]) }
            usleep(500_000)
            for t in tasks { _ = Host.exec("/usr/bin/env", ctr + ["task", "delete", "-f", String(t)]) }
            let cs = Host.exec("/usr/bin/env", ctr + ["container", "ls", "-q"]).stdout.split(separator: "\n")
            for c in cs { _ = Host.exec("/usr/bin/env", ctr + ["container", "delete", String(c)]) }
            kill(containerdPID, SIGTERM)
            for _ in 0..<50 where kill(containerdPID, 0) == 0 { usleep(100_000) }
            kill(containerdPID, SIGKILL)
        }
        Host.sh("grep -o ' \(work)[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null; rm -rf '\(work)'")
        // Deepest first; a cgroup with processes left in it stays, and the leak checks report it.
        for dir in engineCgroups().subtracting(cgroupsBefore) {
            Host.sh("find '\(dir)' -depth -type d -exec rmdir {} \\; 2>/dev/null")
        }
        super.tearDown()
    }

    // MARK: podman

    func podman(_ args: [String], timeout: TimeInterval = 60) -> ProcResult {
        Host.exec("/usr/bin/env", EngineTests.podman + args, timeout: timeout)
    }

    func podmanRun(_ flags: [String], _ command: [String]) -> ProcResult {
        podman(["run", "--rm"] + EngineTests.podmanRunFlags + flags + ["localhost/busybox"] + command)
    }

    /// `script` gives the engine a terminal on stdin/stdout.
    func withTTY(_ args: [String]) -> ProcResult {
        Host.exec("/usr/bin/script", ["-qec", EngineTests.shared(args), "/dev/null"], timeout: 60)
    }

    func requirePodman() throws {
        if let e = EngineTests.setUpPodman() { throw SetupError(message: e) }
    }

    func testPodmanRunEchoAndExitCode() throws {
        try requirePodman()
        let r = podmanRun([], ["echo", "hi"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "hi\n", describe(r))
        XCTAssertEqual(podmanRun([], ["sh", "-c", "exit 7"]).status, 7)
    }

    func testPodmanRunWithTTY() throws {
        try requirePodman()
        let r = withTTY(EngineTests.podman + ["run", "--rm", "-t"] + EngineTests.podmanRunFlags + ["localhost/busybox", "tty"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.contains("/dev/pts/0"), describe(r))
    }

    func testPodmanDetachExecPsTopStopRm() throws {
        try requirePodman()
        let name = token + "-p"
        let d = podman(["run", "-d", "--name", name] + EngineTests.podmanRunFlags + ["localhost/busybox", "sleep", "1000"])
        XCTAssertEqual(d.status, 0, describe(d))
        defer { _ = podman(["rm", "-f", "-t", "0", name]) }
        let e = podman(["exec", name, "sh", "-c", "echo in-exec; exit 3"])
        XCTAssertEqual(e.status, 3, describe(e))
        XCTAssertEqual(e.stdout, "in-exec\n", describe(e))
        let t = withTTY(EngineTests.podman + ["exec", "-t", name, "tty"])
        XCTAssertEqual(t.status, 0, describe(t))
        XCTAssertTrue(t.stdout.contains("/dev/pts/"), describe(t))
        let ps = podman(["ps", "--format", "{{.Names}} {{.Status}}"])
        XCTAssertTrue(ps.stdout.contains(name + " Up"), describe(ps))
        let top = podman(["top", name])
        XCTAssertEqual(top.status, 0, describe(top))
        XCTAssertTrue(top.stdout.contains("sleep 1000"), describe(top))
        // sleep as pid 1 ignores SIGTERM: stop falls back to SIGKILL after the timeout.
        let stop = podman(["stop", "-t", "1", name])
        XCTAssertEqual(stop.status, 0, describe(stop))
        let st = podman(["inspect", "--format", "{{.State.Status}}", name])
        XCTAssertEqual(st.stdout, "exited\n", describe(st))
        let rm = podman(["rm", name])
        XCTAssertEqual(rm.status, 0, describe(rm))
    }

    func testPodmanKillAndRmForce() throws {
        try requirePodman()
        let name = token + "-k"
        XCTAssertEqual(podman(["run", "-d", "--name", name] + EngineTests.podmanRunFlags + ["localhost/busybox", "sleep", "1000"]).status, 0)
        let k = podman(["kill", name])
        XCTAssertEqual(k.status, 0, describe(k))
        let w = podman(["wait", name])
        XCTAssertEqual(w.stdout, "137\n", describe(w))
        XCTAssertEqual(podman(["run", "-d", "--name", name + "2"] + EngineTests.podmanRunFlags + ["localhost/busybox", "sleep", "1000"]).status, 0)
        let rm = podman(["rm", "-f", "-t", "0", name, name + "2"])
        XCTAssertEqual(rm.status, 0, describe(rm))
        XCTAssertFalse(podman(["ps", "-a", "--format", "{{.Names}}"]).stdout.contains(name))
    }

    func testPodmanPauseUnpauseStats() throws {
        try requirePodman()
        let name = token + "-s"
        XCTAssertEqual(podman(["run", "-d", "--name", name] + EngineTests.podmanRunFlags + ["localhost/busybox", "sleep", "1000"]).status, 0)
        defer { _ = podman(["rm", "-f", "-t", "0", name]) }
        let p = podman(["pause", name])
        XCTAssertEqual(p.status, 0, describe(p))
        XCTAssertEqual(podman(["inspect", "--format", "{{.State.Status}}", name]).stdout, "paused\n")
        let u = podman(["unpause", name])
        XCTAssertEqual(u.status, 0, describe(u))
        XCTAssertEqual(podman(["inspect", "--format", "{{.State.Status}}", name]).stdout, "running\n")
        let s = podman(["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", name])
        XCTAssertEqual(s.status, 0, describe(s))
        XCTAssertTrue(s.stdout.hasPrefix(name + " 1"), describe(s))
    }

    func testPodmanUserReadOnlyCapDrop() throws {
        try requirePodman()
        let u = podmanRun(["--user", "1000:1001"], ["sh", "-c", "id -u; id -g"])
        XCTAssertEqual(u.stdout, "1000\n1001\n", describe(u))
        let ro = podmanRun(["--read-only"], ["sh", "-c", "touch /x 2>/dev/null && echo wrote || echo read-only"])
        XCTAssertEqual(ro.stdout, "read-only\n", describe(ro))
        let caps = podmanRun(["--cap-drop", "ALL"], ["grep", "CapEff", "/proc/self/status"])
        XCTAssertEqual(caps.stdout, "CapEff:\t0000000000000000\n", describe(caps))
    }

    func testPodmanMemoryAndPidsLimit() throws {
        try requirePodman()
        let m = podmanRun(["--memory", "64m"], ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])
        XCTAssertEqual(m.stdout, "\(64 << 20)\n", describe(m))
        let p = podmanRun(["--pids-limit", "42"], ["cat", "/sys/fs/cgroup/pids/pids.max"])
        XCTAssertEqual(p.stdout, "42\n", describe(p))
    }

    func testPodmanSeccompProfile() throws {
        try requirePodman()
        let profile = scratch + "/seccomp.json"
        let json: [String: Any] = [
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"]],
        ]
        try jsonText(json).write(toFile: profile, atomically: true, encoding: .utf8)
        let r = podmanRun(["--security-opt", "seccomp=" + profile], ["sh", "-c", "mkdir /tmp/d 2>/dev/null && echo made || echo denied"])
        XCTAssertEqual(r.stdout, "denied\n", describe(r))
    }

    // MARK: containerd

    var ctr: [String] { ["ctr", "-a", EngineTests.work + "/containerd/containerd.sock", "-n", "test"] }
    var runcFlags: [String] {
        ["--runc-binary", Env.runtime, "--runc-root", EngineTests.work + "/containerd/runtime-root"]
    }
    var rootfs: String { EngineTests.work + "/rootfs" }

    func ctr(_ args: [String], timeout: TimeInterval = 60) -> ProcResult {
        Host.exec("/usr/bin/env", ctr + args, timeout: timeout)
    }

    func requireContainerd() throws {
        if let e = EngineTests.setUpContainerd() { throw SetupError(message: e) }
    }

    func testContainerdRunEchoAndExitCode() throws {
        try requireContainerd()
        let r = ctr(["run", "--rm"] + runcFlags + ["--rootfs", rootfs, token + "-e", "/bin/echo", "hi"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "hi\n", describe(r))
        let x = ctr(["run", "--rm"] + runcFlags + ["--rootfs", rootfs, token + "-x", "/bin/sh", "-c", "exit 7"])
        XCTAssertEqual(x.status, 7, describe(x))
    }

    func testContainerdRunWithTTY() throws {
        try requireContainerd()
        let r = withTTY(ctr + ["run", "--rm", "-t"] + runcFlags + ["--rootfs", rootfs, token + "-t", "/bin/tty"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.contains("/dev/pts/0"), describe(r))
    }

    func testContainerdDetachExecPsPauseKillDelete() throws {
        try requireContainerd()
        let id = token + "-d"
        let d = ctr(["run", "-d"] + runcFlags + ["--rootfs", rootfs, id, "/bin/sleep", "1000"])
        XCTAssertEqual(d.status, 0, describe(d))
        defer {
            _ = ctr(["task", "kill", "-s", "SIGKILL", id])
            usleep(300_000)
            _ = ctr(["task", "delete", "-f", id])
            _ = ctr(["container", "delete", id])
        }
        let e = ctr(["task", "exec", "--exec-id", "e1", id, "/bin/sh", "-c", "echo in-exec; exit 4"])
        XCTAssertEqual(e.status, 4, describe(e))
        XCTAssertEqual(e.stdout, "in-exec\n", describe(e))
        let ps = ctr(["task", "ps", id])
        XCTAssertEqual(ps.status, 0, describe(ps))
        let pause = ctr(["task", "pause", id])
        XCTAssertEqual(pause.status, 0, describe(pause))
        XCTAssertTrue(ctr(["task", "ls"]).stdout.contains("PAUSED"))
        XCTAssertEqual(ctr(["task", "resume", id]).status, 0)
        let k = ctr(["task", "kill", "-s", "SIGKILL", id])
        XCTAssertEqual(k.status, 0, describe(k))
        var stopped = false
        for _ in 0..<50 where !stopped {
            stopped = ctr(["task", "ls"]).stdout.contains("STOPPED")
            if !stopped { usleep(100_000) }
        }
        XCTAssertTrue(stopped, "task not stopped after SIGKILL")
        let del = ctr(["task", "delete", id])
        XCTAssertEqual(del.status, 0, describe(del))
        XCTAssertEqual(ctr(["container", "delete", id]).status, 0)
    }

    func testContainerdShowsRuntimeErrors() throws {
        try requireContainerd()
        let r = ctr(["run", "--rm"] + runcFlags + ["--rootfs", rootfs, token + "-m", "/no/such/program"])
        XCTAssertNotEqual(r.status, 0, describe(r))
        // The runtime's JSON log line reaches the user as a message, not as JSON.
        XCTAssertTrue(r.stderr.contains("/no/such/program"), describe(r))
        XCTAssertFalse(r.stderr.contains("{\"level\""), describe(r))
        _ = ctr(["container", "delete", token + "-m"])
    }
}
