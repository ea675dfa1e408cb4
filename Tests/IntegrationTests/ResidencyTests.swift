import Foundation
import XCTest

/// A swiftlet process maps only the pages it touches in the sparse parts of its executable: the
/// read-only segment and the text past the dense start-up code (Sources/CShim/cshim_residency.c).
/// The kernel's fault-around is off in a range registered with a userfaultfd for write-protect
/// tracking; smaps shows the registration as VmFlags `uw`. Checked in the processes that set peak
/// RSS: the parent of `create` and the init stage it forks, and that the fd holding it never
/// reaches the container's program. And that a fork copies the page tables of those ranges, so that
/// the init stage does not fault in again, one page at a time, the pages its parent has mapped.
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
    /// KiB of anonymous memory (smaps `Anonymous:`) of the mapping that holds `address`, nil when
    /// no mapping does.
    private func anonymousKiB(at address: UInt64, in smaps: String) -> Int? {
        var inside = false
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = f.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt64($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside, f.first == "Anonymous:", f.count >= 2 {
                return Int(f[1])
            }
        }
        return nil
    }

    /// (start, permissions, file offset) of the mapping that holds `address` in an smaps text.
    private func mapping(at address: UInt64, in smaps: String) -> (start: UInt64, perms: String, offset: UInt64)? {
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 3, let range = f.first, range.contains("-"), !range.hasSuffix(":") else { continue }
            let bounds = range.split(separator: "-").compactMap { UInt64($0, radix: 16) }
            if bounds.count == 2, bounds[0] <= address, address < bounds[1], let offset = UInt64(f[2], radix: 16) {
                return (bounds[0], String(f[1]), offset)
            }
        }
        return nil
    }

    /// The indexes of the entries of a pagemap extract whose page is present (bit 63).
    private func presentPages(_ pagemap: Data) -> Set<Int> {
        var present = Set<Int>()
        pagemap.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 8) where raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) >> 63 == 1 {
                present.insert(i)
            }
        }
        return present
    }

    /// The read-only segment and the sparse text: where the runtime's own pages are, one mapping each.
    private func sparseRanges() throws -> (readOnly: UInt64, sparseText: UInt64, sparseEnd: UInt64) {
        let s = try symbols()
        let page: UInt64 = 4096
        let sparse = (try XCTUnwrap(s["swiftlet_sparse_text"]) + page - 1) & ~(page - 1)
        let end = (try XCTUnwrap(s["etext"]) + page - 1) & ~(page - 1)
        return (try XCTUnwrap(s["__ehdr_start"]), sparse, end)
    }

    /// A fork copies a mapping's page tables only where the mapping has anonymous pages: the runtime
    /// gives the read-only segment and the sparse text one private page each before it forks, so
    /// that the init stage starts with the pages its parent has mapped there instead of faulting
    /// each in again (87 of its 150 page faults in a docker `run`). Checked while the
    /// createRuntime hook runs: both mappings hold the private page in the parent and in the init
    /// stage, with the binary's bytes in a read-only mapping, and the init stage has most of the
    /// sparse text pages the parent has (~80 %; ~35 %, the ones it ran itself, without the copy).
    func testInitStageStartsWithTheSparsePagesItsParentMapped() throws {
        try requireSwiftlet()
        let (readOnly, sparse, end) = try sparseRanges()
        let pages = (end - sparse) / 4096
        let dir = hostDir("pagemap")
        // The parent's pagemap entries of the sparse text and its smaps, read while it waits for the hook.
        let hook = "dd if=/proc/$PPID/pagemap of=\(dir)/parent.pagemap bs=8 skip=\(sparse / 4096) count=\(pages) 2>/dev/null; cat /proc/$PPID/smaps > \(dir)/parent.smaps"
        let bundle = makeBundle(sharing: dir, program: "sleep 100") { c in
            c.addHook("createRuntime", ["path": "/bin/sh", "args": ["sh", "-c", hook]])
        }
        let id = newID()
        let created = runtime(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.status, 0, describe(created))
        defer { XCTAssertEqual(runtime(["delete", "--force", id]).status, 0) }
        let pid = try XCTUnwrap(state(id)?["pid"] as? Int, "state has no pid")
        let parentSmaps = try String(contentsOfFile: dir + "/parent.smaps", encoding: .utf8)
        let initSmaps = try String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8)
        for (who, smaps) in [("parent of create", parentSmaps), ("init stage", initSmaps)] {
            for (what, address) in [("the read-only segment", readOnly), ("the sparse text", sparse)] {
                let anonymous = try XCTUnwrap(anonymousKiB(at: address, in: smaps), "\(who): no mapping of \(what)")
                XCTAssertGreaterThanOrEqual(anonymous, 4, "\(who): \(what) has no private page: a fork does not copy its page tables")
            }
        }
        // The private pages hold what the binary holds there, and the mappings stay read-only.
        let binary = try XCTUnwrap(FileHandle(forReadingAtPath: Env.runtime))
        let memory = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/\(pid)/mem"))
        defer { try? binary.close(); try? memory.close() }
        for (what, address) in [("the read-only segment", readOnly), ("the sparse text", sparse)] {
            let m = try XCTUnwrap(mapping(at: address, in: initSmaps), "init stage: no mapping of \(what)")
            XCTAssertFalse(m.perms.contains("w"), "init stage: \(what) mapped \(m.perms)")
            try binary.seek(toOffset: m.offset + (address - m.start))
            try memory.seek(toOffset: address)
            XCTAssertEqual(try memory.read(upToCount: 4096), try binary.read(upToCount: 4096), "init stage: the private page of \(what) differs from the binary")
        }
        let parent = presentPages(try Data(contentsOf: URL(fileURLWithPath: dir + "/parent.pagemap")))
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/\(pid)/pagemap"))
        defer { try? handle.close() }
        try handle.seek(toOffset: sparse / 4096 * 8)
        let stage = presentPages(try XCTUnwrap(try handle.read(upToCount: Int(pages) * 8)))
        XCTAssertGreaterThan(parent.count, 20, "the parent maps \(parent.count) pages of the sparse text")
        let shared = parent.intersection(stage).count
        XCTAssertGreaterThanOrEqual(Double(shared), 0.6 * Double(parent.count),
                                    "the init stage has \(shared) of the \(parent.count) sparse text pages its parent has (\(stage.count) in all)")
    }

    /// Where the private copy is refused (the write to /proc/self/mem failing, as under
    /// proc_mem.force_override=never), the runtime works as before: no private page, no error.
    func testWithoutTheWriteToOwnMemoryNothingIsCopied() throws {
        try requireSwiftlet()
        if let e = FailSyscalls.buildError { throw SetupError(message: e) }
        let (readOnly, sparse, _) = try sparseRanges()
        #if arch(x86_64)
        let pwrite64 = "18"
        #else
        let pwrite64 = "68"
        #endif
        let id = newID()
        let b = makeBundle { c in c.args = ["sleep", "100"] }
        let r = Host.exec(FailSyscalls.path, [pwrite64, "\(EPERM)", Env.runtime, "--root", stateRoot, "create", "--bundle", b, id])
        XCTAssertEqual(r.status, 0, "pwrite64 failing with EPERM: \(describe(r))")
        defer { XCTAssertEqual(runtime(["delete", "--force", id]).status, 0) }
        let pid = try XCTUnwrap(state(id)?["pid"] as? Int, "state has no pid")
        let smaps = try String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8)
        for (what, address) in [("the read-only segment", readOnly), ("the sparse text", sparse)] {
            XCTAssertEqual(anonymousKiB(at: address, in: smaps), 0, "init stage: \(what) with pwrite64 failing")
        }
        XCTAssertEqual(runtime(["start", id]).status, 0)
    }
}
