import Foundation
import XCTest

/// close_range(2) refused: ENOSYS on a kernel before 5.9, or EPERM or ENOSYS from a caller's seccomp
/// filter (an engine's profile older than the call). The caller's fds left without close-on-exec
/// must still not reach the container's process, and the fds passed on (--preserve-fds) still must.
/// Before the fix the runtime ignored the refusal and the container saw the caller's fd 7.
final class CloseRangeRefusedTests: IntegrationTestCase {
    /// python3: opens /etc/hostname as fd 3 and fd 7 (inheritable, as a careless caller leaves
    /// them), installs a filter failing close_range (436 on x86_64 and arm64) with errno argv[1]
    /// (no_new_privs first, as an unprivileged engine does) and execs argv[2...].
    static let refusingCloseRange = """
    import ctypes, os, sys
    class F(ctypes.Structure): _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
    class P(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
    fd = os.open("/etc/hostname", os.O_RDONLY)  # 3 itself most likely, close-on-exec
    os.dup2(fd, 7)
    os.dup2(7, 3)
    # load nr; if nr == 436: return ERRNO(argv[1]); return ALLOW
    prog = (F * 4)(F(0x20, 0, 0, 0), F(0x15, 0, 1, 436), F(0x06, 0, 0, 0x00050000 | int(sys.argv[1])), F(0x06, 0, 0, 0x7fff0000))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(P(4, prog)), 0, 0):
        sys.exit("seccomp: errno %d" % ctypes.get_errno())
    os.execv(sys.argv[2], sys.argv[2:])
    """

    /// The container's check: fd 3 (passed on) is there, fd 7 (the caller's) is not.
    static let checkFDs = "test -e /proc/self/fd/3 || { echo 'fd 3 not passed on'; exit 3; }; "
        + "if test -e /proc/self/fd/7; then echo 'fd 7 leaked'; ls -l /proc/self/fd; exit 7; fi"

    /// The runtime run under the filter: `args` after `--root`.
    func runtimeRefusingCloseRange(errno: Int32, _ args: [String]) -> ProcResult {
        Host.exec("/usr/bin/python3", ["-c", Self.refusingCloseRange, String(errno), Env.runtime,
                                       "--root", stateRoot] + args)
    }

    func testRunWhenCloseRangeFailsWithEPERM() {
        let id = newID("eperm")
        let bundle = makeBundle { c in c.args = ["sh", "-c", Self.checkFDs] }
        let r = runtimeRefusingCloseRange(errno: EPERM, ["run", "--preserve-fds", "1", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "run under a filter refusing close_range with EPERM: \(describe(r))")
        _ = runtime(["delete", "--force", id])
    }

    /// As on a kernel before 5.9.
    func testRunWhenCloseRangeFailsWithENOSYS() {
        let id = newID("enosys")
        let bundle = makeBundle { c in c.args = ["sh", "-c", Self.checkFDs] }
        let r = runtimeRefusingCloseRange(errno: ENOSYS, ["run", "--preserve-fds", "1", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "run under a filter refusing close_range with ENOSYS: \(describe(r))")
        _ = runtime(["delete", "--force", id])
    }

    /// `exec` goes its own way (ExecStage closes the runtime's fds before it forks).
    func testExecWhenCloseRangeFailsWithEPERM() {
        let id = startSleeper()
        let r = runtimeRefusingCloseRange(errno: EPERM, ["exec", "--preserve-fds", "1", id, "sh", "-c", Self.checkFDs])
        XCTAssertEqual(r.status, 0, "exec under a filter refusing close_range with EPERM: \(describe(r))")
        _ = runtime(["delete", "--force", id])
    }
}
