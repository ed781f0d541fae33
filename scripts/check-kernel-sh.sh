#!/bin/bash
# check-kernel-sh.sh: scripts/kernel.sh, run by sh as make check runs it,
# against a fake Debian archive whose lists may be stale (the image or
# headers at the resolved version gone until `apt-get update`), as root or
# not. Its retry must refresh the lists and try again, and must never
# install or upgrade anything but 6.1's headers meta package: the 6.12 meta
# packages hard-depend on their kernel image, which must not land on the
# host. apt-get, apt-cache, dpkg-query, dpkg, depmod and id are stubs first
# in PATH (apt, aptitude and sudo too, failing: kernel.sh must not use
# them); nothing touches the host's packages or the real cache. Prints one
# line per case, ends with "N passed, N failed"; exits 1 when anything
# failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/bin
mkdir -p "$bin"

# A 6.1 headers tree of the host (scripts/deps.sh installs one), for the
# cases where an installed meta package names it.
kdir61=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | tail -n 1)
kver61=${kdir61#/usr/src/linux-headers-}

# The fake host and archive, in $VQN_FAKE:
#   installed     "package version [the headers package it depends on]"
#   calls         every apt-get call, a line each ("! ..." for a forbidden
#                 command)
#   stale         the lists name the old 6.12 ABI (6.12.8) until the
#                 update; the archive has only the new one (6.12.9)
#   old-headers   but the old ABI's headers still download (its image does
#                 not)
#   gone61        6.1's image does not download
#   badx          dpkg -x fails (a full disk)
#   nocommon      the headers' -common package is not in the lists
#   novmlinuz     the image's package has no vmlinuz
#   baddepmod     depmod fails
#   uid           what id -u says (0 without it)
stub() {
	printf '#!/bin/sh\n%s\n' "$2" >"$bin/$1"
	chmod +x "$bin/$1"
}
stub abi 'if [ -e "$VQN_FAKE/updated" ] || [ ! -e "$VQN_FAKE/stale" ]; then
	echo 6.12.9
else
	echo 6.12.8
fi'
stub id '[ "$1" = -u ] && cat "$VQN_FAKE/uid" 2>/dev/null || echo 0'
stub depmod '[ ! -e "$VQN_FAKE/baddepmod" ]'
for c in apt aptitude sudo; do
	stub "$c" 'echo "! $(basename "$0") $*" >>"$VQN_FAKE/calls"; exit 99'
done
stub dpkg-query 'eval "p=\${$#}"
v=$(awk -v p="$p" '\''$1 == p { print $2; exit }'\'' "$VQN_FAKE/installed")
d=$(awk -v p="$p" '\''$1 == p { print $3; exit }'\'' "$VQN_FAKE/installed")
[ -n "$v" ] || exit 1
case $* in
*Depends*) echo "$d (= $v)" ;;
*) echo "install ok installed $v" ;;
esac'
stub apt-cache 'a=$(abi)
case $1 in
depends)
	case $2 in
	linux-headers-6.12-amd64) echo "  Depends: linux-headers-$a-amd64" ;;
	linux-headers-6.12-rt-amd64) echo "  Depends: linux-headers-$a-rt-amd64" ;;
	linux-headers-6.12*-amd64)
		[ -e "$VQN_FAKE/nocommon" ] ||
			echo "  Depends: linux-headers-$a-common"
		echo "  Depends: linux-kbuild-6.12" ;;
	esac ;;
policy) echo "  Candidate: $a-1" ;;
esac'
stub apt-get 'echo "$*" >>"$VQN_FAKE/calls"
case $1 in
update) touch "$VQN_FAKE/updated" ;;
install) eval "p=\${$#}"; echo "$p 9" >>"$VQN_FAKE/installed" ;;
download)
	shift
	for p; do
		case $p in
		-*) ;;
		*6.12.9*=*) : >"${p%%=*}.deb" ;;
		linux-headers-6.12.8*=*)
			[ -e "$VQN_FAKE/old-headers" ] || exit 100
			: >"${p%%=*}.deb" ;;
		linux-image-6.1.*=*)
			[ -e "$VQN_FAKE/gone61" ] && exit 100
			: >"${p%%=*}.deb" ;;
		*=*) exit 100 ;;
		*) : >"$p.deb" ;;
		esac
	done ;;
*) echo "! apt-get $*" >>"$VQN_FAKE/calls"; exit 99 ;;
esac'
stub dpkg '[ "$1" = -x ] || { echo "! dpkg $*" >>"$VQN_FAKE/calls"; exit 99; }
[ ! -e "$VQN_FAKE/badx" ] || exit 1
v=$(basename "$2" .deb)
case $v in
linux-image-*)
	k=${v#linux-image-}; k=${k%-unsigned}
	mkdir -p "$3/boot" "$3/lib/modules/$k"
	[ -e "$VQN_FAKE/novmlinuz" ] || : >"$3/boot/vmlinuz-$k" ;;
linux-headers-*-common)
	mkdir -p "$3/usr/src/$v"
	: >"$3/usr/src/$v/Makefile" ;;
linux-headers-*-amd64)
	c=${v%-amd64}; c=${c%-rt}-common
	mkdir -p "$3/usr/src/$v"
	echo "include /usr/src/$c/Makefile" >"$3/usr/src/$v/Makefile" ;;
esac'

# case NAME KERNEL "SETUP..." WANT: run kernel.sh KERNEL on a host and
# archive set up with SETUP's files (above; meta612: the host installed
# linux-headers-6.12-amd64 itself; user: not root). WANT: the KVER it must
# print, or "die:TEXT", a message it must die with.
case_() {
	local name=$1 k=$2 setup=$3 want=$4 f=$work/$1 out rc ok=1 s
	mkdir -p "$f/cache"
	: >"$f/calls"
	# 6.1's meta package is installed, as scripts/deps.sh does.
	printf 'linux-headers-amd64 1 linux-headers-%s\nlinux-headers-%s 1\n' \
		"$kver61" "$kver61" >"$f/installed"
	for s in $setup; do
		case $s in
		meta612) echo "linux-headers-6.12-amd64 1 linux-headers-$kver61" \
			>>"$f/installed" ;;
		user) echo 1000 >"$f/uid" ;;
		*) touch "$f/$s" ;;
		esac
	done
	out=$(cd "$f" && PATH=$bin:$PATH VQN_FAKE=$f VQNOTIFY_CACHE=$f/cache \
		sh "$TOP/scripts/kernel.sh" "$k" 2>"$f/err")
	rc=$?
	case $want in
	die:*)
		[ $rc -ne 0 ] && grep -qF -- "${want#die:}" "$f/err" || ok=0
		# and leaves nothing marked complete
		[ -z "$(find "$f/cache" -name .complete)" ] || ok=0 ;;
	*)
		[ $rc -eq 0 ] && grep -qx "KVER='$want'" <<<"$out" || ok=0 ;;
	esac
	# Nothing forbidden, nothing installed but 6.1's meta package, and
	# that only for 6.1.
	grep -q '^!' "$f/calls" && ok=0
	while read -r line; do
		case $line in
		install*)
			[ "$k" = 6.1 ] &&
				[ "$line" = "install -y -qq --no-install-recommends linux-headers-amd64" ] ||
				ok=0 ;;
		esac
	done <"$f/calls"
	# The lists are refreshed where stale, as root, and only then.
	case " $setup " in
	*" user "* | *" meta612 "*) s=0 ;;
	*" stale "* | *" gone61 "* | *" nocommon "*) s=1 ;;
	*) s=0 ;;
	esac
	if [ $s = 1 ]; then
		grep -qx 'update -qq' "$f/calls" || ok=0
	else
		grep -q '^update' "$f/calls" && ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "ok $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name (exit $rc)"
		sed 's/^/#   /' "$f/err" "$f/calls"
		printf '#   out: %s\n' "$out"
	fi
}

if [ -z "$kver61" ]; then
	echo "FAIL no /usr/src/linux-headers-6.1.*-amd64: run scripts/deps.sh"
	fail=$((fail + 1))
fi
case_ 6.12 6.12 "" 6.12.9-amd64
case_ 6.12-stale-lists 6.12 "stale" 6.12.9-amd64
case_ 6.12-rt-stale-lists 6.12-rt "stale" 6.12.9-rt-amd64
case_ 6.12-image-gone 6.12 "stale old-headers" 6.12.9-amd64
case_ 6.12-rt-image-gone 6.12-rt "stale old-headers" 6.12.9-rt-amd64
case_ 6.12-stale-not-root 6.12 "stale user" "die:as root, run apt-get update"
case_ 6.12-meta-installed 6.12 "meta612 gone61" "die:upgrade it (and its kernel) yourself"
case_ 6.12-unpack-fails 6.12 "badx" "die:cannot unpack"
case_ 6.12-headers-without-common 6.12 "nocommon" "die:cannot download"
case_ 6.1 6.1 "" "$kver61"
case_ 6.1-image-gone 6.1 "gone61" "die:cannot download linux-image-$kver61"
case_ 6.1-unpack-fails 6.1 "badx" "die:cannot unpack"
case_ 6.1-image-without-vmlinuz 6.1 "novmlinuz" "die:lacks vmlinuz-$kver61"
case_ 6.1-depmod-fails 6.1 "baddepmod" "die:depmod failed"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
