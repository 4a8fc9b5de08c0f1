#!/bin/sh
# Prints the exposure score `systemd-analyze security --offline=yes` gives mamorid.service
# (0 = most protected, 10 = unprotected) and fails if it is worse than the threshold.
# Usage: security-score.sh UNIT.in [THRESHOLD] [--table]
set -eu
unit_in="$1"
threshold="${2:-5.0}"
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }
if ! systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
        echo "systemd-analyze has no --offline (needs systemd >= 250)"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@sbindir@|/usr/sbin|g" -e "s|@sysconfdir@|/etc|g" "$unit_in" > "$tmp/mamorid.service"
out=$(systemd-analyze security --offline=yes --no-pager "$tmp/mamorid.service" 2>&1 || true)
[ "${3:-}" = "--table" ] && printf '%s\n' "$out"
line=$(printf '%s\n' "$out" | grep 'Overall exposure level' | tail -n 1)
score=$(printf '%s\n' "$line" | sed -n 's/.*: *\([0-9][0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
        printf '%s\n' "$out"
        echo "could not read the exposure score"
        exit 1
fi
echo "mamorid.service exposure score: $score (threshold $threshold)"
awk -v s="$score" -v t="$threshold" 'BEGIN { exit !(s <= t) }'
