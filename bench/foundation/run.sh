#!/bin/bash
# bench/foundation/run.sh [--vm] [OLD_REV]
#
# The same measurements on an older revision (default e09eab3, before the sound-foundation work:
# hand-written SHA-256 and YAML fast reader, flat agent/) and on the working tree, one after the
# other in one run, so the figures in bench/README.md ("## Before and after the foundation
# work") compare like with like. Builds OLD_REV in a temporary git worktree. Prints one JSON
# line per measurement, tagged "tree":"old"|"new":
#   1. policy load and pure decisions with 100 000 registered media (bench-media)
#   2. the agent's own decision path under umockdev's sysfs, 100 000 media (bench-decide)
#   3. with --vm (root, qemu-system-x86, usbguard): plug latency, CPU and peak RSS of mamorid in
#      the real-kernel guest (bench-usb.py, 30 plugs)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
vm=false
if [ "${1:-}" = --vm ]; then vm=true; shift; fi
old_rev=${1:-e09eab3}
work=$(mktemp -d)
cleanup() { git -C "$src" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

git -C "$src" worktree add --detach "$work/old" "$old_rev" >/dev/null 2>&1
build_tree() { # tree build
        meson setup "$2" "$1" --buildtype=debugoptimized -Dtests=true >/dev/null
        ninja -C "$2" >/dev/null
}
build_tree "$work/old" "$work/build-old"
build_tree "$src" "$work/build-new"

# The benchmark programs moved to bench/ with the new layout.
target() { # build name
        if grep -q "^build bench/$2:" "$1/build.ninja"; then
                echo "bench/$2"
        elif [ "$2" = bench-decide ]; then echo tests/umockdev/bench-decide
        else echo tests/vm/bench-media; fi
}

for tree in old new; do
        b=$work/build-$tree
        t_media=$(target "$b" bench-media)
        t_decide=$(target "$b" bench-decide)
        ninja -C "$b" "$t_media" "$t_decide" >/dev/null
        "$b/$t_media" 100000 1000000 | sed "s/^{/{\"tree\":\"$tree\",\"bench\":\"media\",/"
        LD_PRELOAD=libumockdev-preload.so.0 "$b/$t_decide" 100000 2000 |
                sed "s/^{/{\"tree\":\"$tree\",\"bench\":\"decide\",/"
done
if $vm; then
        for tree in old new; do
                tsrc=$src
                [ "$tree" = old ] && tsrc=$work/old
                python3 "$tsrc/bench/usb/bench-usb.py" --source "$tsrc" --build "$work/build-$tree" --plugs 30 |
                        grep '^{' | sed "s/^{/{\"tree\":\"$tree\",\"bench\":\"plug\",/"
        done
fi
