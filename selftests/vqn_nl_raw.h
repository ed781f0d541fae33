/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_nl_raw.h: the wire layer of the toolkit's generic netlink client,
 * included by vqn_nl_utils.h (include that): the socket, requests built by
 * hand, attribute parsing, one request-reply exchange, the family lookup.
 */
#ifndef _VQN_NL_RAW_H
#define _VQN_NL_RAW_H

#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vqnotify_netlink.h>

#include "vqn_utils.h"

#define TK_NL_BUF	(64 * 1024)
#define TK_NL_MAX_ATTR	32

struct tk_nl {
	int fd;
	uint16_t family;
	uint32_t version;
	uint32_t monitor;	/* multicast group id of "monitor" */
	uint32_t calls;		/* multicast group id of "calls" */
	uint32_t seq;
	int nr_recv;		/* recv() calls of the last request */
	char ext_msg[128];	/* extack message of the last error */
	int ext_miss;		/* its missing attribute's type, or -1 */
};

/* Building requests */

struct tk_nlreq {
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	};
};

static inline void tk_nlreq_init(struct tk_nlreq *r, uint16_t type,
				 uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *g;

	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = NLMSG_DATA(&r->nlh);
	g->cmd = cmd;
	g->version = version;
}

/* Append attribute @type with @len bytes of @data at @buf + *@off. */
static inline void tk_nla_put(void *buf, size_t *off, uint16_t type,
			      const void *data, uint16_t len)
{
	struct nlattr *nla = (struct nlattr *)((char *)buf + *off);

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	memset((char *)nla + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	*off += NLA_ALIGN(nla->nla_len);
}

static inline void tk_nlreq_put(struct tk_nlreq *r, uint16_t type,
				const void *data, uint16_t len)
{
	size_t off = NLMSG_ALIGN(r->nlh.nlmsg_len);

	tk_nla_put(r->buf, &off, type, data, len);
	r->nlh.nlmsg_len = off;
}

static inline void tk_nlreq_u32(struct tk_nlreq *r, uint16_t type, uint32_t v)
{
	tk_nlreq_put(r, type, &v, sizeof(v));
}

static inline void tk_nlreq_str(struct tk_nlreq *r, uint16_t type,
				const char *s)
{
	tk_nlreq_put(r, type, s, strlen(s) + 1);
}

/* Parsing */

struct tk_nl_attrs {
	const struct nlattr *tb[TK_NL_MAX_ATTR + 1];
};

static inline const void *tk_nla_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline int tk_nla_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* The value of a u32 attribute @a. */
static inline uint32_t tk_nla_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, tk_nla_data(a), sizeof(v));
	return v;
}

static inline void tk_nl_parse(struct tk_nl_attrs *a, const void *data,
			       int len)
{
	const struct nlattr *nla = data;

	memset(a, 0, sizeof(*a));
	while (len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= len) {
		int type = nla->nla_type & NLA_TYPE_MASK;

		if (type <= TK_NL_MAX_ATTR)
			a->tb[type] = nla;
		len -= NLA_ALIGN(nla->nla_len);
		nla = (const void *)((const char *)nla +
				     NLA_ALIGN(nla->nla_len));
	}
}

/* The attributes of a generic netlink message. */
static inline void tk_nl_parse_msg(struct tk_nl_attrs *a,
				   const struct nlmsghdr *nlh)
{
	tk_nl_parse(a, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		    nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
}

/* Each attribute @n nested in @head; @rem counts down the bytes left. */
#define tk_nla_for_each_nested(n, head, rem)				\
	for (n = tk_nla_data(head), rem = tk_nla_len(head);		\
	     rem >= NLA_HDRLEN && n->nla_len >= NLA_HDRLEN &&		\
	     n->nla_len <= rem;						\
	     rem -= NLA_ALIGN(n->nla_len),				\
	     n = (const void *)((const char *)n + NLA_ALIGN(n->nla_len)))

/* A u32 attribute, or ~0 when absent (or not 4 bytes). */
static inline uint32_t tk_nl_get_u32(const struct tk_nl_attrs *a, int type)
{
	if (!a->tb[type] || tk_nla_len(a->tb[type]) != sizeof(uint32_t))
		return ~0U;
	return tk_nla_u32(a->tb[type]);
}

/* A uint (4 or 8 bytes), or ~0 when absent. */
static inline uint64_t tk_nl_get_uint(const struct tk_nl_attrs *a, int type)
{
	uint64_t v64;

	if (!a->tb[type])
		return ~0ULL;
	if (tk_nla_len(a->tb[type]) == sizeof(uint32_t))
		return tk_nla_u32(a->tb[type]);
	if (tk_nla_len(a->tb[type]) == sizeof(v64)) {
		memcpy(&v64, tk_nla_data(a->tb[type]), sizeof(v64));
		return v64;
	}
	return ~0ULL;
}

static inline uint8_t tk_nl_msg_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
}

/* Talking */

/* The errno of an NLMSG_ERROR, keeping its extack message. */
static inline int tk_nl_error(struct tk_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const struct nlattr *msg;
	struct tk_nl_attrs ext;
	int off;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		tk_nl_parse(&ext, (const char *)e + off,
			    nlh->nlmsg_len - NLMSG_HDRLEN - off);
		msg = ext.tb[NLMSGERR_ATTR_MSG];
		if (msg)
			snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
				 (const char *)tk_nla_data(msg));
		msg = ext.tb[NLMSGERR_ATTR_MISS_TYPE];
		if (msg)
			nl->ext_miss = *(const uint32_t *)tk_nla_data(msg);
	}
	return e->error;
}

typedef void (*tk_nl_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @msg (a struct nlmsghdr the caller laid out; its sequence number
 * is set here, and NLM_F_REQUEST | NLM_F_ACK) without reading the reply
 * (tk_nl_read() does): 0 or -errno.
 */
static inline int tk_nl_send(struct tk_nl *nl, struct nlmsghdr *msg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	msg->nlmsg_seq = ++nl->seq;
	msg->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nl->nr_recv = 0;
	nl->ext_msg[0] = 0;
	nl->ext_miss = -1;
	if (sendto(nl->fd, msg, msg->nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/*
 * Read the replies to the last request sent (a dump when @dump), at most
 * @len bytes (up to TK_NL_BUF) a recv(), until its ACK, error or dump end,
 * passing each data message to @cb. Returns as tk_nl_xfer().
 */
static inline int tk_nl_read(struct tk_nl *nl, bool dump, size_t len,
			     tk_nl_cb cb, void *arg)
{
	static char buf[TK_NL_BUF];

	if (len > sizeof(buf))
		len = sizeof(buf);
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n = recv(nl->fd, buf, len, 0);

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		nl->nr_recv++;
		for (nlh = (void *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return tk_nl_error(nl, nlh);
			if (nlh->nlmsg_type == NLMSG_DONE)
				return dump ? *(int *)NLMSG_DATA(nlh) : 0;
			if (cb)
				cb(nlh, arg);
		}
	}
}

/*
 * Send @msg (tk_nl_send()) and read until its ACK, error or dump end,
 * passing each data message to @cb. Returns 0, the request's -errno, a
 * socket's -errno, or -ETIMEDOUT after 10 s without a reply.
 * Notifications on a monitor socket are skipped (sequence 0).
 */
static inline int tk_nl_xfer(struct tk_nl *nl, struct nlmsghdr *msg,
			     tk_nl_cb cb, void *arg)
{
	int ret = tk_nl_send(nl, msg);

	if (ret)
		return ret;
	return tk_nl_read(nl, msg->nlmsg_flags & NLM_F_DUMP, TK_NL_BUF, cb,
			  arg);
}

static inline int tk_nl_talk(struct tk_nl *nl, struct tk_nlreq *r,
			     tk_nl_cb cb, void *arg)
{
	return tk_nl_xfer(nl, &r->nlh, cb, arg);
}

/* A bound socket with extended ACKs and a 10 s receive timeout. */
static inline int tk_nl_socket(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct timeval tmo = { .tv_sec = 10 };
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* What CTRL_CMD_GETFAMILY says about the family. */
struct tk_nl_family {
	uint16_t id;
	int64_t version;
	uint32_t monitor;
	bool monitor_found;
	uint32_t calls;
	int64_t op_flags[VQNOTIFY_CMD_MAX + 1];
};

static inline void tk_nl_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tk_nl_family *fi = arg;
	const struct nlattr *n;
	struct tk_nl_attrs a, g, o;
	int rem;

	tk_nl_parse_msg(&a, nlh);
	if (a.tb[CTRL_ATTR_FAMILY_ID])
		memcpy(&fi->id, tk_nla_data(a.tb[CTRL_ATTR_FAMILY_ID]), 2);
	fi->version = tk_nl_get_u32(&a, CTRL_ATTR_VERSION);
	if (a.tb[CTRL_ATTR_MCAST_GROUPS]) {
		tk_nla_for_each_nested(n, a.tb[CTRL_ATTR_MCAST_GROUPS], rem) {
			const char *name;

			tk_nl_parse(&g, tk_nla_data(n), tk_nla_len(n));
			if (!g.tb[CTRL_ATTR_MCAST_GRP_NAME])
				continue;
			name = tk_nla_data(g.tb[CTRL_ATTR_MCAST_GRP_NAME]);
			if (!strcmp(name, VQNOTIFY_MCGRP_MONITOR)) {
				fi->monitor = tk_nl_get_u32(&g,
							    CTRL_ATTR_MCAST_GRP_ID);
				fi->monitor_found = true;
			} else if (!strcmp(name, VQNOTIFY_MCGRP_CALLS)) {
				fi->calls = tk_nl_get_u32(&g,
							  CTRL_ATTR_MCAST_GRP_ID);
			}
		}
	}
	if (a.tb[CTRL_ATTR_OPS]) {
		tk_nla_for_each_nested(n, a.tb[CTRL_ATTR_OPS], rem) {
			uint32_t cmd;

			tk_nl_parse(&o, tk_nla_data(n), tk_nla_len(n));
			cmd = tk_nl_get_u32(&o, CTRL_ATTR_OP_ID);
			if (cmd <= VQNOTIFY_CMD_MAX)
				fi->op_flags[cmd] =
					tk_nl_get_u32(&o, CTRL_ATTR_OP_FLAGS);
		}
	}
}

static inline int tk_nl_family(struct tk_nl *nl, struct tk_nl_family *fi)
{
	struct tk_nlreq r;

	memset(fi, 0, sizeof(*fi));
	tk_nlreq_init(&r, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	tk_nlreq_str(&r, CTRL_ATTR_FAMILY_NAME, VQNOTIFY_FAMILY_NAME);
	return tk_nl_talk(nl, &r, tk_nl_family_cb, fi);
}

/* Open a socket and resolve the vqnotify family: 0 or -errno. */
static inline int tk_nl_open(struct tk_nl *nl)
{
	struct tk_nl_family fi;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = tk_nl_socket();
	if (nl->fd < 0)
		return nl->fd;
	ret = tk_nl_family(nl, &fi);
	if (!ret && !fi.id)
		ret = -ENOENT;
	if (ret) {
		close(nl->fd);
		nl->fd = -1;
		return ret;
	}
	nl->family = fi.id;
	nl->version = fi.version;
	nl->monitor = fi.monitor;
	nl->calls = fi.calls;
	return 0;
}

static inline void tk_nl_close(struct tk_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* A request of the vqnotify family; add attributes, then tk_nl_talk(). */
static inline void tk_nl_req(struct tk_nl *nl, struct tk_nlreq *r,
			     uint8_t cmd, bool dump)
{
	tk_nlreq_init(r, nl->family, NLM_F_ACK | (dump ? NLM_F_DUMP : 0), cmd,
		      VQNOTIFY_FAMILY_VERSION);
}

struct tk_nl_attr {
	uint16_t type;
	uint32_t val;
};

/* Append attribute @type = @val at a[*n], unless @val < 0 (left out). */
static inline void tk_nl_attr_opt(struct tk_nl_attr *a, int *n,
				  uint16_t type, long val)
{
	if (val >= 0)
		a[(*n)++] = (struct tk_nl_attr){ type, (uint32_t)val };
}

/* Command @cmd (a dump when @dump) with the u32 attributes @a. */
static inline int tk_nl_call(struct tk_nl *nl, uint8_t cmd, bool dump,
			     const struct tk_nl_attr *a, int n,
			     tk_nl_cb cb, void *arg)
{
	struct tk_nlreq r;
	int i;

	tk_nl_req(nl, &r, cmd, dump);
	for (i = 0; i < n; i++)
		tk_nlreq_u32(&r, a[i].type, a[i].val);
	return tk_nl_talk(nl, &r, cb, arg);
}

#endif /* _VQN_NL_RAW_H */
