import Foundation
import XCTest

/// The runtime run under a seccomp filter of its caller's: a container engine's default profile
/// (Docker's, containerd's) fails a system call it does not list with EPERM, not ENOSYS, and a
/// profile older than a system call does not list it. A call the runtime makes only to save work
/// must then fall back to the older way, as it does on a kernel without that call.
final class CallerSeccompFilterTests: IntegrationTestCase {
    /// python3 (as SpecReadingTests uses it): installs a filter failing system call argv[1] with
    /// EPERM (no_new_privs first, as an unprivileged engine does) and execs argv[2...].
    static let refusing = """
    import ctypes, os, sys
    class F(ctypes.Structure): _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
    class P(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
    nr = int(sys.argv[1])
    # load nr; if nr == argv[1]: return ERRNO(EPERM); return ALLOW
    prog = (F * 4)(F(0x20, 0, 0, 0), F(0x15, 0, 1, nr), F(0x06, 0, 0, 0x00050000 | 1), F(0x06, 0, 0, 0x7fff0000))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(P(4, prog)), 0, 0):
        sys.exit("seccomp: errno %d" % ctypes.get_errno())
    os.execv(sys.argv[2], sys.argv[2:])
    """

    /// fchmodat2 (Linux 6.6, system call 452 on x86_64 and arm64) refused: the device nodes' chmod
    /// goes through glibc's fchmodat, as before 240b961 and as on an older kernel (ENOSYS).
    func testRunWhenTheCallersFilterRefusesFchmodat2() {
        let id = newID("fchmodat2")
        let bundle = makeBundle { c in c.args = ["true"] }
        let r = Host.exec("/usr/bin/python3", ["-c", Self.refusing, "452", Env.runtime, "--root", stateRoot,
                                               "run", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "run under a filter refusing fchmodat2 with EPERM: \(describe(r))")
        _ = runtime(["delete", "--force", id])
    }
}
