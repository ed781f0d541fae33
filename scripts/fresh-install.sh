#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's "As Debian packages" commands, run as a new administrator
# would: in a fresh Debian 12 (bookworm) minbase system made by debootstrap,
# on a clean clone of this tree's HEAD. The commands are read from
# README.md, so the README cannot drift from what is tested.
#
# Checks: the commands succeed; DKMS built and installed the module;
# the udev rule, modules-load.d file, vqnotifyctl, its man page and the
# library's pkg-config file are where the packages say; lintian found no
# error; `apt-get purge` of the four packages leaves no module, no DKMS
# tree, no file of theirs and no metrics file behind.
#
# Runs as root on the host (chroot; nothing is loaded, the host's kernel is
# not touched), downloads from Debian's archive (about 250 MB), takes about
# 4 min. Not part of `make check`: run it with `make check-fresh-install`.
# The README installs linux-headers-amd64, the headers of bookworm's
# kernel; should it name `linux-headers-$(uname -r)` again, that becomes
# linux-headers-amd64 where the chroot's kernel, the host's, is not Debian's.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
root=$BUILD/fresh-install/root

[ "$(id -u)" -eq 0 ] || die "fresh-install: needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || {
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
}

cleanup() {
	for m in proc sys dev; do
		mountpoint -q "$root/$m" && umount "$root/$m"
	done
	return 0
}
trap cleanup EXIT INT TERM

fail() { echo "fresh-install: FAIL: $*"; exit 1; }

# The README's package block: the indented lines after "As Debian packages",
# joined across backslashes, without sudo.
cmds=$(sed -n '/^As Debian packages/,/^## /p' "$TOP/README.md" |
	sed -n 's/^    //p' | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' |
	sed 's/sudo //g')
[ -n "$cmds" ] || fail "no package commands found in README.md"

cleanup
rm -rf "$BUILD/fresh-install"
mkdir -p "$BUILD/fresh-install"
log=$BUILD/fresh-install/log
start=$(date +%s)
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$log" 2>&1 ||
	{ tail -n 20 "$log"; fail "debootstrap"; }
git -C "$TOP" clone -q "$TOP" "$root/root/vqnotify"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /sys "$root/sys"
mount --bind /dev "$root/dev"

cat >"$root/root/readme.sh" <<EOF
set -eux
export DEBIAN_FRONTEND=noninteractive
cd /root/vqnotify
apt-get update -qq
hdr=linux-headers-\$(uname -r)
apt-cache show "\$hdr" >/dev/null 2>&1 || hdr=linux-headers-amd64
$(echo "$cmds" | sed 's/linux-headers-\$(uname -r)/$hdr/g')
EOF
chroot "$root" sh -c 'yes | sh /root/readme.sh' >>"$log" 2>&1 ||
	{ tail -n 30 "$log"; fail "the README's commands"; }

cat >"$root/root/verify.sh" <<'EOF'
set -eu
err() { echo "verify: $*"; exit 1; }
ko=$(ls /lib/modules/*/updates/dkms/vqnotify.ko) || err "no DKMS module"
dkms status | grep -q '^vqnotify/.*: installed' || err "dkms status"
modinfo "$ko" | grep -q '^alias: *net-pf-16-proto-16-family-vqnotify$' ||
	err "no genl family alias"
for f in /lib/udev/rules.d/60-vqnotify.rules \
	 /usr/lib/modules-load.d/vqnotify.conf /usr/sbin/vqnotifyctl \
	 /usr/share/man/man8/vqnotifyctl.8.gz; do
	[ -e "$f" ] || err "$f missing"
done
pkg-config --exists vqnotify || err "pkg-config vqnotify"
# Not a netlink request: the chroot shares the host's network namespace,
# and the kernel's autoload would load a vqnotify installed on the host.
vqnotifyctl -V >/dev/null || err "vqnotifyctl -V"
grep -q '^E:' /root/vqnotify/build/deb/lintian.log && err "lintian errors"
dpkg -L vqnotify-dkms vqnotify-utils libvqnotify1 libvqnotify-dev |
	sort -u >/root/files
# the metrics timer's file, as a host with node_exporter would have it
mkdir -p /var/lib/prometheus/node-exporter
echo 'vqnotify_host_slots_used 0' >/var/lib/prometheus/node-exporter/vqnotify.prom
apt-get purge -y -qq vqnotify-dkms vqnotify-utils libvqnotify-dev \
	libvqnotify1 >/dev/null
[ -e /var/lib/prometheus/node-exporter/vqnotify.prom ] &&
	err "metrics file left: node_exporter would serve it as current"
ls /lib/modules/*/updates/dkms/vqnotify.ko 2>/dev/null && err "module left"
ls -d /usr/src/vqnotify-* 2>/dev/null && err "DKMS source left"
[ -e /var/lib/dkms/vqnotify ] && err "DKMS tree left"
while read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] && err "$f left after purge"
done </root/files
echo "verify: ok"
EOF
chroot "$root" sh /root/verify.sh >>"$log" 2>&1 ||
	{ tail -n 10 "$log"; fail "verify"; }
echo "fresh-install: PASS in $(($(date +%s) - start)) s (log: $log)"
