#!/bin/bash
# mkinitramfs.sh [--kernel CACHE] [--udevd] [--bin SRC[:DST]]... [--file SRC:DST]... OUT.cpio
#
# Writes an uncompressed newc cpio archive. The kernel accepts several archives
# concatenated, so the tests build a large base once (--kernel: busybox, the
# USB/SCSI/HID modules with their dependencies, /init; --udevd: this machine's
# systemd-udevd with its rules) and a small overlay per run with the freshly
# built binaries (--bin copies an executable and the shared libraries ldd
# names; --file copies one file).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
modules="usbcore xhci-pci ehci-pci usb-storage uas sd_mod sr_mod vfat nls_cp437 nls_ascii nls_iso8859-1
         usbhid hid-generic evdev"
# loaded only for mamori.root= (the Debian guest)
root_modules="virtio_pci virtio_blk crc32c_generic ext4"
kcache='' udevd=0 bins=() files=()
while [ $# -gt 1 ]; do
        case $1 in
        --kernel) kcache=$2; shift 2 ;;
        --udevd) udevd=1; shift ;;
        --bin) bins+=("$2"); shift 2 ;;
        --file) files+=("$2"); shift 2 ;;
        *) echo "mkinitramfs: unknown option '$1'" >&2; exit 2 ;;
        esac
done
out=${1:?usage: mkinitramfs.sh [options] OUT.cpio}
stage=$(mktemp -d "${TMPDIR:-/tmp}/mamori-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

put() { # put SRC DST: copy, following symlinks, creating parents
        mkdir -p "$stage/$(dirname "$2")"
        cp -L "$1" "$stage/$2"
}
put_exe() { # put_exe SRC DST: the executable and every library it loads
        put "$1" "$2"
        local lib
        for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
                [ -e "$stage/$lib" ] || put "$lib" "$lib"
        done
}

if [ -n "$kcache" ]; then
        kver=$(cat "$kcache/kver")
        mroot=$kcache/root
        mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,usr/bin,usr/sbin,usr/local/sbin,usr/local/bin}
        cp /bin/busybox "$stage/bin/busybox"
        for applet in $(/bin/busybox --list); do
                [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
        done
        for m in $modules $root_modules; do
                modprobe -d "$mroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
        done | sort -u | while read -r ko; do
                put "$ko" "${ko#"$mroot"}"
        done
        cp "$mroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$stage/lib/modules/$kver/"
        depmod -b "$stage" "$kver"
        printf '%s\n' $modules > "$stage/etc/vm-modules"
        printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
        printf 'root:x:0:\ntty:x:5:\ndisk:x:6:\nplugdev:x:46:\ninput:x:101:\n' > "$stage/etc/group"
        cp "$here/guest-init.sh" "$stage/init"
        cp "$here/guest-control.sh" "$stage/bin/guest-control.sh"
        chmod 755 "$stage/init" "$stage/bin/guest-control.sh"
fi
if [ "$udevd" = 1 ]; then
        put_exe /bin/udevadm /bin/udevadm
        mkdir -p "$stage/lib/systemd"
        ln -sf /bin/udevadm "$stage/lib/systemd/systemd-udevd"
        mkdir -p "$stage/lib/udev"
        cp -a /lib/udev/rules.d "$stage/lib/udev/"
        for prog in ata_id scsi_id cdrom_id; do
                [ -x "/lib/udev/$prog" ] && put_exe "/lib/udev/$prog" "/lib/udev/$prog"
        done
fi
for b in "${bins[@]}"; do
        src=${b%%:*}
        dst=${b#*:}
        [ "$dst" != "$b" ] || dst=/usr/local/sbin/$(basename "$src")
        put_exe "$src" "$dst"
done
for f in "${files[@]}"; do
        put "${f%%:*}" "${f#*:}"
done
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
