#!/bin/sh
# qemu-rig.sh ROOT: add to the rig VM's initramfs at ROOT what it needs to
# run the patched QEMU nested (vm-test.sh runs it as VM_EXTRA, with KVER,
# VMLINUZ and MODDIR of the rig's kernel set):
#
#   /bin/qemu-system-x86_64       scripts/qemu.sh's build, stripped, and the
#                                 shared libraries it links, at their paths
#   /bin/qemu-plain               with VQN_RIG_PLAIN=1: scripts/qemu.sh
#                                 --plain's build (no libvqnotify), stripped
#   /usr/share/qemu/              SeaBIOS, iPXE's virtio ROM, linuxboot_dma
#                                 (Debian's seabios, ipxe-qemu, qemu-system-data)
#   /lib/vqn-qemu/*.ko, order     vhost_net and tun for the rig's kernel
#   /nested/vmlinuz, initrd.gz    the nested guest: the rig's own kernel and a
#                                 busybox initramfs with virtio_pci, virtio_blk,
#                                 virtio_net (integrations/qemu/tests/nested-init)
#   /bin/vqn-qmp                  the QMP client the test drives QEMU with
#   /lib/vqn-qemu/kvm-shim.so     LD_PRELOAD: QEMU's KVM_IOEVENTFD calls
#                                 logged with KVM's answer, and refused in
#                                 a range on demand; one eventfd() failed
#                                 on demand (vqn-kvm-shim.c)
#   /lib/vqn-qemu/lib.sh          the test's and the demo's shell functions
#
# QEMU=path uses that binary instead of building one, QEMU_PLAIN=path that
# one for /bin/qemu-plain.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
[ $# -eq 1 ] && [ -d "$1" ] || die "usage: $0 ROOT (from vm-test.sh VM_EXTRA)"
root=$(cd "$1" && pwd)
: "${KVER:?}" "${VMLINUZ:?}" "${MODDIR:?}"
tests=$TOP/integrations/qemu/tests

qemu=${QEMU:-$("$VQN_SCRIPTS/qemu.sh")} || die "no QEMU (scripts/qemu.sh failed)"
mkdir -p "$root/usr/share/qemu" "$root/lib/vqn-qemu" \
	"$root/nested" "$root/lib64"
strip -o "$root/bin/qemu-system-x86_64" "$qemu"
plain=
if [ "${VQN_RIG_PLAIN:-0}" = 1 ] || [ -n "${QEMU_PLAIN:-}" ]; then
	plain=${QEMU_PLAIN:-$("$VQN_SCRIPTS/qemu.sh" --plain)} ||
		die "no QEMU without libvqnotify (scripts/qemu.sh --plain failed)"
	strip -o "$root/bin/qemu-plain" "$plain"
fi

# The dynamic loader and every library, at the path the binaries look for.
ldd "$qemu" ${plain:+"$plain"} | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
	sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done

# Firmware: the pc machine's BIOS, the virtio-net option ROM, -kernel's.
for f in /usr/share/seabios/bios-256k.bin /usr/lib/ipxe/qemu/efi-virtio.rom \
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin; do
	[ -r "$f" ] || die "$f missing: run scripts/deps.sh"
	cp -L "$f" "$root/usr/share/qemu/"
done

# The rig side of vhost-net.
base=${MODDIR%/lib/modules/*}
: >"$root/lib/vqn-qemu/order"
for m in $(ko_deps "$base" "$KVER" vhost_net tun); do
	ko_plain "$m" "$root/lib/vqn-qemu" >>"$root/lib/vqn-qemu/order"
done

# The nested guest: the same kernel, its virtio drivers, busybox.
n=$BUILD/nested-$KVER
rm -rf "$n"
mkdir -p "$n/bin" "$n/proc" "$n/sys" "$n/dev" "$n/tmp" "$n/lib/mod"
cp /bin/busybox "$n/bin/busybox"
ln -s busybox "$n/bin/sh"
cp "$tests/nested-init" "$n/init"
chmod 755 "$n/init"
: >"$n/lib/mod/order"
for m in $(ko_deps "$base" "$KVER" virtio_pci virtio_blk virtio_net); do
	ko_plain "$m" "$n/lib/mod" >>"$n/lib/mod/order"
done
(cd "$n" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$root/nested/initrd.gz"
cp "$VMLINUZ" "$root/nested/vmlinuz"

cc -O2 -Wall -Wextra -Werror -static -o "$root/bin/vqn-qmp" "$tests/vqn-qmp.c"
cc -O2 -Wall -Wextra -Werror -shared -fPIC -I"$TOP/include/uapi" \
	-I"$TOP/selftests" \
	-o "$root/lib/vqn-qemu/kvm-shim.so" "$tests/vqn-kvm-shim.c"
cp "$tests/qemu-lib.sh" "$root/lib/vqn-qemu/lib.sh"
