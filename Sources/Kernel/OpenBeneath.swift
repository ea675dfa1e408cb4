import Glibc
import CShim

extension RootedPath {
    /// openat2 of `path` (relative; "" is `dir` itself) below the directory `dir` with
    /// RESOLVE_BENEATH and no symlink, magic link or mount crossing on the way: what opens is at or
    /// under `dir`, or the call fails (EXDEV, ELOOP). For directories the runtime did not make, such
    /// as a sub-cgroup named on the command line.
    public static func openStrictlyBeneath(_ dir: FD, _ path: String, _ flags: Int32, describe: String) throws -> FD {
        let resolve = resolveBeneath | resolveNoSymlinks | resolveNoMagicLinks | resolveNoXdev
        let f = UInt64(UInt32(bitPattern: flags | O_CLOEXEC))
        return FD(try sys("openat2", describe) { cs_openat2(dir.raw, path.isEmpty ? "." : path, f, 0, resolve) })
    }
}
