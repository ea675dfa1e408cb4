import Glibc
import Kernel
import RuntimeSpec

/// linux.intelRdt through the resctrl filesystem (Documentation/arch/x86/resctrl.rst):
/// a control group is a directory of the resctrl mount (named closID, else the container id) with
/// `schemata` (one line per resource, e.g. "L3:0=ffff;1=fff0", "MB:0=50") and `tasks` (pids, one
/// write each); a monitoring group is a directory under its `mon_groups`.
enum IntelRdt {
    struct Group {
        var path: String
        /// The group was made by us (no closID, or a closID group that did not exist): delete removes it.
        var owned: Bool
        var monitoring: String?
    }

    /// The resctrl mount point, nil when resctrl is not mounted.
    static func mountPoint() -> String? {
        guard let mounts = try? MountInfo.read() else { return nil }
        return mounts.last { $0.fsType == "resctrl" }?.mountPoint
    }

    /// The group `rdt` asks for: fails, naming the field, when the host cannot give it.
    static func check(_ rdt: LinuxIntelRdt, id: String) throws -> Group {
        guard let root = mountPoint() else {
            let known = ((try? readTextFile(path: "/proc/filesystems")) ?? "").containsText("resctrl")
            throw RuntimeError.config("linux.intelRdt", "the resctrl filesystem is not mounted"
                + (known ? " (mount it: mount -t resctrl resctrl /sys/fs/resctrl)"
                         : " and this kernel has no resctrl support (Intel RDT / AMD QoS, CONFIG_X86_CPU_RESCTRL)"))
        }
        let name = rdt.closID.flatMap { $0.isEmpty ? nil : $0 } ?? id
        let path = root + "/" + name
        var group = Group(path: path, owned: !isDirectory(path))
        if rdt.enableMonitoring == true || rdt.enableCMT == true || rdt.enableMBM == true {
            guard isDirectory(root + "/mon_groups") || isDirectory(root + "/info/L3_MON") else {
                throw RuntimeError.config("linux.intelRdt.enableMonitoring", "this host's resctrl has no monitoring (no info/L3_MON)")
            }
            group.monitoring = path + "/mon_groups/" + id
        }
        return group
    }

    /// The schemata lines to write: l3CacheSchema, memBwSchema and the 1.3 `schemata` list.
    static func schemata(_ rdt: LinuxIntelRdt) -> [String] {
        var lines: [String] = []
        for s in [rdt.l3CacheSchema, rdt.memBwSchema] {
            if let s, !s.isEmpty { lines += s.split(separator: "\n").map(String.init) }
        }
        lines += rdt.schemata ?? []
        return lines.filter { !$0.isEmpty }
    }

    /// Creates the group, writes the schemata and puts `pid` into it (and its monitoring group).
    static func apply(_ rdt: LinuxIntelRdt, group: Group, pid: pid_t) throws {
        if group.owned {
            do { try makeDirectoryIfMissing(group.path) } catch {
                throw RuntimeError(field: .config("linux.intelRdt"), object: group.path,
                                   "creating the resctrl group \(group.path)", cause: error)
            }
        }
        for line in schemata(rdt) {
            do { try writeFile(path: group.path + "/schemata", line + "\n", flags: O_WRONLY) } catch {
                var detail = ""
                if let status = try? readTextFile(path: mountPoint().map { $0 + "/info/last_cmd_status" } ?? "") {
                    detail = " (resctrl: \(status.split(separator: "\n").first.map(String.init) ?? ""))"
                }
                throw RuntimeError(field: .config("linux.intelRdt"), object: group.path + "/schemata",
                                   "schemata \"\(line)\": \(error)\(detail)")
            }
        }
        do { try writeFile(path: group.path + "/tasks", "\(pid)", flags: O_WRONLY) } catch {
            throw RuntimeError(field: .config("linux.intelRdt"), object: group.path + "/tasks",
                               "adding pid \(pid) to \(group.path)/tasks", cause: error)
        }
        if let mon = group.monitoring {
            do {
                if !isDirectory(mon) { try makeDirectory(mon, mode: 0o755) }
                try writeFile(path: mon + "/tasks", "\(pid)", flags: O_WRONLY)
            } catch {
                throw RuntimeError(field: .config("linux.intelRdt.enableMonitoring"), object: mon, mon, cause: error)
            }
        }
    }

    /// exec: the new process joins the container's group.
    static func join(_ rdt: LinuxIntelRdt, id: String, pid: pid_t) throws {
        guard let root = mountPoint() else { return }
        let path = root + "/" + (rdt.closID.flatMap { $0.isEmpty ? nil : $0 } ?? id)
        guard isDirectory(path) else { return }
        do { try writeFile(path: path + "/tasks", "\(pid)", flags: O_WRONLY) } catch {
            throw RuntimeError(field: .config("linux.intelRdt"), object: path + "/tasks",
                               "adding pid \(pid) to \(path)/tasks", cause: error)
        }
    }

    /// delete: removes the monitoring group and the control group when it is the container's own
    /// (named after the container: a closID group may be shared, as runc leaves it).
    static func remove(_ rdt: LinuxIntelRdt, id: String) {
        guard let root = mountPoint() else { return }
        let own = rdt.closID.flatMap { $0.isEmpty ? nil : $0 } == nil
        let path = root + "/" + (own ? id : rdt.closID!)
        _ = try? removeDirectory(path + "/mon_groups/" + id)
        if own { _ = try? removeDirectory(path) }
    }
}
