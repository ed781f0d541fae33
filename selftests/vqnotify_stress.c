// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify_stress: many guests, random lifecycles, accounting checked
 * after every step.
 *
 * VQN_STRESS_PROCS processes (default 8) each open a guest and apply
 * VQN_STRESS_ITERS (default 10000, 2500 on a debug kernel) random
 * lifecycle events to it: devices added, removed, saved and loaded,
 * DRIVER_OK set and cleared with random ready bitmaps, resets, vhost
 * notifiers on and off, own budget changes (limited included), events
 * drained. After every step the guest must satisfy the invariant
 * (tk_check_guest(): used == assigned + offlimits, the over-budget and
 * limited flags, the per-queue states of every device summing to the
 * counters) and the call must have returned an allowed error consistent
 * with the queue's state.
 *
 * Then every process reports its used count while still alive and the
 * host-wide count must equal their sum (plus the base it had before);
 * after they all exit it must be back to the base.
 *
 * The seed is printed; VQN_STRESS_SEED=<seed> replays a run (the kernel's
 * scheduling aside: guests are independent, so each process's sequence is
 * reproducible).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "vqn_abuse_utils.h"

#define MAX_DEVS	8
#define MAX_Q		64

struct worker {
	int fd;
	int idx;
	struct tk_rng rng;
	struct vqnotify_info info;
	uint32_t ids[MAX_DEVS];
	uint32_t nq[MAX_DEVS];
	uint32_t transport[MAX_DEVS];
	bool used[MAX_DEVS];	/* saw a lifecycle call: LOAD is EBUSY */
	int ndev;
	uint64_t next_seq;
	bool gap_ok;
	unsigned long iter;
	const char *op;
	unsigned long nr_ops[16];
	unsigned long nr_events, nr_overflows;
};

static void __attribute__((format(printf, 2, 3), noreturn))
fail(struct worker *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# proc %d iter %lu op %s: %s\n", w->idx, w->iter,
	       w->op ? w->op : "-", msg);
	fflush(stdout);
	_exit(1);
}

static void remember_dev(struct worker *w, uint32_t id, uint32_t nq,
			 uint32_t transport)
{
	w->ids[w->ndev] = id;
	w->nq[w->ndev] = nq;
	w->transport[w->ndev] = transport;
	w->used[w->ndev] = false;
	w->ndev++;
}

static void forget_dev(struct worker *w, int i)
{
	w->ndev--;
	w->ids[i] = w->ids[w->ndev];
	w->nq[i] = w->nq[w->ndev];
	w->transport[i] = w->transport[w->ndev];
	w->used[i] = w->used[w->ndev];
}

static void op_dev_add(struct worker *w)
{
	uint32_t nq = tk_below(&w->rng, 4) ? 1 + tk_below(&w->rng, 8) :
					 1 + tk_below(&w->rng, MAX_Q);
	uint32_t tr = 1 + tk_below(&w->rng, 3), id;
	int ret;

	w->op = "dev_add";
	ret = _test_ioctl_dev_add(w->fd, tr, nq, "stress", &id);
	if (ret)
		fail(w, "%s", strerror(-ret));
	remember_dev(w, id, nq, tr);
}

/* Results of a device-wide call: in range, in queue order, consistent. */
static void check_results(struct worker *w, const struct vqnotify_vq_result *r,
			  uint32_t nr, uint32_t nq)
{
	uint32_t i;

	if (nr > nq)
		fail(w, "%u results for %u queues", nr, nq);
	for (i = 0; i < nr; i++) {
		if (r[i].queue >= nq || (i && r[i].queue <= r[i - 1].queue))
			fail(w, "result %u: queue %u", i, r[i].queue);
		if (r[i].label == VQNOTIFY_LABEL_NONE &&
		    r[i].old_state != r[i].new_state)
			fail(w, "result %u: refusal changed state", i);
		if (r[i].label != VQNOTIFY_LABEL_NONE &&
		    r[i].old_state == r[i].new_state)
			fail(w, "result %u: label %u without change", i,
			     r[i].label);
	}
}

static void op_dev_remove(struct worker *w)
{
	struct vqnotify_vq_result res[MAX_Q];
	int i = tk_below(&w->rng, w->ndev);
	uint32_t nr = MAX_Q, k;
	int ret;

	w->op = "dev_remove";
	ret = _test_ioctl_dev_remove(w->fd, w->ids[i], res, &nr);
	if (ret)
		fail(w, "%s", strerror(-ret));
	check_results(w, res, nr, w->nq[i]);
	for (k = 0; k < nr; k++)
		if (res[k].label != VQNOTIFY_LABEL_G ||
		    res[k].new_state != DEASS)
			fail(w, "queue %u: label %u state %u", res[k].queue,
			     res[k].label, res[k].new_state);
	forget_dev(w, i);
}

static void op_set_status(struct worker *w)
{
	static const uint32_t st[] = {
		TK_STATUS_OK, TK_STATUS_OK, TK_STATUS_FEATURES, 0,
	};
	struct vqnotify_vq_result res[MAX_Q];
	int i = tk_below(&w->rng, w->ndev);
	uint32_t nr = MAX_Q, status = st[tk_below(&w->rng, 4)];
	uint64_t ready = tk_rand(&w->rng);
	int ret;

	w->op = "set_status";
	if (w->nq[i] < 64)
		ready &= (1ULL << w->nq[i]) - 1;
	ret = _test_ioctl_set_status(w->fd, w->ids[i], status,
			     tk_below(&w->rng, 2) ? &ready : NULL, res, &nr);
	if (ret)
		fail(w, "status %#x: %s", status, strerror(-ret));
	check_results(w, res, nr, w->nq[i]);
	w->used[i] = true;
}

static void op_reset(struct worker *w)
{
	struct vqnotify_vq_result res[MAX_Q];
	int i = tk_below(&w->rng, w->ndev);
	uint32_t nr = MAX_Q;
	int ret;

	w->op = "dev_reset";
	ret = _test_ioctl_dev_reset(w->fd, w->ids[i], res, &nr);
	if (ret)
		fail(w, "%s", strerror(-ret));
	check_results(w, res, nr, w->nq[i]);
	w->used[i] = true;
}

/* vhost on or off, with the result checked against the queue's state. */
static void op_host_notifier(struct worker *w)
{
	int i = tk_below(&w->rng, w->ndev);
	uint32_t id = w->ids[i], q = tk_below(&w->rng, w->nq[i]);
	bool on = tk_below(&w->rng, 3) != 0;
	struct vqnotify_vq_info before, after;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_result r = {};
	int ret;

	w->op = on ? "vhost_on" : "vhost_off";
	if (_test_ioctl_queue_get(w->fd, id, q, &before) ||
	    _test_ioctl_guest_get(w->fd, &gi))
		fail(w, "query before");
	ret = _test_ioctl_host_notifier(w->fd, id, q, on, &r);
	if (_test_ioctl_queue_get(w->fd, id, q, &after))
		fail(w, "query after");
	if (ret == -EALREADY) {
		if (on != (before.state == OFFL))
			fail(w, "EALREADY in state %u", before.state);
	} else if (ret == -ENOSPC) {
		if (!on || gi.used < gi.budget || gi.nr_assigned)
			fail(w, "ENOSPC with used %u budget %u assigned %u",
			     gi.used, gi.budget, gi.nr_assigned);
	} else if (ret) {
		fail(w, "%s", strerror(-ret));
	} else {
		uint8_t lb = on ? (before.state == ASSIG ?
				   VQNOTIFY_LABEL_D : VQNOTIFY_LABEL_C) :
				  (after.state == ASSIG ?
				   VQNOTIFY_LABEL_E : VQNOTIFY_LABEL_F);

		if (r.queue != q || r.old_state != before.state ||
		    r.new_state != after.state || r.label != lb ||
		    r.label != after.label)
			fail(w, "queue %u: result %u->%u label %u, queue %u->%u label %u",
			     q, r.old_state, r.new_state, r.label,
			     before.state, after.state, after.label);
		if (on != (after.state == OFFL))
			fail(w, "state %u after vhost %s", after.state,
			     on ? "on" : "off");
		w->used[i] = true;
		return;
	}
	if (memcmp(&before, &after, sizeof(before)))
		fail(w, "queue %u changed by a failed call", q);
}

static void op_budget(struct worker *w)
{
	uint32_t thr = w->info.threshold, b;
	int ret;

	w->op = "set_budget";
	switch (tk_below(&w->rng, 5)) {
	case 0:
		b = 0;
		break;
	case 1:
		b = thr ? thr - 1 : 0;
		break;
	case 2:
		b = thr;
		break;
	case 3:
		b = thr + tk_below(&w->rng, 24);
		break;
	default:
		b = 1 + tk_below(&w->rng, 96);
		break;
	}
	ret = _test_ioctl_set_budget(w->fd, b);
	if (ret)
		fail(w, "budget %u: %s", b, strerror(-ret));
}

/*
 * A device LOAD takes (API 2): status 0, no queue holding a slot or
 * waiting for one. Stable between this look and the LOAD: promotions only
 * move waiting queues, and the worker is the guest's only caller.
 */
static bool quiescent(struct worker *w, uint32_t id)
{
	struct vqnotify_vq_info vi[MAX_Q];
	struct vqnotify_dev_get dg;
	uint32_t q;

	if (_test_ioctl_dev_get(w->fd, id, &dg, vi, MAX_Q))
		fail(w, "dev_get %u", id);
	if (dg.status)
		return false;
	for (q = 0; q < dg.nr_queues; q++)
		if (vi[q].state != DEASS || vi[q].flags & VQNOTIFY_VQ_WAITING)
			return false;
	return true;
}

/*
 * Save a device and load it into a fresh copy; or, with no room for a
 * copy, into a device of the guest: EBUSY unless it is quiescent.
 */
static void op_migrate(struct worker *w)
{
	struct vqnotify_vq_result res[MAX_Q];
	int i = tk_below(&w->rng, w->ndev), j;
	uint32_t len = 1024, nr = MAX_Q, id;
	uint8_t blob[1024];
	int ret;

	w->op = "save";
	ret = _test_ioctl_dev_save(w->fd, w->ids[i], blob, &len);
	if (ret)
		fail(w, "%s", strerror(-ret));
	w->op = "load";
	if (w->ndev < MAX_DEVS) {
		ret = _test_ioctl_dev_add(w->fd, w->transport[i], w->nq[i], "copy",
				  &id);
		if (ret)
			fail(w, "dev_add: %s", strerror(-ret));
		remember_dev(w, id, w->nq[i], w->transport[i]);
		j = w->ndev - 1;
	} else {
		j = i;
	}
	w->used[j] = !quiescent(w, w->ids[j]);
	ret = _test_ioctl_dev_load(w->fd, w->ids[j], blob, len, res, &nr);
	if (ret != (w->used[j] ? -EBUSY : 0))
		fail(w, "device %u (%s): %s", w->ids[j],
		     w->used[j] ? "not quiescent" : "quiescent",
		     strerror(-ret));
	if (!ret)
		check_results(w, res, nr, w->nq[j]);
}

/* Drain events: seq increases by one unless an overflow said otherwise. */
static void op_events(struct worker *w)
{
	struct vqnotify_event ev[64];
	int n, k;

	w->op = "read";
	n = tk_read_events(w->fd, ev, 64);
	if (n < 0)
		fail(w, "%s", strerror(-n));
	for (k = 0; k < n; k++) {
		if (ev[k].type == VQNOTIFY_EVENT_OVERFLOW) {
			w->gap_ok = true;
			w->nr_overflows++;
			continue;
		}
		if (ev[k].type != VQNOTIFY_EVENT_TRANSITION)
			fail(w, "event type %u", ev[k].type);
		if (ev[k].label != VQNOTIFY_LABEL_P &&
		    ev[k].label != VQNOTIFY_LABEL_R)
			fail(w, "event label %u", ev[k].label);
		if (ev[k].seq < w->next_seq ||
		    (ev[k].seq != w->next_seq && !w->gap_ok))
			fail(w, "event seq %llu, expected %llu",
			     (unsigned long long)ev[k].seq,
			     (unsigned long long)w->next_seq);
		w->next_seq = ev[k].seq + 1;
		w->gap_ok = false;
		w->nr_events++;
	}
}

static const char *const op_names[] = {
	"dev_add", "dev_remove", "set_status", "dev_reset", "vhost",
	"budget", "migrate", "events",
};

static void worker_step(struct worker *w)
{
	uint32_t r = tk_below(&w->rng, 100);
	int op;

	if (!w->ndev || (r < 8 && w->ndev < MAX_DEVS))
		op = 0;
	else if (r < 12)
		op = 1;
	else if (r < 35)
		op = 2;
	else if (r < 40)
		op = 3;
	else if (r < 75)
		op = 4;
	else if (r < 85)
		op = 5;
	else if (r < 88)
		op = 6;
	else
		op = 7;
	switch (op) {
	case 0:
		op_dev_add(w);
		break;
	case 1:
		op_dev_remove(w);
		break;
	case 2:
		op_set_status(w);
		break;
	case 3:
		op_reset(w);
		break;
	case 4:
		op_host_notifier(w);
		break;
	case 5:
		op_budget(w);
		break;
	case 6:
		op_migrate(w);
		break;
	default:
		op_events(w);
		break;
	}
	w->nr_ops[op]++;
}

/*
 * One guest's run. Reports its used count on @rep while alive, then waits
 * for @go to close before exiting (closing the guest).
 */
static void worker_main(int idx, uint64_t seed, unsigned long iters, int rep,
			int go)
{
	struct worker w = { .idx = idx };
	struct vqnotify_guest_info gi;
	struct tk_why why;
	char c;
	unsigned int k;

	w.rng.s = seed ^ (0x9e3779b97f4a7c15ULL * (idx + 1));
	w.fd = tk_open(0);
	if (w.fd < 0 || _test_ioctl_get_info(w.fd, &w.info))
		fail(&w, "open: %s", strerror(w.fd < 0 ? -w.fd : errno));
	for (w.iter = 0; w.iter < iters; w.iter++) {
		worker_step(&w);
		if (tk_check_guest(w.fd, w.ids, w.ndev, &why))
			fail(&w, "invariant: %s", why.msg);
	}
	w.op = "report";
	op_events(&w);
	if (_test_ioctl_guest_get(w.fd, &gi))
		fail(&w, "GUEST_GET");
	if (idx == 0) {
		printf("# proc 0:");
		for (k = 0; k < ARRAY_SIZE(op_names); k++)
			printf(" %s %lu", op_names[k], w.nr_ops[k]);
		printf(", %lu events, %lu overflows\n", w.nr_events,
		       w.nr_overflows);
		fflush(stdout);
	}
	if (write(rep, &gi.used, sizeof(gi.used)) != sizeof(gi.used))
		_exit(1);
	/* The parent sees EOF once every worker reported or died. */
	close(rep);
	/* Quiesced: stay alive, guest open, until the parent has counted. */
	while (read(go, &c, 1) > 0)
		;
	_exit(0);
}

/*
 * 10000 steps per process take 3-8 s in a TCG guest on a stock kernel, but
 * ~200 s on a lockdep + KASAN + kmemleak kernel: a quarter there keeps the
 * run near a minute.
 */
static unsigned long default_iters(void)
{
	if (!access("/proc/lockdep_stats", F_OK) ||
	    !access("/sys/kernel/debug/kmemleak", F_OK))
		return 2500;
	return 10000;
}

FIXTURE(stress) {
	int fd;
	struct vqnotify_info info;
	long host0;
};

FIXTURE_SETUP(stress)
{
	tk_setup_guest(self);
}

FIXTURE_TEARDOWN(stress)
{
	tk_teardown_guest(self);
}

TEST_F_TIMEOUT(stress, lifecycle, 900)
{
	unsigned long procs = tk_env_ull("VQN_STRESS_PROCS", 8);
	unsigned long iters = tk_env_ull("VQN_STRESS_ITERS", default_iters());
	uint64_t seed = tk_env_ull("VQN_STRESS_SEED", 0);
	pid_t pids[64];
	uint32_t used, sum = 0;
	long base, during;
	int rep[2], go[2], status;
	unsigned long i, reported = 0, failed = 0;
	double t0;

	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	ASSERT_GE(64UL, procs);
	printf("# seed %llu (VQN_STRESS_SEED=%llu to replay), %lu processes x %lu steps\n",
	       (unsigned long long)seed, (unsigned long long)seed, procs,
	       iters);
	fflush(stdout);
	base = tk_host_used(self->fd);
	ASSERT_LE(0, base);
	ASSERT_EQ(0, pipe(rep));
	ASSERT_EQ(0, pipe(go));
	t0 = tk_now();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(rep[0]);
			close(go[1]);
			close(self->fd);
			worker_main(i, seed, iters, rep[1], go[0]);
		}
	}
	close(rep[1]);
	close(go[0]);

	/* Every worker reports once, or dies (EOF when all are gone). */
	while (reported < procs &&
	       read(rep[0], &used, sizeof(used)) == sizeof(used)) {
		sum += used;
		reported++;
	}
	during = tk_host_used(self->fd);
	close(go[1]);
	for (i = 0; i < procs; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	close(rep[0]);
	printf("# %lu x %lu steps in %.1f s\n", procs, iters, tk_now() - t0);
	EXPECT_EQ(0UL, failed) TH_LOG("seed %llu", (unsigned long long)seed);
	EXPECT_EQ(procs, reported);
	/* Quiesced, all guests open: the host count is theirs. */
	EXPECT_EQ(base + (long)sum, during)
		TH_LOG("seed %llu: guests hold %u", (unsigned long long)seed,
		       sum);
	/* All closed: back to where it was. */
	EXPECT_EQ(base, tk_host_used(self->fd));
}

TEST_HARNESS_MAIN
