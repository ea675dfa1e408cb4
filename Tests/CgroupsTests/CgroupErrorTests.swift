// A failed system call on a cgroup file keeps the file and the errno in the CgroupError, apart from
// the text: callers (and RuntimeError above them) read them without parsing the message. A fake
// tree of plain files, no root: /dev/full refuses every write with ENOSPC, a directory where a
// control file should be refuses the open with EISDIR.

import Foundation
import XCTest
import Glibc
import RuntimeSpec
@testable import Cgroups

final class CgroupErrorTests: FakeCgroupTestCase {
    func testFailingWriteKeepsPathAndErrno() throws {
        try FileManager.default.createSymbolicLink(atPath: dir + "/memory.max", withDestinationPath: "/dev/full")
        do {
            try CgroupFS.write(dir, "memory.max", "1048576", field: "linux.resources.memory.limit")
            XCTFail("a write to /dev/full succeeded")
        } catch let e as CgroupError {
            XCTAssertEqual(e.path, dir + "/memory.max")
            XCTAssertEqual(e.errno, ENOSPC)
            XCTAssertTrue(e.description.hasPrefix("linux.resources.memory.limit: writing \"1048576\" to \(dir)/memory.max"),
                          e.description)
        }
    }

    func testFailingWriteThroughResourcesKeepsPathAndErrno() throws {
        FileManager.default.createFile(atPath: dir + "/cgroup.controllers", contents: Data("pids".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir + "/pids.max", withDestinationPath: "/dev/full")
        do {
            try ResourcesV2.apply(LinuxResources(pids: LinuxPids(limit: 10)), dir: dir, update: true)
            XCTFail("a write to /dev/full succeeded")
        } catch let e as CgroupError {
            XCTAssertEqual(e.path, dir + "/pids.max")
            XCTAssertEqual(e.errno, ENOSPC)
            XCTAssertTrue(e.description.contains("linux.resources.pids.limit"), e.description)
        }
    }

    func testFailingOpenKeepsPathAndErrno() throws {
        try FileManager.default.createDirectory(atPath: dir + "/pids.max", withIntermediateDirectories: false)
        assertCgroupError(try CgroupFS.write(dir, "pids.max", "10", field: "linux.resources.pids.limit"),
                          path: dir + "/pids.max", errno: EISDIR)
    }

    func testMissingControlFileNamesTheFeature() throws {
        let e = assertCgroupError(try CgroupFS.write(dir, "cpu.idle", "1", field: "linux.resources.cpu.idle"),
                                  path: dir + "/cpu.idle", errno: ENOENT)
        XCTAssertTrue(e?.description.contains("the host's cgroup has no cpu.idle") ?? false, "\(String(describing: e))")
    }

    func testFailingMkdirKeepsTheLevelThatFailed() throws {
        FileManager.default.createFile(atPath: dir + "/file", contents: nil)
        assertCgroupError(try CgroupFS.makeAll(dir + "/file/below/leaf"), path: dir + "/file/below", errno: ENOTDIR)
    }

    func testFailingRemoveKeepsPathAndErrno() throws {
        FileManager.default.createFile(atPath: dir + "/not-a-cgroup", contents: nil)
        assertCgroupError(try CgroupFS.remove(dir + "/not-a-cgroup"), path: dir + "/not-a-cgroup", errno: ENOTDIR)
    }

    /// A refusal that is no failed call still names the cgroup it is about.
    func testRefusalOfABusyOrFrozenCgroupKeepsItsPath() throws {
        let busy = dir + "/busy", frozen = dir + "/frozen"
        for d in [busy, frozen] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: false) }
        FileManager.default.createFile(atPath: busy + "/cgroup.procs", contents: Data("4242\n".utf8))
        FileManager.default.createFile(atPath: frozen + "/cgroup.freeze", contents: Data("1\n".utf8))
        for d in [busy, frozen] {
            XCTAssertThrowsError(try CgroupV2Driver(path: d, mountPoint: dir).checkReusable(existing: [d])) { error in
                XCTAssertEqual((error as? CgroupError)?.path, d, "\(error)")
                XCTAssertNil((error as? CgroupError)?.errno)
            }
        }
    }

    /// `body` fails with a CgroupError naming `path` and carrying `errno`: that error, for more checks.
    @discardableResult
    func assertCgroupError<T>(_ body: @autoclosure () throws -> T, path: String, errno: Int32,
                              file: StaticString = #filePath, line: UInt = #line) -> CgroupError? {
        do {
            _ = try body()
            XCTFail("no error", file: file, line: line)
        } catch let e as CgroupError {
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertEqual(e.errno, errno, file: file, line: line)
            return e
        } catch {
            XCTFail("not a CgroupError: \(error)", file: file, line: line)
        }
        return nil
    }
}
