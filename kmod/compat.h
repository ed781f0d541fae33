/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility with older kernels, and the only file that knows about them.
 *
 * Every shim is keyed on a VQN_HAVE_* feature that the top-level Kbuild probes
 * in the kernel tree being built against, never on a version number: stable and
 * distribution kernels backport. The rest of the module is written for the
 * newest interfaces; a shim here provides them, or an equivalent, where the
 * kernel lacks them.
 */
#ifndef _VQN_COMPAT_H
#define _VQN_COMPAT_H

#include <linux/kernel.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>

/*
 * The monitor group must be restricted to CAP_NET_ADMIN: its notifications
 * describe every guest on the host. Mainline 6.7 has the flag, stable
 * kernels got it in 5.4.262, 5.10.202, 5.15.140, 6.1.64 and 6.6.3. Without
 * it, refuse to build rather than leak.
 */
#ifndef VQN_HAVE_GENL_MCAST_CAP
#error "genetlink lacks GENL_MCAST_CAP_NET_ADMIN: update the kernel (6.1.64+)"
#endif

#ifndef VQN_HAVE_NLA_PUT_UINT
/* 6.7: a variable-size unsigned attribute, 4 bytes if it fits, else 8. */
static inline int nla_put_uint(struct sk_buff *skb, int attrtype, u64 value)
{
	u64 tmp64 = value;
	u32 tmp32 = value;

	if (tmp64 == tmp32)
		return nla_put_u32(skb, attrtype, tmp32);
	return nla_put(skb, attrtype, sizeof(u64), &tmp64);
}
#endif

#ifndef VQN_HAVE_NL_ASSERT_DUMP_CTX_FITS
/* 6.2: a dump's private state must fit in netlink_callback::ctx. */
#define NL_ASSERT_DUMP_CTX_FITS(type_name)				\
	BUILD_BUG_ON(sizeof(type_name) >				\
		     sizeof_field(struct netlink_callback, ctx))
#endif

/*
 * 6.2 made nla_policy::range point to const. The generated policies
 * (netlink-gen.c) point it at const ranges, which the netlink core never
 * writes: before 6.2, cast the const away.
 */
#ifndef VQN_HAVE_NLA_RANGE_CONST
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(_range),		\
}
#endif

#ifdef VQN_HAVE_GENL_SPLIT_OPS

static inline int vqn_genl_register_family(struct genl_family *family,
					   const struct genl_split_ops *ops,
					   unsigned int n_ops)
{
	family->split_ops = ops;
	family->n_split_ops = n_ops;
	return genl_register_family(family);
}

static inline void vqn_genl_unregister_family(struct genl_family *family)
{
	genl_unregister_family(family);
}

#else /* !VQN_HAVE_GENL_SPLIT_OPS */

/*
 * 6.1 predates split ops (6.2): one struct genl_ops per command carries
 * both doit and dumpit and one policy. The module still describes its ops
 * as split ops, in the layout of 6.2's struct genl_split_ops (minus the
 * per-op pre_doit/post_doit it does not use), and registration merges the
 * do and dump halves of each command into one classic genl_ops. The merged
 * op takes the do policy, which must accept everything the dump policy
 * does; vqn_genl_dump_check() then rejects what the dump policy alone
 * would have, so both kernels validate the same way.
 */
struct genl_split_ops {
	union {
		struct {
			int (*doit)(struct sk_buff *skb,
				    struct genl_info *info);
		};
		struct {
			int (*start)(struct netlink_callback *cb);
			int (*dumpit)(struct sk_buff *skb,
				      struct netlink_callback *cb);
			int (*done)(struct netlink_callback *cb);
		};
	};
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 internal_flags;
	u8 flags;
	u8 validate;
};

/* Does policy @big accept every attribute policy @small accepts, alike? */
static inline bool vqn_genl_policy_covers(const struct genl_split_ops *big,
					  const struct genl_split_ops *small)
{
	unsigned int i;

	if (!small->policy)
		return true;
	if (!big->policy || big->maxattr < small->maxattr)
		return false;
	for (i = 0; i <= small->maxattr; i++)
		if (small->policy[i].type != NLA_UNSPEC &&
		    memcmp(&small->policy[i], &big->policy[i],
			   sizeof(small->policy[i])))
			return false;
	return true;
}

static inline int vqn_genl_register_family(struct genl_family *family,
					   const struct genl_split_ops *ops,
					   unsigned int n_ops)
{
	const u8 caps = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP;
	struct genl_ops *merged, *op = NULL;
	unsigned int i, n = 0;
	int ret;

	merged = kcalloc(n_ops, sizeof(*merged), GFP_KERNEL);
	if (!merged)
		return -ENOMEM;
	for (i = 0; i < n_ops; i++) {
		const struct genl_split_ops *s = &ops[i];
		bool dump = s->flags & GENL_CMD_CAP_DUMP;

		/* Split ops are sorted by command, do before dump. */
		if (!op || op->cmd != s->cmd) {
			op = &merged[n++];
			op->cmd = s->cmd;
			op->flags = s->flags & ~caps;
			op->internal_flags = s->internal_flags;
			op->validate = s->validate;
			op->policy = s->policy;
			op->maxattr = s->maxattr;
		} else if (WARN_ON(!dump || op->dumpit ||
				   (op->flags ^ s->flags) & ~caps ||
				   !vqn_genl_policy_covers(&ops[i - 1], s))) {
			/* Not mergeable into one classic op. */
			ret = -EINVAL;
			goto err;
		}
		if (dump) {
			op->start = s->start;
			op->dumpit = s->dumpit;
			op->done = s->done;
		} else {
			op->doit = s->doit;
		}
	}
	family->ops = merged;
	family->n_ops = n;
	ret = genl_register_family(family);
	if (!ret)
		return 0;
	family->ops = NULL;
	family->n_ops = 0;
err:
	kfree(merged);
	return ret;
}

static inline void vqn_genl_unregister_family(struct genl_family *family)
{
	const struct genl_ops *merged = family->ops;

	genl_unregister_family(family);
	kfree(merged);
}

#endif /* VQN_HAVE_GENL_SPLIT_OPS */

/*
 * Call from a dump's start callback: validate the request against the dump
 * policy of its command, as split ops should. A dump without a policy takes
 * no attributes: the core documents that, but up to at least 6.12 it only
 * applies it when listing the ops, and lets such a dump ignore attributes.
 * On 6.1 the merged op was validated with the do policy: validate again
 * with the dump's own. For families without a user header.
 */
static inline int vqn_genl_dump_check(struct netlink_callback *cb,
				      const struct genl_split_ops *ops,
				      unsigned int n_ops)
{
	const struct genl_split_ops *dump = NULL;
	const struct nlmsghdr *nlh = cb->nlh;
	const struct genlmsghdr *hdr = nlmsg_data(nlh);
	unsigned int i;

	for (i = 0; i < n_ops; i++)
		if (ops[i].cmd == hdr->cmd && ops[i].flags & GENL_CMD_CAP_DUMP)
			dump = &ops[i];
	if (WARN_ON_ONCE(!dump))
		return -EINVAL;
	if (!dump->policy) {
		if (nlmsg_attrlen(nlh, GENL_HDRLEN)) {
			NL_SET_ERR_MSG(cb->extack,
				       "this dump takes no attributes");
			return -EINVAL;
		}
		return 0;
	}
#ifdef VQN_HAVE_GENL_SPLIT_OPS
	return 0;
#else
	return __nla_validate(nlmsg_attrdata(nlh, GENL_HDRLEN),
			      nlmsg_attrlen(nlh, GENL_HDRLEN), dump->maxattr,
			      dump->policy, NL_VALIDATE_STRICT, cb->extack);
#endif
}

/* The attributes of a dump request, parsed with the dump's policy. */
static inline struct nlattr **vqn_genl_dump_attrs(struct netlink_callback *cb)
{
#ifdef VQN_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * 6.1.y has it (compiler_attributes.h); a kernel without it zeroes the
 * variables it marks, as CONFIG_INIT_STACK_ALL_ZERO asks: slower, not wrong.
 */
#ifndef __uninitialized
#define __uninitialized
#endif

#endif /* _VQN_COMPAT_H */
