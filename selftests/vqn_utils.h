/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_utils.h: the selftests' toolkit for /dev/vqnotify, on the pattern of
 * the kernel's tools/testing/selftests/iommu/iommufd_utils.h. A test
 * includes this header (and vqn_nl_utils.h for netlink, vqn_abuse_utils.h
 * for hostile tests); the harness comes with it.
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
 * X is get_info; guest_set, and set_budget, set_label (API 1), set_name
 * and set_run_state (API 2) for one field; guest_get; dev_add (v1 label)
 * and dev_add_flags (VQNOTIFY_DEV_ADD_NAME); set_status, dev_reset,
 * dev_remove (_test_ioctl_dev_op for any of them); host_notifier;
 * queue_get; dev_get; dev_save; dev_load; and API 2's queues_acquire,
 * queues_release, host_notifiers (_test_ioctl_queues for any of them).
 * _test_ioctl() takes any struct the caller built; TK_IOCTL_ARG_MEMBERS
 * lists every argument struct for a union.
 * Beside them: tk_open() (a guest, or -errno), tk_host_used(),
 * tk_read_events() (what is queued, without blocking), tk_crc32_le() and
 * tk_blob_reseal() for migration blobs.
 *
 * vqn_check_utils.h (included at the end) adds the one invariant checker
 * (tk_check_guest() for given devices, tk_check_guest_scan() for ids
 * 1..max_id; test_check_guest() asserts it), the fixtures
 * (TK_GUEST_FIXTURE(name), or tk_setup_guest(self) for a fixture that
 * starts with int fd; struct vqnotify_info info; long host0;), and the
 * expectations that log the caller's line: CHECK_COUNTS, EXPECT_RES,
 * EXPECT_VQ, EXPECT_MOVED (both), EXPECT_WAITING (a queue refused at
 * DRIVER_OK), EXPECT_GUEST (slots, host delta and counts), EXPECT_EV,
 * EXPECT_NO_EVENTS, EXPECT_NO_CHANGE and EXPECT_GUEST_UNCHANGED (on the
 * one snapshot of a guest, struct tk_snap: every queue of every device),
 * plus tk_busy_dev(), tk_save_blob() and
 * tk_expect_same_dev(). Helpers that cannot assert report a failure as -1
 * plus a reason in a struct tk_why.
 *
 * Names never reuse libvqnotify's (vqn_*): tests of the library link it
 * and use vqn_lib_utils.h instead.
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

/* CLOCK_MONOTONIC in seconds: the tests' deadlines and durations. */
static inline double tk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The guest file */

static inline bool tk_present(void)
{
	return access(TK_DEV_PATH, F_OK) == 0;
}

/*
 * Write @val to the file at @path (sysfs, debugfs, tracefs, cgroupfs, /proc),
 * as `echo -n val > path` does, truncating it (which empties tracefs's
 * "trace"): 0, or -errno (-EIO for a short write).
 */
static inline int tk_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Read the file at @path into @buf, at most @len - 1 bytes, NUL-terminated:
 * 0, or -errno.
 */
static inline int tk_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = 0;
	return 0;
}

/*
 * The number on the first line of the file at @path that matches @fmt (a
 * sscanf() format with one %ld, e.g. "kernel %ld" for memory.stat), or -1
 * when the file cannot be read or no line matches.
 */
static inline long tk_file_long(const char *path, const char *fmt)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	return v;
}

/* A new guest: its fd, or -errno. @flags: extra open() flags. */
static inline int tk_open(int flags)
{
	int fd = open(TK_DEV_PATH, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/*
 * Every ioctl's argument struct, named as in the tests, for a union of the
 * caller's: union { TK_IOCTL_ARG_MEMBERS; uint8_t b[...]; } u;
 */
#define TK_IOCTL_ARG_MEMBERS						\
	struct vqnotify_info info;					\
	struct vqnotify_guest_set gs;					\
	struct vqnotify_guest_info gi;					\
	struct vqnotify_dev_add da;					\
	struct vqnotify_dev_op op;					\
	struct vqnotify_host_notifier hn;				\
	struct vqnotify_queue_get qg;					\
	struct vqnotify_dev_get dg;					\
	struct vqnotify_migration mg;					\
	struct vqnotify_queues qs

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

	if (info)
		*info = i;
	return ret;
}

#define test_cmd_get_info(info) \
	ASSERT_EQ(0, _test_ioctl_get_info(self->fd, info))

/* Host-wide slots in use, or -errno. */
static inline long tk_host_used(int fd)
{
	struct vqnotify_info info;
	int ret = _test_ioctl_get_info(fd, &info);

	return ret ? ret : (long)info.host_used;
}

/*
 * VQNOTIFY_GUEST_SET: @flags VQNOTIFY_GUEST_SET_*; @name (may be NULL)
 * goes to the v1 label with VQNOTIFY_GUEST_SET_LABEL, else to the API 2
 * name; @run_state is enum vqnotify_run_state.
 */
static inline int _test_ioctl_guest_set(int fd, uint32_t flags,
					uint32_t budget, uint32_t run_state,
					const char *name)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = flags,
		.budget = budget,
		.run_state = run_state,
	};

	if (name && (flags & VQNOTIFY_GUEST_SET_LABEL))
		snprintf(gs.label, sizeof(gs.label), "%s", name);
	else if (name)
		snprintf(gs.name, sizeof(gs.name), "%s", name);
	return _test_ioctl(fd, VQNOTIFY_GUEST_SET, &gs);
}

#define test_cmd_guest_set(flags, budget, run_state, name) \
	ASSERT_EQ(0, _test_ioctl_guest_set(self->fd, flags, budget, \
					   run_state, name))

/* A budget comfortably above the threshold and reserve of @info. */
static inline uint32_t tk_budget_above(const struct vqnotify_info *info,
				       uint32_t extra)
{
	return info->threshold + info->vhost_reserve + extra;
}

/* GUEST_SET of the own budget alone (0: no own limit). */
static inline int _test_ioctl_set_budget(int fd, uint32_t budget)
{
	return _test_ioctl_guest_set(fd, VQNOTIFY_GUEST_SET_BUDGET, budget, 0,
				     NULL);
}

#define test_cmd_set_budget(budget) \
	ASSERT_EQ(0, _test_ioctl_set_budget(self->fd, budget))

/* GUEST_SET of the guest's v1 label alone (at most 31 bytes). */
static inline int _test_ioctl_set_label(int fd, const char *label)
{
	return _test_ioctl_guest_set(fd, VQNOTIFY_GUEST_SET_LABEL, 0, 0,
				     label);
}

#define test_cmd_set_label(label) \
	ASSERT_EQ(0, _test_ioctl_set_label(self->fd, label))

/* GUEST_SET of the guest's name alone (API 2: VQNOTIFY_NAME_LEN). */
static inline int _test_ioctl_set_name(int fd, const char *name)
{
	return _test_ioctl_guest_set(fd, VQNOTIFY_GUEST_SET_NAME, 0, 0, name);
}

#define test_cmd_set_name(name) \
	ASSERT_EQ(0, _test_ioctl_set_name(self->fd, name))

/* GUEST_SET of the run state alone (API 2): VQNOTIFY_RUN_*. */
static inline int _test_ioctl_set_run_state(int fd, uint32_t run_state)
{
	return _test_ioctl_guest_set(fd, VQNOTIFY_GUEST_SET_RUN_STATE, 0,
				     run_state, NULL);
}

#define test_cmd_set_run_state(run_state) \
	ASSERT_EQ(0, _test_ioctl_set_run_state(self->fd, run_state))

/* VQNOTIFY_GUEST_GET */
static inline int _test_ioctl_guest_get(int fd, struct vqnotify_guest_info *gi)
{
	struct vqnotify_guest_info g = { .size = sizeof(g) };
	int ret = _test_ioctl(fd, VQNOTIFY_GUEST_GET, &g);

	if (gi)
		*gi = g;
	return ret;
}

#define test_cmd_guest_get(gi) \
	ASSERT_EQ(0, _test_ioctl_guest_get(self->fd, gi))

/*
 * VQNOTIFY_DEV_ADD with @flags (0 or VQNOTIFY_DEV_ADD_NAME); @name (may be
 * NULL) goes to the API 2 name with VQNOTIFY_DEV_ADD_NAME, else to the v1
 * label (at most 31 bytes). The new device's id in *@id.
 */
static inline int _test_ioctl_dev_add_flags(int fd, uint32_t flags,
					    uint32_t transport, uint32_t nq,
					    const char *name, uint32_t *id)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.flags = flags,
		.transport = transport,
		.num_queues = nq,
	};
	int ret;

	if (name && (flags & VQNOTIFY_DEV_ADD_NAME))
		snprintf(da.name, sizeof(da.name), "%s", name);
	else if (name)
		snprintf(da.label, sizeof(da.label), "%s", name);
	ret = _test_ioctl(fd, VQNOTIFY_DEV_ADD, &da);
	if (!ret && id)
		*id = da.out_dev_id;
	return ret;
}

#define test_cmd_dev_add_flags(flags, transport, nq, name, id) \
	ASSERT_EQ(0, _test_ioctl_dev_add_flags(self->fd, flags, transport, \
					       nq, name, id))
#define test_err_dev_add_flags(_errno, flags, transport, nq, name, id) \
	EXPECT_EQ(-(_errno), _test_ioctl_dev_add_flags(self->fd, flags, \
						       transport, nq, name, \
						       id))

/* VQNOTIFY_DEV_ADD with a v1 label (@name may be NULL). */
static inline int _test_ioctl_dev_add(int fd, uint32_t transport, uint32_t nq,
				      const char *name, uint32_t *id)
{
	return _test_ioctl_dev_add_flags(fd, 0, transport, nq, name, id);
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

/*
 * The per-queue calls of API 2 (struct vqnotify_queues): QUEUES_ACQUIRE,
 * QUEUES_RELEASE, SET_HOST_NOTIFIERS on the queues whose bits are set in
 * @bm (@nbits bits, TK_BITMAP_WORDS(@nbits) words). @res may be NULL;
 * otherwise *@nr is its capacity on entry and the number of results on
 * return.
 */
static inline int _test_ioctl_queues(int fd, unsigned long cmd,
				     uint32_t flags, uint32_t id,
				     const uint64_t *bm, uint32_t nbits,
				     struct vqnotify_vq_result *res,
				     uint32_t *nr)
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
	int ret = _test_ioctl(fd, cmd, &q);

	if (!ret && nr)
		*nr = q.nr_results;
	return ret;
}

/* VQNOTIFY_QUEUES_ACQUIRE: (q) for each listed queue. */
static inline int _test_ioctl_queues_acquire(int fd, uint32_t id,
					     const uint64_t *bm,
					     uint32_t nbits,
					     struct vqnotify_vq_result *res,
					     uint32_t *nr)
{
	return _test_ioctl_queues(fd, VQNOTIFY_QUEUES_ACQUIRE, 0, id, bm,
				  nbits, res, nr);
}

#define test_cmd_queues_acquire(id, bm, nbits, res, nr) \
	ASSERT_EQ(0, _test_ioctl_queues_acquire(self->fd, id, bm, nbits, \
						res, nr))

/* VQNOTIFY_QUEUES_RELEASE: (x); @flags VQNOTIFY_QUEUES_KVM_REFUSED/RESET. */
static inline int _test_ioctl_queues_release(int fd, uint32_t flags,
					     uint32_t id, const uint64_t *bm,
					     uint32_t nbits,
					     struct vqnotify_vq_result *res,
					     uint32_t *nr)
{
	return _test_ioctl_queues(fd, VQNOTIFY_QUEUES_RELEASE, flags, id, bm,
				  nbits, res, nr);
}

#define test_cmd_queues_release(flags, id, bm, nbits, res, nr) \
	ASSERT_EQ(0, _test_ioctl_queues_release(self->fd, flags, id, bm, \
						nbits, res, nr))

/* VQNOTIFY_SET_HOST_NOTIFIERS: vhost takes (@enable) or returns a batch. */
static inline int _test_ioctl_host_notifiers(int fd, uint32_t id,
					     const uint64_t *bm,
					     uint32_t nbits, bool enable,
					     struct vqnotify_vq_result *res,
					     uint32_t *nr)
{
	return _test_ioctl_queues(fd, VQNOTIFY_SET_HOST_NOTIFIERS,
				  enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
				  id, bm, nbits, res, nr);
}

#define test_cmd_host_notifiers(id, bm, nbits, enable, res, nr) \
	ASSERT_EQ(0, _test_ioctl_host_notifiers(self->fd, id, bm, nbits, \
						enable, res, nr))
#define test_err_host_notifiers(_errno, id, bm, nbits, enable, res, nr) \
	EXPECT_EQ(-(_errno), _test_ioctl_host_notifiers(self->fd, id, bm, \
							nbits, enable, res, \
							nr))

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

/* The invariant checker, fixtures and expectations */
#include "vqn_check_utils.h"

#endif /* _VQN_UTILS_H */
