import Foundation
import XCTest

/// process.*: args, env, cwd, user, rlimits, oomScoreAdj, noNewPrivileges, capabilities.
final class ProcessTests: IntegrationTestCase {
    func testArgs() {
        let out = output { $0.args = ["sh", "-c", "printf '[%s]' \"$0\" \"$@\"", "zero", "a b", "", "c'd"] }
        XCTAssertEqual(out, "[zero][a b][][c'd]")
    }

    func testEnv() {
        let out = output { c in
            c[path: "process.env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "EQ=a=b", "SWIFTLET_TEST_ID=\(token)"]
            c.args = ["env"]
        }
        let lines = Set(out.split(separator: "\n").map(String.init))
        for want in ["PATH=/bin", "FOO=bar baz", "EMPTY=", "EQ=a=b"] {
            XCTAssertTrue(lines.contains(want), "env lacks \(want): \(out)")
        }
        XCTAssertFalse(lines.contains { $0.hasPrefix("TERM=") }, "env has an unrequested TERM: \(out)")
    }

    func testCwd() {
        XCTAssertEqual(output { c in
            c[path: "process.cwd"] = "/etc"
            c.args = ["pwd"]
        }, "/etc\n")
    }

    func testCwdCreatedIfMissing() {
        XCTAssertEqual(output(privateRootfs: true) { c in
            c[path: "process.cwd"] = "/work/sub/dir"
            c.shell("pwd; test -d /work/sub/dir && echo isdir")
        }, "/work/sub/dir\nisdir\n")
    }

    func testUser() {
        let out = output { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000, "additionalGids": [1001, 1002], "umask": 0o027]
            c.shell("grep -E '^(Uid|Gid|Groups):' /proc/self/status; umask; id -u; id -g")
        }
        let f = statusFields(out)
        XCTAssertEqual(f["Uid"]?.split(separator: "\t").map(String.init), ["1000", "1000", "1000", "1000"], out)
        XCTAssertEqual(f["Gid"]?.split(separator: "\t").map(String.init), ["1000", "1000", "1000", "1000"], out)
        XCTAssertEqual(Set(f["Groups"]?.split(separator: " ").map(String.init) ?? []), ["1001", "1002"], out)
        let tail = out.split(separator: "\n").suffix(3).map(String.init)
        XCTAssertEqual(tail, ["0027", "1000", "1000"], out)
    }

    func testUserWithoutAdditionalGidsHasNoGroups() {
        let out = output { c in
            c[path: "process.user"] = ["uid": 65534, "gid": 65534]
            c.shell("grep -E '^(Uid|Gid|Groups):' /proc/self/status")
        }
        let f = statusFields(out)
        XCTAssertEqual(f["Uid"]?.split(separator: "\t").first, "65534", out)
        XCTAssertEqual(f["Gid"]?.split(separator: "\t").first, "65534", out)
        XCTAssertEqual(f["Groups"] ?? "?", "", "supplementary groups leaked from the runtime: \(out)")
    }

    func testDefaultUmask() {
        // Without process.user.umask the umask is 0022 (runc's default).
        XCTAssertEqual(output { $0.args = ["sh", "-c", "umask"] }, "0022\n")
    }

    func testRlimits() {
        var host = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &host)
        let hard = min(UInt64(host.rlim_max), 4096)
        let soft = hard / 2
        var hostCore = rlimit()
        getrlimit(Int32(RLIMIT_CORE.rawValue), &hostCore)
        let coreHard = min(UInt64(hostCore.rlim_max), 1 << 20)
        let out = output { c in
            c[path: "process.rlimits"] = [
                ["type": "RLIMIT_NOFILE", "soft": soft, "hard": hard],
                ["type": "RLIMIT_CORE", "soft": 0, "hard": coreHard],
                ["type": "RLIMIT_NPROC", "soft": 300, "hard": 400],
            ]
            c.shell("cat /proc/self/limits; echo nofile $(ulimit -n)")
        }
        func limit(_ name: String) -> [String] {
            guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return [] }
            return line.dropFirst(name.count).split(separator: " ").prefix(2).map(String.init)
        }
        XCTAssertEqual(limit("Max open files"), [String(soft), String(hard)], out)
        XCTAssertEqual(limit("Max core file size"), ["0", String(coreHard)], out)
        XCTAssertEqual(limit("Max processes"), ["300", "400"], out)
        XCTAssertTrue(out.contains("nofile \(soft)\n"), out)
    }

    func testOomScoreAdj() {
        XCTAssertEqual(output { c in
            c[path: "process.oomScoreAdj"] = 123
            c.args = ["cat", "/proc/self/oom_score_adj"]
        }, "123\n")
        XCTAssertEqual(output { c in
            c[path: "process.oomScoreAdj"] = 1000
            c.args = ["cat", "/proc/self/oom_score_adj"]
        }, "1000\n")
    }

    func testNoNewPrivileges() {
        let on = output { c in
            c[path: "process.noNewPrivileges"] = true
            c.args = ["grep", "NoNewPrivs", "/proc/self/status"]
        }
        XCTAssertEqual(statusFields(on)["NoNewPrivs"], "1", on)
        let off = output { c in
            c[path: "process.noNewPrivileges"] = false
            c.args = ["grep", "NoNewPrivs", "/proc/self/status"]
        }
        XCTAssertEqual(statusFields(off)["NoNewPrivs"], "0", off)
    }

    private func capStatus(_ configure: (inout Config) -> Void) -> [String: String] {
        statusFields(output { c in
            configure(&c)
            c.args = ["grep", "^Cap", "/proc/self/status"]
        })
    }

    func testCapabilitiesNonRoot() {
        // For a non-root user execve keeps exactly the ambient set in permitted and effective, so
        // all five configured sets show up in /proc/self/status.
        let bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SYS_CHROOT"]
        let permitted = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"]
        let inheritable = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"]
        let ambient = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let f = capStatus { c in
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c[path: "process.capabilities"] = [
                "bounding": bounding, "effective": permitted, "permitted": permitted,
                "inheritable": inheritable, "ambient": ambient,
            ]
        }
        XCTAssertEqual(f["CapBnd"], capMask(bounding), "CapBnd \(f)")
        XCTAssertEqual(f["CapInh"], capMask(inheritable), "CapInh \(f)")
        XCTAssertEqual(f["CapAmb"], capMask(ambient), "CapAmb \(f)")
        XCTAssertEqual(f["CapPrm"], capMask(ambient), "CapPrm \(f)")
        XCTAssertEqual(f["CapEff"], capMask(ambient), "CapEff \(f)")
    }

    func testCapabilitiesRoot() {
        // root: after execve permitted = effective = bounding | inheritable.
        let bounding = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SYS_ADMIN"]
        let f = capStatus { c in
            c[path: "process.capabilities"] = [
                "bounding": bounding, "effective": bounding, "permitted": bounding,
                "inheritable": [String](), "ambient": [String](),
            ]
        }
        XCTAssertEqual(f["CapBnd"], capMask(bounding), "CapBnd \(f)")
        XCTAssertEqual(f["CapPrm"], capMask(bounding), "CapPrm \(f)")
        XCTAssertEqual(f["CapEff"], capMask(bounding), "CapEff \(f)")
        XCTAssertEqual(f["CapInh"], capMask([]), "CapInh \(f)")
        XCTAssertEqual(f["CapAmb"], capMask([]), "CapAmb \(f)")
    }

    func testNoCapabilities() {
        let f = capStatus { c in c[path: "process.capabilities"] = nil }
        for k in ["CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"] {
            XCTAssertEqual(f[k], capMask([]), "\(k) without process.capabilities: \(f)")
        }
    }

    func testCapabilityIsEnforced() {
        // Without CAP_CHOWN root cannot chown a file it does not own... use CAP_NET_RAW-free ping-less check:
        // changing the hostname needs CAP_SYS_ADMIN.
        let without = runContainer { c in
            c.shell("hostname changed 2>/dev/null && echo changed || echo denied")
        }
        XCTAssertEqual(without.stdout, "denied\n", describe(without))
        let with = runContainer { c in
            let caps = ["CAP_SYS_ADMIN"]
            c[path: "process.capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps]
            c.shell("hostname changed 2>/dev/null && echo changed || echo denied")
        }
        XCTAssertEqual(with.stdout, "changed\n", describe(with))
    }

    func testPathLookup() {
        XCTAssertEqual(output { c in
            c[path: "process.env"] = ["PATH=/usr/bin:/bin", "SWIFTLET_TEST_ID=\(token)"]
            c.args = ["echo", "found"]
        }, "found\n")
    }

    func testNonexistentBinaryFailsAtCreate() {
        for args in [["/nonexistent"], ["no-such-command"]] {
            let bundle = makeBundle { $0.args = args }
            let id = newID()
            let r = runtime(["create", "--bundle", bundle, id])
            XCTAssertNotEqual(r.status, 0, "create with args \(args): \(describe(r))")
            if isSwiftlet { XCTAssertTrue(r.stderr.contains(args[0]), "stderr should name \(args[0]): \(r.stderr)") }
            assertNothingLeftBehind(id, "create \(args)")
        }
    }

    func testNonexistentBinaryFailsAtRun() {
        let id = newID()
        let r = run(makeBundle { $0.args = ["/nonexistent"] }, id: id)
        XCTAssertNotEqual(r.status, 0, describe(r))
        assertNothingLeftBehind(id, "run /nonexistent")
    }

    func testNotExecutableFails() {
        let id = newID()
        let r = runtime(["create", "--bundle", makeBundle { $0.args = ["/etc/passwd"] }, id])
        XCTAssertNotEqual(r.status, 0, describe(r))
        assertNothingLeftBehind(id, "create /etc/passwd")
    }

    func testStdioPassedThrough() {
        let r = runContainer { $0.shell("echo out; echo err >&2; exit 0") }
        XCTAssertEqual(r.stdout, "out\n")
        XCTAssertTrue(r.stderr.hasSuffix("err\n"), r.stderr)
    }
}
