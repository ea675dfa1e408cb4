#!/bin/bash
# Installs swiftlet for engines to find: PREFIX/bin/swiftlet and PREFIX/lib/swiftlet/runc, a link that
# podman needs (it passes --log-format json --log FILE only to runtimes whose name it knows).
# Usage: tools/install.sh [PREFIX]   (default /usr/local; DESTDIR is honoured for packaging)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-${PREFIX:-/usr/local}}
dest=${DESTDIR:-}
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
bash tools/deps.sh build
if [ ! -x .build/release/swiftlet ] || [ -n "$(find Sources Package.swift -newer .build/release/swiftlet -print -quit)" ]; then
    swift build -c release --static-swift-stdlib --product swiftlet
fi
install -d "$dest$prefix/bin" "$dest$prefix/lib/swiftlet"
install -m 0755 .build/release/swiftlet "$dest$prefix/bin/swiftlet"
ln -sfn "$prefix/bin/swiftlet" "$dest$prefix/lib/swiftlet/runc"
echo "installed $dest$prefix/bin/swiftlet and $dest$prefix/lib/swiftlet/runc" >&2
