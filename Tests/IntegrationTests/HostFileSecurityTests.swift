import Foundation
import XCTest

/// Files the runtime writes or reads on the host, attacked for real (conformance/SECURITY.md has the
/// table): symlinks planted where pid files, their temporaries, descriptors.json and the log file go
/// (a directory others may write to), and bad files where config.json, `exec --process` and
/// `update -r` are read from.
final class HostFileSecurityTests: IntegrationTestCase {
    static let victimText = "precious host file\n"

    /// A host file an attacker wants overwritten; the test checks it is unchanged.
    func makeVictim(_ name: String = "victim") -> String {
        let path = hostDir("host") + "/" + name
        try! Self.victimText.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// `vulnerable`: reference runtimes known to write through the symlink (a known deviation there).
    func assertVictimUntouched(_ victim: String, _ context: String, vulnerable: [String] = [],
                               file: StaticString = #filePath, line: UInt = #line) {
        let text = (try? String(contentsOfFile: victim, encoding: .utf8)) ?? "<unreadable>"
        assertOrDeviation(text == Self.victimText, runtimes: vulnerable, reason: "VULNERABLE: writes through the symlink",
                          "\(context): the victim file was written through a planted symlink: now \(text)",
                          file: file, line: line)
    }

    /// Symlinks to `victim` at the pid file's own name and at every temporary name a runtime is known
    /// to use beside it (swiftlet before: `P.tmp`; runc: `.P`).
    func plantPidFileSymlinks(_ pidFile: String, to victim: String) {
        let dir = (pidFile as NSString).deletingLastPathComponent
        let base = (pidFile as NSString).lastPathComponent
        for name in [base, base + ".tmp", "." + base, "." + base + ".tmp"] {
            XCTAssertEqual(symlink(victim, dir + "/" + name), 0, "planting \(name)")
        }
    }

    /// The pid file is a regular file (not the planted symlink) holding `pid`.
    func assertPidFile(_ pidFile: String, _ pid: Int?, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        var st = stat()
        XCTAssertEqual(lstat(pidFile, &st), 0, "\(context): no pid file", file: file, line: line)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFREG, "\(context): the pid file is not a regular file", file: file, line: line)
        let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        XCTAssertEqual(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid, "\(context): pid file \(text)",
                       file: file, line: line)
    }

    // MARK: item 1: host files never written through a planted symlink

    func testPidFilesNeverWrittenThroughPlantedSymlinks() {
        let bundle = makeBundle { $0.args = ["sleep", "1000"] }
        // create, then start.
        do {
            let victim = makeVictim("victim-create")
            let pidFile = hostDir("pids-create") + "/pid"
            plantPidFileSymlinks(pidFile, to: victim)
            let id = newID("create")
            let r = runtime(["create", "--bundle", bundle, "--pid-file", pidFile, id])
            assertVictimUntouched(victim, "create --pid-file", vulnerable: ["crun"])
            assertOrDeviation(r.status == 0, runtimes: ["runc"], reason: "runc's fixed temporary `.P` is taken (O_EXCL): create fails",
                              "create with planted symlinks failed: \(describe(r))")
            if r.status == 0 && !isKnownDeviation(["crun"]) { assertPidFile(pidFile, state(id)?["pid"] as? Int, "create") }
            _ = runtime(["delete", "--force", id])
        }
        // run -d, then exec -d into it.
        let victim = makeVictim("victim-run")
        let pidFile = hostDir("pids-run") + "/pid"
        plantPidFileSymlinks(pidFile, to: victim)
        let id = newID("run")
        let r = runtime(["run", "-d", "--bundle", bundle, "--pid-file", pidFile, id])
        assertVictimUntouched(victim, "run -d --pid-file", vulnerable: ["crun"])
        assertOrDeviation(r.status == 0, runtimes: ["runc"], reason: "runc's fixed temporary `.P` is taken (O_EXCL): run fails",
                          "run -d with planted symlinks failed: \(describe(r))")
        if r.status != 0 {
            // The rest needs a running container.
            XCTAssertEqual(runtime(["run", "-d", "--bundle", bundle, id]).status, 0)
        } else if !isKnownDeviation(["crun"]) {
            assertPidFile(pidFile, state(id)?["pid"] as? Int, "run -d")
        }
        let execVictim = makeVictim("victim-exec")
        let execPidFile = hostDir("pids-exec") + "/pid"
        plantPidFileSymlinks(execPidFile, to: execVictim)
        let e = runtime(["exec", "-d", "--pid-file", execPidFile, id, "sleep", "1000"])
        assertVictimUntouched(execVictim, "exec -d --pid-file", vulnerable: ["crun"])
        assertOrDeviation(e.status == 0, runtimes: ["runc"], reason: "runc's fixed temporary `.P` is taken (O_EXCL): exec fails",
                          "exec -d with planted symlinks failed: \(describe(e))")
        if e.status == 0 && !isKnownDeviation(["crun"]) {
            let text = (try? String(contentsOfFile: execPidFile, encoding: .utf8)) ?? ""
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            assertPidFile(execPidFile, Int(pid), "exec -d")
            XCTAssertEqual(kill(pid, 0), 0, "the exec'd process named by the pid file is not alive")
            let cmd = readFileBytes("/proc/\(pid)/cmdline").replacingOccurrences(of: "\0", with: " ")
            XCTAssertTrue(cmd.hasPrefix("sleep 1000"), "pid file names \(cmd)")
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        // No temporaries are left beside the pid files (only what the test planted and the pid file).
        for (dir, file) in [(pidFile, "pid"), (execPidFile, "pid")] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent)) ?? []
            XCTAssertEqual(Set(entries), Set([file, "pid.tmp", ".pid", ".pid.tmp"]), "left beside the pid file: \(entries)")
        }
        assertNothingLeftBehind(id, "pid files")
    }

    func testCheckpointDescriptorsNotWrittenThroughPlantedSymlinks() {
        let id = newID("ck")
        XCTAssertEqual(run(makeBundle { $0.args = ["sleep", "1000"] }, id: id, extra: ["--detach"]).status, 0)
        let victim = makeVictim()
        let image = hostDir("image")
        for name in ["descriptors.json", "descriptors.json.tmp", ".descriptors.json", ".descriptors.json.tmp"] {
            XCTAssertEqual(symlink(victim, image + "/" + name), 0)
        }
        // criu cannot dump on this kernel; the runtime writes descriptors.json before it runs criu.
        let r = runtime(["checkpoint", "--leave-running", "--image-path", image, "--work-path", scratch + "/work", id],
                        timeout: 60)
        assertVictimUntouched(victim, "checkpoint descriptors.json (status \(r.status))", vulnerable: ["runc"])
        if isSwiftlet {
            var st = stat()
            XCTAssertEqual(lstat(image + "/descriptors.json", &st), 0)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFREG, "descriptors.json is not a regular file")
        }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "checkpoint")
    }

    func testRestoreDoesNotHangOnAFIFOAsDescriptors() {
        if isKnownDeviation(["runc"]) {
            return print("NOTE: known deviation of \(runtimeName) (\(name)): blocks on a FIFO as descriptors.json: not run")
        }
        let image = hostDir("image")
        XCTAssertEqual(mkfifo(image + "/descriptors.json", 0o644), 0)
        let id = newID("rs")
        let started = Date()
        let r = runtime(["restore", "--detach", "--image-path", image, "--bundle", makeBundle { $0.args = ["sleep", "1000"] }, id],
                        timeout: 30)
        // The image is empty: restore fails (criu), but it must get there instead of blocking on the FIFO.
        XCTAssertNotEqual(r.status, 0, describe(r))
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "restore blocked on the FIFO: \(describe(r))")
        assertNothingLeftBehind(id, "restore")
    }

    func testLogFileNotFollowedThroughPlantedSymlink() {
        let victim = makeVictim()
        let log = hostDir("logs") + "/log.json"
        XCTAssertEqual(symlink(victim, log), 0)
        // An error is logged: the container does not exist.
        let r = Host.exec(Env.runtime, ["--root", stateRoot, "--log", log, "--log-format", "json", "state", newID("nothere")])
        XCTAssertNotEqual(r.status, 0)
        let untouched = (try? String(contentsOfFile: victim, encoding: .utf8)) == Self.victimText
        assertOrDeviation(untouched, runtimes: ["runc", "crun"], reason: "follows a symlink at --log (O_APPEND)",
                          "an error line was appended to the victim through the --log symlink")
        if isSwiftlet {
            // The error still reaches the caller, on stderr, with why the log was not written.
            XCTAssertTrue(r.stderr.contains("does not exist"), describe(r))
            XCTAssertTrue(r.stderr.contains("--log \(log)"), describe(r))
        }
    }

    // MARK: item 3: bad files where config.json, exec --process and update -r are read

    /// Something that is not a small regular file, put where a configuration file is read.
    struct BadFile {
        let name: String
        /// What the error must say besides the file's path.
        let words: [String]
        /// Reference runtimes that hang or eat memory on it: not run against them (a note is printed).
        var notRunWith: [String] = []
        /// Reference runtimes known to accept it.
        var acceptedBy: [String] = []
        /// Makes the file at the path; returns the cleanup (an unmount), if any.
        let make: (String) -> (() -> Void)?
    }

    /// A valid process or config padded (in an annotation / env entry) to `size` bytes.
    static func padded(_ json: String, size: Int, key: String) -> String {
        let pad = String(repeating: "x", count: max(0, size - json.utf8.count - key.utf8.count - 8))
        return String(json.dropLast()) + ",\"\(key)\":{\"pad\":\"\(pad)\"}}"
    }

    func badFiles(validJSON: String) -> [BadFile] {
        [
            BadFile(name: "a FIFO", words: ["FIFO"], notRunWith: ["runc", "crun"]) { path in
                XCTAssertEqual(mkfifo(path, 0o644), 0)
                return nil
            },
            BadFile(name: "a symlink to /dev/zero", words: ["character device"], notRunWith: ["crun"]) { path in
                XCTAssertEqual(symlink("/dev/zero", path), 0)
                return nil
            },
            BadFile(name: "/dev/zero bound on it", words: ["character device"], notRunWith: ["crun"]) { path in
                FileManager.default.createFile(atPath: path, contents: Data())
                XCTAssertEqual(Host.sh("mount --bind /dev/zero '\(path)'").status, 0)
                return { Host.sh("umount '\(path)'") }
            },
            BadFile(name: "a directory", words: ["directory"]) { path in
                XCTAssertEqual(mkdir(path, 0o755), 0)
                return nil
            },
            BadFile(name: "a valid 70 MB file", words: ["64 MiB"], acceptedBy: ["runc", "crun"]) { path in
                let text = Self.padded(validJSON, size: 70 << 20, key: "annotations")
                XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
                return nil
            },
        ]
    }

    /// Runs `args` with the bad file in place and checks the refusal: quick, clear, naming the file.
    func checkRefused(_ bad: BadFile, path: String, _ args: [String], context: String, mentions: String) {
        if isKnownDeviation(bad.notRunWith) {
            print("NOTE: known deviation of \(runtimeName) (\(name)): hangs or exhausts memory on \(bad.name) as \(context): not run")
            return
        }
        let cleanup = bad.make(path)
        defer { cleanup?() }
        let (r, elapsed) = runtimeTimed(args, timeout: 20)
        if r.status == 0 && isKnownDeviation(bad.acceptedBy) {
            print("NOTE: known deviation of \(runtimeName) (\(name)): accepts \(bad.name) as \(context)")
            return
        }
        XCTAssertNotEqual(r.status, 0, "[\(bad.name) as \(context)] accepted: \(describe(r))")
        XCTAssertLessThan(elapsed, 10, "[\(bad.name) as \(context)] took \(elapsed) s")
        if isSwiftlet {
            XCTAssertTrue(r.status < 128 || (args.first == "exec" && r.status == 255),
                          "[\(bad.name) as \(context)] died of a signal: \(describe(r))")
            XCTAssertFalse(r.stderr.contains("Fatal error"), "[\(bad.name) as \(context)] trap: \(describe(r))")
            XCTAssertTrue(r.stderr.contains(mentions), "[\(bad.name) as \(context)] should name \(mentions): \(r.stderr)")
            XCTAssertTrue(bad.words.contains { r.stderr.contains($0) }, "[\(bad.name) as \(context)] should say \(bad.words): \(r.stderr)")
        }
    }

    func testBadFilesAsConfigJSON() {
        let valid = jsonText(defaultConfig())
        for bad in badFiles(validJSON: valid) {
            let bundle = newBundleDir()
            let id = newID("badfile")
            checkRefused(bad, path: bundle + "/config.json", ["create", "--bundle", bundle, id], context: "config.json",
                         mentions: bundle + "/config.json")
            _ = runtime(["delete", "--force", id])
            assertNothingLeftBehind(id, bad.name)
        }
    }

    func testBadFilesAsExecProcessAndUpdateResources() {
        let id = newID("target")
        XCTAssertEqual(run(makeBundle { $0.args = ["sleep", "1000"] }, id: id, extra: ["--detach"]).status, 0)
        let process = jsonText(["args": ["true"], "cwd": "/", "user": ["uid": 0, "gid": 0], "env": ["A=b"]] as [String: Any])
        for (i, bad) in badFiles(validJSON: process).enumerated() {
            let path = hostDir("process\(i)") + "/process.json"
            checkRefused(bad, path: path, ["exec", "--process", path, id], context: "exec --process", mentions: path)
            XCTAssertEqual(status(id), "running", "[\(bad.name)] the container was disturbed")
        }
        let resources = jsonText(["pids": ["limit": 100]] as [String: Any])
        for (i, bad) in badFiles(validJSON: resources).enumerated() {
            let path = hostDir("resources\(i)") + "/resources.json"
            checkRefused(bad, path: path, ["update", "-r", path, id], context: "update -r", mentions: path)
            XCTAssertEqual(status(id), "running", "[\(bad.name)] the container was disturbed")
        }
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
        assertNothingLeftBehind(id, "exec --process / update -r")
    }

    func testFIFOAsNamespacePathDoesNotHang() {
        if isKnownDeviation(["runc", "crun"]) {
            // runc's init stays blocked in the open (its processes and cgroups are left behind).
            return print("NOTE: known deviation of \(runtimeName) (\(name)): blocks on a FIFO as linux.namespaces[].path: not run")
        }
        let fifo = hostDir("ns") + "/net"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let bundle = makeBundle { $0.addNamespace("network", path: fifo) }
        let id = newID("nsfifo")
        let (r, elapsed) = runtimeTimed(["create", "--bundle", bundle, id], timeout: 20)
        XCTAssertLessThan(elapsed, 10, "create blocked on a FIFO as linux.namespaces[].path: \(describe(r))")
        XCTAssertNotEqual(r.status, 0, "a FIFO was joined as a network namespace: \(describe(r))")
        if isSwiftlet {
            XCTAssertLessThan(r.status, 128, describe(r))
            XCTAssertTrue(r.stderr.contains("network") || r.stderr.contains("namespace"), describe(r))
        }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "FIFO as a namespace path")
    }

    func testLargeValidConfigRunsEndToEnd() {
        // 46 MB: under the 64 MiB limit, larger than anything the runtime's internal messages allowed.
        let bundle = newBundleDir()
        var config = defaultConfig()
        config.shell("echo ran")
        let text = Self.padded(jsonText(config), size: 46_000_000, key: "annotations")
        XCTAssertNoThrow(try text.write(toFile: bundle + "/config.json", atomically: false, encoding: .utf8))
        let id = newID("large")
        let c = runtime(["create", "--bundle", bundle, id], timeout: 120)
        XCTAssertEqual(c.status, 0, "create with a 46 MB config.json: \(describe(c))")
        guard c.status == 0 else { return }
        let st = runtime(["state", id])
        let annotations = (parseJSON(st.stdout) as? [String: Any])?["annotations"] as? [String: String]
        XCTAssertGreaterThan(annotations?["pad"]?.count ?? 0, 45_000_000, "the padding annotation in state")
        XCTAssertEqual(runtime(["start", id]).status, 0)
        XCTAssertEqual(waitForStatus(id, "stopped", timeout: 30), "stopped")
        XCTAssertEqual(runtime(["delete", id], timeout: 60).status, 0)
        assertNothingLeftBehind(id, "46 MB config")
    }

    // MARK: item 2: the CVE-2019-5736 defence fails closed

    static let denyHelper = "/tmp/swiftlet-it-hostfiles/fail-syscalls"
    static let helperError = CFixture.build("fail-syscalls.c", to: denyHelper)

    /// A container that prints "ran". The init stage makes masked and read-only paths with open_tree
    /// too: without them the container itself needs neither open_tree nor memfd_create, so a runtime
    /// that runs on unprotected does run it.
    func echoRanBundle() -> String {
        makeBundle { c in
            c.shell("echo ran")
            c[path: "linux.maskedPaths"] = nil
            c[path: "linux.readonlyPaths"] = nil
        }
    }

    func testRefusesToRunFromAWritableBinary() throws {
        if let e = Self.helperError { throw SetupError(message: e) }
        let bundle = echoRanBundle()
        func runDenied(_ syscalls: String, id: String, bundle: String, memfdNoexec: Bool = false) -> ProcResult {
            let words = [Self.denyHelper, syscalls, "\(EPERM)", Env.runtime, "--root", stateRoot, "run", "--bundle", bundle, id]
            let command = words.map { "'\($0)'" }.joined(separator: " ")
            if !memfdNoexec { return Host.sh("exec \(command) </dev/null", timeout: 30) }
            // vm.memfd_noexec is per pid namespace (kernel 6.3+): set to 2 only in a new one that goes away
            // with the command. 2 refuses executable memfds (MFD_EXEC) and the exec of any memfd.
            return Host.sh("exec unshare -p -f --mount-proc sh -c 'echo 2 > /proc/sys/vm/memfd_noexec && exec \(command.replacingOccurrences(of: "'", with: "'\\''")) </dev/null'",
                           timeout: 30)
        }
        let hostNoexec = readFileBytes("/proc/sys/vm/memfd_noexec")
        for (name, syscalls, noexec) in [("seccomp denies open_tree and memfd_create", "open_tree,open_tree_attr,memfd_create", false),
                                         ("seccomp denies open_tree, vm.memfd_noexec=2", "open_tree,open_tree_attr", true)] {
            let id = newID("unprotected")
            let r = runDenied(syscalls, id: id, bundle: bundle, memfdNoexec: noexec)
            let refused = r.status != 0 && !r.stdout.contains("ran")
            assertOrDeviation(refused, runtimes: ["runc", "crun"], reason: "runs from a copy of itself in a temporary file where memfd_create fails",
                              "[\(name)] the container ran from the writable binary: \(describe(r))")
            if isSwiftlet {
                XCTAssertTrue(r.stderr.contains("CVE-2019-5736") && r.stderr.contains("refusing"), "[\(name)] \(describe(r))")
                XCTAssertTrue(r.stderr.contains("open_tree"), "[\(name)] names the failed bind: \(describe(r))")
                XCTAssertTrue(r.stderr.contains("memfd_create"), "[\(name)] names the failed copy: \(describe(r))")
            }
            _ = runtime(["delete", "--force", id])
            assertNothingLeftBehind(id, name)
        }
        XCTAssertEqual(readFileBytes("/proc/sys/vm/memfd_noexec"), hostNoexec, "the host's vm.memfd_noexec changed")
        // One way left is enough.
        let ok = runDenied("memfd_create", id: newID("bindonly"), bundle: bundle)
        XCTAssertEqual(ok.status, 0, "only memfd_create denied: the read-only bind protects: \(describe(ok))")
        XCTAssertTrue(ok.stdout.contains("ran"), describe(ok))
        let copy = runDenied("open_tree,open_tree_attr", id: newID("memfdonly"), bundle: bundle)
        XCTAssertEqual(copy.status, 0, "only open_tree denied: the sealed memfd protects: \(describe(copy))")
        XCTAssertTrue(copy.stdout.contains("ran"), describe(copy))
    }

    /// The system calls the runtime's first image makes, in order (strace without -f: that process
    /// alone, until its exec and after), and the container's output. `denied`: system calls a seccomp
    /// filter fails with EPERM (fail-syscalls).
    func tracedFirstImage(_ bundle: String, id: String, denied: String?,
                          globalFlags: [String]? = nil) -> (calls: [String], result: ProcResult) {
        tracedFirstImageOf((globalFlags ?? ["--root", stateRoot]) + ["run", "--bundle", bundle, id], id: id, denied: denied)
    }

    /// The same for the runtime given `args`.
    func tracedFirstImageOf(_ args: [String], id: String, denied: String? = nil) -> (calls: [String], result: ProcResult) {
        let trace = scratch + "/first-image-\(id)"
        let strace = ["/usr/bin/strace", "-qq", "-o", trace, Env.runtime] + args
        let words = (denied.map { [Self.denyHelper, $0, "\(EPERM)"] } ?? []) + strace
        let r = Host.sh("exec " + words.map { "'\($0)'" }.joined(separator: " ") + " </dev/null", timeout: 60)
        let lines = ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").split(separator: "\n")
        // Signals (`--- SIGCHLD ...`) and the exit are not calls.
        let calls = lines.compactMap { line -> String? in
            guard let open = line.firstIndex(of: "("), line.first?.isLetter == true else { return nil }
            // strace before 6.15 names open_tree_attr by its number.
            let name = line[..<open] == "syscall_0x1d3" ? "open_tree_attr" : String(line[..<open])
            return line.contains(") = -1 ") ? name + " failed" : name
        }
        return (calls, r)
    }

    /// What the entry point asks first, in every command: whether fds 0, 1 and 2 are open
    /// (ClosedStdioTests) and the stack limit (StackLimitTests).
    static let entryChecks = ["execve", "fcntl", "fcntl", "fcntl", "prlimit64"]

    /// The re-exec from the read-only bind happens at the binary's own entry point, before glibc's
    /// static start-up (brk, arch_prctl, set_tid_address...; ~350 µs of cpuid traps in a VM), so that
    /// a `run` pays that start-up once; and when the bind is refused (seccomp fails open_tree), glibc
    /// starts and the constructor's sealed copy protects the binary as before.
    func testReExecBeforeLibcStartUp() throws {
        if let e = Self.helperError { throw SetupError(message: e) }
        let bundle = echoRanBundle()
        let id = newID("entry")
        let (calls, r) = tracedFirstImage(bundle, id: id, denied: nil)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.contains("ran"), describe(r))
        if isSwiftlet {
            // The re-executed image's entry point asks again, finds the bind's fd named, and returns.
            XCTAssertEqual(Array(calls.prefix(13)),
                           Self.entryChecks + ["statfs", "open_tree_attr", "execveat"] + Self.entryChecks.dropFirst() + ["brk"],
                           "the first image calls nothing before its re-exec: \(calls.prefix(16))")
        }
        _ = runtime(["delete", "--force", id])
        assertNothingLeftBehind(id, "run")

        // The command found past global flags in each of runc's spellings, before libc as after it.
        let log = scratch + "/entry-log"
        for flags in [["--root=" + stateRoot], ["--log", log, "-log-format", "json", "--root", stateRoot]] {
            let flagged = newID("entryflags")
            let (calls, r) = tracedFirstImage(bundle, id: flagged, denied: nil, globalFlags: flags)
            XCTAssertEqual(r.status, 0, "\(flags): \(describe(r))")
            if isSwiftlet {
                XCTAssertEqual(Array(calls.prefix(8)), Self.entryChecks + ["statfs", "open_tree_attr", "execveat"],
                               "\(flags): \(calls.prefix(14))")
            }
            _ = runtime(["delete", "--force", flagged])
            assertNothingLeftBehind(flagged, "\(flags)")
        }
        // Not a command that enters a container: glibc starts at once.
        let (listCalls, list) = tracedFirstImageOf(["--root", stateRoot, "list"], id: newID("entrylist"))
        XCTAssertEqual(list.status, 0, describe(list))
        if isSwiftlet {
            XCTAssertEqual(Array(listCalls.prefix(6)), Self.entryChecks + ["brk"], "list: \(listCalls.prefix(14))")
        }

        let refused = newID("entryfallback")
        let (fallback, f) = tracedFirstImage(bundle, id: refused, denied: "open_tree,open_tree_attr")
        XCTAssertEqual(f.status, 0, "open_tree refused: the sealed copy protects: \(describe(f))")
        XCTAssertTrue(f.stdout.contains("ran"), describe(f))
        if isSwiftlet {
            XCTAssertEqual(Array(fallback.prefix(9)), Self.entryChecks + ["statfs", "open_tree_attr failed", "open_tree failed", "brk"],
                           "the entry point gives up at the refusal: \(fallback.prefix(14))")
            // glibc started, then the constructor's path: the bind again, then the copy.
            let afterEntry = fallback.dropFirst(8)
            let copy = afterEntry.firstIndex(of: "memfd_create")
            XCTAssertNotNil(copy, "the constructor made the sealed copy: \(fallback.prefix(60))")
            XCTAssertEqual(afterEntry.firstIndex(of: "open_tree failed").map { $0 < (copy ?? 0) }, true,
                           "the constructor tried the bind first: \(fallback.prefix(60))")
            XCTAssertTrue(afterEntry.contains("execveat"), "\(fallback.prefix(60))")
        }
        _ = runtime(["delete", "--force", refused])
        assertNothingLeftBehind(refused, "open_tree refused")
    }
}
