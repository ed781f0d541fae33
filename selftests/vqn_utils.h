/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_utils.h: the selftests' toolkit for /dev/vqnotify, on the pattern of
 * the kernel's tools/testing/selftests/iommu/iommufd_utils.h.
 *
 * For every ioctl X of include/uapi/linux/vqnotify.h there are three forms:
 *
 *   _test_ioctl_X(fd, ...)  fills the struct, calls the ioctl, copies the
 *                           outputs through the pointer arguments (each may
 *                           be NULL) and returns 0 or -errno. It does not
 *                           use the harness: call it from forked children,
 *                           threads, or with a second guest's fd.
 *   test_cmd_X(...)         ASSERTs that _test_ioctl_X(self->fd, ...)
 *                           succeeds (a TH_LOG() may follow).
 *   test_err_X(E, ...)      EXPECTs that it fails with errno E.
 *
 * Beside them: tk_open() (a guest, or -errno), tk_read_events() (what is
 * queued, without blocking), tk_crc32_le() and tk_blob_reseal() for
 * migration blobs, one invariant checker (tk_check_guest() for given
 * devices, tk_check_guest_scan() for ids 1..max_id; test_check_guest()
 * asserts it), tk_setup_guest()/tk_teardown_guest() for the fixture every
 * test file starts from (int fd; struct vqnotify_info info; long host0),
 * the assertion helpers CHECK_COUNTS, EXPECT_RES, EXPECT_VQ, EXPECT_EV,
 * EXPECT_NO_EVENTS, and a seeded PRNG. Helpers that cannot assert report a
 * failure as -1 plus a reason in a struct tk_why.
 *
 * The generic netlink client is vqn_nl_utils.h, memory and snapshot helpers
 * for the hostile tests vqn_abuse_utils.h. Names never reuse libvqnotify's:
 * tests of the library link it and include its header instead.
 */
#ifndef _VQN_UTILS_H
#define _VQN_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vqnotify.h>
#include "kselftest_harness.h"

#define TK_DEV_PATH		"/dev/vqnotify"
/* ACKNOWLEDGE | DRIVER | FEATURES_OK, and the same with DRIVER_OK. */
#define TK_STATUS_FEATURES	0x0b
#define TK_STATUS_OK		(TK_STATUS_FEATURES | VQNOTIFY_STATUS_DRIVER_OK)
#define TK_BITMAP_WORDS(n)	(((n) + 63) / 64)
#define TK_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* Largest migration blob: header and two queue bitmaps. */
#define TK_BLOB_MAX		(32 + 2 * TK_BITMAP_WORDS(VQNOTIFY_MAX_QUEUES) * 8)

/* Shorthands for the state machine's names in expectations. */
#define DEASS	VQNOTIFY_VQ_DEASSIGNED
#define ASSIG	VQNOTIFY_VQ_ASSIGNED
#define OFFL	VQNOTIFY_VQ_OFFLIMITS
#define L(x)	VQNOTIFY_LABEL_##x
#define R(x)	VQNOTIFY_REASON_##x
#define INIT	VQNOTIFY_VQ_INITIALISED
#define WAIT	VQNOTIFY_VQ_WAITING

#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

/* Why a helper failed, for TH_LOG() or a child's report. */
struct tk_why {
	char msg[512];
};

static inline int tk_fail(struct tk_why *w, const char *fmt, ...)
	__printf(2, 3);
static inline int tk_fail(struct tk_why *w, const char *fmt, ...)
{
	va_list ap;

	if (w) {
		va_start(ap, fmt);
		vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The guest file */

static inline bool tk_present(void)
{
	return access(TK_DEV_PATH, F_OK) == 0;
}

/* A new guest: its fd, or -errno. @flags: extra open() flags. */
static inline int tk_open(int flags)
{
	int fd = open(TK_DEV_PATH, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/* Any command with a struct the caller built: 0 or -errno. */
static inline int _test_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

#define test_cmd_ioctl(cmd, arg) ASSERT_EQ(0, _test_ioctl(self->fd, cmd, arg))
#define test_err_ioctl(_errno, cmd, arg) \
	EXPECT_EQ(-(_errno), _test_ioctl(self->fd, cmd, arg))

/* VQNOTIFY_GET_INFO */
static inline int _test_ioctl_get_info(int fd, struct vqnotify_info *info)
{
	struct vqnotify_info i = { .size = sizeof(i) };
	int ret = _test_ioctl(fd, VQNOTIFY_GET_INFO, &i);

	if (!ret && info)
		*info = i;
	return ret;
}

#define test_cmd_get_info(info) \
	ASSERT_EQ(0, _test_ioctl_get_info(self->fd, info))
#define test_err_get_info(_errno, info) \
	EXPECT_EQ(-(_errno), _test_ioctl_get_info(self->fd, info))

/* Host-wide slots in use, or -errno. */
static inline long tk_host_used(int fd)
{
	struct vqnotify_info info;
	int ret = _test_ioctl_get_info(fd, &info);

	return ret ? ret : (long)info.host_used;
}

/* VQNOTIFY_GUEST_SET: @flags VQNOTIFY_GUEST_SET_*; @name may be NULL. */
static inline int _test_ioctl_guest_set(int fd, uint32_t flags,
					uint32_t budget, const char *name)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = flags,
		.budget = budget,
	};

	if (name)
		snprintf(gs.label, sizeof(gs.label), "%s", name);
	return _test_ioctl(fd, VQNOTIFY_GUEST_SET, &gs);
}

#define test_cmd_guest_set(flags, budget, name) \
	ASSERT_EQ(0, _test_ioctl_guest_set(self->fd, flags, budget, name))
#define test_err_guest_set(_errno, flags, budget, name) \
	EXPECT_EQ(-(_errno), \
		  _test_ioctl_guest_set(self->fd, flags, budget, name))

/* A budget comfortably above the threshold and reserve of @info. */
static inline uint32_t tk_budget_above(const struct vqnotify_info *info,
				       uint32_t extra)
{
	return info->threshold + info->vhost_reserve + extra;
}

/* GUEST_SET of the own budget alone (0: no own limit). */
static inline int _test_ioctl_set_budget(int fd, uint32_t budget)
{
	return _test_ioctl_guest_set(fd, VQNOTIFY_GUEST_SET_BUDGET, budget,
				     NULL);
}

#define test_cmd_set_budget(budget) \
	ASSERT_EQ(0, _test_ioctl_set_budget(self->fd, budget))
#define test_err_set_budget(_errno, budget) \
	EXPECT_EQ(-(_errno), _test_ioctl_set_budget(self->fd, budget))

/* GUEST_SET of the guest's name alone. */
static inline int _test_ioctl_set_name(int fd, const char *name)
{
	return _test_ioctl_guest_set(fd, VQNOTIFY_GUEST_SET_LABEL, 0, name);
}

#define test_cmd_set_name(name) \
	ASSERT_EQ(0, _test_ioctl_set_name(self->fd, name))
#define test_err_set_name(_errno, name) \
	EXPECT_EQ(-(_errno), _test_ioctl_set_name(self->fd, name))

/* VQNOTIFY_GUEST_GET */
static inline int _test_ioctl_guest_get(int fd, struct vqnotify_guest_info *gi)
{
	struct vqnotify_guest_info g = { .size = sizeof(g) };
	int ret = _test_ioctl(fd, VQNOTIFY_GUEST_GET, &g);

	if (!ret && gi)
		*gi = g;
	return ret;
}

#define test_cmd_guest_get(gi) \
	ASSERT_EQ(0, _test_ioctl_guest_get(self->fd, gi))
#define test_err_guest_get(_errno, gi) \
	EXPECT_EQ(-(_errno), _test_ioctl_guest_get(self->fd, gi))

/* VQNOTIFY_DEV_ADD: the new device's id in *@id; @name may be NULL. */
static inline int _test_ioctl_dev_add(int fd, uint32_t transport, uint32_t nq,
				      const char *name, uint32_t *id)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = transport,
		.num_queues = nq,
	};
	int ret;

	if (name)
		snprintf(da.label, sizeof(da.label), "%s", name);
	ret = _test_ioctl(fd, VQNOTIFY_DEV_ADD, &da);
	if (!ret && id)
		*id = da.out_dev_id;
	return ret;
}

#define test_cmd_dev_add(transport, nq, name, id) \
	ASSERT_EQ(0, _test_ioctl_dev_add(self->fd, transport, nq, name, id))
#define test_err_dev_add(_errno, transport, nq, name, id) \
	EXPECT_EQ(-(_errno), \
		  _test_ioctl_dev_add(self->fd, transport, nq, name, id))

/*
 * SET_STATUS, DEV_RESET, DEV_REMOVE (struct vqnotify_dev_op). @ready and
 * @res may be NULL; otherwise *@nr is the capacity of @res on entry and
 * the number of results on return.
 */
static inline int _test_ioctl_dev_op(int fd, unsigned long cmd, uint32_t id,
				     uint32_t status, const uint64_t *ready,
				     struct vqnotify_vq_result *res,
				     uint32_t *nr)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = id,
		.status = status,
		.ready = (uintptr_t)ready,
		.results = (uintptr_t)res,
		.nr_results = nr ? *nr : 0,
	};
	int ret = _test_ioctl(fd, cmd, &op);

	if (!ret && nr)
		*nr = op.nr_results;
	return ret;
}

/* VQNOTIFY_SET_STATUS */
static inline int _test_ioctl_set_status(int fd, uint32_t id, uint32_t status,
					 const uint64_t *ready,
					 struct vqnotify_vq_result *res,
					 uint32_t *nr)
{
	return _test_ioctl_dev_op(fd, VQNOTIFY_SET_STATUS, id, status, ready,
				  res, nr);
}

#define test_cmd_set_status(id, status, ready, res, nr) \
	ASSERT_EQ(0, _test_ioctl_set_status(self->fd, id, status, ready, \
					    res, nr))
#define test_err_set_status(_errno, id, status, ready, res, nr) \
	EXPECT_EQ(-(_errno), _test_ioctl_set_status(self->fd, id, status, \
						    ready, res, nr))

/* VQNOTIFY_DEV_RESET */
static inline int _test_ioctl_dev_reset(int fd, uint32_t id,
					struct vqnotify_vq_result *res,
					uint32_t *nr)
{
	return _test_ioctl_dev_op(fd, VQNOTIFY_DEV_RESET, id, 0, NULL, res,
				  nr);
}

#define test_cmd_dev_reset(id, res, nr) \
	ASSERT_EQ(0, _test_ioctl_dev_reset(self->fd, id, res, nr))
#define test_err_dev_reset(_errno, id, res, nr) \
	EXPECT_EQ(-(_errno), _test_ioctl_dev_reset(self->fd, id, res, nr))

/* VQNOTIFY_DEV_REMOVE */
static inline int _test_ioctl_dev_remove(int fd, uint32_t id,
					 struct vqnotify_vq_result *res,
					 uint32_t *nr)
{
	return _test_ioctl_dev_op(fd, VQNOTIFY_DEV_REMOVE, id, 0, NULL, res,
				  nr);
}

#define test_cmd_dev_remove(id, res, nr) \
	ASSERT_EQ(0, _test_ioctl_dev_remove(self->fd, id, res, nr))
#define test_err_dev_remove(_errno, id, res, nr) \
	EXPECT_EQ(-(_errno), _test_ioctl_dev_remove(self->fd, id, res, nr))

/* VQNOTIFY_SET_HOST_NOTIFIER: vhost takes (@enable) or returns a queue. */
static inline int _test_ioctl_host_notifier(int fd, uint32_t id,
					    uint32_t queue, bool enable,
					    struct vqnotify_vq_result *res)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = id,
		.queue = queue,
	};
	int ret = _test_ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn);

	if (!ret && res)
		*res = hn.result;
	return ret;
}

#define test_cmd_host_notifier(id, queue, enable, res) \
	ASSERT_EQ(0, _test_ioctl_host_notifier(self->fd, id, queue, enable, \
					       res))
#define test_err_host_notifier(_errno, id, queue, enable, res) \
	EXPECT_EQ(-(_errno), _test_ioctl_host_notifier(self->fd, id, queue, \
						       enable, res))

/* VQNOTIFY_QUEUE_GET */
static inline int _test_ioctl_queue_get(int fd, uint32_t id, uint32_t queue,
					struct vqnotify_vq_info *vi)
{
	struct vqnotify_queue_get qg = {
		.size = sizeof(qg),
		.dev_id = id,
		.queue = queue,
	};
	int ret = _test_ioctl(fd, VQNOTIFY_QUEUE_GET, &qg);

	if (!ret && vi)
		*vi = qg.info;
	return ret;
}

#define test_cmd_queue_get(id, queue, vi) \
	ASSERT_EQ(0, _test_ioctl_queue_get(self->fd, id, queue, vi))
#define test_err_queue_get(_errno, id, queue, vi) \
	EXPECT_EQ(-(_errno), _test_ioctl_queue_get(self->fd, id, queue, vi))

/* VQNOTIFY_DEV_GET into @dg, with up to @cap queue records in @vi (or NULL). */
static inline int _test_ioctl_dev_get(int fd, uint32_t id,
				      struct vqnotify_dev_get *dg,
				      struct vqnotify_vq_info *vi, uint32_t cap)
{
	struct vqnotify_dev_get d = {
		.size = sizeof(d),
		.dev_id = id,
		.queues = (uintptr_t)vi,
		.nr_queues = vi ? cap : 0,
	};
	int ret = _test_ioctl(fd, VQNOTIFY_DEV_GET, &d);

	if (dg)
		*dg = d;
	return ret;
}

#define test_cmd_dev_get(id, dg, vi, cap) \
	ASSERT_EQ(0, _test_ioctl_dev_get(self->fd, id, dg, vi, cap))
#define test_err_dev_get(_errno, id, dg, vi, cap) \
	EXPECT_EQ(-(_errno), _test_ioctl_dev_get(self->fd, id, dg, vi, cap))

/* VQNOTIFY_DEV_SAVE into @buf; *@len: capacity in, blob length out (also on EMSGSIZE). */
static inline int _test_ioctl_dev_save(int fd, uint32_t id, void *buf,
				       uint32_t *len)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = id,
		.len = *len,
		.data = (uintptr_t)buf,
	};
	int ret = _test_ioctl(fd, VQNOTIFY_DEV_SAVE, &m);

	if (!ret || ret == -EMSGSIZE)
		*len = m.len;
	return ret;
}

#define test_cmd_dev_save(id, buf, len) \
	ASSERT_EQ(0, _test_ioctl_dev_save(self->fd, id, buf, len))
#define test_err_dev_save(_errno, id, buf, len) \
	EXPECT_EQ(-(_errno), _test_ioctl_dev_save(self->fd, id, buf, len))

/* VQNOTIFY_DEV_LOAD of @len bytes at @buf; results as in _test_ioctl_dev_op. */
static inline int _test_ioctl_dev_load(int fd, uint32_t id, const void *buf,
				       uint32_t len,
				       struct vqnotify_vq_result *res,
				       uint32_t *nr)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = id,
		.len = len,
		.data = (uintptr_t)buf,
		.results = (uintptr_t)res,
		.nr_results = nr ? *nr : 0,
	};
	int ret = _test_ioctl(fd, VQNOTIFY_DEV_LOAD, &m);

	if (!ret && nr)
		*nr = m.nr_results;
	return ret;
}

#define test_cmd_dev_load(id, buf, len, res, nr) \
	ASSERT_EQ(0, _test_ioctl_dev_load(self->fd, id, buf, len, res, nr))
#define test_err_dev_load(_errno, id, buf, len, res, nr) \
	EXPECT_EQ(-(_errno), \
		  _test_ioctl_dev_load(self->fd, id, buf, len, res, nr))

/*
 * Read the events queued now, without blocking and without touching the
 * file's O_NONBLOCK flag: how many were read (up to @max), or -errno.
 */
static inline int tk_read_events(int fd, struct vqnotify_event *ev, int max)
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

/* Migration blobs */

#define TK_BLOB_CRC		12	/* offset of the __u32 checksum */

/* The kernel's crc32_le(@crc, p, len); a blob's is crc32_le(~0), no xor. */
static inline uint32_t tk_crc32_le(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;
	int k;

	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return crc;
}

/* The checksum a blob must carry: computed with its own field zeroed. */
static inline uint32_t tk_blob_crc(const uint8_t *blob, uint32_t len)
{
	uint8_t zero[4] = { 0 };
	uint32_t crc;

	if (len < TK_BLOB_CRC + 4)
		return 0;
	crc = tk_crc32_le(~0U, blob, TK_BLOB_CRC);
	crc = tk_crc32_le(crc, zero, 4);
	return tk_crc32_le(crc, blob + TK_BLOB_CRC + 4,
			   len - TK_BLOB_CRC - 4);
}

/* Re-seal a (mutated) blob with the checksum it must carry. */
static inline void tk_blob_reseal(uint8_t *blob, uint32_t len)
{
	uint32_t crc = tk_blob_crc(blob, len);

	if (len >= TK_BLOB_CRC + 4)
		memcpy(blob + TK_BLOB_CRC, &crc, 4);
}

/* The accounting invariant, checked from outside */

/* What the checker counted. */
struct tk_tally {
	uint32_t devices;
	uint32_t assigned;
	uint32_t offlimits;
	uint32_t waiting;
	uint32_t queues;
	uint32_t max_id;	/* highest device id found */
};

#define TK_UNSTABLE	(-2)	/* the guest changed during the check */

/*
 * Device @id of the guest @gi describes: a sane record, and every queue
 * consistent with its device, its guest and the state machine's rules.
 * Adds it to @t. Returns 0, 1 when there is no such device, else -1.
 */
static inline int tk_check_dev(int fd, uint32_t id,
			       const struct vqnotify_guest_info *gi,
			       struct tk_tally *t, struct tk_why *w)
{
	static __thread struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_dev_get dg;
	uint32_t q;
	int ret;

	ret = _test_ioctl_dev_get(fd, id, &dg, vi, VQNOTIFY_MAX_QUEUES);
	if (ret == -ENOENT)
		return 1;
	if (ret)
		return tk_fail(w, "DEV_GET %u: %s", id, strerror(-ret));
	if (dg.num_queues < 1 || dg.num_queues > VQNOTIFY_MAX_QUEUES ||
	    dg.nr_queues != dg.num_queues || dg.status > 0xff ||
	    dg.transport < VQNOTIFY_TRANSPORT_PIO ||
	    dg.transport > VQNOTIFY_TRANSPORT_CCW ||
	    !memchr(dg.label, 0, sizeof(dg.label)))
		return tk_fail(w, "DEV_GET %u: bad device record (nq %u nr %u status %#x transport %u)",
			       id, dg.num_queues, dg.nr_queues, dg.status,
			       dg.transport);
	t->devices++;
	t->max_id = id > t->max_id ? id : t->max_id;
	t->queues += dg.num_queues;
	for (q = 0; q < dg.num_queues; q++) {
		const struct vqnotify_vq_info *v = &vi[q];
		bool user = v->state == ASSIG || (v->flags & WAIT);

		if (v->state > OFFL || v->label >= L(MAX) ||
		    v->reason >= R(MAX) ||
		    v->flags & ~(INIT | WAIT | VQNOTIFY_VQ_PARKED))
			goto bad;
		if ((v->state == ASSIG) != (v->assign_seq != 0))
			goto bad;
		if ((v->flags & WAIT) && v->state != DEASS)
			goto bad;
		/* PARKED: exactly the ASSIGNED queues of a stopped guest. */
		if (!!(v->flags & VQNOTIFY_VQ_PARKED) !=
		    (v->state == ASSIG &&
		     gi->run_state == VQNOTIFY_RUN_STOPPED))
			goto bad;
		/* Userspace holds (or waits for) initialised queues only
		 * (SET_STATUS or QUEUES_ACQUIRE made them so), and none
		 * while the guest is limited.
		 */
		if (user && !(v->flags & INIT))
			goto bad;
		if (v->state == ASSIG && gi->budget < gi->threshold)
			goto bad;
		t->assigned += v->state == ASSIG;
		t->offlimits += v->state == OFFL;
		t->waiting += !!(v->flags & WAIT);
		continue;
bad:
		return tk_fail(w, "dev %u (status %#x) q %u: state %u reason %u label %u flags %#x seq %u",
			       id, dg.status, q, v->state, v->reason, v->label,
			       v->flags, v->assign_seq);
	}
	return 0;
}

/* The guest's own counters and flags, and against the queues counted. */
static inline int tk_check_counters(const struct vqnotify_guest_info *gi,
				    const struct tk_tally *t,
				    struct tk_why *w)
{
	if (gi->used != gi->nr_assigned + gi->nr_offlimits)
		return tk_fail(w, "guest %u: used %u != assigned %u + offlimits %u",
			       gi->guest_id, gi->used, gi->nr_assigned,
			       gi->nr_offlimits);
	if ((gi->used > gi->budget) !=
	    !!(gi->out_flags & VQNOTIFY_GUEST_OVER_BUDGET))
		return tk_fail(w, "guest %u: used %u budget %u but out_flags %#x",
			       gi->guest_id, gi->used, gi->budget,
			       gi->out_flags);
	if ((gi->budget < gi->threshold) !=
	    !!(gi->out_flags & VQNOTIFY_GUEST_LIMITED))
		return tk_fail(w, "guest %u: budget %u threshold %u but out_flags %#x",
			       gi->guest_id, gi->budget, gi->threshold,
			       gi->out_flags);
	if (t->devices != gi->nr_devices || t->assigned != gi->nr_assigned ||
	    t->offlimits != gi->nr_offlimits || t->waiting != gi->nr_waiting)
		return tk_fail(w, "guest %u: counters devices %u assigned %u offlimits %u waiting %u, queues say %u %u %u %u",
			       gi->guest_id, gi->nr_devices, gi->nr_assigned,
			       gi->nr_offlimits, gi->nr_waiting, t->devices,
			       t->assigned, t->offlimits, t->waiting);
	return 0;
}

/*
 * The invariant of a guest whose devices are exactly @ids: 0, or -1 and
 * why. For a guest nobody else changes meanwhile.
 */
static inline int tk_check_guest(int fd, const uint32_t *ids, int nids,
				 struct tk_why *w)
{
	struct vqnotify_guest_info gi;
	struct tk_tally t = { 0 };
	int i, ret;

	ret = _test_ioctl_guest_get(fd, &gi);
	if (ret)
		return tk_fail(w, "GUEST_GET: %s", strerror(-ret));
	for (i = 0; i < nids; i++) {
		ret = tk_check_dev(fd, ids[i], &gi, &t, w);
		if (ret > 0)
			return tk_fail(w, "device %u is gone", ids[i]);
		if (ret)
			return ret;
	}
	return tk_check_counters(&gi, &t, w);
}

/*
 * The same for whatever devices ids 1..@max_id hold, what they add up to
 * in @t (may be NULL). TK_UNSTABLE (and why) when the guest's counters
 * moved during the scan: someone else used it.
 */
static inline int tk_check_guest_scan(int fd, uint32_t max_id,
				      struct tk_tally *t, struct tk_why *w)
{
	struct vqnotify_guest_info gi, gi2;
	struct tk_tally tl = { 0 };
	uint32_t id;
	int ret;

	ret = _test_ioctl_guest_get(fd, &gi);
	if (ret)
		return tk_fail(w, "GUEST_GET: %s", strerror(-ret));
	for (id = 1; id <= max_id && id; id++) {
		/* Cheap probe first: most ids of a long run are free. */
		ret = _test_ioctl_dev_get(fd, id, NULL, NULL, 0);
		if (ret == -ENOENT)
			continue;
		ret = tk_check_dev(fd, id, &gi, &tl, w);
		if (ret < 0)
			return ret;
	}
	ret = _test_ioctl_guest_get(fd, &gi2);
	if (ret)
		return tk_fail(w, "GUEST_GET: %s", strerror(-ret));
	if (memcmp(&gi, &gi2, sizeof(gi))) {
		tk_fail(w, "guest %u changed during the scan", gi.guest_id);
		return TK_UNSTABLE;
	}
	ret = tk_check_counters(&gi, &tl, w);
	if (!ret && t)
		*t = tl;
	return ret;
}

#define test_check_guest(fd, ids, n) do {				\
	struct tk_why _why;						\
	ASSERT_EQ(0, tk_check_guest(fd, ids, n, &_why))		\
		TH_LOG("invariant: %s", _why.msg);			\
} while (0)

/* Fixtures */

/*
 * The tests adapt to the module's threshold, reserve and budget, but need
 * room: a default budget well above threshold + reserve, and host slots.
 * A host config left shrunk by an earlier program would make them fail
 * for no fault of the module; say so plainly instead.
 */
#define TK_ASSERT_CONFIG_USABLE(i)					\
	ASSERT_TRUE((i)->default_budget >= (i)->threshold +		\
		    (i)->vhost_reserve + 128 &&				\
		    (i)->host_cap >= (i)->host_used + 2048)		\
		TH_LOG("host config unusable (left by an earlier test?): "	\
		       "threshold %u reserve %u default budget %u host cap %u used %u", \
		       (i)->threshold, (i)->vhost_reserve,		\
		       (i)->default_budget, (i)->host_cap, (i)->host_used)

/*
 * The start of most fixtures, whose data begin with
 *	int fd; struct vqnotify_info info; long host0;
 * Skips without the module; opens a guest into self->fd, its GET_INFO into
 * self->info and the host-wide slots in use into self->host0.
 */
#define tk_setup_guest(self) do {					\
	(self)->fd = -1;						\
	if (!tk_present())						\
		SKIP(return, "%s not present (module not loaded)",	\
		     TK_DEV_PATH);					\
	(self)->fd = tk_open(0);					\
	ASSERT_LE(0, (self)->fd) TH_LOG("open: %s", strerror(-(self)->fd)); \
	ASSERT_EQ(0, _test_ioctl_get_info((self)->fd, &(self)->info));	\
	TK_ASSERT_CONFIG_USABLE(&(self)->info);				\
	(self)->host0 = (self)->info.host_used;				\
} while (0)

#define tk_teardown_guest(self) do {					\
	if ((self)->fd >= 0)						\
		close((self)->fd);					\
} while (0)

/* Slots this guest added host-wide since tk_setup_guest(). */
#define HOST_DELTA() (tk_host_used(self->fd) - self->host0)

/* Expectations with the caller's line in the log */

/* counts[] index of a label letter as used in CHECK_COUNTS() specs. */
static inline int tk_label_index(char c)
{
	static const char letters[] = "abcdefgprs";
	const char *p = strchr(letters, c);

	return p && c ? L(A) + (int)(p - letters) : -1;
}

/*
 * The guest's counts[] must be exactly @fmt: "a4 b2" means four (a), two
 * (b) and zero of every other label.
 */
static inline void __printf(4, 5)
tk_check_counts(struct __test_metadata *_metadata, int line, int fd,
		const char *fmt, ...)
{
	static const char *const names[VQNOTIFY_NR_COUNTERS] = {
		"NONE", "a", "b", "c", "d", "e", "f", "g", "p", "r", "s",
	};
	uint64_t want[VQNOTIFY_NR_COUNTERS] = {};
	struct vqnotify_guest_info gi;
	char spec[128], *p = spec;
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	while (*p) {
		char *end;

		if (*p == ' ') {
			p++;
			continue;
		}
		i = tk_label_index(*p++);
		ASSERT_LE(0, i) TH_LOG("bad counts spec '%s'", spec);
		want[i] = strtoull(p, &end, 10);
		p = end;
	}
	ASSERT_EQ(0, _test_ioctl_guest_get(fd, &gi));
	for (i = 0; i < VQNOTIFY_NR_COUNTERS; i++)
		EXPECT_EQ(want[i], gi.counts[i])
			TH_LOG("line %d: counts[%s], want '%s'", line,
			       i < L(MAX) ? names[i] : "?", spec);
}

#define CHECK_COUNTS(fd, ...) \
	tk_check_counts(_metadata, __LINE__, fd, __VA_ARGS__)

static inline void tk_expect_res(struct __test_metadata *_metadata, int line,
				 const struct vqnotify_vq_result *r,
				 unsigned int q, unsigned int os,
				 unsigned int ns, unsigned int lb,
				 unsigned int rs)
{
	EXPECT_EQ(q, r->queue) TH_LOG("line %d", line);
	EXPECT_EQ(os, (unsigned int)r->old_state)
		TH_LOG("line %d: queue %u old_state", line, q);
	EXPECT_EQ(ns, (unsigned int)r->new_state)
		TH_LOG("line %d: queue %u new_state", line, q);
	EXPECT_EQ(lb, (unsigned int)r->label)
		TH_LOG("line %d: queue %u label", line, q);
	EXPECT_EQ(rs, (unsigned int)r->reason)
		TH_LOG("line %d: queue %u reason", line, q);
}

/* A result: queue, old state, new state, label, reason. */
#define EXPECT_RES(r, q, os, ns, lb, rs) \
	tk_expect_res(_metadata, __LINE__, &(r), q, os, ns, lb, rs)

static inline struct vqnotify_vq_info
tk_expect_vq(struct __test_metadata *_metadata, int line, int fd, uint32_t id,
	     uint32_t q, unsigned int st, unsigned int rs, unsigned int lb)
{
	struct vqnotify_vq_info vi = {};

	EXPECT_EQ(0, _test_ioctl_queue_get(fd, id, q, &vi))
		TH_LOG("line %d: QUEUE_GET dev %u queue %u", line, id, q);
	EXPECT_EQ(st, (unsigned int)vi.state)
		TH_LOG("line %d: dev %u queue %u state", line, id, q);
	EXPECT_EQ(rs, (unsigned int)vi.reason)
		TH_LOG("line %d: dev %u queue %u reason", line, id, q);
	EXPECT_EQ(lb, (unsigned int)vi.label)
		TH_LOG("line %d: dev %u queue %u label", line, id, q);
	/* assign_seq is set exactly while ASSIGNED. */
	EXPECT_EQ(st == ASSIG, vi.assign_seq != 0)
		TH_LOG("line %d: dev %u queue %u assign_seq %u", line, id, q,
		       vi.assign_seq);
	return vi;
}

/* A queue from QUEUE_GET: state, reason, label; returns the info. */
#define EXPECT_VQ(fd, id, q, st, rs, lb) \
	tk_expect_vq(_metadata, __LINE__, fd, id, q, st, rs, lb)

static inline void tk_expect_ev(struct __test_metadata *_metadata, int line,
				const struct vqnotify_event *e, uint32_t dev,
				uint32_t q, unsigned int os, unsigned int ns,
				unsigned int lb, unsigned int rs)
{
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, e->type)
		TH_LOG("line %d: event seq %llu", line,
		       (unsigned long long)e->seq);
	EXPECT_EQ(dev, e->dev_id) TH_LOG("line %d", line);
	EXPECT_EQ(q, e->queue) TH_LOG("line %d", line);
	EXPECT_EQ(os, (unsigned int)e->old_state) TH_LOG("line %d", line);
	EXPECT_EQ(ns, (unsigned int)e->new_state) TH_LOG("line %d", line);
	EXPECT_EQ(lb, (unsigned int)e->label) TH_LOG("line %d", line);
	EXPECT_EQ(rs, (unsigned int)e->reason) TH_LOG("line %d", line);
	EXPECT_EQ(0U, e->value) TH_LOG("line %d", line);
	EXPECT_EQ(0U, e->__reserved) TH_LOG("line %d", line);
}

/* An event: device, queue, old state, new state, label, reason. */
#define EXPECT_EV(e, dev, q, os, ns, lb, rs) \
	tk_expect_ev(_metadata, __LINE__, &(e), dev, q, os, ns, lb, rs)

/* No event may be queued. */
#define EXPECT_NO_EVENTS(fd) do {					\
	struct vqnotify_event _e;					\
	EXPECT_EQ(0, tk_read_events(fd, &_e, 1))			\
		TH_LOG("unexpected event seq %llu type %u label %u",	\
		       (unsigned long long)_e.seq, _e.type, _e.label);	\
} while (0)

#endif /* _VQN_UTILS_H */
