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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
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

#ifndef VQN_BENCH_SMOKE_DEFAULT
#define VQN_BENCH_SMOKE_DEFAULT 0
#endif

#define NQ		VQNOTIFY_MAX_QUEUES
#define STATUS_OK	0x0f	/* ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK */
#define STATUS_STOP	(STATUS_OK & ~VQNOTIFY_STATUS_DRIVER_OK)
/* A command of the module's type that it does not implement: ENOTTY. */
#define VQN_ENOTTY_CMD	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE - 1)
#define NULL_BATCH	16	/* null ioctls per denominator trial */
#define PAIR_BATCH	8	/* on/off pairs per trial of a one-queue figure */
#define MAX_TRIALS	1001
#define MAX_FIGS	32

static int smoke, trials, warm;
static int guests_big;		/* guests of the 1000-guest figures */
static double settle_s;		/* wait for memcg statistics to flush */

/* Figures */

struct stats {
	double min, med, p90;
};

struct fig {
	const char *name;
	const char *what;
	const char *unit;	/* of min/med/p90 */
	double v[MAX_TRIALS], nul[MAX_TRIALS];
	int n;
	struct stats s, sn;
	double xnull, xnull_med;
	/* What the target is judged on. */
	const char *metric;
	double value;
	const char *target;
	double limit;
	int dir;		/* 1: value <= limit; -1: value >= limit; 0: none */
	int measured;
	int hidden;		/* a baseline shown only in the JSON */
	char note[200];
};

static struct fig figs[MAX_FIGS];
static int nfigs;
static struct fig *null_fig;

static struct fig *fig_new(const char *name, const char *what,
			   const char *unit)
{
	struct fig *f = &figs[nfigs++];

	f->name = name;
	f->what = what;
	f->unit = unit;
	f->metric = "x null";
	f->target = "-";
	return f;
}

static void fig_note(struct fig *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->note, sizeof(f->note), fmt, ap);
	va_end(ap);
}

static void fig_target(struct fig *f, const char *metric, double value,
		       const char *target, double limit, int dir)
{
	f->metric = metric;
	f->value = value;
	f->target = target;
	f->limit = limit;
	f->dir = dir;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stats stats_of(const double *v, int n)
{
	static double s[MAX_TRIALS];
	struct stats st = { 0 };

	if (!n)
		return st;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	st.min = s[0];
	st.med = s[n / 2];
	st.p90 = s[(int)(0.9 * (n - 1) + 0.5)];
	return st;
}

static void fig_push(struct fig *f, double v, double nul)
{
	if (f->n < MAX_TRIALS) {
		f->v[f->n] = v;
		f->nul[f->n] = nul;
		f->n++;
	}
}

static void fig_done(struct fig *f)
{
	f->s = stats_of(f->v, f->n);
	f->sn = stats_of(f->nul, f->n);
	if (f->sn.min > 0) {
		f->xnull = f->s.min / f->sn.min;
		f->xnull_med = f->s.med / f->sn.med;
	}
	if (!f->dir && !strcmp(f->metric, "x null"))
		f->value = f->xnull;
	f->measured = 1;
}

/* Program failure: the one TAP result says so. */
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("not ok 1 vqn_bench # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %d: %s)\n", errno, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Pin to @cpu, or allow every CPU when @cpu < 0. */
static void pin_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE && i < 256; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* /dev/vqnotify */

static int vq_open(void)
{
	int fd = open("/dev/vqnotify", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/vqnotify");
	return fd;
}

static uint32_t dev_add(int fd, uint32_t nq)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = VQNOTIFY_TRANSPORT_MMIO,
		.num_queues = nq,
		.label = "bench",
	};

	if (ioctl(fd, VQNOTIFY_DEV_ADD, &da))
		die("DEV_ADD %u queues", nq);
	return da.out_dev_id;
}

/* SET_STATUS; returns nr_results. */
static uint32_t set_status(int fd, uint32_t dev, uint32_t status,
			   struct vqnotify_vq_result *res, uint32_t cap)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = dev,
		.status = status,
		.results = (uintptr_t)res,
		.nr_results = res ? cap : 0,
	};

	if (ioctl(fd, VQNOTIFY_SET_STATUS, &op))
		die("SET_STATUS %#x", status);
	return op.nr_results;
}

/* SET_HOST_NOTIFIER; returns the label of the queue's transition. */
static uint8_t host_notifier(int fd, uint32_t dev, uint32_t q, int on)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = on ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = dev,
		.queue = q,
	};

	if (ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn))
		die("SET_HOST_NOTIFIER %d", on);
	return hn.result.label;
}

static void guest_budget(int fd, uint32_t budget)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_BUDGET,
		.budget = budget,
	};

	if (ioctl(fd, VQNOTIFY_GUEST_SET, &gs))
		die("GUEST_SET budget %u", budget);
}

static struct vqnotify_info get_info(int fd)
{
	struct vqnotify_info info = { .size = sizeof(info) };

	if (ioctl(fd, VQNOTIFY_GET_INFO, &info))
		die("GET_INFO");
	return info;
}

/* The denominator: ns per ENOTTY ioctl, one batch. */
static double null_trial(int fd)
{
	double t = now_ns();
	int i, bad = 0;

	for (i = 0; i < NULL_BATCH; i++)
		bad |= ioctl(fd, VQN_ENOTTY_CMD, 0) != -1;
	t = (now_ns() - t) / NULL_BATCH;
	if (bad || errno != ENOTTY)
		die("the null ioctl did not fail with ENOTTY");
	return t;
}

/*
 * Run figures side by side: each trial runs every figure once (in an order
 * that rotates), each followed by its own null batch on @fd.
 */
typedef double (*trial_fn)(void *ctx);

static void run_figs(int fd, int n, struct fig **f, trial_fn *fn, void **ctx)
{
	int i, j, k;

	for (i = 0; i < warm; i++)
		for (j = 0; j < n; j++) {
			fn[j](ctx[j]);
			null_trial(fd);
		}
	for (i = 0; i < trials; i++)
		for (k = 0; k < n; k++) {
			double v, nul;

			j = (i + k) % n;
			v = fn[j](ctx[j]);
			nul = null_trial(fd);
			fig_push(f[j], v, nul);
		}
	for (j = 0; j < n; j++)
		fig_done(f[j]);
}

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
 * through the module, or (@user) the same decision in-process, vqn_sm.c
 * compiled into this program.
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

static void bench_core(void)
{
	static struct drv_ok dok, uok;
	static struct bsm_guest ug;
	struct onoff de, cf, bm;
	struct brk_dev bo, bok;
	static struct brk_rep rep;
	int fd = vq_open(), fd_ok = vq_open();
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

	/* DRIVER_OK of 1024 queues: module, same code in-process, broker. */
	dok.fd = fd_ok;
	dok.dev = dev_add(fd_ok, NQ);
	bsm_init(&ug);
	uok.user = &ug;
	uok.dev = bsm_dev_add(&ug, NQ);
	bok.sock = sock;
	bok.dev = brk_call(sock, BRK_DEV_ADD, 0, NQ, 0, &rep);
	if ((int)uok.dev < 0 || (int)bok.dev < 0)
		die("userspace device");
	f_ok = fig_new("driver_ok_1024", "DRIVER_OK of a 1024-queue device, one call with results, ns", "ns");
	f_user = fig_new("driver_ok_1024_sm_user", "the same decision, vqn_sm.c in-process (no syscall), ns", "ns");
	f_brk = fig_new("driver_ok_1024_broker", "the same through the userspace broker (AF_UNIX seqpacket), ns", "ns");
	{
		struct fig *f[] = { f_ok, f_user, f_brk };
		trial_fn fn[] = { trial_driver_ok, trial_driver_ok, trial_brk_ok };
		void *ctx[] = { &dok, &uok, &bok };

		run_figs(fd_ok, 3, f, fn, ctx);
	}
	fig_target(f_ok, "x null", f_ok->xnull, "<= 40x", 40, 1);
	fig_note(f_ok, "%.1f ns/queue", f_ok->s.min / NQ);
	fig_target(f_user, "kernel/user", f_ok->s.min / f_user->s.min,
		   "<= 1.2x", 1.2, 1);
	fig_note(f_user, "%.1f ns/queue in userspace", f_user->s.min / NQ);
	fig_target(f_brk, "broker/vqnotify", f_brk->s.min / f_ok->s.min,
		   ">= 2x", 2, -1);

	brk_call(sock, BRK_QUIT, 0, 0, 0, &rep);
	close(sock);
	waitpid(broker, NULL, 0);
	close(fd);
	close(fd_ok);
}

/* A single (d)/(e) call against the KVM_IOEVENTFD call that follows it. */
static void bench_kvm(void)
{
	struct fig *fv = fig_new("single_de", "one (d) or (e) call, timed alone, ns", "ns");
	struct fig *fk = fig_new("kvm_ioeventfd_assign", "the KVM_IOEVENTFD assign that follows (e), ns", "ns");
	struct fig *fdk = fig_new("kvm_ioeventfd_deassign", "the KVM_IOEVENTFD deassign that follows (d), ns", "ns");
	struct kvm_ioeventfd io = { .addr = 0xfe000000, .len = 4 };
	int fd, kvm, vm, i, efd;
	uint32_t dev;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fig_note(fk, "not measured: no /dev/kvm or KVM_CREATE_VM failed");
		fv->hidden = 1;
		fdk->hidden = 1;
		if (kvm >= 0)
			close(kvm);
		return;
	}
	efd = eventfd(0, EFD_CLOEXEC);
	fd = vq_open();
	dev = dev_add(fd, 1);
	set_status(fd, dev, STATUS_OK, NULL, 0);
	io.fd = efd;
	/*
	 * The VMM's order: (d) then its ioeventfd goes (deassign); (e) then
	 * it comes back (assign). The queue starts ASSIGNED with one.
	 */
	if (ioctl(vm, KVM_IOEVENTFD, &io))
		die("KVM_IOEVENTFD assign");
	for (i = -warm; i < trials; i++) {
		double t0, t1, t2, t3, t4, nul;

		t0 = now_ns();
		if (host_notifier(fd, dev, 0, 1) != VQNOTIFY_LABEL_D)
			die("(d)");
		t1 = now_ns();
		io.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(vm, KVM_IOEVENTFD, &io))
			die("KVM_IOEVENTFD deassign");
		t2 = now_ns();
		if (host_notifier(fd, dev, 0, 0) != VQNOTIFY_LABEL_E)
			die("(e)");
		t3 = now_ns();
		io.flags = 0;
		if (ioctl(vm, KVM_IOEVENTFD, &io))
			die("KVM_IOEVENTFD assign");
		t4 = now_ns();
		nul = null_trial(fd);
		if (i < 0)
			continue;
		fig_push(fv, t1 - t0, nul);
		fig_push(fv, t3 - t2, nul);
		fig_push(fdk, t2 - t1, nul);
		fig_push(fk, t4 - t3, nul);
	}
	fig_done(fv);
	fig_done(fk);
	fig_done(fdk);
	fdk->hidden = 1;
	fig_target(fk, "vqnotify/kvm", fv->s.min / fk->s.min, "<= 4%", 0.04, 1);
	fig_note(fk, "single (d) or (e) call min %.0f ns (one clock read included) vs assign min %.0f ns; deassign min %.0f ns",
		 fv->s.min, fk->s.min, fdk->s.min);
	close(fd);
	close(efd);
	close(vm);
	close(kvm);
}

/* DRIVER_OK-1024 with a netlink monitor listening, and with the tracepoint */

struct monitor {
	int sock;
	sem_t go, done;
	long want, got;
	int err;
	pthread_t thread;
};

/* The monitor drains between trials: it never runs inside a timed call. */
static void *monitor_fn(void *p)
{
	struct monitor *m = p;

	for (;;) {
		sem_wait(&m->go);
		if (m->want < 0)
			return NULL;
		while (m->got < m->want) {
			long n = nl_monitor_recv(m->sock, 0);

			if (n < 0) {
				m->err = -n;
				break;
			}
			m->got += n;
		}
		sem_post(&m->done);
	}
}

struct mon_trial {
	struct drv_ok *ok;
	struct monitor *m;
	int group;
	int join;
	int per_call;
};

static double trial_mon(void *p)
{
	struct mon_trial *c = p;
	int opt = c->join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
	double t;

	if (setsockopt(c->m->sock, SOL_NETLINK, opt, &c->group, sizeof(c->group)))
		die("monitor membership");
	t = trial_driver_ok(c->ok);
	if (c->join) {
		/*
		 * The reset's (g) and DRIVER_OK's (b): one message each, or
		 * one message per call.
		 */
		c->m->want += c->per_call ? 2 : 2 * NQ;
		sem_post(&c->m->go);
		sem_wait(&c->m->done);
		if (c->m->err || c->m->got != c->m->want)
			die("monitor: %ld of %ld messages (error %d)",
			    c->m->got, c->m->want, c->m->err);
	}
	return t;
}

/*
 * @gname: the group the monitor joins, whose messages come one per call
 * (@per_call) or one per queue; @target: the figure is judged.
 */
static void monitor_figure(const char *name, const char *desc,
			   const char *gname, int per_call, int target)
{
	struct fig *fo = fig_new(per_call ? "driver_ok_1024_base_mon" : "driver_ok_1024_base_mon_q", "DRIVER_OK-1024, no listener, interleaved with the next", "ns");
	struct fig *fm = fig_new(name, desc, "ns");
	static struct drv_ok dok;
	struct mon_trial off, on;
	struct monitor m = { 0 };
	int nl, family, group;

	fo->hidden = 1;
	nl = nl_open();
	if (nl < 0 || nl_resolve(nl, &family, &group, gname)) {
		fig_note(fm, "not measured: the vqnotify family does not resolve");
		return;
	}
	close(nl);
	m.sock = nl_monitor_open(group, 64 << 20);
	if (m.sock < 0)
		die("monitor socket");
	sem_init(&m.go, 0, 0);
	sem_init(&m.done, 0, 0);
	if (pthread_create(&m.thread, NULL, monitor_fn, &m))
		die("monitor thread");
	dok.fd = vq_open();
	dok.dev = dev_add(dok.fd, NQ);
	off = (struct mon_trial){ &dok, &m, group, 0, per_call };
	on = (struct mon_trial){ &dok, &m, group, 1, per_call };
	{
		struct fig *f[] = { fo, fm };
		trial_fn fn[] = { trial_mon, trial_mon };
		void *ctx[] = { &off, &on };

		run_figs(dok.fd, 2, f, fn, ctx);
	}
	if (target)
		fig_target(fm, "vs no listener", fm->xnull / fo->xnull, "<= 1.3x", 1.3, 1);
	else
		fig_target(fm, "vs no listener", fm->xnull / fo->xnull, "-", 0, 0);
	fig_note(fm, "group \"%s\": %ld messages drained by a second thread between calls",
		 gname, m.got);
	m.want = -1;
	sem_post(&m.go);
	pthread_join(m.thread, NULL);
	close(m.sock);
	close(dok.fd);
}

/*
 * The target is about the calls group (CALL_NTF, one message per call);
 * the monitor group's one message per queue, kept for older tools, is
 * printed beside it.
 */
static void bench_monitor(void)
{
	monitor_figure("driver_ok_1024_monitor",
		       "DRIVER_OK-1024 with one netlink listener of the calls group, ns",
		       VQNOTIFY_MCGRP_CALLS, 1, 1);
	monitor_figure("driver_ok_1024_monitor_q",
		       "DRIVER_OK-1024 with one netlink listener of the monitor group (a message per queue), ns",
		       VQNOTIFY_MCGRP_MONITOR, 0, 0);
}

/* The enable file of vqnotify's event @event, or of all of them (NULL). */
static const char *trace_enable_path(const char *event)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	static char path[128];
	unsigned int i, tries;

	for (tries = 0; tries < 2; tries++) {
		for (i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/events/vqnotify/%s%senable",
				 roots[i], event ? event : "", event ? "/" : "");
			if (!access(path, W_OK))
				return path;
		}
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	}
	return NULL;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Enabling a tracepoint patches kernel text: it is toggled per block of
 * trials, not per trial, the two conditions alternating block by block.
 * @event: the event to enable, NULL for every vqnotify event; @target: the
 * figure is judged (else it is printed only).
 */
static void trace_figure(const char *name, const char *desc,
			 const char *event, int target)
{
	struct fig *fo = fig_new(event ? "driver_ok_1024_base_trace" : "driver_ok_1024_base_trace_all", "DRIVER_OK-1024, tracepoint off, interleaved with the next", "ns");
	struct fig *ft = fig_new(name, desc, "ns");
	const char *p = trace_enable_path(event);
	int block = smoke ? 1 : 10, i, j, k;
	static struct drv_ok dok;
	char path[128];

	fo->hidden = 1;
	if (!p) {
		fig_note(ft, "not measured: no tracefs or no vqnotify events");
		return;
	}
	snprintf(path, sizeof(path), "%s", p);
	dok.fd = vq_open();
	dok.dev = dev_add(dok.fd, NQ);
	for (i = 0; i < trials; i += block)
		for (k = 0; k < 2; k++) {
			int on = (k + i / block) & 1;
			struct fig *f = on ? ft : fo;

			if (write_file(path, on ? "1" : "0"))
				die("write %s", path);
			trial_driver_ok(&dok);	/* warm-up after the switch */
			null_trial(dok.fd);
			for (j = 0; j < block && i + j < trials; j++) {
				double v = trial_driver_ok(&dok);

				fig_push(f, v, null_trial(dok.fd));
			}
		}
	write_file(path, "0");
	fig_done(fo);
	fig_done(ft);
	if (target)
		fig_target(ft, "vs disabled", ft->xnull / fo->xnull, "<= 2x", 2, 1);
	else
		fig_target(ft, "vs disabled", ft->xnull / fo->xnull, "-", 0, 0);
	fig_note(ft, "%s enabled, toggled every %d trials",
		 event ? event : "every vqnotify event", block);
	close(dok.fd);
}

/*
 * The call's one vq_call event (runs of queues changed alike) is what the
 * target is about; the per-queue vq_transition and vq_refusal events kept
 * for older tools are printed beside it.
 */
static void bench_trace(void)
{
	trace_figure("driver_ok_1024_trace",
		     "DRIVER_OK-1024 with the vq_call tracepoint enabled, ns",
		     "vq_call", 1);
	trace_figure("driver_ok_1024_trace_all",
		     "DRIVER_OK-1024 with every vqnotify tracepoint enabled, ns",
		     NULL, 0);
}

/* Kernel memory: the module's allocations are GFP_KERNEL_ACCOUNT */

static char cg_stat[128];
static const char *cg_how;

/*
 * The bench runs in a memory cgroup of its own; "kernel" in its memory.stat
 * counts every charged kernel page (slab objects, large kmallocs, vmalloc)
 * to the byte-rounded page, with at most a page per CPU left in the
 * per-CPU object stock. memcg statistics flush every 2 s: wait for a flush
 * before each read.
 */
static int cg_setup(void)
{
	const char *root = "/sys/fs/cgroup", *dir = "/sys/fs/cgroup/vqn-bench";
	char path[128], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (access(path, F_OK))
		mount("cgroup2", root, "cgroup2", 0, NULL);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	if (write_file(path, "+memory"))
		return -1;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(path, pid))
		return -1;
	snprintf(cg_stat, sizeof(cg_stat), "%s/memory.stat", dir);
	cg_how = settle_s > 0 ?
		"memory.stat kernel of the bench's own memory cgroup, read after a 2 s stats flush" :
		"memory.stat kernel of the bench's own memory cgroup, not flushed (smoke)";
	return 0;
}

static long kmem_now(void)
{
	char line[256];
	long v = -1;
	FILE *f;

	if (settle_s > 0)
		usleep(settle_s * 1e6);
	f = fopen(cg_stat, "re");
	if (!f)
		die("open %s", cg_stat);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "kernel %ld", &v) == 1)
			break;
	fclose(f);
	if (v < 0)
		die("no kernel line in %s", cg_stat);
	return v;
}

/* 1000 guests x 25 devices x 4 queues */

#define BIG_DEVS	25
#define BIG_QUEUES	4

static int *big_fds;

static void big_open(int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		big_fds[i] = vq_open();
		for (j = 0; j < BIG_DEVS; j++)
			dev_add(big_fds[i], BIG_QUEUES);
	}
}

static void big_close(int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(big_fds[i]);
}

static void bench_memory(void)
{
	struct fig *f1 = fig_new("mem_per_queue_1024", "kernel memory per queue, 1024-queue devices, bytes", "B");
	struct fig *fg = fig_new("mem_per_queue_guests", "kernel memory per queue, guests x 25 devices x 4 queues, bytes", "B");
	int ndev = smoke ? 4 : 32, n = guests_big, i, fd;
	long k0, k1, k2, k3;
	double per;

	if (cg_setup()) {
		fig_note(f1, "not measured: no memory cgroup");
		fig_note(fg, "not measured: no memory cgroup");
		return;
	}
	fd = vq_open();
	k0 = kmem_now();
	for (i = 0; i < ndev; i++)
		dev_add(fd, NQ);
	k1 = kmem_now();
	close(fd);
	per = (double)(k1 - k0) / (ndev * NQ);
	f1->measured = 1;
	f1->s.min = f1->s.med = f1->s.p90 = per;
	fig_target(f1, "B/queue", per, "<= 32", 32, 1);
	fig_note(f1, "%d devices: %ld B; %s", ndev, k1 - k0, cg_how);

	/* The guests, then as many plain files: the file and fd table part. */
	k0 = kmem_now();
	big_open(n);
	k1 = kmem_now();
	big_close(n);
	k2 = kmem_now();
	for (i = 0; i < n; i++)
		if ((big_fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			die("open /dev/null");
	k3 = kmem_now();
	big_close(n);
	per = (double)((k1 - k0) - (k3 - k2)) / (n * BIG_DEVS * BIG_QUEUES);
	fg->measured = 1;
	fg->s.min = fg->s.med = fg->s.p90 = per;
	fig_target(fg, "B/queue", per, "<= 48", 48, 1);
	fig_note(fg, "%d guests: %ld B, minus %ld B for as many open files of /dev/null; %.0f B/queue with them",
		 n, k1 - k0, k3 - k2, (double)(k1 - k0) / (n * BIG_DEVS * BIG_QUEUES));
}

/* Netlink dump rate and one transition, with many guests open vs one */

static void bench_guests(void)
{
	struct fig *f1 = fig_new("transition_1_guest", "(d)/(e) with 1 guest open, ns per call", "ns");
	struct fig *fn = fig_new("transition_many_guests", "(d)/(e) with the guests of the memory figure open, ns per call", "ns");
	struct fig *fd_ = fig_new("netlink_dump", "netlink dump of every queue (QUEUES_GET, packed), ns per queue", "ns");
	struct fig *fq = fig_new("netlink_dump_q", "netlink dump of every queue (QUEUE_GET, a message per queue), ns per queue", "ns");
	int reps = smoke ? 1 : 3, n = guests_big, r, i, nl, family, group;
	long expect = (long)n * BIG_DEVS * BIG_QUEUES;
	struct onoff de = { 0 };
	int per = (trials + reps - 1) / reps;
	int save = trials;

	f1->hidden = 1;
	de.fd = vq_open();
	de.dev = dev_add(de.fd, 1);
	de.q = 0;
	de.on_label = VQNOTIFY_LABEL_D;
	de.off_label = VQNOTIFY_LABEL_E;
	set_status(de.fd, de.dev, STATUS_OK, NULL, 0);
	nl = nl_open();
	if (nl < 0 || nl_resolve(nl, &family, &group, VQNOTIFY_MCGRP_MONITOR))
		die("netlink family");

	trials = per;
	for (r = 0; r < reps; r++) {
		struct fig *fa[] = { f1 };
		trial_fn fn_[] = { trial_onoff };
		void *ctx[] = { &de };

		run_figs(de.fd, 1, fa, fn_, ctx);
		big_open(n);
		fa[0] = fn;
		run_figs(de.fd, 1, fa, fn_, ctx);
		if (r == 0) {
			int dumps = smoke ? 2 : 7;

			/* The two dumps alternate; the first two warm up. */
			for (i = 0; i < 2 * (dumps + 1); i++) {
				int cmd = i & 1 ? VQNOTIFY_CMD_QUEUE_GET :
						  VQNOTIFY_CMD_QUEUES_GET;
				double t = now_ns();
				long q = nl_dump_queues(nl, family, cmd);

				t = now_ns() - t;
				if (q < expect)
					die("dump: %ld queues of %ld", q, expect);
				if (i > 1)
					fig_push(i & 1 ? fq : fd_, t / q,
						 null_trial(de.fd));
			}
		}
		big_close(n);
	}
	trials = save;
	fig_done(f1);
	fig_done(fn);
	fig_done(fd_);
	fig_done(fq);
	fig_target(fn, "vs 1 guest", fn->xnull / f1->xnull, "<= 1.2x", 1.2, 1);
	fig_note(fn, "%d guests, %d blocks of each alternating", n, reps);
	fig_target(fd_, "queues/s", 1e9 / fd_->s.min, ">= 1e6", 1e6, -1);
	fig_note(fd_, "%ld queues in %d guests per dump, a message per device",
		 expect, n);
	fig_target(fq, "queues/s", 1e9 / fq->s.min, "-", 0, 0);
	fig_note(fq, "the same queues, a message per queue (QUEUE_GET)");
	close(nl);
	close(de.fd);
}

/*
 * Promotion: a host slot freed by one guest goes to the one guest waiting
 * for a host slot, while N other guests wait too (for their budget: one of
 * their queues is refused NO_SLOT). Timed: from the freeing call until the
 * waiter's event is readable (the module promotes from a work item).
 */
struct promo {
	int nl, family;
	uint32_t cap0;
};

static void promo_measure(struct promo *p, int nwait, struct fig *f, int count)
{
	int i, x, y, *fds = calloc(nwait + 2, sizeof(int));
	uint32_t dev[2];
	struct vqnotify_info info;

	if (!fds)
		die("calloc");
	for (i = 0; i < nwait; i++) {
		fds[i] = vq_open();
		guest_budget(fds[i], 7);
		set_status(fds[i], dev_add(fds[i], 8), STATUS_OK, NULL, 0);
	}
	/* Opened last, so the walk in guest id order meets them last. */
	for (i = 0; i < 2; i++) {
		fds[nwait + i] = vq_open();
		dev[i] = dev_add(fds[nwait + i], 1);
		if (fcntl(fds[nwait + i], F_SETFL, O_NONBLOCK))
			die("O_NONBLOCK");
	}
	info = get_info(fds[nwait]);
	if (nl_set_host_cap(p->nl, p->family, info.host_used + 1))
		die("CONFIG_SET host_cap");
	set_status(fds[nwait], dev[0], STATUS_OK, NULL, 0);
	set_status(fds[nwait + 1], dev[1], STATUS_OK, NULL, 0);
	x = 0;
	y = 1;
	for (i = -1; i < count; i++) {
		struct pollfd pfd = { .fd = fds[nwait + y], .events = POLLIN };
		struct vqnotify_event ev;
		double t = now_ns(), nul;

		set_status(fds[nwait + x], dev[x], STATUS_STOP, NULL, 0);
		if (poll(&pfd, 1, 5000) != 1)
			die("promotion: no event within 5 s");
		t = now_ns() - t;
		if (read(fds[nwait + y], &ev, sizeof(ev)) != sizeof(ev) ||
		    ev.label != VQNOTIFY_LABEL_R)
			die("promotion: event label %u", ev.label);
		/* The old holder asks again and waits. */
		set_status(fds[nwait + x], dev[x], STATUS_OK, NULL, 0);
		nul = null_trial(fds[nwait]);
		if (i >= 0)
			fig_push(f, t, nul);
		x ^= 1;
		y ^= 1;
	}
	for (i = 0; i < nwait + 2; i++)
		close(fds[i]);
	free(fds);
	if (nl_set_host_cap(p->nl, p->family, p->cap0))
		die("CONFIG_SET host_cap back");
}

static void bench_promotion(void)
{
	struct fig *f1 = fig_new("promotion_1_waiting", "promotion latency, 1 other guest waiting, ns", "ns");
	struct fig *fn = fig_new("promotion_many_waiting", "promotion latency, many other guests waiting, ns", "ns");
	int reps = smoke ? 1 : 3, r, group, fd = vq_open();
	int per = (trials + reps - 1) / reps;
	struct promo p;

	f1->hidden = 1;
	p.nl = nl_open();
	if (p.nl < 0 || nl_resolve(p.nl, &p.family, &group,
					     VQNOTIFY_MCGRP_MONITOR))
		die("netlink family");
	p.cap0 = get_info(fd).host_cap;
	close(fd);
	for (r = 0; r < reps; r++) {
		promo_measure(&p, 1, f1, per);
		promo_measure(&p, guests_big, fn, per);
	}
	fig_done(f1);
	fig_done(fn);
	fig_target(fn, "vs 1 waiting", fn->xnull / f1->xnull, "<= 1.2x", 1.2, 1);
	fig_note(fn, "%d guests waiting (for budget) ahead of the promoted one; 1-waiting min %.0f ns",
		 guests_big, f1->s.min);
	close(p.nl);
}

/*
 * Parallel scaling: P processes, each its own guest, doing (d)/(e) pairs,
 * against one; and a pure userspace loop the same way. Under single-threaded
 * TCG the control shows ~1x: then nothing is claimed.
 */
static volatile unsigned long spin_sink;

static double scale_run(int procs, int user_only, int count)
{
	double t = now_ns();
	int i;

	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			int k;

			pin_cpu(-1);
			if (user_only) {
				unsigned long x = 1;

				for (k = 0; k < count * 4096; k++)
					x = x * 6364136223846793005UL + 1;
				spin_sink = x;
			} else {
				int fd = vq_open();
				uint32_t dev = dev_add(fd, 1);

				set_status(fd, dev, STATUS_OK, NULL, 0);
				for (k = 0; k < count; k++) {
					host_notifier(fd, dev, 0, 1);
					host_notifier(fd, dev, 0, 0);
				}
			}
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("scaling child failed");
	}
	return (now_ns() - t) / 1e9;
}

static void bench_scale(void)
{
	struct fig *f = fig_new("parallel_scaling", "throughput of P processes / 1 process, (d)/(e) loops", "x");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int procs = ncpu > 1 ? ncpu : 2, count = smoke ? 200 : 5000;
	double k1, kp, u1, up;

	k1 = scale_run(1, 0, count);
	kp = scale_run(procs, 0, count);
	u1 = scale_run(1, 1, count);
	up = scale_run(procs, 1, count);
	f->measured = 1;
	f->s.min = f->s.med = f->s.p90 = procs * k1 / kp;
	fig_target(f, "scaling", procs * k1 / kp, "not claimed", 0, 0);
	fig_note(f, "%d procs on %ld CPUs: vqnotify %.2fx, pure-userspace control %.2fx; a control below 1.8x means the machine cannot show parallelism",
		 procs, ncpu, procs * k1 / kp, procs * u1 / up);
}

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
	else if (!strcmp(f->target, "<= 4%"))
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

	printf("bench: %-24s %10s %10s %10s %8s  %-16s %10s %-11s %s\n",
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
			printf("bench: %-24s %9.2fx %9.2fx %9.2fx %8s  %-16s %10s %-11s %s\n",
			       f->name, f->s.min, f->s.med, f->s.p90, xn,
			       f->metric, v, f->target, verdict(f));
		else if (f->measured)
			printf("bench: %-24s %8.0f%-2s %8.0f%-2s %8.0f%-2s %8s  %-16s %10s %-11s %s\n",
			       f->name, f->s.min, f->unit, f->s.med, f->unit,
			       f->s.p90, f->unit, xn, f->metric, v, f->target,
			       verdict(f));
		else
			printf("bench: %-24s %10s %10s %10s %8s  %-16s %10s %-11s %s\n",
			       f->name, "-", "-", "-", "-", f->metric, "-",
			       f->target, "n/a");
	}
	for (i = 0; i < nfigs; i++)
		if (!figs[i].hidden && figs[i].note[0])
			printf("bench:   %s: %s\n", figs[i].name, figs[i].note);
}

static void print_json(const char *kernel, const char *clk)
{
	int i;

	printf("bench-json: {\"kernel\":\"%s\",\"clocksource\":\"%s\",\"trials\":%d,"
	       "\"warmup\":%d,\"smoke\":%d,\"null\":\"ENOTTY ioctl _IO(0x%x,0x%x)\","
	       "\"figures\":[", kernel, clk, trials, warm, smoke, VQNOTIFY_TYPE,
	       VQNOTIFY_CMD_BASE - 1);
	for (i = 0; i < nfigs; i++) {
		const struct fig *f = &figs[i];
		const char *v = verdict(f);

		printf("%s{\"name\":\"%s\",\"what\":\"%s\",\"measured\":%s", i ? "," : "",
		       f->name, f->what, f->measured ? "true" : "false");
		if (f->measured)
			printf(",\"unit\":\"%s\",\"trials\":%d,\"min\":%.1f,\"median\":%.1f,"
			       "\"p90\":%.1f,\"null_min\":%.1f,\"null_median\":%.1f,"
			       "\"x_null\":%.3f,\"x_null_median\":%.3f",
			       f->unit, f->n, f->s.min, f->s.med, f->s.p90,
			       f->sn.min, f->sn.med, f->xnull, f->xnull_med);
		printf(",\"judged_on\":\"%s\",\"value\":%.4g,\"target\":\"%s\",\"met\":%s,\"note\":\"%s\"}",
		       f->metric, f->measured ? f->value : 0, f->target,
		       !strcmp(v, "met") ? "true" : !strcmp(v, "MISSED") ? "false" : "null",
		       f->note);
	}
	printf("]}\n");
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	snprintf(buf, len, "unknown");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
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

int main(void)
{
	struct rlimit rl = { 8192, 8192 };
	const char *s = getenv("VQN_BENCH_SMOKE");
	const char *only = getenv("VQN_BENCH_ONLY");
	char clk[64];
	struct utsname u;
	unsigned int i;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
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

	printf("bench: vqnotify bench, kernel %s, clocksource %s, %d trials after %d warm-up%s; ratios are min/min against the ENOTTY ioctl\n",
	       u.release, clk, trials, warm, smoke ? " (SMOKE: not figures to quote)" : "");
	print_table();
	print_json(u.release, clk);
	printf("ok 1 vqn_bench\n");
	return 0;
}
