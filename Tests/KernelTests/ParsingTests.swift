import XCTest
@testable import Kernel

/// What Kernel reads from the kernel's text and binary formats, and the names it accepts, on fixed
/// inputs: no system call, no root.
final class ParsingTests: XCTestCase {
    func testMountInfoFieldsOptionalFieldsAndEscapes() {
        let text = """
        22 1 8:1 / / rw,relatime shared:1 master:2 - ext4 /dev/sda1 rw,errors=remount-ro
        35 22 0:30 /dir\\040one /mnt/a\\040b\\011c\\134d rw,nosuid - tmpfs my\\040tmp rw,size=64k
        36 35 0:31 / /proc rw - proc proc rw
        not a mountinfo line
        x 22 0:32 / /bad rw - tmpfs tmpfs rw
        40 22 0:33 / /nodash rw shared:3 tmpfs tmpfs rw

        """
        let entries = MountInfo.parse(text)
        XCTAssertEqual(entries.map(\.mountID), [22, 35, 36])
        XCTAssertEqual(entries[0].parentID, 1)
        XCTAssertEqual(entries[0].optionalFields, ["shared:1", "master:2"])
        XCTAssertEqual(entries[0].fsType, "ext4")
        XCTAssertEqual(entries[0].source, "/dev/sda1")
        XCTAssertEqual(entries[0].superOptions, "rw,errors=remount-ro")
        XCTAssertEqual(entries[1].mountPoint, "/mnt/a b\tc\\d")
        XCTAssertEqual(entries[1].root, "/dir one")
        XCTAssertEqual(entries[1].source, "my tmp")
        XCTAssertEqual(entries[1].options, "rw,nosuid")
        XCTAssertEqual(entries[1].optionalFields, [])
        XCTAssertEqual(entries[2].fsType, "proc")
    }

    /// The byte parser splits on single spaces as the String one did: an empty field (two spaces) is a
    /// field, a line without its ten fields or with a signed or non-decimal id is skipped, and the last
    /// line needs no newline.
    func testMountInfoBytesEdgeCases() {
        let text = "1 0 8:1 / / rw  - ext4 /dev/sda1 rw\n+2 1 0:1 / /a rw - tmpfs t rw\n3 1 0:1 / /b rw - tmpfs\n"
            + "\n4 1 0:2 /r /c\\040d ro master:7 - proc proc rw"
        let entries = MountInfo.parse(bytes: Array(text.utf8))
        XCTAssertEqual(entries.map(\.mountID), [1, 4])
        XCTAssertEqual(entries[0].optionalFields, [""])
        XCTAssertEqual(entries[0].superOptions, "rw")
        XCTAssertEqual(entries[1].mountPoint, "/c d")
        XCTAssertEqual(entries[1].root, "/r")
        XCTAssertEqual(entries[1].optionalFields, ["master:7"])
        XCTAssertEqual(entries[1].superOptions, "rw")
        XCTAssertEqual(MountInfo.parse(text).map(\.mountPoint), ["/", "/c d"])
        XCTAssertEqual(MountInfo.parse(bytes: []).count, 0)
    }

    func testMountInfoFilteredByMountPointPrefix() {
        let text = """
        20 1 0:1 / /sys rw - sysfs sysfs rw
        21 20 0:2 / /sys/fs/cgroup rw - tmpfs tmpfs rw
        22 21 0:3 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
        23 21 0:4 / /sys/fs/cgroup/a\\040b rw - cgroup cgroup rw,pids
        24 1 0:5 / /mnt/sys/fs/cgroup rw - tmpfs tmpfs rw

        """
        let all = MountInfo.parse(bytes: Array(text.utf8))
        let under = MountInfo.parse(bytes: Array(text.utf8), mountPointsUnder: "/sys/fs/cgroup")
        XCTAssertEqual(under.map(\.mountID), [21, 22, 23])
        XCTAssertEqual(under.map(\.mountPoint),
                       all.filter { $0.mountPoint.hasPrefix("/sys/fs/cgroup") }.map(\.mountPoint))
        XCTAssertEqual(under.last?.mountPoint, "/sys/fs/cgroup/a b")
        let deeper = MountInfo.parse(bytes: Array(text.utf8), mountPointsUnder: "/sys/fs/cgroup/cpu,cpuacct/x")
        XCTAssertEqual(deeper.count, 0)
    }

    func testUnpredictableSuffixIsSixteenHexDigits() {
        let a = unpredictableSuffix(), b = unpredictableSuffix()
        for s in [a, b] {
            XCTAssertEqual(s.utf8.count, 16, s)
            XCTAssertTrue(s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }, s)
        }
        XCTAssertNotEqual(a, b)
    }

    func testMountInfoUnescapeLeavesWhatIsNotAnOctalEscape() {
        XCTAssertEqual(MountInfo.unescape("a\\0"), "a\\0")
        XCTAssertEqual(MountInfo.unescape("a\\089"), "a\\089")
        XCTAssertEqual(MountInfo.unescape("\\040\\040"), "  ")
        XCTAssertEqual(MountInfo.unescape("plain"), "plain")
    }

    func testCleanPath() {
        let table: [(String, String)] = [
            ("/", "/"), ("", ""), ("/a/b/", "/a/b"), ("//a//b", "/a/b"), ("/a/./b/.", "/a/b"),
            ("/a/../b", "/b"), ("/../../a", "/a"), ("/a/b/../../..", "/"), ("a/b", "a/b"), ("./a/../..", ""),
            ("a/../../b", "b"), ("/proc/self/../1", "/proc/1"), ("/a b/c", "/a b/c"),
        ]
        for (path, clean) in table {
            XCTAssertEqual(cleanPath(path), clean, path)
        }
    }

    func testSignalNamesAndNumbers() {
        let table: [(String, Int32?)] = [
            ("KILL", 9), ("SIGKILL", 9), ("kill", 9), ("sigterm", 15), ("9", 9), ("64", 64), ("1", 1),
            ("IOT", 6), ("POLL", 29), ("SIGCHLD", 17), ("WINCH", 28),
            ("RTMIN", 34), ("SIGRTMIN+1", 35), ("RTMAX", 64), ("RTMAX-2", 62), ("RTMIN+30", 64),
            ("0", nil), ("65", nil), ("-9", nil), ("RTMIN-1", nil), ("RTMAX+1", nil), ("RTMIN+31", nil),
            ("NOPE", nil), ("", nil), ("SIG", nil), ("RTMINx", nil),
        ]
        for (text, number) in table {
            XCTAssertEqual(Signals.parse(text), number, text)
        }
    }

    func testProcStatAfterTheLastParenthesis() throws {
        // comm may hold spaces and parentheses; field 22 (starttime) is the 20th after the state.
        let fields = (5...52).map(String.init).joined(separator: " ")  // field n holds n
        let stat = try XCTUnwrap(ProcStat("123 (a) b (c)) S 7 \(fields)"))
        XCTAssertEqual(stat.state, "S")
        XCTAssertEqual(stat.ppid, 7)
        XCTAssertEqual(stat.startTime, 22)
        XCTAssertNil(ProcStat("123 no parenthesis S 1 2"))
        XCTAssertNil(ProcStat("123 (short) S 1 2 3"))
        XCTAssertNil(ProcStat("123 (x) S notapid \(fields)"))
    }

    func testNetlinkAttributesWithPaddingAndATruncatedTail() {
        // len 5 (1 byte of value, 3 of padding), then len 8 with the nested bit set, then a length past the end.
        let bytes: [UInt8] = [0xAA, 0xBB] + [5, 0, 3, 0, 0x41, 0, 0, 0] + [8, 0, 0x01, 0x80, 1, 2, 3, 4] + [12, 0, 9, 0, 1]
        let attributes = Netlink.attributes(bytes, from: 2)
        XCTAssertEqual(attributes.map(\.0), [3, 1], "the nested flag (0x8000) is masked off; the truncated one is dropped")
        XCTAssertEqual(attributes.map(\.1), [[0x41], [1, 2, 3, 4]])
        XCTAssertEqual(Netlink.readLE16([0x34, 0x12], 0), 0x1234)
        XCTAssertEqual(Netlink.attributes([3, 0, 1, 0], from: 0).count, 0, "a length below the header ends the list")
    }

    /// RootedPath.split: empty components dropped, the parent joined with single slashes.
    func testRootedPathSplitsParentAndLast() {
        let rooted = RootedPath(root: FD(-1), rootPath: "/r")
        XCTAssertTrue(rooted.split("") == ("", ""))
        XCTAssertTrue(rooted.split("/") == ("", ""))
        XCTAssertTrue(rooted.split("x") == ("", "x"))
        XCTAssertTrue(rooted.split("/a/b/c") == ("a/b", "c"))
        XCTAssertTrue(rooted.split("a//b///c//") == ("a/b", "c"))
        XCTAssertTrue(rooted.split("dev/pts") == ("dev", "pts"))
    }
}
