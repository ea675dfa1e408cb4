import Foundation
import XCTest

/// A NUL byte (`\u0000` in the JSON) in a config.json or `exec --process` string that reaches the
/// kernel. Before, swiftlet cut each at the NUL without a word (the hostname "box\u0000evil" became
/// "box", a hook "/bin/sh\u0000x" ran /bin/sh, the sysctl "net.ipv4.ip_forward\u0000/x" was set);
/// now `run` fails naming the field, nothing starts and nothing is left (state, mounts, processes;
/// cgroups in tearDown). runc fails most of these at the system call (EINVAL, part of the container
/// set up) and passes the hostname, domainname and seccomp syscall names on cut short (acceptedBy);
/// crun reads every string as a C string, cut short.
final class NULByteConfigTests: IntegrationTestCase {
    struct Row {
        let name: String
        /// stderr must contain this (swiftlet only).
        let field: String
        var acceptedBy: [String] = []
        let mutate: (inout Config, NULByteConfigTests) -> Void
    }

    static let rows: [Row] = [
        Row(name: "hostname", field: "config.json: hostname: contains a NUL byte", acceptedBy: ["runc", "crun"]) { c, _ in
            c["hostname"] = "box\u{0}evil"
        },
        Row(name: "domainname", field: "config.json: domainname: contains a NUL byte", acceptedBy: ["runc", "crun"]) { c, _ in
            c["domainname"] = "dom\u{0}evil"
        },
        Row(name: "argument", field: "config.json: process.args[2]: contains a NUL byte", acceptedBy: ["crun"]) { c, _ in
            c.args = ["sh", "-c", "exit 0\u{0}; exit 5"]
        },
        Row(name: "cwd", field: "config.json: process.cwd: contains a NUL byte", acceptedBy: ["crun"]) { c, _ in
            c[path: "process.cwd"] = "/tmp\u{0}/x"
        },
        Row(name: "mount option", field: "config.json: mounts[", acceptedBy: ["crun"]) { c, t in
            c.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["size=1m\u{0}x"])
        },
        Row(name: "sysctl name", field: "linux.sysctl[\"net.ipv4.ip_forward\\x00/x\"]: the name contains a NUL byte",
            acceptedBy: ["crun"]) { c, _ in
            c.addNamespace("network")
            c[path: "linux.sysctl"] = ["net.ipv4.ip_forward\u{0}/x": "1"]
        },
        Row(name: "sysctl value", field: "linux.sysctl[\"net.ipv4.ip_forward\"]: the value contains a NUL byte") { c, _ in
            c.addNamespace("network")
            c[path: "linux.sysctl"] = ["net.ipv4.ip_forward": "1\u{0}0"]
        },
        Row(name: "maskedPaths", field: "config.json: linux.maskedPaths[0]: contains a NUL byte", acceptedBy: ["crun"]) { c, _ in
            c[path: "linux.maskedPaths"] = ["/etc/hostname\u{0}x"]
        },
        Row(name: "device path", field: "config.json: linux.devices[0].path: contains a NUL byte", acceptedBy: ["crun"]) { c, _ in
            c[path: "linux.devices"] = [["path": "/dev/zz\u{0}x", "type": "c", "major": 1, "minor": 3]]
        },
        Row(name: "seccomp syscall name", field: "config.json: linux.seccomp.syscalls[0].names[0]: contains a NUL byte",
            acceptedBy: ["runc", "crun"]) { c, _ in
            c[path: "linux.seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW",
                                        "syscalls": [["names": ["mkdir\u{0}x"], "action": "SCMP_ACT_ERRNO"]]]
        },
        Row(name: "cgroupsPath", field: "config.json: linux.cgroupsPath: contains a NUL byte") { c, t in
            c[path: "linux.cgroupsPath"] = "/\(t.token)-nul\u{0}x"
        },
    ]

    func testNULBytesAreRefusedNamingTheField() {
        for row in Self.rows {
            let bundle = makeBundle { c in
                c.args = ["true"]
                row.mutate(&c, self)
            }
            let id = newID("nul")
            let r = run(bundle, id: id, timeout: 20)
            if r.status == 0 && isKnownDeviation(row.acceptedBy) {
                print("NOTE: known deviation of \(runtimeName): accepts a NUL byte in the \(row.name)")
            } else {
                XCTAssertNotEqual(r.status, 0, "[\(row.name)] was accepted: \(describe(r))")
                if isSwiftlet {
                    XCTAssertLessThan(r.status, 128, "[\(row.name)] the runtime died of a signal: \(describe(r))")
                    XCTAssertTrue(r.stderr.contains(row.field), "[\(row.name)] stderr should contain \(row.field): \(r.stderr)")
                }
            }
            assertNothingLeftBehind(id, "[\(row.name)]")
        }
    }

    /// A hook whose path is cut at the NUL would run /bin/sh with its script: nothing may run.
    func testHookWithNULRunsNothing() {
        let marker = scratch + "/hook-ran"
        let bundle = makeBundle { c in
            c.args = ["true"]
            c.addHook("createRuntime", ["path": "/bin/sh\u{0}x", "args": ["sh", "-c", "touch \(marker)"]])
            c.addHook("prestart", ["path": "/bin/sh", "args": ["sh", "-c", "touch \(marker)\u{0}x"]])
        }
        let id = newID("nulhook")
        let r = run(bundle, id: id)
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stderr.contains("config.json: hooks.prestart[0].args[2]: contains a NUL byte"), describe(r))
            XCTAssertTrue(r.stderr.contains("config.json: hooks.createRuntime[0].path: contains a NUL byte"), describe(r))
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a hook ran")
        }
        assertNothingLeftBehind(id, "hook with NUL")
    }

    /// `exec --process`: the file's fields, named in the file; the container stays as it was.
    func testExecProcessFileWithNUL() {
        let id = startSleeper()
        let file = scratch + "/process.json"
        let process: [String: Any] = ["cwd": "/", "args": ["sh", "-c", "exit 0\u{0}; exit 5"], "env": ["PATH=/bin:/usr/bin"],
                                      "user": ["uid": 0, "gid": 0]]
        try? jsonText(process).write(toFile: file, atomically: true, encoding: .utf8)
        let r = runtime(["exec", "--process", file, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        if isSwiftlet {
            XCTAssertEqual(r.status, 255, "exec's own failure, as runc's: \(describe(r))")
            XCTAssertFalse(r.stderr.contains("Fatal error"), describe(r))
            XCTAssertTrue(r.stderr.contains("process: args[2]: contains a NUL byte"), describe(r))
        }
        XCTAssertEqual(state(id)?["status"] as? String, "running")
        _ = runtime(["delete", "--force", id])
    }
}
