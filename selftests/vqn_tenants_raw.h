/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few raw helpers the tenants tests use: ioctl wrappers and a
 * libnl-free generic netlink client (from the former vqn_hostile.h, kept
 * here so these tests do not depend on the toolkit headers changing).
 */
#ifndef _VQN_TENANTS_RAW_H
#define _VQN_TENANTS_RAW_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vqnotify.h>

#define VH_DEV			"/dev/vqnotify"
#define VH_STATUS_OK		(0x0b | VQNOTIFY_STATUS_DRIVER_OK)
#define VH_STATUS_STOPPED	0x0b
#define VH_WORDS(n)		(((n) + 63) / 64)
#define VH_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Environment knobs and time */

static inline unsigned long long vh_env_ull(const char *name,
					    unsigned long long def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || *end)
		return def;
	return n;
}

static inline double vh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ioctl wrappers */

static inline int vh_open(void)
{
	int fd = open(VH_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int vh_io(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vh_info(int fd, struct vqnotify_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return vh_io(fd, VQNOTIFY_GET_INFO, info);
}

static inline int vh_guest_get(int fd, struct vqnotify_guest_info *gi)
{
	memset(gi, 0, sizeof(*gi));
	gi->size = sizeof(*gi);
	return vh_io(fd, VQNOTIFY_GUEST_GET, gi);
}

static inline int vh_set_budget(int fd, uint32_t budget)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_BUDGET,
		.budget = budget,
	};

	return vh_io(fd, VQNOTIFY_GUEST_SET, &gs);
}

static inline int vh_set_label(int fd, const char *label)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL,
	};

	snprintf(gs.label, sizeof(gs.label), "%s", label);
	return vh_io(fd, VQNOTIFY_GUEST_SET, &gs);
}

static inline int vh_dev_add(int fd, uint32_t transport, uint32_t nq,
			     const char *label, uint32_t *id)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = transport,
		.num_queues = nq,
	};
	int ret;

	snprintf(da.label, sizeof(da.label), "%s", label);
	ret = vh_io(fd, VQNOTIFY_DEV_ADD, &da);
	if (!ret && id)
		*id = da.out_dev_id;
	return ret;
}

/* SET_STATUS, DEV_RESET, DEV_REMOVE; *nr in: capacity, out: results. */
static inline int vh_dev_op(int fd, unsigned long cmd, uint32_t id,
			    uint32_t status, const uint64_t *ready,
			    struct vqnotify_vq_result *res, uint32_t *nr)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = id,
		.status = status,
		.ready = (uintptr_t)ready,
		.results = (uintptr_t)res,
		.nr_results = nr ? *nr : 0,
	};
	int ret = vh_io(fd, cmd, &op);

	if (!ret && nr)
		*nr = op.nr_results;
	return ret;
}

static inline int vh_set_status(int fd, uint32_t id, uint32_t status,
				struct vqnotify_vq_result *res, uint32_t *nr)
{
	return vh_dev_op(fd, VQNOTIFY_SET_STATUS, id, status, NULL, res, nr);
}

static inline int vh_dev_remove(int fd, uint32_t id)
{
	return vh_dev_op(fd, VQNOTIFY_DEV_REMOVE, id, 0, NULL, NULL, NULL);
}

static inline int vh_host_notifier(int fd, uint32_t id, uint32_t queue,
				   bool enable, struct vqnotify_vq_result *res)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = id,
		.queue = queue,
	};
	int ret = vh_io(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn);

	if (!ret && res)
		*res = hn.result;
	return ret;
}
/*
 * Generic netlink, raw: enough to resolve a family, send a request and walk
 * the replies, without libnl (the selftests are static).
 */

struct vh_nl {
	int fd;
	uint16_t family;
	uint32_t seq;
	uint32_t mcgrp;		/* first multicast group, 0 if none */
	uint32_t version;
};

#define VH_NLA_OK(nla, len) ((len) >= (int)sizeof(*(nla)) && \
			     (nla)->nla_len >= sizeof(*(nla)) && \
			     (nla)->nla_len <= (len))
#define VH_NLA_NEXT(nla, len) ((len) -= NLA_ALIGN((nla)->nla_len), \
			       (struct nlattr *)((char *)(nla) + \
						 NLA_ALIGN((nla)->nla_len)))
#define VH_NLA_DATA(nla) ((void *)((char *)(nla) + NLA_HDRLEN))

/* Append attribute @type with @len bytes of @data at @buf + *off. */
static inline void vh_nla_put(void *buf, size_t *off, uint16_t type,
			      const void *data, uint16_t len)
{
	struct nlattr *nla = (struct nlattr *)((char *)buf + *off);

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(VH_NLA_DATA(nla), data, len);
	memset((char *)VH_NLA_DATA(nla) + len, 0, NLA_ALIGN(len) - len);
	*off += NLA_ALIGN(nla->nla_len);
}

static inline int vh_nl_socket(struct vh_nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tmo = { .tv_sec = 10 };
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* A reply that never comes is a failure, not a hang. */
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	nl->seq = 1;
	return 0;
}

/*
 * Send @msg (a struct nlmsghdr the caller filled; nlmsg_seq is set here)
 * and read the replies until the ACK or NLMSG_DONE, calling @cb for every
 * data message. Returns 0, the -errno of the ACK, a negative socket error,
 * or -ETIMEDOUT when no reply came within 10 s. Do not use it on a socket
 * that joined a multicast group: notifications could crowd out the reply.
 */
static inline int vh_nl_xfer(struct vh_nl *nl, struct nlmsghdr *msg,
			     void (*cb)(struct nlmsghdr *, void *), void *arg)
{
	static char buf[65536];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	bool dump = msg->nlmsg_flags & NLM_F_DUMP;
	ssize_t n;

	msg->nlmsg_seq = ++nl->seq;
	msg->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(nl->fd, msg, msg->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != nl->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error || !dump)
					return e->error;
				continue;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb)
				cb(h, arg);
		}
	}
}

static inline void vh_nl_family_cb(struct nlmsghdr *h, void *arg)
{
	struct vh_nl *nl = arg;
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	int len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	for (; VH_NLA_OK(a, len); a = VH_NLA_NEXT(a, len)) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			nl->family = *(uint16_t *)VH_NLA_DATA(a);
		if (a->nla_type == CTRL_ATTR_VERSION)
			nl->version = *(uint32_t *)VH_NLA_DATA(a);
		if (a->nla_type == CTRL_ATTR_MCAST_GROUPS && !nl->mcgrp) {
			struct nlattr *grp = VH_NLA_DATA(a);
			int glen = a->nla_len - NLA_HDRLEN;

			/* First group: nested { ID, NAME }. */
			if (VH_NLA_OK(grp, glen)) {
				struct nlattr *f = VH_NLA_DATA(grp);
				int flen = grp->nla_len - NLA_HDRLEN;

				for (; VH_NLA_OK(f, flen);
				     f = VH_NLA_NEXT(f, flen))
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						nl->mcgrp = *(uint32_t *)
							VH_NLA_DATA(f);
			}
		}
	}
}

/* Open a socket on generic netlink family @name: 0, or -errno. */
static inline int vh_nl_open(struct vh_nl *nl, const char *name)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[64];
	} req = { 0 };
	size_t off = 0;
	int ret;

	memset(nl, 0, sizeof(*nl));
	ret = vh_nl_socket(nl);
	if (ret)
		return ret;
	vh_nla_put(req.attrs, &off, CTRL_ATTR_FAMILY_NAME, name,
		   strlen(name) + 1);
	req.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + off;
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	ret = vh_nl_xfer(nl, &req.n, vh_nl_family_cb, nl);
	if (!ret && !nl->family)
		ret = -ENOENT;
	if (ret) {
		close(nl->fd);
		nl->fd = -1;
	}
	return ret;
}

/* Attributes of a genetlink message, by type (up to @max). */
static inline void vh_nl_parse(struct nlmsghdr *h, struct nlattr **tb,
			       int max)
{
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
					     GENL_HDRLEN);
	int len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	for (; VH_NLA_OK(a, len); a = VH_NLA_NEXT(a, len))
		if ((a->nla_type & NLA_TYPE_MASK) <= max)
			tb[a->nla_type & NLA_TYPE_MASK] = a;
}

static inline uint32_t vh_nla_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, VH_NLA_DATA(a), sizeof(v));
	return v;
}

struct vh_nl_attr {
	uint16_t type;
	uint32_t val;
};

/*
 * Request @cmd of the vqnotify family with u32 attributes @a, a dump when
 * @dump; @cb sees each reply message. 0 or -errno.
 */
static inline int vh_nl_call(struct vh_nl *nl, uint8_t cmd, bool dump,
			     const struct vh_nl_attr *a, int n,
			     void (*cb)(struct nlmsghdr *, void *), void *arg)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[256];
	} req = { 0 };
	size_t off = 0;

	for (int i = 0; i < n; i++)
		vh_nla_put(req.attrs, &off, a[i].type, &a[i].val, 4);
	req.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + off;
	req.n.nlmsg_type = nl->family;
	req.n.nlmsg_flags = dump ? NLM_F_DUMP : 0;
	req.g.cmd = cmd;
	req.g.version = VQNOTIFY_FAMILY_VERSION;
	return vh_nl_xfer(nl, &req.n, cb, arg);
}

/* Host-wide configuration, indexed by enum vqnotify_config_attrs. */
struct vh_nl_config {
	uint32_t v[VQNOTIFY_A_CONFIG_MAX + 1];
};

static inline void vh_nl_config_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_CONFIG_MAX + 1];
	struct vh_nl_config *c = arg;

	vh_nl_parse(h, tb, VQNOTIFY_A_CONFIG_MAX);
	for (int i = 1; i <= VQNOTIFY_A_CONFIG_MAX; i++)
		if (tb[i])
			c->v[i] = vh_nla_u32(tb[i]);
}

static inline int vh_nl_config_get(struct vh_nl *nl, struct vh_nl_config *c)
{
	memset(c, 0, sizeof(*c));
	return vh_nl_call(nl, VQNOTIFY_CMD_CONFIG_GET, false, NULL, 0,
			  vh_nl_config_cb, c);
}


#endif /* _VQN_TENANTS_RAW_H */
