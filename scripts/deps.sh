#!/bin/sh
# Install everything the build and the VM test rig need, from Debian only.
# Idempotent and quiet: does nothing when every package is already present.
# The 6.12 headers are not installed here: their packages depend on the
# kernel image, which must never be installed on the host; scripts/kernel.sh
# unpacks them into the cache. Only 6.12's source: checkpatch, the kselftest
# harness, YNL and the debug kernel come from it (6.1's has no x86_64
# FAULT_INJECTION_STACKTRACE_FILTER, so the debug kernel cannot be 6.1).
# meson .. zlib1g-dev build the minimal patched QEMU of scripts/qemu.sh (its
# source comes from deb-src, fetched there with a private apt configuration);
# seabios and ipxe-qemu are the nested guests' firmware. systemd for
# systemd-analyze, which checks the metrics units.
set -eu

PKGS="build-essential bc bison flex kmod pkg-config xz-utils cpio
      libelf-dev libssl-dev dwarves
      linux-headers-amd64
      linux-source-6.12
      qemu-system-x86 busybox-static sparse ccache
      libnl-3-dev libnl-genl-3-dev
	python3-yaml python3-jsonschema python3-prometheus-client
	bash-completion trace-cmd systemd
	clang libclang-rt-14-dev
	dkms dh-dkms debhelper lintian python3-sphinx
	dpkg-dev meson ninja-build libglib2.0-dev libpixman-1-dev libfdt-dev
	libslirp-dev zlib1g-dev seabios ipxe-qemu"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root: $0)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A machine just booted may have dpkg's lock taken (unattended upgrades,
# cloud-init) or its mirror briefly unreachable: the install waits up to
# 5 min for dpkg's lock, and the update and install are tried three times
# (the update's own lock is not waited for, only tried again).
apt="apt-get -o DPkg::Lock::Timeout=300"
tries=1
# shellcheck disable=SC2086
until $apt update -qq &&
	$apt install -y -qq --no-install-recommends $missing >/dev/null; do
	[ "$tries" -lt 3 ] || { echo "deps: apt-get failed $tries times" >&2; exit 1; }
	tries=$((tries + 1))
	echo "deps: apt-get failed; trying again in 30 s ($tries of 3)" >&2
	sleep 30
done
