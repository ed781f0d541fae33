# Shared helpers for the vqnotify build and VM test rig scripts.
# Source it: `. "$(dirname "$0")/lib.sh"`. POSIX sh.

# Cache for kernels and files extracted from linux-source: outside the repo,
# kept between runs, safe to delete.
VQN_CACHE=${VQNOTIFY_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vqnotify}
VQN_LIB=${VQN_SCRIPTS:-$(dirname "$0")}/lib.sh

# Progress and errors to stderr, prefixed with $VQN_TAG (default: the
# script's name). The scripts that build into the cache with a log of their
# own (debug-kernel.sh, qemu.sh) set VQN_BUILD_LOG: once that file exists,
# progress goes there too, and run() runs the steps of the build into it.
log() {
	printf '%s: %s\n' "${VQN_TAG:-$(basename "$0")}" "$*" >&2
	if [ -n "${VQN_BUILD_LOG:-}" ] && [ -f "$VQN_BUILD_LOG" ]; then
		printf '### %s: %s\n' "$(date +%T)" "$*" >>"$VQN_BUILD_LOG"
	fi
}
die() { log "$*"; exit 1; }

# run WHAT CMD...: a step of a build, CMD's output into $VQN_BUILD_LOG (and
# to stderr too when VQN_VERBOSE=1); when it fails, the log's last lines
# and die. Run under `set -o pipefail` (bash) so that tee hides no failure.
run() {
	_what=$1 _rc=0 _t=$(date +%s)
	shift
	log "$_what"
	printf '### %s\n' "$*" >>"$VQN_BUILD_LOG"
	if [ "${VQN_VERBOSE:-0}" = 1 ]; then
		"$@" 2>&1 | tee -a "$VQN_BUILD_LOG" >&2 || _rc=$?
	else
		"$@" >>"$VQN_BUILD_LOG" 2>&1 || _rc=$?
	fi
	if [ "$_rc" -ne 0 ]; then
		tail -n 40 "$VQN_BUILD_LOG" >&2
		die "$_what failed (exit $_rc); full log: $VQN_BUILD_LOG"
	fi
	log "  done in $(($(date +%s) - _t)) s"
}

# Run "$@" while holding an exclusive lock on $1 (a lock file), so that two
# concurrent runs (e.g. two `make check` in different clones) never unpack
# into the same cache directory at the same time.
with_lock() {
	_lock=$1
	shift
	mkdir -p "$(dirname "$_lock")"
	flock "$_lock" "$@"
}

# lock_or_wait FILE WHAT: hold an exclusive lock on FILE (on fd 9) until the
# calling script exits; if someone else holds it, say so and wait. Used so
# that two runs sharing one build/ (several engineers in one work tree) take
# turns instead of overwriting each other's logs and initramfs.
lock_or_wait() {
	mkdir -p "$(dirname "$1")"
	exec 9>"$1"
	if ! flock -n 9; then
		log "waiting: another $2 is using $(dirname "$1") (set BUILD=... to run beside it)"
		flock 9
	fi
}

# lib_versions_missing SO MAP: the symbols of MAP's version nodes (a
# linker version script: "NODE {", a tab-indented "sym;" a line) that the
# shared library SO does not export at that version, one "NODE sym" a
# line; nothing when it exports them all. Returns 2, said on stderr, when
# MAP names no symbol. A subshell: its variables and trap are its own.
lib_versions_missing() (
	map=$(mktemp) exp=$(mktemp)
	trap 'rm -f "$map" "$exp"' EXIT
	awk '/^VQNOTIFY_[0-9]+ \{/ { n = $1 }
	     /^\t\t[a-z0-9_]+;$/ { gsub(/[\t;]/, ""); print n, $0 }' \
		"$2" | LC_ALL=C sort >"$map"
	[ -s "$map" ] || { echo "no symbols read from $2" >&2; exit 2; }
	objdump -T "$1" |
		awk '$NF ~ /^vqn_/ { v = $(NF - 1); gsub(/[()]/, "", v); print v, $NF }' |
		LC_ALL=C sort >"$exp"
	LC_ALL=C comm -23 "$map" "$exp"
)

# Version of an installed Debian package, empty if it is not installed.
pkg_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

# ko_plain KO DIR: copy kernel module KO into DIR as a plain .ko (busybox
# insmod cannot read .ko.xz/.zst/.gz) and print its new name.
ko_plain() {
	_n=$(basename "$1")
	case $1 in
	*.ko.xz) xz -dc "$1" >"$2/${_n%.xz}" ;;
	*.ko.zst) zstd -qdc "$1" >"$2/${_n%.zst}" ;;
	*.ko.gz) gzip -dc "$1" >"$2/${_n%.gz}" ;;
	*) cp "$1" "$2/$_n" ;;
	esac
	echo "${_n%.ko*}.ko"
}

# ko_deps BASE KVER MODULE...: the .ko files MODULE... need, in load order
# (modprobe's own order, duplicates dropped), from BASE/lib/modules/KVER.
ko_deps() {
	_b=$1 _k=$2
	shift 2
	for _m in "$@"; do
		modprobe --show-depends -d "$_b" -S "$_k" "$_m" 2>/dev/null |
			sed -n 's/^insmod \([^ ]*\).*/\1/p'
	done | awk '!seen[$0]++'
}

# ksrc_extract DEST FILE...: extract FILEs (paths relative to the top of the
# kernel tree, e.g. scripts/checkpatch.pl) from Debian's linux-source-6.12
# tarball into DEST, in one pass over the tarball, keeping the tree layout.
ksrc_extract() {
	_dest=$1
	shift
	_tar=/usr/src/linux-source-6.12.tar.xz
	mkdir -p "$(dirname "$_dest")"
	[ -r "$_tar" ] || die "$_tar missing: run scripts/deps.sh (package linux-source-6.12)"
	_tmp=$(mktemp -d "$_dest.tmp.XXXXXX")
	_members=
	for _f in "$@"; do
		_members="$_members linux-source-6.12/$_f"
	done
	# Pulling even one member decompresses nearly the whole stream (~5 s).
	# shellcheck disable=SC2086
	tar -I 'xz -T2' -xf "$_tar" -C "$_tmp" --strip-components=1 $_members ||
		{ rm -rf "$_tmp"; die "cannot extract$_members from $_tar"; }
	mkdir -p "$_dest"
	cp -a "$_tmp"/. "$_dest"/
	rm -rf "$_tmp"
}

# ksrc_cached NAME FILE...: FILEs (as for ksrc_extract) of Debian's
# linux-source-6.12, extracted once, under a lock, into
# $VQN_CACHE/NAME/<its version>; prints that directory.
ksrc_cached() {
	_name=$1
	shift
	_ver=$(pkg_version linux-source-6.12)
	[ -n "$_ver" ] || die "linux-source-6.12 is not installed: run scripts/deps.sh"
	_dir=$VQN_CACHE/$_name/$(printf '%s' "$_ver" | tr -c 'A-Za-z0-9._+-' '_')
	if [ ! -e "$_dir/.complete" ]; then
		with_lock "$VQN_CACHE/$_name.lock" sh -c '
			. "$0"
			_d=$1
			shift
			[ -e "$_d/.complete" ] && exit 0
			ksrc_extract "$_d" "$@"
			touch "$_d/.complete"
		' "$VQN_LIB" "$_dir" "$@" >&2 || exit 1
	fi
	echo "$_dir"
}

# Everything the rig takes from linux-source-6.12, extracted together so the
# ~5 s decompression happens once per source version. Prints the directory.
ksrc_files() {
	_ver=$(pkg_version linux-source-6.12)
	[ -n "$_ver" ] || die "linux-source-6.12 is not installed: run scripts/deps.sh"
	# Debian versions carry '~' (and may carry ':'): keep paths plain.
	_dir=$VQN_CACHE/linux-source-6.12/$(printf '%s' "$_ver" | tr -c 'A-Za-z0-9._+-' '_')
	if [ ! -e "$_dir/.complete" ]; then
		with_lock "$VQN_CACHE/linux-source-6.12.lock" sh -c '
			. "$0"
			[ -e "$1/.complete" ] && exit 0
			ksrc_extract "$1" \
				tools/testing/selftests/kselftest_harness.h \
				tools/testing/selftests/kselftest.h \
				scripts/checkpatch.pl \
				scripts/spelling.txt \
				scripts/const_structs.checkpatch
			touch "$1/.complete"
		' "$VQN_LIB" "$_dir" || exit 1
	fi
	echo "$_dir"
}
