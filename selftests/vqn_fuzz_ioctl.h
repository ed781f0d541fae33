/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_fuzz_ioctl.h: the ioctls of vqn_fuzz_test. A table of every command
 * and what each field of its structure holds; fz_build() makes a
 * well-formed structure, the mutators change fields, the size and the tail,
 * fz_place() puts it where the kernel must fault or read it; fz_ioctl()
 * sends one, maybe under a random command number, and fz_drive() moves
 * queues through their lifecycle with well-formed calls. Every error must
 * be one the uAPI documents.
 */
#ifndef _VQN_FUZZ_IOCTL_H
#define _VQN_FUZZ_IOCTL_H

#include "vqn_fuzz.h"

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
/*
 * The commands that take a device and hand back results: flags, dev_id,
 * a value and a pointer of their own, results, nr_results, reserved.
 */
#define FZ_RESULTS_CMD(_cmd, _name, T, val, val_kind, ptr, ptr_kind)	\
	{ _cmd, _name, sizeof(T), {					\
		F(T, flags, K_FLAGS), F(T, dev_id, K_DEVID),		\
		F(T, val, val_kind), F(T, ptr, ptr_kind),		\
		F(T, results, K_PTR_RES), F(T, nr_results, K_NR),	\
		F(T, __reserved, K_RSVD) } }
#define FZ_DEV_OP_CMD(_cmd, _name)					\
	FZ_RESULTS_CMD(_cmd, _name, T_OP, status, K_STATUS, ready, K_PTR_READY)
#define FZ_MIGRATION_CMD(_cmd, _name)					\
	FZ_RESULTS_CMD(_cmd, _name, T_MG, len, K_LEN, data, K_PTR_DATA)
#define FZ_QUEUES_CMD(_cmd, _name)					\
	FZ_RESULTS_CMD(_cmd, _name, T_QS, nr_queues, K_NR, queues, K_PTR_READY)

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
	FZ_DEV_OP_CMD(VQNOTIFY_SET_STATUS, "SET_STATUS"),
	FZ_DEV_OP_CMD(VQNOTIFY_DEV_RESET, "DEV_RESET"),
	FZ_DEV_OP_CMD(VQNOTIFY_DEV_REMOVE, "DEV_REMOVE"),
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
	FZ_MIGRATION_CMD(VQNOTIFY_DEV_SAVE, "DEV_SAVE"),
	FZ_MIGRATION_CMD(VQNOTIFY_DEV_LOAD, "DEV_LOAD"),
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

#endif /* _VQN_FUZZ_IOCTL_H */
