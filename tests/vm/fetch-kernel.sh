#!/bin/sh
# fetch-kernel.sh CACHE
#
# Puts Debian's stock kernel into CACHE for the real-kernel tests: the image
# package that linux-image-amd64 currently points at is fetched with
# `apt-get download` (nothing is installed), unpacked with `dpkg -x`, its module
# index rebuilt, and the uncompressed ELF kernel extracted from the bzImage so
# QEMU can boot it through PVH (under TCG this skips the emulated decompressor).
#
# Result: CACHE/kver, CACHE/vmlinux, CACHE/root/lib/modules/<kver>/.
# Re-running with a complete cache does nothing.
set -eu
cache=${1:?usage: fetch-kernel.sh CACHE}
mkdir -p "$cache"
cd "$cache"

if [ -s kver ] && [ -s vmlinux ]; then
        cat kver
        exit 0
fi

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
        echo "fetch-kernel: apt does not know linux-image-amd64 (run apt-get update)" >&2
        exit 1
fi
kver=${pkg#linux-image-}

rm -f ./*.deb
apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null
rm -rf root
dpkg -x "$pkg"_*.deb root
rm -f ./*.deb
depmod -b root "$kver"

# Find the compressed payload inside the bzImage and keep the first candidate
# that decompresses to an ELF file (Debian uses xz; the others are fallbacks).
bz=root/boot/vmlinuz-$kver
extract() { # extract MAGIC-PATTERN DECOMPRESSOR
        for off in $(LC_ALL=C grep -obUaP "$1" "$bz" | cut -d: -f1); do
                tail -c +$((off + 1)) "$bz" | $2 > vmlinux.tmp 2>/dev/null || true
                if [ "$(head -c 4 vmlinux.tmp | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
                        mv vmlinux.tmp vmlinux
                        return 0
                fi
        done
        return 1
}
extract '\xfd7zXZ\x00' 'xz -dcq' ||
extract '\x28\xb5\x2f\xfd' 'zstd -dcq' ||
extract '\x1f\x8b\x08' 'gzip -dcq' || {
        rm -f vmlinux.tmp
        echo "fetch-kernel: no ELF kernel found inside $bz" >&2
        exit 1
}
echo "$kver" > kver
cat kver
