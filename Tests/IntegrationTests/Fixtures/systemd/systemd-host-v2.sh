#!/bin/bash
# systemd-host.sh (../shared/engines) with the unified layout: cgroup2 mounted at /sys/fs/cgroup inside (this
# machine's unified hierarchy, seen from its own cgroup namespace), no v1 hierarchy. On this machine only
# hugetlb is a v2 controller (the others are bound to v1), so limits other than hugetlb cannot be tested here.
#
# A disposable systemd host on a machine that does not boot systemd: Debian 12's systemd 252 as PID 1 of its own
# pid, mount, network, uts and cgroup namespaces, over an overlay of the host's root (writes go to a tmpfs), with
# the directories you name bound in at the same paths. Enough for `systemd-run --scope`, transient units over
# /run/systemd/private (the socket runc's systemd cgroup driver talks to) and slices in the hybrid cgroup tree.
#
#   systemd-host.sh start WORKDIR [DIR...]   prints the pid (in this pid namespace) of that systemd
#   systemd-host.sh stop WORKDIR             kills it and removes the cgroups it made on the host
#   nsenter -t PID -a -r -w CMD ...          runs CMD inside (e.g. systemctl is-system-running)
set -uo pipefail
cmd=${1:?usage: systemd-host.sh start WORKDIR [DIR...] | stop WORKDIR}; W=${2:?WORKDIR}; shift 2
case $cmd in
start)
  command -v /lib/systemd/systemd >/dev/null || apt-get install -y systemd >/dev/null
  mkdir -p "$W/t"
  find /sys/fs/cgroup/unified -mindepth 1 -maxdepth 1 -type d | sort > "$W/cgroups.before"
  unshare -pfmnu --cgroup --propagation private bash -c '
    W=$1; shift; M=$W/t/merged
    mount -t tmpfs tmpfs "$W/t" && mkdir -p "$W/t/upper" "$W/t/work" "$M" || exit 1
    mount -t overlay overlay -o "lowerdir=/,upperdir=$W/t/upper,workdir=$W/t/work" "$M" || exit 1
    # Its own sysfs and its own tmpfs on /sys/fs/cgroup, with the cgroup hierarchies of this machine bound in:
    # systemd remounts /sys/fs/cgroup read-only, which on a bind of our tmpfs would change it for everyone.
    mount -t proc proc "$M/proc"; mount -t sysfs sysfs "$M/sys"; mount --rbind /dev "$M/dev"
    mount -t cgroup2 cgroup2 "$M/sys/fs/cgroup" || exit 1
    mount -t tmpfs tmpfs "$M/run"; mount -t tmpfs tmpfs "$M/tmp"
    for d in "$@"; do mkdir -p "$M$d"; mount --rbind "$d" "$M$d"; done
    ln -sf /lib/systemd/system/multi-user.target "$M/etc/systemd/system/default.target"
    if [ -n "${SYSTEMD_HOST_ROOTLESS:-}" ]; then
      # For rootless containers (systemd-host-v2-rootless.sh): user@.service delegates every controller,
      # and the root is pivoted to, not chrooted into (no new user namespace inside a chroot).
      mkdir -p "$M/etc/systemd/system/user@.service.d"
      printf "[Service]\nDelegate=yes\n" > "$M/etc/systemd/system/user@.service.d/delegate.conf"
      cd "$M" && pivot_root . . && umount -l . || exit 1
      exec env container=other /lib/systemd/systemd --system --unit=basic.target --log-level=warning
    fi
    cd "$M" && exec chroot "$M" env container=other /lib/systemd/systemd --system --unit=basic.target --log-level=warning
  ' _ "$W" "$@" > "$W/boot.log" 2>&1 < /dev/null &
  echo $! > "$W/unshare.pid"
  for i in $(seq 100); do
    pid=$(pgrep -P "$(cat "$W/unshare.pid")" | head -1)
    [ -n "$pid" ] && [ -S "/proc/$pid/root/run/systemd/private" ] && \
      [ "$(nsenter -t "$pid" -a -r -w systemctl is-system-running 2>/dev/null)" = running ] && { echo "$pid" > "$W/systemd.pid"; echo "$pid"; exit 0; }
    sleep 0.2
  done
  echo "systemd-host: systemd did not come up; see $W/boot.log" >&2; exit 1 ;;
stop)
  pid=$(cat "$W/systemd.pid" 2>/dev/null); [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  kill -9 "$(cat "$W/unshare.pid" 2>/dev/null)" 2>/dev/null; sleep 0.5
  find /sys/fs/cgroup/unified -mindepth 1 -maxdepth 1 -type d | sort | comm -13 "$W/cgroups.before" - | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  rm -f "$W/systemd.pid" "$W/unshare.pid" ;;
esac
