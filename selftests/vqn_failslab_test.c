// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every allocation the module makes for a call fails in
 * turn; then every copy from or to userspace (each_copy_fails, below).
 *
 * With failslab (and fail_page_alloc when the kernel has it) told to fail
 * sleeping allocations too, and their stack filter aimed at vqnotify's
 * text so that only allocations made on the module's behalf count, each
 * call below is made with /proc/thread-self/fail-nth = 1, 2, ... until it
 * runs without the fault firing. Every time the fault fired the call must
 * either fail with ENOMEM (a do request over netlink: its ACK) and change
 * nothing at all (GUEST_GET, DEV_GET with every queue, host-wide counters,
 * the netlink config), or succeed anyway (a kmalloc that fell back to
 * vmalloc, an xarray that retried) and leave consistent accounting; either
 * way the guest must still work. kmemleak, run by the rig after the tests,
 * catches what an error path forgot to free.
 *
 * Needs CONFIG_FAULT_INJECTION (fail-nth) and CONFIG_FAILSLAB with debugfs:
 * skipped on the stock kernels, run on the rig's debug kernel. Each test
 * prints how many fault points it covered.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "vqn_failslab.h"

#define FS_MAX_NTH	2000

struct fs_op {
	const char *name;
	/* a fresh guest in the state the call starts from */
	int (*prepare)(struct fs_ctx *c);
	/* the call under test: 0 or -errno */
	int (*call)(struct fs_ctx *c);
	uint32_t nq;
	bool netlink;
	bool monitor;	/* a listener must miss nothing: */
	bool calls;	/* on the calls group, not the monitor group */
	/*
	 * May succeed with every allocation failing: what it could not
	 * allocate has a fallback the guest is told of (its event ring does
	 * not grow and overflows sooner; held results go out one by one).
	 */
	bool absorbs;
	/*
	 * Allocates nothing with vqnotify on the stack (the debug kernel's
	 * run: 0 fault points), so no fault point need fire; every other op
	 * must meet at least one, else the stack filter or the op is wrong
	 * and the test would prove nothing.
	 */
	bool no_alloc;
};

/* Preparations: each starts from a fresh guest. */

static int fs_fresh_guest(struct fs_ctx *c)
{
	struct vqnotify_guest_info gi;
	int ret;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = tk_open(0);
	if (c->fd < 0)
		return c->fd;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	ret = _test_ioctl_guest_get(c->fd, &gi);
	c->guest_id = gi.guest_id;
	/* Prefault every buffer a call hands the kernel. */
	memset(c->res, 0, sizeof(c->res));
	memset(c->vi, 0, sizeof(c->vi));
	memset(c->ev, 0, sizeof(c->ev));
	c->next_seq = 0;
	c->seq_broken = false;
	memset(c->blob + c->blob_len, 0, sizeof(c->blob) - c->blob_len);
	return ret;
}

static int fs_prep_guest(struct fs_ctx *c)
{
	return fs_fresh_guest(c);
}

static int fs_prep_dev(struct fs_ctx *c)
{
	int ret = fs_fresh_guest(c);

	/* A neighbour, so the device under test is not the first. */
	if (!ret)
		ret = _test_ioctl_dev_add(c->fd, VQNOTIFY_TRANSPORT_PIO, 2, "other",
				 NULL);
	if (!ret)
		ret = _test_ioctl_dev_add(c->fd, VQNOTIFY_TRANSPORT_MMIO, c->nq, "dut",
				 &c->dev);
	return ret;
}

static int fs_prep_dev_ok(struct fs_ctx *c)
{
	uint32_t nr = 0;
	int ret = fs_prep_dev(c);

	if (!ret)
		ret = _test_ioctl_set_status(c->fd, c->dev, TK_STATUS_OK, NULL, NULL, &nr);
	/* One queue with vhost: OFFLIMITS goes through the paths too. */
	if (!ret)
		ret = _test_ioctl_host_notifier(c->fd, c->dev, 0, true, NULL);
	return ret;
}

/* A blob of an OK device with vhost on queue 0, then a fresh target. */
static int fs_prep_load(struct fs_ctx *c)
{
	int ret = fs_prep_dev_ok(c);

	c->blob_len = sizeof(c->blob);
	if (!ret)
		ret = _test_ioctl_dev_save(c->fd, c->dev, c->blob, &c->blob_len);
	if (!ret)
		ret = _test_ioctl_dev_add(c->fd, VQNOTIFY_TRANSPORT_MMIO, c->nq, "dst",
				 &c->dev);
	return ret;
}

/* Queues 1..7 of the device under test (0 is vhost's), in c->ready. */
static void fs_batch(struct fs_ctx *c)
{
	memset(c->ready, 0, sizeof(c->ready));
	for (uint32_t q = 1; q < c->nq && q < 8; q++)
		c->ready[0] |= 1ULL << q;
}

/* The batch released (x): DEASSIGNED, waiting for nothing. */
static int fs_prep_released(struct fs_ctx *c)
{
	int ret = fs_prep_dev_ok(c);

	fs_batch(c);
	if (!ret)
		ret = _test_ioctl_queues_release(c->fd, 0, c->dev, c->ready,
						 c->nq, NULL, NULL);
	return ret;
}

#define FS_POLICY	"failslab-policy"

/* No policy of FS_POLICY's (a call before may have set it). */
static int fs_prep_no_policy(struct fs_ctx *c)
{
	int ret = fs_fresh_guest(c);

	if (!ret && c->have_nl) {
		ret = _test_nl_policy_del(&c->nl, FS_POLICY, 0);
		if (ret == -ENOENT)
			ret = 0;
	}
	return ret;
}

static int fs_prep_policy(struct fs_ctx *c)
{
	int ret = fs_prep_no_policy(c);

	return ret ? ret : _test_nl_policy_set(&c->nl, FS_POLICY, 0, 4, 1);
}

/* Events queued: the guest limited itself, preempting its queues. */
static int fs_prep_events(struct fs_ctx *c)
{
	int ret = fs_prep_dev_ok(c);

	if (!ret)
		ret = _test_ioctl_set_budget(c->fd, 1);
	return ret;
}

/* The calls */

static int fs_call_open(struct fs_ctx *c)
{
	c->newfd = open(TK_DEV_PATH, O_RDWR | O_CLOEXEC);
	return c->newfd < 0 ? -errno : 0;
}

/* The guest fs_call_open() opened, if any, closed. */
static void fs_close_new(struct fs_ctx *c)
{
	if (c->newfd >= 0) {
		close(c->newfd);
		c->newfd = -1;
	}
}

static int fs_call_close(struct fs_ctx *c)
{
	int ret = close(c->fd) ? -errno : 0;

	c->fd = -1;
	return ret;
}

static int fs_call_guest_set(struct fs_ctx *c)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL | VQNOTIFY_GUEST_SET_BUDGET,
		.budget = 3,
		.label = "faulty",
	};

	return _test_ioctl(c->fd, VQNOTIFY_GUEST_SET, &gs);
}

static int fs_call_guest_get(struct fs_ctx *c)
{
	struct vqnotify_guest_info gi;

	return _test_ioctl_guest_get(c->fd, &gi);
}

static int fs_call_get_info(struct fs_ctx *c)
{
	struct vqnotify_info info;

	return _test_ioctl_get_info(c->fd, &info);
}

static int fs_call_dev_add(struct fs_ctx *c)
{
	return _test_ioctl_dev_add(c->fd, VQNOTIFY_TRANSPORT_CCW, c->nq, "new", NULL);
}

static int fs_call_set_status(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	/* Every queue but the last is initialised. */
	memset(c->ready, 0xff, sizeof(c->ready));
	for (uint32_t q = c->nq - 1; q < TK_BITMAP_WORDS(c->nq) * 64; q++)
		c->ready[q / 64] &= ~(1ULL << (q % 64));
	return _test_ioctl_dev_op(c->fd, VQNOTIFY_SET_STATUS, c->dev, TK_STATUS_OK,
			 c->ready, c->res, &nr);
}

static int fs_call_stop(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	return _test_ioctl_set_status(c->fd, c->dev, TK_STATUS_FEATURES, NULL, c->res, &nr);
}

static int fs_call_reset(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	return _test_ioctl_dev_op(c->fd, VQNOTIFY_DEV_RESET, c->dev, 0, NULL, c->res,
			 &nr);
}

static int fs_call_remove(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	return _test_ioctl_dev_op(c->fd, VQNOTIFY_DEV_REMOVE, c->dev, 0, NULL, c->res,
			 &nr);
}

static int fs_call_vhost_on(struct fs_ctx *c)
{
	return _test_ioctl_host_notifier(c->fd, c->dev, 1, true, NULL);
}

static int fs_call_vhost_off(struct fs_ctx *c)
{
	return _test_ioctl_host_notifier(c->fd, c->dev, 0, false, NULL);
}

static int fs_call_queue_get(struct fs_ctx *c)
{
	return _test_ioctl_queue_get(c->fd, c->dev, c->nq - 1, NULL);
}

static int fs_call_dev_get(struct fs_ctx *c)
{
	struct vqnotify_dev_get dg;

	return _test_ioctl_dev_get(c->fd, c->dev, &dg, c->vi, VQNOTIFY_MAX_QUEUES);
}

static int fs_call_save(struct fs_ctx *c)
{
	uint32_t len = sizeof(c->blob);

	return _test_ioctl_dev_save(c->fd, c->dev, c->blob, &len);
}

static int fs_call_load(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	return _test_ioctl_dev_load(c->fd, c->dev, c->blob, c->blob_len, c->res, &nr);
}

static int fs_call_read(struct fs_ctx *c)
{
	ssize_t n = read(c->fd, c->ev, sizeof(c->ev));

	c->nread = n < 0 ? 0 : n / (ssize_t)sizeof(c->ev[0]);
	/* Each record follows the last one read: none lost or read twice. */
	for (int i = 0; i < c->nread; i++) {
		if (c->next_seq && c->ev[i].seq != c->next_seq)
			c->seq_broken = true;
		c->next_seq = c->ev[i].seq + 1;
	}
	return n < 0 ? -errno : 0;
}

/* Records left to read, read: until EAGAIN (the guest is O_NONBLOCK). */
static int fs_read_all(struct fs_ctx *c)
{
	int n = 0;

	while (!fs_call_read(c) && c->nread)
		n += c->nread;
	return n;
}

static int fs_call_budget_down(struct fs_ctx *c)
{
	return _test_ioctl_set_budget(c->fd, 1);
}

/* API 2's calls on a set of queues: results of the whole device. */

static int fs_call_queues_acquire(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	return _test_ioctl_queues_acquire(c->fd, c->dev, c->ready, c->nq,
					  c->res, &nr);
}

static int fs_call_queues_release(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	fs_batch(c);
	return _test_ioctl_queues_release(c->fd, VQNOTIFY_QUEUES_KVM_REFUSED,
					  c->dev, c->ready, c->nq, c->res,
					  &nr);
}

static int fs_call_host_notifiers(struct fs_ctx *c)
{
	uint32_t nr = VQNOTIFY_MAX_QUEUES;

	fs_batch(c);
	return _test_ioctl_host_notifiers(c->fd, c->dev, c->ready, c->nq,
					  true, c->res, &nr);
}

/* Netlink requests: the kernel runs them in sendmsg(), i.e. in this task. */

static int fs_call_nl_guest_get(struct fs_ctx *c)
{
	struct tk_nl_attr a = { VQNOTIFY_A_GUEST_ID, c->guest_id };

	return tk_nl_call(&c->nl, VQNOTIFY_CMD_GUEST_GET, false, &a, 1, NULL,
			  NULL);
}

static int fs_call_nl_guest_dump(struct fs_ctx *c)
{
	return _test_nl_guest_dump(&c->nl, &c->ids);
}

static int fs_call_nl_dev_get(struct fs_ctx *c)
{
	struct tk_nl_attr a[] = {
		{ VQNOTIFY_A_DEV_GUEST_ID, c->guest_id },
		{ VQNOTIFY_A_DEV_ID, c->dev },
	};

	return tk_nl_call(&c->nl, VQNOTIFY_CMD_DEV_GET, false, a, 2, NULL,
			  NULL);
}

static int fs_call_nl_dev_dump(struct fs_ctx *c)
{
	return tk_nl_call(&c->nl, VQNOTIFY_CMD_DEV_GET, true, NULL, 0, NULL,
			  NULL);
}

static int fs_call_nl_queue_get(struct fs_ctx *c)
{
	struct tk_nl_attr a[] = {
		{ VQNOTIFY_A_QUEUE_GUEST_ID, c->guest_id },
		{ VQNOTIFY_A_QUEUE_DEV_ID, c->dev },
		{ VQNOTIFY_A_QUEUE_INDEX, 0 },
	};

	return tk_nl_call(&c->nl, VQNOTIFY_CMD_QUEUE_GET, false, a, 3, NULL,
			  NULL);
}

static int fs_call_nl_queue_dump(struct fs_ctx *c)
{
	struct tk_nl_attr a = { VQNOTIFY_A_QUEUE_GUEST_ID, c->guest_id };

	return tk_nl_call(&c->nl, VQNOTIFY_CMD_QUEUE_GET, true, &a, 1, NULL,
			  NULL);
}

static int fs_call_nl_config_get(struct fs_ctx *c)
{
	struct tk_nl_config cfg;

	return _test_nl_config_get(&c->nl, &cfg);
}

static int fs_call_nl_guest_set(struct fs_ctx *c)
{
	struct tk_nl_attr a[] = {
		{ VQNOTIFY_A_GUEST_ID, c->guest_id },
		{ VQNOTIFY_A_GUEST_ADMIN_BUDGET, 2 },
		{ VQNOTIFY_A_GUEST_VHOST_RESERVE, 1 },
	};

	return tk_nl_call(&c->nl, VQNOTIFY_CMD_GUEST_SET, false, a, 3, NULL,
			  NULL);
}

static int fs_call_nl_queues_dump(struct fs_ctx *c)
{
	struct tk_nl_attr a = { VQNOTIFY_A_QUEUE_GUEST_ID, c->guest_id };

	return tk_nl_call(&c->nl, VQNOTIFY_CMD_QUEUES_GET, true, &a, 1, NULL,
			  NULL);
}

static int fs_call_nl_user_get(struct fs_ctx *c)
{
	struct tk_nl_user u;

	return _test_nl_user_get(&c->nl, getuid(), &u);
}

static int fs_call_nl_policy_set(struct fs_ctx *c)
{
	return _test_nl_policy_set(&c->nl, FS_POLICY, 0, 4, 1);
}

static int fs_call_nl_policy_get(struct fs_ctx *c)
{
	return _test_nl_policy_get(&c->nl, FS_POLICY, 0, NULL);
}

static int fs_call_nl_policy_del(struct fs_ctx *c)
{
	return _test_nl_policy_del(&c->nl, FS_POLICY, 0);
}

static int fs_prep_config(struct fs_ctx *c)
{
	int ret = fs_prep_dev_ok(c);

	return ret ? ret : _test_nl_config_get(&c->nl, &c->cfg);
}

/* The same values again: every guest is walked, nothing moves. */
static int fs_call_nl_config_set(struct fs_ctx *c)
{
	return _test_nl_config_set(&c->nl, &c->cfg);
}

/*
 * Before fault point @nth: a fresh guest in the op's starting state, and
 * that state in @before; what a listener was told of it, drained.
 */
static void fs_prepare(struct __test_metadata *_metadata, struct fs_ctx *c,
		       const struct fs_op *op, unsigned int nth,
		       struct fs_state *before)
{
	ASSERT_EQ(0, op->prepare(c)) {
		TH_LOG("nth %u: preparing", nth);
	}
	ASSERT_EQ(0, fs_state(c, before));
	if (c->have_mon)
		fs_mon_count(c);
}

/* The op's call with fault point @nth armed: true when it fired. */
static bool fs_call_at(struct fs_ctx *c, const struct fs_op *op,
		       unsigned int nth, int *ret)
{
	fs_arm(nth);
	*ret = op->call(c);
	return fs_disarm();
}

/*
 * After fault point @nth, whatever the call did: the guest it opened
 * closed, and the guest under test sound and usable.
 */
static void fs_check_after(struct __test_metadata *_metadata,
			   struct fs_ctx *c, unsigned int nth)
{
	struct tk_why w;

	fs_close_new(c);
	if (c->fd < 0)
		return;
	EXPECT_EQ(0, tk_check_guest_scan(c->fd, 8, NULL, &w)) {
		TH_LOG("fault point %u: %s", nth, w.msg);
	}
	EXPECT_EQ(0, tk_check_usable(c->fd, 8, &w)) {
		TH_LOG("fault point %u: %s", nth, w.msg);
	}
}

FIXTURE(failslab) {
	struct fs_knob knobs[32];
	int nknobs;
	bool filtered;		/* vqnotify's text in text_start, text_end */
	char text_start[32];
	char text_end[32];
	struct fs_ctx *c;
};

FIXTURE_VARIANT(failslab) {
	struct fs_op op;
};

#define FS_OP(_name, _prep, _call, _nq, _nl) \
	FIXTURE_VARIANT_ADD(failslab, _name) { \
		.op = { .name = #_name, .prepare = _prep, .call = _call, \
			.nq = _nq, .netlink = _nl }, \
	}

/* An op whose allocations have a fallback (struct fs_op's absorbs). */
#define FS_OP_ABSORBS(_name, _prep, _call, _nq, _nl) \
	FIXTURE_VARIANT_ADD(failslab, _name) { \
		.op = { .name = #_name, .prepare = _prep, .call = _call, \
			.nq = _nq, .netlink = _nl, .absorbs = true }, \
	}

/* An op that allocates nothing (struct fs_op's no_alloc). */
#define FS_OP_NO_ALLOC(_name, _prep, _call, _nq, _nl) \
	FIXTURE_VARIANT_ADD(failslab, _name) { \
		.op = { .name = #_name, .prepare = _prep, .call = _call, \
			.nq = _nq, .netlink = _nl, .no_alloc = true }, \
	}

/* The same with a listener: notifications allocate too. */
#define FS_OP_MON(_name, _prep, _call, _nq) \
	FIXTURE_VARIANT_ADD(failslab, _name##_monitored) { \
		.op = { .name = #_name "_monitored", .prepare = _prep, \
			.call = _call, .nq = _nq, .netlink = true, \
			.monitor = true }, \
	}

/* A listener of the calls group, which vqnotifyctl monitor uses. */
#define FS_OP_CALLS(_name, _prep, _call, _nq) \
	FIXTURE_VARIANT_ADD(failslab, _name##_calls) { \
		.op = { .name = #_name "_calls", .prepare = _prep, \
			.call = _call, .nq = _nq, .netlink = true, \
			.monitor = true, .calls = true }, \
	}

FS_OP(open, fs_prep_guest, fs_call_open, 4, false);
FS_OP_NO_ALLOC(close, fs_prep_dev_ok, fs_call_close, 8, false);
FS_OP_NO_ALLOC(get_info, fs_prep_guest, fs_call_get_info, 4, false);
FS_OP(guest_set, fs_prep_dev_ok, fs_call_guest_set, 8, false);
FS_OP_NO_ALLOC(guest_get, fs_prep_guest, fs_call_guest_get, 4, false);
FS_OP(dev_add, fs_prep_guest, fs_call_dev_add, 8, false);
FS_OP(dev_add_max_queues, fs_prep_dev, fs_call_dev_add,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(set_status, fs_prep_dev, fs_call_set_status, 8, false);
FS_OP(set_status_max_queues, fs_prep_dev, fs_call_set_status,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(driver_ok_cleared, fs_prep_dev_ok, fs_call_stop, 8, false);
FS_OP_NO_ALLOC(dev_reset, fs_prep_dev_ok, fs_call_reset, 8, false);
FS_OP_NO_ALLOC(dev_remove, fs_prep_dev_ok, fs_call_remove, 8, false);
FS_OP(dev_remove_max_queues, fs_prep_dev_ok, fs_call_remove,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(vhost_on, fs_prep_dev_ok, fs_call_vhost_on, 8, false);
FS_OP_NO_ALLOC(vhost_off, fs_prep_dev_ok, fs_call_vhost_off, 8, false);
FS_OP_NO_ALLOC(queue_get, fs_prep_dev_ok, fs_call_queue_get, 8, false);
FS_OP(dev_get, fs_prep_dev_ok, fs_call_dev_get, 8, false);
FS_OP(dev_get_max_queues, fs_prep_dev_ok, fs_call_dev_get,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP(dev_save, fs_prep_dev_ok, fs_call_save, 8, false);
FS_OP(dev_load, fs_prep_load, fs_call_load, 8, false);
FS_OP(dev_load_max_queues, fs_prep_load, fs_call_load,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(read_events, fs_prep_events, fs_call_read, 8, false);
FS_OP_NO_ALLOC(budget_down, fs_prep_dev_ok, fs_call_budget_down, 8, false);
FS_OP(nl_guest_get, fs_prep_dev_ok, fs_call_nl_guest_get, 8, true);
FS_OP_NO_ALLOC(nl_guest_dump, fs_prep_dev_ok, fs_call_nl_guest_dump, 8, true);
FS_OP(nl_dev_get, fs_prep_dev_ok, fs_call_nl_dev_get, 8, true);
FS_OP_NO_ALLOC(nl_dev_dump, fs_prep_dev_ok, fs_call_nl_dev_dump, 8, true);
FS_OP(nl_queue_get, fs_prep_dev_ok, fs_call_nl_queue_get, 8, true);
FS_OP_NO_ALLOC(nl_queue_dump, fs_prep_dev_ok, fs_call_nl_queue_dump, 8, true);
FS_OP(nl_config_get, fs_prep_guest, fs_call_nl_config_get, 4, true);
FS_OP_ABSORBS(nl_guest_set, fs_prep_dev_ok, fs_call_nl_guest_set, 8, true);
FS_OP_NO_ALLOC(nl_config_set, fs_prep_config, fs_call_nl_config_set, 8, true);
FS_OP_NO_ALLOC(queues_acquire, fs_prep_released, fs_call_queues_acquire, 8,
	       false);
FS_OP(queues_acquire_max_queues, fs_prep_released, fs_call_queues_acquire,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(queues_release, fs_prep_dev_ok, fs_call_queues_release, 8, false);
FS_OP(queues_release_max_queues, fs_prep_dev_ok, fs_call_queues_release,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(host_notifiers, fs_prep_dev_ok, fs_call_host_notifiers, 8, false);
FS_OP(host_notifiers_max_queues, fs_prep_dev_ok, fs_call_host_notifiers,
      VQNOTIFY_MAX_QUEUES, false);
FS_OP_NO_ALLOC(nl_queues_dump, fs_prep_dev_ok, fs_call_nl_queues_dump,
	       VQNOTIFY_MAX_QUEUES, true);
FS_OP(nl_user_get, fs_prep_dev_ok, fs_call_nl_user_get, 8, true);
FS_OP(nl_policy_set, fs_prep_no_policy, fs_call_nl_policy_set, 8, true);
FS_OP(nl_policy_get, fs_prep_policy, fs_call_nl_policy_get, 8, true);
FS_OP_NO_ALLOC(nl_policy_del, fs_prep_policy, fs_call_nl_policy_del, 8, true);
FS_OP_MON(dev_add, fs_prep_dev, fs_call_dev_add, 8);
FS_OP_MON(set_status, fs_prep_dev, fs_call_set_status, 8);
FS_OP_MON(dev_reset, fs_prep_dev_ok, fs_call_reset, 8);
FS_OP_MON(dev_remove, fs_prep_dev_ok, fs_call_remove, 8);
FS_OP_MON(vhost_on, fs_prep_dev_ok, fs_call_vhost_on, 8);
FS_OP_MON(budget_down, fs_prep_dev_ok, fs_call_budget_down, 8);
FS_OP_MON(nl_guest_set, fs_prep_dev_ok, fs_call_nl_guest_set, 8);
FS_OP_MON(host_notifiers, fs_prep_dev_ok, fs_call_host_notifiers, 8);
FS_OP_CALLS(dev_add, fs_prep_dev, fs_call_dev_add, 8);
FS_OP_CALLS(set_status, fs_prep_dev, fs_call_set_status, 8);
FS_OP_CALLS(set_status_max_queues, fs_prep_dev, fs_call_set_status,
	    VQNOTIFY_MAX_QUEUES);
FS_OP_CALLS(dev_remove, fs_prep_dev_ok, fs_call_remove, 8);
FS_OP_CALLS(vhost_on, fs_prep_dev_ok, fs_call_vhost_on, 8);
FS_OP_CALLS(host_notifiers, fs_prep_dev_ok, fs_call_host_notifiers, 8);
FS_OP_CALLS(budget_down, fs_prep_dev_ok, fs_call_budget_down, 8);
FS_OP_CALLS(nl_guest_set, fs_prep_dev_ok, fs_call_nl_guest_set, 8);

static void fs_knob(struct __test_metadata *_metadata,
		    FIXTURE_DATA(failslab) *self, const char *path,
		    const char *val, bool required)
{
	struct fs_knob *k = &self->knobs[self->nknobs];
	int ret;

	ASSERT_LT(self->nknobs, (int)TK_ARRAY_SIZE(self->knobs));
	k->path = path;
	ret = fs_knob_set(k, val);
	if (ret == -ENOENT && !required)
		return;
	ASSERT_EQ(0, ret) {
		TH_LOG("%s <- %s: %s", path, val, strerror(-ret));
	}
	self->nknobs++;
}

/*
 * Only faults with vqnotify's text on the stack count, for fault
 * injection @attr (a debugfs directory): its stack filter aimed at it.
 */
#define FS_AIM(attr, required) do {					\
	fs_knob(_metadata, self, FS_DBG attr "/require-end",		\
		self->text_end, required);				\
	fs_knob(_metadata, self, FS_DBG attr "/require-start",		\
		self->text_start, required);				\
	fs_knob(_metadata, self, FS_DBG attr "/stacktrace-depth", "32",	\
		required);						\
} while (0)

FIXTURE_SETUP(failslab)
{
	unsigned long start, end;

	self->nknobs = 0;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	fs_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fs_nth_fd < 0)
		SKIP(return, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
	if (access(FS_DBG "failslab", F_OK))
		SKIP(return, "no " FS_DBG "failslab (CONFIG_FAILSLAB, debugfs)");
	/* Without a filter to keep it out, every copy would count. */
	if (!access(FS_DBG "fail_usercopy", F_OK) &&
	    access(FS_DBG "fail_usercopy/require-end", F_OK))
		SKIP(return, "fail_usercopy without a stack filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)");

	/* Sleeping allocations too; quiet; no task filter. */
	fs_knob(_metadata, self, FS_DBG "failslab/ignore-gfp-wait", "N", true);
	fs_knob(_metadata, self, FS_DBG "failslab/verbose", "0", true);
	fs_knob(_metadata, self, FS_DBG "failslab/task-filter", "N", true);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/ignore-gfp-wait", "N",
		false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/ignore-gfp-highmem",
		"N", false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/min-order", "0",
		false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/verbose", "0", false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/task-filter", "N",
		false);

	/* Only allocations with vqnotify on the stack count. */
	if (!access(FS_DBG "failslab/require-start", F_OK) &&
	    !fs_module_text(&start, &end)) {
		snprintf(self->text_start, sizeof(self->text_start), "%#lx",
			 start);
		snprintf(self->text_end, sizeof(self->text_end), "%#lx", end);
		FS_AIM("failslab", true);
		FS_AIM("fail_page_alloc", false);
		self->filtered = true;
	}

	/*
	 * Copies from and to userspace fail only in each_copy_fails: a range
	 * of no text puts every copy out of fail-nth's count.
	 */
	fs_knob(_metadata, self, FS_DBG "fail_usercopy/require-end", "1",
		false);

	self->c = calloc(1, sizeof(*self->c));
	ASSERT_NE(NULL, self->c);
	self->c->fd = self->c->newfd = -1;
	self->c->probe = tk_open(0);
	ASSERT_LE(0, self->c->probe);
	self->c->have_nl = !tk_nl_open(&self->c->nl);
	if (variant->op.monitor) {
		uint32_t group;

		/* Without its listener, the variant would test nothing more. */
		ASSERT_TRUE(self->c->have_nl);
		ASSERT_EQ(0, tk_nl_open(&self->c->mon));
		group = variant->op.calls ? self->c->mon.calls :
					    self->c->mon.monitor;
		ASSERT_NE(0U, group);
		ASSERT_EQ(0, tk_nl_join_buf(&self->c->mon, group, 8 << 20));
		self->c->have_mon = true;
	}
}

FIXTURE_TEARDOWN(failslab)
{
	if (fs_nth_fd >= 0 && pwrite(fs_nth_fd, "0", 1, 0) != 1)
		TH_LOG("cannot disarm fail-nth");
	if (self->c && self->c->have_nl)
		_test_nl_policy_del(&self->c->nl, FS_POLICY, 0);
	/* Put back in reverse order: require-start before require-end. */
	for (int i = self->nknobs - 1; i >= 0; i--)
		tk_write_file(self->knobs[i].path, self->knobs[i].saved);
}

TEST_F_TIMEOUT(failslab, each_allocation_fails, 240)
{
	const struct fs_op *op = &variant->op;
	struct fs_ctx *c = self->c;
	unsigned int nth, enomem = 0, absorbed = 0, lost = 0, silent = 0;
	struct fs_state before, after;
	struct tk_why w;
	int ret;

	if (op->netlink && !c->have_nl)
		SKIP(return, "no vqnotify netlink family");
	c->nq = op->nq;
	for (nth = 1; nth <= FS_MAX_NTH; nth++) {
		bool fired;

		fs_prepare(_metadata, c, op, nth, &before);
		fired = fs_call_at(c, op, nth, &ret);

		if (c->have_mon) {
			int got = fs_mon_count(c), want;

			ASSERT_EQ(0, fs_state(c, &after));
			want = fs_mon_expected(&before, &after);
			tk_snap_free(&after.snap);
			if (got != want && got >= 0 && !silent++)
				TH_LOG("fault point %u (%s): listener got %d notifications for %d changes, and no overrun",
				       fired ? nth : 0,
				       fired ? (ret ? "call failed" :
						"call succeeded") : "no fault",
				       got, want);
			lost += fired && got < 0;
		}

		if (!fired) {
			ASSERT_EQ(0, ret) {
				TH_LOG("nth %u: no fault, yet %s", nth,
				       strerror(-ret));
			}
			break;
		}
		if (ret) {
			enomem++;
			EXPECT_EQ(-ENOMEM, ret) {
				TH_LOG("fault point %u: %s", nth,
				       strerror(-ret));
			}
			ASSERT_EQ(0, fs_state(c, &after));
			EXPECT_EQ(0, fs_state_cmp(&before, &after, &w)) {
				TH_LOG("fault point %u failed the call but changed: %s",
				       nth, w.msg);
			}
			tk_snap_free(&after.snap);
		} else {
			absorbed++;
		}
		/* Either way: sound and usable. */
		fs_check_after(_metadata, c, nth);
		tk_snap_free(&before.snap);
		if (!__test_passed(_metadata))
			break;
	}
	ASSERT_LE(nth, (unsigned int)FS_MAX_NTH) {
		TH_LOG("still failing after %u fault points", FS_MAX_NTH);
	}
	/* An op that allocates met a fault point, or nothing was tested. */
	EXPECT_TRUE(op->no_alloc || nth > 1) {
		TH_LOG("%s: no allocation failed%s", op->name,
		       self->filtered ? " with vqnotify on the stack" : "");
	}
	fs_close_new(c);
	ksft_print_msg("failslab %s: %u fault points%s: %u failed with ENOMEM, %u absorbed\n",
		       op->name, nth - 1,
		       self->filtered ? " (vqnotify on the stack)" : "",
		       enomem, absorbed);
	/*
	 * A notification that could not be allocated is lost: the listener
	 * must learn it (ENOBUFS, as rtnetlink does) and resynchronise.
	 */
	EXPECT_EQ(0U, silent) {
		TH_LOG("%u fault points lost notifications silently (%u told the listener)",
		       silent, lost);
	}
	if (fs_totals) {
		__atomic_add_fetch(&fs_totals->calls, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&fs_totals->points, nth - 1,
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&fs_totals->enomem, enomem,
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&fs_totals->absorbed, absorbed,
				   __ATOMIC_RELAXED);
	}
}

/*
 * Ops whose structure is written back after their change (the general
 * ioctl path): a fault of that copy leaves the change made, as "DOC:
 * General ioctl format" says. DEV_ADD is not one: it takes its device back.
 */
static const char *const fs_late_copy[] = {
	"guest_set", "budget_down", "dev_remove", "dev_load",
};

/*
 * Ops that copy through copy_from_user() or copy_to_user(), where
 * fail_usercopy can fault them: the general ioctl path (a structure of
 * another size than the module's takes it too), a device's queues, a
 * migration blob, read(). The hot path's calls copy with unsafe_get_user()
 * and unsafe_put_user() in one user access, which it does not fault; a
 * netlink request copies without vqnotify on the stack.
 */
static const char *const fs_copies[] = {
	"get_info", "guest_set", "budget_down", "guest_get", "dev_add",
	"dev_remove", "queue_get", "dev_get", "dev_save", "dev_load",
	"read_events",
};

/* @name is @list's entry, or one followed by '_' and a variant's suffix. */
static bool fs_op_in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(list[i]);

		if (!strncmp(name, list[i], len) &&
		    (!name[len] || name[len] == '_'))
			return true;
	}
	return false;
}

/* fs_state_cmp() of the states of two guests: their ids differ. */
static int fs_state_cmp_guests(struct fs_state *a, struct fs_state *b,
			       struct tk_why *w)
{
	struct fs_state x = *a;

	x.snap.gi.guest_id = b->snap.gi.guest_id;
	return fs_state_cmp(&x, b, w);
}

/*
 * Every copy from or to userspace made on the module's behalf fails in
 * turn: fail_usercopy through fail-nth, aimed at vqnotify's text as
 * failslab is above (and failslab and fail_page_alloc aimed at none). The
 * call must fail with EFAULT and change nothing: what a call reads is read,
 * and what it writes is proved writable, before its change. Two
 * exceptions, each checked: the write-back of an fs_late_copy op's
 * structure, after which the state must be what the call makes without a
 * fault; and read(), which returns the records copied before the fault.
 * Either way no record is lost or read twice, and the guest still works.
 * And one statistic: DEV_ADD's write-back faulting takes the device back,
 * its queues' (a) still counted (a count never falls), at that copy only.
 *
 * Needs CONFIG_FAULT_INJECTION_USERCOPY: skipped without it.
 */
TEST_F_TIMEOUT(failslab, each_copy_fails, 240)
{
	const struct fs_op *op = &variant->op;
	bool late = fs_op_in(op->name, fs_late_copy,
			     TK_ARRAY_SIZE(fs_late_copy));
	bool copies = fs_op_in(op->name, fs_copies, TK_ARRAY_SIZE(fs_copies));
	bool reads = op->call == fs_call_read;
	bool adds = op->call == fs_call_dev_add;
	unsigned int nth, points = 0, efault = 0, changed = 0, changed_at = 0;
	unsigned int counted_at = 0;
	unsigned int short_reads = 0;
	struct fs_ctx *c = self->c;
	struct fs_state before, after, done;
	int records = 0, ret;
	struct tk_why w;

	if (access(FS_DBG "fail_usercopy", F_OK))
		SKIP(return, "no " FS_DBG "fail_usercopy (CONFIG_FAULT_INJECTION_USERCOPY)");
	if (!self->filtered)
		SKIP(return, "no stack filter aimed at vqnotify");
	if (op->netlink && !c->have_nl)
		SKIP(return, "no vqnotify netlink family");
	c->nq = op->nq;

	fs_knob(_metadata, self, FS_DBG "failslab/require-end", "1", true);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/require-end", "1",
		false);
	fs_knob(_metadata, self, FS_DBG "fail_usercopy/verbose", "0", true);
	FS_AIM("fail_usercopy", true);

	/* What the call makes without a fault, and what a read finds. */
	ASSERT_EQ(0, op->prepare(c));
	if (reads) {
		records = fs_read_all(c);
		ASSERT_LT(0, records);
		ASSERT_EQ(0, op->prepare(c));
	}
	ASSERT_EQ(0, op->call(c));
	ASSERT_EQ(0, fs_state(c, &done));
	fs_close_new(c);

	for (nth = 1; nth <= FS_MAX_NTH; nth++) {
		bool fired;

		fs_prepare(_metadata, c, op, nth, &before);
		fired = fs_call_at(c, op, nth, &ret);
		if (c->have_mon)
			fs_mon_count(c);

		if (!fired) {
			ASSERT_EQ(0, ret) {
				TH_LOG("nth %u: no fault, yet %s", nth,
				       strerror(-ret));
			}
			tk_snap_free(&before.snap);
			break;
		}
		points = nth;
		if (reads) {
			/* The records copied before the fault, then the rest. */
			int got = ret ? 0 : c->nread;

			EXPECT_TRUE(ret == -EFAULT || (!ret && got < records)) {
				TH_LOG("fault point %u: %s, %d of %d records",
				       nth, strerror(-ret), got, records);
			}
			short_reads += !ret;
			EXPECT_EQ(records, got + fs_read_all(c)) {
				TH_LOG("fault point %u: records lost or read twice",
				       nth);
			}
			EXPECT_FALSE(c->seq_broken) {
				TH_LOG("fault point %u: a record out of sequence",
				       nth);
			}
		} else {
			EXPECT_EQ(-EFAULT, ret) {
				TH_LOG("fault point %u: %s", nth,
				       strerror(-ret));
			}
		}
		efault += ret == -EFAULT;
		ASSERT_EQ(0, fs_state(c, &after));
		if (adds && after.snap.gi.counts[VQNOTIFY_LABEL_A] ==
		    before.snap.gi.counts[VQNOTIFY_LABEL_A] + c->nq) {
			before.snap.gi.counts[VQNOTIFY_LABEL_A] += c->nq;
			counted_at = nth;
		}
		if (fs_state_cmp(&before, &after, &w)) {
			changed++;
			changed_at = nth;
			EXPECT_TRUE(late) {
				TH_LOG("fault point %u failed the call but changed: %s",
				       nth, w.msg);
			}
			EXPECT_EQ(0, fs_state_cmp_guests(&done, &after, &w)) {
				TH_LOG("fault point %u: the change is not the call's: %s",
				       nth, w.msg);
			}
		}
		tk_snap_free(&after.snap);
		tk_snap_free(&before.snap);
		fs_check_after(_metadata, c, nth);
		if (!__test_passed(_metadata))
			break;
	}
	tk_snap_free(&done.snap);
	ASSERT_LE(nth, (unsigned int)FS_MAX_NTH) {
		TH_LOG("still failing after %u fault points", FS_MAX_NTH);
	}
	/*
	 * Only the write-back, the last copy, leaves a change: that of an
	 * fs_late_copy op, which it must.
	 */
	EXPECT_TRUE(late ? changed == 1 && changed_at == points : !changed) {
		TH_LOG("%u fault points changed the state, the last at %u of %u",
		       changed, changed_at, points);
	}
	EXPECT_EQ(adds ? points : 0, counted_at) {
		TH_LOG("the (a) of a device taken back counted at %u of %u",
		       counted_at, points);
	}
	/* An op that copies met a fault point, or nothing was tested. */
	EXPECT_TRUE(!copies || points) {
		TH_LOG("%s: no copy failed with vqnotify on the stack",
		       op->name);
	}
	ksft_print_msg("fail_usercopy %s: %u fault points: %u failed with EFAULT, %u short reads, %u after the change\n",
		       op->name, points, efault, short_reads, changed);
}

/*
 * Every allocation made on the module's behalf fails, fallbacks included
 * (a kvmalloc's vmalloc, an xarray's retry): make-it-fail with probability
 * 100 for this task only. The call must fail with ENOMEM and change
 * nothing, unless it needs no memory at all (no allocation failed), or
 * what failed has a fallback: a listener's notification (the listener is
 * told: each_allocation_fails checks it), or an op's own (absorbs).
 */
TEST_F_TIMEOUT(failslab, all_allocations_fail, 120)
{
	const struct fs_op *op = &variant->op;
	struct fs_ctx *c = self->c;
	struct fs_state before, after;
	char times[32] = "";
	unsigned long left;
	struct tk_why w;
	int mif, ret;

	if (op->netlink && !c->have_nl)
		SKIP(return, "no vqnotify netlink family");
	mif = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, mif);
	fs_knob(_metadata, self, FS_DBG "failslab/task-filter", "Y", true);
	fs_knob(_metadata, self, FS_DBG "failslab/interval", "1", true);
	fs_knob(_metadata, self, FS_DBG "failslab/times", "1000000", true);
	fs_knob(_metadata, self, FS_DBG "failslab/probability", "100", true);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/task-filter", "Y",
		false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/interval", "1",
		false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/times", "-1", false);
	fs_knob(_metadata, self, FS_DBG "fail_page_alloc/probability", "100",
		false);

	c->nq = op->nq;
	ASSERT_EQ(0, op->prepare(c));
	ASSERT_EQ(0, fs_state(c, &before));
	ASSERT_EQ(1, pwrite(mif, "1", 1, 0));
	ret = op->call(c);
	ASSERT_EQ(1, pwrite(mif, "0", 1, 0));
	ASSERT_EQ(0, tk_read_file(FS_DBG "failslab/times", times,
				  sizeof(times)));
	left = strtoul(times, NULL, 0);

	if (ret) {
		EXPECT_EQ(-ENOMEM, ret);
		ASSERT_EQ(0, fs_state(c, &after));
		EXPECT_EQ(0, fs_state_cmp(&before, &after, &w)) {
			TH_LOG("failed, yet changed: %s", w.msg);
		}
	} else {
		EXPECT_TRUE(left == 1000000 || op->monitor || op->absorbs) {
			TH_LOG("succeeded with %lu allocations failed",
			       1000000 - left);
		}
	}
	fs_close_new(c);
	if (c->fd >= 0) {
		EXPECT_EQ(0, tk_check_guest_scan(c->fd, 8, NULL, &w)) {
			TH_LOG("%s", w.msg);
		}
		EXPECT_EQ(0, tk_check_usable(c->fd, 8, &w)) {
			TH_LOG("%s", w.msg);
		}
	}
	ksft_print_msg("failslab %s, all allocations failing: %s after %lu slab failures\n",
		       op->name, ret ? strerror(-ret) : "succeeded",
		       1000000 - left);
}

int main(int argc, char **argv)
{
	fs_totals = mmap(NULL, sizeof(*fs_totals), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fs_totals == MAP_FAILED)
		fs_totals = NULL;
	atexit(fs_print_totals);
	return test_harness_run(argc, argv);
}
