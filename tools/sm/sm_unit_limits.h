/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests of the limits: the vhost reserve, the host cap, limited mode,
 * LOAD, the counters, close, and the per-user quota and round robin.
 * Included once, by sm_unit.c: the kselftest harness registers the tests of
 * one program, in the order they are included.
 */
#ifndef _SM_UNIT_LIMITS_H
#define _SM_UNIT_LIMITS_H

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
	EXPECT_EQ(2, self->host.line.nr_waiting);
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
	EXPECT_EQ(0, self->host.line.nr_waiting);
	EXPECT_EQ(8, self->host.used);
	check_invariants(_metadata, self);
}

/*
 * A guest waiting for the host cap whose own call leaves it waiting for
 * nothing leaves the line in that call: its queue released, or promoted
 * by the call itself. Another user's DRIVER_OK on a host with room is then
 * granted in the call, the promotion work not run. Left in line (the work
 * not come round to it: its tenant keeps its lock busy), it held every
 * other user's call to HOST_CAP.
 */
TEST_F(sm, a_guest_waiting_for_nothing_leaves_the_line)
{
	unsigned long q1[SM_BITMAP_LONGS] = { 0x2 };
	struct vqn_dev *d, *d2;

	sm_host_set_cap(&self->host, 1);
	sm_host_run_work(&self->host);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	d = dev_ok(_metadata, &self->g, 2);
	ASSERT_TRUE(waiting(&d->vqs[1]));
	EXPECT_EQ(1, self->host.line.nr_capped);

	ASSERT_EQ(0, sm_queues_release(&self->g, d, q1,
				       VQNOTIFY_REASON_RELEASED, false));
	EXPECT_FALSE(self->g.line.waiting);
	EXPECT_EQ(0, self->host.line.nr_capped);
	check_invariants(_metadata, self);

	/* Waiting again; the cap raised, its own call promotes it. */
	ASSERT_EQ(0, sm_queues_acquire(&self->g, d, q1));
	ASSERT_TRUE(waiting(&d->vqs[1]));
	EXPECT_TRUE(self->g.line.waiting);
	sm_host_set_cap(&self->host, 2);
	sm_set_own_budget(&self->g, 16);
	EXPECT_EQ(A, d->vqs[1].state);
	EXPECT_FALSE(self->g.line.waiting);
	EXPECT_EQ(0, self->host.line.nr_capped);
	check_invariants(_metadata, self);

	/* Room on the host, no work run: granted in the call. */
	sm_host_set_cap(&self->host, 4);
	d2 = dev_ok(_metadata, &self->g2, 2);
	EXPECT_EQ(A, d2->vqs[0].state);
	EXPECT_EQ(A, d2->vqs[1].state);
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
	EXPECT_FALSE(self->g.line.waiting);
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
	EXPECT_TRUE(self->g.line.waiting);

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
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(0, self->host.line.nr_capped);
	d2 = dev_ok(_metadata, &self->g2, 4);
	EXPECT_EQ(4, self->g2.sm.nr_assigned);
	check_invariants(_metadata, self);

	/* The quota raised: the waiting queues are promoted. */
	sm_host_set_quota(&self->host, 0, 10);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_EQ(A, d->vqs[4].state);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, d->vqs[4].reason);
	EXPECT_EQ(0, self->host.line.nr_waiting);
	check_invariants(_metadata, self);
	(void)d2;
}

/*
 * A user served up to its quota by the promotion work, its guest still
 * waiting for more, waits for its quota: it holds up no other user. Its
 * guest was counted as waiting for the host cap, and every other user's
 * slot was refused HOST_CAP on a host with free slots (vhost's ENOSPC).
 */
TEST_F(sm, user_served_to_its_quota_holds_up_no_other_user)
{
	unsigned long q0[SM_BITMAP_LONGS] = { 0x1 };
	struct vqn_dev *full, *k, *kv;
	struct sm_guest g3;

	sm_host_set_cap(&self->host, 10);
	sm_host_set_quota(&self->host, 0, 6);
	sm_host_run_work(&self->host);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	full = dev_ok(_metadata, &self->g2, 10);
	dev_ok(_metadata, &self->g, 8);
	EXPECT_EQ(0, self->g.sm.nr_assigned);
	EXPECT_EQ(1, self->host.line.nr_capped);

	/* Freed: user 0 is served its 6, and its guest waits for 2 more. */
	sm_dev_reset(&self->g2, full);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(6, self->g.sm.nr_assigned);
	EXPECT_EQ(6, self->host.used);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(0, self->host.line.nr_capped);
	check_invariants(_metadata, self);

	/* Another user takes the free slots at once, vhost's included. */
	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	g3.user = 2;
	k = dev_ok(_metadata, &g3, 2);
	EXPECT_EQ(A, k->vqs[1].state);
	EXPECT_EQ(VQNOTIFY_REASON_GRANTED, k->vqs[1].reason);
	kv = sm_dev_add(&g3, 1);
	ASSERT_NE(NULL, kv);
	EXPECT_EQ(0, sm_host_notifiers(&g3, kv, q0, true));
	EXPECT_EQ(O, kv->vqs[0].state);
	EXPECT_EQ(9, self->host.used);
	check_invariants(_metadata, self);

	/* The quota raised: user 0 waits for the cap again, and is served. */
	sm_host_set_quota(&self->host, 0, 10);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(7, self->g.sm.nr_assigned);
	EXPECT_EQ(1, self->host.line.nr_capped);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	EXPECT_EQ(0, g3.errors) TH_LOG("%s", g3.err);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(8, self->g.sm.nr_assigned);
	EXPECT_FALSE(self->g.line.waiting);
	EXPECT_EQ(0, self->host.line.nr_capped);
	check_invariants(_metadata, self);
}

/*
 * A host of @cap slots; user 0's quota 1: its guest's device of 2 queues
 * has one assigned, one waiting for the quota.
 */
static struct vqn_dev *quota_1_waits(struct __test_metadata *_metadata,
				     struct _test_data_sm *self, u32 cap)
{
	struct vqn_dev *n;

	sm_host_set_cap(&self->host, cap);
	sm_host_set_quota(&self->host, 0, 1);
	sm_host_run_work(&self->host);
	n = dev_ok(_metadata, &self->g, 2);
	EXPECT_EQ(A, n->vqs[0].state);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, n->vqs[1].reason);
	return n;
}

/*
 * A guest exempt from its user's quota (opened with CAP_SYS_RESOURCE) is
 * counted but never refused for it: it does not wait behind a guest of
 * its user that waits for the quota, and the promotion work serves it
 * although that guest is first in its user's line.
 */
TEST_F(sm, quota_exempt_guest_waits_behind_no_quota)
{
	struct vqn_dev *n, *e;
	struct sm_guest g3;

	n = quota_1_waits(_metadata, self, 3);
	EXPECT_TRUE(self->g.line.waiting);

	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	g3.line.exempt = true;
	e = dev_ok(_metadata, &g3, 3);
	EXPECT_EQ(A, e->vqs[0].state);
	EXPECT_EQ(A, e->vqs[1].state);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, e->vqs[2].reason);
	EXPECT_EQ(3, self->host.users[0].used);
	check_invariants(_metadata, self);

	/* Behind its user's guest in the line, it is served all the same. */
	sm_host_set_cap(&self->host, 4);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(A, e->vqs[2].state);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, e->vqs[2].reason);
	EXPECT_EQ(D, n->vqs[1].state);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	EXPECT_EQ(0, g3.errors) TH_LOG("%s", g3.err);
}

/*
 * After a turn the cap refused: user 0 back at the head of the host's
 * line, the invariants, and @g3 closed.
 */
static void cap_refused_end(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sm) *self, struct sm_guest *g3)
{
	EXPECT_EQ(&self->host.users[0].line,
		  list_first_entry(&self->host.line.users,
				   struct vqn_line_user, node));
	check_invariants(_metadata, self);
	sm_guest_close(g3);
	EXPECT_EQ(0, g3->errors) TH_LOG("%s", g3->err);
}

/* In exempt_refused_from_behind_keeps_its_place: the host filled. */
static bool fill_host(struct sm_host *h, struct sm_guest *g,
		      enum sm_work_moment when, void *arg)
{
	if (when == SM_WORK_TAKEN)
		sm_host_set_cap(h, h->used);
	return false;
}

/*
 * The exempt guest the work picks from behind its user's guest waiting
 * for the quota, its turn refused by the cap (filled after the pick):
 * it waits where it was, behind that guest, and its user goes back to
 * the head of the host's line. The fuzzer's oracle allows this; its runs
 * seldom reach it.
 */
TEST_F(sm, exempt_refused_from_behind_keeps_its_place)
{
	struct vqn_dev *n, *e;
	struct sm_guest g3;

	n = quota_1_waits(_metadata, self, 3);
	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	g3.line.exempt = true;
	e = dev_ok(_metadata, &g3, 3);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, e->vqs[2].reason);
	EXPECT_EQ(&self->g.line,
		  list_first_entry(&self->host.users[0].line.waitq,
				   struct vqn_line_guest, node));

	sm_host_set_cap(&self->host, 4);
	EXPECT_TRUE(sm_host_run_work_between(&self->host, fill_host, NULL));
	EXPECT_EQ(D, e->vqs[2].state);
	EXPECT_EQ(D, n->vqs[1].state);
	EXPECT_TRUE(g3.line.waiting);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, g3.line.wait_reason);
	EXPECT_EQ(&self->g.line,
		  list_first_entry(&self->host.users[0].line.waitq,
				   struct vqn_line_guest, node));
	EXPECT_EQ(&g3.line, list_last_entry(&self->host.users[0].line.waitq,
					    struct vqn_line_guest, node));
	cap_refused_end(_metadata, self, &g3);
}

/*
 * A user whose quota is full is passed over at the cost of one look at its
 * line, however many of its guests wait: a tenant filling its quota and
 * lining up guests does not make every promotion walk them. With an exempt
 * guest in its line, the walk finds that one.
 */
TEST_F(sm, full_quota_user_passed_over_in_one_look)
{
	struct sm_guest more[SM_MAX_GUESTS - 1];
	unsigned int i, n = 0;

	sm_host_set_cap(&self->host, 64);
	sm_host_set_quota(&self->host, 0, 1);
	sm_host_run_work(&self->host);
	dev_ok(_metadata, &self->g, 2);
	EXPECT_TRUE(self->g.line.waiting);
	for (i = 0; i < SM_MAX_GUESTS - 1; i++) {
		if (sm_guest_open(&self->host, &more[i], 16, 0, 7))
			break;
		dev_ok(_metadata, &more[i], 1);
		EXPECT_TRUE(more[i].line.waiting);
		n++;
	}
	ASSERT_LE(4, n);
	EXPECT_EQ(n + 1, self->host.users[0].line.nr_waiting);
	check_invariants(_metadata, self);

	self->host.room_asked = 0;
	sm_host_set_cap(&self->host, 65);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_EQ(1, self->host.room_asked);
	EXPECT_EQ(n + 1, self->host.users[0].line.nr_waiting);
	EXPECT_TRUE(self->host.users[0].line.no_room);

	/* The last guest in line, exempt, is found and served. */
	for (i = 0; i < n; i++)
		sm_guest_close(&more[i]);
	ASSERT_EQ(0, sm_guest_open(&self->host, &more[0], 16, 0, 7));
	more[0].line.exempt = true;
	sm_host_set_cap(&self->host, 1);
	dev_ok(_metadata, &more[0], 1);
	EXPECT_EQ(1, self->host.users[0].line.nr_exempt);
	sm_host_set_cap(&self->host, 2);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_FALSE(more[0].line.waiting);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(0, self->host.users[0].line.nr_exempt);
	check_invariants(_metadata, self);
	sm_guest_close(&more[0]);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, more[i].errors) TH_LOG("%s", more[i].err);
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
	EXPECT_EQ(3, self->host.line.nr_capped);
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

/* What sm_host_run_work_between() meets in picked_guest_closes_unserved. */
struct close_picked {
	struct sm_guest *g;
	bool busy;
	unsigned int picks;
	unsigned int turns;
};

static bool close_picked(struct sm_host *h, struct sm_guest *g,
			 enum sm_work_moment when, void *arg)
{
	struct close_picked *c = arg;

	if (when != SM_WORK_PICKED) {
		c->turns += when == SM_WORK_SERVED;
		return false;
	}
	c->picks++;
	if (g == c->g && !g->gone)
		sm_guest_close_begin(g);
	return c->busy;
}

/*
 * The guest the promotion work picked closes before the work tries its
 * lock (vqn_kguest_destroy() takes it), its devices not gone yet: out of
 * the line under that lock, it is let go unserved, found gone
 * (vqn_kguest_trylock_live()), or, its lock busy, passed over
 * (vqn_host_pass()) without going back in line. Either way the work finds
 * nobody else and ends; the line counts nobody.
 */
TEST_F(sm, picked_guest_closes_unserved)
{
	struct close_picked c = { .g = &self->g2 };
	struct vqn_dev *d;
	int busy;

	for (busy = 0; busy < 2; busy++) {
		sm_host_set_cap(&self->host, 2);
		d = dev_ok(_metadata, &self->g, 2);
		open_g2(_metadata, self, 16);
		self->g2.user = 1;
		dev_ok(_metadata, &self->g2, 2);
		EXPECT_TRUE(self->g2.line.waiting);
		EXPECT_EQ(1, self->host.line.nr_capped);

		sm_dev_remove(&self->g, d);
		c.busy = busy;
		c.picks = 0;
		c.turns = 0;
		EXPECT_TRUE(sm_host_run_work_between(&self->host, close_picked,
						     &c));
		EXPECT_EQ(1, c.picks);
		EXPECT_EQ(0, c.turns);
		EXPECT_EQ(0, self->g2.sm.nr_assigned);
		EXPECT_EQ(2, self->g2.sm.nr_waiting);
		EXPECT_FALSE(self->g2.line.waiting);
		EXPECT_TRUE(list_empty(&self->host.users[1].line.waitq));
		EXPECT_EQ(0, self->host.line.nr_waiting);
		EXPECT_EQ(0, self->host.line.nr_capped);
		ASSERT_EQ(0, sm_check_line(&self->host, self->msg,
					   sizeof(self->msg)))
			TH_LOG("%s", self->msg);
		sm_guest_close_end(&self->g2);
		self->g2_open = false;
		EXPECT_EQ(0, self->g2.errors) TH_LOG("%s", self->g2.err);
		EXPECT_EQ(0, self->host.used);
		check_invariants(_metadata, self);
	}
}

/* In quota_fills_in_own_turn: the admin fills user 0's quota. */
static bool fill_quota(struct sm_host *h, struct sm_guest *g,
		       enum sm_work_moment when, void *arg)
{
	if (when == SM_WORK_TAKEN && !g->user)
		sm_host_set_quota(h, 0, h->users[0].used);
	return false;
}

/*
 * A guest in its turn whose user's quota the admin fills after the work
 * picked it: the quota refuses the turn's slot (vqn_line_take_n()), the
 * guest waits for the quota again, first of its user's guests still, and
 * the work, not stopped, serves the next user, then finds user 0 full.
 */
TEST_F(sm, quota_fills_in_own_turn)
{
	struct sm_guest g3;
	struct vqn_dev *d, *e;

	sm_host_set_cap(&self->host, 2);
	d = dev_ok(_metadata, &self->g, 2);
	e = dev_ok(_metadata, &self->g, 1);
	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	dev_ok(_metadata, &g3, 1);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	dev_ok(_metadata, &self->g2, 1);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_TRUE(g3.line.waiting);
	EXPECT_TRUE(self->g2.line.waiting);

	sm_dev_remove(&self->g, d);
	EXPECT_TRUE(sm_host_run_work_between(&self->host, fill_quota, NULL));
	EXPECT_EQ(D, e->vqs[0].state);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, self->g.line.wait_reason);
	EXPECT_EQ(&self->g.line,
		  list_first_entry(&self->host.users[0].line.waitq,
				   struct vqn_line_guest, node));
	EXPECT_EQ(&g3.line, list_last_entry(&self->host.users[0].line.waitq,
					    struct vqn_line_guest, node));
	EXPECT_EQ(1, self->g2.sm.nr_assigned);
	EXPECT_FALSE(self->g2.line.waiting);
	EXPECT_TRUE(self->host.users[0].line.no_room);
	EXPECT_EQ(1, self->host.used);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	EXPECT_EQ(0, g3.errors) TH_LOG("%s", g3.err);
}

/*
 * In requeued_in_own_turn_keeps_its_new_place: picked, @g's own call
 * (another CPU) takes it out of the line and back in, behind its user's
 * other guest, the admin having filled its user's quota (@cap: the host's
 * cap).
 */
struct requeue {
	struct sm_guest *g;
	struct vqn_dev *e, *f;
	bool cap;
};

static bool requeue(struct sm_host *h, struct sm_guest *g,
		    enum sm_work_moment when, void *arg)
{
	struct requeue *c = arg;

	if (when != SM_WORK_PICKED || g != c->g || c->f)
		return false;
	if (c->cap)
		sm_host_set_cap(h, h->used);
	else
		sm_host_set_quota(h, 0, h->users[0].used);
	sm_dev_remove(g, c->e);
	c->f = sm_dev_add(g, 1);
	if (c->f)
		sm_set_status(g, c->f, OK_STATUS, NULL);
	return false;
}

/*
 * @g holds a device's two slots (the cap's variant one more, so that its
 * cap is not 0) and waits with another device, as @g3 does, after it; the
 * device of two removed, the work picks @g, whose own call requeues it:
 * behind @g3, where the refused turn must leave it.
 */
static void requeue_in_own_turn(struct __test_metadata *_metadata,
				FIXTURE_DATA(sm) *self, struct sm_guest *g3,
				struct requeue *c)
{
	struct vqn_dev *d;

	sm_host_set_cap(&self->host, c->cap ? 3 : 2);
	d = dev_ok(_metadata, &self->g, 2);
	if (c->cap)
		dev_ok(_metadata, &self->g, 1);
	c->e = dev_ok(_metadata, &self->g, 1);
	ASSERT_EQ(0, sm_guest_open(&self->host, g3, 16, 0, 7));
	dev_ok(_metadata, g3, 1);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_TRUE(g3->line.waiting);

	sm_dev_remove(&self->g, d);
	EXPECT_TRUE(sm_host_run_work_between(&self->host, requeue, c));
	ASSERT_NE(NULL, c->f);
	EXPECT_EQ(D, c->f->vqs[0].state);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(&g3->line, list_first_entry(&self->host.users[0].line.waitq,
					      struct vqn_line_guest, node));
	EXPECT_EQ(&self->g.line,
		  list_last_entry(&self->host.users[0].line.waitq,
				  struct vqn_line_guest, node));
}

/*
 * As quota_fills_in_own_turn, but the guest picked left the line and came
 * back in its own call before its turn: behind its user's other guest. Its
 * turn, refused by the quota, kept it there; it put it first again, ahead
 * of a guest that had waited longer.
 */
TEST_F(sm, requeued_in_own_turn_keeps_its_new_place)
{
	struct requeue c = { .g = &self->g };
	struct sm_guest g3;

	requeue_in_own_turn(_metadata, self, &g3, &c);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, self->g.line.wait_reason);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	EXPECT_EQ(0, g3.errors) TH_LOG("%s", g3.err);
}

/*
 * The same, the host's cap filled instead of the quota: the turn the cap
 * refuses leaves the guest where its own call put it, and its user at the
 * head of the host's line.
 */
TEST_F(sm, requeued_in_own_turn_keeps_its_new_place_cap)
{
	struct requeue c = { .g = &self->g, .cap = true };
	struct sm_guest g3;

	requeue_in_own_turn(_metadata, self, &g3, &c);
	EXPECT_EQ(1, self->host.used);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, self->g.line.wait_reason);
	cap_refused_end(_metadata, self, &g3);
}

/* In turn_is_not_overtaken: user 0 asks again while user 1 has its turn. */
struct ask_in_turn {
	struct sm_guest *asker;
	struct vqn_dev *d;
	unsigned int turns;
};

static bool ask_in_turn(struct sm_host *h, struct sm_guest *g,
			enum sm_work_moment when, void *arg)
{
	struct ask_in_turn *c = arg;

	if (when == SM_WORK_TAKEN && !c->d) {
		c->d = sm_dev_add(c->asker, 1);
		if (c->d)
			sm_set_status(c->asker, c->d, OK_STATUS, NULL);
	}
	c->turns += when == SM_WORK_SERVED;
	return false;
}

/*
 * User 0 frees a slot that user 1's guest, waiting for the cap, is owed,
 * and asks for one again while the promotion work holds that guest's lock
 * for its turn, before the turn takes the slot (another CPU, in the
 * module). The guest stays in the line, counted, through its turn: user
 * 0's call waits behind it, and the turn takes the slot. Taken out of the
 * line before its turn, it would be overtaken, and wait again for the
 * cap, first of the line (the module's whole run saw it once, in
 * selftests' fair.no_overtaking).
 */
TEST_F(sm, turn_is_not_overtaken)
{
	struct ask_in_turn c = { .asker = &self->g };
	struct vqn_dev *d, *v;

	sm_host_set_cap(&self->host, 2);
	d = dev_ok(_metadata, &self->g, 1);
	dev_ok(_metadata, &self->g, 1);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	v = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, v->vqs[0].reason);
	EXPECT_EQ(1, self->host.line.nr_capped);

	sm_dev_remove(&self->g, d);
	EXPECT_TRUE(sm_host_run_work_between(&self->host, ask_in_turn, &c));
	ASSERT_NE(NULL, c.d);
	EXPECT_EQ(1, c.turns);
	EXPECT_EQ(A, v->vqs[0].state);
	EXPECT_FALSE(self->g2.line.waiting);
	EXPECT_EQ(D, c.d->vqs[0].state);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, c.d->vqs[0].reason);
	EXPECT_TRUE(self->g.line.waiting);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

/*
 * User 1 frees @v and asks again at once, before the promotion work runs:
 * its new queue waits for the cap behind user 0's guests, and the work
 * serves user 0, not it.
 */
static void frees_and_asks_again(struct __test_metadata *_metadata,
				 struct _test_data_sm *self, struct vqn_dev *v)
{
	struct vqn_dev *w;

	sm_dev_remove(&self->g2, v);
	w = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(D, w->vqs[0].state);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, w->vqs[0].reason);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(D, w->vqs[0].state);
}

/*
 * A guest exempt from its user's quota that waits for the host cap holds
 * up other users from the moment it waits, although the promotion work
 * last found its user's quota full: else another user that frees a slot
 * and asks for it again would take it back before the work runs, for good.
 */
TEST_F(sm, exempt_guest_waiting_for_cap_holds_up_others)
{
	struct vqn_dev *v, *e;
	struct sm_guest g3;

	quota_1_waits(_metadata, self, 2);
	/* A walk of the work (the quota set again) finds it full. */
	sm_host_set_quota(&self->host, 0, 1);
	EXPECT_TRUE(sm_host_run_work(&self->host));
	EXPECT_TRUE(self->host.users[0].line.no_room);

	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	v = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(A, v->vqs[0].state);
	EXPECT_EQ(2, self->host.used);

	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	g3.line.exempt = true;
	e = dev_ok(_metadata, &g3, 1);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, e->vqs[0].reason);
	EXPECT_FALSE(self->host.users[0].line.no_room);
	EXPECT_EQ(1, self->host.line.nr_capped);
	check_invariants(_metadata, self);

	/* User 1 frees its slot and asks again: it waits behind g3. */
	frees_and_asks_again(_metadata, self, v);
	EXPECT_EQ(A, e->vqs[0].state);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	EXPECT_EQ(0, g3.errors) TH_LOG("%s", g3.err);
}

/*
 * A user the promotion work found without room, whose quota the admin
 * raises while the host is full: no walk runs, but the work looks at it
 * again (vqn_line_recheck()), so its guest waiting for the cap holds up
 * other users again; else another user that frees a slot and asks for it
 * again would take it back before the work runs, for good.
 */
TEST_F(sm, room_again_while_host_full_holds_up_others)
{
	struct vqn_dev *n, *v1, *v2, *w;

	sm_host_set_cap(&self->host, 2);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	v1 = dev_ok(_metadata, &self->g2, 1);
	v2 = dev_ok(_metadata, &self->g2, 1);
	n = dev_ok(_metadata, &self->g, 1);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, n->vqs[0].reason);
	EXPECT_EQ(1, self->host.line.nr_capped);

	/* Quota 0, a slot freed: the work finds user 0 without room. */
	sm_host_set_quota(&self->host, 0, 0);
	sm_dev_remove(&self->g2, v1);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_TRUE(self->host.users[0].line.no_room);
	EXPECT_EQ(0, self->host.line.nr_capped);
	w = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(A, w->vqs[0].state);
	EXPECT_EQ(2, self->host.used);

	/* Room again, the host full: the work's recheck counts it. */
	sm_host_set_quota(&self->host, 0, 10);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_FALSE(self->host.users[0].line.no_room);
	EXPECT_EQ(1, self->host.line.nr_capped);
	check_invariants(_metadata, self);

	/* User 1 frees a slot and asks again: it waits behind user 0. */
	frees_and_asks_again(_metadata, self, v2);
	EXPECT_EQ(A, n->vqs[0].state);
	check_invariants(_metadata, self);
}

/*
 * Host of 2 slots full: user 0's guest holds one and waits for a second
 * (dev *@n, queue 1), user 1's holds the other (*@v); user 0's quota,
 * raised from 1, has room again: the work's recheck holds user 0.
 */
static void held_user_0(struct __test_metadata *_metadata,
			struct _test_data_sm *self, struct vqn_dev **n,
			struct vqn_dev **v)
{
	*n = quota_1_waits(_metadata, self, 2);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	*v = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(A, (*v)->vqs[0].state);
	EXPECT_EQ(0, self->host.line.nr_capped);
	EXPECT_EQ(0, self->host.line.nr_held);
	sm_host_set_quota(&self->host, 0, 10);
	while (sm_host_run_work(&self->host))
		;
	ASSERT_TRUE(self->host.users[0].line.held);
}

/*
 * A guest waiting for its user's quota, which the admin raises while the
 * host is full: the work's recheck holds its user, and the guest waits
 * for the cap, whatever refused it, before every other user's guests;
 * else another user that frees a slot and asks for it again would take it
 * back before the work runs, for good.
 */
TEST_F(sm, quota_raised_while_host_full_holds_up_others)
{
	struct vqn_dev *n, *v;

	/* Room again, the host full: the work's recheck holds user 0. */
	held_user_0(_metadata, self, &n, &v);
	EXPECT_EQ(1, self->host.line.nr_held);
	EXPECT_EQ(D, n->vqs[1].state);
	check_invariants(_metadata, self);

	/* User 1 frees its slot and asks again: it waits behind user 0. */
	frees_and_asks_again(_metadata, self, v);
	EXPECT_EQ(A, n->vqs[1].state);
	EXPECT_FALSE(self->host.users[0].line.held);
	check_invariants(_metadata, self);
}

/*
 * As turn_is_not_overtaken, for a guest whose user is held: user 1 frees
 * its slot and asks again in the turn of user 0's guest, which waits for
 * its quota, held. Its user stays held through the turn, and the slot is
 * the turn's.
 */
TEST_F(sm, held_turn_is_not_overtaken)
{
	struct ask_in_turn c = { .asker = &self->g2 };
	struct vqn_dev *n, *v;

	held_user_0(_metadata, self, &n, &v);
	EXPECT_EQ(D, n->vqs[1].state);
	sm_dev_remove(&self->g2, v);
	EXPECT_TRUE(sm_host_run_work_between(&self->host, ask_in_turn, &c));
	ASSERT_NE(NULL, c.d);
	EXPECT_EQ(1, c.turns);
	EXPECT_EQ(A, n->vqs[1].state);
	EXPECT_EQ(D, c.d->vqs[0].state);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, c.d->vqs[0].reason);
	EXPECT_TRUE(self->g2.line.waiting);
	check_invariants(_metadata, self);
}

/*
 * A held user's only waiting guest is not held up by its own hold: with a
 * slot free before the work runs, its own call takes it (vhost on its
 * waiting queue).
 */
TEST_F(sm, held_users_only_waiting_guest_takes_a_free_slot)
{
	struct vqn_dev *n, *v;

	held_user_0(_metadata, self, &n, &v);
	sm_dev_remove(&self->g2, v);
	EXPECT_EQ(0, sm_host_notifier(&self->g, n, 1, true));
	EXPECT_EQ(O, n->vqs[1].state);
	EXPECT_EQ(2, self->host.used);
	check_invariants(_metadata, self);
}

/* Every guest the work picks is found busy (its lock held). */
static bool always_busy(struct sm_host *h, struct sm_guest *g,
			enum sm_work_moment when, void *arg)
{
	return when == SM_WORK_PICKED;
}

/*
 * The work picks the held user's guest and finds it busy, a batch of
 * times: the user keeps its hold (the work tries again later), and
 * another user that freed the slot and asks again waits behind it.
 */
TEST_F(sm, held_user_found_busy_keeps_its_hold)
{
	struct vqn_dev *n, *v;

	held_user_0(_metadata, self, &n, &v);
	sm_dev_remove(&self->g2, v);
	EXPECT_TRUE(sm_host_run_work_between(&self->host, always_busy, NULL));
	EXPECT_TRUE(self->host.work_pending);
	EXPECT_TRUE(self->host.users[0].line.held);
	v = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, v->vqs[0].reason);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(A, n->vqs[1].state);
	EXPECT_EQ(D, v->vqs[0].state);
	check_invariants(_metadata, self);
}

/*
 * The admin lowers user 0's quota to @max, at or below what it holds, on
 * a full host: the work's recheck finds it without room, as a walk would,
 * and neither holds it nor counts its guests waiting for the cap. User 1
 * then frees its slot (@v) and asks again: nobody holds it up, and user
 * 0's queue 1 of @n still waits.
 */
static void quota_0_lowered(struct __test_metadata *_metadata,
			    struct _test_data_sm *self, struct vqn_dev *n,
			    struct vqn_dev *v, u32 max)
{
	sm_host_set_quota(&self->host, 0, max);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_TRUE(self->host.users[0].line.no_room);
	EXPECT_FALSE(self->host.users[0].line.held);
	EXPECT_EQ(0, self->host.line.nr_held);
	EXPECT_EQ(0, self->host.line.nr_capped);
	check_invariants(_metadata, self);

	sm_dev_remove(&self->g2, v);
	v = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(A, v->vqs[0].state);
	EXPECT_EQ(D, n->vqs[1].state);
	check_invariants(_metadata, self);
}

/* The quota lowered again, the host still full: the recheck lets go. */
TEST_F(sm, recheck_without_room_ends_the_hold)
{
	struct vqn_dev *n, *v;

	held_user_0(_metadata, self, &n, &v);
	quota_0_lowered(_metadata, self, n, v, 1);
}

/*
 * A user whose guest waits for the cap, and whose quota the admin lowers
 * below what it holds while the host is full: its guest holds up no other
 * user that frees a slot and asks again.
 */
TEST_F(sm, quota_lowered_while_host_full_holds_up_nobody)
{
	struct vqn_dev *n, *v;

	sm_host_set_cap(&self->host, 2);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	v = dev_ok(_metadata, &self->g2, 1);
	n = dev_ok(_metadata, &self->g, 2);
	EXPECT_EQ(A, n->vqs[0].state);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, n->vqs[1].reason);
	EXPECT_EQ(1, self->host.line.nr_capped);
	quota_0_lowered(_metadata, self, n, v, 0);
}

/*
 * The same when another guest of its user gives a slot back: another user
 * may take that slot before the work runs, once; the work, finding the
 * host full, holds the user, and the other user's next slot freed goes to
 * the guest.
 */
TEST_F(sm, slot_given_back_while_others_take_holds_up_others)
{
	struct vqn_dev *d, *n, *v, *x;
	struct sm_guest g3;

	sm_host_set_cap(&self->host, 3);
	sm_host_set_quota(&self->host, 0, 2);
	sm_host_run_work(&self->host);
	ASSERT_EQ(0, sm_guest_open(&self->host, &g3, 16, 0, 7));
	d = dev_ok(_metadata, &g3, 1);
	n = dev_ok(_metadata, &self->g, 2);
	EXPECT_EQ(A, n->vqs[0].state);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, n->vqs[1].reason);
	open_g2(_metadata, self, 16);
	self->g2.user = 1;
	v = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(3, self->host.used);

	/* User 0 gives a slot back; user 1 takes it before the work runs. */
	sm_dev_remove(&g3, d);
	x = dev_ok(_metadata, &self->g2, 1);
	EXPECT_EQ(A, x->vqs[0].state);
	while (sm_host_run_work(&self->host))
		;
	EXPECT_EQ(D, n->vqs[1].state);
	EXPECT_TRUE(self->host.users[0].line.held);
	check_invariants(_metadata, self);

	/* Not twice: its next slot freed goes to user 0's guest. */
	frees_and_asks_again(_metadata, self, v);
	EXPECT_EQ(A, n->vqs[1].state);
	EXPECT_FALSE(self->host.users[0].line.held);
	check_invariants(_metadata, self);
	sm_guest_close(&g3);
	EXPECT_EQ(0, g3.errors) TH_LOG("%s", g3.err);
}

#endif /* _SM_UNIT_LIMITS_H */
