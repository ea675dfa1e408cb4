// Peak RSS of a swiftlet process is mostly its executable's file pages, and the kernel maps those 64
// KiB at a time around each page fault (fault-around, mm/memory.c do_read_fault): what counts is how
// many 64 KiB windows the code touches, not how many pages. tools/hot-order packs the start-up
// functions into dense windows at the start of .text.hot, where fault-around costs little and saves
// faults. The rest is sparse: the standard library's 1.6 MB of code that is not in function sections
// (a few pages of each window run), the cold .text after it, and the read-only segment before the
// text (Swift's reflection sections, .eh_frame: a few pages each). There, every window mapped is ~13
// pages of memory for ~3 used. Not the data: its touched pages are dense (of the writable segment's
// 13 windows touched, 11 have 13-16 pages touched; registering it saved 48 KiB for ~150 faults more).
//
// The kernel does not fault around in a mapping registered with a userfaultfd for write-protect
// tracking (uffd_disable_fault_around), and with UFFD_FEATURE_WP_ASYNC (Linux 6.7) any private
// file mapping can be registered, nothing is write-protected, and no thread has to answer the fd:
// the registration only changes how reads fault, one page each. So the sparse ranges are registered,
// the dense hot text is not. Measured (conformance/BENCH.md): the parent of `run` maps ~1 MB less.
//
// The ranges come from the link: __ehdr_start (the first byte of the read-only segment), the start
// of .text.hot and swiftlet_sparse_text (where the script of tools/hot-order puts the large sections
// it cannot order), both defined by that script, and etext. A build without the script (debug) has
// neither symbol and registers nothing.
#include "cshim_residency.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

extern const char __ehdr_start[];
extern const char etext[];
extern const char swiftlet_hot_text __attribute__((weak));
extern const char swiftlet_sparse_text __attribute__((weak));

static int residency_fd = -1;

static uintptr_t page_down(uintptr_t a) { return a & ~(uintptr_t)4095; }
static uintptr_t page_up(uintptr_t a) { return (a + 4095) & ~(uintptr_t)4095; }

static int register_range(int fd, uintptr_t start, uintptr_t end) {
    if (end <= start) return 0;
    struct uffdio_register r = { .range = { .start = start, .len = end - start }, .mode = UFFDIO_REGISTER_MODE_WP };
    return ioctl(fd, UFFDIO_REGISTER, &r);
}

// A userfaultfd with the sparse ranges registered, or -1 (a build without the layout script, a
// kernel before 6.7, userfaultfd denied).
static int registered_fd(void) {
    // A build without the layout script (debug) has no ranges: no userfaultfd either.
    if (!&swiftlet_hot_text || !&swiftlet_sparse_text) return -1;
    // User-mode faults only: allowed without CAP_SYS_PTRACE whatever vm.unprivileged_userfaultfd says.
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0) return -1;
    struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC };
    // The read-only segment ends in the page the text starts in: that page stays as it is.
    if (ioctl(fd, UFFDIO_API, &api) < 0 ||
        register_range(fd, (uintptr_t)__ehdr_start, page_down((uintptr_t)&swiftlet_hot_text)) < 0 ||
        register_range(fd, page_up((uintptr_t)&swiftlet_sparse_text), page_up((uintptr_t)etext)) < 0) {
        close(fd);  // unregisters what was registered
        return -1;
    }
    return fd;
}

void cs_residency_exact(void) {
    int saved = errno;
    // A forked child holds its parent's fd, which registers the parent's memory, not its own.
    if (residency_fd >= 0) close(residency_fd);
    residency_fd = registered_fd();
    errno = saved;
}

// A fork copies the page tables of a mapping only where the mapping has anonymous pages (an
// anon_vma: mm/memory.c, vma_needs_copy); elsewhere the child faults in again each page it runs.
// The read-only segment and the text have none, so the init stage of a docker `run` took 87 of its
// 150 faults there, one page each (no fault-around in these ranges, above), all pages its parent
// had mapped. One private copy of one page in each of the two sparse mappings gives it an anon_vma
// for good; from then on every fork copies the entries the parent has there (~130 in a `run`):
// copying them and zapping them again at the child's exec cost a third of the faults they save (no
// trap, no page-cache lookup): the stage's faults 150 -> 91, a `run`'s CPU ~1 % less (perf,
// alternating; conformance/BENCH.md). Not the dense text: there a fault maps 16 pages, and copying
// its ~290 entries and zapping them at the exec cost as much as the ~10 faults they saved. The
// private copy is made the way a debugger sets a breakpoint: the byte that is there written again
// through /proc/self/mem, which copies the page without making the mapping writable. It costs 4 KiB
// of anonymous memory per mapping. Where the write is refused (proc_mem.force_override=never, a
// seccomp filter), forks fault as before.
static bool forks_copy_sparse_ranges;

static void private_copy_of_page_at(int mem_fd, uintptr_t address) {
    char byte = *(const volatile char *)address;
    (void)pwrite(mem_fd, &byte, 1, (off_t)address);
}

void cs_make_forks_copy_sparse_ranges(void) {
    // Once per process: a child's mappings inherit their anon_vma.
    if (forks_copy_sparse_ranges) return;
    forks_copy_sparse_ranges = true;
    // Without the registration (a debug build, userfaultfd denied) the kernel faults around
    // everywhere, and the text is one mapping: a copy would copy all of it, dense text too.
    if (residency_fd < 0) return;
    int saved = errno;
    int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        // The first page of each registered range; past the hot text's last page, which is
        // not registered.
        private_copy_of_page_at(fd, (uintptr_t)__ehdr_start);
        uintptr_t sparse = page_up((uintptr_t)&swiftlet_sparse_text);
        if (sparse < (uintptr_t)etext) private_copy_of_page_at(fd, sparse);  // none when the text is all hot
        close(fd);
    }
    errno = saved;
}

__attribute__((section(".preinit_array"), used))
static void (*const residency_at_start)(void) = cs_residency_exact;
