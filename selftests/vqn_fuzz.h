/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_fuzz.h: the state of one vqn_fuzz_test process: its guests (two of
 * its own and one shared by all), the scratch memory the calls point into,
 * the report it leaves in shared memory, the ring of its last calls that a
 * failure prints (fz_fail), and the bookkeeping of the device ids each
 * guest may hold. The calls it makes are in vqn_fuzz_ioctl.h,
 * vqn_fuzz_fops.h and vqn_fuzz_netlink.h; the test itself, its processes
 * and its final checks in vqn_fuzz_test.c.
 */
#ifndef _VQN_FUZZ_H
#define _VQN_FUZZ_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

#define FZ_MAX_PROCS	16
#define FZ_OWN		2
#define FZ_IDS		32

/* Offsets in the read-write scratch memory (struct tk_mem). */
#define FZ_ARG		0x0000	/* the ioctl structure, tail included */
#define FZ_RESULTS	0x2000	/* VQNOTIFY_MAX_QUEUES results */
#define FZ_QUEUES	0x4000	/* VQNOTIFY_MAX_QUEUES vq_info */
#define FZ_DATA		0x6000	/* migration blob */
#define FZ_READY	0x7000	/* ready bitmap */
#define FZ_READBUF	0x8000	/* read() records, 16 KiB */
#define FZ_NLBUF	0xc000	/* netlink message, 16 KiB */

struct fz_report {
	uint64_t iters;
	uint64_t ioctls;
	uint64_t ioctl_ok;
	uint64_t reads;
	uint64_t events;
	uint64_t nl_msgs;
	uint64_t reopen;
	int failed;
	uint64_t seed;
	char why[1024];
};

struct fz_shared {
	uint32_t shared_adds;	/* DEV_ADD calls on the shared guest */
	uint32_t shared_id;	/* its guest id */
	uint32_t stopped;	/* fuzzers done fuzzing */
	uint32_t go_check;	/* set when the admin state is restored */
	uint32_t guest_ids[FZ_MAX_PROCS * FZ_OWN];	/* for netlink */
	struct fz_report rep[FZ_MAX_PROCS];
};

struct fz_guest {
	int fd;
	bool shared;
	uint32_t adds;		/* DEV_ADD calls on an own guest */
	uint32_t ids[FZ_IDS];
	uint32_t nq[FZ_IDS];
	unsigned int nids;
	struct tk_seq seq;	/* events of an own guest */
};

struct fz_trace {
	unsigned long cmd;
	uint32_t size;
	int guest;
	int ret;
};

struct fz {
	struct tk_rng rng;
	struct tk_mem mem;
	struct fz_guest g[FZ_OWN + 1];
	struct fz_shared *sh;
	struct fz_report *rep;
	struct tk_nl nl;	/* requests */
	struct tk_nl mon;	/* the monitor group, drained */
	bool have_nl;
	bool have_mon;
	uint8_t blob[TK_BLOB_MAX];
	uint32_t blob_len;
	uint32_t blob_nq;
	uint32_t blob_transport;
	struct fz_trace trace[16];
	unsigned int tpos;
	uint64_t max_iters;
	double deadline;
};

static void fz_trace(struct fz *f, unsigned long cmd, uint32_t size,
		     int guest, int ret)
{
	struct fz_trace *t = &f->trace[f->tpos++ % TK_ARRAY_SIZE(f->trace)];

	t->cmd = cmd;
	t->size = size;
	t->guest = guest;
	t->ret = ret;
}

/* Record a failure with the seed and the last calls, once. */
static void fz_fail(struct fz *f, const char *fmt, ...)
	__printf(2, 3);
static void fz_fail(struct fz *f, const char *fmt, ...)
{
	struct fz_report *r = f->rep;
	size_t n;
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	n = snprintf(r->why, sizeof(r->why),
		     "seed %#llx iteration %llu: ",
		     (unsigned long long)r->seed,
		     (unsigned long long)r->iters);
	va_start(ap, fmt);
	n += vsnprintf(r->why + n, sizeof(r->why) - n, fmt, ap);
	va_end(ap);
	n += snprintf(r->why + n, sizeof(r->why) - n, "; last calls:");
	for (unsigned int i = 0; i < TK_ARRAY_SIZE(f->trace) && n < sizeof(r->why); i++) {
		struct fz_trace *t = &f->trace[(f->tpos + i) %
					       TK_ARRAY_SIZE(f->trace)];

		if (!t->cmd)
			continue;
		n += snprintf(r->why + n, sizeof(r->why) - n,
			      " %#lx/%u/g%d=%d", t->cmd, t->size, t->guest,
			      t->ret);
	}
}

static uint32_t fz_u32_edge(struct fz *f)
{
	static const uint32_t v[] = {
		0, 1, 2, 7, 63, 64, 65, 255, 256, 1023, 1024, 1025, 4096,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	if (tk_chance(&f->rng, 25))
		return (uint32_t)tk_rand(&f->rng);
	return v[tk_below(&f->rng, TK_ARRAY_SIZE(v))];
}

/* Guests and devices */

static struct fz_guest *fz_pick_guest(struct fz *f, int *idx)
{
	*idx = tk_below(&f->rng, FZ_OWN + 1);
	return &f->g[*idx];
}

static int fz_pick_dev(struct fz *f, struct fz_guest *g, uint32_t *nq)
{
	unsigned int i;

	if (!g->nids) {
		*nq = 1 + tk_below(&f->rng, 8);
		return g->shared ? 1 + tk_below(&f->rng, 64) : 0;
	}
	i = tk_below(&f->rng, g->nids);
	*nq = g->nq[i];
	return g->ids[i];
}

static void fz_dev_added(struct fz_guest *g, uint32_t id, uint32_t nq)
{
	unsigned int i = g->nids;

	if (i == FZ_IDS)
		i = id % FZ_IDS;	/* forget one; the scan finds it */
	else
		g->nids++;
	g->ids[i] = id;
	g->nq[i] = nq;
}

static void fz_dev_gone(struct fz_guest *g, uint32_t id)
{
	for (unsigned int i = 0; i < g->nids; i++) {
		if (g->ids[i] != id)
			continue;
		g->ids[i] = g->ids[--g->nids];
		g->nq[i] = g->nq[g->nids];
		return;
	}
}

/* Upper bound of the device ids a guest may hold. */
static uint32_t fz_max_id(struct fz *f, struct fz_guest *g)
{
	if (g->shared)
		return __atomic_load_n(&f->sh->shared_adds, __ATOMIC_SEQ_CST) + 1;
	return g->adds + 1;
}

static void fz_count_add(struct fz *f, struct fz_guest *g)
{
	if (g->shared)
		__atomic_add_fetch(&f->sh->shared_adds, 1, __ATOMIC_SEQ_CST);
	else
		g->adds++;
}

static int fz_open_guest(struct fz *f, struct fz_guest *g)
{
	struct vqnotify_guest_info gi;
	int fd = tk_open(0);

	memset(g, 0, sizeof(*g));
	g->fd = fd;
	if (fd < 0)
		return fd;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (!_test_ioctl_guest_get(fd, &gi))
		f->sh->guest_ids[(f->rep - f->sh->rep) * FZ_OWN +
				 (g - f->g)] = gi.guest_id;
	return 0;
}

#endif /* _VQN_FUZZ_H */
