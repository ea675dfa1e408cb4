import Foundation
import XCTest

/// The conversation between `create` (or `run`) and the init stage over their sync socket, traced:
/// each message is a wake-up of the other side, so one that carries nothing is not sent. A request
/// for the runtime's hooks only when there are prestart or createRuntime hooks (or after a second
/// fork, when the runtime moves the container's process on it); an ack of `.ready` only under
/// `create`, whose init must outlive it, or after a second fork (under `run` the exec fifo, written
/// after state.json, orders the rest). The container still runs, and its hooks still run in order.
final class SyncHandoffTests: IntegrationTestCase {
    /// The message codes of swiftlet's SyncMessage this test looks for.
    static let runtimeHooks = 3, ready = 4, ack = 6, state = 7

    /// The type byte of each frame written to a socket by any process of `command`
    /// (strace -y names the socket; a frame is a type byte and four length bytes at least).
    /// `afterCommand` runs once the command has exited, before the trace ends with the last process.
    func syncMessages(_ command: [String], tag: String, afterCommand: () -> Void = {}) -> [Int] {
        let traced = TracedCommand(command, view: .host, directory: scratch + "/strace-\(tag)")
        let r = traced.waitForCommand()
        XCTAssertEqual(r.status, 0, "\(command.joined(separator: " ")) under strace: \(describe(r))")
        afterCommand()
        let trace = traced.finish()
        var codes: [Int] = []
        for line in trace.calls.values.flatMap({ $0 }) where line.hasPrefix("write(") && line.contains("<socket:[") {
            // write(9<socket:[123]>, "\4\0\0\0\0", 5) = 5: the first octal escape is the type.
            guard let quote = line.range(of: ", \"\\")?.upperBound else { continue }
            let digits = line[quote...].prefix { ("0"..."7").contains($0) }
            guard let code = Int(digits, radix: 8), let n = Int(line.components(separatedBy: ") = ").last ?? ""),
                  n >= 5 else { continue }
            codes.append(code)
        }
        return codes
    }

    func testRunWithoutHooksNeitherAsksForThemNorWaitsForAnAck() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName): swiftlet's sync messages only") }
        let id = newID("run")
        let codes = syncMessages([Env.runtime, "--root", stateRoot, "run", "--bundle", makeBundle(), id], tag: id)
        XCTAssertEqual(codes.filter { $0 == Self.state }.count, 1, "the state goes to init once: \(codes)")
        XCTAssertEqual(codes.filter { $0 == Self.ready }.count, 1, "init says ready once: \(codes)")
        XCTAssertFalse(codes.contains(Self.runtimeHooks), "init asked for hooks there are none of: \(codes)")
        XCTAssertFalse(codes.contains(Self.ack), "an ack under run without hooks: \(codes)")
    }

    /// After a second fork (a time namespace, a user namespace before the pid one) the container's
    /// process is the intermediate process's child until that exits and the runtime reaps it: its
    /// parent-death signal is armed on the ack of `.ready`, sent after the reap. Armed before
    /// `.ready`, it fired when the intermediate exited late (`run` then said "exited before it was
    /// started", now and then under load).
    func testRunAfterASecondForkStillWaitsForTheAckOfReady() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName): swiftlet's sync messages only") }
        // The user namespace's uid/gid maps have an ack of their own.
        for (name, acks, configure) in [("time namespace", 1, { (c: inout Config) in c.addNamespace("time") }),
                                        ("user namespace", 2, { (c: inout Config) in
                                            c.addNamespace("user")
                                            c.removeNamespace("network")
                                            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
                                            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
                                        })] {
            let id = newID("fork2")
            let codes = syncMessages([Env.runtime, "--root", stateRoot, "run", "--bundle", makeBundle(configure: configure), id],
                                     tag: id)
            // The request for the runtime hooks stays too: the runtime moves the container's
            // process into its cgroup on it (InitPlan.asksForRuntimeHooks).
            XCTAssertEqual(codes.filter { $0 == Self.runtimeHooks }.count, 1, "[\(name)] \(codes)")
            XCTAssertEqual(codes.filter { $0 == Self.ack }.count, acks + 1, "[\(name)] the ready's ack: \(codes)")
        }
    }

    func testRunWithAPrestartHookAsksForItAndGetsOneAck() throws {
        guard isSwiftlet else { return print("NOTE: \(runtimeName): swiftlet's sync messages only") }
        let marks = hostDir("hook")
        let id = newID("hook")
        let bundle = makeBundle { c in
            c.addHook("prestart", ["path": "/bin/sh", "args": ["sh", "-c", "echo prestart >> \(marks)/order"],
                                   "env": ["PATH=/usr/bin:/bin", "SWIFTLET_TEST_ID=\(self.token)"]])
            c.shell("echo ran >> /order")
            c.addMount("/order", type: "bind", source: marks + "/order", options: ["bind"])
        }
        FileManager.default.createFile(atPath: marks + "/order", contents: nil)
        let codes = syncMessages([Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, id], tag: id)
        XCTAssertEqual(codes.filter { $0 == Self.runtimeHooks }.count, 1, "one request for the hooks: \(codes)")
        XCTAssertEqual(codes.filter { $0 == Self.ack }.count, 1, "only the hooks' ack under run: \(codes)")
        let order = try String(contentsOfFile: marks + "/order", encoding: .utf8)
        XCTAssertEqual(order, "prestart\nran\n", "the hook ran before the container's process")
    }

    func testCreateAcksReadyOnceStateIsWritten() {
        guard isSwiftlet else { return print("NOTE: \(runtimeName): swiftlet's sync messages only") }
        let id = newID("create")
        let bundle = makeBundle { $0.args = ["sleep", "100"] }
        let codes = syncMessages([Env.runtime, "--root", stateRoot, "create", "--bundle", bundle, id], tag: id) {
            XCTAssertTrue(runtime(["state", id]).stdout.contains("\"created\""), "created after create")
            XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        }
        XCTAssertFalse(codes.contains(Self.runtimeHooks), "init asked for hooks there are none of: \(codes)")
        XCTAssertEqual(codes.filter { $0 == Self.ack }.count, 1, "create acks ready: \(codes)")
    }
}
