#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/net/run.sh MAMORID [COUNT [paced]]: runs mamorid in a throw-away network namespace with a policy
# whose `addresses` allow only 169.254.10.0/24, then bench-net adds COUNT (default 1000) other
# link-local addresses in a burst and reports how fast mamorid removed them. Needs root.
set -euo pipefail
MAMORID=$(realpath "$1")
COUNT=${2:-1000}
MODE=${3:-burst}
HERE=$(cd "$(dirname "$0")" && pwd)
NS=mamori-bench$$ PEER=mamori-benchp$$
T=$(mktemp -d /tmp/mamori-bench.XXXXXX)
PID=
cleanup() {
        if [ -n "$PID" ] && kill "$PID" 2>/dev/null; then
                for _ in $(seq 500); do kill -0 "$PID" 2>/dev/null || break; sleep 0.02; done
                kill -9 "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
        fi
        ip netns del "$NS" 2>/dev/null; ip netns del "$PEER" 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" TERM INT HUP

${CC:-cc} -O2 -Wall -o "$T/bench-net" "$HERE/bench-net.c" -lmnl
ip netns add "$NS"; ip netns add "$PEER"
ip -n "$NS" link set lo up
ip -n "$NS" link add base0 type dummy 2>/dev/null ||
        ip -n "$NS" link add base0 type veth peer name p-base0 netns "$PEER"
ip -n "$NS" link set base0 up
ip -n "$NS" addr add 169.254.10.1/24 dev base0
mkdir -p "$T/policy" "$T/state" "$T/run"
cat > "$T/policy/10-bench.yaml" <<EOP
rules:
  - id: bench-block
    action: block
network:
  addresses:
    allow: ["169.254.10.0/24"]
EOP
ip netns exec "$NS" "$MAMORID" --policy-dir "$T/policy" --state-dir "$T/state" --runtime-dir "$T/run" \
        > "$T/log" 2>&1 &
PID=$!
for _ in $(seq 500); do grep -q 'Network guard started' "$T/log" && break; sleep 0.02; done
grep -q 'Network guard started' "$T/log" || { cat "$T/log"; exit 1; }
echo "kernel $(uname -r), $(nproc) CPUs, $COUNT changes"
ip netns exec "$NS" "$T/bench-net" base0 "$PID" "$COUNT" "$MODE"
