// The v1 → v2 conversions given values outside their range (as `update -r` and `update --blkio-weight`
// pass them unchecked): a clear error naming the field, never a trap. Written into a fake tree of
// plain files, as FakeTreeTests.

import Foundation
import XCTest
import RuntimeSpec
@testable import Cgroups

final class ReviewCgroupConversionTests: FakeCgroupTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        touch(["cgroup.controllers", "io.weight", "memory.max", "memory.swap.max"], ["cgroup.controllers": "io memory\n"])
    }

    func fails(_ r: LinuxResources, _ words: [String], line: UInt = #line) {
        XCTAssertThrowsError(try ResourcesV2.apply(r, dir: dir, update: true), line: line) { e in
            for w in words { XCTAssertTrue("\(e)".contains(w), "\(e)", line: line) }
        }
    }

    func testBlkioWeightBelowTenIsRefusedNotUnderflowed() {
        // (w - 10) on an unsigned weight below 10 trapped.
        for w: UInt16 in [1, 5, 9] {
            fails(LinuxResources(blockIO: LinuxBlockIO(weight: w)), ["linux.resources.blockIO.weight", "\(w)", "10...1000"])
        }
        XCTAssertThrowsError(try ResourcesV2.ioWeight(fromBlkio: 9))
        XCTAssertEqual(try ResourcesV2.ioWeight(fromBlkio: 0), 0)
    }

    func testBlkioWeightAboveThousandIsRefused() {
        fails(LinuxResources(blockIO: LinuxBlockIO(weight: 1001)), ["linux.resources.blockIO.weight", "1001"])
        fails(LinuxResources(blockIO: LinuxBlockIO(weight: UInt16.max)), ["linux.resources.blockIO.weight"])
    }

    func testInRangeWeightsStillConvert() throws {
        try ResourcesV2.apply(LinuxResources(blockIO: LinuxBlockIO(weight: 10)), dir: dir, update: true)
        XCTAssertEqual(try String(contentsOfFile: dir + "/io.weight", encoding: .utf8), "default 1")
    }

    func testSwapConversionWithNegativeLimitDoesNotOverflow() {
        // swap - limit with limit -2 and swap Int64.max overflowed.
        XCTAssertThrowsError(try ResourcesV2.swapMax(swap: Int64.max, limit: -2)) { e in
            XCTAssertTrue("\(e)".contains("linux.resources.memory.limit"), "\(e)")
        }
        XCTAssertThrowsError(try ResourcesV2.swapMax(swap: Int64.min, limit: 100)) { e in
            XCTAssertTrue("\(e)".contains("linux.resources.memory.swap"), "\(e)")
        }
        fails(LinuxResources(memory: LinuxMemory(limit: Int64.min, swap: Int64.max)), ["linux.resources.memory.limit"])
        XCTAssertEqual(try ResourcesV2.swapMax(swap: Int64.max, limit: 1), Int64.max - 1)
    }

    func testSharesConversionClampsEveryValue() {
        for s: UInt64 in [1, 2, 3, 262143, 262144, 262145, UInt64.max] {
            let w = ResourcesV2.weight(fromShares: s)
            XCTAssertTrue((1...10000).contains(w), "shares \(s) → \(w)")
        }
    }
}
