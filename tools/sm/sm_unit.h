/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state machine's unit tests (sm_unit.c): the fixture every test uses,
 * its helpers, and the oracle of legal edges.
 * Included once, by sm_unit.c: the kselftest harness registers the tests of
 * one program, in the order they are included.
 */
#ifndef _SM_UNIT_H
#define _SM_UNIT_H

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
	EXPECT_EQ(0, self->host.line.nr_waiting);
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
	{ O, D, VQNOTIFY_LABEL_X, false },
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

#endif /* _SM_UNIT_H */
