// SPDX-License-Identifier: GPL-2.0-or-later
// Runs packaging/polkit/51-mamori-software.rules the way polkitd does (as
// tests/netns/polkit-rules-test.js does for the network rule): the rule functions run in order and
// the first result other than NOT_HANDLED decides; the file must be ECMAScript 5 (polkit's
// duktape), parsed with acorn (Debian: node-acorn).
//   node polkit-software-test.js RULES_FILE
'use strict';
const fs = require('fs');
const vm = require('vm');
const assert = require('assert');

const file = process.argv[2];
const source = fs.readFileSync(file, 'utf8');

let acorn = null;
for (const name of ['acorn', '/usr/share/nodejs/acorn']) {
    try { acorn = require(name); break; } catch (e) { /* next */ }
}
if (!acorn) {
    console.log('SKIP: acorn is not installed (Debian: node-acorn), cannot check the ES5 syntax');
    process.exit(77);
}
acorn.parse(source, { ecmaVersion: 5 });
console.log('ok: ES5 syntax');

const Result = { NO: 'no', YES: 'yes', AUTH_SELF: 'auth_self', AUTH_SELF_KEEP: 'auth_self_keep',
                 AUTH_ADMIN: 'auth_admin', AUTH_ADMIN_KEEP: 'auth_admin_keep', NOT_HANDLED: null };
const rules = [];
const polkit = {
    Result: Result,
    addRule: (f) => { rules.push(f); },
    addAdminRule: () => { },
    log: () => { },
    spawn: () => { throw new Error('rules must not spawn programs'); },
};
vm.runInNewContext(source, { polkit: polkit }, { filename: file });
assert.ok(rules.length > 0, 'the file adds no rule');

function subject(user, groups) {
    return { user: user, groups: groups, pid: 4242, seat: 'seat0', session: 'c1', local: true, active: true,
             isInGroup: (g) => groups.indexOf(g) >= 0, isInNetGroup: () => false };
}
function check(id, subj) {
    const action = { id: id, lookup: () => undefined };
    for (const r of rules) {
        const res = r(action, subj);
        if (res !== Result.NOT_HANDLED && res !== undefined)
            return res;
    }
    return 'default';
}

const staff = subject('yamada', ['yamada', 'users']);
const contractor = subject('vendor1', ['vendor1']);
const admin = subject('it-admin', ['it-admin', 'sudo']);
const secoffice = subject('sec', ['sec', 'mamori-admin']);
const root = subject('root', ['root']);

const denied = ['org.freedesktop.packagekit.package-install', 'org.freedesktop.packagekit.package-install-untrusted',
                'org.freedesktop.packagekit.system-trust-signing-key',
                'org.freedesktop.packagekit.system-sources-configure',
                'org.debian.apt.install-or-remove-packages', 'org.debian.apt.install-file',
                'org.debian.apt.install-purchased-packages', 'org.debian.apt.change-repository',
                'org.debian.apt.add-vendor-key',
                'org.freedesktop.Flatpak.app-install', 'org.freedesktop.Flatpak.runtime-install',
                'org.freedesktop.Flatpak.install-bundle', 'org.freedesktop.Flatpak.modify-repo',
                'io.snapcraft.snapd.manage'];
for (const a of denied) {
    for (const s of [staff, contractor])
        assert.strictEqual(check(a, s), 'no', `${a} must be refused to ${s.user}`);
    for (const s of [admin, secoffice, root])
        assert.strictEqual(check(a, s), 'default', `${a} must keep its default for ${s.user}`);
}
console.log('ok: staff refused, administrators keep the defaults: ' + denied.length + ' actions');

// Updates, refreshing the cache and removing software are not installs.
for (const a of ['org.freedesktop.packagekit.system-update', 'org.freedesktop.packagekit.trigger-offline-update',
                 'org.freedesktop.packagekit.system-network-proxy-configure', 'org.debian.apt.update-cache',
                 'org.debian.apt.upgrade-packages', 'org.freedesktop.Flatpak.app-update',
                 'org.freedesktop.NetworkManager.settings.modify.own', 'org.freedesktop.login1.power-off']) {
    assert.strictEqual(check(a, staff), 'default', `${a} must not be handled`);
}
console.log('ok: other actions are left to their defaults');
