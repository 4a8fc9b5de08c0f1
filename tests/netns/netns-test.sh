#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# netns-test.sh CASE MAMORID MAMORICTL
#
# One case of the network guard (NET-01..04, CFG-01) or the quarantine (INC-03, NET-12), run in
# throw-away network namespaces against the real kernel. Addresses come only from 169.254.0.0/16
# and fd00::/8 inside those namespaces; nothing leaves them. The real mamorid runs inside the
# namespace (`ip netns exec`) with temporary policy, state and runtime directories; the script
# waits for its event-log records and for kernel state (bounded polling), never for a fixed time.
set -uo pipefail

CASE=$1
MAMORID=$2
MAMORICTL=$3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nftables)"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"

NS=mamori-t$$
PEER=mamori-p$$
T=$(mktemp -d /tmp/mamori-netns.XXXXXX)
DRV_PID=
# stop_pid PID: SIGTERM, then SIGKILL if it has not exited within 10 s.
stop_pid() {
        local i
        kill "$1" 2>/dev/null || return 0
        for i in $(seq 500); do kill -0 "$1" 2>/dev/null || break; sleep 0.02; done
        kill -9 "$1" 2>/dev/null
        wait "$1" 2>/dev/null
}
cleanup() {
        [ -n "$DRV_PID" ] && stop_pid "$DRV_PID"
        ip netns del "$NS" 2>/dev/null
        ip netns del "$PEER" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" TERM INT HUP
ip netns add "$NS" 2>/dev/null || skip "'ip netns add' is not available here"
ip netns add "$PEER" || skip "cannot add a second network namespace"
ip -n "$PEER" link set lo up

fail() {
        echo "FAIL: $*"
        echo "--- mamorid log"; cat "$T/log" 2>/dev/null
        echo "--- event log"; cat "$T/state/events.log" 2>/dev/null
        echo "--- links"; ip -n "$NS" -br link 2>/dev/null
        echo "--- addresses"; ip -n "$NS" -br addr 2>/dev/null
        echo "--- routes"; ip -n "$NS" route 2>/dev/null; ip -n "$NS" -6 route 2>/dev/null
        exit 1
}
pass() { echo "ok: $*"; }

# wait_until TIMEOUT_S CONDITION...: polls a condition (bounded), fails after the timeout.
wait_until() {
        local timeout=$1; shift
        local end=$(( $(date +%s%N) + timeout * 1000000000 ))
        while ! "$@"; do
                [ "$(date +%s%N)" -lt "$end" ] || return 1
                sleep 0.02
        done
}

in_ns() { ip netns exec "$NS" "$@"; }
EVENTS=$T/state/events.log
records() { grep -c "$1" "$EVENTS" 2>/dev/null || true; }
has_record() { [ "$(records "$1")" -ge "${2:-1}" ]; }
# (output is captured first: with pipefail, `grep -q` closing the pipe early would fail `ip`)
link_up() { local o; o=$(ip -n "$NS" -o link show "$1"); grep -qE '[<,]UP[,>]' <<< "$o"; }
link_down() { ! link_up "$1"; }
has_addr() { local o; o=$(ip -n "$NS" -o addr show dev "$2"); grep -q " $1 " <<< "$o"; }
no_addr() { ! has_addr "$@"; }
default_route() { local o; o=$(ip -n "$NS" ${2:-} route show default); grep -q "$1" <<< "$o"; }
only_default() { [ "$(ip -n "$NS" ${2:-} route show default | sed 's/ *$//')" = "$1" ]; }
same_file() { cmp -s "$1" "$2"; }

# add_if NAME: a dummy interface, or (kernels without the dummy driver) one end of a veth pair
# whose other end is in the peer namespace.
add_if() {
        ip -n "$NS" link add "$1" type dummy 2>/dev/null && return 0
        ip -n "$NS" link add "$1" type veth peer name "p-$1" netns "$PEER" || return 1
        ip -n "$PEER" link set "p-$1" up
}

# The baseline network: base0 (dummy) with addresses, default routes, resolver and hosts files.
setup_net() {
        ip -n "$NS" link set lo up
        add_if base0 || fail "cannot create interfaces"
        ip -n "$NS" link set base0 up
        ip -n "$NS" addr add 169.254.10.1/24 dev base0
        ip -n "$NS" addr add fd00:10::1/64 dev base0 nodad
        ip -n "$NS" route add default via 169.254.10.254 dev base0
        ip -n "$NS" -6 route add default via fd00:10::fe dev base0
        mkdir -p "$T/etc" "$T/run" "$T/state" "$T/runtime" "$T/policy" "$T/nm"
        printf 'nameserver 169.254.10.53\n' > "$T/etc/resolv.conf"
        printf 'nameserver 169.254.10.53\n' > "$T/run/resolv.conf"
        printf '127.0.0.1 localhost\n169.254.10.80 intranet.city.example\n' > "$T/etc/hosts"
        chmod 644 "$T/etc/resolv.conf" "$T/run/resolv.conf" "$T/etc/hosts"
        cp "$T/etc/resolv.conf" "$T/resolv.baseline"
        cp "$T/etc/hosts" "$T/hosts.baseline"
}

write_policy() {
        local action=$1
        cat > "$T/policy/10-test.yaml" <<EOF
policy:
  name: netns-test
  version: "1"
rules:
  - id: test-block
    action: block
network:
  action: $action
  wireless: false
  interfaces:
    allow:
      - name: "base*"
      - name: "ok*"
      - name: "veth*"
        type: veth
  addresses:
    allow: ["169.254.10.0/24", "169.254.20.0/24", "fd00:10::/64"]
  gateways:
    allow: ["169.254.10.254", "169.254.10.253", "fd00:10::fe"]
  dns:
    allow: ["169.254.10.53"]
  hosts: {}
  quarantine:
    remediation:
      - address: "169.254.20.2"
EOF
}

start_guard() {
        local mask
        : > "$T/log"
        mask=$(umask)
        umask 027       # as in mamorid.service (UMask=0027)
        ip netns exec "$NS" env MAMORI_RESOLV_CONF="$T/etc/resolv.conf" \
                MAMORI_RESOLVER_RUNTIME="$T/run/resolv.conf" MAMORI_HOSTS="$T/etc/hosts" \
                MAMORI_NET_CONFIG_DIRS="$T/nm/:$T/absent/:$T/etc/interfaces" \
                ${MAMORID_PRELOAD:+LD_PRELOAD="$MAMORID_PRELOAD"} \
                "$MAMORID" --policy-dir "${POLICY_DIR:-$T/policy}" --state-dir "$T/state" --runtime-dir "$T/runtime" \
                > "$T/log" 2>&1 &
        DRV_PID=$!
        umask "$mask"
        wait_until 20 grep -q 'Network guard started' "$T/log" || fail "mamorid did not start its network guard"
}

stop_guard() {
        kill "$DRV_PID"
        wait_until 10 eval '! kill -0 "$DRV_PID" 2>/dev/null' || fail "mamorid did not stop on SIGTERM"
        wait "$DRV_PID" || fail "mamorid exited with an error"
        DRV_PID=
}

# A change the policy refuses, made after others: once it is handled, everything before it was
# handled too (events are processed in order).
sentinel() {
        ip -n "$NS" addr add 169.254.99.$1/32 dev base0
        wait_until 10 has_record "\"169.254.99.$1/32\"" || fail "sentinel change $1 was not handled"
}

case $CASE in
interface-down)
        setup_net; write_policy revert; start_guard
        add_if bad0
        wait_until 10 has_record '"object":"bad0"' || fail "no record for bad0"
        ip -n "$NS" link set bad0 up
        wait_until 10 has_record '"object":"bad0"' 2 || fail "no record for bad0 switched on again"
        wait_until 10 link_down bad0 || fail "bad0 is still up"
        grep '"object":"bad0"' "$EVENTS" | grep -q '"result":"reverted"' || fail "record does not say reverted"
        grep -q 'switched it off' "$EVENTS" || fail "staff wording missing"
        link_up base0 || fail "the baseline interface was touched"
        pass "unauthorized interface set down, and again when switched on"
        ;;
address-removed)
        setup_net; write_policy revert; start_guard
        ip -n "$NS" addr add 169.254.50.1/24 dev base0
        ip -n "$NS" addr add fd00:50::1/64 dev base0 nodad
        wait_until 10 has_record '"169.254.50.1/24"' || fail "no record for the IPv4 address"
        wait_until 10 has_record '"fd00:50::1/64"' || fail "no record for the IPv6 address"
        wait_until 10 no_addr 169.254.50.1/24 base0 || fail "the IPv4 address is still there"
        wait_until 10 no_addr fd00:50::1/64 base0 || fail "the IPv6 address is still there"
        has_addr 169.254.10.1/24 base0 || fail "the baseline address was removed"
        pass "foreign IPv4 and IPv6 addresses removed"
        ;;
route-restored)
        setup_net; write_policy revert; start_guard
        ip -n "$NS" route replace default via 169.254.10.99 dev base0
        ip -n "$NS" -6 route replace default via fd00:10::99 dev base0
        wait_until 10 has_record '"kind":"net-route-restored"' 2 || fail "baseline default routes not restored"
        wait_until 10 only_default "default via 169.254.10.254 dev base0" || fail "IPv4 default route not restored"
        wait_until 10 default_route "via fd00:10::fe dev base0" -6 || fail "IPv6 default route not restored"
        default_route "169.254.10.99" && fail "the unauthorized IPv4 route is still there"
        default_route "fd00:10::99" -6 && fail "the unauthorized IPv6 route is still there"
        ip -n "$NS" route del default
        wait_until 10 has_record '"kind":"net-route-restored"' 3 || fail "deleted default route not restored"
        wait_until 10 only_default "default via 169.254.10.254 dev base0" || fail "deleted route not back"
        pass "changed and deleted default routes restored (IPv4 and IPv6)"
        ;;
route-link-flap)
        # a link going down flushes its IPv4 routes without any RTM_DELROUTE
        setup_net; write_policy revert; start_guard
        ip -n "$NS" link set base0 down
        ip -n "$NS" link set base0 up
        wait_until 10 only_default "default via 169.254.10.254 dev base0" || fail "route not restored after link flap"
        wait_until 10 has_record '"kind":"net-route-restored"' || fail "no record of the restore"
        pass "default route restored after the link went down and up"
        ;;
reload-baseline)
        # a reload changes the policy the guard judges by, not its baseline: an interface it set
        # down before the reload is still refused after it
        setup_net; write_policy revert; start_guard
        add_if bad0
        ip -n "$NS" link set bad0 up
        wait_until 10 has_record '"object":"bad0"' || fail "no record for bad0"
        wait_until 10 link_down bad0 || fail "bad0 is still up"
        kill -HUP "$DRV_PID"
        # the policy-loaded record is written in the same loop step that puts the policy in force
        wait_until 10 has_record '"kind":"policy-loaded"' 2 || fail "the policy was not reloaded"
        n=$(records '"object":"bad0"')
        ip -n "$NS" link set bad0 up
        wait_until 10 has_record '"object":"bad0"' $((n + 1)) || fail "no record for bad0 switched on after the reload"
        wait_until 10 link_down bad0 || fail "bad0 stays up after the reload"
        grep '"object":"bad0"' "$EVENTS" | tail -n 1 | grep -q '"result":"reverted"' || fail "the record does not say reverted"
        link_up base0 || fail "the baseline interface was touched"
        pass "a refused interface is still refused after a policy reload"
        ;;
baseline-restored)
        # baseline addresses and routes besides the default routes: static ones are put back,
        # those given for a limited time (valid_lft, proto dhcp) are reported and left alone
        setup_net
        ip -n "$NS" addr add 169.254.30.1/24 dev base0
        ip -n "$NS" addr add fd00:30::1/64 dev base0 nodad
        ip -n "$NS" addr add 169.254.31.1/24 dev base0 valid_lft 600 preferred_lft 600
        ip -n "$NS" route add 169.254.40.0/24 via 169.254.10.254 dev base0
        ip -n "$NS" route add 169.254.41.0/24 via 169.254.10.254 dev base0 proto dhcp
        write_policy revert; start_guard
        has_route() { local o; o=$(ip -n "$NS" route show "$1"); [ -n "$o" ]; }
        ip -n "$NS" addr del 169.254.30.1/24 dev base0
        ip -n "$NS" addr del fd00:30::1/64 dev base0
        ip -n "$NS" addr del 169.254.31.1/24 dev base0
        ip -n "$NS" route del 169.254.40.0/24
        ip -n "$NS" route del 169.254.41.0/24
        wait_until 10 has_record '"kind":"net-address-restored"' 2 || fail "static addresses not restored"
        wait_until 10 has_addr 169.254.30.1/24 base0 || fail "the static IPv4 address is not back"
        wait_until 10 has_addr fd00:30::1/64 base0 || fail "the static IPv6 address is not back"
        o=$(ip -n "$NS" -o addr show dev base0 to 169.254.30.1/24)
        grep -q 'valid_lft forever' <<< "$o" || fail "the restored address is not static: $o"
        wait_until 10 has_record '"kind":"net-address-lost"' || fail "the lost DHCP address was not reported"
        grep '"kind":"net-address-lost"' "$EVENTS" | grep -q '"169.254.31.1/24"' || fail "the report names another address"
        wait_until 10 has_record '"kind":"net-route-restored"' || fail "the static route was not restored"
        wait_until 10 has_route 169.254.40.0/24 || fail "the static route is not back"
        wait_until 10 has_record '"kind":"net-route-lost"' || fail "the lost DHCP route was not reported"
        grep '"kind":"net-route-lost"' "$EVENTS" | grep -q '169.254.41.0/24' || fail "the report names another route"
        sentinel 3
        no_addr 169.254.31.1/24 base0 || fail "the DHCP address was put back (it would never expire)"
        has_route 169.254.41.0/24 && fail "the DHCP route was put back"
        [ "$(records '"kind":"net-address-lost"')" = 1 ] || fail "the lost address was reported more than once"
        [ "$(records '"kind":"net-route-lost"')" = 1 ] || fail "the lost route was reported more than once"
        grep '"kind":"net-address-lost"' "$EVENTS" | grep -q '"result":"reported"' || fail "not recorded as reported"
        pass "static baseline addresses and routes put back, DHCP ones reported"
        ;;
netlink-stuck)
        # the first answer (ack) of the kernel to the agent's requests is dropped (tests/netns/nl-drop-shim.c):
        # the request times out after 1 s and everything else goes on meanwhile
        [ -n "${NETNS_NL_SHIM:-}" ] && [ -f "$NETNS_NL_SHIM" ] || fail "NETNS_NL_SHIM does not name the shim library"
        setup_net; write_policy revert
        MAMORID_PRELOAD=$NETNS_NL_SHIM start_guard
        add_if bad0
        add_if bad1
        start=$(date +%s%N)
        ip -n "$NS" link set bad0 up           # its set-down request is the first with an ack
        wait_until 10 link_down bad0 || fail "bad0 was not set down"
        # the request waits for its ack now; the loop must stay free: a resolver file is restored
        # and the next interface judged while it waits
        printf 'nameserver 169.254.66.66\n' > "$T/etc/resolv.conf"
        ip -n "$NS" link set bad1 up
        wait_until 10 has_record '"kind":"net-file"' || fail "no record for resolv.conf"
        wait_until 10 has_record '"object":"bad1"' || fail "no record for bad1"
        wait_until 10 link_down bad1 || fail "bad1 is still up"
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        echo "bad0 and bad1 handled ${ms} ms after bad0 was switched on (request timeout 1000 ms)"
        rec=$(grep -E '"kind":"net-(interface|file)"' "$EVENTS" | grep -oE '"object":"[^"]*"' | tr '\n' ' ')
        [[ "$rec" == *'resolv.conf"'*'"object":"bad0"'*'"object":"bad1"'* ]] ||
                fail "records are not in order (the file while the request waited, then bad0, then bad1): $rec"
        # bound: the 1 s timeout of the stuck request plus slack for a loaded machine
        [ "$ms" -lt 2500 ] || fail "bad1 was handled ${ms} ms after bad0: the stuck request held the loop"
        grep '"object":"bad0"' "$EVENTS" | head -n 1 | grep -q '"result":"failed"' ||
                fail "the timed-out request is not recorded as failed"
        grep '"object":"bad1"' "$EVENTS" | grep -q '"result":"reverted"' || fail "bad1 is not recorded as reverted"
        grep -q 'No answer to the netlink request' "$T/log" || fail "the timed-out request is not logged"
        pass "a request without an answer times out, the loop goes on, records keep their order"
        ;;
unprivileged)
        # without CAP_NET_ADMIN the guard and the quarantine are off, said once; nft never runs
        command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
        setup_net; write_policy revert
        chown 65534:65534 "$T/state" "$T/runtime"
        chmod 755 "$T"
        in_ns setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
                env MAMORI_NFT=nft "$MAMORID" --policy-dir "$T/policy" --state-dir "$T/state" \
                --runtime-dir "$T/runtime" > "$T/log" 2>&1 &
        DRV_PID=$!
        # the policy, the guard and the quarantine are started before the present devices are evaluated
        wait_until 20 grep -q 'present USB device(s) evaluated' "$T/log" || fail "mamorid did not start"
        n=$(grep -c 'network guard and the network quarantine are off' "$T/log")
        [ "$n" = 1 ] || fail "expected one line saying the guard and the quarantine are off, got $n"
        grep -q 'CAP_NET_ADMIN' "$T/log" || fail "the line does not say why"
        grep -q 'cache initialization failed' "$T/log" && fail "nft ran without privileges"
        grep -q 'Failed to remove the quarantine firewall' "$T/log" && fail "the quarantine tried to change the firewall"
        grep -q 'Network guard started' "$T/log" && fail "the network guard started without privileges"
        pass "unprivileged: one clear line, no nft, no guard"
        ;;
allowed-change)
        setup_net; write_policy revert; start_guard
        add_if ok1
        ip -n "$NS" link set ok1 up
        ip -n "$NS" addr add 169.254.10.77/24 dev base0
        ip -n "$NS" route add default via 169.254.10.253 dev base0 metric 50
        printf 'nameserver 169.254.10.53\nsearch city.example\n' > "$T/etc/resolv.conf"
        sentinel 1
        link_up ok1 || fail "an allowed interface was set down"
        has_addr 169.254.10.77/24 base0 || fail "an allowed address was removed"
        default_route "via 169.254.10.253" || fail "an allowed default route was removed"
        grep -q 'search city.example' "$T/etc/resolv.conf" || fail "an allowed resolver change was undone"
        [ "$(records '"kind":"net-')" = 1 ] || fail "allowed changes were recorded"
        pass "allowed interface, address, route and resolver change left alone"
        ;;
resolver-restored)
        setup_net; write_policy revert; start_guard
        printf 'nameserver 169.254.66.66\n' > "$T/etc/resolv.conf"
        wait_until 10 has_record '"kind":"net-file"' || fail "no record for resolv.conf"
        wait_until 10 same_file "$T/etc/resolv.conf" "$T/resolv.baseline" || fail "resolv.conf not restored"
        [ "$(stat -c %a "$T/etc/resolv.conf")" = 644 ] || fail "the restored resolv.conf lost its mode"
        sed -i 's/169.254.10.53/169.254.66.66/' "$T/run/resolv.conf"
        wait_until 10 has_record '"kind":"net-file"' 2 || fail "no record for the runtime file"
        wait_until 10 same_file "$T/run/resolv.conf" "$T/resolv.baseline" || fail "runtime file not restored"
        rm "$T/etc/resolv.conf"
        wait_until 10 same_file "$T/etc/resolv.conf" "$T/resolv.baseline" || fail "deleted resolv.conf not restored"
        pass "resolver files restored after edit, sed -i and delete"
        ;;
hosts-restored)
        setup_net; write_policy revert; start_guard
        echo '169.254.66.66 intranet.city.example' >> "$T/etc/hosts"
        wait_until 10 has_record '"kind":"net-file"' || fail "no record for hosts"
        wait_until 10 same_file "$T/etc/hosts" "$T/hosts.baseline" || fail "hosts not restored"
        grep -q 'host name file' "$EVENTS" || fail "staff wording missing"
        pass "hosts file restored"
        ;;
config-reported)
        # NetworkManager connection files are reported, never rewritten (CFG-01); a missing
        # directory among the watched places ($T/absent) is skipped
        setup_net; write_policy revert; start_guard
        conn=$T/nm/rogue.nmconnection
        printf '[connection]\nid=rogue\ntype=wifi\n' > "$conn"
        wait_until 10 has_record '"detail":"created"' || fail "no record for the new connection file"
        printf '[wifi]\nssid=free-hotspot\n' >> "$conn"
        wait_until 10 has_record '"detail":"changed"' || fail "no record for the edited connection file"
        printf '[connection]\nid=rogue\ntype=wifi\n[wifi]\nssid=free-hotspot\n' > "$T/conn.expected"
        same_file "$conn" "$T/conn.expected" || fail "the connection file was not left as written"
        rec=$(grep '"kind":"net-config"' "$EVENTS")
        [ "$(grep -c . <<< "$rec")" = 2 ] || fail "expected exactly two net-config records"
        grep -q '"object":"'"$conn"'"' <<< "$rec" || fail "the record does not name the file"
        grep -q '"result":"reported"' <<< "$rec" || fail "the record does not say reported"
        grep -q 'rogue.nmconnection was created' <<< "$rec" || fail "staff wording (created) missing"
        grep -q 'rogue.nmconnection was changed' <<< "$rec" || fail "staff wording (changed) missing"
        grep -q 'reported it to the security office' <<< "$rec" || fail "staff wording (reported) missing"
        pass "connection file created and edited: reported, left as written"
        ;;
audit-only)
        setup_net; write_policy report; start_guard
        add_if bad0
        ip -n "$NS" link set bad0 up
        ip -n "$NS" addr add 169.254.50.1/24 dev base0
        ip -n "$NS" route replace default via 169.254.10.99 dev base0
        printf 'nameserver 169.254.66.66\n' > "$T/etc/resolv.conf"
        wait_until 10 has_record '"kind":"net-file"' || fail "resolver change not reported"
        wait_until 10 has_record '"169.254.50.1/24"' || fail "address not reported"
        wait_until 10 has_record '"object":"bad0"' || fail "interface not reported"
        wait_until 10 has_record '"kind":"net-route"' || fail "route not reported"
        sentinel 2
        link_up bad0 || fail "audit-only set an interface down"
        has_addr 169.254.50.1/24 base0 || fail "audit-only removed an address"
        default_route "via 169.254.10.99" || fail "audit-only removed a route"
        grep -q 169.254.66.66 "$T/etc/resolv.conf" || fail "audit-only restored a file"
        grep -q '"result":"reverted"' "$EVENTS" && fail "audit-only record says reverted"
        grep -q 'audit-only' "$EVENTS" || fail "staff wording for audit-only missing"
        pass "audit-only reports without touching"
        ;;
quarantine|quarantine-restart)
        command -v nft >/dev/null || skip "nft (nftables) is not installed"
        command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"
        setup_net
        ip -n "$NS" link add veth0 type veth peer name veth1 netns "$PEER"
        ip -n "$NS" addr add 169.254.20.1/24 dev veth0
        ip -n "$NS" link set veth0 up
        ip -n "$PEER" addr add 169.254.20.2/24 dev veth1   # remediation endpoint
        ip -n "$PEER" addr add 169.254.20.3/24 dev veth1   # anything else
        ip -n "$PEER" link set veth1 up
        write_policy revert; start_guard
        reach() { in_ns ping -c 1 -W 1 "$1" >/dev/null 2>&1; }
        table() { in_ns nft list table inet mamori >/dev/null 2>&1; }
        no_table() { ! table; }
        wait_until 10 reach 169.254.20.3 || fail "the peer is not reachable before quarantine"

        "$MAMORICTL" quarantine on --state-dir "$T/state" --reason "virus found by the test" || fail "quarantine on"
        wait_until 10 has_record '"kind":"quarantine-on"' || fail "no quarantine record"
        table || fail "no nftables table inet mamori"
        reach 169.254.20.2 || fail "the remediation endpoint is not reachable in quarantine"
        reach 169.254.20.3 && fail "a non-remediation address is reachable in quarantine"
        in_ns ping -c 1 -W 1 127.0.0.1 >/dev/null || fail "loopback is cut in quarantine"
        grep -q 'virus found by the test' "$EVENTS" || fail "the reason is not in the record"
        pass "quarantine: remediation endpoint and loopback only"

        if [ "$CASE" = quarantine-restart ]; then
                stop_guard
                table || fail "the table went away with the agent"
                reach 169.254.20.3 && fail "quarantine did not hold while the agent was stopped"
                in_ns nft flush ruleset   # as after a reboot: the kernel forgot the table
                reach 169.254.20.3 || fail "flush did not open the network"
                start_guard
                wait_until 10 table || fail "quarantine not re-applied at start"
                reach 169.254.20.3 && fail "quarantine does not hold after the restart"
                reach 169.254.20.2 || fail "remediation endpoint not reachable after the restart"
                pass "quarantine persisted across an agent restart"
        fi

        "$MAMORICTL" quarantine off --state-dir "$T/state" || fail "quarantine off"
        wait_until 10 has_record '"kind":"quarantine-off"' || fail "no record of the end of quarantine"
        wait_until 10 no_table || fail "the table is still there"
        reach 169.254.20.3 || fail "the network is still cut after quarantine off"
        pass "quarantine off opens the network again"
        ;;
profile|profile-audit-only)
        # A city's shipped profile, byte for byte (a copy, so that its directory is root's alone,
        # as the agent demands), in force in the namespace: a rogue interface is taken down, a
        # foreign address removed, an address of the profile's segment kept, an unapproved name
        # server reverted, and each record cites the profile's requirement IDs and clause.
        # profile-audit-only: the same profile with its audit-only rollout switch turned on.
        PROFILE=${4:?"usage: netns-test.sh $CASE MAMORID MAMORICTL PROFILE_DIR"}
        command -v python3 >/dev/null || skip "python3 is not installed"
        python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
        setup_net
        install -m 0644 "$PROFILE"/*.yaml "$T/policy/"
        # the shipped directory itself where the agent trusts it (a root-owned checkout), else
        # the copy, saying why (the agent refuses a directory others may write: StrictModes)
        if [ "$CASE" = profile ] && why=$("$MAMORID" --check-policy "$PROFILE" 2>&1); then
                POLICY_DIR=$PROFILE
                echo "policy: $PROFILE itself"
        elif [ "$CASE" = profile ]; then
                echo "policy: a copy of $PROFILE ($why)"
        fi
        if [ "$CASE" = profile-audit-only ]; then
                sed -i 's/^  audit-only: false$/  audit-only: true/' "$T/policy/10-base.yaml"
                grep -q '^  audit-only: true$' "$T/policy/10-base.yaml" || fail "the profile has no audit-only switch"
        fi
        # what the profile says, read with PyYAML: the interfaces item's clause and requirements,
        # and a host inside its first address prefix
        read -r clause reqs inside < <(python3 - "${POLICY_DIR:-$T/policy}" <<'PY'
import glob, ipaddress, sys, yaml
net = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    net.update((yaml.safe_load(open(f, encoding="utf-8")) or {}).get("network") or {})
i = net["interfaces"]
p = ipaddress.ip_network(net["addresses"]["allow"][0])
print(i["clause"].replace(" ", "_"), ",".join(i["requirements"]), f"{p[5]}/{p.prefixlen}")
PY
)
        [ -n "$inside" ] || fail "cannot read the profile's network section"
        clause=${clause//_/ }
        start_guard
        # the rogue link: a dummy, or a bridge where the kernel has no dummy driver (never silently)
        if ip -n "$NS" link add bad0 type dummy 2>/dev/null; then echo "rogue interface bad0: dummy"
        elif ip -n "$NS" link add bad0 type bridge; then echo "rogue interface bad0: bridge (no dummy driver here)"
        else fail "the kernel has neither dummy nor bridge links"; fi
        ip -n "$NS" link set bad0 up
        ip -n "$NS" addr add 198.51.100.7/24 dev base0
        ip -n "$NS" addr add "$inside" dev base0
        printf 'nameserver 198.51.100.53\n' > "$T/etc/resolv.conf"
        wait_until 10 has_record '"object":"bad0"' || fail "no record for the rogue interface"
        wait_until 10 has_record '"198.51.100.7/24"' || fail "no record for the foreign address"
        wait_until 10 has_record '"kind":"net-file"' || fail "no record for the name server change"
        sentinel 4
        rec=$(grep '"object":"bad0"' "$EVENTS" | head -n 1)
        grep -q '"rule":"network.interfaces"' <<< "$rec" || fail "the record names no rule: $rec"
        grep -qF '"requirements":"'"$reqs"'"' <<< "$rec" || fail "the record does not cite $reqs: $rec"
        grep -qF '"clause":"'"$clause"'"' <<< "$rec" || fail "the record does not cite '$clause': $rec"
        if [ "$CASE" = profile ]; then
                wait_until 10 link_down bad0 || fail "the rogue interface is still up"
                wait_until 10 no_addr 198.51.100.7/24 base0 || fail "the foreign address is still there"
                wait_until 10 same_file "$T/etc/resolv.conf" "$T/resolv.baseline" || fail "the name server change stayed"
                has_addr "$inside" base0 || fail "an address of the profile's segment ($inside) was removed"
                grep -q '"result":"reverted"' <<< "$rec" || fail "the record does not say reverted: $rec"
                pass "$(basename "$PROFILE"): rogue interface down, foreign address removed, name server reverted, citing $reqs ($clause)"
        else
                link_up bad0 || fail "audit-only set the rogue interface down"
                has_addr 198.51.100.7/24 base0 || fail "audit-only removed the foreign address"
                grep -q 198.51.100.53 "$T/etc/resolv.conf" || fail "audit-only restored the resolver file"
                grep -q '"result":"reverted"' "$EVENTS" && fail "an audit-only record says reverted"
                grep -q '"result":"reported"' <<< "$rec" || fail "the record does not say reported: $rec"
                pass "$(basename "$PROFILE") with audit-only: everything reported, nothing undone"
        fi
        ;;
policy-errors)
        # the network section goes through the policy loader: mamorid --check-policy names file:line:col
        check() {
                rm -rf "$T/bad"; mkdir -p "$T/bad"
                printf 'rules:\n  - id: r\n    action: block\n%b' "$1" > "$T/bad/10-x.yaml"
                out=$("$MAMORID" --check-policy "$T/bad" 2>&1) && fail "accepted: $1"
                [[ "$out" == *"$T/bad/10-x.yaml:$2"* ]] || fail "wrong error for '$1': $out"
        }
        check 'network:\n  interfaces:\n    allow:\n      - type: modem\n' "7:15: unknown interface type 'modem'"
        check 'network:\n  addresses:\n    allow: ["10.0.0.0/33"]\n' "6:13: invalid addresses '10.0.0.0/33'"
        check 'network:\n  dns:\n    action: undo\n    allow: ["192.0.2.1"]\n' "6:13: 'action' must be 'revert' or 'report'"
        check 'network:\n  gateway:\n    allow: ["192.0.2.1"]\n' "5:3: unknown key 'gateway' in 'network'"
        check 'network:\n  quarantine:\n    remediation:\n      - address: "192.0.2.1"\n        port: 443\n' \
                "7:9: 'port' needs a 'protocol'"
        setup_net; write_policy revert
        "$MAMORID" --check-policy "$T/policy" >/dev/null || fail "the good policy was refused"
        pass "network section errors name file:line:col"
        ;;
*)
        echo "unknown case '$CASE'"; exit 2 ;;
esac
exit 0
