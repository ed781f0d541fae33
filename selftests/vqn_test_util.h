/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vqnotify selftests: thin ioctl wrappers that return
 * 0 or -errno, event reading, and the accounting invariant check.
 *
 * Nothing here uses the kselftest harness, so the helpers also work in
 * forked children that must not longjmp back into the harness.
 */
#ifndef _VQN_TEST_UTIL_H
#define _VQN_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../include/uapi/linux/vqnotify.h"

#define VQN_DEV_PATH		"/dev/vqnotify"
#define VQN_S_DEASSIGNED	VQNOTIFY_VQ_DEASSIGNED
#define VQN_S_ASSIGNED		VQNOTIFY_VQ_ASSIGNED
#define VQN_S_OFFLIMITS		VQNOTIFY_VQ_OFFLIMITS
/* ACKNOWLEDGE | DRIVER | FEATURES_OK, and the same with DRIVER_OK. */
#define VQN_STATUS_FEATURES	0x0b
#define VQN_STATUS_OK		(VQN_STATUS_FEATURES | \
				 VQNOTIFY_STATUS_DRIVER_OK)
#define VQN_BITMAP_WORDS(n)	(((n) + 63) / 64)

static inline bool vqn_present(void)
{
	return access(VQN_DEV_PATH, F_OK) == 0;
}

static inline int vqn_open_flags(int flags)
{
	int fd = open(VQN_DEV_PATH, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

static inline int vqn_open(void)
{
	return vqn_open_flags(0);
}

static inline int vqn_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vqn_get_info(int fd, struct vqnotify_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return vqn_ioctl(fd, VQNOTIFY_GET_INFO, info);
}

/* Host-wide slots in use, or -errno. */
static inline long vqn_host_used(int fd)
{
	struct vqnotify_info info;
	int ret = vqn_get_info(fd, &info);

	return ret ? ret : (long)info.host_used;
}

static inline int vqn_guest_get(int fd, struct vqnotify_guest_info *gi)
{
	memset(gi, 0, sizeof(*gi));
	gi->size = sizeof(*gi);
	return vqn_ioctl(fd, VQNOTIFY_GUEST_GET, gi);
}

static inline int vqn_set_budget(int fd, uint32_t budget)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_BUDGET,
		.budget = budget,
	};

	return vqn_ioctl(fd, VQNOTIFY_GUEST_SET, &gs);
}

static inline int vqn_set_label(int fd, const char *label)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL,
	};

	strncpy(gs.label, label, sizeof(gs.label) - 1);
	return vqn_ioctl(fd, VQNOTIFY_GUEST_SET, &gs);
}

static inline int vqn_dev_add(int fd, uint32_t transport, uint32_t nq,
			      const char *label, uint32_t *id)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = transport,
		.num_queues = nq,
	};
	int ret;

	if (label)
		strncpy(da.label, label, sizeof(da.label) - 1);
	ret = vqn_ioctl(fd, VQNOTIFY_DEV_ADD, &da);
	if (!ret && id)
		*id = da.out_dev_id;
	return ret;
}

/*
 * SET_STATUS, DEV_RESET, DEV_REMOVE. @res may be NULL; otherwise *@nr is
 * its capacity on entry and the number of results on return.
 */
static inline int vqn_dev_op(int fd, unsigned long cmd, uint32_t id,
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
	int ret = vqn_ioctl(fd, cmd, &op);

	if (!ret && nr)
		*nr = op.nr_results;
	return ret;
}

static inline int vqn_set_status(int fd, uint32_t id, uint32_t status,
				 const uint64_t *ready,
				 struct vqnotify_vq_result *res, uint32_t *nr)
{
	return vqn_dev_op(fd, VQNOTIFY_SET_STATUS, id, status, ready, res, nr);
}

static inline int vqn_dev_reset(int fd, uint32_t id,
				struct vqnotify_vq_result *res, uint32_t *nr)
{
	return vqn_dev_op(fd, VQNOTIFY_DEV_RESET, id, 0, NULL, res, nr);
}

static inline int vqn_dev_remove(int fd, uint32_t id,
				 struct vqnotify_vq_result *res, uint32_t *nr)
{
	return vqn_dev_op(fd, VQNOTIFY_DEV_REMOVE, id, 0, NULL, res, nr);
}

static inline int vqn_host_notifier(int fd, uint32_t id, uint32_t queue,
				    bool enable,
				    struct vqnotify_vq_result *res)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = id,
		.queue = queue,
	};
	int ret = vqn_ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn);

	if (!ret && res)
		*res = hn.result;
	return ret;
}

/* API 2: QUEUES_ACQUIRE, QUEUES_RELEASE, SET_HOST_NOTIFIERS. */
static inline int vqn_queues(int fd, unsigned long cmd, uint32_t flags,
			     uint32_t id, const uint64_t *bm, uint32_t nbits,
			     struct vqnotify_vq_result *res, uint32_t *nr)
{
	struct vqnotify_queues q = {
		.size = sizeof(q),
		.flags = flags,
		.dev_id = id,
		.nr_queues = nbits,
		.queues = (uintptr_t)bm,
		.results = (uintptr_t)res,
		.nr_results = nr ? *nr : 0,
	};
	int ret = vqn_ioctl(fd, cmd, &q);

	if (!ret && nr)
		*nr = q.nr_results;
	return ret;
}

/* API 2: the guest's run state. */
static inline int vqn_set_run_state(int fd, uint32_t state)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_RUN_STATE,
		.run_state = state,
	};

	return vqn_ioctl(fd, VQNOTIFY_GUEST_SET, &gs);
}

static inline int vqn_queue_get(int fd, uint32_t id, uint32_t queue,
				struct vqnotify_vq_info *vi)
{
	struct vqnotify_queue_get qg = {
		.size = sizeof(qg),
		.dev_id = id,
		.queue = queue,
	};
	int ret = vqn_ioctl(fd, VQNOTIFY_QUEUE_GET, &qg);

	if (!ret)
		*vi = qg.info;
	return ret;
}

/* DEV_GET into @dg, with up to @cap queue records in @vi (may be NULL). */
static inline int vqn_dev_get(int fd, uint32_t id, struct vqnotify_dev_get *dg,
			      struct vqnotify_vq_info *vi, uint32_t cap)
{
	memset(dg, 0, sizeof(*dg));
	dg->size = sizeof(*dg);
	dg->dev_id = id;
	dg->queues = (uintptr_t)vi;
	dg->nr_queues = vi ? cap : 0;
	return vqn_ioctl(fd, VQNOTIFY_DEV_GET, dg);
}

/* SAVE into @buf; *@len is the capacity in, the blob length out. */
static inline int vqn_save(int fd, uint32_t id, void *buf, uint32_t *len)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = id,
		.len = *len,
		.data = (uintptr_t)buf,
	};
	int ret = vqn_ioctl(fd, VQNOTIFY_DEV_SAVE, &m);

	if (!ret || ret == -EMSGSIZE)
		*len = m.len;
	return ret;
}

static inline int vqn_load(int fd, uint32_t id, const void *buf, uint32_t len,
			   struct vqnotify_vq_result *res, uint32_t *nr)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = id,
		.len = len,
		.data = (uintptr_t)buf,
		.results = (uintptr_t)res,
		.nr_results = nr ? *nr : 0,
	};
	int ret = vqn_ioctl(fd, VQNOTIFY_DEV_LOAD, &m);

	if (!ret && nr)
		*nr = m.nr_results;
	return ret;
}

/*
 * Read the events queued now, without blocking and without touching the
 * file's O_NONBLOCK flag: returns how many were read (up to @max), or
 * -errno.
 */
static inline int vqn_read_events(int fd, struct vqnotify_event *ev, int max)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = 0;

	while (n < max) {
		ssize_t r;

		if (poll(&pfd, 1, 0) < 0)
			return -errno;
		if (!(pfd.revents & POLLIN))
			break;
		r = read(fd, ev + n, (size_t)(max - n) * sizeof(*ev));
		if (r < 0)
			return -errno;
		if (r % sizeof(*ev))
			return -EIO;
		n += r / sizeof(*ev);
	}
	return n;
}

/* Budget comfortably above the threshold, well below the default. */
static inline uint32_t vqn_budget_above(const struct vqnotify_info *info,
					uint32_t extra)
{
	return info->threshold + info->vhost_reserve + extra;
}

/*
 * The accounting invariant of one guest, checked from outside: counters
 * agree with each other, with the flags, and with the per-queue states of
 * the devices listed in @ids. Returns 0, or -1 with a message in @why.
 */
static inline int vqn_check_guest(int fd, const uint32_t *ids, int nids,
				  char *why, size_t whylen)
{
	static __thread struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	uint32_t assigned = 0, offlimits = 0, waiting = 0;
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	int i, ret;
	uint32_t q;

	ret = vqn_guest_get(fd, &gi);
	if (ret) {
		snprintf(why, whylen, "GUEST_GET: %s", strerror(-ret));
		return -1;
	}
	if (gi.used != gi.nr_assigned + gi.nr_offlimits) {
		snprintf(why, whylen, "used %u != assigned %u + offlimits %u",
			 gi.used, gi.nr_assigned, gi.nr_offlimits);
		return -1;
	}
	if ((gi.used > gi.budget) !=
	    !!(gi.out_flags & VQNOTIFY_GUEST_OVER_BUDGET)) {
		snprintf(why, whylen, "used %u budget %u but out_flags %#x",
			 gi.used, gi.budget, gi.out_flags);
		return -1;
	}
	if ((gi.budget < gi.threshold) !=
	    !!(gi.out_flags & VQNOTIFY_GUEST_LIMITED)) {
		snprintf(why, whylen, "budget %u threshold %u but out_flags %#x",
			 gi.budget, gi.threshold, gi.out_flags);
		return -1;
	}
	if (gi.nr_devices != (uint32_t)nids) {
		snprintf(why, whylen, "nr_devices %u, expected %d",
			 gi.nr_devices, nids);
		return -1;
	}
	for (i = 0; i < nids; i++) {
		bool ok;

		ret = vqn_dev_get(fd, ids[i], &dg, vi, VQNOTIFY_MAX_QUEUES);
		if (ret) {
			snprintf(why, whylen, "DEV_GET %u: %s", ids[i],
				 strerror(-ret));
			return -1;
		}
		if (dg.nr_queues != dg.num_queues) {
			snprintf(why, whylen, "dev %u: nr_queues %u of %u",
				 ids[i], dg.nr_queues, dg.num_queues);
			return -1;
		}
		ok = dg.status & VQNOTIFY_STATUS_DRIVER_OK;
		for (q = 0; q < dg.num_queues; q++) {
			const struct vqnotify_vq_info *v = &vi[q];
			bool w = v->flags & VQNOTIFY_VQ_WAITING;

			if (v->state == VQN_S_ASSIGNED)
				assigned++;
			else if (v->state == VQN_S_OFFLIMITS)
				offlimits++;
			else if (v->state != VQN_S_DEASSIGNED)
				goto bad_queue;
			waiting += w;
			/* Only a DRIVER_OK device has userspace grants. */
			if ((v->state == VQN_S_ASSIGNED || w) && !ok)
				goto bad_queue;
			if (w && v->state != VQN_S_DEASSIGNED)
				goto bad_queue;
			if ((v->state == VQN_S_ASSIGNED) != !!v->assign_seq)
				goto bad_queue;
			/* Userspace only holds initialised queues. */
			if ((v->state == VQN_S_ASSIGNED || w) &&
			    !(v->flags & VQNOTIFY_VQ_INITIALISED))
				goto bad_queue;
			if (v->state == VQN_S_ASSIGNED &&
			    gi.budget < gi.threshold)
				goto bad_queue;
			continue;
bad_queue:
			snprintf(why, whylen,
				 "dev %u (status %#x) q %u: state %u reason %u label %u flags %#x seq %u",
				 ids[i], dg.status, q, v->state, v->reason,
				 v->label, v->flags, v->assign_seq);
			return -1;
		}
	}
	if (assigned != gi.nr_assigned || offlimits != gi.nr_offlimits ||
	    waiting != gi.nr_waiting) {
		snprintf(why, whylen,
			 "queues say assigned %u offlimits %u waiting %u, guest says %u %u %u",
			 assigned, offlimits, waiting, gi.nr_assigned,
			 gi.nr_offlimits, gi.nr_waiting);
		return -1;
	}
	return 0;
}

/* CRC of a migration blob as the module computes it: crc32_le(~0), no xor. */
static inline uint32_t vqn_crc32_le(uint32_t crc, const uint8_t *p, size_t len)
{
	int i;

	while (len--) {
		crc ^= *p++;
		for (i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return crc;
}

/*
 * A minimal generic netlink client for the admin operations (GUEST_SET,
 * CONFIG_SET), so the tests can reach what only the admin can change:
 * admin budgets, vhost reserves, threshold and host cap.
 */
struct vqn_nl {
	int fd;
	uint16_t family;
	uint32_t seq;
};

struct vqn_nl_attr {
	uint16_t type;
	uint32_t val;
};

/* Send one request with u32/string attributes, wait for its ack. */
static inline int vqn_nl_request(struct vqn_nl *nl, uint16_t type,
				 uint8_t cmd, const struct vqn_nl_attr *a,
				 int n, const char *str, uint16_t str_type,
				 void *reply, size_t reply_len)
{
	char buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(h);
	char *p = (char *)(gh + 1);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t r;
	int i;

	memset(buf, 0, sizeof(buf));
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++nl->seq;
	gh->cmd = cmd;
	gh->version = 1;
	for (i = 0; i < n; i++) {
		struct nlattr *na = (struct nlattr *)p;

		na->nla_type = a[i].type;
		na->nla_len = NLA_HDRLEN + 4;
		memcpy(p + NLA_HDRLEN, &a[i].val, 4);
		p += NLA_ALIGN(na->nla_len);
	}
	if (str) {
		struct nlattr *na = (struct nlattr *)p;

		na->nla_type = str_type;
		na->nla_len = NLA_HDRLEN + strlen(str) + 1;
		strcpy(p + NLA_HDRLEN, str);
		p += NLA_ALIGN(na->nla_len);
	}
	h->nlmsg_len = p - buf;
	if (sendto(nl->fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		r = recv(nl->fd, buf, sizeof(buf), 0);
		if (r < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, r);
		     h = NLMSG_NEXT(h, r)) {
			if (h->nlmsg_seq != nl->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (reply && h->nlmsg_len <= reply_len)
				memcpy(reply, h, h->nlmsg_len);
		}
	}
}

static inline void vqn_nl_close(struct vqn_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Open a socket and resolve the vqnotify family: 0 or -errno. */
static inline int vqn_nl_open(struct vqn_nl *nl)
{
	char reply[1024] __attribute__((aligned(4)));
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	struct nlattr *na;
	int ret, len;

	memset(nl, 0, sizeof(*nl));
	memset(reply, 0, sizeof(reply));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	ret = vqn_nl_request(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NULL, 0,
			     VQNOTIFY_FAMILY_NAME, CTRL_ATTR_FAMILY_NAME,
			     reply, sizeof(reply));
	if (ret)
		goto err;
	ret = -ENOENT;
	if (h->nlmsg_type != GENL_ID_CTRL)
		goto err;
	len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	na = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	while (len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN &&
	       na->nla_len <= len) {
		if ((na->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID) {
			memcpy(&nl->family, (char *)na + NLA_HDRLEN, 2);
			return 0;
		}
		len -= NLA_ALIGN(na->nla_len);
		na = (struct nlattr *)((char *)na + NLA_ALIGN(na->nla_len));
	}
err:
	vqn_nl_close(nl);
	return ret;
}

/* Admin: one guest's budget and/or vhost reserve (-1: leave alone). */
static inline int vqn_nl_guest_set(struct vqn_nl *nl, uint32_t guest_id,
				   long budget, long reserve)
{
	struct vqn_nl_attr a[3] = { { VQNOTIFY_A_GUEST_ID, guest_id } };
	int n = 1;

	if (budget >= 0)
		a[n++] = (struct vqn_nl_attr){ VQNOTIFY_A_GUEST_ADMIN_BUDGET,
					       (uint32_t)budget };
	if (reserve >= 0)
		a[n++] = (struct vqn_nl_attr){ VQNOTIFY_A_GUEST_VHOST_RESERVE,
					       (uint32_t)reserve };
	return vqn_nl_request(nl, nl->family, VQNOTIFY_CMD_GUEST_SET, a, n,
			      NULL, 0, NULL, 0);
}

/* Admin: one host-wide setting, VQNOTIFY_A_CONFIG_*. */
static inline int vqn_nl_config_set(struct vqn_nl *nl, uint16_t attr,
				    uint32_t val)
{
	struct vqn_nl_attr a = { attr, val };

	return vqn_nl_request(nl, nl->family, VQNOTIFY_CMD_CONFIG_SET, &a, 1,
			      NULL, 0, NULL, 0);
}

#endif /* _VQN_TEST_UTIL_H */
