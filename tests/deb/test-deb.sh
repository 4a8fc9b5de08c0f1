#!/bin/bash
# test-deb.sh SRCDIR OUTDIR MESON_VERSION: build the mamori-agent package with
# packaging/build-deb.sh, check what it holds and declares, and run lintian on it: no error and
# no warning may remain (overrides need a reason in packaging/debian/*lintian-overrides).
# Exit 77 (skip) when the Debian packaging tools are missing.
set -euo pipefail
src=${1:?usage: test-deb.sh SRCDIR OUTDIR MESON_VERSION}
out=${2:?}
meson_version=${3:?}

for tool in dpkg-buildpackage dh fakeroot lintian; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP: $tool is missing (apt-get install debhelper dpkg-dev fakeroot lintian)"
                exit 77
        fi
done

failed=0
n=0
check() {       # check DESCRIPTION COMMAND...
        local what=$1
        shift
        n=$((n + 1))
        if "$@"; then
                echo "ok $n - $what"
        else
                echo "not ok $n - $what"
                failed=$((failed + 1))
        fi
}

version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
check "debian/changelog version ($version) is the meson project version ($meson_version)" \
        test "$version" = "$meson_version"

start=$SECONDS
"$src/packaging/build-deb.sh" "$out"
echo "# build-deb.sh: $((SECONDS - start)) s"
arch=$(dpkg --print-architecture)
deb=$out/mamori-agent_${version}_${arch}.deb
check "the package was built: $(basename "$deb")" test -f "$deb"
[ -f "$deb" ] || exit 1

contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
for path in /usr/sbin/mamorid /usr/bin/mamorictl /lib/systemd/system/mamorid.service \
            /lib/udev/rules.d/70-mamori.rules /usr/lib/tmpfiles.d/mamori.conf \
            /usr/share/polkit-1/rules.d/50-mamori-network.rules \
            /usr/share/dbus-1/system.d/org.mamori.Agent1.conf /usr/share/polkit-1/actions/org.mamori.policy \
            /usr/lib/NetworkManager/conf.d/90-mamori.conf /etc/default/grub.d/mamori.cfg \
            /etc/mamori/mamorid.conf /etc/mamori/policy.d/ \
            /usr/share/man/man8/mamorid.8.gz /usr/share/man/man1/mamorictl.1.gz \
            /usr/share/man/man5/mamori-policy.5.gz /usr/share/man/man5/mamorid.conf.5.gz \
            /usr/share/locale/ja/LC_MESSAGES/mamori.mo \
            /usr/share/mamori/examples/default/10-base.yaml /usr/share/mamori/examples/kobe/50-media.yaml; do
        check "package holds $path" grep -qxF "$path" <<<"$contents"
done
check "policy.d/ is shipped empty" test "$(grep -c '^/etc/mamori/policy.d/.' <<<"$contents")" = 0
check "no test program or benchmark is shipped" \
        test "$(grep -cE '/(tests?|bench)/|media-probe' <<<"$contents")" = 0

conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)
check "conffiles: mamorid.conf, the GRUB drop-in and the screen lock's dconf settings, nothing else" \
        test "$(sort <<<"$conffiles" | tr '\n' ' ')" = "/etc/dconf/db/mamori.d/00-mamori-screenlock /etc/dconf/db/mamori.d/locks/00-mamori-screenlock /etc/default/grub.d/mamori.cfg /etc/mamori/mamorid.conf "
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
for dep in systemd udev libsystemd0 libudev1 libyaml-0-2 libgcrypt20; do
        check "Depends names $dep" grep -qE "(^|, )$dep( |,|$)" <<<"$depends"
done
scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst ./prerm ./postrm)
check "maintainer scripts never ask a question (no debconf)" \
        test "$(grep -c 'debconf\|db_input\|read ' <<<"$scripts")" = 0
check "postinst enables mamorid.service (deb-systemd-helper enable)" \
        grep -q "deb-systemd-helper enable 'mamorid.service'" <<<"$scripts"

echo "# lintian $(lintian --version | awk '{ print $2 }')"
lint=0
report=$(lintian --info --display-experimental --pedantic --fail-on error,warning \
        "$out/mamori_${version}_${arch}.changes" 2>&1) || lint=$?
grep -v "^running with root privileges" <<<"$report" || echo "# lintian: no tags"
check "lintian: no error, no warning" test "$lint" = 0

echo "# $n checks, $failed failed"
[ "$failed" = 0 ]
