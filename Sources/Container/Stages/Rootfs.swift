import Cgroups
import Glibc
import Kernel
import RuntimeSpec

/// Builds the container's mount tree inside its mount namespace: the root filesystem bound onto
/// itself, every `mounts[]` entry resolved inside it (never following a symlink out of it), the
/// devices, then pivot_root, and after it the masked and read-only paths.
struct RootfsBuilder {
    let plan: InitPlan
    var spec: Spec { plan.spec }
    var inUserNS: Bool { plan.userNamespaceInUse }
    /// Whether the spec mounts something at /dev (then we populate it with devices).
    var devIsFresh = false

    /// Bind sources staged before the user namespace (BindSources): names in `staging`.
    let staged: BindSources.Staged
    var stagedSources: [Int: String] { staged.names }
    /// The directory of the staged sources (the working directory BindSources left the init in).
    var staging: FD?
    /// Waits until the container's cgroup is made and limited, and joins it (InitStage.buildRoot):
    /// called once, before the first step the cgroup must see (a mount that needs it,
    /// `MountPlan.needsContainerCgroup`; the device nodes, made under the devices cgroup's rules),
    /// or after the mounts when none came. nil when init joined the cgroup before this.
    var awaitCgroup: (() throws -> Void)?

    init(plan: InitPlan, staged: BindSources.Staged = BindSources.Staged()) {
        self.plan = plan
        self.staged = staged
    }

    /// No mount namespace: the container inherits the runtime's (the spec's MUST). Its mounts are
    /// then made there, as runc makes them, under a private bind of the rootfs on itself that
    /// `delete` detaches again (RuntimeNamespaceRootfs); the process is chrooted into it, never
    /// pivoted (that would change the root of every process in the namespace).
    var inRuntimeNamespace: Bool { !plan.hasMountNamespace }

    /// `linux.rootfsPropagation` `shared` (false) or `rshared` (true) with a mount namespace: "/"
    /// keeps its peers on the host while the root is built (with pivot_root or, --no-pivot, the
    /// move onto "/", which first makes the mount at "/" private). nil otherwise: "/" is made a
    /// recursive slave first.
    var sharedWithHostRecursively: Bool? {
        guard !inRuntimeNamespace else { return nil }
        switch spec.linux?.rootfsPropagation {
        case "shared": return false
        case "rshared": return true
        default: return nil
        }
    }

    /// The mount the rootfs lives on (the last mount at the longest mount point holding it) made
    /// private, not recursively, as runc's rootfsParentMountPrivate: only if it is shared.
    func makeRootfsParentPrivate(_ rootfs: String) throws {
        var parent: MountInfoEntry?
        for m in try MountInfo.read() {
            let holds = m.mountPoint == "/" || m.mountPoint == rootfs || rootfs.hasPrefix(m.mountPoint + "/")
            if holds, m.mountPoint.utf8.count >= (parent?.mountPoint.utf8.count ?? 0) { parent = m }
        }
        guard let parent, parent.isShared else { return }
        try Mount.setPropagation(parent.mountPoint, .private, recursive: false, describe: "\(parent.mountPoint) (holding the rootfs)")
    }

    /// Returns the bind of the rootfs on itself, for `enterRoot`: the root is entered through it, not
    /// through root.path again, which a rename in the bundle could point elsewhere by then. Leaves a
    /// read-only /dev's mount (see `mountAll`) in `readOnlyDev`, for `finish`.
    mutating func prepare(readOnlyDev: inout OwnedFD?) throws -> FD {
        let rootfs = plan.rootfs
        if let recursive = sharedWithHostRecursively {
            try InitStage.step("make / shared") {
                // Kubernetes' Bidirectional propagation (as runc): a mount made under an `rshared`
                // bind of a shared host mount reaches the host, and the host's reach the container.
                try Mount.setPropagation("/", .shared, recursive: recursive, describe: "/")
                // The runtime's own mounts (the rootfs bind, proc, dev, ...) must not: the mount
                // holding the rootfs is made private, so the bind of the rootfs is a private copy.
                try makeRootfsParentPrivate(rootfs)
            }
        } else if !inRuntimeNamespace {
            try InitStage.step("make / a slave") {
                // Nothing we mount may propagate back to the host.
                try Mount.setPropagation("/", .slave, recursive: true, describe: "/")
            }
        }
        // root.path is resolved once (symlinks followed, as runc): the bind is made of that
        // directory, onto it, and everything after goes through the bind's fd. By path, a racing
        // rename in the bundle (`rootfs` exchanged with another directory) made the bind of one
        // directory, the mounts in another and pivot_root into a third: the container ran without
        // /proc, /dev, masked and read-only paths.
        let bound = try InitStage.step("bind the root filesystem") { () throws -> FD in
            let directory = OwnedFD(try FD.open(rootfs, O_PATH | O_DIRECTORY))
            let tree = try Self.bindOnItself(directory.fd, rootfs)
            if inRuntimeNamespace {
                // Private: the container's mounts under it reach no other mount namespace.
                try Mount.setPropagation(tree.procPath, .private, recursive: true, describe: rootfs)
                try RuntimeNamespaceRootfs.record(bind: tree, rootfs: rootfs, stateDirectory: plan.stateDirectory)
            }
            return tree
        }
        let root = { RootedPath(root: try FD.openAt(bound, ".", O_PATH | O_DIRECTORY), rootPath: rootfs) }
        if stagedSources.isEmpty {
            try root().withRoot { root in try mountAll(root: root, readOnlyDev: &readOnlyDev) }
            return bound
        }
        let stagingDirectory = try OwnedFD.open(".", O_PATH | O_DIRECTORY)
        // Back where it was (best effort: the container's root may not reach it), as without staging.
        if let previous = staged.previousDirectory { try? changeDirectory(previous) }
        staging = stagingDirectory.fd
        defer { staging = nil }
        try root().withRoot { root in try mountAll(root: root, readOnlyDev: &readOnlyDev) }
        return bound
    }

    /// The bind of `directory` on itself, recursive, and an fd of the bind's root. A detached
    /// copy (open_tree) attached onto the fd (move_mount); where either call is refused (a seccomp
    /// filter of an outer container: EPERM, ENOSYS; one may allow open_tree and not move_mount),
    /// mount(2) from and onto the fd's /proc path, and the bind's root opened by `path`, which must
    /// then be that directory (same inode) on another mount.
    static func bindOnItself(_ directory: FD, _ path: String) throws -> FD {
        do {
            let tree = try MountAPI.cloneTree(directory.procPath, recursive: true)
            do { try MountAPI.moveMount(tree, onto: directory, describe: "bind \(path) on itself") } catch {
                tree.close()
                throw error
            }
            return tree
        } catch let e as SysError where (e.call == "open_tree" || e.call == "move_mount") && (e.errno == EPERM || e.errno == ENOSYS) {
            try Mount.mount(source: directory.procPath, target: directory.procPath, type: nil, flags: [.bind, .recursive],
                            describe: "bind \(path) on itself")
            let bound = OwnedFD(try FD.open(path, O_PATH | O_DIRECTORY))
            let a = try bound.fd.status(describe: path), b = try directory.status(describe: path)
            guard a.st_dev == b.st_dev, a.st_ino == b.st_ino,
                  let top = RuntimeNamespaceRootfs.mountID(of: bound.fd), top != RuntimeNamespaceRootfs.mountID(of: directory) else {
                throw RuntimeError(step: "bind the root filesystem", field: .config("root.path"), object: path,
                                   "\(path) was replaced while the container was being created")
            }
            return bound.release()
        }
    }

    /// The `mounts[]` entries, the devices and their links, under the root open at `root`. A
    /// read-only /dev (not a bind) is mounted writable, filled (devpts, shm, mqueue, device nodes,
    /// links, /dev/console) and made read-only at the end, through the fd of its mount left in
    /// `readOnlyDev`.
    private mutating func mountAll(root: RootedPath, readOnlyDev: inout OwnedFD?) throws {
        for (i, m) in plan.mounts.enumerated() {
            if m.needsContainerCgroup { try joinCgroupWhenReady() }
            if m.isReadOnlyDev {
                try InitStage.step("mounts[\(i)] (\(m.mount.destination))") {
                    try mountOne(m.writable, index: i, root: root)
                    readOnlyDev = OwnedFD(try Self.mountRoot("/dev", root: root, under: root.root))
                }
            } else {
                try InitStage.step("mounts[\(i)] (\(m.mount.destination))") { try mountOne(m, index: i, root: root) }
            }
            if m.isDev { devIsFresh = true }
        }
        if devIsFresh || !(spec.mounts ?? []).contains(where: { Kernel.cleanAbsolutePath($0.destination) == "/dev" }) {
            try joinCgroupWhenReady()
            let dev = try InitStage.step("devices") { try createDevices(root: root) }
            return try InitStage.step("/dev links") { try createDevLinks(root: root, dev: dev) }
        }
        try InitStage.step("/dev links") { try createDevLinks(root: root, dev: nil) }
    }

    /// `awaitCgroup`, the first time only.
    mutating func joinCgroupWhenReady() throws {
        guard let wait = awaitCgroup else { return }
        awaitCgroup = nil
        try wait()
    }

    func mountOne(_ planned: MountPlan, index: Int, root: RootedPath) throws {
        let m = planned.mount
        let flags = planned.flags
        let data = planned.data
        let dest = m.destination
        if planned.isBind {
            var source = m.source ?? ""
            if !source.hasPrefix("/") { source = plan.bundle + "/" + source }
            let st: stat
            let staged = stagedSources[index]
            if let staged, let staging {
                st = try staging.status(of: staged, describe: "mounts[\(index)].source \(source)")
            } else {
                // The real errno: a source the container's user cannot reach is EACCES, not "missing".
                st = try FD.atWorkingDirectory.status(of: source, describe: "mounts[\(index)].source \(source)")
            }
            let isDir = (st.st_mode & S_IFMT) == S_IFDIR
            let target = OwnedFD(isDir ? try root.makeDirectories(dest) : try root.makeFile(dest))
            // The bind is made detached (open_tree), its flags are set on that detached mount, and
            // it is attached onto the target fd resolved inside the rootfs: no path is resolved
            // again after the check, so a destination swapped for a symlink meanwhile can neither
            // redirect the mount nor leave it without its flags (ro, nosuid, ...).
            let attrs = Self.attributes(ofFlags: planned.flags, cleared: planned.clearedFlags, keepLocked: inUserNS)
            let tree: OwnedFD
            var attrsSet = false
            if let staged, let staging {
                tree = OwnedFD(try MountAPI.cloneTree(at: staging, staged, recursive: planned.recursiveBind, describe: source))
            } else if let mapped = plan.idmapTrees[index] {
                tree = OwnedFD(mapped)  // ID-mapped: the parent made the mapped tree (see IDMapMounts).
            } else if !planned.recursiveBind {
                // Not recursive, the attributes go on the one mount either way: one call where the
                // kernel has open_tree_attr (an rbind's attributes are on its top mount only, which
                // the merged call, recursive for a recursive clone, cannot do).
                tree = OwnedFD(try MountAPI.cloneTree(source, recursive: false, set: attrs.set, clear: attrs.clear,
                                                      describe: "bind \(source) on \(dest)"))
                attrsSet = true
            } else {
                tree = OwnedFD(try MountAPI.cloneTree(source, recursive: planned.recursiveBind))
            }
            if !attrsSet && (!attrs.set.isEmpty || !attrs.clear.isEmpty) {
                try MountAPI.setAttributes(tree.fd, set: attrs.set, clear: attrs.clear, describe: "bind \(source) on \(dest)")
            }
            try MountAPI.moveMount(tree.fd, onto: target.fd, describe: "bind \(source) on \(dest)")
            try applyPropagationAndAttrs(planned, dest: dest, root: root, mount: tree.fd)
            return
        }
        let type = m.type ?? "none"
        // proc's and sysfs's checked directory is the target itself: not resolved a second time.
        let checked = type == "proc" || type == "sysfs" ? try checkProcDestination(dest, type: type, root: root) : nil
        let target = OwnedFD(try checked ?? root.makeDirectories(dest))
        var mflags = flags.subtracting(MountFlags.propagation)
        mflags.remove(.bind)
        switch type {
        case "cgroup", "cgroup2":
            try mountCgroup(target: target.fd, dest: dest, flags: mflags, root: root)
        case "sysfs":
            do {
                try Mount.mount(source: m.source ?? "sysfs", target: target.fd.procPath, type: "sysfs", flags: mflags,
                                data: data, describe: "sysfs on \(dest)")
            } catch let e as SysError where e.errno == EPERM && inUserNS {
                // Without its own network namespace a user namespace may not mount sysfs: bind the
                // host's, with the flags asked for on every mount of it (ro, nosuid, ... are as much
                // a part of the request as the filesystem).
                let tree = OwnedFD(try MountAPI.cloneTree("/sys", recursive: true))
                let attrs = Self.attributes(ofFlags: planned.flags, cleared: [], keepLocked: true)
                if !attrs.set.isEmpty || !attrs.clear.isEmpty {
                    try MountAPI.setAttributes(tree.fd, set: attrs.set, clear: attrs.clear, recursive: true,
                                               describe: "bind /sys on \(dest)")
                }
                try MountAPI.moveMount(tree.fd, onto: target.fd, describe: "bind /sys on \(dest)")
                try applyPropagationAndAttrs(planned, dest: dest, root: root, mount: tree.fd)
                return
            }
        default:
            var data = data
            if type == "proc", let pidns = plan.procPIDNamespaceOption {
                // Mounted outside the joined pid namespace: proc would show ours without it.
                data = data.map { $0 + "," + pidns } ?? pidns
            }
            if planned.tmpcopyup && type == "tmpfs" {
                try mountCopyingUp(source: m.source ?? type, flags: mflags, data: data, dest: dest, root: root, target: target.fd)
            } else {
                try Mount.mount(source: m.source ?? type, target: target.fd.procPath, type: type, flags: mflags,
                                data: data, describe: "\(type) on \(dest)")
            }
        }
        guard !planned.propagation.isEmpty || planned.hasRecursiveAttributes else { return }
        let mounted = OwnedFD(try Self.mountRoot(dest, root: root, under: target.fd))
        try applyPropagationAndAttrs(planned, dest: dest, root: root, mount: mounted.fd)
    }

    /// `tmpcopyup`: a tmpfs on `target` that starts with a copy of what the rootfs has there, read
    /// through an fd of the directory opened before the tmpfs covers it (TreeCopy: by fd, never
    /// following a symlink). Mounted writable, and made read-only after the copy when `ro`.
    func mountCopyingUp(source: String, flags: MountFlags, data: String?, dest: String, root: RootedPath,
                        target: FD) throws {
        let below = OwnedFD(try FD.openAt(target, ".", O_RDONLY | O_DIRECTORY))
        try Mount.mount(source: source, target: target.procPath, type: "tmpfs", flags: flags.subtracting(.readOnly),
                        data: data, describe: "tmpfs on \(dest)")
        let mounted = OwnedFD(try Self.mountRoot(dest, root: root, under: target))
        let top = OwnedFD(try FD.openAt(mounted.fd, ".", O_RDONLY | O_DIRECTORY))
        try TreeCopy.copyContents(of: below.fd, into: top.fd, describe: dest)
        if flags.contains(.readOnly) {
            try MountAPI.setAttributes(mounted.fd, set: .readOnly, describe: "\(dest) read-only")
        }
    }

    /// Propagation and recursive attributes (`rro`, ...) of the mount `mount` (an fd of the mount
    /// itself: mount_setattr on it resolves no path).
    func applyPropagationAndAttrs(_ planned: MountPlan, dest: String, root: RootedPath, mount: FD) throws {
        for p in planned.propagation {
            try MountAPI.setPropagation(mount, p.type, recursive: p.recursive, describe: "propagation of \(dest)")
        }
        if planned.hasRecursiveAttributes {
            try MountAPI.setAttributes(mount, set: planned.recursiveSet, clear: planned.recursiveClear,
                                       recursive: true, describe: dest)
        }
    }

    /// The mount just made by mount(2) on `dest`, for changes after the mount: `dest` opened again
    /// inside the root, which must be the root of another filesystem than `under` (the directory
    /// it was mounted on, or the rootfs): a path swapped meanwhile is refused, not followed.
    static func mountRoot(_ dest: String, root: RootedPath, under: FD) throws -> FD {
        let fd = OwnedFD(try root.open(dest, O_PATH | O_DIRECTORY))
        let a = try fd.fd.status(describe: dest), b = try under.status(describe: "the directory under \(dest)")
        if a.st_dev == b.st_dev {
            throw RuntimeError(step: "mounts", object: dest, "\(dest): the mount just made is no longer at \(dest) in the rootfs "
                + "(the path was replaced while the container was being created)")
        }
        return fd.release()
    }

    /// The attributes to set and clear for the per-mount flags `flags` (and the ones `cleared` by
    /// options such as `rw`), as a bind remount with those flags would leave them.
    /// With `keepLocked` (in a user namespace) nothing is cleared but the access-time mode being
    /// replaced: the kernel refuses to clear flags it locked, and those are the host's.
    static func attributes(ofFlags flags: MountFlags, cleared: MountFlags,
                           keepLocked: Bool) -> (set: MountAttributes, clear: MountAttributes) {
        let pairs: [(MountFlags, MountAttributes)] = [
            (.readOnly, .readOnly), (.noSuid, .noSuid), (.noDev, .noDev),
            (.noExec, .noExec), (.noSymFollow, .noSymFollow), (.noDirAtime, .noDirAtime),
        ]
        var set: MountAttributes = [], clear: MountAttributes = []
        for (flag, attr) in pairs {
            if flags.contains(flag) { set.insert(attr) } else if cleared.contains(flag) && !keepLocked { clear.insert(attr) }
        }
        if flags.contains(.noAtime) {
            set.insert(.noAtime)
            clear.formUnion(.atimeMask)
        } else if flags.contains(.strictAtime) {
            set.insert(.strictAtime)
            clear.formUnion(.atimeMask)
        } else if flags.contains(.relatime) {
            clear.formUnion(.atimeMask)
        }
        // As with runc's remount: only a mount that asks for a flag is changed at all.
        return set.isEmpty && clear.isDisjoint(with: .atimeMask) ? ([], []) : (set, clear)
    }

    /// proc and sysfs go on an ordinary directory of the rootfs only: not on a symlink or through
    /// one (CVE-2019-16884: a /proc that is a symlink redirects the runtime's later /proc writes and
    /// masks), not on a file (CVE-2019-19921). Returns the directory (an O_PATH fd of it, found
    /// without following any symlink), or nil when it is missing (the caller creates it).
    func checkProcDestination(_ dest: String, type: String, root: RootedPath) throws -> FD? {
        let path = Kernel.cleanAbsolutePath(dest)
        func refusal(_ reason: String) -> RuntimeError {
            RuntimeError(step: "mounts", object: path, "\(type) on \(path): \(reason)")
        }
        // The common case in one call: a directory at the end (O_DIRECTORY) needs no fstat. Where
        // anything else is there (ENOTDIR), opened again as it is, to tell what it is.
        do { return try root.openRefusingSymlinks(path, flags: O_DIRECTORY) } catch let e as SysError where e.errno != ENOTDIR {
            switch e.errno {
            case ENOENT: return nil
            case ELOOP:
                throw refusal("a directory above \(path) in the rootfs is a symbolic link: refusing to mount \(type) through it")
            default: throw e
            }
        } catch let e as SysError where e.errno == ENOTDIR {}
        let fd: FD
        do {
            fd = try root.openRefusingSymlinks(path)
        } catch let e as SysError {
            switch e.errno {
            case ENOENT: return nil
            case ELOOP:
                throw refusal("a directory above \(path) in the rootfs is a symbolic link: refusing to mount \(type) through it")
            case ENOTDIR:
                throw refusal("\(path) in the rootfs is not a directory: \(type) must be mounted on an ordinary directory")
            default: throw e
            }
        }
        let kind = FileKind.of(fd: fd)
        if kind == .directory { return fd }
        fd.close()
        if kind == .symlink {
            throw refusal("\(path) in the rootfs is a symbolic link: refusing to mount \(type) on it")
        }
        throw refusal("\(path) in the rootfs is not a directory: \(type) must be mounted on an ordinary directory")
    }

    /// cgroup2 where the host has a unified hierarchy at /sys/fs/cgroup; otherwise a tmpfs with one
    /// mount per v1 hierarchy the host has (and the hybrid host's `unified`).
    ///
    /// A fresh cgroup mount shows the whole hierarchy as the container's cgroup namespace sees it.
    /// Without a cgroup namespace of its own that is the host's whole tree (other containers'
    /// names, limits and processes), so each hierarchy is then the container's own cgroup bound
    /// there, as runc binds each v1 hierarchy's; and where the kernel refuses the mount (EPERM,
    /// EBUSY: a user namespace whose cgroup namespace is not its own) the same. What no own
    /// cgroup can be found for stays an empty directory (an empty read-only tmpfs where it would
    /// leave a host mount below visible), never the host's tree.
    func mountCgroup(target: FD, dest: String, flags: MountFlags, root: RootedPath) throws {
        let hier = plan.cgroupHierarchies ?? CgroupHierarchies.host()
        let ownNS = plan.newNamespaces.contains(.cgroup) || plan.joins.contains { $0.kind == .cgroup }
        var procCgroups: [String: String]?  // /proc/self/cgroup, read when first needed
        /// mount(2) on the target through /proc/self/fd: an entry is opened for it without following
        /// a symlink, and must be a directory.
        func mountOn(_ target: MountAPI.Target, _ body: (String) throws -> Void) throws {
            switch target {
            case .fd(let fd): try body(fd.procPath)
            case .entry(let parent, let name):
                let fd = OwnedFD(try FD.openAt(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
                try body(fd.fd.procPath)
            }
        }
        /// The container's cgroup in one hierarchy where the runtime made or joined none there
        /// (`mountHierarchy` binds that one first): without a cgroup namespace, the one
        /// /proc/self/cgroup names in the hierarchy the host mount shows, which is the container's
        /// (rootless without a cgroup of its own).
        func ownDirectory(_ key: String, mountPoint: String, mountRoot: String) -> String? {
            guard !ownNS else { return nil }
            if procCgroups == nil { procCgroups = CgroupHost.ownCgroups() }
            guard let own = procCgroups?[key],
                  let dir = CgroupHierarchies.directory(ofCgroup: own, mountPoint: mountPoint, root: mountRoot),
                  isDirectory(dir) else { return nil }
            return dir
        }
        /// A fresh mount in a cgroup namespace of the container's own; otherwise, or where the
        /// kernel refuses it, the own cgroup bound (false: there is none to bind).
        func mountHierarchy(_ target: MountAPI.Target, _ where_: String, key: String, mountPoint: String, mountRoot: String,
                            fresh: () throws -> Void) throws -> Bool {
            if ownNS {
                do { try fresh(); return true } catch let e as SysError where e.errno == EPERM || e.errno == EBUSY {}
            }
            // The one the runtime made or joined, bound without a stat first (a walk of the whole
            // path on cgroupfs): open_tree tells when it is not there, move_mount when it is no
            // directory.
            if let dir = plan.cgroupPaths[key] {
                do {
                    try bindTree(dir, recursive: false, flags: flags, onto: target, describe: "bind \(dir) on \(where_)")
                    return true
                } catch let e as SysError where e.errno == ENOENT || e.errno == ENOTDIR {}
            }
            guard let dir = ownDirectory(key, mountPoint: mountPoint, mountRoot: mountRoot) else { return false }
            try bindTree(dir, recursive: false, flags: flags, onto: target, describe: "bind \(dir) on \(where_)")
            return true
        }
        func cgroup2(_ target: MountAPI.Target, _ where_: String, mountPoint: String, mountRoot: String) throws -> Bool {
            try mountHierarchy(target, where_, key: "", mountPoint: mountPoint, mountRoot: mountRoot) {
                try mountOn(target) {
                    try Mount.mount(source: "cgroup2", target: $0, type: "cgroup2", flags: flags,
                                    describe: "cgroup2 on \(where_) (host \(mountPoint))")
                }
            }
        }
        if hier.isPureV2 {
            if try cgroup2(.fd(target), dest, mountPoint: "/sys/fs/cgroup", mountRoot: hier.pureV2Root) { return }
            // Nothing to show: an empty tmpfs hides what is below (a /sys bound from the host has
            // the host's cgroup2 there).
            try Mount.mount(source: "tmpfs", target: target.procPath, type: "tmpfs",
                            flags: [.noSuid, .noDev, .noExec, .readOnly], data: "mode=755", describe: "tmpfs on \(dest)")
            return
        }
        try Mount.mount(source: "tmpfs", target: target.procPath, type: "tmpfs",
                        flags: [.noSuid, .noDev, .noExec], data: "mode=755", describe: "tmpfs on \(dest)")
        let tmpfs = OwnedFD(try Self.mountRoot(dest, root: root, under: target))
        /// A directory made in the tmpfs, through its fd (never through `dest` again). A bind is
        /// moved onto it by name beneath the tmpfs's fd (move_mount resolves the one component and
        /// follows no symlink there); only a fresh mount, which mount(2) makes on a path, opens it
        /// (an open and a close fewer for each hierarchy bound).
        func directory(_ name: String) throws -> MountAPI.Target {
            try tmpfs.fd.makeDirectory(name, describe: "\(dest)/\(name)")
            return .entry(in: tmpfs.fd, name: name)
        }
        for h in hier.v1 {
            let sub = try directory(h.name)
            let key = h.options.split(separator: ",").first.map(String.init) ?? h.name
            _ = try mountHierarchy(sub, dest + "/" + h.name, key: key, mountPoint: h.mountPoint, mountRoot: h.root) {
                try mountOn(sub) {
                    try Mount.mount(source: "cgroup", target: $0, type: "cgroup", flags: flags,
                                    data: h.options, describe: "cgroup \(h.options) on \(dest)/\(h.name)")
                }
            }
            // `cpu` and `cpuacct` name the co-mounted `cpu,cpuacct`, as on the host.
            if h.name.contains(",") {
                for part in h.name.split(separator: ",") {
                    _ = try? tmpfs.fd.makeSymlink(String(part), to: h.name, describe: "\(dest)/\(part)")
                }
            }
        }
        if let unified = hier.unifiedMountPoint {
            _ = try cgroup2(try directory("unified"), dest + "/unified", mountPoint: unified, mountRoot: hier.unifiedRoot)
        }
        if flags.contains(.readOnly) {
            try MountAPI.setAttributes(tmpfs.fd, set: .readOnly, describe: "\(dest) read-only")
        }
    }

    /// Binds `source` (with the mounts under it when `recursive`) onto `target` with the per-mount
    /// flags of `flags` set on the detached copy first (on every mount of it when `recursive`).
    func bindTree(_ source: String, recursive: Bool, flags: MountFlags, onto target: MountAPI.Target, describe: String) throws {
        let attrs = Self.attributes(ofFlags: flags, cleared: [], keepLocked: true)
        let tree = OwnedFD(try MountAPI.cloneTree(source, recursive: recursive, set: attrs.set, clear: attrs.clear,
                                                  describe: describe))
        try MountAPI.moveMount(tree.fd, onto: target, describe: describe)
    }

    static let defaultDevices: [(String, UInt32, UInt32)] = [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ]

    /// Returns the fd of /dev where a node was made there (for `createDevLinks`), else nil.
    func createDevices(root: RootedPath) throws -> FD? {
        var devices: [DeviceNode] = Self.defaultDevices.map { path, major, minor in
            DeviceNode(type: "c", path: path, major: Int64(major), minor: Int64(minor), fileMode: 0o666, uid: 0, gid: 0)
        }
        for d in spec.linux?.devices ?? [] {
            devices.removeAll { $0.path == d.path }
            devices.append(DeviceNode(type: d.type, path: d.path, major: d.major, minor: d.minor,
                                      fileMode: d.fileMode, uid: d.uid, gid: d.gid))
        }
        // Each parent directory opened once (every node of /dev shares one): two system calls
        // fewer a node. The fd holds the directory itself, whatever its path leads to later.
        var parents: [String: FD] = [:]
        defer { for fd in parents.values { fd.close() } }
        var freshDev = devIsOwnTmpfs ? FreshDirectory.State.unknown : .no
        for d in devices { try createDevice(d, root: root, parents: &parents, freshDev: &freshDev) }
        return parents.removeValue(forKey: "dev")
    }

    /// Whether /dev is the tmpfs mounts[] put there a moment ago: the last entry at /dev mounts a
    /// tmpfs (not a bind of the host's /dev, not another filesystem), no entry mounts the root again.
    var devIsOwnTmpfs: Bool {
        guard devIsFresh, !inUserNS else { return false }
        var own = false
        for m in plan.mounts {
            switch Kernel.cleanAbsolutePath(m.mount.destination) {
            case "/dev": own = m.isDev && m.mount.type == "tmpfs"
            case "/": own = false
            default: break
            }
        }
        return own
    }

    /// A directory the init stage's own tmpfs mount made a moment before (its root), where nothing
    /// can be yet but what mounts[] put there: a node made in it gets the init's fsuid and fsgid
    /// (when the directory is not set-group-ID) and the permissions asked for (umask is 0 here, and
    /// a new tmpfs root has no default ACL; set-ID and sticky bits aside, which mknod may strip).
    struct FreshDirectory {
        let uid: uid_t
        let gid: gid_t?  // nil: set-group-ID directory, the group is the directory's: chown as before
        enum State { case unknown, no, yes(FreshDirectory) }

        static func of(_ dir: FD, describe: String) throws -> FreshDirectory {
            let st = try dir.status(describe: describe)
            return FreshDirectory(uid: Identity.effectiveUID, gid: st.st_mode & S_ISGID == 0 ? Identity.effectiveGID : nil)
        }
    }

    struct DeviceNode {
        var type: String
        var path: String
        var major: Int64?
        var minor: Int64?
        var fileMode: UInt32?
        var uid: UInt32?
        var gid: UInt32?
    }

    /// `parents`: the parent directories opened so far, by their path in the root (closed by the caller).
    /// `freshDev`: whether /dev is the tmpfs just mounted (`devIsOwnTmpfs`), found out at its first node.
    func createDevice(_ d: DeviceNode, root: RootedPath, parents: inout [String: FD],
                      freshDev: inout FreshDirectory.State) throws {
        let path = Kernel.cleanAbsolutePath(d.path)
        let (parentRel, name) = root.split(String(path.dropFirst()))
        let parentFD: FD
        if let fd = parents[parentRel] { parentFD = fd } else {
            parentFD = try root.makeDirectories(parentRel)
            parents[parentRel] = parentFD
        }
        func bindHostNode() throws {
            let target = OwnedFD(try root.makeFile(path, mode: 0o600))
            try Mount.mount(source: d.path, target: target.fd.procPath, type: nil, flags: .bind,
                            describe: "bind device \(d.path)")
        }
        // mknod is not allowed in a user namespace: bind the host's node instead.
        if inUserNS { return try bindHostNode() }
        let type: mode_t
        switch d.type {
        case "c", "u": type = S_IFCHR
        case "b": type = S_IFBLK
        case "p": type = S_IFIFO
        default: throw RuntimeError(field: .config("linux.devices"), object: d.path, "\(d.path): unknown type \"\(d.type)\"")
        }
        let perm = (d.fileMode ?? 0o666) & 0o7777
        let major = UInt32(truncatingIfNeeded: d.major ?? 0), minor = UInt32(truncatingIfNeeded: d.minor ?? 0)
        let uid = d.uid ?? 0, gid = d.gid ?? 0
        // Directly in our fresh /dev: nothing to unlink first (mknod fails with EEXIST where a
        // mounts[] entry put something, and then the general way below runs), and chown and chmod
        // only where the node does not come out as asked already.
        if parentRel == "dev", case .unknown = freshDev {
            freshDev = .yes(try FreshDirectory.of(parentFD, describe: "/dev"))
        }
        if parentRel == "dev", case .yes(let fresh) = freshDev {
            do {
                try parentFD.makeDeviceNode(name, type: type, permissions: perm, major: major, minor: minor, describe: path)
                if uid != fresh.uid || fresh.gid != gid {
                    try parentFD.changeOwner(of: name, uid: uid, gid: gid, describe: path)
                }
                if perm & 0o7000 != 0 { try parentFD.changeMode(of: name, perm, describe: path) }
                return
            } catch let e as SysError where e.errno == EEXIST {
            } catch let e as SysError where e.errno == EPERM && Identity.inUserNamespace {
                return try bindHostNode()  // as below
            }
        }
        parentFD.removeEntry(name)
        do {
            try parentFD.makeDeviceNode(name, type: type, permissions: perm, major: major, minor: minor, describe: path)
        } catch let e as SysError where e.errno == EPERM && Identity.inUserNamespace {
            // The runtime itself runs in a user namespace that the container shares (its caller's):
            // the same as a user namespace of the container's own (runc binds on EPERM too).
            return try bindHostNode()
        }
        try parentFD.changeOwner(of: name, uid: uid, gid: gid, describe: path)
        // Not following a symlink: the node could have been swapped for one since mknod.
        try parentFD.changeMode(of: name, perm, describe: path)
    }

    /// `dev`: /dev opened already (closed here), nil: opened here.
    func createDevLinks(root: RootedPath, dev opened: FD?) throws {
        let dev = OwnedFD(try opened ?? root.makeDirectories("/dev"))
        var links = [("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"),
                     ("/proc/self/fd/2", "stderr")]
        if (spec.mounts ?? []).contains(where: { Kernel.cleanAbsolutePath($0.destination) == "/dev/pts" }) {
            links.append(("pts/ptmx", "ptmx"))
        }
        if (spec.mounts ?? []).contains(where: { Kernel.cleanAbsolutePath($0.destination) == "/proc" }) {
            links.append(("/proc/kcore", "core"))
        }
        for (target, name) in links {
            // ptmx replaces what is there (unlinked first); the others leave it. Unlinked only when
            // there is something: the result is the same, without an unlink on a fresh /dev.
            if try !dev.fd.makeSymlink(name, to: target, describe: "/dev/\(name)"), name == "ptmx" {
                dev.fd.removeEntry(name)
                try dev.fd.makeSymlink(name, to: target, describe: "/dev/\(name)")
            }
        }
    }

    /// Makes the prepared root the process's root: pivot_root (or, with --no-pivot, move + chroot),
    /// then the propagation the spec asks for.
    func enterRoot(through rootMount: FD) throws {
        let rootfs = plan.rootfs
        try InitStage.step("pivot_root") {
            do {
                defer { rootMount.close() }
                try Proc.changeDirectory(to: rootMount, describe: rootfs)
            }
            if inRuntimeNamespace {
                try changeRoot(".", describe: rootfs)
            } else if plan.noPivot {
                try hideHostProcAndSys(rootfs: rootfs)
                if sharedWithHostRecursively != nil {
                    // A move onto a shared mount is propagated to its peers: the rootfs would be
                    // stacked on the host's "/" too. Only the mount at "/" is made private: the
                    // binds in the rootfs keep their host peers (Bidirectional).
                    try Mount.setPropagation("/", .private, recursive: false, describe: "/ (below the moved rootfs)")
                }
                // ".": the bind the working directory is the root of (not root.path again).
                try Mount.mount(source: ".", target: "/", type: nil, flags: .move, describe: "move rootfs to /")
                try changeRoot(".", describe: rootfs)
            } else {
                // The old root, to stand in while it is detached: after pivot_root(".", ".") the
                // current directory is still the new root, so "." there named the container's
                // tree, and its recursive slave undid the propagation mounts[] asked for (a
                // `shared` bind lost its peer group). runc goes back to the old root the same way.
                let oldRoot = try OwnedFD.open("/", O_PATH | O_DIRECTORY)
                try Mount.pivotRoot(newRoot: ".", putOld: ".")
                try Proc.changeDirectory(to: oldRoot.fd, describe: "old root")
                // The old root is stacked on the new one: detach it (slave first so the unmount
                // does not propagate to the host).
                try Mount.setPropagation(".", .slave, recursive: true, describe: "old root")
                try Mount.unmount(".", detach: true)
            }
            try changeDirectory("/")
        }
    }

    /// Without pivot_root the old root stays in the container's mount namespace, under the chroot.
    /// The kernel lets a new user namespace mount procfs or sysfs while a fully visible mount of
    /// it exists in the mount namespace: the host's /proc and /sys would let a container process
    /// (`unshare -mrpf mount -t proc proc /mnt`) get an unmasked procfs. So, as runc does, every
    /// whole-filesystem proc and sysfs mount outside the rootfs is detached (slave first, so the
    /// unmount stays in this namespace), or covered with an empty tmpfs where it is locked.
    ///
    /// An unmount is propagated from the peers of the mount it is made on (its parent): with "/"
    /// shared (`rootfsPropagation` `rshared`), the host's /proc would go too. So a shared parent is
    /// made a slave first, by itself (what is below it keeps its peers).
    func hideHostProcAndSys(rootfs: String) throws {
        var points: [String] = []
        var sharedParents: [String] = []
        let mounts = try MountInfo.read()
        for m in mounts where (m.fsType == "proc" || m.fsType == "sysfs") && m.root == "/" {
            if m.mountPoint == rootfs || m.mountPoint.hasPrefix(rootfs == "/" ? "/" : rootfs + "/") { continue }
            points.append(m.mountPoint)
            if let parent = mounts.first(where: { $0.mountID == m.parentID }),
               parent.isShared, !sharedParents.contains(parent.mountPoint) {
                sharedParents.append(parent.mountPoint)
            }
        }
        for parent in sharedParents {
            try Mount.setPropagation(parent, .slave, recursive: false, describe: "\(parent) (holding the host's proc or sysfs)")
        }
        for point in points {
            // A mount under one detached before went with it.
            do { try Mount.setPropagation(point, .slave, recursive: true) } catch let e as SysError
                where e.errno == ENOENT || e.errno == EINVAL { continue }
            do { try Mount.unmount(point, detach: true) } catch let e as SysError where e.errno == EINVAL || e.errno == EPERM {
                try Mount.mount(source: "tmpfs", target: point, type: "tmpfs", flags: [.readOnly, .noSuid, .noDev, .noExec],
                                describe: "tmpfs over the host's \(point)")
            }
        }
    }

    /// The propagation the spec asks for on the new root. It comes last: an unbindable root would
    /// refuse the bind mounts that read-only and masked paths need.
    func applyRootPropagation() throws {
        if let prop = spec.linux?.rootfsPropagation {
            let flag: MountFlags
            switch prop.hasPrefix("r") ? String(prop.dropFirst()) : prop {
            case "shared": flag = .shared
            case "slave": flag = .slave
            case "private": flag = .private
            case "unbindable": flag = .unbindable
            default: throw RuntimeError.config("linux.rootfsPropagation", "unknown value \"\(prop)\"")
            }
            try InitStage.step("rootfsPropagation") { try Mount.setPropagation("/", flag, recursive: true) }
        }
    }

    /// After pivot_root: read-only and masked paths, then the read-only root.
    /// Every path is resolved inside the new root (no magic link, no way out) into an fd, and the
    /// mounts go onto those fds with the new mount API (CVE-2021-30465, CVE-2025-31133): a path
    /// swapped for a symlink cannot redirect them, and /dev/null must be the null device.
    /// `readOnlyDev`: the read-only /dev's mount, made so here (see `mountAll`).
    func finish(readOnlyDev: consuming OwnedFD?) throws {
        try RootedPath.open("/").withRoot { root in
            /// The fd of `path`, nil when it does not exist (nothing to protect).
            func target(_ path: String) throws -> OwnedFD? {
                do { return OwnedFD(try root.open(path, O_PATH)) } catch let e as SysError where e.errno == ENOENT || e.errno == ENOTDIR {
                    return nil
                }
            }
            for path in spec.linux?.readonlyPaths ?? [] {
                try InitStage.step("readonlyPaths \(path)") {
                    guard let found = try target(path) else { return }
                    try SafeMount.bindReadOnly(found.fd, describe: path)
                }
            }
            // Opened at the first masked file, closed with the root.
            var null = OwnedFDs<String>()
            for path in spec.linux?.maskedPaths ?? [] {
                try InitStage.step("maskedPaths \(path)") {
                    guard let found = try target(path) else { return }
                    if FileKind.of(fd: found.fd) == .directory {
                        try SafeMount.maskDirectory(found.fd, describe: path)
                    } else {
                        if null["/dev/null"] == nil {
                            let opened = OwnedFD(try root.open("/dev/null", O_PATH, followFinal: false))
                            try SafeMount.verifyNullDevice(opened.fd)
                            null.insert(opened, for: "/dev/null")
                        }
                        try SafeMount.maskFile(found.fd, null: null["/dev/null"]!, verified: true, describe: path)
                    }
                }
            }
        }
        if spec.root?.readonly == true {
            try InitStage.step("read-only root") {
                var flags: MountFlags = [.bind, .remount, .readOnly]
                flags.formUnion(try Mount.currentFlags("/"))
                try Mount.mount(source: nil, target: "/", type: nil, flags: flags, describe: "remount / ro")
            }
        }
        if let dev = readOnlyDev.take() {
            try InitStage.step("read-only /dev") {
                try MountAPI.setAttributes(dev.fd, set: .readOnly, describe: "/dev read-only")
            }
        }
        try applyRootPropagation()
    }
}
