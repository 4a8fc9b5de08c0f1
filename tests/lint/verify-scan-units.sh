#!/bin/sh
# systemd-analyze verify on the generated mamori-scan.service and mamori-scan.timer, with
# ExecStart pointing at the binary just built; and the properties AV-03 relies on.
set -eu
unit_in="$1"
timer="$2"
scan="$3"
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }
[ -x "$scan" ] || { echo "mamori-scan not built at $scan"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@libexecdir@|$(dirname "$scan")|" "$unit_in" > "$tmp/mamori-scan.service"
cp "$timer" "$tmp/mamori-scan.timer"
rc=0
out=$(cd "$tmp" && systemd-analyze verify --man=no mamori-scan.service mamori-scan.timer 2>&1) || rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -q 'mamori-scan\.'; then
        echo "systemd-analyze verify reported problems in mamori-scan.service or .timer"
        exit 1
fi
for want in 'Type=oneshot' 'RefuseManualStop=yes'; do
        grep -qx "$want" "$tmp/mamori-scan.service" || { echo "mamori-scan.service lacks $want"; exit 1; }
done
for want in 'OnCalendar=weekly' 'Persistent=true'; do
        grep -qx "$want" "$tmp/mamori-scan.timer" || { echo "mamori-scan.timer lacks $want"; exit 1; }
done
[ "$rc" -eq 0 ] && echo "systemd-analyze verify: mamori-scan.service and .timer ok"
exit "$rc"
