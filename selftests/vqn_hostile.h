/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the hostile selftests (vqn_fuzz_test, vqn_failslab_test,
 * vqn_crash_test, vqn_load_test, vqn_security_test): raw ioctl wrappers that
 * return 0 or -errno, a seeded PRNG, memory that faults in known ways, the
 * per-guest accounting invariants, a "still usable" probe and a small
 * generic netlink client.
 *
 * Nothing here uses the kselftest harness: the helpers run in forked
 * children too, and report a failure as -1 plus a reason in a vh_why buffer.
 */
#ifndef _VQN_HOSTILE_H
#define _VQN_HOSTILE_H

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

#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif

#define VH_DEV			"/dev/vqnotify"
#define VH_STATUS_OK		(0x0b | VQNOTIFY_STATUS_DRIVER_OK)
#define VH_STATUS_STOPPED	0x0b
#define VH_WORDS(n)		(((n) + 63) / 64)
#define VH_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define VH_BLOB_MAX		(32 + 2 * VH_WORDS(VQNOTIFY_MAX_QUEUES) * 8)

/* Why a helper failed, for TH_LOG() or a child's report. */
struct vh_why {
	char msg[512];
};

static inline int vh_fail(struct vh_why *w, const char *fmt, ...)
	__printf(2, 3);
static inline int vh_fail(struct vh_why *w, const char *fmt, ...)
{
	va_list ap;

	if (w) {
		va_start(ap, fmt);
		vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

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

/*
 * The harness's per-test timeout is a compile-time constant; a test whose
 * length comes from the environment moves it from main().
 */
#define VH_SET_TIMEOUT_F(fixture, test, secs) \
	(_##fixture##_##test##_object->timeout = (secs))
#define VH_SET_TIMEOUT(test, secs) (_##test##_object.timeout = (secs))

/* PRNG: splitmix64, so a seed reproduces a run exactly. */

struct vh_rng {
	uint64_t s;
};

static inline uint64_t vh_rand(struct vh_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t vh_below(struct vh_rng *r, uint32_t n)
{
	return n ? (uint32_t)(vh_rand(r) % n) : 0;
}

/* true with probability pct / 100 */
static inline bool vh_chance(struct vh_rng *r, unsigned int pct)
{
	return vh_below(r, 100) < pct;
}

/* Seed from @env, or from the clock; the caller prints it. */
static inline uint64_t vh_seed(const char *env)
{
	struct timespec ts;

	if (getenv(env) && *getenv(env))
		return vh_env_ull(env, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
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

static inline int vh_queue_get(int fd, uint32_t id, uint32_t queue,
			       struct vqnotify_vq_info *vi)
{
	struct vqnotify_queue_get qg = {
		.size = sizeof(qg),
		.dev_id = id,
		.queue = queue,
	};
	int ret = vh_io(fd, VQNOTIFY_QUEUE_GET, &qg);

	if (!ret && vi)
		*vi = qg.info;
	return ret;
}

/* DEV_GET with room for @cap queue records in @vi (may be NULL). */
static inline int vh_dev_get(int fd, uint32_t id, struct vqnotify_dev_get *dg,
			     struct vqnotify_vq_info *vi, uint32_t cap)
{
	memset(dg, 0, sizeof(*dg));
	dg->size = sizeof(*dg);
	dg->dev_id = id;
	dg->queues = (uintptr_t)vi;
	dg->nr_queues = vi ? cap : 0;
	return vh_io(fd, VQNOTIFY_DEV_GET, dg);
}

static inline int vh_save(int fd, uint32_t id, void *buf, uint32_t *len)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = id,
		.len = *len,
		.data = (uintptr_t)buf,
	};
	int ret = vh_io(fd, VQNOTIFY_DEV_SAVE, &m);

	if (!ret || ret == -EMSGSIZE)
		*len = m.len;
	return ret;
}

static inline int vh_load(int fd, uint32_t id, const void *buf, uint32_t len,
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
	int ret = vh_io(fd, VQNOTIFY_DEV_LOAD, &m);

	if (!ret && nr)
		*nr = m.nr_results;
	return ret;
}

/* The kernel's crc32_le(~0, p, len), as the migration blob carries it. */
static inline uint32_t vh_crc32_le(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t crc = ~0U;
	int k;

	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return crc;
}

/* Re-seal a (mutated) blob: crc at offset 12, computed with it zeroed. */
static inline void vh_blob_reseal(uint8_t *blob, uint32_t len)
{
	uint32_t crc;

	if (len < 16)
		return;
	memset(blob + 12, 0, 4);
	crc = vh_crc32_le(blob, len);
	memcpy(blob + 12, &crc, 4);
}

/*
 * Memory for pointer abuse: @rw is VH_MEM_PAGES pages, read-write and
 * prefaulted; @ro maps the same pages read-only (write a struct through
 * @rw, hand @ro to the kernel); @hole is the page right after @rw, which is
 * unmapped (mmap then munmap), so a buffer ending at @hole is cut short;
 * @none is a large PROT_NONE reservation for "random" user pointers that
 * can never hit live memory.
 */
#define VH_MEM_PAGES	32
#define VH_NONE_SIZE	(1UL << 24)

struct vh_mem {
	size_t page;
	size_t len;
	uint8_t *rw;
	uint8_t *ro;
	uint8_t *hole;
	uint8_t *none;
};

static inline int vh_mem_init(struct vh_mem *m)
{
	uint8_t *base;
	int fd;

	m->page = sysconf(_SC_PAGESIZE);
	m->len = VH_MEM_PAGES * m->page;
	fd = syscall(SYS_memfd_create, "vqn-hostile", 0);
	if (fd < 0 || ftruncate(fd, m->len))
		return -1;
	/* [rw x N][hole][PROT_NONE fence], so nothing lands in the hole. */
	base = mmap(NULL, m->len + 2 * m->page, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	m->rw = mmap(base, m->len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, fd, 0);
	m->ro = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
	m->none = mmap(NULL, VH_NONE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	close(fd);
	if (m->rw == MAP_FAILED || m->ro == MAP_FAILED ||
	    m->none == MAP_FAILED)
		return -1;
	m->hole = m->rw + m->len;
	if (munmap(m->hole, m->page))
		return -1;
	/* Prefault both aliases: no page fault may allocate in a test. */
	memset(m->rw, 0, m->len);
	for (size_t i = 0; i < m->len; i += m->page)
		(void)__atomic_load_n(m->ro + i, __ATOMIC_RELAXED);
	return 0;
}

/* @n bytes that end exactly where the hole begins. */
static inline void *vh_mem_edge(struct vh_mem *m, size_t n)
{
	return m->hole - n;
}

/* A kernel address: access_ok() refuses it. */
#define VH_KERNEL_PTR	0xffffffff81000000ULL

/* Accounting invariants */

/* Where vh_check_guest() puts what it found, for callers that compare. */
struct vh_tally {
	uint32_t devices;
	uint32_t assigned;
	uint32_t offlimits;
	uint32_t waiting;
	uint32_t queues;
	uint32_t max_id;	/* highest device id found */
};

#define VH_UNSTABLE	(-2)

/*
 * One guest's counters against its queues, with nobody else using it:
 * used == nr_assigned + nr_offlimits, and DEV_GET of every device (ids
 * 1..@max_id are scanned) adds up to nr_assigned, nr_offlimits,
 * nr_waiting and nr_devices. Every queue record must be sane.
 */
static inline int vh_check_guest(int fd, uint32_t max_id, struct vh_tally *t,
				 struct vh_why *w)
{
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_guest_info gi, gi2;
	struct vqnotify_dev_get dg;
	struct vh_tally tl = { 0 };
	uint32_t id, q;
	int ret;

	ret = vh_guest_get(fd, &gi);
	if (ret)
		return vh_fail(w, "GUEST_GET: %s", strerror(-ret));
	if (gi.used != gi.nr_assigned + gi.nr_offlimits)
		return vh_fail(w, "guest %u: used %u != assigned %u + offlimits %u",
			       gi.guest_id, gi.used, gi.nr_assigned,
			       gi.nr_offlimits);
	for (id = 1; id <= max_id && id; id++) {
		/* Cheap probe first: most ids of a long run are free. */
		ret = vh_dev_get(fd, id, &dg, NULL, 0);
		if (ret == -ENOENT)
			continue;
		if (!ret)
			ret = vh_dev_get(fd, id, &dg, vi, VQNOTIFY_MAX_QUEUES);
		if (ret == -ENOENT)
			continue;	/* gone meanwhile: gi2 tells */
		if (ret)
			return vh_fail(w, "DEV_GET %u: %s", id, strerror(-ret));
		if (dg.num_queues < 1 || dg.num_queues > VQNOTIFY_MAX_QUEUES ||
		    dg.nr_queues != dg.num_queues || dg.status > 0xff ||
		    dg.transport < VQNOTIFY_TRANSPORT_PIO ||
		    dg.transport > VQNOTIFY_TRANSPORT_CCW ||
		    !memchr(dg.label, 0, sizeof(dg.label)))
			return vh_fail(w, "DEV_GET %u: bad device record (nq %u nr %u status %#x transport %u)",
				       id, dg.num_queues, dg.nr_queues,
				       dg.status, dg.transport);
		tl.devices++;
		tl.max_id = id;
		tl.queues += dg.num_queues;
		for (q = 0; q < dg.num_queues; q++) {
			const struct vqnotify_vq_info *v = &vi[q];

			if (v->state > VQNOTIFY_VQ_OFFLIMITS ||
			    v->label >= VQNOTIFY_LABEL_MAX ||
			    v->reason >= VQNOTIFY_REASON_MAX ||
			    v->flags & ~(VQNOTIFY_VQ_INITIALISED |
					 VQNOTIFY_VQ_WAITING))
				return vh_fail(w, "dev %u queue %u: bad record state %u label %u reason %u flags %#x",
					       id, q, v->state, v->label,
					       v->reason, v->flags);
			if ((v->state == VQNOTIFY_VQ_ASSIGNED) !=
			    (v->assign_seq != 0))
				return vh_fail(w, "dev %u queue %u: state %u with assign_seq %u",
					       id, q, v->state, v->assign_seq);
			if (v->flags & VQNOTIFY_VQ_WAITING) {
				if (v->state != VQNOTIFY_VQ_DEASSIGNED)
					return vh_fail(w, "dev %u queue %u: waiting in state %u",
						       id, q, v->state);
				tl.waiting++;
			}
			if (v->state == VQNOTIFY_VQ_ASSIGNED)
				tl.assigned++;
			else if (v->state == VQNOTIFY_VQ_OFFLIMITS)
				tl.offlimits++;
		}
	}
	ret = vh_guest_get(fd, &gi2);
	if (ret)
		return vh_fail(w, "GUEST_GET: %s", strerror(-ret));
	if (memcmp(&gi, &gi2, sizeof(gi))) {
		vh_fail(w, "guest %u changed during the scan", gi.guest_id);
		return VH_UNSTABLE;
	}
	if (tl.devices != gi.nr_devices || tl.assigned != gi.nr_assigned ||
	    tl.offlimits != gi.nr_offlimits || tl.waiting != gi.nr_waiting)
		return vh_fail(w, "guest %u: counters devices %u assigned %u offlimits %u waiting %u, queues say %u %u %u %u (ids 1..%u)",
			       gi.guest_id, gi.nr_devices, gi.nr_assigned,
			       gi.nr_offlimits, gi.nr_waiting, tl.devices,
			       tl.assigned, tl.offlimits, tl.waiting, max_id);
	if (t)
		*t = tl;
	return 0;
}

/*
 * A guest that went through abuse still works: with its own limit lifted,
 * a new device reaches DRIVER_OK with one result per queue, QUEUE_GET,
 * DEV_GET and SAVE agree, vhost can take and return a queue, and the device
 * goes away again. @max_id bounds the device ids scanned when the guest is
 * full and one device must go first.
 */
static inline int vh_check_usable(int fd, uint32_t max_id, struct vh_why *w)
{
	struct vqnotify_vq_result res[4], r;
	struct vqnotify_vq_info vi[4], v = { 0 };
	struct vqnotify_dev_get dg;
	uint8_t blob[VH_BLOB_MAX];
	uint32_t id, nr = 4, len = sizeof(blob), q, seen = 0;
	int ret;

	ret = vh_set_budget(fd, 0);
	if (ret)
		return vh_fail(w, "GUEST_SET budget 0: %s", strerror(-ret));
	ret = vh_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 4, "usable", &id);
	for (uint32_t old = max_id; ret == -EMFILE && old; old--) {
		if (vh_dev_remove(fd, old))
			continue;
		ret = vh_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 4, "usable",
				 &id);
	}
	if (ret)
		return vh_fail(w, "DEV_ADD: %s", strerror(-ret));
	ret = vh_set_status(fd, id, VH_STATUS_OK, res, &nr);
	if (ret)
		return vh_fail(w, "SET_STATUS DRIVER_OK: %s", strerror(-ret));
	if (nr != 4)
		return vh_fail(w, "SET_STATUS DRIVER_OK: %u results for 4 queues",
			       nr);
	for (uint32_t i = 0; i < nr; i++) {
		r = res[i];
		if (r.queue >= 4 || seen & (1U << r.queue))
			return vh_fail(w, "result %u: queue %u", i, r.queue);
		seen |= 1U << r.queue;
		if (r.old_state != VQNOTIFY_VQ_DEASSIGNED ||
		    !((r.new_state == VQNOTIFY_VQ_ASSIGNED &&
		       r.label == VQNOTIFY_LABEL_B &&
		       r.reason == VQNOTIFY_REASON_GRANTED) ||
		      (r.new_state == VQNOTIFY_VQ_DEASSIGNED &&
		       r.label == VQNOTIFY_LABEL_NONE &&
		       (r.reason == VQNOTIFY_REASON_LIMITED ||
			r.reason == VQNOTIFY_REASON_NO_SLOT ||
			r.reason == VQNOTIFY_REASON_HOST_CAP))))
			return vh_fail(w, "queue %u: %u -> %u label %u reason %u after DRIVER_OK",
				       r.queue, r.old_state, r.new_state,
				       r.label, r.reason);
		ret = vh_queue_get(fd, id, r.queue, &v);
		if (ret || v.state != r.new_state || v.reason != r.reason)
			return vh_fail(w, "QUEUE_GET %u: %s, state %u reason %u, result said %u %u",
				       r.queue, strerror(-ret), v.state,
				       v.reason, r.new_state, r.reason);
	}
	ret = vh_dev_get(fd, id, &dg, vi, 4);
	if (ret || dg.num_queues != 4 || dg.nr_queues != 4 ||
	    dg.status != VH_STATUS_OK || strcmp(dg.label, "usable"))
		return vh_fail(w, "DEV_GET: %s (nq %u status %#x label %.32s)",
			       strerror(-ret), dg.num_queues, dg.status,
			       dg.label);
	ret = vh_save(fd, id, blob, &len);
	if (ret || len > sizeof(blob))
		return vh_fail(w, "SAVE: %s, len %u", strerror(-ret), len);
	ret = vh_host_notifier(fd, id, 0, true, &r);
	if (ret && ret != -ENOSPC)
		return vh_fail(w, "HOST_NOTIFIER on: %s", strerror(-ret));
	if (!ret) {
		if (r.new_state != VQNOTIFY_VQ_OFFLIMITS)
			return vh_fail(w, "HOST_NOTIFIER on: new state %u",
				       r.new_state);
		ret = vh_host_notifier(fd, id, 0, false, &r);
		if (ret)
			return vh_fail(w, "HOST_NOTIFIER off: %s",
				       strerror(-ret));
	}
	for (q = 0; q < 4; q++) {
		ret = vh_queue_get(fd, id, q, &v);
		if (ret)
			return vh_fail(w, "QUEUE_GET %u: %s", q,
				       strerror(-ret));
	}
	ret = vh_dev_remove(fd, id);
	if (ret)
		return vh_fail(w, "DEV_REMOVE: %s", strerror(-ret));
	ret = vh_dev_get(fd, id, &dg, NULL, 0);
	if (ret != -ENOENT)
		return vh_fail(w, "DEV_GET after DEV_REMOVE: %s",
			       strerror(-ret));
	return 0;
}

/*
 * Everything ioctls show of a guest: GUEST_GET, and DEV_GET with every
 * queue of the devices with ids 1..max_id. For "a call that fails changes
 * nothing".
 */
struct vh_snap_dev {
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info *vi;
};

struct vh_snap {
	struct vqnotify_guest_info gi;
	uint32_t ndev;
	struct vh_snap_dev *dev;
};

static inline void vh_snap_free(struct vh_snap *s)
{
	for (uint32_t i = 0; i < s->ndev; i++)
		free(s->dev[i].vi);
	free(s->dev);
	memset(s, 0, sizeof(*s));
}

static inline int vh_snap_take(int fd, uint32_t max_id, struct vh_snap *s)
{
	struct vqnotify_dev_get dg;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = vh_guest_get(fd, &s->gi);
	if (ret)
		return ret;
	s->dev = calloc(max_id + 1, sizeof(*s->dev));
	if (!s->dev)
		return -ENOMEM;
	for (uint32_t id = 1; id <= max_id; id++) {
		struct vh_snap_dev *d = &s->dev[s->ndev];

		ret = vh_dev_get(fd, id, &dg, NULL, 0);
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		d->vi = calloc(dg.num_queues, sizeof(*d->vi));
		if (!d->vi)
			return -ENOMEM;
		ret = vh_dev_get(fd, id, &d->dg, d->vi, dg.num_queues);
		if (ret)
			return ret;
		d->dg.queues = 0;	/* where this copy lives */
		s->ndev++;
	}
	return 0;
}

/* 0 when @a and @b are the same, else -1 and what differs. */
static inline int vh_snap_cmp(const struct vh_snap *a, const struct vh_snap *b,
			      struct vh_why *w)
{
	const struct vqnotify_guest_info *x = &a->gi, *y = &b->gi;

	if (x->used != y->used || x->nr_assigned != y->nr_assigned ||
	    x->nr_offlimits != y->nr_offlimits ||
	    x->nr_waiting != y->nr_waiting || x->nr_devices != y->nr_devices ||
	    x->budget != y->budget || x->out_flags != y->out_flags)
		return vh_fail(w, "guest: used %u/%u assigned %u/%u offlimits %u/%u waiting %u/%u devices %u/%u budget %u/%u flags %#x/%#x",
			       x->used, y->used, x->nr_assigned,
			       y->nr_assigned, x->nr_offlimits,
			       y->nr_offlimits, x->nr_waiting, y->nr_waiting,
			       x->nr_devices, y->nr_devices, x->budget,
			       y->budget, x->out_flags, y->out_flags);
	for (int l = 0; l < VQNOTIFY_NR_COUNTERS; l++)
		if (x->counts[l] != y->counts[l])
			return vh_fail(w, "guest: counts[%d] %llu then %llu", l,
				       (unsigned long long)x->counts[l],
				       (unsigned long long)y->counts[l]);
	if (memcmp(x, y, sizeof(*x)))
		return vh_fail(w, "guest: GUEST_GET differs");
	if (a->ndev != b->ndev)
		return vh_fail(w, "%u devices, then %u", a->ndev, b->ndev);
	for (uint32_t i = 0; i < a->ndev; i++) {
		const struct vh_snap_dev *d = &a->dev[i], *e = &b->dev[i];

		if (memcmp(&d->dg, &e->dg, sizeof(d->dg)))
			return vh_fail(w, "device %u: DEV_GET differs (status %#x/%#x)",
				       d->dg.dev_id, d->dg.status,
				       e->dg.status);
		for (uint32_t q = 0; q < d->dg.num_queues; q++)
			if (memcmp(&d->vi[q], &e->vi[q], sizeof(d->vi[q])))
				return vh_fail(w, "device %u queue %u: state %u/%u reason %u/%u label %u/%u flags %#x/%#x",
					       d->dg.dev_id, q, d->vi[q].state,
					       e->vi[q].state, d->vi[q].reason,
					       e->vi[q].reason, d->vi[q].label,
					       e->vi[q].label, d->vi[q].flags,
					       e->vi[q].flags);
	}
	return 0;
}

/* Host-wide usage through a throwaway guest. */
static inline int vh_host_usage(uint32_t *used, uint32_t *guests)
{
	struct vqnotify_info info;
	int fd = vh_open(), ret;

	if (fd < 0)
		return fd;
	ret = vh_info(fd, &info);
	close(fd);
	if (ret)
		return ret;
	*used = info.host_used;
	*guests = info.nr_guests - 1;	/* not counting the probe */
	return 0;
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

/* Put back the four settable values of @c. */
static inline int vh_nl_config_set(struct vh_nl *nl,
				   const struct vh_nl_config *c)
{
	struct vh_nl_attr a[] = {
		{ VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
		  c->v[VQNOTIFY_A_CONFIG_DEFAULT_BUDGET] },
		{ VQNOTIFY_A_CONFIG_THRESHOLD, c->v[VQNOTIFY_A_CONFIG_THRESHOLD] },
		{ VQNOTIFY_A_CONFIG_VHOST_RESERVE,
		  c->v[VQNOTIFY_A_CONFIG_VHOST_RESERVE] },
		{ VQNOTIFY_A_CONFIG_HOST_CAP, c->v[VQNOTIFY_A_CONFIG_HOST_CAP] },
	};

	return vh_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false, a,
			  VH_ARRAY_SIZE(a), NULL, NULL);
}

/* Guest ids a guest dump returned. */
struct vh_nl_ids {
	uint32_t n;
	uint32_t id[4096];
};

static inline void vh_nl_ids_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_GUEST_MAX + 1];
	struct vh_nl_ids *ids = arg;

	vh_nl_parse(h, tb, VQNOTIFY_A_GUEST_MAX);
	if (tb[VQNOTIFY_A_GUEST_ID] && ids->n < VH_ARRAY_SIZE(ids->id))
		ids->id[ids->n++] = vh_nla_u32(tb[VQNOTIFY_A_GUEST_ID]);
}

static inline int vh_nl_guest_ids(struct vh_nl *nl, struct vh_nl_ids *ids)
{
	ids->n = 0;
	return vh_nl_call(nl, VQNOTIFY_CMD_GUEST_GET, true, NULL, 0,
			  vh_nl_ids_cb, ids);
}

static inline bool vh_nl_ids_has(const struct vh_nl_ids *ids, uint32_t id)
{
	for (uint32_t i = 0; i < ids->n; i++)
		if (ids->id[i] == id)
			return true;
	return false;
}

#endif /* _VQN_HOSTILE_H */
