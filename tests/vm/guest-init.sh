#!/bin/sh
# /init of the mamori test initramfs (busybox).
#
# ttyS0 carries kernel messages and this script's progress lines (the host
# keeps them as console.log); ttyS1 is the control channel: the host writes one
# line per request, "<id> <base64 shell script>", and gets back
# "OUT <id> <base64 of stdout+stderr>" and "RC <id> <exit status>" lines.
# Kernel messages never mix into the replies.
#
# Kernel command line knobs read here:
#   usbcore.authorized_default=N   applied before any host controller probes
#   mamori.udevd=0                 do not start systemd-udevd
#   mamori.root=/dev/vda           mount that ext4 file system and switch_root to its
#                                  /sbin/init (the Debian guest with systemd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /run/udev /var/lib /var/tmp
mount -t devpts devpts /dev/pts

up() { cut -d' ' -f1 /proc/uptime; }

authdef=0
udevd=1
for word in $(cat /proc/cmdline); do
        case $word in
        usbcore.authorized_default=*) authdef=${word#*=} ;;
        mamori.udevd=*) udevd=${word#*=} ;;
        mamori.root=*) root=${word#*=} ;;
        esac
done

if [ -n "${root:-}" ]; then
        for mod in virtio_pci virtio_blk crc32c_generic ext4; do modprobe "$mod"; done
        mkdir -p /newroot
        mount -t ext4 "$root" /newroot || { echo "VM: cannot mount $root"; poweroff -f; }
        echo "VM: switching to $root at uptime $(up)"
        umount /run /tmp /dev/pts
        mount --move /dev /newroot/dev
        umount /proc /sys
        exec switch_root /newroot /sbin/init
fi

# usbcore first: the deny-by-default must be in place before xhci enumerates
modprobe usbcore
echo "$authdef" > /sys/module/usbcore/parameters/authorized_default
while read -r mod; do
        modprobe "$mod" || echo "VM: modprobe $mod failed"
done < /etc/vm-modules
# Only the kernel's own one-second settle delay would be measured otherwise.
echo 0 > /sys/module/usb_storage/parameters/delay_use

if [ "$udevd" = 1 ] && [ -x /lib/systemd/systemd-udevd ]; then
        /lib/systemd/systemd-udevd --daemon --resolve-names=never
        udevadm trigger --type=subsystems --action=add
        udevadm trigger --type=devices --action=add
        udevadm settle --timeout=20
fi
echo "VM: ready at uptime $(up), authorized_default=$(cat /sys/module/usbcore/parameters/authorized_default)"

/bin/guest-control.sh /dev/ttyS1
echo "VM: control channel closed"
poweroff -f
