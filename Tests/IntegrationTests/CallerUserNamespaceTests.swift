import Foundation
import XCTest

/// The runtime run by root of a user namespace (uids and gids 0-65535 mapped to themselves,
/// setgroups denied, as in a user namespace an unprivileged user made), for a container without a
/// user namespace of its own: it shares its caller's. Only the initial namespace's root may write
/// v1 device rules or mknod, and nobody may setgroups there.
final class CallerUserNamespaceTests: IntegrationTestCase {
    /// Runs `script` with sh as root of a new user namespace made for it; `rt` runs the runtime
    /// with the test's state directory. `cgroup2View`: in a private mount namespace with cgroup2
    /// mounted over /sys/fs/cgroup first (a cgroup v2 host).
    func inCallerUserNamespace(_ script: String, cgroup2View: Bool = false) -> ProcResult {
        let dir = hostDir("userns-\(UInt32.random(in: 0...UInt32.max))")
        let scriptFile = dir + "/script", fifo = dir + "/go"
        try! "rt() { '\(Env.runtime)' --root '\(stateRoot)' \"$@\"; }\n\(script)\n".write(toFile: scriptFile, atomically: true, encoding: .utf8)
        return Host.sh("""
            mkfifo '\(fifo)'
            \(cgroup2View ? "unshare -m sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"' sh " : "")unshare -U --setgroups=deny sh -c 'read x < "$0"; exec sh "$1"' '\(fifo)' '\(scriptFile)' &
            u=$!
            n=0
            while [ "$(readlink /proc/$u/ns/user)" = "$(readlink /proc/self/ns/user)" ] && [ $n -lt 1000 ]; do
                sleep 0.01; n=$((n + 1))
            done
            echo '0 0 65536' > /proc/$u/uid_map && echo '0 0 65536' > /proc/$u/gid_map
            echo go > '\(fifo)'
            wait $u
            """)
    }

    /// run and exec work (the devices cgroup keeps the rules it inherited, device nodes are bound,
    /// setgroups is left alone); additional groups are refused with why, where runc drops them.
    func testRunAndExecInTheCallersUserNamespace() {
        knownDeviation(runtimes: ["crun"], reason: "conformance/crun-v1 cannot hide cgroup2 in a user namespace "
                       + "(umount of /sys/fs/cgroup/unified)") { runAndExecInTheCallersUserNamespace() }
    }

    func runAndExecInTheCallersUserNamespace() {
        let b = makeBundle { c in c.args = ["sleep", "1000"] }
        let id = newID("userns")
        let r = inCallerUserNamespace("""
            rt run -d --bundle '\(b)' \(id) || exit 10
            rt exec \(id) sh -c 'id -u; id -G; cat /proc/self/setgroups; test -c /dev/null && echo null' || exit 11
            """)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "0\n0\ndeny\nnull\n", describe(r))
        let groups = inCallerUserNamespace("rt exec --additional-gids 5 \(id) id -G")
        assertOrDeviation(groups.status != 0, runtimes: ["runc"], reason: "the additional groups are dropped without a word",
                          "exec --additional-gids in a namespace that denies setgroups: \(describe(groups))")
        if isSwiftlet {
            XCTAssertTrue(groups.stderr.contains("additional groups [5] cannot be given: setgroups is denied in this "
                                                 + "user namespace (/proc/self/setgroups: deny)"), describe(groups))
        }
        let deleted = inCallerUserNamespace("rt delete --force \(id)")
        XCTAssertEqual(deleted.status, 0, describe(deleted))
        assertNothingLeftBehind(id, "run and exec in the caller's user namespace")
    }

    /// On a cgroup v2 host the eBPF device filter cannot be loaded in a user namespace (bpf(2)
    /// needs the initial namespace's CAP_BPF): as runc, the container runs without one, under the
    /// filters its cgroup inherits; unless the rules deny a device node the runtime itself gives
    /// the container (linux.devices, the default devices), which would then be usable: refused,
    /// naming both fields, nothing left (runc runs it, and the node is usable).
    func testDeviceRulesOnCgroupV2InTheCallersUserNamespace() {
        knownDeviation(runtimes: ["crun"], reason: "conformance/crun-v1 cannot show cgroup2 at /sys/fs/cgroup") {
            let id = newID("userns")
            let plain = makeBundle { c in
                c[path: "linux.cgroupsPath"] = "/\(id)"
                c[path: "linux.resources.devices"] = [["allow": false, "access": "rwm"]]
                c.shell("echo x > /dev/null && echo null-ok")
            }
            let r = inCallerUserNamespace("rt run --bundle '\(plain)' \(id)", cgroup2View: true)
            XCTAssertEqual(r.status, 0, describe(r))
            XCTAssertEqual(r.stdout, "null-ok\n", describe(r))
            assertNothingLeftBehind(id, "run on cgroup v2 in the caller's user namespace")

            let id2 = newID("userns")
            let kmsgDenied = makeBundle { c in
                c[path: "linux.cgroupsPath"] = "/\(id2)"
                c[path: "linux.devices"] = [["path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o600]]
                c[path: "linux.resources.devices"] = [["allow": false, "access": "rwm"]]
                c.shell("(exec 3>/dev/kmsg) 2>/dev/null && echo kmsg-open || echo kmsg-denied")
            }
            let d = inCallerUserNamespace("rt run --bundle '\(kmsgDenied)' \(id2)", cgroup2View: true)
            assertOrDeviation(d.status != 0, runtimes: ["runc"],
                              reason: "runc 1.1.5 skips the device rules in a user namespace: the denied /dev/kmsg opens",
                              "a denied linux.devices node: \(describe(d))")
            if isSwiftlet {
                XCTAssert(d.stderr.contains("linux.devices[0]") && d.stderr.contains("linux.resources.devices"), describe(d))
            }
            if d.status == 0 { inCallerUserNamespace("rt delete --force \(id2)", cgroup2View: true) }
            assertNothingLeftBehind(id2, "refused run on cgroup v2 in the caller's user namespace")
        }
    }

    /// Without --root, root of a user namespace whose $USER is not root (rootless podman's
    /// runtime) keeps its state in $XDG_RUNTIME_DIR, as runc does; with USER=root, the system one.
    func testDefaultStateDirectoryInTheCallersUserNamespace() {
        knownDeviation(runtimes: ["crun"], reason: "conformance/crun-v1 cannot hide cgroup2 in a user namespace "
                       + "(umount of /sys/fs/cgroup/unified)") {
            let xdg = hostDir("xdg")
            let name = runtimeName.hasPrefix("runc") ? "runc" : "swiftlet"
            let b = makeBundle { c in c.args = ["sleep", "1000"] }
            let id = newID("userns")
            let r = inCallerUserNamespace("""
                env XDG_RUNTIME_DIR='\(xdg)' USER=someone '\(Env.runtime)' run -d --bundle '\(b)' \(id) || exit 10
                test -d '\(xdg)/\(name)/\(id)' && echo in-xdg
                env XDG_RUNTIME_DIR='\(xdg)' USER=someone '\(Env.runtime)' delete --force \(id) || exit 11
                """)
            XCTAssertEqual(r.status, 0, describe(r))
            XCTAssertEqual(r.stdout, "in-xdg\n", describe(r))
            assertNothingLeftBehind(id, "run in the caller's user namespace without --root")
        }
    }
}
