#!/bin/sh
# /init of the vqnotify test VM (busybox sh), put there by scripts/vm-test.sh.
#
# Loads the kernel's own kvm modules, then runs each selftest in /tests with
# vqnotify.ko loaded afresh and unloads it after (or runs the demo), dumps
# dmesg and reboots (QEMU runs with -no-reboot, so it exits). Every line starting with "VQN-RIG: " is a
# marker read by scripts/parse-log.sh on the host; the rest is the serial
# console: TAP from the tests, kernel messages, the dmesg dump.
export PATH=/bin:/sbin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
exec </dev/console >/dev/console 2>&1
# The heartbeat: a byte every 10 s on the third serial port, whose silence
# tells scripts/vm-test.sh on the host that the whole VM stopped.
(while :; do
	echo
	sleep 10
done >/dev/ttyS2 2>/dev/null) &
ip link set lo up
hostname vqn

# VQN_RIG_MODE, VQN_TESTS, VQN_TEST_TIMEOUT, VQN_MODPARAMS and every VQN_*
# variable given to make on the host (exported to the tests too).
. /etc/vqn-env

mark() { echo "VQN-RIG: $*"; }

echo # the firmware leaves the cursor mid-line
mark "BEGIN kernel=$(uname -r) mode=$VQN_RIG_MODE cpus=$(nproc)"

# The kernel's own kvm and its dependencies, in modprobe order (host-made
# list). A kernel without kvm modules runs with its built-in kvm, or none.
kvm=absent
if [ -s /lib/vqn-kvm/order ]; then
	kvm=ok
	while read -r ko; do
		if ! insmod "/lib/vqn-kvm/$ko"; then
			kvm="FAIL insmod $ko"
			break
		fi
	done </lib/vqn-kvm/order
	[ "$kvm" = ok ] && [ ! -c /dev/kvm ] && kvm="FAIL no /dev/kvm"
elif [ -c /dev/kvm ]; then
	kvm=builtin
fi
# As udev sets it on a Debian host: root:kvm 0660.
[ -c /dev/kvm ] && chgrp kvm /dev/kvm && chmod 660 /dev/kvm
mark "KVM $kvm"

# Loaded is not enough: without its device node every test would skip.
# shellcheck disable=SC2086 # VQN_MODPARAMS is a list of name=value
load() {
	insmod /vqnotify.ko $VQN_MODPARAMS || return
	[ -c /dev/vqnotify ] && return
	echo "vqnotify.ko loaded, but /dev/vqnotify is no character device"
	return 99
}
unload() { rmmod vqnotify && ! grep -q '^vqnotify ' /proc/modules; }

# group_alive: is any process of group $pg still running? (Zombies hold no
# files; orphans become ours and may not be reaped at once.)
group_alive() {
	for s in /proc/[0-9]*/stat; do
		# shellcheck disable=SC2046 # after "(comm) ": state ppid pgrp ...
		set -- $(sed 's/.*) //' "$s" 2>/dev/null)
		[ "${3:-}" = "$pg" ] && [ "$1" != Z ] && return 0
	done
	return 1
}

# run_test NAME: run /tests/NAME in its own process group with a timeout
# (VQN_TIMEOUT_<NAME with non-alphanumerics as _>, else VQN_TEST_TIMEOUT);
# when it ends, whatever it left running in its group is killed.
run_test() {
	var=VQN_TIMEOUT_$(echo "$1" | tr -c 'A-Za-z0-9_\n' '_')
	eval "to=\${$var:-$VQN_TEST_TIMEOUT}"
	mark "TEST $1 BEGIN timeout=${to}s"
	rm -f /tmp/.vqn-timedout
	cd /tmp || return
	t0=$(date +%s)
	setsid "/tests/$1" &
	pid=$!
	(
		sleep "$to"
		if kill -0 "$pid" 2>/dev/null; then
			: >/tmp/.vqn-timedout
			kill -s KILL "-$pid"
		fi
	) &
	wd=$!
	wait "$pid"
	rc=$?
	kill "$wd" 2>/dev/null
	kill -s KILL "-$pid" 2>/dev/null
	pg=$pid
	n=0
	while group_alive && [ $n -lt 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	cd /
	if [ -e /tmp/.vqn-timedout ]; then
		mark "TEST $1 END TIMEOUT after ${to}s"
	else
		mark "TEST $1 END rc=$rc time=$(($(date +%s) - t0))s"
	fi
}

# KUnit (debug kernel): the suite runs at insmod; its TAP results, one
# line per case, are reported like a test binary's.
if [ -f /vqnotify_kunit.ko ] && [ "$VQN_RIG_MODE" != demo ]; then
	mark "TEST kunit BEGIN timeout=60s"
	t0=$(date +%s)
	insmod /vqnotify_kunit.ko
	rc=$?
	res=/sys/kernel/debug/kunit/vqnotify_sm/results
	[ -r $res ] || rc=1
	[ -r $res ] && grep -E '^ +(not )?ok ' $res | sed 's/^ *//'
	rmmod vqnotify_kunit || rc=1
	mark "TEST kunit END rc=$rc time=$(($(date +%s) - t0))s"
fi

# The binaries to run: scripts/parse-log.sh fails any that never began.
# shellcheck disable=SC2086 # a list of names
[ "$VQN_RIG_MODE" = demo ] || mark "TESTS" $VQN_TESTS

loaded=
if [ "$VQN_RIG_MODE" = smoke ]; then
	# The package smoke test (scripts/pkg-check.sh smoke): the module comes
	# from the unpacked packages and the test loads it itself.
	for t in $VQN_TESTS; do
		run_test "$t"
	done
	grep -q '^vqnotify ' /proc/modules && loaded=1
elif load; then
	loaded=1
	mark "MODLOAD ok"
else
	mark "MODLOAD FAIL insmod /vqnotify.ko exited $?"
fi

if [ -n "$loaded" ]; then
	case $VQN_RIG_MODE in
	smoke) ;;
	demo)
		mark "DEMO BEGIN"
		vqnotifyctl replay /examples/demo.vqn
		mark "DEMO END rc=$?"
		;;
	*)
		# Each binary gets a freshly loaded module (VQN_RELOAD=0: one load
		# for all), so one cannot leave state to the next, and the unload
		# after it proves it released everything.
		for t in $VQN_TESTS; do
			if [ -z "$loaded" ]; then
				load || {
					mark "MODLOAD FAIL insmod before $t exited $?"
					break
				}
				loaded=1
			fi
			run_test "$t"
			if [ "${VQN_RELOAD:-1}" != 0 ]; then
				if unload; then
					loaded=
					mark "RMMOD ok after $t"
				else
					mark "RMMOD FAIL after $t"
					VQN_RELOAD=0 stuck=1
				fi
			fi
		done
		;;
	esac

	# A module that would not unload once will not now either.
	if [ -n "$loaded" ] && [ -z "${stuck:-}" ]; then
		if unload; then
			mark "RMMOD ok"
		else
			mark "RMMOD FAIL"
		fi
	fi
fi

# Debug kernels: kmemleak reports objects older than 5 s, and only after a
# scan (its periodic scan may be off).
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	mark "KMEMLEAK BEGIN"
	cat /sys/kernel/debug/kmemleak
	mark "KMEMLEAK END"
fi
if [ -r /proc/lockdep_stats ]; then
	mark "LOCKDEP $(grep -o 'debug_locks: *[0-9]*' /proc/lockdep_stats | tr -d ' ')"
fi

mark "TAINT $(cat /proc/sys/kernel/tainted)"
mark "DMESG BEGIN"
dmesg
mark "DMESG END"
mark "END"
sync
reboot -f
