// Between the entry point, the start-up constructor and the re-exec's code only (not in include/:
// nothing in Swift calls these).
#ifndef SWIFTLET_CSHIM_STARTUP_INTERNAL_H
#define SWIFTLET_CSHIM_STARTUP_INTERNAL_H

#include <stdint.h>
#include <sys/syscall.h>

// The read-only bind of the binary, made by the entry point (cshim_entry.c) or, where that did not
// happen, by cs_exe_protect (cshim_security.c): the same calls and flags in both.
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif
#define CS_OPEN_TREE_CLONE 1
#define CS_AT_EMPTY_PATH 0x1000
#define CS_MOUNT_ATTR_RDONLY 0x1
#define CS_MOUNT_ATTR_NOSUID 0x2
#define CS_MOUNT_ATTR_NODEV 0x4
struct cs_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

// The detached bind's fd crosses the re-exec under this name (its number); the new image's
// constructor closes it (cs_exe_mount_release).
#define CS_EXE_MOUNT_FD_ENV "_SWIFTLET_EXE_MOUNT_FD"

// The Swift runtime's crash backtracer reads its settings from this variable in a static
// initialiser. Unset, it looks for its helper program at every start: readlink of /proc/self/exe,
// then eight paths beside the binary (relative ones after a re-exec, whose /proc/self/exe reads
// "/"), and asks whether stdout is a terminal twice, to find none in a static binary and turn
// itself off. The entry point's re-exec passes the runtime the outcome instead, when the caller set
// no variable of that name: off, no terminal questions, a helper path given (empty) so none is
// looked for. The constructor finds it right after CS_EXE_MOUNT_FD_ENV and keeps where it is;
// cs_startup_environment_restore removes it before main, so that hooks and helpers that inherit
// the runtime's environment get the caller's.
#define CS_BACKTRACE_ENV "SWIFT_BACKTRACE"
#define CS_BACKTRACE_SETTING CS_BACKTRACE_ENV "=enable=no,interactive=no,color=no,swift-backtrace="

// The command a runc command line names (the first argument that is neither a global flag nor a
// global flag's value; flags may have one or two dashes and take their value as the next argument or
// after '='), NULL if none. Safe before libc's start-up (cshim_entry.c), as is the next.
const char *cs_command_of(int argc, char *const *argv);
// What the command does with the binary: enters a container (create, run, exec), restores one
// (restore: protected too), or neither.
enum { CS_COMMAND_OTHER = 0, CS_COMMAND_ENTERS = 1, CS_COMMAND_RESTORE = 2 };
int cs_command_protects(const char *cmd);

// The re-executed image inherits the detached bind's fd (named in an environment variable, which
// this removes): adopts it, close-on-exec, for the calls below. Called once by the constructor.
void cs_exe_mount_adopt(void);
// Closes it: its last close, which dissolves the mount (an expedited RCU grace period). Called by
// the constructor right after cs_exe_mount_adopt, before anything forks: no child (the container's
// init and exec stages, hooks) inherits it.
void cs_exe_mount_release(void);

#endif
