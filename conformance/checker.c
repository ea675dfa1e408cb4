/*
 * conformance/checker.c: the in-container half of the conformance suite.
 *
 * Built static by conformance/run and copied into the bundle's rootfs as /conformance/checker.
 * It runs as the container process. Every argument is one expectation that conformance/run
 * derived from config.json (plus facts only the host knows, such as the host's namespace
 * inodes):
 *
 *     REQ-ID KIND ARG...          (fields separated by single spaces; '%20' stands for a space)
 *
 * For every argument it prints one line "RESULT REQ-ID pass|fail REASON" to stdout.
 * Several expectations may share a REQ-ID: the runner fails the requirement if any of them fails.
 * Exit status: 0 when all passed, 1 otherwise.
 *
 * Kinds:
 *   ns TYPE same|differ HOSTINODE  /proc/self/ns/TYPE inode equals / differs from the host's
 *   ns-inode TYPE INODE            /proc/self/ns/TYPE inode equals INODE (joined namespace)
 *   uid N / gid N                  real, effective, saved and fs ids (from /proc/self/status)
 *   groups N,N,...|-               supplementary groups, as a set ("-" = none)
 *   umask OCTAL                    Umask: in /proc/self/status
 *   cwd PATH                       getcwd()
 *   env KEY=VALUE                  the environment holds exactly this entry
 *   noenv KEY                      the environment has no entry KEY
 *   hostname NAME / domainname NAME
 *   caps inh|prm|eff|bnd|amb HEX   capability mask in /proc/self/status
 *   nnp 0|1                        NoNewPrivs
 *   seccomp MODE                   Seccomp: (0 off, 1 strict, 2 filter)
 *   errno-getcpu ERRNO             syscall(getcpu) fails with ERRNO (seccomp errno action; getcpu is
 *                                  harmless and no runtime's init needs it, unlike getppid)
 *   rlimit NAME SOFT HARD          getrlimit; "inf" for RLIM_INFINITY
 *   mount DEST FSTYPE|* OPT,OPT|-  the topmost mount at DEST has this type and these per-mount options
 *   exists PATH / absent PATH
 *   ro PATH / rw PATH              statvfs(PATH) has / lacks ST_RDONLY
 *   masked PATH                    file: reads nothing and is /dev/null or empty; dir: empty, read-only
 *   device PATH c|b|p MAJ MIN MODE UID GID  lstat (MODE: permission bits, octal)
 *   symlink PATH TARGET            readlink
 *   file PATH CONTENT              PATH's content, whitespace collapsed to single spaces, equals CONTENT
 *   same-file A B                  A and B resolve to the same inode (bind mount or symlink)
 *   open-denied PATH               open(PATH, O_RDONLY) fails with EPERM (device cgroup)
 *   open-ok PATH                   open(PATH, O_RDONLY) succeeds
 *   tty FD                         FD is a terminal whose name is /dev/pts/N (the reason names it and its
 *                                  rdev, so the runner can match it with the master it received)
 *   notty FD                       FD is not a terminal
 *   winsize ROWS COLS              ioctl(0, TIOCGWINSZ) gives ROWS x COLS
 *   propagation PATH shared|slave|private|unbindable [HOSTGROUP]
 *                                  the topmost mount at PATH has this propagation in /proc/self/mountinfo:
 *                                  shared: a shared:N tag, N a new peer group (not HOSTGROUP; it may also be
 *                                  a slave, master:M); slave: master:M and no shared:N; private: neither;
 *                                  unbindable: the unbindable tag
 *   personality HEX                personality(0xffffffff) & PER_MASK (0xff) equals HEX
 *   machine NAME                   uname().machine (PER_LINUX32 shows a 32-bit CPU type)
 *   sched POLICY NICE PRIO         sched_getscheduler(0) (RESET_ON_FORK masked off), getpriority(), sched_priority
 *   ioprio CLASS LEVEL             ioprio_get(IOPRIO_WHO_PROCESS, 0) gives this class (1 RT, 2 BE, 3 IDLE) and level
 *   owner PATH UID GID             stat(PATH) owner as seen by the process (ID-mapped mounts)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

static int failures;

static void result(const char *id, int ok, const char *fmt, ...) {
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    for (char *p = reason; *p; p++)
        if (*p == '\n') *p = ' ';
    printf("RESULT %s %s %s\n", id, ok ? "pass" : "fail", reason);
    if (!ok) failures++;
}

/* Decodes '%20' to ' ' in place. */
static void unescape(char *s) {
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '%' && r[1] == '2' && r[2] == '0') { *w++ = ' '; r += 3; }
        else *w++ = *r++;
    }
    *w = 0;
}

/* The start of the file at `path` (at most size - 1 bytes), NUL-terminated: its length (0, empty, when it
 * cannot be read), or -1 with errno when it cannot be opened. */
static ssize_t read_text(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) n = 0;
    buf[n] = 0;
    return n;
}

/* Value of "Key:" in /proc/self/status, whitespace-trimmed, or NULL. */
static const char *status_field(const char *key) {
    static char buf[65536];
    static char val[4096];
    if (read_text("/proc/self/status", buf, sizeof buf) <= 0) return NULL;
    size_t kl = strlen(key);
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            char *v = line + kl + 1;
            while (*v == ' ' || *v == '\t') v++;
            size_t len = nl ? (size_t)(nl - v) : strlen(v);
            if (len >= sizeof val) len = sizeof val - 1;
            memcpy(val, v, len);
            val[len] = 0;
            return val;
        }
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

/* Parses a list of unsigned numbers separated by commas/spaces/tabs into a sorted, deduplicated array. */
static int parse_set(const char *s, unsigned long *out, int max) {
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t && n < max; t = strtok_r(NULL, ", \t", &save)) {
        if (strcmp(t, "-") == 0) continue;
        out[n++] = strtoul(t, NULL, 10);
    }
    free(copy);
    qsort(out, n, sizeof *out, cmp_u64);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || out[m - 1] != out[i]) out[m++] = out[i];
    return m;
}

static const char *ns_file(const char *type) {
    if (strcmp(type, "network") == 0) return "net";
    if (strcmp(type, "mount") == 0) return "mnt";
    return type; /* pid ipc uts user cgroup time */
}

static int ns_inode(const char *type, unsigned long *ino) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns_file(type));
    if (stat(path, &st) != 0) return -1;
    *ino = st.st_ino;
    return 0;
}

struct mnt { char point[PATH_MAX]; char opts[512]; char fstype[64]; char tags[256]; };

/* The last (topmost) entry of /proc/self/mountinfo whose mount point is `dest`. */
static int find_mount(const char *dest, struct mnt *m) {
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return -1;
    char line[8192];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        /* id parent maj:min root point opts [optional...] - fstype source superopts */
        char *fields[64];
        int nf = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " \n", &save); t && nf < 64; t = strtok_r(NULL, " \n", &save)) fields[nf++] = t;
        if (nf < 7) continue;
        int dash = -1;
        for (int i = 6; i < nf; i++)
            if (strcmp(fields[i], "-") == 0) { dash = i; break; }
        if (dash < 0 || dash + 1 >= nf) continue;
        /* mount points escape space as \040 */
        char point[PATH_MAX];
        size_t w = 0;
        for (char *r = fields[4]; *r && w < sizeof point - 1;) {
            if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
                point[w++] = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                r += 4;
            } else point[w++] = *r++;
        }
        point[w] = 0;
        if (strcmp(point, dest) != 0) continue;
        snprintf(m->point, sizeof m->point, "%s", point);
        snprintf(m->opts, sizeof m->opts, "%s", fields[5]);
        snprintf(m->fstype, sizeof m->fstype, "%s", fields[dash + 1]);
        /* optional fields between the options and the dash: shared:N master:N propagate_from:N unbindable */
        m->tags[0] = 0;
        for (int i = 6; i < dash; i++) {
            if (m->tags[0]) strncat(m->tags, " ", sizeof m->tags - strlen(m->tags) - 1);
            strncat(m->tags, fields[i], sizeof m->tags - strlen(m->tags) - 1);
        }
        found = 1;
    }
    fclose(f);
    return found ? 0 : -1;
}

static int has_opt(const char *opts, const char *opt) {
    size_t l = strlen(opt);
    for (const char *p = opts; p && *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == l && strncmp(p, opt, l) == 0) return 1;
        p = c ? c + 1 : NULL;
    }
    return 0;
}

#define RLIMIT(name) {#name, name}
static const struct { const char *name; int res; } rlimits[] = {
    RLIMIT(RLIMIT_CPU), RLIMIT(RLIMIT_FSIZE), RLIMIT(RLIMIT_DATA), RLIMIT(RLIMIT_STACK), RLIMIT(RLIMIT_CORE),
    RLIMIT(RLIMIT_RSS), RLIMIT(RLIMIT_NPROC), RLIMIT(RLIMIT_NOFILE), RLIMIT(RLIMIT_MEMLOCK), RLIMIT(RLIMIT_AS),
    RLIMIT(RLIMIT_LOCKS), RLIMIT(RLIMIT_SIGPENDING), RLIMIT(RLIMIT_MSGQUEUE), RLIMIT(RLIMIT_NICE),
    RLIMIT(RLIMIT_RTPRIO), RLIMIT(RLIMIT_RTTIME),
};

static unsigned long long parse_limit(const char *s) {
    if (strcmp(s, "inf") == 0) return (unsigned long long)RLIM_INFINITY;
    return strtoull(s, NULL, 10);
}

static void fmt_limit(char *buf, size_t n, rlim_t v) {
    if (v == RLIM_INFINITY) snprintf(buf, n, "inf");
    else snprintf(buf, n, "%llu", (unsigned long long)v);
}

static void check(char *arg) {
    char *argv[16];
    int argc = 0;
    char *save = NULL;
    for (char *t = strtok_r(arg, " ", &save); t && argc < 16; t = strtok_r(NULL, " ", &save)) {
        unescape(t);
        argv[argc++] = t;
    }
    if (argc < 2) { result("checker", 0, "malformed expectation"); return; }
    const char *id = argv[0], *kind = argv[1];
#define NEED(n) do { if (argc < (n) + 2) { result(id, 0, "%s: expects %d arguments", kind, (n)); return; } } while (0)

    if (strcmp(kind, "ns") == 0) {
        NEED(3);
        unsigned long ino = 0, host = strtoul(argv[4], NULL, 10);
        if (ns_inode(argv[2], &ino) != 0) { result(id, 0, "%s namespace: cannot stat /proc/self/ns/%s: %s", argv[2], ns_file(argv[2]), strerror(errno)); return; }
        int same = ino == host;
        if (strcmp(argv[3], "same") == 0)
            result(id, same, "%s namespace inode %lu, host %lu: %s", argv[2], ino, host, same ? "inherited" : "expected the runtime's namespace");
        else
            result(id, !same, "%s namespace inode %lu, host %lu: %s", argv[2], ino, host, same ? "expected a new namespace" : "new");
    } else if (strcmp(kind, "ns-inode") == 0) {
        NEED(2);
        unsigned long ino = 0, want = strtoul(argv[3], NULL, 10);
        if (ns_inode(argv[2], &ino) != 0) { result(id, 0, "cannot stat /proc/self/ns/%s", ns_file(argv[2])); return; }
        result(id, ino == want, "%s namespace inode %lu, wanted %lu (the given path)", argv[2], ino, want);
    } else if (strcmp(kind, "uid") == 0 || strcmp(kind, "gid") == 0) {
        NEED(1);
        const char *v = status_field(kind[0] == 'u' ? "Uid" : "Gid");
        unsigned long got[4] = {0}, want = strtoul(argv[2], NULL, 10);
        if (!v || sscanf(v, "%lu %lu %lu %lu", &got[0], &got[1], &got[2], &got[3]) != 4) { result(id, 0, "cannot read %s from /proc/self/status", kind); return; }
        int ok = got[0] == want && got[1] == want && got[2] == want && got[3] == want;
        result(id, ok, "%s real/effective/saved/fs = %lu/%lu/%lu/%lu, wanted %lu", kind, got[0], got[1], got[2], got[3], want);
    } else if (strcmp(kind, "groups") == 0) {
        NEED(1);
        const char *v = status_field("Groups");
        unsigned long got[256], want[256];
        int ng = parse_set(v ? v : "", got, 256), nw = parse_set(argv[2], want, 256);
        int ok = ng == nw && memcmp(got, want, ng * sizeof *got) == 0;
        result(id, ok, "Groups: '%s', wanted {%s}", v ? v : "", argv[2]);
    } else if (strcmp(kind, "umask") == 0) {
        NEED(1);
        const char *v = status_field("Umask");
        unsigned long got = v ? strtoul(v, NULL, 8) : 99999, want = strtoul(argv[2], NULL, 8);
        result(id, v && got == want, "umask %04lo, wanted %04lo", got, want);
    } else if (strcmp(kind, "cwd") == 0) {
        NEED(1);
        char buf[PATH_MAX];
        const char *c = getcwd(buf, sizeof buf);
        result(id, c && strcmp(c, argv[2]) == 0, "cwd '%s', wanted '%s'", c ? c : strerror(errno), argv[2]);
    } else if (strcmp(kind, "env") == 0) {
        NEED(1);
        int ok = 0;
        for (char **e = environ; *e; e++)
            if (strcmp(*e, argv[2]) == 0) ok = 1;
        char *eq = strchr(argv[2], '=');
        char key[256] = "";
        if (eq) snprintf(key, sizeof key, "%.*s", (int)(eq - argv[2]), argv[2]);
        const char *got = key[0] ? getenv(key) : NULL;
        result(id, ok, "env %s: got '%s'", argv[2], got ? got : "(unset)");
    } else if (strcmp(kind, "noenv") == 0) {
        NEED(1);
        const char *got = getenv(argv[2]);
        result(id, got == NULL, "%s should be unset, got '%s'", argv[2], got ? got : "(unset)");
    } else if (strcmp(kind, "hostname") == 0 || strcmp(kind, "domainname") == 0) {
        NEED(1);
        struct utsname u;
        uname(&u);
        const char *got = kind[0] == 'h' ? u.nodename : u.domainname;
        result(id, strcmp(got, argv[2]) == 0, "%s '%s', wanted '%s'", kind, got, argv[2]);
    } else if (strcmp(kind, "caps") == 0) {
        NEED(2);
        const char *key = strcmp(argv[2], "inh") == 0 ? "CapInh" : strcmp(argv[2], "prm") == 0 ? "CapPrm"
                        : strcmp(argv[2], "eff") == 0 ? "CapEff" : strcmp(argv[2], "bnd") == 0 ? "CapBnd" : "CapAmb";
        const char *v = status_field(key);
        unsigned long long got = v ? strtoull(v, NULL, 16) : ~0ULL, want = strtoull(argv[3], NULL, 16);
        /* Bits above the kernel's last capability cannot be set; ignore them. */
        unsigned long long known = 0;
        int last = 40;
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
        known = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
        int ok = v && (got & known) == (want & known);
        unsigned long long missing = want & known & ~got, extra = got & known & ~want;
        result(id, ok, "%s %016llx, wanted %016llx (missing %llx, extra %llx)", key, got, want & known, missing, extra);
    } else if (strcmp(kind, "nnp") == 0) {
        NEED(1);
        const char *v = status_field("NoNewPrivs");
        result(id, v && strcmp(v, argv[2]) == 0, "NoNewPrivs %s, wanted %s", v ? v : "?", argv[2]);
    } else if (strcmp(kind, "seccomp") == 0) {
        NEED(1);
        const char *v = status_field("Seccomp");
        result(id, v && strcmp(v, argv[2]) == 0, "Seccomp mode %s, wanted %s", v ? v : "?", argv[2]);
    } else if (strcmp(kind, "errno-getcpu") == 0) {
        NEED(1);
        errno = 0;
        unsigned cpu = 0, node = 0;
        long r = syscall(SYS_getcpu, &cpu, &node, NULL);
        int e = r == -1 ? errno : 0, want = atoi(argv[2]);
        result(id, r == -1 && e == want, "getcpu() = %ld errno %d, wanted -1 errno %d", r, e, want);
    } else if (strcmp(kind, "rlimit") == 0) {
        NEED(3);
        int res = -1;
        for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
            if (strcmp(rlimits[i].name, argv[2]) == 0) res = rlimits[i].res;
        if (res < 0) { result(id, 0, "unknown rlimit %s", argv[2]); return; }
        struct rlimit rl;
        getrlimit(res, &rl);
        char s[32], h[32];
        fmt_limit(s, sizeof s, rl.rlim_cur);
        fmt_limit(h, sizeof h, rl.rlim_max);
        int ok = (unsigned long long)rl.rlim_cur == parse_limit(argv[3]) && (unsigned long long)rl.rlim_max == parse_limit(argv[4]);
        result(id, ok, "%s soft %s hard %s, wanted %s %s", argv[2], s, h, argv[3], argv[4]);
    } else if (strcmp(kind, "mount") == 0) {
        NEED(3);
        struct mnt m;
        if (find_mount(argv[2], &m) != 0) { result(id, 0, "no mount at %s in /proc/self/mountinfo", argv[2]); return; }
        int ok = strcmp(argv[3], "*") == 0 || strcmp(m.fstype, argv[3]) == 0;
        char missing[256] = "";
        if (strcmp(argv[4], "-") != 0) {
            char *copy = strdup(argv[4]), *s2 = NULL;
            for (char *o = strtok_r(copy, ",", &s2); o; o = strtok_r(NULL, ",", &s2))
                if (!has_opt(m.opts, o)) { ok = 0; strncat(missing, o, sizeof missing - strlen(missing) - 2); strcat(missing, " "); }
            free(copy);
        }
        result(id, ok, "%s: type %s options %s (wanted type %s options %s%s%s)", argv[2], m.fstype, m.opts, argv[3], argv[4],
               missing[0] ? "; missing " : "", missing);
    } else if (strcmp(kind, "exists") == 0 || strcmp(kind, "absent") == 0) {
        NEED(1);
        struct stat st;
        int e = lstat(argv[2], &st) == 0;
        result(id, kind[0] == 'e' ? e : !e, "%s %s", argv[2], e ? "exists" : "does not exist");
    } else if (strcmp(kind, "ro") == 0 || strcmp(kind, "rw") == 0) {
        NEED(1);
        struct statvfs sv;
        if (statvfs(argv[2], &sv) != 0) { result(id, 0, "statvfs %s: %s", argv[2], strerror(errno)); return; }
        int ro = (sv.f_flag & ST_RDONLY) != 0;
        result(id, kind[1] == 'o' ? ro : !ro, "%s is %s", argv[2], ro ? "read-only" : "writable");
    } else if (strcmp(kind, "masked") == 0) {
        NEED(1);
        struct stat st;
        if (stat(argv[2], &st) != 0) { result(id, 1, "%s does not exist (nothing to mask)", argv[2]); return; }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[2]);
            int entries = 0;
            if (d) { struct dirent *de; while ((de = readdir(d))) if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) entries++; closedir(d); }
            struct statvfs sv;
            int ro = statvfs(argv[2], &sv) == 0 && (sv.f_flag & ST_RDONLY);
            result(id, d && entries == 0 && ro, "directory %s: %d entries, %s", argv[2], entries, ro ? "read-only" : "writable");
        } else {
            int isnull = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
            char buf[16];
            ssize_t n = -1;
            int fd = open(argv[2], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) { n = read(fd, buf, sizeof buf); close(fd); }
            result(id, n == 0 || (fd < 0 && isnull), "file %s: %s, read returned %zd", argv[2], isnull ? "/dev/null" : "not /dev/null", n);
        }
    } else if (strcmp(kind, "device") == 0) {
        NEED(7);
        struct stat st;
        if (lstat(argv[2], &st) != 0) { result(id, 0, "%s: %s", argv[2], strerror(errno)); return; }
        char t = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : S_ISFIFO(st.st_mode) ? 'p' : '?';
        unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
        unsigned long mode = strtoul(argv[6], NULL, 8);
        int ok = t == argv[3][0] && (t == 'p' || (maj == strtoul(argv[4], NULL, 10) && min == strtoul(argv[5], NULL, 10)))
                 && (strcmp(argv[6], "-") == 0 || (st.st_mode & 07777) == mode)
                 && (strcmp(argv[7], "-") == 0 || st.st_uid == strtoul(argv[7], NULL, 10))
                 && (strcmp(argv[8], "-") == 0 || st.st_gid == strtoul(argv[8], NULL, 10));
        result(id, ok, "%s: %c %u:%u mode %04o owner %u:%u, wanted %s %s:%s mode %s owner %s:%s", argv[2], t, maj, min,
               (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid, argv[3], argv[4], argv[5], argv[6], argv[7], argv[8]);
    } else if (strcmp(kind, "symlink") == 0) {
        NEED(2);
        char buf[PATH_MAX];
        ssize_t n = readlink(argv[2], buf, sizeof buf - 1);
        if (n < 0) { result(id, 0, "readlink %s: %s", argv[2], strerror(errno)); return; }
        buf[n] = 0;
        result(id, strcmp(buf, argv[3]) == 0, "%s -> %s, wanted %s", argv[2], buf, argv[3]);
    } else if (strcmp(kind, "file") == 0) {
        NEED(2);
        char buf[4096];
        if (read_text(argv[2], buf, sizeof buf) < 0) { result(id, 0, "open %s: %s", argv[2], strerror(errno)); return; }
        /* normalise whitespace: runs of blanks/newlines become one space, trimmed */
        char *w = buf;
        int space = 1;
        for (char *r = buf; *r; r++) {
            if (*r == ' ' || *r == '\t' || *r == '\n') { if (!space) *w++ = ' '; space = 1; }
            else { *w++ = *r; space = 0; }
        }
        if (w > buf && w[-1] == ' ') w--;
        *w = 0;
        result(id, strcmp(buf, argv[3]) == 0, "%s = '%s', wanted '%s'", argv[2], buf, argv[3]);
    } else if (strcmp(kind, "same-file") == 0) {
        NEED(2);
        struct stat a, b;
        int ra = stat(argv[2], &a), rb = stat(argv[3], &b);
        int ok = ra == 0 && rb == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        result(id, ok, "%s and %s %s", argv[2], argv[3], ra || rb ? "do not both exist" : ok ? "are the same file" : "are different files");
    } else if (strcmp(kind, "open-denied") == 0 || strcmp(kind, "open-ok") == 0) {
        NEED(1);
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        int e = errno;
        if (fd >= 0) close(fd);
        if (kind[5] == 'd') result(id, fd < 0 && e == EPERM, "open %s: %s", argv[2], fd >= 0 ? "succeeded" : strerror(e));
        else result(id, fd >= 0, "open %s: %s", argv[2], fd >= 0 ? "succeeded" : strerror(e));
    } else if (strcmp(kind, "tty") == 0) {
        NEED(1);
        int fd = atoi(argv[2]);
        struct stat st;
        char name[PATH_MAX] = "";
        int is = isatty(fd);
        if (is && ttyname_r(fd, name, sizeof name) != 0) snprintf(name, sizeof name, "?");
        int rdev_ok = fstat(fd, &st) == 0;
        int ok = is && strncmp(name, "/dev/pts/", 9) == 0 && name[9] >= '0' && name[9] <= '9';
        result(id, ok, "fd %d %s %s (rdev %u:%u)", fd, is ? "is the terminal" : "is not a terminal", is ? name : "",
               rdev_ok ? major(st.st_rdev) : 0, rdev_ok ? minor(st.st_rdev) : 0);
    } else if (strcmp(kind, "notty") == 0) {
        NEED(1);
        int fd = atoi(argv[2]);
        result(id, !isatty(fd), "fd %d %s", fd, isatty(fd) ? "is a terminal" : "is not a terminal");
    } else if (strcmp(kind, "winsize") == 0) {
        NEED(2);
        struct winsize ws;
        if (ioctl(0, TIOCGWINSZ, &ws) != 0) { result(id, 0, "TIOCGWINSZ on fd 0: %s", strerror(errno)); return; }
        int ok = ws.ws_row == strtoul(argv[2], NULL, 10) && ws.ws_col == strtoul(argv[3], NULL, 10);
        result(id, ok, "window %u rows x %u columns, wanted %s x %s", ws.ws_row, ws.ws_col, argv[2], argv[3]);
    } else if (strcmp(kind, "propagation") == 0) {
        NEED(2);
        struct mnt m;
        if (find_mount(argv[2], &m) != 0) { result(id, 0, "no mount at %s in /proc/self/mountinfo", argv[2]); return; }
        int shared = strstr(m.tags, "shared:") != NULL, slave = strstr(m.tags, "master:") != NULL;
        int unbindable = strstr(m.tags, "unbindable") != NULL;
        const char *got = unbindable ? "unbindable" : shared && slave ? "shared+slave" : shared ? "shared" : slave ? "slave" : "private";
        int ok = strcmp(got, argv[3]) == 0;
        char hostgroup[64] = "";
        if (strcmp(argv[3], "shared") == 0) {
            ok = shared && !unbindable;
            if (argc > 4) {
                snprintf(hostgroup, sizeof hostgroup, "shared:%s", argv[4]);
                char padded[300];
                snprintf(padded, sizeof padded, " %s ", m.tags);
                char needle[70];
                snprintf(needle, sizeof needle, " %s ", hostgroup);
                if (strstr(padded, needle)) ok = 0;
            }
        }
        result(id, ok, "%s is %s (mountinfo tags '%s'), wanted %s%s%s", argv[2], got, m.tags, argv[3],
               hostgroup[0] ? " in a new peer group, not the host's " : "", hostgroup);
    } else if (strcmp(kind, "personality") == 0) {
        NEED(1);
        int p = personality(0xffffffff);
        unsigned long want = strtoul(argv[2], NULL, 16);
        result(id, p != -1 && (unsigned long)(p & 0xff) == want, "personality 0x%x (domain 0x%x), wanted domain 0x%lx", p, p & 0xff, want);
    } else if (strcmp(kind, "machine") == 0) {
        NEED(1);
        struct utsname u;
        uname(&u);
        result(id, strcmp(u.machine, argv[2]) == 0, "uname machine '%s', wanted '%s'", u.machine, argv[2]);
    } else if (strcmp(kind, "sched") == 0) {
        NEED(3);
        int pol = sched_getscheduler(0);
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        int nerr = errno;
        struct sched_param sp = {0};
        sched_getparam(0, &sp);
        if (pol >= 0) pol &= ~0x40000000; /* SCHED_RESET_ON_FORK */
        int ok = pol == atoi(argv[2]) && !nerr && nice == atoi(argv[3]) && sp.sched_priority == atoi(argv[4]);
        result(id, ok, "policy %d nice %d priority %d, wanted %s %s %s", pol, nice, sp.sched_priority, argv[2], argv[3], argv[4]);
    } else if (strcmp(kind, "ioprio") == 0) {
        NEED(2);
        long v = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
        if (v < 0) { result(id, 0, "ioprio_get: %s", strerror(errno)); return; }
        int cls = (int)(v >> 13), lvl = (int)(v & 0x1fff);
        result(id, cls == atoi(argv[2]) && lvl == atoi(argv[3]), "ioprio class %d level %d (0x%lx), wanted %s %s", cls, lvl, v, argv[2], argv[3]);
    } else if (strcmp(kind, "owner") == 0) {
        NEED(3);
        struct stat st;
        if (lstat(argv[2], &st) != 0) { result(id, 0, "%s: %s", argv[2], strerror(errno)); return; }
        int ok = st.st_uid == strtoul(argv[3], NULL, 10) && st.st_gid == strtoul(argv[4], NULL, 10);
        result(id, ok, "%s owned by %u:%u, wanted %s:%s", argv[2], (unsigned)st.st_uid, (unsigned)st.st_gid, argv[3], argv[4]);
    } else {
        result(id, 0, "unknown expectation kind %s", kind);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        char *copy = strdup(argv[i]);
        check(copy);
        free(copy);
    }
    printf("CHECKER-DONE %d\n", failures);
    return failures ? 1 : 0;
}
