import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

// Checkpoint and restore through CRIU's command line (`criu dump` / `criu restore`), with the
// options runc's RPC requests set. The command lines are built by the pure `CriuCommand`
// functions (unit-tested); `Runtime.checkpoint/restore` gather the container's facts, run criu,
// and on failure report criu's own error lines from its log and leave nothing changed.
//
// Image directory layout (as runc's): criu's *.img files, plus `descriptors.json`, the JSON
// array of what the container's fds 0, 1, 2 were (readlink of /proc/<pid>/fd/N, e.g.
// "/dev/null", "pipe:[1234]"); restore hands pipes back to criu with --inherit-fd. The work
// directory (default <state dir>/criu.work, as runc) holds dump.log / restore.log.

/// runc's `checkpoint`/`restore` flags.
public struct CriuOptions: Equatable {
    public var imagePath: String
    public var workPath: String?
    /// Relative to imagePath (runc refuses an absolute one).
    public var parentPath: String?
    public var leaveRunning = false
    public var tcpEstablished = false
    public var extUnixSk = false
    public var shellJob = false
    public var fileLocks = false
    public var preDump = false
    public var autoDedup = false
    public var lazyPages = false
    public var statusFD: Int32 = -1
    /// ADDRESS:PORT of a page server.
    public var pageServer: String?
    /// soft, full or strict.
    public var manageCgroupsMode: String?
    /// Namespaces to create empty on restore (runc accepts "network").
    public var emptyNamespaces: [String] = []
    public var lsmProfile: String?
    public var lsmMountContext: String?
    /// The criu binary (global --criu).
    public var criu = "criu"

    public init(imagePath: String) { self.imagePath = imagePath }

    /// Checks the values runc checks, with its messages.
    public func validate() throws {
        if let mode = manageCgroupsMode, !["soft", "full", "strict", "ignore"].contains(mode) {
            throw RuntimeError.flag("--manage-cgroups-mode",
                                    "invalid manage cgroups mode \"\(mode)\" (want soft, full or strict)")
        }
        for ns in emptyNamespaces where ns != "network" {
            throw RuntimeError.flag("--empty-ns", "namespace \"\(ns)\" is not supported (only \"network\")")
        }
        if let p = parentPath, p.hasPrefix("/") { throw RuntimeError.flag("--parent-path", "must be relative (to --image-path)") }
        if let ps = pageServer, CriuCommand.splitHostPort(ps) == nil {
            throw RuntimeError.flag("--page-server", "use ADDRESS:PORT, got \"\(ps)\"")
        }
    }
}

/// What criu's command line needs to know about the container.
public struct CriuContainer: Equatable {
    public var pid: pid_t = 0
    /// --root: the root filesystem (restore: its bind in the criu-root directory).
    public var root: String
    /// Bind mounts and their host sources: external to the image (criu cannot dump their contents).
    public var bindMounts: [(destination: String, source: String)] = []
    /// Masked paths that are files (bound from /dev/null).
    public var maskedFiles: [String] = []
    /// Joined (not created) network/pid namespaces: criu key and inode (dump), fd (restore).
    public var externalNamespaces: [(key: String, inode: UInt64, fd: Int32)] = []
    /// The container created its own network namespace (restored empty, as runc: it does not
    /// manage network devices).
    public var ownNetworkNamespace = true
    /// The cgroup criu freezes while dumping (v1 freezer directory or v2 cgroup).
    public var freezeCgroup: String?
    /// Restore: cgroup roots, "controller:/path" or "/path".
    public var cgroupRoots: [String] = []
    /// Restore: descriptors.json of the image (what fds 0-2 were).
    public var descriptors: [String] = []

    public init(root: String) { self.root = root }

    public static func == (a: CriuContainer, b: CriuContainer) -> Bool {
        a.pid == b.pid && a.root == b.root && a.bindMounts.map { "\($0.destination)\0\($0.source)" } ==
            b.bindMounts.map { "\($0.destination)\0\($0.source)" } && a.maskedFiles == b.maskedFiles
            && a.externalNamespaces.map { "\($0.key)\($0.inode)\($0.fd)" } == b.externalNamespaces.map { "\($0.key)\($0.inode)\($0.fd)" }
            && a.ownNetworkNamespace == b.ownNetworkNamespace && a.freezeCgroup == b.freezeCgroup
            && a.cgroupRoots == b.cgroupRoots && a.descriptors == b.descriptors
    }
}

public enum CriuCommand {
    public static let dumpLog = "dump.log"
    public static let preDumpLog = "pre-dump.log"
    public static let restoreLog = "restore.log"
    public static let descriptorsFile = "descriptors.json"

    static func splitHostPort(_ s: String) -> (String, String)? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        let host = String(s[..<colon]).trimmingBrackets
        let port = String(s[s.index(after: colon)...])
        guard !host.isEmpty, let p = Int(port), p > 0, p < 65536 else { return nil }
        return (host, port)
    }

    /// Options common to dump and restore.
    static func common(_ o: CriuOptions, workPath: String, log: String) -> [String] {
        var a = ["--images-dir", o.imagePath, "--work-dir", workPath, "-v4", "--log-file", log]
        if o.tcpEstablished { a.append("--tcp-established") }
        if o.extUnixSk { a.append("--ext-unix-sk") }
        if o.shellJob { a.append("--shell-job") }
        if o.fileLocks { a.append("--file-locks") }
        if o.autoDedup { a.append("--auto-dedup") }
        a.append(o.manageCgroupsMode.map { "--manage-cgroups=\($0)" } ?? "--manage-cgroups")
        return a
    }

    /// `criu dump` (or `pre-dump`) of the container's process tree.
    public static func dump(_ o: CriuOptions, _ c: CriuContainer, workPath: String) -> [String] {
        var a = [o.preDump ? "pre-dump" : "dump", "--tree", "\(c.pid)", "--root", c.root]
        a += common(o, workPath: workPath, log: o.preDump ? preDumpLog : dumpLog)
        if o.leaveRunning && !o.preDump { a.append("--leave-running") }
        if let parent = o.parentPath {
            a += ["--prev-images-dir", parent, "--track-mem"]
        } else if o.preDump {
            a.append("--track-mem")
        }
        if let f = c.freezeCgroup { a += ["--freeze-cgroup", f] }
        if let ps = o.pageServer, let (host, port) = splitHostPort(ps) {
            a += ["--page-server", "--address", host, "--port", port]
        }
        if o.lazyPages && !o.preDump {
            a.append("--lazy-pages")
            if o.statusFD >= 0 { a += ["--status-fd", "\(o.statusFD)"] }
        }
        for m in c.bindMounts { a += ["--external", "mnt[\(m.destination)]:\(m.destination)"] }
        for p in c.maskedFiles { a += ["--external", "mnt[\(p)]:\(p)"] }
        for ns in c.externalNamespaces { a += ["--external", "\(namespaceKind(ns.key))[\(ns.inode)]:\(ns.key)"] }
        return a
    }

    /// `criu restore`, detached, with the restored tree made a sibling of criu (so a child of swiftlet).
    public static func restore(_ o: CriuOptions, _ c: CriuContainer, workPath: String, pidFile: String) -> [String] {
        var a = ["restore", "--restore-detached", "--restore-sibling", "--pidfile", pidFile, "--root", c.root]
        a += common(o, workPath: workPath, log: restoreLog)
        if o.lazyPages { a.append("--lazy-pages") }
        for r in c.cgroupRoots { a += ["--cgroup-root", r] }
        for m in c.bindMounts { a += ["--external", "mnt[\(m.destination)]:\(m.source)"] }
        for p in c.maskedFiles { a += ["--external", "mnt[\(p)]:/dev/null"] }
        for ns in c.externalNamespaces { a += ["--inherit-fd", "fd[\(ns.fd)]:\(ns.key)"] }
        var empty = Set(o.emptyNamespaces)
        if c.ownNetworkNamespace { empty.insert("network") }
        if empty.contains("network") { a += ["--empty-ns", "net"] }
        for (i, d) in c.descriptors.prefix(3).enumerated() where d.hasPrefix("pipe:") {
            a += ["--inherit-fd", "fd[\(i)]:\(d)"]
        }
        if let p = o.lsmProfile { a += ["--lsm-profile", p] }
        if let m = o.lsmMountContext { a += ["--lsm-mount-context", m] }
        return a
    }

    static func namespaceKind(_ key: String) -> String { key == "extRootPidNS" ? "pid" : "net" }

    /// criu's error lines from its log ("(00.036) Error (criu/vdso.c:381): vdso: ..."), without the
    /// timestamps; the last lines of the log when it has none.
    public static func errorLines(fromLog text: String) -> [String] {
        let lines = text.split(separator: "\n").map(String.init)
        var errors: [String] = []
        for line in lines where line.containsText("Error (") || line.hasPrefix("Error") {
            var l = Substring(line)
            if l.hasPrefix("("), let close = l.firstIndex(of: ")") { l = l[l.index(after: close)...] }
            errors.append(String(l.drop { $0 == " " }))
        }
        return errors.isEmpty ? Array(lines.suffix(3)) : errors
    }

    /// descriptors.json contents.
    public static func descriptorsJSON(_ fds: [String]) -> String {
        String(decoding: JSON.serialize(.array(fds.map { .string($0) })), as: UTF8.self)
    }

    public static func parseDescriptors(_ text: String) -> [String] {
        guard case .array(let items)? = try? JSON.parse(Array(text.utf8)) else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }
}

extension String {
    var trimmingBrackets: String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}

extension Runtime {
    /// Where `criu` is: the --criu value, searched in PATH when it has no slash.
    static func findCriu(_ name: String) throws -> String {
        if name.contains("/") {
            do { try checkAccess(name, X_OK) } catch {
                throw RuntimeError(step: "criu", object: name, "\(name) is not executable", cause: error)
            }
            return name
        }
        let path = environmentValue("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") where isAccessible("\(dir)/\(name)", X_OK) { return "\(dir)/\(name)" }
        throw RuntimeError(step: "criu", object: name, "\"\(name)\" not found in PATH (install criu, or pass --criu PATH)")
    }

    /// The container's facts for criu's command line, from its saved config.
    func criuContainer(spec: Spec, mounts: [MountPlan], rootfs: String, bundle: String) -> CriuContainer {
        var c = CriuContainer(root: rootfs)
        for planned in mounts where planned.isBind {
            var src = planned.mount.source ?? ""
            if !src.hasPrefix("/") { src = bundle + "/" + src }
            c.bindMounts.append((Kernel.cleanPath("/" + planned.mount.destination), src))
        }
        for p in spec.linux?.maskedPaths ?? [] {
            let kind = FileKind.following(path: rootfs + p)
            if kind != .directory && kind != .missing { c.maskedFiles.append(p) }
        }
        c.ownNetworkNamespace = (spec.linux?.namespaces ?? []).contains { $0.type == "network" && ($0.path ?? "").isEmpty }
        return c
    }

    /// Runs criu with `args`; returns its exit status. `inChild` runs in the forked child before exec.
    func runCriu(_ criu: String, _ args: [String], inChild: () -> Bool = { true }) throws -> Int32 {
        let pid = try Proc.fork()
        if pid == 0 {
            if !inChild() { Proc.exit(125) }
            _ = try? Proc.exec(path: criu, args: [criu] + args, env: Proc.environment())
            Proc.exit(127)
        }
        return (try Proc.wait(pid)).status
    }

    /// criu's failure as users see it: `what` (`checkpoint <id>`) is the step, criu's error lines
    /// from its log the reason, the log file the object. A default work directory of a failed
    /// restore goes with the state directory: its log is then not named (it is gone).
    func criuFailure(_ what: String, status: Int32, log: String, keepsLog: Bool = true) -> RuntimeError {
        let text = (try? readTextFile(path: log)) ?? ""
        var msg = "criu failed (exit status \(status))"
        if status == 127 { msg += ": could not execute criu" }
        let lines = CriuCommand.errorLines(fromLog: text)
        if !lines.isEmpty { msg += ": " + lines.joined(separator: "; ") }
        return RuntimeError(step: what, object: keepsLog ? log : nil, keepsLog ? msg + "\nlog file: \(log)" : msg)
    }

    /// `checkpoint`: dumps a running container with criu. Unless --leave-running or --pre-dump, the
    /// container is gone afterwards (criu kills it) and its state is deleted, as runc does. When
    /// criu fails, the container keeps running untouched (thawed if criu left it frozen).
    public func checkpoint(id: String, options o: CriuOptions) throws {
        try o.validate()
        let locked = try store.lock(id)
        var unlocked = false
        defer { if !unlocked { locked.unlock() } }
        let record = try store.load(id, locked: locked)
        let status = store.status(of: record)
        guard status == .running || status == .paused else {
            throw RuntimeError(object: id, "container \(id) cannot be checkpointed in \(status.rawValue) state")
        }
        let criu = try Runtime.findCriu(o.criu)
        do { try makeDirectories(o.imagePath, mode: 0o700) } catch {
            throw RuntimeError(field: .flag("--image-path"), object: o.imagePath, cause: error)
        }
        if let parent = o.parentPath, !isDirectory(o.imagePath + "/" + parent) {
            throw RuntimeError(field: .flag("--parent-path"), object: o.imagePath + "/" + parent,
                               "\(o.imagePath)/\(parent) is not a directory")
        }
        let work = o.workPath ?? store.directory(id) + "/criu.work"
        do { try makeDirectories(work, mode: 0o700) } catch {
            throw RuntimeError(field: .flag("--work-path"), object: work, cause: error)
        }

        var c = criuContainer(spec: record.config, mounts: MountPlan.resolve(record.config).mounts, rootfs: record.rootfs,
                              bundle: record.bundle)
        c.pid = record.pid
        for (i, ns) in (record.config.linux?.namespaces ?? []).enumerated() {
            guard let path = ns.path, !path.isEmpty, ns.type == "network" || ns.type == "pid" else { continue }
            let st: stat
            do { st = try fileStatus(path) } catch {
                throw RuntimeError(field: .config("linux.namespaces[\(i)].path"), object: path, cause: error)
            }
            c.externalNamespaces.append((ns.type == "network" ? "extRootNetNS" : "extRootPidNS", UInt64(st.st_ino), -1))
        }
        let cgroup = cgroup(of: record, replaced: replacedCgroups(of: record))
        c.freezeCgroup = record.cgroupPaths?["freezer"] ?? record.cgroupPaths?[""]
        let fds = (0...2).map { (try? readLink("/proc/\(record.pid)/fd/\($0)")) ?? "" }
        do {
            try writeFileAtomically(path: o.imagePath + "/" + CriuCommand.descriptorsFile,
                                    CriuCommand.descriptorsJSON(fds), mode: 0o600)
        } catch { throw RuntimeError(step: "checkpoint", object: o.imagePath + "/" + CriuCommand.descriptorsFile, cause: error) }

        let args = CriuCommand.dump(o, c, workPath: work)
        let rc = try runCriu(criu, args)
        if rc != 0 {
            // criu thaws what it froze; make sure of it for a container that was running.
            if status == .running, let cg = cgroup, cg.freezerState() == .frozen { try? cg.thaw() }
            throw criuFailure("checkpoint \(id)", status: rc,
                              log: work + "/" + (o.preDump ? CriuCommand.preDumpLog : CriuCommand.dumpLog))
        }
        if !o.leaveRunning && !o.preDump {
            locked.unlock()
            unlocked = true
            try delete(id: id, force: true)
        }
    }

    /// Opens a namespace file named by the config: O_NONBLOCK (a FIFO planted there must not hang
    /// the runtime), then only a file of nsfs is taken.
    static func openNamespaceFile(_ path: String, field: String) throws -> FD {
        let file: OwnedFD
        do { file = try OwnedFD.open(path, O_RDONLY | O_NONBLOCK) } catch {
            throw RuntimeError(field: .config(field), object: path, cause: error)
        }
        guard (try? file.fd.fileSystemType(describe: path)) == Runtime.nsfsMagic else {
            throw RuntimeError(field: .config(field), object: path, "\(path) is not a namespace file (not on nsfs)")
        }
        return file.release()
    }

    /// NSFS_MAGIC of linux/magic.h.
    static let nsfsMagic: UInt32 = 0x6e73_6673

    /// `restore`: a new container `id` from the checkpoint in --image-path, with the bundle's
    /// config. On failure nothing is left: no state, no cgroup, no mount, no process.
    public func restore(id: String, bundle: String, options o: CriuOptions, detach: Bool, pidFile: String?,
                        consoleSocket: String?, noPivot: Bool, noSubreaper: Bool) throws -> Int32 {
        try o.validate()
        try StateStore.validate(id: id)
        let bundle = absolutePath(bundle)
        let spec = try Runtime.loadSpec(bundle: bundle)
        let mounts = try MountPlan.resolved(spec)
        guard let process = spec.process else { throw RuntimeError.config("process", "required to restore a container") }
        if process.terminal == true {
            // criu hands the restored terminal's master back only through its RPC (orphan-pts-master).
            throw RuntimeError(field: .config("process.terminal"),
                               "restoring a terminal needs criu's RPC interface, which swiftlet does not use")
        }
        // As create and runc: a console socket is for a terminal, and a terminal is refused above.
        if consoleSocket != nil {
            throw RuntimeError.flag("--console-socket", "given but process.terminal is false")
        }
        if noPivot {
            // Said, not silently dropped: criu rebuilds the mount namespace from the image and enters
            // the root with its own pivot_root, which no criu option skips.
            warn("--no-pivot: not applied by restore: criu enters the restored root with pivot_root")
        }
        let criu = try Runtime.findCriu(o.criu)
        guard isDirectory(o.imagePath) else {
            throw RuntimeError(field: .flag("--image-path"), object: o.imagePath, "\(o.imagePath): not a directory")
        }
        guard let rootPath = spec.root?.path else { throw RuntimeError.config("root.path", "required") }
        let rootfs = rootPath.hasPrefix("/") ? Kernel.cleanPath(rootPath) : Kernel.cleanPath(bundle + "/" + rootPath)

        var signals: SignalFD?
        if !detach && !noSubreaper { try Proc.setChildSubreaper() }
        if !detach { signals = try SignalFD([SIGCHLD] + Runtime.forwardedSignals) }
        defer { signals?.fd.close() }

        let locked = try store.create(id)
        var cgroup: CgroupDriver?
        var restoredPID: pid_t = 0
        var inherited: [FD] = []
        defer { for f in inherited { f.close() } }
        let record: ContainerRecord
        do {
            var plan = InitPlan(id: id, bundle: bundle, rootfs: rootfs, spec: spec, process: process, sync: FD(-1), env: [])
            cgroup = try setUpCgroup(spec: spec, id: id, plan: &plan)
            let work = o.workPath ?? store.directory(id) + "/criu.work"
            do { try makeDirectories(work, mode: 0o700) } catch {
                throw RuntimeError(field: .flag("--work-path"), object: work, cause: error)
            }
            let criuRoot = store.directory(id) + "/criu-root"
            try makeDirectory(criuRoot, mode: 0o755)
            var c = criuContainer(spec: spec, mounts: mounts, rootfs: criuRoot, bundle: bundle)
            for (i, ns) in (spec.linux?.namespaces ?? []).enumerated() {
                guard let path = ns.path, !path.isEmpty, ns.type == "network" || ns.type == "pid" else { continue }
                let fd = try Runtime.openNamespaceFile(path, field: "linux.namespaces[\(i)].path")
                inherited.append(fd)
                c.externalNamespaces.append((ns.type == "network" ? "extRootNetNS" : "extRootPidNS", 0, fd.raw))
            }
            for (key, dir) in (plan.cgroupPaths).sorted(by: { $0.key < $1.key }) {
                let rel = Runtime.cgroupRelative(dir)
                c.cgroupRoots.append(key.isEmpty ? rel : "\(key):\(rel)")
            }
            // SpecFile.read: a regular file of bounded size (a FIFO planted there does not hang restore).
            if let bytes = try? SpecFile.read(o.imagePath + "/" + CriuCommand.descriptorsFile) {
                c.descriptors = CriuCommand.parseDescriptors(String(decoding: bytes, as: UTF8.self))
            }
            let pidPath = store.directory(id) + "/criu.pid"
            let args = CriuCommand.restore(o, c, workPath: work, pidFile: pidPath)
            let procs = plan.cgroupJoinFiles
            // criu runs in the container's cgroup and in a private mount namespace holding the
            // rootfs bind at criu-root: the bind goes away with criu, nothing to unmount after.
            let rc = try runCriu(criu, args) {
                for f in procs where (try? writeFile(path: f, "0", flags: O_WRONLY)) == nil { return false }
                guard (try? Namespaces.unshare(NamespaceKind.mount.cloneFlag, describe: "mount namespace of criu")) != nil else { return false }
                guard (try? Mount.setPropagation("/", .slave, recursive: true)) != nil else { return false }
                return (try? Mount.mount(source: rootfs, target: criuRoot, type: nil, flags: [.bind, .recursive])) != nil
            }
            if rc != 0 {
                throw criuFailure("restore \(id)", status: rc, log: work + "/" + CriuCommand.restoreLog,
                                  keepsLog: o.workPath != nil)
            }
            guard let text = try? readTextFile(path: pidPath),
                  let pid = Int32(text.trimmingCharacters(inSet: " \n")), pid > 0 else {
                throw RuntimeError(step: "restore \(id)", object: pidPath, "criu succeeded but wrote no pid to \(pidPath)")
            }
            restoredPID = pid
            var r = ContainerRecord(ociVersion: spec.ociVersion, id: id, pid: pid,
                                    pidStartTime: ProcLiveness.read(pid)?.startTime ?? 0, bundle: bundle, rootfs: rootfs,
                                    created: Clock.rfc3339Nano(), owner: ownerName(), annotations: spec.annotations,
                                    config: spec)
            r.cgroupDriver = plan.cgroupKind
            r.cgroupPaths = plan.cgroupPaths.isEmpty ? nil : plan.cgroupPaths
            r.cgroupMade = plan.cgroupMade
            if plan.cgroupMarked { r.cgroupMarked = true }
            r.cgroupInodes = plan.cgroupInodes
            try store.save(r)
            if let pidFile {
                try writePidFile(pidFile, pid: pid)
            }
            record = r
        } catch {
            if restoredPID > 0 { Proc.signalIfPresent(restoredPID, SIGKILL) }
            if let cg = cgroup {
                try? cg.signalAll(SIGKILL)
                try? cg.destroy()
            }
            try? store.remove(id)
            locked.unlock()
            throw error
        }
        locked.unlock()
        guard let signals else { return 0 }
        let exit = Runtime.supervise(pid: record.pid, signals: signals, relay: nil)
        try delete(id: id, force: true)
        return exit.status
    }

    /// A cgroup directory relative to its hierarchy's mount (/sys/fs/cgroup[/<controller>]).
    static func cgroupRelative(_ dir: String) -> String {
        let base = "/sys/fs/cgroup/"
        guard dir.hasPrefix(base) else { return dir }
        let rest = dir.dropFirst(base.count)
        if fileExists(base + "cgroup.controllers") { return "/" + rest }
        // v1 (or hybrid's unified): drop the hierarchy's directory name.
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }
}

extension String {
    func trimmingCharacters(inSet set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
