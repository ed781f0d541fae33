// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_bench: what vqnotify costs, measured, against the targets of issue 10.
 *
 * The denominator of every ratio is an ENOTTY ioctl on the same
 * /dev/vqnotify fd (a command number the module does not know: the cheapest
 * call into the driver), timed in batches interleaved with each figure's own
 * trials, so drift of the (nested, emulated) machine cancels. Each figure is
 * many short trials after a warm-up; it is printed as min, median and p90 ns
 * and as min/min ("x null") and median/median ratios. Targets are judged on
 * the min ratios, the least noisy estimate under emulation; the medians are
 * in the JSON.
 *
 * Output: "bench: " lines (a table), one "bench-json: {...}" line, then one
 * TAP result: ok unless a step of the program failed. A missed target is a
 * figure, not a failure.
 *
 * Environment: VQN_BENCH_SMOKE=1 runs a seconds-long version (few trials,
 * few guests, no wait for memory statistics to settle) so the program is
 * exercised by `make check`; VQN_BENCH_TRIALS overrides the trial count;
 * VQN_BENCH_ONLY="core,memory" runs only the named groups of figures.
 *
 * Files: this one has the one-queue, DRIVER_OK, broker and KVM figures and
 * the output; vqn_bench_fig.h the figures' machinery and the ioctls;
 * vqn_bench_obs.h the monitor and tracepoint figures; vqn_bench_host.h
 * memory, many guests, promotion and scaling; vqn_bench_nl.h and
 * vqn_bench_sm.h the raw netlink client and the broker's state machine.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vqnotify.h>

#include "vqn_bench_nl.h"
#include "vqn_bench_sm.h"
#include "vqn_bench_fig.h"

/*
 * One queue handed to vhost and back, PAIR_BATCH times: ns per call, with
 * SET_HOST_NOTIFIER or (@bitmap) API 2's SET_HOST_NOTIFIERS.
 */
struct onoff {
	int fd;
	uint32_t dev, q;
	uint8_t on_label, off_label;
	bool bitmap;
};

static uint8_t host_notifiers(int fd, uint32_t dev, uint32_t q, int on);

static double trial_onoff(void *p)
{
	uint8_t (*call)(int, uint32_t, uint32_t, int);
	struct onoff *c = p;
	uint8_t bad = 0;
	double t;
	int i;

	call = c->bitmap ? host_notifiers : host_notifier;
	t = now_ns();
	for (i = 0; i < PAIR_BATCH; i++) {
		bad |= call(c->fd, c->dev, c->q, 1) ^ c->on_label;
		bad |= call(c->fd, c->dev, c->q, 0) ^ c->off_label;
	}
	t = (now_ns() - t) / (2 * PAIR_BATCH);
	if (bad)
		die("vhost on/off: unexpected transition labels");
	return t;
}

/* API 2's SET_HOST_NOTIFIERS for a bitmap of one queue (q < 64). */
static uint8_t host_notifiers(int fd, uint32_t dev, uint32_t q, int on)
{
	uint64_t one = 1ULL << q;
	struct vqnotify_vq_result r = { 0 };
	struct vqnotify_queues qs = {
		.size = sizeof(qs),
		.flags = on ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = dev,
		.nr_queues = q + 1,
		.queues = (uintptr_t)&one,
		.results = (uintptr_t)&r,
		.nr_results = 1,
	};

	if (ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIERS, &qs) || qs.nr_results != 1)
		die("SET_HOST_NOTIFIERS %d", on);
	return r.label;
}

/* A device of the broker's. */
struct brk_dev {
	int sock;
	uint32_t dev;
};

/* vhost on/off through the broker. */
static double trial_brk_onoff(void *p)
{
	static struct brk_rep rep;
	struct brk_dev *c = p;
	double t = now_ns();
	int i, bad = 0;

	for (i = 0; i < PAIR_BATCH; i++) {
		bad |= brk_call(c->sock, BRK_HOST_NOTIFIER, c->dev, 0, 1, &rep) ||
		       rep.res[0].label != VQNOTIFY_LABEL_D;
		bad |= brk_call(c->sock, BRK_HOST_NOTIFIER, c->dev, 0, 0, &rep) ||
		       rep.res[0].label != VQNOTIFY_LABEL_E;
	}
	t = (now_ns() - t) / (2 * PAIR_BATCH);
	if (bad)
		die("broker vhost on/off");
	return t;
}

/* GET_INFO, PAIR_BATCH times: ns per call. */
static double trial_info(void *p)
{
	int fd = *(int *)p, i;
	double t = now_ns();

	for (i = 0; i < PAIR_BATCH; i++)
		get_info(fd);
	return (now_ns() - t) / PAIR_BATCH;
}

/*
 * DRIVER_OK of a 1024-queue device with results, after an untimed reset:
 * through the module, or (@user) the same decision called directly, vqn_sm.c
 * compiled into this program (in the helpers below).
 */
struct drv_ok {
	int fd;
	uint32_t dev;
	struct bsm_guest *user;
	struct vqnotify_vq_result res[NQ];
};

static uint32_t drv_status(struct drv_ok *c, uint32_t status,
			   struct vqnotify_vq_result *res)
{
	if (c->user)
		return bsm_set_status(c->user, c->dev, status, res, NQ);
	return set_status(c->fd, c->dev, status, res, NQ);
}

static double trial_driver_ok(void *p)
{
	struct drv_ok *c = p;
	uint32_t nr;
	double t;

	drv_status(c, 0, NULL);
	t = now_ns();
	nr = drv_status(c, STATUS_OK, c->res);
	t = now_ns() - t;
	if (nr != NQ || c->res[NQ - 1].label != VQNOTIFY_LABEL_B)
		die("%sDRIVER_OK: %u results, last label %u",
		    c->user ? "userspace " : "", nr, c->res[NQ - 1].label);
	return t;
}

/*
 * The same decision in helper processes, this program exec'd again: each
 * helper has its own stack, heap and vDSO placement. Under TCG the decision's
 * time depends on where those land: one build of this program took 20 us
 * in some boots and 30-35 us in others, the code unchanged
 * (Documentation/performance.rst, "One run"). A trial asks the next helper
 * of SM_HELPERS, so the figure's min is the best placement of those sampled,
 * not one placement's luck. The helpers run on CPU 1, so the module's trials
 * on CPU 0 find its TLB as before; a helper times a DRIVER_OK after an
 * untimed one (its own switch in emptied CPU 1's emulated TLB).
 */
#define SM_HELPERS 4

static struct {
	pid_t pid;
	int to, from;
	int cpu;	/* where it runs: 1, or 0 on a VM of one CPU */
} sm_helpers[SM_HELPERS];

/*
 * The helper: its CPU goes out on @out first; then "t" on @in times a
 * DRIVER_OK, its ns go out on @out.
 */
static int sm_helper_main(int in, int out)
{
	static struct bsm_guest g;
	static struct drv_ok c;
	int cpu = sched_getcpu();
	char cmd;

	die_prefix = "vqn_bench --sm-helper";
	if (write(out, &cpu, sizeof(cpu)) != sizeof(cpu))
		return 1;
	bsm_init(&g);
	c.user = &g;
	c.dev = bsm_dev_add(&g, NQ);
	if ((int)c.dev < 0)
		die("helper: userspace device");
	while (read(in, &cmd, 1) == 1 && cmd == 't') {
		double t;

		trial_driver_ok(&c);
		t = trial_driver_ok(&c);
		if (write(out, &t, sizeof(t)) != sizeof(t))
			return 1;
	}
	return 0;
}

static void sm_helpers_start(void)
{
	int i;

	for (i = 0; i < SM_HELPERS; i++) {
		int to[2], from[2];
		char in[16], out[16];

		if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
			die("pipe");
		sm_helpers[i].pid = fork();
		if (sm_helpers[i].pid < 0)
			die("fork");
		if (!sm_helpers[i].pid) {
			/*
			 * CPU 1 (when there is one): switching to a helper on
			 * CPU 0 would empty the TLB the module's trials find.
			 */
			pin_cpu(1);
			/* dup(): the helper's ends without O_CLOEXEC */
			snprintf(in, sizeof(in), "%d", dup(to[0]));
			snprintf(out, sizeof(out), "%d", dup(from[1]));
			execl("/proc/self/exe", "vqn_bench", "--sm-helper", in,
			      out, (char *)NULL);
			_exit(127);
		}
		close(to[0]);
		close(from[1]);
		sm_helpers[i].to = to[1];
		sm_helpers[i].from = from[0];
		if (read(from[0], &sm_helpers[i].cpu, sizeof(int)) != sizeof(int)) {
			errno = EPIPE;
			die("userspace decision helper %d did not start", i);
		}
	}
}

static void sm_helpers_stop(void)
{
	int i;

	for (i = 0; i < SM_HELPERS; i++) {
		close(sm_helpers[i].to);
		close(sm_helpers[i].from);
		waitpid(sm_helpers[i].pid, NULL, 0);
	}
}

static double trial_sm_helper(void *p)
{
	static unsigned int next;
	int i = next++ % SM_HELPERS;
	ssize_t n;
	double t;

	if (write(sm_helpers[i].to, "t", 1) != 1)
		die("userspace decision helper %d", i);
	n = read(sm_helpers[i].from, &t, sizeof(t));
	if (n != sizeof(t)) {
		if (n >= 0)
			errno = EPIPE;	/* it exited */
		die("userspace decision helper %d", i);
	}
	return t;
}

/* And through the broker: request, decision, reply with the results. */
static double trial_brk_ok(void *p)
{
	static struct brk_rep rep;
	struct brk_dev *c = p;
	double t;
	int nr;

	if (brk_call(c->sock, BRK_SET_STATUS, c->dev, 0, 0, &rep) < 0)
		die("broker reset");
	t = now_ns();
	nr = brk_call(c->sock, BRK_SET_STATUS, c->dev, STATUS_OK, 0, &rep);
	t = now_ns() - t;
	if (nr != NQ || rep.nr != NQ || rep.res[NQ - 1].label != VQNOTIFY_LABEL_B)
		die("broker DRIVER_OK: %d results", nr);
	return t;
}

/* Figures: one queue, 1024 queues, the broker */

static struct fig *f_de, *f_cf, *f_bm, *f_ok, *f_user, *f_brk, *f_ev_brk;

/*
 * Where the module's grant loop, want_all() in vqn_sm.c, landed: under
 * QEMU's TCG a jump across a guest page is not chained, and a build whose
 * loop straddles a page takes a fifth longer for DRIVER_OK-1024 with no
 * change to its code (Documentation/performance.rst, "One run"). From
 * /proc/kallsyms: its start, and the next symbol of the module's after it
 * as its end; offsets from the module's .text.
 */
static void grant_loop_place(char *buf, size_t len)
{
	unsigned long long a, start = 0, end = 0, text = 0;
	char line[256], type, name[128], mod[64];
	FILE *f = fopen("/sys/module/vqnotify/sections/.text", "r");
	int pass;

	snprintf(buf, len, "want_all() not in /proc/kallsyms");
	if (!f)
		return;
	if (fscanf(f, "%llx", &text) != 1)
		text = 0;
	fclose(f);
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	/* Its start, then the least address of the module's above it. */
	for (pass = 0; pass < 2 && text; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%llx %c %127s [%63[^]]]", &a, &type,
				   name, mod) != 4 || strcmp(mod, "vqnotify"))
				continue;
			if (!pass && (!strcmp(name, "want_all") ||
				      !strncmp(name, "want_all.", 9)))
				start = a;
			else if (pass && a > start && (!end || a < end))
				end = a;
		}
		if (!start)
			break;
	}
	fclose(f);
	if (start && end)
		snprintf(buf, len, "want_all() at .text+0x%llx-0x%llx, %s",
			 start - text, end - text,
			 start / 4096 == (end - 1) / 4096 ?
			 "within one page" : "across a page boundary");
}

static void bench_core(void)
{
	static struct drv_ok dok;
	struct onoff de, cf, bm;
	struct brk_dev bo, bok;
	static struct brk_rep rep;
	int fd = vq_open(), fd_ok = vq_open();
	char place[120];
	pid_t broker;
	int sock = brk_start(&broker);

	if (sock < 0)
		die("broker start");

	/* (d)/(e): an ASSIGNED queue of a DRIVER_OK device. */
	de = (struct onoff){ fd, dev_add(fd, 1), 0, VQNOTIFY_LABEL_D,
			     VQNOTIFY_LABEL_E, false };
	set_status(fd, de.dev, STATUS_OK, NULL, 0);
	/* (c)/(f): a queue of a device the driver has not started. */
	cf = (struct onoff){ fd, dev_add(fd, 1), 0, VQNOTIFY_LABEL_C,
			     VQNOTIFY_LABEL_F, false };
	/* (d)/(e) through API 2's bitmap call. */
	bm = (struct onoff){ fd, dev_add(fd, 1), 0, VQNOTIFY_LABEL_D,
			     VQNOTIFY_LABEL_E, true };
	set_status(fd, bm.dev, STATUS_OK, NULL, 0);
	bo.sock = sock;
	bo.dev = brk_call(sock, BRK_DEV_ADD, 0, 1, 0, &rep);
	if ((int)bo.dev < 0 ||
	    brk_call(sock, BRK_SET_STATUS, bo.dev, STATUS_OK, 0, &rep) != 1)
		die("broker setup");

	f_de = fig_new("vhost_on_off_de", "vhost on/off, one queue: (d)/(e), ns per call", "ns");
	f_cf = fig_new("vhost_on_off_cf", "vhost on/off, one queue: (c)/(f), ns per call", "ns");
	f_bm = fig_new("vhost_on_off_bitmap", "(d)/(e) with SET_HOST_NOTIFIERS, a bitmap of one queue, ns per call", "ns");
	f_ev_brk = fig_new("event_broker", "(d)/(e) through the userspace broker, ns per call", "ns");
	{
		struct fig *f[] = { f_de, f_cf, f_bm, f_ev_brk };
		trial_fn fn[] = { trial_onoff, trial_onoff, trial_onoff,
				  trial_brk_onoff };
		void *ctx[] = { &de, &cf, &bm, &bo };

		run_figs(fd, 4, f, fn, ctx);
	}
	fig_target(f_bm, "x null", f_bm->xnull, "<= 1.5x", 1.5, 1);
	fig_target(f_de, "x null", f_de->xnull, "<= 1.5x", 1.5, 1);
	fig_target(f_cf, "x null", f_cf->xnull, "<= 1.5x", 1.5, 1);
	fig_target(f_ev_brk, "broker/vqnotify", f_ev_brk->s.min / f_de->s.min,
		   ">= 20x", 20, -1);
	{
		struct fig *f[] = { fig_new("get_info", "GET_INFO, ns per call (no target)", "ns") };
		trial_fn fn[] = { trial_info };
		void *ctx[] = { &fd };

		run_figs(fd, 1, f, fn, ctx);
	}

	/* DRIVER_OK of 1024 queues: module, same code in userspace, broker. */
	dok.fd = fd_ok;
	dok.dev = dev_add(fd_ok, NQ);
	sm_helpers_start();
	bok.sock = sock;
	bok.dev = brk_call(sock, BRK_DEV_ADD, 0, NQ, 0, &rep);
	if ((int)bok.dev < 0)
		die("userspace device");
	f_ok = fig_new("driver_ok_1024", "DRIVER_OK of a 1024-queue device, one call with results, ns", "ns");
	f_user = fig_new("driver_ok_1024_sm_user", "the same decision, vqn_sm.c in userspace (no syscall), 4 processes, ns", "ns");
	f_brk = fig_new("driver_ok_1024_broker", "the same through the userspace broker (AF_UNIX seqpacket), ns", "ns");
	{
		struct fig *f[] = { f_ok, f_user, f_brk };
		trial_fn fn[] = { trial_driver_ok, trial_sm_helper, trial_brk_ok };
		void *ctx[] = { &dok, NULL, &bok };

		run_figs(fd_ok, 3, f, fn, ctx);
	}
	sm_helpers_stop();
	fig_target(f_ok, "x null", f_ok->xnull, "<= 40x", 40, 1);
	grant_loop_place(place, sizeof(place));
	fig_note(f_ok, "%.1f ns/queue; %s", f_ok->s.min / NQ, place);
	fig_target(f_user, "kernel/user", f_ok->s.min / f_user->s.min,
		   "<= 1.2x", 1.2, 1);
	fig_note(f_user, "%.1f ns/queue in userspace; trials spread over %d processes on CPU %d",
		 f_user->s.min / NQ, SM_HELPERS, sm_helpers[0].cpu);
	fig_target(f_brk, "broker/vqnotify", f_brk->s.min / f_ok->s.min,
		   ">= 2x", 2, -1);

	brk_call(sock, BRK_QUIT, 0, 0, 0, &rep);
	close(sock);
	waitpid(broker, NULL, 0);
	close(fd);
	close(fd_ok);
}

/*
 * A single (e) against the KVM_IOEVENTFD assign that follows it, each in
 * the form the VMM issues: the patched QEMU (Documentation/qemu.rst) asks
 * with API 2's SET_HOST_NOTIFIERS, here on a bitmap of one queue, its
 * dearest case per queue (it asks once for a vhost device's queues, then
 * assigns each). Judged on QEMU's virtio-pci assign, the one it issues
 * for a modern driver: a zero-length MMIO ioeventfd, which KVM registers
 * on two buses (MMIO and fast MMIO), waiting for SRCU on each.
 * virtio-mmio's form (QEMU's virtio-mmio, Firecracker), 4 bytes with
 * datamatch on the MMIO bus, is timed beside it: the cheapest
 * KVM_IOEVENTFD a VMM issues. (d) and API 1's one-queue (e) are in the
 * note.
 */
static void bench_kvm(void)
{
	struct fig *fe = fig_new("single_e", "one (e) call, SET_HOST_NOTIFIERS on one queue, timed alone, ns", "ns");
	struct fig *fd_ = fig_new("single_d", "one (d) call, SET_HOST_NOTIFIERS on one queue, timed alone, ns", "ns");
	struct fig *fe1 = fig_new("single_e_api1", "one (e) call, API 1's SET_HOST_NOTIFIER, timed alone, ns", "ns");
	struct fig *fk = fig_new("kvm_ioeventfd_assign", "the KVM_IOEVENTFD assign that follows (e), virtio-pci (zero-length MMIO), ns", "ns");
	struct fig *fdk = fig_new("kvm_ioeventfd_deassign", "the KVM_IOEVENTFD deassign that follows (d), virtio-pci, ns", "ns");
	struct fig *fm = fig_new("kvm_ioeventfd_assign_mmio", "a KVM_IOEVENTFD assign, virtio-mmio (4 bytes, datamatch), ns", "ns");
	struct kvm_ioeventfd pci = { .addr = 0xfe000000, .len = 0 };
	struct kvm_ioeventfd mmio = { .addr = 0xfe100050, .len = 4,
				      .flags = KVM_IOEVENTFD_FLAG_DATAMATCH };
	int fd, kvm, vm, i, efd;
	uint32_t dev;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fig_note(fk, "not measured: no /dev/kvm or KVM_CREATE_VM failed");
		fe->hidden = 1;
		fd_->hidden = 1;
		fe1->hidden = 1;
		fdk->hidden = 1;
		fm->hidden = 1;
		if (kvm >= 0)
			close(kvm);
		return;
	}
	efd = eventfd(0, EFD_CLOEXEC);
	fd = vq_open();
	dev = dev_add(fd, 1);
	set_status(fd, dev, STATUS_OK, NULL, 0);
	pci.fd = efd;
	mmio.fd = efd;
	/*
	 * The VMM's order: (d) then its ioeventfd goes (deassign); (e) then
	 * it comes back (assign). The queue starts ASSIGNED with one. The
	 * virtio-mmio assign (and its deassign, not timed) follows, on the
	 * same VM, then API 1's (d) and (e), their KVM calls not timed.
	 */
	if (ioctl(vm, KVM_IOEVENTFD, &pci))
		die("KVM_IOEVENTFD assign");
	for (i = -warm; i < trials; i++) {
		double t0, t1, t2, t3, t4, t5, t6, t7, nul;

		t0 = now_ns();
		if (host_notifiers(fd, dev, 0, 1) != VQNOTIFY_LABEL_D)
			die("(d)");
		t1 = now_ns();
		pci.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(vm, KVM_IOEVENTFD, &pci))
			die("KVM_IOEVENTFD deassign");
		t2 = now_ns();
		if (host_notifiers(fd, dev, 0, 0) != VQNOTIFY_LABEL_E)
			die("(e)");
		t3 = now_ns();
		pci.flags = 0;
		if (ioctl(vm, KVM_IOEVENTFD, &pci))
			die("KVM_IOEVENTFD assign");
		t4 = now_ns();
		mmio.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
		if (ioctl(vm, KVM_IOEVENTFD, &mmio))
			die("KVM_IOEVENTFD assign (virtio-mmio)");
		t5 = now_ns();
		mmio.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(vm, KVM_IOEVENTFD, &mmio))
			die("KVM_IOEVENTFD deassign (virtio-mmio)");
		if (host_notifier(fd, dev, 0, 1) != VQNOTIFY_LABEL_D)
			die("(d), API 1");
		pci.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(vm, KVM_IOEVENTFD, &pci))
			die("KVM_IOEVENTFD deassign");
		t6 = now_ns();
		if (host_notifier(fd, dev, 0, 0) != VQNOTIFY_LABEL_E)
			die("(e), API 1");
		t7 = now_ns();
		pci.flags = 0;
		if (ioctl(vm, KVM_IOEVENTFD, &pci))
			die("KVM_IOEVENTFD assign");
		nul = null_trial(fd);
		if (i < 0)
			continue;
		fig_push(fd_, t1 - t0, nul);
		fig_push(fdk, t2 - t1, nul);
		fig_push(fe, t3 - t2, nul);
		fig_push(fk, t4 - t3, nul);
		fig_push(fm, t5 - t4, nul);
		fig_push(fe1, t7 - t6, nul);
	}
	fig_done(fe);
	fig_done(fd_);
	fig_done(fe1);
	fig_done(fk);
	fig_done(fdk);
	fig_done(fm);
	fd_->hidden = 1;
	fe1->hidden = 1;
	fdk->hidden = 1;
	fig_target(fk, "vqnotify/kvm", fe->s.min / fk->s.min, "<= 4%", 0.04, 1);
	fig_note(fk, "(e) min %.0f ns (one clock read included) vs assign min %.0f ns; (d) %.0f ns, deassign %.0f ns; API 1's (e) %.0f ns, %.2f%%",
		 fe->s.min, fk->s.min, fd_->s.min, fdk->s.min, fe1->s.min,
		 100 * fe1->s.min / fk->s.min);
	fig_target(fm, "vqnotify/kvm", fe->s.min / fm->s.min, "-", 0, 0);
	fig_note(fm, "(e) is %.2f%% of this assign; no target: the target is on the form QEMU's virtio-pci issues",
		 100 * fe->s.min / fm->s.min);
	close(fd);
	close(efd);
	close(vm);
	close(kvm);
}

#include "vqn_bench_obs.h"
#include "vqn_bench_host.h"

/* Output */

static const char *verdict(const struct fig *f)
{
	if (!f->measured)
		return "n/a";
	if (!f->dir)
		return "-";
	if (f->dir > 0)
		return f->value <= f->limit ? "met" : "MISSED";
	return f->value >= f->limit ? "met" : "MISSED";
}

static void fmt_value(char *buf, size_t len, const struct fig *f)
{
	if (!f->measured)
		snprintf(buf, len, "-");
	else if (!strcmp(f->metric, "vqnotify/kvm"))
		snprintf(buf, len, "%.2f%%", 100 * f->value);
	else if (!strcmp(f->metric, "queues/s"))
		snprintf(buf, len, "%.0f/s", f->value);
	else if (!strcmp(f->metric, "B/queue"))
		snprintf(buf, len, "%.1f B", f->value);
	else
		snprintf(buf, len, "%.2fx", f->value);
}

static void print_table(void)
{
	int i;

	printf("bench: %-25s %10s %10s %10s %8s  %-16s %10s %-11s %s\n",
	       "figure", "min", "median", "p90", "x null", "judged on",
	       "value", "target", "verdict");
	for (i = 0; i < nfigs; i++) {
		const struct fig *f = &figs[i];
		char v[32], xn[16];

		if (f->hidden)
			continue;
		fmt_value(v, sizeof(v), f);
		if (f->measured && f->sn.min > 0)
			snprintf(xn, sizeof(xn), "%.2f", f->xnull);
		else
			snprintf(xn, sizeof(xn), "-");
		if (f->measured && !strcmp(f->unit, "x"))
			printf("bench: %-25s %9.2fx %9.2fx %9.2fx %8s  %-16s %10s %-11s %s\n",
			       f->name, f->s.min, f->s.med, f->s.p90, xn,
			       f->metric, v, f->target, verdict(f));
		else if (f->measured)
			printf("bench: %-25s %8.0f%-2s %8.0f%-2s %8.0f%-2s %8s  %-16s %10s %-11s %s\n",
			       f->name, f->s.min, f->unit, f->s.med, f->unit,
			       f->s.p90, f->unit, xn, f->metric, v, f->target,
			       verdict(f));
		else
			printf("bench: %-25s %10s %10s %10s %8s  %-16s %10s %-11s %s\n",
			       f->name, "-", "-", "-", "-", f->metric, "-",
			       f->target, "n/a");
	}
	for (i = 0; i < nfigs; i++)
		if (!figs[i].hidden && figs[i].note[0])
			printf("bench:   %s: %s\n", figs[i].name, figs[i].note);
}

/* @s as a JSON string: notes quote names, a kernel release could hold anything. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* "key":value, a ratio or figure without its null trials as null. */
static void json_num(const char *key, const char *fmt, double v, int have)
{
	printf(",\"%s\":", key);
	if (have)
		printf(fmt, v);
	else
		printf("null");
}

static void print_json(const char *kernel, const char *clk)
{
	char null_desc[64];
	int i;

	snprintf(null_desc, sizeof(null_desc), "ENOTTY ioctl _IO(0x%x,0x%x)",
		 VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE - 1);
	printf("bench-json: {\"kernel\":");
	json_str(kernel);
	printf(",\"clocksource\":");
	json_str(clk);
	printf(",\"trials\":%d,\"warmup\":%d,\"smoke\":%d,\"null\":",
	       trials, warm, smoke);
	json_str(null_desc);
	printf(",\"figures\":[");
	for (i = 0; i < nfigs; i++) {
		const struct fig *f = &figs[i];
		const char *v = verdict(f);
		int nul = f->measured && f->sn.min > 0;

		printf("%s{\"name\":", i ? "," : "");
		json_str(f->name);
		printf(",\"what\":");
		json_str(f->what);
		printf(",\"measured\":%s", f->measured ? "true" : "false");
		if (f->measured) {
			printf(",\"unit\":");
			json_str(f->unit);
			printf(",\"trials\":%d,\"min\":%.1f,\"median\":%.1f,\"p90\":%.1f",
			       f->n, f->s.min, f->s.med, f->s.p90);
			json_num("null_min", "%.1f", f->sn.min, nul);
			json_num("null_median", "%.1f", f->sn.med, nul);
			json_num("x_null", "%.3f", f->xnull, nul);
			json_num("x_null_median", "%.3f", f->xnull_med, nul);
		}
		printf(",\"judged_on\":");
		json_str(f->metric);
		json_num("value", "%.10g", f->value, f->measured);
		printf(",\"target\":");
		json_str(f->target);
		printf(",\"met\":%s,\"note\":",
		       !strcmp(v, "met") ? "true" : !strcmp(v, "MISSED") ? "false" : "null");
		json_str(f->note);
		putchar('}');
	}
	printf("]}\n");
}

/* VQN_BENCH_ONLY="core,kvm" runs only these groups of figures. */
static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "core", bench_core },
	{ "kvm", bench_kvm },
	{ "monitor", bench_monitor },
	{ "trace", bench_trace },
	{ "memory", bench_memory },
	{ "guests", bench_guests },
	{ "promotion", bench_promotion },
	{ "scale", bench_scale },
};

int main(int argc, char **argv)
{
	struct rlimit rl = { 16384, 16384 };
	const char *s = getenv("VQN_BENCH_SMOKE");
	const char *only = getenv("VQN_BENCH_ONLY");
	char clk[64];
	struct utsname u;
	unsigned int i;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A helper or the broker gone: EPIPE and the TAP line, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && !strcmp(argv[1], "--sm-helper"))
		return sm_helper_main(atoi(argv[2]), atoi(argv[3]));
	printf("TAP version 13\n1..1\n");
	/*
	 * One CPU for everything but the scaling figure: no migrations, and
	 * the broker gets its best case, a hand-off on the client's CPU with
	 * no cross-CPU wake-up (the broker process inherits the affinity).
	 */
	pin_cpu(0);
	smoke = s ? atoi(s) : VQN_BENCH_SMOKE_DEFAULT;
	trials = smoke ? 5 : 101;
	warm = smoke ? 1 : 10;
	guests_big = smoke ? 50 : 1000;
	settle_s = smoke ? 0 : 2.1;
	s = getenv("VQN_BENCH_TRIALS");
	if (s && atoi(s) > 0 && atoi(s) <= MAX_TRIALS / 2)
		trials = atoi(s);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE");
	big_fds = calloc(guests_big, sizeof(*big_fds));
	if (!big_fds)
		die("calloc");
	uname(&u);
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  clk, sizeof(clk));

	fd = open("/dev/vqnotify", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("ok 1 vqn_bench # SKIP /dev/vqnotify: %s\n", strerror(errno));
		return 0;
	}
	null_fig = fig_new("null_enotty", "ENOTTY ioctl on a /dev/vqnotify fd (the denominator), ns", "ns");
	{
		int k;

		for (k = 0; k < warm; k++)
			null_trial(fd);
		for (k = 0; k < trials; k++) {
			double a = null_trial(fd);

			fig_push(null_fig, a, null_trial(fd));
		}
		fig_done(null_fig);
		fig_note(null_fig, "_IO(0x%x, 0x%x), batches of %d", VQNOTIFY_TYPE,
			 VQNOTIFY_CMD_BASE - 1, NULL_BATCH);
	}
	close(fd);

	printf("# kernel %s, clocksource %s, %d trials after %d warm-up%s\n",
	       u.release, clk, trials, warm, smoke ? ", smoke run" : "");
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (only && !strstr(only, groups[i].name))
			continue;
		groups[i].fn();
		printf("# %s done\n", groups[i].name);
	}

	printf("bench: vqnotify bench, kernel %s, clocksource %s, %d trials after %d warm-up%s; ratios are min/min against the ENOTTY ioctl (a \"vs\" ratio: of its two conditions' x null)\n",
	       u.release, clk, trials, warm, smoke ? " (SMOKE: not figures to quote)" : "");
	print_table();
	print_json(u.release, clk);
	printf("ok 1 vqn_bench\n");
	return 0;
}
