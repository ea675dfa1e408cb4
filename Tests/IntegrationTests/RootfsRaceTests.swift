import Foundation
import XCTest

/// A host process racing `create` on the bundle's rootfs itself: whoever may rename in the bundle
/// directory (its owner) exchanges `rootfs` with another directory while the runtime builds the
/// container's root.
final class RootfsRaceTests: IntegrationTestCase {
    static let helperDir = "/tmp/swiftlet-it-rootfsrace"

    /// Builds the `swap` racer (Fixtures/swap.c) and `fail-syscalls` once per test process.
    static let buildError = CFixture.build("swap.c", to: helperDir + "/swap", linkStatic: false)
        ?? CFixture.build("fail-syscalls.c", to: helperDir + "/fail-syscalls")

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = Self.buildError { throw SetupError(message: e) }
    }

    /// `rootfs` and a second copy exchanged with renameat2(RENAME_EXCHANGE) over and over while 150
    /// containers run. Every container that starts must have the root the runtime built: /proc
    /// mounted (and with it the masked and read-only paths), /dev a tmpfs. Either copy may be the
    /// one it got (root.path names whichever is there when it is opened). Before: root.path was
    /// resolved again at each step, so the bind was made of one directory, the mounts in another
    /// and pivot_root entered the bind, which had none of them: 10 of 150 containers ran without
    /// /proc and /dev (70 failed in pivot_root, EBUSY).
    func testRootfsExchangedDuringCreateKeepsTheBuiltRoot() {
        checkRootfsExchange(underFilterDenying: nil)
    }

    /// The same where open_tree is refused (EPERM from a seccomp filter, as an outer container's
    /// may do): the bind is made with mount(2) from and onto the directory's fd, and its root,
    /// opened by root.path, must be that directory on another mount, or the create is refused.
    /// (Without masked and read-only paths, which need open_tree.)
    func testRootfsExchangedDuringCreateWithoutOpenTree() {
        checkRootfsExchange(underFilterDenying: "open_tree")
    }

    /// The same where open_tree is allowed and move_mount refused (a filter may know one and not
    /// the other): the detached copy cannot be attached, and the bind falls back to mount(2) as
    /// above, with the same check. Before: every create failed ("move_mount ... Operation not
    /// permitted").
    func testRootfsExchangedDuringCreateWithoutMoveMount() {
        checkRootfsExchange(underFilterDenying: "move_mount")
    }

    /// `deniedSyscall`: failed with EPERM by a seccomp filter the runtime runs under.
    func checkRootfsExchange(underFilterDenying deniedSyscall: String?, file: StaticString = #filePath, line: UInt = #line) {
        let bundle = makeBundle(privateRootfs: true) { c in
            if deniedSyscall != nil {
                // Masked and read-only paths are bound with open_tree and move_mount after pivot_root: none here.
                c[path: "linux.maskedPaths"] = [String]()
                c[path: "linux.readonlyPaths"] = [String]()
            }
            c.shell("test -f /proc/self/mountinfo && echo proc-mounted; grep -q ' /dev tmpfs ' /proc/mounts && echo dev-mounted; cat /MARK")
        }
        let made = Host.sh("""
            cp -a '\(bundle)/rootfs' '\(bundle)/other' && echo first > '\(bundle)/rootfs/MARK' && echo second > '\(bundle)/other/MARK'
            """)
        XCTAssertEqual(made.status, 0, describe(made))
        let racer = Host.spawn(Self.helperDir + "/swap", [bundle + "/rootfs", bundle + "/other", "300"])
        defer {
            kill(racer.pid, SIGKILL)
            _ = racer.wait()
        }
        var started = 0, failures: [String] = [], errors: [String] = []
        for i in 0..<150 {
            let id = newID("swap")
            let r = deniedSyscall.map {
                Host.exec(Self.helperDir + "/fail-syscalls", [$0, "\(EPERM)", Env.runtime, "--root", stateRoot,
                                                              "run", "--bundle", bundle, id], timeout: 30)
            } ?? run(bundle, id: id)
            if r.status != 0 {
                if errors.count < 3 { errors.append(r.stderr) }
                continue
            }
            started += 1
            let lines = r.stdout.split(separator: "\n").map(String.init)
            if lines != ["proc-mounted", "dev-mounted", "first"] && lines != ["proc-mounted", "dev-mounted", "second"] {
                failures.append("run \(i): \(lines)")
            }
        }
        print("NOTE: \(started) of 150 containers started under the race; some errors: \(errors)")
        assertOrDeviation(failures.isEmpty, runtimes: ["runc", "crun"], reason: "root.path resolved at each step",
                          "\(failures.count) of \(started) started containers ran without the root built for them:\n"
                          + failures.prefix(5).joined(separator: "\n"), file: file, line: line)
        XCTAssertGreaterThan(started, 0, "no container started at all under the race", file: file, line: line)
    }
}
