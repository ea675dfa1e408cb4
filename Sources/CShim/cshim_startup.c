// What runs before Swift's main for the commands whose forks end inside a container (create, run,
// exec, restore): first the re-exec from a copy of the binary the container cannot write
// (CVE-2019-5736, cshim_security.c), when the entry point's (cshim_entry.c) did not happen, then the
// start-up thread that makes the last close of the copy's bind (cshim_exe_mount_thread.c). Here,
// rather than in Swift, so that the re-exec costs one execve and the dynamic loader only, and the
// thread is off the main thread's path before it parses anything.
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
    int enters = protects == CS_COMMAND_ENTERS;
    // Already protected when the entry point's re-exec (cshim_entry.c) ran. Returns only when the
    // re-exec failed; Swift's dispatch then tries again and warns.
    if (!cs_exe_is_protected()) cs_exe_protect(argv, envp);
    cs_exe_mount_adopt();
    // Only once protected: Swift's second try of the re-exec would wait in execve for the thread,
    // and so for the bind's grace period.
    if (enters && cs_exe_is_protected()) cs_exe_mount_thread_start();
    // No start-up thread to close it: now, on this thread.
    if (!cs_exe_mount_thread_running()) cs_exe_mount_release();
}
