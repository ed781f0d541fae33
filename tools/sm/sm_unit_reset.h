/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests of (g) reset and remove, (p) preemption by a lowered budget,
 * (r) promotion and (s) DRIVER_OK cleared.
 * Included once, by sm_unit.c: the kselftest harness registers the tests of
 * one program, in the order they are included.
 */
#ifndef _SM_UNIT_RESET_H
#define _SM_UNIT_RESET_H

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

/*
 * A queue acquired before DRIVER_OK (q: a dataplane's after a bus-master
 * clear) and preempted, by a budget cut or by vhost, waits for promotion
 * as any preempted queue does: once the slot is free, (r). It did not
 * wait, and stayed DEASSIGNED while its VMM waited for (r).
 */
TEST_F(sm, p_a_queue_acquired_before_driver_ok_waits_too)
{
	unsigned long both[SM_BITMAP_LONGS] = { 0x3 };
	struct vqn_dev *d, *v;

	sm_set_threshold(&self->g, 1);
	d = sm_dev_add(&self->g, 2);
	ASSERT_NE(NULL, d);
	sm_set_status(&self->g, d, STOP_STATUS, NULL);
	EXPECT_EQ(0, sm_queues_acquire(&self->g, d, both));
	EXPECT_EQ(A, d->vqs[1].state);
	sm_reports_clear(&self->g);

	sm_set_own_budget(&self->g, 1);
	REPORT(&d->vqs[1], A, D, P, PREEMPT_BUDGET, true);
	EXPECT_TRUE(waiting(&d->vqs[1]));
	sm_set_own_budget(&self->g, 0);
	sm_host_run_work(&self->host);
	EXPECT_EQ(A, d->vqs[1].state);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, d->vqs[1].reason);
	check_invariants(_metadata, self);

	/* vhost takes the slot of the budget's last queue, then gives it. */
	sm_set_own_budget(&self->g, 2);
	v = sm_dev_add(&self->g, 1);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0, sm_host_notifier(&self->g, v, 0, true));
	EXPECT_EQ(D, d->vqs[1].state);
	EXPECT_TRUE(waiting(&d->vqs[1]));
	EXPECT_EQ(0, sm_host_notifier(&self->g, v, 0, false));
	sm_host_run_work(&self->host);
	EXPECT_EQ(A, d->vqs[1].state);
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

/*
 * A slot the host freed before the promotion work ran: the guest's next
 * call promotes its waiting queue (r) first, then grants its own queues.
 * Each queue is told once, so a listener that takes the calls' results
 * and events in order ends where the queues are.
 */
static struct vqn_dev *waits_for_a_freed_slot(struct __test_metadata *_metadata,
					      struct _test_data_sm *self)
{
	unsigned long q0[SM_BITMAP_LONGS] = { 0x1 }, q1[SM_BITMAP_LONGS] = { 0x2 };
	struct vqn_dev *d;

	sm_host_set_cap(&self->host, 1);
	sm_host_run_work(&self->host);
	d = sm_dev_add(&self->g, 4);
	ASSERT_NE(NULL, d);
	sm_set_status(&self->g, d, STOP_STATUS, NULL);
	EXPECT_EQ(0, sm_queues_acquire(&self->g, d, q0));
	EXPECT_EQ(0, sm_queues_acquire(&self->g, d, q1));
	EXPECT_TRUE(waiting(&d->vqs[1]));
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, d->vqs[1].reason);
	sm_host_set_cap(&self->host, 4);
	EXPECT_TRUE(self->host.work_pending);
	sm_reports_clear(&self->g);
	return d;
}

TEST_F(sm, r_the_line_first_then_the_call_s_queues_acquired)
{
	unsigned long q2[SM_BITMAP_LONGS] = { 0x4 };
	struct vqn_dev *d = waits_for_a_freed_slot(_metadata, self);

	EXPECT_EQ(0, sm_queues_acquire(&self->g, d, q2));
	EXPECT_EQ(2, self->g.nr_reports);
	EXPECT_EQ(d->vqs + 1, self->g.reports[0].vq);
	REPORT(&d->vqs[1], D, A, R, PROMOTED, true);
	REPORT(&d->vqs[2], D, A, Q, GRANTED, false);
	EXPECT_EQ(3, self->host.used);
	check_invariants(_metadata, self);
}

TEST_F(sm, r_the_line_first_then_the_call_s_queues_at_driver_ok)
{
	struct vqn_dev *d = waits_for_a_freed_slot(_metadata, self);

	sm_set_status(&self->g, d, OK_STATUS, NULL);
	EXPECT_EQ(3, self->g.nr_reports);
	EXPECT_EQ(d->vqs + 1, self->g.reports[0].vq);
	REPORT(&d->vqs[1], D, A, R, PROMOTED, true);
	REPORT(&d->vqs[2], D, A, B, GRANTED, false);
	REPORT(&d->vqs[3], D, A, B, GRANTED, false);
	EXPECT_EQ(4, self->host.used);
	check_invariants(_metadata, self);
}

/*
 * The line's reason is what the call's promotion found now: the quota
 * filled since the oldest queue waited for the cap. The batch waits for
 * the quota too, and the guest is not counted as waiting for the cap,
 * which would refuse other users while the host has room.
 */
TEST_F(sm, r_the_batch_waits_for_what_the_promotion_found)
{
	struct vqn_dev *d, *e;

	sm_host_set_cap(&self->host, 1);
	sm_host_run_work(&self->host);
	d = dev_ok(_metadata, &self->g, 2);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, d->vqs[1].reason);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, self->g.line.wait_reason);
	sm_host_set_cap(&self->host, 10);
	sm_host_set_quota(&self->host, self->g.user, 1);

	e = dev_ok(_metadata, &self->g, 1);
	EXPECT_TRUE(waiting(&e->vqs[0]));
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, e->vqs[0].reason);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, self->g.line.wait_reason);
	EXPECT_EQ(0, self->host.line.nr_capped);
	check_invariants(_metadata, self);
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

#endif /* _SM_UNIT_RESET_H */
