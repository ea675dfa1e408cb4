import XCTest
@testable import RuntimeSpec

final class MountOptionsTests: XCTestCase {
    struct Want {
        var flags: UInt64 = 0
        var clear: UInt64 = 0
        var propagation: [UInt64] = []
        var attrSet: UInt64 = 0
        var attrClear: UInt64 = 0
        var bind = false
        var rbind = false
        var idmap = false
        var ridmap = false
        var tmpcopyup = false
        var data: [String] = []
    }

    let table: [([String], Want)] = [
        ([], Want()),
        (["defaults"], Want()),
        (["ro"], Want(flags: 1)),
        (["ro", "rw"], Want(flags: 0, clear: 1)),
        (["rw", "ro"], Want(flags: 1, clear: 0)),
        (["nosuid", "nodev", "noexec"], Want(flags: 2 | 4 | 8)),
        (["suid", "dev", "exec"], Want(clear: 2 | 4 | 8)),
        (["sync"], Want(flags: 16)),
        (["sync", "async"], Want(clear: 16)),
        (["remount"], Want(flags: 32)),
        (["mand"], Want(flags: 64)),
        (["nomand"], Want(clear: 64)),
        (["dirsync"], Want(flags: 128)),
        (["nosymfollow"], Want(flags: 256)),
        (["symfollow"], Want(clear: 256)),
        (["noatime", "nodiratime"], Want(flags: 1024 | 2048)),
        (["atime", "diratime"], Want(clear: 1024 | 2048)),
        (["relatime"], Want(flags: 1 << 21)),
        (["norelatime"], Want(clear: 1 << 21)),
        (["strictatime"], Want(flags: 1 << 24)),
        (["nostrictatime"], Want(clear: 1 << 24)),
        (["lazytime"], Want(flags: 1 << 25)),
        (["nolazytime"], Want(clear: 1 << 25)),
        (["iversion"], Want(flags: 1 << 23)),
        (["silent"], Want(flags: 32768)),
        (["loud"], Want(clear: 32768)),
        (["bind"], Want(flags: 4096, bind: true)),
        (["rbind", "ro"], Want(flags: 4096 | 16384 | 1, bind: true, rbind: true)),
        (["private"], Want(propagation: [1 << 18])),
        (["rprivate"], Want(propagation: [1 << 18 | 16384])),
        (["shared", "rslave", "runbindable"], Want(propagation: [1 << 20, 1 << 19 | 16384, 1 << 17 | 16384])),
        (["unbindable", "rshared", "slave"], Want(propagation: [1 << 17, 1 << 20 | 16384, 1 << 19])),
        (["rro", "rnosuid", "rnodev", "rnoexec"], Want(attrSet: 0x1 | 0x2 | 0x4 | 0x8)),
        (["rro", "rrw"], Want(attrSet: 0, attrClear: 0x1)),
        (["rsuid", "rdev", "rexec"], Want(attrClear: 0x2 | 0x4 | 0x8)),
        (["rnoatime"], Want(attrSet: 0x10, attrClear: 0x70)),
        (["rstrictatime"], Want(attrSet: 0x20, attrClear: 0x70)),
        (["rrelatime"], Want(attrSet: 0, attrClear: 0x70)),
        (["rnodiratime"], Want(attrSet: 0x80)),
        (["rdiratime"], Want(attrClear: 0x80)),
        (["rnosymfollow"], Want(attrSet: 0x20_0000)),
        (["rsymfollow"], Want(attrClear: 0x20_0000)),
        (["ratime"], Want(attrClear: 0x10)),
        (["idmap"], Want(idmap: true)),
        (["ridmap"], Want(idmap: true, ridmap: true)),
        (["tmpcopyup"], Want(tmpcopyup: true)),
        (["mode=755", "size=65536k"], Want(data: ["mode=755", "size=65536k"])),
        (["nosuid", "strictatime", "mode=755", "size=65536k"],
         Want(flags: 2 | 1 << 24, data: ["mode=755", "size=65536k"])),
        (["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
         Want(flags: 2 | 8, data: ["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])),
        (["rbind", "rprivate", "rro", "idmap", "lowerdir=/a"],
         Want(flags: 4096 | 16384, propagation: [1 << 18 | 16384], attrSet: 1, bind: true, rbind: true,
              idmap: true, data: ["lowerdir=/a"])),
    ]

    func testTable() {
        for (options, w) in table {
            let m = MountOptions.parse(options)
            let label = "\(options)"
            XCTAssertEqual(m.flags, w.flags, "flags " + label)
            XCTAssertEqual(m.clearFlags, w.clear, "clearFlags " + label)
            XCTAssertEqual(m.propagation, w.propagation, "propagation " + label)
            XCTAssertEqual(m.recursiveAttrSet, w.attrSet, "recursiveAttrSet " + label)
            XCTAssertEqual(m.recursiveAttrClear, w.attrClear, "recursiveAttrClear " + label)
            XCTAssertEqual(m.bind, w.bind, "bind " + label)
            XCTAssertEqual(m.recursiveBind, w.rbind, "recursiveBind " + label)
            XCTAssertEqual(m.idmap, w.idmap, "idmap " + label)
            XCTAssertEqual(m.recursiveIdmap, w.ridmap, "recursiveIdmap " + label)
            XCTAssertEqual(m.tmpcopyup, w.tmpcopyup, "tmpcopyup " + label)
            XCTAssertEqual(m.data, w.data, "data " + label)
        }
    }

    func testConstants() {
        XCTAssertEqual(MS.UNBINDABLE, 1 << 17)
        XCTAssertEqual(MS.PRIVATE, 1 << 18)
        XCTAssertEqual(MS.SLAVE, 1 << 19)
        XCTAssertEqual(MS.SHARED, 1 << 20)
        XCTAssertEqual(MS.RELATIME, 1 << 21)
        XCTAssertEqual(MS.STRICTATIME, 1 << 24)
        XCTAssertEqual(MS.LAZYTIME, 1 << 25)
    }

    func testDataString() {
        XCTAssertEqual(MountOptions.parse(["ro", "mode=755", "size=1k"]).dataString, "mode=755,size=1k")
        XCTAssertFalse(MountOptions.parse(["ro"]).hasRecursiveAttributes)
        XCTAssertTrue(MountOptions.parse(["rro"]).hasRecursiveAttributes)
    }

    func testKnownOptions() {
        let known = MountOptions.knownOptions
        XCTAssertEqual(known, known.sorted())
        for o in ["defaults", "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync", "async",
                  "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime",
                  "relatime", "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime",
                  "symfollow", "nosymfollow", "bind", "rbind", "private", "rprivate", "shared", "rshared",
                  "slave", "rslave", "unbindable", "runbindable", "tmpcopyup", "idmap", "ridmap",
                  "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnoatime",
                  "ratime", "rrelatime", "rnorelatime", "rstrictatime", "rnostrictatime", "rnodiratime",
                  "rdiratime", "rnosymfollow", "rsymfollow", "iversion", "noiversion", "silent", "loud"] {
            XCTAssertTrue(known.contains(o), o)
        }
        XCTAssertEqual(Set(known).count, known.count)
    }
}
