import Glibc
import CShim

/// bpf(2) for the cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program loaded from its
/// instructions and attached to a cgroup directory.
public enum DeviceProgram {
    /// Loads the program (struct bpf_insn, 8 bytes each). A refusal carries the verifier's log.
    public static func load(_ instructions: [UInt64]) throws -> OwnedFD {
        // Not zero-filled: the shim writes log[0] and the kernel the rest only when a load fails, so a
        // successful load touches one page of it, not the 16 a fill would (copied after the fork).
        var log = [CChar](unsafeUninitializedCapacity: 65536) { _, count in count = 65536 }
        let fd = instructions.withUnsafeBufferPointer { buf in
            cs_bpf_load_device_prog(buf.baseAddress, UInt32(buf.count), &log, UInt32(log.count))
        }
        if fd < 0 {
            let e = Glibc.errno
            let verifier = String(cString: log)
            throw SysError("loading the eBPF device program", verifier.isEmpty ? "" : "(verifier: \(verifier))", errno: e)
        }
        return OwnedFD(FD(fd))
    }

    /// Attaches `program` to the cgroup (BPF_F_ALLOW_MULTI), then detaches every other device program
    /// attached there: the cgroup is never without one in between.
    public static func replace(in cgroup: FD, with program: FD, describe: String) throws {
        try sys("attaching the eBPF device program to", describe) { cs_bpf_attach_device_prog(cgroup.raw, program.raw) }
        try sys("detaching the previous device programs of", describe) {
            cs_bpf_detach_device_progs_except(cgroup.raw, program.raw)
        }
    }
}
