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
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

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

// The fd's number, in decimal, after `out`; returns the end.
PRE_LIBC static char *entry_decimal(char *out, long n) {
    char digits[20];
    int k = 0;
    do { digits[k++] = (char)('0' + n % 10); n /= 10; } while (n > 0);
    while (k > 0) *out++ = digits[--k];
    *out = 0;
    return out;
}

// The bind path of cs_exe_protect (cshim_security.c), with the same calls and the same fd passing.
__attribute__((visibility("hidden"), used)) PRE_LIBC
void cs_entry_protect_exe(long *initial_sp) {
    long argc = initial_sp[0];
    char **argv = (char **)(initial_sp + 1);
    char **envp = argv + argc + 1;
    if (argc < 2) return;
    if (cs_command_protects(cs_command_of((int)argc, argv)) == CS_COMMAND_OTHER) return;
    long n = 0;
    for (; envp[n] != NULL; n++) {
        // Already re-executed (or someone set the name): the constructor checks and adopts, or
        // protects the binary itself.
        if (names(envp[n], CS_EXE_MOUNT_FD_ENV, '=')) return;
    }
    if (n > ENTRY_MAX_ENV) return;
    struct statfs sf;
    if (entry_syscall(SYS_statfs, (long)"/proc/self/exe", (long)&sf, 0, 0, 0) != 0) return;
    if (sf.f_flags & ENTRY_ST_RDONLY) return;
    // Not O_CLOEXEC, as in cs_exe_protect: its close by execveat would be the last, and dissolving
    // the detached mount waits for an RCU grace period before the new image's first instruction.
    long fd = entry_syscall(SYS_open_tree, AT_FDCWD, (long)"/proc/self/exe", CS_OPEN_TREE_CLONE, 0, 0);
    if (fd < 0) return;
    volatile struct cs_mount_attr attr;
    attr.attr_set = CS_MOUNT_ATTR_RDONLY | CS_MOUNT_ATTR_NOSUID | CS_MOUNT_ATTR_NODEV;
    attr.attr_clr = 0;
    attr.propagation = 0;
    attr.userns_fd = 0;
    if (entry_syscall(SYS_mount_setattr, fd, (long)"", CS_AT_EMPTY_PATH, (long)&attr, sizeof attr) == 0) {
        char variable[sizeof CS_EXE_MOUNT_FD_ENV + 24];
        char *p = variable;
        for (const char *s = CS_EXE_MOUNT_FD_ENV; *s != 0; s++) *p++ = *s;
        *p++ = '=';
        entry_decimal(p, fd);
        char *env[n + 2];
        for (long i = 0; i < n; i++) env[i] = envp[i];
        env[n] = variable;
        env[n + 1] = NULL;
        entry_syscall(SYS_execveat, fd, (long)"", (long)argv, (long)env, CS_AT_EMPTY_PATH);
    }
    entry_syscall(SYS_close, fd, 0, 0, 0, 0);
}

#else

// Elsewhere the entry is glibc's own: the constructor re-executes.
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
