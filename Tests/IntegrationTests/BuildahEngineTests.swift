import Foundation
import XCTest

/// Debian 12's buildah (1.28) building images whose Containerfile has RUN steps, executed by the
/// runtime under test (`--runtime`, OCI isolation, no network, cgroupfs), offline: the base image is
/// the busybox rootfs packed as a docker archive and pulled from it, into storage (vfs), run and
/// temporary directories of this test process. The runtime is reached through a wrapper that gives
/// it a state root there and records the command lines buildah sends.
final class BuildahEngineTests: IntegrationTestCase {
    static let work = "/tmp/swiftlet-buildah-\(getpid())"
    static let base = "localhost/busybox:swiftlet-test"
    static var ready: String?

    static var buildah: [String] {
        ["buildah", "--root", work + "/storage", "--runroot", work + "/run", "--storage-driver", "vfs"]
    }
    /// The flags of every step that runs a container.
    static var runFlags: [String] {
        ["--runtime", work + "/bin/runtime", "--isolation", "oci", "--network", "none", "--cgroup-manager", "cgroupfs"]
    }

    static func setUpBuildah() -> String? {
        setUpOnce(&ready, prepare)
    }

    private static func prepare() -> String? {
        guard Host.sh("command -v buildah").status == 0 else {
            return "buildah missing (tools/deps.sh test installs it)"
        }
        if let e = Env.rootfsError { return e }
        let w = work
        let setup = Host.sh("""
            set -e; mkdir -p '\(w)/bin' '\(w)/tmp'
            cat > '\(w)/bin/runtime' <<'EOS'
            #!/bin/sh
            echo "$*" >> '\(w)/runtime-calls'
            exec '\(Env.runtime)' --root '\(w)/runtime-root' "$@"
            EOS
            chmod 755 '\(w)/bin/runtime'
            /usr/bin/python3 '\(Env.repo)/Tests/IntegrationTests/Fixtures/engines/docker-archive.py' '\(w)/busybox.tar' '\(base)' \\
              '\(Env.sharedRootfs)' '{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
            """, timeout: 120)
        if setup.status != 0 { return "setup: \(describe(setup))" }
        let pull = run(["pull", "-q", "docker-archive:" + w + "/busybox.tar"])
        return pull.status == 0 ? nil : "buildah pull docker-archive: \(describe(pull))"
    }

    /// buildah with its temporary files (TMPDIR) in the test's directory.
    static func run(_ args: [String], timeout: TimeInterval = 120) -> ProcResult {
        Host.exec("/usr/bin/env", ["TMPDIR=" + work + "/tmp"] + buildah + args, timeout: timeout)
    }

    override class func tearDown() {
        if ready != nil {
            _ = run(["rm", "-a"])
            _ = run(["rmi", "-af"])
        }
        Host.sh("""
            for id in $(ls '\(work)/runtime-root' 2>/dev/null); do '\(Env.runtime)' --root '\(work)/runtime-root' delete --force "$id" 2>/dev/null; done
            grep -o ' \(work)[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
            rm -rf '\(work)' 2>/dev/null || { sleep 1; rm -rf '\(work)'; }
            """, timeout: 60)
        super.tearDown()
    }

    func requireBuildah() throws {
        if let e = BuildahEngineTests.setUpBuildah() { throw SetupError(message: e) }
    }

    func buildah(_ args: [String]) -> ProcResult { BuildahEngineTests.run(args) }

    /// The runtime command lines buildah sent since `mark` (a line count of the log).
    func runtimeCalls(since mark: Int = 0) -> [String] {
        let text = (try? String(contentsOfFile: BuildahEngineTests.work + "/runtime-calls", encoding: .utf8)) ?? ""
        return Array(text.split(separator: "\n").map(String.init).dropFirst(mark))
    }

    /// The containers in the runtime's state root (runc prints `null` for none).
    func runtimeContainers() -> [String] {
        let list = Host.exec(Env.runtime, ["--root", BuildahEngineTests.work + "/runtime-root", "list", "--format", "json"])
        return (parseJSON(list.stdout) as? [[String: Any]] ?? []).map { $0["id"] as? String ?? "" }
    }

    /// Writes a build context with this Containerfile; returns its directory.
    func context(_ containerfile: String) -> String {
        let dir = hostDir("context")
        try! containerfile.write(toFile: dir + "/Containerfile", atomically: true, encoding: .utf8)
        return dir
    }

    func bud(_ tag: String, _ dir: String) -> ProcResult {
        // The token reaches the RUN steps' environment as a build argument (the harness's process leak check).
        buildah(["bud", "--pull-never"] + BuildahEngineTests.runFlags
                + ["--build-arg", "SWIFTLET_TEST_ID=\(token)", "-t", tag, "-f", dir + "/Containerfile", dir])
    }

    func testBudRunStepsExecuteThroughTheRuntime() throws {
        try requireBuildah()
        let mark = runtimeCalls().count
        let tag = "localhost/\(token)-built:latest"
        let dir = context("""
            FROM \(BuildahEngineTests.base)
            ARG SWIFTLET_TEST_ID
            RUN echo built-by-run > /built.txt && id -u >> /built.txt
            RUN ["sh", "-c", "cat /built.txt > /copy.txt; grep -c ^CapEff /proc/self/status >> /copy.txt"]
            CMD ["cat", "/copy.txt"]
            """)
        let b = bud(tag, dir)
        XCTAssertEqual(b.status, 0, describe(b))
        defer { _ = buildah(["rmi", "-f", tag]) }
        // Each RUN step is one container of the runtime: create, start, state, delete.
        let calls = runtimeCalls(since: mark)
        XCTAssertEqual(calls.filter { $0.hasPrefix("create --bundle ") }.count, 2, "\(calls)")
        XCTAssertEqual(calls.filter { $0.hasPrefix("start ") }.count, 2, "\(calls)")
        XCTAssertEqual(calls.filter { $0.hasPrefix("delete ") }.count, 2, "\(calls)")
        let cmd = buildah(["inspect", "--format", "{{.OCIv1.Config.Cmd}}", tag])
        XCTAssertEqual(cmd.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[cat /copy.txt]", describe(cmd))
        // What the RUN steps wrote is in the image: a container of it shows it (buildah run, again the runtime).
        let from = buildah(["from", "--pull-never", "--name", token + "-c", tag])
        XCTAssertEqual(from.status, 0, describe(from))
        defer { _ = buildah(["rm", token + "-c"]) }
        let out = buildah(["run"] + BuildahEngineTests.runFlags + ["--env", "SWIFTLET_TEST_ID=\(token)", token + "-c", "cat", "/copy.txt"])
        XCTAssertEqual(out.status, 0, describe(out))
        XCTAssertEqual(out.stdout, "built-by-run\n0\n1\n", describe(out))
        // No container of the runtime is left once buildah is done with it.
        XCTAssertEqual(runtimeContainers(), [])
    }

    func testBudFailingRunStepFailsTheBuildWithItsStatus() throws {
        try requireBuildah()
        let tag = "localhost/\(token)-failing:latest"
        let dir = context("""
            FROM \(BuildahEngineTests.base)
            ARG SWIFTLET_TEST_ID
            RUN echo step-output; exit 3
            RUN echo never-reached
            """)
        let b = bud(tag, dir)
        XCTAssertNotEqual(b.status, 0, describe(b))
        XCTAssertTrue(b.stdout.contains("step-output"), describe(b))
        XCTAssertFalse(b.stdout.contains("never-reached"), describe(b))
        XCTAssertTrue((b.stdout + b.stderr).contains("exit status 3"), describe(b))
        XCTAssertNotEqual(buildah(["inspect", tag]).status, 0, "a failed build left an image")
        // buildah removes the intermediate container; the runtime has none either.
        XCTAssertEqual(runtimeContainers(), [])
    }
}
