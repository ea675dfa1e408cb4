import Foundation
import XCTest

/// Mount configurations runc accepts that swiftlet must handle as well: a read-only /dev, bind
/// sources the container's user namespace cannot reach, no mount namespace at all.
final class MountDropInTests: IntegrationTestCase {
    // MARK: item 4b: a read-only tmpfs on /dev

    /// `/dev` a tmpfs with `ro`: its sub-mounts (devpts, shm, mqueue), the device nodes and the
    /// links are made in it first, and it is read-only for the container's process.
    func testReadOnlyDevTmpfsIsFilledThenReadOnly() {
        let r = runContainer { c in
            var mounts = c.mounts
            for i in mounts.indices where mounts[i]["destination"] as? String == "/dev" {
                mounts[i]["options"] = ["ro", "nosuid", "strictatime", "mode=755", "size=65536k"]
            }
            c.mounts = mounts
            c.shell("""
                test -c /dev/null && test -c /dev/zero && test -c /dev/urandom && echo nodes-ok
                test -L /dev/fd && echo links-ok
                echo x > /dev/null && echo null-writable
                touch /dev/new 2>/dev/null && echo DEV-WRITABLE
                cat /proc/self/mountinfo
                """)
        }
        XCTAssertEqual(r.status, 0, describe(r))
        for want in ["nodes-ok", "links-ok", "null-writable"] {
            XCTAssert(r.stdout.contains(want), "missing \(want): \(describe(r))")
        }
        XCTAssertFalse(r.stdout.contains("DEV-WRITABLE"), "a file could be made in the read-only /dev")
        let mounts = MountInfo.parse(r.stdout)
        let dev = MountInfo.find(mounts, "/dev")
        XCTAssertEqual(dev?.fsType, "tmpfs")
        XCTAssert(dev?.options.contains("ro") ?? false, "/dev is not read-only: \(String(describing: dev))")
        for (point, type) in [("/dev/pts", "devpts"), ("/dev/shm", "tmpfs"), ("/dev/mqueue", "mqueue")] {
            XCTAssertEqual(MountInfo.find(mounts, point)?.fsType, type, "\(point) under the read-only /dev")
        }
    }

    /// A bind mount's `shared` (and `unbindable`) hold in the container as runc leaves them: the old
    /// root's recursive slave after pivot_root is made on the old root, not on the container's tree.
    func testBindPropagationSurvivesPivotRoot() {
        let source = hostDir("propagation")
        let r = runContainer(privateRootfs: true) { c in
            c.addBind(host: source, container: "/mnt/shared", options: ["bind", "shared"])
            c.addBind(host: source, container: "/mnt/unbindable", options: ["bind", "unbindable"])
            c.shell("cat /proc/self/mountinfo")
        }
        XCTAssertEqual(r.status, 0, describe(r))
        let mounts = MountInfo.parse(r.stdout)
        let shared = MountInfo.find(mounts, "/mnt/shared")
        XCTAssert(shared?.optional.contains { $0.hasPrefix("shared:") } ?? false, "not shared: \(String(describing: shared))")
        let unbindable = MountInfo.find(mounts, "/mnt/unbindable")
        XCTAssert(unbindable?.optional.contains("unbindable") ?? false, "not unbindable: \(String(describing: unbindable))")
    }

    /// `tmpcopyup` (podman adds it to every tmpfs mount): the tmpfs starts with a copy of what the
    /// rootfs has there (files with their bytes, owners and modes, directories, symlinks as symlinks,
    /// fifos, device nodes), which stays as it was; with `ro` the copy is read-only. Before: an empty
    /// tmpfs, without a word.
    func testTmpcopyupCopiesWhatTheTmpfsCovers() {
        let b = makeBundle(privateRootfs: true) { c in
            c.addMount("/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "nosuid", "mode=755"])
            c.addMount("/data2", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "ro"])
            c.shell("""
                cat /data/f /data/d/g; stat -c '%a %u:%g' /data/f; readlink /data/l; test -p /data/p && echo fifo
                test -c /data/null && echo null; cat /data2/x
                touch /data/new && echo writable; touch /data2/new 2>/dev/null || echo read-only
                grep -E ' /data2? ' /proc/self/mountinfo
                """)
        }
        let rootfs = b + "/rootfs"
        let made = Host.sh("""
            mkdir -p '\(rootfs)/data/d' '\(rootfs)/data2' && echo hello > '\(rootfs)/data/f' && echo g > '\(rootfs)/data/d/g'
            chown 1000:1001 '\(rootfs)/data/f' && chmod 644 '\(rootfs)/data/f' && ln -s /etc/shadow '\(rootfs)/data/l'
            mkfifo '\(rootfs)/data/p' && mknod '\(rootfs)/data/null' c 1 3 && echo two > '\(rootfs)/data2/x'
            """)
        XCTAssertEqual(made.status, 0, describe(made))
        let r = run(b)
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(9)), ["hello", "g", "644 1000:1001", "/etc/shadow", "fifo", "null", "two",
                                                "writable", "read-only"], describe(r))
        let mounts = MountInfo.parse(r.stdout)
        XCTAssertEqual(MountInfo.find(mounts, "/data")?.fsType, "tmpfs", describe(r))
        XCTAssert(MountInfo.find(mounts, "/data2")?.options.contains("ro") ?? false, describe(r))
        XCTAssertFalse(FileManager.default.fileExists(atPath: rootfs + "/data/new"), "the write reached the rootfs")
    }

    /// Kubernetes' Bidirectional mount propagation (`linux.rootfsPropagation` `rshared`, an
    /// `rshared` bind of a shared host mount), as runc: a mount the container makes under the bind
    /// appears on the host, and a host mount under the source appears in the container; the
    /// runtime's own mounts (the rootfs bind, proc, dev, sys, masked paths) never reach the host.
    func testBidirectionalPropagationReachesTheHostAndBack() {
        bidirectionalPropagation(noPivot: false)
    }

    /// The same with `--no-pivot` (the rootfs moved onto "/" and chrooted into), as runc: "/" was
    /// made a recursive slave before, and the container's mount did not reach the host.
    func testBidirectionalPropagationWithNoPivot() {
        bidirectionalPropagation(noPivot: true)
    }

    /// `--no-pivot` unmounts the host's proc and sysfs under the chroot. With "/" shared (`rshared`)
    /// in a caller whose mounts are shared (a systemd host: run here in `unshare -m --propagation
    /// shared`), that unmount is propagated from "/" to the caller's namespace: its /proc is gone.
    func testNoPivotWithSharedRootLeavesTheCallersProcAndSys() {
        let holder = hostDir("np-holder")
        let bundle = makeBundle { c in
            c.args = ["sleep", "1000"]
            c[path: "root.path"] = holder + "/rootfs"
            c[path: "linux.rootfsPropagation"] = "rshared"
        }
        let id = newID("np")
        defer {
            // runc's delete from here leaves that init running (its /proc was gone where it was made):
            // killed through its default cgroup.
            if !isSwiftlet {
                let procs = (try? String(contentsOfFile: "/sys/fs/cgroup/pids/\(id)/cgroup.procs", encoding: .utf8)) ?? ""
                for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = runtime(["delete", "--force", id], timeout: 15)
        }
        // The rootfs on a mount of its own, made in the caller's namespace (it goes with it).
        let script = scratch + "/np-caller.sh"
        let text = """
            mount -t tmpfs np '\(holder)' && cp -a '\(Env.sharedRootfs)' '\(holder)/rootfs' || exit 1
            '\(Env.runtime)' --root '\(stateRoot)' run -d --no-pivot --bundle '\(bundle)' '\(id)' </dev/null >/dev/null && echo started
            test -e /proc/self/mountinfo && echo proc-kept
            test -e /sys/kernel && echo sys-kept

            """
        XCTAssertTrue(FileManager.default.createFile(atPath: script, contents: Data(text.utf8)))
        let r = Host.exec("/usr/bin/unshare", ["-m", "--propagation", "shared", "/bin/sh", script])
        XCTAssertTrue(r.stdout.contains("started"), describe(r))
        knownDeviation(runtimes: ["runc"], reason: "the unmount of the host's /proc under the chroot propagates from the shared /") {
            XCTAssertTrue(r.stdout.contains("proc-kept"), "the caller's /proc was unmounted: \(describe(r))")
        }
        XCTAssertTrue(r.stdout.contains("sys-kept"), "the caller's /sys was unmounted: \(describe(r))")
    }

    func bidirectionalPropagation(noPivot: Bool) {
        let source = hostDir("bidirectional")
        XCTAssertEqual(Host.sh("mount -t tmpfs bidirectional '\(source)' && mount --make-shared '\(source)' && mkdir '\(source)/from-container' '\(source)/from-host'").status, 0)
        defer { Host.sh("umount -R -l '\(source)'") }
        // The rootfs on a shared mount as well: without its parent made private, the rootfs's bind
        // would be a peer of it and the runtime's proc, dev and sys would appear on the host.
        let holder = hostDir("rootfs-holder")
        XCTAssertEqual(Host.sh("mount -t tmpfs holder '\(holder)' && mount --make-shared '\(holder)' && cp -a '\(Env.sharedRootfs)' '\(holder)/rootfs' && mkdir -p '\(holder)/rootfs/mnt/bidirectional'").status, 0)
        defer { Host.sh("umount -R -l '\(holder)'") }
        let before = Set(hostMountinfo())
        let bundle = makeBundle { c in
            c.args = ["sleep", "1000"]
            c[path: "root.path"] = holder + "/rootfs"
            c[path: "linux.rootfsPropagation"] = "rshared"
            c.addBind(host: source, container: "/mnt/bidirectional", options: ["rbind", "rshared"])
            var caps = c[path: "process.capabilities.bounding"] as? [String] ?? []
            caps.append("CAP_SYS_ADMIN")
            for set in ["bounding", "effective", "permitted"] { c[path: "process.capabilities.\(set)"] = caps }
        }
        let id = newID("sleeper")
        defer { _ = runtime(["delete", "--force", id], timeout: 15) }
        let r = run(bundle, id: id, extra: ["--detach"] + (noPivot ? ["--no-pivot"] : []))
        XCTAssertEqual(r.status, 0, "run -d: \(describe(r))")
        XCTAssertEqual(waitForStatus(id, "running"), "running")
        // Nothing of the runtime's own reached the host: no mount under this test's paths is new.
        let whileRunning = hostMountinfo().filter { !before.contains($0) && $0.contains(token) }
        XCTAssertEqual(whileRunning, [], "mounts of the container on the host")

        let mounted = runtime(["exec", id, "mount", "-t", "tmpfs", "inside", "/mnt/bidirectional/from-container"])
        XCTAssertEqual(mounted.status, 0, describe(mounted))
        let onHost = MountInfo.find(MountInfo.parse(hostMountinfo().joined(separator: "\n")), source + "/from-container")
        XCTAssertEqual(onHost?.fsType, "tmpfs", "the container's mount is not on the host")

        XCTAssertEqual(Host.sh("mount -t tmpfs outside '\(source)/from-host'").status, 0)
        let inside = runtime(["exec", id, "cat", "/proc/self/mountinfo"])
        XCTAssertEqual(inside.status, 0, describe(inside))
        XCTAssertEqual(MountInfo.find(MountInfo.parse(inside.stdout), "/mnt/bidirectional/from-host")?.fsType, "tmpfs",
                       "the host's mount is not in the container: \(inside.stdout)")

        // Exactly the two mounts made under the shared source are new on the host.
        let added = hostMountinfo().filter { !before.contains($0) && $0.contains(token) }
        let points = added.compactMap { MountInfo.parse($0).first?.mountPoint }.sorted()
        XCTAssertEqual(points, [source + "/from-container", source + "/from-host"], added.joined(separator: "\n"))
    }

    /// The same read-only /dev in a container joining another's pid namespace: the root is built
    /// outside that namespace and handed to the container process, the /dev mount with it, which
    /// the container process makes read-only last.
    func testReadOnlyDevTmpfsInJoinedPIDNamespace() {
        let sleeper = makeBundle { c in c.args = ["sleep", "1000"] }
        let pod = newID("pod")
        XCTAssertEqual(run(sleeper, id: pod, extra: ["--detach"]).status, 0)
        guard let pid = state(pod)?["pid"] as? Int else { return XCTFail("no pid for \(pod)") }
        let r = runContainer { c in
            var mounts = c.mounts
            for i in mounts.indices where mounts[i]["destination"] as? String == "/dev" {
                mounts[i]["options"] = ["ro", "nosuid", "strictatime", "mode=755", "size=65536k"]
            }
            c.mounts = mounts
            c.removeNamespace("pid")
            c.addNamespace("pid", path: "/proc/\(pid)/ns/pid")
            c.shell("""
                test -c /dev/null && test -L /dev/fd && echo nodes-ok
                touch /dev/new 2>/dev/null && echo DEV-WRITABLE
                ps -o comm | grep -cx sleep
                cat /proc/self/mountinfo
                """)
        }
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssert(r.stdout.contains("nodes-ok"), describe(r))
        XCTAssertFalse(r.stdout.contains("DEV-WRITABLE"), "a file could be made in the read-only /dev")
        XCTAssertEqual(r.stdout.split(separator: "\n").dropFirst().first, "1", "not in the pod's pid namespace: \(describe(r))")
        let dev = MountInfo.find(MountInfo.parse(r.stdout), "/dev")
        XCTAssert(dev?.options.contains("ro") ?? false, "/dev is not read-only: \(String(describing: dev))")
        _ = runtime(["delete", "--force", pod])
    }

    // MARK: item 4a: bind sources are opened as the host sees them

    func userNamespace(_ c: inout Config) {
        c.addNamespace("user")
        c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
    }

    /// A directory and a file under a 0700 directory of host root, bound into a container whose
    /// root is uid 100000 on the host: the runtime (host root) can reach them, the container's
    /// root could not; the binds work (as with runc).
    func testBindSourceUnderPrivateHostDirectoryWithUserNamespace() {
        let priv = hostDir("private")
        XCTAssertEqual(Host.sh("""
            chmod 0700 '\(priv)' && mkdir '\(priv)/dir' && echo in-dir > '\(priv)/dir/f' && echo a-file > '\(priv)/file'
            chmod 0755 '\(priv)/dir' && chmod 0644 '\(priv)/dir/f' '\(priv)/file'
            """).status, 0)
        let r = runContainer { c in
            userNamespace(&c)
            // Existing destinations: the container's root may not create any in the shared rootfs.
            c.addBind(host: priv + "/dir", container: "/mnt", options: ["rbind", "ro"])
            c.addBind(host: priv + "/file", container: "/etc/hostname", options: ["bind", "ro"])
            c.shell("cat /mnt/f /etc/hostname")
        }
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertEqual(r.stdout, "in-dir\na-file\n", describe(r))
    }

    /// A bind source that cannot be opened is reported with its real errno and its path.
    func testBindSourceErrorHasTheRealErrno() {
        let id = newID("badsrc")
        let bundle = makeBundle { c in c.addBind(host: "/etc/passwd/sub", container: "/mnt/x", options: ["bind"]) }
        let r = runtime(["run", "--bundle", bundle, id])
        XCTAssertNotEqual(r.status, 0)
        if isSwiftlet {
            XCTAssert(r.stderr.contains("/etc/passwd/sub") && r.stderr.contains("Not a directory"),
                      "the error should name the source and ENOTDIR: \(r.stderr)")
            XCTAssert(r.stderr.contains("mounts["), "the error should name the field: \(r.stderr)")
        }
        assertNothingLeftBehind(id, "failed create")
    }

    // MARK: item 4c: no mount namespace

    /// Without a mount namespace in `linux.namespaces` the container inherits the runtime's (the
    /// spec's MUST; swiftlet refused such a config). Its mounts are made there, under the rootfs,
    /// the process (and an exec'd one) is chrooted into the rootfs, and `delete` leaves no mount
    /// behind (runc does).
    func testNoMountNamespaceInheritsTheRuntimes() {
        let bundle = makeBundle(privateRootfs: true) { c in
            c.removeNamespace("mount")
            // As with runc, masked and read-only paths need a mount namespace of the container's own.
            c[path: "linux.maskedPaths"] = nil
            c[path: "linux.readonlyPaths"] = nil
            c.args = ["sleep", "30"]
        }
        let rootfs = bundle + "/rootfs"
        XCTAssertEqual(Host.sh("touch '\(rootfs)/marker-of-the-rootfs'").status, 0)
        func mountsUnderRootfs() -> [String] {
            MountInfo.parse(hostMountinfo().joined(separator: "\n")).map(\.mountPoint)
                .filter { $0 == rootfs || $0.hasPrefix(rootfs + "/") }
        }
        let id = newID("nomnt")
        let created = runtime(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.status, 0, describe(created))
        guard created.status == 0 else { return }
        let ownNS = "makes a mount namespace anyway"
        assertOrDeviation(mountsUnderRootfs().contains(rootfs + "/proc"), runtimes: ["crun"], reason: ownNS,
                          "the container's /proc is not in the runtime's mount namespace")
        XCTAssertEqual(runtime(["start", id]).status, 0)
        let hostNS = Host.sh("readlink /proc/self/ns/mnt").stdout
        let e = runtime(["exec", id, "sh", "-c", "readlink /proc/self/ns/mnt; ls /marker-of-the-rootfs; ls /proc/1/ns >/dev/null && echo proc-ok"])
        XCTAssertEqual(e.status, 0, describe(e))
        assertOrDeviation(e.stdout.hasPrefix(hostNS), runtimes: ["crun"], reason: ownNS,
                          "exec'd process not in the runtime's mount namespace: \(e.stdout) vs \(hostNS)")
        assertOrDeviation(e.stdout.contains("/marker-of-the-rootfs") && e.stdout.contains("proc-ok"), runtimes: ["runc", "crun"],
                          reason: "exec does not enter the container's root", "exec'd process not in the rootfs: \(describe(e))")
        let rootOfInit = Host.sh("readlink /proc/$(\(Env.runtime) --root \(stateRoot) state \(id) | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p')/root").stdout
        XCTAssertEqual(rootOfInit, rootfs + "\n", "the container process is not chrooted into the rootfs")
        XCTAssertEqual(runtime(["kill", id, "KILL"]).status, 0)
        _ = waitForStatus(id, "stopped")
        let d = runtime(["delete", id])
        XCTAssertEqual(d.status, 0, describe(d))
        let left = mountsUnderRootfs()
        assertOrDeviation(left.isEmpty, runtimes: ["runc", "crun"], reason: "leaves the container's mounts in its mount namespace",
                          "mounts left in the runtime's mount namespace after delete: \(left)")
        if !left.isEmpty { Host.sh("umount -l '\(rootfs)'") }

        // A create that fails after the mounts were made takes them away too.
        let failing = makeBundle(privateRootfs: true) { c in
            c.removeNamespace("mount")
            c[path: "linux.maskedPaths"] = nil
            c[path: "linux.readonlyPaths"] = nil
            c.args = ["/no/such/program"]
        }
        let failID = newID("nomntfail")
        XCTAssertNotEqual(runtime(["create", "--bundle", failing, failID]).status, 0)
        let leftByFailure = MountInfo.parse(hostMountinfo().joined(separator: "\n")).map(\.mountPoint)
            .filter { $0.hasPrefix(failing + "/rootfs") }
        assertOrDeviation(leftByFailure.isEmpty, runtimes: ["runc", "crun"], reason: "leaves the container's mounts in its mount namespace",
                          "mounts left in the runtime's mount namespace after a failed create: \(leftByFailure)")
        if !leftByFailure.isEmpty { Host.sh("umount -l '\(failing)/rootfs'") }

        // A create killed once the rootfs is built (no state.json yet): `delete --force` takes them.
        guard isSwiftlet else { return print("NOTE: \(runtimeName) has no fault injection (SWIFTLET_FAULT)") }
        let killed = makeBundle(privateRootfs: true) { c in
            c.removeNamespace("mount")
            c[path: "linux.maskedPaths"] = nil
            c[path: "linux.readonlyPaths"] = nil
            c.args = ["sleep", "30"]
        }
        let killedID = newID("nomntkill")
        let k = Host.exec("/usr/bin/env", ["SWIFTLET_FAULT=create.rootfs", Env.runtime, "--root", stateRoot,
                                           "create", "--bundle", killed, killedID], timeout: 30)
        XCTAssertEqual(k.status, 137, describe(k))
        XCTAssertEqual(runtime(["delete", "--force", killedID]).status, 0)
        let leftByKill = MountInfo.parse(hostMountinfo().joined(separator: "\n")).map(\.mountPoint)
            .filter { $0.hasPrefix(killed + "/rootfs") }
        XCTAssert(leftByKill.isEmpty, "mounts left after delete --force of a killed create: \(leftByKill)")
        if !leftByKill.isEmpty { Host.sh("umount -l '\(killed)/rootfs'") }
    }
}
