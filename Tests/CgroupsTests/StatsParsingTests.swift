import Foundation
import XCTest
@testable import Cgroups

/// `events --stats` from the v2 files of a fake cgroup folder: keyed files, "max", io.stat's device
/// lines, and the lines the parser must skip.
final class StatsParsingTests: FakeCgroupTestCase {
    func testV2Files() {
        write([
            "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 30\nbogus\nx y\n",
            "memory.current": "4096\n", "memory.peak": "8192\n", "memory.max": "max\n",
            "memory.swap.current": "100\n", "memory.swap.max": "0\n",
            "memory.stat": "anon 1\nfile 2048\n", "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
            "pids.current": "5\n", "pids.max": "max\n",
            "io.stat": "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0\nbad line\n259:1 rbytes=x wbytes=5\n",
        ])
        let s = Stats.v2(dir)
        XCTAssertEqual(s.cpuTotal, 1_500_000)
        XCTAssertEqual(s.cpuUser, 1_000_000)
        XCTAssertEqual(s.cpuKernel, 500_000)
        XCTAssertEqual([s.periods, s.throttledPeriods, s.throttledTime], [7, 2, 30_000])
        XCTAssertEqual([s.memUsage, s.memMax, s.memLimit], [4096, 8192, UInt64.max])
        XCTAssertEqual(s.swapUsage, 4196, "runc reports memory+swap")
        XCTAssertEqual(s.cache, 2048)
        XCTAssertEqual([s.memFailcnt, s.oomKills], [3, 1])
        XCTAssertEqual([s.pidsCurrent, s.pidsLimit], [5, 0], "no pids limit is 0")
        XCTAssertEqual(s.blkioServiceBytes.map { "\($0.0):\($0.1) \($0.2) \($0.3)" }, ["8:0 Read 10", "8:0 Write 20", "259:1 Write 5"])
        XCTAssertEqual(s.blkioServiced.map { "\($0.0):\($0.1) \($0.2) \($0.3)" }, ["8:0 Read 1", "8:0 Write 2"])
    }

    func testMissingFilesAreZero() {
        let s = Stats.v2(dir)
        XCTAssertEqual([s.cpuTotal, s.memUsage, s.memLimit, s.pidsLimit, s.oomKills], [0, 0, 0, 0, 0])
        XCTAssert(s.blkioServiceBytes.isEmpty)
    }

    func testV1BlkioList() {
        write(["blkio.io_service_bytes": "8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n8:x Read 1\n"])
        let list = Stats.blkioList(dir + "/blkio.io_service_bytes")
        XCTAssertEqual(list.map { "\($0.0):\($0.1) \($0.2) \($0.3)" }, ["8:0 Read 4096", "8:0 Write 0", "8:0 Total 4096"])
        XCTAssert(Stats.blkioList(dir + "/absent").isEmpty)
    }
}
