// The start-up thread of create, run and exec: it makes the last close of the re-exec's detached
// bind of the binary (cshim_security.c). That close dissolves the mount, which waits for an RCU
// grace period (namespace_unlock); made on the main thread, the wait would be the main thread's,
// while it parses config.json and forks the init stage.
//
// The thread runs plain C (no Swift runtime, no malloc): a fork of the main thread while it runs
// cannot inherit a held lock from it that the child would take (the bind's lock is only ever taken
// by a child that still has the fd, and none has: it is closed before every fork).
#include "cshim_startup_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static pthread_t exe_mount_thread;
static int exe_mount_thread_started;

static void *close_exe_mount(void *arg) {
    (void)arg;
    int exe_mount = cs_exe_mount_take_into_own_table();
    if (exe_mount >= 0) cs_exe_mount_close_own(exe_mount);
    return NULL;
}

int cs_exe_mount_thread_running(void) { return exe_mount_thread_started; }

int cs_exe_mount_thread_start(void) {
    if (exe_mount_thread_started) return 0;
    // Without root there is no bind to close: open_tree needs CAP_SYS_ADMIN, and cs_exe_protect
    // made a sealed memfd copy instead.
    if (geteuid() != 0) return 0;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr)) return -1;
    pthread_attr_setstacksize(&attr, 64 * 1024);
    // Born with every signal blocked: a process-directed signal (the container's SIGCHLD, a
    // SIGTERM to forward) must reach the main thread, whose signalfd waits for it. Delivered to
    // this thread, SIGCHLD would be dropped and `run`/`exec` would wait forever.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = pthread_create(&exe_mount_thread, &attr, close_exe_mount, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (r) { errno = r; return -1; }
    exe_mount_thread_started = 1;
    return 0;
}
