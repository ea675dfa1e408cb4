import Foundation
import XCTest

/// A swiftlet process maps only the pages it touches in the sparse parts of its executable: the
/// read-only segment and the text past the dense start-up code (Sources/CShim/cshim_residency.c).
/// The kernel's fault-around is off in a range registered with a userfaultfd for write-protect
/// tracking; smaps shows the registration as VmFlags `uw`. Checked in the processes that set peak
/// RSS: the parent of `create` and the init stage it forks, and that the fd holding it never
/// reaches the container's program.
final class ResidencyTests: IntegrationTestCase {
    private func requireSwiftlet() throws {
        guard Env.isSwiftlet else { throw XCTSkip("swiftlet's own memory layout") }
    }

    /// The addresses the check needs, from the binary's symbol table.
    private func symbols() throws -> [String: UInt64] {
        let nm = Host.exec("/usr/bin/nm", [Env.runtime])
        XCTAssertEqual(nm.status, 0, describe(nm))
        var found: [String: UInt64] = [:]
        for line in nm.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, ["__ehdr_start", "swiftlet_hot_text", "swiftlet_sparse_text", "etext"].contains(String(f[2])),
                  let a = UInt64(f[0], radix: 16) else { continue }
            found[String(f[2])] = a
        }
        XCTAssertEqual(found.count, 4, "symbols of the hot-text layout missing from \(Env.runtime): \(found)")
        return found
    }

    /// (start, end, VmFlags) of every mapping in an smaps text.
    private func mappings(_ smaps: String) -> [(start: UInt64, end: UInt64, flags: Set<String>)] {
        var result: [(UInt64, UInt64, Set<String>)] = []
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ")
            if let range = f.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-")
                if bounds.count == 2, let s = UInt64(bounds[0], radix: 16), let e = UInt64(bounds[1], radix: 16) {
                    result.append((s, e, []))
                }
            } else if line.hasPrefix("VmFlags:"), !result.isEmpty {
                result[result.count - 1].2 = Set(f.dropFirst().map(String.init))
            }
        }
        return result
    }

    /// The sparse ranges are registered (`uw`), the dense start-up code is not.
    private func assertSparseRangesExact(_ smaps: String, _ who: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try symbols()
        let maps = mappings(smaps)
        func flags(at address: UInt64) -> Set<String>? { maps.first { $0.start <= address && address < $0.end }?.flags }
        let page: UInt64 = 4096
        let hot = try XCTUnwrap(s["swiftlet_hot_text"]), sparse = try XCTUnwrap(s["swiftlet_sparse_text"])
        let checks: [(String, UInt64, Bool)] = [
            ("the read-only segment", try XCTUnwrap(s["__ehdr_start"]), true),
            ("the dense start-up code", (hot + 0x10000) & ~(page - 1), false),
            ("the code past swiftlet_sparse_text", (sparse + page) & ~(page - 1), true),
            ("the last page of text", (try XCTUnwrap(s["etext"]) - 1) & ~(page - 1), true),
        ]
        for (what, address, registered) in checks {
            guard let f = flags(at: address) else {
                XCTFail("\(who): no mapping at 0x\(String(address, radix: 16)) (\(what))", file: file, line: line)
                continue
            }
            XCTAssertEqual(f.contains("uw"), registered,
                           "\(who): \(what) at 0x\(String(address, radix: 16)) has VmFlags \(f.sorted())", file: file, line: line)
        }
    }

    func testParentAndInitStageMapOnlyTouchedPagesOfSparseText() throws {
        try requireSwiftlet()
        let dir = hostDir("smaps")
        // The createRuntime hook's parent is the runtime's own process (the parent of create).
        let bundle = makeBundle(sharing: dir, program: "sleep 100") { c in
            c.addHook("createRuntime", ["path": "/bin/sh", "args": ["sh", "-c", "cat /proc/$PPID/smaps > \(dir)/parent"]])
        }
        let id = newID()
        let created = runtime(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.status, 0, describe(created))
        try assertSparseRangesExact(try String(contentsOfFile: dir + "/parent", encoding: .utf8), "parent of create")
        // Until start, the container process is the init stage waiting for the exec fifo.
        let pid = try XCTUnwrap(state(id)?["pid"] as? Int, "state has no pid")
        let initStage = try String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8)
        try assertSparseRangesExact(initStage, "init stage")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    /// Where userfaultfd is denied (a seccomp profile answering EPERM, a kernel without it: ENOSYS),
    /// the runtime works as before: fault-around everywhere, no registration, no error.
    func testWithoutUserfaultfdNothingIsRegistered() throws {
        try requireSwiftlet()
        if let e = FailSyscalls.buildError { throw SetupError(message: e) }
        #if arch(x86_64)
        let userfaultfd = "323"
        #else
        let userfaultfd = "282"
        #endif
        for (name, errno) in [("EPERM", EPERM), ("ENOSYS", ENOSYS)] {
            let id = newID()
            let b = makeBundle { c in c.args = ["sleep", "100"] }
            let r = Host.exec(FailSyscalls.path, [userfaultfd, "\(errno)", Env.runtime, "--root", stateRoot,
                                                               "create", "--bundle", b, id])
            XCTAssertEqual(r.status, 0, "userfaultfd failing with \(name): \(describe(r))")
            let pid = try XCTUnwrap(state(id)?["pid"] as? Int, "state has no pid (\(name))")
            let smaps = try String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8)
            let registered = mappings(smaps).filter { $0.flags.contains("uw") }
            XCTAssertTrue(registered.isEmpty, "userfaultfd failing with \(name), yet registered: \(registered.map { String($0.start, radix: 16) })")
            XCTAssertEqual(runtime(["start", id]).status, 0, name)
            XCTAssertEqual(runtime(["delete", "--force", id]).status, 0, name)
        }
    }

    /// The userfaultfd is close-on-exec: the container's program has none of the runtime's.
    func testContainerProgramHoldsNoUserfaultfd() throws {
        try requireSwiftlet()
        let id = startSleeper()
        let pid = try XCTUnwrap(state(id)?["pid"] as? Int, "state has no pid")
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        let targets = fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
        XCTAssertEqual(targets.count, fds.count, "unreadable fd links: \(fds)")
        XCTAssertFalse(targets.contains { $0.contains("userfaultfd") }, "the container's program holds \(targets)")
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }
}
