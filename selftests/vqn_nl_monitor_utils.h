/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_nl_monitor_utils.h: part of the netlink toolkit, included by
 * vqn_nl_utils.h (include that): joining a multicast group (monitor,
 * calls), reading what a socket holds, and the notifications parsed.
 */
#ifndef _VQN_NL_MONITOR_UTILS_H
#define _VQN_NL_MONITOR_UTILS_H

#include "vqn_nl_utils.h"

/* Multicast groups: monitor, calls */

/*
 * Join group @group with a receive buffer of @bytes (0: the default, as
 * a flood that may overrun wants it): 0 or -errno.
 */
static inline int tk_nl_join_buf(struct tk_nl *nl, uint32_t group,
				 int bytes)
{
	if (bytes)
		setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
			   sizeof(bytes));
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		return -errno;
	return 0;
}

/* Join group @group with a large (4 MiB) receive buffer: 0 or -errno. */
static inline int tk_nl_join(struct tk_nl *nl, uint32_t group)
{
	return tk_nl_join_buf(nl, group, 4 << 20);
}

/*
 * Open @nl and join the "calls" group, with tk_nl_join()'s buffer: 0 or
 * -errno (@nl closed then).
 */
static inline int tk_nl_open_calls(struct tk_nl *nl)
{
	int ret = tk_nl_open(nl);

	if (ret)
		return ret;
	ret = nl->calls ? tk_nl_join(nl, nl->calls) : -ENOENT;
	if (ret)
		tk_nl_close(nl);
	return ret;
}

/*
 * Read what @nl holds now, without blocking, and call @cb (may be NULL)
 * for each message. An overrun (ENOBUFS: messages were lost) sets
 * *@overrun (may be NULL) and reading goes on. Returns the number of
 * messages read, or -errno on another error.
 */
static inline int tk_nl_drain(struct tk_nl *nl, tk_nl_cb cb, void *arg,
			      bool *overrun)
{
	static char buf[TK_NL_BUF];
	int n = 0;

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t len = recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (len < 0 && errno == ENOBUFS) {
			if (overrun)
				*overrun = true;
			continue;
		}
		if (len < 0)
			return errno == EAGAIN ? n : -errno;
		if (!len)
			return n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (cb)
				cb(nlh, arg);
			n++;
		}
	}
}

/*
 * A notification; the fields its command does not carry are -1, an
 * attribute it lacks ~0U (a REFUSAL_NTF's label).
 */
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
	case VQNOTIFY_CMD_REFUSAL_NTF:
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
	case VQNOTIFY_CMD_GUEST_CHANGE_NTF:
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

#endif /* _VQN_NL_MONITOR_UTILS_H */
