#!/bin/sh
# parse-log.sh [--cut] LOG [NAME]: judge one guest serial console log
# written by a VM booted with scripts/guest-init.sh.
#
# Prints one line per test binary and one per problem found, then a last line
# "RESULT <passed> <failed> <skipped>". Counts come from the TAP lines of each
# test binary ("ok N", "not ok N", "ok N ... # SKIP"); on top of them one
# failure is counted for each of:
#   - a binary that timed out, crashed, exited non-zero without a "not ok",
#     or printed no TAP result at all (exit 4, KSFT_SKIP, without a failed
#     result is a skip: one skip if it printed no result);
#   - a binary that exited 0 with fewer results than its TAP plan ("1..N");
#   - a skip that scripts/allowed-skips does not allow for this log (by the
#     log's NAME, the skip's reason and the test), and a binary skipped
#     whole;
#   - a binary of the guest's list ("VQN-RIG: TESTS") that never began, and
#     a list with nothing in it (nothing would be judged);
#   - kvm modules present but not loading, no kvm at all (every rig kernel
#     has it: its tests would skip), vqnotify.ko failing to load or to
#     unload, the demo failing;
#   - a kernel message (timestamped console line, the dmesg dump, kmemleak)
#     starting with WARNING: (a WARN() or a lockdep report), or holding
#     BUG:, "kernel BUG at", Oops, "Kernel panic", "unreferenced object",
#     "possible recursive locking", "possible circular locking", "sleeping
#     function called from invalid context", KASAN:, UBSAN:, a hung task
#     ("blocked for more than N seconds") or an RCU stall;
#   - a taint other than O (4096, out-of-tree), E (8192, unsigned) and N
#     (262144, KUnit tests ran);
#   - lockdep turned off (debug_locks: 0), on kernels with lockdep;
#   - no end marker: the guest crashed, hung or hit the QEMU hard timeout.
# With --cut the host cut the VM off (scripts/vm-test.sh's heartbeat
# watchdog): the missing end marker and the test that never ended are not
# failures, so that the status says whether anything failed before.
# Exit status: 0 when nothing failed.
set -eu

cut=0
[ "${1:-}" = --cut ] && cut=1 && shift
[ $# -ge 1 ] || { echo "usage: $0 [--cut] LOG [NAME]" >&2; exit 2; }
log=$1
name=${2:-$(basename "$log" .log)}

allowed=$(dirname "$0")/allowed-skips
[ -r "$allowed" ] || { echo "$0: $allowed missing" >&2; exit 2; }

tr -d '\r' <"$log" | awk -v name="$name" -v logfile="$log" -v cut="$cut" \
	-v allowfile="$allowed" '
function problem(msg) {
	nprob++
	printf "%s: FAIL: %s\n", name, msg
}
function finish_test(how,    total, extra, rc) {
	total = tp + tf + ts
	extra = ""
	if (how ~ /^TIMEOUT/) {
		tf++; extra = " (timed out" substr(how, 8) ")"
	} else if (how !~ /^rc=/ && cut) {
		extra = " (cut off: the VM went silent in it)"
	} else if (how !~ /^rc=/) {
		tf++; extra = " (no end marker: the VM died or timed out in it)"
	} else if (how == "rc=0" && plan != "" && total < plan + 0) {
		tf++; extra = " (" total " results for a plan of " plan ")"
	} else {
		rc = substr(how, 4) + 0
		if (rc == 4 && tf == 0) {
			# KSFT_SKIP: the program could not run (ksft_exit_skip)
			if (total == 0) {
				ts++
				problem(cur ": skipped whole (exit 4)")
			}
			extra = " (exit 4: skipped)"
		} else if (rc != 0 && tf == 0) {
			tf++; extra = " (exit status " rc " without a failed TAP result)"
		} else if (rc == 0 && total == 0) {
			tf++; extra = " (no TAP result)"
		} else if (rc != 0) {
			extra = " (exit status " rc ")"
		}
	}
	if (took != "") extra = extra " in " substr(took, 6)
	took = ""
	printf "%s: %-28s %3d passed, %d failed, %d skipped%s\n", name, cur, tp, tf, ts, extra
	for (i = 1; i <= nfailed; i++)
		printf "%s:   %s\n", name, failed[i]
	pass += tp; fail += tf; skip += ts
	cur = ""
}
function scan(line) {
	# The console and the dmesg dump show the same message twice.
	if (seen[line]++)
		return
	# WARN() and lockdep reports start the message with "WARNING:"; boot
	# notes like "Speculative Return Stack Overflow: WARNING: ..." do not.
	if (line ~ /(^|\] )WARNING:/ ||
	    line ~ /BUG:|kernel BUG at|Oops|Kernel panic|unreferenced object|possible recursive locking|possible circular locking|sleeping function called from invalid context|KASAN:|UBSAN:|blocked for more than [0-9]+ seconds|detected (expedited )?stalls? on|self-detected stall/) {
		nbad++
		if (nbad <= 5)
			problem("kernel: " line)
	}
}
# Is the skip on TAP line @line one scripts/allowed-skips allows for name?
function skip_allowed(line,    why, test, i) {
	why = line
	sub(/^.*# [Ss][Kk][Ii][Pp] */, "", why)
	test = line
	sub(/^ok [0-9]+ (- )?/, "", test)
	sub(/ *# [Ss][Kk][Ii][Pp].*$/, "", test)
	for (i = 1; i <= nallow; i++)
		if (name ~ allow_re[i] && index(why, allow_why[i]) == 1 &&
		    test ~ allow_test[i])
			return 1
	return 0
}
BEGIN {
	taintnames = "PFSRMBUDAWCIOELKXTN"
	while ((getline l < allowfile) > 0) {
		if (l ~ /^#/ || l !~ /\t/) continue
		nallow++
		split(l, f, "\t")
		allow_re[nallow] = f[1]
		allow_why[nallow] = f[2]
		allow_test[nallow] = 3 in f && f[3] != "" ? f[3] : "."
	}
}
/VQN-RIG: BEGIN/ { begun = 1; next }
/^VQN-RIG: KVM FAIL/ { problem("kvm modules: " substr($0, 18)); next }
/^VQN-RIG: KVM absent/ { problem("no kvm in the guest: its tests would skip"); next }
/^VQN-RIG: TESTS/ {
	listed = 1
	# Names only: a kernel message cut into the line adds no test.
	for (i = 3; i <= NF; i++) if ($i ~ /^[A-Za-z0-9_.-]+$/) want[$i] = 1
	next
}
/^VQN-RIG: MODLOAD FAIL/ { problem("module load: " substr($0, 23)); next }
/^VQN-RIG: RMMOD FAIL/ { problem("module unload: rmmod vqnotify failed" substr($0, 20)); next }
/^VQN-RIG: TEST [^ ]+ BEGIN/ {
	if (cur != "") finish_test("")
	cur = $3; tp = tf = ts = nfailed = 0; plan = ""; began[cur] = 1; next
}
/^VQN-RIG: TEST [^ ]+ END/ {
	if (cur != $3) next
	if ($5 == "TIMEOUT") finish_test($5 " " $6 " " $7)
	else { took = $6; finish_test($5) }
	next
}
/^VQN-RIG: DEMO END/ {
	demo = 1
	if ($4 != "rc=0") problem("demo: vqnotifyctl replay exited " substr($4, 4))
	next
}
/^VQN-RIG: LOCKDEP/ {
	if ($3 == "debug_locks:0") problem("lockdep: debug_locks is 0 (lockdep found a problem and switched off)")
	next
}
/^VQN-RIG: TAINT/ {
	t = $3 + 0; bad = ""
	for (b = 0; b < length(taintnames); b++) {
		v = 2 ^ b
		if (int(t / v) % 2 == 1 && v != 4096 && v != 8192 &&
		    v != 262144)
			bad = bad substr(taintnames, b + 1, 1)
	}
	if (t >= 2 ^ length(taintnames)) bad = bad "?"
	if (bad != "") problem("taint " t ": flags " bad " (only O, E and N are allowed)")
	next
}
/^VQN-RIG: (DMESG|KMEMLEAK) BEGIN/ { insect = 1; next }
/^VQN-RIG: (DMESG|KMEMLEAK) END/ { insect = 0; next }
/^VQN-RIG: END/ { ended = 1; next }
/^VQN-RIG: / { next }
insect { scan($0); next }
/^\[ *[0-9]+\.[0-9]+\]/ { scan($0); next }
cur != "" && plan == "" && /^1\.\.[0-9]+$/ { plan = substr($0, 4); next }
cur != "" && /^not ok [0-9]+/ {
	tf++
	if (nfailed < 20) failed[++nfailed] = $0
	next
}
cur != "" && /^ok [0-9]+/ {
	if ($0 ~ /# [Ss][Kk][Ii][Pp]/) {
		ts++
		if (!skip_allowed($0)) problem(cur ": skip not allowed here (scripts/allowed-skips): " $0)
	} else {
		tp++
	}
	next
}
END {
	if (cur != "") finish_test("")
	if (cut) {
		# no verdict on what the host cut off
	} else if (!begun) problem("the guest never ran /init (see " logfile ")")
	else if (!ended) problem("no end marker: the guest crashed, hung or hit the hard timeout")
	if (listed && !cut) {
		n = 0
		for (t in want) {
			n++
			if (!began[t]) problem(t ": never ran")
		}
		if (!n) problem("the guest was given no test to run")
	}
	if (nbad > 5) problem((nbad - 5) " more kernel message(s) of that kind")
	fail += nprob
	printf "RESULT %d %d %d\n", pass, fail, skip
	exit fail > 0
}
'
