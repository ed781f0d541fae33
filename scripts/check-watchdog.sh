#!/bin/sh
# check-watchdog.sh: the heartbeat watchdog of scripts/vm-test.sh works.
#
#  1. scripts/parse-log.sh --cut on made-up logs: a VM cut off with nothing
#     failed is clean (so it is booted again), one with a failed test or a
#     kernel warning before the cut is not, and without --cut the same
#     clean log fails (no end marker).
#  2. A 6.1 VM whose QEMU is stopped (SIGSTOP) as it starts is killed after
#     VM_HEARTBEAT seconds and, with VM_RETRY=1 (the nested QEMU runs'
#     default), booted again; the second boot runs a test that sleeps
#     longer than VM_HEARTBEAT, which passes only while the guest's
#     heartbeat keeps the watchdog quiet.
#  3. The same stop with VM_RETRY=0 (every other run's default) fails the
#     run: a VM that stops whole is not given a second chance.
# Prints one line per case, ends with "N passed, N failed"; exits 1 when
# anything failed.
set -u
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$VQN_SCRIPTS/../build}
tmp=$BUILD/watchdog
rm -rf "$tmp"
mkdir -p "$tmp/tests"
pass=0 fail=0

ok() { pass=$((pass + 1)) && echo "ok: $*"; }
bad() { fail=$((fail + 1)) && echo "FAIL: $*"; }

# cut_case NAME WANT [--cut]: parse-log.sh on $tmp/log exits WANT (0 or 1).
cut_case() {
	got=0
	# shellcheck disable=SC2086 # $3: an option or nothing
	"$VQN_SCRIPTS/parse-log.sh" ${3:-} "$tmp/log" wd >"$tmp/parse" || got=$?
	if [ "$got" = "$2" ]; then
		ok "parse-log ${3:-}: $1"
	else
		bad "parse-log ${3:-}: $1: exit $got, expected $2"
		sed 's/^/  /' "$tmp/parse"
	fi
}

begin='VQN-RIG: BEGIN kernel=6.1 mode=test cpus=2
VQN-RIG: TEST a BEGIN timeout=300s
ok 1 first
VQN-RIG: TEST a END rc=0 time=1s
VQN-RIG: TEST b BEGIN timeout=300s
ok 1 second'
printf '%s\n' "$begin" >"$tmp/log"
cut_case "cut off mid-test, nothing failed" 0 --cut
cut_case "the same log, not cut off" 1
: >"$tmp/log"
cut_case "cut off before /init" 0 --cut
printf '%s\nnot ok 2 third\n' "$begin" >"$tmp/log"
cut_case "a failed test before the cut" 1 --cut
printf '%s\n[   12.5] WARNING: CPU: 0 PID: 1 at x\n' "$begin" >"$tmp/log"
cut_case "a kernel warning before the cut" 1 --cut

# The test of the second boot: longer than the watchdog's limit.
hb=15
cat >"$tmp/tests/sleeper" <<EOF
#!/bin/sh
echo "TAP version 13"
echo "1..1"
sleep $((2 * hb))
echo "ok 1 slept $((2 * hb)) s"
EOF
chmod 755 "$tmp/tests/sleeper"
pidf=$BUILD/wd-6.1/qemu.pid

# stopped_vm RETRY: vm-test.sh with VM_RETRY=RETRY, its first QEMU stopped
# as it starts; its output in $tmp/vm, its exit status in rc.
stopped_vm() {
	rm -f "$pidf"
	VM_RETRY=$1 VM_HEARTBEAT=$hb VM_TIMEOUT=300 TESTBIN=$tmp/tests \
		TESTS=sleeper "$VQN_SCRIPTS/vm-test.sh" --tag wd 6.1 \
		>"$tmp/vm" 2>&1 &
	vm=$!
	n=0
	while [ ! -s "$pidf" ] && kill -0 "$vm" 2>/dev/null && [ $n -lt 1200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if [ -s "$pidf" ] && kill -s STOP "$(cat "$pidf")"; then
		ok "first QEMU stopped (VM_RETRY=$1)"
	else
		bad "no QEMU to stop (pid file $pidf)"
	fi
	rc=0
	wait "$vm" || rc=$?
	sed 's/^/  /' "$tmp/vm"
}

stopped_vm 0
if [ $rc = 1 ] && ! grep -q "booting again" "$tmp/vm" &&
	grep -q "^wd-6.1: FAIL: the VM gave no heartbeat" "$BUILD/results/wd-6.1"; then
	ok "VM_RETRY=0: killed for silence, not booted again, failed"
else
	bad "VM_RETRY=0: vm-test.sh exited $rc, or booted again, or no failure said"
fi

stopped_vm 1
if [ $rc = 0 ]; then ok "vm-test.sh passed"; else bad "vm-test.sh exited $rc"; fi
if grep -q "^wd-6.1: the VM gave no heartbeat for [0-9]* s and was killed" "$tmp/vm" &&
	grep -q "^wd-6.1: nothing had failed before: booting again" "$tmp/vm"; then
	ok "killed for silence and booted again"
else
	bad "not killed for silence and booted again"
fi
if grep -q "^wd-6.1: booted again after" "$BUILD/results/wd-6.1" &&
	grep -q "^RESULT 1 0 0$" "$BUILD/results/wd-6.1"; then
	ok "result: the retry said, the sleeper passed"
else
	bad "result: $(tr '\n' ' ' <"$BUILD/results/wd-6.1" 2>/dev/null)"
fi
if [ -f "$BUILD/logs/wd-6.1.log.silent" ]; then
	ok "silent log kept"
else
	bad "no $BUILD/logs/wd-6.1.log.silent"
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
