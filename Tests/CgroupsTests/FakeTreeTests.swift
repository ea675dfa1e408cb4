// The v2 (and v1) files this host cannot provide, written into a fake tree of plain files and read
// back: conversions (shares → weight, blkio weight → io.weight, swap), cpu.max, io.max, unified.

import Foundation
import XCTest
import RuntimeSpec
@testable import Cgroups

final class FakeTreeTests: FakeCgroupTestCase {
    func testV2FilesAndConversions() throws {
        touch(["cgroup.controllers", "memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max",
               "cpu.max.burst", "cpu.idle", "pids.max", "io.weight", "io.max", "cpuset.cpus", "cpuset.mems",
               "hugetlb.2MB.max", "rdma.max", "memory.oom.group"],
              ["cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma\n", "cpu.max": "max 100000\n"])
        var r = LinuxResources()
        r.memory = LinuxMemory(limit: 1 << 30, reservation: 1 << 29, swap: 3 << 29)
        r.cpu = LinuxCPU(shares: 1024, quota: 50000, burst: 1000, period: 200000, cpus: "0-1", mems: "0", idle: 1)
        r.pids = LinuxPids(limit: 0)
        r.blockIO = LinuxBlockIO(weight: 500, throttleReadBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 1048576)])
        r.hugepageLimits = [LinuxHugepageLimit(pageSize: "2MB", limit: 4194304)]
        r.rdma = ["mlx4_0": LinuxRdma(hcaHandles: 2, hcaObjects: 2000)]
        r.unified = ["memory.oom.group": "1"]
        try ResourcesV2.apply(r, dir: dir, update: true)
        // v2 swap excludes memory; shares 1024 → weight 100; blkio 500 → io 4950.
        assertFiles(["memory.max": "\(1 << 30)", "memory.swap.max": "\((3 << 29) - (1 << 30))", "memory.low": "\(1 << 29)",
                     "cpu.weight": "100", "cpu.max": "50000 200000", "cpu.max.burst": "1000", "cpu.idle": "1",
                     "cpuset.cpus": "0-1", "pids.max": "max", "io.weight": "default 4950", "io.max": "8:0 rbps=1048576",
                     "hugetlb.2MB.max": "4194304", "rdma.max": "mlx4_0 hca_handle=2 hca_object=2000", "memory.oom.group": "1"])
    }

    func testV2UnlimitedAndErrors() throws {
        touch(["cgroup.controllers", "memory.max", "memory.swap.max", "cpu.max"], ["cgroup.controllers": "cpu memory"])
        try ResourcesV2.apply(LinuxResources(memory: LinuxMemory(limit: -1), cpu: LinuxCPU(quota: -1)), dir: dir, update: true)
        assertFiles(["memory.max": "max", "memory.swap.max": "max", "cpu.max": "max 100000"])
        func fails(_ r: LinuxResources, _ words: String, line: UInt = #line) {
            XCTAssertThrowsError(try ResourcesV2.apply(r, dir: dir, update: true), line: line) { e in
                XCTAssertTrue("\(e)".contains(words), "\(e)", line: line)
            }
        }
        fails(LinuxResources(pids: LinuxPids(limit: 5)), "pids controller is not available")
        fails(LinuxResources(memory: LinuxMemory(limit: 100, swap: 50)), "memory.swap")
        fails(LinuxResources(memory: LinuxMemory(swappiness: 10)), "swappiness")
        fails(LinuxResources(cpu: LinuxCPU(realtimeRuntime: 10)), "realtime")
        fails(LinuxResources(network: LinuxNetwork(classID: 1)), "net_cls")
        fails(LinuxResources(unified: ["../x": "1"]), "not a cgroup file name")
        fails(LinuxResources(unified: ["io.max": "1"]), "io controller is not available")
    }

    func testConversionTables() {
        XCTAssertEqual(ResourcesV2.weight(fromShares: 2), 1)
        XCTAssertEqual(ResourcesV2.weight(fromShares: 1024), 100)
        XCTAssertEqual(ResourcesV2.weight(fromShares: 262144), 10000)
        XCTAssertEqual(try ResourcesV2.ioWeight(fromBlkio: 10), 1)
        XCTAssertEqual(try ResourcesV2.ioWeight(fromBlkio: 1000), 10000)
    }

    func testV1FilesAndSwapOrder() throws {
        touch(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness",
               "memory.oom_control", "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_runtime_us",
               "cpu.rt_period_us", "blkio.weight", "blkio.throttle.write_iops_device", "net_cls.classid", "net_prio.ifpriomap"],
              ["memory.memsw.limit_in_bytes": "100\n"])
        let paths = ["memory": dir, "cpu": dir, "blkio": dir, "net_cls": dir, "net_prio": dir]
        var r = LinuxResources()
        r.memory = LinuxMemory(limit: 1000, reservation: 500, swap: 2000, swappiness: 5, disableOOMKiller: true)
        r.cpu = LinuxCPU(shares: 0, quota: 20000, period: 100000, realtimeRuntime: 950, realtimePeriod: 1000)
        r.blockIO = LinuxBlockIO(weight: 300, throttleWriteIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 100)])
        r.network = LinuxNetwork(classID: 0x100001, priorities: [LinuxInterfacePriority(name: "eth0", priority: 5)])
        try ResourcesV1.apply(r, paths: paths, update: true)
        assertFiles(["memory.limit_in_bytes": "1000", "memory.memsw.limit_in_bytes": "2000", "memory.soft_limit_in_bytes": "500",
                     "memory.swappiness": "5", "memory.oom_control": "1", "cpu.cfs_quota_us": "20000", "cpu.rt_runtime_us": "950",
                     "blkio.weight": "300", "blkio.throttle.write_iops_device": "8:0 100", "net_cls.classid": "\(0x100001)",
                     "net_prio.ifpriomap": "eth0 5"])
        XCTAssertThrowsError(try ResourcesV1.apply(LinuxResources(pids: LinuxPids(limit: 3)), paths: paths, update: true)) { e in
            XCTAssertTrue("\(e)".contains("no pids cgroup controller"), "\(e)")
        }
    }

    func testDeviceRulesAndProgram() throws {
        let rules = try DeviceRules.effective([LinuxDeviceCgroup(allow: false, access: "rwm"),
                                               LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "w")])
        XCTAssertEqual(rules.first?.v1Line, "a")
        XCTAssertEqual(rules[1].v1Line, "c 1:11 w")
        XCTAssertTrue(rules.contains { $0.v1Line == "c 136:* rwm" })
        // The deny-all rule first says what no rule matching says: left out of the program, whose one
        // jump-class instruction is the exit at its end (DeviceFilterProgramTests runs it).
        XCTAssertEqual(DeviceFilter.decidingRules(rules).first?.v1Line, "c 1:11 w")
        let prog = DeviceFilter.program(rules)
        XCTAssertEqual(prog.filter { $0 & 0x07 == 0x05 }.map { $0 & 0xff }, [0x95])
        XCTAssertEqual(prog.last.map { $0 & 0xff }, 0x95)
        // Only the rules that name a default device come again after the defaults.
        let named = try DeviceRules.effective([LinuxDeviceCgroup(allow: false, access: "rwm"),
                                               LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 3, access: "w"),
                                               LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "w"),
                                               LinuxDeviceCgroup(allow: false, type: "c", major: 136, minor: 4, access: "rw")])
        XCTAssertEqual(named.suffix(2).map(\.v1Line), ["c 1:3 w", "c 136:4 rw"])
        XCTAssertEqual(named.suffix(2).map(\.allow), [false, false])
        XCTAssertEqual(named.count, 4 + DeviceRules.defaults.count + 2)
        // A deny of a default device keeps its mknod: the runtime creates the node all the same.
        let full = try DeviceRules.effective([LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 7, access: "rwm"),
                                              LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 9, access: "m")])
        XCTAssertEqual(full.last?.v1Line, "c 1:7 rw")
        XCTAssertEqual(full.count, 2 + DeviceRules.defaults.count + 1)
        XCTAssertThrowsError(try DeviceRules.effective([LinuxDeviceCgroup(allow: true, type: "x", access: "r")]))
        XCTAssertThrowsError(try DeviceRules.effective([LinuxDeviceCgroup(allow: true, access: "rq")]))
    }
}
