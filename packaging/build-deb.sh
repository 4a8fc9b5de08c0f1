#!/bin/bash
# build-deb.sh OUTDIR: build the mamori-agent Debian package from this source tree.
#
# The package's debian/ directory lives in packaging/debian/ (the repository's top level is the
# meson project). This script copies the tracked and untracked-but-not-ignored files of the
# tree (every file when it is not a git checkout, minus build directories) into a temporary
# directory, puts packaging/debian/ at its top as debian/, runs `dpkg-buildpackage -us -uc -b`
# there and moves the .deb, .buildinfo and .changes into OUTDIR. The checkout is not written.
#
# The build is skipped when OUTDIR already holds the package built from the same files
# (OUTDIR/.source-digest). Environment: DEB_BUILD_OPTIONS is passed on (parallel=N defaults
# to MAMORI_JOBS, else 2); MAMORI_DEB_KEEP=1 keeps the temporary tree.
set -euo pipefail

out=${1:?usage: build-deb.sh OUTDIR}
src=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
for tool in dpkg-buildpackage dh fakeroot; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "build-deb.sh: $tool is missing (apt-get install dpkg-dev debhelper fakeroot)" >&2
                exit 2
        fi
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
# one build at a time into OUTDIR (the 'deb' and 'vm' suites share it)
exec 9> "$out/.lock"
flock 9

work=$(mktemp -d "${TMPDIR:-/tmp}/mamori-deb.XXXXXX")
cleanup() { [ "${MAMORI_DEB_KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
tree=$work/mamori-$version
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # (a file deleted in the working tree but still in the index is left out)
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do
                        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
                done | xargs -0 cp --parents -d -t "$tree")
else
        tar -C "$src" --exclude='./build*' --exclude='./_build*' --exclude=./tests/vm/cache \
                --exclude=./local --exclude=./bench/out -cf - . | tar -C "$tree" -xf -
fi
rm -rf "$tree/debian"
cp -a "$tree/packaging/debian" "$tree/debian"

digest=$(cd "$tree" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$out/.source-digest" ] && [ "$(cat "$out/.source-digest")" = "$digest" ] &&
   compgen -G "$out/mamori-agent_${version}_*.deb" >/dev/null; then
        echo "build-deb.sh: $out already holds mamori-agent $version built from these files"
        exit 0
fi

opts=${DEB_BUILD_OPTIONS:-}
case " $opts " in *" parallel="*) ;; *) opts="$opts parallel=${MAMORI_JOBS:-2}" ;; esac
echo "build-deb.sh: building mamori-agent $version in $tree (DEB_BUILD_OPTIONS=${opts# })"
(cd "$tree" && DEB_BUILD_OPTIONS=${opts# } dpkg-buildpackage -us -uc -b)
rm -f "$out"/mamori-agent_*.deb "$out"/mamori-agent-dbgsym_*.deb "$out"/mamori_*.buildinfo "$out"/mamori_*.changes "$out/.source-digest"
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
echo "$digest" > "$out/.source-digest"
ls -l "$out"
