// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the vqnotify state machine, built as vqnotify_kunit.ko
 * when the target kernel has CONFIG_KUNIT (the rig's debug kernel). They run
 * the same vqn_sm.c as the module under KASAN, UBSAN and lockdep; the wide
 * coverage lives in tools/sm (userspace unit tests and the fuzzer).
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "vqn_sm.c"
#include "vqn_sm_check.c"

#define NQ 8

struct vqn_kunit_env {
	struct vqn_guest_sm g;
	struct vqn_dev *devs[2];
	u32 host_used;
	u32 host_cap;
	u32 reports;
	u32 takes;
	u32 took;
	u32 async;
	u8 last_label;
};

static struct vqn_kunit_env *env_of(struct vqn_guest_sm *g)
{
	return container_of(g, struct vqn_kunit_env, g);
}

void vqn_env_report(struct vqn_guest_sm *g, struct vqn_dev *d, u32 queue,
		    u8 old, u8 label, bool async)
{
	struct vqn_kunit_env *e = env_of(g);

	e->reports++;
	e->async += async;
	e->last_label = label;
}

u32 vqn_env_host_take_n(struct vqn_guest_sm *g, u32 n, u32 least,
			u8 *reason)
{
	struct vqn_kunit_env *e = env_of(g);
	u32 got = min(n, e->host_cap - min(e->host_cap, e->host_used));

	e->takes++;
	if (got < least)
		got = 0;
	e->host_used += got;
	e->took += got;
	if (got < n)
		*reason = VQNOTIFY_REASON_HOST_CAP;
	return got;
}

void vqn_env_host_give_n(struct vqn_guest_sm *g, u32 n)
{
	env_of(g)->host_used -= n;
}

void vqn_env_host_wait(struct vqn_guest_sm *g, u8 reason)
{
}

void vqn_env_host_unwait(struct vqn_guest_sm *g)
{
}

static struct vqn_dev *new_dev(struct kunit *test, struct vqn_kunit_env *e)
{
	struct vqn_dev *d;

	d = kunit_kzalloc(test, struct_size(d, vqs, NQ), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	d->num_queues = NQ;
	d->transport = VQNOTIFY_TRANSPORT_MMIO;
	vqn_sm_dev_init(&e->g, d, e->devs[0] ? 1 : 0);
	return d;
}

static struct vqn_kunit_env *new_env(struct kunit *test, u32 budget)
{
	struct vqn_kunit_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	vqn_sm_guest_init(&e->g, budget, 0, 7);
	e->g.devs = e->devs;
	e->g.nr_dev_slots = ARRAY_SIZE(e->devs);
	e->host_cap = 1000;
	return e;
}

/* vhost on (@enable) or off for queue @i of @d alone, as a bitmap call. */
static int vhost_one(struct vqn_guest_sm *g, struct vqn_dev *d, u32 i,
		     bool enable, struct vqn_sink *s)
{
	DECLARE_BITMAP(one, NQ) = { 0 };

	__set_bit(i, one);
	if (enable)
		return vqn_sm_vhost_on(g, d, one, s);
	vqn_sm_vhost_off(g, d, one, s);
	return 0;
}

static void check(struct kunit *test, struct vqn_kunit_env *e)
{
	KUNIT_EXPECT_EQ(test, vqn_sm_check(&e->g), 0);
	KUNIT_EXPECT_EQ(test, e->g.used, e->host_used);
}

/* (a) then (b): grants up to the budget, the rest wait. */
static void vqn_sm_test_driver_ok_budget(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 7);
	struct vqn_dev *d = new_dev(test, e);

	KUNIT_EXPECT_EQ(test, d->vqs[0].label, VQNOTIFY_LABEL_A);
	vqn_sm_set_status(&e->g, d, 0x0f, NULL, NULL);
	KUNIT_EXPECT_EQ(test, e->g.nr_assigned, 7U);
	KUNIT_EXPECT_EQ(test, e->g.nr_waiting, 1U);
	KUNIT_EXPECT_EQ(test, d->vqs[7].reason, VQNOTIFY_REASON_NO_SLOT);
	KUNIT_EXPECT_EQ(test, e->g.counts[VQNOTIFY_LABEL_B], 7ULL);
	check(test, e);
}

/*
 * (c) with a full budget preempts the newest grant (p); (e) gives the slot
 * back to the vhost queue, and the preempted queue keeps waiting.
 */
static void vqn_sm_test_vhost_preempts(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 7);
	struct vqn_dev *d = new_dev(test, e);

	vqn_sm_set_status(&e->g, d, 0x0f, NULL, NULL);
	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 7, true, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[7].state, VQNOTIFY_VQ_OFFLIMITS);
	KUNIT_EXPECT_EQ(test, d->vqs[6].state, VQNOTIFY_VQ_DEASSIGNED);
	KUNIT_EXPECT_EQ(test, d->vqs[6].label, VQNOTIFY_LABEL_P);
	KUNIT_EXPECT_EQ(test, e->async, 1U);
	/* Queue 7 left the line for vhost; the preempted queue took it. */
	KUNIT_EXPECT_FALSE(test, d->vqs[7].flags & VQNOTIFY_VQ_WAITING);
	KUNIT_EXPECT_TRUE(test, d->vqs[6].flags & VQNOTIFY_VQ_WAITING);
	KUNIT_EXPECT_EQ(test, e->g.nr_waiting, 1U);
	check(test, e);

	KUNIT_EXPECT_EQ(test,
			vhost_one(&e->g, d, 7, false, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[7].label, VQNOTIFY_LABEL_E);
	KUNIT_EXPECT_EQ(test, d->vqs[6].state, VQNOTIFY_VQ_DEASSIGNED);
	KUNIT_EXPECT_TRUE(test, d->vqs[6].flags & VQNOTIFY_VQ_WAITING);
	KUNIT_EXPECT_EQ(test, e->g.nr_waiting, 1U);
	check(test, e);
}

/* Limited guest: vhost gets slots, userspace never; (e) becomes (f). */
static void vqn_sm_test_limited(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 6);
	struct vqn_dev *d = new_dev(test, e);

	vqn_sm_set_status(&e->g, d, 0x0f, NULL, NULL);
	KUNIT_EXPECT_EQ(test, e->g.used, 0U);
	KUNIT_EXPECT_EQ(test, d->vqs[0].reason, VQNOTIFY_REASON_LIMITED);
	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 0, true, NULL), 0);
	KUNIT_EXPECT_EQ(test,
			vhost_one(&e->g, d, 0, false, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[0].label, VQNOTIFY_LABEL_F);
	check(test, e);
}

/* Nothing to preempt: ENOSPC and nothing changed. */
static void vqn_sm_test_enospc(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 1);
	struct vqn_dev *d = new_dev(test, e);
	u32 reports;

	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 0, true, NULL), 0);
	reports = e->reports;
	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 1, true, NULL), -ENOSPC);
	KUNIT_EXPECT_EQ(test, e->reports, reports);
	KUNIT_EXPECT_EQ(test, d->vqs[1].state, VQNOTIFY_VQ_DEASSIGNED);
	check(test, e);
}

/* (g) frees everything, OFFLIMITS included. */
static void vqn_sm_test_reset(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);

	vqn_sm_set_status(&e->g, d, 0x0f, NULL, NULL);
	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 0, true, NULL), 0);
	vqn_sm_reset(&e->g, d, VQNOTIFY_REASON_RESET, NULL);
	KUNIT_EXPECT_EQ(test, e->g.used, 0U);
	KUNIT_EXPECT_EQ(test, e->g.counts[VQNOTIFY_LABEL_G], (u64)NQ);
	check(test, e);
}

/* (q) in any status, (x) with KVM_REFUSED: only the listed queue moves. */
static void vqn_sm_test_acquire_release(struct kunit *test)
{
	unsigned long bm[BITS_TO_LONGS(NQ)] = { 0x3 };
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);

	vqn_sm_set_status(&e->g, d, 0x0b, NULL, NULL);
	KUNIT_EXPECT_EQ(test, vqn_sm_queues_acquire(&e->g, d, bm, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[1].state, VQNOTIFY_VQ_ASSIGNED);
	KUNIT_EXPECT_EQ(test, d->vqs[1].label, VQNOTIFY_LABEL_Q);
	bm[0] = 0x2;
	KUNIT_EXPECT_EQ(test, vqn_sm_queues_release(&e->g, d, bm,
						    VQNOTIFY_REASON_KVM_REFUSED,
						    false, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[1].state, VQNOTIFY_VQ_DEASSIGNED);
	KUNIT_EXPECT_EQ(test, d->vqs[1].label, VQNOTIFY_LABEL_X);
	KUNIT_EXPECT_EQ(test, d->vqs[1].reason, VQNOTIFY_REASON_KVM_REFUSED);
	KUNIT_EXPECT_EQ(test, d->vqs[0].state, VQNOTIFY_VQ_ASSIGNED);
	KUNIT_EXPECT_EQ(test, e->g.nr_waiting, 0U);
	check(test, e);
}

/* (x) with KVM_REFUSED alone takes a vhost queue too, else EBUSY. */
static void vqn_sm_test_release_vhost(struct kunit *test)
{
	unsigned long bm[BITS_TO_LONGS(NQ)] = { 0x1 };
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);

	vqn_sm_set_status(&e->g, d, 0x0f, NULL, NULL);
	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 0, true, NULL), 0);
	KUNIT_EXPECT_EQ(test, vqn_sm_queues_release(&e->g, d, bm,
						    VQNOTIFY_REASON_RELEASED,
						    false, NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, vqn_sm_queues_release(&e->g, d, bm,
						    VQNOTIFY_REASON_KVM_REFUSED,
						    true, NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, d->vqs[0].state, VQNOTIFY_VQ_OFFLIMITS);
	KUNIT_EXPECT_EQ(test, vqn_sm_queues_release(&e->g, d, bm,
						    VQNOTIFY_REASON_KVM_REFUSED,
						    false, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[0].state, VQNOTIFY_VQ_DEASSIGNED);
	KUNIT_EXPECT_EQ(test, d->vqs[0].label, VQNOTIFY_LABEL_X);
	KUNIT_EXPECT_EQ(test, e->g.nr_offlimits, 0U);
	check(test, e);
}

/*
 * A batch of vhost notifiers that does not fit changes nothing, and takes
 * no host slot even for a moment: not over the budget, nor over the host.
 */
static void vqn_sm_test_vhost_batch(struct kunit *test)
{
	unsigned long bm[BITS_TO_LONGS(NQ)] = { 0xff };
	struct vqn_kunit_env *e = new_env(test, 4);
	struct vqn_dev *d = new_dev(test, e);
	u32 reports = e->reports;

	KUNIT_EXPECT_EQ(test, vqn_sm_vhost_on(&e->g, d, bm, NULL), -ENOSPC);
	KUNIT_EXPECT_EQ(test, e->reports, reports);
	KUNIT_EXPECT_EQ(test, e->g.used, 0U);
	KUNIT_EXPECT_EQ(test, e->took, 0U);
	bm[0] = 0xf;
	e->host_cap = 3;
	KUNIT_EXPECT_EQ(test, vqn_sm_vhost_on(&e->g, d, bm, NULL), -ENOSPC);
	KUNIT_EXPECT_EQ(test, e->took, 0U);
	KUNIT_EXPECT_EQ(test, e->host_used, 0U);
	e->host_cap = 1000;
	KUNIT_EXPECT_EQ(test, vqn_sm_vhost_on(&e->g, d, bm, NULL), 0);
	KUNIT_EXPECT_EQ(test, e->g.nr_offlimits, 4U);
	vqn_sm_vhost_off(&e->g, d, bm, NULL);
	KUNIT_EXPECT_EQ(test, e->g.used, 0U);
	check(test, e);
}

/* LOAD wants a quiescent device: any reset gives one. */
static void vqn_sm_test_quiescent(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);

	KUNIT_EXPECT_TRUE(test, vqn_sm_dev_quiescent(d));
	vqn_sm_set_status(&e->g, d, 0x0f, NULL, NULL);
	KUNIT_EXPECT_FALSE(test, vqn_sm_dev_quiescent(d));
	vqn_sm_dev_reset(&e->g, d, NULL);
	KUNIT_EXPECT_TRUE(test, vqn_sm_dev_quiescent(d));
	check(test, e);
}

/*
 * A DEV_ADD whose id cannot be written out takes its device back: only a
 * device no call has changed, and then as if it had never been added, but
 * for the count of its (a).
 */
static void vqn_sm_test_dev_uninit(struct kunit *test)
{
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);
	struct vqn_dev *d2;

	KUNIT_EXPECT_TRUE(test, vqn_sm_dev_uninit(&e->g, d));
	KUNIT_EXPECT_NULL(test, e->g.devs[0]);
	/* Its (a) stay counted: a counter never falls. */
	KUNIT_EXPECT_EQ(test, e->g.counts[VQNOTIFY_LABEL_A], (u64)NQ);
	check(test, e);

	/* Added again, and reset: quiescent, but no longer as added. */
	vqn_sm_dev_init(&e->g, d, 0);
	vqn_sm_dev_reset(&e->g, d, NULL);
	KUNIT_EXPECT_TRUE(test, vqn_sm_dev_quiescent(d));
	KUNIT_EXPECT_FALSE(test, vqn_sm_dev_uninit(&e->g, d));
	KUNIT_EXPECT_PTR_EQ(test, e->g.devs[0], d);
	KUNIT_EXPECT_EQ(test, e->g.counts[VQNOTIFY_LABEL_A], 2ULL * NQ);

	/* A status without DRIVER_OK is a change too. */
	d2 = new_dev(test, e);
	vqn_sm_set_status(&e->g, d2, 0x03, NULL, NULL);
	KUNIT_EXPECT_FALSE(test, vqn_sm_dev_uninit(&e->g, d2));
	check(test, e);
}

/*
 * LOAD onto a quiescent device with DRIVER_OK: (b) for the queues the blob
 * says are initialised, as many as the host has room for, the rest wait; queues not in
 * @ready stay uninitialised and ask for nothing. All in one host take.
 */
static void vqn_sm_test_load(struct kunit *test)
{
	unsigned long ready[BITS_TO_LONGS(NQ)] = { 0x3f };
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);
	u32 i;

	e->host_cap = 4;
	vqn_sm_load(&e->g, d, 0x0f, ready, NULL);
	KUNIT_EXPECT_EQ(test, d->status, 0x0fU);
	KUNIT_EXPECT_EQ(test, e->takes, 1U);
	KUNIT_EXPECT_EQ(test, e->g.nr_assigned, 4U);
	KUNIT_EXPECT_EQ(test, e->g.nr_waiting, 2U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, d->vqs[i].state, VQNOTIFY_VQ_ASSIGNED);
		KUNIT_EXPECT_EQ(test, d->vqs[i].label, VQNOTIFY_LABEL_B);
	}
	for (i = 4; i < 6; i++)
		KUNIT_EXPECT_TRUE(test,
				  d->vqs[i].flags & VQNOTIFY_VQ_WAITING);
	for (i = 6; i < NQ; i++) {
		KUNIT_EXPECT_FALSE(test,
				   d->vqs[i].flags & VQNOTIFY_VQ_INITIALISED);
		KUNIT_EXPECT_EQ(test, d->vqs[i].state,
				VQNOTIFY_VQ_DEASSIGNED);
	}
	check(test, e);
}

/*
 * LOAD without DRIVER_OK takes nothing; the guest's DRIVER_OK after it is
 * (b) for the loaded queues alone. A vhost queue then takes its slot back
 * from ASSIGNED (d), as on the source.
 */
static void vqn_sm_test_load_then_driver_ok(struct kunit *test)
{
	unsigned long ready[BITS_TO_LONGS(NQ)] = { 0x5 };
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);

	vqn_sm_load(&e->g, d, 0x0b, ready, NULL);
	KUNIT_EXPECT_EQ(test, e->takes, 0U);
	KUNIT_EXPECT_EQ(test, e->g.used, 0U);
	KUNIT_EXPECT_TRUE(test, d->vqs[2].flags & VQNOTIFY_VQ_INITIALISED);
	KUNIT_EXPECT_FALSE(test, d->vqs[1].flags & VQNOTIFY_VQ_INITIALISED);
	vqn_sm_set_status(&e->g, d, 0x0f, ready, NULL);
	KUNIT_EXPECT_EQ(test, e->g.nr_assigned, 2U);
	KUNIT_EXPECT_EQ(test, d->vqs[1].state, VQNOTIFY_VQ_DEASSIGNED);
	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, 2, true, NULL), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[2].state, VQNOTIFY_VQ_OFFLIMITS);
	KUNIT_EXPECT_EQ(test, d->vqs[2].label, VQNOTIFY_LABEL_D);
	KUNIT_EXPECT_EQ(test, e->g.used, 2U);
	check(test, e);
}

/*
 * A whole DRIVER_OK decided at once: one call for the host slots, the
 * results in the sink in queue order, nothing through vqn_env_report().
 */
static void vqn_sm_test_sink_driver_ok(struct kunit *test)
{
	struct vqnotify_vq_result res[NQ];
	/* Budget 7, the threshold: not limited; the host has 3 slots. */
	struct vqn_kunit_env *e = new_env(test, 7);
	struct vqn_dev *d = new_dev(test, e);
	struct vqn_sink s = { .res = res, .cap = NQ };
	u32 i;

	e->host_cap = 3;
	vqn_sm_set_status(&e->g, d, 0x0f, NULL, &s);
	KUNIT_EXPECT_EQ(test, e->takes, 1U);
	KUNIT_EXPECT_EQ(test, e->reports, 0U);
	KUNIT_ASSERT_EQ(test, s.nr, (u32)NQ);
	KUNIT_EXPECT_EQ(test, s.labels[VQNOTIFY_LABEL_B], (u16)3);
	KUNIT_EXPECT_EQ(test, s.refusals[VQNOTIFY_REASON_HOST_CAP], (u16)5);
	for (i = 0; i < NQ; i++) {
		KUNIT_EXPECT_EQ(test, res[i].queue, i);
		KUNIT_EXPECT_EQ(test, res[i].label,
				i < 3 ? VQNOTIFY_LABEL_B : VQNOTIFY_LABEL_NONE);
		KUNIT_EXPECT_EQ(test, res[i].reason,
				i < 3 ? VQNOTIFY_REASON_GRANTED :
				VQNOTIFY_REASON_HOST_CAP);
	}
	KUNIT_EXPECT_EQ(test, e->g.nr_waiting, 5U);
	check(test, e);
}

/*
 * A sink with room for fewer results than the device has queues: the first
 * are written, all are counted, nothing is written past its end.
 */
static void vqn_sm_test_sink_driver_ok_short(struct kunit *test)
{
	struct vqnotify_vq_result res[3];
	struct vqn_kunit_env *e = new_env(test, 7);
	struct vqn_dev *d = new_dev(test, e);
	struct vqn_sink s = { .res = res, .cap = 2 };

	memset(res, 0xff, sizeof(res));
	e->host_cap = 3;
	vqn_sm_set_status(&e->g, d, 0x0f, NULL, &s);
	KUNIT_ASSERT_EQ(test, s.nr, (u32)NQ);
	KUNIT_EXPECT_EQ(test, s.labels[VQNOTIFY_LABEL_B], (u16)3);
	KUNIT_EXPECT_EQ(test, s.refusals[VQNOTIFY_REASON_HOST_CAP], (u16)5);
	KUNIT_EXPECT_EQ(test, res[0].queue, 0U);
	KUNIT_EXPECT_EQ(test, res[1].queue, 1U);
	KUNIT_EXPECT_EQ(test, res[1].label, VQNOTIFY_LABEL_B);
	KUNIT_EXPECT_EQ(test, res[2].queue, U32_MAX);
	KUNIT_EXPECT_EQ(test, res[2].label, 0xff);
	check(test, e);
}

/* One queue of a batch on a big device: its one result, the sink full. */
static void vqn_sm_test_sink_vhost_one(struct kunit *test)
{
	struct vqnotify_vq_result res[1];
	struct vqn_kunit_env *e = new_env(test, 64);
	struct vqn_dev *d = new_dev(test, e);
	struct vqn_sink s = { .res = res, .cap = 1 };

	KUNIT_EXPECT_EQ(test, vhost_one(&e->g, d, NQ - 1, true, &s), 0);
	KUNIT_EXPECT_EQ(test, s.nr, 1U);
	KUNIT_EXPECT_EQ(test, res[0].queue, (u32)NQ - 1);
	KUNIT_EXPECT_EQ(test, res[0].label, VQNOTIFY_LABEL_C);
	KUNIT_EXPECT_EQ(test, s.labels[VQNOTIFY_LABEL_C], (u16)1);
	KUNIT_EXPECT_EQ(test, e->reports, 0U);
	check(test, e);
}

static struct kunit_case vqn_sm_test_cases[] = {
	KUNIT_CASE(vqn_sm_test_sink_driver_ok),
	KUNIT_CASE(vqn_sm_test_sink_driver_ok_short),
	KUNIT_CASE(vqn_sm_test_sink_vhost_one),
	KUNIT_CASE(vqn_sm_test_driver_ok_budget),
	KUNIT_CASE(vqn_sm_test_vhost_preempts),
	KUNIT_CASE(vqn_sm_test_limited),
	KUNIT_CASE(vqn_sm_test_enospc),
	KUNIT_CASE(vqn_sm_test_reset),
	KUNIT_CASE(vqn_sm_test_acquire_release),
	KUNIT_CASE(vqn_sm_test_release_vhost),
	KUNIT_CASE(vqn_sm_test_vhost_batch),
	KUNIT_CASE(vqn_sm_test_quiescent),
	KUNIT_CASE(vqn_sm_test_dev_uninit),
	KUNIT_CASE(vqn_sm_test_load),
	KUNIT_CASE(vqn_sm_test_load_then_driver_ok),
	{}
};

static struct kunit_suite vqn_sm_test_suite = {
	.name = "vqnotify_sm",
	.test_cases = vqn_sm_test_cases,
};

kunit_test_suite(vqn_sm_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the vqnotify state machine");
