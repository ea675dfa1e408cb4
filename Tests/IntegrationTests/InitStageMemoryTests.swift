import Foundation
import XCTest

/// What the init stage keeps of the memory of the process it was forked from. Both live at once in
/// a memory cgroup that holds the runtime (BENCH.md, "min memory limit"), so every page one of them
/// copies after the fork counts twice.
final class InitStageMemoryTests: IntegrationTestCase {
    private func requireSwiftlet() throws {
        guard Env.isSwiftlet else { throw XCTSkip("swiftlet's own memory layout") }
    }

    /// Resident KiB of the mapping named `name` in an smaps text (nil: no such mapping).
    private func rssKiB(of name: String, in smaps: String) -> Int? {
        var inside = false
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = f.first, first.contains("-"), !first.hasSuffix(":") {
                inside = f.last.map(String.init) == name
            } else if inside, f.first == "Rss:", f.count >= 2 {
                return Int(f[1])
            }
        }
        return nil
    }

    /// Resident KiB of the first anonymous read-write mapping of at least 1 MiB that starts right
    /// where a one-page PROT_NONE mapping ends (a stack and its guard page).
    private func ownStackRssKiB(_ smaps: String) -> Int? {
        var guardEnd: UInt64?
        var inside = false
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = f.first, first.contains("-"), !first.hasSuffix(":"), f.count >= 5 {
                let bounds = first.split(separator: "-").compactMap { UInt64($0, radix: 16) }
                guard bounds.count == 2 else { continue }
                let anonymous = f.count == 5
                inside = anonymous && f[1] == "rw-p" && guardEnd == bounds[0] && bounds[1] - bounds[0] >= 1 << 20
                guardEnd = anonymous && f[1] == "---p" && bounds[1] - bounds[0] == 4096 ? bounds[1] : nil
            } else if inside, f.first == "Rss:", f.count >= 2 {
                return Int(f[1])
            }
        }
        return nil
    }

    /// The init stage runs on a stack of its own and drops the one it was forked on, but for the
    /// top pages that hold argv and the environment: the parent's frames (create's and run's) are
    /// not its pages, so the parent's writes to them after the fork copy nothing. Checked while
    /// both processes live (a createRuntime hook: the runtime runs it while the stage waits) and
    /// once `create` has returned (the stage waits for the exec fifo).
    func testInitStageKeepsOnlyTheTopOfTheForkedStack() throws {
        try requireSwiftlet()
        let dir = hostDir("smaps")
        // The hook reads the init stage's pid from the state on its stdin.
        let hook = "pid=$(sed 's/.*\"pid\": *\\([0-9]*\\).*/\\1/'); cat /proc/$pid/smaps > \(dir)/init; cat /proc/$PPID/smaps > \(dir)/parent"
        let bundle = makeBundle(sharing: dir, program: "sleep 100") { c in
            c.addHook("createRuntime", ["path": "/bin/sh", "args": ["sh", "-c", hook]])
        }
        let id = newID()
        let created = runtime(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.status, 0, describe(created))
        let parent = try String(contentsOfFile: dir + "/parent", encoding: .utf8)
        let during = try String(contentsOfFile: dir + "/init", encoding: .utf8)
        let parentStack = try XCTUnwrap(rssKiB(of: "[stack]", in: parent), "no [stack] in the parent's smaps")
        // The parent at this point has been through the config's decoding and create's frames.
        XCTAssertGreaterThan(parentStack, 32, "the parent's stack: \(parentStack) KiB")
        let pid = try XCTUnwrap(state(id)?["pid"] as? Int, "state has no pid")
        let waiting = readFileBytes("/proc/\(pid)/smaps")
        for (when, smaps) in [("during the createRuntime hook", during), ("waiting for the exec fifo", waiting)] {
            let kept = try XCTUnwrap(rssKiB(of: "[stack]", in: smaps), "no [stack] in the init stage's smaps \(when)")
            XCTAssertLessThanOrEqual(kept, 16, "the init stage \(when) still maps \(kept) KiB of the stack it was forked on")
        }
        // Its own stack: the one anonymous mapping of a MiB or more right above a guard page. Its
        // frames hold the plan by reference (a class): 52 KiB with this config when the plan was a
        // struct, copied into create's and the rootfs builder's frames.
        let own = try XCTUnwrap(ownStackRssKiB(during), "no stack of its own in the init stage's smaps")
        XCTAssertLessThanOrEqual(own, 32, "the init stage's own stack: \(own) KiB")
        XCTAssertEqual(runtime(["start", id]).status, 0)
        XCTAssertEqual(runtime(["delete", "--force", id]).status, 0)
    }

    /// Resident KiB of the init stage's heap while the createRuntime hooks run, with or without a
    /// network namespace of its own.
    private func initStageHeapKiB(networkNamespace: Bool) throws -> Int {
        let dir = hostDir(networkNamespace ? "heap-netns" : "heap")
        let hook = "pid=$(sed 's/.*\"pid\": *\\([0-9]*\\).*/\\1/'); cat /proc/$pid/smaps > \(dir)/init"
        let bundle = makeBundle(sharing: dir, program: "true") { c in
            if networkNamespace { c.addNamespace("network") } else { c.removeNamespace("network") }
            c.addHook("createRuntime", ["path": "/bin/sh", "args": ["sh", "-c", hook]])
        }
        let id = newID()
        let created = runtime(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.status, 0, describe(created))
        defer { XCTAssertEqual(runtime(["delete", "--force", id]).status, 0) }
        let smaps = try String(contentsOfFile: dir + "/init", encoding: .utf8)
        // The heap may be more than one mapping (brk grown past another mapping's edge).
        var total = 0
        var inside = false
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = f.first, first.contains("-"), !first.hasSuffix(":") {
                inside = f.last == "[heap]"
            } else if inside, f.first == "Rss:", f.count >= 2 {
                total += Int(f[1]) ?? 0
            }
        }
        XCTAssertGreaterThan(total, 0, "no [heap] in the init stage's smaps")
        return total
    }

    /// A new network namespace costs the init stage one netlink exchange (`lo` up), whose reply
    /// buffer is not zero-filled: only the page the kernel writes is touched. Zeroed, its 64 KiB were
    /// 16 more heap pages for as long as the stage lived.
    func testLoopbackUpCostsNoZeroedBuffer() throws {
        try requireSwiftlet()
        let without = try initStageHeapKiB(networkNamespace: false)
        let with = try initStageHeapKiB(networkNamespace: true)
        XCTAssertLessThan(with - without, 32, "heap with a network namespace \(with) KiB, without \(without) KiB")
    }
}
