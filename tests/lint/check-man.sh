#!/bin/sh
# Every man page renders without warnings (groff -ww -z).
set -eu
command -v groff >/dev/null 2>&1 || { echo "groff not installed"; exit 77; }
rc=0
for page in "$@"; do
        warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z -K utf8 "$page" 2>&1) || rc=1
        if [ -n "$warn" ]; then
                printf '%s:\n%s\n' "$page" "$warn"
                rc=1
        else
                echo "$page: ok"
        fi
done
exit $rc
