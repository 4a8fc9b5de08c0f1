#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/posture/run.sh [BUILDDIR] [-- bench-posture.py options]
#
# The posture benchmark of bench/README.md ("Posture"), as root: builds BUILDDIR (default
# build-bench, debugoptimized) and runs bench/posture/bench-posture.py, which prints one JSON
# line per measurement and a summary line with the ratios: one round of every posture check by
# mamorictl and inside mamorid (CPU, wall, RSS added, idle wake-ups), and the same facts gathered
# the way peers do (shell-outs per check, oscap with the SCAP Security Guide, osqueryi if there).
# Needs clamd (clamav-daemon), umockdev and, for the peers, clamdscan, clamav, openscap-scanner
# and ssg-debian; what is missing is said and skipped.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build-bench
if [ $# -gt 0 ] && [ "$1" != -- ]; then build=$1; shift; fi
[ "${1:-}" = -- ] && shift
build=$(realpath -m "$build")
[ "$(id -u)" = 0 ] || { echo "bench/posture/run.sh: needs root" >&2; exit 1; }
[ -f "$build/build.ninja" ] || meson setup "$build" "$src" --buildtype=debugoptimized >/dev/null
ninja -C "$build" -j2 agent/mamorid cli/mamorictl bench/spawn-measure >/dev/null
exec python3 "$src/bench/posture/bench-posture.py" --source "$src" --build "$build" "$@"
