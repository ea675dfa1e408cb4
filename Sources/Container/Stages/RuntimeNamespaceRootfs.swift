import Glibc
import Kernel

/// The rootfs of a container without a mount namespace: its mounts live in the runtime's mount
/// namespace, all under one private bind of the rootfs on itself (RootfsBuilder). The init writes
/// that mount's id and the rootfs path to `<state dir>/rootfs.mount`; `delete` (also of a create
/// that died half-way) and a failed `create` detach it, and with it everything mounted under it.
/// runc leaves these mounts behind.
enum RuntimeNamespaceRootfs {
    static func recordPath(_ stateDirectory: String) -> String { stateDirectory + "/rootfs.mount" }

    /// Writes the id of the mount `bind` is the root of (the bind of the rootfs just made), recorded
    /// under the rootfs path `rootfs` (root.path).
    static func record(bind: FD, rootfs: String, stateDirectory: String) throws {
        guard let id = mountID(of: bind) else { throw KernelError("\(rootfs): no mount id in /proc/self/fdinfo") }
        try writeFile(path: recordPath(stateDirectory), "\(id)\n\(rootfs)\n", mode: 0o600)
    }

    /// The mount id of the mount `fd` is on (`mnt_id` in /proc/self/fdinfo).
    static func mountID(of fd: FD) -> Int? {
        guard let text = try? readTextFile(path: "/proc/self/fdinfo/\(fd.raw)") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("mnt_id:") {
            return Int(line.dropFirst("mnt_id:".count).trimmingCharacters(in: " \t"))
        }
        return nil
    }

    /// Detaches the recorded mount if it is still the one at `rootfs` with nothing stacked on it
    /// (the runtime never touches what it did not make); best effort, a problem is a warning.
    static func undo(stateDirectory: String, warn: (String) -> Void) {
        let path = recordPath(stateDirectory)
        guard let text = try? readTextFile(path: path) else { return }
        let fields = text.split(separator: "\n", maxSplits: 1)
        guard fields.count == 2, let id = Int(fields[0]) else { return }
        let rootfs = fields[1].trimmingCharacters(in: "\n")
        var ours = false, covered = false
        for m in (try? MountInfo.read()) ?? [] where m.mountPoint == rootfs {
            if m.mountID == id { ours = true }
            if m.parentID == id { covered = true }
        }
        if ours && covered {
            warn("delete: \(rootfs): another mount is on the container's rootfs mount: left in place")
        } else if ours {
            do { try Mount.unmount(rootfs, detach: true) } catch {
                warn("delete: unmounting \(rootfs): \((error as? SysError).map { errnoString($0.errno) } ?? "\(error)")")
            }
        }
        try? removeFile(path)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String { self[...].trimmingCharacters(in: set) }
}
