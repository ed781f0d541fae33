/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_nl_utils.h: the toolkit's generic netlink client for the "vqnotify"
 * family, raw (the selftests are static, without libnl).
 *
 * The same three forms as vqn_utils.h, for each command:
 *
 *   _test_nl_X(nl, ...)    sends the request on a struct tk_nl, fills the
 *                          outputs and returns 0 or -errno (the extack
 *                          message, if any, is in nl->ext_msg);
 *   test_cmd_nl_X(...)     ASSERTs that _test_nl_X(&self->nl, ...) succeeds;
 *   test_err_nl_X(E, ...)  EXPECTs that it fails with errno E.
 *
 * X is guest_get, guest_dump, guest_set, guest_set_one, dev_get,
 * queue_get, config_get, config_set, config_set_one here;
 * test_err_nl_call(E, cmd, dump, { type, value }, ...) sends any command
 * with u32 attributes and expects errno E (a malformed request);
 * test_err_nl_missing(attr, msg, cmd, ...) a do request without its
 * required attribute, refused naming it. Records
 * of each object (struct tk_nl_guest, tk_nl_dev, tk_nl_queue,
 * tk_nl_config) have every absent field at ~0.
 * TK_NL_FIXTURE(name) is a fixture with a socket, a guest and the
 * host-wide config reset to the defaults and restored.
 *
 * Included at the end, by concern: vqn_nl_admin_utils.h, user_get and the
 * admin's policies by name or uid (policy_set, policy_set_one, policy_get,
 * policy_dump, policy_del; struct tk_nl_user, tk_nl_policy);
 * vqn_nl_monitor_utils.h, the multicast groups: tk_nl_join() (or
 * tk_nl_join_buf() for another receive buffer) with nl->monitor or
 * nl->calls, tk_nl_open_calls() (open and join "calls"), tk_nl_ntfs()
 * (parsed notifications), tk_nl_drain() (each message to a callback).
 *
 * The wire layer is vqn_nl_raw.h: tk_nl_open()/tk_nl_close(), requests
 * built by hand (tk_nl_req(), tk_nlreq_u32(), tk_nlreq_str(), then
 * tk_nl_talk(), or tk_nl_xfer() for a struct nlmsghdr the caller laid
 * out, or its halves tk_nl_send() and tk_nl_read() with a receive buffer
 * of one's choice), tk_nl_call() for any command with u32 attributes, and
 * attribute
 * parsing (struct tk_nl_attrs, tk_nl_parse_msg(), tk_nl_get_u32()).
 */
#ifndef _VQN_NL_UTILS_H
#define _VQN_NL_UTILS_H

#include "vqn_nl_raw.h"

/*
 * Command @cmd (a dump when @dump) on self->nl, with the u32 attributes
 * given as { type, value } pairs (none: a bare request), must fail with
 * errno @_errno.
 */
#define test_err_nl_call(_errno, cmd, dump, ...) do {			\
	const struct tk_nl_attr _a[] = { __VA_ARGS__ };			\
	EXPECT_EQ(-(_errno), tk_nl_call(&self->nl, cmd, dump, _a,	\
					TK_ARRAY_SIZE(_a), NULL, NULL));\
} while (0)

/*
 * Do request @cmd on self->nl without its required attribute @attr (the
 * others given as for test_err_nl_call()) must fail with EINVAL, naming
 * @attr (NLMSGERR_ATTR_MISS_TYPE) and saying @msg.
 */
#define test_err_nl_missing(attr, msg, cmd, ...) do {			\
	test_err_nl_call(EINVAL, cmd, false, __VA_ARGS__);		\
	EXPECT_EQ(attr, self->nl.ext_miss);				\
	EXPECT_STREQ(msg, self->nl.ext_msg);				\
} while (0)

/* Records; every field is ~0 (-1 when signed) when absent */

/* A guest (GUEST_GET, GUEST_*_NTF). */
struct tk_nl_guest {
	bool found;
	int64_t id, pid, uid, budget, admin_budget, own_budget, reserve;
	int64_t threshold, used, nr_assigned, nr_offlimits, nr_waiting;
	int64_t nr_devices;
	bool limited, over_budget, has_counts;
	int64_t run_state;
	char name[VQNOTIFY_NAME_LEN];
	uint64_t counts[VQNOTIFY_LABEL_MAX];
};

static inline void tk_nl_guest_fill(struct tk_nl_guest *g,
				    const struct tk_nl_attrs *a)
{
	struct tk_nl_attrs c;
	int l;

	memset(g, 0, sizeof(*g));
	g->found = true;
	g->id = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_ID);
	g->pid = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_PID);
	g->uid = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_UID);
	g->budget = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_BUDGET);
	g->admin_budget = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_ADMIN_BUDGET);
	g->own_budget = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_OWN_BUDGET);
	g->reserve = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_VHOST_RESERVE);
	g->threshold = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_THRESHOLD);
	g->used = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_USED);
	g->nr_assigned = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_NR_ASSIGNED);
	g->nr_offlimits = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_NR_OFFLIMITS);
	g->nr_waiting = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_NR_WAITING);
	g->nr_devices = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_NR_DEVICES);
	g->limited = a->tb[VQNOTIFY_A_GUEST_LIMITED];
	g->over_budget = a->tb[VQNOTIFY_A_GUEST_OVER_BUDGET];
	g->run_state = tk_nl_get_u32(a, VQNOTIFY_A_GUEST_RUN_STATE);
	if (a->tb[VQNOTIFY_A_GUEST_NAME])
		snprintf(g->name, sizeof(g->name), "%s", (const char *)
			 tk_nla_data(a->tb[VQNOTIFY_A_GUEST_NAME]));
	if (a->tb[VQNOTIFY_A_GUEST_COUNTS]) {
		g->has_counts = true;
		tk_nl_parse(&c, tk_nla_data(a->tb[VQNOTIFY_A_GUEST_COUNTS]),
			    tk_nla_len(a->tb[VQNOTIFY_A_GUEST_COUNTS]));
		for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
			g->counts[l] = tk_nl_get_uint(&c, l);
	}
}

/* The guests of a dump (the first 64 in full, the ids of up to 8192). */
struct tk_nl_guests {
	int n;
	struct tk_nl_guest g[64];
	uint32_t nr_ids;
	uint32_t ids[8192];
};

static inline void tk_nl_guests_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_guests *gr = arg;
	struct tk_nl_attrs a;

	tk_nl_parse_msg(&a, nlh);
	if (gr->nr_ids < TK_ARRAY_SIZE(gr->ids))
		gr->ids[gr->nr_ids++] = tk_nl_get_u32(&a, VQNOTIFY_A_GUEST_ID);
	if (gr->n < (int)TK_ARRAY_SIZE(gr->g))
		tk_nl_guest_fill(&gr->g[gr->n++], &a);
}

static inline bool tk_nl_guests_has(const struct tk_nl_guests *gr,
				    uint32_t id)
{
	for (uint32_t i = 0; i < gr->nr_ids; i++)
		if (gr->ids[i] == id)
			return true;
	return false;
}

/* GUEST_GET dump: every guest the caller may see, into @gr. */
static inline int _test_nl_guest_dump(struct tk_nl *nl,
				      struct tk_nl_guests *gr)
{
	memset(gr, 0, sizeof(*gr));
	return tk_nl_call(nl, VQNOTIFY_CMD_GUEST_GET, true, NULL, 0,
			  tk_nl_guests_cb, gr);
}

#define test_cmd_nl_guest_dump(gr) \
	ASSERT_EQ(0, _test_nl_guest_dump(&self->nl, gr))

/* Is guest @id in a GUEST_GET dump? 1 or 0, or -errno; *@nr: guests seen. */
static inline int tk_nl_guest_visible(struct tk_nl *nl, uint32_t id, int *nr)
{
	static struct tk_nl_guests gr;
	int ret = _test_nl_guest_dump(nl, &gr);

	if (ret)
		return ret;
	if (nr)
		*nr = gr.nr_ids;
	return tk_nl_guests_has(&gr, id);
}

/* GUEST_GET do: guest @id into @g (may be NULL). */
static inline int _test_nl_guest_get(struct tk_nl *nl, uint32_t id,
				     struct tk_nl_guest *g)
{
	static struct tk_nl_guests gr;
	struct tk_nl_attr a = { VQNOTIFY_A_GUEST_ID, id };
	int ret;

	memset(&gr, 0, sizeof(gr));
	ret = tk_nl_call(nl, VQNOTIFY_CMD_GUEST_GET, false, &a, 1,
			 tk_nl_guests_cb, &gr);
	if (g) {
		memset(g, 0, sizeof(*g));
		if (!ret && gr.n == 1)
			*g = gr.g[0];
	}
	return ret;
}

#define test_cmd_nl_guest_get(id, g) \
	ASSERT_EQ(0, _test_nl_guest_get(&self->nl, id, g))
#define test_err_nl_guest_get(_errno, id, g) \
	EXPECT_EQ(-(_errno), _test_nl_guest_get(&self->nl, id, g))

/* GUEST_SET: admin budget and/or vhost reserve of a guest (-1: leave). */
static inline int _test_nl_guest_set(struct tk_nl *nl, uint32_t id,
				     long budget, long reserve)
{
	struct tk_nl_attr a[3] = { { VQNOTIFY_A_GUEST_ID, id } };
	int n = 1;

	tk_nl_attr_opt(a, &n, VQNOTIFY_A_GUEST_ADMIN_BUDGET, budget);
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_GUEST_VHOST_RESERVE, reserve);
	return tk_nl_call(nl, VQNOTIFY_CMD_GUEST_SET, false, a, n, NULL,
			  NULL);
}

#define test_cmd_nl_guest_set(id, budget, reserve) \
	ASSERT_EQ(0, _test_nl_guest_set(&self->nl, id, budget, reserve))
#define test_err_nl_guest_set(_errno, id, budget, reserve) \
	EXPECT_EQ(-(_errno), _test_nl_guest_set(&self->nl, id, budget, reserve))

/* GUEST_SET of guest @id with one more attribute, @attr = @val. */
static inline int _test_nl_guest_set_one(struct tk_nl *nl, uint32_t id,
					 uint16_t attr, uint32_t val)
{
	struct tk_nl_attr a[2] = {
		{ VQNOTIFY_A_GUEST_ID, id }, { attr, val },
	};

	return tk_nl_call(nl, VQNOTIFY_CMD_GUEST_SET, false, a, 2, NULL, NULL);
}

#define test_cmd_nl_guest_set_one(id, attr, val) \
	ASSERT_EQ(0, _test_nl_guest_set_one(&self->nl, id, attr, val))
#define test_err_nl_guest_set_one(_errno, id, attr, val) \
	EXPECT_EQ(-(_errno), _test_nl_guest_set_one(&self->nl, id, attr, val))

/* A device (DEV_GET, DEV_*_NTF). */
struct tk_nl_dev {
	int64_t guest, id, transport, status, num_queues;
	char name[VQNOTIFY_NAME_LEN];
};

/* The devices of a dump or do (the first 16; n counts them all). */
struct tk_nl_devs {
	int n;
	struct tk_nl_dev d[16];
};

static inline void tk_nl_devs_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_devs *dr = arg;
	struct tk_nl_dev *d;
	struct tk_nl_attrs a;

	if (dr->n >= (int)TK_ARRAY_SIZE(dr->d)) {
		dr->n++;
		return;
	}
	d = &dr->d[dr->n++];
	tk_nl_parse_msg(&a, nlh);
	d->guest = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_GUEST_ID);
	d->id = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_ID);
	d->transport = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_TRANSPORT);
	d->status = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_STATUS);
	d->num_queues = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_NUM_QUEUES);
	if (a.tb[VQNOTIFY_A_DEV_NAME])
		snprintf(d->name, sizeof(d->name), "%s", (const char *)
			 tk_nla_data(a.tb[VQNOTIFY_A_DEV_NAME]));
}

/*
 * DEV_GET into @dr: device @id of guest @guest (a do), or with @id < 0 a
 * dump, of guest @guest, or of every guest when @guest < 0.
 */
static inline int _test_nl_dev_get(struct tk_nl *nl, long guest, long id,
				   struct tk_nl_devs *dr)
{
	struct tk_nl_attr a[2];
	int n = 0;

	memset(dr, 0, sizeof(*dr));
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_DEV_GUEST_ID, guest);
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_DEV_ID, id);
	return tk_nl_call(nl, VQNOTIFY_CMD_DEV_GET, id < 0, a, n,
			  tk_nl_devs_cb, dr);
}

#define test_cmd_nl_dev_get(guest, id, dr) \
	ASSERT_EQ(0, _test_nl_dev_get(&self->nl, guest, id, dr))

/* A queue (QUEUE_GET). */
struct tk_nl_queue {
	int64_t guest, dev, index, state, reason, label, flags, seq;
};

/* Caller's array @q of @cap records; n counts every message. */
struct tk_nl_queues {
	int n;
	int cap;
	struct tk_nl_queue *q;
};

static inline void tk_nl_queues_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_queues *qr = arg;
	struct tk_nl_queue *q;
	struct tk_nl_attrs a;

	if (qr->n >= qr->cap) {
		qr->n++;
		return;
	}
	tk_nl_parse_msg(&a, nlh);
	q = &qr->q[qr->n++];
	q->guest = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_GUEST_ID);
	q->dev = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_DEV_ID);
	q->index = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_INDEX);
	q->state = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_STATE);
	q->reason = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_REASON);
	q->label = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_LABEL);
	q->flags = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_FLAGS);
	q->seq = tk_nl_get_u32(&a, VQNOTIFY_A_QUEUE_ASSIGN_SEQ);
}

/*
 * QUEUE_GET into @qr (qr->q and qr->cap set by the caller): queue @index
 * of device @dev of guest @guest (a do), or with @index < 0 a dump of one
 * device's, one guest's (@dev < 0) or every guest's (@guest < 0) queues.
 */
static inline int _test_nl_queue_get(struct tk_nl *nl, long guest, long dev,
				     long index, struct tk_nl_queues *qr)
{
	struct tk_nl_attr a[3];
	int n = 0;

	qr->n = 0;
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_QUEUE_GUEST_ID, guest);
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_QUEUE_DEV_ID, dev);
	tk_nl_attr_opt(a, &n, VQNOTIFY_A_QUEUE_INDEX, index);
	return tk_nl_call(nl, VQNOTIFY_CMD_QUEUE_GET, index < 0, a, n,
			  tk_nl_queues_cb, qr);
}

#define test_cmd_nl_queue_get(guest, dev, index, qr) \
	ASSERT_EQ(0, _test_nl_queue_get(&self->nl, guest, dev, index, qr))

/* Host-wide settings (CONFIG_GET, CONFIG_SET). */
struct tk_nl_config {
	int64_t default_budget, threshold, vhost_reserve, host_cap;
	int64_t host_used, nr_guests;
	/* The per-user limits in force (user-max-*). */
	int64_t user_max_guests, user_max_devices, user_max_queues;
	int64_t user_max_slots;
};

static inline void tk_nl_config_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_config *c = arg;
	struct tk_nl_attrs a;

	tk_nl_parse_msg(&a, nlh);
	c->default_budget = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET);
	c->threshold = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_THRESHOLD);
	c->vhost_reserve = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_VHOST_RESERVE);
	c->host_cap = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_HOST_CAP);
	c->host_used = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_HOST_USED);
	c->nr_guests = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_NR_GUESTS);
	c->user_max_guests = tk_nl_get_u32(&a,
					   VQNOTIFY_A_CONFIG_USER_MAX_GUESTS);
	c->user_max_devices = tk_nl_get_u32(&a,
					    VQNOTIFY_A_CONFIG_USER_MAX_DEVICES);
	c->user_max_queues = tk_nl_get_u32(&a,
					   VQNOTIFY_A_CONFIG_USER_MAX_QUEUES);
	c->user_max_slots = tk_nl_get_u32(&a, VQNOTIFY_A_CONFIG_USER_MAX_SLOTS);
}

static inline int _test_nl_config_get(struct tk_nl *nl,
				      struct tk_nl_config *c)
{
	memset(c, 0xff, sizeof(*c));
	return tk_nl_call(nl, VQNOTIFY_CMD_CONFIG_GET, false, NULL, 0,
			  tk_nl_config_cb, c);
}

#define test_cmd_nl_config_get(c) \
	ASSERT_EQ(0, _test_nl_config_get(&self->nl, c))

/* CONFIG_SET of the four settable values of @c. */
static inline int _test_nl_config_set(struct tk_nl *nl,
				      const struct tk_nl_config *c)
{
	struct tk_nl_attr a[] = {
		{ VQNOTIFY_A_CONFIG_DEFAULT_BUDGET, c->default_budget },
		{ VQNOTIFY_A_CONFIG_THRESHOLD, c->threshold },
		{ VQNOTIFY_A_CONFIG_VHOST_RESERVE, c->vhost_reserve },
		{ VQNOTIFY_A_CONFIG_HOST_CAP, c->host_cap },
	};

	return tk_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false, a,
			  TK_ARRAY_SIZE(a), NULL, NULL);
}

#define test_cmd_nl_config_set(c) \
	ASSERT_EQ(0, _test_nl_config_set(&self->nl, c))

/* CONFIG_SET of one VQNOTIFY_A_CONFIG_* attribute. */
static inline int _test_nl_config_set_one(struct tk_nl *nl, uint16_t attr,
					  uint32_t val)
{
	struct tk_nl_attr a = { attr, val };

	return tk_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false, &a, 1, NULL,
			  NULL);
}

#define test_cmd_nl_config_set_one(attr, val) \
	ASSERT_EQ(0, _test_nl_config_set_one(&self->nl, attr, val))
#define test_err_nl_config_set_one(_errno, attr, val) \
	EXPECT_EQ(-(_errno), _test_nl_config_set_one(&self->nl, attr, val))

/*
 * The netlink fixture: a socket in self->nl, a guest of our own in
 * self->fd (non-blocking) with its id in self->guest, and the host-wide
 * config as found in self->saved. As root, every test starts from the
 * module's defaults (self->start) and the config found is put back in
 * teardown; otherwise self->start is what was found.
 */
static inline struct tk_nl_config tk_nl_defaults(void)
{
	return (struct tk_nl_config){
		.default_budget = 1024,
		.threshold = 7,
		.vhost_reserve = 0,
		.host_cap = 1 << 20,
	};
}

static inline bool tk_nl_config_is(const struct tk_nl_config *a,
				   const struct tk_nl_config *b)
{
	return a->default_budget == b->default_budget &&
	       a->threshold == b->threshold &&
	       a->vhost_reserve == b->vhost_reserve &&
	       a->host_cap == b->host_cap;
}

static inline void tk_nl_fixture_setup(struct __test_metadata *_metadata,
				       struct tk_nl *nl, int *fd,
				       uint32_t *guest,
				       struct tk_nl_config *saved,
				       struct tk_nl_config *start,
				       bool *restore)
{
	const struct tk_nl_config defaults = tk_nl_defaults();
	struct vqnotify_guest_info gi;
	int ret;

	ret = tk_nl_open(nl);
	ASSERT_EQ(0, ret) TH_LOG("family %s: %s", VQNOTIFY_FAMILY_NAME,
				 strerror(-ret));
	ASSERT_EQ(0, _test_nl_config_get(nl, saved));
	*start = *saved;
	if (!geteuid()) {
		/* Whatever an earlier test (or binary) left behind. */
		if (!tk_nl_config_is(saved, &defaults))
			TH_LOG("config left at %lld/%lld/%lld/%lld%s",
			       (long long)saved->default_budget,
			       (long long)saved->threshold,
			       (long long)saved->vhost_reserve,
			       (long long)saved->host_cap,
			       " (budget/threshold/reserve/cap)");
		ASSERT_EQ(0, _test_nl_config_set(nl, &defaults));
		*start = defaults;
		*restore = true;
	}
	*fd = tk_open(O_NONBLOCK);
	ASSERT_LE(0, *fd) TH_LOG("open %s: %s", TK_DEV_PATH, strerror(-*fd));
	ASSERT_EQ(0, _test_ioctl_guest_get(*fd, &gi));
	*guest = gi.guest_id;
}

#define TK_NL_FIXTURE(name)						\
	FIXTURE(name) {							\
		struct tk_nl nl;					\
		int fd;							\
		uint32_t guest;						\
		struct tk_nl_config saved;				\
		struct tk_nl_config start;				\
		bool restore;						\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		self->fd = -1;						\
		self->nl.fd = -1;					\
		self->restore = false;					\
		if (!tk_present())					\
			SKIP(return, "%s not present (module not loaded)", \
			     TK_DEV_PATH);				\
		tk_nl_fixture_setup(_metadata, &self->nl, &self->fd,	\
				    &self->guest, &self->saved,		\
				    &self->start, &self->restore);	\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		if (self->fd >= 0)					\
			close(self->fd);				\
		if (self->restore)					\
			EXPECT_EQ(0, _test_nl_config_set(&self->nl,	\
							 &self->saved)); \
		tk_nl_close(&self->nl);					\
	}

/* The admin's per-user accounting and policies; the monitor group */
#include "vqn_nl_admin_utils.h"
#include "vqn_nl_monitor_utils.h"

#endif /* _VQN_NL_UTILS_H */
