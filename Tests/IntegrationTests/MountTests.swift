import Foundation
import XCTest

/// mounts, maskedPaths, readonlyPaths, root.readonly, rootfsPropagation, linux.devices, default devices.
final class MountTests: IntegrationTestCase {
    /// The container's /proc/self/mountinfo, parsed.
    private func containerMounts(privateRootfs: Bool = false, _ configure: (inout Config) -> Void) -> [MountInfo] {
        MountInfo.parse(output(privateRootfs: privateRootfs) { c in
            configure(&c)
            c.args = ["cat", "/proc/self/mountinfo"]
        })
    }

    func testDefaultMounts() {
        let mounts = containerMounts { _ in }
        let want = ["/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
                    "/dev/mqueue": "mqueue", "/sys": "sysfs"]
        for (point, type) in want {
            let m = MountInfo.find(mounts, point)
            XCTAssertEqual(m?.fsType, type, "mount at \(point)")
        }
        let sys = MountInfo.find(mounts, "/sys")
        XCTAssertTrue(sys?.options.contains("ro") ?? false, "/sys should be ro: \(String(describing: sys))")
        for o in ["nosuid", "noexec", "nodev"] {
            XCTAssertTrue(sys?.options.contains(o) ?? false, "/sys should be \(o)")
            XCTAssertTrue(MountInfo.find(mounts, "/dev/mqueue")?.options.contains(o) ?? false, "/dev/mqueue should be \(o)")
        }
        let pts = MountInfo.find(mounts, "/dev/pts")
        XCTAssertTrue(pts?.superOptions.contains("mode=620") ?? false, "devpts options: \(String(describing: pts))")
        XCTAssertTrue(pts?.superOptions.contains("ptmxmode=666") ?? false, "devpts options: \(String(describing: pts))")
        XCTAssertTrue(pts?.superOptions.contains("gid=5") ?? false, "devpts options: \(String(describing: pts))")
        let dev = MountInfo.find(mounts, "/dev")
        XCTAssertTrue(dev?.superOptions.contains("mode=755") ?? false, "/dev options: \(String(describing: dev))")
        XCTAssertTrue(dev?.options.contains("nosuid") ?? false)
        // nothing of the host is visible: every mount point is / or below a configured mount
        let allowed = ["/", "/proc", "/dev", "/sys"]
        for m in mounts {
            XCTAssertTrue(allowed.contains { m.mountPoint == $0 || m.mountPoint.hasPrefix($0 + "/") },
                          "unexpected mount \(m.mountPoint)")
        }
    }

    func testProcIsTheContainers() {
        XCTAssertEqual(output { $0.shell("cat /proc/1/comm; grep -c . /proc/1/cmdline") }, "sh\n1\n")
    }

    func testTmpfsOptions() {
        let mounts = containerMounts { c in
            c.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["nosuid", "noexec", "nodev", "size=1m", "mode=0700"])
        }
        let m = MountInfo.find(mounts, "/mnt")
        XCTAssertEqual(m?.fsType, "tmpfs")
        for o in ["nosuid", "noexec", "nodev"] {
            XCTAssertTrue(m?.options.contains(o) ?? false, "tmpfs /mnt lacks \(o): \(String(describing: m))")
        }
        XCTAssertTrue(m?.superOptions.contains("size=1024k") ?? false, "size: \(String(describing: m))")
        XCTAssertTrue(m?.superOptions.contains("mode=700") ?? false, "mode: \(String(describing: m))")
        XCTAssertEqual(output(privateRootfs: true) { c in
            c.addMount("/newmnt", type: "tmpfs", source: "tmpfs", options: ["mode=0700"])
            c.shell("stat -c %a /newmnt; echo x > /newmnt/f && cat /newmnt/f")
        }, "700\nx\n")
    }

    func testReadOnlyTmpfs() {
        let r = runContainer { c in
            c.addMount("/mnt", type: "tmpfs", source: "tmpfs", options: ["ro"])
            c.shell("touch /mnt/x 2>/dev/null && echo writable || echo readonly; grep ' /mnt ' /proc/self/mountinfo")
        }
        XCTAssertTrue(r.stdout.hasPrefix("readonly\n"), describe(r))
    }

    func testMountPointCreated() {
        XCTAssertEqual(output(privateRootfs: true) { c in
            c.addMount("/new/deep/dir", type: "tmpfs", source: "tmpfs")
            c.shell("grep -c ' /new/deep/dir ' /proc/self/mountinfo")
        }, "1\n")
    }

    func testBindMountReadOnly() throws {
        let data = hostDir("data")
        try "content\n".write(toFile: data + "/f", atomically: true, encoding: .utf8)
        let r = runContainer { c in
            c.addBind(host: data, container: "/data", options: ["bind", "ro"])
            c.shell("cat /data/f; touch /data/g 2>/dev/null && echo writable || echo readonly; grep ' /data ' /proc/self/mountinfo")
        }
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(2)), ["content", "readonly"], r.stdout)
        let m = MountInfo.parse(lines.dropFirst(2).joined(separator: "\n")).last
        XCTAssertTrue(m?.options.contains("ro") ?? false, "bind ro mount options: \(r.stdout)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/g"))
    }

    func testBindMountReadWrite() {
        let data = hostDir("data")
        let r = runContainer { c in
            c.addBind(host: data, container: "/data", options: ["rbind", "rw"])
            c.shell("echo from-container > /data/g")
        }
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(try? String(contentsOfFile: data + "/g", encoding: .utf8), "from-container\n")
    }

    func testBindVersusRbind() throws {
        let data = hostDir("data")
        let sub = hostDir("data/sub")
        let m = Host.sh("mount -t tmpfs tmpfs '\(sub)' && echo inner > '\(sub)/inner'")
        XCTAssertEqual(m.status, 0, describe(m))
        defer { Host.sh("umount -l '\(sub)'") }
        let script = "test -e /data/sub/inner && echo visible || echo hidden"
        XCTAssertEqual(output { c in
            c.addBind(host: data, container: "/data", options: ["bind"])
            c.shell(script)
        }, "hidden\n", "bind must not take submounts")
        XCTAssertEqual(output { c in
            c.addBind(host: data, container: "/data", options: ["rbind"])
            c.shell(script)
        }, "visible\n", "rbind must take submounts")
    }

    func testBindMountFile() throws {
        let f = scratch + "/hosts"
        try "10.1.2.3 example\n".write(toFile: f, atomically: true, encoding: .utf8)
        XCTAssertEqual(output { c in
            c.addBind(host: f, container: "/etc/hosts", options: ["bind", "ro"])
            c.args = ["cat", "/etc/hosts"]
        }, "10.1.2.3 example\n")
    }

    func testBindMountSourceRelativeToBundle() throws {
        let bundle = makeBundle { c in
            c.addBind(host: "rel-data", container: "/data", options: ["bind", "ro"])
            c.args = ["cat", "/data/f"]
        }
        try FileManager.default.createDirectory(atPath: bundle + "/rel-data", withIntermediateDirectories: true)
        try "relative\n".write(toFile: bundle + "/rel-data/f", atomically: true, encoding: .utf8)
        let r = run(bundle)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "relative\n")
    }

    func testMountThroughSymlinkStaysInRootfs() throws {
        // /escape in the rootfs is an absolute symlink to a host directory: the mount must land
        // inside the rootfs (symlink resolved relative to it), never on the host.
        let hostSide = hostDir("hostside")
        let bundle = makeBundle(privateRootfs: true) { c in
            c.addMount("/escape/x", type: "tmpfs", source: "tmpfs")
            c.shell("grep -c ' /escape/x \\| /tmp/swiftlet-it/.*/hostside/x ' /proc/self/mountinfo || true")
        }
        try FileManager.default.createSymbolicLink(atPath: bundle + "/rootfs/escape", withDestinationPath: hostSide)
        _ = run(bundle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostSide + "/x"), "runtime created a directory on the host through a symlink")
    }

    func testDevpts() {
        let r = runContainer { $0.shell("grep ' /dev/pts ' /proc/self/mountinfo; test -c /dev/ptmx -o -L /dev/ptmx && echo ptmx") }
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(MountInfo.parse(r.stdout).first?.fsType, "devpts", r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("ptmx\n"), r.stdout)
    }

    func testMqueue() {
        let mounts = containerMounts { _ in }
        XCTAssertEqual(MountInfo.find(mounts, "/dev/mqueue")?.fsType, "mqueue")
    }

    func testCgroupMount() {
        let out = output { c in
            c.addMount("/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"])
            c.shell("cat /proc/self/mountinfo; echo ===; ls /sys/fs/cgroup")
        }
        let parts = out.components(separatedBy: "===\n")
        let mounts = MountInfo.parse(parts[0])
        let cg = mounts.filter { ($0.mountPoint == "/sys/fs/cgroup" || $0.mountPoint.hasPrefix("/sys/fs/cgroup/")) }
        XCTAssertTrue(cg.contains { $0.fsType == "cgroup" || $0.fsType == "cgroup2" }, "no cgroup filesystem under /sys/fs/cgroup: \(out)")
        for m in cg where m.fsType.hasPrefix("cgroup") {
            XCTAssertTrue(m.options.contains("ro"), "cgroup mount \(m.mountPoint) should be ro")
        }
        XCTAssertFalse((parts.count > 1 ? parts[1] : "").isEmpty, "/sys/fs/cgroup is empty")
    }

    func testMaskedPaths() throws {
        let bundle = makeBundle(privateRootfs: true) { c in
            c[path: "linux.maskedPaths"] = ["/secretdir", "/secretfile", "/proc/timer_list", "/sys/firmware", "/does/not/exist"]
            c.shell("ls -A /secretdir | wc -l; wc -c < /secretfile; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; "
                    + "touch /secretdir/x 2>/dev/null && echo writable || echo readonly")
        }
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs/secretdir", withIntermediateDirectories: true)
        try "hidden\n".write(toFile: bundle + "/rootfs/secretdir/f", atomically: true, encoding: .utf8)
        try "hidden\n".write(toFile: bundle + "/rootfs/secretfile", atomically: true, encoding: .utf8)
        let r = run(bundle)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) },
                       ["0", "0", "0", "0", "readonly"], r.stdout)
    }

    func testReadonlyPaths() throws {
        let bundle = makeBundle(privateRootfs: true) { c in
            c[path: "linux.readonlyPaths"] = ["/rodir", "/proc/sys", "/does/not/exist"]
            c.shell("cat /rodir/f; touch /rodir/x 2>/dev/null && echo writable || echo readonly; "
                    + "touch /rw 2>/dev/null && echo writable || echo readonly; "
                    + "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo writable || echo readonly; "
                    + "grep -E ' /(rodir|proc/sys) ' /proc/self/mountinfo")
        }
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs/rodir", withIntermediateDirectories: true)
        try "kept\n".write(toFile: bundle + "/rootfs/rodir/f", atomically: true, encoding: .utf8)
        let r = run(bundle)
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(4)), ["kept", "readonly", "writable", "readonly"], r.stdout)
        let mounts = MountInfo.parse(lines.dropFirst(4).joined(separator: "\n"))
        for p in ["/rodir", "/proc/sys"] {
            XCTAssertTrue(MountInfo.find(mounts, p)?.options.contains("ro") ?? false, "\(p) not ro: \(r.stdout)")
        }
    }

    func testRootReadonly() {
        let ro = runContainer { c in
            c[path: "root.readonly"] = true
            c.shell("touch /x 2>/dev/null && echo writable || echo readonly; awk '$5 == \"/\"' /proc/self/mountinfo")
        }
        XCTAssertTrue(ro.stdout.hasPrefix("readonly\n"), describe(ro))
        let m = MountInfo.parse(ro.stdout).first { $0.mountPoint == "/" }
        XCTAssertTrue(m?.options.contains("ro") ?? false, "root not ro: \(ro.stdout)")

        let rw = runContainer(privateRootfs: true) { c in
            c[path: "root.readonly"] = false
            c.shell("touch /x 2>/dev/null && echo writable || echo readonly")
        }
        XCTAssertEqual(rw.stdout, "writable\n", describe(rw))
    }

    /// The optional propagation fields of the container's root mount for a rootfsPropagation value.
    /// The rootfs is made a shared mount on the host first, so that "slave" can show a master.
    private func rootPropagation(_ propagation: String) -> [String]? {
        let bundle = makeBundle(privateRootfs: true) { c in
            c[path: "linux.rootfsPropagation"] = propagation
            c.args = ["cat", "/proc/self/mountinfo"]
        }
        let rootfs = bundle + "/rootfs"
        let m = Host.sh("mount --bind '\(rootfs)' '\(rootfs)' && mount --make-shared '\(rootfs)'")
        XCTAssertEqual(m.status, 0, describe(m))
        defer { Host.sh("umount -R -l '\(rootfs)'") }
        let r = run(bundle)
        XCTAssertEqual(r.status, 0, "rootfsPropagation \(propagation): \(describe(r))")
        return MountInfo.parse(r.stdout).last { $0.mountPoint == "/" }?.optional
    }

    func testRootfsPropagationShared() {
        let fields = rootPropagation("shared") ?? []
        assertOrDeviation(fields.contains { $0.hasPrefix("shared:") }, runtimes: ["runc"],
                          reason: "root mount propagation differs", "rootfsPropagation shared: root has \(fields)")
    }

    func testRootfsPropagationSlave() {
        let fields = rootPropagation("slave") ?? []
        assertOrDeviation(fields.contains { $0.hasPrefix("master:") } && !fields.contains { $0.hasPrefix("shared:") },
                          runtimes: ["runc"], reason: "root mount propagation differs",
                          "rootfsPropagation slave: root has \(fields)")
    }

    func testRootfsPropagationPrivate() {
        let fields = rootPropagation("private") ?? ["?"]
        assertOrDeviation(fields.isEmpty, runtimes: ["runc"], reason: "root mount propagation differs",
                          "rootfsPropagation private: root has \(fields)")
    }

    func testRootfsPropagationUnbindable() {
        let fields = rootPropagation("unbindable") ?? []
        assertOrDeviation(fields.contains("unbindable"), runtimes: ["runc"], reason: "root mount propagation differs",
                          "rootfsPropagation unbindable: root has \(fields)")
    }

    func testDevices() {
        let out = output { c in
            c[path: "linux.devices"] = [
                ["path": "/dev/mychar", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1000, "gid": 1001],
                ["path": "/dev/myblk", "type": "b", "major": 7, "minor": 0, "fileMode": 0o600, "uid": 0, "gid": 0],
                ["path": "/dev/myfifo", "type": "p", "fileMode": 0o620, "uid": 0, "gid": 0],
                ["path": "/dev/sub/dir/mydev", "type": "c", "major": 1, "minor": 5],
            ]
            c.shell("for d in /dev/mychar /dev/myblk /dev/myfifo; do stat -c '%n %F %t %T %a %u %g' $d; done; stat -c '%F %t %T' /dev/sub/dir/mydev")
        }
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "/dev/mychar character special file 1 3 640 1000 1001",
            "/dev/myblk block special file 7 0 600 0 0",
            "/dev/myfifo fifo 0 0 620 0 0",
            "character special file 1 5",
        ], out)
    }

    /// Nodes made straight into the /dev tmpfs skip chown and chmod where mknod gives the owner and
    /// mode asked for already: set-ID and sticky bits (which mknod may drop), a set-group-ID /dev
    /// (whose group a new node takes) and an owner other than the runtime's must still come out
    /// exactly as the config says.
    func testDevicesOnASetGroupIDDevWithSpecialBits() {
        let out = output { c in
            var mounts = c.mounts
            for i in mounts.indices where mounts[i]["destination"] as? String == "/dev" {
                mounts[i]["options"] = ["nosuid", "strictatime", "mode=2755", "gid=5", "size=65536k"]
            }
            c.mounts = mounts
            c[path: "linux.devices"] = [
                ["path": "/dev/sgid", "type": "c", "major": 1, "minor": 3, "fileMode": 0o2660, "uid": 0, "gid": 0],
                ["path": "/dev/sticky", "type": "c", "major": 1, "minor": 5, "fileMode": 0o1666, "uid": 0, "gid": 0],
                ["path": "/dev/suid", "type": "p", "fileMode": 0o4640, "uid": 7, "gid": 0],
            ]
            c.shell("stat -c '%n %a %u %g' /dev; for d in null sgid sticky suid; do stat -c '%n %a %u %g' /dev/$d; done")
        }
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "/dev 2755 0 5",
            "/dev/null 666 0 0",
            "/dev/sgid 2660 0 0",
            "/dev/sticky 1666 0 0",
            "/dev/suid 4640 7 0",
        ], out)
    }

    func testDefaultDevices() {
        let out = output { c in
            c.shell("for d in null zero full random urandom tty; do stat -c '%n %F %t %T %a' /dev/$d; done; "
                    + "for l in fd stdin stdout stderr; do echo /dev/$l $(readlink /dev/$l); done; "
                    + "test -e /dev/ptmx && echo ptmx; test -d /dev/pts && echo pts; test -d /dev/shm && echo shm")
        }
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "/dev/null character special file 1 3 666",
            "/dev/zero character special file 1 5 666",
            "/dev/full character special file 1 7 666",
            "/dev/random character special file 1 8 666",
            "/dev/urandom character special file 1 9 666",
            "/dev/tty character special file 5 0 666",
            "/dev/fd /proc/self/fd",
            "/dev/stdin /proc/self/fd/0",
            "/dev/stdout /proc/self/fd/1",
            "/dev/stderr /proc/self/fd/2",
            "ptmx", "pts", "shm",
        ], out)
    }

    func testDefaultDevicesUsable() {
        XCTAssertEqual(output { c in
            c.shell("echo x > /dev/null && echo null-ok; head -c 5 /dev/zero | wc -c; head -c 8 /dev/urandom | wc -c; "
                    + "echo x 2>/dev/null > /dev/full && echo full-accepted || echo full-refused")
        }.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }, ["null-ok", "5", "8", "full-refused"])
    }
}
