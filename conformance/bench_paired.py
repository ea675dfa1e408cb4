"""Paired comparisons for conformance/bench: swiftlet against crun on the configs in conformance/configs.

Method. Each runtime is driven by a timer process of its own, started in the cgroup view the
comparison asks for (a private mount namespace: crun 1.8 refuses this host's hybrid layout, and the
v2 view mounts cgroup2 over /sys/fs/cgroup for both). The bench sends the two timers the same
measurement in turn, A B A B ..., the order of each pair drawn at random, so that the machine's
drift (a 2-core VM whose speed moves by 10-20 % from one minute to the next) hits both runtimes of
a pair alike. Each pair gives one ratio, swiftlet / crun; a row reports the median ratio, its
interquartile range and the number of pairs, and the geometric mean of the ratios. The absolute
medians are context only. A timer spawns the runtime with posix_spawn and takes the time from
before the spawn to the reaping of the last process (same overhead for both runtimes, ~0.3 ms).

Measurements (each from a fresh container id that is gone again afterwards):
  run   `run --bundle B ID` of /bin/true, foreground (create, start, wait, delete inside)
  shim  what containerd's shim and conmon do: `create --bundle B --pid-file F ID`, `start ID`,
        wait for the container process (the timer is a subreaper, as the shim is), `delete ID`
  exec  `exec ID /bin/true` into a running container of that config
  par20 20 `run`s started at once, until the last has returned
"""
import ctypes
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "configs")

# Views: the shell run in the timer's private mount namespace before it starts.
# crun's view: the cgroup2 mount replaced by a throwaway tmpfs, which takes the directory (and
# cgroup.procs file) crun writes there per container, thousands over a bench run: pages of memory
# only while the timer's namespace lives.
HIDE_UNIFIED = ("if mountpoint -q /sys/fs/cgroup/unified; then umount -l /sys/fs/cgroup/unified"
                " && mount -t tmpfs -o size=256m,mode=755 bench /sys/fs/cgroup/unified; fi")
V2 = "mount -t cgroup2 none /sys/fs/cgroup"

GOALS = {"run": 0.7, "shim": 0.7, "exec": 0.7, "par20": 0.8}
METRICS = ["run", "shim", "exec", "par20"]


# ---------------------------------------------------------------------------------------- timer
def serve():
    """The timer: JSON requests on stdin, one JSON answer per line on stdout."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: detached container processes come back to us
    err_path = os.environ["BENCH_TIMER_ERR"]
    null = os.open("/dev/null", os.O_RDWR)

    def spawn(argv, stdout=None):
        fa = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, stdout if stdout is not None else null, 1),
              (os.POSIX_SPAWN_OPEN, 2, err_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)]
        return os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)

    def wait(pid):
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    def reap():
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    import resource

    def cpu_ns():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return int((r.ru_utime + r.ru_stime) * 1e9)

    for line in sys.stdin:
        req = json.loads(line)
        open(err_path, "w").close()
        op = req["op"]
        out = {"ok": True}
        cpu0 = cpu_ns()
        if op == "spawn":  # one command, timed
            t0 = time.perf_counter_ns()
            rc = wait(spawn(req["argv"]))
            out["ns"] = time.perf_counter_ns() - t0
            out["ok"] = rc == 0
        elif op == "output":  # one command, its stdout returned (not timed)
            r, w = os.pipe()
            pid = spawn(req["argv"], stdout=w)
            os.close(w)
            data = b""
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                data += chunk
            os.close(r)
            out["ok"] = wait(pid) == 0
            out["stdout"] = data.decode(errors="replace")
        elif op == "parallel":
            t0 = time.perf_counter_ns()
            pids = [spawn(a) for a in req["argvs"]]
            rcs = [wait(p) for p in pids]
            out["ns"] = time.perf_counter_ns() - t0
            out["ok"] = all(rc == 0 for rc in rcs)
        elif op == "shim":
            rt, root, bundle, cid, pidfile = req["runtime"], req["root"], req["bundle"], req["id"], req["pidfile"]
            t0 = time.perf_counter_ns()
            ok = wait(spawn([rt, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid])) == 0
            if ok:
                pid = int(open(pidfile).read().strip() or 0)
                ok = wait(spawn([rt, "--root", root, "start", cid])) == 0
                if ok:
                    try:
                        wait(pid)  # the container process, ours since create returned
                    except ChildProcessError:
                        ok = False
                ok = wait(spawn([rt, "--root", root, "delete", cid])) == 0 and ok
            out["ns"] = time.perf_counter_ns() - t0
            out["ok"] = ok
            if not ok:
                wait(spawn([rt, "--root", root, "delete", "--force", cid]))
        elif op == "quit":
            reap()
            print(json.dumps(out), flush=True)
            return
        reap()
        out["cpu_ns"] = cpu_ns() - cpu0
        if not out["ok"]:
            out["err"] = open(err_path, errors="replace").read()[-400:]
        print(json.dumps(out), flush=True)


class Timer:
    def __init__(self, view, work, name):
        self.err = os.path.join(work, "timer-%s.err" % name)
        env = dict(os.environ, BENCH_TIMER_ERR=self.err)
        inner = '%s && exec "$@"' % view if view else 'exec "$@"'
        self.p = subprocess.Popen(["unshare", "-m", "sh", "-c", inner, "sh", sys.executable, os.path.abspath(__file__), "--serve"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1)

    def ask(self, **req):
        self.p.stdin.write(json.dumps(req) + "\n")
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("bench timer died")
        return json.loads(line)

    def close(self):
        try:
            self.ask(op="quit")
        except (RuntimeError, BrokenPipeError, ValueError):
            pass
        self.p.wait()


# ---------------------------------------------------------------------------------------- configs
def fixtures():
    """name -> config: the captured configs with and without a default seccomp profile."""
    raw = {}
    for f in sorted(os.listdir(CONFIGS)):
        if f.endswith(".json"):
            raw[f[:-5]] = json.load(open(os.path.join(CONFIGS, f)))
    docker_profile = raw["docker"]["linux"]["seccomp"]
    out = {}
    for name, c in raw.items():
        if name == "ctr-seccomp":
            continue
        has = bool(c["linux"].get("seccomp"))
        plain = json.loads(json.dumps(c))
        plain["linux"].pop("seccomp", None)
        with_ = json.loads(json.dumps(c))
        if name == "ctr":
            with_ = raw.get("ctr-seccomp") or with_
        if not with_["linux"].get("seccomp"):
            with_["linux"]["seccomp"] = docker_profile
        label = {True: "own", False: "Docker's"}[has or name == "ctr"]
        out[name] = (plain, "none")
        out[name + "+seccomp"] = (with_, label if name != "ctr" else "containerd's")
    return out


def instantiate(config, *, rootfs, files, cgroup, cid, args, sandbox_pid=None, v2=False):
    """The config with its placeholders filled, ready for one container."""
    text = json.dumps(config)
    for k, v in (("@ROOTFS@", rootfs), ("@FILES@", files), ("@CGROUP@", cgroup), ("@ID12@", cid[:12]),
                 ("@ID@", cid), ("@WORK@", files), ("@SANDBOX@", str(sandbox_pid or 0))):
        text = text.replace(k, v)
    c = json.loads(text)
    c["process"]["args"] = args
    c["process"]["terminal"] = False
    # The captured rlimits may exceed this machine's hard limits for the caller (podman pins nofile
    # to the hard limit it saw): clamped, as setrlimit without CAP_SYS_RESOURCE would refuse them.
    import resource
    for r in c["process"].get("rlimits") or []:
        kind = getattr(resource, r["type"], None)
        if kind is not None:
            hard = resource.getrlimit(kind)[1]
            if hard != resource.RLIM_INFINITY:
                r["hard"] = min(r["hard"], hard)
                r["soft"] = min(r["soft"], r["hard"])
    if v2:
        # This hybrid host binds every controller but hugetlb to v1: in the v2 view only the device
        # rules (eBPF, no controller needed) can be applied.
        res = c["linux"].get("resources")
        if res:
            c["linux"]["resources"] = {k: v for k, v in res.items() if k == "devices"}
    return c


def prepare_rootfs(rootfs, files):
    """Mount targets every config binds, made beforehand so that no runtime creates them in the
    shared rootfs; and the bind sources the engines would have made."""
    for p in ("etc/hosts", "etc/hostname", "etc/resolv.conf", "run/.containerenv"):
        path = os.path.join(rootfs, p)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            open(path, "w").close()
    os.makedirs(files, exist_ok=True)
    for c in (json.load(open(os.path.join(CONFIGS, f))) for f in os.listdir(CONFIGS) if f.endswith(".json")):
        for m in c.get("mounts") or []:
            s = m.get("source") or ""
            if s.startswith("@FILES@/"):
                name = s[len("@FILES@/"):]
                path = os.path.join(files, name)
                if name.startswith("dir-"):
                    os.makedirs(path, exist_ok=True)
                elif not os.path.exists(path):
                    open(path, "w").write("127.0.0.1 localhost\n" if name.endswith("hosts") else "")


# ---------------------------------------------------------------------------------------- comparison
class Comparison:
    """swiftlet against crun in one view, config by config."""

    def __init__(self, view_name, swiftlet, crun, work, rootfs, quick, metrics, views, v2):
        """`crun`: the baseline's path (crun, or another swiftlet build); `views`: the shell that
        sets up each runtime's view (None: the host's)."""
        self.view_name = view_name
        self.v2 = v2
        self.rt = {"swiftlet": swiftlet, "crun": crun}
        self.work = os.path.join(work, "paired-" + view_name)
        os.makedirs(self.work)
        self.rootfs = rootfs
        self.files = os.path.join(work, "files")
        self.cgroup = "conformance-bench-%d-%s" % (os.getpid(), view_name)
        self.timers = {"swiftlet": Timer(views[0], self.work, "swiftlet"), "crun": Timer(views[1], self.work, "crun")}
        self.quick = quick
        self.metrics = metrics
        self.n = {"run": 3, "shim": 3, "exec": 3, "par20": 1} if quick else {"run": 40, "shim": 40, "exec": 40, "par20": 8}
        self.results = {}  # config -> metric -> dict
        self.problems = []
        self.seq = 0
        # ids carry the bench's pid: what a runtime leaves behind is found by it (see close)
        self.id_prefix = "b%d%s" % (os.getpid(), view_name[:2])

    def root(self, rt):
        return os.path.join("/run", "conformance-bench-%d-%s-%s" % (os.getpid(), self.view_name, rt))

    def bundle(self, rt, name, config, cid, args, sandbox=None):
        b = os.path.join(self.work, rt, cid)
        os.makedirs(b, exist_ok=True)
        c = instantiate(config, rootfs=self.rootfs, files=self.files, cgroup=self.cgroup, cid=cid, args=args,
                        sandbox_pid=sandbox, v2=self.v2)
        json.dump(c, open(os.path.join(b, "config.json"), "w"))
        return b

    def new_id(self, rt, name):
        self.seq += 1
        return "%s%s-%s-%d" % (self.id_prefix, rt[0], name.replace("+", "-"), self.seq)

    def cmd(self, rt, *args):
        return [self.rt[rt], "--root", self.root(rt)] + list(args)

    def detached(self, rt, name, config, args, sandbox=None):
        """A running container of `config` (run -d); returns (id, pid) or raises."""
        cid = self.new_id(rt, name + "-d")
        b = self.bundle(rt, name, config, cid, args, sandbox)
        r = self.timers[rt].ask(op="spawn", argv=self.cmd(rt, "run", "-d", "--bundle", b, cid))
        if not r["ok"]:
            self.timers[rt].ask(op="spawn", argv=self.cmd(rt, "delete", "--force", cid))
            raise RuntimeError("%s run -d: %s" % (rt, " ".join(r.get("err", "").split())[-200:]))
        st = self.timers[rt].ask(op="output", argv=self.cmd(rt, "state", cid))
        return cid, json.loads(st["stdout"])["pid"]

    def delete(self, rt, cid):
        self.timers[rt].ask(op="spawn", argv=self.cmd(rt, "delete", "--force", cid))

    def measure(self, name, config):
        sandbox = {}
        try:
            if "@SANDBOX@" in json.dumps(config):
                base = fixtures()["cri-sandbox"][0]
                for rt in self.rt:
                    sandbox[rt] = self.detached(rt, "sandbox", base, ["/bin/sleep", "100000"])
            sb = {rt: sandbox[rt][1] for rt in sandbox}
            res = self.results.setdefault(name, {})
            for metric in self.metrics:
                try:
                    res[metric] = self.pairs(name, config, metric, sb)
                except RuntimeError as e:
                    res[metric] = {"error": str(e)}
        finally:
            for rt, (cid, _) in sandbox.items():
                self.delete(rt, cid)

    def pairs(self, name, config, metric, sandbox):
        """n pairs (after one warm-up pair) of one measurement."""
        exec_ids = {}
        try:
            if metric == "exec":
                for rt in self.rt:
                    exec_ids[rt] = self.detached(rt, name, config, ["/bin/sleep", "100000"], sandbox.get(rt))[0]

            def once(rt):
                t = self.timers[rt]
                if metric == "run":
                    cid = self.new_id(rt, name)
                    b = self.bundle(rt, name, config, cid, ["/bin/true"], sandbox.get(rt))
                    return t.ask(op="spawn", argv=self.cmd(rt, "run", "--bundle", b, cid))
                if metric == "shim":
                    cid = self.new_id(rt, name)
                    b = self.bundle(rt, name, config, cid, ["/bin/true"], sandbox.get(rt))
                    return t.ask(op="shim", runtime=self.rt[rt], root=self.root(rt), bundle=b, id=cid,
                                 pidfile=os.path.join(b, "pid"))
                if metric == "exec":
                    return t.ask(op="spawn", argv=self.cmd(rt, "exec", exec_ids[rt], "/bin/true"))
                if metric == "par20":
                    argvs = []
                    for _ in range(20):
                        cid = self.new_id(rt, name)
                        argvs.append(self.cmd(rt, "run", "--bundle", self.bundle(rt, name, config, cid, ["/bin/true"], sandbox.get(rt)), cid))
                    return t.ask(op="parallel", argvs=argvs)
                raise ValueError(metric)

            times = {"swiftlet": [], "crun": []}
            ratios = []
            cpu_ratios = []
            failures = {"swiftlet": 0, "crun": 0}
            n = self.n[metric]
            for i in range(n + 1):
                order = ["swiftlet", "crun"]
                random.shuffle(order)
                got = {}
                for rt in order:
                    r = once(rt)
                    if not r["ok"]:
                        failures[rt] += 1
                        if failures[rt] > max(1, n // 20):
                            raise RuntimeError("%s fails: %s" % (rt, " ".join(r.get("err", "").split())[-200:]))
                        got = None
                        break
                    got[rt] = r["ns"] / 1e6
                    got[rt + " cpu"] = r.get("cpu_ns", 0) / 1e6
                if got is None or i == 0:  # the first pair warms caches (and the seccomp cache) up
                    continue
                for rt in times:
                    times[rt].append(got[rt])
                ratios.append(got["swiftlet"] / got["crun"])
                if got["crun cpu"] > 0:
                    cpu_ratios.append(got["swiftlet cpu"] / got["crun cpu"])
            out = summary(ratios, times)
            # CPU time (user + sys of the runtime's processes and the container's, as reaped): what
            # a loaded machine cannot hide behind parallelism. exec's container-side work is not in it.
            if cpu_ratios:
                out["cpu"] = statistics.median(cpu_ratios)
            return out
        finally:
            for rt, cid in exec_ids.items():
                self.delete(rt, cid)

    def close(self):
        for rt, t in self.timers.items():
            # what a failed measurement may have left
            r = t.ask(op="output", argv=self.cmd(rt, "list", "-q"))
            for cid in r.get("stdout", "").split():
                self.delete(rt, cid)
            t.close()
            shutil.rmtree(self.root(rt), ignore_errors=True)
        remove_cgroup(self.cgroup)
        # Cgroups of deleted containers at the top of a hierarchy (a config without cgroupsPath):
        # crun 1.8 leaves them with a cgroup mount in the config.
        left = {}
        for h in ["/sys/fs/cgroup"] + [os.path.join("/sys/fs/cgroup", d) for d in os.listdir("/sys/fs/cgroup")]:
            if not os.path.isdir(h):
                continue
            for d in os.listdir(h):
                if d.startswith(self.id_prefix) and os.path.isdir(os.path.join(h, d)):
                    left.setdefault({"s": "swiftlet", "c": "crun"}.get(d[len(self.id_prefix)], "?"), set()).add(d)
                    remove_cgroup(d)
        for rt, ids in sorted(left.items()):
            self.problems.append("%s left the cgroups of %d deleted containers (%s, ...): removed by the bench"
                                 % (rt if rt != "crun" or self.rt["crun"].endswith("crun") else "the baseline", len(ids), sorted(ids)[0]))


def summary(ratios, times):
    q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
    return {"n": len(ratios), "median": statistics.median(ratios), "q1": q[0], "q3": q[2],
            "geomean": math.exp(sum(math.log(r) for r in ratios) / len(ratios)),
            "swiftlet_ms": statistics.median(times["swiftlet"]), "crun_ms": statistics.median(times["crun"])}


def remove_cgroup(name):
    """The bench's parent cgroup, in every hierarchy the host or a view shows (the v2 view's is the
    host's /sys/fs/cgroup/unified)."""
    for h in ["/sys/fs/cgroup"] + [os.path.join("/sys/fs/cgroup", d) for d in os.listdir("/sys/fs/cgroup")]:
        d = os.path.join(h, name)
        if os.path.isdir(d):
            subprocess.run(["find", d, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def crun_runs_on_v2(crun, work, rootfs):
    """Whether crun can start a container on the v2 view here. crun 1.8 raises RLIMIT_MEMLOCK to
    load its eBPF device program when the first load says EPERM, which fails without
    CAP_SYS_RESOURCE (absent on the test machine)."""
    b = os.path.join(work, "crun-v2-probe")
    os.makedirs(b, exist_ok=True)
    c = instantiate(fixtures()["runc-spec"][0], rootfs=rootfs, files=work, cgroup="", cid="probe", args=["/bin/true"], v2=True)
    c["mounts"] = [m for m in c["mounts"] if m["type"] != "cgroup"]
    json.dump(c, open(os.path.join(b, "config.json"), "w"))
    root = "/run/conformance-bench-%d-probe" % os.getpid()
    r = subprocess.run(["unshare", "-m", "sh", "-c", V2 + ' && exec "$@"', "sh", crun, "--root", root, "run", "--bundle", b,
                        "bench-probe-%d" % os.getpid()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    subprocess.run(["unshare", "-m", "sh", "-c", V2 + ' && exec "$@"', "sh", crun, "--root", root, "delete", "--force",
                    "bench-probe-%d" % os.getpid()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
    # crun's failed start leaves the cgroup it made in the host's cgroup2 hierarchy (the v2 view's)
    remove_cgroup("bench-probe-%d" % os.getpid())
    return r.returncode == 0, " ".join(r.stderr.decode(errors="replace").split())[-160:]


def run_view(view, swiftlet, crun, work, rootfs, quick, metrics, only_configs=None, progress=None, baseline_view=None):
    """view: "host" (swiftlet on this host, the baseline in crun's v1 view) or "v2" (swiftlet on a v2
    view; the baseline too, unless baseline_view says otherwise: "v1" for crun where it cannot run v2)."""
    prepare_rootfs(rootfs, os.path.join(work, "files"))
    shells = {"host": None, "v1": HIDE_UNIFIED, "v2": V2}
    mine = "host" if view == "host" else "v2"
    base = baseline_view or ("v1" if view == "host" else "v2")
    cmp = Comparison(view, swiftlet, crun, work, rootfs, quick, metrics, (shells[mine], shells[base]), v2=view != "host")
    # The smoke run (--quick, within the test's two minutes): one plain config, one with seccomp,
    # and the one joining a sandbox.
    only_configs = only_configs or (["runc-spec", "docker+seccomp", "cri-container"] if quick else None)
    try:
        for name, (config, _) in fixtures().items():
            if only_configs and name not in only_configs:
                continue
            t0 = time.time()
            cmp.measure(name, config)
            if progress:
                progress("paired %s %s: %.1fs" % (view, name, time.time() - t0))
    finally:
        cmp.close()
        if progress:
            for p in cmp.problems:
                progress("paired %s: %s" % (view, p))
    return cmp.results, cmp.problems


def table(results, seccomp_labels, baseline="crun"):
    head = "| config | seccomp | " + " | ".join(
        "%s ratio (IQR) | %s ms swiftlet / %s" % (m, m, baseline) for m in METRICS) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(METRICS))]
    per_metric = {m: [] for m in METRICS}
    for name, res in results.items():
        cells = []
        for m in METRICS:
            x = res.get(m)
            if not x:
                cells += ["–", "–"]
            elif "error" in x:
                cells += ["n/a (%s)" % x["error"][:80].replace("|", "/"), "–"]
            else:
                per_metric[m].append(x["median"])
                mark = "" if x["median"] <= GOALS[m] else " ✗"
                cells += ["%.2f (%.2f–%.2f) n=%d%s" % (x["median"], x["q1"], x["q3"], x["n"], mark),
                          "%.1f / %.1f%s" % (x["swiftlet_ms"], x["crun_ms"], " (cpu %.2f)" % x["cpu"] if "cpu" in x else "")]
        lines.append("| %s | %s | %s |" % (name, seccomp_labels.get(name, ""), " | ".join(cells)))
    geo = []
    for m in METRICS:
        v = per_metric[m]
        geo.append("%.2f (%d configs)" % (math.exp(sum(math.log(x) for x in v) / len(v)), len(v)) if v else "–")
        geo.append("")
    lines.append("| geometric mean of the medians | | %s |" % " | ".join(geo))
    return "\n".join(lines)


if __name__ == "__main__" and "--serve" in sys.argv:
    serve()
