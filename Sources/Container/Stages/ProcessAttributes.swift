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
    static func apply(_ plan: ProcessPlan, process p: Process) throws {
        if let per = plan.personality { try applyPersonality(per) }
        if let mp = plan.memoryPolicy { try applyMemoryPolicy(mp) }
        if let io = plan.ioPriority { try applyIOPriority(io, plan) }
        if let s = plan.scheduler { try applyScheduler(s, plan) }
        if let profile = p.apparmorProfile, !profile.isEmpty {
            do { try Lsm.apparmorExecProfile(profile) } catch {
                throw RuntimeError(field: plan.field("apparmorProfile"), quoted(profile), cause: error)
            }
        }
        if let label = p.selinuxLabel, !label.isEmpty {
            do { try Lsm.selinuxExecLabel(label) } catch {
                throw RuntimeError(field: plan.field("selinuxLabel"), quoted(label), cause: error)
            }
        }
    }

    /// The LSM labels asked for must be applicable on this host: checked in the parent, so that
    /// `create` and `exec` fail with the field's name before anything starts.
    static func checkLsm(process p: Process?, linux: Linux?, apparmorField: InputField = .config("process.apparmorProfile"),
                         selinuxField: InputField = .config("process.selinuxLabel")) throws {
        if let profile = p?.apparmorProfile, !profile.isEmpty, !Lsm.apparmorEnabled {
            throw RuntimeError(field: apparmorField, "AppArmor profile \(quoted(profile)) requested, but AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not \"Y\")")
        }
        if let label = p?.selinuxLabel, !label.isEmpty, !Lsm.selinuxEnabled {
            throw RuntimeError(field: selinuxField, "SELinux label \(quoted(label)) requested, but SELinux is not enabled on this host (no selinuxfs at /sys/fs/selinux)")
        }
        if let label = linux?.mountLabel, !label.isEmpty, !Lsm.selinuxEnabled {
            throw RuntimeError.config("linux.mountLabel", "SELinux mount label \(quoted(label)) requested, but SELinux is not enabled on this host (no selinuxfs at /sys/fs/selinux)")
        }
    }

    static func applyPersonality(_ per: ProcessPlan.Personality) throws {
        // Flags are ignored (with a warning at create), as runc does.
        do { try Sched.setPersonality(per.persona) } catch {
            throw RuntimeError(field: .config("linux.personality.domain"), per.domain, cause: error)
        }
    }

    static func applyMemoryPolicy(_ mp: ProcessPlan.MemoryPolicySetting) throws {
        do { try MemoryPolicy.set(mode: mp.mode, flags: mp.flags, nodes: mp.nodes) } catch let e as SysError {
            var hint = ""
            if e.errno == EINVAL && !mp.nodes.isEmpty {
                hint = " (this host's NUMA nodes with memory: \(MemoryPolicy.nodesWithMemory().map(String.init).joined(separator: ",")))"
            }
            throw RuntimeError(field: .config("linux.memoryPolicy"), mp.shown + hint, cause: e)
        }
    }

    static func applyIOPriority(_ io: ProcessPlan.IOPriority, _ plan: ProcessPlan) throws {
        do { try Sched.setIOPriority(ioClass: io.classNumber, level: io.level) } catch {
            throw RuntimeError(field: plan.field("ioPriority"), "\(io.className) priority \(io.level)", cause: error)
        }
    }

    static func applyScheduler(_ s: ProcessPlan.Scheduling, _ plan: ProcessPlan) throws {
        do { try Sched.setAttributes(s.attributes) } catch let e as SysError {
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
            throw RuntimeError(field: plan.field("scheduler"), s.policy + hint, cause: e)
        }
    }

    static func hostRealtimeRuntime() -> String {
        ((try? readTextFile(path: "/proc/sys/kernel/sched_rt_runtime_us")) ?? "?").split(separator: "\n").first.map(String.init) ?? "?"
    }
}
