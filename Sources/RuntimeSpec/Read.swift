// Made by tools/spec-reader.py from Model.swift: do not edit, run the script.
//
// The config types read straight from the parsed JSON: what their synthesized Decodable does (same
// values, same errors: SpecReadingTests), without the keyed and unkeyed containers whose
// generic metadata and witness tables every type's first decode in a process instantiates.

import JSON

extension Spec {
    public init(reading r: JSONObjectReader) throws {
        ociVersion = try JSONObjectReader.string(try r.required("ociVersion"), at: r.member("ociVersion"))
        process = try r.present("process").map { try Process(reading: JSONObjectReader($0, at: r.member("process"))) }
        root = try r.present("root").map { try Root(reading: JSONObjectReader($0, at: r.member("root"))) }
        hostname = try r.present("hostname").map { try JSONObjectReader.string($0, at: r.member("hostname")) }
        domainname = try r.present("domainname").map { try JSONObjectReader.string($0, at: r.member("domainname")) }
        mounts = try r.present("mounts").map { try JSONObjectReader.elements($0, at: r.member("mounts")).enumerated().map { try Mount(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("mounts"), $0))) } }
        hooks = try r.present("hooks").map { try Hooks(reading: JSONObjectReader($0, at: r.member("hooks"))) }
        annotations = try r.present("annotations").map { try JSONObjectReader.stringMap($0, at: r.member("annotations")) }
        linux = try r.present("linux").map { try Linux(reading: JSONObjectReader($0, at: r.member("linux"))) }
        vm = try r.present("vm").map { try VM(reading: JSONObjectReader($0, at: r.member("vm"))) }
    }
}

extension Process {
    init(reading r: JSONObjectReader) throws {
        terminal = try r.present("terminal").map { try JSONObjectReader.bool($0, at: r.member("terminal")) }
        consoleSize = try r.present("consoleSize").map { try Box(reading: JSONObjectReader($0, at: r.member("consoleSize"))) }
        user = try r.present("user").map { try User(reading: JSONObjectReader($0, at: r.member("user"))) } ?? User(uid: 0, gid: 0)
        args = try r.present("args").map { try JSONObjectReader.strings($0, at: r.member("args")) }
        commandLine = try r.present("commandLine").map { try JSONObjectReader.string($0, at: r.member("commandLine")) }
        env = try r.present("env").map { try JSONObjectReader.strings($0, at: r.member("env")) }
        cwd = try JSONObjectReader.string(try r.required("cwd"), at: r.member("cwd"))
        capabilities = try r.present("capabilities").map { try LinuxCapabilities(reading: JSONObjectReader($0, at: r.member("capabilities"))) }
        rlimits = try r.present("rlimits").map { try JSONObjectReader.elements($0, at: r.member("rlimits")).enumerated().map { try POSIXRlimit(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("rlimits"), $0))) } }
        noNewPrivileges = try r.present("noNewPrivileges").map { try JSONObjectReader.bool($0, at: r.member("noNewPrivileges")) }
        apparmorProfile = try r.present("apparmorProfile").map { try JSONObjectReader.string($0, at: r.member("apparmorProfile")) }
        oomScoreAdj = try r.present("oomScoreAdj").map { try JSONObjectReader.integer($0, at: r.member("oomScoreAdj"), as: Int.self) }
        scheduler = try r.present("scheduler").map { try Scheduler(reading: JSONObjectReader($0, at: r.member("scheduler"))) }
        selinuxLabel = try r.present("selinuxLabel").map { try JSONObjectReader.string($0, at: r.member("selinuxLabel")) }
        ioPriority = try r.present("ioPriority").map { try LinuxIOPriority(reading: JSONObjectReader($0, at: r.member("ioPriority"))) }
        execCPUAffinity = try r.present("execCPUAffinity").map { try CPUAffinity(reading: JSONObjectReader($0, at: r.member("execCPUAffinity"))) }
    }
}

extension Root {
    init(reading r: JSONObjectReader) throws {
        path = try JSONObjectReader.string(try r.required("path"), at: r.member("path"))
        readonly = try r.present("readonly").map { try JSONObjectReader.bool($0, at: r.member("readonly")) }
    }
}

extension Mount {
    init(reading r: JSONObjectReader) throws {
        destination = try JSONObjectReader.string(try r.required("destination"), at: r.member("destination"))
        type = try r.present("type").map { try JSONObjectReader.string($0, at: r.member("type")) }
        source = try r.present("source").map { try JSONObjectReader.string($0, at: r.member("source")) }
        options = try r.present("options").map { try JSONObjectReader.strings($0, at: r.member("options")) }
        uidMappings = try r.present("uidMappings").map { try JSONObjectReader.elements($0, at: r.member("uidMappings")).enumerated().map { try LinuxIDMapping(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("uidMappings"), $0))) } }
        gidMappings = try r.present("gidMappings").map { try JSONObjectReader.elements($0, at: r.member("gidMappings")).enumerated().map { try LinuxIDMapping(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("gidMappings"), $0))) } }
    }
}

extension Hooks {
    init(reading r: JSONObjectReader) throws {
        prestart = try r.present("prestart").map { try JSONObjectReader.elements($0, at: r.member("prestart")).enumerated().map { try Hook(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("prestart"), $0))) } }
        createRuntime = try r.present("createRuntime").map { try JSONObjectReader.elements($0, at: r.member("createRuntime")).enumerated().map { try Hook(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("createRuntime"), $0))) } }
        createContainer = try r.present("createContainer").map { try JSONObjectReader.elements($0, at: r.member("createContainer")).enumerated().map { try Hook(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("createContainer"), $0))) } }
        startContainer = try r.present("startContainer").map { try JSONObjectReader.elements($0, at: r.member("startContainer")).enumerated().map { try Hook(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("startContainer"), $0))) } }
        poststart = try r.present("poststart").map { try JSONObjectReader.elements($0, at: r.member("poststart")).enumerated().map { try Hook(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("poststart"), $0))) } }
        poststop = try r.present("poststop").map { try JSONObjectReader.elements($0, at: r.member("poststop")).enumerated().map { try Hook(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("poststop"), $0))) } }
    }
}

extension Linux {
    init(reading r: JSONObjectReader) throws {
        uidMappings = try r.present("uidMappings").map { try JSONObjectReader.elements($0, at: r.member("uidMappings")).enumerated().map { try LinuxIDMapping(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("uidMappings"), $0))) } }
        gidMappings = try r.present("gidMappings").map { try JSONObjectReader.elements($0, at: r.member("gidMappings")).enumerated().map { try LinuxIDMapping(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("gidMappings"), $0))) } }
        sysctl = try r.present("sysctl").map { try JSONObjectReader.stringMap($0, at: r.member("sysctl")) }
        resources = try r.present("resources").map { try LinuxResources(reading: JSONObjectReader($0, at: r.member("resources"))) }
        cgroupsPath = try r.present("cgroupsPath").map { try JSONObjectReader.string($0, at: r.member("cgroupsPath")) }
        namespaces = try r.present("namespaces").map { try JSONObjectReader.elements($0, at: r.member("namespaces")).enumerated().map { try LinuxNamespace(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("namespaces"), $0))) } }
        devices = try r.present("devices").map { try JSONObjectReader.elements($0, at: r.member("devices")).enumerated().map { try LinuxDevice(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("devices"), $0))) } }
        netDevices = try r.present("netDevices").map { try JSONObjectReader.lastMembers($0, at: r.member("netDevices")).reduce(into: [String: LinuxNetDevice]()) { $0[$1.0] = try LinuxNetDevice(reading: JSONObjectReader($1.1, at: JSONObjectReader.member(r.member("netDevices"), $1.0))) } }
        seccomp = try r.present("seccomp").map { try LinuxSeccomp(reading: JSONObjectReader($0, at: r.member("seccomp"))) }
        rootfsPropagation = try r.present("rootfsPropagation").map { try JSONObjectReader.string($0, at: r.member("rootfsPropagation")) }
        maskedPaths = try r.present("maskedPaths").map { try JSONObjectReader.strings($0, at: r.member("maskedPaths")) }
        readonlyPaths = try r.present("readonlyPaths").map { try JSONObjectReader.strings($0, at: r.member("readonlyPaths")) }
        mountLabel = try r.present("mountLabel").map { try JSONObjectReader.string($0, at: r.member("mountLabel")) }
        intelRdt = try r.present("intelRdt").map { try LinuxIntelRdt(reading: JSONObjectReader($0, at: r.member("intelRdt"))) }
        personality = try r.present("personality").map { try LinuxPersonality(reading: JSONObjectReader($0, at: r.member("personality"))) }
        timeOffsets = try r.present("timeOffsets").map { try JSONObjectReader.lastMembers($0, at: r.member("timeOffsets")).reduce(into: [String: LinuxTimeOffset]()) { $0[$1.0] = try LinuxTimeOffset(reading: JSONObjectReader($1.1, at: JSONObjectReader.member(r.member("timeOffsets"), $1.0))) } }
        memoryPolicy = try r.present("memoryPolicy").map { try LinuxMemoryPolicy(reading: JSONObjectReader($0, at: r.member("memoryPolicy"))) }
    }
}

extension VM {
    init(reading r: JSONObjectReader) throws {
        hypervisor = try r.present("hypervisor").map { try VMHypervisor(reading: JSONObjectReader($0, at: r.member("hypervisor"))) }
        kernel = try VMKernel(reading: JSONObjectReader(try r.required("kernel"), at: r.member("kernel")))
        image = try r.present("image").map { try VMImage(reading: JSONObjectReader($0, at: r.member("image"))) }
    }
}

extension Box {
    init(reading r: JSONObjectReader) throws {
        height = try JSONObjectReader.integer(try r.required("height"), at: r.member("height"), as: UInt.self)
        width = try JSONObjectReader.integer(try r.required("width"), at: r.member("width"), as: UInt.self)
    }
}

extension User {
    init(reading r: JSONObjectReader) throws {
        uid = try JSONObjectReader.integer(try r.required("uid"), at: r.member("uid"), as: UInt32.self)
        gid = try JSONObjectReader.integer(try r.required("gid"), at: r.member("gid"), as: UInt32.self)
        umask = try r.present("umask").map { try JSONObjectReader.integer($0, at: r.member("umask"), as: UInt32.self) }
        additionalGids = try r.present("additionalGids").map { try JSONObjectReader.elements($0, at: r.member("additionalGids")).enumerated().map { try JSONObjectReader.integer($1, at: JSONObjectReader.element(r.member("additionalGids"), $0), as: UInt32.self) } }
        username = try r.present("username").map { try JSONObjectReader.string($0, at: r.member("username")) }
    }
}

extension LinuxCapabilities {
    init(reading r: JSONObjectReader) throws {
        bounding = try r.present("bounding").map { try JSONObjectReader.strings($0, at: r.member("bounding")) }
        effective = try r.present("effective").map { try JSONObjectReader.strings($0, at: r.member("effective")) }
        inheritable = try r.present("inheritable").map { try JSONObjectReader.strings($0, at: r.member("inheritable")) }
        permitted = try r.present("permitted").map { try JSONObjectReader.strings($0, at: r.member("permitted")) }
        ambient = try r.present("ambient").map { try JSONObjectReader.strings($0, at: r.member("ambient")) }
    }
}

extension POSIXRlimit {
    init(reading r: JSONObjectReader) throws {
        type = try JSONObjectReader.string(try r.required("type"), at: r.member("type"))
        hard = try JSONObjectReader.integer(try r.required("hard"), at: r.member("hard"), as: UInt64.self)
        soft = try JSONObjectReader.integer(try r.required("soft"), at: r.member("soft"), as: UInt64.self)
    }
}

extension Scheduler {
    init(reading r: JSONObjectReader) throws {
        policy = try JSONObjectReader.string(try r.required("policy"), at: r.member("policy"))
        nice = try r.present("nice").map { try JSONObjectReader.integer($0, at: r.member("nice"), as: Int32.self) }
        priority = try r.present("priority").map { try JSONObjectReader.integer($0, at: r.member("priority"), as: Int32.self) }
        flags = try r.present("flags").map { try JSONObjectReader.strings($0, at: r.member("flags")) }
        runtime = try r.present("runtime").map { try JSONObjectReader.integer($0, at: r.member("runtime"), as: UInt64.self) }
        deadline = try r.present("deadline").map { try JSONObjectReader.integer($0, at: r.member("deadline"), as: UInt64.self) }
        period = try r.present("period").map { try JSONObjectReader.integer($0, at: r.member("period"), as: UInt64.self) }
    }
}

extension LinuxIOPriority {
    init(reading r: JSONObjectReader) throws {
        `class` = try JSONObjectReader.string(try r.required("class"), at: r.member("class"))
        priority = try JSONObjectReader.integer(try r.required("priority"), at: r.member("priority"), as: Int.self)
    }
}

extension CPUAffinity {
    init(reading r: JSONObjectReader) throws {
        initial = try r.present("initial").map { try JSONObjectReader.string($0, at: r.member("initial")) }
        `final` = try r.present("final").map { try JSONObjectReader.string($0, at: r.member("final")) }
    }
}

extension LinuxIDMapping {
    init(reading r: JSONObjectReader) throws {
        containerID = try JSONObjectReader.integer(try r.required("containerID"), at: r.member("containerID"), as: UInt32.self)
        hostID = try JSONObjectReader.integer(try r.required("hostID"), at: r.member("hostID"), as: UInt32.self)
        size = try JSONObjectReader.integer(try r.required("size"), at: r.member("size"), as: UInt32.self)
    }
}

extension Hook {
    init(reading r: JSONObjectReader) throws {
        path = try JSONObjectReader.string(try r.required("path"), at: r.member("path"))
        args = try r.present("args").map { try JSONObjectReader.strings($0, at: r.member("args")) }
        env = try r.present("env").map { try JSONObjectReader.strings($0, at: r.member("env")) }
        timeout = try r.present("timeout").map { try JSONObjectReader.integer($0, at: r.member("timeout"), as: Int.self) }
    }
}

extension LinuxResources {
    init(reading r: JSONObjectReader) throws {
        devices = try r.present("devices").map { try JSONObjectReader.elements($0, at: r.member("devices")).enumerated().map { try LinuxDeviceCgroup(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("devices"), $0))) } }
        memory = try r.present("memory").map { try LinuxMemory(reading: JSONObjectReader($0, at: r.member("memory"))) }
        cpu = try r.present("cpu").map { try LinuxCPU(reading: JSONObjectReader($0, at: r.member("cpu"))) }
        pids = try r.present("pids").map { try LinuxPids(reading: JSONObjectReader($0, at: r.member("pids"))) }
        blockIO = try r.present("blockIO").map { try LinuxBlockIO(reading: JSONObjectReader($0, at: r.member("blockIO"))) }
        hugepageLimits = try r.present("hugepageLimits").map { try JSONObjectReader.elements($0, at: r.member("hugepageLimits")).enumerated().map { try LinuxHugepageLimit(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("hugepageLimits"), $0))) } }
        network = try r.present("network").map { try LinuxNetwork(reading: JSONObjectReader($0, at: r.member("network"))) }
        rdma = try r.present("rdma").map { try JSONObjectReader.lastMembers($0, at: r.member("rdma")).reduce(into: [String: LinuxRdma]()) { $0[$1.0] = try LinuxRdma(reading: JSONObjectReader($1.1, at: JSONObjectReader.member(r.member("rdma"), $1.0))) } }
        unified = try r.present("unified").map { try JSONObjectReader.stringMap($0, at: r.member("unified")) }
    }
}

extension LinuxNamespace {
    init(reading r: JSONObjectReader) throws {
        type = try JSONObjectReader.string(try r.required("type"), at: r.member("type"))
        path = try r.present("path").map { try JSONObjectReader.string($0, at: r.member("path")) }
    }
}

extension LinuxDevice {
    init(reading r: JSONObjectReader) throws {
        path = try JSONObjectReader.string(try r.required("path"), at: r.member("path"))
        type = try JSONObjectReader.string(try r.required("type"), at: r.member("type"))
        major = try r.present("major").map { try JSONObjectReader.integer($0, at: r.member("major"), as: Int64.self) }
        minor = try r.present("minor").map { try JSONObjectReader.integer($0, at: r.member("minor"), as: Int64.self) }
        fileMode = try r.present("fileMode").map { try JSONObjectReader.integer($0, at: r.member("fileMode"), as: UInt32.self) }
        uid = try r.present("uid").map { try JSONObjectReader.integer($0, at: r.member("uid"), as: UInt32.self) }
        gid = try r.present("gid").map { try JSONObjectReader.integer($0, at: r.member("gid"), as: UInt32.self) }
    }
}

extension LinuxNetDevice {
    init(reading r: JSONObjectReader) throws {
        name = try r.present("name").map { try JSONObjectReader.string($0, at: r.member("name")) }
    }
}

extension LinuxSeccomp {
    init(reading r: JSONObjectReader) throws {
        defaultAction = try JSONObjectReader.string(try r.required("defaultAction"), at: r.member("defaultAction"))
        defaultErrnoRet = try r.present("defaultErrnoRet").map { try JSONObjectReader.integer($0, at: r.member("defaultErrnoRet"), as: UInt.self) }
        architectures = try r.present("architectures").map { try JSONObjectReader.strings($0, at: r.member("architectures")) }
        flags = try r.present("flags").map { try JSONObjectReader.strings($0, at: r.member("flags")) }
        listenerPath = try r.present("listenerPath").map { try JSONObjectReader.string($0, at: r.member("listenerPath")) }
        listenerMetadata = try r.present("listenerMetadata").map { try JSONObjectReader.string($0, at: r.member("listenerMetadata")) }
        syscalls = try r.present("syscalls").map { try JSONObjectReader.elements($0, at: r.member("syscalls")).enumerated().map { try LinuxSyscall(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("syscalls"), $0))) } }
    }
}

extension LinuxIntelRdt {
    init(reading r: JSONObjectReader) throws {
        closID = try r.present("closID").map { try JSONObjectReader.string($0, at: r.member("closID")) }
        schemata = try r.present("schemata").map { try JSONObjectReader.strings($0, at: r.member("schemata")) }
        l3CacheSchema = try r.present("l3CacheSchema").map { try JSONObjectReader.string($0, at: r.member("l3CacheSchema")) }
        memBwSchema = try r.present("memBwSchema").map { try JSONObjectReader.string($0, at: r.member("memBwSchema")) }
        enableMonitoring = try r.present("enableMonitoring").map { try JSONObjectReader.bool($0, at: r.member("enableMonitoring")) }
        enableCMT = try r.present("enableCMT").map { try JSONObjectReader.bool($0, at: r.member("enableCMT")) }
        enableMBM = try r.present("enableMBM").map { try JSONObjectReader.bool($0, at: r.member("enableMBM")) }
    }
}

extension LinuxPersonality {
    init(reading r: JSONObjectReader) throws {
        domain = try JSONObjectReader.string(try r.required("domain"), at: r.member("domain"))
        flags = try r.present("flags").map { try JSONObjectReader.strings($0, at: r.member("flags")) }
    }
}

extension LinuxTimeOffset {
    init(reading r: JSONObjectReader) throws {
        secs = try r.present("secs").map { try JSONObjectReader.integer($0, at: r.member("secs"), as: Int64.self) }
        nanosecs = try r.present("nanosecs").map { try JSONObjectReader.integer($0, at: r.member("nanosecs"), as: UInt32.self) }
    }
}

extension LinuxMemoryPolicy {
    init(reading r: JSONObjectReader) throws {
        mode = try JSONObjectReader.string(try r.required("mode"), at: r.member("mode"))
        nodes = try r.present("nodes").map { try JSONObjectReader.string($0, at: r.member("nodes")) }
        flags = try r.present("flags").map { try JSONObjectReader.strings($0, at: r.member("flags")) }
    }
}

extension VMHypervisor {
    init(reading r: JSONObjectReader) throws {
        path = try JSONObjectReader.string(try r.required("path"), at: r.member("path"))
        parameters = try r.present("parameters").map { try JSONObjectReader.strings($0, at: r.member("parameters")) }
    }
}

extension VMKernel {
    init(reading r: JSONObjectReader) throws {
        path = try JSONObjectReader.string(try r.required("path"), at: r.member("path"))
        parameters = try r.present("parameters").map { try JSONObjectReader.strings($0, at: r.member("parameters")) }
        initrd = try r.present("initrd").map { try JSONObjectReader.string($0, at: r.member("initrd")) }
    }
}

extension VMImage {
    init(reading r: JSONObjectReader) throws {
        path = try JSONObjectReader.string(try r.required("path"), at: r.member("path"))
        format = try JSONObjectReader.string(try r.required("format"), at: r.member("format"))
    }
}

extension LinuxDeviceCgroup {
    init(reading r: JSONObjectReader) throws {
        allow = try JSONObjectReader.bool(try r.required("allow"), at: r.member("allow"))
        type = try r.present("type").map { try JSONObjectReader.string($0, at: r.member("type")) }
        major = try r.present("major").map { try JSONObjectReader.integer($0, at: r.member("major"), as: Int64.self) }
        minor = try r.present("minor").map { try JSONObjectReader.integer($0, at: r.member("minor"), as: Int64.self) }
        access = try r.present("access").map { try JSONObjectReader.string($0, at: r.member("access")) }
    }
}

extension LinuxMemory {
    init(reading r: JSONObjectReader) throws {
        limit = try r.present("limit").map { try JSONObjectReader.integer($0, at: r.member("limit"), as: Int64.self) }
        reservation = try r.present("reservation").map { try JSONObjectReader.integer($0, at: r.member("reservation"), as: Int64.self) }
        swap = try r.present("swap").map { try JSONObjectReader.integer($0, at: r.member("swap"), as: Int64.self) }
        kernel = try r.present("kernel").map { try JSONObjectReader.integer($0, at: r.member("kernel"), as: Int64.self) }
        kernelTCP = try r.present("kernelTCP").map { try JSONObjectReader.integer($0, at: r.member("kernelTCP"), as: Int64.self) }
        swappiness = try r.present("swappiness").map { try JSONObjectReader.integer($0, at: r.member("swappiness"), as: UInt64.self) }
        disableOOMKiller = try r.present("disableOOMKiller").map { try JSONObjectReader.bool($0, at: r.member("disableOOMKiller")) }
        useHierarchy = try r.present("useHierarchy").map { try JSONObjectReader.bool($0, at: r.member("useHierarchy")) }
        checkBeforeUpdate = try r.present("checkBeforeUpdate").map { try JSONObjectReader.bool($0, at: r.member("checkBeforeUpdate")) }
    }
}

extension LinuxCPU {
    init(reading r: JSONObjectReader) throws {
        shares = try r.present("shares").map { try JSONObjectReader.integer($0, at: r.member("shares"), as: UInt64.self) }
        quota = try r.present("quota").map { try JSONObjectReader.integer($0, at: r.member("quota"), as: Int64.self) }
        burst = try r.present("burst").map { try JSONObjectReader.integer($0, at: r.member("burst"), as: UInt64.self) }
        period = try r.present("period").map { try JSONObjectReader.integer($0, at: r.member("period"), as: UInt64.self) }
        realtimeRuntime = try r.present("realtimeRuntime").map { try JSONObjectReader.integer($0, at: r.member("realtimeRuntime"), as: Int64.self) }
        realtimePeriod = try r.present("realtimePeriod").map { try JSONObjectReader.integer($0, at: r.member("realtimePeriod"), as: UInt64.self) }
        cpus = try r.present("cpus").map { try JSONObjectReader.string($0, at: r.member("cpus")) }
        mems = try r.present("mems").map { try JSONObjectReader.string($0, at: r.member("mems")) }
        idle = try r.present("idle").map { try JSONObjectReader.integer($0, at: r.member("idle"), as: Int64.self) }
    }
}

extension LinuxPids {
    init(reading r: JSONObjectReader) throws {
        limit = try r.present("limit").map { try JSONObjectReader.integer($0, at: r.member("limit"), as: Int64.self) }
    }
}

extension LinuxBlockIO {
    init(reading r: JSONObjectReader) throws {
        weight = try r.present("weight").map { try JSONObjectReader.integer($0, at: r.member("weight"), as: UInt16.self) }
        leafWeight = try r.present("leafWeight").map { try JSONObjectReader.integer($0, at: r.member("leafWeight"), as: UInt16.self) }
        weightDevice = try r.present("weightDevice").map { try JSONObjectReader.elements($0, at: r.member("weightDevice")).enumerated().map { try LinuxWeightDevice(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("weightDevice"), $0))) } }
        throttleReadBpsDevice = try r.present("throttleReadBpsDevice").map { try JSONObjectReader.elements($0, at: r.member("throttleReadBpsDevice")).enumerated().map { try LinuxThrottleDevice(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("throttleReadBpsDevice"), $0))) } }
        throttleWriteBpsDevice = try r.present("throttleWriteBpsDevice").map { try JSONObjectReader.elements($0, at: r.member("throttleWriteBpsDevice")).enumerated().map { try LinuxThrottleDevice(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("throttleWriteBpsDevice"), $0))) } }
        throttleReadIOPSDevice = try r.present("throttleReadIOPSDevice").map { try JSONObjectReader.elements($0, at: r.member("throttleReadIOPSDevice")).enumerated().map { try LinuxThrottleDevice(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("throttleReadIOPSDevice"), $0))) } }
        throttleWriteIOPSDevice = try r.present("throttleWriteIOPSDevice").map { try JSONObjectReader.elements($0, at: r.member("throttleWriteIOPSDevice")).enumerated().map { try LinuxThrottleDevice(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("throttleWriteIOPSDevice"), $0))) } }
    }
}

extension LinuxHugepageLimit {
    init(reading r: JSONObjectReader) throws {
        pageSize = try JSONObjectReader.string(try r.required("pageSize"), at: r.member("pageSize"))
        limit = try JSONObjectReader.integer(try r.required("limit"), at: r.member("limit"), as: UInt64.self)
    }
}

extension LinuxNetwork {
    init(reading r: JSONObjectReader) throws {
        classID = try r.present("classID").map { try JSONObjectReader.integer($0, at: r.member("classID"), as: UInt32.self) }
        priorities = try r.present("priorities").map { try JSONObjectReader.elements($0, at: r.member("priorities")).enumerated().map { try LinuxInterfacePriority(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("priorities"), $0))) } }
    }
}

extension LinuxRdma {
    init(reading r: JSONObjectReader) throws {
        hcaHandles = try r.present("hcaHandles").map { try JSONObjectReader.integer($0, at: r.member("hcaHandles"), as: UInt32.self) }
        hcaObjects = try r.present("hcaObjects").map { try JSONObjectReader.integer($0, at: r.member("hcaObjects"), as: UInt32.self) }
    }
}

extension LinuxSyscall {
    init(reading r: JSONObjectReader) throws {
        names = try JSONObjectReader.strings(try r.required("names"), at: r.member("names"))
        action = try JSONObjectReader.string(try r.required("action"), at: r.member("action"))
        errnoRet = try r.present("errnoRet").map { try JSONObjectReader.integer($0, at: r.member("errnoRet"), as: UInt.self) }
        args = try r.present("args").map { try JSONObjectReader.elements($0, at: r.member("args")).enumerated().map { try LinuxSeccompArg(reading: JSONObjectReader($1, at: JSONObjectReader.element(r.member("args"), $0))) } }
    }
}

extension LinuxWeightDevice {
    init(reading r: JSONObjectReader) throws {
        major = try JSONObjectReader.integer(try r.required("major"), at: r.member("major"), as: Int64.self)
        minor = try JSONObjectReader.integer(try r.required("minor"), at: r.member("minor"), as: Int64.self)
        weight = try r.present("weight").map { try JSONObjectReader.integer($0, at: r.member("weight"), as: UInt16.self) }
        leafWeight = try r.present("leafWeight").map { try JSONObjectReader.integer($0, at: r.member("leafWeight"), as: UInt16.self) }
    }
}

extension LinuxThrottleDevice {
    init(reading r: JSONObjectReader) throws {
        major = try JSONObjectReader.integer(try r.required("major"), at: r.member("major"), as: Int64.self)
        minor = try JSONObjectReader.integer(try r.required("minor"), at: r.member("minor"), as: Int64.self)
        rate = try JSONObjectReader.integer(try r.required("rate"), at: r.member("rate"), as: UInt64.self)
    }
}

extension LinuxInterfacePriority {
    init(reading r: JSONObjectReader) throws {
        name = try JSONObjectReader.string(try r.required("name"), at: r.member("name"))
        priority = try JSONObjectReader.integer(try r.required("priority"), at: r.member("priority"), as: UInt32.self)
    }
}

extension LinuxSeccompArg {
    init(reading r: JSONObjectReader) throws {
        index = try JSONObjectReader.integer(try r.required("index"), at: r.member("index"), as: UInt.self)
        value = try JSONObjectReader.integer(try r.required("value"), at: r.member("value"), as: UInt64.self)
        valueTwo = try r.present("valueTwo").map { try JSONObjectReader.integer($0, at: r.member("valueTwo"), as: UInt64.self) }
        op = try JSONObjectReader.string(try r.required("op"), at: r.member("op"))
    }
}
