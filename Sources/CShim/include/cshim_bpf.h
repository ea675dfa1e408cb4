// bpf(2) for the cgroup v2 device controller: load a BPF_PROG_TYPE_CGROUP_DEVICE program, attach
// it to a cgroup directory, and detach the programs that were there before.
#ifndef SWIFTLET_CSHIM_BPF_H
#define SWIFTLET_CSHIM_BPF_H

#include <stdint.h>
#include <stddef.h>

// insns: `count` struct bpf_insn (8 bytes each). On failure returns -1 with errno; the verifier's
// log (if any) goes to log (NUL-terminated).
int cs_bpf_load_device_prog(const uint64_t *insns, uint32_t count, char *log, uint32_t loglen);
// BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI, attach type BPF_CGROUP_DEVICE.
int cs_bpf_attach_device_prog(int cgroupfd, int progfd);
// Detaches every BPF_CGROUP_DEVICE program attached to the cgroup except the one with the same id as
// keepfd (keepfd < 0: detach all). Returns the number detached, or -1.
int cs_bpf_detach_device_progs_except(int cgroupfd, int keepfd);

#endif
