#!/bin/sh
# Policy parsing benchmark (bench/policy/README.md): builds bench-policy in BUILD (default build/)
# and runs it; with --baseline DIR it also runs the same inputs through another build: DIR's
# bench/bench-policy when it has one, else `mamorictl policy lint` (DIR/cli/mamorictl or
# DIR/mamorictl) or `mamorid --check-policy` (DIR/agent/mamorid), timed with /usr/bin/time.
#
#   bench/policy/run.sh [--build BUILD] [--baseline DIR]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build="$src/build"
baseline=
while [ $# -gt 0 ]; do
        case "$1" in
        --build) build="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        *) echo "usage: $0 [--build BUILD] [--baseline DIR]" >&2; exit 2 ;;
        esac
done
ninja -C "$build" -j2 bench/bench-policy >/dev/null
inputs=$(mktemp -d /tmp/bench-policy-inputs-XXXXXX)
chmod 755 "$inputs"
trap 'rm -rf "$inputs"' EXIT
echo "# this build ($build)"
"$build/bench/bench-policy" --inputs "$inputs"
[ -n "$baseline" ] || exit 0

echo "# baseline ($baseline)"
if [ -x "$baseline/bench/bench-policy" ]; then
        "$baseline/bench/bench-policy" --inputs "$inputs.base"
        rm -rf "$inputs.base"
        exit 0
fi
if [ -x "$baseline/cli/mamorictl" ]; then
        check="$baseline/cli/mamorictl policy lint"
elif [ -x "$baseline/mamorictl" ]; then
        check="$baseline/mamorictl policy lint"
elif [ -x "$baseline/agent/mamorid" ]; then
        check="$baseline/agent/mamorid --check-policy"
else
        echo "$baseline: no bench-policy, mamorictl or mamorid found" >&2
        exit 1
fi
printf '%-18s %9s %8s %9s  %s\n' case wall_s cpu_s rss_mib output
for d in "$inputs"/*/; do
        name=$(basename "$d")
        # shellcheck disable=SC2086 # $check is a command and its arguments
        /usr/bin/time -f '%e %U %S %M' -o "$inputs/.time" $check "$d" >"$inputs/.out" 2>&1 || true
        read -r e u s m < "$inputs/.time"
        printf '%-18s %9s %8.2f %9.1f  %s\n' "$name" "$e" "$(echo "$u + $s" | bc)" "$(echo "$m / 1024" | bc -l)" \
                "$(head -n 1 "$inputs/.out")"
done
