#!/bin/sh
# Builds a minimal root filesystem from busybox-static.
# Usage: bundles/mkrootfs.sh [DIR]   (default: bundles/rootfs next to this script)
# Idempotent: re-running refreshes busybox, applet links and /etc files.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/rootfs}
busybox=${BUSYBOX:-/bin/busybox}

if [ ! -x "$busybox" ]; then
    echo "mkrootfs: $busybox not found (apt-get install -y busybox-static)" >&2
    exit 1
fi
if ! "$busybox" --list >/dev/null 2>&1; then
    echo "mkrootfs: $busybox does not support --list" >&2
    exit 1
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home/app var run
chmod 1777 tmp
chmod 0700 root

# Replace busybox only when it changed (keeps the rootfs stable for concurrent readers).
if ! cmp -s "$busybox" bin/busybox 2>/dev/null; then
    cp "$busybox" bin/busybox.new
    chmod 0755 bin/busybox.new
    mv -f bin/busybox.new bin/busybox
fi

for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] && continue
    [ -L "bin/$applet" ] || ln -sf busybox "bin/$applet"
done

write() { # write FILE: replace FILE with stdin only when the content differs
    tmp="$1.tmp.$$"
    cat >"$tmp"
    if cmp -s "$tmp" "$1" 2>/dev/null; then rm -f "$tmp"; else mv -f "$tmp" "$1"; fi
}

write etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
write etc/group <<'G'
root:x:0:
app:x:1000:
extra1:x:1001:app
extra2:x:1002:app
nogroup:x:65534:
G
write etc/hostname <<'H'
rootfs
H
[ -e etc/hosts ] || : >etc/hosts
[ -e etc/resolv.conf ] || : >etc/resolv.conf
chown 1000:1000 home/app 2>/dev/null || true
