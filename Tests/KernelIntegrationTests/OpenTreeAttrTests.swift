// MountAPI.cloneTree(_:recursive:set:clear:describe:): the detached copy carries the attributes
// asked for, made by open_tree_attr (Linux 6.15) and, forced, by the open_tree + mount_setattr
// pair it falls back to; failures are the pair's. Root (open_tree); the copies are never attached,
// closing them leaves nothing.

import XCTest
import Glibc
@testable import Kernel

final class OpenTreeAttrTests: XCTestCase {
    override func tearDown() { MountAPI.tryOpenTreeAttr = true }

    func flags(of tree: FD) -> UInt {
        var st = statvfs()
        XCTAssertEqual(statvfs("/proc/self/fd/\(tree.raw)", &st), 0)
        return st.f_flag
    }

    func cloneFlagged(recursive: Bool) throws -> UInt {
        let tree = try MountAPI.cloneTree("/tmp", recursive: recursive, set: [.readOnly, .noSuid, .noExec, .noDev],
                                          clear: [], describe: "test bind of /tmp")
        defer { tree.close() }
        return flags(of: tree)
    }

    func testTheCopyCarriesTheAttributesWithAndWithoutOpenTreeAttr() throws {
        let wanted: UInt = 1 | 2 | 4 | 8  // ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC (not in Swift's Glibc)
        for forcedFallback in [false, true] {
            MountAPI.tryOpenTreeAttr = !forcedFallback
            for recursive in [false, true] {
                XCTAssertEqual(try cloneFlagged(recursive: recursive) & wanted, wanted,
                               "fallback forced: \(forcedFallback), recursive: \(recursive)")
            }
        }
        // A plain clone of the same mount has none of them (the attributes come from the call).
        let plain = try MountAPI.cloneTree("/tmp", recursive: false)
        defer { plain.close() }
        XCTAssertNotEqual(flags(of: plain) & wanted, wanted)
    }

    func testThisKernelHasOpenTreeAttr() throws {
        // Kernel 6.18 here: the one-call path is the one taken (the flag stays set).
        _ = try cloneFlagged(recursive: false)
        XCTAssertTrue(MountAPI.tryOpenTreeAttr)
    }

    func testAMissingSourceFailsAsOpenTreeWithItsErrno() {
        for forcedFallback in [false, true] {
            MountAPI.tryOpenTreeAttr = !forcedFallback
            XCTAssertThrowsError(try MountAPI.cloneTree("/nonexistent-open-tree-attr-test", recursive: false,
                                                        set: .readOnly, clear: [], describe: "x")) { error in
                XCTAssertEqual((error as? SysError)?.errno, ENOENT)
                XCTAssertTrue("\(error)".hasPrefix("open_tree /nonexistent-open-tree-attr-test"), "\(error)")
            }
        }
    }
}
