#!/bin/bash
# mkrootfs.sh KCACHE CACHE
#
# A minimal Debian (the host's release, debootstrap --variant=minbase) with systemd,
# udev and kmod, for running mamorid as its real systemd unit under the real kernel.
# The tree is kept in CACHE/tree and reused: debootstrap runs again only when the package
# list below changes, the rest (kernel modules, test control channel) whenever this script,
# guest-control.sh or the kernel changed. Each test run copies the tree, installs the build
# into the copy (meson install --destdir) and makes an ext4 image of it (vm-test.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kcache=$(cd "${1:?usage: mkrootfs.sh KCACHE CACHE}" && pwd)
cache=${2:?usage: mkrootfs.sh KCACHE CACHE}
mkdir -p "$cache"
cd "$cache"
exec 9> .lock
flock 9

packages=systemd,systemd-sysv,udev,kmod,libyaml-0-2,libmnl0,libblkid1,libmount1,libgcrypt20,libjson-c5,libdconf1,liblz4-1,zlib1g,dbus
kver=$(cat "$kcache/kver")
stamp="$packages $kver $(cat "$here/mkrootfs.sh" "$here/guest-control.sh" | md5sum | cut -d' ' -f1)"
[ -e tree/.done ] && [ "$(cat tree/.done)" = "$stamp" ] && exit 0

# shellcheck source=/dev/null
. /etc/os-release
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
if [ ! -e tree/.debootstrap-done ] || [ "$(cat tree/.debootstrap-done)" != "$packages" ]; then
        rm -rf tree
        t0=$(date +%s)
        debootstrap --variant=minbase --include="$packages" "$VERSION_CODENAME" tree "$mirror" >/dev/null
        rm -rf tree/var/cache/apt/archives/*.deb tree/var/lib/apt/lists/*_Packages
        echo "$packages" > tree/.debootstrap-done
        echo "# debootstrap ($VERSION_CODENAME, $mirror): $(($(date +%s) - t0)) s"
fi

# kernel modules: the same set as the initramfs, with dependencies
mroot=$kcache/root
rm -rf tree/lib/modules
for m in usbcore xhci-pci ehci-pci usb-storage uas sd_mod vfat nls_cp437 nls_ascii usbhid hid-generic evdev \
         virtio_pci virtio_blk crc32c_generic ext4; do
        modprobe -d "$mroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
        mkdir -p "tree/$(dirname "${ko#"$mroot"}")"
        cp "$ko" "tree/${ko#"$mroot"}"
done
cp "$mroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "tree/lib/modules/$kver/"
depmod -b tree "$kver"

# The test control channel on ttyS1, as a service. It runs scripts written for busybox, whose
# "usleep" Debian does not have: without it every bounded wait would spin without waiting.
install -m 0755 "$here/guest-control.sh" tree/usr/local/sbin/guest-control
cat > tree/usr/local/bin/usleep <<'SH'
#!/bin/sh
# usleep MICROSECONDS (busybox's, for the test control channel)
n=${1:-0}
exec sleep "$((n / 1000000)).$(printf '%06d' $((n % 1000000)))"
SH
chmod 0755 tree/usr/local/bin/usleep
cat > tree/etc/systemd/system/vm-control.service <<'UNIT'
[Unit]
Description=test control channel on ttyS1
[Service]
ExecStart=/usr/local/sbin/guest-control /dev/ttyS1
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/vm-control.service tree/etc/systemd/system/multi-user.target.wants/vm-control.service
# Nothing on the network in the guest; these would only add boot time.
rm -f tree/etc/systemd/system/timers.target.wants/*.timer
echo mamori-vm > tree/etc/hostname
printf '/dev/vda / ext4 rw 0 1\n' > tree/etc/fstab
echo "$stamp" > tree/.done
