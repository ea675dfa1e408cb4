import Glibc
import Kernel
import RuntimeSpec

/// ID-mapped bind mounts (`mounts[].uidMappings/gidMappings`, options `idmap`/`ridmap`).
///
/// MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN in the user namespace of the source filesystem (the host's),
/// which the init no longer has once it is in the container's user namespace. So, as runc 1.2 does,
/// the runtime makes the mapped tree before the fork: open_tree(OPEN_TREE_CLONE[|AT_RECURSIVE])
/// of the source, mount_setattr(MOUNT_ATTR_IDMAP[, AT_RECURSIVE for `ridmap`]) with a user
/// namespace carrying the mapping, and the init attaches the detached tree with move_mount onto
/// the target it opened inside the rootfs.
///
/// The mapping comes from the mount's uidMappings/gidMappings (containerID = id seen through the
/// mount, hostID = id on the filesystem, as in a user namespace's uid_map); with `idmap`/`ridmap`
/// and no mappings, from the container's user namespace: its linux.uidMappings/gidMappings for a
/// new one, the namespace itself for a joined one (validation rejects `idmap` without either).
enum IDMapMounts {
    static func mapText(_ maps: [LinuxIDMapping]) -> String {
        maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
    }

    /// Makes the detached ID-mapped trees for every ID-mapped mount, keyed by index in `mounts`.
    /// On failure, closes what it made and throws an error naming the mount.
    static func prepare(plan: InitPlan, floor: Int32) throws -> [Int: FD] {
        var trees = OwnedFDs<Int>()
        // The container's user namespace, made once for all the mounts that take its mapping.
        var containerNS: OwnedFD?
        var containerNSFD: FD?
        // MountPlan.resolve refused an ID-mapped mount without `bind` or `rbind`.
        for (i, planned) in plan.mounts.enumerated() where planned.isIDMapped {
            let m = planned.mount
            let field = "mounts[\(i)]"
            var source = m.source ?? ""
            if !source.hasPrefix("/") { source = plan.bundle + "/" + source }
            let what = m.uidMappings != nil ? "\(field).uidMappings/gidMappings" : "\(field).options idmap"
            // A namespace made for this mount alone goes when the mount is made.
            var ownUserns: OwnedFD?
            let userns: FD
            if let u = m.uidMappings, let g = m.gidMappings {
                userns = try step(what) { try MappingNamespace.create(uidMap: mapText(u), gidMap: mapText(g)) }
                ownUserns = OwnedFD(userns)
            } else if let join = plan.joins.first(where: { $0.kind == .user }) {
                userns = join.fd
            } else if plan.createsUserNamespace {
                if containerNSFD == nil {
                    let made = try step(what) {
                        try MappingNamespace.create(uidMap: mapText(plan.uidMappings), gidMap: mapText(plan.gidMappings))
                    }
                    containerNS = OwnedFD(made)
                    containerNSFD = made
                }
                userns = containerNSFD!
            } else {
                throw RuntimeError.config("\(field).options", "\"idmap\" without uidMappings/gidMappings requires a user namespace")
            }
            let tree = OwnedFD(try step(what, "open_tree of \(source)") {
                try MountAPI.cloneTree(source, recursive: planned.recursiveBind)
            })
            do {
                try MountAPI.setIDMap(tree.fd, userns: userns, recursive: planned.recursiveIdmap, describe: source)
            } catch let e as SysError {
                var reason = ""
                if e.errno == EINVAL {
                    reason = "the filesystem of \(source) (\(fsName(source))) does not support ID-mapped mounts"
                    reason += planned.recursiveIdmap ? ", or a mount under it does not" : ""
                }
                throw RuntimeError(field: .config(what), object: source, reason, cause: e)
            }
            _ = consume ownUserns  // closed once the mapping is set
            trees.insert(try tree.moved(above: floor), for: i)
        }
        _ = consume containerNS
        return trees.release()
    }

    static func step<T>(_ what: String, _ doing: String = "", _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as RuntimeError { throw e } catch {
            throw RuntimeError(field: .config(what), doing, cause: error)
        }
    }

    /// The filesystem type of the mount holding `path`, from /proc/self/mountinfo (best effort).
    static func fsName(_ path: String) -> String {
        guard let text = try? readTextFile(path: "/proc/self/mountinfo") else { return "unknown" }
        var best = ("", "unknown")
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let dash = f.firstIndex(of: "-"), dash >= 5, f.count > dash + 1 else { continue }
            let point = String(f[4])
            let inside = point == "/" || path == point || path.hasPrefix(point + "/")
            if inside && point.count >= best.0.count { best = (point, String(f[dash + 1])) }
        }
        return best.1
    }
}
