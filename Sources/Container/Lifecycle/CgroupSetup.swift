import Glibc
import Cgroups
import Kernel
import RuntimeSpec

/// A cgroup whose directories exist and carry the container's marks (the cgroup claim names them), not
/// yet made ready (`create()`) nor limited (`apply`): what `claimCgroup` hands to `limitCgroup`.
/// With `deferred` directories (the v1 hierarchies' on a v1 or hybrid host) only the unified one
/// is claimed yet: `limitCgroup` claims the others, after the fork.
struct ClaimedCgroup {
    /// `made`: only what this claim made so far.
    var driver: CgroupDriver
    /// The parents the claim made on the way, removed again (while empty) when the limits fail.
    var parentsMade: [String]
    var marked: Bool
    /// The directories claimed by `limitCgroup`; the cgroup claim counts them all as made until then.
    var deferred: [String] = []
}

/// The container's cgroup: claimed, made ready and limited by `create`, before the init stage
/// exists or (v1 and hybrid hosts, see Create.swift) made ready and limited while the init stage
/// creates its namespaces.
extension Runtime {
    /// Claim, then limits: everything before the process that joins the cgroup exists.
    func setUpCgroup(spec: Spec, id: String, plan: inout InitPlan) throws -> CgroupDriver? {
        guard let claimed = try claimCgroup(spec: spec, id: id, plan: &plan) else { return nil }
        return try limitCgroup(claimed, spec: spec, id: id, plan: plan)
    }

    /// The driver, and its directories made and marked as the container's (the cgroup claim written
    /// first): enough for a process to be born in the unified one (CLONE_INTO_CGROUP). nil when the
    /// container gets no cgroup (no hierarchy, a rootless user without one). Sets the plan's
    /// cgroup fields. `deferringV1`: on a v1 or hybrid host the v1 hierarchies' directories
    /// (one mkdir and xattr each, ~0.1 ms) are left to `limitCgroup` (`ClaimedCgroup.deferred`).
    func claimCgroup(spec: Spec, id: String, plan: inout InitPlan, deferringV1: Bool = false) throws -> ClaimedCgroup? {
        // mountinfo read once for the driver and, with a `cgroup` mount, for the init stage: what it
        // would read again itself (~2.5% of a `run`'s user CPU), unless it sees another mount
        // namespace (one it joins) or another cgroup namespace (mountinfo's root fields are relative to it).
        let mounts = (try? MountInfo.read(mountPointsUnder: "/sys/fs/cgroup")) ?? []
        let host = CgroupHost.detect(mounts: mounts)
        if !plan.joins.contains(where: { $0.kind == .mount || $0.kind == .cgroup }), !plan.newNamespaces.contains(.cgroup),
           (spec.mounts ?? []).contains(where: { $0.type == "cgroup" || $0.type == "cgroup2" }) {
            plan.cgroupHierarchies = CgroupHierarchies.from(mounts)
        }
        let resources = spec.linux?.resources
        if host.v1.isEmpty && host.unified == nil {
            if resources != nil || !(spec.linux?.cgroupsPath ?? "").isEmpty {
                throw RuntimeError.config("linux.resources", "this host has no cgroup hierarchy mounted under /sys/fs/cgroup")
            }
            return nil
        }
        var driver: CgroupDriver
        if systemdCgroup {
            let userManager = Rootless.usesUserSystemd
            if userManager && !(host.mode == .v2 && host.v1.isEmpty) {
                // runc 1.1 too: "cannot use rootless systemd cgroups manager on cgroup v1".
                throw RuntimeError.flag("--systemd-cgroup", "swiftlet runs as uid \(SystemdBus.hostUID()) (rootless), and a user's systemd "
                    + "delegates cgroups only on a cgroup v2 host; this host has cgroup v1 hierarchies "
                    + "(\(host.mode.rawValue) layout): leave out --systemd-cgroup")
            }
            do {
                if userManager {
                    driver = try Cgroups.userSystemdDriver(cgroupsPath: spec.linux?.cgroupsPath, id: id, resources: resources,
                                                           annotations: spec.annotations, host: host)
                } else {
                    driver = try Cgroups.systemdDriver(cgroupsPath: spec.linux?.cgroupsPath, id: id, resources: resources,
                                                       annotations: spec.annotations, host: host)
                }
            } catch let e as DBusError {
                throw RuntimeError(field: .flag("--systemd-cgroup"), cause: e)
            } catch {
                throw RuntimeError(field: .config(""), cause: error)
            }
        } else if Rootless.active {
            guard let d = try Rootless.cgroupDriver(spec: spec, id: id, host: host) else { return nil }
            driver = d
        } else {
            do { driver = try Cgroups.driver(cgroupsPath: spec.linux?.cgroupsPath, id: id, host: host) } catch {
                throw RuntimeError(field: .config(""), cause: error)
            }
        }
        let pathField = InputField.config(Runtime.cgroupsPathField(spec))
        // The directories made after the fork (`limitCgroup`): looked at there too, before their
        // claim, off the start-up path (a failed lookup on cgroupfs costs 10-25 µs). Until then the
        // claim counts them as made: a `delete` of a create killed in between tells what was there
        // before by its mark (`claimedCgroup`; deferring needs root outside a user namespace).
        let deferred = deferringV1 && (host.mode == .v1 || host.mode == .hybrid)
            ? driver.directories.filter { $0 != driver.unifiedPath } : []
        let now = driver.directories.filter { !deferred.contains($0) }
        // What is there already is not ours: used only if empty and thawed, and never removed.
        // Deferring (root outside a user namespace: every directory made is marked), the claim
        // counts them all as made until the mkdir tells, as it counts the deferred ones: a failed
        // stat on cgroupfs walks the whole path for what the mkdir finds out anyway.
        driver.made = deferred.isEmpty ? Set(now.filter { !isDirectory($0) }) : Set(driver.directories)
        // The parents claim makes on the way (a systemd slice, a nested cgroupsPath's levels): a create
        // that fails removes them again while they are empty, deepest first (a `--systemd-cgroup`
        // create without a reachable systemd left system.slice in every hierarchy).
        var parentsMade: [String] = []
        func undoParents() {
            for d in parentsMade.sorted(by: { $0.count > $1.count }) { _ = try? removeDirectory(d) }
        }
        let existing = driver.directories.filter { !driver.made.contains($0) }
        if !existing.isEmpty {
            do { try driver.checkReusable(existing: existing) } catch {
                throw RuntimeError(field: pathField, cause: error)
            }
        }
        // Claimed before it exists: a create killed from here on leaves a folder without state.json,
        // and `delete` finds the cgroup to remove through this claim (an attribute of the folder).
        var claim = CgroupClaim(driver: driver.kind, paths: driver.paths, made: driver.made.sorted())
        do { try store.saveCgroupClaim(id, claim, first: true) } catch {
            throw RuntimeError(step: "cgroup", cause: error)
        }
        // Another container's cgroup at this path (being created, or exited and not deleted) is
        // not taken (see CgroupOwnership); what this create made is decided there, under a lock.
        let predictedNow = driver.made.subtracting(deferred)
        var marked = true
        var inodes: [String: UInt64] = [:]
        do {
            driver.made = try CgroupOwnership.claim(now, owner: store.directory(id), parentsMade: &parentsMade,
                                                    marked: &marked, inodes: &inodes,
                                                    lockParent: CgroupOwnership.lockDirectory(for: driver.directories))
        } catch {
            undoParents()
            throw RuntimeError(field: pathField, cause: error)
        }
        if driver.made != predictedNow {
            claim = CgroupClaim(driver: driver.kind, paths: driver.paths, made: driver.made.union(deferred).sorted())
            let existing = now.filter { !driver.made.contains($0) }
            do {
                try store.saveCgroupClaim(id, claim)
                if !existing.isEmpty { try driver.checkReusable(existing: existing) }
            } catch {
                for d in driver.made { _ = try? removeDirectory(d) }  // only made, nothing in them yet
                undoParents()
                throw RuntimeError(field: pathField, cause: error)
            }
        }
        plan.cgroupJoinFiles = driver.joinFiles
        plan.cgroupKind = driver.kind
        plan.cgroupPaths = driver.paths
        plan.cgroupMade = claim.made
        plan.cgroupMarked = marked
        plan.cgroupInodes = inodes.isEmpty ? nil : inodes
        return ClaimedCgroup(driver: driver, parentsMade: parentsMade, marked: marked, deferred: deferred)
    }

    /// Makes a claimed cgroup ready for processes (a v1 cpuset's cpus and mems, the unified
    /// hierarchy's controllers handed down) and applies `linux.resources`. On failure the cgroup
    /// and the parents its claim made are removed (a process born in the unified one is killed
    /// with it).
    /// Returns the driver, its `made` complete. `plan`: the record's fields (the init stage has
    /// its copy already when this runs after the fork).
    func limitCgroup(_ claimed: ClaimedCgroup, spec: Spec, id: String, plan: InitPlan) throws -> CgroupDriver {
        var driver = claimed.driver
        let resources = spec.linux?.resources
        var parentsMade = claimed.parentsMade
        func undoParents() {
            for d in parentsMade.sorted(by: { $0.count > $1.count }) { _ = try? removeDirectory(d) }
        }
        if !claimed.deferred.isEmpty {
            let pathField = InputField.config(Runtime.cgroupsPathField(spec))
            var marked = true
            do {
                // One there already is used only if empty and thawed: the claim's mkdir tells
                // which (no stat first), and what it made is removed again if one is not.
                var inodes: [String: UInt64] = [:]
                let made = try CgroupOwnership.claim(claimed.deferred, owner: store.directory(id), parentsMade: &parentsMade,
                                                     marked: &marked, inodes: &inodes,
                                                     lockParent: CgroupOwnership.lockDirectory(for: driver.directories))
                driver.made.formUnion(made)
                plan.cgroupMarked = claimed.marked && marked
                plan.cgroupMade = driver.made.sorted()
                if !inodes.isEmpty { plan.cgroupInodes = (plan.cgroupInodes ?? [:]).merging(inodes) { $1 } }
                if made != Set(claimed.deferred) {
                    try store.saveCgroupClaim(id, CgroupClaim(driver: driver.kind, paths: driver.paths, made: driver.made.sorted()))
                    let existing = claimed.deferred.filter { !made.contains($0) }
                    if !existing.isEmpty { try driver.checkReusable(existing: existing) }
                }
            } catch {
                // Only what this create made is killed and removed (init, born in the unified
                // directory it made): destroy() signals every process in the driver's directories,
                // and one found there (another container's, or made by someone since the look
                // before the fork) may hold processes that are not the container's.
                let notMade = Set(driver.directories).subtracting(driver.made)
                try? Self.load(kind: driver.kind, paths: driver.paths, made: Array(driver.made), without: notMade)?.destroy()
                undoParents()
                throw RuntimeError(field: pathField, cause: error)
            }
        }
        do {
            try driver.create()
        } catch {
            try? driver.destroy()
            undoParents()
            if let e = error as? DBusError { throw RuntimeError(field: .flag("--systemd-cgroup"), cause: e) }
            throw RuntimeError(step: "cgroup", cause: error)
        }
        debug("cgroup made: \(driver.paths.sorted(by: { $0.key < $1.key }).map { "\($0.key.isEmpty ? "unified" : $0.key)=\($0.value)" }.joined(separator: " "))")
        do {
            try driver.apply(resources ?? LinuxResources(), update: false)
        } catch let e as DeviceFilterUnavailable {
            // In a user namespace on cgroup v2 no device filter can be attached (runc skips the
            // rules there): the cgroup keeps the filters it inherits. That may do unless the rules
            // deny a node the runtime itself puts in /dev, which the container could then use.
            if let (node, why) = e.firstDenied(Self.deviceNodes(spec)) {
                try? driver.destroy()
                undoParents()
                throw RuntimeError(field: .config("linux.resources.devices"),
                                   "\(node.name) (\(node.type) \(node.major):\(node.minor)): \(why), but no device "
                                   + "filter can be attached in a user namespace (the node would be usable)", cause: e.cause)
            }
            debug("device rules not applied (\(e.cause)): none of them restricts a device node the container is given")
        } catch {
            try? driver.destroy()
            undoParents()
            throw RuntimeError(field: .config(""), cause: error)
        }
        Fault.point("create.cgroup")
        return driver
    }

    /// The device nodes the runtime makes or binds in the container's /dev: `linux.devices`, then
    /// the default devices.
    static func deviceNodes(_ spec: Spec) -> [DeviceNode] {
        var nodes: [DeviceNode] = []
        for (i, d) in (spec.linux?.devices ?? []).enumerated() {
            guard let t = d.type.first, d.type.count == 1, let major = d.major, let minor = d.minor else { continue }
            nodes.append(DeviceNode(name: "linux.devices[\(i)] \(d.path)", type: t == "u" ? "c" : t, major: major, minor: minor))
        }
        for (path, major, minor) in RootfsBuilder.defaultDevices {
            nodes.append(DeviceNode(name: "the default device \(path)", type: "c", major: Int64(major), minor: Int64(minor)))
        }
        return nodes
    }

    /// How an error names the cgroup: the config field when it is set, else the default path.
    static func cgroupsPathField(_ spec: Spec) -> String {
        guard let p = spec.linux?.cgroupsPath, !p.isEmpty else { return "linux.cgroupsPath (not set: the default cgroup)" }
        return "linux.cgroupsPath \"\(p)\""
    }

    /// The driver of an existing container (nil for one created without cgroups), without the
    /// directories it made that are someone else's now: nothing signals, freezes, writes to or
    /// removes them. `replaced`: `replacedCgroups(of: record)`, which reads the ownership marks,
    /// read once by the command and handed to each call.
    public func cgroup(of record: ContainerRecord, replaced: [String]) -> CgroupDriver? {
        guard let kind = record.cgroupDriver, let paths = record.cgroupPaths, !paths.isEmpty else { return nil }
        return Self.load(kind: kind, paths: paths, made: record.cgroupMade, without: Set(replaced))
    }

    /// The driver of `paths` and `made` less the directories in `replaced`; nil when none is left.
    static func load(kind: String, paths: [String: String], made: [String]?, without replaced: Set<String>) -> CgroupDriver? {
        guard !replaced.isEmpty else { return Cgroups.load(kind: kind, paths: paths, made: made) }
        let kept = paths.filter { !replaced.contains($0.value) }
        if kept.isEmpty { return nil }
        let keptKind = kind == "hybrid" && kept[""] == nil ? "v1" : kind  // the unified one tracks only
        return Cgroups.load(kind: keptKind, paths: kept, made: made?.filter { !replaced.contains($0) })
    }

    /// The cgroup a create without state.json claimed (StateStore.saveCgroupClaim), less the
    /// directories that are not its own: the claim is written before the mkdir, so a create killed
    /// in between names directories someone else may have made since, and one made may have been
    /// removed and made again. A directory is the container's when it carries the container's mark, or carries none
    /// where the runtime could not have marked it (rootless). Nil when nothing is left.
    func claimedCgroup(_ id: String, _ claim: CgroupClaim) -> CgroupDriver? {
        if !claim.driver.hasPrefix("systemd-") {
            let made = claim.made ?? Array(Set(claim.paths.values))
            let couldMark = Identity.isRoot && !Identity.inUserNamespace
            let replaced = Set(CgroupOwnership.replaced(made, owner: store.directory(id), marked: couldMark))
            return Self.load(kind: claim.driver, paths: claim.paths, made: made, without: replaced)
        }
        return Cgroups.load(kind: claim.driver, paths: claim.paths, made: claim.made)
    }

    /// The cgroup directories `record`'s create made that are not its own any more: removed by
    /// hand and made again (by another container with that cgroupsPath, or anyone). One stat (or
    /// getxattr, in a state without inode numbers) a directory made. A systemd unit's directories are systemd's: not looked at.
    public func replacedCgroups(of record: ContainerRecord) -> [String] {
        guard let made = record.cgroupMade, !made.isEmpty, let kind = record.cgroupDriver, !kind.hasPrefix("systemd-") else {
            return []
        }
        return CgroupOwnership.replaced(made, owner: store.directory(record.id), marked: record.cgroupMarked == true,
                                        inodes: record.cgroupInodes)
    }

    /// Throws, naming them, when a directory of `record`'s cgroup is someone else's now: `command`
    /// would write into a cgroup the container does not own.
    /// `replaced`: `replacedCgroups(of: record)` when the caller has it already.
    func requireOwnCgroup(_ record: ContainerRecord, _ command: String, replaced known: [String]? = nil) throws {
        let replaced = known ?? replacedCgroups(of: record)
        guard !replaced.isEmpty else { return }
        let list = replaced.sorted().joined(separator: ", ")
        throw RuntimeError(step: "\(command) \(record.id)", object: list,
                           "the cgroup \(list) was removed and made again by someone else (not the container's any more): left alone")
    }
}
