// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the vqnotify state machine (kmod/vqn_sm.c), built in
 * userspace against tools/sm/sm_env.c: every transition (a)-(g), (p), (r),
 * (s), budgets, the vhost reserve, the host cap and limited mode. Every
 * test ends with the invariant checks the fuzzer runs after each step.
 */
#include "sm_env.h"
#include "kselftest_harness.h"

#define D	VQNOTIFY_VQ_DEASSIGNED
#define A	VQNOTIFY_VQ_ASSIGNED
#define O	VQNOTIFY_VQ_OFFLIMITS

#define OK_STATUS	0x0f	/* ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK */
#define STOP_STATUS	0x0b	/* the same without DRIVER_OK */
#define BIG_CAP		0x100000

FIXTURE(sm) {
	struct sm_host host;
	struct sm_guest g;
	struct sm_guest g2;
	bool g2_open;
	char msg[SM_ERR_LEN];
};

FIXTURE_SETUP(sm)
{
	sm_host_init(&self->host, BIG_CAP);
	ASSERT_EQ(0, sm_guest_open(&self->host, &self->g, 16, 0, 7));
	self->g2_open = false;
}

FIXTURE_TEARDOWN(sm)
{
	EXPECT_EQ(0, sm_check_host(&self->host, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	sm_guest_close(&self->g);
	EXPECT_EQ(0, self->g.errors) TH_LOG("%s", self->g.err);
	if (self->g2_open) {
		sm_guest_close(&self->g2);
		EXPECT_EQ(0, self->g2.errors) TH_LOG("%s", self->g2.err);
	}
	EXPECT_EQ(0, self->host.used);
	EXPECT_EQ(0, self->host.waiters);
	EXPECT_EQ(0, vqn_shim_warnings);
}

/* All invariants hold now. */
static void check_invariants(struct __test_metadata *_metadata,
			     struct _test_data_sm *self)
{
	ASSERT_EQ(0, sm_check_host(&self->host, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

static void open_g2(struct __test_metadata *_metadata,
		    struct _test_data_sm *self, u32 budget)
{
	ASSERT_EQ(0, sm_guest_open(&self->host, &self->g2, budget, 0, 7));
	self->g2_open = true;
}

/* A device of @nq queues, DRIVER_OK with every queue initialised. */
static struct vqn_dev *dev_ok(struct __test_metadata *_metadata,
			      struct sm_guest *g, u32 nq)
{
	struct vqn_dev *d = sm_dev_add(g, nq);

	ASSERT_NE(NULL, d);
	sm_set_status(g, d, OK_STATUS, NULL);
	return d;
}

/* The single report about @vq since the last clear. */
static const struct sm_report *only_report(struct __test_metadata *_metadata,
					   const struct sm_guest *g,
					   const struct vqn_vq *vq)
{
	const struct sm_report *r = sm_report_find(g, vq, 0);

	ASSERT_NE(NULL, r) TH_LOG("no report for queue %p", vq);
	ASSERT_EQ(NULL, sm_report_find(g, vq, 1))
		TH_LOG("two reports for dev %u q %u", r->dev_id, r->queue);
	return r;
}

static void expect_report(struct __test_metadata *_metadata,
			  const struct sm_guest *g, const struct vqn_vq *vq,
			  u8 old, u8 new, u8 label, u8 reason, bool async)
{
	const struct sm_report *r = only_report(_metadata, g, vq);

	EXPECT_EQ(old, r->old_state);
	EXPECT_EQ(new, r->new_state);
	EXPECT_EQ(label, r->label);
	EXPECT_EQ(reason, r->reason);
	EXPECT_EQ(async, r->async);
	EXPECT_EQ(new, vq->state);
	EXPECT_EQ(reason, vq->reason);
	if (label != VQNOTIFY_LABEL_NONE)
		EXPECT_EQ(label, vq->label);
}

#define REPORT(vq, old, new, label, reason, async)			\
	expect_report(_metadata, &self->g, vq, old, new,		\
		      VQNOTIFY_LABEL_##label, VQNOTIFY_REASON_##reason, async)

static bool waiting(const struct vqn_vq *vq)
{
	return vq->flags & VQNOTIFY_VQ_WAITING;
}

/* The oracle itself: the edges of the diagram, and only those. */
static const struct {
	u8 old, new, label;
	bool async;
} legal_edges[] = {
	{ D, D, VQNOTIFY_LABEL_NONE, false },
	{ D, A, VQNOTIFY_LABEL_B, false },
	{ D, O, VQNOTIFY_LABEL_C, false },
	{ A, O, VQNOTIFY_LABEL_D, false },
	{ O, A, VQNOTIFY_LABEL_E, false },
	{ O, D, VQNOTIFY_LABEL_F, false },
	{ A, D, VQNOTIFY_LABEL_G, false },
	{ O, D, VQNOTIFY_LABEL_G, false },
	{ A, D, VQNOTIFY_LABEL_P, true },
	{ D, A, VQNOTIFY_LABEL_R, true },
	{ A, D, VQNOTIFY_LABEL_S, false },
	{ D, A, VQNOTIFY_LABEL_Q, false },
	{ A, D, VQNOTIFY_LABEL_X, false },
};

static bool in_legal_edges(unsigned int old, unsigned int new,
			   unsigned int label, bool async)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(legal_edges); i++)
		if (legal_edges[i].old == old && legal_edges[i].new == new &&
		    legal_edges[i].label == label &&
		    legal_edges[i].async == async)
			return true;
	return false;
}

TEST(edges_of_the_diagram)
{
	unsigned int e, old, new, label, async, n = 0;

	/* Every (old, new, label, async) combination, 3 * 3 * 11 * 2. */
	for (e = 0; e < 3 * 3 * VQNOTIFY_LABEL_MAX * 2; e++) {
		bool want;

		old = e % 3;
		new = e / 3 % 3;
		label = e / 9 % VQNOTIFY_LABEL_MAX;
		async = e / (9 * VQNOTIFY_LABEL_MAX);
		want = in_legal_edges(old, new, label, async);
		EXPECT_EQ(want, sm_edge_legal(old, new, label, async))
			TH_LOG("%u -> %u (%s) async %u", old, new,
			       sm_label_name(label), async);
		n += want;
	}
	EXPECT_EQ(ARRAY_SIZE(legal_edges), n);
}

TEST_F(sm, check_detects_bad_accounting)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 2);

	ASSERT_EQ(0, vqn_sm_check(&self->g.sm));
	self->g.sm.used++;
	EXPECT_EQ(-EUCLEAN, vqn_sm_check(&self->g.sm));
	self->g.sm.used--;
	d->vqs[0].state = O;	/* on the assigned list, but not ASSIGNED */
	EXPECT_EQ(-EUCLEAN, vqn_sm_check(&self->g.sm));
	d->vqs[0].state = A;
	self->g.sm.nr_waiting++;
	EXPECT_EQ(-EUCLEAN, vqn_sm_check(&self->g.sm));
	self->g.sm.nr_waiting--;
	EXPECT_EQ(0, vqn_sm_check(&self->g.sm));
}

TEST_F(sm, a_new_queues_start_deassigned)
{
	struct vqn_dev *d = sm_dev_add(&self->g, 4);
	u32 i;

	ASSERT_NE(NULL, d);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(D, d->vqs[i].state);
		EXPECT_EQ(VQNOTIFY_LABEL_A, d->vqs[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_NONE, d->vqs[i].reason);
		EXPECT_EQ(0, d->vqs[i].flags);
		EXPECT_EQ(0, d->vqs[i].assign_seq);
	}
	EXPECT_EQ(4, self->g.sm.counts[VQNOTIFY_LABEL_A]);
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(0, self->g.sm.used);
	EXPECT_TRUE(vqn_sm_dev_quiescent(d));
	check_invariants(_metadata, self);
}

TEST_F(sm, b_driver_ok_assigns_initialised_queues)
{
	unsigned long ready[SM_BITMAP_LONGS] = { 0xb };	/* 0, 1, 3 */
	struct vqn_dev *d = sm_dev_add(&self->g, 4);

	ASSERT_NE(NULL, d);
	sm_set_status(&self->g, d, OK_STATUS, ready);
	REPORT(&d->vqs[0], D, A, B, GRANTED, false);
	REPORT(&d->vqs[1], D, A, B, GRANTED, false);
	REPORT(&d->vqs[2], D, D, NONE, NOT_READY, false);
	REPORT(&d->vqs[3], D, A, B, GRANTED, false);
	EXPECT_EQ(1, d->vqs[0].assign_seq);
	EXPECT_EQ(2, d->vqs[1].assign_seq);
	EXPECT_EQ(3, d->vqs[3].assign_seq);
	EXPECT_FALSE(d->vqs[2].flags & VQNOTIFY_VQ_INITIALISED);
	EXPECT_FALSE(waiting(&d->vqs[2]));
	EXPECT_EQ(3, self->g.sm.used);
	EXPECT_EQ(3, self->g.sm.nr_assigned);
	EXPECT_EQ(3, self->host.used);
	EXPECT_EQ(3, self->g.sm.counts[VQNOTIFY_LABEL_B]);
	EXPECT_FALSE(vqn_sm_dev_quiescent(d));
	check_invariants(_metadata, self);
}

TEST_F(sm, b_no_ready_bitmap_means_every_queue)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 5);

	EXPECT_EQ(5, self->g.sm.nr_assigned);
	EXPECT_EQ(5, sm_reports_count(&self->g, VQNOTIFY_LABEL_B, false));
	check_invariants(_metadata, self);
	(void)d;
}

TEST_F(sm, b_only_when_driver_ok_is_newly_set)
{
	unsigned long none[SM_BITMAP_LONGS] = { 0 };
	struct vqn_dev *d = sm_dev_add(&self->g, 2);

	ASSERT_NE(NULL, d);
	sm_set_status(&self->g, d, STOP_STATUS, NULL);
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(STOP_STATUS, d->status);
	sm_set_status(&self->g, d, OK_STATUS, NULL);
	EXPECT_EQ(2, self->g.sm.nr_assigned);
	sm_reports_clear(&self->g);
	/* DRIVER_OK again, even with another bitmap: nothing happens. */
	sm_set_status(&self->g, d, OK_STATUS | 0x40, none);
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(2, self->g.sm.nr_assigned);
	check_invariants(_metadata, self);
}

TEST_F(sm, b_refused_for_lack_of_slots_waits)
{
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 10);
	EXPECT_EQ(8, self->g.sm.nr_assigned);
	REPORT(&d->vqs[8], D, D, NONE, NO_SLOT, false);
	REPORT(&d->vqs[9], D, D, NONE, NO_SLOT, false);
	EXPECT_TRUE(waiting(&d->vqs[8]));
	EXPECT_TRUE(waiting(&d->vqs[9]));
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	EXPECT_FALSE(self->g.host_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, b_refused_when_limited_waits_until_unlimited)
{
	struct vqn_dev *d;
	u32 i;

	sm_set_admin_budget(&self->g, 6);	/* below the threshold, 7 */
	EXPECT_TRUE(vqn_sm_limited(&self->g.sm));
	d = dev_ok(_metadata, &self->g, 4);
	for (i = 0; i < 4; i++) {
		REPORT(&d->vqs[i], D, D, NONE, LIMITED, false);
		EXPECT_TRUE(waiting(&d->vqs[i]));
	}
	EXPECT_EQ(0, self->g.sm.used);
	EXPECT_EQ(4, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);

	/* Out of limited mode: the refused queues get their slots (r). */
	sm_reports_clear(&self->g);
	sm_set_admin_budget(&self->g, 7);
	EXPECT_EQ(4, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(A, d->vqs[i].state);
	EXPECT_EQ(0, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, b_refused_at_host_cap_waits_for_the_host)
{
	struct vqn_dev *d;

	sm_host_set_cap(&self->host, 2);
	sm_host_run_work(&self->host);
	d = dev_ok(_metadata, &self->g, 4);
	REPORT(&d->vqs[0], D, A, B, GRANTED, false);
	REPORT(&d->vqs[1], D, A, B, GRANTED, false);
	REPORT(&d->vqs[2], D, D, NONE, HOST_CAP, false);
	REPORT(&d->vqs[3], D, D, NONE, HOST_CAP, false);
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	EXPECT_TRUE(self->g.host_waiting);
	EXPECT_EQ(1, self->host.waiters);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, c_vhost_takes_a_free_slot)
{
	struct vqn_dev *d = sm_dev_add(&self->g, 2);

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	REPORT(&d->vqs[0], D, O, C, VHOST, false);
	EXPECT_EQ(1, self->g.sm.used);
	EXPECT_EQ(1, self->g.sm.nr_offlimits);
	EXPECT_EQ(1, self->host.used);
	EXPECT_FALSE(vqn_sm_dev_quiescent(d));
	check_invariants(_metadata, self);
}

TEST_F(sm, c_enable_twice_is_ealready)
{
	struct vqn_dev *d = sm_dev_add(&self->g, 1);

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);
	EXPECT_EQ(-EALREADY, sm_host_notifier(&self->g, d, 0, true));
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(1, self->g.sm.used);
	EXPECT_EQ(1, self->g.sm.counts[VQNOTIFY_LABEL_C]);
	check_invariants(_metadata, self);
}

TEST_F(sm, c_preempts_the_newest_assignment)
{
	struct vqn_dev *d, *v;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 8);
	v = sm_dev_add(&self->g, 2);
	ASSERT_NE(NULL, v);
	sm_reports_clear(&self->g);

	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	REPORT(&d->vqs[7], A, D, P, PREEMPT_VHOST, true);
	REPORT(&v->vqs[0], D, O, C, VHOST, false);
	EXPECT_TRUE(waiting(&d->vqs[7]));
	EXPECT_EQ(8, self->g.sm.used);
	EXPECT_EQ(8, self->host.used);

	/* The next one takes the next newest. */
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 1, true));
	REPORT(&d->vqs[6], A, D, P, PREEMPT_VHOST, true);
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	EXPECT_EQ(6, self->g.sm.nr_assigned);
	check_invariants(_metadata, self);
}

TEST_F(sm, c_nothing_to_preempt_is_enospc_and_changes_nothing)
{
	struct vqn_dev *d;
	u64 counts[VQNOTIFY_NR_COUNTERS];
	u32 i;

	sm_set_admin_budget(&self->g, 8);
	d = sm_dev_add(&self->g, 9);
	ASSERT_NE(NULL, d);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, sm_host_notifier(&self->g, d, i, true));
	sm_reports_clear(&self->g);
	memcpy(counts, self->g.sm.counts, sizeof(counts));

	EXPECT_EQ(-ENOSPC, sm_host_notifier(&self->g, d, 8, true));
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(D, d->vqs[8].state);
	EXPECT_EQ(VQNOTIFY_LABEL_A, d->vqs[8].label);
	EXPECT_EQ(8, self->g.sm.used);
	EXPECT_EQ(8, self->host.used);
	EXPECT_EQ(0, memcmp(counts, self->g.sm.counts, sizeof(counts)));
	check_invariants(_metadata, self);
}

TEST_F(sm, c_at_host_cap_preempts_in_the_same_guest)
{
	struct vqn_dev *d, *v;

	sm_host_set_cap(&self->host, 2);
	d = dev_ok(_metadata, &self->g, 2);
	v = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, v);
	sm_reports_clear(&self->g);

	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	REPORT(&d->vqs[1], A, D, P, PREEMPT_VHOST, true);
	REPORT(&v->vqs[0], D, O, C, VHOST, false);
	EXPECT_EQ(2, self->host.used);
	EXPECT_EQ(2, self->g.sm.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, c_preemption_at_host_cap_waits_for_the_host)
{
	struct vqn_dev *d, *v;

	/* The other guest holds one of 3 host slots, this one the rest. */
	sm_host_set_cap(&self->host, 3);
	sm_host_run_work(&self->host);
	open_g2(_metadata, self, 16);
	dev_ok(_metadata, &self->g2, 1);
	d = dev_ok(_metadata, &self->g, 2);
	v = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, v);

	/* vhost preempts q1 for want of a host slot, not of budget... */
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	ASSERT_TRUE(waiting(&d->vqs[1]));
	/* ...so q1 waits for the host, and gets the next free host slot. */
	EXPECT_TRUE(self->g.host_waiting);
	sm_guest_close(&self->g2);
	self->g2_open = false;
	EXPECT_TRUE(self->host.work_pending);
	sm_reports_clear(&self->g);
	sm_host_run_work(&self->host);
	REPORT(&d->vqs[1], D, A, R, PROMOTED, true);
	EXPECT_EQ(3, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, c_at_host_cap_with_nothing_to_preempt_is_enospc)
{
	struct vqn_dev *d;

	sm_host_set_cap(&self->host, 1);
	open_g2(_metadata, self, 16);
	dev_ok(_metadata, &self->g2, 1);
	d = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(-ENOSPC, sm_host_notifier(&self->g, d, 0, true));
	EXPECT_TRUE(vqn_sm_dev_quiescent(d));	/* LOAD may target it */
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(0, self->g.sm.used);
	EXPECT_EQ(1, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, c_on_a_waiting_queue)
{
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 10);
	ASSERT_TRUE(waiting(&d->vqs[8]));
	sm_reports_clear(&self->g);

	/* No slot left: vhost preempts q7 for q8, which stops waiting. */
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 8, true));
	REPORT(&d->vqs[8], D, O, C, VHOST, false);
	REPORT(&d->vqs[7], A, D, P, PREEMPT_VHOST, true);
	EXPECT_FALSE(waiting(&d->vqs[8]));
	EXPECT_TRUE(waiting(&d->vqs[7]));
	EXPECT_TRUE(waiting(&d->vqs[9]));
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, d_assigned_slot_passes_to_vhost)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 2);

	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	REPORT(&d->vqs[0], A, O, D, VHOST, false);
	EXPECT_EQ(0, d->vqs[0].assign_seq);
	EXPECT_EQ(2, self->g.sm.used);
	EXPECT_EQ(1, self->g.sm.nr_assigned);
	EXPECT_EQ(1, self->g.sm.nr_offlimits);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, d_frees_a_user_slot_when_it_fills_the_reserve)
{
	struct vqn_dev *d;

	/* Budget 8, reserve 1: 7 ASSIGNED, q7 waits for the reserve. */
	sm_set_admin_budget(&self->g, 8);
	sm_set_reserve(&self->g, 1);
	d = dev_ok(_metadata, &self->g, 8);
	ASSERT_TRUE(waiting(&d->vqs[7]));
	sm_reports_clear(&self->g);

	/* q0's slot passes to vhost, which now fills the reserve itself. */
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	REPORT(&d->vqs[0], A, O, D, VHOST, false);
	REPORT(&d->vqs[7], D, A, R, PROMOTED, true);
	EXPECT_EQ(8, self->g.sm.used);
	EXPECT_EQ(0, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, e_vhost_off_gives_the_slot_to_userspace)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 2);

	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, false));
	REPORT(&d->vqs[0], O, A, E, VHOST_OFF, false);
	/* A new grant: the newest, first to be preempted. */
	EXPECT_EQ(3, d->vqs[0].assign_seq);
	EXPECT_EQ(2, self->g.sm.used);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, e_not_for_an_uninitialised_queue)
{
	unsigned long ready[SM_BITMAP_LONGS] = { 0x1 };
	struct vqn_dev *d = sm_dev_add(&self->g, 2);

	/* vhost holds q1, which the driver leaves at size 0. */
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 1, true));
	sm_set_status(&self->g, d, OK_STATUS, ready);
	EXPECT_EQ(A, d->vqs[0].state);
	EXPECT_EQ(O, d->vqs[1].state);
	sm_reports_clear(&self->g);

	/* As (b): no ioeventfd for a queue that is not initialised. */
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 1, false));
	REPORT(&d->vqs[1], O, D, F, NOT_READY, false);
	EXPECT_FALSE(waiting(&d->vqs[1]));
	EXPECT_EQ(1, self->g.sm.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, e_disable_when_not_offlimits_is_ealready)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 1);
	struct vqn_dev *n = sm_dev_add(&self->g, 1);

	ASSERT_NE(NULL, n);
	sm_reports_clear(&self->g);
	EXPECT_EQ(-EALREADY, sm_host_notifier(&self->g, d, 0, false));
	EXPECT_EQ(-EALREADY, sm_host_notifier(&self->g, n, 0, false));
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(A, d->vqs[0].state);
	EXPECT_EQ(D, n->vqs[0].state);
	check_invariants(_metadata, self);
}

TEST_F(sm, f_vhost_off_before_driver_ok_frees_the_slot)
{
	struct vqn_dev *d = sm_dev_add(&self->g, 1);

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, false));
	REPORT(&d->vqs[0], O, D, F, VHOST_OFF, false);
	EXPECT_FALSE(waiting(&d->vqs[0]));
	EXPECT_EQ(0, self->g.sm.used);
	EXPECT_EQ(0, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, f_vhost_off_when_limited)
{
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 6);
	d = dev_ok(_metadata, &self->g, 1);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, false));
	REPORT(&d->vqs[0], O, D, F, LIMITED, false);
	EXPECT_TRUE(waiting(&d->vqs[0]));
	EXPECT_EQ(0, self->g.sm.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, f_vhost_off_without_a_user_slot_waits)
{
	struct vqn_dev *d;

	/* Budget 8, reserve 1: userspace may hold 7 while vhost holds none. */
	sm_set_admin_budget(&self->g, 8);
	sm_set_reserve(&self->g, 1);
	d = dev_ok(_metadata, &self->g, 8);
	EXPECT_EQ(7, self->g.sm.nr_assigned);
	ASSERT_TRUE(waiting(&d->vqs[7]));
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 7, true));
	EXPECT_EQ(8, self->g.sm.used);
	sm_reports_clear(&self->g);

	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 7, false));
	REPORT(&d->vqs[7], O, D, F, NO_SLOT, false);
	EXPECT_TRUE(waiting(&d->vqs[7]));
	EXPECT_EQ(7, self->g.sm.used);
	EXPECT_EQ(7, self->host.used);
	check_invariants(_metadata, self);
}

FIXTURE(reset) {
	struct sm_host host;
	struct sm_guest g;
	struct vqn_dev *d;
	struct vqn_dev *other;
	char msg[SM_ERR_LEN];
};

FIXTURE_VARIANT(reset) {
	int how;	/* 0: DEV_RESET, 1: status 0, 2: DEV_REMOVE */
	u8 reason;
};

FIXTURE_VARIANT_ADD(reset, dev_reset) {
	.how = 0,
	.reason = VQNOTIFY_REASON_RESET,
};

FIXTURE_VARIANT_ADD(reset, status_zero) {
	.how = 1,
	.reason = VQNOTIFY_REASON_RESET,
};

FIXTURE_VARIANT_ADD(reset, dev_remove) {
	.how = 2,
	.reason = VQNOTIFY_REASON_REMOVED,
};

/*
 * Budget 8: the device under test holds 6 ASSIGNED, 1 OFFLIMITS and has 1
 * uninitialised queue; two queues of the other device wait.
 */
FIXTURE_SETUP(reset)
{
	unsigned long ready[SM_BITMAP_LONGS] = { 0x7f };

	sm_host_init(&self->host, BIG_CAP);
	ASSERT_EQ(0, sm_guest_open(&self->host, &self->g, 8, 0, 7));
	self->d = sm_dev_add(&self->g, 8);
	ASSERT_NE(NULL, self->d);
	sm_set_status(&self->g, self->d, OK_STATUS, ready);
	ASSERT_EQ(0, sm_host_notifier(&self->g, self->d, 6, true));
	self->other = sm_dev_add(&self->g, 3);
	ASSERT_NE(NULL, self->other);
	sm_set_status(&self->g, self->other, OK_STATUS, NULL);
	ASSERT_EQ(8, self->g.sm.used);
	ASSERT_EQ(2, self->g.sm.nr_waiting);
	sm_reports_clear(&self->g);
}

FIXTURE_TEARDOWN(reset)
{
	EXPECT_EQ(0, sm_check_host(&self->host, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	sm_guest_close(&self->g);
	EXPECT_EQ(0, self->g.errors) TH_LOG("%s", self->g.err);
	EXPECT_EQ(0, self->host.used);
}

/* Reset or remove @d the variant's way; true if @d was freed. */
static bool do_reset(struct _test_data_reset *self,
		     const struct _fixture_variant_reset *variant,
		     struct vqn_dev *d)
{
	switch (variant->how) {
	case 0:
		sm_dev_reset(&self->g, d);
		return false;
	case 1:
		sm_set_status(&self->g, d, 0, NULL);
		return false;
	default:
		sm_dev_remove(&self->g, d);
		return true;
	}
}

TEST_F(reset, g_every_queue_to_deassigned_and_promote)
{
	struct vqn_dev *d = self->d;
	const struct sm_report *r;
	u32 i;

	if (do_reset(self, variant, d)) {
		EXPECT_EQ(NULL, sm_dev_find(&self->g, 1));
		d = NULL;
	}
	/* 6 ASSIGNED and the OFFLIMITS one: (g), as results of the call. */
	EXPECT_EQ(7, sm_reports_count(&self->g, VQNOTIFY_LABEL_G, false));
	for (i = 0; i < self->g.nr_reports; i++) {
		r = &self->g.reports[i];
		if (r->label != VQNOTIFY_LABEL_G)
			continue;
		EXPECT_EQ(1, r->dev_id);
		EXPECT_EQ(r->queue == 6 ? O : A, r->old_state);
		EXPECT_EQ(D, r->new_state);
		EXPECT_EQ(variant->reason, r->reason);
	}
	/* The freed slots go to the other device's waiting queues (r). */
	EXPECT_EQ(2, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	EXPECT_EQ(A, self->other->vqs[1].state);
	EXPECT_EQ(A, self->other->vqs[2].state);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, self->other->vqs[2].reason);
	EXPECT_EQ(0, self->g.sm.nr_waiting);
	EXPECT_EQ(3, self->g.sm.used);
	EXPECT_EQ(3, self->host.used);
	if (d) {
		EXPECT_EQ(0, d->status);
		for (i = 0; i < d->num_queues; i++) {
			EXPECT_EQ(D, d->vqs[i].state);
			EXPECT_EQ(variant->reason, d->vqs[i].reason);
			EXPECT_FALSE(d->vqs[i].flags &
				     (VQNOTIFY_VQ_INITIALISED |
				      VQNOTIFY_VQ_WAITING));
		}
	}
	ASSERT_EQ(0, sm_check_host(&self->host, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

TEST_F(reset, g_the_device_s_queues_stop_waiting)
{
	struct vqn_dev *o = self->other;

	if (!do_reset(self, variant, o)) {
		EXPECT_FALSE(waiting(&o->vqs[1]));
		EXPECT_FALSE(waiting(&o->vqs[2]));
		EXPECT_EQ(variant->reason, o->vqs[2].reason);
	}
	EXPECT_EQ(1, sm_reports_count(&self->g, VQNOTIFY_LABEL_G, false));
	EXPECT_EQ(0, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	EXPECT_EQ(0, self->g.sm.nr_waiting);
	EXPECT_EQ(7, self->g.sm.used);
	ASSERT_EQ(0, sm_check_host(&self->host, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

TEST_F(sm, p_lowering_the_own_budget_preempts_newest_first)
{
	struct vqn_dev *d;

	sm_set_threshold(&self->g, 1);
	d = dev_ok(_metadata, &self->g, 8);
	sm_reports_clear(&self->g);

	sm_set_own_budget(&self->g, 5);
	EXPECT_EQ(5, vqn_sm_budget(&self->g.sm));
	EXPECT_EQ(3, self->g.nr_reports);
	EXPECT_EQ(d->vqs + 7, self->g.reports[0].vq);
	EXPECT_EQ(d->vqs + 6, self->g.reports[1].vq);
	EXPECT_EQ(d->vqs + 5, self->g.reports[2].vq);
	REPORT(&d->vqs[7], A, D, P, PREEMPT_BUDGET, true);
	REPORT(&d->vqs[5], A, D, P, PREEMPT_BUDGET, true);
	EXPECT_TRUE(waiting(&d->vqs[5]));
	EXPECT_EQ(5, self->g.sm.used);
	EXPECT_EQ(5, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, p_lowering_the_admin_budget_preempts)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 10);

	sm_reports_clear(&self->g);
	sm_set_admin_budget(&self->g, 8);
	EXPECT_EQ(2, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	EXPECT_EQ(D, d->vqs[9].state);
	EXPECT_EQ(D, d->vqs[8].state);
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, p_budget_is_the_smaller_of_admin_and_own)
{
	struct vqn_guest_sm *sm = &self->g.sm;

	EXPECT_EQ(16, vqn_sm_budget(sm));
	sm_set_own_budget(&self->g, 10);
	EXPECT_EQ(10, vqn_sm_budget(sm));
	sm_set_own_budget(&self->g, 20);
	EXPECT_EQ(16, vqn_sm_budget(sm));
	sm_set_own_budget(&self->g, 0);		/* no own limit */
	EXPECT_EQ(16, vqn_sm_budget(sm));
	sm_set_admin_budget(&self->g, 4);
	sm_set_own_budget(&self->g, 10);
	EXPECT_EQ(4, vqn_sm_budget(sm));
	EXPECT_TRUE(vqn_sm_limited(sm));
	sm_set_admin_budget(&self->g, 7);
	EXPECT_FALSE(vqn_sm_limited(sm));	/* 7 is not below 7 */
	check_invariants(_metadata, self);
}

TEST_F(sm, p_offlimits_queues_are_never_revoked_by_a_budget)
{
	struct vqn_dev *v = sm_dev_add(&self->g, 8);
	struct vqn_dev *d;
	u32 i;

	ASSERT_NE(NULL, v);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, sm_host_notifier(&self->g, v, i, true));
	d = dev_ok(_metadata, &self->g, 4);
	EXPECT_EQ(12, self->g.sm.used);
	sm_reports_clear(&self->g);

	sm_set_admin_budget(&self->g, 7);
	EXPECT_EQ(4, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	EXPECT_EQ(8, self->g.sm.used);
	EXPECT_EQ(8, self->g.sm.nr_offlimits);
	EXPECT_EQ(0, self->g.sm.nr_assigned);
	EXPECT_GT(self->g.sm.used, vqn_sm_budget(&self->g.sm));
	EXPECT_EQ(4, self->g.sm.nr_waiting);
	EXPECT_EQ(D, d->vqs[0].state);
	check_invariants(_metadata, self);
}

TEST_F(sm, r_promotion_is_fifo)
{
	struct vqn_dev *d, *w;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 8);
	w = dev_ok(_metadata, &self->g, 3);
	EXPECT_EQ(3, self->g.sm.nr_waiting);
	sm_reports_clear(&self->g);

	sm_set_admin_budget(&self->g, 10);
	EXPECT_EQ(2, self->g.nr_reports);
	EXPECT_EQ(w->vqs + 0, self->g.reports[0].vq);
	EXPECT_EQ(w->vqs + 1, self->g.reports[1].vq);
	REPORT(&w->vqs[0], D, A, R, PROMOTED, true);
	REPORT(&w->vqs[1], D, A, R, PROMOTED, true);
	EXPECT_TRUE(waiting(&w->vqs[2]));
	EXPECT_EQ(10, self->g.sm.used);
	check_invariants(_metadata, self);
	(void)d;
}

TEST_F(sm, r_promotion_when_vhost_frees_a_slot)
{
	struct vqn_dev *v, *d;

	sm_set_admin_budget(&self->g, 8);
	v = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	d = dev_ok(_metadata, &self->g, 8);
	ASSERT_TRUE(waiting(&d->vqs[7]));
	sm_reports_clear(&self->g);

	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, false));
	REPORT(&v->vqs[0], O, D, F, VHOST_OFF, false);
	REPORT(&d->vqs[7], D, A, R, PROMOTED, true);
	check_invariants(_metadata, self);
}

TEST_F(sm, s_driver_ok_cleared_stops_userspace_only)
{
	struct vqn_dev *d, *w;
	u32 i;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 4);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	w = dev_ok(_metadata, &self->g, 8);
	EXPECT_EQ(4, self->g.sm.nr_waiting);
	sm_reports_clear(&self->g);

	sm_set_status(&self->g, d, STOP_STATUS, NULL);
	EXPECT_EQ(STOP_STATUS, d->status);
	EXPECT_EQ(NULL, sm_report_find(&self->g, &d->vqs[0], 0));
	EXPECT_EQ(O, d->vqs[0].state);
	for (i = 1; i < 4; i++)
		REPORT(&d->vqs[i], A, D, S, STOPPED, false);
	/* The three freed slots are promoted (r). */
	for (i = 4; i < 7; i++)
		REPORT(&w->vqs[i], D, A, R, PROMOTED, true);
	EXPECT_TRUE(waiting(&w->vqs[7]));
	EXPECT_EQ(8, self->g.sm.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, s_waiting_queues_stop_waiting)
{
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 10);
	ASSERT_EQ(VQNOTIFY_REASON_NO_SLOT, d->vqs[9].reason);
	sm_reports_clear(&self->g);

	sm_set_status(&self->g, d, STOP_STATUS, NULL);
	EXPECT_EQ(8, sm_reports_count(&self->g, VQNOTIFY_LABEL_S, false));
	EXPECT_EQ(NULL, sm_report_find(&self->g, &d->vqs[9], 0));
	EXPECT_FALSE(waiting(&d->vqs[9]));
	/* Not NO_SLOT any more: that would say it waits for a slot. */
	EXPECT_EQ(VQNOTIFY_REASON_STOPPED, d->vqs[8].reason);
	EXPECT_EQ(VQNOTIFY_REASON_STOPPED, d->vqs[9].reason);
	EXPECT_EQ(0, self->g.sm.nr_waiting);
	EXPECT_EQ(0, self->g.sm.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, reserve_is_kept_free_for_vhost)
{
	struct vqn_dev *d, *v;

	sm_set_admin_budget(&self->g, 8);
	sm_set_reserve(&self->g, 2);
	d = dev_ok(_metadata, &self->g, 8);
	EXPECT_EQ(6, self->g.sm.nr_assigned);
	REPORT(&d->vqs[6], D, D, NONE, NO_SLOT, false);
	EXPECT_EQ(2, self->g.sm.nr_waiting);

	/* vhost takes the reserve, without preempting anyone. */
	v = sm_dev_add(&self->g, 3);
	ASSERT_NE(NULL, v);
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 1, true));
	EXPECT_EQ(0, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	EXPECT_EQ(0, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	EXPECT_EQ(8, self->g.sm.used);
	/* The budget is full now: the third one preempts. */
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 2, true));
	EXPECT_EQ(1, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	check_invariants(_metadata, self);
}

TEST_F(sm, reserve_raised_preempts_lowered_promotes)
{
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 8);
	sm_reports_clear(&self->g);
	sm_set_reserve(&self->g, 2);
	EXPECT_EQ(2, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	EXPECT_EQ(6, self->g.sm.used);
	sm_reports_clear(&self->g);
	sm_set_reserve(&self->g, 1);
	EXPECT_EQ(1, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	EXPECT_EQ(7, self->g.sm.used);
	check_invariants(_metadata, self);
	(void)d;
}

TEST_F(sm, reserve_offlimits_counts_against_it)
{
	struct vqn_dev *d, *v;

	/* An OFFLIMITS queue fills the reserve: userspace gets the rest. */
	sm_set_admin_budget(&self->g, 8);
	sm_set_reserve(&self->g, 1);
	v = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	d = dev_ok(_metadata, &self->g, 8);
	EXPECT_EQ(7, self->g.sm.nr_assigned);
	EXPECT_EQ(8, self->g.sm.used);
	EXPECT_TRUE(waiting(&d->vqs[7]));
	check_invariants(_metadata, self);
}

TEST_F(sm, host_cap_promotion_in_guest_order)
{
	struct vqn_dev *d, *d2;

	sm_host_set_cap(&self->host, 4);
	sm_host_run_work(&self->host);
	open_g2(_metadata, self, 16);
	d = dev_ok(_metadata, &self->g, 6);
	d2 = dev_ok(_metadata, &self->g2, 2);
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	EXPECT_EQ(2, self->g2.sm.nr_waiting);
	EXPECT_EQ(2, self->host.waiters);
	check_invariants(_metadata, self);

	/* One more slot: the first guest takes it and blocks the walk. */
	sm_host_set_cap(&self->host, 5);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_EQ(A, d->vqs[4].state);
	EXPECT_EQ(D, d->vqs[5].state);
	EXPECT_EQ(0, self->g2.sm.nr_assigned);
	check_invariants(_metadata, self);

	sm_host_set_cap(&self->host, 100);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_EQ(A, d->vqs[5].state);
	EXPECT_EQ(A, d2->vqs[1].state);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, d2->vqs[1].reason);
	EXPECT_EQ(0, self->host.waiters);
	EXPECT_EQ(8, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, host_slot_freed_by_another_guest)
{
	struct vqn_dev *d;

	sm_host_set_cap(&self->host, 3);
	sm_host_run_work(&self->host);
	open_g2(_metadata, self, 16);
	dev_ok(_metadata, &self->g2, 2);
	d = dev_ok(_metadata, &self->g, 2);
	EXPECT_TRUE(waiting(&d->vqs[1]));
	EXPECT_FALSE(self->host.work_pending);

	sm_guest_close(&self->g2);
	self->g2_open = false;
	EXPECT_EQ(1, self->host.used);
	EXPECT_TRUE(self->host.work_pending);
	check_invariants(_metadata, self);
	sm_reports_clear(&self->g);
	sm_host_run_work(&self->host);
	REPORT(&d->vqs[1], D, A, R, PROMOTED, true);
	EXPECT_FALSE(self->g.host_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, host_cap_lowered_revokes_nothing)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 4);
	struct vqn_dev *e;

	sm_host_set_cap(&self->host, 2);
	sm_host_run_work(&self->host);
	EXPECT_EQ(4, self->host.used);
	EXPECT_EQ(4, self->g.sm.nr_assigned);
	e = dev_ok(_metadata, &self->g, 1);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, e->vqs[0].reason);
	EXPECT_TRUE(waiting(&e->vqs[0]));
	check_invariants(_metadata, self);
	(void)d;
}

TEST_F(sm, limited_vhost_gets_slots_userspace_never)
{
	struct vqn_dev *d, *v;
	u32 i;

	/* The seed's case: 6 slots, below the many-ioeventfds threshold. */
	sm_set_admin_budget(&self->g, 6);
	d = dev_ok(_metadata, &self->g, 4);
	EXPECT_EQ(0, self->g.sm.used);
	v = sm_dev_add(&self->g, 4);
	ASSERT_NE(NULL, v);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, sm_host_notifier(&self->g, d, i, true));
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 1, true));
	EXPECT_EQ(6, self->g.sm.nr_offlimits);
	EXPECT_EQ(-ENOSPC, sm_host_notifier(&self->g, v, 2, true));
	sm_reports_clear(&self->g);

	/* vhost gives one back: no userspace queue takes it; it waits. */
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, false));
	REPORT(&d->vqs[0], O, D, F, LIMITED, false);
	EXPECT_EQ(1, self->g.nr_reports);
	EXPECT_EQ(0, self->g.sm.nr_assigned);
	EXPECT_EQ(1, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, limited_by_a_lowered_budget_preempts_everything)
{
	static const u32 order[] = { 8, 9, 7, 6, 5, 4, 3 };
	struct vqn_dev *d;
	u32 i;

	sm_set_admin_budget(&self->g, 8);
	d = dev_ok(_metadata, &self->g, 10);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);

	sm_set_own_budget(&self->g, 6);
	EXPECT_TRUE(vqn_sm_limited(&self->g.sm));
	EXPECT_EQ(7, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	for (i = 1; i < 8; i++) {
		EXPECT_EQ(D, d->vqs[i].state);
		EXPECT_EQ(VQNOTIFY_REASON_PREEMPT_BUDGET, d->vqs[i].reason);
		EXPECT_TRUE(waiting(&d->vqs[i]));
	}
	/* Queues that waited for a slot go on waiting. */
	EXPECT_TRUE(waiting(&d->vqs[8]));
	EXPECT_TRUE(waiting(&d->vqs[9]));
	EXPECT_EQ(O, d->vqs[0].state);
	EXPECT_EQ(1, self->g.sm.used);
	EXPECT_EQ(9, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);

	/* Budget back: promotion (r) in FIFO order up to the budget. */
	sm_reports_clear(&self->g);
	sm_set_own_budget(&self->g, 8);
	EXPECT_EQ(7, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	for (i = 0; i < ARRAY_SIZE(order); i++)
		EXPECT_EQ(A, d->vqs[order[i]].state);
	EXPECT_TRUE(waiting(&d->vqs[2]));
	EXPECT_TRUE(waiting(&d->vqs[1]));
	EXPECT_EQ(8, self->g.sm.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, limited_by_a_raised_threshold)
{
	dev_ok(_metadata, &self->g, 3);
	sm_reports_clear(&self->g);
	sm_set_threshold(&self->g, 17);
	EXPECT_TRUE(vqn_sm_limited(&self->g.sm));
	EXPECT_EQ(3, sm_reports_count(&self->g, VQNOTIFY_LABEL_P, true));
	EXPECT_EQ(0, self->g.sm.used);
	EXPECT_EQ(0, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, load_with_driver_ok)
{
	unsigned long ready[SM_BITMAP_LONGS] = { 0xe };	/* 1, 2, 3 */
	unsigned long vhost[SM_BITMAP_LONGS] = { 0x2 };	/* 1 */
	struct vqn_dev *d = sm_dev_add(&self->g, 4);

	ASSERT_NE(NULL, d);
	sm_load(&self->g, d, OK_STATUS, ready, vhost);
	EXPECT_FALSE(vqn_sm_dev_quiescent(d));
	EXPECT_EQ(OK_STATUS, d->status);
	REPORT(&d->vqs[0], D, D, NONE, NOT_READY, false);
	/* vhost's queue wants a slot like any other (API 2)... */
	REPORT(&d->vqs[1], D, A, B, GRANTED, false);
	REPORT(&d->vqs[2], D, A, B, GRANTED, false);
	REPORT(&d->vqs[3], D, A, B, GRANTED, false);
	check_invariants(_metadata, self);

	/* ...and vhost on the destination takes it from ASSIGNED (d). */
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 1, true));
	REPORT(&d->vqs[1], A, O, D, VHOST, false);
	check_invariants(_metadata, self);
}

/*
 * A destination without vhost: vhost's queue keeps working with a slot
 * instead of trapping until the next reset; one vhost held uninitialised
 * wants none.
 */
TEST_F(sm, load_vhost_queue_without_vhost)
{
	unsigned long ready[SM_BITMAP_LONGS] = { 0x1 };
	unsigned long vhost[SM_BITMAP_LONGS] = { 0x3 };
	struct vqn_dev *d = sm_dev_add(&self->g, 2);

	ASSERT_NE(NULL, d);
	sm_load(&self->g, d, OK_STATUS, ready, vhost);
	REPORT(&d->vqs[0], D, A, B, GRANTED, false);
	REPORT(&d->vqs[1], D, D, NONE, NOT_READY, false);
	check_invariants(_metadata, self);
}

TEST_F(sm, load_without_driver_ok)
{
	unsigned long ready[SM_BITMAP_LONGS] = { 0x3 };
	unsigned long vhost[SM_BITMAP_LONGS] = { 0x1 };
	struct vqn_dev *d = sm_dev_add(&self->g, 3);

	ASSERT_NE(NULL, d);
	sm_load(&self->g, d, STOP_STATUS, ready, vhost);
	EXPECT_FALSE(vqn_sm_dev_quiescent(d));
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(0, self->g.sm.used);
	EXPECT_TRUE(d->vqs[0].flags & VQNOTIFY_VQ_INITIALISED);
	EXPECT_FALSE(d->vqs[2].flags & VQNOTIFY_VQ_INITIALISED);
	check_invariants(_metadata, self);
}

TEST_F(sm, load_refusals_wait_like_driver_ok)
{
	unsigned long vhost[SM_BITMAP_LONGS] = { 0 };
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 8);
	dev_ok(_metadata, &self->g, 7);
	d = sm_dev_add(&self->g, 3);
	ASSERT_NE(NULL, d);
	sm_reports_clear(&self->g);
	sm_load(&self->g, d, OK_STATUS, NULL, vhost);
	REPORT(&d->vqs[0], D, A, B, GRANTED, false);
	REPORT(&d->vqs[1], D, D, NONE, NO_SLOT, false);
	EXPECT_EQ(2, self->g.sm.nr_waiting);
	check_invariants(_metadata, self);
}

TEST_F(sm, counts_follow_every_transition)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 3);
	struct vqn_guest_sm *sm = &self->g.sm;

	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));	/* d */
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, false));	/* e */
	sm_set_status(&self->g, d, STOP_STATUS, NULL);		/* s x3 */
	sm_set_status(&self->g, d, 0, NULL);
	EXPECT_EQ(3, sm->counts[VQNOTIFY_LABEL_A]);
	EXPECT_EQ(3, sm->counts[VQNOTIFY_LABEL_B]);
	EXPECT_EQ(1, sm->counts[VQNOTIFY_LABEL_D]);
	EXPECT_EQ(1, sm->counts[VQNOTIFY_LABEL_E]);
	EXPECT_EQ(3, sm->counts[VQNOTIFY_LABEL_S]);
	EXPECT_EQ(0, sm->counts[VQNOTIFY_LABEL_G]);
	EXPECT_EQ(0, sm->counts[VQNOTIFY_LABEL_NONE]);
	check_invariants(_metadata, self);
}

TEST_F(sm, close_releases_every_slot)
{
	struct vqn_dev *d;

	sm_host_set_cap(&self->host, 6);
	open_g2(_metadata, self, 8);
	d = dev_ok(_metadata, &self->g2, 8);
	ASSERT_EQ(0, sm_host_notifier(&self->g2, d, 0, true));
	dev_ok(_metadata, &self->g, 2);
	EXPECT_EQ(6, self->host.used);
	EXPECT_TRUE(self->g.host_waiting);

	sm_guest_close(&self->g2);
	self->g2_open = false;
	EXPECT_EQ(0, self->g2.errors) TH_LOG("%s", self->g2.err);
	EXPECT_EQ(0, self->host.used);
	sm_host_run_work(&self->host);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

/*
 * Per-user accounting (kmod/vqn_user.c): a user at its slot quota has its
 * queues refused with QUOTA; they wait, and hold up no other user.
 */
TEST_F(sm, user_quota_refuses_and_holds_up_no_other_user)
{
	struct vqn_dev *d, *d2;

	sm_host_set_quota(&self->host, 0, 3);
	sm_host_run_work(&self->host);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	d = dev_ok(_metadata, &self->g, 5);
	EXPECT_EQ(3, self->g.sm.nr_assigned);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, d->vqs[3].reason);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, d->vqs[4].reason);
	EXPECT_TRUE(self->g.host_waiting);
	EXPECT_EQ(0, self->host.capped);
	d2 = dev_ok(_metadata, &self->g2, 4);
	EXPECT_EQ(4, self->g2.sm.nr_assigned);
	check_invariants(_metadata, self);

	/* The quota raised: the waiting queues are promoted. */
	sm_host_set_quota(&self->host, 0, 10);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_EQ(A, d->vqs[4].state);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, d->vqs[4].reason);
	EXPECT_EQ(0, self->host.waiters);
	check_invariants(_metadata, self);
	(void)d2;
}

/*
 * Freed host slots go round-robin by user, then by guest: user 0's two
 * waiting guests started first, user 1's one after; of four slots user 1
 * gets two.
 */
TEST_F(sm, freed_slots_round_robin_by_user)
{
	struct sm_guest g3, g4;
	struct vqn_dev *a;

	sm_host_set_cap(&self->host, 8);
	sm_host_run_work(&self->host);
	a = dev_ok(_metadata, &self->g, 4);
	dev_ok(_metadata, &self->g, 4);
	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	ASSERT_EQ(0, sm_guest_open(&self->host, &g4, 16, 0, 7));
	dev_ok(_metadata, &g3, 2);
	dev_ok(_metadata, &g4, 2);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	dev_ok(_metadata, &self->g2, 4);
	EXPECT_EQ(3, self->host.capped);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP,
		  self->g2.sm.waiting.first == VQN_NIL ? 0 :
		  vqn_sm_queue(&self->g2.sm, self->g2.sm.waiting.first)->reason);
	check_invariants(_metadata, self);

	sm_dev_reset(&self->g, a);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_EQ(8, self->host.used);
	EXPECT_EQ(2, self->g2.sm.nr_assigned);
	EXPECT_EQ(1, g3.sm.nr_assigned);
	EXPECT_EQ(1, g4.sm.nr_assigned);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	sm_guest_close(&g4);
	EXPECT_EQ(0, g3.errors + g4.errors);
}

TEST_HARNESS_MAIN
