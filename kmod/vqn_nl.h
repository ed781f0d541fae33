/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink family's internals (vqn_nl.c), shared by its handlers
 * (vqn_nl_guest.c, vqn_nl_admin.c), whose prototypes netlink-gen.h has.
 */
#ifndef _VQN_NL_H
#define _VQN_NL_H

#include <net/genetlink.h>
#include <net/netlink.h>

#include "compat.h"
#include "netlink-gen.h"
#include "vqnotify.h"

extern struct genl_family vqnotify_nl_family;

/*
 * Who listens to the monitor and calls groups now: VQN_OBS_MONITOR,
 * VQN_OBS_CALLS. Inline, for the misc device's calls: asking through
 * vqn_monitor_ops was three calls more on a one-queue call's path.
 */
static inline unsigned int vqn_nl_listeners(void)
{
	return (genl_has_listeners(&vqnotify_nl_family, &init_net,
				   VQNOTIFY_NLGRP_MONITOR) ?
		VQN_OBS_MONITOR : 0) |
	       (genl_has_listeners(&vqnotify_nl_family, &init_net,
				   VQNOTIFY_NLGRP_CALLS) ? VQN_OBS_CALLS : 0);
}

/*
 * A required attribute @attr of the request is missing: true, the refusal
 * naming its type (NLMSGERR_ATTR_MISS_TYPE) and saying @msg.
 */
#define VQN_NL_MISSING(info, attr, msg) ({				\
	struct genl_info *__vqn_info = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__vqn_info, attr);		\
									\
	if (__missing)							\
		GENL_SET_ERR_MSG(__vqn_info, msg);				\
	__missing;							\
})

/*
 * Who asks: decides what is visible and in which namespaces ids are shown.
 * @euid sees its own guests; @charged, the user its guests are charged to
 * (vqn_user_uid()), is the one user it sees in USER_GET.
 */
struct vqn_nl_viewer {
	bool admin;
	kuid_t euid;
	kuid_t charged;
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
};

void vqn_nl_viewer_of(struct vqn_nl_viewer *v, struct sk_buff *skb);
extern const struct vqn_nl_viewer vqn_nl_monitor;
bool vqn_nl_visible(const struct vqn_nl_viewer *v,
		    const struct vqn_kguest *g);

/* One whole message; on error nothing of it is left in @skb. */
struct vqn_nl_msg {
	u32 portid;
	u32 seq;
	int flags;
	u8 cmd;
	struct netlink_callback *cb;	/* a dump's, or NULL */
};

void vqn_nl_msg_reply(struct vqn_nl_msg *m, struct genl_info *info);
void vqn_nl_msg_dump(struct vqn_nl_msg *m, struct netlink_callback *cb,
		     const atomic_t *gen);
void *vqn_nl_msg_put(struct sk_buff *skb, const struct vqn_nl_msg *m);
int vqn_nl_msg_guest(struct sk_buff *skb, const struct vqn_nl_msg *m,
		     struct vqn_kguest *g, const struct vqn_nl_viewer *v);
int vqn_nl_msg_dev(struct sk_buff *skb, const struct vqn_nl_msg *m,
		   struct vqn_kguest *g, struct vqn_dev *d);
int vqn_nl_msg_queue(struct sk_buff *skb, const struct vqn_nl_msg *m,
		     struct vqn_kguest *g, struct vqn_dev *d, u32 index);
int vqn_nl_msg_states(struct sk_buff *skb, const struct vqn_nl_msg *m,
		      struct vqn_kguest *g, struct vqn_dev *d, u32 first,
		      u32 n);

struct vqn_dev *vqn_nl_dev_find(struct genl_info *info, struct vqn_kguest *g,
				int attr);

/**
 * struct vqn_nl_target - what a do request is about, found and locked
 * @g: the guest
 * @d: its device, if the request names one
 */
struct vqn_nl_target {
	struct vqn_kguest *g;
	struct vqn_dev *d;
};

int vqn_nl_lock(struct genl_info *info, const struct vqn_nl_viewer *v,
		int guest_attr, int dev_attr, struct vqn_nl_target *t);
void vqn_nl_unlock(struct vqn_nl_target *t);

/*
 * Where a dump resumes: the guest, device and queue the next message is
 * about, and its filters. Dumps go by increasing ids; objects that appear
 * or go away between two skbs may be missed, never repeated. POLICY_GET's
 * cursor is @policy_seq alone; USER_GET's is @index (and @dev_filter).
 *
 * Who asked (@admin, @euid, @charged) and the requester's namespaces, in
 * which its pids and uids are shown: the parts of a dump after the first
 * run in whoever reads the socket. vqnotify_nl_dump_start() takes a
 * reference to each namespace, vqnotify_nl_dump_done() drops them. 48
 * bytes at most (cb->ctx).
 */
struct vqn_nl_dump_ctx {
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
	union {
		struct {
			u32 guest_id;
			u32 dev_id;
		};
		u64 policy_seq;
	};
	u32 index;
	u32 want_guest;
	u32 want_dev;
	kuid_t euid;
	kuid_t charged;
	bool guest_filter;
	bool dev_filter;
	bool admin;
};

static inline struct vqn_nl_dump_ctx *
vqn_nl_dump_ctx(struct netlink_callback *cb)
{
	NL_ASSERT_DUMP_CTX_FITS(struct vqn_nl_dump_ctx);
	return (struct vqn_nl_dump_ctx *)cb->ctx;
}

/* Who asked for the dump, in its own namespaces. */
static inline void vqn_nl_viewer_of_dump(struct vqn_nl_viewer *v,
					 const struct vqn_nl_dump_ctx *ctx)
{
	v->admin = ctx->admin;
	v->euid = ctx->euid;
	v->charged = ctx->charged;
	v->pid_ns = ctx->pid_ns;
	v->user_ns = ctx->user_ns;
}

/* A full skb ends this part of the dump; the next part resumes. */
static inline int vqn_nl_dump_ret(struct sk_buff *skb, int ret)
{
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret;
}

int vqn_nl_init(const struct genl_split_ops *ops, unsigned int n_ops);
void vqn_nl_exit(void);

#endif /* _VQN_NL_H */
