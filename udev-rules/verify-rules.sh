#!/bin/sh
# Check the udev rules with `udevadm verify` (systemd >= 254). Older udev (Debian 12 has 252)
# has no such verb: then a structural check (check-rules.py) runs instead and says so.
set -eu
here=$(dirname "$0")
if command -v udevadm >/dev/null 2>&1 && udevadm verify --help >/dev/null 2>&1; then
        exec udevadm verify --resolve-names=never "$@"
fi
echo "udevadm $(udevadm --version 2>/dev/null || echo '(not installed)') has no 'verify' verb (needs systemd >= 254);"
echo "running the structural check instead"
command -v python3 >/dev/null 2>&1 || { echo "python3 not installed"; exit 77; }
exec python3 "$here/check-rules.py" "$@"
