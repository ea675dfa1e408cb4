// What runs before Swift's main for the commands whose forks end inside a container (create, run,
// exec, restore): first the re-exec from a copy of the binary the container cannot write
// (CVE-2019-5736, cshim_security.c), when the entry point's (cshim_entry.c) did not happen, then the
// last close of the copy's bind. Here, rather than in Swift, so that the re-exec costs one execve
// and the dynamic loader only.
#include "cshim_security.h"
#include "cshim_startup_internal.h"

#include <stddef.h>
#include <string.h>

static int startup_argc;
static char **startup_argv;
// The constructor's verdict, for RuntimeBinary.protect: statfs of /proc/self/exe once, not twice.
static int startup_found_protected;
// The entry point's CS_BACKTRACE_SETTING string in the environment, NULL if it added none.
static char *startup_backtrace_entry;

int cs_argc(void) { return startup_argc; }
char **cs_argv(void) { return startup_argv; }
int cs_exe_protected_at_startup(void) { return startup_found_protected; }

// Swift's standard library reads argv through this runtime function (CommandLine). The runtime's
// own definition comes in an object (CommandLine.cpp) whose static initialiser finds argv at every
// start by reading and parsing /proc/self/maps (fopen, five system calls, sscanf per line: ~30 µs),
// although nothing in swiftlet asks for CommandLine. Defined here, that object is not linked, and
// CommandLine, should anything use it, gets the vector the constructor below was given. The
// runtime's fast path returns the same (argv as the kernel laid it out). Swift's calling
// convention, as the runtime declares them (SWIFT_CC(swift)).
static char *startup_no_arguments[] = { NULL };
static char **startup_argv_override;
static int startup_argc_override;

__attribute__((swiftcall)) char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    if (startup_argv_override != NULL) {
        *outArgLen = startup_argc_override;
        return startup_argv_override;
    }
    if (startup_argv == NULL) {
        *outArgLen = 0;
        return startup_no_arguments;
    }
    *outArgLen = startup_argc;
    return startup_argv;
}

__attribute__((swiftcall)) void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc) {
    startup_argv_override = argv;
    startup_argc_override = argc;
}

// The entry point put its setting right after the fd's variable (a caller's own variables all come
// before that one): the same string there is the entry point's.
static void note_backtrace_setting(char **envp) {
    if (envp == NULL) return;
    for (char **e = envp; *e != NULL; e++) {
        if (strncmp(*e, CS_EXE_MOUNT_FD_ENV "=", sizeof CS_EXE_MOUNT_FD_ENV) != 0) continue;
        if (e[1] != NULL && strcmp(e[1], CS_BACKTRACE_SETTING) == 0) startup_backtrace_entry = e[1];
        return;
    }
}

void cs_startup_environment_restore(void) {
    extern char **environ;
    if (startup_backtrace_entry == NULL || environ == NULL) return;
    // By the string's address: a variable of the same name the caller set is never the one removed.
    for (char **e = environ; *e != NULL; e++) {
        if (*e != startup_backtrace_entry) continue;
        do { e[0] = e[1]; } while (*e++ != NULL);
        break;
    }
    startup_backtrace_entry = NULL;
}

__attribute__((constructor))
static void swiftlet_startup(int argc, char **argv, char **envp) {
    startup_argc = argv == NULL ? 0 : argc;
    startup_argv = argv;
    if (argc < 2 || argv == NULL) return;
    int protects = cs_command_protects(cs_command_of(argc, argv));
    if (protects == CS_COMMAND_OTHER) return;
    note_backtrace_setting(envp);
    // Already protected when the entry point's re-exec (cshim_entry.c) ran. Returns only when the
    // re-exec failed; Swift's dispatch then tries again and warns.
    if (cs_exe_is_protected()) startup_found_protected = 1;
    else cs_exe_protect(argv, envp);
    cs_exe_mount_adopt();
    // On this thread, before anything forks. A start-up thread that made this close beside the main
    // thread (its grace period then not the main thread's) made `run` 1-3 % slower, paired
    // (conformance/BENCH.md).
    cs_exe_mount_release();
}
