import Glibc
import CShim

/// The two LSMs a container config can name: whether the host has them on, and the /proc/self/attr
/// writes that label the next execve.
public enum Lsm {
    /// AppArmor is on when securityfs has it and the module says "Y" (as runc's apparmor.IsEnabled).
    public static var apparmorEnabled: Bool {
        guard isDirectory("/sys/kernel/security/apparmor") || fileExists("/sys/module/apparmor/parameters/enabled"),
              let text = try? readTextFile(path: "/sys/module/apparmor/parameters/enabled") else { return false }
        return text.hasPrefix("Y")
    }

    /// SELinux is on when selinuxfs is mounted (at /sys/fs/selinux, or the old /selinux).
    public static var selinuxEnabled: Bool {
        for dir in ["/sys/fs/selinux", "/selinux"] {
            guard let fd = try? FD.open(dir, O_RDONLY | O_DIRECTORY) else { continue }
            defer { fd.close() }
            var type: Int64 = 0
            if cs_statfs_type(fd.raw, &type) == 0 && UInt32(truncatingIfNeeded: type) == 0xf97c_ff8c { return true }
        }
        return false
    }

    /// Makes the next execve switch to the AppArmor profile `name` (aa_change_onexec).
    public static func apparmorExecProfile(_ name: String) throws {
        let text = "exec " + name
        do {
            try Procfs.write("/proc/thread-self/attr/apparmor/exec", text)
        } catch {
            try Procfs.write("/proc/thread-self/attr/exec", text)
        }
    }

    /// Makes the next execve run with the SELinux context `label` (setexeccon).
    public static func selinuxExecLabel(_ label: String) throws {
        try Procfs.write("/proc/thread-self/attr/exec", label)
    }
}
