import Glibc
import Kernel
import RuntimeSpec

/// Bind-mount sources of a container that gets a new user namespace, opened as the host sees them.
///
/// Once in its user namespace the init is the container's root, which may not traverse the
/// directories above a source (a 0700 directory of host root, say): resolving the source there
/// would fail with EACCES although the runtime, host root, may bind it (runc opens the sources
/// from the host side too). So the init, still host root and before unshare(CLONE_NEWUSER),
/// clones every bind source (open_tree OPEN_TREE_CLONE) and attaches the clones in a mount
/// namespace of its own, on a tmpfs over `<state dir>/binds`, which becomes its working directory.
/// The mount namespace made next, in the user namespace, copies them like any host mount, and that
/// copy into a less privileged namespace locks their flags and submounts: a read-only host mount
/// stays read-only for the container. (A detached tree cloned on the host and attached directly
/// in the container's namespace would carry no such lock.) unshare carries the working directory
/// over into the copy, so the rootfs builder reaches the staged sources by name from there,
/// without traversing anything above them.
enum BindSources {
    /// Where the staged sources are, in the state directory (the tmpfs is only ever mounted in the
    /// init's namespaces; on the host the directory stays empty and goes with the state directory).
    static let stagingName = "binds"

    /// Whether `plan` needs its bind sources staged: a new user namespace, a new (not joined)
    /// mount namespace and a bind mount. ID-mapped trees, made by the parent, are staged as they
    /// are: attached directly they would be just as unlocked.
    /// An unprivileged (rootless) runtime sees the sources as its own user, who is the container's
    /// root: nothing to stage (nor could it make the mount namespace outside its user namespace).
    static func needed(_ plan: InitPlan) -> Bool {
        guard Identity.isRoot, plan.createsUserNamespace, plan.newNamespaces.contains(.mount),
              !plan.joins.contains(where: { $0.kind == .mount }) else { return false }
        return plan.mounts.contains { $0.isBind }
    }

    /// What `stage` did: the staged name of each source, by index in `mounts`, relative to the
    /// working directory the init is left in, and the working directory it had before.
    struct Staged {
        var names: [Int: String] = [:]
        var previousDirectory: String?
    }

    /// Stages the sources (see above).
    static func stage(_ plan: InitPlan) throws -> Staged {
        guard needed(plan) else { return Staged() }
        do {
            try Namespaces.unshare(NamespaceKind.mount.cloneFlag, describe: "mount (bind sources)")
        } catch let e as SysError where e.errno == EPERM {
            return Staged()  // root without CAP_SYS_ADMIN: the sources are resolved inside, as before
        }
        // Nothing attached here may propagate to the host.
        try Mount.setPropagation("/", .slave, recursive: true, describe: "/")
        let dir = plan.stateDirectory + "/" + stagingName
        try makeDirectoryIfMissing(dir, mode: 0o700)
        // 0711: the container's root may look up the staged names, nothing more.
        try Mount.mount(source: "tmpfs", target: dir, type: "tmpfs", flags: [.noSuid, .noDev, .noExec],
                        data: "mode=0711", describe: "tmpfs on \(dir)")
        var staged = Staged()
        staged.previousDirectory = currentDirectory()
        try changeDirectory(dir)
        for (i, planned) in plan.mounts.enumerated() where planned.isBind {
            var source = planned.mount.source ?? ""
            if !source.hasPrefix("/") { source = plan.bundle + "/" + source }
            let st = try FD.atWorkingDirectory.status(of: source, describe: "mounts[\(i)].source \(source)")
            let mapped = plan.idmapTrees[i]
            let name = String(i)
            func stage(_ tree: FD) throws {
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    try FD.atWorkingDirectory.makeDirectory(name, mode: 0o700, describe: "\(dir)/\(name)")
                } else {
                    _ = try OwnedFD.open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
                }
                let target = try OwnedFD.open(name, O_PATH | O_NOFOLLOW)
                try MountAPI.moveMount(tree, onto: target.fd, describe: "mounts[\(i)].source \(source)")
            }
            if let mapped {
                try stage(mapped)  // the plan's to close
            } else {
                // A clone made here is closed once moved.
                let cloned = OwnedFD(try MountAPI.cloneTree(source, recursive: planned.recursiveBind))
                try stage(cloned.fd)
            }
            staged.names[i] = name
        }
        return staged
    }
}
