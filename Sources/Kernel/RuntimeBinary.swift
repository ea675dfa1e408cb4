import Glibc
import CShim

/// CVE-2019-5736: a container whose program is `#!/proc/self/exe` (or that reaches
/// /proc/<pid>/exe of a runtime process) gets a handle on the runtime binary and, once the runtime
/// has exited, can reopen it for writing and replace it on the host. swiftlet's init and exec
/// stages are forks (no re-exec), so the binary they run is the one `create`/`run`/`exec` started
/// from: those commands first re-execute themselves from a detached read-only bind mount of their
/// own binary (one execveat, no copy; the page cache is shared), or from a sealed memfd copy where
/// no mount may be made. Writing through any /proc/<pid>/exe of ours then fails with EROFS (or
/// EPERM on the seals). A binary already on a read-only mount is used as it is (as crun does).
/// Where neither can be made (a seccomp profile of the caller, `vm.memfd_noexec=2`), the command is
/// refused: running from the writable host binary would hand it to the container (runc 1.1 also
/// fails once it can make no copy of itself; it tries temporary files after the memfd).
public enum RuntimeBinary {
    /// Returns at once when protected; otherwise re-executes (and does not return) or throws.
    public static func protect() throws {
        // The start-up constructor found it protected (one statfs of /proc/self/exe per process).
        if cs_exe_protected_at_startup() == 1 { return }
        if cs_exe_protect(cs_argv(), environ) != 0 {
            var bindStep: UnsafePointer<CChar>?
            var memfdStep: UnsafePointer<CChar>?
            var bindErrno: Int32 = 0
            var memfdErrno: Int32 = 0
            cs_exe_protect_failure(&bindStep, &bindErrno, &memfdStep, &memfdErrno)
            let bind = bindStep.map { String(cString: $0) } ?? "?"
            let memfd = memfdStep.map { String(cString: $0) } ?? "?"
            throw KernelError("cannot protect the runtime binary against CVE-2019-5736 (a container could overwrite "
                + "it through /proc/self/exe), refusing to run: read-only bind mount: \(bind): \(errnoString(bindErrno)); "
                + "sealed memfd copy: \(memfd): \(errnoString(memfdErrno))"
                + (memfdErrno == EACCES ? " (vm.memfd_noexec=2?)" : "")
                + "; allow open_tree/mount_setattr or executable memfds, or install swiftlet on a read-only mount")
        }
    }

    public static var isProtected: Bool { cs_exe_is_protected() == 1 }

    /// Takes out of the environment what the entry point's re-exec put in it for the Swift
    /// runtime's start-up (the backtracer's settings; cshim_startup_internal.h), and only that.
    public static func restoreCallerEnvironment() {
        cs_startup_environment_restore()
    }

    /// PR_SET_DUMPABLE 0: /proc/<pid>/exe, fd/, mem, ... of this process can only be opened by
    /// holders of CAP_SYS_PTRACE until the next execve (which makes the container program dumpable
    /// again). For the init and exec stages, which run the runtime's code inside the container.
    public static func setNotDumpable() {
        _ = cs_prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0)
    }
}

/// The process's arguments as the start-up constructor received them (`CommandLine.arguments` would
/// pull a stretch of the standard library that nothing else on the start-up path uses; see cs_argv).
public func processArguments() -> [String] {
    guard let argv = cs_argv() else { return [] }
    return (0..<Int(cs_argc())).map { argv[$0].map { String(cString: $0) } ?? "" }
}
