// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vqnotify": every command's do and dump, a
 * queue dump larger than one message, the monitor group fed by ioctls on
 * /dev/vqnotify, config and guest set seen through the ioctls, permissions
 * of an unprivileged user, and each error path.
 *
 * Raw NETLINK_GENERIC sockets, no libnl: the binary stays static and shows
 * the wire format exactly. Tests that change the host-wide config restore
 * it in the teardown: the module is shared by every test in the VM.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

/*
 * The fixture: a netlink socket, a guest of our own (/dev/vqnotify) and the
 * host-wide config as found, restored at the end.
 */
FIXTURE(genl) {
	struct tk_nl nl;
	int fd;
	uint32_t guest;
	struct tk_nl_config saved;	/* as found, restored at the end */
	struct tk_nl_config start;	/* in force when the guest was opened */
	bool restore;
};

/* The module's defaults: each test starts from them, as root. */
static const struct tk_nl_config defaults = {
	.default_budget = 1024,
	.threshold = 7,
	.vhost_reserve = 0,
	.host_cap = 1 << 20,
};

static bool config_is(const struct tk_nl_config *a, const struct tk_nl_config *b)
{
	return a->default_budget == b->default_budget &&
	       a->threshold == b->threshold &&
	       a->vhost_reserve == b->vhost_reserve &&
	       a->host_cap == b->host_cap;
}

FIXTURE_SETUP(genl)
{
	struct vqnotify_guest_info gi;
	int ret;

	self->fd = -1;
	self->nl.fd = -1;
	self->restore = false;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "%s not present (module not loaded)", TK_DEV_PATH);
	ret = tk_nl_open(&self->nl);
	ASSERT_EQ(0, ret) TH_LOG("family %s: %s", VQNOTIFY_FAMILY_NAME,
				 strerror(-ret));
	test_cmd_nl_config_get(&self->saved);
	self->start = self->saved;
	if (!geteuid()) {
		/* Whatever an earlier test (or binary) left behind. */
		if (!config_is(&self->saved, &defaults))
			TH_LOG("config left at %lld/%lld/%lld/%lld%s",
			       (long long)self->saved.default_budget,
			       (long long)self->saved.threshold,
			       (long long)self->saved.vhost_reserve,
			       (long long)self->saved.host_cap,
			       " (budget/threshold/reserve/cap)");
		test_cmd_nl_config_set(&defaults);
		self->start = defaults;
		self->restore = true;
	}
	self->fd = tk_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", TK_DEV_PATH,
				      strerror(-self->fd));
	test_cmd_guest_get(&gi);
	self->guest = gi.guest_id;
}

FIXTURE_TEARDOWN(genl)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->restore)
		EXPECT_EQ(0, _test_nl_config_set(&self->nl, &self->saved));
	tk_nl_close(&self->nl);
}

/* The kernel registered what the spec says: ops, their flags, the group. */
TEST_F(genl, family_registration)
{
	const uint32_t caps = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP |
			      GENL_ADMIN_PERM;
	static const struct {
		uint8_t cmd;
		uint32_t flags;
	} want[] = {
		{ VQNOTIFY_CMD_GUEST_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ VQNOTIFY_CMD_GUEST_SET, GENL_CMD_CAP_DO | GENL_ADMIN_PERM },
		{ VQNOTIFY_CMD_DEV_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ VQNOTIFY_CMD_QUEUE_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ VQNOTIFY_CMD_CONFIG_GET, GENL_CMD_CAP_DO },
		{ VQNOTIFY_CMD_CONFIG_SET, GENL_CMD_CAP_DO | GENL_ADMIN_PERM },
	};
	struct tk_nl_family fi;
	unsigned int i;

	ASSERT_EQ(0, tk_nl_family(&self->nl, &fi));
	EXPECT_EQ(VQNOTIFY_GENL_VERSION, fi.version);
	EXPECT_TRUE(fi.monitor_found);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_EQ(want[i].flags, fi.op_flags[want[i].cmd] & caps)
			TH_LOG("cmd %u", want[i].cmd);
	/* Notifications are not requests. */
	for (i = VQNOTIFY_CMD_GUEST_ADD_NTF; i <= VQNOTIFY_CMD_MAX; i++)
		EXPECT_EQ(0, fi.op_flags[i]) TH_LOG("cmd %u", i);
}

TEST_F(genl, config_get)
{
	struct vqnotify_info info;
	struct tk_nl_config c;

	test_cmd_nl_config_get(&c);
	test_cmd_get_info(&info);
	EXPECT_EQ(info.default_budget, c.default_budget);
	EXPECT_EQ(info.threshold, c.threshold);
	EXPECT_EQ(info.vhost_reserve, c.vhost_reserve);
	EXPECT_EQ(info.host_cap, c.host_cap);
	EXPECT_EQ(info.host_used, c.host_used);
	EXPECT_EQ(info.nr_guests, c.nr_guests);
	EXPECT_LE(1, c.nr_guests);
}

/* guest-get do: the same numbers as VQNOTIFY_GUEST_GET. */
TEST_F(genl, guest_get_do)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL,
		.label = "nl-test-guest",
	};
	struct vqnotify_guest_info gi;
	struct tk_nl_guest g;
	uint32_t dev;
	int l;

	ASSERT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 6, "net0", &dev);
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(dev, 0, true, NULL);
	test_cmd_guest_get(&gi);

	test_cmd_nl_guest_get(self->guest, &g);
	ASSERT_TRUE(g.found);
	EXPECT_EQ(self->guest, g.id);
	EXPECT_STREQ("nl-test-guest", g.label);
	EXPECT_EQ((uint32_t)getpid(), g.pid);
	EXPECT_EQ(geteuid(), g.uid);
	EXPECT_EQ(gi.budget, g.budget);
	EXPECT_EQ(gi.threshold, g.threshold);
	EXPECT_EQ(gi.vhost_reserve, g.reserve);
	EXPECT_EQ(0, g.own_budget);
	EXPECT_EQ(gi.budget, g.admin_budget);
	EXPECT_EQ(gi.used, g.used);
	EXPECT_EQ(6, g.used);
	EXPECT_EQ(gi.nr_assigned, g.nr_assigned);
	EXPECT_EQ(1, g.nr_offlimits);
	EXPECT_EQ(gi.nr_waiting, g.nr_waiting);
	EXPECT_EQ(1, g.nr_devices);
	EXPECT_EQ(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED), g.limited);
	EXPECT_FALSE(g.over_budget);
	ASSERT_TRUE(g.has_counts);
	for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
		EXPECT_EQ(gi.counts[l], g.counts[l]) TH_LOG("label %d", l);
	EXPECT_EQ(6ULL, g.counts[VQNOTIFY_LABEL_A]);
	EXPECT_EQ(6ULL, g.counts[VQNOTIFY_LABEL_B]);
	EXPECT_EQ(1ULL, g.counts[VQNOTIFY_LABEL_D]);
}

TEST_F(genl, guest_get_dump)
{
	struct vqnotify_info info;
	int fd2, nr = 0;
	struct vqnotify_guest_info gi;

	fd2 = tk_open(O_NONBLOCK);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_guest_get(fd2, &gi));
	ASSERT_EQ(1, tk_nl_guest_visible(&self->nl, self->guest, &nr));
	ASSERT_EQ(1, tk_nl_guest_visible(&self->nl, gi.guest_id, NULL));
	test_cmd_get_info(&info);
	EXPECT_EQ(info.nr_guests, (uint32_t)nr);
	close(fd2);
	ASSERT_EQ(0, tk_nl_guest_visible(&self->nl, gi.guest_id, NULL));
}

TEST_F(genl, dev_get_do_and_dump)
{
	struct tk_nl_devs dr = {};
	uint32_t d1, d2;
	struct tk_nlreq r;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 3, "blk0", &d1);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 17, "net1", &d2);
	test_cmd_set_status(d2, TK_STATUS_OK, NULL, NULL, NULL);

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	ASSERT_EQ(0, tk_nl_talk(&self->nl, &r, tk_nl_devs_cb, &dr));
	ASSERT_EQ(2, dr.n);
	EXPECT_EQ(self->guest, dr.d[0].guest);
	EXPECT_EQ(d1, dr.d[0].id);
	EXPECT_EQ(3, dr.d[0].num_queues);
	EXPECT_EQ(0, dr.d[0].status);
	EXPECT_EQ(VQNOTIFY_TRANSPORT_MMIO, dr.d[0].transport);
	EXPECT_STREQ("blk0", dr.d[0].label);
	EXPECT_EQ(d2, dr.d[1].id);
	EXPECT_EQ(17, dr.d[1].num_queues);
	EXPECT_EQ(TK_STATUS_OK, dr.d[1].status);

	memset(&dr, 0, sizeof(dr));
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_ID, d2);
	ASSERT_EQ(0, tk_nl_talk(&self->nl, &r, tk_nl_devs_cb, &dr));
	ASSERT_EQ(1, dr.n);
	EXPECT_EQ(d2, dr.d[0].id);
	EXPECT_STREQ("net1", dr.d[0].label);

	/* Unfiltered: ours are among everyone's. */
	memset(&dr, 0, sizeof(dr));
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	ASSERT_EQ(0, tk_nl_talk(&self->nl, &r, tk_nl_devs_cb, &dr));
	EXPECT_LE(2, dr.n);
}

TEST_F(genl, queue_get_do)
{
	struct vqnotify_vq_info vi[4];
	struct tk_nl_queue q;
	struct tk_nl_queues qr = { .cap = 1, .q = &q };
	struct tk_nlreq r;
	uint32_t dev;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(dev, 2, true, NULL);
	test_cmd_dev_get(dev, NULL, vi, 4);

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, dev);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_INDEX, 2);
	ASSERT_EQ(0, tk_nl_talk(&self->nl, &r, tk_nl_queues_cb, &qr));
	ASSERT_EQ(1, qr.n);
	EXPECT_EQ(self->guest, q.guest);
	EXPECT_EQ(dev, q.dev);
	EXPECT_EQ(2, q.index);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, q.state);
	EXPECT_EQ(vi[2].state, q.state);
	EXPECT_EQ(vi[2].reason, q.reason);
	EXPECT_EQ(VQNOTIFY_LABEL_D, q.label);
	EXPECT_EQ(vi[2].flags, q.flags);
	EXPECT_EQ(vi[2].assign_seq, q.seq);
}

/*
 * 4 devices x 1024 queues: far more than one skb. The dump must resume
 * where it stopped, every queue exactly once, in order.
 */
#define BIG_DEVS	4
#define BIG_QUEUES	VQNOTIFY_MAX_QUEUES

TEST_F(genl, queue_dump_large)
{
	static struct vqnotify_vq_info vi[BIG_DEVS][BIG_QUEUES];
	static struct tk_nl_queue q[BIG_DEVS * BIG_QUEUES + 16];
	struct tk_nl_queues qr = { .cap = BIG_DEVS * BIG_QUEUES + 16, .q = q };
	uint32_t dev[BIG_DEVS];
	struct tk_nlreq r;
	int d, i, bad = 0;

	for (d = 0; d < BIG_DEVS; d++) {
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, BIG_QUEUES, "big",
				 &dev[d]);
		test_cmd_set_status(dev[d], TK_STATUS_OK, NULL, NULL, NULL);
	}
	for (d = 0; d < BIG_DEVS; d++)
		test_cmd_dev_get(dev[d], NULL, vi[d], BIG_QUEUES);

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	ASSERT_EQ(0, tk_nl_talk(&self->nl, &r, tk_nl_queues_cb, &qr));
	TH_LOG("%d queues in %d recv() calls", qr.n, self->nl.nr_recv);
	ASSERT_EQ(BIG_DEVS * BIG_QUEUES, qr.n);
	EXPECT_LT(1, self->nl.nr_recv);
	for (d = 0; d < BIG_DEVS; d++) {
		for (i = 0; i < BIG_QUEUES; i++) {
			struct tk_nl_queue *x = &q[d * BIG_QUEUES + i];

			if (x->guest != self->guest || x->dev != dev[d] ||
			    x->index != (uint32_t)i ||
			    x->state != vi[d][i].state ||
			    x->reason != vi[d][i].reason ||
			    x->label != vi[d][i].label ||
			    x->flags != vi[d][i].flags ||
			    x->seq != vi[d][i].assign_seq)
				bad++;
		}
	}
	EXPECT_EQ(0, bad);

	/* One device of the guest: its 1024 queues, also over several skbs. */
	qr.n = 0;
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, dev[2]);
	ASSERT_EQ(0, tk_nl_talk(&self->nl, &r, tk_nl_queues_cb, &qr));
	ASSERT_EQ(BIG_QUEUES, qr.n);
	EXPECT_LT(1, self->nl.nr_recv);
	for (i = 0, bad = 0; i < BIG_QUEUES; i++)
		if (q[i].dev != dev[2] || q[i].index != (uint32_t)i)
			bad++;
	EXPECT_EQ(0, bad);
}

/* ioctls on /dev/vqnotify show up on the monitor group, in order. */
TEST_F(genl, monitor_transitions)
{
	struct tk_nl_ntf f[64];
	struct tk_nl mon;
	struct vqnotify_guest_info gi;
	uint32_t dev;
	int n, i, fd2;

	ASSERT_EQ(0, tk_nl_open(&mon));
	ASSERT_EQ(0, tk_nl_join(&mon, mon.monitor));

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(dev, 0, true, NULL);
	test_cmd_dev_remove(dev, NULL, NULL);
	n = tk_nl_ntfs(&mon, f, 64);
	/* dev add, 4 x (b), (d), 4 x (g), dev del */
	ASSERT_EQ(11, n);
	EXPECT_EQ(VQNOTIFY_CMD_DEV_ADD_NTF, f[0].cmd);
	EXPECT_EQ(self->guest, f[0].guest);
	EXPECT_EQ(dev, f[0].id);
	EXPECT_EQ(4, f[0].num_queues);
	for (i = 1; i <= 4; i++) {
		EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[i].cmd);
		EXPECT_EQ(self->guest, f[i].guest);
		EXPECT_EQ(dev, f[i].dev);
		EXPECT_EQ(i - 1, f[i].queue);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, f[i].old);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, f[i].new);
		EXPECT_EQ(VQNOTIFY_LABEL_B, f[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_GRANTED, f[i].reason);
	}
	EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[5].cmd);
	EXPECT_EQ(0, f[5].queue);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, f[5].old);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, f[5].new);
	EXPECT_EQ(VQNOTIFY_LABEL_D, f[5].label);
	EXPECT_EQ(VQNOTIFY_REASON_VHOST, f[5].reason);
	for (i = 6; i <= 9; i++) {
		EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[i].cmd);
		EXPECT_EQ(i - 6, f[i].queue);
		EXPECT_EQ(i == 6 ? VQNOTIFY_VQ_OFFLIMITS : VQNOTIFY_VQ_ASSIGNED,
			  f[i].old);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, f[i].new);
		EXPECT_EQ(VQNOTIFY_LABEL_G, f[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_REMOVED, f[i].reason);
	}
	EXPECT_EQ(VQNOTIFY_CMD_DEV_DEL_NTF, f[10].cmd);
	EXPECT_EQ(dev, f[10].id);

	/* A guest opened and closed. */
	fd2 = tk_open(O_NONBLOCK);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_guest_get(fd2, &gi));
	close(fd2);
	n = tk_nl_ntfs(&mon, f, 64);
	ASSERT_EQ(2, n);
	EXPECT_EQ(VQNOTIFY_CMD_GUEST_ADD_NTF, f[0].cmd);
	EXPECT_EQ(gi.guest_id, f[0].guest);
	EXPECT_EQ(VQNOTIFY_CMD_GUEST_DEL_NTF, f[1].cmd);
	EXPECT_EQ(gi.guest_id, f[1].guest);
	tk_nl_close(&mon);
}

/* config-set is what VQNOTIFY_GET_INFO and new guests see. */
TEST_F(genl, config_set_visible)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;
	struct tk_nl_config c = self->start;
	int fd2;

	if (geteuid())
		SKIP(return, "needs root");
	c.default_budget = c.threshold + 3;
	c.vhost_reserve = 2;
	c.host_cap = c.host_used + 12345;
	test_cmd_nl_config_set(&c);

	test_cmd_get_info(&info);
	EXPECT_EQ(c.default_budget, info.default_budget);
	EXPECT_EQ(c.vhost_reserve, info.vhost_reserve);
	EXPECT_EQ(c.host_cap, info.host_cap);
	EXPECT_EQ(c.threshold, info.threshold);

	fd2 = tk_open(O_NONBLOCK);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_guest_get(fd2, &gi));
	EXPECT_EQ(c.default_budget, gi.budget);
	EXPECT_EQ(2U, gi.vhost_reserve);
	EXPECT_FALSE(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED));
	close(fd2);

	/* The existing guest keeps its budget. */
	test_cmd_guest_get(&gi);
	EXPECT_EQ(self->start.default_budget, gi.budget);
}

/*
 * Raising the threshold above a guest's budget makes it limited: its
 * ASSIGNED queues are preempted (p), newest first, the guest reads the
 * transitions and a BUDGET event, and the monitor sees the transitions.
 */
TEST_F(genl, threshold_limits_guest)
{
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;
	struct tk_nl_guest g;
	struct tk_nl_ntf f[16];
	struct tk_nl mon;
	uint32_t dev;
	int n, i;

	if (geteuid())
		SKIP(return, "needs root");
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_guest_get(&gi);
	ASSERT_EQ(4U, gi.nr_assigned);
	ASSERT_FALSE(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED));
	ASSERT_EQ(0, tk_read_events(self->fd, ev, 16));
	ASSERT_EQ(0, tk_nl_open(&mon));
	ASSERT_EQ(0, tk_nl_join(&mon, mon.monitor));

	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_THRESHOLD, gi.budget + 1);

	test_cmd_guest_get(&gi);
	EXPECT_TRUE(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED));
	EXPECT_EQ(0U, gi.nr_assigned);
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(gi.budget + 1, gi.threshold);

	n = tk_read_events(self->fd, ev, 16);
	ASSERT_EQ(5, n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[i].type);
		EXPECT_EQ(dev, ev[i].dev_id);
		EXPECT_EQ((uint32_t)(3 - i), ev[i].queue);
		EXPECT_EQ(VQNOTIFY_LABEL_P, ev[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_PREEMPT_BUDGET, ev[i].reason);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
	}
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, ev[4].type);
	EXPECT_EQ(gi.budget, ev[4].value);

	n = tk_nl_ntfs(&mon, f, 16);
	ASSERT_EQ(4, n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[i].cmd);
		EXPECT_EQ(3 - i, f[i].queue);
		EXPECT_EQ(VQNOTIFY_LABEL_P, f[i].label);
	}

	test_cmd_nl_guest_get(self->guest, &g);
	EXPECT_TRUE(g.limited);
	EXPECT_EQ(gi.budget + 1, g.threshold);
	EXPECT_EQ(4ULL, g.counts[VQNOTIFY_LABEL_P]);
	tk_nl_close(&mon);
}

/* guest-set: a lower admin budget and a vhost reserve preempt grants. */
TEST_F(genl, guest_set_budget_and_reserve)
{
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;
	struct tk_nl_guest g;
	uint32_t dev, nq, budget;
	int n;

	if (geteuid())
		SKIP(return, "needs root");
	test_cmd_guest_get(&gi);
	budget = gi.threshold + 2;
	nq = budget + 2;
	if (gi.budget < nq || nq > VQNOTIFY_MAX_QUEUES)
		SKIP(return, "budget %u, threshold %u", gi.budget,
		     gi.threshold);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, nq, "net0", &dev);
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, NULL, NULL);
	ASSERT_EQ(0, tk_read_events(self->fd, ev, 16));

	test_cmd_nl_guest_set_one(self->guest, VQNOTIFY_A_GUEST_ADMIN_BUDGET,
				  budget);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(budget, gi.budget);
	EXPECT_EQ(budget, gi.nr_assigned);
	EXPECT_EQ(2U, gi.nr_waiting);
	n = tk_read_events(self->fd, ev, 16);
	ASSERT_EQ(3, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ(nq - 1, ev[0].queue);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[1].label);
	EXPECT_EQ(nq - 2, ev[1].queue);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, ev[2].type);
	EXPECT_EQ(budget, ev[2].value);

	test_cmd_nl_guest_set_one(self->guest, VQNOTIFY_A_GUEST_VHOST_RESERVE,
				  1);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(1U, gi.vhost_reserve);
	EXPECT_EQ(budget - 1, gi.nr_assigned);
	n = tk_read_events(self->fd, ev, 16);
	ASSERT_EQ(2, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, ev[1].type);

	test_cmd_nl_guest_get(self->guest, &g);
	EXPECT_EQ(budget, g.admin_budget);
	EXPECT_EQ(budget, g.budget);
	EXPECT_EQ(1, g.reserve);
}

/* Unprivileged users: EPERM for admin ops, nothing of other users' guests */

static int nobody_guest_set(void *arg)
{
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -_test_nl_guest_set_one(&nl, *(uint32_t *)arg,
			   VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1);
}

static int nobody_config_set(void *arg)
{
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -_test_nl_config_set_one(&nl, VQNOTIFY_A_CONFIG_THRESHOLD, 1);
}

static int nobody_monitor(void *arg)
{
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -tk_nl_join(&nl, nl.monitor);
}

static int nobody_guest_get(void *arg)
{
	struct tk_nl_guest g;
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -_test_nl_guest_get(&nl, *(uint32_t *)arg, &g);
}

static int nobody_config_get(void *arg)
{
	struct tk_nl_config c;
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	if (_test_nl_config_get(&nl, &c))
		return 1;
	return c.host_cap == ~0U || c.nr_guests == ~0U ? 2 : 0;
}

/* How many messages a filtered dev or queue dump of guest @arg returns. */
static int nobody_dumps(void *arg)
{
	struct tk_nl_queue q[8];
	struct tk_nl_queues qr = { .cap = 8, .q = q };
	struct tk_nl_devs dr = {};
	struct tk_nlreq r;
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	tk_nl_req(&nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, *(uint32_t *)arg);
	if (tk_nl_talk(&nl, &r, tk_nl_devs_cb, &dr)) {
		tk_nl_close(&nl);
		return 253;
	}
	tk_nl_req(&nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, *(uint32_t *)arg);
	if (tk_nl_talk(&nl, &r, tk_nl_queues_cb, &qr)) {
		tk_nl_close(&nl);
		return 252;
	}
	tk_nl_close(&nl);
	return dr.n + qr.n;
}

/*
 * As nobody (with CAP_DAC_OVERRIDE only, to open /dev/vqnotify): its own
 * guest is in the dump and readable, root's guest @arg is neither.
 * Returns a bit per failed expectation.
 */
static int nobody_own_guest(void *arg)
{
	struct vqnotify_guest_info gi;
	struct tk_nl_guest g;
	struct tk_nl nl;
	int fd, ret = 0;

	if (tk_nl_open(&nl))
		return 254;
	fd = tk_open(O_NONBLOCK);
	if (fd < 0 || _test_ioctl_guest_get(fd, &gi))
		return 253;
	if (tk_nl_guest_visible(&nl, gi.guest_id, NULL) != 1)
		ret |= 1;
	if (tk_nl_guest_visible(&nl, *(uint32_t *)arg, NULL) != 0)
		ret |= 2;
	if (_test_nl_guest_get(&nl, gi.guest_id, &g) || g.uid != TK_NOBODY)
		ret |= 4;
	if (_test_nl_guest_get(&nl, *(uint32_t *)arg, &g) != -ENOENT)
		ret |= 8;
	if (_test_nl_guest_set_one(&nl, gi.guest_id,
		       VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1) != -EPERM)
		ret |= 16;
	close(fd);
	return ret;
}

TEST_F(genl, nobody_guest_set_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, tk_run_as_nobody(0, nobody_guest_set, &self->guest));
}

TEST_F(genl, nobody_config_set_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, tk_run_as_nobody(0, nobody_config_set, NULL));
}

TEST_F(genl, nobody_monitor_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, tk_run_as_nobody(0, nobody_monitor, NULL));
}

TEST_F(genl, nobody_guest_get_enoent)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(ENOENT, tk_run_as_nobody(0, nobody_guest_get, &self->guest));
}

TEST_F(genl, nobody_config_get_allowed)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, tk_run_as_nobody(0, nobody_config_get, NULL));
}

TEST_F(genl, nobody_dumps_hide_others)
{
	uint32_t dev;

	if (geteuid())
		SKIP(return, "needs root");
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	EXPECT_EQ(0, tk_run_as_nobody(0, nobody_dumps, &self->guest));
	/* Root sees them: the filter is not what hides them. */
	EXPECT_EQ(5, nobody_dumps(&self->guest));
}

TEST_F(genl, nobody_sees_own_guest)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, tk_run_as_nobody(TK_CAP_DAC, nobody_own_guest, &self->guest));
}

/* Bad requests: each rejected, with the errno the policy gives */

TEST_F(genl, guest_get_no_id_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, guest_get_short_id_einval)
{
	uint16_t id = self->guest;
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	tk_nlreq_put(&r, VQNOTIFY_A_GUEST_ID, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, guest_get_unknown_attr_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_GUEST_MAX + 10, 1);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

/* An attribute of the set, but not of this request. */
TEST_F(genl, guest_get_foreign_attr_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_GUEST_BUDGET, 1);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, guest_dump_attr_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

/* dev-id belongs to dev-get's do request, not to its dump. */
TEST_F(genl, dev_dump_dev_id_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_ID, 1);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, queue_dump_dev_without_guest_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, 1);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, queue_get_no_index_einval)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, 1);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, config_set_empty_einval)
{
	struct tk_nlreq r;

	if (geteuid())
		SKIP(return, "needs root");
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_CONFIG_SET, false);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, config_set_host_cap_zero_erange)
{
	struct tk_nl_config c;

	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_config_set_one(ERANGE, VQNOTIFY_A_CONFIG_HOST_CAP, 0);
	test_cmd_nl_config_get(&c);
	EXPECT_EQ(self->start.host_cap, c.host_cap);
}

TEST_F(genl, config_set_threshold_too_big_erange)
{
	struct tk_nl_config c;

	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_config_set_one(ERANGE, VQNOTIFY_A_CONFIG_THRESHOLD,
				   0x80000000U);
	test_cmd_nl_config_get(&c);
	EXPECT_EQ(self->start.threshold, c.threshold);
}

/* A request that fails on its last attribute changes nothing. */
TEST_F(genl, config_set_partly_bad_changes_nothing)
{
	struct tk_nl_config c;
	struct tk_nlreq r;

	if (geteuid())
		SKIP(return, "needs root");
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_CONFIG_SET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
		self->start.default_budget + 1);
	tk_nlreq_u32(&r, VQNOTIFY_A_CONFIG_HOST_CAP, 0);
	EXPECT_EQ(-ERANGE, tk_nl_talk(&self->nl, &r, NULL, NULL));
	test_cmd_nl_config_get(&c);
	EXPECT_EQ(self->start.default_budget, c.default_budget);
}

TEST_F(genl, guest_set_nothing_einval)
{
	struct tk_nlreq r;

	if (geteuid())
		SKIP(return, "needs root");
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_SET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, guest_set_budget_too_big_erange)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_guest_set_one(ERANGE, self->guest,
				  VQNOTIFY_A_GUEST_ADMIN_BUDGET, 0x80000000U);
}

TEST_F(genl, unknown_cmd_eopnotsupp)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_NTF, false);
	EXPECT_EQ(-EOPNOTSUPP, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

/* Unknown objects: ENOENT */

#define NO_GUEST	0x7ffffff0U

TEST_F(genl, guest_get_unknown_enoent)
{
	struct tk_nl_guest g;

	test_err_nl_guest_get(ENOENT, NO_GUEST, &g);
	EXPECT_STREQ("no such guest", self->nl.ext_msg);
}

TEST_F(genl, dev_get_unknown_guest_enoent)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, NO_GUEST);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_ID, 1);
	EXPECT_EQ(-ENOENT, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, dev_get_unknown_dev_enoent)
{
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_ID, 12345);
	EXPECT_EQ(-ENOENT, tk_nl_talk(&self->nl, &r, NULL, NULL));
	EXPECT_STREQ("no such device", self->nl.ext_msg);
}

TEST_F(genl, queue_get_unknown_index_enoent)
{
	struct tk_nlreq r;
	uint32_t dev;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, false);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, dev);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_INDEX, 4);
	EXPECT_EQ(-ENOENT, tk_nl_talk(&self->nl, &r, NULL, NULL));
	EXPECT_STREQ("no such queue", self->nl.ext_msg);
}

TEST_F(genl, guest_set_unknown_enoent)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_guest_set_one(ENOENT, NO_GUEST,
				  VQNOTIFY_A_GUEST_ADMIN_BUDGET, 8);
}

/* A filtered dump of an unknown guest is empty, not an error. */
TEST_F(genl, dump_unknown_guest_empty)
{
	EXPECT_EQ(0, nobody_dumps(&(uint32_t){ NO_GUEST }));
}

TEST_HARNESS_MAIN
