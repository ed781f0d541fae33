// SPDX-License-Identifier: GPL-2.0
/*
 * Crash safety: a VMM killed with SIGKILL at a random moment.
 *
 * Each cycle forks a "VMM" that opens two guests, gives one of them
 * assigned queues and the other an OFFLIMITS queue (vhost), starts a thread
 * that sits in poll() and reads the events of the first guest one at a time
 * (so events stay queued) and a thread blocked in read() on the second, then
 * runs a burst of random lifecycle calls (DRIVER_OK, reset, DRIVER_OK
 * cleared, vhost on and off, own budget up and down, device add, remove,
 * save and load) until it is killed, at a random moment: during its setup
 * or anywhere in the burst. After reaping it, at once:
 *
 *  - GET_INFO host_used and nr_guests are back to their values before;
 *  - a netlink guest dump is exactly what it was
 *    before, and each of the dead VMM's guests got a GUEST_DEL notification
 *    on the monitor group, with nothing held (used 0, no devices).
 *
 * VQN_CRASH_CYCLES cycles (default 300), stopping early after
 * VQN_CRASH_SECONDS (default 25) so the test stays short on slow kernels;
 * VQN_CRASH_SEED repeats the timing and the bursts.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

#define CR_GUESTS	2

struct cr_shared {
	uint32_t ready;
	uint32_t guest_id[CR_GUESTS];
	uint64_t ops;
	uint64_t events_read;
};

struct cr_vmm {
	struct cr_shared *sh;
	int fd[CR_GUESTS];
	struct tk_rng rng;
};

/* Reads guest 0's events one by one, slowly: the rest stay queued. */
static void *cr_poller(void *arg)
{
	struct cr_vmm *v = arg;
	struct vqnotify_event ev;

	for (;;) {
		struct pollfd p = { .fd = v->fd[0], .events = POLLIN };

		if (poll(&p, 1, -1) == 1 && read(v->fd[0], &ev, sizeof(ev)) > 0)
			__atomic_add_fetch(&v->sh->events_read, 1,
					   __ATOMIC_RELAXED);
		usleep(2000);
	}
	return NULL;
}

/* Blocked in read() on guest 1, which hardly ever has an event. */
static void *cr_reader(void *arg)
{
	struct cr_vmm *v = arg;
	struct vqnotify_event ev[4];

	for (;;)
		if (read(v->fd[1], ev, sizeof(ev)) < 0 && errno != EINTR)
			usleep(1000);
	return NULL;
}

static void cr_burst(struct cr_vmm *v)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	static uint8_t blob[TK_BLOB_MAX];
	uint32_t ids[CR_GUESTS][16] = { { 1, 2, 3 }, { 1 } };
	uint32_t nids[CR_GUESTS] = { 3, 1 };
	struct tk_rng *r = &v->rng;

	for (;;) {
		int g = tk_below(r, 4) ? 0 : 1, fd = v->fd[g];
		uint32_t i = tk_below(r, nids[g]), id = ids[g][i];
		uint32_t nr = VQNOTIFY_MAX_QUEUES, len = sizeof(blob), nid;

		switch (tk_below(r, 10)) {
		case 0:
		case 1:
			_test_ioctl_set_status(fd, id, tk_chance(r, 70) ? TK_STATUS_OK : tk_chance(r, 50) ? TK_STATUS_FEATURES : 0, NULL, res, &nr);
			break;
		case 2:
		case 3:
			_test_ioctl_host_notifier(fd, id, tk_below(r, 8),
					 tk_chance(r, 60), NULL);
			break;
		case 4:
		case 5:
			/* Lowering preempts: events for the poller. */
			_test_ioctl_set_budget(fd, tk_chance(r, 50) ? 0 :
				      1 + tk_below(r, 24));
			break;
		case 6:
			_test_ioctl_dev_op(fd, VQNOTIFY_DEV_RESET, id, 0, NULL, res, &nr);
			break;
		case 7:
			if (nids[g] < 16 &&
			    !_test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 8, "hot",
					&nid))
				ids[g][nids[g]++] = nid;
			break;
		case 8:
			if (nids[g] > 1 && !_test_ioctl_dev_remove(fd, id, NULL, NULL))
				ids[g][i] = ids[g][--nids[g]];
			break;
		default:
			if (!_test_ioctl_dev_save(fd, id, blob, &len) &&
			    !_test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 8, "dst",
					&nid)) {
				_test_ioctl_dev_load(fd, nid, blob, len, res, &nr);
				if (nids[g] < 16)
					ids[g][nids[g]++] = nid;
			}
			break;
		}
		__atomic_add_fetch(&v->sh->ops, 1, __ATOMIC_RELAXED);
	}
}

static void __attribute__((noreturn)) cr_vmm_main(struct cr_shared *sh,
						  uint64_t seed)
{
	struct cr_vmm v = { .sh = sh, .rng = { seed } };
	struct vqnotify_guest_info gi;
	pthread_t t;
	uint32_t nr = 0;

	for (int g = 0; g < CR_GUESTS; g++) {
		v.fd[g] = tk_open(0);
		if (v.fd[g] < 0 || _test_ioctl_guest_get(v.fd[g], &gi))
			_exit(2);
		sh->guest_id[g] = gi.guest_id;
	}
	/* Guest 0: 24 assigned queues; guest 1: one queue held by vhost. */
	for (uint32_t id = 1; id <= 3; id++)
		if (_test_ioctl_dev_add(v.fd[0], VQNOTIFY_TRANSPORT_MMIO, 8, "q8", NULL) ||
		    _test_ioctl_set_status(v.fd[0], id, TK_STATUS_OK, NULL, NULL, &nr))
			_exit(3);
	if (_test_ioctl_dev_add(v.fd[1], VQNOTIFY_TRANSPORT_PIO, 8, "vhost", NULL) ||
	    _test_ioctl_host_notifier(v.fd[1], 1, 0, true, NULL))
		_exit(4);
	if (pthread_create(&t, NULL, cr_poller, &v) ||
	    pthread_create(&t, NULL, cr_reader, &v))
		_exit(5);
	__atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
	cr_burst(&v);
	_exit(6);
}

/* The monitor group: GUEST_DEL notifications seen, by guest id. */
struct cr_monitor {
	struct tk_nl nl;
	bool lost;		/* ENOBUFS: notifications were dropped */
	uint32_t ndel;
	uint32_t del_id[64];
	uint32_t del_used[64];
	uint32_t del_devs[64];
};

/* A GUEST_DEL_NTF: the guest's id, used slots and devices, kept. */
static void cr_monitor_cb(const struct nlmsghdr *h, void *arg)
{
	struct cr_monitor *m = arg;
	struct genlmsghdr *gh = NLMSG_DATA(h);
	struct tk_nl_attrs at;

	if (h->nlmsg_type != m->nl.family ||
	    gh->cmd != VQNOTIFY_CMD_GUEST_DEL_NTF ||
	    m->ndel == TK_ARRAY_SIZE(m->del_id))
		return;
	tk_nl_parse_msg(&at, h);
	if (!at.tb[VQNOTIFY_A_GUEST_ID])
		return;
	m->del_id[m->ndel] = tk_nla_u32(at.tb[VQNOTIFY_A_GUEST_ID]);
	m->del_used[m->ndel] = at.tb[VQNOTIFY_A_GUEST_USED] ?
		tk_nla_u32(at.tb[VQNOTIFY_A_GUEST_USED]) : ~0U;
	m->del_devs[m->ndel] = at.tb[VQNOTIFY_A_GUEST_NR_DEVICES] ?
		tk_nla_u32(at.tb[VQNOTIFY_A_GUEST_NR_DEVICES]) : ~0U;
	m->ndel++;
}

static void cr_monitor_drain(struct cr_monitor *m)
{
	tk_nl_drain(&m->nl, cr_monitor_cb, m, &m->lost);
}

TEST(kill_vmm)
{
	unsigned long cycles = tk_env_ull("VQN_CRASH_CYCLES", 300);
	double seconds = tk_env_ull("VQN_CRASH_SECONDS", 25);
	uint64_t seed = tk_seed("VQN_CRASH_SEED");
	struct tk_rng rng = { seed };
	struct cr_shared *sh;
	struct cr_monitor mon = { 0 };
	struct tk_nl_guests *base = NULL, *now = NULL;
	struct tk_nl nl;
	uint32_t used0, guests0, used, guests;
	unsigned long done = 0, early = 0, mid = 0, late_ok = 0, ntf = 0;
	uint64_t ops = 0, evs = 0;
	double t0 = tk_now();

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ksft_print_msg("crash: seed %#llx, up to %lu cycles or %.0f s (VQN_CRASH_SEED, VQN_CRASH_CYCLES, VQN_CRASH_SECONDS)\n",
		       (unsigned long long)seed, cycles, seconds);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_EQ(0, tk_host_usage(&used0, &guests0));

	/*
	 * Every kernel of the rig has generic netlink: without it, the dump
	 * and GUEST_DEL checks below would be skipped unseen.
	 */
	ASSERT_EQ(0, tk_nl_open(&nl));
	base = malloc(sizeof(*base));
	now = malloc(sizeof(*now));
	ASSERT_NE(NULL, base);
	ASSERT_NE(NULL, now);
	ASSERT_EQ(0, _test_nl_guest_dump(&nl, base));
	ASSERT_EQ(0, tk_nl_open(&mon.nl));
	ASSERT_NE(0, mon.nl.monitor);
	ASSERT_EQ(0, tk_nl_join_buf(&mon.nl, mon.nl.monitor, 8 << 20));

	for (done = 0; done < cycles && tk_now() - t0 < seconds; done++) {
		uint64_t cseed = tk_rand(&rng);
		bool wait_ready = tk_chance(&rng, 85);
		useconds_t delay = wait_ready ? tk_below(&rng, 20000) :
						tk_below(&rng, 3000);
		int status;
		pid_t pid;

		memset(sh, 0, sizeof(*sh));
		mon.ndel = 0;
		mon.lost = false;
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			cr_vmm_main(sh, cseed);
		if (wait_ready) {
			double t = tk_now();

			while (!__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) &&
			       tk_now() - t < 10)
				usleep(200);
			ASSERT_TRUE(sh->ready) {
				TH_LOG("cycle %lu (seed %#llx): VMM never ready",
				       done, (unsigned long long)seed);
			}
		}
		usleep(delay);
		if (!sh->ready)
			early++;
		else if (sh->ops)
			mid++;
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			TH_LOG("cycle %lu (seed %#llx): VMM exited by itself, status %#x",
			       done, (unsigned long long)seed, status);
		}
		ops += sh->ops;
		evs += sh->events_read;

		/* At once: the reaped VMM's file is released. */
		ASSERT_EQ(0, tk_host_usage(&used, &guests));
		if (used != used0 || guests != guests0) {
			uint32_t u2 = 0, g2 = 0;

			usleep(500000);
			tk_host_usage(&u2, &g2);
			late_ok = u2 == used0 && g2 == guests0;
		}
		ASSERT_EQ(used0, used) {
			TH_LOG("cycle %lu (seed %#llx, delay %u us, %llu calls): host_used %u after reaping, %u before%s",
			       done, (unsigned long long)seed, delay,
			       (unsigned long long)sh->ops, used, used0,
			       late_ok ? " (back later)" : "");
		}
		ASSERT_EQ(guests0, guests) {
			TH_LOG("cycle %lu (seed %#llx): nr_guests %u after reaping, %u before%s",
			       done, (unsigned long long)seed, guests, guests0,
			       late_ok ? " (back later)" : "");
		}
		ASSERT_EQ(0, _test_nl_guest_dump(&nl, now));
		ASSERT_EQ(base->n, now->n) {
			TH_LOG("cycle %lu (seed %#llx): %u guests in the dump, %u before",
			       done, (unsigned long long)seed, now->n, base->n);
		}
		for (uint32_t g = 0; g < CR_GUESTS; g++) {
			uint32_t id = sh->guest_id[g];

			if (!id)
				continue;
			ASSERT_FALSE(tk_nl_guests_has(now, id)) {
				TH_LOG("cycle %lu: dead guest %u still dumped",
				       done, id);
			}
		}
		cr_monitor_drain(&mon);
		if (mon.lost)
			continue;
		for (uint32_t g = 0; g < CR_GUESTS; g++) {
			uint32_t id = sh->guest_id[g], k;

			if (!id)
				continue;
			for (k = 0; k < mon.ndel && mon.del_id[k] != id; k++)
				;
			ASSERT_LT(k, mon.ndel) {
				TH_LOG("cycle %lu (seed %#llx): no GUEST_DEL for guest %u",
				       done, (unsigned long long)seed, id);
			}
			EXPECT_EQ(0U, mon.del_used[k]);
			EXPECT_EQ(0U, mon.del_devs[k]);
			ntf++;
		}
	}
	ksft_print_msg("crash: %lu kill cycles in %.1f s: %lu during setup, %lu mid-burst; %llu lifecycle calls and %llu events read before the kills; %lu GUEST_DEL notifications checked\n",
		       done, tk_now() - t0, early, mid,
		       (unsigned long long)ops, (unsigned long long)evs, ntf);
	EXPECT_LT(0UL, done);
	/* Some kills must land in the calls: else no call was cut short. */
	EXPECT_LT(0UL, mid);
	/*
	 * A cycle whose monitor lost messages checks none; a run where every
	 * cycle did, or no VMM opened a guest, proved nothing of GUEST_DEL.
	 */
	EXPECT_LT(0UL, ntf);
}

int main(int argc, char **argv)
{
	TK_SET_TIMEOUT(kill_vmm, tk_env_ull("VQN_CRASH_SECONDS", 25) + 60);
	return test_harness_run(argc, argv);
}
