import Glibc
import Kernel

/// Fault injection for the crash-recovery tests: with `SWIFTLET_FAULT=<step>` in its environment the
/// runtime SIGKILLs itself when it reaches that step, as a crash or an OOM kill would. Compiled into
/// every build: the cost is one getenv per command, on first use.
///
/// Steps (all in the runtime's own process, never in the container's):
///   create.state-dir   the container's folder exists, nothing else
///   create.cgroup      the cgroup is claimed (an attribute of the folder), made and limited (on a
///                      v1 or hybrid host after create.forked: see Create.swift)
///   create.forked      the init stage is forked
///   create.namespaces  init reported its pid: its namespaces exist
///   create.rootfs      init built the rootfs and asks for the prestart/createRuntime hooks
///                      (without such hooks it does not ask: then at its `.ready`)
///   create.ready       init is ready, state.json is not written yet
///   create.saved       state.json is written, init not yet told
///   start.locked       start checked the status, the fifo is untouched
///   start.written      the two bytes are in the fifo, the fifo is not removed yet
///   start.fifo-removed before the poststart hooks
///   exec.forked        the exec child is forked (not yet in the container's cgroup)
///   exec.running       the process runs (exec's sync socket closed)
///   delete.killed      the processes are killed, the cgroup not removed yet
///   delete.cgroup      the cgroup is removed, the state folder not yet
///   delete.removed     the state folder is gone, before the poststop hooks
public enum Fault {
    static let step: String? = {
        environmentValue("SWIFTLET_FAULT")
    }()

    @inline(__always)
    static func point(_ name: StaticString) {
        guard let s = step, s == name.description else { return }
        try? Proc.kill(Proc.getpid(), SIGKILL)
        Proc.exit(137)
    }

    /// In a process forked by `create`: dies with its parent until the handshake ends (cleared by
    /// the init stage once the parent has written state.json), so a killed `create` leaves no init
    /// behind. The pid check closes the race with a parent that died before the prctl.
    /// In a new pid namespace the parent is outside it and getppid() is 0; a parent gone before the
    /// death signal was armed then shows as the sync socket's end of file at init's first message.
    static func dieWithParent(_ parent: pid_t, parentOutsidePIDNamespace: Bool = false) {
        _ = try? Proc.setParentDeathSignal(SIGKILL)
        let ppid = Identity.parentPID
        if ppid != parent && !(parentOutsidePIDNamespace && ppid == 0) { Proc.exit(1) }
    }
}
