#!/bin/sh
# vm-test.sh [--demo] [--tag TAG] NAME: prove vqnotify in kernel NAME
# (see kernel.sh).
#
#  1. fetch the kernel (scripts/kernel.sh) and build vqnotify.ko against its
#     headers in $BUILD/NAME/module (scripts/kbuild.sh: a copy of Kbuild,
#     $KMOD and the uAPI header; runs for the same NAME in one $BUILD take
#     turns);
#  2. pack an initramfs: busybox-static, /init (scripts/guest-init.sh), the
#     kernel's own kvm modules and their dependencies (decompressed), the
#     module, the selftest binaries in /tests, vqnotifyctl, examples/;
#  3. boot it in QEMU (TCG) under a hard timeout, the serial console going to
#     $BUILD/logs/NAME.log (and to the terminal with V=1);
#  4. judge the log with scripts/parse-log.sh; the result (last line
#     "RESULT passed failed skipped") is kept in $BUILD/results/NAME.
# With --demo the guest runs `vqnotifyctl replay /examples/demo.vqn` instead
# of the tests and its output is printed. --tag TAG names the log and result
# TAG-NAME instead of NAME (demo: demo-NAME), e.g. for `make bench`.
# With --smoke DIR (scripts/pkg-check.sh smoke) nothing is built: DIR, a
# tree of unpacked packages with the DKMS-built module, is copied over the
# initramfs, and the programs in DIR/tests run without the rig loading the
# module (they load it); log and result are named smoke-NAME.
#
# Environment (the top-level Makefile sets these; all optional):
#   BUILD         build directory (default: build/ at the top of the repo)
#   KMOD          the module's *.c, *.h (default: kmod/; Kbuild is at the top)
#   TESTBIN       directory of the selftest binaries (default: $BUILD/selftests)
#   TESTS         names of the binaries to run (default: all in TESTBIN)
#   CTL           vqnotifyctl binary (default: $BUILD/user/vqnotifyctl, if any)
#   TEST_TIMEOUT  seconds per test binary in the guest (default 300); for
#                 the selftests, NAME_TIMEOUT in selftests/Makefile wins
#   VM_TIMEOUT    hard limit for the whole QEMU run, seconds (default 600 +
#                 the longest per-binary timeout; 1500 + it for the debug
#                 kernel)
#   VM_HEARTBEAT  seconds without the guest's heartbeat after which the VM
#                 is killed (default 240, 0: never): a failure, unless
#                 VM_RETRY=1
#   VM_RETRY      1: boot a VM killed for silence again, once, when nothing
#                 had failed before (the default of the nested QEMU runs,
#                 --tag qemu and demo-qemu, whose rig once stopped whole);
#                 0 (every other run's default): a VM that stops whole fails
#   QEMU_MEM      guest memory in MiB (default 1024)
#   QEMU_SMP      guest CPUs (default 2)
#   QEMU_CPU      guest CPU model (default: EPYC with SVM, see below)
#   QEMU_ACCEL    QEMU -accel (default: tcg,thread=single, see below)
#   CMDLINE       extra kernel command line
#   MODPARAMS     parameters for `insmod vqnotify.ko`
#   V=1           show the guest console live
#   VM_EXTRA      a command adding files to the initramfs: it is run with the
#                 root directory as its last argument, KVER, VMLINUZ, MODDIR
#                 set (scripts/qemu-rig.sh: the nested QEMU and its guests)
#   VQN_*         every such variable is exported to the guest (/etc/vqn-env),
#                 e.g. VQN_FUZZ_SECONDS=60, VQN_TIMEOUT_<test>=600
# Exit status: 0 when the kernel passed.
set -eu
# depmod and modinfo (the guest's kvm modules) live in sbin.
PATH=$PATH:/usr/sbin:/sbin
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)

mode=test
prefix=
overlay=
while [ $# -gt 1 ]; do
	case $1 in
	--demo) mode=demo prefix=demo- ;;
	--tag) prefix=$2- && shift ;;
	--smoke) mode=smoke prefix=smoke- overlay=$2 && shift ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || die "usage: $0 [--demo | --smoke DIR] [--tag TAG] 6.1|6.12|6.12-rt|debug"
name=$1

BUILD=${BUILD:-$TOP/build}
KMOD=${KMOD:-$TOP/kmod}
export KMOD
TESTBIN=${TESTBIN:-$BUILD/selftests}
CTL=${CTL:-$BUILD/user/vqnotifyctl}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
QEMU_MEM=${QEMU_MEM:-1024}
QEMU_SMP=${QEMU_SMP:-2}
# EPYC with SVM so the guest's own kvm-amd loads. Minus what TCG cannot do
# (QEMU would drop those with a warning each), plus invariant TSC, which TCG
# does not offer but the PREEMPT_RT kvm insists on ("RT requires
# X86_FEATURE_CONSTANT_TSC"); x-force-features keeps that one CPUID bit.
QEMU_CPU=${QEMU_CPU:-EPYC,+svm,-rdseed,-sha-ni,-fxsr-opt,-misalignsse,-3dnowprefetch,-osvw,-topoext,-nrip-save,-xsavec,+invtsc,x-force-features=on}
# One host thread for both vCPUs: with multi-threaded TCG, the guest's live
# text patching (static keys flipped as kvm VMs come and go) oopsed on an
# int3 in __schedule or froze the guest, in 3 of 3 kernels under host load;
# never seen single-threaded, which runs the tests as fast here.
QEMU_ACCEL=${QEMU_ACCEL:-tcg,thread=single}
CMDLINE=${CMDLINE:-}
MODPARAMS=${MODPARAMS:-}
V=${V:-0}

tag=$prefix$name
work=$BUILD/$tag
logf=$BUILD/logs/$tag.log
result=$BUILD/results/$tag
lock_or_wait "$BUILD/$tag.lock" "VM run of $tag"
mkdir -p "$work" "$BUILD/logs" "$BUILD/results"
# No log or output of an earlier run may be judged as this one's.
rm -f "$result" "$logf" "$logf.silent" "$BUILD/logs/$tag.out"

# Record a failure that happened before the guest could run, and stop.
early_fail() {
	echo "$tag: FAIL: $*"
	printf '%s: FAIL: %s\nRESULT 0 1 0\n' "$tag" "$*" >"$result"
	exit 1
}

# 1. Kernel and module.
kenv=$("$VQN_SCRIPTS/kernel.sh" "$name") || early_fail "kernel $name unavailable"
eval "$kenv"

if [ $mode = smoke ]; then
	[ -d "$overlay/tests" ] || early_fail "no $overlay/tests"
	TESTBIN=$overlay/tests
	TESTS=
else
	ls "$KMOD"/*.c >/dev/null 2>&1 || early_fail "no module sources in $KMOD"
	echo "$tag: building vqnotify.ko for $KVER"
	# In a copy of the sources ($work/module), warnings as errors.
	if ! VQN_WERROR=1 "$VQN_SCRIPTS/kbuild.sh" "$KDIR" "$work/module" modules \
		>"$work/kbuild.log" 2>&1; then
		tail -n 40 "$work/kbuild.log"
		early_fail "module build against $KDIR (log: $work/kbuild.log)"
	fi
	ko=$work/module/vqnotify.ko
	[ -f "$ko" ] || early_fail "module build made no vqnotify.ko"
fi

# 2. Initramfs.
if [ $mode = demo ]; then
	TESTS=
elif [ -z "${TESTS:-}" ]; then
	TESTS=$(cd "$TESTBIN" 2>/dev/null && for f in *; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done) || TESTS=
fi
# The variable holding test $1's own timeout (guest-init.sh reads it too).
timeout_var() { echo "VQN_TIMEOUT_$(echo "$1" | tr -c 'A-Za-z0-9_\n' '_')"; }

# Per-binary timeouts the selftests declare (NAME_TIMEOUT), unless given
# as VQN_TIMEOUT_<name> already; the guest reads VQN_TIMEOUT_<name>.
if [ "$TESTBIN" = "$BUILD/selftests" ] && [ -n "$TESTS" ]; then
	make -s --no-print-directory -C "$TOP" selftests-timeouts >"$work/timeouts" || :
	while read -r t secs; do
		v=$(timeout_var "$t")
		eval "[ -n \"\${$v:-}\" ] || export $v=\$secs"
	done <"$work/timeouts"
fi
longest=$TEST_TIMEOUT
for t in $TESTS; do
	eval "secs=\${$(timeout_var "$t"):-$TEST_TIMEOUT}"
	[ "$secs" -gt "$longest" ] && longest=$secs
done
# The debug kernel's run (lockdep, KASAN, every selftest) takes 670-700 s
# of TCG here, past 600 + 300; on a machine busy with other work it went
# past 900 s, all of it passing. A whole VM that stops is the heartbeat's
# to catch, a test that hangs its own timeout's: this limit is the last.
if [ "$name" = debug ]; then
	VM_TIMEOUT=${VM_TIMEOUT:-$((1500 + longest))}
else
	VM_TIMEOUT=${VM_TIMEOUT:-$((600 + longest))}
fi
VM_HEARTBEAT=${VM_HEARTBEAT:-240}
case $tag in
qemu-* | demo-qemu-*) VM_RETRY=${VM_RETRY:-1} ;;
*) VM_RETRY=${VM_RETRY:-0} ;;
esac

root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin etc proc sys dev tmp root tests examples lib/vqn-kvm
cp /bin/busybox bin/busybox
for a in $(bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "bin/$a"
done
cp "$VQN_SCRIPTS/guest-init.sh" init
chmod 755 init
# The kernel opens /dev/console for /init before devtmpfs is mounted.
mknod -m 600 dev/console c 5 1 2>/dev/null || true
if [ $mode = smoke ]; then
	cp -a "$overlay/." .
else
	cp "$ko" vqnotify.ko
	# The state machine's KUnit suite, built where the kernel has KUnit:
	# the debug kernel has, and its run must not lose the suite unseen.
	if [ -f "$work/module/vqnotify_kunit.ko" ]; then
		cp "$work/module/vqnotify_kunit.ko" .
	elif [ "$name" = debug ]; then
		early_fail "vqnotify_kunit.ko not built for the debug kernel"
	fi
fi

# kvm-amd and what it needs, in load order, as plain .ko for busybox insmod.
base=${MODDIR%/lib/modules/*}
if [ ! -f "$MODDIR/modules.dep" ] && [ -d "$MODDIR/kernel" ]; then
	depmod -b "$base" "$KVER" 2>/dev/null || true
fi
ko_deps "$base" "$KVER" kvm-amd >"$work/kvm.list" || true
while read -r m; do
	ko_plain "$m" lib/vqn-kvm >>lib/vqn-kvm/order
done <"$work/kvm.list"

for t in $TESTS; do
	[ -x "$TESTBIN/$t" ] || early_fail "test binary $TESTBIN/$t missing"
	cp "$TESTBIN/$t" tests/
done
[ -x "$CTL" ] && cp "$CTL" bin/vqnotifyctl
# trace-cmd (scripts/deps.sh) and its shared libraries, for vqn_trace_test.
if [ -x /usr/bin/trace-cmd ]; then
	cp /usr/bin/trace-cmd bin/trace-cmd
	for l in $(ldd /usr/bin/trace-cmd | grep -o '/[^ ]*'); do
		mkdir -p ".$(dirname "$l")"
		cp -L "$l" ".$l"
	done
fi
[ -d "$TOP/examples" ] && cp -a "$TOP/examples/." examples/
# More files for a kind of test (scripts/qemu-rig.sh: a nested QEMU): the
# command VM_EXTRA runs with the initramfs root as its argument.
if [ -n "${VM_EXTRA:-}" ]; then
	KVER=$KVER VMLINUZ=$VMLINUZ MODDIR=$MODDIR $VM_EXTRA "$root" ||
		early_fail "VM_EXTRA ($VM_EXTRA) failed"
fi
if [ $mode = demo ]; then
	[ -x bin/vqnotifyctl ] || early_fail "demo needs $CTL (make -C user)"
	[ -f examples/demo.vqn ] || early_fail "demo needs examples/demo.vqn"
fi

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
kvm:x:36:
nogroup:x:65534:
EOF

# Quote a value for a shell assignment.
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "export VQN_RIG_MODE=$mode"
	echo "export VQN_KERNEL=$(shq "$name")"
	echo "export VQN_TESTS=$(shq "$(echo $TESTS)")"
	echo "export VQN_TEST_TIMEOUT=$(shq "$TEST_TIMEOUT")"
	echo "export VQN_MODPARAMS=$(shq "$MODPARAMS")"
	env | grep -E '^VQN_[A-Za-z0-9_]*=' | grep -vE '^VQN_(RIG_MODE|KERNEL|TESTS|TEST_TIMEOUT|MODPARAMS)=' |
		while IFS= read -r kv; do
			echo "export ${kv%%=*}=$(shq "${kv#*=}")"
		done
} >etc/vqn-env

find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$work/initramfs.cpio.gz"
cd "$TOP"

# 3. Boot.
append="console=ttyS0 panic=-1 quiet log_buf_len=4M $CMDLINE"
# The guest's second serial port (/dev/ttyS1) goes to $outf: output the
# selftests hand to host-side checks (scripts/check-output.py), apart from
# the console and its kernel messages.
outf=$BUILD/logs/$tag.out
# The third (/dev/ttyS2) gets the guest's heartbeat (guest-init.sh).
hbf=$work/heartbeat
set -- timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -accel "$QEMU_ACCEL" -cpu "$QEMU_CPU" \
	-smp "$QEMU_SMP" -m "$QEMU_MEM" -nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$work/initramfs.cpio.gz" -append "$append" \
	-serial mon:stdio -serial "file:$outf" -serial "file:$hbf" \
	-pidfile "$work/qemu.pid"

# boot: run QEMU ("$@") once, the console in $logf (and on the terminal
# with V=1); rc its exit status. When the heartbeat stays silent for
# VM_HEARTBEAT seconds (0: never), the whole VM has stopped (as a nested
# run once did: the rig's QEMU idle, no in-guest timeout firing) and is
# killed: silent is then the seconds it was silent. ^C or TERM stops
# QEMU too (boot_stop): timeout(1) runs it in a process group of its own,
# which the terminal's ^C never reaches, and it would run on to VM_TIMEOUT.
boot() {
	rm -f "$outf" "$hbf" "$work/qemu.pid"
	: >"$logf"
	qpid=
	trap 'boot_stop INT' INT
	trap 'boot_stop TERM' TERM
	"$@" </dev/null >"$logf" 2>&1 &
	qpid=$!
	[ "$V" = 1 ] && tail -n +1 -f --pid="$qpid" "$logf" &
	silent=0 heard=-1 since=$(date +%s)
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		n=$(wc -c <"$hbf" 2>/dev/null) || n=0
		now=$(date +%s)
		if [ "$n" != "$heard" ]; then
			heard=$n since=$now
		elif [ "$VM_HEARTBEAT" -gt 0 ] && [ $((now - since)) -ge "$VM_HEARTBEAT" ]; then
			silent=$((now - since))
			kill -s TERM "$qpid" 2>/dev/null || :
			break
		fi
	done
	rc=0
	# (the shell's "Terminated" for a killed QEMU: said below)
	wait "$qpid" 2>/dev/null || rc=$?
	trap - INT TERM
	wait
}

# boot_stop SIG: QEMU stopped and waited for, then this script dies of SIG
# itself, not exits: a calling bash stops its loop only for a child that
# died of the ^C.
boot_stop() {
	if [ -n "$qpid" ]; then
		kill -s TERM "$qpid" 2>/dev/null || :
		wait "$qpid" 2>/dev/null || :
	fi
	trap - "$1"
	kill -s "$1" $$
}

# say_rc: what QEMU's exit status says, when it was not killed for silence.
say_rc() {
	case $rc in
	0) ;;
	124 | 137) echo "$tag: QEMU killed by the hard timeout (VM_TIMEOUT=$VM_TIMEOUT s)" ;;
	*) echo "$tag: QEMU exited with status $rc" ;;
	esac
}

echo "$tag: booting $KVER ($(echo $TESTS | wc -w) test binaries), console log: $logf"
start=$(date +%s)
boot "$@"
said=
if [ "$silent" -eq 0 ]; then
	say_rc
else
	# Booted again only with VM_RETRY=1 and when nothing had failed before
	# the VM stopped; the silent run's log stays beside the new one.
	mv "$logf" "$logf.silent"
	echo "$tag: the VM gave no heartbeat for $silent s and was killed (log: $logf.silent)"
	if [ "$VM_RETRY" != 1 ]; then
		said="$tag: FAIL: the VM gave no heartbeat for $silent s (a VM that stops whole fails; VM_RETRY=1 boots it again)"
		cp "$logf.silent" "$logf"
	elif "$VQN_SCRIPTS/parse-log.sh" --cut "$logf.silent" "$tag" >/dev/null; then
		said="$tag: booted again after $silent s without heartbeat (log: $logf.silent)"
		echo "$tag: nothing had failed before: booting again"
		boot "$@"
		if [ "$silent" -eq 0 ]; then
			say_rc
		else
			echo "$tag: the VM gave no heartbeat for $silent s again and was killed"
		fi
	else
		echo "$tag: something had failed before: not booted again"
		cp "$logf.silent" "$logf"
	fi
fi
elapsed=$(($(date +%s) - start))

if [ $mode = demo ]; then
	tr -d '\r' <"$logf" | sed -n '/^VQN-RIG: DEMO BEGIN/,/^VQN-RIG: DEMO END/{/^VQN-RIG: /d;p}'
fi

# 4. Verdict.
st=0
{
	[ -z "$said" ] || echo "$said"
	"$VQN_SCRIPTS/parse-log.sh" "$logf" "$tag" || st=$?
} >"$result"
grep -v '^RESULT ' "$result" || true
set -- $(sed -n 's/^RESULT //p' "$result")
if [ $mode = demo ]; then
	[ "$st" -eq 0 ] && v=ok || v=FAILED
	echo "$tag: $v in ${elapsed}s (kernel $KVER, log $logf)"
else
	echo "$tag: $1 passed, $2 failed, $3 skipped in ${elapsed}s (kernel $KVER, log $logf)"
fi
exit $st
