import Glibc
import XCTest
@testable import Container

/// Which state directories count as the runtime's own (LockedDirectory.ownershipRefusal): pure
/// logic over a stat, no files.
final class StateDirectoryOwnershipTests: XCTestCase {
    func status(uid: uid_t, gid: gid_t, mode: mode_t) -> stat {
        var st = stat()
        st.st_uid = uid
        st.st_gid = gid
        st.st_mode = S_IFDIR | mode
        return st
    }

    func refused(_ st: stat) -> Bool {
        LockedDirectory.ownershipRefusal(st, "/run/x", uid: 1000, gid: 1000) != nil
    }

    func testOwnDirectoryWritableOnlyByItsOwnerOrItsOwnGroupIsUsed() {
        XCTAssertFalse(refused(status(uid: 1000, gid: 1000, mode: 0o700)))
        XCTAssertFalse(refused(status(uid: 1000, gid: 1000, mode: 0o711)))
        // mkdir under umask 002: the user's own group may write.
        XCTAssertFalse(refused(status(uid: 1000, gid: 1000, mode: 0o775)))
    }

    func testAnotherOwnerAnotherWritingGroupOrEveryoneIsRefused() {
        XCTAssertTrue(refused(status(uid: 0, gid: 1000, mode: 0o700)))
        XCTAssertTrue(refused(status(uid: 1000, gid: 100, mode: 0o770)))
        XCTAssertTrue(refused(status(uid: 1000, gid: 1000, mode: 0o777)))
        XCTAssertTrue(refused(status(uid: 1000, gid: 1000, mode: 0o1777)))
        let message = LockedDirectory.ownershipRefusal(status(uid: 1000, gid: 100, mode: 0o770), "/run/x", uid: 1000, gid: 1000)
        XCTAssertTrue("\(message.map { "\($0)" } ?? "")".contains("/run/x"), "the refusal names the directory")
    }
}
