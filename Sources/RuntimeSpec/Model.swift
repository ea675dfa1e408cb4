// Codable model of the OCI runtime-spec 1.3.0 (config.json, state, features).
//
// One struct per specs-go type: Swift type names are the Go type names and
// property names are the JSON keys. Required-by-spec fields are non-optional;
// everything else is Optional and omitted from the encoded JSON when nil
// (synthesized Codable uses encodeIfPresent). Behaviour lives in other files.

import JSON

/// The top-level container configuration (`config.json`).
public struct Spec: Codable, Equatable, Sendable {
    /// Version of the runtime spec the bundle complies with (SemVer).
    public var ociVersion: String
    /// The container process; required by `start`.
    public var process: Process?
    /// The container's root filesystem.
    public var root: Root?
    /// Hostname, set inside a new UTS namespace.
    public var hostname: String?
    /// NIS domain name, set inside a new UTS namespace.
    public var domainname: String?
    /// Additional mounts, in order, on top of `root`.
    public var mounts: [Mount]?
    /// Lifecycle hooks.
    public var hooks: Hooks?
    /// Arbitrary metadata.
    public var annotations: [String: String]?
    /// Linux-specific configuration.
    public var linux: Linux?
    /// Virtual-machine based container configuration.
    public var vm: VM?

    public init(
        ociVersion: String,
        process: Process? = nil,
        root: Root? = nil,
        hostname: String? = nil,
        domainname: String? = nil,
        mounts: [Mount]? = nil,
        hooks: Hooks? = nil,
        annotations: [String: String]? = nil,
        linux: Linux? = nil,
        vm: VM? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
        self.vm = vm
    }
}

/// The process run in the container.
public struct Process: Codable, Equatable, Sendable {
    /// Attach a pseudo-terminal.
    public var terminal: Bool?
    /// Console size in characters, when `terminal` is set.
    public var consoleSize: Box?
    /// Identity the process runs as.
    public var user: User
    /// argv; the first element is the executable.
    public var args: [String]?
    /// Windows only: whole command line.
    public var commandLine: String?
    /// Environment, `KEY=value` strings.
    public var env: [String]?
    /// Working directory, absolute in the container.
    public var cwd: String
    /// Capability sets.
    public var capabilities: LinuxCapabilities?
    /// Resource limits.
    public var rlimits: [POSIXRlimit]?
    /// Set PR_SET_NO_NEW_PRIVS.
    public var noNewPrivileges: Bool?
    /// AppArmor profile name.
    public var apparmorProfile: String?
    /// Value for /proc/self/oom_score_adj.
    public var oomScoreAdj: Int?
    /// sched_setattr(2) attributes.
    public var scheduler: Scheduler?
    /// SELinux process label.
    public var selinuxLabel: String?
    /// ioprio_set(2) class and level.
    public var ioPriority: LinuxIOPriority?
    /// CPU affinity for exec'd processes.
    public var execCPUAffinity: CPUAffinity?

    public init(
        terminal: Bool? = nil,
        consoleSize: Box? = nil,
        user: User,
        args: [String]? = nil,
        commandLine: String? = nil,
        env: [String]? = nil,
        cwd: String,
        capabilities: LinuxCapabilities? = nil,
        rlimits: [POSIXRlimit]? = nil,
        noNewPrivileges: Bool? = nil,
        apparmorProfile: String? = nil,
        oomScoreAdj: Int? = nil,
        scheduler: Scheduler? = nil,
        selinuxLabel: String? = nil,
        ioPriority: LinuxIOPriority? = nil,
        execCPUAffinity: CPUAffinity? = nil
    ) {
        self.terminal = terminal
        self.consoleSize = consoleSize
        self.user = user
        self.args = args
        self.commandLine = commandLine
        self.env = env
        self.cwd = cwd
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
        self.apparmorProfile = apparmorProfile
        self.oomScoreAdj = oomScoreAdj
        self.scheduler = scheduler
        self.selinuxLabel = selinuxLabel
        self.ioPriority = ioPriority
        self.execCPUAffinity = execCPUAffinity
    }
}

extension Spec {
    /// What the synthesized one does; from swiftlet's JSON decoder, without Codable (Read.swift).
    public init(from decoder: Decoder) throws {
        if let reader = try JSONObjectReader(decoder: decoder) {
            try self.init(reading: reader)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            ociVersion: try c.decode(String.self, forKey: .ociVersion),
            process: try c.decodeIfPresent(Process.self, forKey: .process),
            root: try c.decodeIfPresent(Root.self, forKey: .root),
            hostname: try c.decodeIfPresent(String.self, forKey: .hostname),
            domainname: try c.decodeIfPresent(String.self, forKey: .domainname),
            mounts: try c.decodeIfPresent([Mount].self, forKey: .mounts),
            hooks: try c.decodeIfPresent(Hooks.self, forKey: .hooks),
            annotations: try c.decodeIfPresent([String: String].self, forKey: .annotations),
            linux: try c.decodeIfPresent(Linux.self, forKey: .linux),
            vm: try c.decodeIfPresent(VM.self, forKey: .vm))
    }
}

extension Process {
    /// As synthesized, except that a missing `user` is uid 0, gid 0: runc runs an `exec --process`
    /// file (and a config.json) without one as root, and engines write such files. From swiftlet's
    /// JSON decoder, without Codable (Read.swift).
    public init(from decoder: Decoder) throws {
        if let reader = try JSONObjectReader(decoder: decoder) {
            try self.init(reading: reader)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            terminal: try c.decodeIfPresent(Bool.self, forKey: .terminal),
            consoleSize: try c.decodeIfPresent(Box.self, forKey: .consoleSize),
            user: try c.decodeIfPresent(User.self, forKey: .user) ?? User(uid: 0, gid: 0),
            args: try c.decodeIfPresent([String].self, forKey: .args),
            commandLine: try c.decodeIfPresent(String.self, forKey: .commandLine),
            env: try c.decodeIfPresent([String].self, forKey: .env),
            cwd: try c.decode(String.self, forKey: .cwd),
            capabilities: try c.decodeIfPresent(LinuxCapabilities.self, forKey: .capabilities),
            rlimits: try c.decodeIfPresent([POSIXRlimit].self, forKey: .rlimits),
            noNewPrivileges: try c.decodeIfPresent(Bool.self, forKey: .noNewPrivileges),
            apparmorProfile: try c.decodeIfPresent(String.self, forKey: .apparmorProfile),
            oomScoreAdj: try c.decodeIfPresent(Int.self, forKey: .oomScoreAdj),
            scheduler: try c.decodeIfPresent(Scheduler.self, forKey: .scheduler),
            selinuxLabel: try c.decodeIfPresent(String.self, forKey: .selinuxLabel),
            ioPriority: try c.decodeIfPresent(LinuxIOPriority.self, forKey: .ioPriority),
            execCPUAffinity: try c.decodeIfPresent(CPUAffinity.self, forKey: .execCPUAffinity))
    }
}

/// A rectangle, used for the console size.
public struct Box: Codable, Equatable, Sendable {
    public var height: UInt
    public var width: UInt

    public init(
        height: UInt,
        width: UInt
    ) {
        self.height = height
        self.width = width
    }
}

/// The user and groups of the process.
public struct User: Codable, Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    public var umask: UInt32?
    public var additionalGids: [UInt32]?
    /// Windows only.
    public var username: String?

    public init(
        uid: UInt32,
        gid: UInt32,
        umask: UInt32? = nil,
        additionalGids: [UInt32]? = nil,
        username: String? = nil
    ) {
        self.uid = uid
        self.gid = gid
        self.umask = umask
        self.additionalGids = additionalGids
        self.username = username
    }
}

/// The container's root filesystem.
public struct Root: Codable, Equatable, Sendable {
    /// Absolute, or relative to the bundle.
    public var path: String
    public var readonly: Bool?

    public init(
        path: String,
        readonly: Bool? = nil
    ) {
        self.path = path
        self.readonly = readonly
    }
}

/// One entry of `mounts`.
public struct Mount: Codable, Equatable, Sendable {
    /// Mount point inside the container.
    public var destination: String
    /// Filesystem type (ignored for bind mounts).
    public var type: String?
    /// Device, path or pseudo name.
    public var source: String?
    /// fstab-style options; see `MountOptions`.
    public var options: [String]?
    /// ID-mapped mount: uid mapping.
    public var uidMappings: [LinuxIDMapping]?
    /// ID-mapped mount: gid mapping.
    public var gidMappings: [LinuxIDMapping]?

    public init(
        destination: String,
        type: String? = nil,
        source: String? = nil,
        options: [String]? = nil,
        uidMappings: [LinuxIDMapping]? = nil,
        gidMappings: [LinuxIDMapping]? = nil
    ) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
    }
}

/// A command run at a lifecycle event.
public struct Hook: Codable, Equatable, Sendable {
    /// Absolute path of the executable.
    public var path: String
    /// argv, including argv[0].
    public var args: [String]?
    public var env: [String]?
    /// Seconds before the hook is killed; must be > 0.
    public var timeout: Int?
    /// The longest `timeout` taken: a year. Larger ones would overflow the nanosecond deadline.
    public static let maxTimeoutSeconds = 366 * 24 * 3600

    public init(
        path: String,
        args: [String]? = nil,
        env: [String]? = nil,
        timeout: Int? = nil
    ) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }
}

/// Lifecycle hooks, each list run in order.
public struct Hooks: Codable, Equatable, Sendable {
    /// Deprecated: runtime namespace, before pivot_root.
    public var prestart: [Hook]?
    /// Runtime namespace, after create, before pivot_root.
    public var createRuntime: [Hook]?
    /// Container namespace, after create, before pivot_root.
    public var createContainer: [Hook]?
    /// Container namespace, before the user process starts.
    public var startContainer: [Hook]?
    /// Runtime namespace, after the user process started.
    public var poststart: [Hook]?
    /// Runtime namespace, after the container is deleted.
    public var poststop: [Hook]?

    public init(
        prestart: [Hook]? = nil,
        createRuntime: [Hook]? = nil,
        createContainer: [Hook]? = nil,
        startContainer: [Hook]? = nil,
        poststart: [Hook]? = nil,
        poststop: [Hook]? = nil
    ) {
        self.prestart = prestart
        self.createRuntime = createRuntime
        self.createContainer = createContainer
        self.startContainer = startContainer
        self.poststart = poststart
        self.poststop = poststop
    }
}

/// A resource limit (`RLIMIT_*`).
public struct POSIXRlimit: Codable, Equatable, Sendable {
    public var type: String
    public var hard: UInt64
    public var soft: UInt64

    public init(
        type: String,
        hard: UInt64,
        soft: UInt64
    ) {
        self.type = type
        self.hard = hard
        self.soft = soft
    }
}

/// The capability sets kept by the process (names like `CAP_KILL`).
public struct LinuxCapabilities: Codable, Equatable, Sendable {
    public var bounding: [String]?
    public var effective: [String]?
    public var inheritable: [String]?
    public var permitted: [String]?
    public var ambient: [String]?

    public init(
        bounding: [String]? = nil,
        effective: [String]? = nil,
        inheritable: [String]? = nil,
        permitted: [String]? = nil,
        ambient: [String]? = nil
    ) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }
}

/// I/O priority: class `IOPRIO_CLASS_RT`/`BE`/`IDLE` and level 0...7.
public struct LinuxIOPriority: Codable, Equatable, Sendable {
    public var `class`: String
    public var priority: Int

    public init(
        class: String,
        priority: Int
    ) {
        self.`class` = `class`
        self.priority = priority
    }
}

/// sched_setattr(2) attributes.
public struct Scheduler: Codable, Equatable, Sendable {
    /// SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE.
    public var policy: String
    public var nice: Int32?
    public var priority: Int32?
    /// SCHED_FLAG_*.
    public var flags: [String]?
    public var runtime: UInt64?
    public var deadline: UInt64?
    public var period: UInt64?

    public init(
        policy: String,
        nice: Int32? = nil,
        priority: Int32? = nil,
        flags: [String]? = nil,
        runtime: UInt64? = nil,
        deadline: UInt64? = nil,
        period: UInt64? = nil
    ) {
        self.policy = policy
        self.nice = nice
        self.priority = priority
        self.flags = flags
        self.runtime = runtime
        self.deadline = deadline
        self.period = period
    }
}

/// CPU affinity of processes entering the container (`initial` before, `final` after joining the cgroup); cpu-list strings like `0-3,7`.
public struct CPUAffinity: Codable, Equatable, Sendable {
    public var initial: String?
    public var `final`: String?

    public init(
        initial: String? = nil,
        `final`: String? = nil
    ) {
        self.initial = initial
        self.`final` = `final`
    }
}

/// Configuration for virtual-machine based containers.
public struct VM: Codable, Equatable, Sendable {
    public var hypervisor: VMHypervisor?
    public var kernel: VMKernel
    public var image: VMImage?

    public init(
        hypervisor: VMHypervisor? = nil,
        kernel: VMKernel,
        image: VMImage? = nil
    ) {
        self.hypervisor = hypervisor
        self.kernel = kernel
        self.image = image
    }
}

/// The hypervisor.
public struct VMHypervisor: Codable, Equatable, Sendable {
    public var path: String
    public var parameters: [String]?

    public init(
        path: String,
        parameters: [String]? = nil
    ) {
        self.path = path
        self.parameters = parameters
    }
}

/// The guest kernel.
public struct VMKernel: Codable, Equatable, Sendable {
    public var path: String
    public var parameters: [String]?
    public var initrd: String?

    public init(
        path: String,
        parameters: [String]? = nil,
        initrd: String? = nil
    ) {
        self.path = path
        self.parameters = parameters
        self.initrd = initrd
    }
}

/// The guest root image.
public struct VMImage: Codable, Equatable, Sendable {
    public var path: String
    public var format: String

    public init(
        path: String,
        format: String
    ) {
        self.path = path
        self.format = format
    }
}

/// Linux-specific configuration.
public struct Linux: Codable, Equatable, Sendable {
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?
    public var sysctl: [String: String]?
    public var resources: LinuxResources?
    public var cgroupsPath: String?
    public var namespaces: [LinuxNamespace]?
    public var devices: [LinuxDevice]?
    /// Host interface name → device moved into the container's network namespace.
    public var netDevices: [String: LinuxNetDevice]?
    public var seccomp: LinuxSeccomp?
    public var rootfsPropagation: String?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?
    public var intelRdt: LinuxIntelRdt?
    public var personality: LinuxPersonality?
    /// Keys: `monotonic`, `boottime`.
    public var timeOffsets: [String: LinuxTimeOffset]?
    public var memoryPolicy: LinuxMemoryPolicy?

    public init(
        uidMappings: [LinuxIDMapping]? = nil,
        gidMappings: [LinuxIDMapping]? = nil,
        sysctl: [String: String]? = nil,
        resources: LinuxResources? = nil,
        cgroupsPath: String? = nil,
        namespaces: [LinuxNamespace]? = nil,
        devices: [LinuxDevice]? = nil,
        netDevices: [String: LinuxNetDevice]? = nil,
        seccomp: LinuxSeccomp? = nil,
        rootfsPropagation: String? = nil,
        maskedPaths: [String]? = nil,
        readonlyPaths: [String]? = nil,
        mountLabel: String? = nil,
        intelRdt: LinuxIntelRdt? = nil,
        personality: LinuxPersonality? = nil,
        timeOffsets: [String: LinuxTimeOffset]? = nil,
        memoryPolicy: LinuxMemoryPolicy? = nil
    ) {
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.sysctl = sysctl
        self.resources = resources
        self.cgroupsPath = cgroupsPath
        self.namespaces = namespaces
        self.devices = devices
        self.netDevices = netDevices
        self.seccomp = seccomp
        self.rootfsPropagation = rootfsPropagation
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.mountLabel = mountLabel
        self.intelRdt = intelRdt
        self.personality = personality
        self.timeOffsets = timeOffsets
        self.memoryPolicy = memoryPolicy
    }
}

/// A namespace to create (no `path`) or join (`path`).
public struct LinuxNamespace: Codable, Equatable, Sendable {
    /// pid, network, mount, ipc, uts, user, cgroup, time.
    public var type: String
    public var path: String?

    public init(
        type: String,
        path: String? = nil
    ) {
        self.type = type
        self.path = path
    }
}

/// A uid/gid mapping range.
public struct LinuxIDMapping: Codable, Equatable, Sendable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(
        containerID: UInt32,
        hostID: UInt32,
        size: UInt32
    ) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }
}

/// Offset of one clock in a time namespace.
public struct LinuxTimeOffset: Codable, Equatable, Sendable {
    public var secs: Int64?
    public var nanosecs: UInt32?

    public init(
        secs: Int64? = nil,
        nanosecs: UInt32? = nil
    ) {
        self.secs = secs
        self.nanosecs = nanosecs
    }
}

/// A device node to create in the container.
public struct LinuxDevice: Codable, Equatable, Sendable {
    public var path: String
    /// c, b, u or p.
    public var type: String
    /// Required unless type is p.
    public var major: Int64?
    /// Required unless type is p.
    public var minor: Int64?
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(
        path: String,
        type: String,
        major: Int64? = nil,
        minor: Int64? = nil,
        fileMode: UInt32? = nil,
        uid: UInt32? = nil,
        gid: UInt32? = nil
    ) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }
}

/// A network device moved into the container.
public struct LinuxNetDevice: Codable, Equatable, Sendable {
    /// Name inside the container; defaults to the host name.
    public var name: String?

    public init(
        name: String? = nil
    ) {
        self.name = name
    }
}

/// cgroup resource limits.
public struct LinuxResources: Codable, Equatable, Sendable {
    public var devices: [LinuxDeviceCgroup]?
    public var memory: LinuxMemory?
    public var cpu: LinuxCPU?
    public var pids: LinuxPids?
    public var blockIO: LinuxBlockIO?
    public var hugepageLimits: [LinuxHugepageLimit]?
    public var network: LinuxNetwork?
    public var rdma: [String: LinuxRdma]?
    /// cgroup v2 file → value.
    public var unified: [String: String]?

    public init(
        devices: [LinuxDeviceCgroup]? = nil,
        memory: LinuxMemory? = nil,
        cpu: LinuxCPU? = nil,
        pids: LinuxPids? = nil,
        blockIO: LinuxBlockIO? = nil,
        hugepageLimits: [LinuxHugepageLimit]? = nil,
        network: LinuxNetwork? = nil,
        rdma: [String: LinuxRdma]? = nil,
        unified: [String: String]? = nil
    ) {
        self.devices = devices
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
        self.rdma = rdma
        self.unified = unified
    }
}

/// A device controller rule.
public struct LinuxDeviceCgroup: Codable, Equatable, Sendable {
    public var allow: Bool
    /// a, c or b; unset means a.
    public var type: String?
    public var major: Int64?
    public var minor: Int64?
    /// Combination of r, w, m.
    public var access: String?

    public init(
        allow: Bool,
        type: String? = nil,
        major: Int64? = nil,
        minor: Int64? = nil,
        access: String? = nil
    ) {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }
}

/// memory controller settings (bytes; -1 = unlimited).
public struct LinuxMemory: Codable, Equatable, Sendable {
    public var limit: Int64?
    public var reservation: Int64?
    public var swap: Int64?
    /// Deprecated.
    public var kernel: Int64?
    /// Deprecated.
    public var kernelTCP: Int64?
    public var swappiness: UInt64?
    public var disableOOMKiller: Bool?
    public var useHierarchy: Bool?
    public var checkBeforeUpdate: Bool?

    public init(
        limit: Int64? = nil,
        reservation: Int64? = nil,
        swap: Int64? = nil,
        kernel: Int64? = nil,
        kernelTCP: Int64? = nil,
        swappiness: UInt64? = nil,
        disableOOMKiller: Bool? = nil,
        useHierarchy: Bool? = nil,
        checkBeforeUpdate: Bool? = nil
    ) {
        self.limit = limit
        self.reservation = reservation
        self.swap = swap
        self.kernel = kernel
        self.kernelTCP = kernelTCP
        self.swappiness = swappiness
        self.disableOOMKiller = disableOOMKiller
        self.useHierarchy = useHierarchy
        self.checkBeforeUpdate = checkBeforeUpdate
    }
}

/// cpu and cpuset controller settings.
public struct LinuxCPU: Codable, Equatable, Sendable {
    public var shares: UInt64?
    public var quota: Int64?
    public var burst: UInt64?
    public var period: UInt64?
    public var realtimeRuntime: Int64?
    public var realtimePeriod: UInt64?
    public var cpus: String?
    public var mems: String?
    public var idle: Int64?

    public init(
        shares: UInt64? = nil,
        quota: Int64? = nil,
        burst: UInt64? = nil,
        period: UInt64? = nil,
        realtimeRuntime: Int64? = nil,
        realtimePeriod: UInt64? = nil,
        cpus: String? = nil,
        mems: String? = nil,
        idle: Int64? = nil
    ) {
        self.shares = shares
        self.quota = quota
        self.burst = burst
        self.period = period
        self.realtimeRuntime = realtimeRuntime
        self.realtimePeriod = realtimePeriod
        self.cpus = cpus
        self.mems = mems
        self.idle = idle
    }
}

/// pids controller settings.
public struct LinuxPids: Codable, Equatable, Sendable {
    /// Maximum number of tasks; optional since 1.3.0 (was required before).
    public var limit: Int64?

    public init(
        limit: Int64? = nil
    ) {
        self.limit = limit
    }
}

/// blkio / io controller settings.
public struct LinuxBlockIO: Codable, Equatable, Sendable {
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public var weightDevice: [LinuxWeightDevice]?
    public var throttleReadBpsDevice: [LinuxThrottleDevice]?
    public var throttleWriteBpsDevice: [LinuxThrottleDevice]?
    public var throttleReadIOPSDevice: [LinuxThrottleDevice]?
    public var throttleWriteIOPSDevice: [LinuxThrottleDevice]?

    public init(
        weight: UInt16? = nil,
        leafWeight: UInt16? = nil,
        weightDevice: [LinuxWeightDevice]? = nil,
        throttleReadBpsDevice: [LinuxThrottleDevice]? = nil,
        throttleWriteBpsDevice: [LinuxThrottleDevice]? = nil,
        throttleReadIOPSDevice: [LinuxThrottleDevice]? = nil,
        throttleWriteIOPSDevice: [LinuxThrottleDevice]? = nil
    ) {
        self.weight = weight
        self.leafWeight = leafWeight
        self.weightDevice = weightDevice
        self.throttleReadBpsDevice = throttleReadBpsDevice
        self.throttleWriteBpsDevice = throttleWriteBpsDevice
        self.throttleReadIOPSDevice = throttleReadIOPSDevice
        self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
    }
}

/// Per-device weight.
public struct LinuxWeightDevice: Codable, Equatable, Sendable {
    public var major: Int64
    public var minor: Int64
    public var weight: UInt16?
    public var leafWeight: UInt16?

    public init(
        major: Int64,
        minor: Int64,
        weight: UInt16? = nil,
        leafWeight: UInt16? = nil
    ) {
        self.major = major
        self.minor = minor
        self.weight = weight
        self.leafWeight = leafWeight
    }
}

/// Per-device rate limit.
public struct LinuxThrottleDevice: Codable, Equatable, Sendable {
    public var major: Int64
    public var minor: Int64
    public var rate: UInt64

    public init(
        major: Int64,
        minor: Int64,
        rate: UInt64
    ) {
        self.major = major
        self.minor = minor
        self.rate = rate
    }
}

/// hugetlb limit for one page size (e.g. `2MB`).
public struct LinuxHugepageLimit: Codable, Equatable, Sendable {
    public var pageSize: String
    public var limit: UInt64

    public init(
        pageSize: String,
        limit: UInt64
    ) {
        self.pageSize = pageSize
        self.limit = limit
    }
}

/// net_cls / net_prio settings.
public struct LinuxNetwork: Codable, Equatable, Sendable {
    public var classID: UInt32?
    public var priorities: [LinuxInterfacePriority]?

    public init(
        classID: UInt32? = nil,
        priorities: [LinuxInterfacePriority]? = nil
    ) {
        self.classID = classID
        self.priorities = priorities
    }
}

/// net_prio priority of one interface.
public struct LinuxInterfacePriority: Codable, Equatable, Sendable {
    public var name: String
    public var priority: UInt32

    public init(
        name: String,
        priority: UInt32
    ) {
        self.name = name
        self.priority = priority
    }
}

/// rdma controller limits of one device.
public struct LinuxRdma: Codable, Equatable, Sendable {
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?

    public init(
        hcaHandles: UInt32? = nil,
        hcaObjects: UInt32? = nil
    ) {
        self.hcaHandles = hcaHandles
        self.hcaObjects = hcaObjects
    }
}

/// A seccomp filter.
public struct LinuxSeccomp: Codable, Equatable, Sendable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt?
    public var architectures: [String]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [LinuxSyscall]?

    public init(
        defaultAction: String,
        defaultErrnoRet: UInt? = nil,
        architectures: [String]? = nil,
        flags: [String]? = nil,
        listenerPath: String? = nil,
        listenerMetadata: String? = nil,
        syscalls: [LinuxSyscall]? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }
}

/// A seccomp rule for a set of syscalls.
public struct LinuxSyscall: Codable, Equatable, Sendable {
    public var names: [String]
    public var action: String
    public var errnoRet: UInt?
    public var args: [LinuxSeccompArg]?

    public init(
        names: [String],
        action: String,
        errnoRet: UInt? = nil,
        args: [LinuxSeccompArg]? = nil
    ) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }
}

/// A seccomp argument comparison.
public struct LinuxSeccompArg: Codable, Equatable, Sendable {
    public var index: UInt
    public var value: UInt64
    public var valueTwo: UInt64?
    public var op: String

    public init(
        index: UInt,
        value: UInt64,
        valueTwo: UInt64? = nil,
        op: String
    ) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }
}

/// Intel RDT (resctrl) configuration.
public struct LinuxIntelRdt: Codable, Equatable, Sendable {
    public var closID: String?
    /// Lines written as-is to the schemata file (1.3.0).
    public var schemata: [String]?
    public var l3CacheSchema: String?
    public var memBwSchema: String?
    /// Create a monitoring group (1.3.0).
    public var enableMonitoring: Bool?
    /// Pre-1.3 field, kept for compatibility.
    public var enableCMT: Bool?
    /// Pre-1.3 field, kept for compatibility.
    public var enableMBM: Bool?

    public init(
        closID: String? = nil,
        schemata: [String]? = nil,
        l3CacheSchema: String? = nil,
        memBwSchema: String? = nil,
        enableMonitoring: Bool? = nil,
        enableCMT: Bool? = nil,
        enableMBM: Bool? = nil
    ) {
        self.closID = closID
        self.schemata = schemata
        self.l3CacheSchema = l3CacheSchema
        self.memBwSchema = memBwSchema
        self.enableMonitoring = enableMonitoring
        self.enableCMT = enableCMT
        self.enableMBM = enableMBM
    }
}

/// personality(2) configuration.
public struct LinuxPersonality: Codable, Equatable, Sendable {
    /// LINUX or LINUX32.
    public var domain: String
    public var flags: [String]?

    public init(
        domain: String,
        flags: [String]? = nil
    ) {
        self.domain = domain
        self.flags = flags
    }
}

/// set_mempolicy(2) configuration.
public struct LinuxMemoryPolicy: Codable, Equatable, Sendable {
    /// MPOL_*.
    public var mode: String
    /// Node list like `0-3,7`.
    public var nodes: String?
    /// MPOL_F_*.
    public var flags: [String]?

    public init(
        mode: String,
        nodes: String? = nil,
        flags: [String]? = nil
    ) {
        self.mode = mode
        self.nodes = nodes
        self.flags = flags
    }
}

/// The state of a container as defined by the runtime spec (`state` operation).
public struct State: Codable, Equatable, Sendable {
    public var ociVersion: String
    public var id: String
    /// creating, created, running or stopped.
    public var status: String
    public var pid: Int?
    public var bundle: String
    public var annotations: [String: String]?

    public init(
        ociVersion: String,
        id: String,
        status: String,
        pid: Int? = nil,
        bundle: String,
        annotations: [String: String]? = nil
    ) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }
}

/// The `state` output of runc (keys in runc's order); `created` is an RFC 3339 (nano) timestamp string, `pid` is 0 once stopped.
public struct RuncState: Codable, Equatable, Sendable {
    public var ociVersion: String
    public var id: String
    public var pid: Int
    public var status: String
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var annotations: [String: String]?
    public var owner: String

    public init(
        ociVersion: String,
        id: String,
        pid: Int,
        status: String,
        bundle: String,
        rootfs: String,
        created: String,
        annotations: [String: String]? = nil,
        owner: String
    ) {
        self.ociVersion = ociVersion
        self.id = id
        self.pid = pid
        self.status = status
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.annotations = annotations
        self.owner = owner
    }
}

/// The output of the `features` command (runtime-spec features.md). A nil list means "unknown", not "none".
public struct Features: Codable, Equatable, Sendable {
    public var ociVersionMin: String
    public var ociVersionMax: String
    public var hooks: [String]?
    public var mountOptions: [String]?
    public var linux: Features.Linux?
    public var annotations: [String: String]?
    public var potentiallyUnsafeConfigAnnotations: [String]?

    public init(
        ociVersionMin: String,
        ociVersionMax: String,
        hooks: [String]? = nil,
        mountOptions: [String]? = nil,
        linux: Features.Linux? = nil,
        annotations: [String: String]? = nil,
        potentiallyUnsafeConfigAnnotations: [String]? = nil
    ) {
        self.ociVersionMin = ociVersionMin
        self.ociVersionMax = ociVersionMax
        self.hooks = hooks
        self.mountOptions = mountOptions
        self.linux = linux
        self.annotations = annotations
        self.potentiallyUnsafeConfigAnnotations = potentiallyUnsafeConfigAnnotations
    }
}

extension Features {
    /// Linux-specific features.
    public struct Linux: Codable, Equatable, Sendable {
        public var namespaces: [String]?
        public var capabilities: [String]?
        public var cgroup: Features.Cgroup?
        public var seccomp: Features.Seccomp?
        public var apparmor: Features.Apparmor?
        public var selinux: Features.Selinux?
        public var intelRdt: Features.IntelRdt?
        public var memoryPolicy: Features.MemoryPolicy?
        public var mountExtensions: Features.MountExtensions?
        public var netDevices: Features.NetDevices?

        public init(
            namespaces: [String]? = nil,
            capabilities: [String]? = nil,
            cgroup: Features.Cgroup? = nil,
            seccomp: Features.Seccomp? = nil,
            apparmor: Features.Apparmor? = nil,
            selinux: Features.Selinux? = nil,
            intelRdt: Features.IntelRdt? = nil,
            memoryPolicy: Features.MemoryPolicy? = nil,
            mountExtensions: Features.MountExtensions? = nil,
            netDevices: Features.NetDevices? = nil
        ) {
            self.namespaces = namespaces
            self.capabilities = capabilities
            self.cgroup = cgroup
            self.seccomp = seccomp
            self.apparmor = apparmor
            self.selinux = selinux
            self.intelRdt = intelRdt
            self.memoryPolicy = memoryPolicy
            self.mountExtensions = mountExtensions
            self.netDevices = netDevices
        }
    }

    /// cgroup support compiled in.
    public struct Cgroup: Codable, Equatable, Sendable {
        public var v1: Bool?
        public var v2: Bool?
        public var systemd: Bool?
        public var systemdUser: Bool?
        public var rdma: Bool?

        public init(
            v1: Bool? = nil,
            v2: Bool? = nil,
            systemd: Bool? = nil,
            systemdUser: Bool? = nil,
            rdma: Bool? = nil
        ) {
            self.v1 = v1
            self.v2 = v2
            self.systemd = systemd
            self.systemdUser = systemdUser
            self.rdma = rdma
        }
    }

    /// seccomp support.
    public struct Seccomp: Codable, Equatable, Sendable {
        public var enabled: Bool?
        public var actions: [String]?
        public var operators: [String]?
        public var archs: [String]?
        public var knownFlags: [String]?
        public var supportedFlags: [String]?

        public init(
            enabled: Bool? = nil,
            actions: [String]? = nil,
            operators: [String]? = nil,
            archs: [String]? = nil,
            knownFlags: [String]? = nil,
            supportedFlags: [String]? = nil
        ) {
            self.enabled = enabled
            self.actions = actions
            self.operators = operators
            self.archs = archs
            self.knownFlags = knownFlags
            self.supportedFlags = supportedFlags
        }
    }

    /// AppArmor support.
    public struct Apparmor: Codable, Equatable, Sendable {
        public var enabled: Bool?

        public init(
            enabled: Bool? = nil
        ) {
            self.enabled = enabled
        }
    }

    /// SELinux support.
    public struct Selinux: Codable, Equatable, Sendable {
        public var enabled: Bool?

        public init(
            enabled: Bool? = nil
        ) {
            self.enabled = enabled
        }
    }

    /// Intel RDT support.
    public struct IntelRdt: Codable, Equatable, Sendable {
        public var enabled: Bool?
        public var schemata: Bool?

        public init(
            enabled: Bool? = nil,
            schemata: Bool? = nil
        ) {
            self.enabled = enabled
            self.schemata = schemata
        }
    }

    /// Memory policy support.
    public struct MemoryPolicy: Codable, Equatable, Sendable {
        public var modes: [String]?
        public var flags: [String]?

        public init(
            modes: [String]? = nil,
            flags: [String]? = nil
        ) {
            self.modes = modes
            self.flags = flags
        }
    }

    /// Mount extensions.
    public struct MountExtensions: Codable, Equatable, Sendable {
        public var idmap: Features.IDMap?

        public init(
            idmap: Features.IDMap? = nil
        ) {
            self.idmap = idmap
        }
    }

    /// ID-mapped mounts support.
    public struct IDMap: Codable, Equatable, Sendable {
        public var enabled: Bool?

        public init(
            enabled: Bool? = nil
        ) {
            self.enabled = enabled
        }
    }

    /// linux.netDevices support.
    public struct NetDevices: Codable, Equatable, Sendable {
        public var enabled: Bool?

        public init(
            enabled: Bool? = nil
        ) {
            self.enabled = enabled
        }
    }

}

