import Foundation
import XCTest

/// hooks: the six kinds, their order and state, failures and timeouts.
/// Hooks are `/bin/sh -c` scripts writing into a host directory that is bind-mounted at the same
/// path in the container, so hooks running in the runtime namespace and in the container
/// namespace (createContainer, startContainer) see it alike.
final class HookTests: IntegrationTestCase {
    static let kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]

    private var hookDir = ""

    private func hookEnv() -> [String] {
        ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SWIFTLET_TEST_ID=\(token)"]
    }

    /// A hook that stores the state it receives in <hookDir>/<name>.json and appends name to <hookDir>/order.
    private func markerHook(_ name: String, exit status: Int = 0) -> [String: Any] {
        ["path": "/bin/sh",
         "args": ["sh", "-c", "cat > \(hookDir)/\(name).json; echo \(name) >> \(hookDir)/order; exit \(status)"],
         "env": hookEnv()]
    }

    private func hookBundle(program: String = "sleep 100", _ configure: (inout Config) -> Void) -> String {
        hookDir = hostDir("hooks")
        return makeBundle(sharing: hookDir, program: program, configure)
    }

    private func order() -> [String] {
        ((try? String(contentsOfFile: hookDir + "/order", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func hookState(_ name: String) -> [String: Any]? {
        parseJSON((try? String(contentsOfFile: "\(hookDir)/\(name).json", encoding: .utf8)) ?? "") as? [String: Any]
    }

    private func waitForFile(_ path: String, timeout: TimeInterval = 5) {
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(10_000) }
    }

    func testAllHooksOrderAndState() {
        let bundle = hookBundle { c in
            for kind in Self.kinds { c.addHook(kind, self.markerHook(kind)) }
        }
        let id = newID()
        let created = runtime(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.status, 0, describe(created))
        let poststartAtCreate = "runc 1.1 runs poststart hooks during create"
        assertOrDeviation(order() == ["prestart", "createRuntime", "createContainer"], runtimes: ["runc"],
                          reason: poststartAtCreate, "hooks run by create: \(order())")
        let started = runtime(["start", id])
        XCTAssertEqual(started.status, 0, describe(started))
        waitForFile(hookDir + "/poststart.json")
        waitForFile(hookDir + "/startContainer.json")
        assertOrDeviation(order() == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart"],
                          runtimes: ["runc"], reason: poststartAtCreate, "hooks run by start: \(order())")
        XCTAssertEqual(runtime(["kill", id, "KILL"]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        XCTAssertEqual(runtime(["delete", id]).status, 0)
        assertOrDeviation(order() == Self.kinds, runtimes: ["runc"], reason: poststartAtCreate, "order of all hooks: \(order())")
        XCTAssertEqual(Set(order()), Set(Self.kinds), "every hook ran once")
        XCTAssertEqual(order().count, Self.kinds.count, "every hook ran once")

        let pid = (hookState("createRuntime")?["pid"] as? Int) ?? -1
        let wantStatus = ["prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
                          "startContainer": "created", "poststart": "running", "poststop": "stopped"]
        for kind in Self.kinds {
            guard let st = hookState(kind) else {
                XCTFail("\(kind) did not receive a JSON state on stdin")
                continue
            }
            XCTAssertEqual(st["id"] as? String, id, "\(kind) state.id")
            XCTAssertEqual(st["bundle"] as? String, bundle, "\(kind) state.bundle")
            XCTAssertNotNil(st["ociVersion"] as? String, "\(kind) state.ociVersion")
            let status = st["status"] as? String
            assertOrDeviation(status == wantStatus[kind], runtimes: ["runc"], reason: "hook state status",
                              "\(kind) state.status \(status ?? "nil"), want \(wantStatus[kind]!)")
            if kind != "poststop" {
                XCTAssertGreaterThan(st["pid"] as? Int ?? 0, 0, "\(kind) state.pid")
                let inContainer = kind == "createContainer" || kind == "startContainer"
                assertOrDeviation(st["pid"] as? Int == pid, runtimes: inContainer ? ["runc"] : [],
                                  reason: "pid in the container's pid namespace for hooks run in the container",
                                  "\(kind) state.pid \(st["pid"] ?? "nil") is not the container's host pid \(pid)")
            }
        }
    }

    func testHooksWithRun() {
        let bundle = hookBundle(program: "echo program >> \(hostDir("hooks"))/program") { c in
            for kind in Self.kinds { c.addHook(kind, self.markerHook(kind)) }
        }
        let r = run(bundle)
        XCTAssertEqual(r.status, 0, describe(r))
        assertOrDeviation(order() == Self.kinds, runtimes: ["runc"], reason: "runc 1.1 runs poststart hooks during create",
                          "order of hooks: \(order())")
        XCTAssertEqual(Set(order()), Set(Self.kinds), "every hook ran")
    }

    func testHookArgsAndEnv() {
        hookDir = hostDir("hooks")
        let script = "printf '%s\\n' \"$(tr '\\0' ' ' < /proc/$$/cmdline)|$0|$1|$FOO|$PATH\" > \(hookDir)/out"
        let bundle = makeBundle { c in
            c.addHook("prestart", ["path": "/bin/sh", "args": ["argv0", "-c", script, "zero", "one"],
                                   "env": ["FOO=bar", "PATH=/bin:/usr/bin", "SWIFTLET_TEST_ID=\(self.token)"]])
        }
        XCTAssertEqual(run(bundle).status, 0)
        XCTAssertEqual(try? String(contentsOfFile: hookDir + "/out", encoding: .utf8),
                       "argv0 -c \(script) zero one |zero|one|bar|/bin:/usr/bin\n")
    }

    func testFailingPoststartIsOnlyAWarning() {
        let bundle = hookBundle { c in
            c.addHook("poststart", self.markerHook("poststart-fails", exit: 1))
            c.addHook("poststart", self.markerHook("poststart-after"))
            c.addHook("poststop", self.markerHook("poststop"))
        }
        let id = newID()
        let reason = "runc 1.1 runs poststart hooks during create and fails create when one fails"
        let created = runtime(["create", "--bundle", bundle, id])
        let started = runtime(["start", id])
        knownDeviation(runtimes: ["runc"], reason: reason) {
            XCTAssertEqual(created.status, 0, describe(created))
            XCTAssertEqual(started.status, 0, "start must succeed when a poststart hook fails: \(describe(started))")
            waitForFile(hookDir + "/poststart-after.json")
            XCTAssertEqual(order(), ["poststart-fails", "poststart-after"], "later poststart hooks must run")
            XCTAssertEqual(status(id), "running")
            XCTAssertFalse(started.stderr.isEmpty, "a warning should be printed")
        }
        runtime(["delete", "--force", id])
        knownDeviation(runtimes: ["runc"], reason: reason) {
            XCTAssertEqual(order().last, "poststop", "poststop after a failed poststart: \(order())")
        }
    }

    func testFailingPoststopIsOnlyAWarning() {
        let bundle = hookBundle(program: "true") { c in
            c.addHook("poststop", self.markerHook("poststop-fails", exit: 1))
            c.addHook("poststop", self.markerHook("poststop-after"))
        }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        XCTAssertEqual(runtime(["start", id]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        let deleted = runtime(["delete", id])
        XCTAssertEqual(deleted.status, 0, "delete with a failing poststop hook: \(describe(deleted))")
        assertOrDeviation(order() == ["poststop-fails", "poststop-after"], runtimes: ["runc"],
                          reason: "runc 1.1 skips the remaining poststop hooks after a failure", "poststop hooks run: \(order())")
        assertNothingLeftBehind(id, "failing poststop")
    }

    private func failingCreate(_ kind: String) {
        let bundle = hookBundle { c in
            c.addHook(kind, self.markerHook(kind, exit: 1))
            c.addHook("startContainer", self.markerHook("startContainer"))
        }
        let id = newID()
        let r = runtime(["create", "--bundle", bundle, id])
        XCTAssertNotEqual(r.status, 0, "create with a failing \(kind) hook: \(describe(r))")
        XCTAssertTrue(order().contains(kind), "the \(kind) hook did not run")
        XCTAssertFalse(order().contains("startContainer"))
        if isSwiftlet { XCTAssertTrue(r.stderr.contains(kind), "stderr should name the hook kind: \(r.stderr)") }
        assertNothingLeftBehind(id, "failing \(kind)")
    }

    func testFailingPrestartFailsCreate() { failingCreate("prestart") }
    func testFailingCreateRuntimeFailsCreate() { failingCreate("createRuntime") }
    func testFailingCreateContainerFailsCreate() { failingCreate("createContainer") }

    func testFailingStartContainerFailsStart() {
        let bundle = hookBundle(program: "echo ran > \(hostDir("hooks"))/ran; sleep 100") { c in
            c.addHook("startContainer", self.markerHook("startContainer", exit: 1))
        }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", bundle, id]).status, 0)
        let r = runtime(["start", id])
        knownDeviation(runtimes: ["runc"], reason: "start returns 0 before the startContainer hooks ran") {
            XCTAssertNotEqual(r.status, 0, "start with a failing startContainer hook: \(describe(r))")
        }
        waitForFile(hookDir + "/startContainer.json")
        XCTAssertEqual(order(), ["startContainer"])
        // the user program must not run; the container ends up stopped
        XCTAssertEqual(waitForStatus(id, "stopped"), "stopped")
        XCTAssertFalse(FileManager.default.fileExists(atPath: hookDir + "/ran"), "the user program ran")
    }

    func testHookTimeoutKillsHook() {
        hookDir = hostDir("hooks")
        let bundle = makeBundle { c in
            c.addHook("prestart", ["path": "/bin/sleep", "args": ["sleep", "20"], "env": self.hookEnv(), "timeout": 1])
        }
        let id = newID()
        let start = Date()
        let r = runtime(["create", "--bundle", bundle, id])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertNotEqual(r.status, 0, "create with a timed-out hook: \(describe(r))")
        XCTAssertLessThan(elapsed, 10, "hook timeout of 1 s not enforced")
        assertNothingLeftBehind(id, "hook timeout")  // includes the sleeping hook (it carries the token in its env)
    }

    func testMissingHookBinaryFailsCreate() {
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { c in
            c.addHook("createRuntime", ["path": self.scratch + "/no-such-hook"])
        }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        assertNothingLeftBehind(id, "missing hook binary")
    }
}
