#!/bin/bash
# mkimages.sh OUTDIR
#
# USB-stick images for the real-kernel tests, made from sparse regular files:
# cryptsetup writes only a LUKS header, so no loop device, mount or dm is needed.
# LUKS UUIDs are fixed, so policies can name them.
#
#   luks2.img      LUKS2 over the whole disk        UUID 11111111-2222-4333-8444-555555555555
#   luks1.img      LUKS1 over the whole disk        UUID 11111111-2222-4333-8444-666666666666
#   foreign.img    LUKS2, another UUID               UUID 99999999-8888-4777-8666-555555555555
#   fat.img        FAT32 "superfloppy", no encryption
#   mbr-luks.img   MBR, partition 1 LUKS2           UUID 11111111-2222-4333-8444-777777777777
#   mixed.img      MBR, p1 LUKS2 (the 777… UUID), p2 FAT (one unencrypted partition)
#   many.img       GPT with 40 LUKS1 partitions (UUIDs …-0000000000NN)
#   zero.img       no signature at all
set -euo pipefail
out=${1:?usage: mkimages.sh OUTDIR}
mkdir -p "$out"
cd "$out"
printf 'mamori-test-passphrase' > key

luks() { # luks TYPE UUID FILE
        cryptsetup luksFormat --batch-mode --type "$1" --uuid "$2" --key-file key \
                --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$3"
}
fresh() { rm -f "$1"; truncate -s "$2" "$1"; }

fresh luks2.img 32M; luks luks2 11111111-2222-4333-8444-555555555555 luks2.img
fresh luks1.img 32M; luks luks1 11111111-2222-4333-8444-666666666666 luks1.img
fresh foreign.img 32M; luks luks2 99999999-8888-4777-8666-555555555555 foreign.img
fresh fat.img 40M; mkfs.vfat -F 32 -n MAMORIFAT fat.img >/dev/null
fresh zero.img 16M

# partition payloads are written in place: LUKS headers at the partition start
put_at() { # put_at IMG OFFSET_MIB PAYLOAD
        dd if="$3" of="$1" bs=1M seek="$2" conv=notrunc,sparse status=none
}
fresh p.luks 20M; luks luks2 11111111-2222-4333-8444-777777777777 p.luks
fresh p.fat 40M; mkfs.vfat -F 32 -n MAMORIP2 p.fat >/dev/null

fresh mbr-luks.img 24M
printf 'start=1MiB, size=20MiB, type=83\n' | sfdisk --quiet mbr-luks.img
put_at mbr-luks.img 1 p.luks

fresh mixed.img 64M
printf 'start=1MiB, size=20MiB, type=83\nstart=21MiB, size=40MiB, type=c\n' | sfdisk --quiet mixed.img
put_at mixed.img 1 p.luks
put_at mixed.img 21 p.fat

# 40 partitions of 3 MiB, each a LUKS1 header (LUKS1 with one key slot fits in ~1 MiB)
fresh many.img 130M
{
        echo "label: gpt"
        for i in $(seq 1 40); do echo "size=3MiB"; done
} | sfdisk --quiet many.img
for i in $(seq 1 40); do
        fresh p.small 3M
        luks luks1 "$(printf '00000000-0000-4000-8000-0000000000%02d' "$i")" p.small
        put_at many.img $((1 + (i - 1) * 3)) p.small
done
rm -f p.luks p.fat p.small
