// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vqnotify": every command's do and dump, a
 * queue dump larger than one message, the monitor group fed by ioctls on
 * /dev/vqnotify, config and guest set seen through the ioctls, permissions
 * of an unprivileged user, and each error path.
 *
 * Raw NETLINK_GENERIC sockets, no libnl: the binary stays static and shows
 * the wire format exactly. Tests that change the host-wide config restore
 * it in the teardown: the module is shared by every test in the VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../include/uapi/linux/vqnotify.h"
#include "kselftest_harness.h"

#define DEV_PATH	"/dev/vqnotify"
#define STATUS_OK	(0x0b | VQNOTIFY_STATUS_DRIVER_OK)
#define NOBODY		65534
#define NL_BUF		(64 * 1024)
#define MAX_ATTR	32

/* ioctls on /dev/vqnotify, returning 0 or -errno */

static int vq_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int vq_open(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

static int vq_info(int fd, struct vqnotify_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return vq_ioctl(fd, VQNOTIFY_GET_INFO, info);
}

static int vq_guest(int fd, struct vqnotify_guest_info *gi)
{
	memset(gi, 0, sizeof(*gi));
	gi->size = sizeof(*gi);
	return vq_ioctl(fd, VQNOTIFY_GUEST_GET, gi);
}

static int vq_dev_add(int fd, uint32_t nq, const char *label, uint32_t *id)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = VQNOTIFY_TRANSPORT_MMIO,
		.num_queues = nq,
	};
	int ret;

	snprintf(da.label, sizeof(da.label), "%s", label);
	ret = vq_ioctl(fd, VQNOTIFY_DEV_ADD, &da);
	*id = da.out_dev_id;
	return ret;
}

static int vq_dev_op(int fd, unsigned long cmd, uint32_t id, uint32_t status)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = id,
		.status = status,
	};

	return vq_ioctl(fd, cmd, &op);
}

static int vq_vhost(int fd, uint32_t id, uint32_t queue, bool enable)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = id,
		.queue = queue,
	};

	return vq_ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn);
}

static int vq_queues(int fd, uint32_t id, struct vqnotify_vq_info *vi,
		     uint32_t cap)
{
	struct vqnotify_dev_get dg = {
		.size = sizeof(dg),
		.dev_id = id,
		.queues = (uintptr_t)vi,
		.nr_queues = cap,
	};

	return vq_ioctl(fd, VQNOTIFY_DEV_GET, &dg);
}

/* Read the guest's queued events (non-blocking fd); returns how many. */
static int vq_events(int fd, struct vqnotify_event *ev, int cap)
{
	ssize_t n = read(fd, ev, cap * sizeof(*ev));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n / sizeof(*ev);
}

/* Generic netlink over a raw socket */

struct nl {
	int fd;
	uint16_t family;
	uint32_t monitor;	/* multicast group id */
	uint32_t seq;
	int nr_recv;		/* recv() calls of the last request */
	char ext_msg[128];	/* extack message of the last error */
};

struct nlreq {
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	};
};

struct attrs {
	const struct nlattr *tb[MAX_ATTR + 1];
};

static void req_init(struct nlreq *r, uint16_t type, uint16_t flags,
		     uint8_t cmd, uint8_t version)
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

static void req_put(struct nlreq *r, uint16_t type, const void *data,
		    uint16_t len)
{
	struct nlattr *a = (void *)r->buf + NLMSG_ALIGN(r->nlh.nlmsg_len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) +
			   NLA_ALIGN(a->nla_len);
}

static void req_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
	req_put(r, type, &v, sizeof(v));
}

static void req_str(struct nlreq *r, uint16_t type, const char *s)
{
	req_put(r, type, s, strlen(s) + 1);
}

static void parse(struct attrs *a, const void *data, int len)
{
	const struct nlattr *nla = data;

	memset(a, 0, sizeof(*a));
	while (len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= len) {
		int type = nla->nla_type & NLA_TYPE_MASK;

		if (type <= MAX_ATTR)
			a->tb[type] = nla;
		len -= NLA_ALIGN(nla->nla_len);
		nla = (const void *)((const char *)nla +
				     NLA_ALIGN(nla->nla_len));
	}
}

static void parse_msg(struct attrs *a, const struct nlmsghdr *nlh)
{
	parse(a, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
	      nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* A u32 attribute, or ~0 when absent. */
static uint32_t get_u32(const struct attrs *a, int type)
{
	uint32_t v;

	if (!a->tb[type] || attr_len(a->tb[type]) != sizeof(v))
		return ~0U;
	memcpy(&v, attr_data(a->tb[type]), sizeof(v));
	return v;
}

/* A uint (4 or 8 bytes), or ~0 when absent. */
static uint64_t get_uint(const struct attrs *a, int type)
{
	uint32_t v32;
	uint64_t v64;

	if (!a->tb[type])
		return ~0ULL;
	if (attr_len(a->tb[type]) == sizeof(v32)) {
		memcpy(&v32, attr_data(a->tb[type]), sizeof(v32));
		return v32;
	}
	if (attr_len(a->tb[type]) == sizeof(v64)) {
		memcpy(&v64, attr_data(a->tb[type]), sizeof(v64));
		return v64;
	}
	return ~0ULL;
}

static uint8_t msg_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
}

/* The errno of an NLMSG_ERROR, keeping its extack message. */
static int nl_error(struct nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const struct nlattr *msg;
	struct attrs ext;
	int off;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		parse(&ext, (const char *)e + off,
		      nlh->nlmsg_len - NLMSG_HDRLEN - off);
		msg = ext.tb[NLMSGERR_ATTR_MSG];
		if (msg)
			snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
				 (const char *)attr_data(msg));
	}
	return e->error;
}

typedef void (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @r and read until its ACK, error or dump end, passing each data
 * message to @cb. Returns 0 or -errno (of the request).
 */
static int nl_talk(struct nl *nl, struct nlreq *r, msg_cb cb, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[NL_BUF];
	bool dump = r->nlh.nlmsg_flags & NLM_F_DUMP;

	r->nlh.nlmsg_seq = ++nl->seq;
	nl->nr_recv = 0;
	nl->ext_msg[0] = 0;
	if (sendto(nl->fd, r->buf, r->nlh.nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);

		if (n < 0)
			return -errno;
		nl->nr_recv++;
		for (nlh = (void *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return nl_error(nl, nlh);
			if (nlh->nlmsg_type == NLMSG_DONE)
				return dump ? *(int *)NLMSG_DATA(nlh) : 0;
			if (cb)
				cb(nlh, arg);
		}
	}
}

static int nl_socket(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* What CTRL_CMD_GETFAMILY says about the family. */
struct family_info {
	uint16_t id;
	int64_t version;
	uint32_t monitor;
	bool monitor_found;
	int64_t op_flags[VQNOTIFY_CMD_MAX + 1];
};

static void family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct family_info *fi = arg;
	const struct nlattr *n;
	struct attrs a, g, o;
	int rem;

	parse_msg(&a, nlh);
	if (a.tb[CTRL_ATTR_FAMILY_ID])
		memcpy(&fi->id, attr_data(a.tb[CTRL_ATTR_FAMILY_ID]), 2);
	fi->version = get_u32(&a, CTRL_ATTR_VERSION);
	if (a.tb[CTRL_ATTR_MCAST_GROUPS]) {
		n = attr_data(a.tb[CTRL_ATTR_MCAST_GROUPS]);
		rem = attr_len(a.tb[CTRL_ATTR_MCAST_GROUPS]);
		for (; rem >= NLA_HDRLEN && n->nla_len <= rem;
		     rem -= NLA_ALIGN(n->nla_len),
		     n = (const void *)((const char *)n +
					NLA_ALIGN(n->nla_len))) {
			parse(&g, attr_data(n), attr_len(n));
			if (g.tb[CTRL_ATTR_MCAST_GRP_NAME] &&
			    !strcmp(attr_data(g.tb[CTRL_ATTR_MCAST_GRP_NAME]),
				    VQNOTIFY_MCGRP_MONITOR)) {
				fi->monitor = get_u32(&g,
						      CTRL_ATTR_MCAST_GRP_ID);
				fi->monitor_found = 1;
			}
		}
	}
	if (a.tb[CTRL_ATTR_OPS]) {
		n = attr_data(a.tb[CTRL_ATTR_OPS]);
		rem = attr_len(a.tb[CTRL_ATTR_OPS]);
		for (; rem >= NLA_HDRLEN && n->nla_len <= rem;
		     rem -= NLA_ALIGN(n->nla_len),
		     n = (const void *)((const char *)n +
					NLA_ALIGN(n->nla_len))) {
			uint32_t cmd;

			parse(&o, attr_data(n), attr_len(n));
			cmd = get_u32(&o, CTRL_ATTR_OP_ID);
			if (cmd <= VQNOTIFY_CMD_MAX)
				fi->op_flags[cmd] = get_u32(&o,
							    CTRL_ATTR_OP_FLAGS);
		}
	}
}

static int nl_family(struct nl *nl, struct family_info *fi)
{
	struct nlreq r;

	memset(fi, 0, sizeof(*fi));
	req_init(&r, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	req_str(&r, CTRL_ATTR_FAMILY_NAME, VQNOTIFY_FAMILY_NAME);
	return nl_talk(nl, &r, family_cb, fi);
}

/* Open a socket and resolve the family; 0 or -errno. */
static int nl_open(struct nl *nl)
{
	struct family_info fi;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = nl_socket();
	if (nl->fd < 0)
		return nl->fd;
	ret = nl_family(nl, &fi);
	if (ret) {
		close(nl->fd);
		nl->fd = -1;
		return ret;
	}
	nl->family = fi.id;
	nl->monitor = fi.monitor;
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

static void vq_req(struct nl *nl, struct nlreq *r, uint8_t cmd, bool dump)
{
	req_init(r, nl->family, NLM_F_ACK | (dump ? NLM_F_DUMP : 0), cmd,
		 VQNOTIFY_GENL_VERSION);
}

/* The parsed attributes point into nl_talk's buffer: copy what matters. */
struct queue_rec {
	int64_t guest, dev, index, state, reason, label, flags, seq;
};

struct queue_recs {
	int n;
	int cap;
	struct queue_rec *q;
};

static void queue_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct queue_recs *qr = arg;
	struct queue_rec *q;
	struct attrs a;

	if (qr->n >= qr->cap) {
		qr->n++;
		return;
	}
	parse_msg(&a, nlh);
	q = &qr->q[qr->n++];
	q->guest = get_u32(&a, VQNOTIFY_A_QUEUE_GUEST_ID);
	q->dev = get_u32(&a, VQNOTIFY_A_QUEUE_DEV_ID);
	q->index = get_u32(&a, VQNOTIFY_A_QUEUE_INDEX);
	q->state = get_u32(&a, VQNOTIFY_A_QUEUE_STATE);
	q->reason = get_u32(&a, VQNOTIFY_A_QUEUE_REASON);
	q->label = get_u32(&a, VQNOTIFY_A_QUEUE_LABEL);
	q->flags = get_u32(&a, VQNOTIFY_A_QUEUE_FLAGS);
	q->seq = get_u32(&a, VQNOTIFY_A_QUEUE_ASSIGN_SEQ);
}

/* A guest as netlink shows it. */
struct guest_rec {
	bool found;
	int64_t id, pid, uid, budget, admin_budget, own_budget, reserve;
	int64_t threshold, used, nr_assigned, nr_offlimits, nr_waiting;
	int64_t nr_devices;
	bool limited, over_budget, has_counts;
	char label[VQNOTIFY_LABEL_LEN];
	uint64_t counts[VQNOTIFY_LABEL_MAX];
};

static void guest_fill(struct guest_rec *g, const struct attrs *a)
{
	struct attrs c;
	int l;

	memset(g, 0, sizeof(*g));
	g->found = true;
	g->id = get_u32(a, VQNOTIFY_A_GUEST_ID);
	g->pid = get_u32(a, VQNOTIFY_A_GUEST_PID);
	g->uid = get_u32(a, VQNOTIFY_A_GUEST_UID);
	g->budget = get_u32(a, VQNOTIFY_A_GUEST_BUDGET);
	g->admin_budget = get_u32(a, VQNOTIFY_A_GUEST_ADMIN_BUDGET);
	g->own_budget = get_u32(a, VQNOTIFY_A_GUEST_OWN_BUDGET);
	g->reserve = get_u32(a, VQNOTIFY_A_GUEST_VHOST_RESERVE);
	g->threshold = get_u32(a, VQNOTIFY_A_GUEST_THRESHOLD);
	g->used = get_u32(a, VQNOTIFY_A_GUEST_USED);
	g->nr_assigned = get_u32(a, VQNOTIFY_A_GUEST_NR_ASSIGNED);
	g->nr_offlimits = get_u32(a, VQNOTIFY_A_GUEST_NR_OFFLIMITS);
	g->nr_waiting = get_u32(a, VQNOTIFY_A_GUEST_NR_WAITING);
	g->nr_devices = get_u32(a, VQNOTIFY_A_GUEST_NR_DEVICES);
	g->limited = a->tb[VQNOTIFY_A_GUEST_LIMITED];
	g->over_budget = a->tb[VQNOTIFY_A_GUEST_OVER_BUDGET];
	if (a->tb[VQNOTIFY_A_GUEST_LABEL])
		snprintf(g->label, sizeof(g->label), "%s", (const char *)
			 attr_data(a->tb[VQNOTIFY_A_GUEST_LABEL]));
	if (a->tb[VQNOTIFY_A_GUEST_COUNTS]) {
		g->has_counts = true;
		parse(&c, attr_data(a->tb[VQNOTIFY_A_GUEST_COUNTS]),
		      attr_len(a->tb[VQNOTIFY_A_GUEST_COUNTS]));
		for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
			g->counts[l] = get_uint(&c, l);
	}
}

/* Guests of a dump, or the one guest of a do. */
struct guest_recs {
	int n;
	struct guest_rec g[64];
	uint32_t ids[8192];
	int nr_ids;
};

static void guest_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct guest_recs *gr = arg;
	struct attrs a;

	parse_msg(&a, nlh);
	if (gr->nr_ids < 8192)
		gr->ids[gr->nr_ids++] = get_u32(&a, VQNOTIFY_A_GUEST_ID);
	if (gr->n < 64)
		guest_fill(&gr->g[gr->n++], &a);
}

static int nl_guest_get(struct nl *nl, uint32_t id, struct guest_rec *g)
{
	static struct guest_recs gr;
	struct nlreq r;
	int ret;

	memset(&gr, 0, sizeof(gr));
	vq_req(nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	req_u32(&r, VQNOTIFY_A_GUEST_ID, id);
	ret = nl_talk(nl, &r, guest_cb, &gr);
	memset(g, 0, sizeof(*g));
	if (!ret && gr.n == 1)
		*g = gr.g[0];
	return ret;
}

/* Is guest @id in a guest dump? -errno on failure. */
static int nl_guest_dump_has(struct nl *nl, uint32_t id, int *nr)
{
	static struct guest_recs gr;
	struct nlreq r;
	int i, ret;

	memset(&gr, 0, sizeof(gr));
	vq_req(nl, &r, VQNOTIFY_CMD_GUEST_GET, true);
	ret = nl_talk(nl, &r, guest_cb, &gr);
	if (ret)
		return ret;
	if (nr)
		*nr = gr.nr_ids;
	for (i = 0; i < gr.nr_ids; i++)
		if (gr.ids[i] == id)
			return 1;
	return 0;
}

struct config {
	int64_t default_budget, threshold, vhost_reserve, host_cap;
	int64_t host_used, nr_guests;
};

static void config_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct config *c = arg;
	struct attrs a;

	parse_msg(&a, nlh);
	c->default_budget = get_u32(&a, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET);
	c->threshold = get_u32(&a, VQNOTIFY_A_CONFIG_THRESHOLD);
	c->vhost_reserve = get_u32(&a, VQNOTIFY_A_CONFIG_VHOST_RESERVE);
	c->host_cap = get_u32(&a, VQNOTIFY_A_CONFIG_HOST_CAP);
	c->host_used = get_u32(&a, VQNOTIFY_A_CONFIG_HOST_USED);
	c->nr_guests = get_u32(&a, VQNOTIFY_A_CONFIG_NR_GUESTS);
}

static int nl_config_get(struct nl *nl, struct config *c)
{
	struct nlreq r;

	memset(c, 0xff, sizeof(*c));
	vq_req(nl, &r, VQNOTIFY_CMD_CONFIG_GET, false);
	return nl_talk(nl, &r, config_cb, c);
}

static int nl_config_set(struct nl *nl, const struct config *c)
{
	struct nlreq r;

	vq_req(nl, &r, VQNOTIFY_CMD_CONFIG_SET, false);
	req_u32(&r, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET, c->default_budget);
	req_u32(&r, VQNOTIFY_A_CONFIG_THRESHOLD, c->threshold);
	req_u32(&r, VQNOTIFY_A_CONFIG_VHOST_RESERVE, c->vhost_reserve);
	req_u32(&r, VQNOTIFY_A_CONFIG_HOST_CAP, c->host_cap);
	return nl_talk(nl, &r, NULL, NULL);
}

static int nl_set_one(struct nl *nl, uint8_t cmd, uint32_t guest, int attr,
		      uint32_t val)
{
	struct nlreq r;

	vq_req(nl, &r, cmd, false);
	if (cmd == VQNOTIFY_CMD_GUEST_SET)
		req_u32(&r, VQNOTIFY_A_GUEST_ID, guest);
	req_u32(&r, attr, val);
	return nl_talk(nl, &r, NULL, NULL);
}

static int nl_join(struct nl *nl, uint32_t group)
{
	int size = 4 << 20;

	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		return -errno;
	return 0;
}

/* Notifications received by a monitor socket so far (non-blocking). */
struct ntf {
	uint8_t cmd;
	int64_t guest, dev, queue, old, new, label, reason;
	int64_t id, num_queues;
};

static void ntf_fill(struct ntf *f, const struct nlmsghdr *nlh)
{
	struct attrs a;

	memset(f, 0xff, sizeof(*f));
	f->cmd = msg_cmd(nlh);
	parse_msg(&a, nlh);
	switch (f->cmd) {
	case VQNOTIFY_CMD_QUEUE_NTF:
		f->guest = get_u32(&a, VQNOTIFY_A_TRANSITION_GUEST_ID);
		f->dev = get_u32(&a, VQNOTIFY_A_TRANSITION_DEV_ID);
		f->queue = get_u32(&a, VQNOTIFY_A_TRANSITION_QUEUE);
		f->old = get_u32(&a, VQNOTIFY_A_TRANSITION_OLD_STATE);
		f->new = get_u32(&a, VQNOTIFY_A_TRANSITION_NEW_STATE);
		f->label = get_u32(&a, VQNOTIFY_A_TRANSITION_LABEL);
		f->reason = get_u32(&a, VQNOTIFY_A_TRANSITION_REASON);
		break;
	case VQNOTIFY_CMD_DEV_ADD_NTF:
	case VQNOTIFY_CMD_DEV_DEL_NTF:
		f->guest = get_u32(&a, VQNOTIFY_A_DEV_GUEST_ID);
		f->id = get_u32(&a, VQNOTIFY_A_DEV_ID);
		f->num_queues = get_u32(&a, VQNOTIFY_A_DEV_NUM_QUEUES);
		break;
	case VQNOTIFY_CMD_GUEST_ADD_NTF:
	case VQNOTIFY_CMD_GUEST_DEL_NTF:
		f->guest = get_u32(&a, VQNOTIFY_A_GUEST_ID);
		break;
	}
}

static int nl_ntfs(struct nl *nl, struct ntf *out, int cap)
{
	static char buf[NL_BUF];
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
			ntf_fill(&out[n++], nlh);
		}
	}
}

/*
 * Become nobody: no capabilities, except CAP_DAC_OVERRIDE when @keep_dac
 * (to open /dev/vqnotify, mode 0660, as nobody). For forked children.
 */
static int drop_to_nobody(bool keep_dac)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (keep_dac && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	if (keep_dac) {
		data[0].effective = 1U << CAP_DAC_OVERRIDE;
		data[0].permitted = 1U << CAP_DAC_OVERRIDE;
		if (syscall(SYS_capset, &hdr, data))
			return -errno;
	}
	return 0;
}

/* Run @fn in a child that became nobody; its exit status (255 on setup). */
static int as_nobody(bool keep_dac, int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (drop_to_nobody(keep_dac))
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

/*
 * The fixture: a netlink socket, a guest of our own (/dev/vqnotify) and the
 * host-wide config as found, restored at the end.
 */
FIXTURE(genl) {
	struct nl nl;
	int fd;
	uint32_t guest;
	struct config saved;	/* as found, restored at the end */
	struct config start;	/* in force when the guest was opened */
	bool restore;
};

/* The module's defaults: each test starts from them, as root. */
static const struct config defaults = {
	.default_budget = 1024,
	.threshold = 7,
	.vhost_reserve = 0,
	.host_cap = 1 << 20,
};

static bool config_is(const struct config *a, const struct config *b)
{
	return a->default_budget == b->default_budget &&
	       a->threshold == b->threshold &&
	       a->vhost_reserve == b->vhost_reserve &&
	       a->host_cap == b->host_cap;
}

FIXTURE_SETUP(genl)
{
	struct vqnotify_guest_info gi;
	int ret;

	self->fd = -1;
	self->nl.fd = -1;
	self->restore = false;
	if (access(DEV_PATH, F_OK))
		SKIP(return, "%s not present (module not loaded)", DEV_PATH);
	ret = nl_open(&self->nl);
	ASSERT_EQ(0, ret) TH_LOG("family %s: %s", VQNOTIFY_FAMILY_NAME,
				 strerror(-ret));
	ASSERT_EQ(0, nl_config_get(&self->nl, &self->saved));
	self->start = self->saved;
	if (!geteuid()) {
		/* Whatever an earlier test (or binary) left behind. */
		if (!config_is(&self->saved, &defaults))
			TH_LOG("config left at %lld/%lld/%lld/%lld%s",
			       (long long)self->saved.default_budget,
			       (long long)self->saved.threshold,
			       (long long)self->saved.vhost_reserve,
			       (long long)self->saved.host_cap,
			       " (budget/threshold/reserve/cap)");
		ASSERT_EQ(0, nl_config_set(&self->nl, &defaults));
		self->start = defaults;
		self->restore = true;
	}
	self->fd = vq_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV_PATH,
				      strerror(-self->fd));
	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	self->guest = gi.guest_id;
}

FIXTURE_TEARDOWN(genl)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->restore)
		EXPECT_EQ(0, nl_config_set(&self->nl, &self->saved));
	nl_close(&self->nl);
}

/* The kernel registered what the spec says: ops, their flags, the group. */
TEST_F(genl, family_registration)
{
	const uint32_t caps = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP |
			      GENL_ADMIN_PERM;
	static const struct {
		uint8_t cmd;
		uint32_t flags;
	} want[] = {
		{ VQNOTIFY_CMD_GUEST_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ VQNOTIFY_CMD_GUEST_SET, GENL_CMD_CAP_DO | GENL_ADMIN_PERM },
		{ VQNOTIFY_CMD_DEV_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ VQNOTIFY_CMD_QUEUE_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ VQNOTIFY_CMD_CONFIG_GET, GENL_CMD_CAP_DO },
		{ VQNOTIFY_CMD_CONFIG_SET, GENL_CMD_CAP_DO | GENL_ADMIN_PERM },
	};
	struct family_info fi;
	unsigned int i;

	ASSERT_EQ(0, nl_family(&self->nl, &fi));
	EXPECT_EQ(VQNOTIFY_GENL_VERSION, fi.version);
	EXPECT_TRUE(fi.monitor_found);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_EQ(want[i].flags, fi.op_flags[want[i].cmd] & caps)
			TH_LOG("cmd %u", want[i].cmd);
	/* Notifications are not requests. */
	for (i = VQNOTIFY_CMD_GUEST_ADD_NTF; i <= VQNOTIFY_CMD_MAX; i++)
		EXPECT_EQ(0, fi.op_flags[i]) TH_LOG("cmd %u", i);
}

TEST_F(genl, config_get)
{
	struct vqnotify_info info;
	struct config c;

	ASSERT_EQ(0, nl_config_get(&self->nl, &c));
	ASSERT_EQ(0, vq_info(self->fd, &info));
	EXPECT_EQ(info.default_budget, c.default_budget);
	EXPECT_EQ(info.threshold, c.threshold);
	EXPECT_EQ(info.vhost_reserve, c.vhost_reserve);
	EXPECT_EQ(info.host_cap, c.host_cap);
	EXPECT_EQ(info.host_used, c.host_used);
	EXPECT_EQ(info.nr_guests, c.nr_guests);
	EXPECT_LE(1, c.nr_guests);
}

/* guest-get do: the same numbers as VQNOTIFY_GUEST_GET. */
TEST_F(genl, guest_get_do)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL,
		.label = "nl-test-guest",
	};
	struct vqnotify_guest_info gi;
	struct guest_rec g;
	uint32_t dev;
	int l;

	ASSERT_EQ(0, vq_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	ASSERT_EQ(0, vq_dev_add(self->fd, 6, "net0", &dev));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, dev, STATUS_OK));
	ASSERT_EQ(0, vq_vhost(self->fd, dev, 0, true));
	ASSERT_EQ(0, vq_guest(self->fd, &gi));

	ASSERT_EQ(0, nl_guest_get(&self->nl, self->guest, &g));
	ASSERT_TRUE(g.found);
	EXPECT_EQ(self->guest, g.id);
	EXPECT_STREQ("nl-test-guest", g.label);
	EXPECT_EQ((uint32_t)getpid(), g.pid);
	EXPECT_EQ(geteuid(), g.uid);
	EXPECT_EQ(gi.budget, g.budget);
	EXPECT_EQ(gi.threshold, g.threshold);
	EXPECT_EQ(gi.vhost_reserve, g.reserve);
	EXPECT_EQ(0, g.own_budget);
	EXPECT_EQ(gi.budget, g.admin_budget);
	EXPECT_EQ(gi.used, g.used);
	EXPECT_EQ(6, g.used);
	EXPECT_EQ(gi.nr_assigned, g.nr_assigned);
	EXPECT_EQ(1, g.nr_offlimits);
	EXPECT_EQ(gi.nr_waiting, g.nr_waiting);
	EXPECT_EQ(1, g.nr_devices);
	EXPECT_EQ(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED), g.limited);
	EXPECT_FALSE(g.over_budget);
	ASSERT_TRUE(g.has_counts);
	for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
		EXPECT_EQ(gi.counts[l], g.counts[l]) TH_LOG("label %d", l);
	EXPECT_EQ(6ULL, g.counts[VQNOTIFY_LABEL_A]);
	EXPECT_EQ(6ULL, g.counts[VQNOTIFY_LABEL_B]);
	EXPECT_EQ(1ULL, g.counts[VQNOTIFY_LABEL_D]);
}

TEST_F(genl, guest_get_dump)
{
	struct vqnotify_info info;
	int fd2, nr = 0;
	struct vqnotify_guest_info gi;

	fd2 = vq_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vq_guest(fd2, &gi));
	ASSERT_EQ(1, nl_guest_dump_has(&self->nl, self->guest, &nr));
	ASSERT_EQ(1, nl_guest_dump_has(&self->nl, gi.guest_id, NULL));
	ASSERT_EQ(0, vq_info(self->fd, &info));
	EXPECT_EQ(info.nr_guests, (uint32_t)nr);
	close(fd2);
	ASSERT_EQ(0, nl_guest_dump_has(&self->nl, gi.guest_id, NULL));
}

struct dev_rec {
	int64_t guest, id, transport, status, num_queues;
	char label[VQNOTIFY_LABEL_LEN];
};

struct dev_recs {
	int n;
	struct dev_rec d[16];
};

static void dev_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dev_recs *dr = arg;
	struct dev_rec *d;
	struct attrs a;

	if (dr->n >= 16) {
		dr->n++;
		return;
	}
	d = &dr->d[dr->n++];
	parse_msg(&a, nlh);
	d->guest = get_u32(&a, VQNOTIFY_A_DEV_GUEST_ID);
	d->id = get_u32(&a, VQNOTIFY_A_DEV_ID);
	d->transport = get_u32(&a, VQNOTIFY_A_DEV_TRANSPORT);
	d->status = get_u32(&a, VQNOTIFY_A_DEV_STATUS);
	d->num_queues = get_u32(&a, VQNOTIFY_A_DEV_NUM_QUEUES);
	if (a.tb[VQNOTIFY_A_DEV_LABEL])
		snprintf(d->label, sizeof(d->label), "%s",
			 (const char *)attr_data(a.tb[VQNOTIFY_A_DEV_LABEL]));
}

TEST_F(genl, dev_get_do_and_dump)
{
	struct dev_recs dr = {};
	uint32_t d1, d2;
	struct nlreq r;

	ASSERT_EQ(0, vq_dev_add(self->fd, 3, "blk0", &d1));
	ASSERT_EQ(0, vq_dev_add(self->fd, 17, "net1", &d2));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, d2, STATUS_OK));

	vq_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	req_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, dev_cb, &dr));
	ASSERT_EQ(2, dr.n);
	EXPECT_EQ(self->guest, dr.d[0].guest);
	EXPECT_EQ(d1, dr.d[0].id);
	EXPECT_EQ(3, dr.d[0].num_queues);
	EXPECT_EQ(0, dr.d[0].status);
	EXPECT_EQ(VQNOTIFY_TRANSPORT_MMIO, dr.d[0].transport);
	EXPECT_STREQ("blk0", dr.d[0].label);
	EXPECT_EQ(d2, dr.d[1].id);
	EXPECT_EQ(17, dr.d[1].num_queues);
	EXPECT_EQ(STATUS_OK, dr.d[1].status);

	memset(&dr, 0, sizeof(dr));
	vq_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, false);
	req_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_DEV_ID, d2);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, dev_cb, &dr));
	ASSERT_EQ(1, dr.n);
	EXPECT_EQ(d2, dr.d[0].id);
	EXPECT_STREQ("net1", dr.d[0].label);

	/* Unfiltered: ours are among everyone's. */
	memset(&dr, 0, sizeof(dr));
	vq_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, dev_cb, &dr));
	EXPECT_LE(2, dr.n);
}

TEST_F(genl, queue_get_do)
{
	struct vqnotify_vq_info vi[4];
	struct queue_rec q;
	struct queue_recs qr = { .cap = 1, .q = &q };
	struct nlreq r;
	uint32_t dev;

	ASSERT_EQ(0, vq_dev_add(self->fd, 4, "net0", &dev));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, dev, STATUS_OK));
	ASSERT_EQ(0, vq_vhost(self->fd, dev, 2, true));
	ASSERT_EQ(0, vq_queues(self->fd, dev, vi, 4));

	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, false);
	req_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, dev);
	req_u32(&r, VQNOTIFY_A_QUEUE_INDEX, 2);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, queue_cb, &qr));
	ASSERT_EQ(1, qr.n);
	EXPECT_EQ(self->guest, q.guest);
	EXPECT_EQ(dev, q.dev);
	EXPECT_EQ(2, q.index);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, q.state);
	EXPECT_EQ(vi[2].state, q.state);
	EXPECT_EQ(vi[2].reason, q.reason);
	EXPECT_EQ(VQNOTIFY_LABEL_D, q.label);
	EXPECT_EQ(vi[2].flags, q.flags);
	EXPECT_EQ(vi[2].assign_seq, q.seq);
}

/*
 * 4 devices x 1024 queues: far more than one skb. The dump must resume
 * where it stopped, every queue exactly once, in order.
 */
#define BIG_DEVS	4
#define BIG_QUEUES	VQNOTIFY_MAX_QUEUES

TEST_F(genl, queue_dump_large)
{
	static struct vqnotify_vq_info vi[BIG_DEVS][BIG_QUEUES];
	static struct queue_rec q[BIG_DEVS * BIG_QUEUES + 16];
	struct queue_recs qr = { .cap = BIG_DEVS * BIG_QUEUES + 16, .q = q };
	uint32_t dev[BIG_DEVS];
	struct nlreq r;
	int d, i, bad = 0;

	for (d = 0; d < BIG_DEVS; d++) {
		ASSERT_EQ(0, vq_dev_add(self->fd, BIG_QUEUES, "big", &dev[d]));
		ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, dev[d],
				       STATUS_OK));
	}
	for (d = 0; d < BIG_DEVS; d++)
		ASSERT_EQ(0, vq_queues(self->fd, dev[d], vi[d], BIG_QUEUES));

	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	req_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, queue_cb, &qr));
	TH_LOG("%d queues in %d recv() calls", qr.n, self->nl.nr_recv);
	ASSERT_EQ(BIG_DEVS * BIG_QUEUES, qr.n);
	EXPECT_LT(1, self->nl.nr_recv);
	for (d = 0; d < BIG_DEVS; d++) {
		for (i = 0; i < BIG_QUEUES; i++) {
			struct queue_rec *x = &q[d * BIG_QUEUES + i];

			if (x->guest != self->guest || x->dev != dev[d] ||
			    x->index != (uint32_t)i ||
			    x->state != vi[d][i].state ||
			    x->reason != vi[d][i].reason ||
			    x->label != vi[d][i].label ||
			    x->flags != vi[d][i].flags ||
			    x->seq != vi[d][i].assign_seq)
				bad++;
		}
	}
	EXPECT_EQ(0, bad);

	/* One device of the guest: its 1024 queues, also over several skbs. */
	qr.n = 0;
	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	req_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, dev[2]);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, queue_cb, &qr));
	ASSERT_EQ(BIG_QUEUES, qr.n);
	EXPECT_LT(1, self->nl.nr_recv);
	for (i = 0, bad = 0; i < BIG_QUEUES; i++)
		if (q[i].dev != dev[2] || q[i].index != (uint32_t)i)
			bad++;
	EXPECT_EQ(0, bad);
}

/* ioctls on /dev/vqnotify show up on the monitor group, in order. */
TEST_F(genl, monitor_transitions)
{
	struct ntf f[64];
	struct nl mon;
	struct vqnotify_guest_info gi;
	uint32_t dev;
	int n, i, fd2;

	ASSERT_EQ(0, nl_open(&mon));
	ASSERT_EQ(0, nl_join(&mon, mon.monitor));

	ASSERT_EQ(0, vq_dev_add(self->fd, 4, "net0", &dev));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, dev, STATUS_OK));
	ASSERT_EQ(0, vq_vhost(self->fd, dev, 0, true));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_DEV_REMOVE, dev, 0));
	n = nl_ntfs(&mon, f, 64);
	/* dev add, 4 x (b), (d), 4 x (g), dev del */
	ASSERT_EQ(11, n);
	EXPECT_EQ(VQNOTIFY_CMD_DEV_ADD_NTF, f[0].cmd);
	EXPECT_EQ(self->guest, f[0].guest);
	EXPECT_EQ(dev, f[0].id);
	EXPECT_EQ(4, f[0].num_queues);
	for (i = 1; i <= 4; i++) {
		EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[i].cmd);
		EXPECT_EQ(self->guest, f[i].guest);
		EXPECT_EQ(dev, f[i].dev);
		EXPECT_EQ(i - 1, f[i].queue);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, f[i].old);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, f[i].new);
		EXPECT_EQ(VQNOTIFY_LABEL_B, f[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_GRANTED, f[i].reason);
	}
	EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[5].cmd);
	EXPECT_EQ(0, f[5].queue);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, f[5].old);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, f[5].new);
	EXPECT_EQ(VQNOTIFY_LABEL_D, f[5].label);
	EXPECT_EQ(VQNOTIFY_REASON_VHOST, f[5].reason);
	for (i = 6; i <= 9; i++) {
		EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[i].cmd);
		EXPECT_EQ(i - 6, f[i].queue);
		EXPECT_EQ(i == 6 ? VQNOTIFY_VQ_OFFLIMITS : VQNOTIFY_VQ_ASSIGNED,
			  f[i].old);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, f[i].new);
		EXPECT_EQ(VQNOTIFY_LABEL_G, f[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_REMOVED, f[i].reason);
	}
	EXPECT_EQ(VQNOTIFY_CMD_DEV_DEL_NTF, f[10].cmd);
	EXPECT_EQ(dev, f[10].id);

	/* A guest opened and closed. */
	fd2 = vq_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vq_guest(fd2, &gi));
	close(fd2);
	n = nl_ntfs(&mon, f, 64);
	ASSERT_EQ(2, n);
	EXPECT_EQ(VQNOTIFY_CMD_GUEST_ADD_NTF, f[0].cmd);
	EXPECT_EQ(gi.guest_id, f[0].guest);
	EXPECT_EQ(VQNOTIFY_CMD_GUEST_DEL_NTF, f[1].cmd);
	EXPECT_EQ(gi.guest_id, f[1].guest);
	nl_close(&mon);
}

/* config-set is what VQNOTIFY_GET_INFO and new guests see. */
TEST_F(genl, config_set_visible)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;
	struct config c = self->start;
	int fd2;

	if (geteuid())
		SKIP(return, "needs root");
	c.default_budget = c.threshold + 3;
	c.vhost_reserve = 2;
	c.host_cap = c.host_used + 12345;
	ASSERT_EQ(0, nl_config_set(&self->nl, &c));

	ASSERT_EQ(0, vq_info(self->fd, &info));
	EXPECT_EQ(c.default_budget, info.default_budget);
	EXPECT_EQ(c.vhost_reserve, info.vhost_reserve);
	EXPECT_EQ(c.host_cap, info.host_cap);
	EXPECT_EQ(c.threshold, info.threshold);

	fd2 = vq_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vq_guest(fd2, &gi));
	EXPECT_EQ(c.default_budget, gi.budget);
	EXPECT_EQ(2U, gi.vhost_reserve);
	EXPECT_FALSE(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED));
	close(fd2);

	/* The existing guest keeps its budget. */
	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	EXPECT_EQ(self->start.default_budget, gi.budget);
}

/*
 * Raising the threshold above a guest's budget makes it limited: its
 * ASSIGNED queues are preempted (p), newest first, the guest reads the
 * transitions and a BUDGET event, and the monitor sees the transitions.
 */
TEST_F(genl, threshold_limits_guest)
{
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;
	struct guest_rec g;
	struct ntf f[16];
	struct nl mon;
	uint32_t dev;
	int n, i;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, vq_dev_add(self->fd, 4, "net0", &dev));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, dev, STATUS_OK));
	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	ASSERT_EQ(4U, gi.nr_assigned);
	ASSERT_FALSE(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED));
	ASSERT_EQ(0, vq_events(self->fd, ev, 16));
	ASSERT_EQ(0, nl_open(&mon));
	ASSERT_EQ(0, nl_join(&mon, mon.monitor));

	ASSERT_EQ(0, nl_set_one(&self->nl, VQNOTIFY_CMD_CONFIG_SET, 0,
				VQNOTIFY_A_CONFIG_THRESHOLD, gi.budget + 1));

	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	EXPECT_TRUE(!!(gi.out_flags & VQNOTIFY_GUEST_LIMITED));
	EXPECT_EQ(0U, gi.nr_assigned);
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(gi.budget + 1, gi.threshold);

	n = vq_events(self->fd, ev, 16);
	ASSERT_EQ(5, n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[i].type);
		EXPECT_EQ(dev, ev[i].dev_id);
		EXPECT_EQ((uint32_t)(3 - i), ev[i].queue);
		EXPECT_EQ(VQNOTIFY_LABEL_P, ev[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_PREEMPT_BUDGET, ev[i].reason);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
	}
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, ev[4].type);
	EXPECT_EQ(gi.budget, ev[4].value);

	n = nl_ntfs(&mon, f, 16);
	ASSERT_EQ(4, n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(VQNOTIFY_CMD_QUEUE_NTF, f[i].cmd);
		EXPECT_EQ(3 - i, f[i].queue);
		EXPECT_EQ(VQNOTIFY_LABEL_P, f[i].label);
	}

	ASSERT_EQ(0, nl_guest_get(&self->nl, self->guest, &g));
	EXPECT_TRUE(g.limited);
	EXPECT_EQ(gi.budget + 1, g.threshold);
	EXPECT_EQ(4ULL, g.counts[VQNOTIFY_LABEL_P]);
	nl_close(&mon);
}

/* guest-set: a lower admin budget and a vhost reserve preempt grants. */
TEST_F(genl, guest_set_budget_and_reserve)
{
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;
	struct guest_rec g;
	uint32_t dev, nq, budget;
	int n;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	budget = gi.threshold + 2;
	nq = budget + 2;
	if (gi.budget < nq || nq > VQNOTIFY_MAX_QUEUES)
		SKIP(return, "budget %u, threshold %u", gi.budget,
		     gi.threshold);
	ASSERT_EQ(0, vq_dev_add(self->fd, nq, "net0", &dev));
	ASSERT_EQ(0, vq_dev_op(self->fd, VQNOTIFY_SET_STATUS, dev, STATUS_OK));
	ASSERT_EQ(0, vq_events(self->fd, ev, 16));

	ASSERT_EQ(0, nl_set_one(&self->nl, VQNOTIFY_CMD_GUEST_SET, self->guest,
				VQNOTIFY_A_GUEST_ADMIN_BUDGET, budget));
	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	EXPECT_EQ(budget, gi.budget);
	EXPECT_EQ(budget, gi.nr_assigned);
	EXPECT_EQ(2U, gi.nr_waiting);
	n = vq_events(self->fd, ev, 16);
	ASSERT_EQ(3, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ(nq - 1, ev[0].queue);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[1].label);
	EXPECT_EQ(nq - 2, ev[1].queue);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, ev[2].type);
	EXPECT_EQ(budget, ev[2].value);

	ASSERT_EQ(0, nl_set_one(&self->nl, VQNOTIFY_CMD_GUEST_SET, self->guest,
				VQNOTIFY_A_GUEST_VHOST_RESERVE, 1));
	ASSERT_EQ(0, vq_guest(self->fd, &gi));
	EXPECT_EQ(1U, gi.vhost_reserve);
	EXPECT_EQ(budget - 1, gi.nr_assigned);
	n = vq_events(self->fd, ev, 16);
	ASSERT_EQ(2, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, ev[1].type);

	ASSERT_EQ(0, nl_guest_get(&self->nl, self->guest, &g));
	EXPECT_EQ(budget, g.admin_budget);
	EXPECT_EQ(budget, g.budget);
	EXPECT_EQ(1, g.reserve);
}

/* Unprivileged users: EPERM for admin ops, nothing of other users' guests */

static int nobody_guest_set(void *arg)
{
	struct nl nl;

	if (nl_open(&nl))
		return 254;
	return -nl_set_one(&nl, VQNOTIFY_CMD_GUEST_SET, *(uint32_t *)arg,
			   VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1);
}

static int nobody_config_set(void *arg)
{
	struct nl nl;

	if (nl_open(&nl))
		return 254;
	return -nl_set_one(&nl, VQNOTIFY_CMD_CONFIG_SET, 0,
			   VQNOTIFY_A_CONFIG_THRESHOLD, 1);
}

static int nobody_monitor(void *arg)
{
	struct nl nl;

	if (nl_open(&nl))
		return 254;
	return -nl_join(&nl, nl.monitor);
}

static int nobody_guest_get(void *arg)
{
	struct guest_rec g;
	struct nl nl;

	if (nl_open(&nl))
		return 254;
	return -nl_guest_get(&nl, *(uint32_t *)arg, &g);
}

static int nobody_config_get(void *arg)
{
	struct config c;
	struct nl nl;

	if (nl_open(&nl))
		return 254;
	if (nl_config_get(&nl, &c))
		return 1;
	return c.host_cap == ~0U || c.nr_guests == ~0U ? 2 : 0;
}

/* How many messages a filtered dev or queue dump of guest @arg returns. */
static int nobody_dumps(void *arg)
{
	struct queue_rec q[8];
	struct queue_recs qr = { .cap = 8, .q = q };
	struct dev_recs dr = {};
	struct nlreq r;
	struct nl nl;

	if (nl_open(&nl))
		return 254;
	vq_req(&nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	req_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, *(uint32_t *)arg);
	if (nl_talk(&nl, &r, dev_cb, &dr)) {
		nl_close(&nl);
		return 253;
	}
	vq_req(&nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	req_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, *(uint32_t *)arg);
	if (nl_talk(&nl, &r, queue_cb, &qr)) {
		nl_close(&nl);
		return 252;
	}
	nl_close(&nl);
	return dr.n + qr.n;
}

/*
 * As nobody (with CAP_DAC_OVERRIDE only, to open /dev/vqnotify): its own
 * guest is in the dump and readable, root's guest @arg is neither.
 * Returns a bit per failed expectation.
 */
static int nobody_own_guest(void *arg)
{
	struct vqnotify_guest_info gi;
	struct guest_rec g;
	struct nl nl;
	int fd, ret = 0;

	if (nl_open(&nl))
		return 254;
	fd = vq_open();
	if (fd < 0 || vq_guest(fd, &gi))
		return 253;
	if (nl_guest_dump_has(&nl, gi.guest_id, NULL) != 1)
		ret |= 1;
	if (nl_guest_dump_has(&nl, *(uint32_t *)arg, NULL) != 0)
		ret |= 2;
	if (nl_guest_get(&nl, gi.guest_id, &g) || g.uid != NOBODY)
		ret |= 4;
	if (nl_guest_get(&nl, *(uint32_t *)arg, &g) != -ENOENT)
		ret |= 8;
	if (nl_set_one(&nl, VQNOTIFY_CMD_GUEST_SET, gi.guest_id,
		       VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1) != -EPERM)
		ret |= 16;
	close(fd);
	return ret;
}

TEST_F(genl, nobody_guest_set_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, as_nobody(false, nobody_guest_set, &self->guest));
}

TEST_F(genl, nobody_config_set_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, as_nobody(false, nobody_config_set, NULL));
}

TEST_F(genl, nobody_monitor_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, as_nobody(false, nobody_monitor, NULL));
}

TEST_F(genl, nobody_guest_get_enoent)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(ENOENT, as_nobody(false, nobody_guest_get, &self->guest));
}

TEST_F(genl, nobody_config_get_allowed)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, as_nobody(false, nobody_config_get, NULL));
}

TEST_F(genl, nobody_dumps_hide_others)
{
	uint32_t dev;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, vq_dev_add(self->fd, 4, "net0", &dev));
	EXPECT_EQ(0, as_nobody(false, nobody_dumps, &self->guest));
	/* Root sees them: the filter is not what hides them. */
	EXPECT_EQ(5, nobody_dumps(&self->guest));
}

TEST_F(genl, nobody_sees_own_guest)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, as_nobody(true, nobody_own_guest, &self->guest));
}

/* Bad requests: each rejected, with the errno the policy gives */

/* Send a prepared request; returns -errno. */
static int talk(struct nl *nl, struct nlreq *r)
{
	return nl_talk(nl, r, NULL, NULL);
}

TEST_F(genl, guest_get_no_id_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, guest_get_short_id_einval)
{
	uint16_t id = self->guest;
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	req_put(&r, VQNOTIFY_A_GUEST_ID, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, guest_get_unknown_attr_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	req_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_GUEST_MAX + 10, 1);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

/* An attribute of the set, but not of this request. */
TEST_F(genl, guest_get_foreign_attr_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	req_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_GUEST_BUDGET, 1);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, guest_dump_attr_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, true);
	req_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

/* dev-id belongs to dev-get's do request, not to its dump. */
TEST_F(genl, dev_dump_dev_id_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	req_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_DEV_ID, 1);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, queue_dump_dev_without_guest_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	req_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, 1);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, queue_get_no_index_einval)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, false);
	req_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, 1);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, config_set_empty_einval)
{
	struct nlreq r;

	if (geteuid())
		SKIP(return, "needs root");
	vq_req(&self->nl, &r, VQNOTIFY_CMD_CONFIG_SET, false);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, config_set_host_cap_zero_erange)
{
	struct config c;

	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(-ERANGE, nl_set_one(&self->nl, VQNOTIFY_CMD_CONFIG_SET, 0,
				      VQNOTIFY_A_CONFIG_HOST_CAP, 0));
	ASSERT_EQ(0, nl_config_get(&self->nl, &c));
	EXPECT_EQ(self->start.host_cap, c.host_cap);
}

TEST_F(genl, config_set_threshold_too_big_erange)
{
	struct config c;

	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(-ERANGE, nl_set_one(&self->nl, VQNOTIFY_CMD_CONFIG_SET, 0,
				      VQNOTIFY_A_CONFIG_THRESHOLD,
				      0x80000000U));
	ASSERT_EQ(0, nl_config_get(&self->nl, &c));
	EXPECT_EQ(self->start.threshold, c.threshold);
}

/* A request that fails on its last attribute changes nothing. */
TEST_F(genl, config_set_partly_bad_changes_nothing)
{
	struct config c;
	struct nlreq r;

	if (geteuid())
		SKIP(return, "needs root");
	vq_req(&self->nl, &r, VQNOTIFY_CMD_CONFIG_SET, false);
	req_u32(&r, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
		self->start.default_budget + 1);
	req_u32(&r, VQNOTIFY_A_CONFIG_HOST_CAP, 0);
	EXPECT_EQ(-ERANGE, talk(&self->nl, &r));
	ASSERT_EQ(0, nl_config_get(&self->nl, &c));
	EXPECT_EQ(self->start.default_budget, c.default_budget);
}

TEST_F(genl, guest_set_nothing_einval)
{
	struct nlreq r;

	if (geteuid())
		SKIP(return, "needs root");
	vq_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_SET, false);
	req_u32(&r, VQNOTIFY_A_GUEST_ID, self->guest);
	EXPECT_EQ(-EINVAL, talk(&self->nl, &r));
}

TEST_F(genl, guest_set_budget_too_big_erange)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(-ERANGE, nl_set_one(&self->nl, VQNOTIFY_CMD_GUEST_SET,
				      self->guest,
				      VQNOTIFY_A_GUEST_ADMIN_BUDGET,
				      0x80000000U));
}

TEST_F(genl, unknown_cmd_eopnotsupp)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_NTF, false);
	EXPECT_EQ(-EOPNOTSUPP, talk(&self->nl, &r));
}

/* Unknown objects: ENOENT */

#define NO_GUEST	0x7ffffff0U

TEST_F(genl, guest_get_unknown_enoent)
{
	struct guest_rec g;

	EXPECT_EQ(-ENOENT, nl_guest_get(&self->nl, NO_GUEST, &g));
	EXPECT_STREQ("no such guest", self->nl.ext_msg);
}

TEST_F(genl, dev_get_unknown_guest_enoent)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, false);
	req_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, NO_GUEST);
	req_u32(&r, VQNOTIFY_A_DEV_ID, 1);
	EXPECT_EQ(-ENOENT, talk(&self->nl, &r));
}

TEST_F(genl, dev_get_unknown_dev_enoent)
{
	struct nlreq r;

	vq_req(&self->nl, &r, VQNOTIFY_CMD_DEV_GET, false);
	req_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_DEV_ID, 12345);
	EXPECT_EQ(-ENOENT, talk(&self->nl, &r));
	EXPECT_STREQ("no such device", self->nl.ext_msg);
}

TEST_F(genl, queue_get_unknown_index_enoent)
{
	struct nlreq r;
	uint32_t dev;

	ASSERT_EQ(0, vq_dev_add(self->fd, 4, "net0", &dev));
	vq_req(&self->nl, &r, VQNOTIFY_CMD_QUEUE_GET, false);
	req_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, self->guest);
	req_u32(&r, VQNOTIFY_A_QUEUE_DEV_ID, dev);
	req_u32(&r, VQNOTIFY_A_QUEUE_INDEX, 4);
	EXPECT_EQ(-ENOENT, talk(&self->nl, &r));
	EXPECT_STREQ("no such queue", self->nl.ext_msg);
}

TEST_F(genl, guest_set_unknown_enoent)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(-ENOENT, nl_set_one(&self->nl, VQNOTIFY_CMD_GUEST_SET,
				      NO_GUEST, VQNOTIFY_A_GUEST_ADMIN_BUDGET,
				      8));
}

/* A filtered dump of an unknown guest is empty, not an error. */
TEST_F(genl, dump_unknown_guest_empty)
{
	EXPECT_EQ(0, nobody_dumps(&(uint32_t){ NO_GUEST }));
}

TEST_HARNESS_MAIN
