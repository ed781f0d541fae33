/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_check_utils.h: part of the toolkit, included by vqn_utils.h (include
 * that): the one invariant checker, the common fixture setup and the
 * expectations that log the caller's line.
 */
#ifndef _VQN_CHECK_UTILS_H
#define _VQN_CHECK_UTILS_H

#include "vqn_utils.h"

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
	int ret, bad = 0;

	ret = _test_ioctl_guest_get(fd, &gi);
	if (ret)
		return tk_fail(w, "GUEST_GET: %s", strerror(-ret));
	for (id = 1; id <= max_id && id; id++) {
		/* Cheap probe first: most ids of a long run are free. */
		ret = _test_ioctl_dev_get(fd, id, NULL, NULL, 0);
		if (ret == -ENOENT)
			continue;
		bad = tk_check_dev(fd, id, &gi, &tl, w);
		if (bad < 0)
			break;
	}
	if (bad < 0) {
		/*
		 * A queue checked against a guest record that has changed
		 * since (the promotion work moved a queue, another process
		 * changed the host's settings) is no evidence: unstable.
		 */
		if (!_test_ioctl_guest_get(fd, &gi2) &&
		    memcmp(&gi, &gi2, sizeof(gi)))
			return TK_UNSTABLE;
		return bad;
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

/*
 * tk_check_guest_scan() once the guest holds still: other guests' calls
 * may free host slots, and the promotion work then moves this guest's
 * waiting queues (r) while it is scanned (TK_UNSTABLE). Given 10 s, as
 * the tests give the promotion work, which serves every guest in turn.
 */
static inline int tk_check_guest_settled(int fd, uint32_t max_id,
					 struct tk_why *w)
{
	double end = tk_now() + 10;
	int ret;

	for (;;) {
		ret = tk_check_guest_scan(fd, max_id, NULL, w);
		if (ret != TK_UNSTABLE || tk_now() >= end)
			return ret;
		usleep(10000);
	}
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

/* A fixture @name with a guest of its own and nothing else. */
#define TK_GUEST_FIXTURE(name)						\
	FIXTURE(name) {							\
		int fd;							\
		struct vqnotify_info info;				\
		long host0;						\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		tk_setup_guest(self);					\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		tk_teardown_guest(self);				\
	}

/* A device with queues 0-3 ASSIGNED and 4 OFFLIMITS; 8 queues. */
static inline uint32_t tk_busy_dev(struct __test_metadata *_metadata, int fd)
{
	uint32_t id;

	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 8, "busy",
					 &id));
	ASSERT_EQ(0, _test_ioctl_set_status(fd, id, TK_STATUS_OK,
					    (uint64_t []){ 0x1f }, NULL, NULL));
	ASSERT_EQ(0, _test_ioctl_host_notifier(fd, id, 4, true, NULL));
	return id;
}

/*
 * Migration blobs. The format is the module's business; the tests that
 * forge a blob with a valid CRC (to reach the checks behind the CRC) use
 * this header layout and first check that it still matches what SAVE
 * produced.
 */
#define TK_BLOB_BUF		1024	/* room for any blob */
#define TK_BLOB_MAGIC		0
#define TK_BLOB_VERSION		4
#define TK_BLOB_TOTAL_LEN	8	/* offset of the __u32 blob length */
#define TK_BLOB_HDR_LEN		32

/* A forged blob says it is @len bytes long, and is sealed for them. */
static inline void tk_blob_seal_len(uint8_t *blob, uint32_t len)
{
	memcpy(blob + TK_BLOB_TOTAL_LEN, &len, 4);
	tk_blob_reseal(blob, len);
}

/* SAVE device @id into @blob (TK_BLOB_BUF bytes): the blob's length. */
static inline uint32_t tk_save_blob(struct __test_metadata *_metadata, int fd,
				    uint32_t id, uint8_t *blob)
{
	uint32_t len = TK_BLOB_BUF;

	ASSERT_EQ(0, _test_ioctl_dev_save(fd, id, blob, &len));
	ASSERT_LT((uint32_t)TK_BLOB_HDR_LEN, len);
	ASSERT_GE((uint32_t)TK_BLOB_BUF, len);
	return len;
}

/* Status and per-queue state, reason and flags of two devices agree. */
static inline void tk_expect_same_dev(struct __test_metadata *_metadata,
				      int fd1, uint32_t id1, int fd2,
				      uint32_t id2)
{
	static struct vqnotify_vq_info v1[VQNOTIFY_MAX_QUEUES],
		v2[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_dev_get d1, d2;
	uint32_t q;

	ASSERT_EQ(0, _test_ioctl_dev_get(fd1, id1, &d1, v1,
					 VQNOTIFY_MAX_QUEUES));
	ASSERT_EQ(0, _test_ioctl_dev_get(fd2, id2, &d2, v2,
					 VQNOTIFY_MAX_QUEUES));
	EXPECT_EQ(d1.status, d2.status);
	EXPECT_EQ(d1.transport, d2.transport);
	ASSERT_EQ(d1.num_queues, d2.num_queues);
	for (q = 0; q < d1.num_queues; q++) {
		EXPECT_EQ(v1[q].state, v2[q].state) TH_LOG("queue %u", q);
		EXPECT_EQ(v1[q].reason, v2[q].reason) TH_LOG("queue %u", q);
		EXPECT_EQ(v1[q].flags, v2[q].flags) TH_LOG("queue %u", q);
	}
}

/*
 * Everything ioctls show of a guest, for "a call that fails changes
 * nothing": GUEST_GET (counters, nr_waiting, budget, label...), DEV_GET of
 * each device with every one of its queues (state, reason, label, flags,
 * assign_seq), and the host-wide count. Only what is compared here may be
 * trusted unchanged: no device or queue is left out.
 */
struct tk_snap_dev {
	uint32_t id;
	int ret;	/* DEV_GET's: an absent device stays absent */
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info *vi;
};

struct tk_snap {
	struct vqnotify_guest_info gi;
	long host_used;
	uint32_t ndev;
	struct tk_snap_dev *dev;
};

static inline void tk_snap_free(struct tk_snap *s)
{
	for (uint32_t i = 0; i < s->ndev; i++)
		free(s->dev[i].vi);
	free(s->dev);
	memset(s, 0, sizeof(*s));
}

/* Device @id, all its queues; 0, or -errno of anything but DEV_GET. */
static inline int tk_snap_dev_take(int fd, uint32_t id, struct tk_snap_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->vi = calloc(VQNOTIFY_MAX_QUEUES, sizeof(*d->vi));
	if (!d->vi)
		return -ENOMEM;
	d->ret = _test_ioctl_dev_get(fd, id, &d->dg, d->vi,
				     VQNOTIFY_MAX_QUEUES);
	d->dg.queues = 0;	/* where this copy lives */
	if (d->ret)
		memset(&d->dg, 0, sizeof(d->dg));
	return 0;
}

static inline int tk_snap_guest(int fd, uint32_t max_dev, struct tk_snap *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = _test_ioctl_guest_get(fd, &s->gi);
	if (ret)
		return ret;
	s->host_used = tk_host_used(fd);
	s->dev = calloc(max_dev + 1, sizeof(*s->dev));
	return s->dev ? 0 : -ENOMEM;
}

/* The guest, and the devices @ids[0..n-1] (absent ones too: ENOENT). */
static inline int tk_snap_take_ids(int fd, const uint32_t *ids, int n,
				   struct tk_snap *s)
{
	int ret = tk_snap_guest(fd, n, s);

	for (int i = 0; !ret && i < n; i++)
		ret = tk_snap_dev_take(fd, ids[i], &s->dev[s->ndev++]);
	return ret;
}

/* The guest, and every device it has with an id in 1..max_id. */
static inline int tk_snap_take(int fd, uint32_t max_id, struct tk_snap *s)
{
	int ret = tk_snap_guest(fd, max_id, s);

	for (uint32_t id = 1; !ret && id <= max_id; id++) {
		struct tk_snap_dev *d = &s->dev[s->ndev];

		ret = tk_snap_dev_take(fd, id, d);
		if (ret)
			break;
		if (d->ret == -ENOENT) {
			free(d->vi);
			continue;
		}
		ret = d->ret;
		s->ndev++;
	}
	return ret;
}

/*
 * 0 when @a and @b are the same (the host-wide count too when @host), else
 * -1 and the first difference.
 */
static inline int tk_snap_cmp_host(const struct tk_snap *a,
				   const struct tk_snap *b, bool host,
				   struct tk_why *w)
{
	const struct vqnotify_guest_info *x = &a->gi, *y = &b->gi;

	if (x->used != y->used || x->nr_assigned != y->nr_assigned ||
	    x->nr_offlimits != y->nr_offlimits ||
	    x->nr_waiting != y->nr_waiting || x->nr_devices != y->nr_devices ||
	    x->budget != y->budget || x->out_flags != y->out_flags)
		return tk_fail(w, "guest: used %u/%u assigned %u/%u offlimits %u/%u waiting %u/%u devices %u/%u budget %u/%u flags %#x/%#x",
			       x->used, y->used, x->nr_assigned,
			       y->nr_assigned, x->nr_offlimits,
			       y->nr_offlimits, x->nr_waiting, y->nr_waiting,
			       x->nr_devices, y->nr_devices, x->budget,
			       y->budget, x->out_flags, y->out_flags);
	for (int l = 0; l < VQNOTIFY_NR_COUNTERS; l++)
		if (x->counts[l] != y->counts[l])
			return tk_fail(w, "guest: counts[%d] %llu then %llu", l,
				       (unsigned long long)x->counts[l],
				       (unsigned long long)y->counts[l]);
	if (memcmp(x, y, sizeof(*x)))
		return tk_fail(w, "guest: GUEST_GET differs (label '%s'/'%s')",
			       x->label, y->label);
	if (host && a->host_used != b->host_used)
		return tk_fail(w, "host_used %ld then %ld", a->host_used,
			       b->host_used);
	if (a->ndev != b->ndev)
		return tk_fail(w, "%u devices, then %u", a->ndev, b->ndev);
	for (uint32_t i = 0; i < a->ndev; i++) {
		const struct tk_snap_dev *d = &a->dev[i], *e = &b->dev[i];

		if (d->id != e->id || d->ret != e->ret)
			return tk_fail(w, "device %u: DEV_GET %d, then device %u: %d",
				       d->id, d->ret, e->id, e->ret);
		if (memcmp(&d->dg, &e->dg, sizeof(d->dg)))
			return tk_fail(w, "device %u: DEV_GET differs (status %#x/%#x)",
				       d->id, d->dg.status, e->dg.status);
		for (uint32_t q = 0; q < d->dg.num_queues; q++)
			if (memcmp(&d->vi[q], &e->vi[q], sizeof(d->vi[q])))
				return tk_fail(w, "device %u queue %u: state %u/%u reason %u/%u label %u/%u flags %#x/%#x assign_seq %u/%u",
					       d->id, q, d->vi[q].state,
					       e->vi[q].state, d->vi[q].reason,
					       e->vi[q].reason, d->vi[q].label,
					       e->vi[q].label, d->vi[q].flags,
					       e->vi[q].flags,
					       d->vi[q].assign_seq,
					       e->vi[q].assign_seq);
	}
	return 0;
}

/* The guest and its devices only: other guests may change the host. */
static inline int tk_snap_cmp(const struct tk_snap *a, const struct tk_snap *b,
			      struct tk_why *w)
{
	return tk_snap_cmp_host(a, b, false, w);
}

/* Expect @b to be @a (the host-wide count too when @host); log @line. */
static inline void tk_expect_same_snap(struct __test_metadata *_metadata,
				       int line, const struct tk_snap *a,
				       const struct tk_snap *b, bool host)
{
	struct tk_why w;

	if (!tk_snap_cmp_host(a, b, host, &w))
		return;
	TH_LOG("line %d: state changed by a failed call: %s", line, w.msg);
	_metadata->exit_code = KSFT_FAIL;
}

#define __EXPECT_SAME(fd, ids, n, err, call, host) do {			\
	struct tk_snap _a, _b;						\
	ASSERT_EQ(0, tk_snap_take_ids(fd, ids, n, &_a));		\
	EXPECT_EQ(err, (call));						\
	ASSERT_EQ(0, tk_snap_take_ids(fd, ids, n, &_b));		\
	tk_expect_same_snap(_metadata, __LINE__, &_a, &_b, host);	\
	tk_snap_free(&_a);						\
	tk_snap_free(&_b);						\
} while (0)

/*
 * Run @call; it must return @err and leave guest @fd (GUEST_GET), every
 * queue of its devices @ids[0..n-1] and the host-wide count untouched.
 */
#define EXPECT_NO_CHANGE(fd, ids, n, err, call) \
	__EXPECT_SAME(fd, ids, n, err, call, true)

/* The same, for a call on another guest that may change the host count. */
#define EXPECT_GUEST_UNCHANGED(fd, ids, n, err, call) \
	__EXPECT_SAME(fd, ids, n, err, call, false)

/* Slots this guest added host-wide since tk_setup_guest(). */
#define HOST_DELTA() (tk_host_used(self->fd) - self->host0)

/* Expectations with the caller's line in the log */

/* counts[] index of a label letter as used in CHECK_COUNTS() specs. */
static inline int tk_label_index(char c)
{
	static const char letters[] = "abcdefgprsqx";	/* label order */
	const char *p = strchr(letters, c);

	_Static_assert(sizeof(letters) - 1 == L(MAX) - L(A),
		       "a letter for every label");
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
		"NONE", "a", "b", "c", "d", "e", "f", "g", "p", "r", "s", "q",
		"x",
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

/*
 * A result and the queue it left: the queue has the result's new state,
 * reason and label. Returns the queue's info.
 */
#define EXPECT_MOVED(fd, r, id, q, os, ns, lb, rs) ({			\
	EXPECT_RES(r, q, os, ns, lb, rs);				\
	EXPECT_VQ(fd, id, q, ns, rs, lb);				\
})

/*
 * Queue @q of a new device, refused a slot at DRIVER_OK for @rs (the
 * result @r): it keeps its label and waits for one.
 */
#define EXPECT_WAITING(fd, r, id, q, rs) do {				\
	struct vqnotify_vq_info _vi;					\
									\
	EXPECT_RES(r, q, DEASS, DEASS, L(NONE), rs);			\
	_vi = EXPECT_VQ(fd, id, q, DEASS, rs, L(A));			\
	EXPECT_EQ(INIT | WAIT, _vi.flags);				\
} while (0)

static inline void tk_expect_slots(struct __test_metadata *_metadata,
				   int line, int fd, long host0,
				   uint32_t assigned, uint32_t offlimits,
				   uint32_t waiting)
{
	struct vqnotify_guest_info gi;

	ASSERT_EQ(0, _test_ioctl_guest_get(fd, &gi)) TH_LOG("line %d", line);
	EXPECT_EQ(assigned + offlimits, gi.used) TH_LOG("line %d: used", line);
	EXPECT_EQ(assigned, gi.nr_assigned) TH_LOG("line %d: assigned", line);
	EXPECT_EQ(offlimits, gi.nr_offlimits)
		TH_LOG("line %d: offlimits", line);
	EXPECT_EQ(waiting, gi.nr_waiting) TH_LOG("line %d: waiting", line);
	EXPECT_EQ((long)gi.used, tk_host_used(fd) - host0)
		TH_LOG("line %d: host slots added", line);
}

/*
 * The fixture's guest after a step (a tk_setup_guest() fixture whose guest
 * alone takes host slots): its assigned, offlimits and waiting queues,
 * used as their sum, the host's slots up by exactly that since the setup,
 * and its counts by label as CHECK_COUNTS' spec says ("a4 b2").
 */
#define EXPECT_GUEST(assigned, offlimits, waiting, ...) do {		\
	tk_expect_slots(_metadata, __LINE__, self->fd, self->host0,	\
			assigned, offlimits, waiting);			\
	CHECK_COUNTS(self->fd, __VA_ARGS__);				\
} while (0)

/* No event may be queued. */
#define EXPECT_NO_EVENTS(fd) do {					\
	struct vqnotify_event _e;					\
	EXPECT_EQ(0, tk_read_events(fd, &_e, 1))			\
		TH_LOG("unexpected event seq %llu type %u label %u",	\
		       (unsigned long long)_e.seq, _e.type, _e.label);	\
} while (0)

#endif /* _VQN_CHECK_UTILS_H */
