import Foundation

// lgetxattr(2) from libc (sys/xattr.h is not in the Glibc module).
@_silgen_name("lgetxattr")
private func c_lgetxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int

extension IntegrationTestCase {
    /// Whether container `id`'s folder holds a cgroup claim: the attribute user.swiftlet.cgroup-claim
    /// of the folder (StateStore.cgroupClaimAttribute), or cgroup.json where the file system
    /// refuses the attribute.
    func hasCgroupClaim(_ id: String) -> Bool {
        let folder = stateRoot + "/" + id
        return c_lgetxattr(folder, "user.swiftlet.cgroup-claim", nil, 0) >= 0
            || FileManager.default.fileExists(atPath: folder + "/cgroup.json")
    }
}
