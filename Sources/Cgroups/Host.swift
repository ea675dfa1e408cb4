import Glibc
import Kernel

/// An error about a cgroup: names the resource (spec field) or the file it is about, and keeps the
/// cgroup file or directory and the errno when a system call on it failed.
public struct CgroupError: Error, CustomStringConvertible {
    public let description: String
    /// The cgroup file or directory acted on.
    public let path: String?
    /// The errno of the failed call, when one failed.
    public let errno: Int32?
    public init(_ description: String, path: String? = nil, errno: Int32? = nil) {
        self.description = description
        self.path = path
        self.errno = errno
    }
}

/// Which layout the host uses. Chosen from what is mounted under /sys/fs/cgroup.
public enum CgroupMode: String, Sendable {
    /// Only v1 hierarchies.
    case v1
    /// cgroup2 at /sys/fs/cgroup.
    case v2
    /// v1 controllers, plus a cgroup2 hierarchy (/sys/fs/cgroup/unified) used for process tracking.
    case hybrid
}

/// The cgroup hierarchies visible to this process.
public struct CgroupHost: Sendable {
    /// v1 controller (or `name=systemd`) → its mount point. Co-mounted controllers share one.
    public var v1: [String: String] = [:]
    /// The cgroup2 mount point, if any.
    public var unified: String?
    public var mode: CgroupMode = .v1

    public init(v1: [String: String] = [:], unified: String? = nil, mode: CgroupMode = .v1) {
        self.v1 = v1
        self.unified = unified
        self.mode = mode
    }

    static let base = "/sys/fs/cgroup"

    /// Whether cgroup2 is what /sys/fs/cgroup shows (a pure v2 host, where `detect` says `.v2`): one
    /// statfs, for callers that need no more than that before reading mountinfo.
    public static func isUnifiedOnly() -> Bool {
        (try? fileSystemType(base)) == 0x6367_7270  // CGROUP2_SUPER_MAGIC
    }

    /// Reads /proc/self/mountinfo; a later mount on a path hides the ones below it (a private mount
    /// namespace with cgroup2 mounted over /sys/fs/cgroup is a v2 host).
    public static func detect() -> CgroupHost {
        detect(mounts: (try? MountInfo.read(mountPointsUnder: base)) ?? [])
    }

    /// From mountinfo's entries under /sys/fs/cgroup, read by the caller (which has another use
    /// for them: `create` gives them to the init stage for a `cgroup` mount).
    public static func detect(mounts: [MountInfoEntry]) -> CgroupHost {
        var entries: [MountInfoEntry] = []
        for e in mounts where e.mountPoint == base || e.mountPoint.hasPrefix(base + "/") {
            entries.removeAll { $0.mountPoint == e.mountPoint || $0.mountPoint.hasPrefix(e.mountPoint + "/") }
            entries.append(e)
        }
        var h = CgroupHost()
        for e in entries {
            if e.fsType == "cgroup2" {
                h.unified = e.mountPoint
            } else if e.fsType == "cgroup" {
                for opt in e.superOptions.split(separator: ",") {
                    let o = String(opt)
                    if CgroupHost.knownV1.contains(o) || o.hasPrefix("name=") { h.v1[o] = e.mountPoint }
                }
            }
        }
        if h.unified == base {
            h.mode = .v2
            h.v1 = [:]
        } else if h.unified != nil && !h.v1.isEmpty {
            h.mode = .hybrid
        } else if h.v1.isEmpty, h.unified != nil {
            h.mode = .v2
        } else {
            h.mode = .v1
        }
        return h
    }

    static let knownV1: Set<String> = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                                       "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"]

    /// /proc/self/cgroup: controller (or "" for v2) → path.
    public static func ownCgroups(pid: String = "self") -> [String: String] {
        var out: [String: String] = [:]
        let text = (try? readTextFile(path: "/proc/\(pid)/cgroup")) ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let path = String(f[2])
            if f[1].isEmpty { out[""] = path; continue }
            for c in f[1].split(separator: ",") { out[String(c)] = path }
        }
        return out
    }
}

// MARK: - file helpers

/// /sys/fs/cgroup, opened for a pass of calls on many cgroup directories (a create's claim, a
/// delete's checks and rmdirs): each call names its directory relative to it, and the kernel walks
/// only the part below, not `/sys/fs` again (sysfs, whose every component is looked up under
/// kernfs's locks) for each of the ~30 calls of a `run` on a hybrid host. A directory outside it
/// keeps its absolute path. Closed at the end of the pass, never open across a fork: the init
/// stage must hold no fd of the host's cgroup tree (runc's CVE-2024-21626 was such an fd).
struct CgroupTree: ~Copyable {
    private let base: FD?
    private static let prefix = CgroupHost.base + "/"

    init() { base = try? FD.open(CgroupHost.base, O_PATH | O_DIRECTORY) }

    deinit { base?.close() }

    /// `body` with the directory fd and the C path an *at call names `path` by (the same file
    /// either way): the path's own bytes past the prefix, no String made for it.
    private func at<R>(_ path: String, _ body: (_ dir: Int32, _ name: UnsafePointer<CChar>) -> R) -> R {
        path.withCString { p in
            let length = Self.prefix.utf8.count
            if let base, strncmp(p, Self.prefix, length) == 0, p[length] != 0 { return body(base.raw, p + length) }
            return body(AT_FDCWD, p)
        }
    }

    /// mkdir(2); an existing directory counts as done: true when this call made it.
    func makeDirectory(_ path: String) throws -> Bool {
        let e = at(path) { dir, name in mkdirat(dir, name, 0o755) == 0 ? 0 : errno }
        if e == 0 { return true }
        if e == EEXIST { return false }
        throw SysError("mkdir", path, errno: e)
    }

    /// rmdir(2); a missing directory counts as removed: true when this call removed it.
    @discardableResult
    func removeDirectory(_ path: String) throws -> Bool {
        let e = at(path) { dir, name in unlinkat(dir, name, AT_REMOVEDIR) == 0 ? 0 : errno }
        if e == 0 { return true }
        if e == ENOENT { return false }
        throw SysError("rmdir", path, errno: e)
    }

    func status(_ path: String) throws -> stat {
        var st = stat()
        let e = at(path) { dir, name in fstatat(dir, name, &st, 0) == 0 ? 0 : errno }
        if e != 0 { throw SysError("stat", path, errno: e) }
        return st
    }

    func setAttribute(_ path: String, _ name: String, _ value: String) throws {
        guard let base, path.hasPrefix(Self.prefix) else { return try ExtendedAttribute.set(path, name, value) }
        try ExtendedAttribute.set(at: base, String(path.dropFirst(Self.prefix.count)), absolute: path, name, value)
    }
}

enum CgroupFS {
    static func join(_ a: String, _ b: String) -> String {
        let c = Kernel.cleanPath("/" + b)
        return c == "/" ? a : a + c
    }

    /// A control file's value, trailing blanks cut. Every file read here is made by one show (one
    /// read, FD.readWhole), except the lists of pids: those go through `readList`.
    static func read(_ path: String) -> String? {
        guard let bytes = try? readWholeFile(path: path) else { return nil }
        return trimmed(String(decoding: bytes, as: UTF8.self))
    }

    /// A file of one record per pid (cgroup.procs, tasks), which a read can end short of a page with
    /// more to come: read to the end of file.
    static func readList(_ path: String) -> String? {
        guard let s = try? readTextFile(path: path) else { return nil }
        return trimmed(s)
    }

    static func trimmed(_ s: String) -> String {
        var t = s
        while t.last == "\n" || t.last == " " { t.removeLast() }
        return t
    }

    static func readUInt(_ path: String) -> UInt64? {
        guard let s = read(path) else { return nil }
        if s == "max" { return UInt64.max }
        return UInt64(s)
    }

    /// `key value` lines (memory.stat, cpu.stat, memory.events, ...).
    static func readKeyed(_ path: String) -> [(String, UInt64)] {
        guard let s = read(path) else { return [] }
        var out: [(String, UInt64)] = []
        for line in s.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = UInt64(f[1]) { out.append((String(f[0]), v)) }
        }
        return out
    }

    /// One key of a `key value` file: stops at its line (cgroup.events' "frozen", read for every
    /// container `list` shows).
    static func keyed(_ path: String, _ key: String) -> UInt64? {
        guard let s = read(path) else { return nil }
        for line in s.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == key, let v = UInt64(f[1]) { return v }
        }
        return nil
    }

    /// Writes one value; the error names the spec field and the file.
    static func write(_ dir: String, _ file: String, _ value: String, field: String) throws {
        let control = try open(dir, file, value, field: field)
        try write(fd: control.fd, path: dir + "/" + file, value, field: field)
    }

    /// Opens a control file for writing; the error names the spec field and the file.
    static func open(_ dir: String, _ file: String, _ value: String, field: String) throws -> OwnedFD {
        let path = dir + "/" + file
        do {
            return try OwnedFD.open(path, O_WRONLY)
        } catch let e as SysError where e.errno == ENOENT {
            throw CgroupError("\(field): cannot set \(value): the host's cgroup has no \(file) (\(dir)): the controller or feature is missing",
                              path: path, errno: e.errno)
        } catch let e as SysError {
            throw CgroupError("\(field): open \(path): \(errnoString(e.errno))", path: path, errno: e.errno)
        }
    }

    /// One write(2) of `value` to an open control file: files such as devices.allow take one
    /// entry per write, so one open serves many entries.
    static func write(fd: FD, path: String, _ value: String, field: String) throws {
        do {
            try fd.writeOnce(Array(value.utf8), describe: path)
        } catch let e as SysError {
            var hint = ""
            if e.errno == EINVAL || e.errno == ERANGE { hint = " (value out of range for this host)" }
            if e.errno == EBUSY { hint = " (in use)" }
            throw CgroupError("\(field): writing \"\(value)\" to \(path): \(errnoString(e.errno))\(hint)",
                              path: path, errno: e.errno)
        }
    }

    /// One write without an error message: the errno it failed with, 0 once written. For writes
    /// that may be retried later in another order.
    static func tryWrite(_ dir: String, _ file: String, _ value: String) -> Int32 {
        do {
            let control = try OwnedFD.open(dir + "/" + file, O_WRONLY)
            try control.fd.writeOnce(Array(value.utf8), describe: file)
            return 0
        } catch let e as SysError {
            return e.errno
        } catch {
            return EIO
        }
    }

    static func exists(_ path: String) -> Bool { fileExists(path) }

    /// The directories from the one below `root` down to `dir` (included), top first: the levels a
    /// walk down a hierarchy from its mount point visits. [] when `dir` is not below `root`.
    static func levels(from root: String, to dir: String) -> [String] {
        var chain: [String] = []
        var d = dir
        while d.count > root.count {
            chain.append(d)
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
        return chain.reversed()
    }

    /// mkdir -p below (not including) an existing root: true when it made `dir` itself (not only
    /// its parents), false when `dir` was there.
    @discardableResult
    static func makeAll(_ dir: String) throws -> Bool {
        var parents: [String] = []
        return try makeAll(dir, parentsMade: &parents)
    }

    /// `makeAll`, adding to `parentsMade` the ancestors of `dir` it had to make (top down).
    static func makeAll(_ dir: String, parentsMade: inout [String]) throws -> Bool {
        do {
            // Most often only the last component is missing: try it first, walk down only if needed
            // (the walk names the level that fails).
            if let made = try? makeDirectoryIfMissing(dir) { return made }
            var current = ""
            var made = false
            for part in dir.split(separator: "/") {
                if made { parentsMade.append(current) }
                current += "/" + part
                made = try makeDirectoryIfMissing(current)
            }
            return made
        } catch let e as SysError {
            let level = e.detail == dir ? "" : " (at \(e.detail))"
            throw CgroupError("creating cgroup \(dir)\(level): \(errnoString(e.errno))", path: e.detail, errno: e.errno)
        }
    }

    /// Pids in cgroup.procs of dir and of every cgroup below it.
    static func procs(_ dir: String) -> [pid_t] {
        var out: [pid_t] = []
        if let s = readList(dir + "/cgroup.procs") {
            for l in s.split(separator: "\n") { if let p = Int32(l) { out.append(p) } }
        }
        for name in (try? listSubdirectories(dir)) ?? [] {
            out += procs(dir + "/" + name)
        }
        return out
    }

    /// The pids of the first cgroup at or below dir (dir itself first) that has any: [] when the
    /// whole subtree is empty. Stops there, so a root cgroup is not walked.
    static func firstProcs(_ dir: String) -> [pid_t] {
        let own = (readList(dir + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
        if !own.isEmpty { return own }
        for name in (try? listSubdirectories(dir)) ?? [] {
            let below = firstProcs(dir + "/" + name)
            if !below.isEmpty { return below }
        }
        return []
    }

    /// rmdir of the cgroup and anything below it, deepest first; retries while it is still busy.
    static func remove(_ dir: String) throws {
        // The common case, an empty leaf, takes one rmdir; children are looked for only when busy.
        if (try? removeDirectory(dir)) != nil { return }
        for name in (try? listSubdirectories(dir)) ?? [] {
            try remove(dir + "/" + name)
        }
        var delay = 1
        var last: SysError?
        for _ in 0..<40 {
            do {
                try removeDirectory(dir)
                return
            } catch let e as SysError {
                last = e
                if e.errno != EBUSY && e.errno != EAGAIN { break }
            }
            Clock.sleep(milliseconds: delay)
            delay = min(delay * 2, 100)
        }
        let e = last ?? SysError("rmdir", dir, errno: EBUSY)
        throw CgroupError("removing cgroup \(dir): rmdir: \(errnoString(e.errno))", path: dir, errno: e.errno)
    }
}
