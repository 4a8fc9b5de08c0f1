#!/bin/sh
# guest-control.sh TTY
# The guest side of the test control channel (see vmrig.py): reads requests
# "<id> <base64 shell script>" from TTY, runs each with sh, and answers
# "OUT <id> <base64 of stdout+stderr>" and "RC <id> <status>".
tty=${1:-/dev/ttyS1}
stty -F "$tty" raw -echo 2>/dev/null
exec 3<>"$tty"
echo "HELLO $(cut -d' ' -f1 /proc/uptime)" >&3
while read -r id script <&3; do
        echo "$script" | base64 -d > /tmp/.vm-cmd 2>/dev/null
        sh /tmp/.vm-cmd > /tmp/.vm-out 2>&1 < /dev/null
        rc=$?
        printf 'OUT %s %s\n' "$id" "$(base64 /tmp/.vm-out | tr -d '\n')" >&3
        printf 'RC %s %s\n' "$id" "$rc" >&3
done
