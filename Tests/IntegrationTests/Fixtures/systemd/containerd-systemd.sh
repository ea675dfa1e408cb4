#!/bin/bash
# containerd (1.6) with SystemdCgroup: ctr drives the io.containerd.runc.v2 shim with --runc-systemd-cgroup and
# a slice:prefix:name cgroup. Run inside a systemd host. Prints one `key=value` line per step.
# Usage: containerd-systemd.sh WORKDIR RUNTIME ROOTFS
set -u
W=$1; ROOTFS=$3; mkdir -p "$W/bin" "$W/containerd"; ln -sf "$2" "$W/bin/runc"
cat > "$W/containerd/config.toml" <<EOC
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$W/containerd/containerd.sock"
[ttrpc]
  address = "$W/containerd/containerd.sock.ttrpc"
[debug]
  address = "$W/containerd/debug.sock"
[metrics]
  address = ""
EOC
setsid containerd --config "$W/containerd/config.toml" > "$W/containerd/containerd.log" 2>&1 &
cpid=$!
for i in $(seq 50); do [ -S "$W/containerd/containerd.sock" ] && break; sleep 0.1; done
C="ctr -a $W/containerd/containerd.sock -n test"
RT="--runc-binary $W/bin/runc --runc-root $W/containerd/runtime-root --runc-systemd-cgroup"
out=$($C run --rm $RT --cgroup system.slice:ctr:c1 --rootfs "$ROOTFS" c1 /bin/echo hi); echo "run=$? $out"
$C run -d $RT --cgroup system.slice:ctr:c3 --rootfs "$ROOTFS" c3 /bin/sleep 1000;  echo "run-d=$?"
echo "unit=$(systemctl show ctr-c3.scope -p ActiveState --value) $(systemctl show ctr-c3.scope -p ControlGroup --value)"
echo "exec-cgroup=$($C task exec --exec-id e1 c3 /bin/cat /proc/self/cgroup | grep '^0::')"
$C task ps c3 >/dev/null;                       echo "ps=$?"
$C task pause c3 && $C task resume c3;          echo "pause-resume=$?"
$C task kill -s SIGKILL c3
for i in $(seq 50); do [ "$($C task ls -q 2>/dev/null | grep -c c3)" = 0 ] && break; [ "$($C task ls 2>/dev/null | grep c3 | grep -c STOPPED)" = 1 ] && break; sleep 0.1; done
$C task delete c3 >/dev/null; $C container delete c3; echo "delete=$?"
echo "gone=$(systemctl show ctr-c3.scope -p LoadState --value)"
kill -TERM $cpid; wait $cpid 2>/dev/null
