/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_nl_admin_utils.h: part of the netlink toolkit, included by
 * vqn_nl_utils.h (include that): USER_GET and the admin's policies by
 * guest name or uid (POLICY_SET, POLICY_GET, POLICY_DEL), in the three
 * forms _test_nl_X(), test_cmd_nl_X() and test_err_nl_X().
 */
#ifndef _VQN_NL_ADMIN_UTILS_H
#define _VQN_NL_ADMIN_UTILS_H

#include "vqn_nl_utils.h"

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

/*
 * POLICY_SET of the budget and/or vhost reserve (-1: leave) of the policy
 * of @name, or of @uid when NULL; with @both, of @name for the guests of
 * @uid only.
 */
static inline int __test_nl_policy_set(struct tk_nl *nl, const char *name,
				       uint32_t uid, bool both, long budget,
				       long reserve)
{
	struct tk_nlreq r;

	tk_nl_policy_req(nl, &r, VQNOTIFY_CMD_POLICY_SET, name, uid);
	if (both)
		tk_nlreq_u32(&r, VQNOTIFY_A_POLICY_UID, uid);
	if (budget >= 0)
		tk_nlreq_u32(&r, VQNOTIFY_A_POLICY_BUDGET, budget);
	if (reserve >= 0)
		tk_nlreq_u32(&r, VQNOTIFY_A_POLICY_VHOST_RESERVE, reserve);
	return tk_nl_talk(nl, &r, NULL, NULL);
}

static inline int _test_nl_policy_set(struct tk_nl *nl, const char *name,
				      uint32_t uid, long budget, long reserve)
{
	return __test_nl_policy_set(nl, name, uid, false, budget, reserve);
}

static inline int _test_nl_policy_set_for(struct tk_nl *nl, const char *name,
					  uint32_t uid, long budget,
					  long reserve)
{
	return __test_nl_policy_set(nl, name, uid, true, budget, reserve);
}

/* POLICY_DEL of the policy of @name for the guests of @uid only. */
static inline int _test_nl_policy_del_for(struct tk_nl *nl, const char *name,
					  uint32_t uid)
{
	struct tk_nlreq r;

	tk_nl_policy_req(nl, &r, VQNOTIFY_CMD_POLICY_DEL, name, uid);
	tk_nlreq_u32(&r, VQNOTIFY_A_POLICY_UID, uid);
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

#endif /* _VQN_NL_ADMIN_UTILS_H */
