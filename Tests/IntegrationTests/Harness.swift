// Harness for the integration tests: runs real containers with the runtime named by
// SWIFTLET_RUNTIME (default: <repo>/.build/release/swiftlet) and checks that each test leaves
// no container, process, mount or cgroup behind.
//
// Every test gets
//   - a unique token (`token`), used as prefix of all its container ids,
//   - a fresh state root `--root /run/swiftlet-test/<token>`,
//   - a scratch directory `/tmp/swiftlet-it/<token>` holding its bundles and host-side files.
// Bundles share one busybox rootfs (/tmp/swiftlet-test-rootfs, built once with
// bundles/mkrootfs.sh) read-only, unless a test asks for a private copy.

import Foundation
import XCTest

typealias ProcResult = (status: Int32, stdout: String, stderr: String)

func describe(_ r: ProcResult) -> String {
    "status \(r.status)\n--- stdout ---\n\(r.stdout)\n--- stderr ---\n\(r.stderr)"
}

enum Env {
    /// The repository root, derived from this file's location (Tests/IntegrationTests/Harness.swift).
    static let repo: String = {
        if let r = ProcessInfo.processInfo.environment["SWIFTLET_REPO"] { return r }
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    static let runtime: String = {
        if let r = ProcessInfo.processInfo.environment["SWIFTLET_RUNTIME"], !r.isEmpty { return r }
        return repo + "/.build/release/swiftlet"
    }()

    /// Basename of the runtime binary: "swiftlet", "runc", "crun", "crun-v1", ...
    static let runtimeName: String = URL(fileURLWithPath: runtime).lastPathComponent

    static var isSwiftlet: Bool { runtimeName.hasPrefix("swiftlet") }

    static let sharedRootfs = "/tmp/swiftlet-test-rootfs"
    static let stateBase = "/run/swiftlet-test"
    static let scratchBase = "/tmp/swiftlet-it"

    /// Builds the shared rootfs once per test process; nil on success, else the error.
    static let rootfsError: String? = {
        let script = repo + "/bundles/mkrootfs.sh"
        let r = Host.exec("/bin/sh", [script, sharedRootfs], timeout: 60)
        if r.status != 0 { return "bundles/mkrootfs.sh failed: \(describe(r))" }
        // Mount points used by the tests; the shared rootfs is mounted read-only in containers.
        for d in ["out", "mnt", "data"] {
            try? FileManager.default.createDirectory(atPath: sharedRootfs + "/" + d, withIntermediateDirectories: true)
        }
        return nil
    }()
}

/// Running external programs with a timeout. stdout/stderr go to files (not pipes), so container
/// processes that inherit them (create, run -d) cannot block the harness.
/// Uses posix_spawn + waitpid directly: Foundation's Process can miss the exit of a child that
/// exits very quickly (and then waits forever), and it leaks the test process's descriptors.
enum Host {
    final class Running {
        let pid: pid_t
        let outPath: String
        let errPath: String
        let started = Date()
        /// Why the program was not started (its output files could not be made), told as its stderr.
        let spawnFailure: String?
        private var result: ProcResult?

        init(pid: pid_t, outPath: String, errPath: String, spawnFailure: String? = nil) {
            self.pid = pid
            self.outPath = outPath
            self.errPath = errPath
            self.spawnFailure = spawnFailure
        }

        /// Waits for the process; kills it (SIGKILL) after `timeout` seconds.
        func wait(timeout: TimeInterval = 30) -> ProcResult {
            if let r = result { return r }
            var status: Int32 = 0
            var timedOut = false
            if pid > 0 {
                let deadline = started.addingTimeInterval(timeout)
                while true {
                    let w = waitpid(pid, &status, WNOHANG)
                    if w == pid || (w < 0 && errno != EINTR) { break }
                    if Date() > deadline && !timedOut {
                        kill(pid, SIGKILL)
                        timedOut = true
                        _ = waitpid(pid, &status, 0)
                        break
                    }
                    usleep(1000)
                }
            }
            let code: Int32
            if pid <= 0 {
                code = 127
            } else if status & 0x7f == 0 {
                code = (status >> 8) & 0xff  // exited
            } else {
                code = 128 + (status & 0x7f)  // killed by a signal
            }
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            var err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            if let spawnFailure { err += spawnFailure }
            if timedOut { err += "\n[harness: killed after \(Int(timeout)) s timeout]" }
            if code != 0 && err.isEmpty, let trouble = Host.outputTrouble(errPath) {
                // A failure that says nothing because its message was lost on the way (a full file
                // system fails the write of its stderr, the file was removed): say so.
                err = "[harness: exit \(code) with nothing on stderr: \(trouble)]"
            }
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            result = (code, out, err)
            return (code, out, err)
        }
    }

    /// Sets FD_CLOEXEC on every open descriptor above 2 (glibc's posix_spawn has no portable
    /// "close all others" action reachable from Swift).
    static func markAllDescriptorsCloseOnExec() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    static func spawn(_ exe: String, _ args: [String], stdin: String? = nil) -> Running {
        let tmp = NSTemporaryDirectory() + "swiftlet-it-io-" + UUID().uuidString
        let outPath = tmp + ".out", errPath = tmp + ".err", inPath = tmp + ".in"
        let outFd = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let errFd = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let openErrno = errno
        let inFd: Int32
        if let stdin = stdin {
            FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8))
            inFd = open(inPath, O_RDONLY | O_CLOEXEC)
            unlink(inPath)
        } else {
            inFd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        defer {
            for fd in [inFd, outFd, errFd] where fd >= 0 { close(fd) }
        }
        // A descriptor that could not be opened would leave the child the test process's own
        // stream there (posix_spawn drops a dup2 of -1): its output would go missing unseen.
        if outFd < 0 || errFd < 0 || inFd < 0 {
            let failure = "[harness: cannot make the output files \(outPath), \(errPath): \(String(cString: strerror(outFd < 0 || errFd < 0 ? openErrno : errno)))]"
            return Running(pid: -1, outPath: outPath, errPath: errPath, spawnFailure: failure)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFd, 0)
        posix_spawn_file_actions_adddup2(&actions, outFd, 1)
        posix_spawn_file_actions_adddup2(&actions, errFd, 2)
        markAllDescriptorsCloseOnExec()  // nothing of the test process leaks into the child

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attr, argv, environ)
        if rc != 0 {
            let msg = "cannot execute \(exe): \(String(cString: strerror(rc)))\n"
            _ = msg.withCString { write(errFd, $0, strlen($0)) }
            pid = -1
        }
        return Running(pid: pid, outPath: outPath, errPath: errPath)
    }

    /// What may have swallowed a program's output written to `path`: the file gone, or its file
    /// system (nearly) full; nil when neither.
    static func outputTrouble(_ path: String) -> String? {
        if !FileManager.default.fileExists(atPath: path) { return "\(path) is gone" }
        let dir = (path as NSString).deletingLastPathComponent
        var fs = statvfs()
        guard statvfs(dir, &fs) == 0 else { return nil }
        let freeKiB = UInt64(fs.f_bavail) * UInt64(fs.f_frsize) / 1024
        guard freeKiB < 1024 || fs.f_favail == 0 else { return nil }
        return "\(dir) is full (\(freeKiB) KiB, \(fs.f_favail) inodes free)"
    }

    static func exec(_ exe: String, _ args: [String], stdin: String? = nil, timeout: TimeInterval = 30) -> ProcResult {
        spawn(exe, args, stdin: stdin).wait(timeout: timeout)
    }

    /// Runs a host shell script.
    @discardableResult
    static func sh(_ script: String, timeout: TimeInterval = 30) -> ProcResult {
        exec("/bin/sh", ["-c", script], timeout: timeout)
    }
}

// MARK: - config.json as a dictionary

typealias Config = [String: Any]

extension Dictionary where Key == String, Value == Any {
    /// Dotted-path access into nested dictionaries: c[path: "process.user.uid"] = 1000.
    /// Setting nil removes the key.
    subscript(path path: String) -> Any? {
        get {
            var cur: Any? = self
            for k in path.split(separator: ".") {
                guard let d = cur as? [String: Any] else { return nil }
                cur = d[String(k)]
            }
            return cur
        }
        set {
            let keys = path.split(separator: ".").map(String.init)
            func set(_ d: inout [String: Any], _ keys: ArraySlice<String>, _ v: Any?) {
                guard let first = keys.first else { return }
                if keys.count == 1 {
                    d[first] = v
                } else {
                    var sub = d[first] as? [String: Any] ?? [:]
                    set(&sub, keys.dropFirst(), v)
                    d[first] = sub
                }
            }
            set(&self, keys[...], newValue)
        }
    }

    var args: [String] {
        get { self[path: "process.args"] as? [String] ?? [] }
        set { self[path: "process.args"] = newValue }
    }

    /// Sets process.args to ["sh", "-c", script].
    mutating func shell(_ script: String) { args = ["sh", "-c", script] }

    var namespaces: [[String: Any]] {
        get { self[path: "linux.namespaces"] as? [[String: Any]] ?? [] }
        set { self[path: "linux.namespaces"] = newValue }
    }

    mutating func addNamespace(_ type: String, path: String? = nil) {
        removeNamespace(type)
        var ns: [String: Any] = ["type": type]
        if let path = path { ns["path"] = path }
        namespaces.append(ns)
    }

    mutating func removeNamespace(_ type: String) {
        namespaces.removeAll { $0["type"] as? String == type }
    }

    var mounts: [[String: Any]] {
        get { self["mounts"] as? [[String: Any]] ?? [] }
        set { self["mounts"] = newValue }
    }

    mutating func addMount(_ destination: String, type: String?, source: String, options: [String] = []) {
        var m: [String: Any] = ["destination": destination, "source": source]
        if let type = type { m["type"] = type }
        if !options.isEmpty { m["options"] = options }
        mounts.append(m)
    }

    mutating func addBind(host: String, container: String, options: [String] = ["rbind", "rw"]) {
        addMount(container, type: "bind", source: host, options: options)
    }

    mutating func appendEnv(_ kv: String) {
        var env = self[path: "process.env"] as? [String] ?? []
        env.append(kv)
        self[path: "process.env"] = env
    }

    mutating func addHook(_ kind: String, _ hook: [String: Any]) {
        var hooks = self["hooks"] as? [String: Any] ?? [:]
        var list = hooks[kind] as? [[String: Any]] ?? []
        list.append(hook)
        hooks[kind] = list
        self["hooks"] = hooks
    }
}

func jsonText(_ value: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}

func parseJSON(_ text: String) -> Any? {
    guard let data = text.data(using: .utf8) else { return nil }
    return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
}

/// The capability bit mask /proc/<pid>/status shows for a list of capability names.
func capMask(_ names: [String]) -> String {
    let numbers: [String: Int] = [
        "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3, "CAP_FSETID": 4,
        "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_LINUX_IMMUTABLE": 9,
        "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11, "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13,
        "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15, "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17,
        "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21,
        "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23, "CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25,
        "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27, "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29,
        "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31, "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33,
        "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35, "CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37,
        "CAP_PERFMON": 38, "CAP_BPF": 39, "CAP_CHECKPOINT_RESTORE": 40,
    ]
    var mask: UInt64 = 0
    for n in names { mask |= 1 << UInt64(numbers[n]!) }
    return String(format: "%016llx", mask)
}

/// Reads a whole file with read(2) (procfs files report size 0, so Foundation's Data reading
/// returns nothing for them). "" when unreadable.
func readFileBytes(_ path: String) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += buf[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Parses "Key:\tvalue" lines (/proc/self/status style).
func statusFields(_ text: String) -> [String: String] {
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return fields
}

/// One parsed line of /proc/self/mountinfo.
struct MountInfo {
    let mountPoint: String
    let root: String
    let options: [String]       // per-mount options (field 6)
    let optional: [String]      // optional fields: shared:N master:N unbindable ...
    let fsType: String
    let source: String
    let superOptions: [String]

    static func parse(_ text: String) -> [MountInfo] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard let dash = f.firstIndex(of: "-"), dash >= 6, f.count >= dash + 3 else { return nil }
            return MountInfo(
                mountPoint: unescape(f[4]), root: unescape(f[3]),
                options: f[5].split(separator: ",").map(String.init),
                optional: Array(f[6..<dash]), fsType: f[dash + 1], source: f[dash + 2],
                superOptions: f.count > dash + 3 ? f[dash + 3].split(separator: ",").map(String.init) : [])
        }
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
            .replacingOccurrences(of: "\\012", with: "\n").replacingOccurrences(of: "\\134", with: "\\")
    }

    /// The topmost (last) mount at a mount point.
    static func find(_ mounts: [MountInfo], _ point: String) -> MountInfo? {
        mounts.last { $0.mountPoint == point }
    }
}

/// The test helpers written in C (Fixtures/*.c), compiled when a test class first needs them.
enum CFixture {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures"

    static func compiler() -> String? {
        ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang", "/opt/swift/usr/bin/clang"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Compiles Fixtures/`source` to `output` (statically linked unless `linkStatic` is false: a
    /// static one also runs inside a container's rootfs); nil on success, else why it could not.
    static func build(_ source: String, to output: String, linkStatic: Bool = true) -> String? {
        guard let cc = compiler() else { return "no C compiler (install gcc and libc6-dev)" }
        let outputDir = URL(fileURLWithPath: output).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        let r = Host.exec(cc, (linkStatic ? ["-static"] : []) + ["-O2", "-o", output, dir + "/" + source], timeout: 120)
        return r.status == 0 ? nil : "building \(source): \(describe(r))"
    }
}

// MARK: - base class

struct SetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

class IntegrationTestCase: XCTestCase {
    /// Unique per test; prefix of every container id of the test and part of every path it uses.
    private(set) var token = ""
    private(set) var stateRoot = ""
    /// Per-test scratch directory for bundles and host-side files.
    private(set) var scratch = ""
    private var mountBaseline: Set<String> = []
    private var bundleCounter = 0

    var runtimeName: String { Env.runtimeName }
    var isSwiftlet: Bool { Env.isSwiftlet }

    override func setUpWithError() throws {
        try super.setUpWithError()
        token = "it" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        stateRoot = Env.stateBase + "/" + token
        scratch = Env.scratchBase + "/" + token
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: Env.stateBase, withIntermediateDirectories: true)
        mountBaseline = Set(hostMountinfo())
        // A setup problem fails the test (never a skip).
        if let e = Env.rootfsError { throw SetupError(message: e) }
        if !FileManager.default.isExecutableFile(atPath: Env.runtime) {
            throw SetupError(message: "runtime \(Env.runtime) is not executable (build it, or set SWIFTLET_RUNTIME)")
        }
    }

    override func tearDownWithError() throws {
        defer {
            try? FileManager.default.removeItem(atPath: stateRoot)
            try? FileManager.default.removeItem(atPath: scratch)
            // The shared parents go with the last test (rmdir fails while another test uses them).
            rmdir(Env.stateBase)
            rmdir(Env.scratchBase)
        }
        guard !token.isEmpty else { return }
        // 1. Force-delete whatever is still there (tests may leave containers on purpose).
        for id in Set(containerIDs() + stateEntries()) {
            _ = runtime(["delete", "--force", id], timeout: 15)
        }
        // 2. Leaks.
        let entries = stateEntries()
        XCTAssert(entries.isEmpty, "leak: state dir \(stateRoot) still has containers \(entries) after delete --force")
        let procs = leakedProcesses()
        XCTAssert(procs.isEmpty, "leak: processes still running: \(procs.map { "\($0.pid): \($0.cmdline)" })")
        for p in procs { kill(p.pid, SIGKILL) }
        let mounts = leakedMounts()
        XCTAssert(mounts.isEmpty, "leak: host mounts left behind:\n\(mounts.joined(separator: "\n"))")
        for m in mounts.reversed() { Host.sh("umount -l '\(m)' 2>/dev/null") }
        let cgroups = leakedCgroups()
        XCTAssert(cgroups.isEmpty, "leak: cgroups left behind: \(cgroups)")
        for c in cgroups.reversed() { rmdir(c) }
        try super.tearDownWithError()
    }

    // MARK: runtime invocation

    /// Runs the runtime with `--root <test root>` prepended.
    @discardableResult
    func runtime(_ args: [String], stdin: String? = nil, timeout: TimeInterval = 30) -> ProcResult {
        Host.exec(Env.runtime, ["--root", stateRoot] + args, stdin: stdin, timeout: timeout)
    }

    func runtime(_ args: String..., stdin: String? = nil) -> ProcResult {
        runtime(args, stdin: stdin)
    }

    /// Starts the runtime without waiting for it.
    func spawnRuntime(_ args: [String]) -> Host.Running {
        Host.spawn(Env.runtime, ["--root", stateRoot] + args)
    }

    /// Runs the runtime without --root (for spec, features, --version).
    func runtimeNoRoot(_ args: [String], cwd: String? = nil) -> ProcResult {
        if let cwd = cwd {
            let quoted = ([Env.runtime] + args).map { "'\($0)'" }.joined(separator: " ")
            return Host.sh("cd '\(cwd)' && exec \(quoted)")
        }
        return Host.exec(Env.runtime, args)
    }

    /// `runtime run --bundle B ID` with stdin from /dev/null.
    @discardableResult
    func run(_ bundle: String, id: String? = nil, extra: [String] = [], timeout: TimeInterval = 30) -> ProcResult {
        runtime(["run", "--bundle", bundle] + extra + [id ?? newID()], timeout: timeout)
    }

    /// Makes a bundle, runs it, and returns the result.
    @discardableResult
    func runContainer(privateRootfs: Bool = false, _ configure: (inout Config) -> Void) -> ProcResult {
        let b = makeBundle(privateRootfs: privateRootfs, configure: configure)
        return run(b)
    }

    /// Runs a container and requires exit status 0; returns stdout.
    func output(privateRootfs: Bool = false, file: StaticString = #filePath, line: UInt = #line,
                _ configure: (inout Config) -> Void) -> String {
        let r = runContainer(privateRootfs: privateRootfs, configure)
        XCTAssertEqual(r.status, 0, "container failed: \(describe(r))", file: file, line: line)
        return r.stdout
    }

    private var idCounter = 0
    func newID(_ name: String = "c") -> String {
        idCounter += 1
        return "\(token)-\(name)\(idCounter)"
    }

    // MARK: bundles

    /// The default config: like `runc spec` (terminal false, rootfs shared and read-only,
    /// without the /sys/fs/cgroup mount), plus SWIFTLET_TEST_ID=<token> in the environment so
    /// leaked container processes can be found.
    func defaultConfig() -> Config {
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        return [
            "ociVersion": "1.0.2",
            "process": [
                "terminal": false,
                "user": ["uid": 0, "gid": 0],
                "args": ["sh", "-c", "true"],
                "env": [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm",
                    "SWIFTLET_TEST_ID=\(token)",
                ],
                "cwd": "/",
                "capabilities": ["bounding": caps, "effective": caps, "permitted": caps, "ambient": caps],
                "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
                "noNewPrivileges": true,
            ] as [String: Any],
            "root": ["path": Env.sharedRootfs, "readonly": true] as [String: Any],
            "hostname": token,
            "mounts": [
                ["destination": "/proc", "type": "proc", "source": "proc"],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
                ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
                 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
                ["destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
                ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                 "options": ["nosuid", "noexec", "nodev"]],
                ["destination": "/sys", "type": "sysfs", "source": "sysfs",
                 "options": ["nosuid", "noexec", "nodev", "ro"]],
            ] as [[String: Any]],
            "linux": [
                "resources": ["devices": [["allow": false, "access": "rwm"]]],
                "namespaces": [["type": "pid"], ["type": "network"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]],
                "maskedPaths": [
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                ],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            ] as [String: Any],
        ]
    }

    /// Creates a bundle directory in the test's scratch dir with config.json from the default
    /// config after `configure`. With privateRootfs the bundle gets its own writable copy of the
    /// rootfs at <bundle>/rootfs (root.readonly false), for tests that write to the rootfs or
    /// mount on paths that do not exist in it.
    func makeBundle(privateRootfs: Bool = false, configure: (inout Config) -> Void = { _ in }) -> String {
        let dir = newBundleDir()
        var config = defaultConfig()
        if privateRootfs {
            let r = Host.sh("cp -a '\(Env.sharedRootfs)' '\(dir)/rootfs'")
            XCTAssertEqual(r.status, 0, "copying the rootfs: \(describe(r))")
            config[path: "root.path"] = dir + "/rootfs"
            config[path: "root.readonly"] = false
        }
        configure(&config)
        writeConfig(dir, jsonText(config))
        return dir
    }

    /// A bundle running `program` (sh -c) in the cgroup at `cgroupsPath` (tests of cgroup ownership).
    func makeBundle(cgroupsPath: String, program: String) -> String {
        makeBundle { c in
            c.shell(program)
            c[path: "linux.cgroupsPath"] = cgroupsPath
        }
    }

    /// A bundle with a private rootfs running `program` (sh -c) and the host directory `shared`
    /// bind-mounted at the same path, so that hooks on the host and the container's processes write
    /// to the same place.
    func makeBundle(sharing shared: String, program: String, _ configure: (inout Config) -> Void) -> String {
        let bundle = makeBundle(privateRootfs: true) { c in
            c.addBind(host: shared, container: shared)
            c.shell(program)
            configure(&c)
        }
        try! FileManager.default.createDirectory(atPath: bundle + "/rootfs" + shared, withIntermediateDirectories: true)
        return bundle
    }

    /// A bundle whose config.json has exactly this text.
    func makeRawBundle(_ text: String) -> String {
        let dir = newBundleDir()
        writeConfig(dir, text)
        return dir
    }

    func newBundleDir() -> String {
        bundleCounter += 1
        let dir = "\(scratch)/bundle\(bundleCounter)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private func writeConfig(_ dir: String, _ text: String) {
        try! text.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
    }

    /// A fresh host directory in the scratch area.
    func hostDir(_ name: String) -> String {
        let d = "\(scratch)/\(name)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    // MARK: state

    func state(_ id: String) -> [String: Any]? {
        let r = runtime(["state", id])
        guard r.status == 0 else { return nil }
        return parseJSON(r.stdout) as? [String: Any]
    }

    func status(_ id: String) -> String? { state(id)?["status"] as? String }

    /// The runtime with `args` (killed after `timeout`), and how many seconds it took: for the tests
    /// that a runtime does not block (a hang, not speed).
    func runtimeTimed(_ args: [String], timeout: TimeInterval) -> (ProcResult, TimeInterval) {
        let started = Date()
        let r = runtime(args, timeout: timeout)
        return (r, Date().timeIntervalSince(started))
    }

    /// Starts a detached container running `sleep` and returns its id.
    func startSleeper(privateRootfs: Bool = false, _ configure: (inout Config) -> Void = { _ in }) -> String {
        let b = makeBundle(privateRootfs: privateRootfs) { c in
            c.args = ["sleep", "1000"]
            configure(&c)
        }
        let id = newID("sleeper")
        let r = run(b, id: id, extra: ["--detach"])
        XCTAssertEqual(r.status, 0, "run -d: \(describe(r))")
        return id
    }

    /// Polls until the container has the status (or until timeout); returns the last status seen.
    @discardableResult
    func waitForStatus(_ id: String, _ want: String, timeout: TimeInterval = 5) -> String? {
        poll(until: want, timeout: timeout) { status(id) }
    }

    /// Reads `read()` every 20 ms until it gives `want` or `timeout` has passed; returns the last value read.
    func poll<Value: Equatable>(until want: Value, timeout: TimeInterval, _ read: () -> Value) -> Value {
        let deadline = Date().addingTimeInterval(timeout)
        var value = read()
        while value != want && Date() < deadline {
            usleep(20_000)
            value = read()
        }
        return value
    }

    /// Container ids as reported by `list --format json`.
    func containerIDs() -> [String] {
        let r = runtime(["list", "--format", "json"], timeout: 15)
        guard r.status == 0, let arr = parseJSON(r.stdout) as? [[String: Any]] else { return [] }
        return arr.compactMap { $0["id"] as? String }
    }

    /// Entries of the state root that belong to this test's containers.
    func stateEntries() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []
        return entries.filter { $0.hasPrefix(token) }.sorted()
    }

    // MARK: leak detection

    func hostMountinfo() -> [String] {
        ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// Mount points added since setUp that mention this test (token) or the shared rootfs.
    func leakedMounts() -> [String] {
        hostMountinfo().filter { !mountBaseline.contains($0) }
            .filter { $0.contains(token) || $0.contains(Env.sharedRootfs) }
            .compactMap { MountInfo.parse($0).first?.mountPoint }
    }

    /// Live (non-zombie) processes whose cmdline or environment mentions this test's token.
    func processesMentioningToken() -> [(pid: Int32, cmdline: String)] {
        let me = getpid()
        var found: [(Int32, String)] = []
        for e in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(e), pid != me else { continue }
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let stateChar = stat[stat.index(close, offsetBy: 2)...].first
            if stateChar == "Z" || stateChar == "X" { continue }
            let cmd = readFileBytes("/proc/\(pid)/cmdline").replacingOccurrences(of: "\0", with: " ")
            let env = readFileBytes("/proc/\(pid)/environ")
            if cmd.contains(token) || env.contains(token) { found.append((pid, cmd)) }
        }
        return found
    }

    /// Processes mentioning the token that survive a grace period of up to 3 s.
    func leakedProcesses() -> [(pid: Int32, cmdline: String)] {
        let deadline = Date().addingTimeInterval(3)
        var procs = processesMentioningToken()
        while !procs.isEmpty && Date() < deadline {
            usleep(50_000)
            procs = processesMentioningToken()
        }
        return procs
    }

    /// Cgroup directories (up to 3 levels deep under each hierarchy) whose name mentions the token.
    func leakedCgroups() -> [String] {
        var found: [String] = []
        func scan(_ dir: String, _ depth: Int) {
            guard depth > 0, let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
            for e in entries {
                let p = dir + "/" + e
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue else { continue }
                if e.contains(token) { found.append(p) }
                scan(p, depth - 1)
            }
        }
        let base = "/sys/fs/cgroup"
        if FileManager.default.fileExists(atPath: base + "/cgroup.controllers") {
            scan(base, 3)
        } else {
            for h in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] { scan(base + "/" + h, 3) }
        }
        return found
    }

    /// Asserts that nothing of container `id` is left: no state entry, not listed, no process of this
    /// test, no mount of this test. For tests that check a failure cleaned up after itself.
    func assertNothingLeftBehind(_ id: String, _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []).filter { $0.hasPrefix(id) }
        XCTAssert(entries.isEmpty, "\(context): state entries left for \(id): \(entries)", file: file, line: line)
        XCTAssertFalse(containerIDs().contains(id), "\(context): \(id) still listed", file: file, line: line)
        XCTAssertNil(state(id), "\(context): state \(id) still succeeds", file: file, line: line)
        let procs = leakedProcesses()
        XCTAssert(procs.isEmpty, "\(context): processes left: \(procs)", file: file, line: line)
        let mounts = leakedMounts()
        XCTAssert(mounts.isEmpty, "\(context): mounts left: \(mounts)", file: file, line: line)
    }

    // MARK: known deviations of reference runtimes

    /// True when the runtime under test is one of `runtimes` (matched on the basename, also as
    /// prefix "runc-..."/"crun-..."). Never true for swiftlet: every check is asserted for it.
    func isKnownDeviation(_ runtimes: [String]) -> Bool {
        if isSwiftlet { return false }
        return runtimes.contains { runtimeName == $0 || runtimeName.hasPrefix($0 + "-") }
    }

    /// Runs `check` (which makes assertions) unless the runtime under test is a reference runtime
    /// listed in `runtimes`: then the check is not asserted and a note is printed instead.
    /// (XCTExpectFailure is not available on Linux.)
    func knownDeviation(runtimes: [String], reason: String, file: StaticString = #filePath, line: UInt = #line,
                        _ check: () -> Void) {
        if isKnownDeviation(runtimes) {
            print("NOTE: known deviation of \(runtimeName) (\(name)): \(reason) — not asserted")
            return
        }
        check()
    }

    /// Asserts `condition`, or for a listed reference runtime only prints the note when it fails.
    func assertOrDeviation(_ condition: Bool, runtimes: [String], reason: String, _ message: @autoclosure () -> String,
                           file: StaticString = #filePath, line: UInt = #line) {
        if condition { return }
        if isKnownDeviation(runtimes) {
            print("NOTE: known deviation of \(runtimeName) (\(name)): \(reason): \(message())")
            return
        }
        XCTFail("\(message())", file: file, line: line)
    }
}

/// Python defining `drain(fd, seconds, seen)`: reads `fd` (a pty master) until it closes or `seconds`
/// have passed, calling `seen` with all read so far after each read; returns all it read.
let pythonDrain = """
import os, select, time
def drain(fd, seconds, seen=None):
    out = b""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try: data = os.read(fd, 4096)
            except OSError: break
            if not data: break
            out += data
            if seen: seen(out)
    return out

"""

extension IntegrationTestCase {
    /// A console-socket listener like an engine's: receives the pty master and copies what comes out
    /// of it into `out` until the pty closes, after the name the runtime sent with it and a "|" when
    /// `withName`. Returns the running listener.
    func consoleListener(socket: String, out: String, withName: Bool = false) -> Host.Running {
        let py = pythonDrain + """
        import socket, array, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
        s.settimeout(20)
        c, _ = s.accept()
        msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(4))
        fd = array.array("i", anc[0][2][:4])[0]
        data = drain(fd, 15)
        open(sys.argv[2], "wb").write((msg + b"|" if sys.argv[3] == "1" else b"") + data)
        """
        let script = scratch + "/console-\(UUID().uuidString).py"
        try! py.write(toFile: script, atomically: true, encoding: .utf8)
        let listener = Host.spawn("/usr/bin/env", ["python3", script, socket, out, withName ? "1" : "0"])
        for _ in 0..<150 where !FileManager.default.fileExists(atPath: socket) { usleep(20_000) }
        return listener
    }
}

/// An engine's setup, run by the first test that needs it only: its answer is kept in `ready` ("" for
/// success). nil when set up, else why not.
func setUpOnce(_ ready: inout String?, _ setUp: () -> String?) -> String? {
    if ready == nil { ready = setUp() ?? "" }
    return ready!.isEmpty ? nil : ready
}
