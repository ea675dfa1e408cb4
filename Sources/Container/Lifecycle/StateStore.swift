import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

/// What swiftlet remembers about a container between commands: `<root>/<id>/state.json`, one list of
/// fields for the two ways it is read. `Config` is the container's config (`ContainerRecord`), or
/// `NotDecoded` (`ContainerSummary`) for `state` and `list`, which need everything but the config:
/// decoding it was most of a `list`'s time (200 containers: 36 ms, against crun's 16 ms).
public struct StateFile<Config> {
    public var ociVersion: String
    public var id: String
    public var pid: Int32
    /// Field 22 of /proc/<pid>/stat when the container was created: tells a recycled pid apart.
    public var pidStartTime: UInt64
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]?
    public var config: Config
    /// The cgroup driver ("v1", "v2", "hybrid") and controller → cgroup directory ("" = unified).
    public var cgroupDriver: String?
    public var cgroupPaths: [String: String]?
    /// The cgroup directories this container made (and `delete` removes); nil in a state written
    /// before this was kept: then every one.
    public var cgroupMade: [String]?
    /// `create --no-new-keyring`: `exec` keeps the caller's session keyring too, as runc's setns init.
    public var noNewKeyring: Bool?
    /// The name of the session keyring init made and every `exec` joins (`_ses.<id>.<random>`); nil
    /// in a state written before it was kept: `_ses.<id>`, runc's name.
    public var sessionKeyring: String?
}

extension StateFile: Decodable where Config: Decodable {}
extension StateFile: Encodable where Config: Encodable {}

public typealias ContainerRecord = StateFile<Spec>
public typealias ContainerSummary = StateFile<NotDecoded>

/// A value of state.json that is there but not decoded (the config, for a summary).
public struct NotDecoded: Decodable {
    public init(from decoder: any Decoder) {}
}

/// `<root>/<id>/cgroup.json`: which cgroup a container owns, known before state.json exists.
struct CgroupClaim: Codable {
    var driver: String
    var paths: [String: String]
    /// The directories the create makes (not those that were there before).
    var made: [String]?
}

public enum ContainerStatus: String {
    case creating, created, running, stopped, paused
}

/// The state directory: one folder per container, locked with flock while a command works on it.
public struct StateStore {
    public let root: String

    public init(root: String) { self.root = root }

    public func directory(_ id: String) -> String { root + "/" + id }
    func fifoPath(_ id: String) -> String { directory(id) + "/exec.fifo" }

    public static func validate(id: String) throws {
        if id.isEmpty { throw RuntimeError("container id cannot be empty") }
        if id.containsText("/") || id == "." || id == ".." || id.containsText("..") {
            throw RuntimeError(object: id, "invalid container id \"\(id)\": it must not contain \"/\" or \"..\"")
        }
        for c in id.unicodeScalars where !(c.properties.isAlphabetic || ("0"..."9").contains(c) || "_+-.".unicodeScalars.contains(c)) || c.value > 127 {
            throw RuntimeError(object: id, "invalid container id \"\(id)\": only [a-zA-Z0-9_+.-] are allowed")
        }
    }

    /// Makes the container's folder; fails if the id is taken. Returns the locked folder.
    func create(_ id: String) throws -> LockedDirectory {
        try StateStore.validate(id: id)
        if !isDirectory(root) {
            do { try makeDirectories(root, mode: 0o711) } catch {
                throw RuntimeError(object: root, "cannot create root directory \(root)", cause: error)
            }
        }
        let dir = directory(id)
        let made: Bool
        do { made = try makeDirectoryIfMissing(dir, mode: 0o711) } catch {
            throw RuntimeError(object: dir, cause: error)
        }
        // runc's words (engines match "already exists"), then the id.
        guard made else { throw RuntimeError(object: dir, "container with given ID already exists: \(id)") }
        return try LockedDirectory(path: dir)
    }

    /// Locks an existing container's folder.
    func lock(_ id: String) throws -> LockedDirectory {
        try StateStore.validate(id: id)
        let dir = directory(id)
        guard isDirectory(dir) else { throw RuntimeError(object: dir, "container \"\(id)\" does not exist") }
        return try LockedDirectory(path: dir)
    }

    public func load(_ id: String) throws -> ContainerRecord { try load(id, as: ContainerRecord.self) }

    public func loadSummary(_ id: String) throws -> ContainerSummary { try load(id, as: ContainerSummary.self) }

    func load<T: Decodable>(_ id: String, as: T.Type) throws -> T {
        try StateStore.validate(id: id)
        let path = directory(id) + "/state.json"
        let bytes: [UInt8]
        do { bytes = try readFile(path: path) } catch let e as SysError where e.errno == ENOENT {
            if isDirectory(directory(id)) {
                throw RuntimeError(object: path, "container \"\(id)\" has no state.json: its create has not finished "
                                   + "or was killed (delete --force removes what is left)")
            }
            throw RuntimeError(object: directory(id), "container \"\(id)\" does not exist")
        }
        do { return try JSON.decode(T.self, from: bytes) } catch {
            throw RuntimeError(object: path, "\(path)", cause: error)
        }
    }

    func save(_ record: ContainerRecord) throws {
        let bytes = try JSON.encode(record)
        try writeFileAtomically(path: directory(record.id) + "/state.json", String(decoding: bytes, as: UTF8.self))
    }

    /// The cgroup a `create` is about to make, written before it makes it.
    func saveCgroupClaim(_ id: String, _ claim: CgroupClaim) throws {
        try writeFileAtomically(path: directory(id) + "/cgroup.json",
                                String(decoding: try JSON.encode(claim), as: UTF8.self))
    }

    func loadCgroupClaim(_ id: String) -> CgroupClaim? {
        guard let bytes = try? readFile(path: directory(id) + "/cgroup.json") else { return nil }
        return try? JSON.decode(CgroupClaim.self, from: bytes)
    }

    func remove(_ id: String) throws {
        try removeTree(directory(id))
    }

    /// The exec fifo exists until `start` removes it, and init holds it open until its execve: a
    /// fifo without a reader is what a `start` killed after its write leaves (the process runs).
    func waitsOnFifo(_ id: String) -> Bool {
        do {
            _ = try OwnedFD.open(fifoPath(id), O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return true
        } catch let e as SysError {
            return e.errno != ENOENT && e.errno != ENXIO
        } catch {
            return true
        }
    }

    public func ids() -> [String] {
        ((try? listDirectory(root)) ?? []).filter { isDirectory(directory($0)) }.sorted()
    }

    /// The status the kernel's view implies: a dead or recycled pid is stopped; the fifo exists
    /// until `start`.
    public func status(of record: ContainerRecord) -> ContainerStatus {
        status(id: record.id, pid: record.pid, pidStartTime: record.pidStartTime,
               cgroupDriver: record.cgroupDriver, cgroupPaths: record.cgroupPaths)
    }

    public func status(of summary: ContainerSummary) -> ContainerStatus {
        status(id: summary.id, pid: summary.pid, pidStartTime: summary.pidStartTime,
               cgroupDriver: summary.cgroupDriver, cgroupPaths: summary.cgroupPaths)
    }

    func status(id: String, pid: Int32, pidStartTime: UInt64, cgroupDriver: String?, cgroupPaths: [String: String]?) -> ContainerStatus {
        guard pid > 0, let stat = ProcLiveness.read(pid), stat.state != "Z",
              stat.startTime == pidStartTime else { return .stopped }
        if let kind = cgroupDriver, let paths = cgroupPaths,
           Cgroups.load(kind: kind, paths: paths).freezerState() == .frozen {
            return .paused
        }
        if waitsOnFifo(id) { return .created }
        return .running
    }
}

/// A container folder held under an exclusive flock until `unlock` (or process exit).
struct LockedDirectory {
    let path: String
    let fd: FD

    init(path: String) throws {
        self.path = path
        let folder = try OwnedFD.open(path, O_RDONLY | O_DIRECTORY)
        try folder.fd.lockExclusive(describe: path)
        self.fd = folder.release()
    }

    func unlock() { fd.close() }
}

/// `--pid-file` of create, run, exec and restore: the pid, written atomically beside the named
/// file through an unpredictable O_EXCL|O_NOFOLLOW temporary (a symlink planted at any name there
/// is never followed).
func writePidFile(_ path: String, pid: pid_t) throws {
    do { try writeFileAtomically(path: absolutePath(path), "\(pid)", mode: 0o644) } catch {
        throw RuntimeError(field: .flag("--pid-file"), object: path, "\(path)", cause: error)
    }
}
