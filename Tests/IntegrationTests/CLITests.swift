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
}
