import Foundation
import XCTest

/// Global options and the commands that do not run containers: --log/--log-format, spec,
/// features, --version, help.
final class CLITests: IntegrationTestCase {
    func testJSONLogOnFailingCreate() throws {
        let log = scratch + "/runtime.log"
        let id = newID()
        let r = Host.exec(Env.runtime, ["--root", stateRoot, "--log", log, "--log-format", "json",
                                        "create", "--bundle", makeBundle { $0.namespaces.append(["type": "pdi"]) }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        let text = try XCTUnwrap(try? String(contentsOfFile: log, encoding: .utf8), "no log file written")
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertFalse(lines.isEmpty, "empty log")
        var sawError = false
        for line in lines {
            guard let obj = parseJSON(line) as? [String: Any] else {
                XCTFail("log line is not a JSON object: \(line)")
                continue
            }
            XCTAssertNotNil(obj["level"] as? String, "level in \(line)")
            XCTAssertNotNil(obj["msg"] as? String, "msg in \(line)")
            XCTAssertNotNil(obj["time"] as? String, "time in \(line)")
            if obj["level"] as? String == "error" { sawError = true }
        }
        XCTAssertTrue(sawError, "no \"level\":\"error\" line: \(text)")
        if isSwiftlet { XCTAssertTrue(text.contains("linux.namespaces"), "log should name the field: \(text)") }
        assertNothingLeftBehind(id, "failing create with --log")
    }

    func testTextLogOnFailingCreate() {
        let log = scratch + "/runtime.log"
        let r = Host.exec(Env.runtime, ["--root", stateRoot, "--log", log, "create", "--bundle", scratch + "/nope", newID()])
        XCTAssertNotEqual(r.status, 0)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertFalse(text.isEmpty, "no text log written")
        XCTAssertNil(parseJSON(text.split(separator: "\n").first.map(String.init) ?? "") as? [String: Any],
                     "default log format should be text: \(text)")
    }

    func testSpecWritesUsableConfig() throws {
        let dir = hostDir("spec")
        let r = runtimeNoRoot(["spec"], cwd: dir)
        XCTAssertEqual(r.status, 0, describe(r))
        let text = try XCTUnwrap(try? String(contentsOfFile: dir + "/config.json", encoding: .utf8), "spec wrote no config.json")
        var config = try XCTUnwrap(parseJSON(text) as? [String: Any], "config.json from spec is not a JSON object")
        XCTAssertNotNil(config["ociVersion"] as? String)
        XCTAssertEqual(config[path: "root.path"] as? String, "rootfs", "spec root.path")
        XCTAssertNotNil(config[path: "process.args"] as? [String])
        XCTAssertFalse(config.namespaces.isEmpty, "spec has no namespaces")

        config[path: "root.path"] = Env.sharedRootfs
        config[path: "root.readonly"] = true
        config[path: "process.terminal"] = false
        config[path: "process.args"] = ["sh", "-c", "echo spec-ok"]
        config.appendEnv("SWIFTLET_TEST_ID=\(token)")
        try jsonText(config).write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let id = newID()
        let ran = run(dir, id: id)
        XCTAssertEqual(ran.status, 0, "run of the spec config: \(describe(ran))")
        XCTAssertEqual(ran.stdout, "spec-ok\n")
        assertNothingLeftBehind(id, "spec config")
    }

    func testSpecRefusesToOverwrite() throws {
        let dir = hostDir("spec")
        try "keep me".write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let r = runtimeNoRoot(["spec"], cwd: dir)
        XCTAssertNotEqual(r.status, 0, "spec overwrote an existing config.json: \(describe(r))")
        XCTAssertEqual(try? String(contentsOfFile: dir + "/config.json", encoding: .utf8), "keep me")
    }

    func testSpecBundleOption() {
        let dir = hostDir("spec-b")
        let r = runtimeNoRoot(["spec", "--bundle", dir])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/config.json"))
    }

    func testFeatures() throws {
        let r = runtimeNoRoot(["features"])
        XCTAssertEqual(r.status, 0, describe(r))
        let obj = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any], "features is not a JSON object: \(r.stdout)")
        let min = try XCTUnwrap(obj["ociVersionMin"] as? String, "ociVersionMin")
        let max = try XCTUnwrap(obj["ociVersionMax"] as? String, "ociVersionMax")
        XCTAssertTrue(min.hasPrefix("1."), min)
        XCTAssertTrue(max.hasPrefix("1."), max)
        if let hooks = obj["hooks"] as? [String] {
            for h in ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] {
                XCTAssertTrue(hooks.contains(h), "features.hooks lacks \(h)")
            }
        }
        if let ns = obj[path: "linux.namespaces"] as? [String] {
            for n in ["pid", "network", "ipc", "uts", "mount", "user", "cgroup"] {
                XCTAssertTrue(ns.contains(n), "features.linux.namespaces lacks \(n)")
            }
        }
    }

    func testVersion() {
        let r = runtimeNoRoot(["--version"])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0.lowercased().contains("version") }, r.stdout)
        if isSwiftlet {
            XCTAssertTrue(r.stdout.contains("spec"), "--version should name the spec version: \(r.stdout)")
        }
    }

    func testUnknownCommandFails() {
        let r = runtimeNoRoot(["no-such-command"])
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssertFalse(r.stderr.isEmpty, "no error message for an unknown command")
    }

    func testMissingIDFails() {
        XCTAssertNotEqual(runtime(["create", "--bundle", makeBundle()]).status, 0)
        XCTAssertNotEqual(runtime(["state"]).status, 0)
        XCTAssertNotEqual(runtime(["start"]).status, 0)
    }

    /// A malformed command line: the runtime must exit non-zero with a message on stderr, not trap,
    /// and leave nothing behind (no state for `id`; a container given as `target` keeps its status).
    struct BadCommand {
        let name: String
        /// swiftlet's stderr must contain one of these.
        let words: [String]
        /// Reference runtimes known to accept this command line.
        var acceptedBy: [String] = []
        /// The arguments, given a fresh id and the id of a running container.
        let args: (CLITests, _ id: String, _ running: String) -> [String]
    }

    static let badCommands: [BadCommand] = [
        BadCommand(name: "id ../x", words: ["id"]) { t, _, _ in ["create", "--bundle", t.makeBundle(), "../x"] },
        BadCommand(name: "id with /", words: ["id"]) { t, id, _ in ["create", "--bundle", t.makeBundle(), id + "/y"] },
        BadCommand(name: "id ..", words: ["id"]) { t, _, _ in ["create", "--bundle", t.makeBundle(), ".."] },
        BadCommand(name: "empty id", words: ["id"]) { t, _, _ in ["create", "--bundle", t.makeBundle(), ""] },
        BadCommand(name: "id with a space", words: ["id"], acceptedBy: ["runc"]) { t, id, _ in ["create", "--bundle", t.makeBundle(), id + " x"] },
        BadCommand(name: "missing bundle", words: ["bundle", "config.json", "no such file"]) { t, id, _ in
            ["create", "--bundle", t.scratch + "/no-such-bundle", id]
        },
        BadCommand(name: "relative missing bundle", words: ["bundle", "config.json", "no such file"]) { _, id, _ in
            ["create", "--bundle", "no/such/bundle", id]
        },
        BadCommand(name: "bundle is a file", words: ["config.json", "bundle", "directory"]) { t, id, _ in
            ["create", "--bundle", BadConfigTests.scratchFile2(t.scratch), id]
        },
        BadCommand(name: "unknown flag", words: ["no-such-flag"]) { t, id, _ in ["create", "--no-such-flag", "--bundle", t.makeBundle(), id] },
        BadCommand(name: "flag without its value", words: ["bundle"]) { _, _, _ in ["create", "--bundle"] },
        BadCommand(name: "--preserve-fds -1", words: ["preserve-fds"], acceptedBy: ["runc"]) { t, id, _ in ["create", "--preserve-fds", "-1", "--bundle", t.makeBundle(), id] },
        BadCommand(name: "--preserve-fds abc", words: ["preserve-fds"]) { t, id, _ in ["create", "--preserve-fds", "abc", "--bundle", t.makeBundle(), id] },
        BadCommand(name: "--pid-file in a missing directory", words: ["pid"], acceptedBy: ["runc"]) { t, id, _ in
            ["create", "--pid-file", t.scratch + "/no/such/dir/pid", "--bundle", t.makeBundle { $0.args = ["sleep", "100"] }, id]
        },
        BadCommand(name: "--console-socket without terminal", words: ["console"]) { t, id, _ in
            ["create", "--console-socket", t.scratch + "/sock", "--bundle", t.makeBundle(), id]
        },
        BadCommand(name: "terminal without --console-socket", words: ["console"]) { t, id, _ in
            ["create", "--bundle", t.makeBundle { $0[path: "process.terminal"] = true }, id]
        },
        BadCommand(name: "--console-socket that does not exist", words: ["console", "sock", "connect"]) { t, id, _ in
            ["create", "--console-socket", t.scratch + "/no-such-sock", "--bundle", t.makeBundle { $0[path: "process.terminal"] = true }, id]
        },
        BadCommand(name: "kill with an unknown signal", words: ["signal"]) { _, _, running in ["kill", running, "SIGFOO"] },
        BadCommand(name: "kill with signal 99", words: ["signal"]) { _, _, running in ["kill", running, "99"] },
        BadCommand(name: "kill with a negative signal", words: ["signal", "-9"]) { _, _, running in ["kill", running, "-9"] },
        BadCommand(name: "kill of a missing container", words: ["does not exist", "not exist"]) { _, id, _ in ["kill", id, "KILL"] },
        BadCommand(name: "state of a missing container", words: ["does not exist"]) { _, id, _ in ["state", id] },
        BadCommand(name: "state ../x", words: ["id", "does not exist"]) { _, _, _ in ["state", "../x"] },
        BadCommand(name: "start of a missing container", words: ["does not exist"]) { _, id, _ in ["start", id] },
        BadCommand(name: "start of a running container", words: ["running"]) { _, _, running in ["start", running] },
        BadCommand(name: "delete of a missing container", words: ["does not exist"]) { _, id, _ in ["delete", id] },
        BadCommand(name: "delete of a running container without --force", words: ["running", "force"]) { _, _, running in ["delete", running] },
        BadCommand(name: "exec into a missing container", words: ["does not exist"]) { _, id, _ in ["exec", id, "true"] },
        BadCommand(name: "exec without a command", words: ["args", "command", "process"]) { _, _, running in ["exec", running] },
        BadCommand(name: "exec --user abc", words: ["user"]) { _, _, running in ["exec", "--user", "abc", running, "true"] },
        BadCommand(name: "exec --user -5", words: ["user"]) { _, _, running in ["exec", "--user", "-5", running, "true"] },
        BadCommand(name: "exec of a program that is not there", words: ["no-such-program"]) { _, _, running in ["exec", running, "no-such-program"] },
        BadCommand(name: "exec --process missing file", words: ["process", "no-such"]) { t, _, running in
            ["exec", "--process", t.scratch + "/no-such-process.json", running]
        },
        BadCommand(name: "exec --process with bad JSON", words: ["process", "JSON", "json"]) { t, _, running in
            let f = t.scratch + "/bad-process.json"
            try? "{\"args\": [\"true\"".write(toFile: f, atomically: true, encoding: .utf8)
            return ["exec", "--process", f, running]
        },
        BadCommand(name: "exec --process with a relative cwd", words: ["cwd"]) { t, _, running in
            let f = t.scratch + "/rel-process.json"
            try? "{\"args\": [\"true\"], \"cwd\": \"tmp\", \"user\": {\"uid\": 0, \"gid\": 0}}".write(toFile: f, atomically: true, encoding: .utf8)
            return ["exec", "--process", f, running]
        },
        BadCommand(name: "pause of a missing container", words: ["does not exist"]) { _, id, _ in ["pause", id] },
        BadCommand(name: "update --memory abc", words: ["memory"]) { _, _, running in ["update", "--memory", "abc", running] },
        BadCommand(name: "update with bad JSON on stdin file", words: ["JSON", "json", "resources"]) { t, _, running in
            let f = t.scratch + "/bad-resources.json"
            try? "{\"memory\": ".write(toFile: f, atomically: true, encoding: .utf8)
            return ["update", "--resources", f, running]
        },
    ]

    func testBadCommandLines() throws {
        let running = newID("running")
        let r = runtime(["run", "-d", "--bundle", makeBundle { $0.args = ["sleep", "1000"] }, running])
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(status(running), "running")
        for cmd in Self.badCommands {
            let id = newID("badcli")
            let args = cmd.args(self, id, running)
            let res = runtime(args, timeout: 20)
            if res.status == 0 && isKnownDeviation(cmd.acceptedBy) {
                print("NOTE: known deviation of \(runtimeName): accepts \(cmd.name)")
                _ = runtime(["delete", "--force", id])
            } else {
                XCTAssertNotEqual(res.status, 0, "[\(cmd.name)] was accepted: \(describe(res))")
                XCTAssertFalse(res.stderr.isEmpty, "[\(cmd.name)] no message on stderr")
                if isSwiftlet {
                    // exec's own failures exit 255 (as runc's), not the status of a signal.
                    let ownExecFailure = args.first == "exec" && res.status == 255
                    XCTAssertTrue(res.status < 128 || ownExecFailure, "[\(cmd.name)] died of a signal: \(describe(res))")
                    XCTAssertFalse(res.stderr.contains("Fatal error"), "[\(cmd.name)] trap: \(describe(res))")
                    XCTAssertTrue(cmd.words.contains { res.stderr.contains($0) }, "[\(cmd.name)] stderr should mention \(cmd.words): \(res.stderr)")
                }
            }
            // Nothing of `id` (the running container's own process is expected).
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []).filter { $0.hasPrefix(id) }
            XCTAssertEqual(entries, [], "[\(cmd.name)] state entries left")
            XCTAssertNil(state(id), "[\(cmd.name)] state \(id) succeeds")
            XCTAssertEqual(processesMentioningToken().filter { $0.cmdline.contains(id) }.map(\.cmdline), [],
                           "[\(cmd.name)] processes left")
            XCTAssertEqual(leakedMounts(), [], "[\(cmd.name)] mounts left")
            XCTAssertEqual(status(running), "running", "[\(cmd.name)] the running container was disturbed")
        }
        XCTAssertEqual(runtime(["delete", "--force", running]).status, 0)
    }
}
