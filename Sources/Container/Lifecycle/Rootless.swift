import Glibc
import Cgroups
import Kernel
import RuntimeSpec

/// What changes when swiftlet runs as an unprivileged user (runc's rootless mode, euid != 0):
/// the id maps of the user namespace, cgroups (skipped, or used through a delegated cgroup2
/// subtree), and checks that turn what needs privilege into errors naming the field.
enum Rootless {
    static var active: Bool { Identity.effectiveUID != 0 }

    /// `--systemd-cgroup` goes to the user's systemd rather than the system's: run by a user, or by
    /// root of a user namespace whose root is a user outside (as rootless podman runs the runtime;
    /// runc 1.1 asks `busctl --user status` for that uid, the uid map says it without a process).
    static var usesUserSystemd: Bool { active || SystemdBus.hostUID() != 0 }

    /// runc's requiresRootOrMappingTool, inverted: a gid map of exactly the caller's egid (size 1)
    /// may be written by the caller itself, once setgroups is denied. Anything else takes newgidmap.
    static func deniesSetgroups(_ gidMappings: [LinuxIDMapping]) -> Bool {
        guard active, gidMappings.count == 1, let m = gidMappings.first else { return false }
        return m.containerID == 0 && m.hostID == Identity.effectiveGID && m.size == 1
    }

    /// Checks made in `create` before anything exists.
    static func check(spec: Spec, plan: InitPlan) throws {
        if plan.createsUserNamespace {
            // setresuid/setresgid to an id without a mapping fails with a bare EINVAL: name the field.
            func mapped(_ id: UInt32, _ maps: [LinuxIDMapping]) -> Bool {
                maps.contains { id >= $0.containerID && UInt64(id) < UInt64($0.containerID) + UInt64($0.size) }
            }
            let user = plan.process.user
            if !plan.uidMappings.isEmpty && !mapped(user.uid, plan.uidMappings) {
                throw RuntimeError.config("process.user.uid", "\(user.uid) is not mapped by linux.uidMappings")
            }
            if !plan.gidMappings.isEmpty && !mapped(user.gid, plan.gidMappings) {
                throw RuntimeError.config("process.user.gid", "\(user.gid) is not mapped by linux.gidMappings")
            }
        }
        guard active else { return }
        if plan.createsUserNamespace && deniesSetgroups(plan.gidMappings),
           let groups = plan.process.user.additionalGids, !groups.isEmpty {
            throw RuntimeError.config("process.user.additionalGids", "a rootless container that maps only gid \(Identity.effectiveGID) "
                + "runs with setgroups denied and cannot have additional groups (map more gids through /etc/subgid, "
                + "which takes newgidmap from the uidmap package)")
        }
        if !plan.userNamespaceInUse {
            throw RuntimeError.config("linux.namespaces", "swiftlet runs as uid \(Identity.effectiveUID) (not root): "
                + "a rootless container needs a user namespace (see `swiftlet spec --rootless`)")
        }
    }

    /// Writes the user namespace's maps of `pid` (runc's nsexec order: setgroups, uid_map, gid_map).
    /// As root the files are written directly. Unprivileged, a map of only the caller's own id is
    /// written directly; any other map goes through newuidmap/newgidmap (setuid helpers that check
    /// /etc/subuid and /etc/subgid), as runc does.
    static func writeIDMaps(pid: pid_t, uid: [LinuxIDMapping], gid: [LinuxIDMapping]) throws {
        func text(_ maps: [LinuxIDMapping]) -> String {
            maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        if !active {
            for (kind, maps) in [("uid", uid), ("gid", gid)] {
                let path = "/proc/\(pid)/\(kind)_map"
                do { try Procfs.write(path, text(maps)) } catch {
                    throw RuntimeError(step: "writing uid/gid maps of the user namespace", object: path, cause: error)
                }
            }
            return
        }
        if deniesSetgroups(gid) {
            let path = "/proc/\(pid)/setgroups"
            do { try Procfs.write(path, "deny") } catch {
                throw RuntimeError(step: "denying setgroups in the user namespace", object: path, cause: error)
            }
        }
        try writeMap(pid: pid, kind: "uid", maps: uid, own: Identity.effectiveUID, text: text(uid))
        try writeMap(pid: pid, kind: "gid", maps: gid, own: Identity.effectiveGID, text: text(gid))
    }

    static func writeMap(pid: pid_t, kind: String, maps: [LinuxIDMapping], own: UInt32, text: String) throws {
        let field = "linux.\(kind)Mappings"
        if maps.isEmpty {
            throw RuntimeError.config(field, "a user namespace needs at least one mapping (\"containerID\": 0, \"hostID\": \(own), \"size\": 1)")
        }
        let mapPath = "/proc/\(pid)/\(kind)_map"
        do {
            try Procfs.write(mapPath, text)
            return
        } catch let e as SysError where e.errno == EPERM {
            // Not only our own id: the setuid helper may allow it.
        } catch {
            throw RuntimeError(field: .config(field), object: mapPath, "writing \(mapPath)", cause: error)
        }
        let tool = "new\(kind)map"
        guard let path = findTool(tool) else {
            throw RuntimeError.config(field, "as uid \(Identity.effectiveUID) (not root) only the single mapping of your own \(kind) "
                + "(\"hostID\": \(own), \"size\": 1) can be written without privilege; other mappings need \(tool) "
                + "(package uidmap) and a range for you in /etc/sub\(kind)")
        }
        var args = [tool, "\(pid)"]
        for m in maps { args += ["\(m.containerID)", "\(m.hostID)", "\(m.size)"] }
        let child = try Proc.fork()
        if child == 0 {
            Proc.resetSignalDispositions()
            Proc.unblockAllSignals()
            do { try Proc.exec(path: path, args: args, env: []) } catch {
                _ = try? FD(2).write("swiftlet: \(error)\n")
            }
            Proc.exit(127)
        }
        let exit = try Proc.wait(child)
        if exit != .exited(0) {
            throw RuntimeError(field: .config(field), object: path, "\(args.joined(separator: " ")) failed (\(exit)); its message is above "
                + "(the ranges must be allowed for uid \(Identity.effectiveUID) in /etc/sub\(kind))")
        }
    }

    /// newuidmap/newgidmap on $PATH, else in the usual places.
    static func findTool(_ name: String) -> String? {
        var dirs: [String] = []
        if let p = environmentValue("PATH") { dirs = p.split(separator: ":").map(String.init) }
        dirs += ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for d in dirs where d.hasPrefix("/") {
            let candidate = d + "/" + name
            if isAccessible(candidate, X_OK) { return candidate }
        }
        return nil
    }

    /// The first resource in `r` that takes a cgroup controller (device rules are not counted: like
    /// runc in a user namespace, a rootless container does not apply them).
    static func firstLimit(_ r: LinuxResources?) -> String? {
        guard let r else { return nil }
        if r.memory != nil { return "memory" }
        if r.cpu != nil { return "cpu" }
        if r.pids != nil { return "pids" }
        if r.blockIO != nil { return "blockIO" }
        if !(r.hugepageLimits ?? []).isEmpty { return "hugepageLimits" }
        if r.network != nil { return "network" }
        if !(r.rdma ?? [:]).isEmpty { return "rdma" }
        if !(r.unified ?? [:]).isEmpty { return "unified" }
        return nil
    }

    /// The container's cgroup when running unprivileged: a directory in a cgroup2 subtree the user
    /// may write (delegation, as systemd gives each user), or none. Without one, a config without
    /// limits runs without a cgroup of its own (runc ignores the permission errors then); a config
    /// with limits fails naming the first one.
    static func cgroupDriver(spec: Spec, id: String, host: CgroupHost) throws -> CgroupDriver? {
        let cgroupsPath = spec.linux?.cgroupsPath ?? ""
        var dir: String?
        if let mount = host.unified {
            var v2Only = host
            v2Only.mode = .v2
            v2Only.v1 = [:]
            if let d = (try? Cgroups.driver(cgroupsPath: spec.linux?.cgroupsPath, id: id, host: v2Only))?.unifiedPath,
               d.hasPrefix(mount + "/"), isDelegated(d, mount: mount) {
                dir = d
            }
        }
        guard let dir, let mount = host.unified else {
            let why = "swiftlet runs as uid \(Identity.effectiveUID) (not root) and no cgroup2 subtree is delegated to it"
            if let name = firstLimit(spec.linux?.resources) {
                throw RuntimeError.config("linux.resources.\(name)", "setting a cgroup limit needs privilege: \(why) "
                    + "(remove linux.resources.\(name), or run swiftlet from a cgroup2 subtree owned by uid \(Identity.effectiveUID))")
            }
            if !cgroupsPath.isEmpty {
                throw RuntimeError(field: .config("linux.cgroupsPath"), object: cgroupsPath, "\(cgroupsPath): \(why)")
            }
            return nil
        }
        // trackingOnly: no eBPF device program (it needs privilege) and no controllers forced on.
        return CgroupV2Driver(path: dir, mountPoint: mount, trackingOnly: true)
    }

    /// The nearest existing directory of `dir` (at or below the mount point) and its cgroup.procs
    /// are writable: the user may make the cgroup and move processes into it.
    static func isDelegated(_ dir: String, mount: String) -> Bool {
        var d = dir
        while d.count > mount.count {
            if isDirectory(d) {
                return isAccessible(d, W_OK | X_OK) && isAccessible(d + "/cgroup.procs", W_OK)
            }
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
        return false
    }
}
