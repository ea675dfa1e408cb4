import Foundation
import XCTest

/// The session keyring of the container's processes: the one named after the container (`_ses.<id>`),
/// made by init and joined by every `exec`, unless the container was created with `--no-new-keyring`,
/// when init and every `exec` keep the caller's (runc keeps the flag in its state for `exec`).
/// The serial is read with `sysc keyctl 0 -3 0` (KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING,
/// without making one).
final class KeyringTests: IntegrationTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        if let e = SeccompFixtures.buildError { throw SetupError(message: e) }
    }

    static let sessionKeyringArgs = ["keyctl", "0", "-3", "0"]

    /// The session keyring serial of a process the test starts on the host: the caller's.
    func callersSessionKeyring() -> String {
        let r = Host.exec(SeccompFixtures.helperDir + "/sysc", Self.sessionKeyringArgs)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.hasPrefix("ok "), describe(r))
        return r.stdout
    }

    func execSessionKeyring(_ id: String) -> String {
        let r = runtime(["exec", id, "/mnt/sysc"] + Self.sessionKeyringArgs)
        XCTAssertEqual(r.status, 0, describe(r))
        XCTAssertTrue(r.stdout.hasPrefix("ok "), describe(r))
        return r.stdout
    }

    /// What init wrote to `<shared>/init` (a whole line), once it is there.
    func initsSessionKeyring(_ shared: String) -> String {
        _ = poll(until: true, timeout: 5) { readFileBytes(shared + "/init").hasSuffix("\n") }
        return readFileBytes(shared + "/init")
    }

    /// init (it writes its serial to a file the test reads) and each exec'd process are in one
    /// session keyring, the container's, not the caller's.
    func testInitAndExecJoinTheContainersKeyring() {
        let shared = hostDir("keyring")
        let b = makeBundle(sharing: shared, program: "/mnt/sysc keyctl 0 -3 0 > \(shared)/init; exec sleep 1000") { c in
            c.addHelpers()
        }
        let id = newID("keyring")
        XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
        let initKeyring = initsSessionKeyring(shared)
        let first = execSessionKeyring(id), second = execSessionKeyring(id)
        XCTAssertNotEqual(initKeyring, callersSessionKeyring(), "init's keyring is not the caller's")
        // (Before the init made it searchable, every exec made a keyring of that name of its own.)
        assertOrDeviation(first == initKeyring && second == first, runtimes: ["crun"],
                          reason: "crun's exec keeps the caller's session keyring",
                          "exec and init in one keyring: init \(initKeyring), execs \(first), \(second)")
    }

    /// Another container of the same uid (both without a user namespace of their own: one list of
    /// keyring names) can neither join this container's keyring by runc's name for it nor link it
    /// into its own keyring by its serial, which with the owner's search bit would make it possess
    /// every key in it: the name has a random part, and the owner's uid may search, nothing more.
    func testAnotherContainerCannotTakeTheKeyring() {
        var ids: [String] = []
        for name in ["victim", "other"] {
            let b = makeBundle { c in
                c.args = ["sleep", "1000"]
                c.addHelpers()
            }
            let id = newID(name)
            XCTAssertEqual(run(b, id: id, extra: ["--detach"]).status, 0)
            ids.append(id)
        }
        let (victim, other) = (ids[0], ids[1])
        let victimKeyring = execSessionKeyring(victim)
        let serial = victimKeyring.dropFirst("ok ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        let joined = runtime(["exec", other, "/mnt/sysc", "keyctl", "1" /* KEYCTL_JOIN_SESSION_KEYRING */,
                              "s:_ses." + victim])
        XCTAssertEqual(joined.status, 0, describe(joined))
        XCTAssertTrue(joined.stdout.hasPrefix("ok "), describe(joined))
        XCTAssertNotEqual(joined.stdout, victimKeyring, "another container joined the victim's keyring by name")
        let linked = runtime(["exec", other, "/mnt/sysc", "keyctl", "8" /* KEYCTL_LINK */, serial, "-3"])
        XCTAssertEqual(linked.stdout, "errno \(EACCES)\n", "another container linked the victim's keyring: \(describe(linked))")
        // The victim's own processes still share it.
        XCTAssertEqual(execSessionKeyring(victim), victimKeyring)
    }

    /// `--no-new-keyring` at create: init and every exec'd process keep the caller's session keyring.
    func testNoNewKeyringHoldsForExecToo() {
        for command in ["run", "create"] {
            let shared = hostDir("keyring-" + command)
            let b = makeBundle(sharing: shared, program: "/mnt/sysc keyctl 0 -3 0 > \(shared)/init; exec sleep 1000") { c in
                c.addHelpers()
            }
            let id = newID("nokeyring")
            let made = runtime([command, "--bundle", b, "--no-new-keyring"] + (command == "run" ? ["--detach"] : []) + [id])
            XCTAssertEqual(made.status, 0, describe(made))
            if command == "create" { XCTAssertEqual(runtime(["start", id]).status, 0) }
            let caller = callersSessionKeyring()
            let initKeyring = initsSessionKeyring(shared)
            XCTAssertEqual(initKeyring, caller, "\(command): init keeps the caller's keyring")
            XCTAssertEqual(execSessionKeyring(id), caller, "\(command): exec keeps the caller's keyring")
        }
    }
}
