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
 * queue_get, config_get, config_set, config_set_one, user_get, and the
 * admin's policies by name or uid: policy_set, policy_set_one,
 * policy_get, policy_dump, policy_del; test_err_nl_call(E, cmd, dump,
 * { type, value }, ...) sends any command with u32 attributes and expects
 * errno E (a malformed request). Records of each object (struct
 * tk_nl_guest, tk_nl_dev, tk_nl_queue, tk_nl_config, tk_nl_user,
 * tk_nl_policy) have every absent field at ~0. The monitor group:
 * tk_nl_join() (or tk_nl_join_buf() for another receive buffer),
 * tk_nl_ntfs() (parsed notifications), tk_nl_drain() (each message to a
 * callback).
 * TK_NL_FIXTURE(name) is a fixture with a socket, a guest and the
 * host-wide config reset to the defaults and restored.
 *
 * The wire layer is vqn_nl_raw.h: tk_nl_open()/tk_nl_close(), requests
 * built by hand (tk_nl_req(), tk_nlreq_u32(), tk_nlreq_str(), then
 * tk_nl_talk(), or tk_nl_xfer() for a struct nlmsghdr the caller laid
 * out), tk_nl_call() for any command with u32 attributes, and attribute
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
#define test_err_nl_guest_dump(_errno, gr) \
	EXPECT_EQ(-(_errno), _test_nl_guest_dump(&self->nl, gr))

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

	if (budget >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_GUEST_ADMIN_BUDGET,
					      (uint32_t)budget };
	if (reserve >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_GUEST_VHOST_RESERVE,
					      (uint32_t)reserve };
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
	if (guest >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_DEV_GUEST_ID,
					      (uint32_t)guest };
	if (id >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_DEV_ID, (uint32_t)id };
	return tk_nl_call(nl, VQNOTIFY_CMD_DEV_GET, id < 0, a, n,
			  tk_nl_devs_cb, dr);
}

#define test_cmd_nl_dev_get(guest, id, dr) \
	ASSERT_EQ(0, _test_nl_dev_get(&self->nl, guest, id, dr))
#define test_err_nl_dev_get(_errno, guest, id, dr) \
	EXPECT_EQ(-(_errno), _test_nl_dev_get(&self->nl, guest, id, dr))

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
	if (guest >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_QUEUE_GUEST_ID,
					      (uint32_t)guest };
	if (dev >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_QUEUE_DEV_ID,
					      (uint32_t)dev };
	if (index >= 0)
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_QUEUE_INDEX,
					      (uint32_t)index };
	return tk_nl_call(nl, VQNOTIFY_CMD_QUEUE_GET, index < 0, a, n,
			  tk_nl_queues_cb, qr);
}

#define test_cmd_nl_queue_get(guest, dev, index, qr) \
	ASSERT_EQ(0, _test_nl_queue_get(&self->nl, guest, dev, index, qr))
#define test_err_nl_queue_get(_errno, guest, dev, index, qr) \
	EXPECT_EQ(-(_errno), \
		  _test_nl_queue_get(&self->nl, guest, dev, index, qr))

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
#define test_err_nl_config_get(_errno, c) \
	EXPECT_EQ(-(_errno), _test_nl_config_get(&self->nl, c))

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
#define test_err_nl_config_set(_errno, c) \
	EXPECT_EQ(-(_errno), _test_nl_config_set(&self->nl, c))

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

/* Per-user accounting (USER_GET) */

struct tk_nl_user {
	bool found;
	int64_t uid, nr_guests, nr_devices, nr_queues, nr_slots;
	int64_t max_guests, max_devices, max_queues, max_slots;
	int64_t nr_quota;
};

static inline void tk_nl_user_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_user *u = arg;
	struct tk_nl_attrs a;

	tk_nl_parse_msg(&a, nlh);
	u->found = true;
	u->uid = tk_nl_get_u32(&a, VQNOTIFY_A_USER_UID);
	u->nr_guests = tk_nl_get_u32(&a, VQNOTIFY_A_USER_NR_GUESTS);
	u->nr_devices = tk_nl_get_u32(&a, VQNOTIFY_A_USER_NR_DEVICES);
	u->nr_queues = tk_nl_get_u32(&a, VQNOTIFY_A_USER_NR_QUEUES);
	u->nr_slots = tk_nl_get_u32(&a, VQNOTIFY_A_USER_NR_SLOTS);
	u->max_guests = tk_nl_get_u32(&a, VQNOTIFY_A_USER_MAX_GUESTS);
	u->max_devices = tk_nl_get_u32(&a, VQNOTIFY_A_USER_MAX_DEVICES);
	u->max_queues = tk_nl_get_u32(&a, VQNOTIFY_A_USER_MAX_QUEUES);
	u->max_slots = tk_nl_get_u32(&a, VQNOTIFY_A_USER_MAX_SLOTS);
	u->nr_quota = tk_nl_get_uint(&a, VQNOTIFY_A_USER_NR_QUOTA);
}

/* USER_GET do: the usage and limits of user @uid (ENOENT: no guests). */
static inline int _test_nl_user_get(struct tk_nl *nl, uint32_t uid,
				    struct tk_nl_user *u)
{
	struct tk_nl_attr a = { VQNOTIFY_A_USER_UID, uid };

	memset(u, 0xff, sizeof(*u));
	u->found = false;
	return tk_nl_call(nl, VQNOTIFY_CMD_USER_GET, false, &a, 1,
			  tk_nl_user_cb, u);
}

#define test_cmd_nl_user_get(uid, u) \
	ASSERT_EQ(0, _test_nl_user_get(&self->nl, uid, u))
#define test_err_nl_user_get(_errno, uid, u) \
	EXPECT_EQ(-(_errno), _test_nl_user_get(&self->nl, uid, u))

/* The admin's policies (POLICY_*): by guest name, or by uid */

struct tk_nl_policy {
	bool found;
	char name[VQNOTIFY_NAME_LEN];	/* "" for a uid policy */
	int64_t uid;			/* ~0 for a name policy */
	int64_t budget, reserve;
	int64_t max_guests, max_devices, max_queues, max_slots;
};

/* The policies of a dump or do (the first 16; n counts them all). */
struct tk_nl_policies {
	int n;
	struct tk_nl_policy p[16];
};

static inline void tk_nl_policies_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_policies *pr = arg;
	struct tk_nl_policy *p;
	struct tk_nl_attrs a;

	if (pr->n >= (int)TK_ARRAY_SIZE(pr->p)) {
		pr->n++;
		return;
	}
	p = &pr->p[pr->n++];
	tk_nl_parse_msg(&a, nlh);
	p->found = true;
	if (a.tb[VQNOTIFY_A_POLICY_NAME])
		snprintf(p->name, sizeof(p->name), "%s", (const char *)
			 tk_nla_data(a.tb[VQNOTIFY_A_POLICY_NAME]));
	p->uid = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_UID);
	p->budget = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_BUDGET);
	p->reserve = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_VHOST_RESERVE);
	p->max_guests = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_MAX_GUESTS);
	p->max_devices = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_MAX_DEVICES);
	p->max_queues = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_MAX_QUEUES);
	p->max_slots = tk_nl_get_u32(&a, VQNOTIFY_A_POLICY_MAX_SLOTS);
}

/* A POLICY_* request for the policy of @name, or of @uid when NULL. */
static inline void tk_nl_policy_req(struct tk_nl *nl, struct tk_nlreq *r,
				    uint8_t cmd, const char *name,
				    uint32_t uid)
{
	tk_nl_req(nl, r, cmd, false);
	if (name)
		tk_nlreq_str(r, VQNOTIFY_A_POLICY_NAME, name);
	else
		tk_nlreq_u32(r, VQNOTIFY_A_POLICY_UID, uid);
}

/* POLICY_SET of the budget and/or vhost reserve (-1: leave). */
static inline int _test_nl_policy_set(struct tk_nl *nl, const char *name,
				      uint32_t uid, long budget, long reserve)
{
	struct tk_nlreq r;

	tk_nl_policy_req(nl, &r, VQNOTIFY_CMD_POLICY_SET, name, uid);
	if (budget >= 0)
		tk_nlreq_u32(&r, VQNOTIFY_A_POLICY_BUDGET, budget);
	if (reserve >= 0)
		tk_nlreq_u32(&r, VQNOTIFY_A_POLICY_VHOST_RESERVE, reserve);
	return tk_nl_talk(nl, &r, NULL, NULL);
}

#define test_cmd_nl_policy_set(name, uid, budget, reserve) \
	ASSERT_EQ(0, _test_nl_policy_set(&self->nl, name, uid, budget, reserve))
#define test_err_nl_policy_set(_errno, name, uid, budget, reserve) \
	EXPECT_EQ(-(_errno), \
		  _test_nl_policy_set(&self->nl, name, uid, budget, reserve))

/* POLICY_SET of one VQNOTIFY_A_POLICY_* setting, @attr = @val. */
static inline int _test_nl_policy_set_one(struct tk_nl *nl, const char *name,
					  uint32_t uid, uint16_t attr,
					  uint32_t val)
{
	struct tk_nlreq r;

	tk_nl_policy_req(nl, &r, VQNOTIFY_CMD_POLICY_SET, name, uid);
	tk_nlreq_u32(&r, attr, val);
	return tk_nl_talk(nl, &r, NULL, NULL);
}

#define test_cmd_nl_policy_set_one(name, uid, attr, val) \
	ASSERT_EQ(0, _test_nl_policy_set_one(&self->nl, name, uid, attr, val))
#define test_err_nl_policy_set_one(_errno, name, uid, attr, val) \
	EXPECT_EQ(-(_errno), \
		  _test_nl_policy_set_one(&self->nl, name, uid, attr, val))

/* POLICY_GET do: the policy of @name (or @uid) into @p (may be NULL). */
static inline int _test_nl_policy_get(struct tk_nl *nl, const char *name,
				      uint32_t uid, struct tk_nl_policy *p)
{
	static struct tk_nl_policies pr;
	struct tk_nlreq r;
	int ret;

	memset(&pr, 0xff, sizeof(pr));
	pr.n = 0;
	tk_nl_policy_req(nl, &r, VQNOTIFY_CMD_POLICY_GET, name, uid);
	ret = tk_nl_talk(nl, &r, tk_nl_policies_cb, &pr);
	if (p) {
		memset(p, 0, sizeof(*p));
		if (!ret && pr.n == 1)
			*p = pr.p[0];
	}
	return ret;
}

#define test_cmd_nl_policy_get(name, uid, p) \
	ASSERT_EQ(0, _test_nl_policy_get(&self->nl, name, uid, p))
#define test_err_nl_policy_get(_errno, name, uid, p) \
	EXPECT_EQ(-(_errno), _test_nl_policy_get(&self->nl, name, uid, p))

/* POLICY_GET dump: every policy, into @pr. */
static inline int _test_nl_policy_dump(struct tk_nl *nl,
				       struct tk_nl_policies *pr)
{
	memset(pr, 0xff, sizeof(*pr));
	pr->n = 0;
	return tk_nl_call(nl, VQNOTIFY_CMD_POLICY_GET, true, NULL, 0,
			  tk_nl_policies_cb, pr);
}

#define test_cmd_nl_policy_dump(pr) \
	ASSERT_EQ(0, _test_nl_policy_dump(&self->nl, pr))
#define test_err_nl_policy_dump(_errno, pr) \
	EXPECT_EQ(-(_errno), _test_nl_policy_dump(&self->nl, pr))

/* POLICY_DEL of the policy of @name, or of @uid when @name is NULL. */
static inline int _test_nl_policy_del(struct tk_nl *nl, const char *name,
				      uint32_t uid)
{
	struct tk_nlreq r;

	tk_nl_policy_req(nl, &r, VQNOTIFY_CMD_POLICY_DEL, name, uid);
	return tk_nl_talk(nl, &r, NULL, NULL);
}

#define test_cmd_nl_policy_del(name, uid) \
	ASSERT_EQ(0, _test_nl_policy_del(&self->nl, name, uid))
#define test_err_nl_policy_del(_errno, name, uid) \
	EXPECT_EQ(-(_errno), _test_nl_policy_del(&self->nl, name, uid))

/* The monitor group */

/*
 * Join group @group with a receive buffer of @bytes (0: the default, as
 * a flood that may overrun wants it): 0 or -errno.
 */
static inline int tk_nl_join_buf(struct tk_nl *nl, uint32_t group,
				 int bytes)
{
	if (bytes)
		setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
			   sizeof(bytes));
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		return -errno;
	return 0;
}

/* Join group @group with a large (4 MiB) receive buffer: 0 or -errno. */
static inline int tk_nl_join(struct tk_nl *nl, uint32_t group)
{
	return tk_nl_join_buf(nl, group, 4 << 20);
}

/*
 * Read what @nl holds now, without blocking, and call @cb (may be NULL)
 * for each message. An overrun (ENOBUFS: messages were lost) sets
 * *@overrun (may be NULL) and reading goes on. Returns the number of
 * messages read, or -errno on another error.
 */
static inline int tk_nl_drain(struct tk_nl *nl, tk_nl_cb cb, void *arg,
			      bool *overrun)
{
	static char buf[TK_NL_BUF];
	int n = 0;

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t len = recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (len < 0 && errno == ENOBUFS) {
			if (overrun)
				*overrun = true;
			continue;
		}
		if (len < 0)
			return errno == EAGAIN ? n : -errno;
		if (!len)
			return n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (cb)
				cb(nlh, arg);
			n++;
		}
	}
}

/* A notification; the fields its command does not carry are -1. */
struct tk_nl_ntf {
	uint8_t cmd;
	int64_t guest, dev, queue, old, new, label, reason;
	int64_t id, num_queues;
};

static inline void tk_nl_ntf_fill(struct tk_nl_ntf *f,
				  const struct nlmsghdr *nlh)
{
	struct tk_nl_attrs a;

	memset(f, 0xff, sizeof(*f));
	f->cmd = tk_nl_msg_cmd(nlh);
	tk_nl_parse_msg(&a, nlh);
	switch (f->cmd) {
	case VQNOTIFY_CMD_QUEUE_NTF:
		f->guest = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_GUEST_ID);
		f->dev = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_DEV_ID);
		f->queue = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_QUEUE);
		f->old = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_OLD_STATE);
		f->new = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_NEW_STATE);
		f->label = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_LABEL);
		f->reason = tk_nl_get_u32(&a, VQNOTIFY_A_TRANSITION_REASON);
		break;
	case VQNOTIFY_CMD_DEV_ADD_NTF:
	case VQNOTIFY_CMD_DEV_DEL_NTF:
		f->guest = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_GUEST_ID);
		f->id = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_ID);
		f->num_queues = tk_nl_get_u32(&a, VQNOTIFY_A_DEV_NUM_QUEUES);
		break;
	case VQNOTIFY_CMD_GUEST_ADD_NTF:
	case VQNOTIFY_CMD_GUEST_DEL_NTF:
	case VQNOTIFY_CMD_GUEST_CHANGE_NTF:
		f->guest = tk_nl_get_u32(&a, VQNOTIFY_A_GUEST_ID);
		break;
	}
}

/* The notifications queued on a monitor socket now: how many, or -errno. */
static inline int tk_nl_ntfs(struct tk_nl *nl, struct tk_nl_ntf *out, int cap)
{
	static char buf[TK_NL_BUF];
	int n = 0;

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t len = recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (len < 0)
			return errno == EAGAIN ? n : -errno;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (n >= cap)
				return -ENOSPC;
			tk_nl_ntf_fill(&out[n++], nlh);
		}
	}
}

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

#endif /* _VQN_NL_UTILS_H */
