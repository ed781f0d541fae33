# Shell functions of the nested QEMU test and demo (busybox sh), sourced
# from /lib/vqn-qemu/lib.sh in the rig's VM (scripts/qemu-rig.sh puts it
# there). $T is their work directory.
# shellcheck shell=sh
T=${T:-/tmp/vqnq}

N=0
FAILED=0
note() { echo "# $*"; }
tap() { # tap STATUS DESCRIPTION
	N=$((N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
	fi
}
check() { # check DESCRIPTION CMD...
	_d=$1
	shift
	"$@"
	tap $? "$_d"
}
bail() {
	echo "Bail out! $*"
	for p in "$T"/*.pid; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
	exit 1
}
# vhost_net and tun for the rig's kernel; the devices QEMU needs
rig_setup() {
	for _ko in $(cat /lib/vqn-qemu/order); do
		insmod "/lib/vqn-qemu/$_ko" || bail "insmod $_ko"
	done
	[ -c /dev/kvm ] && [ -c /dev/vhost-net ] && [ -c /dev/vqnotify ] ||
		bail "need /dev/kvm, /dev/vhost-net and /dev/vqnotify"
}
qmp() { _g=$1; shift; vqn-qmp "$T/$_g.qmp" "$@"; }

# start_guest NAME [-incoming FROM] DEV...: DEV is blk:ID, blkio:ID (an
# iothread's: virtio-blk dataplane; its modern driver kicks through PIO,
# modern-pio-notify=on), net:ID (vhost) or netmq:ID (vhost, two queue
# pairs: a vhost device each; QEMU makes the tap)
start_guest() {
	_g=$1 _args= _in=
	shift
	if [ "$1" = -incoming ]; then
		_in="-incoming 'exec:cat $2'"
		shift 2
	fi
	for _d in "$@"; do
		_id=${_d#*:}
		case $_d in
		blk:* | blkio:*)
			[ -f "$T/$_id.img" ] ||
				dd if=/dev/zero of="$T/$_id.img" bs=1M count=2 2>/dev/null
			_args="$_args -drive file=$T/$_id.img,if=none,format=raw,id=d$_id"
			_io=
			case $_d in blkio:*)
				_args="$_args -object iothread,id=io$_id"
				_io=,iothread=io$_id,modern-pio-notify=on
				;;
			esac
			_args="$_args -device virtio-blk-pci,drive=d$_id,id=$_id$_io"
			;;
		net:*)
			_tap=t$_g$_id
			ip tuntap add dev "$_tap" mode tap 2>/dev/null || tunctl -t "$_tap" >/dev/null
			ip link set "$_tap" up
			_args="$_args -netdev tap,id=n$_id,ifname=$_tap,script=no,downscript=no,vhost=on"
			_args="$_args -device virtio-net-pci,netdev=n$_id,id=$_id"
			;;
		netmq:*)
			_args="$_args -netdev tap,id=n$_id,ifname=t$_g$_id,script=no,downscript=no,vhost=on,queues=2"
			_args="$_args -device virtio-net-pci,netdev=n$_id,id=$_id,mq=on,vectors=6"
			;;
		esac
	done
	# VQN_NESTED_VQN=0: without -object vqnotify; VQN_NESTED_BIN: another
	# QEMU (qemu-plain: the patched tree built without libvqnotify)
	_obj="-object vqnotify,id=vqn,name=$_g"
	[ "${VQN_NESTED_VQN:-1}" = 0 ] && _obj=
	rm -f "$T/$_g.ser.in" "$T/$_g.ser.out"
	mkfifo "$T/$_g.ser.in" "$T/$_g.ser.out"
	: >"$T/$_g.log"
	: >"$T/$_g.cmds"
	# kvm-shim.so logs QEMU's KVM_IOEVENTFD calls with KVM's answers to
	# $T/NAME.kvm (kvm_regs) and, while $T/NAME.refuse exists, refuses
	# some (kvm_refuse); while $T/NAME.efd exists, one eventfd() fails
	# (eventfd_fail); while $T/NAME.loadfail exists, the module's
	# answer to a migrated device's state is EINVAL, while
	# $T/NAME.savefail exists its answer to saving one ENOMEM; a device
	# whose label is a line of $T/NAME.addfail is refused (EDQUOT) when added;
	# while $T/NAME.api1 exists, the module is one of API 1 to QEMU;
	# everything else goes to KVM and the module unchanged.
	: >"$T/$_g.kvm"
	# shellcheck disable=SC2086
	eval LD_PRELOAD=/lib/vqn-qemu/kvm-shim.so \
		VQN_KVM_LOG="$T/$_g.kvm" VQN_KVM_REFUSE="$T/$_g.refuse" \
		VQN_EVENTFD_FAIL="$T/$_g.efd" VQN_LOAD_FAIL="$T/$_g.loadfail" \
		VQN_SAVE_FAIL="$T/$_g.savefail" VQN_ADD_FAIL="$T/$_g.addfail" \
		VQN_API1="$T/$_g.api1" \
		"${VQN_NESTED_BIN:-qemu-system-x86_64}" -accel kvm -cpu host -m 128 -smp 1 -nodefaults \
		-vga none -display none -L /usr/share/qemu -no-reboot -name "$_g" \
		$_obj \
		-kernel /nested/vmlinuz -initrd /nested/initrd.gz \
		-append "'console=ttyS0 quiet nokaslr panic=-1 ${VQN_NESTED_APPEND:-}'" \
		-serial pipe:"$T/$_g.ser" \
		-qmp unix:"$T/$_g.qmp",server=on,wait=off \
		-msg timestamp=on -trace kvm_set_ioeventfd_mmio \
		-trace kvm_set_ioeventfd_pio -trace "'virtio_vqn_*'" \
		-trace "'virtio_blk_data_plane_*'" -trace handle_hmp_command \
		-trace monitor_qmp_respond \
		-D "$T/$_g.trace" ${VQN_NESTED_QEMU:-} $_in $_args '2>"$T/$_g.err" &'
	echo $! >"$T/$_g.pid"
	cat "$T/$_g.ser.out" >>"$T/$_g.log" &
}

# wait_log NAME PATTERN SECONDS [trace]: wait for PATTERN in the nested
# console (in QEMU's trace)
wait_log() {
	_end=$(($(date +%s) + $3))
	while ! grep -q "$2" "$T/$1.${4:-log}"; do
		kill -0 "$(cat "$T/$1.pid")" 2>/dev/null || return 1
		[ "$(date +%s)" -ge $_end ] && return 1
		sleep 0.2
	done
}

# boot NAME DEV...: start and wait for the nested guest's "up" (10-87 s
# here, the longest at a load average of 10). Every 30 s without it, diag looks at
# the nested vCPU: a boot in the rig's stall (rig_stall: 9 of 10 with two
# vCPUs in the rig's VM, none of 10 with one), a QEMU that died, or one
# still not up after 300 s is killed, with its diagnosis, and started
# again, twice at most; a slow boot is waited for.
boot() {
	_t0=$(date +%s)
	_try=1 _waited=0
	start_guest "$@"
	while ! wait_log "$1" "NESTED: up" 30; do
		_waited=$((_waited + 30))
		if kill -0 "$(cat "$T/$1.pid")" 2>/dev/null; then
			diag "$1" >"$T/$1.diag" 2>&1
			rig_stall "$T/$1.diag" || [ $_waited -ge 300 ] || continue
		fi
		note "$1: no 'NESTED: up' in $_waited s (try $_try)"
		tail -n 3 "$T/$1.err" 2>/dev/null | sed 's/^/#   /'
		cat "$T/$1.diag" 2>/dev/null
		kill -9 "$(cat "$T/$1.pid")" 2>/dev/null
		[ $_try -ge 3 ] && return 1
		_try=$((_try + 1)) _waited=0
		sleep 1
		rm -f "$T/$1.diag"
		start_guest "$@"
	done
	note "$1: nested Linux up in $(($(date +%s) - _t0)) s (try $_try)"
}

# wait_up NAME: after a system_reset, wait for the nested Linux's "up"
# again, as boot does without starting QEMU again: 0; 1 when it is not up
# in 300 s or QEMU is gone; 2 when it hung in the rig's stall (rig_stall;
# tap_nested skips)
wait_up() {
	_waited=0
	while ! wait_log "$1" "NESTED: up" 30; do
		_waited=$((_waited + 30))
		kill -0 "$(cat "$T/$1.pid")" 2>/dev/null || return 1
		diag "$1" >"$T/$1.diag" 2>&1
		if rig_stall "$T/$1.diag"; then
			: >"$T/$1.hung"
			return 2
		fi
		[ $_waited -ge 300 ] && return 1
	done
	return 0
}

# nested NAME CMD: run CMD in the nested guest; its exit status
nested() {
	echo x >>"$T/$1.cmds"
	_k=$(wc -l <"$T/$1.cmds")
	# A fifo without its reader (QEMU died) would block the open forever.
	if ! kill -0 "$(cat "$T/$1.pid")" 2>/dev/null ||
		! timeout 5 sh -c 'echo "$1" >"$2"' sh "$2" "$T/$1.ser.in"; then
		note "$1: QEMU is gone: $(tail -n 3 "$T/$1.err" | tr '\n' ' ')"
		console_report "$1"
		return 1
	fi
	if [ -e "$T/$1.hung" ]; then
		note "$1: not asked '$2': it hung before"
		return 2
	fi
	if ! wait_log "$1" "NESTED: done $_k " 120; then
		note "$1: no answer to '$2'"
		diag "$1" | tee "$T/$1.diag"
		# The rig's own stall (see rig_stall) is not a verdict on vqnotify.
		if rig_stall "$T/$1.diag"; then
			: >"$T/$1.hung"
			return 2
		fi
		return 1
	fi
	return "$(sed -n "s/.*NESTED: done $_k rc=\([0-9]*\).*/\1/p" "$T/$1.log" | tail -n 1)"
}

# console_report NAME: the nested console's first report of a BUG, an oops
# or a panic whole (60 lines from its first line), if it has one; then its
# last 5 lines. Warnings do not reach it (the nested kernel runs "quiet").
console_report() {
	_o=$(grep -n -m 1 -E 'kernel BUG at|BUG:|Oops|general protection|Kernel panic' \
		"$T/$1.log" | cut -d: -f1)
	if [ -n "$_o" ]; then
		sed -n "$_o,$((_o + 59))p" "$T/$1.log" | sed 's/^/#   console: /'
		echo "#   console: ..."
	fi
	tail -n 5 "$T/$1.log" | sed 's/^/#   console: /'
}

# rig_stall DIAG: did diag find the nested-virtualization stall of this rig?
# The nested vCPU spins with IRQs off (IF clear in RFL) on a lock or a
# seqcount its own interrupted code holds: an APIC timer interrupt on top
# of another one's IRQ-off section on its stack (the interrupt reached the
# nested guest while it had IF=0), and no request outstanding on any queue.
# Seen in most boots under load with a 2-vCPU rig VM, also without
# -object vqnotify, in none with one vCPU (Documentation/qemu.rst). A
# request QEMU took and never completed (inuse > 0) on some queue of some
# device is judged a failure, as is a queue whose status diag could not
# read. A kick lost before QEMU took the request is not told apart: it
# leaves the guest's avail index ahead of last_avail_idx (diag prints
# both), as a guest stalled between publishing a request and notifying it
# does.
rig_stall() {
	_rfl=$(sed -n 's/.*RFL=\([0-9a-f]*\).*/\1/p' "$1" | head -n 1)
	[ -n "$_rfl" ] && [ $((0x$_rfl & 0x200)) = 0 ] &&
		[ "$(grep 'stack:' "$1" | grep -o asm_sysvec_apic_timer_interrupt |
			wc -l)" -ge 2 ] &&
		! grep '^#   [^ ]* queue [0-9]*: ' "$1" | grep -qv 'inuse: 0 '
}

# tap_nested STATUS DESCRIPTION: a step that needs the nested guest; status
# 2 (it hung in the rig's stall) is a skip, with the reason
STALLED=0
tap_nested() {
	if [ "$1" = 2 ]; then
		N=$((N + 1))
		STALLED=1
		echo "ok $N - $2 # SKIP the nested guest hung in the rig (TCG SVM stall)"
	else
		tap "$@"
	fi
}

# tap_plan_end PLAN: the steps a stall left out (the blocks after a
# skipped step) are skips for the same reason; any other shortfall fails.
tap_plan_end() {
	if [ "$STALLED" = 1 ]; then
		while [ "$N" -lt "$1" ]; do
			N=$((N + 1))
			echo "ok $N - not run # SKIP the nested guest hung in the rig (TCG SVM stall)"
		done
	fi
	[ "$N" = "$1" ] || note "$N results for a plan of $1"
	[ "$FAILED" = 0 ] && [ "$N" = "$1" ]
}

# ksyms ADDR...: "ADDR symbol" for each ADDR (16 hex digits, no 0x) in the
# nested guest's kernel text. The nested guest runs this VM's own
# kernel with nokaslr: its address minus the default _text is an offset
# into this kernel's /proc/kallsyms.
ksyms() {
	[ -s "$T/kallsyms" ] || sort /proc/kallsyms >"$T/kallsyms"
	_text=$(awk '$3 == "_text" { print $1; exit }' "$T/kallsyms")
	[ -n "$_text" ] || return 0
	for _v in "$@"; do
		printf '%s %016x\n' "$_v" $((0x$_v - 0xffffffff81000000 + 0x$_text))
	done | awk -v ks="$T/kallsyms" '
		BEGIN { while ((getline l < ks) > 0) { split(l, f, " "); a[++n] = f[1]; s[n] = f[3] } }
		{	# 16-digit hex addresses compare as strings
			lo = 1; hi = n
			if ($2 < a[1] || $2 > a[n]) next
			while (lo < hi) { m = int((lo + hi + 1) / 2); if (a[m] <= $2) lo = m; else hi = m - 1 }
			print $1, s[lo] }'
}

# rip_symbol NAME: the kernel function the nested vCPU is in, and the
# kernel text addresses on its stack (a backtrace, with stale entries)
rip_symbol() {
	qmp "$1" info registers 2>/dev/null >"$T/$1.regs"
	_rip=$(sed -n 's/^RIP=\([0-9a-f]*\).*/\1/p' "$T/$1.regs")
	_rsp=$(sed -n 's/.*RSP=\([0-9a-f]*\).*/\1/p' "$T/$1.regs")
	[ -n "$_rip" ] || return 0
	ksyms "$_rip" | awk '{ print "#   nested RIP is in " $2 }'
	grep -o 'CR[234]=[0-9a-f]*' "$T/$1.regs" | tr '\n' ' ' | sed 's/^/#   /'
	echo
	[ -n "$_rsp" ] || return 0
	# shellcheck disable=SC2046
	ksyms $(qmp "$1" x/96gx "0x$_rsp" 2>/dev/null | tr ' ' '\n' |
		sed -n 's/^0xffffffff\([89][0-9a-f]*\)$/ffffffff\1/p') |
		awk '{ printf "%s ", $2 } END { print "" }' | sed 's/^/#   stack: /'
}

# diag NAME: where a nested guest that stopped answering is: its console,
# its vCPU, and every queue's indexes (a notification QEMU missed shows as
# the guest's avail index, read from its ring, ahead of last_avail_idx; an
# interrupt the guest missed as used_idx ahead of what the driver
# consumed)
diag() {
	console_report "$1"
	tail -n 3 "$T/$1.err" | sed 's/^/#   stderr: /'
	qmp "$1" info registers 2>&1 | grep -E '^RIP|^EFL' | sed 's/^/#   /'
	rip_symbol "$1"
	pci_map "$1" | while read -r _id _rest; do
		_q=0
		while [ $_q -lt 64 ]; do
			qmp "$1" info virtio-queue-status \
				"/machine/peripheral/$_id/virtio-backend" $_q \
				>"$T/$1.vq" 2>&1
			_rc=$?
			grep -q 'Invalid virtqueue' "$T/$1.vq" && break
			# The avail ring's index, 2 bytes into it, as the guest
			# wrote it (QEMU's shadow is what it last read).
			_av=$(sed -n 's/^ *avail: *0x\([0-9a-f]*\).*/\1/p' "$T/$1.vq")
			_ga=
			if [ -n "$_av" ] && [ $((0x$_av)) != 0 ]; then
				_ga=$(qmp "$1" xp /1hx $((0x$_av + 2)) 2>/dev/null |
					sed -n 's/.*: *0x\([0-9a-f]*\).*/\1/p' | head -n 1)
			fi
			# A queue whose status QEMU did not give has no inuse:
			# rig_stall() then finds no stall (nor asks again).
			{ grep -E 'inuse|last_avail|shadow|used_idx|signalled|avail_idx' \
				"$T/$1.vq" || echo "unread: $(head -n 1 "$T/$1.vq")"
			  [ -z "$_ga" ] || echo "guest_avail_idx: $((0x$_ga))"; } |
				tr -s ' \n' ' ' | sed "s/^/#   $_id queue $_q: /"
			echo
			[ $_rc = 0 ] && grep -q inuse "$T/$1.vq" || break
			_q=$((_q + 1))
		done
	done
	grep virtio_vqn "$T/$1.trace" | tail -n 6 | sed 's/^/#   /'
	# Is QEMU busy (a thread spinning) or idle? CPU ticks over 1 s.
	_p=$(cat "$T/$1.pid")
	for _s in 1 2; do
		for _t in /proc/"$_p"/task/*; do
			echo "$(tr ' ' _ <"$_t/comm") $(cut -d' ' -f14,15 "$_t/stat")"
		done >"$T/cpu$_s"
		[ $_s = 1 ] && sleep 1
	done
	paste "$T/cpu1" "$T/cpu2" | awk '{ printf "%s:%d ", $1, $5 + $6 - $2 - $3 }
		END { print "" }' | sed 's/^/#   QEMU threads, ticks in 1 s: /'
}

# guest_json NAME: guest NAME's object in vqnotifyctl's JSON, on one line
guest_json() {
	vqnotifyctl -j guest show | sed 's/},{/}\n{/g' | grep "\"name\":\"$1\""
}

guest_id() { # the vqnotify guest id of NAME
	guest_json "$1" | sed -n "s/.*\"id\":\([0-9]*\),\"name\":\"$1\".*/\1/p"
}

# host_used: the slots in use host-wide; guests_used: the sum of every
# open guest's (the two agree whenever no call is under way)
host_used() {
	vqnotifyctl -j config show | sed -n 's/.*"host_used":\([0-9]*\).*/\1/p'
}
guests_used() {
	vqnotifyctl -j guest show | grep -o '"used":[0-9]*' |
		awk -F: '{ s += $2 } END { print s + 0 }'
}

# states NAME: "dev queue state reason waiting" for each queue of NAME
states() {
	vqnotifyctl -j queue show | sed 's/},{/}\n{/g' | sed -n "s/.*\"guest\":\"$1\",.*\"dev\":\"\([^\"]*\)\",.*\"queue\":\([0-9]*\),.*\"state\":\"\([A-Z]*\)\",.*\"reason\":\"\([^\"]*\)\",.*\"waiting\":\([a-z]*\).*/\1 \2 \3 \4 \5/p"
}
# queue_field NAME DEV Q COLUMN: one column of states' line for queue Q of DEV
queue_field() {
	states "$1" | awk -v d="$2" -v q="$3" -v c="$4" '$1 == d && $2 == q { print $c }'
}
state_of() { queue_field "$1" "$2" "$3" 3; }
reason_of() { queue_field "$1" "$2" "$3" 4; }

# kvm_refuse NAME DEV|off: from now on the KVM_IOEVENTFD assignments of
# QEMU NAME inside DEV's modern BAR fail with ENOMEM without reaching KVM
# (vqn-kvm-shim.c); off: no more
kvm_refuse() {
	if [ "$2" = off ]; then
		rm -f "$T/$1.refuse"
		return
	fi
	_b4=$(pci_map "$1" | awk -v d="$2" '$1 == d { print $4 }')
	[ -n "$_b4" ] && [ "$_b4" != 0 ] || return 1
	printf '%x %x\n' $((_b4)) $((_b4 + 0x4000)) >"$T/$1.refuse"
}

# migrate NAME [FILE]: stop guest NAME and migrate it to FILE (default
# $T/NAME.mig; one pass over its RAM: TCG runs the nested QEMU slowly);
# true once completed, the status in $T/NAME.migrate. A guest migrated
# already (postmigrate) may be migrated again.
migrate() {
	qmp "$1" stop >/dev/null
	qmp "$1" migrate_set_parameter max-bandwidth 1G >/dev/null
	# HMP takes the URI as one argument only when quoted.
	qmp "$1" migrate "\"exec:cat > ${2:-$T/$1.mig}\"" >/dev/null
	_i=0
	until qmp "$1" info migrate | grep -q 'Migration status: \(completed\|failed\)'; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] || ! kill -0 "$(cat "$T/$1.pid")" 2>/dev/null && break
		sleep 1
	done
	qmp "$1" info migrate >"$T/$1.migrate" 2>&1
	grep -q 'Migration status: completed' "$T/$1.migrate"
}

# kill_guest NAME: SIGKILL QEMU NAME; wait (at most 5 s) for its vqnotify
# guest to go
kill_guest() {
	kill -9 "$(cat "$T/$1.pid")"
	_i=0
	while [ -n "$(guest_id "$1")" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# land_vhost FROM TO BUDGET: QEMU FROM (blk:b0 net:b1), migrated, gives way
# to a new QEMU TO loading $T/FROM.mig, whose guest gets the default budget
# BUDGET; the host's end of the link moves to TO's tap (a new MAC: the
# nested guest must forget the old one), and TO runs
land_vhost() {
	kill_guest "$1"
	vqnotifyctl config set default-budget "$3" >/dev/null
	start_guest "$2" -incoming "$T/$1.mig" blk:b0 net:b1
	# The nested shell's command count came along with its memory.
	cp "$T/$1.cmds" "$T/$2.cmds"
	wait_incoming "$2"
	ip addr flush dev "t${1}b1"
	ip addr add 10.0.2.1/24 dev "t${2}b1"
	qmp "$2" cont >/dev/null
}

# wait_incoming NAME: until QEMU NAME, started with -incoming, has loaded
# the VM and waits paused (at most 300 s), or is gone; says which
wait_incoming() {
	_i=0
	until qmp "$1" info status 2>/dev/null | grep 'VM status: paused' |
		grep -qv inmigrate; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] || ! kill -0 "$(cat "$T/$1.pid")" 2>/dev/null &&
			break
		sleep 1
	done
	note "$1: $(qmp "$1" info status 2>&1)"
	[ -s "$T/$1.err" ] && sed "s/^/#   $1: /" "$T/$1.err" | tail -n 5
}

# driver_ok NAME: how many of guest NAME's devices vqnotify knows to be
# DRIVER_OK
driver_ok() {
	vqnotifyctl -j dev show | sed 's/},{/}\n{/g' |
		grep -c "\"guest\":\"$1\",.*\"driver_ok\":true"
}
# driver_ok_is NAME N: are N of them?
driver_ok_is() { [ "$(driver_ok "$1")" = "$2" ]; }

# count_of NAME KEY: guest NAME's count of the transitions KEY
# (vqnotifyctl's JSON key of a label: vhost_on_assigned, released, ...)
count_of() {
	guest_json "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

# vhost_off NAME: how many times vhost gave a queue of guest NAME back,
# (e) and (f) together, as vqnotify counts them
vhost_off() {
	_e=$(count_of "$1" vhost_off_assigned)
	_f=$(count_of "$1" vhost_off_deassigned)
	[ -n "$_e" ] && [ -n "$_f" ] && echo $((_e + _f))
}

# vhost_holds NAME DEV: are DEV's rx and tx (queues 0 and 1) OFFLIMITS?
vhost_holds() {
	[ "$(state_of "$1" "$2" 0)" = OFFLIMITS ] &&
		[ "$(state_of "$1" "$2" 1)" = OFFLIMITS ]
}

# vhost_restart NAME DEV: link down, then up: vhost stops, then starts
# again; true once DEV's rx and tx are OFFLIMITS
vhost_restart() {
	qmp "$1" set_link "$2" off >/dev/null
	wait_state "$1" "$2" 0 ASSIGNED 10
	qmp "$1" set_link "$2" on >/dev/null
	wait_state "$1" "$2" 0 OFFLIMITS 10 && vhost_holds "$1" "$2"
}

# vhost_started NAME DEV: "true" while vhost runs DEV's queues, else "false"
vhost_started() {
	qmp "$1" info virtio-status "/machine/peripheral/$2/virtio-backend" |
		awk '/vhost_started:/ { print $2 }'
}

# eventfd_fail NAME N|off: the Nth eventfd() QEMU NAME creates from now
# fails with EMFILE (vqn-kvm-shim.c); off: none
eventfd_fail() {
	if [ "$2" = off ]; then
		rm -f "$T/$1.efd"
	else
		echo "$2" >"$T/$1.efd"
	fi
}

# kvm_regs NAME: what KVM holds registered for QEMU NAME now, one
# "mmio|pio ADDR DATAMATCH|-" per ioeventfd: the calls KVM accepted, as
# kvm-shim.so logged them at the ioctl (QEMU's own kvm_set_ioeventfd_*
# trace is written before the call, whatever KVM answers)
kvm_regs() {
	awk '$5 == 0 {
			k = $1 " " $2 " " $3
			if ($4 == 1) r[k] = 1; else delete r[k]
		} END { for (k in r) print k }' "$T/$1.kvm"
}

# pci_map NAME: "id slot bar0 bar4 bar2" of each device with an id (bar2:
# the modern PIO notify BAR of modern-pio-notify=on, else 0)
pci_map() {
	qmp "$1" info pci | awk '
		/Bus .*device/ { slot = $4; sub(/,/, "", slot); b0 = "0"; b4 = "0"; b2 = "0" }
		/BAR0: I\/O at/ { b0 = $4 }
		/BAR2: I\/O at/ { b2 = $4 }
		/BAR4: .*memory at/ { b4 = $(NF - 1) }
		/id "/ { id = $2; gsub(/"/, "", id); if (id != "") print id, slot, b0, b4, b2 }'
}

# compare NAME [stopped]: vqnotify's view of NAME against QEMU's KVM
# registrations; 0 when they agree, else a "# " line per difference. The
# queues "DEV:Q" of $CMP_NOREG hold no KVM ioeventfd in any state (on a
# module of API 1 QEMU releases nothing, (x): not done, see qemu.rst).
compare() {
	_g=$1 _run=1
	[ "${2:-}" = stopped ] && _run=0
	kvm_regs "$_g" >"$T/regs"
	pci_map "$_g" >"$T/map"
	states "$_g" >"$T/states"
	cp "$T/regs" "$T/left"
	_bad=0
	[ -s "$T/states" ] || { note "$_g: vqnotify shows no queue"; _bad=1; }
	while read -r _dev _q _st _why _wait; do
		# shellcheck disable=SC2046
		set -- $(awk -v d="$_dev" '$1 == d' "$T/map")
		if [ $# -ne 5 ]; then
			note "$_g: $_dev is not in info pci"
			_bad=1
			continue
		fi
		_m=$(mmio_key "$4" "$_q")
		_p=$(printf 'pio 0x%x 0x%x' $(($3 + 0x10)) "$_q")
		# The modern PIO notify path: BAR2, the queue's index its data.
		_n=-
		[ "$5" = 0 ] || _n=$(printf 'pio 0x%x 0x%x' "$5" "$_q")
		_has=0
		for _k in "$_m" "$_p" "$_n"; do
			if grep -qxF "$_k" "$T/regs"; then
				_has=$((_has + 1))
				grep -vxF "$_k" "$T/left" >"$T/left.new"
				mv "$T/left.new" "$T/left"
			fi
		done
		# Stopped, nothing is registered: vhost stops with the VM,
		# its queues OFFLIMITS still (their slots kept for cont).
		_want=0
		case $_st in
		OFFLIMITS | ASSIGNED) _want=$_run ;;
		esac
		case " ${CMP_NOREG:-} " in
		*" $_dev:$_q "*) _want=0 ;;
		esac
		if [ "$_has" != "$_want" ]; then
			note "$_g $_dev queue $_q: vqnotify $_st ($_why), QEMU holds $_has KVM ioeventfd(s), expected $_want"
			_bad=1
		fi
	done <"$T/states"
	if [ -s "$T/left" ]; then
		note "$_g: KVM ioeventfds no vqnotify queue accounts for: $(tr '\n' ';' <"$T/left")"
		_bad=1
	fi
	[ $_bad = 0 ] || note "$_g states: $(tr '\n' ';' <"$T/states")"
	return $_bad
}

# mmio_key BAR4 Q: kvm_regs' key of queue Q's notify address, BAR4 + 0x3000
# + 4 Q (QEMU's virtio-pci notify region, notify_off_multiplier 4)
mmio_key() { printf 'mmio 0x%x -' $(($1 + 0x3000 + 4 * $2)); }

# reg_pattern KEY ASSIGN: the trace line (grep and awk regex) of KVM
# (un)registering kvm_regs' KEY
reg_pattern() {
	_r=${1#* }
	printf 'kvm_set_ioeventfd_%s fd: [0-9]* @%s .* assign: %s ' "${1%% *}" "${_r%% *}" "$2"
}

# reg_time NAME KEY ASSIGN: time of the last trace line (un)registering KEY
reg_time() {
	grep "$(reg_pattern "$2" "$3")" "$T/$1.trace" |
		tail -n 1 | sed -n 's/^[0-9]*@\([0-9.]*\):.*/\1/p'
}

# in_reply NAME CMD KEY ASSIGN: QEMU NAME (un)registered KEY while it ran
# the HMP command CMD (its last), before its reply: between the trace of
# the command and that of the reply
in_reply() {
	awk -v cmd="cmdline: $2" -v pat="$(reg_pattern "$3" "$4")" '
		/handle_hmp_command/ && substr($0, length($0) - length(cmd) + 1) == cmd {
			on = 1
			seen = 0
			next
		}
		on && /monitor_qmp_respond/ { on = 0; ok = seen }
		on && $0 ~ pat { seen = 1 }
		END { exit !ok }' "$T/$1.trace"
}

# wait_for SECONDS CMD...: until CMD succeeds, asked every 0.1 s; fails
# once SECONDS have passed without
wait_for() {
	_w=$(($1 * 10))
	shift
	until "$@"; do
		[ "$_w" -le 0 ] && return 1
		sleep 0.1
		_w=$((_w - 1))
	done
}

# state_is NAME DEV Q STATE; wait_state NAME DEV Q STATE SECONDS
state_is() { [ "$(state_of "$1" "$2" "$3")" = "$4" ]; }
wait_state() { wait_for "$5" state_is "$1" "$2" "$3" "$4"; }
# wait_reg NAME DEV Q 1|0 SECONDS: until QEMU's trace shows queue Q of DEV
# (un)registered on its modern MMIO path (not a modern-pio-notify
# device's); prints the trace's timestamp. Fails for a DEV info pci
# does not show: no BAR, no key that could be seen going.
wait_reg() {
	# shellcheck disable=SC2046
	set -- "$1" "$2" "$3" "$4" "$5" $(pci_map "$1" | awk -v d="$2" '$1 == d')
	[ -n "${9:-}" ] || return 1
	_key=$(mmio_key "$9" "$3")
	wait_for "$5" reg_is "$1" "$_key" "$4" || return 1
	reg_time "$1" "$_key" "$4"
}
# reg_is NAME KEY 1|0: does QEMU NAME hold KVM ioeventfd KEY (1), or not (0)?
reg_is() {
	if kvm_regs "$1" | grep -qxF "$2"; then
		[ "$3" = 1 ]
	else
		[ "$3" = 0 ]
	fi
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

