#!/bin/sh
# Print an include directory holding kselftest_harness.h and kselftest.h.
#
# The rig's scripts/kselftest-headers.sh is used once it is committed;
# until then the two headers are extracted from Debian's linux-source-6.12
# into ${VQNOTIFY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqnotify}/kselftest,
# keeping the kernel tree's layout, once per source package version.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)

if git -C "$top" ls-files --error-unmatch scripts/kselftest-headers.sh \
		>/dev/null 2>&1 &&
	dir=$("$top/scripts/kselftest-headers.sh") &&
	[ -r "$dir/kselftest_harness.h" ] && [ -r "$dir/kselftest.h" ]; then
	echo "$dir"
	exit 0
fi

tar=/usr/src/linux-source-6.12.tar.xz
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
cache=${VQNOTIFY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqnotify}/kselftest
inc=$cache/tools/testing/selftests
if [ -z "$ver" ] || [ ! -r "$tar" ]; then
	echo "kselftest-dir.sh: linux-source-6.12 is not installed (scripts/deps.sh)" >&2
	exit 1
fi
if [ "$(cat "$cache/.version" 2>/dev/null)" != "$ver" ]; then
	mkdir -p "$cache"
	# shellcheck disable=SC2016
	flock "$cache/.lock" sh -c '
		[ "$(cat "$1/.version" 2>/dev/null)" = "$2" ] && exit 0
		tmp=$(mktemp -d "$1/.tmp.XXXXXX")
		tar -I "xz -T2" -xf "$3" -C "$tmp" --strip-components=1 \
			linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.12/tools/testing/selftests/kselftest.h ||
			{ rm -rf "$tmp"; exit 1; }
		rm -rf "$1/tools"
		mv "$tmp/tools" "$1/tools"
		rm -rf "$tmp"
		echo "$2" >"$1/.version"
	' sh "$cache" "$ver" "$tar"
fi
echo "$inc"
