import XCTest
@testable import Container
import JSON
import RuntimeSpec

/// state.json: one list of fields read two ways (`ContainerRecord`, `ContainerSummary`), written with
/// the bytes of earlier builds. Pure logic: no root, no file.
final class StateFileTests: XCTestCase {
    /// A state.json as the build before the one-list change wrote it (every field set, in its order).
    static let earlierBytes = #"{"ociVersion":"1.3.0","id":"c1","pid":31205,"pidStartTime":5471236,"bundle":"/b","#
        + #""rootfs":"/b/rootfs","created":"2026-12-03T09:38:38.990672045Z","owner":"root","annotations":{"a":"1","b":"2"},"#
        + #""config":{"ociVersion":"1.3.0","process":{"user":{"uid":0,"gid":0},"args":["/bin/true"],"cwd":"/"},"#
        + #""root":{"path":"rootfs","readonly":true},"hostname":"c1"},"cgroupDriver":"hybrid","#
        + #""cgroupPaths":{"":"/sys/fs/cgroup/unified/c1","memory":"/sys/fs/cgroup/memory/c1"},"#
        + #""cgroupMade":["/sys/fs/cgroup/memory/c1","/sys/fs/cgroup/unified/c1"]}"#

    func testRecordKeepsTheBytesOfEarlierBuilds() throws {
        let record = try JSON.decode(ContainerRecord.self, from: Array(Self.earlierBytes.utf8))
        XCTAssertEqual(record.config.hostname, "c1")
        XCTAssertEqual(record.cgroupMade, ["/sys/fs/cgroup/memory/c1", "/sys/fs/cgroup/unified/c1"])
        XCTAssertEqual(String(decoding: try JSON.encode(record), as: UTF8.self), Self.earlierBytes)
    }

    /// ContainerRecord read from the parsed value gives what its Codable decoder gives: the same
    /// record, or the same error (path and message), for the record with every member set and for
    /// every change of one member (removed, duplicated, each JSON kind, and inside its objects).
    func testRecordReadsAsByCodable() throws {
        var record = try JSON.decode(ContainerRecord.self, from: Array(Self.earlierBytes.utf8))
        record.cgroupMarked = true
        record.cgroupInodes = ["/sys/fs/cgroup/unified/c1": 4294967297, "/sys/fs/cgroup/memory/c1": 12]
        record.noNewKeyring = true
        record.sessionKeyring = "_ses.c1.0123456789abcdef"
        record.seccompProgram = "0123456789abcdef0123456789abcdef"
        guard case .object(let members) = try JSON.encodeValue(record) else { return XCTFail("not an object") }
        let kinds: [JSONValue] = [.null, .bool(true), .string("x"), .number("-1"), .number("4294967296"),
                                  .number("1.5"), .object([]), .object([("k", .number("1"))]), .object([("k", .string("v"))]),
                                  .array([]), .array([.string("x")]), .array([.number("1")])]
        var docs: [JSONValue] = [.object(members), .null, .array([])]
        for (i, (name, value)) in members.enumerated() {
            var without = members
            without.remove(at: i)
            docs.append(.object(without))
            docs.append(.object(members + [(name, .null)]))
            docs.append(.object([(name, .string("x"))] + members))
            var replacements = kinds
            if case .object(let inner) = value {
                for (j, _) in inner.enumerated() {
                    for k in kinds {
                        var changed = inner
                        changed[j].1 = k
                        replacements.append(.object(changed))
                    }
                    replacements.append(.object(inner + [(inner[j].0, .string("x"))]))
                }
            }
            for r in replacements {
                var changed = members
                changed[i].1 = r
                docs.append(.object(changed))
            }
        }
        XCTAssertGreaterThan(docs.count, 200)
        for doc in docs {
            let direct = Result { try JSON.encode(try JSON.decode(ContainerRecord.self, from: doc)) }
            let codable = Result { try JSON.encode(try JSON.decodeByCodable(ContainerRecord.self, from: doc)) }
            switch (direct, codable) {
            case (.success(let a), .success(let b)): XCTAssertEqual(a, b, "\(JSON.serialize(doc))")
            case (.failure(let a), .failure(let b)): XCTAssertEqual("\(a)", "\(b)", "\(JSON.serialize(doc))")
            default: XCTFail("\(direct) | \(codable) for \(String(decoding: JSON.serialize(doc), as: UTF8.self))")
            }
        }
    }

    /// The session keyring's name is kept for `exec` (a state without it: runc's `_ses.<id>`), and
    /// has a part another container cannot guess.
    func testSessionKeyringNameIsKeptAndNotGuessable() throws {
        XCTAssertNil(try JSON.decode(ContainerRecord.self, from: Array(Self.earlierBytes.utf8)).sessionKeyring)
        let name = Runtime.sessionKeyringName(id: "c1")
        XCTAssertTrue(name.hasPrefix("_ses.c1."), name)
        XCTAssertEqual(name.count, "_ses.c1.".count + 16, name)
        XCTAssertTrue(name.dropFirst("_ses.c1.".count).allSatisfy(\.isHexDigit), name)
        XCTAssertNotEqual(name, Runtime.sessionKeyringName(id: "c1"))
        let with = Self.earlierBytes.dropLast() + #","sessionKeyring":"\#(name)"}"#
        let record = try JSON.decode(ContainerRecord.self, from: Array(with.utf8))
        XCTAssertEqual(record.sessionKeyring, name)
        XCTAssertEqual(String(decoding: try JSON.encode(record), as: UTF8.self), String(with))
    }

    /// state.json and cgroup.json are written by hand (no Codable on create's path): the bytes are
    /// the encoder's, with every optional member present and with each absent.
    func testHandWrittenStateIsTheEncodersBytes() throws {
        var record = try JSON.decode(ContainerRecord.self, from: Array(Self.earlierBytes.utf8))
        record.cgroupMarked = true
        record.cgroupInodes = ["/sys/fs/cgroup/unified/c1": 4294967297, "/sys/fs/cgroup/memory/c1": 12]
        record.noNewKeyring = true
        record.sessionKeyring = "_ses.c1.0123456789abcdef"
        record.seccompProgram = "0123456789abcdef0123456789abcdef"
        record.annotations!["a\u{e9}"] = "z"
        record.annotations!["B"] = "y"
        XCTAssertEqual(JSON.serialize(StateStore.stateValue(record, config: try JSON.encodeValue(record.config))),
                       try JSON.encode(record))
        // Every stored member is written: a member added to ContainerRecord and not to stateValue fails here.
        let written = StateStore.stateValue(record, config: .null).objectValue?.map(\.0) ?? []
        XCTAssertEqual(written, Mirror(reflecting: record).children.compactMap(\.label),
                       "StateStore.stateValue must write every member of ContainerRecord (set the new one above too)")
        record.annotations = nil
        record.cgroupDriver = nil
        record.cgroupPaths = nil
        record.cgroupMade = nil
        record.cgroupMarked = nil
        record.cgroupInodes = nil
        record.noNewKeyring = nil
        record.sessionKeyring = nil
        record.seccompProgram = nil
        XCTAssertEqual(JSON.serialize(StateStore.stateValue(record, config: try JSON.encodeValue(record.config))),
                       try JSON.encode(record))
        // The config as given goes in as it is, member order and numbers' text included.
        let parsed = try JSON.parse(Array(#"{"z":1.50,"ociVersion":"1.3.0","a":[true,null]}"#.utf8))
        let bytes = JSON.serialize(StateStore.stateValue(record, config: parsed))
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).contains(#""config":{"z":1.50,"ociVersion":"1.3.0","a":[true,null]}"#))
        XCTAssertEqual(try JSON.decode(ContainerRecord.self, from: bytes).config.ociVersion, "1.3.0")

        // create writes config.json's bytes as read: with the config's compact text, byte for byte
        // what the value makes; with whitespace in and around it, the same JSON.
        let compact = #"{"z":1.50,"ociVersion":"1.3.0","a":[true,null]}"#
        for full in [true, false] {
            var r = record
            if full {
                r.annotations = ["k": "v"]; r.cgroupDriver = "hybrid"; r.cgroupPaths = ["": "/u/c1"]
                r.cgroupMade = ["/u/c1"]; r.cgroupMarked = true; r.cgroupInodes = ["": 7]; r.seccompProgram = "ab"
            }
            XCTAssertEqual(StateStore.stateBytes(r, configBytes: Array(compact.utf8)),
                           JSON.serialize(StateStore.stateValue(r, config: parsed)), "full: \(full)")
            let spaced = " \n\t{ \"z\" : 1.50,\n  \"ociVersion\": \"1.3.0\", \"a\": [ true, null ] }\r\n "
            let written = StateStore.stateBytes(r, configBytes: Array(spaced.utf8))
            XCTAssertEqual(try JSON.parse(written), StateStore.stateValue(r, config: parsed), "full: \(full)")
            XCTAssertEqual(try JSON.decode(ContainerRecord.self, from: written).config.ociVersion, "1.3.0")
            XCTAssertEqual(written.first, UInt8(ascii: "{"))
            XCTAssertEqual(written.last, UInt8(ascii: "}"))
        }

        var claim = CgroupClaim(driver: "hybrid", paths: ["memory": "/m/c1", "": "/u/c1", "cpu,cpuacct": "/c/c1"],
                                made: ["/m/c1", "/u/c1"])
        XCTAssertEqual(JSON.serialize(claim.jsonValue), try JSON.encode(claim))
        claim.made = nil
        claim.paths = [:]
        XCTAssertEqual(JSON.serialize(claim.jsonValue), try JSON.encode(claim))
    }

    /// `state` and `list` read the OCI state's members and the status's by hand: the values the
    /// record decodes; errors name the member; members they do not read do not stop them.
    func testSummaryReadsWhatStateAndListNeed() throws {
        let s = try ContainerSummary(stateBytes: Array(Self.earlierBytes.utf8))
        XCTAssertEqual([s.ociVersion, s.id, s.bundle, s.rootfs, s.created, s.owner],
                       ["1.3.0", "c1", "/b", "/b/rootfs", "2026-12-03T09:38:38.990672045Z", "root"])
        XCTAssertEqual(s.pid, 31205)
        XCTAssertEqual(s.pidStartTime, 5471236)
        XCTAssertEqual(s.annotations, ["a": "1", "b": "2"])
        XCTAssertEqual(s.cgroupDriver, "hybrid")
        XCTAssertEqual(s.cgroupPaths?["memory"], "/sys/fs/cgroup/memory/c1")
        // A config the record could not decode does not stop a summary (list keeps working).
        let broken = Self.earlierBytes.replacingOccurrences(of: #""hostname":"c1""#, with: #""hostname":7"#)
        XCTAssertThrowsError(try JSON.decode(ContainerRecord.self, from: Array(broken.utf8)))
        XCTAssertEqual(try ContainerSummary(stateBytes: Array(broken.utf8)).id, "c1")
        // Nor do the cgroup's made directories and inode numbers, which only delete reads.
        let badInodes = Self.earlierBytes.dropLast() + #","cgroupInodes":{"/x":"1"},"cgroupMarked":3}"#
        XCTAssertEqual(try ContainerSummary(stateBytes: Array(badInodes.utf8)).pid, 31205)
        // Still JSON: what is not is refused as the parser refuses it.
        XCTAssertThrowsError(try ContainerSummary(stateBytes: Array((Self.earlierBytes.dropLast() + #","cgroupInodes":{"/x":01}}"#).utf8)))

        // Each member as the record decodes it: a null optional is nil, the last duplicate counts.
        let record = try JSON.decode(ContainerRecord.self, from: Array(Self.earlierBytes.utf8))
        XCTAssertEqual([s.ociVersion, s.id, s.bundle, s.rootfs, s.created, s.owner],
                       [record.ociVersion, record.id, record.bundle, record.rootfs, record.created, record.owner])
        XCTAssertEqual(s.annotations, record.annotations)
        XCTAssertEqual(s.cgroupPaths, record.cgroupPaths)
        let edited = Self.earlierBytes.dropLast() + #","annotations":null,"cgroupDriver":null,"pid":7,"cgroupPaths":{"a":1,"a":"b"}}"#
        let e = try ContainerSummary(stateBytes: Array(edited.utf8))
        XCTAssertNil(e.annotations)
        XCTAssertNil(e.cgroupDriver)
        XCTAssertEqual(e.pid, 7)
        XCTAssertEqual(e.cgroupPaths, ["a": "b"])

        let errors: [(String, String)] = [
            (#""pid":31205"#, #""pid":"31205""#), (#""pid":31205"#, #""pid":1.5"#), (#""pid":31205"#, #""pid":4294967296"#),
            (#""pidStartTime":5471236"#, #""pidStartTime":-1"#), (#""bundle":"/b","#, ""), (#""id":"c1""#, #""id":null"#),
            (#""annotations":{"a":"1","#, #""annotations":{"a":1,"#), (#""cgroupDriver":"hybrid""#, #""cgroupDriver":[]"#),
        ]
        var messages: [String] = []
        for (from, to) in errors {
            let bytes = Array(Self.earlierBytes.replacingOccurrences(of: from, with: to).utf8)
            XCTAssertThrowsError(try ContainerSummary(stateBytes: bytes), to) { error in
                messages.append((error as? JSONError)?.description ?? "\(error)")
            }
        }
        XCTAssertEqual(messages, [
            "pid: expected an integer, got string", "pid: expected an integer that fits in Int32, got 1.5",
            "pid: expected an integer that fits in Int32, got 4294967296",
            "pidStartTime: expected an integer that fits in UInt64, got -1", "bundle: required property missing",
            "id: expected a string, got null", "annotations.a: expected a string, got number",
            "cgroupDriver: expected a string, got array",
        ])
    }

    /// `update`: the fields an update sets replace the container's, member by member inside memory,
    /// cpu and blockIO; devices are never taken from an update.
    func testResourcesMerge() {
        var current = LinuxResources()
        current.devices = [LinuxDeviceCgroup(allow: false, access: "rwm")]
        current.memory = LinuxMemory(limit: 100, swap: 200)
        current.memory!.useHierarchy = true
        current.cpu = LinuxCPU(shares: 10, cpus: "0")
        current.pids = LinuxPids(limit: 5)
        current.unified = ["x": "1"]

        var update = LinuxResources()
        update.devices = [LinuxDeviceCgroup(allow: true, access: "r")]
        update.memory = LinuxMemory(swap: 300)
        update.memory!.useHierarchy = false
        update.memory!.checkBeforeUpdate = true
        update.cpu = LinuxCPU(quota: 1000, mems: "0-1")
        update.blockIO = LinuxBlockIO(weight: 50)
        update.pids = LinuxPids(limit: 9)
        update.hugepageLimits = [LinuxHugepageLimit(pageSize: "2MB", limit: 1)]

        var want = current
        want.memory = LinuxMemory(limit: 100, swap: 300)
        want.memory!.useHierarchy = true
        want.memory!.checkBeforeUpdate = true
        want.cpu = LinuxCPU(shares: 10, quota: 1000, cpus: "0", mems: "0-1")
        want.blockIO = LinuxBlockIO(weight: 50)
        want.pids = LinuxPids(limit: 9)
        want.hugepageLimits = [LinuxHugepageLimit(pageSize: "2MB", limit: 1)]

        var merged = current
        merged.merge(update)
        XCTAssertEqual(merged, want)
        var unchanged = current
        unchanged.merge(LinuxResources())
        XCTAssertEqual(unchanged, current)
    }
}
