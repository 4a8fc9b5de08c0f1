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
#   3. mamorid's peak RSS (VmHWM) once it is up, under umockdev's empty sysfs, with the default
#      example policy and with 100 000 registered media
#   4. with --vm (root, qemu-system-x86, usbguard): plug latency, CPU and peak RSS of mamorid in
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
# A policy directory with 100 000 registered media (YAML: the old tree reads nothing else).
big=$work/policy-100k
mkdir -p "$big"
install -m 0644 "$src"/policy/examples/default/*.yaml "$big"/
python3 - "$big/90-media.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("media:\n")
    for i in range(100000):
        f.write(f'  - asset: "B-{i:06d}"\n    vendor: "0781"\n    product: "5581"\n    serial: "S{i:010d}"\n')
PY
small=$work/policy-default
mkdir -p "$small"
install -m 0644 "$src"/policy/examples/default/*.yaml "$small"/
chmod 0755 "$work"
agent_rss() { # tree policy-dir
        local d=$work/agent-$1 pid hwm=""
        rm -rf "$d"
        mkdir -p "$d/state" "$d/run"
        printf '[Agent]\n' > "$d/mamorid.conf"
        umockdev-run -- "$work/build-$1/agent/mamorid" --config "$d/mamorid.conf" --policy-dir "$2" \
                --state-dir "$d/state" --runtime-dir "$d/run" 2>/dev/null &
        pid=$!
        for _ in $(seq 600); do
                [ -s "$d/run/state.json" ] && break
                sleep 0.05
        done
        for p in $(pgrep -P "$pid") "$pid"; do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = mamorid ] &&
                        hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status")
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        echo "{\"tree\":\"$1\",\"bench\":\"agent-rss\",\"policy\":\"$(basename "$2")\",\"peak_rss_kib\":${hwm:-null}}"
}
for tree in old new; do
        agent_rss "$tree" "$small"
        agent_rss "$tree" "$big"
done

if $vm; then
        for tree in old new; do
                tsrc=$src
                [ "$tree" = old ] && tsrc=$work/old
                python3 "$tsrc/bench/usb/bench-usb.py" --source "$tsrc" --build "$work/build-$tree" --plugs 30 |
                        grep '^{' | sed "s/^{/{\"tree\":\"$tree\",\"bench\":\"plug\",/"
        done
fi
