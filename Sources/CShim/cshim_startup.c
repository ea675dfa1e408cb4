// What runs before Swift's main for the commands whose forks end inside a container (create, run,
// exec, restore): first the re-exec from a copy of the binary the container cannot write
// (CVE-2019-5736, cshim_security.c), when the entry point's (cshim_entry.c) did not happen, then the
// last close of the copy's bind. Here, rather than in Swift, so that the re-exec costs one execve
// and the dynamic loader only.
#include "cshim_security.h"
#include "cshim_startup_internal.h"

#include <stddef.h>

static int startup_argc;
static char **startup_argv;

int cs_argc(void) { return startup_argc; }
char **cs_argv(void) { return startup_argv; }

__attribute__((constructor))
static void swiftlet_startup(int argc, char **argv, char **envp) {
    startup_argc = argv == NULL ? 0 : argc;
    startup_argv = argv;
    if (argc < 2 || argv == NULL) return;
    int protects = cs_command_protects(cs_command_of(argc, argv));
    if (protects == CS_COMMAND_OTHER) return;
    // Already protected when the entry point's re-exec (cshim_entry.c) ran. Returns only when the
    // re-exec failed; Swift's dispatch then tries again and warns.
    if (!cs_exe_is_protected()) cs_exe_protect(argv, envp);
    cs_exe_mount_adopt();
    // On this thread, before anything forks. A start-up thread that made this close beside the main
    // thread (its grace period then not the main thread's) made `run` 1-3 % slower, paired
    // (conformance/BENCH.md).
    cs_exe_mount_release();
}
