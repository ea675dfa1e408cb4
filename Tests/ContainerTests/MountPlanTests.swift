import XCTest
@testable import Container
@testable import RuntimeSpec
import Kernel

/// The mount resolver: `mounts[].options` to mount(2) flags, propagation, mount_setattr(2)
/// attributes and filesystem data, or every problem with its field. Pure logic: no root, no kernel call.
final class MountPlanTests: XCTestCase {
    static func prop(_ type: MountFlags, _ recursive: Bool = false) -> MountPlan.Propagation {
        MountPlan.Propagation(type: type, recursive: recursive)
    }

    /// Each list of options and what it resolves to; the numbers are linux/mount.h's.
    let goodOptions: [([String], (inout MountPlan) -> Void)] = [
        ([], { _ in }),
        (["defaults"], { _ in }),
        (["ro"], { $0.flags = MountFlags(rawValue: 1) }),
        (["ro", "rw"], { $0.clearedFlags = .readOnly }),
        (["rw", "ro"], { $0.flags = .readOnly }),
        (["nosuid", "nodev", "noexec"], { $0.flags = MountFlags(rawValue: 2 | 4 | 8) }),
        (["suid", "dev", "exec"], { $0.clearedFlags = [.noSuid, .noDev, .noExec] }),
        (["sync"], { $0.flags = MountFlags(rawValue: 16) }),
        (["sync", "async"], { $0.clearedFlags = .synchronous }),
        (["remount"], { $0.flags = MountFlags(rawValue: 32) }),
        (["mand"], { $0.flags = MountFlags(rawValue: 64) }),
        (["nomand"], { $0.clearedFlags = .mandLock }),
        (["dirsync"], { $0.flags = MountFlags(rawValue: 128) }),
        (["nosymfollow"], { $0.flags = MountFlags(rawValue: 256) }),
        (["symfollow"], { $0.clearedFlags = .noSymFollow }),
        (["noatime", "nodiratime"], { $0.flags = MountFlags(rawValue: 1024 | 2048) }),
        (["atime", "diratime"], { $0.clearedFlags = [.noAtime, .noDirAtime] }),
        (["relatime"], { $0.flags = MountFlags(rawValue: 1 << 21) }),
        (["norelatime"], { $0.clearedFlags = .relatime }),
        (["strictatime"], { $0.flags = MountFlags(rawValue: 1 << 24) }),
        (["nostrictatime"], { $0.clearedFlags = .strictAtime }),
        (["lazytime"], { $0.flags = MountFlags(rawValue: 1 << 25) }),
        (["nolazytime"], { $0.clearedFlags = .lazyTime }),
        (["iversion"], { $0.flags = MountFlags(rawValue: 1 << 23) }),
        (["silent"], { $0.flags = MountFlags(rawValue: 32768) }),
        (["loud"], { $0.clearedFlags = .silent }),
        (["bind"], { $0.flags = MountFlags(rawValue: 4096); $0.bindOption = true }),
        (["rbind", "ro"], { $0.flags = MountFlags(rawValue: 4096 | 16384 | 1); $0.bindOption = true; $0.recursiveBind = true }),
        (["private"], { $0.propagation = [prop(MountFlags(rawValue: 1 << 18))] }),
        (["rprivate"], { $0.propagation = [prop(.private, true)] }),
        (["shared", "rslave", "runbindable"],
         { $0.propagation = [prop(MountFlags(rawValue: 1 << 20)), prop(MountFlags(rawValue: 1 << 19), true),
                             prop(MountFlags(rawValue: 1 << 17), true)] }),
        (["unbindable", "rshared", "slave"], { $0.propagation = [prop(.unbindable), prop(.shared, true), prop(.slave)] }),
        (["rro", "rnosuid", "rnodev", "rnoexec"], { $0.recursiveSet = MountAttributes(rawValue: 0x1 | 0x2 | 0x4 | 0x8) }),
        (["rro", "rrw"], { $0.recursiveClear = .readOnly }),
        (["rsuid", "rdev", "rexec"], { $0.recursiveClear = [.noSuid, .noDev, .noExec] }),
        (["rnoatime"], { $0.recursiveSet = MountAttributes(rawValue: 0x10)
                         $0.recursiveClear = MountAttributes(rawValue: 0x70) }),
        (["rstrictatime"], { $0.recursiveSet = MountAttributes(rawValue: 0x20); $0.recursiveClear = .atimeMask }),
        (["rrelatime"], { $0.recursiveClear = .atimeMask }),
        (["rnorelatime"], { _ in }),
        (["rnodiratime"], { $0.recursiveSet = MountAttributes(rawValue: 0x80) }),
        (["rdiratime"], { $0.recursiveClear = .noDirAtime }),
        (["rnosymfollow"], { $0.recursiveSet = MountAttributes(rawValue: 0x20_0000) }),
        (["rsymfollow"], { $0.recursiveClear = .noSymFollow }),
        (["ratime"], { $0.recursiveClear = .noAtime }),
        (["idmap"], { $0.idmapOption = true }),
        (["ridmap"], { $0.idmapOption = true; $0.recursiveIdmap = true }),
        (["tmpcopyup"], { $0.tmpcopyup = true }),
        (["mode=755", "size=65536k"], { $0.dataOptions = ["mode=755", "size=65536k"] }),
        (["nosuid", "strictatime", "mode=755", "size=65536k"],
         { $0.flags = [.noSuid, .strictAtime]; $0.dataOptions = ["mode=755", "size=65536k"] }),
        (["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
         { $0.flags = [.noSuid, .noExec]; $0.dataOptions = ["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] }),
        (["rbind", "rprivate", "rro", "idmap", "lowerdir=/a"],
         { $0.flags = [.bind, .recursive]; $0.propagation = [prop(.private, true)]; $0.recursiveSet = .readOnly
           $0.bindOption = true; $0.recursiveBind = true; $0.idmapOption = true; $0.dataOptions = ["lowerdir=/a"] }),
    ]

    func testGoodOptions() {
        for (options, expect) in goodOptions {
            let m = Mount(destination: "/m", type: "tmpfs", source: "tmpfs", options: options)
            var want = MountPlan(mount: m)
            expect(&want)
            let got = MountPlan.resolve(m)
            XCTAssertEqual(got, want, "\(options)")
            XCTAssertEqual(got.hasRecursiveAttributes, !want.recursiveSet.isEmpty || !want.recursiveClear.isEmpty, "\(options)")
            XCTAssertEqual(got.data, want.dataOptions.isEmpty ? nil : want.dataOptions.joined(separator: ","), "\(options)")
        }
    }

    static let map = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]

    /// Whole configs whose mounts are refused: each problem's field path and a fragment of its
    /// message (the texts `create` has always given).
    let badConfigs: [(name: String, mutate: (inout Spec) -> Void, problems: [(String, String)])] = [
        ("mappings without bind", { s in
            s.makeRootless(uid: 1000, gid: 1000)
            s.mounts!.append(Mount(destination: "/data", type: "tmpfs", source: "tmpfs", uidMappings: map, gidMappings: map))
         }, [("mounts[7].options", "ID-mapped mount of \"/data\" requires \"bind\" or \"rbind\"")]),
        ("type bind is not the bind option", { s in
            s.makeRootless(uid: 1000, gid: 1000)
            s.mounts!.append(Mount(destination: "/data", type: "bind", source: "/srv", uidMappings: map, gidMappings: map))
         }, [("mounts[7].options", "requires \"bind\" or \"rbind\"")]),
        ("idmap without bind", { s in
            s.makeRootless(uid: 1000, gid: 1000)
            s.mounts!.insert(Mount(destination: "/data", type: "none", source: "/srv", options: ["idmap"]), at: 3)
         }, [("mounts[3].options", "requires \"bind\" or \"rbind\"")]),
        ("idmap without a user namespace", { s in
            s.mounts!.append(Mount(destination: "/data", source: "/srv", options: ["rbind", "ridmap"]))
         }, [("mounts[7].options", "\"idmap\" without mappings requires a user namespace")]),
        ("every problem, in order", { s in
            s.mounts!.append(Mount(destination: "/a", source: "/srv", options: ["idmap"]))
            s.mounts!.append(Mount(destination: "/b", source: "/srv", options: ["bind", "ro"]))
            s.mounts!.append(Mount(destination: "/c", source: "/srv", options: ["ro", "ridmap", "x=1"]))
         }, [("mounts[7].options", "requires \"bind\" or \"rbind\""),
             ("mounts[7].options", "without mappings requires a user namespace"),
             ("mounts[9].options", "requires \"bind\" or \"rbind\""),
             ("mounts[9].options", "without mappings requires a user namespace")]),
    ]

    func testBadConfigs() {
        for c in badConfigs {
            var spec = Spec.defaultSpec(rootless: false)
            c.mutate(&spec)
            let (_, problems) = MountPlan.resolve(spec)
            XCTAssertEqual(problems.count, c.problems.count, "\(c.name): \(problems)")
            for (got, want) in zip(problems, c.problems) {
                XCTAssertEqual(got.path, want.0, c.name)
                XCTAssertTrue(got.message.contains(want.1), "\(c.name): \(got.message)")
            }
            XCTAssertThrowsError(try MountPlan.resolved(spec), c.name) { error in
                XCTAssertTrue("\(error)".contains("config.json: \(c.problems[0].0): "), "\(c.name): \(error)")
            }
        }
    }

    /// Configs whose mounts are taken, with what the rootfs builder and the bind staging read.
    func testGoodConfigs() throws {
        var spec = Spec.defaultSpec(rootless: false)
        XCTAssertTrue(MountPlan.resolve(spec).problems.isEmpty)
        spec.linux!.namespaces!.append(LinuxNamespace(type: "user"))
        spec.linux!.uidMappings = Self.map
        spec.linux!.gidMappings = Self.map
        spec.mounts! += [
            Mount(destination: "/data", source: "/srv", options: ["rbind", "idmap"]),
            Mount(destination: "/mapped", type: "none", source: "/srv", options: ["bind"], uidMappings: Self.map, gidMappings: Self.map),
            Mount(destination: "//dev/", type: "tmpfs", source: "tmpfs", options: ["nosuid", "ro", "mode=755"]),
            Mount(destination: "/dev", type: "bind", source: "/dev", options: ["ro"]),
            Mount(destination: "/etc/hosts", type: "bind", source: "hosts"),
        ]
        let mounts = try MountPlan.resolved(spec)
        XCTAssertEqual(mounts.count, spec.mounts!.count)
        XCTAssertEqual(mounts.map(\.mount), spec.mounts!)
        XCTAssertEqual(mounts.map(\.isIDMapped), [false, false, false, false, false, false, false, true, true, false, false, false])
        XCTAssertEqual(mounts.map(\.isBind), [false, false, false, false, false, false, false, true, true, false, true, true])
        XCTAssertEqual(mounts.map(\.isReadOnlyDev), [false, false, false, false, false, false, false, false, false, true, false, false])
        // The defaults' /dev is a writable tmpfs.
        XCTAssertTrue(mounts[1].isDev && !mounts[1].isReadOnlyDev)
        let writable = mounts[9].writable
        XCTAssertEqual(writable.flags, .noSuid)
        XCTAssertEqual(writable.clearedFlags, .readOnly)
        XCTAssertEqual(writable.data, "mode=755")
        // As if the options ended in `rw`.
        var rwLast = MountPlan.resolve(Mount(destination: "//dev/", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755", "rw"]))
        rwLast.mount = writable.mount
        XCTAssertEqual(writable, rwLast)
    }

    func testKnownOptions() {
        let known = MountPlan.knownOptions
        XCTAssertEqual(known, known.sorted())
        XCTAssertEqual(Set(known).count, known.count)
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
        XCTAssertEqual(known.count, 62)
    }

    /// The rootfs builder's translation of mount(2) flags into attributes for a bind (linux/mount.h).
    func testBindAttributes() {
        let a = RootfsBuilder.attributes(ofFlags: [.readOnly, .noSuid, .noAtime], cleared: [.noExec], keepLocked: false)
        XCTAssertEqual(a.set.rawValue, 0x1 | 0x2 | 0x10)
        XCTAssertEqual(a.clear.rawValue, 0x8 | 0x70)
        let locked = RootfsBuilder.attributes(ofFlags: [.relatime], cleared: [.readOnly], keepLocked: true)
        XCTAssertEqual(locked.set, [])
        XCTAssertEqual(locked.clear, .atimeMask)
        let nothing = RootfsBuilder.attributes(ofFlags: [.bind], cleared: [.readOnly], keepLocked: true)
        XCTAssertTrue(nothing.set.isEmpty && nothing.clear.isEmpty)
    }

    /// Which mounts init makes only once it is in the container's cgroup (a v1 or hybrid host
    /// joins late): a `cgroup` mount, a file system that may open a block device, tmpcopyup's
    /// copies; not proc, sysfs, devpts, mqueue, a plain tmpfs, nor any bind.
    func testMountsThatNeedTheContainersCgroup() {
        let cases: [(String?, String, [String], Bool)] = [
            ("proc", "proc", [], false), ("sysfs", "sysfs", [], false), ("devpts", "devpts", [], false),
            ("mqueue", "mqueue", [], false), ("tmpfs", "tmpfs", ["nosuid"], false), ("tmpfs", "tmpfs", ["tmpcopyup"], true),
            ("bind", "/srv", [], false), (nil, "/srv", ["rbind"], false), ("none", "/dev/fuse", ["bind"], false),
            ("cgroup", "cgroup", ["ro"], true), ("cgroup2", "cgroup2", [], true), ("ext4", "/dev/sdb1", [], true),
            ("overlay", "overlay", [], true),
        ]
        for (type, source, options, needs) in cases {
            let m = MountPlan.resolve(Mount(destination: "/m", type: type, source: source, options: options))
            XCTAssertEqual(m.needsContainerCgroup, needs, "type \(type ?? "nil") source \(source) options \(options)")
        }
    }
}
