#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks packaging/NetworkManager/90-mamori.conf as NetworkManager reads it (a GKeyFile: INI with
# [device-*] sections, `match-device=` a comma-separated list of device specs, any of which
# matches): USB tethering drivers and Wi-Fi must be unmanaged (NET-03, NET-04), wired Ethernet
# must stay managed.
#   nm-conf-test.py CONF
import configparser
import sys

conf = configparser.ConfigParser(interpolation=None, strict=True)
with open(sys.argv[1], encoding='utf-8') as f:
    conf.read_file(f)

unmanaged = set()
for name in conf.sections():
    assert name.startswith('device'), f'unexpected section [{name}]'
    sec = conf[name]
    assert set(sec.keys()) <= {'match-device', 'managed'}, f'unexpected keys in [{name}]: {set(sec.keys())}'
    assert sec.get('managed') in ('0', 'false'), f'[{name}] does not set managed=0'
    specs = [s.strip() for s in sec['match-device'].split(',')]
    for s in specs:
        kind, _, value = s.partition(':')
        assert kind in ('driver', 'type', 'interface-name'), f'unknown device spec {s!r} in [{name}]'
        assert value, f'empty device spec {s!r}'
    unmanaged.update(specs)

for want in ('driver:rndis_host', 'driver:cdc_ether', 'driver:cdc_ncm', 'driver:ipheth', 'type:wifi'):
    assert want in unmanaged, f'{want} is not unmanaged'
for keep in ('type:ethernet', 'driver:e1000e', 'driver:r8169'):
    assert keep not in unmanaged, f'{keep} must stay managed'
print('ok: tethering drivers and Wi-Fi unmanaged, wired Ethernet managed:', ', '.join(sorted(unmanaged)))
