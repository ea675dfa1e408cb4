import Foundation
import XCTest

/// close_range(2) refused: ENOSYS on a kernel before 5.9, or EPERM or ENOSYS from a caller's seccomp
/// filter (an engine's profile older than the call). The caller's fds left without close-on-exec
/// must still not reach the container's process, and the fds passed on (--preserve-fds) still must.
/// Before the fix the runtime ignored the refusal and the container saw the caller's fd 7.
final class CloseRangeRefusedTests: IntegrationTestCase {
    /// python3: opens /etc/hostname as fds 3, 7 and 1500 (inheritable, as a careless caller leaves
    /// them; 1500 is above the container's fd limit, 1024 in the harness's config), installs a
    /// filter failing close_range (436 on x86_64 and arm64) with errno argv[1] (no_new_privs
    /// first, as an unprivileged engine does) and execs argv[2...].
    static let refusingCloseRange = """
    import ctypes, os, resource, sys
    class F(ctypes.Structure): _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
    class P(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
    fd = os.open("/etc/hostname", os.O_RDONLY)  # 3 itself most likely, close-on-exec
    os.dup2(fd, 7)
    os.dup2(7, 3)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 1500: sys.exit("the fd limit %d leaves no fd 1500" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1501), hard))
    os.dup2(7, 1500)
    # load nr; if nr == 436: return ERRNO(argv[1]); return ALLOW
    prog = (F * 4)(F(0x20, 0, 0, 0), F(0x15, 0, 1, 436), F(0x06, 0, 0, 0x00050000 | int(sys.argv[1])), F(0x06, 0, 0, 0x7fff0000))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(P(4, prog)), 0, 0):
        sys.exit("seccomp: errno %d" % ctypes.get_errno())
    os.execv(sys.argv[2], sys.argv[2:])
    """

    /// The container's check: fd 3 (passed on) is there, fds 7 and 1500 (the caller's) are not.
    static let checkFDs = "test -e /proc/self/fd/3 || { echo 'fd 3 not passed on'; exit 3; }; "
        + "for fd in 7 1500; do if test -e /proc/self/fd/$fd; then echo \"fd $fd leaked\"; ls -l /proc/self/fd; exit 7; fi; done"

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

    /// Without /proc in the container the fds cannot be listed where the process marks them
    /// close-on-exec (in its root): each open number below 2^20 is found by poll instead, fd
    /// 1500 too, above the container's fd limit (set by then).
    func testRunWithoutProcWhenCloseRangeFailsWithEPERM() {
        let id = newID("noproc")
        let bundle = makeBundle { c in
            c.mounts = c.mounts.filter { $0["destination"] as? String != "/proc" }
            c[path: "linux.maskedPaths"] = nil
            c[path: "linux.readonlyPaths"] = nil
            c.args = ["sh", "-c", "(: <&3) 2>/dev/null || { echo 'fd 3 not passed on'; exit 3; }; "
                + "for fd in 7 1500; do if (: <&$fd) 2>/dev/null; then echo \"fd $fd leaked\"; exit 7; fi; done; "
                + "test ! -e /proc/self || exit 9"]
        }
        let r = runtimeRefusingCloseRange(errno: EPERM, ["run", "--preserve-fds", "1", "--bundle", bundle, id])
        XCTAssertEqual(r.status, 0, "run without /proc under a filter refusing close_range: \(describe(r))")
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
