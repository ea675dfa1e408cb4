#!/bin/bash
# Installs, with apt-get, the Debian 12 packages that one use of this repository needs and that are
# missing; does nothing when they are all there. Usage: tools/deps.sh build|test
#   build: what building swiftlet and running a bundle need (libseccomp and libcap archives, busybox;
#          libyajl for the JSON parser's fuzz target and benchmark, never linked into swiftlet)
#   test:  build + what the test suites run: the reference runtimes, engines, tracing and benchmark tools
set -euo pipefail

build=(libseccomp-dev libcap-dev busybox-static libyajl-dev)
test=(runc crun uidmap hyperfine strace jq iproute2 criu gcc libc6-dev libstdc++-12-dev
      podman containerd conmon python3 bsdutils util-linux
      docker.io buildah containernetworking-plugins python3-grpcio python3-protobuf protobuf-compiler
      systemd dbus)

case "${1:-}" in
    build) wanted=("${build[@]}") ;;
    test) wanted=("${build[@]}" "${test[@]}") ;;
    *) echo "usage: tools/deps.sh build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
    # Installed means dpkg says "install ok installed", not just known to apt.
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}; run as root, or: apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# A package this Debian release does not have is reported and left out (the tests that need it say so).
available=()
for p in "${missing[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then available+=("$p"); else echo "deps: package $p is not available" >&2; fi
done
# Services the packages bring (docker.io's dockerd, containerd) are not started: the engine tests
# start their own daemons with their own directories. policy-rc.d is Debian's switch for that.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
fi
status=0
[ ${#available[@]} -eq 0 ] || apt-get install -y -q "${available[@]}" >&2 || status=$?
[ -z "$made_policy" ] || rm -f "$policy"
exit $status
