// What runs before Swift's main for the commands whose forks end inside a container (create, run,
// exec, restore): first the re-exec from a copy of the binary the container cannot write
// (CVE-2019-5736, cshim_security.c), then the cgroup migration prewarm (cshim_cgroup.c). Here,
// rather than in Swift, so that the re-exec costs one execve and the dynamic loader only, and the
// prewarm's grace period starts as early as it can.
#include "cshim_cgroup.h"
#include "cshim_security.h"
#include "cshim_startup_internal.h"

#include <string.h>

// The first argument that is neither a global flag nor a global flag's value (runc's CLI: flags
// may have one or two dashes and take their value as the next argument or after '=').
static const char *command_of(int argc, char **argv) {
    static const char *with_value[] = {"root", "log", "log-format", "criu", "rootless", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') return a;
        if (strcmp(a, "--") == 0) return i + 1 < argc ? argv[i + 1] : NULL;
        const char *name = a + (a[1] == '-' ? 2 : 1);
        if (strchr(name, '=')) continue;
        for (int k = 0; with_value[k]; k++) {
            if (strcmp(name, with_value[k]) == 0) { i++; break; }
        }
    }
    return NULL;
}

static int startup_argc;
static char **startup_argv;

int cs_argc(void) { return startup_argc; }
char **cs_argv(void) { return startup_argv; }

__attribute__((constructor))
static void swiftlet_startup(int argc, char **argv, char **envp) {
    startup_argc = argv == NULL ? 0 : argc;
    startup_argv = argv;
    if (argc < 2 || argv == NULL) return;
    const char *cmd = command_of(argc, argv);
    if (cmd == NULL) return;
    int enters = strcmp(cmd, "create") == 0 || strcmp(cmd, "run") == 0 || strcmp(cmd, "exec") == 0;
    if (!enters && strcmp(cmd, "restore") != 0) return;
    // Returns only when the re-exec failed; Swift's dispatch then tries again and warns.
    if (!cs_exe_is_protected()) cs_exe_protect(argv, envp);
    cs_exe_mount_adopt();
    // Only once protected: an execve would have to wait for the thread's grace period.
    // On a cgroup v2 host exec forks its child into the container's cgroup (clone3
    // CLONE_INTO_CGROUP, Exec.swift): nothing of its is moved, so a grace period started early buys
    // it nothing, and the thread's no-op move would hold the migration lock through it while that
    // clone3 waits for it (`exec` 0.75x of the time with the move, paired).
    if (enters && cs_exe_is_protected()) cs_cgroup_prewarm_start(strcmp(cmd, "exec") != 0 || !cs_cgroup_unified_only());
    // No start-up thread to close it: now, on this thread.
    if (!cs_cgroup_prewarm_running()) cs_exe_mount_release();
}
