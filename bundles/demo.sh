#!/bin/bash
# Installs the Debian packages it needs if they are missing (as root), builds the rootfs and swiftlet if
# missing, then runs bundles/hello with swiftlet.
# Usage: bash bundles/demo.sh   (SWIFTLET_RUNTIME=/path/to/runtime to use another runtime)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi

bash "$repo/tools/deps.sh" build

if [ ! -x "$here/rootfs/bin/busybox" ]; then
    echo "demo: building rootfs in $here/rootfs" >&2
    sh "$here/mkrootfs.sh" "$here/rootfs"
fi

runtime=${SWIFTLET_RUNTIME:-$repo/.build/release/swiftlet}
if [ ! -x "$runtime" ]; then
    echo "demo: building swiftlet" >&2
    (cd "$repo" && swift build -c release --static-swift-stdlib)
fi

id=demo-$$
root=/run/swiftlet-demo
echo "demo: $runtime --root $root run -b bundles/hello $id" >&2
set +e
"$runtime" --root "$root" run -b "$here/hello" "$id" </dev/null
status=$?
set -e
# Leave nothing behind, even if run failed half-way.
"$runtime" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
rmdir "$root" 2>/dev/null || true
exit $status
