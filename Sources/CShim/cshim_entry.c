// The swiftlet executable's ELF entry point (Package.swift: -e swiftlet_entry): the CVE-2019-5736
// re-exec from a read-only bind of the binary, done before glibc's start-up rather than after it (the
// constructor in cshim_startup.c). glibc's static start-up costs ~350 µs in a VM (its cpuid
// instructions trap to the hypervisor); done here, create, run, exec and restore pay it once instead
// of twice. When anything here fails it returns, glibc starts, and the constructor's path (with its
// memfd fallback and its error report) runs as before.
//
// What runs here runs with nothing of libc set up: no TLS (so no errno), no IRELATIVE relocations
// applied (memcpy, memset, strlen, strcmp are ifuncs: calling one jumps to an unresolved slot), no
// stack-protector canary. Hence raw `syscall` instructions, hand-written string loops in functions
// the compiler may not turn into library calls (no_builtin), no stack protector, and no tables of
// pointers (each would need a relocation, were the binary ever a static-pie).
#define _GNU_SOURCE
#include "cshim_startup_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <elf.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PRE_LIBC __attribute__((no_stack_protector, no_builtin))

// `name` and then a character that is not part of a name ('\0' or '='), i.e. `s` is `name` or starts
// with `name=`.
PRE_LIBC static int names(const char *s, const char *name, char after) {
    while (*name != 0) {
        if (*s != *name) return 0;
        s++;
        name++;
    }
    return *s == after;
}

// runc's global flags that take a value, each followed by '\0', the list by a second one: one
// string, so that no pointer in it needs relocating.
static const char flags_with_value[] = "root\0log\0log-format\0criu\0rootless\0";

PRE_LIBC const char *cs_command_of(int argc, char *const *argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') return a;
        if (a[1] == '-' && a[2] == 0) return i + 1 < argc ? argv[i + 1] : NULL;
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *c = name;
        while (*c != 0 && *c != '=') c++;
        if (*c == '=') continue;
        for (const char *f = flags_with_value; *f != 0;) {
            if (names(name, f, 0)) { i++; break; }
            while (*f != 0) f++;
            f++;
        }
    }
    return NULL;
}

PRE_LIBC int cs_command_protects(const char *cmd) {
    if (cmd == NULL) return CS_COMMAND_OTHER;
    if (names(cmd, "create", 0) || names(cmd, "run", 0) || names(cmd, "exec", 0)) return CS_COMMAND_ENTERS;
    if (names(cmd, "restore", 0)) return CS_COMMAND_RESTORE;
    return CS_COMMAND_OTHER;
}

#if defined(__x86_64__)

#define ENTRY_ST_RDONLY 0x1
// More environment than this and the new array is not made on the stack: the constructor does it.
#define ENTRY_MAX_ENV 16384
// The stack a command needs, with room to spare: `run` of a plain config takes ~60 KiB.
#define ENTRY_STACK_NEED (256L * 1024)

// The kernel's result, -errno on failure.
static inline long entry_syscall(long n, long a, long b, long c, long d, long e) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

// Saves what glibc's _start reads (the initial stack pointer: argc, argv, envp, auxv; and %rdx:
// rtld_fini, the dynamic loader's finaliser, 0 for a static binary), calls cs_entry_protect_exe on a
// 16-byte aligned stack, then gives _start both back as the kernel set them. %r12 and %r13 are
// callee-saved, so the C function keeps them.
__asm__(".section .text.swiftlet_entry,\"ax\",@progbits\n"
        ".globl swiftlet_entry\n"
        ".type swiftlet_entry,@function\n"
        "swiftlet_entry:\n"
        "    mov %rsp, %r12\n"
        "    mov %rdx, %r13\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call cs_entry_protect_exe\n"
        "    mov %r12, %rsp\n"
        "    mov %r13, %rdx\n"
        "    jmp _start\n"
        ".size swiftlet_entry, .-swiftlet_entry\n"
        ".text\n");

// `n` in decimal after `out`; returns the end.
PRE_LIBC static char *entry_decimal(char *out, long n) {
    char digits[20];
    int k = 0;
    do { digits[k++] = (char)('0' + n % 10); n /= 10; } while (n > 0);
    while (k > 0) *out++ = digits[--k];
    *out = 0;
    return out;
}

// A standard stream the caller left closed (fd 0, 1 or 2) is /dev/null from here on, as Go's runtime
// makes it for runc: the first fd the runtime opens would otherwise take that number and pass for the
// stream, the detached bind below (not close-on-exec) reaching the container's init as its stdin, a
// state file opened where stdout was getting what is printed. When /dev/null cannot be opened the
// runtime stops here with an error, rather than run with a gap below 3.
PRE_LIBC static void entry_open_closed_std_fds(void) {
    for (long i = 0; i < 3; i++) {
        if (entry_syscall(SYS_fcntl, i, F_GETFD, 0, 0, 0) != -EBADF) continue;
        // The lower ones are open: the lowest free number is this one.
        long fd = entry_syscall(SYS_open, (long)"/dev/null", O_RDWR, 0, 0, 0);
        if (fd == i) continue;
        if (fd >= 0) entry_syscall(SYS_close, fd, 0, 0, 0, 0);
        static const char message[] = "swiftlet: a standard stream (fd 0, 1 or 2) is closed and /dev/null cannot be opened in its place\n";
        entry_syscall(SYS_write, 2, (long)message, sizeof message - 1, 0, 0);
        entry_syscall(SYS_exit_group, 1, 0, 0, 0, 0);
    }
}

// Appends `s` after `out`; returns the end.
PRE_LIBC static char *entry_append(char *out, const char *s) {
    while (*s != 0) *out++ = *s++;
    return out;
}

// The bytes of stack this process may still grow by under RLIMIT_STACK, ~0UL when unlimited. The
// kernel refuses to grow the stack mapping past the limit (a SIGSEGV), counting from the mapping's
// top: the page above the executable's name, the highest string the kernel put there (AT_EXECFN).
PRE_LIBC static unsigned long entry_stack_room(char **envp) {
    struct { unsigned long cur, max; } limit;
    if (entry_syscall(SYS_prlimit64, 0, RLIMIT_STACK, 0, (long)&limit, 0) != 0 || limit.cur == ~0UL) return ~0UL;
    while (*envp != NULL) envp++;
    unsigned long top = 0;
    for (unsigned long *aux = (unsigned long *)(envp + 1); aux[0] != AT_NULL; aux += 2) {
        if (aux[0] == AT_EXECFN) top = (aux[1] | 4095UL) + 1;
    }
    unsigned long here = (unsigned long)__builtin_frame_address(0);
    if (top <= here) return ~0UL;
    unsigned long used = top - here;
    return used >= limit.cur ? 0 : limit.cur - used;
}

// A stack limit that leaves less than ENTRY_STACK_NEED is refused here, naming the limit, rather than
// met as a SIGSEGV in the middle of a command (Swift's decoding of config.json alone takes ~60 KiB; a
// `run` killed there leaves its container's init and state behind).
PRE_LIBC static void entry_require_stack_room(unsigned long room) {
    if (room >= ENTRY_STACK_NEED) return;
    char message[200];
    char *p = entry_append(message, "swiftlet: the stack size limit (RLIMIT_STACK, ulimit -s) leaves ");
    p = entry_decimal(p, (long)(room / 1024));
    p = entry_append(p, " KiB of stack after the arguments and environment; swiftlet needs ");
    p = entry_decimal(p, ENTRY_STACK_NEED / 1024);
    p = entry_append(p, " KiB\n");
    entry_syscall(SYS_write, 2, (long)message, p - message, 0, 0);
    entry_syscall(SYS_exit_group, 1, 0, 0, 0, 0);
}

// The bind path of cs_exe_protect (cshim_security.c), with the same calls and the same fd passing.
__attribute__((visibility("hidden"), used)) PRE_LIBC
void cs_entry_protect_exe(long *initial_sp) {
    long argc = initial_sp[0];
    char **argv = (char **)(initial_sp + 1);
    char **envp = argv + argc + 1;
    entry_open_closed_std_fds();
    unsigned long room = entry_stack_room(envp);
    entry_require_stack_room(room);
    if (argc < 2) return;
    if (cs_command_protects(cs_command_of((int)argc, argv)) == CS_COMMAND_OTHER) return;
    long n = 0;
    int backtrace_set = 0;
    for (; envp[n] != NULL; n++) {
        // Already re-executed (or someone set the name): the constructor checks and adopts, or
        // protects the binary itself.
        if (names(envp[n], CS_EXE_MOUNT_FD_ENV, '=')) return;
        if (names(envp[n], CS_BACKTRACE_ENV, '=')) backtrace_set = 1;
    }
    if (n > ENTRY_MAX_ENV) return;
    // The new environment array goes on this stack: where it would eat into what the command needs,
    // the constructor makes it (setenv, on the heap) instead.
    if ((unsigned long)(n + 3) * sizeof(char *) + 4096 > room - ENTRY_STACK_NEED) return;
    struct statfs sf;
    if (entry_syscall(SYS_statfs, (long)"/proc/self/exe", (long)&sf, 0, 0, 0) != 0) return;
    if (sf.f_flags & ENTRY_ST_RDONLY) return;
    volatile struct cs_mount_attr attr;
    attr.attr_set = CS_MOUNT_ATTR_RDONLY | CS_MOUNT_ATTR_NOSUID | CS_MOUNT_ATTR_NODEV;
    attr.attr_clr = 0;
    attr.propagation = 0;
    attr.userns_fd = 0;
    // Not O_CLOEXEC, as in cs_exe_protect: its close by execveat would be the last, and dissolving
    // the detached mount waits for an RCU grace period before the new image's first instruction.
    // The clone made read-only in one call (open_tree_attr, Linux 6.15); where that fails (an older
    // kernel, a seccomp profile that does not know the call), in two.
    long fd = entry_syscall(SYS_open_tree_attr, AT_FDCWD, (long)"/proc/self/exe", CS_OPEN_TREE_CLONE, (long)&attr, sizeof attr);
    if (fd < 0) {
        fd = entry_syscall(SYS_open_tree, AT_FDCWD, (long)"/proc/self/exe", CS_OPEN_TREE_CLONE, 0, 0);
        if (fd < 0) return;
        if (entry_syscall(SYS_mount_setattr, fd, (long)"", CS_AT_EMPTY_PATH, (long)&attr, sizeof attr) != 0) {
            entry_syscall(SYS_close, fd, 0, 0, 0, 0);
            return;
        }
    }
    char variable[sizeof CS_EXE_MOUNT_FD_ENV + 24];
    char *p = variable;
    for (const char *s = CS_EXE_MOUNT_FD_ENV; *s != 0; s++) *p++ = *s;
    *p++ = '=';
    entry_decimal(p, fd);
    char *env[n + 3];
    for (long i = 0; i < n; i++) env[i] = envp[i];
    env[n] = variable;
    // Right after the fd's variable, where the new image's constructor looks for it (and so tells
    // it from a caller's own, which would have come before): the re-executed image then finds out
    // nothing about a backtracer it would not run. Removed from the environment before main.
    long m = n + 1;
    if (!backtrace_set) env[m++] = (char *)CS_BACKTRACE_SETTING;
    env[m] = NULL;
    entry_syscall(SYS_execveat, fd, (long)"", (long)argv, (long)env, CS_AT_EMPTY_PATH);
    entry_syscall(SYS_close, fd, 0, 0, 0, 0);
}

#else

// Elsewhere the entry is glibc's own: the constructor re-executes, and this fills a closed standard
// stream with /dev/null (see entry_open_closed_std_fds) before the constructors open anything.
static void open_closed_std_fds(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    for (int i = 0; i < 3; i++) {
        if (syscall(SYS_fcntl, i, F_GETFD) >= 0 || errno != EBADF) continue;
        int fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
        if (fd == i) continue;
        if (fd >= 0) syscall(SYS_close, fd);
        static const char message[] = "swiftlet: a standard stream (fd 0, 1 or 2) is closed and /dev/null cannot be opened in its place\n";
        syscall(SYS_write, 2, message, sizeof message - 1);
        syscall(SYS_exit_group, 1);
    }
}
__attribute__((section(".preinit_array"), used))
static void (*const open_closed_std_fds_at_start)(int, char **, char **) = open_closed_std_fds;

// Elsewhere the entry is glibc's own.
__asm__(".section .text.swiftlet_entry,\"ax\",%progbits\n"
        ".globl swiftlet_entry\n"
        ".type swiftlet_entry,%function\n"
        "swiftlet_entry:\n"
#if defined(__aarch64__)
        "    b _start\n"
#else
#error "swiftlet_entry: no jump to _start for this architecture"
#endif
        ".size swiftlet_entry, .-swiftlet_entry\n"
        ".text\n");

#endif
