// SPDX-License-Identifier: GPL-2.0
/*
 * Load: many guests busy at once while their budgets change under them.
 *
 * VQN_LOAD_PROCS worker processes (default 4 x online CPUs) each own a guest
 * of LD_DEVS devices with LD_QUEUES queues each and run random lifecycle
 * traffic on it for VQN_LOAD_SECONDS (default 20): DRIVER_OK, DRIVER_OK
 * cleared, reset, vhost on and off, device removal and re-add, save and
 * load into a new device, own budget changes, queries. Each reads its
 * guest's events and checks they are well formed and consecutive in seq
 * unless an OVERFLOW record came.
 *
 * Meanwhile an admin process changes every guest's own budget through the
 * guest fds it inherited and, through the netlink family, admin budgets
 * and vhost reserves (GUEST_SET) and the host-wide threshold and host cap
 * (CONFIG_SET, put back at the end); a monitor process reads the monitor
 * multicast group and checks every notification is well formed.
 *
 * At the end each guest must satisfy the accounting invariants and still
 * work, and host_used and nr_guests must be back where they started. The
 * throughput (lifecycle calls per second, all workers) is printed.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

#define LD_MAX_PROCS	64
#define LD_DEVS		6
#define LD_QUEUES	24

struct ld_worker {
	uint64_t ops;
	uint64_t events;
	uint64_t overflows;
	uint64_t budget_events;
	int failed;
	char why[512];
};

struct ld_shared {
	uint32_t stop;		/* deadline passed: stop the traffic */
	uint32_t quiet;		/* admin and monitor stopped, config back */
	uint32_t guest_id[LD_MAX_PROCS];
	uint64_t admin_ops;
	uint64_t admin_nl_ops;
	uint64_t mon_msgs;
	uint64_t mon_lost;
	int mon_failed;
	char mon_why[256];
	struct ld_worker w[LD_MAX_PROCS];
};

static void ld_fail(struct ld_worker *w, const char *fmt, ...) __printf(2, 3);
static void ld_fail(struct ld_worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = 1;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

/* Events of the worker's own guest: sane, and consecutive in seq. */
static void ld_drain(int fd, struct tk_seq *s, struct ld_worker *w)
{
	struct vqnotify_event ev[64];
	struct tk_why why;
	ssize_t n;

	while ((n = read(fd, ev, sizeof(ev))) > 0) {
		for (size_t i = 0; i < n / sizeof(ev[0]); i++) {
			const struct vqnotify_event *e = &ev[i];

			w->events++;
			if (e->type < VQNOTIFY_EVENT_TRANSITION ||
			    e->type > VQNOTIFY_EVENT_BUDGET || e->__reserved ||
			    (e->type == VQNOTIFY_EVENT_TRANSITION &&
			     e->label != VQNOTIFY_LABEL_P &&
			     e->label != VQNOTIFY_LABEL_R)) {
				ld_fail(w, "bad event seq %llu type %u label %u",
					(unsigned long long)e->seq, e->type,
					e->label);
				return;
			}
			if (tk_seq_check(s, e, &why)) {
				ld_fail(w, "%s", why.msg);
				return;
			}
			w->overflows += s->after_overflow;
			w->budget_events += e->type == VQNOTIFY_EVENT_BUDGET;
		}
	}
	if (n < 0 && errno != EAGAIN)
		ld_fail(w, "read: %s", strerror(errno));
}

static bool ld_errno_ok(int ret)
{
	/* Well-formed calls on an own guest: only these refusals. */
	return !ret || ret == -ENOSPC || ret == -EALREADY;
}

static void ld_worker_main(struct ld_shared *sh, int idx, int fd,
			   uint64_t seed)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	static uint8_t blob[TK_BLOB_MAX];
	struct ld_worker *w = &sh->w[idx];
	struct tk_rng r = { seed + idx * 0x9e3779b97f4a7c15ULL };
	struct tk_seq seq = { 0 };
	uint32_t ids[LD_DEVS], max_id = 0;
	struct vqnotify_dev_get dg;
	struct tk_why why;
	int ret;

	for (int d = 0; d < LD_DEVS; d++) {
		if (_test_ioctl_dev_add(fd, 1 + d % 3, LD_QUEUES, "load", &ids[d])) {
			ld_fail(w, "DEV_ADD: %s", strerror(errno));
			return;
		}
		max_id = ids[d];
	}
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED) && !w->failed) {
		int d = tk_below(&r, LD_DEVS);
		uint32_t id = ids[d], nr = VQNOTIFY_MAX_QUEUES, len;
		const char *what;

		switch (tk_below(&r, 12)) {
		case 0:
		case 1:
		case 2:
			what = "SET_STATUS";
			ret = _test_ioctl_set_status(fd, id, tk_chance(&r, 70) ? TK_STATUS_OK : tk_chance(&r, 50) ? TK_STATUS_FEATURES : 0, NULL, res, &nr);
			break;
		case 3:
		case 4:
		case 5:
			what = "SET_HOST_NOTIFIER";
			ret = _test_ioctl_host_notifier(fd, id, tk_below(&r, LD_QUEUES),
					       tk_chance(&r, 55), NULL);
			break;
		case 6:
			what = "DEV_RESET";
			ret = _test_ioctl_dev_op(fd, VQNOTIFY_DEV_RESET, id, 0, NULL, res,
					&nr);
			break;
		case 7:
			what = "DEV_REMOVE+ADD";
			ret = _test_ioctl_dev_remove(fd, id, NULL, NULL);
			if (!ret)
				ret = _test_ioctl_dev_add(fd, 1 + d % 3, LD_QUEUES, "load",
						 &ids[d]);
			max_id = ids[d] > max_id ? ids[d] : max_id;
			break;
		case 8:
			/* Migrate the device into a new one, then drop it. */
			what = "SAVE+LOAD";
			len = sizeof(blob);
			ret = _test_ioctl_dev_save(fd, id, blob, &len);
			if (!ret)
				ret = _test_ioctl_dev_add(fd, 1 + d % 3, LD_QUEUES, "mig",
						 &ids[d]);
			if (!ret) {
				max_id = ids[d];
				ret = _test_ioctl_dev_load(fd, ids[d], blob, len, res, &nr);
				_test_ioctl_dev_remove(fd, id, NULL, NULL);
			}
			break;
		case 9:
			what = "GUEST_SET";
			ret = _test_ioctl_set_budget(fd, tk_chance(&r, 50) ? 0 :
					    tk_below(&r, LD_DEVS * LD_QUEUES));
			break;
		case 10:
			what = "DEV_GET";
			ret = _test_ioctl_dev_get(fd, id, &dg, vi, LD_QUEUES);
			if (!ret && dg.nr_queues != LD_QUEUES)
				ld_fail(w, "DEV_GET %u: %u queues", id,
					dg.nr_queues);
			break;
		default:
			what = "read";
			ret = 0;
			ld_drain(fd, &seq, w);
			break;
		}
		if (!ld_errno_ok(ret))
			ld_fail(w, "%s on device %u: %s", what, id,
				strerror(-ret));
		else if (!ret && nr > LD_QUEUES && nr != VQNOTIFY_MAX_QUEUES)
			ld_fail(w, "%s on device %u: %u results", what, id, nr);
		w->ops++;
	}
	/* Quiet now: the last events, then the invariants. */
	while (!__atomic_load_n(&sh->quiet, __ATOMIC_SEQ_CST))
		usleep(1000);
	ld_drain(fd, &seq, w);
	if (w->failed)
		return;
	if (tk_check_guest_settled(fd, max_id, &why) ||
	    tk_check_usable(fd, max_id, &why))
		ld_fail(w, "after the load: %s", why.msg);
}

/* Budgets change under the workers. */
static void ld_admin_main(struct ld_shared *sh, int *fds, int n,
			  uint64_t seed)
{
	struct tk_rng r = { seed ^ 0xad01 };
	struct tk_nl nl;
	bool have_nl = !tk_nl_open(&nl);

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		int i = tk_below(&r, n);

		if (!have_nl || tk_chance(&r, 50)) {
			_test_ioctl_set_budget(fds[i], tk_chance(&r, 40) ? 0 :
				      tk_below(&r, LD_DEVS * LD_QUEUES));
			sh->admin_ops++;
		} else if (tk_chance(&r, 80)) {
			struct tk_nl_attr a[] = {
				{ VQNOTIFY_A_GUEST_ID, sh->guest_id[i] },
				{ VQNOTIFY_A_GUEST_ADMIN_BUDGET,
				  tk_chance(&r, 30) ? 1024 :
				  tk_below(&r, LD_DEVS * LD_QUEUES) },
				{ VQNOTIFY_A_GUEST_VHOST_RESERVE,
				  tk_below(&r, 6) },
			};

			/* Refused where the reserve exceeds the budget. */
			sh->admin_nl_ops +=
				!tk_nl_call(&nl, VQNOTIFY_CMD_GUEST_SET, false,
					    a, 2 + tk_chance(&r, 30), NULL,
					    NULL);
		} else {
			/* Threshold or a host cap that bites, briefly. */
			struct tk_nl_attr a = tk_chance(&r, 50) ?
				(struct tk_nl_attr){ VQNOTIFY_A_CONFIG_THRESHOLD,
						     4 + tk_below(&r, 8) } :
				(struct tk_nl_attr){ VQNOTIFY_A_CONFIG_HOST_CAP,
						     1 + tk_below(&r,
						     n * LD_DEVS * LD_QUEUES) };

			sh->admin_nl_ops +=
				!tk_nl_call(&nl, VQNOTIFY_CMD_CONFIG_SET, false,
					    &a, 1, NULL, NULL);
		}
		usleep(tk_below(&r, 1000));
	}
}

/* The monitor group: every notification well formed. */
struct ld_mon {
	struct ld_shared *sh;
	uint16_t family;
};

static void ld_monitor_cb(const struct nlmsghdr *h, void *arg)
{
	const struct ld_mon *m = arg;
	struct ld_shared *sh = m->sh;
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct tk_nl_attrs at;
	/* Every command from GUEST_ADD_NTF on is a notification. */
	bool ok = h->nlmsg_type == m->family &&
		  g->cmd >= VQNOTIFY_CMD_GUEST_ADD_NTF &&
		  g->cmd <= VQNOTIFY_CMD_MAX;

	sh->mon_msgs++;
	if (ok && g->cmd == VQNOTIFY_CMD_QUEUE_NTF) {
		tk_nl_parse_msg(&at, h);
		for (int a = 1; a <= VQNOTIFY_A_TRANSITION_MAX; a++)
			ok &= !!at.tb[a];
		ok = ok &&
		     tk_nla_u32(at.tb[VQNOTIFY_A_TRANSITION_OLD_STATE]) <= 2 &&
		     tk_nla_u32(at.tb[VQNOTIFY_A_TRANSITION_NEW_STATE]) <= 2 &&
		     tk_nla_u32(at.tb[VQNOTIFY_A_TRANSITION_LABEL]) <
		     VQNOTIFY_LABEL_MAX;
	}
	if (!ok && !sh->mon_failed) {
		sh->mon_failed = 1;
		snprintf(sh->mon_why, sizeof(sh->mon_why),
			 "bad notification type %u cmd %u", h->nlmsg_type,
			 g->cmd);
	}
}

static void ld_monitor_main(struct ld_shared *sh)
{
	struct ld_mon m = { .sh = sh };
	struct tk_nl nl;
	int ret;

	ret = tk_nl_open(&nl);
	if (!ret)
		ret = tk_nl_join(&nl, nl.monitor);
	if (ret) {
		sh->mon_failed = 1;
		snprintf(sh->mon_why, sizeof(sh->mon_why), "open and join: %s",
			 strerror(-ret));
		return;
	}
	m.family = nl.family;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		struct pollfd p = { .fd = nl.fd, .events = POLLIN };
		bool overrun = false;

		if (poll(&p, 1, 100) <= 0)
			continue;
		tk_nl_drain(&nl, ld_monitor_cb, &m, &overrun);
		sh->mon_lost += overrun;
	}
}

TEST(load)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int procs = tk_env_ull("VQN_LOAD_PROCS", 4 * cpus);
	double seconds = tk_env_ull("VQN_LOAD_SECONDS", 20);
	uint64_t seed = tk_seed("VQN_LOAD_SEED");
	int fds[LD_MAX_PROCS], status;
	pid_t pids[LD_MAX_PROCS + 2];
	uint32_t used0, guests0, used1, guests1;
	uint64_t ops = 0, events = 0, overflows = 0, budget_events = 0;
	struct tk_nl_config cfg;
	struct ld_shared *sh;
	struct tk_nl nl;
	double t0, dt;
	unsigned int i;

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	if (procs < 1 || procs > LD_MAX_PROCS)
		procs = procs < 1 ? 1 : LD_MAX_PROCS;
	ksft_print_msg("load: seed %#llx, %u workers x %d devices x %d queues, %.0f s (VQN_LOAD_SEED, VQN_LOAD_PROCS, VQN_LOAD_SECONDS)\n",
		       (unsigned long long)seed, procs, LD_DEVS, LD_QUEUES,
		       seconds);
	ASSERT_EQ(0, tk_host_usage(&used0, &guests0));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	/* The family is the module's: the admin and monitor need it. */
	ASSERT_EQ(0, tk_nl_open(&nl));
	ASSERT_EQ(0, _test_nl_config_get(&nl, &cfg));

	for (i = 0; i < procs; i++) {
		struct vqnotify_guest_info gi;

		fds[i] = tk_open(0);
		ASSERT_LE(0, fds[i]);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		ASSERT_EQ(0, _test_ioctl_guest_get(fds[i], &gi));
		sh->guest_id[i] = gi.guest_id;
	}

	t0 = tk_now();
	for (i = 0; i < procs + 2; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i])
			continue;
		if (i < procs) {
			for (unsigned int k = 0; k < procs; k++)
				if (k != i)
					close(fds[k]);
			ld_worker_main(sh, i, fds[i], seed);
		} else if (i == procs) {
			ld_admin_main(sh, fds, procs, seed);
		} else {
			ld_monitor_main(sh);
		}
		_exit(0);
	}
	for (i = 0; i < procs; i++)
		close(fds[i]);

	usleep(seconds * 1e6);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	dt = tk_now() - t0;
	/* Admin and monitor first; then the settings go back. */
	for (i = procs; i < procs + 2; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	EXPECT_EQ(0, _test_nl_config_set(&nl, &cfg));
	__atomic_store_n(&sh->quiet, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < procs; i++) {
		struct ld_worker *w = &sh->w[i];

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("worker %u died: status %#x", i, status);
		}
		EXPECT_FALSE(w->failed) {
			TH_LOG("worker %u (seed %#llx): %s", i,
			       (unsigned long long)seed, w->why);
		}
		ops += w->ops;
		events += w->events;
		overflows += w->overflows;
		budget_events += w->budget_events;
	}
	EXPECT_FALSE(sh->mon_failed) {
		TH_LOG("monitor: %s", sh->mon_why);
	}
	ksft_print_msg("load: %llu lifecycle calls in %.1f s by %u workers: %.0f ops/s; %llu events read (%llu overflows, %llu budget); admin: %llu own-budget + %llu netlink changes; monitor: %llu notifications (%llu overruns)\n",
		       (unsigned long long)ops, dt, procs, ops / dt,
		       (unsigned long long)events,
		       (unsigned long long)overflows,
		       (unsigned long long)budget_events,
		       (unsigned long long)sh->admin_ops,
		       (unsigned long long)sh->admin_nl_ops,
		       (unsigned long long)sh->mon_msgs,
		       (unsigned long long)sh->mon_lost);

	/* Each side did something: else the load tested nothing. */
	EXPECT_LT(0, ops);
	EXPECT_LT(0, events);
	EXPECT_LT(0, sh->admin_nl_ops);
	EXPECT_LT(0, sh->mon_msgs);

	ASSERT_EQ(0, tk_host_usage(&used1, &guests1));
	EXPECT_EQ(used0, used1);
	EXPECT_EQ(guests0, guests1);
}

/*
 * Several readers of one guest (threads of a VMM, or a forked helper):
 * read() returns records, EAGAIN (O_NONBLOCK) or blocks, never 0 as if
 * the file had ended, whoever wins the race for a record.
 */
FIXTURE(readers) {
	int fd;
	uint64_t *zero;		/* shared: reads that returned 0 */
	uint64_t *got;		/* shared: records read */
};

FIXTURE_VARIANT(readers) {
	bool nonblock;
};

FIXTURE_VARIANT_ADD(readers, blocking) { .nonblock = false };
FIXTURE_VARIANT_ADD(readers, nonblocking) { .nonblock = true };

FIXTURE_SETUP(readers)
{
	uint32_t nr = 0;

	self->fd = -1;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	self->zero = mmap(NULL, 2 * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->zero);
	self->got = self->zero + 1;
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	if (variant->nonblock)
		fcntl(self->fd, F_SETFL, O_NONBLOCK);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 16, "r", NULL);
	test_cmd_set_status(1, TK_STATUS_OK, NULL, NULL, &nr);
}

FIXTURE_TEARDOWN(readers)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(readers, never_eof, 60)
{
	double seconds = 3, t0 = tk_now();
	pid_t pids[3];
	int status;

	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i])
			continue;
		for (;;) {
			struct vqnotify_event ev;
			ssize_t n = read(self->fd, &ev, sizeof(ev));

			if (!n)
				__atomic_add_fetch(self->zero, 1,
						   __ATOMIC_RELAXED);
			else if (n > 0)
				__atomic_add_fetch(self->got, 1,
						   __ATOMIC_RELAXED);
		}
	}
	/* One event at a time: each budget flip preempts or promotes one. */
	while (tk_now() - t0 < seconds) {
		_test_ioctl_set_budget(self->fd, 15);
		_test_ioctl_set_budget(self->fd, 0);
	}
	for (int i = 0; i < 3; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	ksft_print_msg("readers: %llu records read, %llu reads returned 0\n",
		       (unsigned long long)*self->got,
		       (unsigned long long)*self->zero);
	EXPECT_LT(0ULL, (unsigned long long)*self->got);
	EXPECT_EQ(0ULL, (unsigned long long)*self->zero);
}

int main(int argc, char **argv)
{
	TK_SET_TIMEOUT(load, tk_env_ull("VQN_LOAD_SECONDS", 20) + 90);
	return test_harness_run(argc, argv);
}
