#!/bin/bash
# check-kernel-sh.sh: scripts/kernel.sh against a fake Debian archive whose
# lists are stale (the image or headers at the resolved version are gone
# until `apt-get update`), run as root as CI runs it. Its retry must refresh
# the lists and try again, and must never install anything but the 6.1
# headers meta package: the 6.12 meta packages hard-depend on their kernel
# image, which must not land on the host. apt-get, apt-cache, dpkg-query,
# dpkg, depmod and id are shell functions here; nothing touches the host's
# packages or the real cache. Prints one line per case, ends with
# "N passed, N failed"; exits 1 when anything failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fake host and archive, read by the functions below in $VQN_FAKE:
#   installed        "pkg version" lines of installed packages
#   updated          exists once `apt-get update` ran
#   stale            the lists name the old ABI until the update; the
#                    archive has only the new one
#   old-headers      but the old ABI's headers still download (its image
#                    does not)
#   calls            every apt-get call, one a line
shims() {
	cat <<'EOF'
abi() { if [ -e "$VQN_FAKE/updated" ] || [ ! -e "$VQN_FAKE/stale" ]; then echo 6.12.9; else echo 6.12.8; fi; }
id() { [ "$1" = -u ] && echo 0; }
depmod() { :; }
dpkg-query() {
	eval "p=\${$#}"
	v=$(awk -v p="$p" '$1 == p { print $2 }' "$VQN_FAKE/installed")
	[ -n "$v" ] || return 1
	case $* in
	*Depends*) echo "linux-headers-6.1.0-9-amd64 (= $v)" ;;
	*) echo "install ok installed $v" ;;
	esac
}
apt-cache() {
	a=$(abi)
	case $1 in
	depends)
		case $2 in
		linux-headers-6.12-amd64) echo "  Depends: linux-headers-$a-amd64" ;;
		linux-headers-6.12-rt-amd64) echo "  Depends: linux-headers-$a-rt-amd64" ;;
		linux-headers-6.12*-amd64)
			echo "  Depends: linux-headers-$a-common"
			echo "  Depends: linux-kbuild-6.12" ;;
		esac ;;
	policy) echo "  Candidate: $a-1" ;;
	esac
}
apt-get() {
	echo "$*" >>"$VQN_FAKE/calls"
	case $* in
	*update*) touch "$VQN_FAKE/updated" ;;
	*install*) eval "p=\${$#}"; echo "$p 9" >>"$VQN_FAKE/installed" ;;
	*download*)
		# Only the archive's ABI downloads.
		for p in "$@"; do
			case $p in
			download | -*) ;;
			*6.12.9*=*) touch "${p%%=*}.deb" ;;
			linux-headers-6.12.8*=*)
				[ -e "$VQN_FAKE/old-headers" ] || return 100
				touch "${p%%=*}.deb" ;;
			*=*) return 100 ;;
			*) touch "$p.deb" ;;
			esac
		done ;;
	esac
}
dpkg() {
	[ "$1" = -x ] || return 1
	v=$(basename "$2" .deb)
	case $v in
	linux-image-*)
		k=${v#linux-image-}; k=${k%-unsigned}
		mkdir -p "$3/boot" "$3/lib/modules/$k"
		touch "$3/boot/vmlinuz-$k" ;;
	linux-headers-*-amd64)
		mkdir -p "$3/usr/src/$v"
		echo "include /usr/src/x" >"$3/usr/src/$v/Makefile" ;;
	esac
}
export -f abi id depmod dpkg-query apt-cache apt-get dpkg
EOF
}

# case NAME KERNEL STALE: run kernel.sh KERNEL (lists stale if STALE is 1;
# 2: stale, and the old headers still download), then check what it
# printed and which packages it installed.
case_() {
	local name=$1 k=$2 stale=$3 f=$work/$1 out ok=1 want
	mkdir -p "$f/cache"
	: >"$f/installed"
	: >"$f/calls"
	[ "$stale" != 0 ] && touch "$f/stale"
	[ "$stale" = 2 ] && touch "$f/old-headers"
	# 6.1's meta package is installed, as scripts/deps.sh does.
	echo "linux-headers-amd64 1" >>"$f/installed"
	echo "linux-headers-6.1.0-9-amd64 6.1.0-9" >>"$f/installed"
	out=$(cd "$f" && VQN_FAKE=$f VQNOTIFY_CACHE=$f/cache bash -c \
		"$(shims)"'
		# kernel.sh is sh: run it in bash so that it sees the functions.
		exec bash "$0" "$1"' "$TOP/scripts/kernel.sh" "$k" 2>"$f/err")
	case $k in
	6.12) want=6.12.9-amd64 ;;
	6.12-rt) want=6.12.9-rt-amd64 ;;
	esac
	grep -qx "KVER='$want'" <<<"$out" || ok=0
	# Nothing installed but what was there (and 6.1's meta package).
	if grep -q "install" "$f/calls" &&
		grep "install" "$f/calls" | grep -qv 'linux-headers-amd64$'; then
		ok=0
	fi
	# A stale list is refreshed; a fresh one is not.
	if [ "$stale" != 0 ] && ! grep -q update "$f/calls"; then ok=0; fi
	if [ "$stale" = 0 ] && grep -q update "$f/calls"; then ok=0; fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "ok $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/#   /' "$f/err" "$f/calls"
		printf '#   out: %s\n' "$out"
	fi
}

case_ 6.12-fresh 6.12 0
case_ 6.12-stale-lists 6.12 1
case_ 6.12-rt-stale-lists 6.12-rt 1
case_ 6.12-image-gone 6.12 2
case_ 6.12-rt-image-gone 6.12-rt 2

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
