import Glibc
import Kernel
import RuntimeSpec

/// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.personality,
/// linux.memoryPolicy and the LSM labels: spec values turned into the kernel calls, each failure
/// naming its field. Applied by the init stage (and the exec stage) to the process itself.
enum ProcessAttributes {
    /// Everything that is set on the process before its credentials change (some need privilege:
    /// SCHED_FIFO/RR/DEADLINE, IOPRIO_CLASS_RT, a lower nice value).
    /// Order: personality → memory policy → I/O priority → scheduler → AppArmor/SELinux exec labels.
    static func apply(process p: Process, linux: Linux?) throws {
        if let per = linux?.personality { try applyPersonality(per) }
        if let mp = linux?.memoryPolicy { try applyMemoryPolicy(mp) }
        if let io = p.ioPriority { try applyIOPriority(io) }
        if let s = p.scheduler { try applyScheduler(s) }
        if let profile = p.apparmorProfile, !profile.isEmpty {
            do { try Lsm.apparmorExecProfile(profile) } catch {
                throw ContainerError("process.apparmorProfile \"\(profile)\": \(error)")
            }
        }
        if let label = p.selinuxLabel, !label.isEmpty {
            do { try Lsm.selinuxExecLabel(label) } catch {
                throw ContainerError("process.selinuxLabel \"\(label)\": \(error)")
            }
        }
    }

    /// The LSM labels asked for must be applicable on this host: checked in the parent, so that
    /// `create` and `exec` fail with the field's name before anything starts.
    static func checkLsm(process p: Process?, linux: Linux?, apparmorField: String = "process.apparmorProfile",
                         selinuxField: String = "process.selinuxLabel") throws {
        if let profile = p?.apparmorProfile, !profile.isEmpty, !Lsm.apparmorEnabled {
            throw ContainerError("\(apparmorField): AppArmor profile \"\(profile)\" requested, but AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not \"Y\")")
        }
        if let label = p?.selinuxLabel, !label.isEmpty, !Lsm.selinuxEnabled {
            throw ContainerError("\(selinuxField): SELinux label \"\(label)\" requested, but SELinux is not enabled on this host (no selinuxfs at /sys/fs/selinux)")
        }
        if let label = linux?.mountLabel, !label.isEmpty, !Lsm.selinuxEnabled {
            throw ContainerError("linux.mountLabel: SELinux mount label \"\(label)\" requested, but SELinux is not enabled on this host (no selinuxfs at /sys/fs/selinux)")
        }
    }

    static func applyPersonality(_ per: LinuxPersonality) throws {
        // PER_LINUX = 0, PER_LINUX32 = 8. Flags are ignored (with a warning at create), as runc does.
        let persona: UInt = per.domain == "LINUX32" ? 0x0008 : 0x0000
        do { try Sched.setPersonality(persona) } catch {
            throw ContainerError("linux.personality.domain \(per.domain): \(error)")
        }
    }

    static func applyMemoryPolicy(_ mp: LinuxMemoryPolicy) throws {
        guard let mode = SpecNames.memoryPolicyModeNumber(of: mp.mode) else {
            throw ContainerError("linux.memoryPolicy.mode: unknown mode \"\(mp.mode)\"")
        }
        var flags: Int32 = 0
        for (i, f) in (mp.flags ?? []).enumerated() {
            guard let bit = SpecNames.memoryPolicyFlagBit(of: f) else {
                throw ContainerError("linux.memoryPolicy.flags[\(i)]: unknown flag \"\(f)\"")
            }
            flags |= bit
        }
        var nodes: [Int] = []
        if let text = mp.nodes, !text.isEmpty {
            guard let ranges = parseCPUList(text) else {
                throw ContainerError("linux.memoryPolicy.nodes: invalid node list \"\(text)\"")
            }
            for r in ranges { nodes += Array(r) }
        }
        do { try MemoryPolicy.set(mode: mode, flags: flags, nodes: nodes) } catch let e as SysError {
            var hint = ""
            if e.errno == EINVAL && !nodes.isEmpty {
                hint = " (this host's NUMA nodes with memory: \(MemoryPolicy.nodesWithMemory().map(String.init).joined(separator: ",")))"
            }
            throw ContainerError("linux.memoryPolicy: \(mp.mode)\((mp.flags ?? []).map { "|" + $0 }.joined()) nodes \"\(mp.nodes ?? "")\": \(e)\(hint)")
        }
    }

    static func applyIOPriority(_ io: LinuxIOPriority) throws {
        guard let cls = SpecNames.ioPriorityClassNumber(of: io.class) else {
            throw ContainerError("process.ioPriority.class: unknown class \"\(io.class)\"")
        }
        do { try Sched.setIOPriority(ioClass: cls, level: Int32(clamping: io.priority)) } catch {
            throw ContainerError("process.ioPriority: \(io.class) priority \(io.priority): \(error)")
        }
    }

    static func schedulerAttributes(_ s: Scheduler) throws -> Sched.Attributes {
        guard let policy = SpecNames.schedulerPolicyNumber(of: s.policy) else {
            throw ContainerError("process.scheduler.policy: unknown policy \"\(s.policy)\"")
        }
        var a = Sched.Attributes(policy: UInt32(policy))
        for (i, f) in (s.flags ?? []).enumerated() {
            guard let bit = SpecNames.schedulerFlagBit(of: f) else {
                throw ContainerError("process.scheduler.flags[\(i)]: unknown flag \"\(f)\"")
            }
            a.flags |= bit
        }
        a.nice = s.nice ?? 0
        a.priority = UInt32(clamping: s.priority ?? 0)
        a.runtime = s.runtime ?? 0
        a.deadline = s.deadline ?? 0
        a.period = s.period ?? 0
        return a
    }

    static func applyScheduler(_ s: Scheduler) throws {
        let a = try schedulerAttributes(s)
        do { try Sched.setAttributes(a) } catch let e as SysError {
            var hint = ""
            switch (s.policy, e.errno) {
            case ("SCHED_ISO", EINVAL):
                hint = " (SCHED_ISO is reserved: the Linux kernel does not implement it)"
            case ("SCHED_FIFO", EPERM), ("SCHED_RR", EPERM):
                hint = " (real-time policies need CAP_SYS_NICE and real-time runtime in the container's cpu cgroup: set linux.resources.cpu.realtimeRuntime; the host gives \(hostRealtimeRuntime()) µs)"
            case ("SCHED_DEADLINE", EBUSY):
                hint = " (the deadline bandwidth runtime/period does not fit into what the host admits)"
            case ("SCHED_DEADLINE", EINVAL):
                hint = " (SCHED_DEADLINE needs 0 < runtime <= deadline <= period, in nanoseconds, runtime >= 1024)"
            default: break
            }
            throw ContainerError("process.scheduler: \(s.policy): \(e)\(hint)")
        }
    }

    static func hostRealtimeRuntime() -> String {
        ((try? readTextFile(path: "/proc/sys/kernel/sched_rt_runtime_us")) ?? "?").split(separator: "\n").first.map(String.init) ?? "?"
    }

    /// "0-3,7" from process.execCPUAffinity.initial/final as CPU numbers.
    static func cpus(_ text: String, field: String) throws -> [Int] {
        guard let ranges = parseCPUList(text) else { throw ContainerError("\(field): invalid CPU list \"\(text)\"") }
        var out: [Int] = []
        for r in ranges { out += Array(r) }
        return out
    }
}
