#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vqn_pkg_smoke: runs in the 6.1 VM (busybox), from the packages
# scripts/pkg-check.sh smoke unpacked into the initramfs, with the module
# DKMS built on the host in /lib/modules/$(uname -r)/updates/dkms.
# Loads the module the way a host does, runs the installed programs. TAP
# on stdout, each command's output (20 lines at most) as comments.
kver=$(uname -r)
ctl=/usr/sbin/vqnotifyctl
n=0
fails=0
# t DESCRIPTION CMD...: one TAP result; the output of a failed CMD follows.
t() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >/tmp/smoke.out 2>&1; then
		echo "ok $n $desc"
	else
		fails=$((fails + 1))
		echo "not ok $n $desc"
	fi
	head -n 20 /tmp/smoke.out | sed 's/^/#   /'
}
loaded() { grep -q '^vqnotify ' /proc/modules; }
unloaded() { ! loaded; }
version_matches() {
	want=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' /usr/src/vqnotify-*/dkms.conf)
	got=$(modinfo -F version vqnotify)
	echo "module $got, vqnotify-dkms $want"
	[ -n "$got" ] && [ "$got" = "$want" ]
}
ctl_loads() { $ctl stats && loaded; }
conf_installed() {
	grep -qx vqnotify /usr/lib/modules-load.d/vqnotify.conf &&
		grep -q 'GROUP="kvm"' /lib/udev/rules.d/60-vqnotify.rules
}
dev_node() { ls -l /dev/vqnotify && [ -c /dev/vqnotify ]; }
# udev as on a host, started before anyone loads the module: the rule must
# act on the uevent of the load itself, as at boot.
udevd_runs() {
	mkdir -p /run && mount -t tmpfs tmpfs /run &&
		/lib/systemd/systemd-udevd --daemon &&
		udevadm control --ping
}
# The node devtmpfs made is root's (mode 0660 from the module): only the
# package's rule gives it to the VMMs' group.
kvm_node() {
	udevadm settle --timeout=60 || return 1
	ls -ln /dev/vqnotify
	[ "$(stat -c '%g %a' /dev/vqnotify)" = "36 660" ]
}

echo "TAP version 13"
echo "1..14"
# The kernel runs this for request_module(); busybox's modprobe reads
# modules.dep and modules.alias, written on the host by depmod.
echo /bin/modprobe >/proc/sys/kernel/modprobe
t "vqnotify.ko installed where DKMS puts it" \
	test -f "/lib/modules/$kver/updates/dkms/vqnotify.ko"
t "not loaded before anyone asks" unloaded
t "udevd runs (Debian's, with its rules and the package's)" udevd_runs
t "vqnotifyctl stats loads it (genl family alias)" ctl_loads
t "modinfo version is the package's" version_matches
t "/dev/vqnotify exists" dev_node
t "udev gave /dev/vqnotify to group kvm (the package's rule)" kvm_node
t "vqn-hello (libvqnotify.so.1, built through pkg-config) decides its queues" \
	/smoke/vqn-hello
t "vqnotifyctl guest show" $ctl guest show
t "rmmod vqnotify" rmmod vqnotify
t "modprobe vqnotify loads it by name (modules.dep)" sh -c 'modprobe vqnotify && grep -q "^vqnotify " /proc/modules'
t "udev gave the new /dev/vqnotify to group kvm" kvm_node
t "the udev rule and modules-load.d file are installed" conf_installed
t "udevd exits" udevadm control --exit
[ $fails -eq 0 ]
