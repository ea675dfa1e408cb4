// Moving a process between cgroups takes cgroup_threadgroup_rwsem for writing. That percpu rwsem
// makes its first writer wait for an RCU grace period (5-15 ms on a busy 2-core VM); writers that
// follow within about one grace period pass at once. `create`, `run` and `exec` each move one
// process, late in their work: a no-op move of ourselves, made at start-up in a thread, pays the
// grace period while the main thread parses config.json and forks the init stage. Not on a cgroup
// v2 host for exec, which moves nothing there (cshim_startup.c).
//
// The same thread makes the last close of the re-exec's detached bind (cshim_security.c), whose
// grace period would otherwise be the main thread's.
//
// The thread runs plain C (no Swift runtime, no malloc): a fork of the main thread while it runs
// cannot inherit a held lock from it that the child would take (the bind's lock is only ever taken
// by a child that still has the fd, and none has: it is closed before every fork).
#include "cshim_cgroup.h"
#include "cshim_startup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static pthread_t prewarm_thread;
static int prewarm_running;
static int prewarm_migrates;

// Appends `s` to buf at *len; returns 0, or -1 if it does not fit.
static int append(char *buf, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > cap) return -1;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = 0;
    return 0;
}

// Writes "0" (= this process) into the cgroup.procs of the cgroup named by one /proc/self/cgroup
// line ("0::/path" or "N:controllers:/path"). Returns 0 when a write happened.
static int move_into_own(const char *controllers, size_t clen, const char *path, size_t plen) {
    static const char *v2_mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
    char file[4096];
    for (int i = 0; i < (clen == 0 ? 2 : 1); i++) {
        size_t len = 0;
        file[0] = 0;
        if (clen == 0) {
            if (append(file, sizeof file, &len, v2_mounts[i], strlen(v2_mounts[i]))) return -1;
        } else {
            const char *name = controllers;
            size_t nlen = clen;
            if (nlen > 5 && memcmp(name, "name=", 5) == 0) { name += 5; nlen -= 5; }
            if (append(file, sizeof file, &len, "/sys/fs/cgroup/", 15)) return -1;
            if (append(file, sizeof file, &len, name, nlen)) return -1;
        }
        if (append(file, sizeof file, &len, path, plen)) return -1;
        if (append(file, sizeof file, &len, "/cgroup.procs", 13)) return -1;
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = write(fd, "0", 1);
        close(fd);
        if (n == 1) return 0;
    }
    return -1;
}

static void move_into_own_cgroup(void);

static void *prewarm(void *arg) {
    (void)arg;
    // Taken before the cgroup write, closed after it (and after the main thread's first fork):
    // the migration's grace period is the longer wait, and the main thread may meet it.
    int exe_mount = cs_exe_mount_take_into_own_table();
    if (prewarm_migrates) move_into_own_cgroup();
    if (exe_mount >= 0) cs_exe_mount_close_own(exe_mount);
    return NULL;
}

static void move_into_own_cgroup(void) {
    char buf[8192];
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    // Prefer the unified line (one write); else the first v1 line that works.
    for (int pass = 0; pass < 2; pass++) {
        char *line = buf;
        while (*line) {
            char *end = strchr(line, '\n');
            size_t l = end ? (size_t)(end - line) : strlen(line);
            char *c1 = memchr(line, ':', l);
            char *c2 = c1 ? memchr(c1 + 1, ':', l - (size_t)(c1 + 1 - line)) : NULL;
            if (c2) {
                size_t clen = (size_t)(c2 - c1 - 1);
                size_t plen = l - (size_t)(c2 + 1 - line);
                if ((pass == 0) == (clen == 0) && move_into_own(c1 + 1, clen, c2 + 1, plen) == 0) return;
            }
            if (!end) break;
            line = end + 1;
        }
    }
}

int cs_cgroup_prewarm_running(void) { return prewarm_running; }

int cs_cgroup_unified_only(void) {
    struct statfs fs;
    return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

int cs_cgroup_prewarm_start(int migrate) {
    if (prewarm_running) return 0;
    prewarm_migrates = migrate;
    if (geteuid() != 0) return 0;  // moving ourselves needs write access to cgroup.procs
    pthread_attr_t attr;
    if (pthread_attr_init(&attr)) return -1;
    pthread_attr_setstacksize(&attr, 64 * 1024);
    // Born with every signal blocked: a process-directed signal (the container's SIGCHLD, a
    // SIGTERM to forward) must reach the main thread, whose signalfd waits for it. Delivered to
    // this thread, SIGCHLD would be dropped and `run`/`exec` would wait forever.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = pthread_create(&prewarm_thread, &attr, prewarm, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (r) { errno = r; return -1; }
    prewarm_running = 1;
    return 0;
}
