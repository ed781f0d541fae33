// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_budget_test: budgets, preemption (p), promotion (r) and the limited
 * mode of a guest whose budget is below the threshold.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include "vqn_utils.h"
#include "vqn_nl_utils.h"

/* A queue holds a userspace grant iff this model says the slot fits. */
static bool user_fits(uint32_t reserve, uint32_t budget, uint32_t held,
		      uint32_t offlimits)
{
	uint32_t left = reserve > offlimits ? reserve - offlimits : 0;

	return (uint64_t)held + left <= budget;
}

/*
 * Budgets, preemption (p) and promotion (r). The guest's own budget is
 * B = threshold + vhost_reserve + extra, so it is never limited here even
 * after lowering it by @cut. Userspace queues fill B - reserve slots. The
 * module's reserve is 0; @reserve, when not 0, is the guest's, set by the
 * admin (netlink GUEST_SET).
 */
FIXTURE(budget) {
	int fd;
	struct tk_nl nl;
	struct vqnotify_info info;
	long host0;
	uint32_t budget;	/* B */
	uint32_t reserve;
	uint32_t nq;		/* B - reserve: what userspace may fill */
	uint32_t seq0;		/* the tests' first event's seq */
};

FIXTURE_VARIANT(budget) {
	uint32_t extra;
	uint32_t cut;
	uint32_t reserve;
};

FIXTURE_VARIANT_ADD(budget, small) {
	.extra = 3,
	.cut = 1,
};

FIXTURE_VARIANT_ADD(budget, medium) {
	.extra = 9,
	.cut = 4,
	.reserve = 2,
};

FIXTURE_VARIANT_ADD(budget, large) {
	.extra = 120,
	.cut = 100,
	.reserve = 8,
};

FIXTURE_SETUP(budget)
{
	struct vqnotify_guest_info gi;
	int ret;

	self->nl.fd = -1;
	tk_setup_guest(self);
	test_cmd_guest_get(&gi);
	/* A new guest gets the module's reserve and threshold. */
	ASSERT_EQ(self->info.vhost_reserve, gi.vhost_reserve);
	ASSERT_EQ(self->info.threshold, gi.threshold);
	if (variant->reserve) {
		ret = tk_nl_open(&self->nl);
		ASSERT_EQ(0, ret) TH_LOG("genetlink family %s: %s",
					 VQNOTIFY_FAMILY_NAME, strerror(-ret));
		ret = _test_nl_guest_set(&self->nl, gi.guest_id, -1,
					 variant->reserve);
		if (ret == -EPERM)
			SKIP(return, "no CAP_NET_ADMIN to set a reserve");
		ASSERT_EQ(0, ret);
		/* Its announcement is not the tests'. */
		ret = tk_read_events(self->fd, (struct vqnotify_event[4]){}, 4);
		ASSERT_LE(0, ret);
		self->seq0 = ret;
		test_cmd_guest_get(&gi);
		ASSERT_EQ(variant->reserve, gi.vhost_reserve);
	}
	self->reserve = gi.vhost_reserve;
	self->budget = self->info.threshold + self->reserve + variant->extra;
	if (self->budget > gi.budget)
		SKIP(return, "admin budget %u below %u", gi.budget,
		     self->budget);
	self->nq = self->budget - self->reserve;
	test_cmd_set_budget(self->budget);
	test_cmd_guest_get(&gi);
	ASSERT_EQ(self->budget, gi.budget);
	ASSERT_EQ(0U, gi.out_flags);
}

FIXTURE_TEARDOWN(budget)
{
	tk_teardown_guest(self);
	if (self->nl.fd >= 0)
		tk_nl_close(&self->nl);
}

/* A DRIVER_OK device whose queues fill every userspace slot. */
static uint32_t fill_user(struct __test_metadata *_metadata,
			  FIXTURE_DATA(budget) *self)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	uint32_t id, q, nr = self->nq;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, self->nq, "user", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(self->nq, nr);
	for (q = 0; q < nr; q++)
		ASSERT_EQ(L(B), res[q].label) TH_LOG("queue %u", q);
	return id;
}

/*
 * (p) for vhost: with the budget full, vhost takes the slot of the newest
 * userspace grant; its owner gets an event and the queue waits.
 */
TEST_F(budget, p_vhost_preempts_newest)
{
	struct vqnotify_event ev[4];
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, vh, q, i;

	user = fill_user(_metadata, self);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, self->reserve + 2, "vhost",
			 &vh);
	/* The reserve is free for vhost: no preemption. */
	for (q = 0; q < self->reserve; q++)
		test_cmd_host_notifier(vh, q, true, NULL);
	EXPECT_NO_EVENTS(self->fd);

	for (i = 0; i < 2; i++) {
		q = self->reserve + i;
		test_cmd_host_notifier(vh, q, true, &r);
		EXPECT_RES(r, q, DEASS, OFFL, L(C), R(VHOST));
		ASSERT_EQ(1, tk_read_events(self->fd, ev, 4));
		EXPECT_EQ(self->seq0 + i, ev[0].seq);
		/* Newest first: the last queue, then the one before. */
		EXPECT_EV(ev[0], user, self->nq - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_VHOST));
		vi = EXPECT_VQ(self->fd, user, self->nq - 1 - i, DEASS,
			       R(PREEMPT_VHOST), L(P));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	/* The preempted slots passed straight to vhost: used is B. */
	EXPECT_GUEST(self->nq - 2, self->reserve + 2, 2, "a%u b%u c%u p2",
		     self->budget + 2, self->nq, self->reserve + 2);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(0U, gi.out_flags);
}

/* (r) when vhost gives its queues back (f): FIFO, with events. */
TEST_F(budget, r_promote_on_vhost_off)
{
	struct vqnotify_event ev[4];
	struct vqnotify_vq_result r;
	uint32_t user, vh, q, i;
	uint32_t ids[2];

	user = fill_user(_metadata, self);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, self->reserve + 2, "vhost",
			 &vh);
	for (q = 0; q < self->reserve + 2; q++)
		test_cmd_host_notifier(vh, q, true, NULL);
	ASSERT_EQ(2, tk_read_events(self->fd, ev, 4));

	for (i = 0; i < 2; i++) {
		q = self->reserve + i;
		test_cmd_host_notifier(vh, q, false, &r);
		/* vh is not DRIVER_OK: (f), and the slot frees. */
		EXPECT_RES(r, q, OFFL, DEASS, L(F), R(VHOST_OFF));
		ASSERT_EQ(1, tk_read_events(self->fd, ev, 4));
		EXPECT_EQ(self->seq0 + 2 + i, ev[0].seq);
		/* FIFO: the first preempted is the first promoted. */
		EXPECT_EV(ev[0], user, self->nq - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
		EXPECT_VQ(self->fd, user, self->nq - 1 - i, ASSIG,
			  R(PROMOTED), L(R));
	}
	/* vhost still holds the reserve. */
	EXPECT_GUEST(self->nq, self->reserve, 0, "a%u b%u c%u f2 p2 r2",
		     self->budget + 2, self->nq, self->reserve + 2);
	ids[0] = user;
	ids[1] = vh;
	test_check_guest(self->fd, ids, 2);
}

/* Queues refused NO_SLOT at DRIVER_OK wait, and (r) when a reset frees. */
TEST_F(budget, r_promote_on_reset)
{
	struct vqnotify_vq_result res[2];
	struct vqnotify_event ev[4];
	struct vqnotify_vq_info vi;
	uint32_t user, w, q, nr = 2;

	user = fill_user(_metadata, self);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 2, "wait", &w);
	test_cmd_set_status(w, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(2U, nr);
	for (q = 0; q < 2; q++)
		EXPECT_WAITING(self->fd, res[q], w, q, R(NO_SLOT));
	EXPECT_GUEST(self->nq, 0, 2, "a%u b%u", self->nq + 2, self->nq);

	test_cmd_dev_reset(user, NULL, NULL);
	ASSERT_EQ(2, tk_read_events(self->fd, ev, 4));
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(self->seq0 + q, ev[q].seq);
		EXPECT_EV(ev[q], w, q, DEASS, ASSIG, L(R), R(PROMOTED));
		vi = EXPECT_VQ(self->fd, w, q, ASSIG, R(PROMOTED), L(R));
		EXPECT_EQ(INIT, vi.flags);
	}
	EXPECT_GUEST(2, 0, 0, "a%u b%u g%u r2", self->nq + 2, self->nq,
		     self->nq);
}

/* Lowering the own budget preempts the newest grants first (p). */
TEST_F(budget, lower_preempts_newest_first)
{
	struct vqnotify_event ev[128];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, i, cut = variant->cut;

	user = fill_user(_metadata, self);
	test_cmd_set_budget(self->budget - cut);
	ASSERT_EQ((int)cut, tk_read_events(self->fd, ev, 128));
	for (i = 0; i < cut; i++) {
		EXPECT_EQ(self->seq0 + i, ev[i].seq);
		EXPECT_EV(ev[i], user, self->nq - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
		vi = EXPECT_VQ(self->fd, user, self->nq - 1 - i, DEASS,
			       R(PREEMPT_BUDGET), L(P));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	EXPECT_VQ(self->fd, user, self->nq - 1 - cut, ASSIG, R(GRANTED),
		  L(B));
	EXPECT_GUEST(self->nq - cut, 0, cut, "a%u b%u p%u", self->nq,
		     self->nq, cut);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(self->budget - cut, gi.budget);
	EXPECT_EQ(0U, gi.out_flags);
}

/* Raising it again promotes the preempted queues, FIFO (r). */
TEST_F(budget, raise_promotes_fifo)
{
	struct vqnotify_event ev[128];
	uint32_t user, i, cut = variant->cut;

	user = fill_user(_metadata, self);
	test_cmd_set_budget(self->budget - cut);
	ASSERT_EQ((int)cut, tk_read_events(self->fd, ev, 128));
	test_cmd_set_budget(self->budget);
	ASSERT_EQ((int)cut, tk_read_events(self->fd, ev, 128));
	for (i = 0; i < cut; i++) {
		EXPECT_EQ(self->seq0 + cut + i, ev[i].seq);
		/* Preempted newest first, so promoted in that order. */
		EXPECT_EV(ev[i], user, self->nq - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
		EXPECT_VQ(self->fd, user, self->nq - 1 - i, ASSIG,
			  R(PROMOTED), L(R));
	}
	EXPECT_GUEST(self->nq, 0, 0, "a%u b%u p%u r%u", self->nq, self->nq,
		     cut, cut);
}

/* Own budget 0 means no own limit: the admin's budget applies again. */
TEST_F(budget, own_budget_zero_lifts_limit)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_event ev[128];
	uint32_t cut = variant->cut;

	fill_user(_metadata, self);
	test_cmd_set_budget(self->budget - cut);
	ASSERT_EQ((int)cut, tk_read_events(self->fd, ev, 128));
	test_cmd_set_budget(0);
	ASSERT_EQ((int)cut, tk_read_events(self->fd, ev, 128));
	EXPECT_EQ(L(R), ev[0].label);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(self->info.default_budget, gi.budget);
	EXPECT_EQ(self->nq, gi.nr_assigned);
}

/*
 * OFFLIMITS queues are never revoked by a budget change: the guest is
 * reported over budget. vhost giving queues back frees slots (f, waiting
 * NO_SLOT) until the guest fits; from then on (e) keeps the slot. With a
 * reserve, each of the first queues vhost takes from userspace (d) uses
 * up a reserved slot: a queue the reserve kept waiting is promoted (r).
 */
TEST_F(budget, offlimits_not_revoked)
{
	struct vqnotify_event ev[16];
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id, q, low = self->info.threshold + self->reserve;
	uint32_t n = self->budget, e = 0, f = 0;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, n, "vh", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	for (q = 0; q < n; q++)
		test_cmd_host_notifier(id, q, true, NULL);
	test_cmd_guest_get(&gi);
	ASSERT_EQ(n, gi.nr_offlimits);
	ASSERT_EQ((int)self->reserve, tk_read_events(self->fd, ev, 16));
	for (q = 0; q < self->reserve; q++)
		EXPECT_EV(ev[q], id, self->nq + q, DEASS, ASSIG, L(R),
			  R(PROMOTED));
	EXPECT_NO_EVENTS(self->fd);

	test_cmd_set_budget(low);
	EXPECT_NO_EVENTS(self->fd);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(low, gi.budget);
	EXPECT_EQ(n, gi.used);
	EXPECT_EQ(n, gi.nr_offlimits);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_OVER_BUDGET, gi.out_flags);
	/* The reserve's queues were promoted before vhost took them. */
	for (q = 0; q < n; q++)
		EXPECT_VQ(self->fd, id, q, OFFL, R(VHOST), L(D));

	for (q = 0; q < n; q++) {
		bool fits;

		test_cmd_guest_get(&gi);
		fits = user_fits(self->reserve, low, gi.used,
				 gi.nr_offlimits - 1);
		test_cmd_host_notifier(id, q, false, &r);
		if (fits) {
			EXPECT_RES(r, q, OFFL, ASSIG, L(E), R(VHOST_OFF));
			e++;
		} else {
			EXPECT_RES(r, q, OFFL, DEASS, L(F), R(NO_SLOT));
			vi = EXPECT_VQ(self->fd, id, q, DEASS, R(NO_SLOT),
				       L(F));
			EXPECT_EQ(INIT | WAIT, vi.flags);
			f++;
		}
		test_cmd_guest_get(&gi);
		EXPECT_EQ(gi.used > low,
			  !!(gi.out_flags & VQNOTIFY_GUEST_OVER_BUDGET))
			TH_LOG("used %u budget %u", gi.used, low);
		test_check_guest(self->fd, &id, 1);
	}
	/* Both happened: over budget, (f); back within it, (e). */
	EXPECT_LT(0U, f);
	EXPECT_LT(0U, e);
	EXPECT_GE(low, gi.used);
	EXPECT_NO_EVENTS(self->fd);
}

/*
 * vhost reserve: userspace queues leave vhost_reserve slots free. With
 * the module's reserve, 0 (small), userspace can fill the whole budget;
 * with the admin's (medium, large), the reserved slots go to vhost without
 * preemption.
 */
TEST_F(budget, vhost_reserve)
{
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES], r;
	struct vqnotify_guest_info gi;
	uint32_t id, q, nr = self->budget, granted = 0, waiting = 0;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, self->budget, "rsv", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(self->budget, nr);
	for (q = 0; q < nr; q++) {
		if (q < self->nq) {
			EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
			granted++;
		} else {
			EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE),
				   R(NO_SLOT));
			waiting++;
		}
	}
	EXPECT_EQ(self->reserve, waiting);
	/* The reserve the module has for the guest is the test's. */
	test_cmd_guest_get(&gi);
	EXPECT_EQ(self->reserve, gi.vhost_reserve);
	for (q = self->nq; q < self->budget; q++) {
		test_cmd_host_notifier(id, q, true, &r);
		EXPECT_RES(r, q, DEASS, OFFL, L(C), R(VHOST));
	}
	EXPECT_NO_EVENTS(self->fd);
	/* used is B: granted + the reserve vhost took. */
	EXPECT_GUEST(granted, self->reserve, 0, "a%u b%u c%u", self->budget,
		     self->nq, self->reserve);
}

/*
 * The VMM's own budget may go down to the guest's vhost reserve (the
 * admin's may not go below it): the budget is then all vhost's. Userspace
 * queues are refused and wait (no-slot; limited where the budget is below
 * the threshold), vhost takes every slot of the budget (c) and no more,
 * and a slot it gives back (f) stays vhost's: no userspace queue is
 * promoted.
 */
TEST_F(budget, own_budget_at_the_reserve_is_all_vhosts)
{
	struct vqnotify_vq_result res[2], r;
	struct vqnotify_guest_info gi;
	uint32_t user, vh, q, nr = 2;
	enum vqnotify_reason why = R(NO_SLOT);

	if (!self->reserve)
		SKIP(return, "no vhost reserve: budget 0 is no own limit");
	if (self->reserve < self->info.threshold)
		why = R(LIMITED);
	test_cmd_set_budget(self->reserve);
	test_cmd_guest_get(&gi);
	ASSERT_EQ(self->reserve, gi.budget);
	ASSERT_EQ(self->reserve, gi.vhost_reserve);

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 2, "user", &user);
	test_cmd_set_status(user, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(2U, nr);
	for (q = 0; q < 2; q++)
		EXPECT_WAITING(self->fd, res[q], user, q, why);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, self->reserve + 1, "vhost",
			 &vh);
	for (q = 0; q < self->reserve; q++) {
		test_cmd_host_notifier(vh, q, true, &r);
		EXPECT_RES(r, q, DEASS, OFFL, L(C), R(VHOST));
	}
	test_err_host_notifier(ENOSPC, vh, self->reserve, true, NULL);
	EXPECT_NO_EVENTS(self->fd);
	EXPECT_GUEST(0, self->reserve, 2, "a%u c%u", self->reserve + 3,
		     self->reserve);

	test_cmd_host_notifier(vh, 0, false, &r);
	EXPECT_RES(r, 0, OFFL, DEASS, L(F), R(VHOST_OFF));
	EXPECT_NO_EVENTS(self->fd);
	EXPECT_GUEST(0, self->reserve - 1, 2, "a%u c%u f1",
		     self->reserve + 3, self->reserve);
}

/*
 * Lowering below the threshold makes the guest limited: all preempted.
 * They wait, and get their slots back (r) once the budget is raised.
 */
TEST_F(budget, lower_to_limited_preempts_all)
{
	struct vqnotify_event ev[256];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, i;

	user = fill_user(_metadata, self);
	test_cmd_set_budget(self->info.threshold - 1);
	ASSERT_EQ((int)self->nq, tk_read_events(self->fd, ev, 256));
	for (i = 0; i < self->nq; i++) {
		EXPECT_EV(ev[i], user, self->nq - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
		vi = EXPECT_VQ(self->fd, user, i, DEASS, R(PREEMPT_BUDGET),
			       L(P));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	test_cmd_guest_get(&gi);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	EXPECT_GUEST(0, 0, self->nq, "a%u b%u p%u", self->nq, self->nq,
		     self->nq);

	/* Out of limited mode: promoted in the order they were preempted. */
	test_cmd_set_budget(self->budget);
	ASSERT_EQ((int)self->nq, tk_read_events(self->fd, ev, 256));
	for (i = 0; i < self->nq; i++) {
		EXPECT_EV(ev[i], user, self->nq - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
		EXPECT_VQ(self->fd, user, i, ASSIG, R(PROMOTED), L(R));
	}
	test_cmd_guest_get(&gi);
	EXPECT_EQ(0U, gi.out_flags);
	EXPECT_GUEST(self->nq, 0, 0, "a%u b%u p%u r%u", self->nq, self->nq,
		     self->nq, self->nq);
}

/*
 * Limited mode, the legacy 6-slot case: own budget threshold - 1 (6 with
 * the default threshold 7). vhost queues get slots, userspace queues
 * never auto-assign, and (e) becomes (f).
 */
FIXTURE(limited) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t budget;
};

FIXTURE_SETUP(limited)
{
	tk_setup_guest(self);
	if (self->info.threshold < 2)
		SKIP(return, "threshold %u: no limited budget",
		     self->info.threshold);
	self->budget = self->info.threshold - 1;
	test_cmd_set_budget(self->budget);
}

FIXTURE_TEARDOWN(limited)
{
	tk_teardown_guest(self);
}

TEST_F(limited, flags)
{
	struct vqnotify_guest_info gi;

	test_cmd_guest_get(&gi);
	EXPECT_EQ(self->budget, gi.budget);
	EXPECT_EQ(self->info.threshold, gi.threshold);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	/* At the threshold the guest is no longer limited. */
	test_cmd_set_budget(self->info.threshold);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(0U, gi.out_flags);
}

/*
 * (b) refuses every queue LIMITED; they wait, and are promoted (r) when
 * the guest's budget reaches the threshold.
 */
TEST_F(limited, b_refused)
{
	struct vqnotify_vq_result res[4];
	struct vqnotify_guest_info gi;
	uint32_t id, q, nr = 4;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 4, "l", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++)
		EXPECT_WAITING(self->fd, res[q], id, q, R(LIMITED));
	EXPECT_GUEST(0, 0, 4, "a4");
	/* A reset frees nothing and stops the waiting: nothing promoted. */
	test_cmd_dev_reset(id, NULL, NULL);
	EXPECT_NO_EVENTS(self->fd);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(0, tk_host_used(self->fd) - self->host0);
}

/* Leaving limited mode promotes the queues it refused, in order. */
TEST_F(limited, unlimited_again_promotes)
{
	struct vqnotify_event ev[4];
	uint32_t id, q;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "l", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	EXPECT_NO_EVENTS(self->fd);
	test_cmd_set_budget(self->info.threshold);
	ASSERT_EQ(4, tk_read_events(self->fd, ev, 4));
	for (q = 0; q < 4; q++) {
		EXPECT_EV(ev[q], id, q, DEASS, ASSIG, L(R), R(PROMOTED));
		EXPECT_VQ(self->fd, id, q, ASSIG, R(PROMOTED), L(R));
	}
	EXPECT_GUEST(4, 0, 0, "a4 r4");
}

/* vhost still gets every slot of the budget, then ENOSPC. */
TEST_F(limited, vhost_gets_slots)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	uint32_t id, q, n = self->budget + 2;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, n, "l", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	for (q = 0; q < self->budget; q++) {
		test_cmd_host_notifier(id, q, true, &r);
		EXPECT_MOVED(self->fd, r, id, q, DEASS, OFFL, L(C), R(VHOST));
	}
	test_err_host_notifier(ENOSPC, id, q, true, &r);
	EXPECT_VQ(self->fd, id, q, DEASS, R(LIMITED), L(A));
	/* The two queues vhost does not hold still wait. */
	EXPECT_GUEST(0, self->budget, 2, "a%u c%u", n, self->budget);
	test_cmd_guest_get(&gi);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	EXPECT_NO_EVENTS(self->fd);
}

/* vhost off on a DRIVER_OK device of a limited guest: (f), not (e). */
TEST_F(limited, e_becomes_f)
{
	struct vqnotify_vq_result r;
	struct vqnotify_vq_info vi;
	uint32_t id;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_CCW, 2, "l", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 0, true, NULL);
	test_cmd_host_notifier(id, 0, false, &r);
	vi = EXPECT_MOVED(self->fd, r, id, 0, OFFL, DEASS, L(F), R(LIMITED));
	EXPECT_EQ(INIT | WAIT, vi.flags);
	EXPECT_GUEST(0, 0, 2, "a2 c1 f1");
}

/* A limited guest's migrated device loads with every queue refused. */
TEST_F(limited, load_refused)
{
	struct vqnotify_vq_result res[4];
	uint8_t blob[TK_BLOB_BUF];
	uint32_t src, dst, q, len, nr = 4;
	int fd2;

	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd2, VQNOTIFY_TRANSPORT_MMIO, 4, "s", &src));
	ASSERT_EQ(0, _test_ioctl_set_status(fd2, src, TK_STATUS_OK, NULL, NULL,
				    NULL));
	len = tk_save_blob(_metadata, fd2, src, blob);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "d", &dst);
	test_cmd_dev_load(dst, blob, len, res, &nr);
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++)
		EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE), R(LIMITED));
	CHECK_COUNTS(self->fd, "a4");
	close(fd2);
}

TEST_HARNESS_MAIN
