// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify netlink: the admin's CONFIG_GET and CONFIG_SET, USER_GET, and
 * POLICY_SET, POLICY_GET and POLICY_DEL. The family and its messages are
 * vqn_nl.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/user_namespace.h>

#include "vqn_nl.h"

/* CONFIG_GET, CONFIG_SET */

static int vqn_nl_put_stats(struct sk_buff *skb)
{
	struct vqn_stats sum;
	struct nlattr *nest;
	unsigned int i;

	/* A counter's attribute type is its label's or reason's value. */
	BUILD_BUG_ON((int)VQNOTIFY_A_REASON_COUNTS_LIMITED !=
		     (int)VQNOTIFY_REASON_LIMITED);
	BUILD_BUG_ON((int)VQNOTIFY_A_REASON_COUNTS_NOT_READY !=
		     (int)VQNOTIFY_REASON_NOT_READY);
	BUILD_BUG_ON((int)VQNOTIFY_A_REASON_COUNTS_QUOTA !=
		     (int)VQNOTIFY_REASON_QUOTA);

	vqn_stats_sum(&sum);
	nest = nla_nest_start(skb, VQNOTIFY_A_CONFIG_TRANSITIONS);
	if (!nest)
		return -EMSGSIZE;
	for (i = VQNOTIFY_LABEL_A; i < VQNOTIFY_LABEL_MAX; i++)
		if (nla_put_uint(skb, i, sum.transitions[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, VQNOTIFY_A_CONFIG_REFUSALS);
	if (!nest)
		return -EMSGSIZE;
	/* Limited to not-ready are consecutive; quota comes later. */
	for (i = VQNOTIFY_A_REASON_COUNTS_LIMITED;
	     i <= VQNOTIFY_A_REASON_COUNTS_NOT_READY; i++)
		if (nla_put_uint(skb, i, sum.refusals[i]))
			return -EMSGSIZE;
	if (nla_put_uint(skb, VQNOTIFY_A_REASON_COUNTS_QUOTA,
			 sum.refusals[VQNOTIFY_REASON_QUOTA]))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	if (nla_put_uint(skb, VQNOTIFY_A_CONFIG_EVENTS_DROPPED,
			 sum.events_dropped) ||
	    nla_put_uint(skb, VQNOTIFY_A_CONFIG_GUESTS_OPENED,
			 sum.guests_opened) ||
	    nla_put_uint(skb, VQNOTIFY_A_CONFIG_GUESTS_CLOSED,
			 sum.guests_closed))
		return -EMSGSIZE;
	return 0;
}

/*
 * The four limits, by enum vqn_limit, as consecutive attributes from
 * @first (config and user attributes list them in that order).
 */
static int vqn_nl_put_limits(struct sk_buff *skb, int first, const u32 *max)
{
	int l;

	for (l = 0; l < VQN_NR_LIMITS; l++)
		if (nla_put_u32(skb, first + l, READ_ONCE(max[l])))
			return -EMSGSIZE;
	return 0;
}

int vqnotify_nl_config_get_doit(struct sk_buff *skb,
				struct genl_info *info)
{
	struct vqn_nl_msg m;
	struct sk_buff *msg;
	void *hdr;

	/*
	 * It reads no attribute, and has no policy: 6.1's generic netlink
	 * refuses one for it (a reject-all policy), 6.12's split ops let it
	 * through. Refused on both.
	 */
	if (nlmsg_attrlen(info->nlhdr, GENL_HDRLEN)) {
		NL_SET_ERR_MSG(info->extack, "config-get takes no attribute");
		return -EINVAL;
	}
	vqn_nl_msg_reply(&m, info);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	hdr = vqn_nl_msg_put(msg, &m);
	if (!hdr)
		goto err;

	/*
	 * Any user may ask: no vqn_guests_lock, which an admin's change holds
	 * through its walk of every guest, waiting for each guest's lock
	 * (DOC: Locking). Each value is read whole, as it was at some moment
	 * of the request, as GET_INFO reads them. The lock made them one
	 * snapshot: beside a CONFIG_SET, a reply may now mix values from
	 * before and after it (a new reserve with the old default budget,
	 * above it; a user-max-slots of the formula for the old host cap).
	 * Each was in force, and nothing takes two of them together; the
	 * admin's own CONFIG_GET after its CONFIG_SET sees all of it.
	 */
	if (nla_put_u32(msg, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
			READ_ONCE(vqn_cfg.default_budget)) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_THRESHOLD,
			READ_ONCE(vqn_cfg.threshold)) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_VHOST_RESERVE,
			READ_ONCE(vqn_cfg.vhost_reserve)) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_HOST_CAP,
			READ_ONCE(vqn_cfg.host_cap)) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_HOST_USED,
			atomic_read(&vqn_host_used)) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_NR_GUESTS,
			atomic_read(&vqn_nr_guests)) ||
	    vqn_nl_put_limits(msg, VQNOTIFY_A_CONFIG_USER_MAX_GUESTS,
			      vqn_user_defaults) ||
	    /* The calls group tells all the monitor group does. */
	    nla_put_flag(msg, VQNOTIFY_A_CONFIG_CALLS_MONITOR))
		goto err;
	if (vqn_nl_put_stats(msg))
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int vqnotify_nl_config_set_doit(struct sk_buff *skb,
				struct genl_info *info)
{
	struct nlattr *rsv = info->attrs[VQNOTIFY_A_CONFIG_VHOST_RESERVE];
	struct nlattr *bud = info->attrs[VQNOTIFY_A_CONFIG_DEFAULT_BUDGET];
	struct nlattr **tb = info->attrs;
	bool changed = false, any = false;
	int a, l, ret;
	u32 val;

	/*
	 * info->attrs ends with the last attribute of config-set's policy
	 * (netlink-gen.c), not at VQNOTIFY_A_CONFIG_MAX. The get-only ones
	 * within it (host-used to guests-closed) are NLA_UNSPEC there: the
	 * core refuses them before this handler runs.
	 */
	for (a = VQNOTIFY_A_CONFIG_DEFAULT_BUDGET;
	     a <= VQNOTIFY_A_CONFIG_USER_MAX_SLOTS; a++)
		any |= !!tb[a];
	if (!any) {
		GENL_SET_ERR_MSG(info, "nothing to set");
		return -EINVAL;
	}

	ret = vqn_kguests_admin_lock();
	if (ret)
		return ret;
	/* Checked as a whole before anything changes. */
	if ((rsv ? nla_get_u32(rsv) : vqn_cfg.vhost_reserve) >
	    (bud ? nla_get_u32(bud) : vqn_cfg.default_budget)) {
		NL_SET_ERR_MSG_ATTR(info->extack, rsv ? rsv : bud,
				    "the vhost reserve may not exceed the default budget");
		mutex_unlock(&vqn_guests_lock);
		return -EINVAL;
	}
	/* Read locklessly by vqn_kguest_create() and vqn_env_host_take_n(). */
	if (bud)
		WRITE_ONCE(vqn_cfg.default_budget, nla_get_u32(bud));
	if (rsv)
		WRITE_ONCE(vqn_cfg.vhost_reserve, nla_get_u32(rsv));
	if (tb[VQNOTIFY_A_CONFIG_HOST_CAP]) {
		val = nla_get_u32(tb[VQNOTIFY_A_CONFIG_HOST_CAP]);
		changed = val != vqn_cfg.host_cap;
		WRITE_ONCE(vqn_cfg.host_cap, val);
		vqn_user_host_cap_changed(val);
	}
	for (l = 0; l < VQN_NR_LIMITS; l++) {
		struct nlattr *lim = tb[VQNOTIFY_A_CONFIG_USER_MAX_GUESTS + l];

		if (!lim)
			continue;
		val = vqn_user_defaults[l];
		vqn_user_set_default(l, nla_get_u32(lim));
		changed |= vqn_user_defaults[l] != val;
	}
	if (tb[VQNOTIFY_A_CONFIG_THRESHOLD]) {
		val = nla_get_u32(tb[VQNOTIFY_A_CONFIG_THRESHOLD]);
		WRITE_ONCE(vqn_cfg.threshold, val);
		vqn_kguests_set_threshold(val);
	}
	mutex_unlock(&vqn_guests_lock);
	/*
	 * A limit raised may let waiting queues in; one lowered may leave a
	 * user in line without room, which the work must find (a full host's
	 * recheck), or its guests waiting for the cap hold up other users.
	 */
	if (changed)
		vqn_host_promote_all();
	return 0;
}

/* USER_GET */

/*
 * A user sees itself: the user its guests are charged to, which for a uid
 * of a user namespace is the namespace's (vqn_user_uid()).
 */
static bool vqn_nl_user_visible(const struct vqn_nl_viewer *v,
				const struct vqn_user *u)
{
	return v->admin || uid_eq(v->charged, u->uid);
}

static int vqn_nl_msg_user(struct sk_buff *skb, const struct vqn_nl_msg *m,
			   struct vqn_user *u, struct user_namespace *ns)
{
	u32 max[VQN_NR_LIMITS];
	void *hdr;
	int l;

	lockdep_assert_held(&vqn_users_lock);
	for (l = 0; l < VQN_NR_LIMITS; l++)
		max[l] = vqn_user_max(u, l);
	hdr = vqn_nl_msg_put(skb, m);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VQNOTIFY_A_USER_UID,
			from_kuid_munged(ns, u->uid)) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_GUESTS,
			atomic_read(&u->used[VQN_LIMIT_GUESTS])) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_DEVICES,
			atomic_read(&u->used[VQN_LIMIT_DEVICES])) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_QUEUES,
			atomic_read(&u->used[VQN_LIMIT_QUEUES])) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_SLOTS,
			atomic_read(&u->used[VQN_LIMIT_SLOTS])) ||
	    vqn_nl_put_limits(skb, VQNOTIFY_A_USER_MAX_GUESTS, max) ||
	    nla_put_uint(skb, VQNOTIFY_A_USER_NR_QUOTA,
			 atomic64_read(&u->nr_quota))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int vqnotify_nl_user_get_doit(struct sk_buff *skb,
			      struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VQNOTIFY_A_USER_UID];
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_user *u;
	struct sk_buff *msg;
	int ret = -ENOENT;
	kuid_t uid;

	if (VQN_NL_MISSING(info, VQNOTIFY_A_USER_UID, "missing uid"))
		return -EINVAL;
	vqn_nl_viewer_of(&v, skb);
	vqn_nl_msg_reply(&m, info);
	uid = make_kuid(v.user_ns, nla_get_u32(attr));
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&vqn_users_lock);
	u = uid_valid(uid) ? xa_load(&vqn_users, from_kuid(&init_user_ns, uid)) :
			     NULL;
	if (u && vqn_nl_user_visible(&v, u))
		ret = vqn_nl_msg_user(msg, &m, u, v.user_ns);
	else
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no such user with open guests");
	mutex_unlock(&vqn_users_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int vqnotify_nl_user_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	unsigned long idx = ctx->index;
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_user *u;
	int ret = 0;

	/* ctx->index: the next uid; ctx->dev_filter: the last one is done */
	if (ctx->dev_filter)
		return 0;
	vqn_nl_viewer_of_dump(&v, ctx);
	vqn_nl_msg_dump(&m, cb, &vqn_users_gen);
	mutex_lock(&vqn_users_lock);
	/*
	 * A user's dump is one entry at most: looked up, not found by a walk
	 * of every user under the lock every open() takes.
	 */
	if (!v.admin) {
		u = xa_load(&vqn_users, from_kuid(&init_user_ns, v.charged));
		if (u)
			ret = vqn_nl_msg_user(skb, &m, u, v.user_ns);
		if (!ret)
			ctx->dev_filter = true;
		mutex_unlock(&vqn_users_lock);
		return vqn_nl_dump_ret(skb, ret);
	}
	xa_for_each_start(&vqn_users, idx, u, ctx->index) {
		ret = vqn_nl_msg_user(skb, &m, u, v.user_ns);
		if (ret)
			break;
		if (idx == U32_MAX)
			ctx->dev_filter = true;
		ctx->index = idx + 1;
	}
	mutex_unlock(&vqn_users_lock);
	return vqn_nl_dump_ret(skb, ret);
}

/* POLICY_SET, POLICY_GET, POLICY_DEL */

/*
 * Which policy a request is about: a name, a uid, or both (the name's
 * policy for that uid's guests only); at least one.
 */
static int vqn_nl_policy_key(struct genl_info *info, const char **name,
			     kuid_t *uid)
{
	struct nlattr *n = info->attrs[VQNOTIFY_A_POLICY_NAME];
	struct nlattr *u = info->attrs[VQNOTIFY_A_POLICY_UID];
	const char *s;

	*name = NULL;
	*uid = INVALID_UID;
	if (!n && !u) {
		GENL_SET_ERR_MSG(info, "give a name, a uid, or both");
		return -EINVAL;
	}
	if (u) {
		*uid = make_kuid(current_user_ns(), nla_get_u32(u));
		if (!uid_valid(*uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, u,
					    "no such uid in this user namespace");
			return -EINVAL;
		}
	}
	if (!n)
		return 0;
	s = nla_data(n);
	if (!*s) {
		NL_SET_ERR_MSG_ATTR(info->extack, n, "the name is empty");
		return -EINVAL;
	}
	for (*name = s; *s; s++) {
		if (*s < 0x20 || *s > 0x7e) {
			NL_SET_ERR_MSG_ATTR(info->extack, n,
					    "names are printable ASCII");
			return -EINVAL;
		}
	}
	return 0;
}

int vqnotify_nl_policy_set_doit(struct sk_buff *skb,
				struct genl_info *info)
{
	struct nlattr *bud = info->attrs[VQNOTIFY_A_POLICY_BUDGET];
	struct nlattr *rsv = info->attrs[VQNOTIFY_A_POLICY_VHOST_RESERVE];
	struct vqn_policy p = { };
	bool walk;
	int ret, l;

	ret = vqn_nl_policy_key(info, &p.name, &p.uid);
	if (ret)
		return ret;
	if (bud) {
		p.budget = nla_get_u32(bud);
		p.set |= VQN_POL_BUDGET;
	}
	if (rsv) {
		p.reserve = nla_get_u32(rsv);
		p.set |= VQN_POL_RESERVE;
	}
	if (bud && rsv && p.reserve > p.budget) {
		NL_SET_ERR_MSG_ATTR(info->extack, rsv,
				    "the vhost reserve may not exceed the budget");
		return -EINVAL;
	}
	for (l = 0; l < VQN_NR_LIMITS; l++) {
		struct nlattr *lim =
			info->attrs[VQNOTIFY_A_POLICY_MAX_GUESTS + l];

		if (!lim)
			continue;
		if (p.name) {
			NL_SET_ERR_MSG_ATTR(info->extack, lim,
					    "per-user limits belong in a uid policy");
			return -EINVAL;
		}
		p.max[l] = nla_get_u32(lim);
		p.set |= VQN_POL_MAX(l);
	}
	if (!p.set) {
		GENL_SET_ERR_MSG(info, "nothing to set");
		return -EINVAL;
	}
	/*
	 * A budget or reserve is applied to the open guests: the admin's
	 * lock first, for a policy stored is applied whatever comes.
	 */
	walk = p.set & (VQN_POL_BUDGET | VQN_POL_RESERVE);
	if (walk) {
		ret = vqn_kguests_admin_lock();
		if (ret)
			return ret;
	}
	ret = vqn_policy_set(&p);
	if (ret == -ENOSPC)
		GENL_SET_ERR_MSG(info, "too many policies");
	if (ret == -ERANGE) {
		GENL_SET_ERR_MSG(info,
				 "the vhost reserve may not exceed the policy's budget");
		ret = -EINVAL;
	}
	if (!ret && walk)
		vqn_kguests_apply_policy(p.name, p.uid);
	if (walk)
		mutex_unlock(&vqn_guests_lock);
	if (ret)
		return ret;
	/* A slot limit raised or lowered: the work looks (CONFIG_SET). */
	if (!p.name)
		vqn_host_promote_all();
	return 0;
}

/* @p, its uid as seen in @ns, the requester's user namespace. */
static int vqn_nl_put_policy(struct sk_buff *skb, const struct vqn_policy *p,
			     struct user_namespace *ns)
{
	int l;

	if ((p->name && nla_put_string(skb, VQNOTIFY_A_POLICY_NAME, p->name)) ||
	    (uid_valid(p->uid) &&
	     nla_put_u32(skb, VQNOTIFY_A_POLICY_UID,
			 from_kuid_munged(ns, p->uid))))
		return -EMSGSIZE;
	if ((p->set & VQN_POL_BUDGET) &&
	    nla_put_u32(skb, VQNOTIFY_A_POLICY_BUDGET, p->budget))
		return -EMSGSIZE;
	if ((p->set & VQN_POL_RESERVE) &&
	    nla_put_u32(skb, VQNOTIFY_A_POLICY_VHOST_RESERVE, p->reserve))
		return -EMSGSIZE;
	for (l = 0; l < VQN_NR_LIMITS; l++)
		if ((p->set & VQN_POL_MAX(l)) &&
		    nla_put_u32(skb, VQNOTIFY_A_POLICY_MAX_GUESTS + l,
				p->max[l]))
			return -EMSGSIZE;
	return 0;
}

struct vqn_nl_policy_arg {
	struct sk_buff *skb;
	struct vqn_nl_msg m;
	struct user_namespace *ns;	/* the requester's */
	const char *name;	/* do: the one wanted */
	kuid_t uid;
	bool found;
};

static int vqn_nl_policy_fill(const struct vqn_policy *p, void *arg)
{
	struct vqn_nl_policy_arg *a = arg;
	void *hdr;

	/* do: the policy of exactly that key (a dump has neither). */
	if (a->name && (!p->name || strcmp(a->name, p->name) ||
			!uid_eq(a->uid, p->uid)))
		return 0;
	if (!a->name && uid_valid(a->uid) &&
	    (p->name || !uid_eq(a->uid, p->uid)))
		return 0;
	hdr = vqn_nl_msg_put(a->skb, &a->m);
	if (!hdr)
		return -EMSGSIZE;
	if (vqn_nl_put_policy(a->skb, p, a->ns)) {
		genlmsg_cancel(a->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(a->skb, hdr);
	a->found = true;
	return 0;
}

int vqnotify_nl_policy_get_doit(struct sk_buff *skb,
				struct genl_info *info)
{
	struct vqn_nl_policy_arg a = { };
	u64 from = 0;
	int ret;

	ret = vqn_nl_policy_key(info, &a.name, &a.uid);
	if (ret)
		return ret;
	vqn_nl_msg_reply(&a.m, info);
	a.ns = current_user_ns();	/* a do runs in the sender's context */
	a.skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL_ACCOUNT);
	if (!a.skb)
		return -ENOMEM;
	ret = vqn_policy_walk(&from, vqn_nl_policy_fill, &a);
	if (!ret && !a.found) {
		GENL_SET_ERR_MSG(info, "no such policy");
		ret = -ENOENT;
	}
	if (ret) {
		nlmsg_free(a.skb);
		return ret;
	}
	return genlmsg_reply(a.skb, info);
}

int vqnotify_nl_policy_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_policy_arg a = {
		.skb = skb, .ns = ctx->user_ns, .uid = INVALID_UID,
	};
	int ret;

	vqn_nl_msg_dump(&a.m, cb, &vqn_policies_gen);
	ret = vqn_policy_walk(&ctx->policy_seq, vqn_nl_policy_fill, &a);
	return vqn_nl_dump_ret(skb, ret);
}

int vqnotify_nl_policy_del_doit(struct sk_buff *skb,
				struct genl_info *info)
{
	const char *name;
	kuid_t uid;
	int ret;

	ret = vqn_nl_policy_key(info, &name, &uid);
	if (ret)
		return ret;
	/*
	 * Not during a policy change's walk, nor the rest of a killed one:
	 * the guests it has not reached would get the policies left, not the
	 * one deleted, nor the one it applies.
	 */
	ret = vqn_kguests_admin_lock();
	if (ret)
		return ret;
	ret = vqn_policy_del(name, uid);
	mutex_unlock(&vqn_guests_lock);
	if (ret) {
		GENL_SET_ERR_MSG(info, "no such policy");
		return ret;
	}
	/* The user's limits are the defaults again: maybe higher. */
	if (!name)
		vqn_host_promote_all();
	return 0;
}
