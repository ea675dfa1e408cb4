import Foundation
import XCTest

/// Attacks on the mount setup: a host process racing the runtime while it mounts, flags that a
/// fallback would drop, and a `--no-pivot` container reaching the host's procfs.
/// (conformance/SECURITY.md has the results of runc and crun.)
final class MountSecurityTests: IntegrationTestCase {
    static let helperDir = "/tmp/swiftlet-it-mountsec"

    /// Builds the `swap` racer (Fixtures/swap.c) once per test process.
    static let buildError = CFixture.build("swap.c", to: helperDir + "/swap", linkStatic: false)

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    /// The per-mount options of the mount at `point` in the container's mountinfo text.
    func options(_ mountinfo: String, _ point: String) -> [String] {
        MountInfo.find(MountInfo.parse(mountinfo), point)?.options ?? []
    }

    // MARK: item 1: flags of a bind mount under a racing host process

    /// A host process exchanges the bind destination (a directory of the rootfs) with a symlink,
    /// over and over, while containers with a read-only bind of a host directory are created, 100
    /// times: half with `ro` and a symlink to "/" of the rootfs, half with `ro,nosuid,noexec,nodev`
    /// and a symlink to the container's /proc (a remount of the flags by path lands on that mount
    /// instead, and the bind stays writable). In every container that starts, the bind (found by
    /// its source in mountinfo: the racer keeps renaming its mount point while the container runs)
    /// must have its flags, and nothing may be written into the host directory through it.
    func testReadOnlyBindUnderRenameExchangeRace() {
        let source = hostDir("bind-source")
        XCTAssertEqual(Host.sh("echo data > '\(source)/file'").status, 0)
        var started = 0, failures: [String] = [], errors: [String] = []
        for (flags, link) in [(["ro"], "/"), (["ro", "nosuid", "noexec", "nodev"], "/proc")] {
            let bundle = makeBundle(privateRootfs: true) { c in
                c.addBind(host: source, container: "/mnt/race/dest", options: ["bind"] + flags)
                c.shell("touch /mnt/race/dest/probe /mnt/race/link/probe 2>/dev/null; cat /proc/self/mountinfo")
            }
            let rootfs = bundle + "/rootfs"
            XCTAssertEqual(Host.sh("mkdir -p '\(rootfs)/mnt/race/dest' && ln -s \(link) '\(rootfs)/mnt/race/link'").status, 0)
            let racer = Host.spawn(Self.helperDir + "/swap", [rootfs + "/mnt/race/dest", rootfs + "/mnt/race/link", "120"])
            defer {
                kill(racer.pid, SIGKILL)
                _ = racer.wait()
            }
            for i in 0..<50 {
                let r = run(bundle, id: newID("race"))
                if r.status != 0 {
                    if errors.count < 3 { errors.append(r.stderr) }
                    continue
                }
                started += 1
                let binds = MountInfo.parse(r.stdout).filter { $0.root == source }
                if binds.isEmpty { failures.append("\(flags) run \(i): the bind of \(source) is not mounted") }
                for m in binds {
                    let missing = flags.filter { !m.options.contains($0) }
                    if !missing.isEmpty {
                        failures.append("\(flags) run \(i): bind on \(m.mountPoint) without \(missing): \(m.options)")
                    }
                }
            }
        }
        print("NOTE: \(started) of 100 containers started under the race; some errors: \(errors)")
        let reason = "remounts the bind's flags through the destination's path: a racing rename leaves the bind writable"
        assertOrDeviation(failures.isEmpty, runtimes: ["runc", "crun"], reason: reason,
                          "\(failures.count) of \(started) started containers had a bind without its flags:\n"
                          + failures.prefix(5).joined(separator: "\n"))
        let left = Host.sh("ls -A '\(source)'").stdout
        assertOrDeviation(left == "file\n", runtimes: ["runc", "crun"], reason: reason,
                          "a container wrote into the host directory: \(left)")
        XCTAssertGreaterThan(started, 0, "no container started at all under the race")
    }

    // MARK: item 2: sysfs bound from the host keeps the flags asked for

    /// A user namespace without a network namespace cannot mount sysfs: the runtime binds the
    /// host's /sys instead, and that bind (and the mounts under it) must be ro,nosuid,nodev,noexec
    /// as the sysfs mount asked.
    func testSysfsFallbackKeepsFlags() {
        let r = runContainer { c in
            c.addNamespace("user")
            c.removeNamespace("network")
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c.args = ["cat", "/proc/self/mountinfo"]
        }
        if r.status != 0 && isKnownDeviation(["runc"]) {
            print("NOTE: known deviation of \(runtimeName): no sysfs fallback, the container fails: \(r.stderr)")
            return
        }
        XCTAssertEqual(r.status, 0, describe(r))
        let mounts = MountInfo.parse(r.stdout)
        // The masked paths under /sys (an empty read-only tmpfs each) are not part of the bind.
        let masked = Set(defaultConfig()[path: "linux.maskedPaths"] as? [String] ?? [])
        let sys = mounts.filter { ($0.mountPoint == "/sys" || $0.mountPoint.hasPrefix("/sys/")) && !masked.contains($0.mountPoint) }
        XCTAssertFalse(sys.isEmpty, "no /sys in the container:\n\(r.stdout)")
        for m in sys {
            for o in ["ro", "nosuid", "nodev", "noexec"] {
                assertOrDeviation(m.options.contains(o), runtimes: ["crun"], reason: "binds the host's /sys without the flags",
                                  "\(m.mountPoint) (\(m.fsType)) is not \(o): \(m.options)")
            }
        }
    }

    // MARK: item 3: --no-pivot and the host's procfs

    /// With `--no-pivot` the old root stays in the container's mount namespace under the chroot. If
    /// the host's /proc is still mounted there, a process in the container can make a user, mount
    /// and pid namespace and mount a fresh, fully visible procfs (the kernel allows it while some
    /// proc mount in the namespace is fully visible). runc unmounts (or covers) the host's proc and
    /// sysfs mounts before moving the rootfs; so must we. Tried with and without CAP_SYS_ADMIN.
    func testNoPivotCannotMountFreshProc() {
        for withSysAdmin in [true, false] {
            let bundle = makeBundle { c in
                if withSysAdmin {
                    // CAP_SETFCAP: without it the kernel refuses a user namespace map of uid 0 to 0.
                    let caps = ["CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP", "CAP_SYS_CHROOT"]
                    for set in ["bounding", "effective", "permitted"] { c[path: "process.capabilities.\(set)"] = caps }
                    c[path: "process.capabilities.ambient"] = nil
                } else {
                    // No capability at all: `unshare -r` maps the user's own uid, which needs none.
                    c[path: "process.user"] = ["uid": 1000, "gid": 1000]
                }
                c.shell("unshare -mrpf sh -c 'echo in-userns; mount -t proc proc /mnt && echo MOUNTED'; echo done")
            }
            let r = run(bundle, extra: ["--no-pivot"])
            XCTAssertEqual(r.status, 0, "CAP_SYS_ADMIN \(withSysAdmin): \(describe(r))")
            // The attack itself must have run (the namespaces made), or the test proves nothing.
            XCTAssert(r.stdout.contains("in-userns") && r.stdout.contains("done"),
                      "CAP_SYS_ADMIN \(withSysAdmin): \(describe(r))")
            XCTAssertFalse(r.stdout.contains("MOUNTED"),
                           "CAP_SYS_ADMIN \(withSysAdmin): a fresh procfs was mounted in a --no-pivot container")
        }
    }

    // MARK: flags of a host read-only mount, bound into a user namespace

    /// A bind (plain, and ID-mapped with `idmap`) of a host mount that is read-only, into a
    /// container with its own user namespace whose root holds CAP_SYS_ADMIN there: the container
    /// may not make it writable (the kernel locks the flags of mounts copied into a less privileged
    /// mount namespace; a tree cloned on the host and attached directly carried no such lock).
    func testHostReadOnlyMountStaysReadOnlyInUserNamespace() {
        let ro = hostDir("ro-source")
        XCTAssertEqual(Host.sh("echo data > '\(ro)/f' && mount --bind '\(ro)' '\(ro)' && mount -o remount,bind,ro '\(ro)'").status, 0)
        defer { Host.sh("umount -l '\(ro)'") }
        for options in [["rbind"], ["rbind", "idmap"]] {
            let r = runContainer { c in
                c.addNamespace("user")
                c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
                c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
                let caps = ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE"]
                for set in ["bounding", "effective", "permitted"] { c[path: "process.capabilities.\(set)"] = caps }
                c[path: "process.capabilities.ambient"] = nil
                c.addBind(host: ro, container: "/mnt", options: options)
                c.shell("""
                    mount -t tmpfs tmpfs /tmp && echo can-mount
                    mount -o remount,bind,rw /mnt 2>/dev/null && echo REMOUNTED
                    echo x > /mnt/new 2>/dev/null && echo WROTE
                    echo done
                    """)
            }
            if r.status != 0 && options.contains("idmap") && isKnownDeviation(["runc", "crun"]) {
                print("NOTE: \(runtimeName) does not support idmap here: \(r.stderr)")
                continue
            }
            XCTAssertEqual(r.status, 0, "\(options): \(describe(r))")
            // CAP_SYS_ADMIN in its user namespace works (so a refusal below is the lock's).
            XCTAssert(r.stdout.contains("can-mount") && r.stdout.contains("done"), "\(options): \(describe(r))")
            let reason = "the flags of a host read-only mount are not locked in the container's user namespace"
            assertOrDeviation(!r.stdout.contains("REMOUNTED"), runtimes: ["crun"], reason: reason,
                              "\(options): the container cleared the host's read-only flag")
            assertOrDeviation(!r.stdout.contains("WROTE"), runtimes: ["crun"], reason: reason,
                              "\(options): the container wrote into a read-only host mount")
            assertOrDeviation(!FileManager.default.fileExists(atPath: ro + "/new"), runtimes: ["crun"], reason: reason,
                              "\(options): the host directory changed")
            Host.sh("rm -f '\(ro)/new' 2>/dev/null; mount -o remount,bind,ro '\(ro)'")
        }
    }
}
