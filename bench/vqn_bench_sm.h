/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state machine the module runs (kmod/vqn_sm.c, unchanged) compiled into
 * the bench, with an environment that does what the module's does around it:
 * the call's results in a sink on the caller's array, a host-wide slot
 * counter. Used twice: called directly (the decision alone, no syscall, in
 * helper processes of the bench's) and behind a userspace broker, a process
 * answering requests on an AF_UNIX SOCK_SEQPACKET socket: one thread,
 * blocking recv()/send(), static buffers, the results sent back in the
 * reply, as a daemon doing vqnotify's job without the kernel would.
 *
 * Built as tools/sm builds vqn_sm.c: through kmod/vqn_user_shim.h.
 */
#ifndef _VQN_BENCH_SM_H
#define _VQN_BENCH_SM_H

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Each function of the copy starts a page, so none of its loops crosses
 * one: QEMU's TCG chains a jump only to a block of the same guest page. In
 * the rig, a build whose want_all() straddled two pages took 26.0-27.2 us
 * for a DRIVER_OK-1024, the same code page-aligned 20.4-20.6 us (three runs
 * each). The module's copy gets no such help: the reference is the code
 * at its best.
 */
#pragma GCC push_options
#pragma GCC optimize("align-functions=4096")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "../kmod/vqn_sm.c"
#pragma GCC diagnostic pop
#pragma GCC pop_options

unsigned long vqn_shim_warnings;

#define BSM_MAX_DEVS	8

struct bsm_guest {
	struct vqn_guest_sm sm;
	struct vqn_dev *devs[BSM_MAX_DEVS];
	/* The host-wide slot counter (one guest here). */
	u32 host_used, host_cap;
};

static struct bsm_guest *bsm_of(struct vqn_guest_sm *sm)
{
	return container_of(sm, struct bsm_guest, sm);
}

/* Events (p, r): none in the bench's calls, and nobody to tell. */
void vqn_env_report(struct vqn_guest_sm *sm, struct vqn_dev *d, u32 queue,
		    u8 old, u8 label, bool async)
{
}

u32 vqn_env_host_take_n(struct vqn_guest_sm *sm, u32 n, u32 least,
			u8 *reason)
{
	struct bsm_guest *g = bsm_of(sm);
	u32 got = g->host_cap - g->host_used;

	if (got >= n)
		got = n;
	else
		*reason = VQNOTIFY_REASON_HOST_CAP;
	if (got < least)
		got = 0;
	g->host_used += got;
	return got;
}

void vqn_env_host_give_n(struct vqn_guest_sm *sm, u32 n)
{
	bsm_of(sm)->host_used -= n;
}

void vqn_env_host_wait(struct vqn_guest_sm *sm, u8 reason)
{
}

void vqn_env_host_unwait(struct vqn_guest_sm *sm)
{
}

/*
 * A budget of 4096: the broker's one guest holds the one-queue device and
 * the 1024-queue device at once, where the module bench uses two guests.
 */
static void bsm_init(struct bsm_guest *g)
{
	memset(g, 0, sizeof(*g));
	vqn_sm_guest_init(&g->sm, 4096, 0, 7);
	g->sm.devs = g->devs;
	g->sm.nr_dev_slots = BSM_MAX_DEVS;
	g->host_cap = 1 << 20;
}

static int bsm_dev_add(struct bsm_guest *g, u32 nq)
{
	struct vqn_dev *d;
	int i;

	for (i = 0; i < BSM_MAX_DEVS && g->devs[i]; i++)
		;
	if (i == BSM_MAX_DEVS || !nq || nq > VQNOTIFY_MAX_QUEUES)
		return -EINVAL;
	d = calloc(1, sizeof(*d) + nq * sizeof(d->vqs[0]));
	if (!d)
		return -ENOMEM;
	d->id = i;
	d->num_queues = nq;
	d->transport = VQNOTIFY_TRANSPORT_MMIO;
	vqn_sm_dev_init(&g->sm, d, i);
	return i;
}

/* VQNOTIFY_SET_STATUS: returns the number of results, or -errno. */
static int bsm_set_status(struct bsm_guest *g, u32 dev, u32 status,
			  struct vqnotify_vq_result *res, u32 cap)
{
	struct vqn_dev *d = dev < BSM_MAX_DEVS ? g->devs[dev] : NULL;
	struct vqn_sink s = { .res = res, .cap = cap };

	if (!d)
		return -ENOENT;
	vqn_sm_set_status(&g->sm, d, status, NULL, &s);
	return s.nr;
}

/* VQNOTIFY_SET_HOST_NOTIFIER: 0 or -errno, the queue's result in @res. */
static int bsm_host_notifier(struct bsm_guest *g, u32 dev, u32 q, bool on,
			     struct vqnotify_vq_result *res)
{
	struct vqn_dev *d = dev < BSM_MAX_DEVS ? g->devs[dev] : NULL;
	unsigned long one[BITS_TO_LONGS(VQNOTIFY_MAX_QUEUES)] = { 0 };
	struct vqn_sink s = { .res = res, .cap = 1 };

	if (!d)
		return -ENOENT;
	if (q >= d->num_queues)
		return -EINVAL;
	/* As the module's ioctl: API 1's EALREADY, then a bitmap of one. */
	if (on == vqn_sm_vhost_holds(d, q))
		return -EALREADY;
	__set_bit(q, one);
	if (on)
		return vqn_sm_vhost_on(&g->sm, d, one, &s);
	vqn_sm_vhost_off(&g->sm, d, one, &s);
	return 0;
}

/* The broker's protocol: one request, one reply, each one datagram. */
enum { BRK_DEV_ADD = 1, BRK_SET_STATUS, BRK_HOST_NOTIFIER, BRK_QUIT };

struct brk_req {
	u32 op;
	u32 dev;
	u32 arg;	/* queues, status or queue index */
	u32 flags;	/* BRK_HOST_NOTIFIER: enable */
};

struct brk_rep {
	s32 ret;
	u32 nr;
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
};

/* The broker: serve @fd until BRK_QUIT or EOF. */
static void brk_serve(int fd)
{
	static struct bsm_guest g;
	static struct brk_rep rep;
	struct brk_req req;
	size_t len;

	bsm_init(&g);
	while (recv(fd, &req, sizeof(req), 0) == sizeof(req)) {
		rep.nr = 0;
		switch (req.op) {
		case BRK_DEV_ADD:
			rep.ret = bsm_dev_add(&g, req.arg);
			break;
		case BRK_SET_STATUS:
			rep.ret = bsm_set_status(&g, req.dev, req.arg, rep.res,
						 VQNOTIFY_MAX_QUEUES);
			if (rep.ret > 0)
				rep.nr = rep.ret;
			break;
		case BRK_HOST_NOTIFIER:
			rep.ret = bsm_host_notifier(&g, req.dev, req.arg,
						    req.flags, rep.res);
			rep.nr = 1;
			break;
		case BRK_QUIT:
			return;
		default:
			rep.ret = -EINVAL;
		}
		len = offsetof(struct brk_rep, res) + rep.nr * sizeof(rep.res[0]);
		if (send(fd, &rep, len, 0) != (ssize_t)len)
			return;
	}
}

/* Start the broker process; returns the client's socket. */
static int brk_start(pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (!*pid) {
		close(sv[0]);
		brk_serve(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

/* One request/response; the reply lands in @rep. Returns rep->ret. */
static int brk_call(int fd, u32 op, u32 dev, u32 arg, u32 flags,
		    struct brk_rep *rep)
{
	struct brk_req req = { op, dev, arg, flags };

	if (send(fd, &req, sizeof(req), 0) != sizeof(req) ||
	    recv(fd, rep, sizeof(*rep), 0) < (ssize_t)offsetof(struct brk_rep, res))
		return -EPIPE;
	return rep->ret;
}

#endif /* _VQN_BENCH_SM_H */
