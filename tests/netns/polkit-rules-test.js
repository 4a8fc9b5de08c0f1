// SPDX-License-Identifier: GPL-2.0-or-later
// Runs packaging/polkit/50-mamori-network.rules the way polkitd does: the file is evaluated with a
// `polkit` object whose addRule() collects the rule functions; for each check, the rules run in
// order and the first result other than NOT_HANDLED decides; none at all means the action's own
// default applies. The file must also be plain ECMAScript 5, which is what polkit's engine
// (duktape) accepts: it is parsed with acorn (Debian: node-acorn) at ecmaVersion 5.
//   node polkit-rules-test.js RULES_FILE
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
acorn.parse(source, { ecmaVersion: 5 });   // throws on anything polkit's engine would refuse
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
const NM = 'org.freedesktop.NetworkManager.';

const denied = ['settings.modify.own', 'settings.modify.system', 'wifi.share.protected', 'wifi.share.open',
                'enable-disable-wifi', 'enable-disable-wwan'];
for (const a of denied) {
    for (const s of [staff, contractor])
        assert.strictEqual(check(NM + a, s), 'no', `${a} must be refused to ${s.user}`);
    for (const s of [admin, secoffice, root])
        assert.strictEqual(check(NM + a, s), 'default', `${a} must keep its default for ${s.user}`);
}
console.log('ok: staff refused, administrators keep the defaults: ' + denied.join(', '));

// What staff still need must not be touched by these rules.
for (const a of ['network-control', 'sleep-wake', 'settings.modify.hostname', 'enable-disable-network',
                 'checkpoint-rollback', 'reload']) {
    assert.strictEqual(check(NM + a, staff), 'default', `${a} must not be handled`);
}
assert.strictEqual(check('org.freedesktop.login1.power-off', staff), 'default');
assert.strictEqual(check('org.freedesktop.NetworkManager.wifi.scan', staff), 'default');
console.log('ok: other actions are left to their defaults');
