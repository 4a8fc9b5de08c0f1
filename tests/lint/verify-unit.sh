#!/bin/sh
# systemd-analyze verify on the generated mamorid.service, with ExecStart pointing at the
# binary just built (the installed path does not exist in a build tree).
set -eu
unit_in="$1"
mamorid="$2"
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }
[ -x "$mamorid" ] || { echo "mamorid not built at $mamorid"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@sbindir@/mamorid|$mamorid|" -e "s|@sbindir@|$(dirname "$mamorid")|" \
        -e "s|@sysconfdir@|/etc|" "$unit_in" > "$tmp/mamorid.service"
out=$(systemd-analyze verify --man=no "$tmp/mamorid.service" 2>&1) || rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
# Only lines about our unit count; the host's other units are not ours to judge.
if printf '%s\n' "$out" | grep -q 'mamorid.service'; then
        echo "systemd-analyze verify reported problems in mamorid.service"
        exit 1
fi
[ "${rc:-0}" -eq 0 ] && echo "systemd-analyze verify: mamorid.service ok (ExecStart=$mamorid)"
exit "${rc:-0}"
