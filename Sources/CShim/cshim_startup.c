// What runs before Swift's main for the commands whose forks end inside a container (create, run,
// exec, restore): first the re-exec from a copy of the binary the container cannot write
// (CVE-2019-5736, cshim_security.c), when the entry point's (cshim_entry.c) did not happen, then the cgroup migration prewarm (cshim_cgroup.c). Here,
// rather than in Swift, so that the re-exec costs one execve and the dynamic loader only, and the
// prewarm's grace period starts as early as it can.
#include "cshim_cgroup.h"
#include "cshim_security.h"
#include "cshim_startup_internal.h"

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
    // Only once protected: an execve would have to wait for the thread's grace period.
    // On a cgroup v2 host create and run fork the container's process into its cgroup, and exec its
    // child (clone3 CLONE_INTO_CGROUP, Create.swift, Exec.swift): nothing of theirs is moved, so a
    // grace period started early buys them nothing, and the thread's no-op move would hold
    // cgroup_mutex through it while their cgroup's mkdir and the clone3 into it wait for that mutex
    // (`run` 0.68-0.71x and `exec` 0.75x of the time with the move, paired).
    if (enters && cs_exe_is_protected()) cs_cgroup_prewarm_start(0);
    // No start-up thread to close it: now, on this thread.
    if (!cs_cgroup_prewarm_running()) cs_exe_mount_release();
}
