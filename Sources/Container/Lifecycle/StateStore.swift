import Glibc
import Cgroups
import JSON
import Kernel
import RuntimeSpec

/// What swiftlet remembers about a container between commands: `<root>/<id>/state.json`; `state`
/// and `list` read only a few members (`ContainerSummary`). Not generic over its config: a
/// `StateFile<Spec>` had its metadata instantiated, and was copied and destroyed through value
/// witnesses, in every command that holds one.
public struct ContainerRecord: Codable {
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
    public var config: Spec
    /// The cgroup driver ("v1", "v2", "hybrid") and controller → cgroup directory ("" = unified).
    public var cgroupDriver: String?
    public var cgroupPaths: [String: String]?
    /// The cgroup directories this container made (and `delete` removes); nil in a state written
    /// before this was kept: then every one.
    public var cgroupMade: [String]?
    /// Every directory of `cgroupMade` carries this container's mark (CgroupOwnership): one without
    /// it was made again by someone else. Nil (rootless, or a state written before): not known.
    public var cgroupMarked: Bool?
    /// The inode number of each directory of `cgroupMade` when it was made (CgroupOwnership): one
    /// with another number now was made again by someone else, whatever its mark says. Nil in a
    /// state written before it was kept, or when none was made.
    public var cgroupInodes: [String: UInt64]?
    /// `create --no-new-keyring`: `exec` keeps the caller's session keyring too, as runc's setns init.
    public var noNewKeyring: Bool?
    /// The name of the session keyring init made and every `exec` joins (`_ses.<id>.<random>`); nil
    /// in a state written before it was kept: `_ses.<id>`, runc's name.
    public var sessionKeyring: String?
    /// The digest of `seccomp.bpf`, the container's compiled seccomp program (SeccompProgramFile),
    /// which `exec` installs instead of compiling `linux.seccomp` again; nil: none was kept.
    public var seccompProgram: String?
}

extension ContainerRecord {
    /// What the synthesized one does. From swiftlet's JSON decoder the members are read from the parsed
    /// value (`init(reading:)`): Codable's keyed container for the record, its dictionaries and arrays
    /// made their metadata in every `exec`, `start`, `kill` and `delete`, ~15% of an `exec`'s user CPU.
    public init(from decoder: Decoder) throws {
        if let reader = try JSONObjectReader(decoder: decoder) {
            try self.init(reading: reader)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            ociVersion: try c.decode(String.self, forKey: .ociVersion),
            id: try c.decode(String.self, forKey: .id),
            pid: try c.decode(Int32.self, forKey: .pid),
            pidStartTime: try c.decode(UInt64.self, forKey: .pidStartTime),
            bundle: try c.decode(String.self, forKey: .bundle),
            rootfs: try c.decode(String.self, forKey: .rootfs),
            created: try c.decode(String.self, forKey: .created),
            owner: try c.decode(String.self, forKey: .owner),
            annotations: try c.decodeIfPresent([String: String].self, forKey: .annotations),
            config: try c.decode(Spec.self, forKey: .config),
            cgroupDriver: try c.decodeIfPresent(String.self, forKey: .cgroupDriver),
            cgroupPaths: try c.decodeIfPresent([String: String].self, forKey: .cgroupPaths),
            cgroupMade: try c.decodeIfPresent([String].self, forKey: .cgroupMade),
            cgroupMarked: try c.decodeIfPresent(Bool.self, forKey: .cgroupMarked),
            cgroupInodes: try c.decodeIfPresent([String: UInt64].self, forKey: .cgroupInodes),
            noNewKeyring: try c.decodeIfPresent(Bool.self, forKey: .noNewKeyring),
            sessionKeyring: try c.decodeIfPresent(String.self, forKey: .sessionKeyring),
            seccompProgram: try c.decodeIfPresent(String.self, forKey: .seccompProgram))
    }

    /// The members in the synthesized decoder's order, with its values and errors (StateFileTests).
    init(reading r: JSONObjectReader) throws {
        typealias R = JSONObjectReader
        ociVersion = try R.string(try r.required("ociVersion"), at: r.member("ociVersion"))
        id = try R.string(try r.required("id"), at: r.member("id"))
        pid = try R.integer(try r.required("pid"), at: r.member("pid"), as: Int32.self)
        pidStartTime = try R.integer(try r.required("pidStartTime"), at: r.member("pidStartTime"), as: UInt64.self)
        bundle = try R.string(try r.required("bundle"), at: r.member("bundle"))
        rootfs = try R.string(try r.required("rootfs"), at: r.member("rootfs"))
        created = try R.string(try r.required("created"), at: r.member("created"))
        owner = try R.string(try r.required("owner"), at: r.member("owner"))
        annotations = try r.present("annotations").map { try R.stringMap($0, at: r.member("annotations")) }
        config = try Spec(reading: JSONObjectReader(try r.required("config"), at: r.member("config")))
        cgroupDriver = try r.present("cgroupDriver").map { try R.string($0, at: r.member("cgroupDriver")) }
        cgroupPaths = try r.present("cgroupPaths").map { try R.stringMap($0, at: r.member("cgroupPaths")) }
        cgroupMade = try r.present("cgroupMade").map { try R.strings($0, at: r.member("cgroupMade")) }
        cgroupMarked = try r.present("cgroupMarked").map { try R.bool($0, at: r.member("cgroupMarked")) }
        cgroupInodes = try r.present("cgroupInodes").map { v in
            let path = r.member("cgroupInodes")
            var inodes: [String: UInt64] = [:]
            for (name, value) in try R.lastMembers(v, at: path) {
                inodes[name] = try R.integer(value, at: R.member(path, name), as: UInt64.self)
            }
            return inodes
        }
        noNewKeyring = try r.present("noNewKeyring").map { try R.bool($0, at: r.member("noNewKeyring")) }
        sessionKeyring = try r.present("sessionKeyring").map { try R.string($0, at: r.member("sessionKeyring")) }
        seccompProgram = try r.present("seccompProgram").map { try R.string($0, at: r.member("seccompProgram")) }
    }
}


/// A bundle's config.json: decoded, and its bytes as read (state.json takes them as they are).
struct LoadedConfig {
    let spec: Spec
    let bytes: [UInt8]
}

/// What `state` and `list` read of state.json: the members of the OCI state and what the status
/// needs (the pid's start time, the cgroup's freezer). Only these members are built, and they are
/// taken from the parsed value by hand: Codable's keyed decoding, the config, the cgroup's made
/// directories and inode numbers were most of a `list`'s user CPU (200 containers). The other
/// members are checked as JSON, not decoded: one `list` or `state` cannot use does not stop them.
public struct ContainerSummary {
    public var ociVersion: String
    public var id: String
    public var pid: Int32
    public var pidStartTime: UInt64
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [String: String]?
    public var cgroupDriver: String?
    public var cgroupPaths: [String: String]?

    /// The members of state.json read (ContainerRecord's names).
    static let members = ["ociVersion", "id", "pid", "pidStartTime", "bundle", "rootfs", "created", "owner",
                          "annotations", "cgroupDriver", "cgroupPaths"]

    /// From state.json's bytes; a `JSONError` naming the member, in the decoder's words, otherwise.
    public init(stateBytes bytes: [UInt8]) throws {
        try self.init(try JSON.parse(bytes, keeping: Self.members))
    }

    init(_ state: JSONValue) throws {
        guard case .object(let members) = state else {
            throw JSONError(path: "", message: "expected an object, got \(state.kind)")
        }
        var ociVersion, id, pid, pidStartTime, bundle, rootfs, created, owner: JSONValue?
        var annotations, cgroupDriver, cgroupPaths: JSONValue?
        // The last of a duplicated member counts, as in the decoder.
        for (key, value) in members {
            switch key {
            case "ociVersion": ociVersion = value
            case "id": id = value
            case "pid": pid = value
            case "pidStartTime": pidStartTime = value
            case "bundle": bundle = value
            case "rootfs": rootfs = value
            case "created": created = value
            case "owner": owner = value
            case "annotations": annotations = value
            case "cgroupDriver": cgroupDriver = value
            case "cgroupPaths": cgroupPaths = value
            default: continue
            }
        }
        self.ociVersion = try Self.string(ociVersion, "ociVersion")
        self.id = try Self.string(id, "id")
        self.pid = try Self.integer(pid, "pid", as: Int32.self)
        self.pidStartTime = try Self.integer(pidStartTime, "pidStartTime", as: UInt64.self)
        self.bundle = try Self.string(bundle, "bundle")
        self.rootfs = try Self.string(rootfs, "rootfs")
        self.created = try Self.string(created, "created")
        self.owner = try Self.string(owner, "owner")
        self.annotations = try Self.stringMap(annotations, "annotations")
        self.cgroupDriver = try Self.present(cgroupDriver).map { try Self.string($0, "cgroupDriver") }
        self.cgroupPaths = try Self.stringMap(cgroupPaths, "cgroupPaths")
    }

    /// An optional member: absent and null are nil.
    private static func present(_ value: JSONValue?) -> JSONValue? {
        if let value, !value.isNull { return value }
        return nil
    }

    private static func required(_ value: JSONValue?, _ name: String) throws -> JSONValue {
        guard let value else { throw JSONError(path: name, message: "required property missing") }
        return value
    }

    private static func string(_ value: JSONValue?, _ name: String) throws -> String {
        let value = try required(value, name)
        guard case .string(let s) = value else { throw JSONError(path: name, message: "expected a string, got \(value.kind)") }
        return s
    }

    private static func integer<T: FixedWidthInteger>(_ value: JSONValue?, _ name: String, as _: T.Type) throws -> T {
        let value = try required(value, name)
        guard case .number(let text) = value else { throw JSONError(path: name, message: "expected an integer, got \(value.kind)") }
        guard let wide = T.isSigned ? value.int64Value.flatMap({ T(exactly: $0) }) : value.uint64Value.flatMap({ T(exactly: $0) }) else {
            throw JSONError(path: name, message: "expected an integer that fits in \(T.self), got \(text)")
        }
        return wide
    }

    private static func stringMap(_ value: JSONValue?, _ name: String) throws -> [String: String]? {
        guard let value = present(value) else { return nil }
        guard case .object(let members) = value else { throw JSONError(path: name, message: "expected an object, got \(value.kind)") }
        var map = [String: String](minimumCapacity: members.count)
        // Last to first: the last of a duplicated key counts, as in the decoder, and the earlier ones
        // are not looked at (a search for a later duplicate per member made a file of many bad
        // duplicates take quadratic time).
        var seen = Set<String>(minimumCapacity: members.count)
        for (key, member) in members.reversed() where seen.insert(key).inserted {
            guard case .string(let s) = member else {
                throw JSONError(path: name + "." + key, message: "expected a string, got \(member.kind)")
            }
            map[key] = s
        }
        return map
    }
}

/// `<root>/<id>/cgroup.json`: which cgroup a container owns, known before state.json exists.
struct CgroupClaim: Codable {
    var driver: String
    var paths: [String: String]
    /// The directories the create makes (not those that were there before).
    var made: [String]?

    /// What `JSON.encode` of the claim writes (StateFileTests compares the two), made by hand as
    /// state.json's value is: ~2% of a `run`'s user CPU went to Codable's metadata here.
    var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [("driver", .string(driver)), ("paths", StateStore.sortedObject(paths))]
        if let made { members.append(("made", StateStore.stringArray(made))) }
        return .object(members)
    }
}

public enum ContainerStatus: String {
    case creating, created, running, stopped, paused
}

/// The state directory: one folder per container, locked with flock while a command works on it.
public struct StateStore {
    public let root: String
    /// Why `root` is not the runtime's own (another uid's, or one another uid may write), looked at
    /// once per command: then no folder in it is used (LockedDirectory has why). nil while the root
    /// does not exist yet (`create` makes it).
    let rootRefusal: RuntimeError?
    /// The runtime's uid, asked once per command: each folder's owner is compared with it (one
    /// geteuid per container of `list` otherwise).
    let uid: uid_t

    public init(root: String) {
        self.root = root
        uid = Identity.effectiveUID
        if let dir = try? OwnedFD.open(root, O_PATH | O_DIRECTORY), let st = try? dir.fd.status(describe: root) {
            rootRefusal = LockedDirectory.ownershipRefusal(st, root, uid: uid)
        } else {
            rootRefusal = nil
        }
    }

    public func directory(_ id: String) -> String { root + "/" + id }
    func fifoPath(_ id: String) -> String { directory(id) + "/exec.fifo" }

    public static func validate(id: String) throws {
        if id.isEmpty { throw RuntimeError("container id cannot be empty") }
        if id.containsText("/") || id == "." || id == ".." || id.containsText("..") {
            throw RuntimeError(object: id, "invalid container id \"\(id)\": it must not contain \"/\" or \"..\"")
        }
        // On the bytes: Unicode.Scalar.Properties looks up tables (~1% of a `run`, which checks the id 3 times).
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"),
                 UInt8(ascii: "."):
                continue
            default:
                throw RuntimeError(object: id, "invalid container id \"\(id)\": only [a-zA-Z0-9_+.-] are allowed")
            }
        }
    }

    /// Makes the container's folder; fails if the id is taken. Returns the locked folder.
    func create(_ id: String) throws -> LockedDirectory {
        try StateStore.validate(id: id)
        if let rootRefusal { throw rootRefusal }
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
        return try LockedDirectory(path: dir, uid: uid)
    }

    /// Locks an existing container's folder.
    func lock(_ id: String) throws -> LockedDirectory {
        try StateStore.validate(id: id)
        if let rootRefusal { throw rootRefusal }
        let dir = directory(id)
        guard isDirectory(dir) else { throw RuntimeError(object: dir, "container \"\(id)\" does not exist") }
        return try LockedDirectory(path: dir, uid: uid)
    }

    public func load(_ id: String) throws -> ContainerRecord { try load(id, locked: nil) }

    /// The same; `locked`, for a caller that holds the folder's lock (`lock`): read through the
    /// folder's fd that `lock` opened and checked, not opened and checked again by path.
    func load(_ id: String, locked: LockedDirectory?) throws -> ContainerRecord {
        let bytes = try readStateBytes(id, locked: locked)
        do {
            return try StateStore.record(from: JSON.parse(bytes))
        } catch {
            let path = directory(id) + "/state.json"
            throw RuntimeError(object: path, "\(path)", cause: error)
        }
    }

    /// What `state` and `list` read (ContainerSummary has why it is not the whole record).
    public func loadSummary(_ id: String) throws -> ContainerSummary {
        let bytes = try readStateBytes(id)
        do { return try ContainerSummary(stateBytes: bytes) } catch {
            let path = directory(id) + "/state.json"
            throw RuntimeError(object: path, "\(path)", cause: error)
        }
    }

    /// state.json's bytes, or an error that says why a container has none. `locked`: see `load`.
    func readStateBytes(_ id: String, locked: LockedDirectory? = nil) throws -> [UInt8] {
        try StateStore.validate(id: id)
        let path = directory(id) + "/state.json"
        // Read only from a folder of the runtime's own: `kill`, `exec` act on the pid and the
        // cgroup state.json names (LockedDirectory has why).
        if let rootRefusal { throw rootRefusal }
        do {
            if let locked { return try Self.readState(in: locked.fd) }
            let folder = try LockedDirectory.openOwn(directory(id), uid: uid)
            return try Self.readState(in: folder.fd)
        } catch let e as SysError where e.errno == ENOENT {
            if isDirectory(directory(id)) {
                throw RuntimeError(object: path, "container \"\(id)\" has no state.json: its create has not finished "
                                   + "or was killed (delete --force removes what is left)")
            }
            throw RuntimeError(object: directory(id), "container \"\(id)\" does not exist")
        }
    }

    /// state.json in the container's folder open at `folder`.
    private static func readState(in folder: FD) throws -> [UInt8] {
        let file = OwnedFD(try FD.openAt(folder, "state.json", O_RDONLY | O_NOFOLLOW))
        // A config of engines' size (seccomp profile, mounts) makes a state.json of 10-20 KB.
        return try file.fd.readWhole(firstRead: 32768)
    }

    /// `exec`'s view of a container: the record with only the parts of its config that exec reads
    /// (`process`, and the namespaces, Intel RDT group, personality and memory policy of `linux`),
    /// and the container's compiled seccomp program when `seccomp.bpf` matches state.json's digest;
    /// `linux.seccomp` is decoded only when it does not (exec compiles it then). Decoding the whole
    /// config (mounts, resources, a seccomp profile of hundreds of names) was most of exec's user
    /// CPU. Never to be saved: the config is cut.
    func loadForExec(_ id: String) throws -> (record: ContainerRecord, seccomp: SeccompProgram?) {
        let path = directory(id) + "/state.json"
        let value: JSONValue
        do { value = try JSON.parse(try readStateBytes(id)) } catch let e as RuntimeError { throw e } catch {
            throw RuntimeError(object: path, "\(path)", cause: error)
        }
        var program: SeccompProgram?
        if let digest = value["seccompProgram"]?.stringValue {
            program = SeccompProgramFile.load(directory: directory(id), expected: digest)
        }
        do { return (try StateStore.record(from: StateStore.execView(value, keepSeccomp: program == nil)), program) } catch {
            throw RuntimeError(object: path, "\(path)", cause: error)
        }
    }

    /// The record state.json's parsed `value` decodes to, through the reader `JSON.decode`'s path
    /// ends in (ContainerRecord.init(from:)) called directly: that initializer's frame instantiated
    /// its Codable fallback's KeyedDecodingContainer metadata on every call. Same values and errors.
    static func record(from value: JSONValue) throws -> ContainerRecord {
        try ContainerRecord(reading: JSONObjectReader(value, at: ""))
    }

    /// Members of the config's `linux` that exec reads (ProcessPlan's process-wide parts included).
    static let execLinuxMembers: Set<String> = ["namespaces", "intelRdt", "personality", "memoryPolicy"]

    /// state.json's value with the config cut to what exec reads.
    static func execView(_ state: JSONValue, keepSeccomp: Bool) -> JSONValue {
        guard case .object(var members) = state, let at = members.firstIndex(where: { $0.0 == "config" }),
              case .object(let config) = members[at].1 else { return state }
        var cut: [(String, JSONValue)] = []
        for (key, value) in config {
            switch key {
            case "ociVersion", "process": cut.append((key, value))
            case "linux":
                guard case .object(let linux) = value else {
                    cut.append((key, value))  // decoding reports it
                    continue
                }
                cut.append((key, .object(linux.filter { execLinuxMembers.contains($0.0) || (keepSeccomp && $0.0 == "seccomp") })))
            default: continue
            }
        }
        members[at].1 = .object(cut)
        return .object(members)
    }

    func save(_ record: ContainerRecord) throws {
        try save(record, config: try JSON.encodeValue(record.config))
    }

    /// `create`: the record with `config` (the bundle's config.json as parsed, which decodes to
    /// `record.config`) in place of the config encoded again. Encoding a Spec through Codable was
    /// ~10% of a `run`'s user CPU, on the parent's path; readers decode either the same way (the
    /// members swiftlet does not know are kept, and ignored by every reader as in config.json).
    func save(_ record: ContainerRecord, config: JSONValue) throws {
        let bytes = JSON.serialize(StateStore.stateValue(record, config: config))
        try writeFileAtomically(path: directory(record.id) + "/state.json", String(decoding: bytes, as: UTF8.self))
    }

    /// `create`: as `save(_:config:)`, with config.json's bytes as read in place of its parsed value
    /// serialised again (0.03-0.05 ms of a `run`). The bytes parsed as one JSON value (whitespace
    /// around it, trimmed here, is all a parse accepts besides), so state.json stays one JSON object
    /// whose members are those `stateValue` makes, in its order; only the config's own whitespace
    /// may differ from its serialised text, and every reader of state.json parses it.
    func save(_ record: ContainerRecord, configBytes: [UInt8]) throws {
        let bytes = StateStore.stateBytes(record, configBytes: configBytes)
        try writeFileAtomically(path: directory(record.id) + "/state.json", String(decoding: bytes, as: UTF8.self))
    }

    /// state.json's bytes with `configBytes` as the config's text.
    static func stateBytes(_ record: ContainerRecord, configBytes: [UInt8]) -> [UInt8] {
        guard case .object(let members) = stateValue(record, config: .null),
              let at = members.firstIndex(where: { $0.0 == "config" }), at > 0 else {
            return JSON.serialize(stateValue(record, config: (try? JSON.parse(configBytes)) ?? .null))
        }
        let isSpace = { (b: UInt8) in b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09 }
        var text = configBytes[...]
        while let b = text.first, isSpace(b) { text = text.dropFirst() }
        while let b = text.last, isSpace(b) { text = text.dropLast() }
        let head = JSON.serialize(.object(Array(members[..<at])))  // {"ociVersion":...}
        let tail = JSON.serialize(.object(Array(members[(at + 1)...])))  // {} or {"cgroupDriver":...}
        var out = [UInt8]()
        out.reserveCapacity(head.count + text.count + tail.count + 12)
        out.append(contentsOf: head.dropLast())
        out.append(contentsOf: #","config":"#.utf8)
        out.append(contentsOf: text)
        if tail.count > 2 {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: tail.dropFirst())
        } else {
            out.append(UInt8(ascii: "}"))
        }
        return out
    }

    /// state.json's value, member for member what `JSON.encode` of the record writes (StateFileTests
    /// compares the two), made by hand: Codable's generic containers cost metadata on first use.
    static func stateValue(_ record: ContainerRecord, config: JSONValue) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("ociVersion", .string(record.ociVersion)), ("id", .string(record.id)),
            ("pid", .number(String(record.pid))), ("pidStartTime", .number(String(record.pidStartTime))),
            ("bundle", .string(record.bundle)), ("rootfs", .string(record.rootfs)),
            ("created", .string(record.created)), ("owner", .string(record.owner)),
        ]
        members.reserveCapacity(16)
        if let annotations = record.annotations { members.append(("annotations", sortedObject(annotations))) }
        members.append(("config", config))
        if let driver = record.cgroupDriver { members.append(("cgroupDriver", .string(driver))) }
        if let paths = record.cgroupPaths { members.append(("cgroupPaths", sortedObject(paths))) }
        if let made = record.cgroupMade { members.append(("cgroupMade", stringArray(made))) }
        if let marked = record.cgroupMarked { members.append(("cgroupMarked", .bool(marked))) }
        if let inodes = record.cgroupInodes {
            var numbers = inodes.map { ($0.key, JSONValue.number(String($0.value))) }
            numbers.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            members.append(("cgroupInodes", .object(numbers)))
        }
        if let keyring = record.noNewKeyring { members.append(("noNewKeyring", .bool(keyring))) }
        if let keyring = record.sessionKeyring { members.append(("sessionKeyring", .string(keyring))) }
        if let digest = record.seccompProgram { members.append(("seccompProgram", .string(digest))) }
        return .object(members)
    }

    /// A dictionary as the encoder writes one: keys sorted by their UTF-8 bytes.
    static func sortedObject(_ dictionary: [String: String]) -> JSONValue {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(dictionary.count)
        for (key, value) in dictionary { members.append((key, .string(value))) }
        members.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return .object(members)
    }

    static func stringArray(_ strings: [String]) -> JSONValue {
        var values: [JSONValue] = []
        values.reserveCapacity(strings.count)
        for s in strings { values.append(.string(s)) }
        return .array(values)
    }

    /// Where a container's cgroup claim is kept: an extended attribute of its folder, not a file in
    /// it. On this kind of host the state root is on ext4 without a journal, where every new inode
    /// is found by skipping each inode freed in the last 30 s (recently_deleted): with containers
    /// made and deleted all the time a file's create cost ~0.3 ms of kernel CPU (perf: a quarter of
    /// ext4_new_inode's samples in a par20 batch were cgroup.json's), the attribute ~15 µs (it goes
    /// in the folder's inode or one block). cgroup.json stays where the folder's file system
    /// refuses the attribute (no user xattrs, a value too large), and is read when there is no
    /// attribute (a folder of an older swiftlet).
    static let cgroupClaimAttribute = "user.swiftlet.cgroup-claim"

    /// The cgroup a `create` is about to make, written before it makes it (the attribute is
    /// replaced whole: a reader sees the old claim or the new one). `first`: the create's first
    /// claim, into a folder that has none yet; a later one (what the mkdirs found there already)
    /// also drops the other place, so that a claim never shadows a newer one: the attribute, read
    /// first, goes after the file is written; the file goes once the attribute holds the claim.
    func saveCgroupClaim(_ id: String, _ claim: CgroupClaim, first: Bool = false) throws {
        let folder = directory(id)
        let contents = String(decoding: JSON.serialize(claim.jsonValue), as: UTF8.self)
        if (try? ExtendedAttribute.set(notFollowing: folder, Self.cgroupClaimAttribute, contents)) != nil {
            if !first { _ = unlink(folder + "/cgroup.json") }
            return
        }
        try writeFileAtomically(path: folder + "/cgroup.json", contents)
        if !first { try? ExtendedAttribute.remove(notFollowing: folder, Self.cgroupClaimAttribute) }
    }

    func loadCgroupClaim(_ id: String) -> CgroupClaim? {
        let folder = directory(id)
        if let text = try? ExtendedAttribute.value(notFollowing: folder, Self.cgroupClaimAttribute, maxBytes: 1 << 16) {
            return try? JSON.decode(CgroupClaim.self, from: Array(text.utf8))
        }
        guard let bytes = try? readFile(path: folder + "/cgroup.json") else { return nil }
        return try? JSON.decode(CgroupClaim.self, from: bytes)
    }

    func remove(_ id: String) throws {
        try removeTree(directory(id))
    }

    /// The same, for a caller that holds the folder's lock: the two files every created container
    /// leaves (state.json, cgroup.json) are unlinked by name through the locked folder, then the
    /// folder goes; anything else in it (an exec fifo never started, seccomp.bpf, a temporary of a
    /// killed write, a mount) makes the rmdir fail, and the whole tree is removed as by `remove`.
    /// Three calls instead of a walk of twelve (lstat, two opens, readdir, a stat per entry).
    func remove(_ id: String, locked: LockedDirectory) throws {
        _ = unlinkat(locked.fd.raw, "state.json", 0)
        _ = unlinkat(locked.fd.raw, "cgroup.json", 0)
        if Glibc.rmdir(directory(id)) == 0 { return }
        try removeTree(directory(id))
    }

    /// The exec fifo exists until `start` removes it, and init holds it open until its execve: a
    /// fifo without a reader is what a `start` killed after its write leaves (the process runs).
    /// One that init still holds with `start`'s second byte in it is the same start killed before
    /// init's execve (init has read the first byte, or is about to, and may be in a startContainer
    /// hook): started too, as runc says running once its start has read the fifo.
    func waitsOnFifo(_ id: String) -> Bool {
        let path = fifoPath(id)
        do {
            _ = try OwnedFD.open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        } catch let e as SysError {
            return e.errno != ENOENT && e.errno != ENXIO
        } catch {
            return true
        }
        guard let reader = try? OwnedFD.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) else { return true }
        return !Poll.hasData(reader.fd)
    }

    /// The container folders, told apart by readdir's entry type (no stat per entry; the seccomp
    /// cache's files are not folders).
    public func ids() -> [String] {
        ((try? listSubdirectories(root)) ?? []).sorted()
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
        // FREEZING is paused too: the freeze was asked for (by `pause`, or an ancestor's), and only
        // a task not stopped yet holds it there, such as a host process moved into the paused
        // cgroup; called running, `resume` refused it and `delete --force` did not thaw it.
        if let kind = cgroupDriver, let paths = cgroupPaths {
            let freezer = Cgroups.load(kind: kind, paths: paths).freezerState()
            if freezer == .frozen || freezer == .freezing { return .paused }
        }
        if waitsOnFifo(id) { return .created }
        return .running
    }
}

/// A container folder held under an exclusive flock until `unlock` (or process exit).
struct LockedDirectory {
    let path: String
    let fd: FD

    /// The folder must be the runtime's own: a real directory (O_NOFOLLOW), owned by this uid, that
    /// no other uid may write, in a root that no other uid may write (StateStore.rootRefusal). Otherwise whoever can write
    /// there (a `--root` in a directory of another user's) plants a symlink, a state.json or a
    /// cgroup.json, and `delete` empties the symlink's target, signals the planted pid and removes
    /// the planted cgroup with its processes.
    /// `uid`: the runtime's (StateStore.uid, asked once per command).
    init(path: String, uid: uid_t) throws {
        self.path = path
        let folder = try Self.openOwn(path, uid: uid)
        try folder.fd.lockExclusive(describe: path)
        self.fd = folder.release()
    }

    /// The container's folder at `path`, opened if it is the runtime's own (see `init`).
    static func openOwn(_ path: String, uid: uid_t = Identity.effectiveUID) throws -> OwnedFD {
        let folder: OwnedFD
        do { folder = try OwnedFD.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) } catch let e as SysError where e.errno == ELOOP || e.errno == ENOTDIR {
            throw RuntimeError(object: path, "the state directory \(path) is not a directory (a symbolic link?): not the runtime's own, left alone")
        }
        if let refusal = ownershipRefusal(try folder.fd.status(describe: path), path, uid: uid) { throw refusal }
        return folder
    }

    /// Why a directory with status `st` is not the runtime's own, or nil.
    /// Writable by its group is the runtime's own only when that group is the runtime's: a
    /// directory made by hand under umask 002 (mode 775, the user's own group) is used, as runc
    /// uses it; one another group may write is not.
    /// (`gid`: the runtime's group, asked only for a folder its group may write.)
    static func ownershipRefusal(_ st: stat, _ path: String, uid: uid_t = Identity.effectiveUID,
                                 gid: gid_t? = nil) -> RuntimeError? {
        if st.st_uid != uid {
            return RuntimeError(object: path, "the state directory \(path) belongs to uid \(st.st_uid), not to the runtime's uid \(uid): left alone")
        }
        if st.st_mode & 0o002 != 0 || (st.st_mode & 0o020 != 0 && st.st_gid != (gid ?? Identity.effectiveGID)) {
            return RuntimeError(object: path, "the state directory \(path) may be written by other users (mode \(String(st.st_mode & 0o7777, radix: 8))): left alone")
        }
        return nil
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
