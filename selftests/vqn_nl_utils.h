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
 * Below them: tk_nl_open()/tk_nl_close(), requests built by hand
 * (tk_nl_req(), tk_nlreq_u32(), tk_nlreq_str(), tk_nl_talk() or
 * tk_nl_xfer() for a struct nlmsghdr the caller laid out), tk_nl_call()
 * for any command with u32 attributes, attribute parsing (struct
 * tk_nl_attrs), the monitor group (tk_nl_join(), tk_nl_ntfs()).
 */
#ifndef _VQN_NL_UTILS_H
#define _VQN_NL_UTILS_H

#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "vqn_utils.h"

#define TK_NL_BUF	(64 * 1024)
#define TK_NL_MAX_ATTR	32

struct tk_nl {
	int fd;
	uint16_t family;
	uint32_t version;
	uint32_t monitor;	/* multicast group id of "monitor" */
	uint32_t seq;
	int nr_recv;		/* recv() calls of the last request */
	char ext_msg[128];	/* extack message of the last error */
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
	}
	return e->error;
}

typedef void (*tk_nl_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @msg (a struct nlmsghdr the caller laid out; its sequence number
 * is set here, and NLM_F_REQUEST | NLM_F_ACK) and read until its ACK,
 * error or dump end, passing each data message to @cb. Returns 0, the
 * request's -errno, a socket's -errno, or -ETIMEDOUT after 10 s without
 * a reply. Notifications on a monitor socket are skipped (sequence 0).
 */
static inline int tk_nl_xfer(struct tk_nl *nl, struct nlmsghdr *msg,
			     tk_nl_cb cb, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[TK_NL_BUF];
	bool dump = msg->nlmsg_flags & NLM_F_DUMP;

	msg->nlmsg_seq = ++nl->seq;
	msg->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nl->nr_recv = 0;
	nl->ext_msg[0] = 0;
	if (sendto(nl->fd, msg, msg->nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);

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
		n = tk_nla_data(a.tb[CTRL_ATTR_MCAST_GROUPS]);
		rem = tk_nla_len(a.tb[CTRL_ATTR_MCAST_GROUPS]);
		for (; rem >= NLA_HDRLEN && n->nla_len <= rem;
		     rem -= NLA_ALIGN(n->nla_len),
		     n = (const void *)((const char *)n +
					NLA_ALIGN(n->nla_len))) {
			tk_nl_parse(&g, tk_nla_data(n), tk_nla_len(n));
			if (g.tb[CTRL_ATTR_MCAST_GRP_NAME] &&
			    !strcmp(tk_nla_data(g.tb[CTRL_ATTR_MCAST_GRP_NAME]),
				    VQNOTIFY_MCGRP_MONITOR)) {
				fi->monitor = tk_nl_get_u32(&g,
							    CTRL_ATTR_MCAST_GRP_ID);
				fi->monitor_found = 1;
			}
		}
	}
	if (a.tb[CTRL_ATTR_OPS]) {
		n = tk_nla_data(a.tb[CTRL_ATTR_OPS]);
		rem = tk_nla_len(a.tb[CTRL_ATTR_OPS]);
		for (; rem >= NLA_HDRLEN && n->nla_len <= rem;
		     rem -= NLA_ALIGN(n->nla_len),
		     n = (const void *)((const char *)n +
					NLA_ALIGN(n->nla_len))) {
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

/* Records; every field is ~0 (-1 when signed) when absent */

/* A guest (GUEST_GET, GUEST_*_NTF). */
struct tk_nl_guest {
	bool found;
	int64_t id, pid, uid, budget, admin_budget, own_budget, reserve;
	int64_t threshold, used, nr_assigned, nr_offlimits, nr_waiting;
	int64_t nr_devices;
	bool limited, over_budget, has_counts;
	char label[VQNOTIFY_LABEL_LEN];
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
	if (a->tb[VQNOTIFY_A_GUEST_LABEL])
		snprintf(g->label, sizeof(g->label), "%s", (const char *)
			 tk_nla_data(a->tb[VQNOTIFY_A_GUEST_LABEL]));
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
	char label[VQNOTIFY_LABEL_LEN];
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
	if (a.tb[VQNOTIFY_A_DEV_LABEL])
		snprintf(d->label, sizeof(d->label), "%s", (const char *)
			 tk_nla_data(a.tb[VQNOTIFY_A_DEV_LABEL]));
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

/* The monitor group */

/* Join group @group (with a large receive buffer): 0 or -errno. */
static inline int tk_nl_join(struct tk_nl *nl, uint32_t group)
{
	int size = 4 << 20;

	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		return -errno;
	return 0;
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

#endif /* _VQN_NL_UTILS_H */
