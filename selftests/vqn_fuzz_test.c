// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzer for /dev/vqnotify (and the vqnotify generic netlink family when it
 * is there).
 *
 * VQN_FUZZ_PROCS processes (default 4) each own two guests and share a
 * third one, and for VQN_FUZZ_SECONDS (default 60) throw at them: valid
 * lifecycle traffic, the same structures mutated (sizes from 0 to twice the
 * structure and 0xffffffff, non-zero tails, flags, reserved fields, ids,
 * queue indexes, counts, labels, status bytes), the structure itself and
 * every user pointer in it aimed at unmapped memory, at a read-only mapping,
 * at a buffer cut short by an unmapped page, at kernel and non-canonical
 * addresses; random command numbers; read() with every size and pointer;
 * poll(); write(), mmap() and lseek(); netlink messages, random and valid.
 *
 * Every error must be one the uAPI documents. Events read from a guest only
 * its own process uses must be well formed and consecutive in seq unless an
 * OVERFLOW record came. At the end each guest must satisfy the accounting
 * invariants (GUEST_GET used == nr_assigned + nr_offlimits; the queue
 * states of DEV_GET add up to the counters) and still work, and once every
 * fuzzer is gone the host-wide used count and guest count must be back
 * where they started.
 *
 * Reproducible: VQN_FUZZ_SEED=<seed> repeats a run's choices (each process
 * derives its own stream from it); VQN_FUZZ_PROCS=1 VQN_FUZZ_ITERS=<n>
 * repeats one process's exact sequence. A failure prints the seed.
 */
#define _GNU_SOURCE
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
	bool seq_known;
	uint64_t next_seq;
	bool after_overflow;
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

/* What each ioctl's structure holds, for the mutator. */
enum fz_kind {
	K_FLAGS, K_RSVD, K_OUT, K_DEVID, K_QUEUE, K_NR, K_STATUS, K_TRANSPORT,
	K_NUMQ, K_LABEL, K_BUDGET, K_LEN, K_PTR_RES, K_PTR_READY, K_PTR_QUEUES,
	K_PTR_DATA,
};

struct fz_field {
	uint16_t off;
	uint8_t size;
	uint8_t kind;
};

#define F(type, field, kind) \
	{ offsetof(type, field), sizeof(((type *)0)->field), kind }

struct fz_cmd {
	unsigned long cmd;
	const char *name;
	uint32_t size;
	struct fz_field f[8];
};

#define T_INFO struct vqnotify_info
#define T_GS struct vqnotify_guest_set
#define T_GI struct vqnotify_guest_info
#define T_DA struct vqnotify_dev_add
#define T_OP struct vqnotify_dev_op
#define T_HN struct vqnotify_host_notifier
#define T_QG struct vqnotify_queue_get
#define T_DG struct vqnotify_dev_get
#define T_MG struct vqnotify_migration
#define T_QS struct vqnotify_queues
#define FZ_QUEUES_CMD(_cmd, _name)					\
	{ _cmd, _name, sizeof(T_QS), {					\
		F(T_QS, flags, K_FLAGS), F(T_QS, dev_id, K_DEVID),	\
		F(T_QS, nr_queues, K_NR), F(T_QS, queues, K_PTR_READY),	\
		F(T_QS, results, K_PTR_RES), F(T_QS, nr_results, K_NR),	\
		F(T_QS, __reserved, K_RSVD) } }

static const struct fz_cmd fz_cmds[] = {
	{ VQNOTIFY_GET_INFO, "GET_INFO", sizeof(T_INFO), {
		F(T_INFO, flags, K_FLAGS), F(T_INFO, __reserved, K_RSVD),
		F(T_INFO, host_used, K_OUT), F(T_INFO, features, K_OUT) } },
	{ VQNOTIFY_GUEST_SET, "GUEST_SET", sizeof(T_GS), {
		F(T_GS, flags, K_FLAGS), F(T_GS, budget, K_BUDGET),
		F(T_GS, run_state, K_RSVD), F(T_GS, label, K_LABEL),
		F(T_GS, name, K_LABEL) } },
	{ VQNOTIFY_GUEST_GET, "GUEST_GET", sizeof(T_GI), {
		F(T_GI, flags, K_FLAGS), F(T_GI, __reserved, K_RSVD),
		F(T_GI, used, K_OUT), F(T_GI, label, K_OUT) } },
	{ VQNOTIFY_DEV_ADD, "DEV_ADD", sizeof(T_DA), {
		F(T_DA, flags, K_FLAGS), F(T_DA, transport, K_TRANSPORT),
		F(T_DA, num_queues, K_NUMQ), F(T_DA, out_dev_id, K_RSVD),
		F(T_DA, __reserved, K_RSVD), F(T_DA, label, K_LABEL),
		F(T_DA, name, K_LABEL) } },
	{ VQNOTIFY_SET_STATUS, "SET_STATUS", sizeof(T_OP), {
		F(T_OP, flags, K_FLAGS), F(T_OP, dev_id, K_DEVID),
		F(T_OP, status, K_STATUS), F(T_OP, ready, K_PTR_READY),
		F(T_OP, results, K_PTR_RES), F(T_OP, nr_results, K_NR),
		F(T_OP, __reserved, K_RSVD) } },
	{ VQNOTIFY_DEV_RESET, "DEV_RESET", sizeof(T_OP), {
		F(T_OP, flags, K_FLAGS), F(T_OP, dev_id, K_DEVID),
		F(T_OP, status, K_STATUS), F(T_OP, ready, K_PTR_READY),
		F(T_OP, results, K_PTR_RES), F(T_OP, nr_results, K_NR),
		F(T_OP, __reserved, K_RSVD) } },
	{ VQNOTIFY_DEV_REMOVE, "DEV_REMOVE", sizeof(T_OP), {
		F(T_OP, flags, K_FLAGS), F(T_OP, dev_id, K_DEVID),
		F(T_OP, status, K_STATUS), F(T_OP, ready, K_PTR_READY),
		F(T_OP, results, K_PTR_RES), F(T_OP, nr_results, K_NR),
		F(T_OP, __reserved, K_RSVD) } },
	{ VQNOTIFY_SET_HOST_NOTIFIER, "SET_HOST_NOTIFIER", sizeof(T_HN), {
		F(T_HN, flags, K_FLAGS), F(T_HN, dev_id, K_DEVID),
		F(T_HN, queue, K_QUEUE), F(T_HN, result, K_OUT),
		F(T_HN, __reserved, K_RSVD), F(T_HN, __reserved2, K_RSVD) } },
	{ VQNOTIFY_QUEUE_GET, "QUEUE_GET", sizeof(T_QG), {
		F(T_QG, flags, K_FLAGS), F(T_QG, dev_id, K_DEVID),
		F(T_QG, queue, K_QUEUE), F(T_QG, info, K_OUT) } },
	{ VQNOTIFY_DEV_GET, "DEV_GET", sizeof(T_DG), {
		F(T_DG, flags, K_FLAGS), F(T_DG, dev_id, K_DEVID),
		F(T_DG, status, K_OUT), F(T_DG, queues, K_PTR_QUEUES),
		F(T_DG, nr_queues, K_NR), F(T_DG, __reserved, K_RSVD),
		F(T_DG, label, K_OUT) } },
	{ VQNOTIFY_DEV_SAVE, "DEV_SAVE", sizeof(T_MG), {
		F(T_MG, flags, K_FLAGS), F(T_MG, dev_id, K_DEVID),
		F(T_MG, len, K_LEN), F(T_MG, data, K_PTR_DATA),
		F(T_MG, results, K_PTR_RES), F(T_MG, nr_results, K_NR),
		F(T_MG, __reserved, K_RSVD) } },
	{ VQNOTIFY_DEV_LOAD, "DEV_LOAD", sizeof(T_MG), {
		F(T_MG, flags, K_FLAGS), F(T_MG, dev_id, K_DEVID),
		F(T_MG, len, K_LEN), F(T_MG, data, K_PTR_DATA),
		F(T_MG, results, K_PTR_RES), F(T_MG, nr_results, K_NR),
		F(T_MG, __reserved, K_RSVD) } },
	FZ_QUEUES_CMD(VQNOTIFY_QUEUES_ACQUIRE, "QUEUES_ACQUIRE"),
	FZ_QUEUES_CMD(VQNOTIFY_QUEUES_RELEASE, "QUEUES_RELEASE"),
	FZ_QUEUES_CMD(VQNOTIFY_SET_HOST_NOTIFIERS, "SET_HOST_NOTIFIERS"),
};

#define FZ_NCMDS	TK_ARRAY_SIZE(fz_cmds)
#define FZ_MAXSIZE	sizeof(struct vqnotify_guest_info)

union fz_arg {
	TK_IOCTL_ARG_MEMBERS;
	uint8_t b[2 * FZ_MAXSIZE + 64];
};

/* Every errno the uAPI documents for an ioctl, plus ENOMEM. */
static bool fz_errno_ok(int err)
{
	switch (err) {
	case ENOTTY: case EOPNOTSUPP: case EINVAL: case E2BIG: case ENOENT:
	case EFAULT: case EMFILE: case ENOSPC: case EALREADY: case EBUSY:
	case EMSGSIZE: case ENOMEM:
		return true;
	}
	return false;
}

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

/* Pointers */

/* A user pointer for a buffer of @need bytes at scratch offset @off. */
static uint64_t fz_uptr(struct fz *f, size_t off, size_t need)
{
	struct tk_mem *m = &f->mem;

	switch (tk_below(&f->rng, 16)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)(m->ro + off);
	case 2:
		return (uintptr_t)(m->hole + tk_below(&f->rng, m->page));
	case 3:
		return (uintptr_t)tk_mem_edge(m, tk_below(&f->rng, need + 1));
	case 4:
		return TK_KERNEL_PTR + tk_below(&f->rng, 1 << 20);
	case 5:
		return (uintptr_t)(m->none + tk_below(&f->rng, TK_NONE_SIZE));
	case 6:
		return (uintptr_t)(m->rw + off + 1 + tk_below(&f->rng, 7));
	case 7:
		return tk_rand(&f->rng) | (1ULL << 63);
	default:
		return (uintptr_t)(m->rw + off);
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

/* Events */

static void fz_check_events(struct fz *f, struct fz_guest *g, int gi,
			    const struct vqnotify_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++, ev++) {
		const struct vqnotify_event *e = ev;
		bool ok = !e->__reserved;

		f->rep->events++;
		switch (e->type) {
		case VQNOTIFY_EVENT_TRANSITION:
			ok &= (e->label == VQNOTIFY_LABEL_P &&
			       e->old_state == VQNOTIFY_VQ_ASSIGNED &&
			       e->new_state == VQNOTIFY_VQ_DEASSIGNED &&
			       (e->reason == VQNOTIFY_REASON_PREEMPT_VHOST ||
				e->reason == VQNOTIFY_REASON_PREEMPT_BUDGET)) ||
			      (e->label == VQNOTIFY_LABEL_R &&
			       e->old_state == VQNOTIFY_VQ_DEASSIGNED &&
			       e->new_state == VQNOTIFY_VQ_ASSIGNED &&
			       e->reason == VQNOTIFY_REASON_PROMOTED);
			break;
		case VQNOTIFY_EVENT_OVERFLOW:
			ok &= !e->dev_id && !e->queue && !e->old_state &&
			      !e->new_state && !e->label && !e->reason &&
			      !e->value;
			break;
		case VQNOTIFY_EVENT_BUDGET:
			break;
		default:
			ok = false;
		}
		if (!ok) {
			fz_fail(f, "guest %d: bad event seq %llu type %u dev %u queue %u %u->%u label %u reason %u",
				gi, (unsigned long long)e->seq, e->type,
				e->dev_id, e->queue, e->old_state,
				e->new_state, e->label, e->reason);
			return;
		}
		if (g->shared)
			continue;
		if (g->seq_known &&
		    (g->after_overflow ? e->seq < g->next_seq :
					 e->seq != g->next_seq)) {
			fz_fail(f, "guest %d: event seq %llu, expected %s%llu",
				gi, (unsigned long long)e->seq,
				g->after_overflow ? ">= " : "",
				(unsigned long long)g->next_seq);
			return;
		}
		g->seq_known = true;
		g->next_seq = e->seq + 1;
		g->after_overflow = e->type == VQNOTIFY_EVENT_OVERFLOW;
	}
}

static void fz_read(struct fz *f)
{
	static const size_t sizes[] = {
		0, 1, 31, 32, 33, 63, 64, 96, 100, 256, 4096, 16384,
	};
	struct fz_guest *g;
	uint8_t *good = f->mem.rw + FZ_READBUF;
	uint8_t *buf = good;
	size_t size;
	ssize_t n;
	int gi, err;

	g = fz_pick_guest(f, &gi);
	size = sizes[tk_below(&f->rng, TK_ARRAY_SIZE(sizes))];
	switch (tk_below(&f->rng, 12)) {
	case 0:
		buf = f->mem.ro + FZ_READBUF;
		break;
	case 1:
		buf = f->mem.hole;
		break;
	case 2:
		/* Room for part of the records asked for. */
		buf = tk_mem_edge(&f->mem, tk_below(&f->rng, size + 1));
		break;
	case 3:
		buf = (uint8_t *)(uintptr_t)TK_KERNEL_PTR;
		break;
	case 4:
		size = (size_t)-1 >> tk_below(&f->rng, 40);
		break;
	}
	f->rep->reads++;
	n = read(g->fd, buf, size);
	err = n < 0 ? errno : 0;
	fz_trace(f, 1, size, gi, n < 0 ? -err : (int)n);
	if (n < 0) {
		if (err != EAGAIN && err != EINVAL && err != EFAULT)
			fz_fail(f, "read(%zu) on guest %d: %s", size, gi,
				strerror(err));
		else if (err == EINVAL && size >= sizeof(struct vqnotify_event))
			fz_fail(f, "read(%zu) on guest %d: EINVAL", size, gi);
		return;
	}
	if (n % sizeof(struct vqnotify_event) || (size_t)n > size) {
		fz_fail(f, "read(%zu) on guest %d returned %zd", size, gi, n);
		return;
	}
	if (!n && size >= sizeof(struct vqnotify_event) && !g->shared)
		fz_fail(f, "read(%zu) on own guest %d returned 0", size, gi);
	/* Records the kernel wrote where we can look at them. */
	if (buf >= f->mem.rw && buf < f->mem.rw + f->mem.len)
		fz_check_events(f, g, gi, (struct vqnotify_event *)buf,
				n / sizeof(struct vqnotify_event));
}

/* Own guests only: poll() says POLLIN exactly when read() finds records. */
static void fz_poll(struct fz *f)
{
	struct pollfd p[FZ_OWN + 1];
	int n, gi = tk_below(&f->rng, FZ_OWN);

	for (int i = 0; i <= FZ_OWN; i++)
		p[i] = (struct pollfd){ .fd = f->g[i].fd, .events = POLLIN };
	n = poll(p, FZ_OWN + 1, 0);
	fz_trace(f, 2, 0, -1, n);
	if (n < 0) {
		fz_fail(f, "poll: %s", strerror(errno));
		return;
	}
	for (int i = 0; i <= FZ_OWN; i++) {
		if (p[i].revents & ~(POLLIN | POLLRDNORM)) {
			fz_fail(f, "poll guest %d: revents %#x", i,
				p[i].revents);
			return;
		}
	}
	if (p[gi].revents & POLLIN) {
		uint8_t *buf = f->mem.rw + FZ_READBUF;
		ssize_t r = read(f->g[gi].fd, buf, 4096);

		if (r <= 0)
			fz_fail(f, "guest %d: POLLIN but read gave %zd (%s)",
				gi, r, r < 0 ? strerror(errno) : "");
		else
			fz_check_events(f, &f->g[gi], gi,
					(struct vqnotify_event *)buf,
					r / sizeof(struct vqnotify_event));
	}
}

/* Structures */

/* A well-formed structure for command @c on guest @g. */
static void fz_build(struct fz *f, unsigned int c, struct fz_guest *g,
		     union fz_arg *a)
{
	struct tk_mem *m = &f->mem;
	uint64_t *ready = (uint64_t *)(m->rw + FZ_READY);
	uint32_t nq, id = fz_pick_dev(f, g, &nq);

	memset(a, 0, sizeof(*a));
	a->info.size = fz_cmds[c].size;
	switch (fz_cmds[c].cmd) {
	case VQNOTIFY_GUEST_SET:
		a->gs.flags = tk_below(&f->rng, 4);
		a->gs.budget = tk_chance(&f->rng, 30) ? 0 :
			       tk_chance(&f->rng, 50) ? tk_below(&f->rng, 12) :
			       fz_u32_edge(f);
		snprintf(a->gs.label, sizeof(a->gs.label), "fz-%llx",
			 (unsigned long long)tk_rand(&f->rng));
		break;
	case VQNOTIFY_DEV_ADD:
		a->da.transport = 1 + tk_below(&f->rng, 3);
		a->da.num_queues = tk_chance(&f->rng, 3) ?
				   1 + tk_below(&f->rng, VQNOTIFY_MAX_QUEUES) :
				   1 + tk_below(&f->rng, 16);
		snprintf(a->da.label, sizeof(a->da.label), "virtio-%u",
			 tk_below(&f->rng, 1000));
		break;
	case VQNOTIFY_SET_STATUS:
		switch (tk_below(&f->rng, 5)) {
		case 0:
			a->op.status = 0;
			break;
		case 1:
			a->op.status = TK_STATUS_FEATURES;
			break;
		case 2:
			a->op.status = tk_below(&f->rng, 256);
			break;
		default:
			a->op.status = TK_STATUS_OK;
		}
		if (tk_chance(&f->rng, 50) && a->op.status) {
			for (uint32_t w = 0; w < TK_BITMAP_WORDS(nq); w++)
				ready[w] = tk_rand(&f->rng);
			if (nq % 64)
				ready[TK_BITMAP_WORDS(nq) - 1] &= (1ULL << nq % 64) - 1;
			a->op.ready = (uintptr_t)ready;
		}
		fallthrough;
	case VQNOTIFY_DEV_RESET:
	case VQNOTIFY_DEV_REMOVE:
		a->op.dev_id = id;
		if (tk_chance(&f->rng, 70)) {
			a->op.results = (uintptr_t)(m->rw + FZ_RESULTS);
			a->op.nr_results = VQNOTIFY_MAX_QUEUES;
		}
		break;
	case VQNOTIFY_SET_HOST_NOTIFIER:
		a->hn.flags = tk_below(&f->rng, 2);
		a->hn.dev_id = id;
		a->hn.queue = tk_below(&f->rng, nq);
		break;
	case VQNOTIFY_QUEUE_GET:
		a->qg.dev_id = id;
		a->qg.queue = tk_below(&f->rng, nq);
		break;
	case VQNOTIFY_DEV_GET:
		a->dg.dev_id = id;
		if (tk_chance(&f->rng, 80)) {
			a->dg.queues = (uintptr_t)(m->rw + FZ_QUEUES);
			a->dg.nr_queues = tk_chance(&f->rng, 70) ?
					  VQNOTIFY_MAX_QUEUES :
					  tk_below(&f->rng, nq + 2);
		}
		break;
	case VQNOTIFY_DEV_SAVE:
		a->mg.dev_id = id;
		a->mg.data = (uintptr_t)(m->rw + FZ_DATA);
		a->mg.len = tk_chance(&f->rng, 80) ? TK_BLOB_MAX :
			    tk_below(&f->rng, 64);
		break;
	case VQNOTIFY_DEV_LOAD:
		a->mg.dev_id = id;
		a->mg.data = (uintptr_t)(m->rw + FZ_DATA);
		a->mg.len = f->blob_len;
		memcpy(m->rw + FZ_DATA, f->blob, f->blob_len);
		if (f->blob_len && tk_chance(&f->rng, 50)) {
			uint8_t *p = m->rw + FZ_DATA;

			p[tk_below(&f->rng, f->blob_len)] ^=
				1 << tk_below(&f->rng, 8);
			if (tk_chance(&f->rng, 70))
				tk_blob_reseal(p, f->blob_len);
		}
		if (tk_chance(&f->rng, 70)) {
			a->mg.results = (uintptr_t)(m->rw + FZ_RESULTS);
			a->mg.nr_results = VQNOTIFY_MAX_QUEUES;
		}
		break;
	}
}

static void fz_put(uint8_t *p, const struct fz_field *fl, uint64_t v)
{
	if (fl->size == 8)
		memcpy(p + fl->off, &v, 8);
	else
		memcpy(p + fl->off, &v, 4);
}

static void fz_mutate_field(struct fz *f, union fz_arg *a,
			    const struct fz_field *fl)
{
	struct tk_rng *r = &f->rng;
	uint8_t *p = a->b;

	switch (fl->kind) {
	case K_FLAGS:
		fz_put(p, fl, tk_chance(r, 50) ? 1U << tk_below(r, 32) :
						 fz_u32_edge(f));
		break;
	case K_RSVD:
	case K_OUT:
	case K_BUDGET:
	case K_NUMQ:
	case K_LEN:
	case K_NR:
	case K_DEVID:
	case K_QUEUE:
		fz_put(p, fl, fl->size == 8 ? tk_rand(r) : fz_u32_edge(f));
		break;
	case K_STATUS:
		fz_put(p, fl, tk_chance(r, 50) ? tk_below(r, 512) :
						 fz_u32_edge(f));
		break;
	case K_TRANSPORT:
		fz_put(p, fl, tk_below(r, 6));
		break;
	case K_LABEL:
		/* Unterminated, or garbage after the NUL. */
		for (unsigned int i = 0; i < fl->size; i++)
			p[fl->off + i] = 1 + tk_below(r, 255);
		if (tk_chance(r, 50))
			p[fl->off + tk_below(r, fl->size)] = 0;
		break;
	case K_PTR_RES:
		fz_put(p, fl, fz_uptr(f, FZ_RESULTS,
				      VQNOTIFY_MAX_QUEUES *
				      sizeof(struct vqnotify_vq_result)));
		break;
	case K_PTR_READY:
		fz_put(p, fl, fz_uptr(f, FZ_READY,
				      TK_BITMAP_WORDS(VQNOTIFY_MAX_QUEUES) * 8));
		break;
	case K_PTR_QUEUES:
		fz_put(p, fl, fz_uptr(f, FZ_QUEUES,
				      VQNOTIFY_MAX_QUEUES *
				      sizeof(struct vqnotify_vq_info)));
		break;
	case K_PTR_DATA:
		fz_put(p, fl, fz_uptr(f, FZ_DATA, TK_BLOB_MAX));
		break;
	}
}

/* Size field, then tail bytes beyond the structure. */
static uint32_t fz_mutate_size(struct fz *f, union fz_arg *a, uint32_t size)
{
	struct tk_rng *r = &f->rng;
	uint32_t usize;

	switch (tk_below(r, 10)) {
	case 0:
		usize = tk_below(r, 9);
		break;
	case 1:
		usize = size - 1 - tk_below(r, size < 8 ? 1 : 8);
		break;
	case 2:
		usize = size + 1 + tk_below(r, 16);
		break;
	case 3:
		usize = 2 * size;
		break;
	case 4:
		usize = 0xffffffff;
		break;
	case 5:
		usize = (uint32_t)tk_rand(r);
		break;
	default:
		usize = size + 8 * tk_below(r, size / 8 + 1);
	}
	a->info.size = usize;
	if (usize > size && tk_chance(r, 40)) {
		uint32_t room = sizeof(*a) - size;
		uint32_t span = usize - size < room ? usize - size : room;

		a->b[size + tk_below(r, span)] = 1 + tk_below(r, 255);
	}
	return usize;
}

/* Place the structure; returns the pointer to hand the kernel. */
static void *fz_place(struct fz *f, union fz_arg *a, uint32_t usize,
		      uint32_t size)
{
	struct tk_mem *m = &f->mem;
	size_t len = usize < sizeof(*a) ? (usize > size ? usize : size) :
					  sizeof(*a);
	size_t cut;

	memset(m->rw + FZ_ARG, 0, 2 * m->page);
	switch (tk_below(&f->rng, 50)) {
	case 0:
	case 1:
		memcpy(m->rw + FZ_ARG, a, len);
		return m->ro + FZ_ARG;
	case 2:
	case 3:
		cut = tk_below(&f->rng, len);
		memcpy(tk_mem_edge(m, cut), a, cut);
		return tk_mem_edge(m, cut);
	case 4:
		return m->hole;
	case 5:
		return NULL;
	case 6:
		return (void *)(uintptr_t)TK_KERNEL_PTR;
	case 7:
		memcpy(m->rw + FZ_ARG + 3, a, len);
		return m->rw + FZ_ARG + 3;
	default:
		memcpy(m->rw + FZ_ARG, a, len);
		return m->rw + FZ_ARG;
	}
}

static bool fz_generic_type(unsigned int type)
{
	/* Handled by the VFS before the driver: FIONBIO, FIFREEZE, ... */
	return type == 'T' || type == 'X' || type == 'f' || type == 0x94 ||
	       type == 0 || type == 0x15;
}

static unsigned long fz_random_cmd(struct fz *f)
{
	uint32_t cmd;

	do {
		cmd = tk_rand(&f->rng);
		switch (tk_below(&f->rng, 3)) {
		case 0:
			cmd = _IO(VQNOTIFY_TYPE, tk_below(&f->rng, 256));
			break;
		case 1:
			cmd = (cmd & ~0xff00U) | VQNOTIFY_TYPE << 8;
			break;
		}
	} while (fz_generic_type(_IOC_TYPE(cmd)));
	return cmd;
}

static void fz_after_ok(struct fz *f, struct fz_guest *g, unsigned long cmd,
			const union fz_arg *sent, const void *uarg)
{
	const union fz_arg *back = uarg;

	if (uarg != f->mem.rw + FZ_ARG)
		return;
	switch (cmd) {
	case VQNOTIFY_DEV_ADD:
		fz_dev_added(g, back->da.out_dev_id, sent->da.num_queues);
		break;
	case VQNOTIFY_DEV_REMOVE:
		fz_dev_gone(g, sent->op.dev_id);
		break;
	case VQNOTIFY_DEV_SAVE:
		if (back->mg.len <= TK_BLOB_MAX &&
		    sent->mg.data == (uintptr_t)(f->mem.rw + FZ_DATA)) {
			memcpy(f->blob, f->mem.rw + FZ_DATA, back->mg.len);
			f->blob_len = back->mg.len;
		}
		break;
	}
}

/*
 * Flip one bit outside the user pointers: a pointer one bit away from a
 * scratch buffer could reach live memory of this process.
 */
static void fz_flip(struct fz *f, unsigned int c, union fz_arg *a)
{
	uint32_t at = tk_below(&f->rng, fz_cmds[c].size);

	for (unsigned int k = 0; k < TK_ARRAY_SIZE(fz_cmds[c].f); k++) {
		const struct fz_field *fl = &fz_cmds[c].f[k];

		if (fl->kind >= K_PTR_RES && fl->size &&
		    at >= fl->off && at < fl->off + fl->size)
			return;
	}
	a->b[at] ^= 1 << tk_below(&f->rng, 8);
}

/*
 * Words where some command has a user pointer (dev_op ready and results,
 * dev_get queues, migration data and results) must, whatever command runs,
 * hold 0, a scratch address or no user address: a random command reads a
 * structure as another one, and a mutated field may look like a pointer.
 */
static void fz_sanitize(struct fz *f, union fz_arg *a)
{
	static const unsigned int offs[] = { 16, 24 };
	const struct tk_mem *m = &f->mem;

	for (unsigned int i = 0; i < TK_ARRAY_SIZE(offs); i++) {
		uint64_t v;

		memcpy(&v, a->b + offs[i], 8);
		if (!v || v >= 0x0000800000000000ULL ||
		    (v >= (uintptr_t)m->rw &&
		     v < (uintptr_t)m->hole + m->page) ||
		    (v >= (uintptr_t)m->ro && v < (uintptr_t)m->ro + m->len) ||
		    (v >= (uintptr_t)m->none &&
		     v < (uintptr_t)m->none + TK_NONE_SIZE))
			continue;
		v = (uintptr_t)m->none + v % TK_NONE_SIZE;
		memcpy(a->b + offs[i], &v, 8);
	}
}

/* One ioctl, well formed or mutated, maybe with a random command. */
static void fz_ioctl(struct fz *f, bool mutate)
{
	union fz_arg a;
	struct fz_guest *g;
	unsigned int c = tk_below(&f->rng, FZ_NCMDS);
	unsigned long cmd = fz_cmds[c].cmd;
	uint32_t size = fz_cmds[c].size, usize = size;
	void *uarg;
	int gi, ret;

	g = fz_pick_guest(f, &gi);
	fz_build(f, c, g, &a);
	if (mutate) {
		unsigned int n = 1 + tk_below(&f->rng, 3);

		for (unsigned int i = 0; i < n; i++) {
			unsigned int k = tk_below(&f->rng, 8);

			if (k < TK_ARRAY_SIZE(fz_cmds[c].f) &&
			    fz_cmds[c].f[k].size)
				fz_mutate_field(f, &a, &fz_cmds[c].f[k]);
			else if (tk_chance(&f->rng, 50))
				usize = fz_mutate_size(f, &a, size);
			else
				fz_flip(f, c, &a);
		}
		if (tk_chance(&f->rng, 4))
			cmd = fz_random_cmd(f);
		fz_sanitize(f, &a);
	}
	uarg = mutate ? fz_place(f, &a, usize, size) : NULL;
	if (!uarg) {
		uarg = f->mem.rw + FZ_ARG;
		memcpy(uarg, &a, size);
	}
	if (cmd == VQNOTIFY_DEV_ADD)
		fz_count_add(f, g);
	f->rep->ioctls++;
	ret = ioctl(g->fd, cmd, uarg) ? -errno : 0;
	fz_trace(f, cmd, usize, gi, ret);
	if (!ret) {
		f->rep->ioctl_ok++;
		fz_after_ok(f, g, cmd, &a, uarg);
	} else if (!fz_errno_ok(-ret)) {
		fz_fail(f, "%s (cmd %#lx, size %u) on guest %d: %s",
			cmd == fz_cmds[c].cmd ? fz_cmds[c].name : "random",
			cmd, usize, gi, strerror(-ret));
	} else if (!mutate && ret == -EFAULT) {
		fz_fail(f, "well-formed %s on guest %d: EFAULT",
			fz_cmds[c].name, gi);
	}
}

/* Lifecycle traffic that moves queues between states. */
static void fz_drive(struct fz *f)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	struct fz_guest *g;
	uint32_t nq, id, nr = VQNOTIFY_MAX_QUEUES, len;
	int gi, ret = 0;
	unsigned long what;

	g = fz_pick_guest(f, &gi);
	id = fz_pick_dev(f, g, &nq);
	switch (tk_below(&f->rng, 10)) {
	case 0:
		what = VQNOTIFY_DEV_ADD;
		nq = tk_chance(&f->rng, 2) ? VQNOTIFY_MAX_QUEUES :
					     1 + tk_below(&f->rng, 24);
		fz_count_add(f, g);
		ret = _test_ioctl_dev_add(g->fd, 1 + tk_below(&f->rng, 3), nq, "drv",
				 &id);
		if (!ret)
			fz_dev_added(g, id, nq);
		break;
	case 1:
	case 2:
		what = VQNOTIFY_SET_STATUS;
		ret = _test_ioctl_set_status(g->fd, id, tk_chance(&f->rng, 70) ? TK_STATUS_OK : tk_chance(&f->rng, 50) ? TK_STATUS_FEATURES : 0, NULL, res, &nr);
		break;
	case 3:
	case 4:
		what = VQNOTIFY_SET_HOST_NOTIFIER;
		ret = _test_ioctl_host_notifier(g->fd, id, tk_below(&f->rng, nq),
				       tk_chance(&f->rng, 60), NULL);
		break;
	case 5:
		what = VQNOTIFY_GUEST_SET;
		ret = _test_ioctl_set_budget(g->fd, tk_chance(&f->rng, 40) ? 0 :
				    tk_below(&f->rng, 40));
		break;
	case 6:
		what = VQNOTIFY_DEV_RESET;
		ret = _test_ioctl_dev_op(g->fd, what, id, 0, NULL, res, &nr);
		break;
	case 7:
		what = VQNOTIFY_DEV_REMOVE;
		if (g->nids < 4 && tk_chance(&f->rng, 70))
			return;
		ret = _test_ioctl_dev_op(g->fd, what, id, 0, NULL, res, &nr);
		if (!ret)
			fz_dev_gone(g, id);
		break;
	case 8:
		what = VQNOTIFY_DEV_SAVE;
		len = sizeof(f->blob);
		ret = _test_ioctl_dev_save(g->fd, id, f->blob, &len);
		f->blob_len = ret ? 0 : len;
		f->blob_nq = nq;
		break;
	default:
		/* Migrate: a fresh device of the saved shape, then LOAD. */
		what = VQNOTIFY_DEV_LOAD;
		if (!f->blob_len)
			return;
		memcpy(&f->blob_transport, f->blob + 20, 4);
		memcpy(&nq, f->blob + 24, 4);
		fz_count_add(f, g);
		ret = _test_ioctl_dev_add(g->fd, f->blob_transport, nq, "dst", &id);
		if (ret)
			break;
		fz_dev_added(g, id, nq);
		ret = _test_ioctl_dev_load(g->fd, id, f->blob, f->blob_len, res, &nr);
		break;
	}
	fz_trace(f, what, 0, gi, ret);
	if (ret && !fz_errno_ok(-ret))
		fz_fail(f, "lifecycle %#lx on guest %d: %s", what, gi,
			strerror(-ret));
	else if (ret == -EFAULT || ret == -E2BIG || ret == -EOPNOTSUPP)
		fz_fail(f, "well-formed lifecycle %#lx on guest %d: %s", what,
			gi, strerror(-ret));
	else if (!ret && nr > VQNOTIFY_MAX_QUEUES)
		fz_fail(f, "lifecycle %#lx: %u results", what, nr);
}

/* The other file operations the device does not have. */
static void fz_other_fops(struct fz *f)
{
	struct fz_guest *g;
	int gi;
	void *p;

	g = fz_pick_guest(f, &gi);
	switch (tk_below(&f->rng, 3)) {
	case 0:
		if (write(g->fd, f->mem.rw, tk_below(&f->rng, 64)) >= 0 ||
		    errno != EINVAL)
			fz_fail(f, "write on guest %d did not fail EINVAL",
				gi);
		break;
	case 1:
		p = mmap(NULL, f->mem.page, PROT_READ, MAP_SHARED, g->fd, 0);
		if (p != MAP_FAILED) {
			munmap(p, f->mem.page);
			fz_fail(f, "mmap of guest %d succeeded", gi);
		}
		break;
	default:
		lseek(g->fd, tk_rand(&f->rng) >> 1, SEEK_SET);
		break;
	}
}

/* Own guest closed and opened again, checked first. */
static void fz_reopen(struct fz *f)
{
	int gi = tk_below(&f->rng, FZ_OWN);
	struct fz_guest *g = &f->g[gi];
	struct tk_why w;

	/* Other fuzzers' netlink admin calls may change it meanwhile. */
	if (tk_check_guest_scan(g->fd, fz_max_id(f, g), NULL, &w) == -1)
		fz_fail(f, "own guest %d before reopen: %s", gi, w.msg);
	close(g->fd);
	f->rep->reopen++;
	if (fz_open_guest(f, g))
		fz_fail(f, "reopen guest %d: %s", gi, strerror(-g->fd));
}

static void fz_netlink(struct fz *f);

static void fz_run(struct fz *f)
{
	while (!f->rep->failed && tk_now() < f->deadline &&
	       (!f->max_iters || f->rep->iters < f->max_iters)) {
		unsigned int pick = tk_below(&f->rng, 1000);

		f->rep->iters++;
		if (pick < 350)
			fz_drive(f);
		else if (pick < 800)
			fz_ioctl(f, true);
		else if (pick < 850)
			fz_ioctl(f, false);
		else if (pick < 930)
			fz_read(f);
		else if (pick < 960)
			fz_poll(f);
		else if (pick < 970)
			fz_other_fops(f);
		else if (pick < 975)
			fz_reopen(f);
		else if (f->have_nl)
			fz_netlink(f);
	}
}

/* Netlink: random and valid messages to the vqnotify family. */

static void fz_nl_drain(struct fz *f)
{
	char buf[8192];

	while (recv(f->nl.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	while (f->have_mon) {
		ssize_t n = recv(f->mon.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n <= 0 && !(n < 0 && errno == ENOBUFS))
			break;	/* overruns are expected: it is a flood */
	}
}

/* A guest id some fuzzer may hold, or a random one. */
static uint32_t fz_nl_guest_id(struct fz *f)
{
	uint32_t n = TK_ARRAY_SIZE(f->sh->guest_ids);

	if (tk_chance(&f->rng, 20))
		return tk_chance(&f->rng, 50) ? f->sh->shared_id :
						fz_u32_edge(f);
	return __atomic_load_n(&f->sh->guest_ids[tk_below(&f->rng, n)],
			       __ATOMIC_RELAXED);
}

/* A request the family accepts, with values that stress the guests. */
static void fz_nl_valid(struct fz *f)
{
	struct tk_rng *r = &f->rng;
	struct tk_nl_attr a[4];
	int n = 0, ret;
	uint8_t cmd = 1 + tk_below(r, VQNOTIFY_CMD_CONFIG_SET);
	bool dump = false;

	switch (cmd) {
	case VQNOTIFY_CMD_GUEST_GET:
		dump = tk_chance(r, 50);
		if (!dump)
			a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_GUEST_ID,
						      fz_nl_guest_id(f) };
		break;
	case VQNOTIFY_CMD_GUEST_SET:
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_GUEST_ID,
					      fz_nl_guest_id(f) };
		if (tk_chance(r, 70))
			a[n++] = (struct tk_nl_attr){
				VQNOTIFY_A_GUEST_ADMIN_BUDGET,
				tk_chance(r, 50) ? tk_below(r, 40) : 1024 };
		if (!n || tk_chance(r, 40))
			a[n++] = (struct tk_nl_attr){
				VQNOTIFY_A_GUEST_VHOST_RESERVE,
				tk_below(r, 8) };
		break;
	case VQNOTIFY_CMD_DEV_GET:
	case VQNOTIFY_CMD_QUEUE_GET:
		dump = tk_chance(r, 50);
		if (!dump || tk_chance(r, 50))
			a[n++] = (struct tk_nl_attr){ 1, fz_nl_guest_id(f) };
		if (!dump || tk_chance(r, 30))
			a[n++] = (struct tk_nl_attr){ 2,
						      1 + tk_below(r, 64) };
		if (cmd == VQNOTIFY_CMD_QUEUE_GET && !dump)
			a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_QUEUE_INDEX,
						      tk_below(r, 24) };
		break;
	case VQNOTIFY_CMD_CONFIG_GET:
		break;
	case VQNOTIFY_CMD_CONFIG_SET:
		/* Host cap and threshold at values that bite. */
		a[n++] = (struct tk_nl_attr){
			1 + tk_below(r, VQNOTIFY_A_CONFIG_HOST_CAP),
			tk_chance(r, 50) ? 1 + tk_below(r, 64) :
					   1 + tk_below(r, 4096) };
		break;
	}
	f->rep->nl_msgs++;
	ret = tk_nl_call(&f->nl, cmd, dump, a, n, NULL, NULL);
	fz_trace(f, 0x4e4c0000 | cmd, n, -1, ret);
	if (ret && ret != -ENOENT && ret != -EINVAL && ret != -ENOMEM &&
	    ret != -ENOBUFS)
		fz_fail(f, "netlink cmd %u (%d attrs%s): %s", cmd, n,
			dump ? ", dump" : "", strerror(-ret));
}

static void fz_netlink(struct fz *f)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		uint8_t attrs[1024];
	} *req = (void *)(f->mem.rw + FZ_NLBUF);
	struct tk_rng *r = &f->rng;
	size_t off = 0;
	unsigned int nattr = tk_below(r, 6);
	uint32_t v;
	int ret;

	if (tk_chance(r, 50)) {
		fz_nl_valid(f);
		return;
	}
	memset(req, 0, sizeof(*req));
	req->n.nlmsg_type = f->nl.family;
	req->n.nlmsg_flags = NLM_F_REQUEST | (tk_chance(r, 30) ? NLM_F_DUMP : 0) |
			     (tk_chance(r, 50) ? NLM_F_ACK : 0);
	req->n.nlmsg_seq = tk_below(r, 1000);
	req->g.cmd = tk_chance(r, 90) ? 1 + tk_below(r, VQNOTIFY_CMD_MAX + 1) :
					tk_below(r, 256);
	req->g.version = tk_chance(r, 90) ? 1 : tk_below(r, 256);
	for (unsigned int i = 0; i < nattr && off < 900; i++) {
		uint16_t type = tk_chance(r, 85) ? 1 + tk_below(r, 17) :
						   tk_below(r, 0x10000);
		uint8_t data[40];
		uint16_t len;

		if (tk_chance(r, 60)) {
			/* u32 with an interesting value. */
			v = tk_chance(r, 50) ? tk_below(r, 2000) :
					       fz_u32_edge(f);
			len = tk_chance(r, 90) ? 4 : tk_below(r, 9);
			memset(data, 0, sizeof(data));
			memcpy(data, &v, 4);
		} else {
			len = tk_below(r, sizeof(data));
			for (uint16_t k = 0; k < len; k++)
				data[k] = tk_rand(r);
		}
		tk_nla_put(req->attrs, &off, type, data, len);
		if (tk_chance(r, 5)) {
			/* A lying attribute length. */
			struct nlattr *last = (struct nlattr *)
				(req->attrs + off - NLA_ALIGN(NLA_HDRLEN + len));

			last->nla_len = tk_below(r, 0x10000);
		}
	}
	req->n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + off;
	if (tk_chance(r, 3))
		req->n.nlmsg_len = tk_below(r, req->n.nlmsg_len + 8);
	f->rep->nl_msgs++;
	/* Garbage may be refused by send() itself: any errno will do. */
	ret = send(f->nl.fd, req, req->n.nlmsg_len, MSG_DONTWAIT);
	fz_trace(f, 0x4e4c0000 | req->g.cmd, req->n.nlmsg_len, -1,
		 ret < 0 ? -errno : 0);
	fz_nl_drain(f);
}

/* One fuzzer process; its verdict goes to its report. */
/*
 * The invariants of a guest, once it holds still: other guests' calls may
 * free host slots, and the promotion work then moves this guest's waiting
 * queues (r) while it is scanned (TK_UNSTABLE). Give that a second.
 */
static int fz_scan_settled(int fd, uint32_t max_id, struct tk_why *w)
{
	int ret, i;

	for (i = 0; i < 100; i++) {
		ret = tk_check_guest_scan(fd, max_id, NULL, w);
		if (ret != TK_UNSTABLE)
			return ret;
		usleep(10000);
	}
	return ret;
}

static void fz_child(struct fz_shared *sh, int idx, int shared_fd,
		     uint64_t seed, double seconds, uint64_t max_iters)
{
	struct fz f = { 0 };
	struct tk_why w;
	int i;

	f.sh = sh;
	f.rep = &sh->rep[idx];
	f.rep->seed = seed;
	f.rng.s = seed + idx * 0x632be59bd9b4e019ULL;
	f.deadline = tk_now() + seconds;
	f.max_iters = max_iters;
	if (tk_mem_init(&f.mem)) {
		fz_fail(&f, "scratch memory: %s", strerror(errno));
		return;
	}
	for (i = 0; i < FZ_OWN; i++) {
		if (fz_open_guest(&f, &f.g[i])) {
			fz_fail(&f, "open: %s", strerror(-f.g[i].fd));
			return;
		}
	}
	f.g[FZ_OWN] = (struct fz_guest){ .fd = shared_fd, .shared = true };
	f.have_nl = !tk_nl_open(&f.nl);
	/* Half the fuzzers listen: notifications are built only then. */
	if (f.have_nl && f.nl.monitor && tk_chance(&f.rng, 50) &&
	    !tk_nl_open(&f.mon))
		f.have_mon = !setsockopt(f.mon.fd, SOL_NETLINK,
					 NETLINK_ADD_MEMBERSHIP, &f.mon.monitor,
					 sizeof(f.mon.monitor));

	fz_run(&f);
	/* Wait until every fuzzer stopped and the admin state is back. */
	__atomic_add_fetch(&sh->stopped, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go_check, __ATOMIC_SEQ_CST))
		usleep(1000);
	if (f.rep->failed)
		return;

	/* Own guests: invariants, still usable, then closed. */
	for (i = 0; i < FZ_OWN; i++) {
		struct fz_guest *g = &f.g[i];

		if (fz_scan_settled(g->fd, fz_max_id(&f, g), &w) ||
		    tk_check_usable(g->fd, fz_max_id(&f, g), &w) ||
		    fz_scan_settled(g->fd, fz_max_id(&f, g) + 1, &w)) {
			fz_fail(&f, "own guest %d after fuzzing: %s", i,
				w.msg);
			return;
		}
		close(g->fd);
	}
}

/* Run the fuzzer with the configured knobs. */
TEST(fuzz)
{
	double seconds = tk_env_ull("VQN_FUZZ_SECONDS", 60);
	unsigned int procs = tk_env_ull("VQN_FUZZ_PROCS", 4);
	uint64_t max_iters = tk_env_ull("VQN_FUZZ_ITERS", 0);
	uint64_t seed = tk_seed("VQN_FUZZ_SEED");
	struct fz_shared *sh;
	struct vqnotify_info info;
	uint32_t used0, guests0, used1, guests1;
	uint64_t iters = 0, ioctls = 0, ok = 0, reads = 0, events = 0,
		 nls = 0, reopen = 0;
	pid_t pids[FZ_MAX_PROCS];
	struct tk_nl_config cfg;
	struct tk_nl nl;
	bool have_nl;
	struct tk_why w;
	double t0;
	int shared_fd, status;
	unsigned int i;

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	if (procs < 1 || procs > FZ_MAX_PROCS)
		procs = 4;
	ksft_print_msg("fuzz: seed %#llx, %u processes, %.0f s (VQN_FUZZ_SEED, VQN_FUZZ_PROCS, VQN_FUZZ_SECONDS)\n",
		       (unsigned long long)seed, procs, seconds);
	ASSERT_EQ(0, tk_host_usage(&used0, &guests0));

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	shared_fd = tk_open(0);
	ASSERT_LE(0, shared_fd);
	fcntl(shared_fd, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(0, _test_ioctl_get_info(shared_fd, &info));

	/* Fuzzers may change the host-wide settings as root: kept here. */
	have_nl = !tk_nl_open(&nl);
	if (have_nl)
		ASSERT_EQ(0, _test_nl_config_get(&nl, &cfg));
	{
		struct vqnotify_guest_info gi;

		ASSERT_EQ(0, _test_ioctl_guest_get(shared_fd, &gi));
		sh->shared_id = gi.guest_id;
	}

	t0 = tk_now();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			fz_child(sh, i, shared_fd, seed, seconds, max_iters);
			_exit(0);
		}
	}
	while (__atomic_load_n(&sh->stopped, __ATOMIC_SEQ_CST) < procs) {
		siginfo_t si = { 0 };

		/* A fuzzer that died never stops: do not wait for it. */
		if (!waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid)
			break;
		usleep(10000);
	}
	if (have_nl) {
		EXPECT_EQ(0, _test_nl_config_set(&nl, &cfg));
		/* Host-cap promotion work the restore may have queued. */
		usleep(200000);
	}
	__atomic_store_n(&sh->go_check, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < procs; i++) {
		struct fz_report *r = &sh->rep[i];

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("fuzzer %u (seed %#llx) died: status %#x", i,
			       (unsigned long long)seed, status);
		}
		EXPECT_FALSE(r->failed) {
			TH_LOG("fuzzer %u: %s", i, r->why);
		}
		iters += r->iters;
		ioctls += r->ioctls;
		ok += r->ioctl_ok;
		reads += r->reads;
		events += r->events;
		nls += r->nl_msgs;
		reopen += r->reopen;
	}
	ksft_print_msg("fuzz: %llu iterations in %.1f s (%.0f/s): %llu ioctls (%llu succeeded), %llu reads (%llu events), %llu netlink messages, %llu guest reopens\n",
		       (unsigned long long)iters, tk_now() - t0,
		       iters / (tk_now() - t0), (unsigned long long)ioctls,
		       (unsigned long long)ok, (unsigned long long)reads,
		       (unsigned long long)events, (unsigned long long)nls,
		       (unsigned long long)reopen);

	/* The shared guest, now that nobody else uses it. */
	EXPECT_EQ(0, fz_scan_settled(shared_fd, sh->shared_adds + 1, &w)) {
		TH_LOG("shared guest (seed %#llx): %s",
		       (unsigned long long)seed, w.msg);
	}
	EXPECT_EQ(0, tk_check_usable(shared_fd, sh->shared_adds + 1, &w)) {
		TH_LOG("shared guest (seed %#llx): %s",
		       (unsigned long long)seed, w.msg);
	}
	close(shared_fd);

	ASSERT_EQ(0, tk_host_usage(&used1, &guests1));
	EXPECT_EQ(used0, used1) {
		TH_LOG("host_used %u before, %u after every fuzzer is gone (seed %#llx)",
		       used0, used1, (unsigned long long)seed);
	}
	EXPECT_EQ(guests0, guests1) {
		TH_LOG("nr_guests %u before, %u after (seed %#llx)",
		       guests0, guests1, (unsigned long long)seed);
	}
}

int main(int argc, char **argv)
{
	TK_SET_TIMEOUT(fuzz, tk_env_ull("VQN_FUZZ_SECONDS", 60) + 120);
	return test_harness_run(argc, argv);
}
