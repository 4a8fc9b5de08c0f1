#!/bin/bash
# bench/usb/run.sh [BUILDDIR]
#
# Every USB benchmark of bench/README.md in one go (as root; needs qemu-system-x86, usbguard and
# umockdev): builds BUILDDIR (default build-bench, debugoptimized) with the on-request benchmark
# targets, then prints one JSON line per measurement:
#   1. plug latency, CPU and peak RSS, mamorid against usbguard-daemon in the real-kernel guest
#   2. the agent's own decision path (umockdev's sysfs), 10 and 100 000 registered media
#   3. policy load and pure policy decisions, 10 and 100 000 registered media
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$src/build-bench}")
[ -f "$build/build.ninja" ] || meson setup "$build" "$src" --buildtype=debugoptimized >/dev/null
ninja -C "$build" >/dev/null
ninja -C "$build" bench/bench-decide bench/bench-media >/dev/null

echo "# 1. plug latency, CPU, memory: mamorid and usbguard-daemon, QEMU/TCG guest"
python3 "$src/bench/usb/bench-usb.py" --source "$src" --build "$build" --plugs 100 | grep '^{'
echo "# 2. the agent's own decision path, umockdev sysfs"
LD_PRELOAD=libumockdev-preload.so.0 "$build/bench/bench-decide" 100000 2000
echo "# 3. policy load and pure decisions"
"$build/bench/bench-media" 100000 1000000
