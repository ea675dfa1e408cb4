/* tools/bptrace.c: which functions does a command run?
 *
 *     bptrace ENTRIES OUT COMMAND [ARGS...]
 *
 * ENTRIES lists function entry addresses (hex, one per line) of COMMAND's binary. bptrace starts COMMAND
 * under ptrace, writes an int3 over the first byte of every entry each time COMMAND's first process execs
 * (its start and swiftlet's re-exec of itself), and follows its forks and threads. The first time a task
 * reaches an entry, the address is appended to OUT and the original byte is put back in that task's
 * memory (a fork has its own copy of the text), so every function costs one trap per process. Any other
 * process that execs is let go (the container's program). COMMAND's exit status is bptrace's.
 *
 * Built and used by tools/hot-order, which turns the addresses into the link order of swiftlet's
 * start-up code. A breakpoint per function, not single-stepping: a traced `run` takes 0.2 s, not minutes,
 * so timeouts and the supervisor's polls behave as they do untraced. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t *entries;
static unsigned char *original, *reported;
static size_t count;

static int by_address(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long find(uint64_t address) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (entries[mid] == address) return (long)mid;
        if (entries[mid] < address) lo = mid + 1; else hi = mid;
    }
    return -1;
}

static int open_mem(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    return open(path, O_RDWR | O_CLOEXEC);
}

static void load_entries(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    size_t cap = 1 << 16;
    entries = malloc(cap * sizeof *entries);
    unsigned long v;
    while (fscanf(f, "%lx", &v) == 1) {
        if (count == cap) entries = realloc(entries, (cap *= 2) * sizeof *entries);
        entries[count++] = v;
    }
    fclose(f);
    qsort(entries, count, sizeof *entries, by_address);
    // One entry per address: a second trap at the same byte would save 0xcc as the original.
    size_t unique = 0;
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || entries[unique - 1] != entries[i]) entries[unique++] = entries[i];
    count = unique;
    original = calloc(count, 1);
    reported = calloc(count, 1);
}

static void arm(pid_t pid) {
    int fd = open_mem(pid);
    if (fd < 0) { perror("bptrace: /proc/PID/mem"); exit(2); }
    const unsigned char trap = 0xcc;
    for (size_t i = 0; i < count; i++) {
        if (pread(fd, &original[i], 1, (off_t)entries[i]) != 1 || pwrite(fd, &trap, 1, (off_t)entries[i]) != 1)
            reported[i] = 1;  // not mapped: never reported
    }
    close(fd);
}

// A task stopped on one of our traps: rewind it to the entry and put the original byte back.
static int disarm(pid_t pid, FILE *out) {
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) return 0;
    long i = find(regs.rip - 1);
    if (i < 0) return 0;
    regs.rip -= 1;
    ptrace(PTRACE_SETREGS, pid, 0, &regs);
    int fd = open_mem(pid);
    unsigned char now = 0;
    if (fd >= 0 && pread(fd, &now, 1, (off_t)entries[i]) == 1 && now == 0xcc)
        (void)!pwrite(fd, &original[i], 1, (off_t)entries[i]);
    if (fd >= 0) close(fd);
    if (!reported[i]) {
        reported[i] = 1;
        fprintf(out, "%lx\n", (unsigned long)entries[i]);
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bptrace ENTRIES OUT COMMAND [ARGS...]\n");
        return 2;
    }
    load_entries(argv[1]);
    FILE *out = fopen(argv[2], "a");
    if (!out) { perror(argv[2]); return 2; }
    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    ptrace(PTRACE_SETOPTIONS, child, 0,
           PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    ptrace(PTRACE_CONT, child, 0, 0);
    int result = 1;
    for (;;) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;  // ECHILD: every task is gone or let go
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (pid == child) result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        int signal = WSTOPSIG(status), event = status >> 16;
        if (event == PTRACE_EVENT_EXEC) {
            if (pid != child) {
                ptrace(PTRACE_DETACH, pid, 0, 0);
                continue;
            }
            arm(pid);
            signal = 0;
        } else if (event != 0) {
            signal = 0;  // fork/clone/exec notifications; the new task reports its own stop
        } else if (signal == SIGTRAP) {
            if (disarm(pid, out)) signal = 0;
        } else if (signal == SIGSTOP) {
            signal = 0;  // the first stop of a new task
        }
        ptrace(PTRACE_CONT, pid, 0, signal);
    }
    fclose(out);
    return result;
}
