#!/bin/bash
# mkrootfs.sh KCACHE CACHE
#
# A minimal Debian (the host's release, debootstrap --variant=minbase) with systemd,
# udev and kmod, for running mamorid as its real systemd unit under the real kernel.
# The tree is kept in CACHE/tree and reused; the kernel modules of KCACHE that the
# tests need are copied into it. Each test run copies the tree, installs the build
# into the copy (meson install --destdir) and makes an ext4 image of it (vm-test.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kcache=$(cd "${1:?usage: mkrootfs.sh KCACHE CACHE}" && pwd)
cache=${2:?usage: mkrootfs.sh KCACHE CACHE}
mkdir -p "$cache"
cd "$cache"
[ -e tree/.done ] && exit 0

. /etc/os-release
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
if [ ! -e tree/.debootstrap-done ]; then
        rm -rf tree
        debootstrap --variant=minbase \
                --include=systemd,systemd-sysv,udev,kmod,libyaml-0-2,libmnl0,libblkid1,libssl3,dbus \
                "$VERSION_CODENAME" tree "$mirror" >/dev/null
        touch tree/.debootstrap-done
fi

# kernel modules: the same set as the initramfs, with dependencies
kver=$(cat "$kcache/kver")
mroot=$kcache/root
for m in usbcore xhci-pci ehci-pci usb-storage uas sd_mod vfat nls_cp437 nls_ascii usbhid hid-generic evdev \
         virtio_pci virtio_blk crc32c_generic ext4; do
        modprobe -d "$mroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
        mkdir -p "tree/$(dirname "${ko#"$mroot"}")"
        cp "$ko" "tree/${ko#"$mroot"}"
done
cp "$mroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "tree/lib/modules/$kver/"
depmod -b tree "$kver"

# the test control channel on ttyS1, as a service
install -m 0755 "$here/guest-control.sh" tree/usr/local/sbin/guest-control
cat > tree/etc/systemd/system/vm-control.service <<'UNIT'
[Unit]
Description=test control channel on ttyS1
After=systemd-udev-settle.service
[Service]
ExecStart=/usr/local/sbin/guest-control /dev/ttyS1
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/vm-control.service tree/etc/systemd/system/multi-user.target.wants/vm-control.service
echo mamori-vm > tree/etc/hostname
printf '/dev/vda / ext4 rw 0 1\n' > tree/etc/fstab
rm -rf tree/var/cache/apt/archives/*.deb
touch tree/.done
