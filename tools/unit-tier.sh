#!/bin/bash
# The unit tier: pure logic (the JSON parser and its differential check against libyajl, config
# validation, kernel formats and names, cgroup paths and stats, sync messages, the flag parser), run as an unprivileged user so that a
# test that needs root, or writes where only root may, fails here instead of passing by accident.
#   tools/unit-tier.sh [USER]    (default nobody)
# As root (CI): builds the test bundle as root in the usual .build, copies it to a scratch folder the
# user can read, and runs the unit modules' classes there as USER. As any other user: runs
# `swift test --filter` on the same modules directly.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
# The unit tier's test modules (Package.swift); IntegrationTests is the integration and engine tiers.
modules=(JSONTests JSONDifferentialTests RuntimeSpecTests KernelTests CgroupsTests ContainerTests CommandLineFlagsTests)
user=${1:-nobody}
pattern=$(IFS='|'; echo "^(${modules[*]})\\.")

if [ "$(id -u)" != 0 ]; then
    exec swift test --filter "$pattern"
fi

swift build --build-tests >&2
bin=$(swift build --show-bin-path)
bundle=$(ls -d "$bin"/*PackageTests.xctest | head -1)
scratch=$(mktemp -d /tmp/swiftlet-unit-tier.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
chmod 755 "$scratch"
cp "$bundle" "$scratch/tests.xctest"
# The fuzz corpora the unit tests replay, where USER can read them whatever the clone's permissions.
cp -r Tests/Fuzz "$scratch/fuzz"
chmod -R a+rX "$scratch"
# XCTest on Linux filters by class (Module.Class), not by module: list the unit modules' classes.
classes=$("$scratch/tests.xctest" --list-tests | grep -Eo "$pattern[A-Za-z0-9_]+" | sort -u | paste -sd, -)
[ -n "$classes" ] || { echo "unit-tier: no tests found in $bundle" >&2; exit 1; }
uid=$(id -u "$user") gid=$(id -g "$user")
cd "$scratch"
HOME="$scratch" SWIFTLET_FUZZ_DIR="$scratch/fuzz" setpriv --reuid "$uid" --regid "$gid" --clear-groups "$scratch/tests.xctest" "$classes"
