import Foundation
import XCTest

/// The container escapes that hit runc and crun over the years, each tried for real from inside a
/// container or through a hostile bundle (conformance/SECURITY.md has the table). Attacks aimed at
/// the runtime binary run against a copy of it in the test's directory, so a failing test cannot
/// destroy the build.
final class EscapeTests: IntegrationTestCase {
    static let helperDir = "/tmp/swiftlet-it-escape"

    /// Builds the static `escape` helper (and a setuid-root copy) once per test process.
    static let buildError: String? = {
        if let e = CFixture.build("escape.c", to: helperDir + "/escape") { return e }
        Host.sh("cp \(helperDir)/escape \(helperDir)/escape-suid && chown 0:0 \(helperDir)/escape-suid && chmod 4755 \(helperDir)/escape-suid")
        return nil
    }()

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    // MARK: helpers

    /// A copy of the runtime under test in the test's directory (same basename), and a function
    /// running it with this test's --root.
    func runtimeCopy() -> (path: String, run: ([String], TimeInterval) -> ProcResult) {
        let dir = hostDir("bin")
        let copy = dir + "/" + Env.runtimeName
        XCTAssertEqual(Host.sh("cp '\(Env.runtime)' '\(copy)'").status, 0)
        let root = stateRoot
        return (copy, { args, timeout in Host.exec(copy, ["--root", root] + args, timeout: timeout) })
    }

    func sha(_ path: String) -> String { Host.sh("sha256sum '\(path)' | cut -d' ' -f1").stdout }

    /// True when the copy-of-runtime attack cannot be aimed at a copy (crun-v1 is a script around
    /// the system's crun: attacking it would target /usr/bin/crun).
    var runtimeIsWrapperScript: Bool {
        (try? String(contentsOfFile: Env.runtime, encoding: .utf8))?.hasPrefix("#!") == true
    }

    func writeFile(_ path: String, _ text: String, mode: Int = 0o644) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    /// Host mounts whose mount point is `path` or under it.
    func hostMounts(under path: String) -> [String] {
        MountInfo.parse(hostMountinfo().joined(separator: "\n")).map(\.mountPoint)
            .filter { $0 == path || $0.hasPrefix(path + "/") }
    }

    // MARK: 1. CVE-2019-5736: overwriting the runtime binary through /proc/self/exe

    /// The container's second process is the runtime binary itself: `exec` of a `#!/proc/self/exe`
    /// script, and `exec` of /proc/self/exe directly. It blocks on a fifo (--log) until the attacker
    /// in the container holds /proc/<pid>/exe open; once it has exited the attacker reopens that fd
    /// for writing. The runtime binary on the host must be unchanged.
    func testProcSelfExeOverwrite() {
        if runtimeIsWrapperScript {
            print("NOTE: \(runtimeName) is a wrapper script: the attack would target the system binary — not run")
            return
        }
        let (copy, rt) = runtimeCopy()
        let before = sha(copy)
        for (n, trigger) in [["/evil"], ["/proc/self/exe", "--log=/fifo", "x"]].enumerated() {
            let bundle = makeBundle(privateRootfs: true) { c in
                c.shell("""
                    rm -f /fifo /result; mkfifo /fifo
                    pid=; i=0
                    while [ -z "$pid" ] && [ $i -lt 1000 ]; do
                      for p in /proc/[0-9]*; do
                        [ "${p#/proc/}" = "$$" ] && continue
                        if grep -q 'log=/fif[o]' $p/cmdline 2>/dev/null; then pid=${p#/proc/}; fi
                      done
                      i=$((i+1)); usleep 10000
                    done
                    if [ -n "$pid" ] && command exec 3</proc/$pid/exe; then echo "opened $(readlink /proc/$pid/exe)" >>/result
                    else echo "not-opened $pid" >>/result; fi
                    exec 4<>/fifo
                    i=0
                    while [ $i -lt 300 ]; do
                      if (echo pwned >/proc/self/fd/3) 2>/tmp/err; then echo WRITE-OK >>/result; break; fi
                      i=$((i+1)); usleep 10000
                    done
                    cat /tmp/err >>/result; echo done >>/result
                    sleep 100
                    """)
            }
            writeFile(bundle + "/rootfs/evil", "#!/proc/self/exe --log=/fifo\n", mode: 0o755)
            let id = newID("exe")
            let created = rt(["create", "--bundle", bundle, id], 30)
            XCTAssertEqual(created.status, 0, describe(created))
            XCTAssertEqual(rt(["start", id], 30).status, 0)
            let exec = rt(["exec", id] + trigger, 30)
            var result = ""
            for _ in 0..<100 {
                result = (try? String(contentsOfFile: bundle + "/rootfs/result", encoding: .utf8)) ?? ""
                if result.contains("done") { break }
                usleep(50_000)
            }
            _ = rt(["delete", "--force", id], 15)
            XCTAssertEqual(sha(copy), before, "attack \(n): the runtime binary was changed through /proc/<pid>/exe: \(result)")
            XCTAssertFalse(result.contains("WRITE-OK"), "attack \(n): \(result)")
            if isSwiftlet {
                // Either the kernel refused to execute a runtime binary outside the container's
                // mount namespace (Linux 6.x answers ENOENT), or the attack got as far as holding
                // the binary open and only the write was refused.
                let kernelRefused = exec.stderr.contains("No such file or directory")
                // Or the protected binary ran and was gone before the attacker found it: `--log` on a
                // FIFO without a reader fails at once (O_NONBLOCK: ENXIO) and the command line is not
                // the runtime's. The write through a held /proc/<pid>/exe is tried below, on a
                // runtime process that stays.
                // "not-opened PID" contains "opened": the attacker's own lines are matched by prefix.
                let opened = result.split(separator: "\n").contains { $0.hasPrefix("opened ") }
                let ranAndLeftAtOnce = exec.status != 0 && (!opened || result.contains("Read-only file system")
                                                            || result.contains("Operation not permitted"))
                XCTAssertTrue(kernelRefused || ranAndLeftAtOnce || (opened && (result.contains("Read-only file system")
                    || result.contains("Operation not permitted"))), "attack \(n): exec: \(describe(exec))\nresult: \(result)")
            }
        }
        if isSwiftlet {
            // Whatever reaches /proc/<pid>/exe of a runtime process (here the host, for a
            // foreground `exec`) gets a file it cannot write.
            let b = makeBundle { c in c.args = ["sleep", "100"] }
            let id = newID("fg")
            XCTAssertEqual(rt(["run", "-d", "--bundle", b, id], 30).status, 0)
            let fg = Host.spawn(copy, ["--root", stateRoot, "exec", id, "sleep", "1"])
            usleep(300_000)
            let fd = open("/proc/\(fg.pid)/exe", O_RDONLY | O_CLOEXEC)
            XCTAssertGreaterThanOrEqual(fd, 0, "open /proc/\(fg.pid)/exe: \(errno)")
            _ = fg.wait(timeout: 10)
            let w = open("/proc/self/fd/\(fd)", O_WRONLY | O_CLOEXEC)
            let e = errno
            XCTAssertLessThan(w, 0, "the runtime binary could be reopened for writing")
            XCTAssertEqual(e, EROFS, "expected EROFS, got errno \(e)")
            if w >= 0 { close(w) }
            if fd >= 0 { close(fd) }
            _ = rt(["delete", "--force", id], 15)
            XCTAssertEqual(sha(copy), before)
        }
    }

    /// Before its execve the init (waiting on the exec fifo) runs the runtime's code inside the
    /// container's pid namespace: another process there must not get at its /proc/<pid>/exe.
    func testWaitingInitExeNotOpenable() {
        if runtimeIsWrapperScript { return }
        let (copy, rt) = runtimeCopy()
        let before = sha(copy)
        let attacker = makeBundle(privateRootfs: true) { c in c.args = ["sleep", "100"] }
        let a = newID("att")
        XCTAssertEqual(rt(["create", "--bundle", attacker, a], 30).status, 0)
        XCTAssertEqual(rt(["start", a], 30).status, 0)
        guard let aPID = state(a)?["pid"] as? Int else { return XCTFail("no pid for \(a)") }
        let victim = makeBundle { c in
            c.removeNamespace("pid")
            c.addNamespace("pid", path: "/proc/\(aPID)/ns/pid")
            c.args = ["true"]
        }
        let v = newID("vic")
        let created = rt(["create", "--bundle", victim, v], 30)
        XCTAssertEqual(created.status, 0, describe(created))
        let r = rt(["exec", a, "sh", "-c", """
            for p in /proc/[0-9]*; do
              [ "$p" = /proc/$$ ] && continue
              case "$(cat $p/cmdline 2>/dev/null | tr '\\0' ' ')" in *create*\(v)*)
                if command exec 3<$p/exe 2>/dev/null; then echo "opened ${p}"; (echo x >/proc/self/fd/3) 2>&1 && echo WRITE-OK
                else echo "refused ${p}"; fi;;
              esac
            done
            """], 30)
        _ = rt(["delete", "--force", v], 15)
        _ = rt(["delete", "--force", a], 15)
        XCTAssertEqual(sha(copy), before)
        XCTAssertFalse(r.stdout.contains("WRITE-OK"), describe(r))
        if isSwiftlet {
            XCTAssertTrue(r.stdout.contains("refused"), "the waiting init was not found or its exe opened: \(describe(r))")
            XCTAssertFalse(r.stdout.contains("opened"), describe(r))
        }
    }

    // MARK: 2. CVE-2024-21626: leaked fds and working directory

    /// Lists the fds of the container's shell: only 0, 1, 2 (for run, create/start and exec).
    func testOnlyStdioFdsInside() {
        let script = "ls /proc/$$/fd; true"
        XCTAssertEqual(output { c in c.shell(script) }, "0\n1\n2\n", "run")

        let out = hostDir("out")
        let b = makeBundle { c in
            c.addBind(host: out, container: "/out")
            c.shell("(\(script)) >/out/fds; sleep 100")
        }
        let id = newID()
        XCTAssertEqual(runtime(["create", "--bundle", b, id]).status, 0)
        XCTAssertEqual(runtime(["start", id]).status, 0)
        var fds = ""
        for _ in 0..<100 where !fds.hasSuffix("2\n") {
            usleep(30_000)
            fds = (try? String(contentsOfFile: out + "/fds", encoding: .utf8)) ?? ""
        }
        XCTAssertEqual(fds, "0\n1\n2\n", "create/start")
        let e = runtime(["exec", id, "sh", "-c", script])
        XCTAssertEqual(e.stdout, "0\n1\n2\n", "exec: \(describe(e))")
        _ = runtime(["delete", "--force", id])
    }

    /// The re-exec from the detached read-only bind keeps the bind's fd open into the new image
    /// (whose start-up constructor closes it), and it lands in the caller's lowest free fd: with fd 3 closed and 4 open, `--preserve-fds 2` names
    /// exactly its slot. The container of `run` and of `exec` sees 4 and not 3.
    func testReexecFdNotPassedInPreservedRange() {
        let script = "ls /proc/$$/fd; true"
        let rt = "'\(Env.runtime)' --root '\(stateRoot)'"
        let quiet = makeBundle { c in c.shell(script) }
        let r = Host.sh("exec 3<&- 4</dev/null; exec \(rt) run --preserve-fds 2 --bundle '\(quiet)' \(newID()) </dev/null")
        XCTAssertEqual(r.stdout, "0\n1\n2\n4\n", "run: \(describe(r))")

        let b = makeBundle { c in c.shell("sleep 100") }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", b, id]).status, 0)
        let e = Host.sh("exec 3<&- 4</dev/null; exec \(rt) exec --preserve-fds 2 \(id) sh -c '\(script)' </dev/null")
        XCTAssertEqual(e.stdout, "0\n1\n2\n4\n", "exec: \(describe(e))")
        _ = runtime(["delete", "--force", id])
    }

    /// process.cwd through a magic link (/proc/self/fd/N, the runtime's own fds) or `..`: the
    /// process must never start with a working directory outside the rootfs.
    func testCwdCannotLeaveRootfs() {
        let marker = "swiftlet-it/\(token)"
        let probe = "cd ../../../../../../../../..; if [ -d tmp/\(marker) ]; then echo ESCAPED; else echo inside; fi"
        for n in 3...9 {
            let r = runContainer { c in
                c[path: "process.cwd"] = "/proc/self/fd/\(n)"
                c.shell(probe)
            }
            assertOrDeviation(!r.stdout.contains("ESCAPED"), runtimes: ["runc"],
                              reason: "CVE-2024-21626: runc < 1.1.12 leaks a host directory fd", "cwd /proc/self/fd/\(n): \(describe(r))")
            if isSwiftlet {
                XCTAssertNotEqual(r.status, 0, "cwd /proc/self/fd/\(n) was accepted: \(describe(r))")
                XCTAssertTrue(r.stderr.contains("process.cwd"), r.stderr)
            }
        }
        let r = runContainer { c in
            c[path: "process.cwd"] = "/../../../../.."
            c.shell("pwd; " + probe)
        }
        XCTAssertEqual(r.stdout, "/\ninside\n", describe(r))

        // exec --cwd likewise.
        let b = makeBundle { c in c.args = ["sleep", "100"] }
        let id = newID()
        XCTAssertEqual(runtime(["run", "-d", "--bundle", b, id]).status, 0)
        for n in 3...9 {
            let e = runtime(["exec", "--cwd", "/proc/self/fd/\(n)", id, "sh", "-c", probe])
            assertOrDeviation(!e.stdout.contains("ESCAPED"), runtimes: ["runc"],
                              reason: "CVE-2024-21626", "exec --cwd /proc/self/fd/\(n): \(describe(e))")
        }
        _ = runtime(["delete", "--force", id])
    }

    // MARK: 3. CVE-2021-30465, CVE-2025-31133, CVE-2025-52565: symlinks as mount targets

    /// Mount destinations, masked and read-only paths that are symlinks pointing out of the rootfs
    /// (absolute and relative): everything lands inside the rootfs, the host paths stay as they were.
    func testSymlinkMountTargetsStayInside() {
        let hostTarget = hostDir("host-target")
        writeFile(hostTarget + "/keep", "host\n")
        let hostFile = scratch + "/host-file"
        writeFile(hostFile, "host file\n")
        let src = hostDir("src")
        writeFile(src + "/planted", "x\n")
        writeFile(scratch + "/src-file", "bound\n")
        let b = makeBundle(privateRootfs: true) { c in
            c.addMount("/abs-link", type: "tmpfs", source: "tmpfs")
            c.addMount("/rel-link/sub", type: "tmpfs", source: "tmpfs")
            c.addBind(host: src, container: "/bind-link")
            c.addBind(host: self.scratch + "/src-file", container: "/file-link", options: ["bind", "ro"])
            c[path: "linux.maskedPaths"] = ["/masked-link", "/masked-file-link"]
            c[path: "linux.readonlyPaths"] = ["/ro-link"]
            c.shell("ls /abs-link /bind-link; cat /file-link; echo ok")
        }
        let rootfs = b + "/rootfs"
        let up = String(repeating: "../", count: 12)
        for (name, target) in [("abs-link", hostTarget), ("rel-link", up + String(hostTarget.dropFirst())),
                               ("bind-link", hostTarget), ("file-link", hostFile), ("masked-link", hostTarget),
                               ("masked-file-link", hostFile), ("ro-link", hostTarget)] {
            XCTAssertEqual(symlink(target, rootfs + "/" + name), 0, name)
        }
        let r = run(b)
        assertOrDeviation(r.status == 0, runtimes: ["crun"], reason: "crun 1.8 fails on dangling symlinks as mount targets",
                          describe(r))
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: hostTarget)) ?? [], ["keep"])
        XCTAssertEqual(try? String(contentsOfFile: hostTarget + "/keep", encoding: .utf8), "host\n")
        XCTAssertEqual(try? String(contentsOfFile: hostFile, encoding: .utf8), "host file\n")
        XCTAssertEqual(hostMounts(under: hostTarget), [])
        XCTAssertEqual(hostMounts(under: hostFile), [])
        // What the symlinks named was created inside the rootfs instead.
        assertOrDeviation(FileManager.default.fileExists(atPath: rootfs + hostTarget), runtimes: ["crun"],
                          reason: "crun 1.8 fails on dangling symlinks as mount targets", "not created inside: \(rootfs + hostTarget)")
    }

    /// /dev/null swapped for a symlink after the devices were made (here by a createContainer
    /// hook, standing in for a racing container): masking a file with it must not bind the
    /// symlink's target (CVE-2025-31133).
    func testMaskWithSwappedDevNull() {
        let b = makeBundle(privateRootfs: true) { c in
            c[path: "linux.maskedPaths"] = ["/proc/version"]
            c.shell("echo ran")
        }
        let rootfs = b + "/rootfs"
        editConfig(b) { c in
            c.addHook("createContainer", ["path": "/bin/sh", "args": ["sh", "-c",
                "rm -f \(rootfs)/dev/null && ln -s /proc/sys/kernel/hostname \(rootfs)/dev/null"]])
        }
        let r = run(b)
        assertOrDeviation(r.status != 0, runtimes: ["runc", "crun"], reason: "CVE-2025-31133 (fixed in runc 1.2.8)",
                          "a symlinked /dev/null was used to mask paths: \(describe(r))")
        if isSwiftlet { XCTAssertTrue(r.stderr.contains("/dev/null"), r.stderr) }
    }

    func editConfig(_ bundle: String, _ edit: (inout Config) -> Void) {
        let path = bundle + "/config.json"
        var c = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) as? Config ?? [:]
        edit(&c)
        try? jsonText(c).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// /dev/console replaced by a symlink: the terminal must not be bound onto its target
    /// (CVE-2025-52565).
    func testSymlinkedDevConsole() {
        let b = makeBundle(privateRootfs: true) { c in
            c[path: "process.terminal"] = true
            c.mounts = c.mounts.filter { $0["destination"] as? String != "/dev" }
            c.shell("echo ran")
        }
        let rootfs = b + "/rootfs"
        let hostFile = scratch + "/console-target"
        writeFile(hostFile, "host\n")
        Host.sh("mkdir -p '\(rootfs)/dev' && rm -f '\(rootfs)/dev/console' && ln -s /etc/console-target '\(rootfs)/dev/console' && echo inside > '\(rootfs)/etc/console-target'")
        let r = run(b)
        if isSwiftlet {
            XCTAssertNotEqual(r.status, 0, describe(r))
            XCTAssertTrue(r.stderr.contains("/dev/console"), r.stderr)
        }
        XCTAssertEqual(try? String(contentsOfFile: hostFile, encoding: .utf8), "host\n")
        XCTAssertEqual(hostMounts(under: rootfs), [])
    }

    // MARK: 4. CVE-2025-52881: procfs writes redirected by mounts

    /// A bind mount over the procfs file a sysctl (or oom_score_adj) writes to: refused, and the
    /// file that was mounted there is untouched.
    func testProcfsWriteRedirectedByMount() {
        let victim = scratch + "/victim"
        writeFile(victim, "untouched\n")
        let r1 = runContainer { c in
            c.addBind(host: victim, container: "/proc/sys/kernel/domainname", options: ["bind", "rw"])
            c[path: "linux.sysctl"] = ["kernel.domainname": "pwned"]
            c.shell("cat /proc/sys/kernel/domainname")
        }
        assertOrDeviation(r1.status != 0, runtimes: ["runc", "crun"], reason: "CVE-2025-52881 (fixed in runc 1.2.8)",
                          "sysctl written through a bind mount: \(describe(r1))")
        if isSwiftlet {
            XCTAssertTrue(r1.stderr.contains("/proc/sys/kernel/domainname") && r1.stderr.contains("refusing"), r1.stderr)
        }
        assertOrDeviation((try? String(contentsOfFile: victim, encoding: .utf8)) == "untouched\n", runtimes: ["runc", "crun"],
                          reason: "CVE-2025-52881", "the file mounted over /proc/sys/kernel/domainname was written")

        writeFile(victim, "untouched\n")
        let r2 = runContainer { c in
            c.addBind(host: victim, container: "/proc/1/oom_score_adj", options: ["bind", "rw"])
            c[path: "process.oomScoreAdj"] = 500
            c.shell("cat /proc/self/oom_score_adj")
        }
        assertOrDeviation(r2.status != 0, runtimes: ["runc", "crun"], reason: "CVE-2025-52881",
                          "oom_score_adj written through a bind mount: \(describe(r2))")
        if isSwiftlet { XCTAssertTrue(r2.stderr.contains("oom_score_adj"), r2.stderr) }
        assertOrDeviation((try? String(contentsOfFile: victim, encoding: .utf8)) == "untouched\n", runtimes: ["runc", "crun"],
                          reason: "CVE-2025-52881", "the file mounted over /proc/1/oom_score_adj was written")
    }

    // MARK: 5. CVE-2019-16884, CVE-2019-19921: /proc that is not a plain directory

    func testProcMountOnSymlinkOrFileRefused() {
        for (what, setup) in [("symlink", "rm -rf proc && mkdir fakeproc && ln -s /fakeproc proc"),
                              ("file", "rm -rf proc && echo no > proc"),
                              ("symlinked parent", "mkdir -p real/p && ln -s /real linkdir")] {
            let b = makeBundle(privateRootfs: true) { c in
                if what == "symlinked parent" {
                    c.mounts = c.mounts.map { m in
                        var m = m
                        if m["type"] as? String == "proc" { m["destination"] = "/linkdir/p" }
                        return m
                    }
                    c[path: "linux.maskedPaths"] = [String]()
                    c[path: "linux.readonlyPaths"] = [String]()
                }
                c.shell("echo ran")
            }
            XCTAssertEqual(Host.sh("cd '\(b)/rootfs' && \(setup)").status, 0)
            let id = newID()
            let r = runtime(["run", "--bundle", b, id])
            assertOrDeviation(r.status != 0 && !r.stdout.contains("ran"), runtimes: what == "symlinked parent" ? ["runc", "crun"] : [],
                              reason: "proc mounted through a symlinked directory", "\(what): \(describe(r))")
            if isSwiftlet {
                XCTAssertTrue(r.stderr.contains("proc") && (r.stderr.contains("symbolic link") || r.stderr.contains("not a directory")),
                              "\(what): \(r.stderr)")
            }
            assertNothingLeftBehind(id, what)
        }
    }

    // MARK: 6. capabilities, seccomp, no_new_privs cannot be undone from inside

    func testCannotRaiseCapabilities() {
        let out = output { c in
            c.addBind(host: Self.helperDir, container: "/mnt", options: ["rbind", "ro"])
            c.args = ["/mnt/escape", "caps"]
        }
        XCTAssertTrue(out.contains("capset+sys_admin errno 1"), out)
        XCTAssertTrue(out.contains("ambient+sys_admin errno 1"), out)
        XCTAssertTrue(out.contains("bounding-has-sys_admin errno"), out)
        XCTAssertTrue(out.contains("unshare-mount errno 1"), out)
        XCTAssertTrue(out.contains("CapEff:\t" + capMask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])), out)
    }

    func testCannotRemoveSeccompFilter() {
        let out = output { c in
            c.addBind(host: Self.helperDir, container: "/mnt", options: ["rbind", "ro"])
            c[path: "linux.seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW",
                                        "syscalls": [["names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]]]
            c.args = ["/mnt/escape", "seccomp"]
        }
        XCTAssertTrue(out.contains("getpriority-before errno 1"), out)
        XCTAssertTrue(out.contains("prctl-set-seccomp-0 errno"), out)
        XCTAssertTrue(out.contains("getpriority-after errno 1"), "a second filter loosened the first: \(out)")
        XCTAssertTrue(out.contains("Seccomp:\t2"), out)
    }

    func testNoNewPrivsStaysAfterSetuidExec() {
        let out = output { c in
            c.addBind(host: Self.helperDir, container: "/mnt", options: ["rbind", "ro"])
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c[path: "process.noNewPrivileges"] = true
            c.shell("/mnt/escape nnp; /mnt/escape-suid status")
        }
        XCTAssertTrue(out.contains("clear-no-new-privs errno 22"), out)
        XCTAssertTrue(out.contains("no_new_privs 1"), out)
        // After exec of a setuid-root binary: still uid 1000 everywhere, NoNewPrivs still 1.
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("NoNewPrivs") }.count, 2, out)
        XCTAssertTrue(lines.filter { $0.hasPrefix("NoNewPrivs") }.allSatisfy { $0.hasSuffix("1") }, out)
        XCTAssertTrue(lines.filter { $0.hasPrefix("Uid") }.allSatisfy { $0 == "Uid:\t1000\t1000\t1000\t1000" }, out)
    }
}
