#!/bin/bash
# systemd-host-v2.sh for rootless containers: the same unified host (cgroup2 at /sys/fs/cgroup inside, no v1
# hierarchy), with two differences an unprivileged user's containers need:
# - its root is pivoted to, not chrooted into: the kernel refuses a new user namespace (EPERM) to a process
#   whose root is not its mount namespace's root, so no user inside a chroot could run a rootless container;
# - user@.service delegates every controller the unified hierarchy has (hugetlb, on this machine), so a
#   limit can reach a user's scope: Debian's unit delegates only pids, memory and cpu, which are v1 here.
# Users are added by the tests inside (useradd writes the overlay's /etc/passwd, never this machine's).
#
#   systemd-host-v2-rootless.sh start WORKDIR [DIR...]   prints the pid (in this pid namespace) of that systemd
#   systemd-host-v2-rootless.sh stop WORKDIR             kills it and removes the cgroups it made on the host
#   nsenter -t PID -a -r -w CMD ...                      runs CMD inside
SYSTEMD_HOST_ROOTLESS=1 exec bash "$(dirname "$0")/systemd-host-v2.sh" "$@"
