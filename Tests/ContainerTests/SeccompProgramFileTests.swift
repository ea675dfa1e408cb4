import Foundation
import XCTest
@testable import Container
import JSON
import RuntimeSpec

/// `seccomp.bpf` (the program create keeps for exec) and exec's cut of state.json. The integration
/// side (a changed or foreign file is never installed) is in SeccompTests.
final class SeccompProgramFileTests: XCTestCase {
    let program = SeccompProgram(instructions: [0x7fff_0000_0000_0006, 0x0005_0000_0000_0006, 42], flags: 8,
                                 listenerPath: "/run/agent\nwith a newline.sock", listenerMetadata: "")

    func testRoundTripKeepsEveryField() throws {
        let back = try XCTUnwrap(SeccompProgramFile.decode(SeccompProgramFile.encode(program)))
        XCTAssertEqual(back.instructions, program.instructions)
        XCTAssertEqual(back.flags, program.flags)
        XCTAssertEqual(back.listenerPath, program.listenerPath)
        XCTAssertEqual(back.listenerMetadata, "")
        let none = SeccompProgram(instructions: [6], flags: 0, listenerPath: nil, listenerMetadata: nil)
        let back2 = try XCTUnwrap(SeccompProgramFile.decode(SeccompProgramFile.encode(none)))
        XCTAssertNil(back2.listenerPath)
        XCTAssertNil(back2.listenerMetadata)
    }

    func testMalformedFilesAreRefused() {
        let data = SeccompProgramFile.encode(program)
        // Cut anywhere: never a program (a filter cut short would let through what it stops).
        for n in 0..<data.count { XCTAssertNil(SeccompProgramFile.decode(Array(data.prefix(n))), "cut at \(n)") }
        XCTAssertNil(SeccompProgramFile.decode(data + [0]), "a byte too many")
        var wrongMagic = data
        wrongMagic[0] ^= 1
        XCTAssertNil(SeccompProgramFile.decode(wrongMagic))
        let empty = SeccompProgram(instructions: [], flags: 0, listenerPath: nil, listenerMetadata: nil)
        XCTAssertNil(SeccompProgramFile.decode(SeccompProgramFile.encode(empty)), "an empty program")
    }

    func testLoadNeedsTheDigestStateJSONKeeps() throws {
        let dir = NSTemporaryDirectory() + "/seccomp-program-file-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digest = try XCTUnwrap(SeccompProgramFile.write(program, directory: dir))
        XCTAssertEqual(SeccompProgramFile.load(directory: dir, expected: digest)?.instructions, program.instructions)
        XCTAssertNil(SeccompProgramFile.write(program, directory: dir), "never over an existing file")
        // One bit of one instruction changed: the digest differs, nothing is loaded.
        let path = dir + "/" + SeccompProgramFile.name
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[data.count - 3] ^= 0x01
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertNil(SeccompProgramFile.load(directory: dir, expected: digest))
        XCTAssertNotNil(SeccompProgramFile.load(directory: dir, expected: SeccompProgramFile.digest(Array(data))),
                        "the same file is loaded under its own digest (the check is the digest)")
        try FileManager.default.removeItem(atPath: path)
        XCTAssertNil(SeccompProgramFile.load(directory: dir, expected: digest), "a missing file")
    }

    func testExecViewKeepsWhatExecReads() throws {
        let state = try JSON.parse(Array(#"""
            {"ociVersion":"1.3.0","id":"c1","pid":1,"pidStartTime":2,"bundle":"/b","rootfs":"/b/r","created":"x","owner":"root",
             "config":{"ociVersion":"1.3.0","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},
                       "mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"hostname":"h",
                       "linux":{"namespaces":[{"type":"pid"}],"maskedPaths":["/proc/kcore"],"personality":{"domain":"LINUX32"},
                                "seccomp":{"defaultAction":"SCMP_ACT_ALLOW"},"resources":{"pids":{"limit":5}},
                                "memoryPolicy":{"mode":"MPOL_DEFAULT"},"intelRdt":{"closID":"g"}}},
             "cgroupDriver":"v1","seccompProgram":"00"}
            """#.utf8))
        let kept = try JSON.decode(ContainerRecord.self, from: StateStore.execView(state, keepSeccomp: false))
        let full = try JSON.decode(ContainerRecord.self, from: state)
        XCTAssertEqual(kept.config.process, full.config.process)
        XCTAssertEqual(kept.config.linux?.namespaces, full.config.linux?.namespaces)
        XCTAssertEqual(kept.config.linux?.personality, full.config.linux?.personality)
        XCTAssertEqual(kept.config.linux?.memoryPolicy, full.config.linux?.memoryPolicy)
        XCTAssertEqual(kept.config.linux?.intelRdt, full.config.linux?.intelRdt)
        XCTAssertNil(kept.config.linux?.seccomp)
        XCTAssertNil(kept.config.mounts)
        XCTAssertNil(kept.config.linux?.resources)
        XCTAssertEqual(kept.cgroupDriver, "v1")
        XCTAssertEqual(kept.seccompProgram, "00")
        let withSeccomp = try JSON.decode(ContainerRecord.self, from: StateStore.execView(state, keepSeccomp: true))
        XCTAssertEqual(withSeccomp.config.linux?.seccomp, full.config.linux?.seccomp)
    }
}
