import Glibc
import Kernel
import RuntimeSpec

/// Everything the init stage applies, decided once in the `create` process where errors are easy to
/// report. Because the init stage is a fork of that process (not a re-exec), the plan is handed over
/// in memory; only namespace files and sockets travel as inherited descriptors.
///
/// A class: the plan (the Spec, the Process and what was resolved from them, some KiB) is passed
/// down both processes' call chains and kept in `RootfsBuilder`. As a struct every copy took a
/// slot of its own in the frame it was made in and retained each of its strings and arrays; after
/// the fork both are pages one process copies from the other (frames of 8-37 KiB in create and
/// the rootfs builder, reference counts written all over the heap the two share).
final class InitPlan {
    struct NamespaceJoin {
        let kind: NamespaceKind
        let path: String
        let fd: FD
    }

    var id: String
    var bundle: String
    /// Absolute host path of the root filesystem.
    var rootfs: String
    var spec: Spec
    var process: Process

    init(id: String, bundle: String, rootfs: String, spec: Spec, process: Process, sync: FD, env: [String]) {
        self.id = id
        self.bundle = bundle
        self.rootfs = rootfs
        self.spec = spec
        self.process = process
        self.sync = sync
        self.env = env
    }

    /// Namespaces to create (one unshare) and to join (setns, user first, mount last).
    var newNamespaces: [NamespaceKind] = []
    var joins: [NamespaceJoin] = []
    var uidMappings: [LinuxIDMapping] = []
    var gidMappings: [LinuxIDMapping] = []
    /// `spec.mounts` with their options resolved, by index (see MountPlan).
    var mounts: [MountPlan] = []
    /// Detached ID-mapped trees made by the parent, by index in `mounts` (see IDMapMounts).
    var idmapTrees: [Int: FD] = [:]
    /// The container's state directory (bind sources are staged under it: see BindSources).
    var stateDirectory = ""

    var createsUserNamespace: Bool { newNamespaces.contains(.user) }
    var hasMountNamespace: Bool { newNamespaces.contains(.mount) || joins.contains { $0.kind == .mount } }
    /// The pid namespace can be made by the fork itself (clone(CLONE_NEWPID), as crun does) when
    /// nothing has to happen before it: no user namespace to create or join first (the new pid
    /// namespace belongs to the user namespace of its creator), no time namespace (its offsets must be
    /// written before a process is in it), no pid or time namespace to join.
    var canCreatePIDNamespaceAtFork: Bool {
        newNamespaces.contains(.pid) && !userNamespaceInUse && !newNamespaces.contains(.time)
            && !joins.contains { $0.kind.appliesToChildren }
    }
    /// Set by the parent when it did: init is then pid 1 of its namespace from its first instruction.
    var pidNamespaceAtFork = false
    /// Namespaces init creates with unshare.
    var unsharedNamespaces: [NamespaceKind] {
        newNamespaces.filter { !(pidNamespaceAtFork && $0 == .pid) }
    }
    /// A pid or time namespace made by unshare, or joined, applies only to children: init forks once
    /// more (through an intermediate process that reports the pid and exits).
    var needsSecondFork: Bool {
        unsharedNamespaces.contains(where: { $0.appliesToChildren }) || joins.contains { $0.kind.appliesToChildren }
    }
    var userNamespaceInUse: Bool { createsUserNamespace || joins.contains { $0.kind == .user } }
    /// An existing pid namespace is joined (pod-style) and its processes never see the container's
    /// process while the rootfs is built with the host's root: that is built outside the pid
    /// namespace (see `InitStage.forkIntoJoinedPIDNamespace`), and `proc` is mounted with
    /// `pidns=` naming the joined namespace. Set by `makePlan` when that can be done: the pid
    /// namespace is joined by a helper after the other namespaces, which a user namespace created
    /// here would forbid (the joined one belongs to another owner), and a `proc` mount needs a
    /// kernel whose procfs takes `pidns=` (6.18). Otherwise init joins the pid namespace first and
    /// builds the rootfs in it (as runc and crun do).
    var buildsRootOutsidePIDNamespace = false
    /// `pidns=` for proc mounts: the joined pid namespace, through the fd the init still holds.
    var procPIDNamespaceOption: String? {
        guard buildsRootOutsidePIDNamespace, let j = joins.first(where: { $0.kind == .pid }) else { return nil }
        return "pidns=/proc/self/fd/\(j.fd.raw)"
    }

    var noPivot = false
    /// `run`: the parent-death signal stays armed past state.json until the exec fifo is read, so
    /// a `run` killed between its create and its start (OOM-killed in a small memory cgroup) takes
    /// init with it instead of leaving it blocked on a fifo no `start` will write.
    var diesWithRuntimeUntilStarted = false
    /// The name of the session keyring init makes (see `Runtime.sessionKeyringName`); nil with
    /// `--no-new-keyring` (init keeps the caller's).
    var sessionKeyring: String?
    var preserveFDs: Int32 = 0
    /// Socket-activation fds passed on (LISTEN_FDS); counted in `preserveFDs` too.
    var listenFDs: Int32 = 0
    var consoleSocket: FD?
    /// The exec fifo, opened O_RDWR so that opening it never blocks; `start` writes one byte.
    /// Under `run`, the read end of a pipe instead (StartHandOff).
    var execFifo: FD?
    /// Under `run`: the pipe's write end, where init reports a startContainer hook's failure (the
    /// fifo, read and written through one fd, needs none).
    var execFifoReport: FD?
    var sync: FD

    /// The files init writes "0" to first (CgroupDriver.joinFiles); the driver kind and controller →
    /// directory map.
    var cgroupJoinFiles: [String] = []
    /// The v1 hierarchies' `tasks` files init writes "0" to once the parent's `.state` arrives
    /// (it sends it once the cgroup is made and limited, `limitCgroup`), then before the first
    /// step the cgroup must see (RootfsBuilder.awaitCgroup). Empty when init joins everything first.
    /// Each is the mount point of its hierarchy and the file's path beneath it: init opens the
    /// mount points before it makes any mount, and the files beneath those fds, so that no mount
    /// the bundle asks for (a bind over a hierarchy, with root.path above /sys/fs/cgroup) can
    /// stand in for them.
    var cgroupJoinsOnState: [(hierarchy: String, file: String)] = []
    /// In the init stage: the mount points of `cgroupJoinsOnState`, opened at its start.
    var cgroupHierarchyFDs: [String: FD] = [:]
    /// The parent has the user's systemd move init into its scope (rootless --systemd-cgroup): init
    /// waits for its ack before anything else, so that a cgroup namespace it makes is rooted there.
    var awaitsCgroupAttach = false
    var cgroupKind: String?
    var cgroupPaths: [String: String] = [:]
    /// The host's cgroup hierarchies, as the parent read them for the driver; nil when the init
    /// stage reads them itself (for a `cgroup` mount) because its mount namespace is another one.
    var cgroupHierarchies: CgroupHierarchies?
    var cgroupMade: [String]?
    var cgroupMarked = false
    /// The inode number of each directory of `cgroupMade` (CgroupOwnership), for state.json.
    var cgroupInodes: [String: UInt64]?

    /// The process's kernel values (rlimits, capability sets, scheduler, ...), resolved by `makePlan`.
    var processPlan = ProcessPlan()
    /// `linux.seccomp` compiled in the parent; installed right before execve.
    var seccomp: SeccompProgram?
    /// Set when the program was not in the cache: the parent compiles it after the fork and sends
    /// it (`.seccompProgram`) before its answer to `.ready`.
    var seccompPending: SeccompProgram.Prepared?
    var seccompArrivesLater: Bool { seccompPending?.needsBuild == true }
    /// With SCMP_ACT_NOTIFY: a connection to `listenerPath`, made by the parent.
    var seccompListener: FD?
    /// linux.netDevices, checked on the host: the parent moves them in, init sets them up inside.
    var netDevices: [NetDeviceMove] = []
    /// linux.intelRdt's resctrl group (the parent creates it and adds init's pid).
    var intelRdt: IntelRdt.Group?
    /// `process.args[0]` resolved against the container's PATH, done in the container's root.
    var env: [String]
}
