import Glibc
import Kernel
import RuntimeSpec

/// The parts of `create` for linux.netDevices, linux.intelRdt, linux.personality flags and the LSM
/// labels: checks in the parent before anything starts, then the moves and the resctrl group once
/// init's pid (and so its network namespace) exists.
extension Runtime {
    /// In makePlan: every problem the host makes for these fields fails here, naming the field.
    func prepareProcessFeatures(_ plan: inout InitPlan, spec: Spec, process: Process) throws {
        try ProcessAttributes.checkLsm(process: process, linux: spec.linux)
        if let flags = spec.linux?.personality?.flags, !flags.isEmpty {
            warn("linux.personality.flags: ignoring unsupported personality flags \(flags) (as runc does)")
        }
        if let rdt = spec.linux?.intelRdt { plan.intelRdt = try IntelRdt.check(rdt, id: plan.id) }
        plan.netDevices = try NetDevices.prepare(spec.linux?.netDevices)
    }

    /// When init reports its pid: devices into its network namespace, the pid into the resctrl group.
    func attachProcessFeatures(plan: InitPlan, pid: pid_t) throws {
        if let group = plan.intelRdt, let rdt = plan.spec.linux?.intelRdt {
            try IntelRdt.apply(rdt, group: group, pid: pid)
        }
        if !plan.netDevices.isEmpty {
            // Only a namespace of the container's own is held (and handed back on delete); held
            // first, so that a failed create can still hand the devices back.
            if plan.newNamespaces.contains(.network) {
                try NetDevices.holdNamespace(pid: pid, stateDir: store.directory(plan.id))
            }
            try NetDevices.moveIn(plan.netDevices, pid: pid)
        }
    }

    /// A create that failed: undoes what attachProcessFeatures did (moving devices back as delete does).
    func undoProcessFeatures(spec: Spec, id: String) {
        let dir = store.directory(id)
        if fileExists(dir + "/" + NetDevices.nsFile) {
            let record = ContainerRecord(ociVersion: spec.ociVersion, id: id, pid: 0, pidStartTime: 0, bundle: "",
                                         rootfs: "", created: "", owner: "", annotations: nil, config: spec)
            NetDevices.restore(record, stateDir: dir, warn: warn)
        }
        if let rdt = spec.linux?.intelRdt { IntelRdt.remove(rdt, id: id) }
    }

    /// delete: devices back to the host, the resctrl group removed.
    func releaseProcessFeatures(_ record: ContainerRecord) {
        NetDevices.restore(record, stateDir: store.directory(record.id), warn: warn)
        if let rdt = record.config.linux?.intelRdt { IntelRdt.remove(rdt, id: record.id) }
    }
}
