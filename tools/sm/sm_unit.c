// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the vqnotify state machine (kmod/vqn_sm.c), built in
 * userspace against tools/sm/sm_env.c: every transition (a)-(g), (p), (q),
 * (r), (s), (x), budgets, the vhost reserve, the host cap and limited mode. Every
 * test ends with the invariant checks the fuzzer runs after each step.
 *
 * One program in four files: this one has the oracle's own test, (a) and
 * (b); sm_unit_vhost.h (c)-(f); sm_unit_reset.h (g), (p), (r), (s);
 * sm_unit_limits.h the limits. sm_unit.h has the fixture and helpers.
 */
#include "sm_unit.h"

TEST(edges_of_the_diagram)
{
	unsigned int e, old, new, label, async, n = 0;

	/* Every (old, new, label, async) combination, 3 * 3 * 13 * 2. */
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
	EXPECT_FALSE(self->g.line.waiting);
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
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(1, self->host.line.nr_waiting);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

/*
 * FIFO within the guest: the slot the host freed for the guest's waiting
 * queue, before the promotion work ran, goes to that queue (r), not to a
 * newer DRIVER_OK of the same guest, which waits behind it.
 */
TEST_F(sm, b_waits_behind_the_guests_waiting_queues)
{
	struct vqn_dev *d, *e;

	sm_host_set_cap(&self->host, 2);
	sm_host_run_work(&self->host);
	d = dev_ok(_metadata, &self->g, 3);
	EXPECT_TRUE(waiting(&d->vqs[2]));
	sm_reports_clear(&self->g);
	sm_host_set_cap(&self->host, 3);	/* the work has not run */
	e = dev_ok(_metadata, &self->g, 1);
	REPORT(&e->vqs[0], D, D, NONE, HOST_CAP, false);
	REPORT(&d->vqs[2], D, A, R, PROMOTED, true);
	EXPECT_TRUE(waiting(&e->vqs[0]));
	EXPECT_EQ(1, self->g.sm.nr_waiting);
	EXPECT_EQ(3, self->host.used);
	check_invariants(_metadata, self);
}

#include "sm_unit_vhost.h"
#include "sm_unit_reset.h"
#include "sm_unit_limits.h"

TEST_HARNESS_MAIN
