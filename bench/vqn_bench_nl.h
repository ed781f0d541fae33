/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough generic netlink for the bench, on raw sockets (no library
 * between the figure and the kernel): resolve the "vqnotify" family and its
 * "monitor" group, set the host cap, dump every queue, drain a monitor.
 */
#ifndef _VQN_BENCH_NL_H
#define _VQN_BENCH_NL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vqnotify.h>

#define NL_BUF	(256 * 1024)

struct nl_req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[256];
};

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void nl_req_init(struct nl_req *r, uint16_t type, uint8_t cmd,
			uint16_t flags)
{
	static uint32_t seq;

	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	r->n.nlmsg_seq = ++seq;
	r->g.cmd = cmd;
	r->g.version = 1;
}

static void nl_put(struct nl_req *r, uint16_t type, const void *data,
		   uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int nl_send(int fd, struct nl_req *r)
{
	return send(fd, r, r->n.nlmsg_len, 0) == (ssize_t)r->n.nlmsg_len ? 0 : -1;
}

#define nla_for_each(a, start, len)					\
	for (a = (struct nlattr *)(start); (char *)a + NLA_HDRLEN <=	\
	     (char *)(start) + (len) && a->nla_len >= NLA_HDRLEN &&	\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

/* Family id of "vqnotify" and the id of its group @gname, or -1. */
static int nl_resolve(int fd, int *family, int *monitor, const char *gname)
{
	static char buf[8192];
	struct nlattr *a, *g, *f;
	struct nlmsghdr *n;
	struct nl_req r;
	ssize_t len;

	nl_req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nl_put(&r, CTRL_ATTR_FAMILY_NAME, VQNOTIFY_FAMILY_NAME,
	       sizeof(VQNOTIFY_FAMILY_NAME));
	if (nl_send(fd, &r))
		return -1;
	len = recv(fd, buf, sizeof(buf), 0);
	n = (struct nlmsghdr *)buf;
	if (len < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) || n->nlmsg_type == NLMSG_ERROR)
		return -1;
	*family = -1;
	*monitor = -1;
	nla_for_each(a, (char *)NLMSG_DATA(n) + GENL_HDRLEN,
		     n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			*family = *(uint16_t *)((char *)a + NLA_HDRLEN);
		if (a->nla_type != CTRL_ATTR_MCAST_GROUPS)
			continue;
		nla_for_each(g, (char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN) {
			const char *name = NULL;
			int id = -1;

			nla_for_each(f, (char *)g + NLA_HDRLEN,
				     g->nla_len - NLA_HDRLEN) {
				if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					name = (char *)f + NLA_HDRLEN;
				if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)((char *)f + NLA_HDRLEN);
			}
			if (name && !strcmp(name, gname))
				*monitor = id;
		}
	}
	return *family < 0 || *monitor < 0 ? -1 : 0;
}

/* Wait for the ack of the request just sent: 0 or -errno. */
static int nl_ack(int fd)
{
	static char buf[8192];
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	ssize_t len = recv(fd, buf, sizeof(buf), 0);

	if (len < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
	    n->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(n))->error;
}

static int nl_set_host_cap(int fd, int family, uint32_t cap)
{
	struct nl_req r;

	nl_req_init(&r, family, VQNOTIFY_CMD_CONFIG_SET, NLM_F_ACK);
	nl_put(&r, VQNOTIFY_A_CONFIG_HOST_CAP, &cap, sizeof(cap));
	if (nl_send(fd, &r))
		return -errno;
	return nl_ack(fd);
}

/*
 * Dump every queue of every guest, with @cmd: QUEUE_GET (a message per
 * queue) or QUEUES_GET (a message per device, its states packed: counted
 * by their entries). Returns the number of queues the dump described, or
 * -errno.
 */
static long nl_dump_queues(int fd, int family, int cmd)
{
	static char buf[NL_BUF];
	struct nl_req r;
	long queues = 0;

	nl_req_init(&r, family, cmd, NLM_F_DUMP);
	if (nl_send(fd, &r))
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *n;
		struct nlattr *a;

		if (len < 0)
			return -errno;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_type == NLMSG_DONE)
				return queues;
			if (n->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(n))->error;
			if (cmd == VQNOTIFY_CMD_QUEUE_GET) {
				queues++;
				continue;
			}
			nla_for_each(a, (char *)NLMSG_DATA(n) + GENL_HDRLEN,
				     n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN))
				if (a->nla_type == VQNOTIFY_A_QUEUE_STATES_STATES)
					queues += (a->nla_len - NLA_HDRLEN) /
						  sizeof(struct vqnotify_vq_info);
		}
	}
}

/* A monitor: a socket joined to the group, with room for @rcvbuf bytes. */
static int nl_monitor_open(int group, int rcvbuf)
{
	int fd = nl_open();

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Messages received by one recv() on a monitor socket, or -errno. */
static long nl_monitor_recv(int fd, int flags)
{
	static char buf[NL_BUF];
	ssize_t len = recv(fd, buf, sizeof(buf), flags);
	struct nlmsghdr *n;
	long msgs = 0;

	if (len < 0)
		return -errno;
	for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len); n = NLMSG_NEXT(n, len))
		msgs++;
	return msgs;
}

#endif /* _VQN_BENCH_NL_H */
