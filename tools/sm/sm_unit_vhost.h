/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests of vhost's transitions: (c) and (d) when vhost takes a queue's
 * host notifier, (e) and (f) when it gives it back.
 * Included once, by sm_unit.c: the kselftest harness registers the tests of
 * one program, in the order they are included.
 */
#ifndef _SM_UNIT_VHOST_H
#define _SM_UNIT_VHOST_H

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

/*
 * The guest's grant count wraps (uAPI: assign_seq is 0 once then): the
 * grants keep their order, and (p) still takes the newest, numbered 6,
 * not the one numbered 4294967295.
 */
TEST_F(sm, c_preempts_the_newest_across_a_wrap_of_assign_seq)
{
	struct vqn_dev *d, *v;

	sm_set_admin_budget(&self->g, 8);
	self->g.sm.assign_seq = UINT32_MAX - 1;
	d = dev_ok(_metadata, &self->g, 8);
	EXPECT_EQ(UINT32_MAX, d->vqs[0].assign_seq);
	EXPECT_EQ(0, d->vqs[1].assign_seq);
	EXPECT_EQ(6, d->vqs[7].assign_seq);
	check_invariants(_metadata, self);
	v = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, v);
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	REPORT(&d->vqs[7], A, D, P, PREEMPT_VHOST, true);
	REPORT(&v->vqs[0], D, O, C, VHOST, false);
	check_invariants(_metadata, self);
}

/*
 * Half way to the wrap (2^31 grants and more), the queues without a grant
 * (assign_seq 0) are not "beyond" the count.
 */
TEST_F(sm, assign_seq_past_2_31_grants)
{
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 8);
	self->g.sm.assign_seq = 0x90000000;
	d = dev_ok(_metadata, &self->g, 2);
	ASSERT_NE(NULL, sm_dev_add(&self->g, 1));
	EXPECT_EQ(0x90000002, d->vqs[1].assign_seq);
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
	EXPECT_TRUE(self->g.line.waiting);
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

/*
 * A batch with an ASSIGNED queue: (d) keeps that queue's slot, and the
 * batch's DEASSIGNED queue gets the only grant outside it (p), though the
 * budget has no free slot. Budget 2 (threshold 1): q0 and q1 ASSIGNED,
 * q2 refused; the batch is q1 and q2.
 */
TEST_F(sm, c_batch_preempts_outside_itself_when_the_budget_is_full)
{
	unsigned long bm[SM_BITMAP_LONGS] = { 0x6 };
	struct vqn_dev *d;

	sm_set_threshold(&self->g, 1);
	sm_set_admin_budget(&self->g, 2);
	d = dev_ok(_metadata, &self->g, 3);
	ASSERT_EQ(VQNOTIFY_VQ_ASSIGNED, d->vqs[1].state);
	ASSERT_EQ(VQNOTIFY_VQ_DEASSIGNED, d->vqs[2].state);
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_host_notifiers(&self->g, d, bm, true));
	REPORT(&d->vqs[1], A, O, D, VHOST, false);
	REPORT(&d->vqs[0], A, D, P, PREEMPT_VHOST, true);
	REPORT(&d->vqs[2], D, O, C, VHOST, false);
	EXPECT_EQ(3, self->g.nr_reports);
	EXPECT_EQ(2, self->g.sm.used);
	EXPECT_EQ(2, self->g.sm.nr_offlimits);
	check_invariants(_metadata, self);
}

/*
 * A batch that fails takes no host slot, even for a moment: another guest
 * could be refused it meanwhile. Over the guest's budget...
 */
TEST_F(sm, c_batch_over_the_budget_takes_no_host_slot)
{
	unsigned long bm[SM_BITMAP_LONGS] = { 0xf };
	struct vqn_dev *d;

	sm_set_admin_budget(&self->g, 2);
	d = sm_dev_add(&self->g, 4);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(-ENOSPC, sm_host_notifiers(&self->g, d, bm, true));
	EXPECT_EQ(0, self->host.took);
	EXPECT_EQ(0, self->g.nr_reports);
	check_invariants(_metadata, self);
}

/* ...or over the host cap, which another guest holds most of. */
TEST_F(sm, c_batch_over_the_host_cap_takes_no_host_slot)
{
	unsigned long bm[SM_BITMAP_LONGS] = { 0xf };
	struct vqn_dev *d;
	u64 took;

	sm_host_set_cap(&self->host, 3);
	open_g2(_metadata, self, 16);
	dev_ok(_metadata, &self->g2, 1);
	d = sm_dev_add(&self->g, 4);
	ASSERT_NE(NULL, d);
	took = self->host.took;
	EXPECT_EQ(-ENOSPC, sm_host_notifiers(&self->g, d, bm, true));
	EXPECT_EQ(took, self->host.took);
	EXPECT_EQ(1, self->host.used);
	EXPECT_EQ(0, self->g.nr_reports);
	/* Two fit: both take their slot. */
	bm[0] = 0x3;
	EXPECT_EQ(0, sm_host_notifiers(&self->g, d, bm, true));
	EXPECT_EQ(took + 2, self->host.took);
	EXPECT_EQ(3, self->host.used);
	check_invariants(_metadata, self);
}

/* ...or over the user's quota: nothing is charged to it either. */
TEST_F(sm, c_batch_over_the_quota_charges_nothing)
{
	unsigned long bm[SM_BITMAP_LONGS] = { 0xf };
	struct vqn_dev *d;

	sm_host_set_quota(&self->host, 0, 2);
	sm_host_run_work(&self->host);
	d = sm_dev_add(&self->g, 4);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(-ENOSPC, sm_host_notifiers(&self->g, d, bm, true));
	EXPECT_EQ(0, self->host.users[0].charged);
	EXPECT_EQ(0, self->host.took);
	EXPECT_EQ(0, self->g.nr_reports);
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

/*
 * vhost gives back a batch: whether a queue keeps its slot (e) is decided
 * as if the batch's queues after it freed theirs, so its result is final.
 * Budget 3 (threshold 2), reserve 1, vhost holds all 8 queues, 3 of them
 * initialised:
 * queues 3 and 4 keep a slot each (2 held, 1 reserved), queue 5 waits.
 * Decided on the slots the later queues held yet, 3, 4 and 5 were refused
 * (f) and 3 and 4 then promoted (r) at the call's end, after their results
 * said DEASSIGNED.
 */
TEST_F(sm, e_vhost_batch_off_decides_on_what_the_batch_frees)
{
	unsigned long all[SM_BITMAP_LONGS] = { 0xff };
	unsigned long ready[SM_BITMAP_LONGS] = { 0x38 };
	struct vqn_dev *d;
	u32 i;

	sm_set_threshold(&self->g, 2);
	sm_set_admin_budget(&self->g, 8);
	sm_set_reserve(&self->g, 1);
	d = sm_dev_add(&self->g, 8);
	ASSERT_NE(NULL, d);
	sm_set_status(&self->g, d, OK_STATUS, ready);
	ASSERT_EQ(0, sm_host_notifiers(&self->g, d, all, true));
	EXPECT_EQ(8, self->g.sm.nr_offlimits);
	sm_set_own_budget(&self->g, 3);
	sm_reports_clear(&self->g);

	ASSERT_EQ(0, sm_host_notifiers(&self->g, d, all, false));
	REPORT(&d->vqs[3], O, A, E, VHOST_OFF, false);
	REPORT(&d->vqs[4], O, A, E, VHOST_OFF, false);
	REPORT(&d->vqs[5], O, D, F, NO_SLOT, false);
	EXPECT_TRUE(waiting(&d->vqs[5]));
	for (i = 0; i < 8; i++)
		if (i < 3 || i > 5)
			REPORT(&d->vqs[i], O, D, F, NOT_READY, false);
	EXPECT_EQ(0, sm_reports_count(&self->g, VQNOTIFY_LABEL_R, true));
	EXPECT_EQ(2, self->g.sm.used);
	check_invariants(_metadata, self);
}

/*
 * (x) takes a vhost queue only when KVM refused its ioeventfd: the slot
 * goes back, and vhost giving the queue back later changes nothing; taking
 * it again is (c).
 */
TEST_F(sm, x_kvm_refused_releases_a_vhost_queue)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 2);
	unsigned long bm[SM_BITMAP_LONGS] = { 0x1 };

	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);
	ASSERT_EQ(0, sm_queues_release(&self->g, d, bm,
				       VQNOTIFY_REASON_KVM_REFUSED, false));
	REPORT(&d->vqs[0], O, D, X, KVM_REFUSED, false);
	EXPECT_EQ(1, self->g.sm.used);
	EXPECT_EQ(0, self->g.sm.nr_offlimits);
	EXPECT_EQ(1, self->host.used);
	EXPECT_FALSE(waiting(&d->vqs[0]));
	sm_reports_clear(&self->g);
	EXPECT_EQ(-EALREADY, sm_host_notifier(&self->g, d, 0, false));
	EXPECT_EQ(0, sm_host_notifiers(&self->g, d, bm, false));
	EXPECT_EQ(0, self->g.nr_reports);
	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	REPORT(&d->vqs[0], D, O, C, VHOST, false);
	EXPECT_EQ(2, self->g.sm.used);
	check_invariants(_metadata, self);
}

/* A release for another reason, or with a reset, leaves vhost's queues. */
TEST_F(sm, x_vhost_queue_is_busy_otherwise)
{
	struct vqn_dev *d = dev_ok(_metadata, &self->g, 2);
	unsigned long bm[SM_BITMAP_LONGS] = { 0x3 };

	ASSERT_EQ(0, sm_host_notifier(&self->g, d, 0, true));
	sm_reports_clear(&self->g);
	EXPECT_EQ(-EBUSY, sm_queues_release(&self->g, d, bm,
					    VQNOTIFY_REASON_RELEASED, false));
	EXPECT_EQ(-EBUSY, sm_queues_release(&self->g, d, bm,
					    VQNOTIFY_REASON_KVM_REFUSED,
					    true));
	EXPECT_EQ(0, self->g.nr_reports);
	EXPECT_EQ(O, d->vqs[0].state);
	EXPECT_EQ(A, d->vqs[1].state);
	EXPECT_EQ(2, self->g.sm.used);
	check_invariants(_metadata, self);
}

#endif /* _SM_UNIT_VHOST_H */
