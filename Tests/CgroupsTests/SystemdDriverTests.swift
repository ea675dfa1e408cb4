// The systemd driver's pure logic, without root or systemd: the D-Bus wire format of the calls it
// makes, `slice:prefix:name` parsing, slice expansion, and the unit properties made from resources.

import XCTest
import Kernel
import RuntimeSpec
@testable import Cgroups

final class DBusMarshallingTests: XCTestCase {
    func bytes(_ v: DBusValue) throws -> [UInt8] {
        var w = DBusWriter()
        try w.write(v)
        return w.bytes
    }

    func testBasicTypesAreLittleEndianAndAligned() throws {
        XCTAssertEqual(try bytes(.uint32(0x0102_0304)), [4, 3, 2, 1])
        XCTAssertEqual(try bytes(.string("ab")), [2, 0, 0, 0, 0x61, 0x62, 0])
        XCTAssertEqual(try bytes(.signature("su")), [2, 0x73, 0x75, 0])
        XCTAssertEqual(try bytes(.bool(true)), [1, 0, 0, 0])
        // A variant: its signature, then the value aligned as the value's own type.
        XCTAssertEqual(try bytes(.variant(.uint64(1))), [1, 0x74, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    }

    func testEmptyArrayOfStructsPadsToEightButCountsZero() throws {
        // The length, then padding to the element's alignment (8 for a struct), not counted.
        XCTAssertEqual(try bytes(.array(element: "(sv)", [])), [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try bytes(.array(element: "u", [.uint32(7), .uint32(8)])), [8, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0])
    }

    func testArrayRefusesAnElementOfAnotherType() {
        XCTAssertThrowsError(try bytes(.array(element: "u", [.string("x")])))
    }

    func testSignatureSplitting() throws {
        XCTAssertEqual(try dbusSplitSignature("ssa(sv)a(sa(sv))"), ["s", "s", "a(sv)", "a(sa(sv))"])
        XCTAssertEqual(try dbusSplitSignature("a{sv}as"), ["a{sv}", "as"])
        XCTAssertThrowsError(try dbusSplitSignature("a(sv"))
        XCTAssertThrowsError(try dbusSplitSignature("z"))
    }

    /// StartTransientUnit as the driver sends it, marshalled and read back field by field.
    func testStartTransientUnitRoundTrips() throws {
        let props: [DBusValue] = [
            SystemdBus.property("Slice", .string("system.slice")),
            SystemdBus.property("Delegate", .bool(true)),
            SystemdBus.property("PIDs", .array(element: "u", [.uint32(4242)])),
            SystemdBus.property("MemoryLimit", .uint64(67_108_864)),
            SystemdBus.property("DeviceAllow", .array(element: "(ss)", [.structure([.string("char-pts"), .string("rwm")])])),
            SystemdBus.property("AllowedCPUs", .array(element: "y", [.byte(3)])),
        ]
        var m = DBusMessage.methodCall(destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1",
                                       interface: "org.freedesktop.systemd1.Manager", member: "StartTransientUnit",
                                       [.string("runc-x.scope"), .string("replace"), .array(element: "(sv)", props),
                                        .array(element: "(sa(sv))", [])])
        m.serial = 9
        let wire = try m.marshal()
        XCTAssertEqual(Array(wire[0..<4]), [UInt8(ascii: "l"), 1, 0, 1])
        XCTAssertEqual(try DBusMessage.totalLength(header: Array(wire[0..<16])), wire.count)
        let back = try DBusMessage.unmarshal(wire)
        XCTAssertEqual(back.kind, .methodCall)
        XCTAssertEqual(back.serial, 9)
        XCTAssertEqual(back.member, "StartTransientUnit")
        XCTAssertEqual(back.path, "/org/freedesktop/systemd1")
        XCTAssertEqual(back.destination, "org.freedesktop.systemd1")
        XCTAssertEqual(back.body.map(\.signature).joined(), "ssa(sv)a(sa(sv))")
        XCTAssertEqual(back.body, m.body)
    }

    /// A JobRemoved signal as systemd sends it (uoss), read from its wire bytes.
    func testJobRemovedSignalIsRead() throws {
        var s = DBusMessage(kind: .signal)
        s.path = "/org/freedesktop/systemd1"
        s.interface = "org.freedesktop.systemd1.Manager"
        s.member = "JobRemoved"
        s.body = [.uint32(74), .objectPath("/org/freedesktop/systemd1/job/74"), .string("runc-x.scope"), .string("done")]
        let back = try DBusMessage.unmarshal(try s.marshal())
        XCTAssertEqual(back.kind, .signal)
        XCTAssertEqual(back.body[1].stringValue, "/org/freedesktop/systemd1/job/74")
        XCTAssertEqual(back.body[3].stringValue, "done")
    }

    func testTruncatedOrLyingMessagesAreErrorsNotTraps() throws {
        var m = DBusMessage.methodCall(destination: nil, path: "/", interface: "a.b", member: "C", [.string("hello")])
        m.serial = 1
        let wire = try m.marshal()
        for cut in [0, 3, 15, 16, 40, wire.count - 1] {
            XCTAssertThrowsError(try DBusMessage.unmarshal(Array(wire[0..<cut])), "cut at \(cut)")
        }
        var lying = wire
        lying[lying.count - 10] = 0xff  // the string's length
        XCTAssertThrowsError(try DBusMessage.unmarshal(lying))
    }
}

final class SystemdCgroupsPathTests: XCTestCase {
    func testDefaultIsSystemSliceRuncScope() throws {
        let p = try SystemdCgroupsPath(cgroupsPath: nil, id: "abc")
        XCTAssertEqual(p.slice, "system.slice")
        XCTAssertEqual(p.unit, "runc-abc.scope")
        XCTAssertEqual(p.cgroupPath, "/system.slice/runc-abc.scope")
    }

    /// A user's manager (rootless): runc's default slice there is user.slice.
    func testDefaultOfAUsersManagerIsUserSlice() throws {
        XCTAssertEqual(try SystemdCgroupsPath(cgroupsPath: nil, id: "abc", defaultSlice: "user.slice").cgroupPath,
                       "/user.slice/runc-abc.scope")
        XCTAssertEqual(try SystemdCgroupsPath(cgroupsPath: ":p:n", id: "abc", defaultSlice: "user.slice").cgroupPath,
                       "/user.slice/p-n.scope")
    }

    func testSlicePrefixName() throws {
        let p = try SystemdCgroupsPath(cgroupsPath: "kubepods-burstable-pod12.slice:cri-containerd:f00", id: "x")
        XCTAssertEqual(p.unit, "cri-containerd-f00.scope")
        XCTAssertEqual(p.cgroupPath,
                       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-f00.scope")
        XCTAssertEqual(try SystemdCgroupsPath(cgroupsPath: ":docker:1", id: "x").cgroupPath, "/system.slice/docker-1.scope")
        XCTAssertEqual(try SystemdCgroupsPath(cgroupsPath: "-.slice::1", id: "x").cgroupPath, "/1.scope")
    }

    func testBadFormsNameTheField() {
        for bad in ["/a/b", "a:b", "a:b:c:d", "system.slice:p:", "notaslice:p:n", "a--b.slice:p:n", "-a.slice:p:n",
                    "a.slice:p:n.slice", "system.slice:p:na/me", "a/b.slice:p:n"] {
            XCTAssertThrowsError(try SystemdCgroupsPath(cgroupsPath: bad, id: "x"), bad) { e in
                XCTAssertTrue("\(e)".hasPrefix("linux.cgroupsPath"), "\(bad): \(e)")
            }
        }
    }
}

final class SystemdPropertiesTests: XCTestCase {
    func props(_ r: LinuxResources, v2: Bool = false) throws -> [String: DBusValue] {
        var out: [String: DBusValue] = [:]
        for p in try SystemdDriver.properties(r, v2: v2, devices: true) {
            guard case .structure(let kv) = p, case .string(let k) = kv[0], case .variant(let v) = kv[1] else {
                XCTFail("not a (sv): \(p)")
                continue
            }
            out[k] = v
        }
        return out
    }

    func testMemoryCpuPidsAsRunc() throws {
        var r = LinuxResources()
        r.memory = LinuxMemory()
        r.memory?.limit = 1 << 26
        r.cpu = LinuxCPU()
        r.cpu?.shares = 512
        r.cpu?.quota = 33_333
        r.cpu?.period = 100_000
        r.cpu?.cpus = "0-1,9"
        r.pids = LinuxPids(limit: -1)
        let v1 = try props(r)
        XCTAssertEqual(v1["MemoryLimit"], .uint64(1 << 26))
        XCTAssertEqual(v1["CPUShares"], .uint64(512))
        // 333330 µs per second rounds up to whole percents: 340 ms.
        XCTAssertEqual(v1["CPUQuotaPerSecUSec"], .uint64(340_000))
        XCTAssertEqual(v1["CPUQuotaPeriodUSec"], .uint64(100_000))
        XCTAssertEqual(v1["TasksMax"], .uint64(UInt64.max))
        XCTAssertEqual(v1["AllowedCPUs"], .array(element: "y", [.byte(3), .byte(2)]))
        let v2 = try props(r, v2: true)
        XCTAssertEqual(v2["MemoryMax"], .uint64(1 << 26))
        XCTAssertNil(v2["MemoryLimit"])
        XCTAssertEqual(v2["CPUWeight"], .uint64(1 + (510 * 9999) / 262142))
    }

    func testUnlimitedQuotaIsInfinity() throws {
        var r = LinuxResources()
        r.cpu = LinuxCPU()
        r.cpu?.quota = -1
        r.cpu?.period = 50_000
        XCTAssertEqual(try props(r)["CPUQuotaPerSecUSec"], .uint64(UInt64.max))
    }

    func testDeviceRulesBecomeStrictPolicyAndAllowList() throws {
        var r = LinuxResources()
        r.devices = [LinuxDeviceCgroup(allow: false, access: "rwm"),
                     LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rw"),
                     LinuxDeviceCgroup(allow: true, type: "b", major: -1, minor: -1, access: "m")]
        let p = try props(r)
        XCTAssertEqual(p["DevicePolicy"], .string("strict"))
        XCTAssertEqual(p["DeviceAllow"], .array(element: "(ss)", [.structure([.string("/dev/char/1:3"), .string("rw")]),
                                                                  .structure([.string("block-*"), .string("m")])]))
    }

    func testBadCpuListNamesTheField() {
        var r = LinuxResources()
        r.cpu = LinuxCPU()
        r.cpu?.cpus = "3-1"
        XCTAssertThrowsError(try props(r)) { XCTAssertTrue("\($0)".contains("linux.resources.cpu.cpus"), "\($0)") }
    }
}

final class SystemdAnnotationTests: XCTestCase {
    func props(_ a: [String: String]) throws -> [String: DBusValue] {
        var out: [String: DBusValue] = [:]
        for p in try SystemdAnnotations.properties(a) {
            guard case .structure(let kv) = p, case .string(let k) = kv[0], case .variant(let v) = kv[1] else { continue }
            out[k] = v
        }
        return out
    }

    func testGVariantForms() throws {
        let p = try props(["org.systemd.property.TimeoutStopUSec": "uint64 123456789",
                           "org.systemd.property.CollectMode": "'inactive-or-failed'",
                           "org.systemd.property.Wants": "['a.service', \"b,c.service\"]",
                           "org.systemd.property.SendSIGKILL": "false",
                           "org.systemd.property.Nice": "-5",
                           "unrelated": "x"])
        XCTAssertEqual(p["TimeoutStopUSec"], .uint64(123_456_789))
        XCTAssertEqual(p["CollectMode"], .string("inactive-or-failed"))
        XCTAssertEqual(p["Wants"], .array(element: "s", [.string("a.service"), .string("b,c.service")]))
        XCTAssertEqual(p["SendSIGKILL"], .bool(false))
        XCTAssertEqual(p["Nice"], .int32(-5))
        XCTAssertEqual(p.count, 5)
    }

    func testSecondsBecomeMicroseconds() throws {
        XCTAssertEqual(try props(["org.systemd.property.RuntimeMaxSec": "100"])["RuntimeMaxUSec"], .uint64(100_000_000))
        // Not after a lowercase letter: the name is kept.
        XCTAssertEqual(try props(["org.systemd.property.TimeoutUSec": "uint64 7"])["TimeoutUSec"], .uint64(7))
    }

    func testBadOnesNameTheAnnotation() {
        for (k, v) in [("org.systemd.property.X1", "1"), ("org.systemd.property.Ab", "1"),
                       ("org.systemd.property.TimeoutStopUSec", "uint64 -1"), ("org.systemd.property.Foo", "double 1.5"),
                       ("org.systemd.property.Foo", "'unterminated"), ("org.systemd.property.Foo", "[1, 2]"),
                       ("org.systemd.property.RuntimeMaxSec", "'ten'")] {
            XCTAssertThrowsError(try SystemdAnnotations.properties([k: v]), "\(k)=\(v)") { e in
                XCTAssertTrue("\(e)".contains("annotations[\"\(k)\"]"), "\(e)")
            }
        }
    }
}

/// How a rootless runtime finds and authenticates to the user's manager.
final class UserBusTests: XCTestCase {
    func testSessionBusAddressesGiveTheirUnixPathsInOrder() {
        XCTAssertEqual(SystemdBus.unixSocketPaths("unix:path=/run/user/1000/bus"), ["/run/user/1000/bus"])
        XCTAssertEqual(SystemdBus.unixSocketPaths("unix:path=/tmp/a%20b,guid=12ab;tcp:host=x,port=1;unix:guid=1,path=/c"),
                       ["/tmp/a b", "/c"])
        XCTAssertEqual(SystemdBus.unixSocketPaths("unix:abstract=/tmp/dbus-x"), [])
        XCTAssertEqual(SystemdBus.unixSocketPaths(""), [])
        XCTAssertEqual(SystemdBus.unixSocketPaths("unix:path=%"), ["%"])
    }

    func testUIDIsTheOneOutsideTheUserNamespace() {
        XCTAssertEqual(SystemdBus.mapOutside(0, uidMap: "         0       1000          1\n"), 1000)
        XCTAssertEqual(SystemdBus.mapOutside(5, uidMap: "0 1000 1\n1 100000 65536\n"), 100004)
        XCTAssertEqual(SystemdBus.mapOutside(1000, uidMap: "0 0 4294967295\n"), 1000)
        XCTAssertNil(SystemdBus.mapOutside(7, uidMap: "0 1000 1\n"))
        XCTAssertNil(SystemdBus.mapOutside(1, uidMap: "0 4294967295 2\n"))
    }
}
