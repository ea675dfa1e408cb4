#define _GNU_SOURCE
#include "cshim_bpf.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

static long sys_bpf(int cmd, union bpf_attr *attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cs_bpf_load_device_prog(const uint64_t *insns, uint32_t count, char *log, uint32_t loglen) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)"Apache";
    if (log && loglen > 0) log[0] = 0;
    int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0 && log && loglen > 0) {
        // Again with the verifier's log, for the error message (a log buffer needs log_level > 0).
        int saved = errno;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = loglen;
        attr.log_level = 1;
        int again = (int)sys_bpf(BPF_PROG_LOAD, &attr);
        if (again >= 0) close(again);
        errno = saved;
    }
    return fd;
}

int cs_bpf_attach_device_prog(int cgroupfd, int progfd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = cgroupfd;
    attr.attach_bpf_fd = progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return (int)sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int query(int cgroupfd, uint32_t *ids, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = cgroupfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *count;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return -1;
    *count = attr.query.prog_cnt;
    return 0;
}

static uint32_t prog_id(int progfd) {
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = progfd;
    attr.info.info_len = sizeof(info);
    attr.info.info = (uint64_t)(uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) return 0;
    return info.id;
}

int cs_bpf_detach_device_progs_except(int cgroupfd, int keepfd) {
    uint32_t ids[64];
    uint32_t count = 64;
    if (query(cgroupfd, ids, &count) < 0) return -1;
    uint32_t keep = keepfd >= 0 ? prog_id(keepfd) : 0;
    int detached = 0;
    for (uint32_t i = 0; i < count && i < 64; i++) {
        if (ids[i] == keep) continue;
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_id = ids[i];
        int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0) return -1;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = cgroupfd;
        attr.attach_bpf_fd = fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        int r = (int)sys_bpf(BPF_PROG_DETACH, &attr);
        int saved = errno;
        close(fd);
        if (r < 0) { errno = saved; return -1; }
        detached++;
    }
    return detached;
}
