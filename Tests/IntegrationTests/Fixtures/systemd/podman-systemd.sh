#!/bin/bash
# podman (4.3) with --cgroup-manager systemd: containers in machine.slice as libpod-ID.scope. Run inside a
# systemd host. Prints one `key=value` line per step. Usage: podman-systemd.sh WORKDIR RUNTIME ROOTFS
set -u
W=$1; ROOTFS=$3; mkdir -p "$W/bin"; ln -sf "$2" "$W/bin/runc"
tar -C "$ROOTFS" -cf "$W/rootfs.tar" .
# Pinned: podman asks for more than the hard limits here, and setrlimit fails without CAP_SYS_RESOURCE.
NOFILE=$(ulimit -Hn); NPROC=$(ulimit -Hu); [ "$NPROC" = unlimited ] && NPROC=$(cat /proc/sys/kernel/pid_max)
P="podman --root $W/storage --runroot $W/run --tmpdir $W/tmp --storage-driver vfs \
  --cgroup-manager systemd --events-backend file --runtime $W/bin/runc"
U="--network none --ulimit nofile=$NOFILE:$NOFILE --ulimit nproc=$NPROC:$NPROC"
$P import -q "$W/rootfs.tar" localhost/busybox >/dev/null
out=$($P run --rm $U localhost/busybox echo hi); echo "run=$? $out"
$P run -d $U --name t1 --memory 64m localhost/busybox sleep 1000 >/dev/null; echo "run-d=$?"
id=$($P inspect -f '{{.Id}}' t1)
echo "unit=$(systemctl show libpod-$id.scope -p ActiveState --value) $(systemctl show libpod-$id.scope -p MemoryLimit --value)"
echo "exec-cgroup=$($P exec t1 cat /proc/self/cgroup | grep '^0::' | sed "s/$id/ID/")"
$P pause t1 >/dev/null && $P unpause t1 >/dev/null; echo "pause-resume=$?"
$P rm -f -t 0 t1 >/dev/null;                       echo "delete=$?"
echo "gone=$(systemctl show libpod-$id.scope -p LoadState --value)"
$P rmi -af >/dev/null 2>&1
umount "$W/storage/vfs" "$W/storage" 2>/dev/null || true
