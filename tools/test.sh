#!/bin/bash
# The test command (README.md's second line; .ci/run runs exactly it). As root on Debian 12 with Swift:
# installs what the tests need, builds swiftlet, then runs the tiers one after the other:
#   1. the unit tier as an unprivileged user (tools/unit-tier.sh),
#   2. integration and conformance tests (IntegrationTests but the engines), then
#   3. the engine tier: podman, containerd (ctr and its CRI plugin), dockerd, buildah, each test class
#      starting and stopping its own daemon.
# Run one tier alone: `bash tools/unit-tier.sh`, `swift test --filter IntegrationTests --skip EngineTests`
# or `swift test --filter EngineTests` (`swift test --skip EngineTests` runs the first two together).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
bash tools/deps.sh test
swift build -c release --static-swift-stdlib
bash tools/unit-tier.sh
swift test --filter IntegrationTests --skip EngineTests
swift test --filter EngineTests
