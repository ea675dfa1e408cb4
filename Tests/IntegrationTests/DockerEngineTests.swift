import Foundation
import XCTest

/// dockerd (Debian 12's docker.io 20.10) with the runtime under test as its default runtime
/// (`--add-runtime` / `--default-runtime`), offline: its own data root, exec root, socket and
/// configuration file in a directory of this test process, no bridge and no iptables rules, the
/// cgroupfs driver. The image is the busybox rootfs packed as a docker archive and `docker load`ed.
/// dockerd runs its own containerd, whose io.containerd.runc.v2 shim calls the runtime with
/// `--root <exec root>/runtime-runc/moby`.
final class DockerEngineTests: IntegrationTestCase {
    static let work = "/tmp/swiftlet-docker-\(getpid())"
    static let image = "localhost/busybox:swiftlet-test"
    static var runtimeRoot: String { work + "/exec/runtime-runc/moby" }
    static var dockerdPID: Int32 = 0
    static var ready: String?
    /// What dockerd makes outside its directories, removed afterwards when it was not there before:
    /// its identity key, its plugin directory, and the `docker` parent cgroup in each hierarchy.
    static let keyWasThere = FileManager.default.fileExists(atPath: "/etc/docker/key.json")
    static let runDockerWasThere = FileManager.default.fileExists(atPath: "/run/docker")
    static let dockerCgroupsBefore = dockerCgroups()

    static func dockerCgroups() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
            .map { "/sys/fs/cgroup/\($0)/docker" }.filter { FileManager.default.fileExists(atPath: $0) })
    }

    /// Debian's client, not another one earlier in PATH.
    static var docker: [String] { ["/usr/bin/docker", "-H", "unix://\(work)/docker.sock"] }

    static func setUpDockerd() -> String? {
        setUpOnce(&ready, startDockerd)
    }

    private static func startDockerd() -> String? {
        _ = (keyWasThere, runDockerWasThere, dockerCgroupsBefore)
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/docker") else {
            return "dockerd or /usr/bin/docker missing (package docker.io; tools/deps.sh test installs it)"
        }
        if let e = Env.rootfsError { return e }
        let w = work
        try? FileManager.default.createDirectory(atPath: w, withIntermediateDirectories: true)
        // Its own (empty) configuration file: nothing from the machine's /etc/docker/daemon.json.
        try? "{}".write(toFile: w + "/daemon.json", atomically: true, encoding: .utf8)
        let pack = Host.exec("/usr/bin/python3", [Env.repo + "/Tests/IntegrationTests/Fixtures/engines/docker-archive.py",
                                                  w + "/busybox.tar", image, Env.sharedRootfs,
                                                  #"{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}"#],
                             timeout: 120)
        if pack.status != 0 { return "packing the image: \(describe(pack))" }
        let started = Host.sh("""
            setsid dockerd --config-file '\(w)/daemon.json' --data-root '\(w)/data' --exec-root '\(w)/exec' \\
              --pidfile '\(w)/docker.pid' -H 'unix://\(w)/docker.sock' \\
              --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \\
              --storage-driver overlay2 --exec-opt native.cgroupdriver=cgroupfs \\
              --add-runtime swiftlet='\(Env.runtime)' --default-runtime swiftlet \\
              > '\(w)/dockerd.log' 2>&1 < /dev/null & echo $!
            """)
        dockerdPID = Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        var up = false
        for _ in 0..<150 where !up {
            up = Host.exec("/usr/bin/env", docker + ["version"], timeout: 10).status == 0
            if !up { usleep(200_000) }
        }
        guard up else {
            return "dockerd did not start: " + ((try? String(contentsOfFile: w + "/dockerd.log", encoding: .utf8)) ?? "")
        }
        let load = Host.exec("/usr/bin/env", docker + ["load", "-i", w + "/busybox.tar"], timeout: 120)
        return load.status == 0 ? nil : "docker load: \(describe(load))"
    }

    override class func tearDown() {
        if dockerdPID > 0 {
            let all = Host.exec("/usr/bin/env", docker + ["ps", "-aq"]).stdout.split(separator: "\n").map(String.init)
            if !all.isEmpty { _ = Host.exec("/usr/bin/env", docker + ["rm", "-f"] + all, timeout: 60) }
            kill(dockerdPID, SIGTERM)
            for _ in 0..<100 where kill(dockerdPID, 0) == 0 { usleep(100_000) }
            kill(dockerdPID, SIGKILL)
        }
        // What a runtime that failed left: its containers, and the shims of this dockerd's containerd.
        Host.sh("""
            for id in $(ls '\(runtimeRoot)' 2>/dev/null); do '\(Env.runtime)' --root '\(runtimeRoot)' delete --force "$id" 2>/dev/null; done
            for pid in $(pgrep -f -- 'shim.* -address \(work)/exec/containerd/containerd.sock'); do [ "$pid" = $$ ] || kill -9 "$pid"; done
            grep -o ' \(work)[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
            rm -rf '\(work)' 2>/dev/null || { sleep 1; rm -rf '\(work)'; }
            """, timeout: 60)
        if !keyWasThere { try? FileManager.default.removeItem(atPath: "/etc/docker/key.json") }
        if !runDockerWasThere { try? FileManager.default.removeItem(atPath: "/run/docker") }
        for dir in dockerCgroups().subtracting(dockerCgroupsBefore) {
            Host.sh("find '\(dir)' -depth -type d -exec rmdir {} \\; 2>/dev/null")
        }
        super.tearDown()
    }

    func requireDockerd() throws {
        if let e = DockerEngineTests.setUpDockerd() { throw SetupError(message: e) }
    }

    func docker(_ args: [String], timeout: TimeInterval = 60) -> ProcResult {
        Host.exec("/usr/bin/env", DockerEngineTests.docker + args, timeout: timeout)
    }

    /// `docker run` flags of every container here: no network (there is no bridge), and the token in
    /// the environment for the harness's process leak check.
    var runFlags: [String] { ["--network", "none", "-e", "SWIFTLET_TEST_ID=\(token)"] }

    /// `script` gives the client a terminal on stdin/stdout.
    func withTTY(_ args: [String]) -> ProcResult {
        Host.exec("/usr/bin/script", ["-qec", args.map { "'\($0)'" }.joined(separator: " "), "/dev/null"], timeout: 60)
    }

    func inspect(_ name: String, _ format: String) -> String {
        docker(["inspect", "--format", format, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `docker inspect` until `format` gives `want`; the last value seen.
    func waitInspect(_ name: String, _ format: String, _ want: String, timeout: TimeInterval = 20) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var v = inspect(name, format)
        while v != want && Date() < deadline {
            usleep(200_000)
            v = inspect(name, format)
        }
        return v
    }

    func testDefaultRuntimeIsTheRuntimeUnderTest() throws {
        try requireDockerd()
        let info = docker(["info", "--format", "{{.DefaultRuntime}} {{json .Runtimes}}"])
        XCTAssertTrue(info.stdout.hasPrefix("swiftlet "), describe(info))
        XCTAssertTrue(info.stdout.contains(Env.runtime), describe(info))
    }

    func testRunOutputAndExitCode() throws {
        try requireDockerd()
        let r = docker(["run", "--rm"] + runFlags + [DockerEngineTests.image, "sh", "-c", "echo hi; echo err >&2"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "hi\n", describe(r))
        XCTAssertEqual(r.stderr, "err\n", describe(r))
        let x = docker(["run", "--rm"] + runFlags + [DockerEngineTests.image, "sh", "-c", "exit 7"])
        XCTAssertEqual(x.status, 7, describe(x))
        let t = withTTY(DockerEngineTests.docker + ["run", "--rm", "-t"] + runFlags + [DockerEngineTests.image, "tty"])
        XCTAssertEqual(t.status, 0, describe(t))
        XCTAssertTrue(t.stdout.contains("/dev/pts/0"), describe(t))
    }

    func testDetachedExecExecTTYStopRm() throws {
        try requireDockerd()
        let name = token + "-d"
        let d = docker(["run", "-d", "--name", name] + runFlags + [DockerEngineTests.image, "sleep", "1000"])
        XCTAssertEqual(d.status, 0, describe(d))
        defer { _ = docker(["rm", "-f", name]) }
        let id = d.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The container is the runtime's: its state, under dockerd's runtime root, says so.
        let state = Host.exec(Env.runtime, ["--root", DockerEngineTests.runtimeRoot, "state", id])
        XCTAssertEqual((parseJSON(state.stdout) as? [String: Any])?["status"] as? String, "running", describe(state))
        let e = docker(["exec", name, "sh", "-c", "echo in-exec; echo exec-err >&2; exit 3"])
        XCTAssertEqual(e.status, 3, describe(e))
        XCTAssertEqual(e.stdout, "in-exec\n", describe(e))
        XCTAssertEqual(e.stderr, "exec-err\n", describe(e))
        let t = withTTY(DockerEngineTests.docker + ["exec", "-t", name, "tty"])
        XCTAssertEqual(t.status, 0, describe(t))
        XCTAssertTrue(t.stdout.contains("/dev/pts/"), describe(t))
        let top = docker(["top", name])
        XCTAssertTrue(top.stdout.contains("sleep 1000"), describe(top))
        // sleep as pid 1 ignores SIGTERM: stop sends SIGKILL after its timeout.
        let stop = docker(["stop", "-t", "1", name])
        XCTAssertEqual(stop.status, 0, describe(stop))
        XCTAssertEqual(inspect(name, "{{.State.Status}} {{.State.ExitCode}}"), "exited 137")
        let rm = docker(["rm", name])
        XCTAssertEqual(rm.status, 0, describe(rm))
        XCTAssertNotEqual(Host.exec(Env.runtime, ["--root", DockerEngineTests.runtimeRoot, "state", id]).status, 0,
                          "the runtime still knows \(id) after docker rm")
    }

    /// `--memory` and `--cpus` reach the container's cgroup; `docker update` changes them on a running
    /// container (the shim's `update --resources -`), `docker pause` freezes it.
    func testMemoryAndCPULimitsUpdatePause() throws {
        try requireDockerd()
        let m = docker(["run", "--rm", "--memory", "64m"] + runFlags + [DockerEngineTests.image, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])
        XCTAssertEqual(m.status, 0, describe(m))
        XCTAssertEqual(m.stdout, "\(64 << 20)\n", describe(m))
        let name = token + "-u"
        let d = docker(["run", "-d", "--name", name, "--memory", "64m", "--memory-swap", "64m", "--cpus", "0.5"] + runFlags
                       + [DockerEngineTests.image, "sleep", "1000"])
        XCTAssertEqual(d.status, 0, describe(d))
        defer { _ = docker(["rm", "-f", name]) }
        let limits = ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"]
        XCTAssertEqual(docker(["exec", name] + limits).stdout, "\(64 << 20)\n50000\n")
        let u = docker(["update", "--memory", "128m", "--memory-swap", "128m", "--cpus", "0.25", name])
        XCTAssertEqual(u.status, 0, describe(u))
        XCTAssertEqual(docker(["exec", name] + limits).stdout, "\(128 << 20)\n25000\n")
        let p = docker(["pause", name])
        XCTAssertEqual(p.status, 0, describe(p))
        XCTAssertEqual(inspect(name, "{{.State.Status}}"), "paused")
        let id = inspect(name, "{{.Id}}")
        let state = Host.exec(Env.runtime, ["--root", DockerEngineTests.runtimeRoot, "state", id])
        XCTAssertEqual((parseJSON(state.stdout) as? [String: Any])?["status"] as? String, "paused", describe(state))
        XCTAssertEqual(docker(["unpause", name]).status, 0)
        XCTAssertEqual(docker(["exec", name, "echo", "thawed"]).stdout, "thawed\n")
    }

    /// dockerd's restart manager brings a container back after it exits: `on-failure:2` runs it three
    /// times in all; `always` restarts one whose process was killed from outside.
    func testRestartPolicyBringsTheContainerBack() throws {
        try requireDockerd()
        let failing = token + "-f"
        let f = docker(["run", "-d", "--name", failing, "--restart", "on-failure:2"] + runFlags
                       + [DockerEngineTests.image, "sh", "-c", "echo run; sleep 0.2; exit 3"])
        XCTAssertEqual(f.status, 0, describe(f))
        defer { _ = docker(["rm", "-f", failing]) }
        XCTAssertEqual(waitInspect(failing, "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", "2 exited 3", timeout: 30),
                       "2 exited 3")
        XCTAssertEqual(docker(["logs", failing]).stdout, "run\nrun\nrun\n")

        let always = token + "-a"
        let a = docker(["run", "-d", "--name", always, "--restart", "always"] + runFlags + [DockerEngineTests.image, "sleep", "1000"])
        XCTAssertEqual(a.status, 0, describe(a))
        defer { _ = docker(["rm", "-f", always]) }
        let firstPid = Int32(inspect(always, "{{.State.Pid}}")) ?? 0
        XCTAssertGreaterThan(firstPid, 0)
        kill(firstPid, SIGKILL)
        XCTAssertEqual(waitInspect(always, "{{.RestartCount}} {{.State.Status}}", "1 running"), "1 running")
        let secondPid = Int32(inspect(always, "{{.State.Pid}}")) ?? 0
        XCTAssertNotEqual(secondPid, firstPid)
        XCTAssertGreaterThan(secondPid, 0)
        let e = docker(["exec", always, "echo", "back"])
        XCTAssertEqual(e.stdout, "back\n", describe(e))
    }
}
