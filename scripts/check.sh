#!/bin/sh
# check.sh: the body of `make check` (run it through make, which passes the
# variables). Builds user/ and the selftests once, runs style and sparse,
# then scripts/vm-test.sh for each kernel in $KERNELS, and ends with one
# line "N passed, N failed" (", N skipped" when any) summed over everything:
# style and sparse count as one check each, each kernel adds the TAP results
# of its selftests plus one failure per problem (see parse-log.sh).
# Exits non-zero when anything failed.
set -u
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
lock_or_wait "$BUILD/check.lock" "make check"
KERNELS=${KERNELS:-6.1 6.12 6.12-rt debug}
results=$BUILD/results
mkdir -p "$results"
rm -f "$results"/*
cd "$TOP" || exit 1
mk() { make --no-print-directory -C "$TOP" "$@"; }

order=
# record NAME PASSED FAILED SKIPPED
record() { echo "RESULT $2 $3 ${4:-0}" >"$results/$1"; }

# check NAME CMD...: one pass/fail check
check() {
	_n=$1
	shift
	echo "== $_n"
	if "$@"; then record "$_n" 1 0 0; else record "$_n" 0 1 0; fi
	order="$order $_n"
}

# host_suite NAME DIR: a suite that runs on the host (`make -C DIR check`,
# its output in $BUILD/NAME) and ends with its own "N passed, N failed[,
# N skipped]" line, which is what counts (no such line: one failure).
host_suite() {
	_n=$1
	_log=$BUILD/logs/$_n.log
	echo "== $_n"
	mkdir -p "$BUILD/logs"
	make --no-print-directory -C "$2" OUT="$BUILD/$_n" check 2>&1 | tee "$_log"
	_c=$(tr -d '\r' <"$_log" | sed -n \
		's/^\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\1 \2 \4/p' |
		tail -n 1)
	# shellcheck disable=SC2086
	[ -n "$_c" ] || { echo "$_n: FAIL: no summary line (log: $_log)"; _c="0 1 0"; }
	# shellcheck disable=SC2086
	record "$_n" $_c
	order="$order $_n"
}

summary() {
	echo "== summary"
	tp=0 tf=0 ts=0
	for n in $order; do
		# shellcheck disable=SC2046
		set -- $(sed -n 's/^RESULT //p' "$results/$n" 2>/dev/null | tail -n 1)
		[ $# -eq 3 ] || set -- 0 1 0
		printf '%-12s %s passed, %s failed, %s skipped\n' "$n" "$1" "$2" "$3"
		tp=$((tp + $1)) tf=$((tf + $2)) ts=$((ts + $3))
	done
	if [ "$ts" -gt 0 ]; then
		echo "$tp passed, $tf failed, $ts skipped"
	else
		echo "$tp passed, $tf failed"
	fi
	[ "$tf" -eq 0 ]
	exit
}

# vqn_qemu_test (integrations/qemu/tests) is not a selftest binary: it runs
# once per kernel of QEMU_KERNELS with the patched QEMU nested. TESTS naming
# only it skips the selftests. QEMU_KERNELS defaults to 6.1 and 6.12, those
# of them in KERNELS; QEMU_KERNELS= (empty) leaves the nested test out.
qemu_test=1 selftests_run=1
if [ -n "${TESTS:-}" ]; then
	case " $TESTS " in
	*" vqn_qemu_test "*)
		TESTS=$(echo " $TESTS " | sed 's/ vqn_qemu_test / /; s/^ *//; s/ *$//')
		[ -n "$TESTS" ] || selftests_run=0
		;;
	*) qemu_test=0 ;;
	esac
fi
if [ -z "${QEMU_KERNELS+set}" ]; then
	QEMU_KERNELS=
	for k in 6.1 6.12; do
		case " $KERNELS " in *" $k "*) QEMU_KERNELS="$QEMU_KERNELS $k" ;; esac
	done
fi

echo "== build: user/ and selftests"
# -k: one test that does not build must not keep the others from running.
built=1
# A TESTS given to make reaches the selftests' make through MAKEFLAGS,
# vqn_qemu_test included, which is no selftest: pass what is left of it.
if [ $selftests_run = 0 ]; then
	mk -k user || built=0
elif [ -n "${TESTS:-}" ]; then
	mk -k selftests TESTS="$TESTS" || built=0
else
	mk -k selftests || built=0
fi
if [ -z "${TESTS:-}" ] && [ $selftests_run = 1 ]; then
	TESTS= missing=
	for t in $(mk -s selftests-list); do
		if [ -x "$BUILD/selftests/$t" ]; then
			TESTS="$TESTS $t"
		else
			missing="$missing $t"
		fi
	done
	export TESTS
	if [ -n "$missing" ]; then
		echo "build: FAIL: these selftests did not build:$missing"
		record build 0 "$(echo $missing | wc -w)" 0
		order=build
	fi
fi
if [ $built = 0 ] && [ -z "$order" ]; then
	echo "build: FAIL (see above)"
	record build 0 1 0
	order=build
fi
echo "selftests:$TESTS"

# The patched QEMU builds (first run only, ~10 CPU-minutes) on one core
# while the other checks and the kernels' VMs (TCG, one host thread) run;
# then the same tree without libvqnotify (--plain, a few minutes: ccache
# has all but the objects the library changes), which the nested test
# migrates into.
# Their exit statuses go to qemu-build.rc and qemu-plain.rc too, for the
# nested VMs' lane, which is no child of this shell's and cannot wait for
# it.
[ $qemu_test = 1 ] || QEMU_KERNELS=
qemu_rc=$BUILD/logs/qemu-build.rc
plain_rc=$BUILD/logs/qemu-plain.rc
if [ -n "$QEMU_KERNELS" ]; then
	mkdir -p "$BUILD/logs"
	rm -f "$qemu_rc" "$qemu_rc.tmp" "$plain_rc" "$plain_rc.tmp"
	(
		# put_rc FILE RC, whole or not at all: the lane reads each
		# once it exists.
		put_rc() { echo "$2" >"$1.tmp" && mv "$1.tmp" "$1"; }
		VQNOTIFY_JOBS=1 "$VQN_SCRIPTS/qemu.sh" >"$BUILD/logs/qemu-build.log" 2>&1
		_rc=$?
		put_rc "$qemu_rc" "$_rc"
		[ "$_rc" = 0 ] || exit "$_rc"
		VQNOTIFY_JOBS=1 "$VQN_SCRIPTS/qemu.sh" --plain \
			>"$BUILD/logs/qemu-plain.log" 2>&1
		_rc=$?
		put_rc "$plain_rc" "$_rc"
		exit "$_rc"
	) &
	qemu_build=$!
fi

check style mk -s style
check sparse mk -s sparse
# The objects sparse built: does every file of the module depend only downward?
check layers "$VQN_SCRIPTS/check-layers.sh" "$BUILD/sparse-6.1/module"
# The same objects: the guest's and the queue's structs keep their sizes.
check sizes "$VQN_SCRIPTS/check-sizes.sh" "$BUILD/sparse-6.1/module"
# The netlink spec validates against YNL's schema and matches the uAPI
# header and the module's tables (the kernel's own YNL tooling).
check spec "$VQN_SCRIPTS/check-spec.sh"
# vqnotifyctl's bash completion, in bash (host only).
check completion "$VQN_SCRIPTS/check-completion.sh"
# kernel.sh's retry on stale package lists installs no kernel on the host
# (a fake archive; host only).
check kernel-sh "$VQN_SCRIPTS/check-kernel-sh.sh"
# libvqnotify built with link-time optimisation keeps its symbol versions
# (host only).
check lib-lto "$VQN_SCRIPTS/check-lib-lto.sh"
# user/tests: the escaping of tenants' names by every vqnotifyctl printer,
# the end of a dump that failed (host only).
host_suite user user
host_suite sm tools/sm
# Documentation builds; make install/uninstall; the packages (lintian); DKMS
# builds from them for 6.1 and 6.12; the packages in a 6.1 VM (pkg-check.sh).
check docs mk -s docs
check install "$VQN_SCRIPTS/pkg-check.sh" install
check deb mk -s deb
check dkms "$VQN_SCRIPTS/pkg-check.sh" dkms
"$VQN_SCRIPTS/pkg-check.sh" smoke || true
[ -f "$results/smoke-6.1" ] || record smoke-6.1 0 1 0
order="$order smoke-6.1"
# A VM that stops whole is killed and booted again (vm-test.sh's heartbeat).
check watchdog "$VQN_SCRIPTS/check-watchdog.sh"

# The patched QEMU (scripts/qemu.sh builds it from Debian's source the first
# time, then it is cached) nested in the rig: Documentation/qemu.rst. Its
# lane (QEMU's checkpatch, then the nested VMs one after the other) runs in
# the background beside the last kernel's VM (the debug kernel's, the
# longest), each TCG VM being about one host thread of the two; its output
# goes to a log printed when it ends. NESTED_BESIDE=0 runs it after the
# kernels instead, in the foreground. Its loops' variables are its own: it
# starts inside the kernels' loop.
qemu_lane=
qemu_lane_log=$BUILD/logs/qemu-lane.log
# rc_of FILE: the build's exit status in FILE, once its subshell wrote it;
# gone without one (killed), it failed: nothing.
rc_of() {
	while [ ! -f "$1" ] && kill -0 "$qemu_build" 2>/dev/null; do
		sleep 5
	done
	cat "$1" 2>/dev/null
}
nested_lane() {
	if [ "$(rc_of "$qemu_rc")" != 0 ]; then
		# No binary: the nested runs and QEMU's checkpatch (which
		# would build it again on every core) fail without running.
		echo "== qemu: scripts/qemu.sh failed (log: $BUILD/logs/qemu-build.log)"
		tail -n 20 "$BUILD/logs/qemu-build.log"
		record qemu-style 0 1 0
		record qemu-plain 0 1 0
		for _q in $QEMU_KERNELS; do
			record "qemu-$_q" 0 1 0
		done
		return
	fi
	# The series as QEMU takes patches: its own checkpatch.pl, clean.
	echo "== qemu-style"
	if "$VQN_SCRIPTS/qemu.sh" --checkpatch; then
		record qemu-style 1 0 0
	else
		record qemu-style 0 1 0
	fi
	# The same tree without libvqnotify, for the nested test's migration
	# into it: without it, that check is a skip, which fails the runs.
	echo "== qemu-plain"
	_plain=0
	if [ "$(rc_of "$plain_rc")" = 0 ]; then
		record qemu-plain 1 0 0
		_plain=1
	else
		echo "scripts/qemu.sh --plain failed (log: $BUILD/logs/qemu-plain.log)"
		tail -n 20 "$BUILD/logs/qemu-plain.log"
		record qemu-plain 0 1 0
	fi
	for _q in $QEMU_KERNELS; do
		echo "== qemu-$_q"
		TESTBIN=$TOP/integrations/qemu/tests TESTS=vqn_qemu_test \
			VM_EXTRA=$VQN_SCRIPTS/qemu-rig.sh VQN_RIG_PLAIN=$_plain \
			QEMU_MEM=${QEMU_MEM:-1536} QEMU_SMP=${NESTED_SMP:-1} \
			VQN_TIMEOUT_vqn_qemu_test=${VQN_TIMEOUT_vqn_qemu_test:-900} \
			"$VQN_SCRIPTS/vm-test.sh" --tag qemu "$_q" || true
		[ -f "$results/qemu-$_q" ] || record "qemu-$_q" 0 1 0
	done
}
# ^C or a TERM: the lane's VMs go too (a background job ignores SIGINT).
# The lane first, so that it starts no other; then its QEMU, whose
# vm-test.sh, seeing it gone, ends.
stop_nested() {
	[ -n "$qemu_lane" ] || return 0
	kill "$qemu_lane" 2>/dev/null
	for _q in $QEMU_KERNELS; do
		_p=$(cat "$BUILD/qemu-$_q/qemu.pid" 2>/dev/null) || continue
		case $(cat "/proc/$_p/comm" 2>/dev/null) in
		qemu-system*) kill "$_p" 2>/dev/null ;;
		esac
	done
}
start_nested() {
	[ -n "$QEMU_KERNELS" ] && [ -z "${nested_started:-}" ] || return 0
	nested_started=1
	order="$order qemu-style qemu-plain"
	for _q in $QEMU_KERNELS; do
		order="$order qemu-$_q"
	done
	if [ "${NESTED_BESIDE:-1}" = 0 ] || [ -z "$last" ]; then
		nested_lane
		return
	fi
	# The kernel first (a cold cache builds the debug kernel on every
	# core): its VM, not its build, goes beside the lane.
	"$VQN_SCRIPTS/kernel.sh" "$last" >/dev/null || :
	echo "== qemu-style, qemu-$(echo $QEMU_KERNELS | sed 's/ / qemu-/g'): in the background (log: $qemu_lane_log)"
	trap 'stop_nested; exit 130' INT
	trap 'stop_nested; exit 143' TERM
	nested_lane >"$qemu_lane_log" 2>&1 </dev/null &
	qemu_lane=$!
}

[ $selftests_run = 1 ] || KERNELS=
last=
for k in $KERNELS; do
	last=$k
done
for k in $KERNELS; do
	[ "$k" != "$last" ] || [ "${NESTED_BESIDE:-1}" = 0 ] || start_nested
	echo "== $k"
	# The soaks run their whole time on 6.1 and the debug kernel; 6.12
	# and 6.12-rt, the same module's code again, a third of the fuzz and
	# half the loads: 2 min of make check's (Documentation/testing.rst).
	case $k in
	6.12*) soak="VQN_FUZZ_SECONDS=${VQN_FUZZ_SECONDS:-20} VQN_LOAD_SECONDS=${VQN_LOAD_SECONDS:-10}" ;;
	*) soak= ;;
	esac
	env $soak "$VQN_SCRIPTS/vm-test.sh" "$k" || true
	[ -f "$results/$k" ] || record "$k" 0 1 0
	order="$order $k"
	# What the vqnotifyctl_cli*_test programs wrote on the guest's second
	# serial port (every -j command's JSON, the metrics), judged by real
	# parsers here: the records of those that ran.
	case " $TESTS " in
	*" vqnotifyctl_cli"*)
		check "$k-out" "$VQN_SCRIPTS/check-output.py" --tests "$TESTS" \
			"$BUILD/logs/$k.out" ;;
	esac
	# The bench's smoke run: its JSON parsed as make bench's would be.
	case " $TESTS " in
	*" vqn_bench_smoke "*)
		check "$k-bench-json" "$VQN_SCRIPTS/check-bench-json.py" \
			"$BUILD/logs/$k.log" ;;
	esac
done

# No kernel ran, or NESTED_BESIDE=0: the lane now, in the foreground.
start_nested
if [ -n "$qemu_lane" ]; then
	echo "== qemu: waiting for the nested VMs (log: $qemu_lane_log)"
	wait "$qemu_lane"
	trap - INT TERM
	cat "$qemu_lane_log"
fi
[ -z "${qemu_build:-}" ] || wait "$qemu_build"

summary
