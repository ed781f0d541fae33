#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# pkg-check.sh STEP: the installation checks of `make check` (each is one
# check line there; all run on the host, only smoke boots a VM):
#
#   install  make install install-dkms into a DESTDIR (module for the 6.1
#            headers), list the files, check that the module, vqnotifyctl -V,
#            vqnotify.pc, the man pages and debian/changelog carry
#            dkms.conf's version, systemd-analyze the metrics units, make
#            uninstall uninstall-dkms, list again: nothing may remain
#   dkms     from the built vqnotify-dkms package's /usr/src tree: dkms add,
#            dkms build for the 6.1 and 6.12 headers (--kernelsourcedir: no
#            kernel image, no /lib/modules/KREL/build), modinfo of both
#            modules (vermagic, version = dkms.conf = debian/changelog,
#            genl alias, every parameter described and in the modprobe.d
#            example), dkms remove; the 6.1 module is kept for smoke
#   smoke    the packages unpacked into the 6.1 VM's initramfs, with that
#            DKMS-built module in /lib/modules/KREL/updates/dkms, and
#            Debian's udev (downloaded, unpacked): the netlink family
#            autoloads it, udevd gives /dev/vqnotify to group kvm by the
#            package's rule, vqnotifyctl runs, and vqn-hello
#            (the libvqnotify-dev example, compiled here through pkg-config
#            against the unpacked packages) registers a guest
#
# dkms and smoke use the packages `make deb` built in $BUILD/deb (run it
# first; make check does). Work directories: $BUILD/pkg/STEP.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
export BUILD

[ $# -eq 1 ] || die "usage: $0 install|dkms|smoke"
step=$1
work=$BUILD/pkg/$step
debs=$BUILD/deb
ver=$("$VQN_SCRIPTS/version.sh")
fail() { echo "$step: FAIL: $*"; exit 1; }

# kernel NAME: KVER, KDIR... of rig kernel NAME (scripts/kernel.sh).
kernel() {
	kenv=$("$VQN_SCRIPTS/kernel.sh" "$1") || fail "kernel $1 unavailable"
	eval "$kenv"
}

# files DIR: every file and link under DIR, relative, sorted.
files() { (cd "$1" && find . ! -type d | LC_ALL=C sort); }

# deb_of PACKAGE: sets deb to the package file make deb built, or fails.
deb_of() {
	set -- "$debs/$1"_"$ver"_*.deb
	[ -f "$1" ] || fail "$1 missing: make deb first"
	deb=$1
}

# udev_deb: sets udeb to Debian's udev package, apt's candidate, downloaded
# once into the cache (as the kernel images are), or fails.
udev_deb() {
	uver=$(apt-cache policy udev 2>/dev/null | sed -n 's/^ *Candidate: //p')
	case $uver in '' | '(none)') fail "apt knows no udev package: apt-get update" ;; esac
	udir=$VQN_CACHE/udev/$(printf '%s' "$uver" | tr -c 'A-Za-z0-9._+-' '_')
	with_lock "$VQN_CACHE/udev.lock" sh -c '
		[ -e "$1/.complete" ] && exit 0
		rm -rf "$1" && mkdir -p "$1" && chmod 755 "$1" &&
			(cd "$1" && apt-get download -q=2 "udev=$2") >/dev/null 2>&1 &&
			touch "$1/.complete"
	' sh "$udir" "$uver" || fail "cannot download udev=$uver"
	set -- "$udir"/udev_*.deb
	[ -f "$1" ] || fail "no udev package in $udir"
	udeb=$1
}

case $step in
install)
	kernel 6.1
	rm -rf "$work"
	dest=$work/root
	mkdir -p "$dest"
	make -s --no-print-directory -C "$TOP" BUILD="$BUILD" install install-dkms DESTDIR="$dest" KDIR="$KDIR" \
		>"$work/install.log" 2>&1 || { tail -n 20 "$work/install.log"; fail "make install"; }
	files "$dest" >"$work/installed"
	sed 's/^/install: installed /' "$work/installed"
	for f in ./lib/modules/$KVER/updates/vqnotify.ko ./usr/local/sbin/vqnotifyctl \
		./usr/local/lib/libvqnotify.so.1 ./usr/local/lib/pkgconfig/vqnotify.pc \
		./usr/local/lib/udev/rules.d/60-vqnotify.rules \
		./usr/local/lib/systemd/system/vqnotify-metrics.timer \
		./usr/local/lib/systemd/system/vqnotify-metrics-http@.socket \
		./usr/local/lib/systemd/system/vqnotify-metrics-http@.service \
		./usr/local/share/doc/vqnotify/examples/modprobe.d/vqnotify.conf \
		./usr/src/vqnotify-$ver/dkms.conf ./usr/src/vqnotify-$ver/Kbuild; do
		grep -qxF "$f" "$work/installed" || fail "make install did not install $f"
	done
	# One version everywhere it is written: dkms.conf's (user/Makefile
	# takes it from there for vqnotify.pc and vqnotifyctl -V).
	{
		echo "module $(modinfo -F version "$dest/lib/modules/$KVER/updates/vqnotify.ko")"
		echo "vqnotifyctl $("$dest/usr/local/sbin/vqnotifyctl" -V | cut -d' ' -f2)"
		echo "vqnotify.pc $(sed -n 's/^Version: //p' "$dest/usr/local/lib/pkgconfig/vqnotify.pc")"
		for m in "$dest"/usr/local/share/man/man*/*; do
			echo "${m##*/} $(sed -n 's/^\.TH .*"vqnotify \([^"]*\)".*/\1/p' "$m")"
		done
		echo "debian/changelog $(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)"
	} >"$work/versions"
	bad=$(awk -v v="$ver" 'NF != 2 || $2 != v' "$work/versions")
	[ -z "$bad" ] || fail "versions differ from dkms.conf's $ver:" $bad
	echo "install: version $ver in dkms.conf and in" $(cut -d' ' -f1 "$work/versions")
	# The metrics units: not a word from systemd-analyze verify (their
	# ExecStart pointed at the vqnotifyctl installed here, which it
	# checks), and each service's exposure (systemd-analyze security) at
	# most 2.0 of 10. The HTTP exporter's templates as an instance, its
	# address' colon escaped: systemd-analyze 252 takes a path with one
	# for something else; %I gives the socket 10.0.0.5:9617 all the same.
	units=$dest/usr/local/lib/systemd/system
	http='vqnotify-metrics-http@10.0.0.5\x3a9617'
	mkdir -p "$work/units"
	for u in vqnotify-metrics.service:vqnotify-metrics.service \
		vqnotify-metrics-http@.service:$http.service; do
		sed "s|^ExecStart=/usr/local/sbin/vqnotifyctl |ExecStart=$dest/usr/local/sbin/vqnotifyctl |" \
			"$units/${u%%:*}" >"$work/units/${u#*:}"
		grep -q "^ExecStart=$dest/" "$work/units/${u#*:}" ||
			fail "${u%%:*} does not run /usr/local/sbin/vqnotifyctl"
	done
	cp "$units/vqnotify-metrics.timer" "$work/units/"
	cp "$units/vqnotify-metrics-http@.socket" "$work/units/$http.socket"
	systemd-analyze verify --man=no "$work/units/vqnotify-metrics.service" \
		"$work/units/vqnotify-metrics.timer" "$work/units/$http.socket" \
		"$work/units/$http.service" >"$work/verify" 2>&1 || :
	[ ! -s "$work/verify" ] || { cat "$work/verify"; fail "systemd-analyze verify"; }
	exposure=
	for u in vqnotify-metrics.service "$http.service"; do
		systemd-analyze security --offline=yes --threshold=20 \
			"$work/units/$u" >"$work/security" 2>&1 ||
			{ grep '✗' "$work/security"; tail -n 1 "$work/security"; fail "$u's exposure"; }
		exposure="$exposure $(sed -n 's/.*exposure level for .*: \([0-9.]*\).*/\1/p' "$work/security")"
	done
	echo "install: metrics units verified, exposure levels$exposure (timer's and HTTP exporter's services)"
	# Every symbol of every version node of libvqnotify.map is exported at
	# that version: a program linked with an older library keeps the entry
	# points it was linked with (vqn_guest_get@VQNOTIFY_1 fills API 1's
	# struct, vqn_guest_get@@VQNOTIFY_2 today's).
	missing=$(lib_versions_missing "$dest/usr/local/lib/libvqnotify.so.1" \
		"$TOP/user/lib/libvqnotify.map") ||
		fail "no symbols read from libvqnotify.map"
	[ -z "$missing" ] || fail "libvqnotify.so.1 does not export:" $missing
	echo "install: libvqnotify.so.1 exports the symbol versions of libvqnotify.map"
	# ...and calls its own functions directly: no relocation names one,
	# which a preloaded wrapper could take (-Bsymbolic-functions).
	plt=$(objdump -R "$dest/usr/local/lib/libvqnotify.so.1" | awk '$NF ~ /^vqn_/ { print $NF }')
	[ -z "$plt" ] || fail "libvqnotify.so.1 calls its own functions through relocations:" $plt
	echo "install: libvqnotify.so.1 calls its own functions directly"
	# The timer enabled, as the admin guide says: uninstall disables it,
	# leaving no link to a removed unit.
	systemctl --root="$dest" enable vqnotify-metrics.timer >"$work/enable.log" 2>&1 ||
		{ cat "$work/enable.log"; fail "systemctl --root enable vqnotify-metrics.timer"; }
	[ -L "$dest/etc/systemd/system/timers.target.wants/vqnotify-metrics.timer" ] ||
		fail "systemctl --root enable made no link"
	# So is an HTTP exporter's socket, its address the instance.
	systemctl --root="$dest" enable vqnotify-metrics-http@10.0.0.5:9617.socket \
		>"$work/enable.log" 2>&1 ||
		{ cat "$work/enable.log"; fail "systemctl --root enable vqnotify-metrics-http@10.0.0.5:9617.socket"; }
	[ -L "$dest/etc/systemd/system/sockets.target.wants/vqnotify-metrics-http@10.0.0.5:9617.socket" ] ||
		fail "systemctl --root enable made no link for the HTTP exporter's socket"
	make -s --no-print-directory -C "$TOP" BUILD="$BUILD" uninstall uninstall-dkms DESTDIR="$dest" KDIR="$KDIR" \
		>"$work/uninstall.log" 2>&1 || { tail -n 20 "$work/uninstall.log"; fail "make uninstall"; }
	left=$(files "$dest"; cd "$dest" && find . -type d -name '*vqnotify*')
	[ -z "$left" ] || fail "make uninstall left:" $left
	echo "install: $(wc -l <"$work/installed") files installed, none left after uninstall"
	# install-dkms builds for each kernel with headers (build/) and run
	# again removes the earlier build of the version first (DKMS would
	# skip it), with a dkms that notes its calls: the sources go to
	# $work/dkmssrc, nothing is built or installed. Kernel 3 has no
	# headers; kernel 2 dkms.conf excludes (exit 77); dkms fails for
	# kernel 0 (exit 10).
	mkdir -p "$work/mods/6.1.0-1-amd64/build" "$work/mods/6.1.0-2-amd64/build" \
		"$work/mods/6.1.0-3-amd64/kernel"
	cat >"$work/dkms" <<-EOF
	#!/bin/sh
	echo "\$*" >>"$work/dkms.log"
	case \$1 in
	status) [ ! -e "$work/dkms.built" ] || echo "vqnotify/$ver, 6.1, x86_64: installed" ;;
	install) [ "\$4" != 6.1.0-2-amd64 ] || exit 77; [ "\$4" != 6.1.0-0-amd64 ] || exit 10
		touch "$work/dkms.built" ;;
	remove) rm -f "$work/dkms.built" ;;
	esac
	EOF
	chmod +x "$work/dkms"
	for i in 1 2; do
		make -s --no-print-directory -C "$TOP" BUILD="$BUILD" install-dkms DKMS="$work/dkms" \
			DKMSDIR="$work/dkmssrc" MODROOT="$work/mods" >>"$work/install-dkms.log" 2>&1 ||
			{ tail -n 20 "$work/install-dkms.log"; fail "make install-dkms"; }
	done
	inst="install vqnotify/$ver -k 6.1.0-1-amd64;install vqnotify/$ver -k 6.1.0-2-amd64"
	want="status -m vqnotify -v $ver;$inst;status -m vqnotify -v $ver;remove vqnotify/$ver --all;$inst;"
	got=$(tr '\n' ';' <"$work/dkms.log")
	[ "$got" = "$want" ] || fail "make install-dkms twice called dkms: $got"
	[ -f "$work/dkmssrc/dkms.conf" ] || fail "make install-dkms put no sources in DKMSDIR"
	# A kernel dkms fails for (kernel 0, first) does not stop the others;
	# the target fails, naming it.
	mkdir -p "$work/mods/6.1.0-0-amd64/build"
	! make -s --no-print-directory -C "$TOP" BUILD="$BUILD" install-dkms DKMS="$work/dkms" \
		DKMSDIR="$work/dkmssrc" MODROOT="$work/mods" >"$work/install-dkms-bad.log" 2>&1 ||
		fail "make install-dkms passed with a kernel dkms failed for"
	grep -q "dkms failed for 6.1.0-0-amd64 .*built for 1 other" "$work/install-dkms-bad.log" ||
		{ cat "$work/install-dkms-bad.log"; fail "make install-dkms did not name the kernel it failed for"; }
	got="${got}status -m vqnotify -v $ver;remove vqnotify/$ver --all;install vqnotify/$ver -k 6.1.0-0-amd64;$inst;"
	[ "$(tr '\n' ';' <"$work/dkms.log")" = "$got" ] ||
		fail "make install-dkms with a failing kernel called dkms:" \
			"$(tr '\n' ';' <"$work/dkms.log")"
	rm -rf "$work/mods/6.1.0-0-amd64/build" "$work/mods/6.1.0-1-amd64/build" \
		"$work/mods/6.1.0-2-amd64/build"
	! make -s --no-print-directory -C "$TOP" BUILD="$BUILD" install-dkms DKMS="$work/dkms" \
		DKMSDIR="$work/dkmssrc" MODROOT="$work/mods" >"$work/install-dkms-none.log" 2>&1 ||
		fail "make install-dkms passed with no kernel's headers"
	grep -q "no kernel of .* with headers" "$work/install-dkms-none.log" ||
		{ cat "$work/install-dkms-none.log"; fail "make install-dkms did not say why it failed"; }
	# ... before it removed the build there is (status said installed)
	[ "$(tr '\n' ';' <"$work/dkms.log")" = "$got" ] ||
		fail "make install-dkms without headers called dkms:" \
			"$(tr '\n' ';' <"$work/dkms.log" | cut -c$((${#got} + 1))-)"
	echo "install: install-dkms builds for each kernel with headers (one failing: the others built, it fails; none: it fails)," \
		"and run again removes the version's earlier build first"
	;;
dkms)
	command -v dkms >/dev/null || fail "dkms missing: run scripts/deps.sh"
	rm -rf "$work"
	mkdir -p "$work/dkms"
	deb_of vqnotify-dkms
	dpkg -x "$deb" "$work/root"
	# A private DKMS tree and source tree: nothing under /var/lib/dkms or
	# /usr/src, no root needed; no signing key made (sign_file unset).
	dkms() {
		sign_file=/nonexistent command dkms "$@" --dkmstree "$work/dkms" \
			--sourcetree "$work/root/usr/src"
	}
	dkms add "vqnotify/$ver" >"$work/add.log" 2>&1 ||
		{ cat "$work/add.log"; fail "dkms add vqnotify/$ver"; }
	echo "dkms: added vqnotify/$ver from ${deb##*/}"
	clog=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
	for k in 6.1 6.12; do
		kernel "$k"
		t0=$(date +%s)
		if ! dkms build "vqnotify/$ver" -k "$KVER" --kernelsourcedir "$KDIR" \
			>"$work/build-$k.log" 2>&1; then
			cat "$work/build-$k.log"
			cat "$work/dkms/vqnotify/$ver/build/make.log" 2>/dev/null | tail -n 30
			fail "dkms build for $KVER"
		fi
		ko=$work/dkms/vqnotify/$ver/$KVER/x86_64/module/vqnotify.ko
		[ -f "$ko" ] || ko=$ko.xz
		[ -f "$ko" ] || fail "dkms build for $KVER made no vqnotify.ko"
		m=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
		[ "$m" = "$KVER" ] || fail "$ko: vermagic $m, not $KVER"
		v=$(modinfo -F version "$ko")
		[ "$v" = "$ver" ] && [ "$clog" = "$ver" ] ||
			fail "versions differ: module $v, dkms.conf $ver, debian/changelog $clog"
		modinfo -F alias "$ko" | grep -qx 'net-pf-16-proto-16-family-vqnotify' ||
			fail "$ko: no genl family alias"
		modinfo -F parm "$ko" | sed 's/:.*//' | LC_ALL=C sort >"$work/parms"
		# An undescribed parameter reads "name: (type)".
		modinfo -F parm "$ko" | grep -E '^[a-z0-9_]+: ?\(' >"$work/undescribed" || :
		[ ! -s "$work/undescribed" ] || fail "parameters without a description:" $(cat "$work/undescribed")
		sed -n 's/^#*options vqnotify \([a-z_]*\)=.*/\1/p' "$TOP/conf/modprobe.d/vqnotify.conf" |
			LC_ALL=C sort | diff -u "$work/parms" - >"$work/parms.diff" ||
			{ cat "$work/parms.diff"; fail "conf/modprobe.d/vqnotify.conf and the module's parameters differ"; }
		[ "$k" = 6.1 ] && cp "$ko" "$work/vqnotify-$KVER.ko"
		echo "dkms: built for $KVER in $(($(date +%s) - t0))s: version $v, $(wc -l <"$work/parms") parameters"
	done
	dkms remove "vqnotify/$ver" --all >"$work/remove.log" 2>&1 ||
		{ cat "$work/remove.log"; fail "dkms remove"; }
	[ ! -e "$work/dkms/vqnotify/$ver" ] || fail "dkms remove left $work/dkms/vqnotify/$ver"
	echo "dkms: removed vqnotify/$ver"
	;;
smoke)
	kernel 6.1
	ko=$BUILD/pkg/dkms/vqnotify-$KVER.ko
	[ -f "$ko" ] || fail "$ko missing: the dkms step builds it"
	rm -rf "$work"
	root=$work/root
	mkdir -p "$root/tests" "$root/smoke" "$root/etc"
	for p in vqnotify-dkms vqnotify-utils libvqnotify1 libvqnotify-dev; do
		deb_of "$p"
		dpkg -x "$deb" "$root"
	done
	# As dkms install would put it, then depmod (on the host, into $root).
	install -D -m 0644 "$ko" "$root/lib/modules/$KVER/updates/dkms/vqnotify.ko"
	# (Its warnings: no modules.order or modules.builtin in this tree.)
	depmod -b "$root" "$KVER" 2>/dev/null
	grep -q 'family-vqnotify vqnotify$' "$root/lib/modules/$KVER/modules.alias" ||
		fail "depmod wrote no genl family alias"
	# The example of libvqnotify-dev, built as its users would, against the
	# unpacked packages only (the sysroot prefixes pkg-config's paths).
	triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	pcflags=$(PKG_CONFIG_SYSROOT_DIR=$root \
		PKG_CONFIG_LIBDIR=$root/usr/lib/$triplet/pkgconfig \
		pkg-config --cflags --libs vqnotify) || fail "pkg-config vqnotify"
	echo "smoke: cc vqn-hello.c $pcflags"
	# shellcheck disable=SC2086 # pkg-config's output is a list of flags
	cc -O2 -Wall -o "$root/smoke/vqn-hello" \
		"$root/usr/share/doc/libvqnotify-dev/examples/vqn-hello.c" $pcflags ||
		fail "vqn-hello does not build against libvqnotify-dev"
	# udev as a host runs it: Debian's daemon (its package downloaded and
	# unpacked, never installed here) with its own rules beside the
	# package's, so the guest sees what our rule does among them.
	udev_deb
	mkdir -p "$work/udev" "$root/lib/systemd"
	dpkg -x "$udeb" "$work/udev"
	install -D -m 0755 "$work/udev/bin/udevadm" "$root/bin/udevadm"
	ln -s /bin/udevadm "$root/lib/systemd/systemd-udevd"
	cp "$work/udev/lib/udev/rules.d/"*.rules "$root/lib/udev/rules.d/"
	echo "smoke: ${udeb##*/}'s udevd and $(ls "$root/lib/udev/rules.d" | wc -l) rules"
	# The shared libraries they need (libc, libnl) from this Debian host,
	# at their own paths, and an ld.so.cache for the guest.
	for bin in "$root/smoke/vqn-hello" "$root/usr/sbin/vqnotifyctl" \
		"$root/bin/udevadm"; do
		LD_LIBRARY_PATH=$root/usr/lib/$triplet ldd "$bin" |
			sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
	done | sort -u | while read -r lib; do
		case $lib in "$root"/*) continue ;; esac
		install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
	printf '/lib/%s\n/usr/lib/%s\n' "$triplet" "$triplet" >"$root/etc/ld.so.conf"
	ldconfig -r "$root"
	cp "$VQN_SCRIPTS/pkg-smoke-guest.sh" "$root/tests/vqn_pkg_smoke"
	"$VQN_SCRIPTS/vm-test.sh" --smoke "$root" 6.1
	;;
*) die "unknown step $step" ;;
esac
