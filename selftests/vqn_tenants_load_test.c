// SPDX-License-Identifier: GPL-2.0
/*
 * Two tenants under load (issue 11): a hostile user of the kvm group
 * takes every guest, device, queue and slot its quotas let it have and
 * churns them, while a well-behaved VMM (another user) starts and stops
 * guests the way QEMU does. Every call of the VMM must succeed, and every
 * one of its userspace queues must get a slot at once: its quota and the
 * host have room, whatever the other user does.
 *
 * The host cap is lowered to 8192, so that the hostile user's quarter
 * (2048 slots) is reached with its queue quota (65536) to spare: it ends
 * up with queues waiting for its quota, the promotion work busy with them.
 * VQN_LOAD_SECONDS (default 20) is how long the churn lasts.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "vqn_tenants.h"

struct tl_stats {
	/* hostile */
	uint32_t guests, devices, queues, granted, quota;
	int guest_err, dev_err;
	uint64_t churns;
	/* VMM */
	uint64_t rounds, calls, failures;
	char first_failure[160];
	double worst_round;	/* wall time */
	double worst_sleep;	/* of it, asleep: -1 unknown */
	int done;
};

static struct tl_stats *tl;

#define TL_HOSTILE_GUESTS	2048	/* more than its quota */

static int tl_hostile(void *arg, int step)
{
	static int fds[TL_HOSTILE_GUESTS];
	static uint32_t devs[TL_HOSTILE_GUESTS][4];
	static uint32_t ndev[TL_HOSTILE_GUESTS];
	uint32_t n = 0, i, g;
	int fd, ret;

	/* Every guest it may have, */
	for (i = 0; i < TL_HOSTILE_GUESTS; i++) {
		fd = tk_open(0);
		if (fd < 0) {
			tl->guest_err = -fd;
			break;
		}
		fds[n++] = fd;
	}
	tl->guests = n;
	/* every queue (full devices, spread over its guests), every slot, */
	for (g = 0; n && !tl->dev_err; g = (g + 1) % n) {
		if (ndev[g] == 4)
			break;
		ret = tn_dev_up(fds[g], VQNOTIFY_MAX_QUEUES, &devs[g][ndev[g]],
				&tl->granted, &tl->quota, NULL);
		if (ret) {
			tl->dev_err = -ret;
			break;
		}
		ndev[g]++;
		tl->devices++;
		tl->queues += VQNOTIFY_MAX_QUEUES;
	}
	/* then churn: slots freed and wanted again, guests beyond quota. */
	while (!__atomic_load_n(&tl->done, __ATOMIC_ACQUIRE)) {
		for (g = 0; g < n && !tl->done; g++) {
			for (i = 0; i < ndev[g]; i++) {
				_test_ioctl_dev_reset(fds[g], devs[g][i], NULL,
						      NULL);
				_test_ioctl_set_status(fds[g], devs[g][i],
						       TK_STATUS_OK, NULL,
						       NULL, NULL);
			}
			fd = tk_open(0);
			if (fd >= 0)
				close(fd);
			tl->churns++;
		}
	}
	return 0;
}

static void tl_fail(const char *what, int err)
{
	if (!tl->failures++)
		snprintf(tl->first_failure, sizeof(tl->first_failure),
			 "round %" PRIu64 ": %s: %s", tl->rounds, what,
			 strerror(err));
}

#define TL_CALL(what, expr) do {				\
	int _r = (expr);					\
								\
	tl->calls++;						\
	if (_r)							\
		tl_fail(what, -_r);				\
} while (0)

/* One VM's life: a vhost-net NIC (2 queues in vhost, control queue in
 * userspace) and a virtio-blk disk of 4 queues, DRIVER_OK, events, exit. */
static void tl_vmm_round(void)
{
	struct vqnotify_vq_result res[8];
	struct vqnotify_guest_info gi;
	struct vqnotify_event ev[16];
	uint32_t net = 0, blk = 0, nr;
	int fd = tk_open(0);

	tl->calls++;
	if (fd < 0) {
		tl_fail("open", -fd);
		return;
	}
	TL_CALL("name", _test_ioctl_set_name(fd, "vmm-guest"));
	TL_CALL("dev_add net", _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 3,
					  "net", &net));
	TL_CALL("dev_add blk", _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 4,
					  "blk", &blk));
	nr = 3;
	TL_CALL("status net", _test_ioctl_set_status(fd, net, TK_STATUS_OK,
						     NULL, res, &nr));
	for (uint32_t i = 0; i < nr; i++)
		if (res[i].new_state != VQNOTIFY_VQ_ASSIGNED)
			tl_fail("net queue not assigned", EAGAIN);
	for (uint32_t q = 0; q < 2; q++)
		TL_CALL("vhost on", _test_ioctl_host_notifier(fd, net, q, true, NULL));
	nr = 4;
	TL_CALL("status blk", _test_ioctl_set_status(fd, blk, TK_STATUS_OK,
						     NULL, res, &nr));
	for (uint32_t i = 0; i < nr; i++)
		if (res[i].new_state != VQNOTIFY_VQ_ASSIGNED)
			tl_fail("blk queue not assigned", EAGAIN);
	TL_CALL("guest_get", _test_ioctl_guest_get(fd, &gi));
	if (gi.used != 7)
		tl_fail("slots held", EAGAIN);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (read(fd, ev, sizeof(ev)) < 0 && errno != EAGAIN)
		tl_fail("read", errno);
	TL_CALL("vhost off", _test_ioctl_host_notifier(fd, net, 0, false,
						       NULL));
	TL_CALL("reset blk", _test_ioctl_dev_reset(fd, blk, NULL, NULL));
	TL_CALL("remove net", _test_ioctl_dev_remove(fd, net, NULL, NULL));
	close(fd);
}

static int tl_vmm(void *arg, int step)
{
	double end = tk_now() + *(unsigned long long *)arg;
	int sfd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);

	while (tk_now() < end) {
		double t0 = tk_now(), s0 = tn_sched_time_fd(sfd), s1, wall;
		double slept;

		tl_vmm_round();
		tl->rounds++;
		wall = tk_now() - t0;
		s1 = tn_sched_time_fd(sfd);
		slept = wall - (s1 - s0);
		if (wall > tl->worst_round)
			tl->worst_round = wall;
		if (s0 < 0 || s1 < 0)
			tl->worst_sleep = -1;
		else if (tl->worst_sleep >= 0 && slept > tl->worst_sleep)
			tl->worst_sleep = slept;
	}
	if (sfd >= 0)
		close(sfd);
	return 0;
}

FIXTURE(tl) {
	struct tk_nl nl;
	struct tk_nl_config saved;
};

FIXTURE_SETUP(tl)
{
	self->nl.fd = -1;
	if (!tk_present())
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, tk_nl_open(&self->nl));
	ASSERT_EQ(0, _test_nl_config_get(&self->nl, &self->saved));
	ASSERT_EQ(0, tn_dev_setup());
	tl = tn_shared(sizeof(*tl));
	ASSERT_NE(NULL, tl);
}

FIXTURE_TEARDOWN(tl)
{
	if (self->nl.fd < 0)
		return;
	EXPECT_EQ(0, tn_config_restore(&self->nl, &self->saved));
	tk_nl_close(&self->nl);
}

TEST_F_TIMEOUT(tl, hostile_and_wellbehaved, 240)
{
	unsigned long long secs = tk_env_ull("VQN_LOAD_SECONDS", 20);
	struct tn_agent hostile, vmm;
	struct tk_nl_user hu, vu;
	struct tk_nl_config c;

	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_HOST_CAP, 8192);
	ASSERT_EQ(0, _test_nl_config_get(&self->nl, &c));

	/* The hostile user takes what it can, then churns until told. */
	ASSERT_EQ(0, tn_agent_start(&hostile, TN_HOSTILE, tl_hostile, NULL));
	ASSERT_EQ(0, write(hostile.cmd, "\1", 1) == 1 ? 0 : -1);
	for (int t = 0; t < 1200 && !tl->churns; t++)
		usleep(100000);
	ASSERT_NE(0, tl->churns) {
		TH_LOG("the hostile user did not get to churning");
	}
	TH_LOG("hostile: %u guests (then %s), %u devices, %u queues (then %s), %u slots, %u quota refusals",
	       tl->guests, strerror(tl->guest_err), tl->devices, tl->queues,
	       strerror(tl->dev_err), tl->granted, tl->quota);
	EXPECT_EQ(0, _test_nl_user_get(&self->nl, TN_HOSTILE, &hu));

	/* The VMM meanwhile. */
	ASSERT_EQ(0, tn_agent_start(&vmm, TN_VMM, tl_vmm, &secs));
	EXPECT_EQ(0, tn_step(&vmm, 1));
	tn_agent_stop(&vmm);
	__atomic_store_n(&tl->done, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(0, _test_nl_user_get(&self->nl, TN_HOSTILE, &hu));
	test_err_nl_user_get(ENOENT, TN_VMM, &vu);
	tn_agent_stop(&hostile);

	TH_LOG("VMM: %" PRIu64 " rounds, %" PRIu64 " calls, %" PRIu64
	       " failures in %llu s, slowest round %.3f s, longest asleep "
	       "in a round %.3f s; hostile churned %" PRIu64 " guests",
	       tl->rounds, tl->calls, tl->failures, secs, tl->worst_round,
	       tl->worst_sleep, tl->churns);
	EXPECT_EQ(0, tl->failures) {
		TH_LOG("first failure: %s", tl->first_failure);
	}
	/*
	 * The VMM went on at its pace beside the hostile user. Measured in
	 * the rig, three 20 s runs each: the debug kernel, the slowest,
	 * 1,680-2,290 rounds (84-114 a second), its slowest round
	 * 0.073-0.119 s; 6.12-rt 45,204-63,386 rounds (2,260-3,169 a
	 * second), slowest round 0.033-0.046 s (earlier: 2,111-63,341 rounds
	 * in 10-20 s, slowest round 0.028-0.090 s). The rate keeps over 3x
	 * of margin from the worst of these, 84 a second: a starved VMM
	 * fails it. A round's wall time is the scheduler's and the host's
	 * as much as the module's (the host preempting the VM's thread, make
	 * check building QEMU on the other core, stretched it): what is
	 * judged is the time the round slept (its wall time less its time on
	 * a CPU and waiting for one, /proc/thread-self/schedstat; a host's
	 * stall counts as time on a CPU), a wait on a lock the hostile user
	 * holds: half a second asleep fails here. A waiter spinning on a
	 * lock whose holder runs counts as on a CPU: the round's wall time
	 * is bounded too, loosely (3 s, 25 times the slowest measured).
	 */
	EXPECT_LE(25 * secs, tl->rounds);
	EXPECT_GT(0.5, tl->worst_sleep >= 0 ? tl->worst_sleep :
		  tl->worst_round);
	EXPECT_GT(3.0, tl->worst_round);
	/* The hostile user was held to its quotas. */
	EXPECT_EQ(EDQUOT, tl->guest_err);
	EXPECT_EQ(hu.max_guests, tl->guests);
	EXPECT_EQ(EDQUOT, tl->dev_err);
	EXPECT_GE(hu.max_queues, tl->queues);
	EXPECT_EQ(c.user_max_slots, tl->granted);
	EXPECT_GE(hu.max_slots,
		  hu.nr_slots);
	EXPECT_LT(0, tl->quota);
}

TEST_HARNESS_MAIN
