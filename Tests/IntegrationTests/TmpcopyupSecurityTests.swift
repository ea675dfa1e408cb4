import Foundation
import XCTest

/// `tmpcopyup` attacked through the directory it copies (a hostile image or bundle): the tmpfs must
/// give the container nothing the covered directory did not. The copy is made by the runtime, as
/// root of the host or of the container's user namespace, onto a fresh tmpfs with none of the
/// covered mount's flags, so each thing the copy may carry over is tried for real.
final class TmpcopyupSecurityTests: IntegrationTestCase {
    static let helperDir = "/tmp/swiftlet-it-tmpcopyup"

    /// The static `escape` helper (Fixtures/escape.c): `escape status` prints the Uid line, which
    /// tells whether a set-user-ID copy of it ran with another effective uid.
    static let buildError: String? = CFixture.build("escape.c", to: helperDir + "/escape")

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    /// A set-user-ID root program in the rootfs's `/data`, run by the container's uid 1000 from the
    /// tmpfs copy, and the copy's owner and mode; `configure` adds what the test is about.
    func runSetuidFromCopy(prepare: (String) -> String = { _ in "true" }, configure: (inout Config) -> Void, script: String = "") -> (ProcResult, String) {
        let b = makeBundle(privateRootfs: true) { c in
            c.addMount("/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"])
            c[path: "process.user"] = ["uid": 1000, "gid": 1000]
            c[path: "process.noNewPrivileges"] = false
            configure(&c)
            c.shell("/data/escape-suid status; stat -c 'mode %u %a' /data/escape-suid; " + script)
        }
        let data = b + "/rootfs/data"
        let made = Host.sh("""
            mkdir -p '\(data)' && \(prepare(data))
            cp '\(Self.helperDir)/escape' '\(data)/escape-suid' && chown 0:0 '\(data)/escape-suid' && chmod 4755 '\(data)/escape-suid'
            """)
        XCTAssertEqual(made.status, 0, describe(made))
        return (run(b), data)
    }

    /// A file owned by a host uid the container's user namespace does not map (here the host's
    /// root), set-user-ID: in the rootfs it runs as the caller (the kernel ignores set-user-ID of an
    /// owner the namespace cannot name). The copy is made in the namespace, where stat gives that
    /// owner as the overflow uid 65534, which the namespace maps (its nobody): chown gave the copy
    /// that owner and its set-user-ID bit ran as it. Before: `Uid: 1000 65534 65534 65534`,
    /// `mode 65534 4755` (the container's uid 1000 became its nobody, the owner of the copy).
    func testSetuidOfAnUnmappedOwnerIsNotGivenToTheNamespacesNobody() {
        let (r, _) = runSetuidFromCopy { c in
            c.addNamespace("user")
            c[path: "linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            c[path: "linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        }
        XCTAssertEqual(r.status, 0, describe(r))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        knownDeviation(runtimes: ["runc", "crun"], reason: "the copy keeps set-user-ID: uid 1000 runs it as the namespace's 65534") {
            XCTAssertEqual(lines.filter { $0.hasPrefix("Uid:") }, ["Uid:\t1000\t1000\t1000\t1000"],
                           "the copy ran set-user-ID to another uid of the container: \(describe(r))")
            XCTAssertEqual(lines.filter { $0.hasPrefix("mode ") }, ["mode 65534 755"], describe(r))
        }
    }

    /// The covered directory a `nosuid,nodev` mount (what a FUSE or user-mounted image under the
    /// rootfs always is) holding a set-user-ID root program and a device node: on that mount the
    /// program runs as the caller and the node cannot be opened. The copy on the fresh tmpfs must
    /// keep both denied (set-user-ID dropped, the node left out). Before: the container's uid 1000
    /// ran the copy as root and opened the node.
    func testNosuidAndNodevOfTheCoveredMountHold() {
        let (r, data) = runSetuidFromCopy(prepare: { data in
            "mount -t tmpfs -o nosuid,nodev,mode=755 covered '\(data)' && mknod -m 666 '\(data)/null' c 1 3"
        }, configure: { _ in }, script: "test -c /data/null && echo node-present; cat /data/null 2>/dev/null && echo node-opened; true")
        defer { Host.sh("umount '\(data)'") }
        // runc fails the create on the device node (lchown of a path it did not make); crun copies
        // both as they are.
        knownDeviation(runtimes: ["runc", "crun"], reason: "runc: create fails on the node; crun: set-user-ID root and the node work") {
            XCTAssertEqual(r.status, 0, describe(r))
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.filter { $0.hasPrefix("Uid:") }, ["Uid:\t1000\t1000\t1000\t1000"],
                           "the copy ran set-user-ID root: \(describe(r))")
            XCTAssertEqual(lines.filter { $0.hasPrefix("mode ") }, ["mode 0 755"], describe(r))
            XCTAssertFalse(lines.contains("node-opened"), "the copied device node opened: \(describe(r))")
            XCTAssertFalse(lines.contains("node-present"), describe(r))
        }
    }

    /// Runs `script` in a container whose /data is a 16 MiB tmpfs with tmpcopyup over the rootfs's
    /// /data, which `fill` (a host shell script given that directory's path) fills first.
    func runOverSmallTmpcopyup(script: String, fill: (String) -> String, file: StaticString = #filePath, line: UInt = #line) -> ProcResult {
        let b = makeBundle(privateRootfs: true) { c in
            c.addMount("/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "size=16m"])
            c.shell(script)
        }
        let made = Host.sh(fill(b + "/rootfs/data"))
        XCTAssertEqual(made.status, 0, describe(made), file: file, line: line)
        return run(b)
    }

    /// A sparse file in the covered directory (2 GiB long, 8 bytes of data, a few blocks on disk)
    /// under a tmpfs of 16 MiB: the copy keeps its holes (SEEK_DATA/SEEK_HOLE), so the container
    /// starts with the whole file and the tmpfs holds only its data. Before: the copy wrote the
    /// zeros, and the create failed with ENOSPC (without the size option, each such file could
    /// take up to half of the host's memory per tmpfs).
    func testSparseFileStaysSparse() {
        let r = runOverSmallTmpcopyup(script: "stat -c 'size %s' /data/sparse; head -c 4 /data/sparse; echo; tail -c 4 /data/sparse; echo; df -k /data | tail -n 1",
                                      fill: { data in """
            mkdir -p '\(data)' && printf head > '\(data)/sparse' && truncate -s 2G '\(data)/sparse' \
              && printf tail | dd of='\(data)/sparse' bs=1 seek=$((2*1024*1024*1024 - 4)) conv=notrunc status=none
            """ })
        knownDeviation(runtimes: ["runc", "crun"], reason: "the copy writes the zeros: ENOSPC") {
            XCTAssertEqual(r.status, 0, describe(r))
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(Array(lines.prefix(3)), ["size 2147483648", "head", "tail"], describe(r))
            // df's "Used" column: a few KiB for the file's two data pages.
            let used = lines.last.map { $0.split(separator: " ").map(String.init) }.flatMap { $0.count > 2 ? Int($0[2]) : nil }
            XCTAssertNotNil(used, describe(r))
            XCTAssertLessThan(used ?? .max, 1024, "the tmpfs holds the file's zeros: \(describe(r))")
        }
    }

    /// A file of 1 MiB with 64 names in the covered directory (a few in a subdirectory) under a
    /// tmpfs of 16 MiB: the copy links the names again (one inode, the data once). Before: each
    /// name got a copy of its own, and the create failed with ENOSPC (without the size option, an
    /// image of one file linked a thousand times took a thousand times its size of host memory).
    func testHardLinksStayLinks() {
        let r = runOverSmallTmpcopyup(script: "stat -c '%h %s %i' /data/f0 /data/d/f63 | uniq -c | sed 's/^ *//'; df -k /data | tail -n 1",
                                      fill: { data in """
            mkdir -p '\(data)/d' && head -c 1048576 /dev/urandom > '\(data)/f0' \
              && for i in $(seq 1 63); do if [ $i -gt 60 ]; then ln '\(data)/f0' '\(data)/d/f'$i; else ln '\(data)/f0' '\(data)/f'$i; fi; done
            """ })
        knownDeviation(runtimes: ["runc", "crun"], reason: "each name copied: ENOSPC") {
            XCTAssertEqual(r.status, 0, describe(r))
            let lines = r.stdout.split(separator: "\n").map(String.init)
            // One line from uniq: both names have 64 links, the size, the same inode.
            XCTAssertEqual(lines.count, 2, describe(r))
            XCTAssert(lines.first?.hasPrefix("2 64 1048576 ") ?? false, describe(r))
            let used = lines.last.map { $0.split(separator: " ").map(String.init) }.flatMap { $0.count > 2 ? Int($0[2]) : nil }
            XCTAssertLessThan(used ?? .max, 2048, "the tmpfs holds more than one copy: \(describe(r))")
        }
    }
}
