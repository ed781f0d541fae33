// SPDX-License-Identifier: GPL-2.0
/*
 * The per-call interfaces: the "calls" multicast group's CALL_NTF (one
 * message per ioctl call, its results packed), the QUEUES_GET dump (a
 * device's queue states packed) and the vqnotify:vq_call tracepoint (one
 * event per call, runs of queues changed alike).
 *
 * A CALL_NTF carries exactly what the call returned to its caller, with
 * the guest's and device's ids and names; a call refused before it changed
 * anything (EINVAL, ENOENT, ENOSPC) sends nothing; nobody joins "calls"
 * without CAP_NET_ADMIN. The group also tells what the monitor group does
 * (CONFIG_GET's calls-monitor): the guest and device notifications, and
 * the transitions nobody called for packed in a CALL_NTF with async, one
 * per change of limits, per call (before its results) and per turn of the
 * host-wide promotion work. QUEUES_GET reports what DEV_GET and QUEUE_GET
 * report, 256 queues a message. vq_call and vq_transition are read from
 * tracefs directly.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

#define NTF_MAX		16
#define TRACEFS		"/sys/kernel/tracing"

/* A CALL_NTF as received; other commands are counted in @other. */
struct calls_ntf {
	int64_t guest, dev;
	char gname[VQNOTIFY_NAME_LEN], dname[VQNOTIFY_NAME_LEN];
	bool async;		/* no call's results */
	uint32_t nr;		/* results */
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
};

struct calls_ntfs {
	int n, other;
	int other_at;		/* CALL_NTFs before the first other: -1 none */
	uint8_t other_cmd[NTF_MAX];
	bool bad_len;
	struct calls_ntf f[NTF_MAX];
};

static void calls_ntf_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct calls_ntfs *cn = arg;
	const struct nlattr *r;
	struct calls_ntf *f;
	struct tk_nl_attrs a;

	if (tk_nl_msg_cmd(nlh) != VQNOTIFY_CMD_CALL_NTF) {
		if (cn->other_at < 0)
			cn->other_at = cn->n;
		if (cn->other < NTF_MAX)
			cn->other_cmd[cn->other] = tk_nl_msg_cmd(nlh);
		cn->other++;
		return;
	}
	if (cn->n >= NTF_MAX) {
		cn->n++;
		return;
	}
	f = &cn->f[cn->n++];
	memset(f, 0, sizeof(*f));
	tk_nl_parse_msg(&a, nlh);
	f->guest = tk_nl_get_u32(&a, VQNOTIFY_A_CALL_GUEST_ID);
	f->dev = tk_nl_get_u32(&a, VQNOTIFY_A_CALL_DEV_ID);
	f->async = a.tb[VQNOTIFY_A_CALL_ASYNC];
	if (a.tb[VQNOTIFY_A_CALL_GUEST_NAME])
		snprintf(f->gname, sizeof(f->gname), "%s", (const char *)
			 tk_nla_data(a.tb[VQNOTIFY_A_CALL_GUEST_NAME]));
	if (a.tb[VQNOTIFY_A_CALL_DEV_NAME])
		snprintf(f->dname, sizeof(f->dname), "%s", (const char *)
			 tk_nla_data(a.tb[VQNOTIFY_A_CALL_DEV_NAME]));
	r = a.tb[VQNOTIFY_A_CALL_RESULTS];
	if (!r)
		return;
	if (tk_nla_len(r) % sizeof(f->res[0]) ||
	    tk_nla_len(r) > (int)sizeof(f->res)) {
		cn->bad_len = true;
		return;
	}
	f->nr = tk_nla_len(r) / sizeof(f->res[0]);
	memcpy(f->res, tk_nla_data(r), tk_nla_len(r));
}

/* What the calls socket holds now: number of CALL_NTFs, or -errno. */
static int calls_read(struct tk_nl *mon, struct calls_ntfs *cn)
{
	bool overrun = false;
	int ret;

	cn->n = cn->other = 0;
	cn->other_at = -1;
	cn->bad_len = false;
	ret = tk_nl_drain(mon, calls_ntf_cb, cn, &overrun);
	if (ret < 0)
		return ret;
	if (overrun || cn->bad_len)
		return -EPROTO;
	return cn->n;
}

TK_NL_FIXTURE(calls);

/* The message's fields against the caller's own view of the call. */
static void calls_expect(struct __test_metadata *_metadata,
			 const struct calls_ntf *f, uint32_t guest,
			 uint32_t dev, const char *dname,
			 const struct vqnotify_vq_result *res, uint32_t nr)
{
	uint32_t i, bad = 0;

	EXPECT_EQ(guest, f->guest);
	EXPECT_EQ(dev, f->dev);
	EXPECT_STREQ(dname, f->dname);
	EXPECT_FALSE(f->async);
	ASSERT_EQ(nr, f->nr);
	for (i = 0; i < nr; i++) {
		if (memcmp(&f->res[i], &res[i], sizeof(res[i])) && bad++ < 4)
			TH_LOG("result %u: queue %u %u->%u label %u reason %u, call said queue %u %u->%u label %u reason %u",
			       i, f->res[i].queue, f->res[i].old_state,
			       f->res[i].new_state, f->res[i].label,
			       f->res[i].reason, res[i].queue,
			       res[i].old_state, res[i].new_state,
			       res[i].label, res[i].reason);
	}
	EXPECT_EQ(0U, bad);
}

static struct calls_ntfs cn;
static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];

/*
 * DRIVER_OK of devices of 1, 8 and 1024 queues: one CALL_NTF each, whose
 * results are the ioctl's own (with the budget of 1024 spent, the last
 * device's queues are partly refused: label NONE, reason no-slot).
 */
TEST_F(calls, driver_ok_one_message_equal_results)
{
	static const uint32_t nqs[] = { 1, 8, 1024 };
	struct vqnotify_guest_info gi;
	struct tk_nl mon;
	uint32_t dev, nr, i;
	char name[16];

	ASSERT_EQ(0, tk_nl_open_calls(&mon));
	test_cmd_set_name("calls-vm");
	test_cmd_guest_get(&gi);
	for (i = 0; i < TK_ARRAY_SIZE(nqs); i++) {
		snprintf(name, sizeof(name), "d%u", nqs[i]);
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, nqs[i], name, &dev);
		/*
		 * DEV_ADD is no call: its DEV_ADD_NTF only (the first after
		 * the rename's GUEST_CHANGE_NTF).
		 */
		EXPECT_EQ(0, calls_read(&mon, &cn));
		EXPECT_EQ(i ? 1 : 2, cn.other);
		EXPECT_EQ(VQNOTIFY_CMD_DEV_ADD_NTF, cn.other_cmd[cn.other - 1]);
		nr = nqs[i];
		test_cmd_set_status(dev, TK_STATUS_OK, NULL, res, &nr);
		ASSERT_EQ(nqs[i], nr);
		ASSERT_EQ(1, calls_read(&mon, &cn)) TH_LOG("%u queues", nqs[i]);
		EXPECT_EQ(0, cn.other);
		calls_expect(_metadata, &cn.f[0], self->guest, dev, name, res,
			     nr);
		EXPECT_STREQ(gi.name, cn.f[0].gname);
		EXPECT_STREQ("calls-vm", cn.f[0].gname);
	}
	/* The last device is partly refused: the refusals are results too. */
	EXPECT_EQ(VQNOTIFY_LABEL_NONE, res[1023].label);
	EXPECT_EQ(VQNOTIFY_REASON_NO_SLOT, res[1023].reason);
	tk_nl_close(&mon);
}

/*
 * A call on 1024 queues makes a message bigger than the slab's biggest
 * object, whose memory the module uses again once every listener has read
 * it (each CPU keeps two pages): four such messages left unread, sent
 * from one CPU, are each their own call's when read, and so are the next
 * four, each read at once (their memory used again).
 */
TEST_F(calls, big_messages_unread_stay_intact)
{
	static struct vqnotify_vq_result big[4][VQNOTIFY_MAX_QUEUES];
	struct tk_nl mon;
	uint32_t dev[4], nr, i, round;
	char name[4][8];

	ASSERT_EQ(0, tk_pin_here());
	ASSERT_EQ(0, tk_nl_open_calls(&mon));
	for (i = 0; i < 4; i++) {
		snprintf(name[i], sizeof(name[i]), "big%u", i);
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, VQNOTIFY_MAX_QUEUES,
				 name[i], &dev[i]);
	}
	EXPECT_EQ(0, calls_read(&mon, &cn));
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 4; i++) {
			nr = VQNOTIFY_MAX_QUEUES;
			test_cmd_set_status(dev[i], TK_STATUS_OK, NULL, big[i],
					    &nr);
			ASSERT_EQ(VQNOTIFY_MAX_QUEUES, nr);
			if (!round)
				continue;
			ASSERT_EQ(1, calls_read(&mon, &cn));
			calls_expect(_metadata, &cn.f[0], self->guest, dev[i],
				     name[i], big[i], nr);
		}
		if (!round) {
			ASSERT_EQ(4, calls_read(&mon, &cn));
			for (i = 0; i < 4; i++)
				calls_expect(_metadata, &cn.f[i], self->guest,
					     dev[i], name[i], big[i],
					     VQNOTIFY_MAX_QUEUES);
		}
		for (i = 0; i < 4; i++) {
			nr = VQNOTIFY_MAX_QUEUES;
			test_cmd_dev_reset(dev[i], res, &nr);
		}
		EXPECT_LE(0, calls_read(&mon, &cn));
	}
	tk_nl_close(&mon);
}

/*
 * One message per call, whatever the call: reset, vhost on one queue and
 * on a bitmap, release and acquire, remove; each equal to its results.
 */
TEST_F(calls, one_message_per_call)
{
	struct vqnotify_vq_result one;
	uint64_t bm[TK_BITMAP_WORDS(16)] = { 0xf0 };
	struct tk_nl mon;
	uint32_t dev, nr;

	ASSERT_EQ(0, tk_nl_open_calls(&mon));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 16, "net", &dev);
	nr = 16;
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", res, nr);

	test_cmd_host_notifier(dev, 3, true, &one);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", &one, 1);
	EXPECT_EQ(VQNOTIFY_LABEL_D, one.label);

	nr = 16;
	test_cmd_host_notifiers(dev, bm, 16, true, res, &nr);
	ASSERT_EQ(4U, nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", res, nr);

	nr = 16;
	bm[0] = 0x3;
	test_cmd_queues_release(0, dev, bm, 16, res, &nr);
	ASSERT_EQ(2U, nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", res, nr);
	nr = 16;
	test_cmd_queues_acquire(dev, bm, 16, res, &nr);
	ASSERT_EQ(2U, nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", res, nr);

	nr = 16;
	test_cmd_dev_reset(dev, res, &nr);
	ASSERT_EQ(16U, nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", res, nr);

	/* Nothing to change: no results, no message. */
	nr = 16;
	test_cmd_dev_reset(dev, res, &nr);
	ASSERT_EQ(0U, nr);
	EXPECT_EQ(0, calls_read(&mon, &cn));

	/* Removed: the results still name the device, gone by then. */
	nr = 16;
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	nr = 16;
	test_cmd_dev_remove(dev, res, &nr);
	ASSERT_EQ(16U, nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "net", res, nr);
	tk_nl_close(&mon);
}

/*
 * A refused call changes nothing and sends nothing: results buffer too
 * small (EINVAL), unknown device (ENOENT), queue out of range (EINVAL),
 * vhost wanting more slots than the budget has and nothing to preempt
 * (ENOSPC).
 */
TEST_F(calls, refused_call_sends_nothing)
{
	uint64_t bm[TK_BITMAP_WORDS(8)] = { 0xff };
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi[8];
	struct tk_nl mon;
	uint32_t dev, nr;
	int i;

	ASSERT_EQ(0, tk_nl_open_calls(&mon));
	test_cmd_set_budget(7);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 8, "ref", &dev);
	EXPECT_EQ(0, calls_read(&mon, &cn));

	nr = 7;
	test_err_set_status(EINVAL, dev, TK_STATUS_OK, NULL, res, &nr);
	EXPECT_EQ(0, calls_read(&mon, &cn));
	nr = 8;
	test_err_set_status(ENOENT, dev + 100, TK_STATUS_OK, NULL, res, &nr);
	EXPECT_EQ(0, calls_read(&mon, &cn));
	test_err_host_notifier(EINVAL, dev, 8, true, NULL);
	EXPECT_EQ(0, calls_read(&mon, &cn));
	nr = 8;
	test_err_host_notifiers(ENOSPC, dev, bm, 8, true, res, &nr);
	EXPECT_EQ(0, calls_read(&mon, &cn));
	EXPECT_EQ(0, cn.other);

	/* And nothing changed: every queue is as DEV_ADD left it. */
	test_cmd_dev_get(dev, &dg, vi, 8);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, vi[i].state);
	tk_nl_close(&mon);
}

static void calls_monitor_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_attrs a;

	tk_nl_parse_msg(&a, nlh);
	*(bool *)arg = a.tb[VQNOTIFY_A_CONFIG_CALLS_MONITOR];
}

/*
 * The calls group tells what the monitor group does, and CONFIG_GET says
 * so: a device's add and removal, and the transitions nobody called for.
 * The six (p) of a lower budget come in one async CALL_NTF; the (r) a
 * release makes room for in one, before the release's own results; the
 * (r) of the budget back in one; a removed device's results come before
 * its DEV_DEL_NTF, as in the monitor group.
 */
TEST_F(calls, async_transitions_and_objects)
{
	uint64_t bm[TK_BITMAP_WORDS(16)] = { 0x1 };
	bool calls_monitor = false;
	struct tk_nl mon;
	uint32_t dev, nr, i;

	ASSERT_EQ(0, tk_nl_call(&self->nl, VQNOTIFY_CMD_CONFIG_GET, false,
				NULL, 0, calls_monitor_cb, &calls_monitor));
	EXPECT_TRUE(calls_monitor);
	ASSERT_EQ(0, tk_nl_open_calls(&mon));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 16, "as", &dev);
	EXPECT_EQ(0, calls_read(&mon, &cn));
	ASSERT_EQ(1, cn.other);
	EXPECT_EQ(VQNOTIFY_CMD_DEV_ADD_NTF, cn.other_cmd[0]);
	nr = 16;
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "as", res, nr);

	/* The VMM's own budget 10: six (p), in one message of the device. */
	test_cmd_set_budget(10);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	EXPECT_EQ(0, cn.other);
	EXPECT_TRUE(cn.f[0].async);
	EXPECT_EQ(self->guest, cn.f[0].guest);
	EXPECT_EQ(dev, cn.f[0].dev);
	EXPECT_STREQ("as", cn.f[0].dname);
	ASSERT_EQ(6U, cn.f[0].nr);
	for (i = 0; i < 6; i++) {
		EXPECT_LE(10, cn.f[0].res[i].queue);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, cn.f[0].res[i].old_state);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, cn.f[0].res[i].new_state);
		EXPECT_EQ(VQNOTIFY_LABEL_P, cn.f[0].res[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_PREEMPT_BUDGET,
			  cn.f[0].res[i].reason);
	}

	/* Queue 0 released: its slot promotes a waiting queue, told first. */
	nr = 16;
	test_cmd_queues_release(0, dev, bm, 16, res, &nr);
	ASSERT_EQ(1U, nr);
	ASSERT_EQ(2, calls_read(&mon, &cn));
	EXPECT_TRUE(cn.f[0].async);
	ASSERT_EQ(1U, cn.f[0].nr);
	EXPECT_EQ(VQNOTIFY_LABEL_R, cn.f[0].res[0].label);
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, cn.f[0].res[0].reason);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, cn.f[0].res[0].new_state);
	calls_expect(_metadata, &cn.f[1], self->guest, dev, "as", res, nr);

	/* Budget 16 again: the five still waiting are promoted, one message. */
	test_cmd_set_budget(16);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	EXPECT_TRUE(cn.f[0].async);
	ASSERT_EQ(5U, cn.f[0].nr);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(VQNOTIFY_LABEL_R, cn.f[0].res[i].label);

	/* Removed: its results, then its DEV_DEL_NTF. */
	nr = 16;
	test_cmd_dev_remove(dev, res, &nr);
	ASSERT_EQ(1, calls_read(&mon, &cn));
	calls_expect(_metadata, &cn.f[0], self->guest, dev, "as", res, nr);
	ASSERT_EQ(1, cn.other);
	EXPECT_EQ(VQNOTIFY_CMD_DEV_DEL_NTF, cn.other_cmd[0]);
	EXPECT_EQ(1, cn.other_at);
	tk_nl_close(&mon);
}

/*
 * With the host cap at the slots in use plus @room, a device of 4 queues
 * @name started (@ready: NULL for all): the first @room get a slot, the
 * next waits for the cap. The calls socket in @mon, drained of the
 * call's message; the config found in @c; the results in res[].
 */
static void calls_start_capped(struct __test_metadata *_metadata,
			       FIXTURE_DATA(calls) *self, uint32_t room,
			       const char *name, const uint64_t *ready,
			       struct tk_nl *mon, struct tk_nl_config *c,
			       uint32_t *dev)
{
	uint32_t nr = 4;

	test_cmd_nl_config_get(c);
	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_HOST_CAP,
				   c->host_used + room);
	ASSERT_EQ(0, tk_nl_open_calls(mon));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, name, dev);
	test_cmd_set_status(*dev, TK_STATUS_OK, ready, res, &nr);
	ASSERT_EQ(4U, nr);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, res[room].reason);
	ASSERT_EQ(1, calls_read(mon, &cn));
}

/*
 * The host-wide promotion work serves a waiting guest a slot a turn: one
 * async CALL_NTF a turn. With the host cap at the slots in use plus 2, a
 * DRIVER_OK of 4 queues gets 2 and 2 wait for the host; the cap raised,
 * the work promotes them in two turns.
 */
TEST_F(calls, promotion_work_one_message_a_turn)
{
	struct tk_nl_config c;
	struct tk_nl mon;
	uint32_t dev;
	int i, k, n, got = 0;

	if (geteuid())
		SKIP(return, "CONFIG_SET needs CAP_NET_ADMIN");
	calls_start_capped(_metadata, self, 2, "pw", NULL, &mon, &c, &dev);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, res[3].reason);

	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_HOST_CAP, c.host_cap);
	/* The promotion work's turns: 10 s for them, a slow machine's. */
	for (i = 0; i < 500 && got < 2; i++) {
		usleep(20000);
		n = calls_read(&mon, &cn);
		ASSERT_LE(0, n);
		for (k = 0; k < n; k++) {
			EXPECT_TRUE(cn.f[k].async);
			EXPECT_EQ(dev, cn.f[k].dev);
			ASSERT_EQ(1U, cn.f[k].nr);
			EXPECT_EQ(VQNOTIFY_LABEL_R, cn.f[k].res[0].label);
		}
		got += n;
	}
	EXPECT_EQ(2, got);
	tk_nl_close(&mon);
}

/*
 * Two threads of one VMM call on the same queue: each message of the calls
 * group about it starts from the state the one before left (its old
 * state), whichever thread's call sent it. A call's results are sent after
 * the guest is unlocked; without the guest's ntf_lock the next holder of
 * the lock could tell its change first.
 */
#define ORDER_ROUNDS	1500

struct order_run {
	int fd;
	uint32_t dev;
};

static void *order_vhost(void *arg)
{
	const struct order_run *o = arg;
	struct vqnotify_vq_result r;

	for (int i = 0; i < ORDER_ROUNDS; i++) {
		_test_ioctl_host_notifier(o->fd, o->dev, 0, true, &r);
		_test_ioctl_host_notifier(o->fd, o->dev, 0, false, &r);
	}
	return NULL;
}

struct order_check {
	uint32_t guest, dev;
	int msgs, results, breaks, first_break;
	int8_t last;		/* q0's state after the last message: -1 none */
};

static void order_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct order_check *oc = arg;
	const struct vqnotify_vq_result *res;
	const struct nlattr *r;
	struct tk_nl_attrs a;
	int i, n;

	if (tk_nl_msg_cmd(nlh) != VQNOTIFY_CMD_CALL_NTF)
		return;
	tk_nl_parse_msg(&a, nlh);
	r = a.tb[VQNOTIFY_A_CALL_RESULTS];
	if (!r || tk_nl_get_u32(&a, VQNOTIFY_A_CALL_GUEST_ID) != oc->guest ||
	    tk_nl_get_u32(&a, VQNOTIFY_A_CALL_DEV_ID) != oc->dev)
		return;
	oc->msgs++;
	res = tk_nla_data(r);
	n = tk_nla_len(r) / sizeof(*res);
	for (i = 0; i < n; i++) {
		if (res[i].queue || res[i].label == VQNOTIFY_LABEL_NONE)
			continue;
		oc->results++;
		if (oc->last >= 0 && res[i].old_state != oc->last &&
		    !oc->breaks++)
			oc->first_break = oc->msgs;
		oc->last = res[i].new_state;
	}
}

TEST_F(calls, one_guest_in_lock_order)
{
	struct order_check oc = { .last = -1 };
	struct vqnotify_vq_result res[1];
	struct order_run o;
	bool overrun = false;
	int i, rcvbuf = 64 << 20;
	struct tk_nl mon;
	pthread_t t;
	uint32_t nr;

	if (geteuid())
		SKIP(return, "the calls group is CAP_NET_ADMIN's");
	ASSERT_EQ(0, tk_nl_open_calls(&mon));
	ASSERT_EQ(0, setsockopt(mon.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 1, "order", &o.dev);
	o.fd = self->fd;
	oc.guest = self->guest;
	oc.dev = o.dev;
	ASSERT_EQ(0, pthread_create(&t, NULL, order_vhost, &o));
	for (i = 0; i < ORDER_ROUNDS; i++) {
		nr = 1;
		_test_ioctl_set_status(self->fd, o.dev, TK_STATUS_OK, NULL,
				       res, &nr);
		nr = 1;
		_test_ioctl_dev_reset(self->fd, o.dev, res, &nr);
		if (!(i % 64))
			tk_nl_drain(&mon, order_cb, &oc, &overrun);
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_LE(0, tk_nl_drain(&mon, order_cb, &oc, &overrun));
	ASSERT_FALSE(overrun);
	TH_LOG("%d messages, %d transitions of q0", oc.msgs, oc.results);
	ASSERT_LT(ORDER_ROUNDS, oc.results);
	EXPECT_EQ(0, oc.breaks) TH_LOG("first out of order: message %d",
				       oc.first_break);
	tk_nl_close(&mon);
}

/* The child: joining "calls" without CAP_NET_ADMIN; its errno. */
static int calls_join_as_nobody(void *arg)
{
	struct tk_nl nl;
	int ret = tk_nl_open_calls(&nl);

	tk_nl_close(&nl);
	return ret < 0 ? -ret : 0;
}

/* The calls group is CAP_NET_ADMIN's, as the monitor group. */
TEST_F(calls, unprivileged_join_eperm)
{
	struct tk_nl mon;

	EXPECT_EQ(EPERM, tk_run_as_nobody(0, calls_join_as_nobody, NULL));
	/* Root still can: the refusal is the capability's. */
	EXPECT_EQ(0, tk_nl_open_calls(&mon));
	tk_nl_close(&mon);
}

/* QUEUES_GET */

struct states_dev {
	int64_t dev;
	uint32_t nq;		/* states received */
	int msgs;
	bool gap;		/* a message's index was not the next queue */
	struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
};

struct states_dump {
	int ndev, msgs, foreign;
	int64_t guest;
	struct states_dev d[4];
};

static void states_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct states_dump *sd = arg;
	const struct nlattr *s;
	struct states_dev *d = NULL;
	struct tk_nl_attrs a;
	uint32_t dev, index, n;
	int i;

	sd->msgs++;
	tk_nl_parse_msg(&a, nlh);
	if (tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_STATES_GUEST_ID) != sd->guest) {
		sd->foreign++;
		return;
	}
	dev = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_STATES_DEV_ID);
	index = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_STATES_INDEX);
	s = a.tb[VQNOTIFY_A_QUEUE_STATES_STATES];
	for (i = 0; i < sd->ndev; i++)
		if (sd->d[i].dev == dev)
			d = &sd->d[i];
	if (!d) {
		if (sd->ndev >= (int)TK_ARRAY_SIZE(sd->d))
			return;
		d = &sd->d[sd->ndev++];
		d->dev = dev;
		d->nq = 0;
		d->msgs = 0;
		d->gap = false;
	}
	d->msgs++;
	if (!s || index != d->nq || tk_nla_len(s) % sizeof(d->vi[0])) {
		d->gap = true;
		return;
	}
	n = tk_nla_len(s) / sizeof(d->vi[0]);
	if (d->nq + n > VQNOTIFY_MAX_QUEUES) {
		d->gap = true;
		return;
	}
	memcpy(&d->vi[d->nq], tk_nla_data(s), tk_nla_len(s));
	d->nq += n;
}

/* QUEUES_GET dump filtered by @guest (< 0: none) and @dev (< 0: none). */
static int states_dump(struct tk_nl *nl, long guest, long dev, uint32_t own,
		       struct states_dump *sd)
{
	struct tk_nl_attr a[2];
	int n = 0;

	memset(sd, 0, sizeof(*sd));
	sd->guest = own;
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_QUEUE_STATES_GUEST_ID, guest);
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_QUEUE_STATES_DEV_ID, dev);
	return tk_nl_call(nl, VQNOTIFY_CMD_QUEUES_GET, true, a, n, states_cb,
			  sd);
}

/* Device @sd's states against DEV_GET's and QUEUE_GET's, queue by queue. */
static void states_expect(struct __test_metadata *_metadata, int fd,
			  const struct states_dev *sd, uint32_t dev,
			  uint32_t nq)
{
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info one;
	uint32_t i, bad = 0, bad_q = 0;

	ASSERT_EQ(dev, sd->dev);
	EXPECT_FALSE(sd->gap);
	ASSERT_EQ(nq, sd->nq);
	EXPECT_EQ((int)((nq + 255) / 256), sd->msgs);
	ASSERT_EQ(0, _test_ioctl_dev_get(fd, dev, &dg, vi, nq));
	for (i = 0; i < nq; i++) {
		if (memcmp(&sd->vi[i], &vi[i], sizeof(vi[i])) && bad++ < 4)
			TH_LOG("dev %u queue %u: dump state %u reason %u label %u flags %u seq %u, DEV_GET %u %u %u %u %u",
			       dev, i, sd->vi[i].state, sd->vi[i].reason,
			       sd->vi[i].label, sd->vi[i].flags,
			       sd->vi[i].assign_seq, vi[i].state,
			       vi[i].reason, vi[i].label, vi[i].flags,
			       vi[i].assign_seq);
		ASSERT_EQ(0, _test_ioctl_queue_get(fd, dev, i, &one));
		if (memcmp(&sd->vi[i], &one, sizeof(one)))
			bad_q++;
	}
	EXPECT_EQ(0U, bad);
	EXPECT_EQ(0U, bad_q);
}

static struct states_dump sd;

/*
 * Devices of 1, 64 and 1024 queues in every state: granted, vhost's
 * (off-limits), released, refused for want of a slot (the budget of 1024
 * is spent by the last device). A dump of the guest, then of each device.
 */
TEST_F(calls, queues_get_equals_dev_get)
{
	static const uint32_t nqs[] = { 1, 64, 1024 };
	uint64_t bm[TK_BITMAP_WORDS(64)] = { 0x0f0 };
	uint32_t dev[3], nr, i;
	int other;

	/* Another guest's device: never in a dump filtered by ours. */
	other = tk_open(O_NONBLOCK);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, _test_ioctl_dev_add(other, VQNOTIFY_TRANSPORT_MMIO, 4,
					 "other", NULL));

	for (i = 0; i < 3; i++) {
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, nqs[i], "s", &dev[i]);
		nr = 0;
		test_cmd_set_status(dev[i], TK_STATUS_OK, NULL, NULL, NULL);
	}
	test_cmd_host_notifier(dev[1], 1, true, NULL);
	nr = 64;
	test_cmd_queues_release(0, dev[1], bm, 64, res, &nr);

	ASSERT_EQ(0, states_dump(&self->nl, self->guest, -1, self->guest,
				 &sd));
	EXPECT_EQ(0, sd.foreign);
	ASSERT_EQ(3, sd.ndev);
	EXPECT_EQ(1 + 1 + 4, sd.msgs);
	for (i = 0; i < 3; i++)
		states_expect(_metadata, self->fd, &sd.d[i], dev[i], nqs[i]);

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, states_dump(&self->nl, self->guest, dev[i],
					 self->guest, &sd));
		EXPECT_EQ(0, sd.foreign);
		ASSERT_EQ(1, sd.ndev);
		states_expect(_metadata, self->fd, &sd.d[0], dev[i], nqs[i]);
	}
	close(other);
}

/* Is this kernel 6.1.x? */
static bool calls_kernel_61(void)
{
	struct utsname u;

	return !uname(&u) && !strncmp(u.release, "6.1.", 4);
}

/*
 * A filtered dump of an unknown guest or device is empty, as every dump
 * of the family (vqn_nl_errors_test: dump_unknown_guest_empty); a device
 * filter without a guest is EINVAL, said in the extack.
 */
TEST_F(calls, queues_get_filters)
{
	uint32_t dev;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 2, "f", &dev);
	ASSERT_EQ(0, states_dump(&self->nl, 0x7ffffff0, -1, self->guest, &sd));
	EXPECT_EQ(0, sd.msgs);
	ASSERT_EQ(0, states_dump(&self->nl, self->guest, dev + 100,
				 self->guest, &sd));
	EXPECT_EQ(0, sd.msgs);
	EXPECT_EQ(-EINVAL, states_dump(&self->nl, -1, dev, self->guest, &sd));
	/*
	 * 6.1's netlink core calls a dump's start without cb->extack (6.12
	 * sets it): the module's message is lost there, only there.
	 */
	if (!self->nl.ext_msg[0] && calls_kernel_61())
		TH_LOG("6.1: a dump's start has no extack; EINVAL without message");
	else
		EXPECT_STREQ("a device filter needs a guest id",
			     self->nl.ext_msg);
}

/* vqnotify:vq_call, read from tracefs */

static int tracefs_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return tk_write_file(path, val);
}

static char trace_buf[1 << 20];

static const char *tracefs_read(void)
{
	int fd = open(TRACEFS "/trace", O_RDONLY);
	ssize_t n, got = 0;

	trace_buf[0] = '\0';
	if (fd < 0)
		return trace_buf;
	while (got < (ssize_t)sizeof(trace_buf) - 1 &&
	       (n = read(fd, trace_buf + got, sizeof(trace_buf) - 1 - got)) > 0)
		got += n;
	trace_buf[got] = '\0';
	close(fd);
	return trace_buf;
}

/* The runs of a vq_call line's "runs=" hex, as struct bytes: how many. */
static int trace_runs(const char *l, uint8_t *out, int cap)
{
	const char *p = strstr(l, "runs=");
	int n = 0;
	unsigned int b;

	if (!p)
		return -1;
	for (p += 5; *p && *p != '\n' && n < cap; ) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &b) != 1)
			break;
		out[n++] = b;
		p += 2;
	}
	return n;
}

/*
 * vq_transition events of this process only, from now on (a filter on
 * its pid, which the module's unload takes away with the event): false
 * without tracefs.
 */
static bool trace_own_transitions(bool on)
{
	char filter[32];
	struct stat st;

	if (!on)
		return !tracefs_write("events/vqnotify/vq_transition/enable", "0") &&
		       !tracefs_write("events/vqnotify/vq_transition/filter", "0");
	if (stat(TRACEFS "/events", &st))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	return !tracefs_write("tracing_on", "0") &&
	       !tracefs_write("trace", "") &&
	       !tracefs_write("events/vqnotify/vq_transition/filter", filter) &&
	       !tracefs_write("events/vqnotify/vq_transition/enable", "1") &&
	       !tracefs_write("tracing_on", "1");
}

/*
 * Ahead of the promotion work (tk_fifo_begin()), the host cap back to
 * @c's: 0, 1 when SCHED_FIFO is refused, or -errno. The caller ends with
 * tk_fifo_end(): the work a raised cap queues runs only after it.
 */
static int calls_fifo_uncap(FIXTURE_DATA(calls) *self,
			    const struct tk_nl_config *c)
{
	int ret = tk_fifo_begin();

	if (ret)
		return ret;
	return _test_nl_config_set_one(&self->nl, VQNOTIFY_A_CONFIG_HOST_CAP,
				       c->host_cap);
}

/*
 * Replay on @st the monitor group's messages about device @dev of @guest
 * (4 queues) that @mq holds: each must start where the one before it left
 * its queue, and a refusal leave it there. How many did not.
 */
static uint32_t monitor_replay(struct __test_metadata *_metadata,
			       struct tk_nl *mq, uint32_t guest, uint32_t dev,
			       uint8_t *st)
{
	static struct tk_nl_ntf f[64];
	int k, n = tk_nl_ntfs(mq, f, TK_ARRAY_SIZE(f));
	uint32_t bad = 0;

	EXPECT_LE(0, n);
	for (k = 0; k < n; k++) {
		const struct tk_nl_ntf *m = &f[k];
		bool refusal = m->cmd == VQNOTIFY_CMD_REFUSAL_NTF;

		if (m->guest != guest || m->dev != dev ||
		    (m->cmd != VQNOTIFY_CMD_QUEUE_NTF && !refusal))
			continue;
		if (m->queue < 0 || m->queue >= 4) {
			TH_LOG("monitor: queue %lld", (long long)m->queue);
			bad++;
			continue;
		}
		if ((m->old != st[m->queue] || (refusal && m->new != m->old)) &&
		    bad++ < 4)
			TH_LOG("monitor: queue %lld %lld -> %lld (%s), was %u",
			       (long long)m->queue, (long long)m->old,
			       (long long)m->new,
			       refusal ? "refusal" : "transition",
			       st[m->queue]);
		st[m->queue] = m->new;
	}
	return bad;
}

/*
 * A call of a guest whose queue waits for the host cap, made after the
 * admin raised the cap and before the promotion work ran (the caller is
 * SCHED_FIFO on the CPU the work was queued on): the call promotes the
 * waiting queue first, by event, then grants its own queue in its
 * results. The promotion is the caller's own (vq_transition, filtered on
 * its pid: not the work's). Replayed in the order the calls group tells
 * them, the device's queues end where DEV_GET says; a call that told its
 * queue refused after an event that promoted it would leave the replay
 * wrong. So would the monitor group's messages, replayed in their order.
 */
TEST_F(calls, line_promoted_before_the_call_s_queues)
{
	uint64_t ready[1] = { 0x3 }, q2[1] = { 0x4 };
	uint8_t state[4] = { 0 }, mstate[4];
	struct vqnotify_vq_info vi[4];
	struct vqnotify_dev_get dg;
	struct tk_nl_config c;
	struct tk_nl mon, mq;
	uint32_t dev, nr, i, k, bad = 0;
	bool traced, own;
	char want[96];
	int ret, n;

	if (geteuid())
		SKIP(return, "CONFIG_SET needs CAP_NET_ADMIN");
	calls_start_capped(_metadata, self, 1, "lf", ready, &mon, &c, &dev);
	for (i = 0; i < 4; i++)
		state[res[i].queue] = res[i].new_state;
	memcpy(mstate, state, sizeof(mstate));
	ASSERT_EQ(0, tk_nl_open(&mq));
	ASSERT_EQ(0, tk_nl_join(&mq, mq.monitor));

	traced = trace_own_transitions(true);
	ret = calls_fifo_uncap(self, &c);
	if (ret == 1)
		SKIP(goto out, "SCHED_FIFO refused");
	nr = 4;
	if (!ret)
		ret = _test_ioctl_queues_acquire(self->fd, dev, q2, 4, res, &nr);
	ASSERT_EQ(0, tk_fifo_end());
	snprintf(want, sizeof(want), "dev=%u queue=1 old=deassigned new=assigned label=r ",
		 dev);
	own = traced && strstr(tracefs_read(), want);
	EXPECT_TRUE(traced);
	EXPECT_TRUE(trace_own_transitions(false));
	EXPECT_TRUE(own) {
		TH_LOG("no \"%s\" of pid %d in the trace: %.300s", want,
		       getpid(), trace_buf);
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(1U, nr);
	EXPECT_EQ(2U, res[0].queue);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, res[0].new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_Q, res[0].label);

	/* The promotion work, if it ran, finds nobody waiting. */
	usleep(50000);
	n = calls_read(&mon, &cn);
	ASSERT_LE(2, n);
	EXPECT_TRUE(cn.f[0].async);
	for (k = 0; k < (uint32_t)n; k++) {
		if (cn.f[k].dev != dev)
			continue;
		for (i = 0; i < cn.f[k].nr; i++) {
			ASSERT_GT(4U, cn.f[k].res[i].queue);
			state[cn.f[k].res[i].queue] = cn.f[k].res[i].new_state;
		}
	}
	test_cmd_dev_get(dev, &dg, vi, 4);
	for (i = 0; i < 4; i++)
		if (vi[i].state != state[i] && bad++ < 4)
			TH_LOG("queue %u is %u, the calls group says %u", i,
			       vi[i].state, state[i]);
	EXPECT_EQ(0U, bad);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, vi[1].state);
	EXPECT_EQ(0U, monitor_replay(_metadata, &mq, self->guest, dev,
				     mstate));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(vi[i].state, mstate[i]);
out:
	tk_nl_close(&mq);
	tk_nl_close(&mon);
}

/*
 * A guest waiting for the host cap that releases its waiting queues waits
 * for nothing: its call takes it out of the line. The cap then raised, a
 * second guest's DRIVER_OK gets its slot in the call, before the promotion
 * work can run (the caller is SCHED_FIFO on the CPU the work is queued
 * on). Left in line, the first guest held every other guest's call to
 * HOST_CAP until the work came round to it, which its tenant, keeping
 * its lock busy, could put off.
 */
TEST_F(calls, released_waiter_leaves_the_line)
{
	uint64_t waiting[1] = { 0xe };
	struct vqnotify_vq_result r2[1];
	uint32_t dev, dev2, nr = 4, nr2 = 1;
	struct tk_nl_config c;
	struct tk_nl mon;
	int fd2, ret;

	if (geteuid())
		SKIP(return, "CONFIG_SET needs CAP_NET_ADMIN");
	calls_start_capped(_metadata, self, 1, "rw", NULL, &mon, &c, &dev);
	EXPECT_EQ(VQNOTIFY_REASON_HOST_CAP, res[3].reason);
	test_cmd_queues_release(0, dev, waiting, 4, res, &nr);
	EXPECT_EQ(3U, nr);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd2, VQNOTIFY_TRANSPORT_MMIO, 1, "rw2",
					 &dev2));

	ret = calls_fifo_uncap(self, &c);
	if (ret == 1)
		SKIP(goto out, "SCHED_FIFO refused");
	if (!ret)
		ret = _test_ioctl_set_status(fd2, dev2, TK_STATUS_OK, NULL, r2,
					     &nr2);
	ASSERT_EQ(0, tk_fifo_end());
	ASSERT_EQ(0, ret);
	ASSERT_EQ(1U, nr2);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, r2[0].new_state);
	EXPECT_EQ(VQNOTIFY_REASON_GRANTED, r2[0].reason);
out:
	close(fd2);
	tk_nl_close(&mon);
}

FIXTURE(trace) {
	int fd;
	uint32_t guest;
};

FIXTURE_SETUP(trace)
{
	struct vqnotify_guest_info gi;
	struct stat st;

	self->fd = -1;
	if (!tk_present())
		SKIP(return, "%s not present (module not loaded)", TK_DEV_PATH);
	if (stat(TRACEFS "/events", &st))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/events", F_OK))
		SKIP(return, "no tracefs events (kernel without tracing)");
	/* Events, but not this one: it is gone or renamed. */
	ASSERT_EQ(0, access(TRACEFS "/events/vqnotify/vq_call/enable", F_OK));
	ASSERT_EQ(0, tracefs_write("tracing_on", "0"));
	ASSERT_EQ(0, tracefs_write("events/enable", "0"));
	ASSERT_EQ(0, tracefs_write("trace", ""));
	ASSERT_EQ(0, tracefs_write("events/vqnotify/vq_call/enable", "1"));
	ASSERT_EQ(0, tracefs_write("tracing_on", "1"));
	self->fd = tk_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, _test_ioctl_guest_get(self->fd, &gi));
	self->guest = gi.guest_id;
}

FIXTURE_TEARDOWN(trace)
{
	if (self->fd >= 0)
		close(self->fd);
	tracefs_write("events/vqnotify/vq_call/enable", "0");
	tracefs_write("trace", "");
}

/*
 * Budget 7, eight queues: DRIVER_OK is one event of eight results in two
 * runs (queues 0-6 granted, 7 refused for want of a slot); a reset, one
 * event of seven results in one run.
 */
TEST_F(trace, vq_call_counts_and_runs)
{
	struct vqn_trace_run_le {
		uint16_t first, count;
		uint8_t old_state, new_state, label, reason;
	} runs[8];
	char want[96];
	const char *t, *l;
	uint32_t dev, nr;
	int n, events = 0;

	ASSERT_EQ(0, _test_ioctl_set_budget(self->fd, 7));
	ASSERT_EQ(0, _test_ioctl_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 8,
					 "t", &dev));
	nr = 8;
	ASSERT_EQ(0, _test_ioctl_set_status(self->fd, dev, TK_STATUS_OK, NULL,
					    res, &nr));
	ASSERT_EQ(8U, nr);
	nr = 8;
	ASSERT_EQ(0, _test_ioctl_dev_reset(self->fd, dev, res, &nr));
	ASSERT_EQ(7U, nr);
	ASSERT_EQ(0, tracefs_write("tracing_on", "0"));
	t = tracefs_read();

	snprintf(want, sizeof(want), "vq_call: guest=%u dev=%u ", self->guest,
		 dev);
	for (l = t; (l = strstr(l, want)); l++)
		events++;
	EXPECT_EQ(2, events) TH_LOG("%s", t);

	snprintf(want, sizeof(want), "vq_call: guest=%u dev=%u results=8 ",
		 self->guest, dev);
	l = strstr(t, want);
	ASSERT_NE(NULL, l) TH_LOG("no '%s' in:\n%s", want, t);
	n = trace_runs(l, (uint8_t *)runs, sizeof(runs));
	ASSERT_EQ(2 * 8, n) TH_LOG("%.200s", l);
	EXPECT_EQ(0, runs[0].first);
	EXPECT_EQ(7, runs[0].count);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, runs[0].old_state);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, runs[0].new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_B, runs[0].label);
	EXPECT_EQ(VQNOTIFY_REASON_GRANTED, runs[0].reason);
	EXPECT_EQ(7, runs[1].first);
	EXPECT_EQ(1, runs[1].count);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, runs[1].new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_NONE, runs[1].label);
	EXPECT_EQ(VQNOTIFY_REASON_NO_SLOT, runs[1].reason);

	snprintf(want, sizeof(want), "vq_call: guest=%u dev=%u results=7 ",
		 self->guest, dev);
	l = strstr(t, want);
	ASSERT_NE(NULL, l) TH_LOG("no '%s' in:\n%s", want, t);
	n = trace_runs(l, (uint8_t *)runs, sizeof(runs));
	ASSERT_EQ(8, n) TH_LOG("%.200s", l);
	EXPECT_EQ(0, runs[0].first);
	EXPECT_EQ(7, runs[0].count);
	EXPECT_EQ(VQNOTIFY_LABEL_G, runs[0].label);
}

TEST_HARNESS_MAIN
