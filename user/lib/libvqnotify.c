// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvqnotify: the calls of /dev/vqnotify. Each applies the events the
 * module has queued, makes its ioctl, and applies its results to the
 * library's view (view.c, which says in what order and why).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Copy a name into a field of @size bytes, NUL included. */
static int copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Open and close */

VQN_EXPORT
int vqn_open_path(struct vqn_guest **gp, const char *path, const char *name)
{
	struct vqnotify_info info = { .size = sizeof(info) };
	struct epoll_event ee = { .events = EPOLLIN };
	struct vqn_guest *g;
	int ret;

	*gp = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->epfd = g->notify = g->vm_fd = -1;
	g->pid = getpid();
	g->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (g->fd < 0) {
		ret = -errno;
		free(g);
		return ret;
	}
	ret = vqn_xioctl(g->fd, VQNOTIFY_GET_INFO, &info);
	if (ret)
		goto err;
	if (info.api_version < 1 ||
	    info.event_size < sizeof(struct vqnotify_event) ||
	    info.event_size > 4096) {
		ret = -EPROTO;
		goto err;
	}
	g->event_size = info.event_size;
	g->features = info.features;
	g->evbuf = malloc(g->event_size * VQN_EV_BATCH);
	if (!g->evbuf) {
		ret = -ENOMEM;
		goto err;
	}
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->notify = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->epfd < 0 || g->notify < 0) {
		ret = -errno;
		goto err;
	}
	ee.data.fd = g->fd;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->fd, &ee)) {
		ret = -errno;
		goto err;
	}
	ee.data.fd = g->notify;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->notify, &ee)) {
		ret = -errno;
		goto err;
	}
	if (name) {
		ret = vqn_set_name(g, name);
		if (ret)
			goto err;
	}
	*gp = g;
	return 0;
err:
	vqn_close(g);
	return ret;
}

VQN_EXPORT
int vqn_open(struct vqn_guest **gp, const char *name)
{
	return vqn_open_path(gp, VQN_DEVICE_PATH, name);
}

/*
 * A process forked from the opener, or from the process that attached the
 * VM (a VMM's device processes), has the guest's memory and fds, but the
 * VM's ioeventfds are that process's: its close frees its copies and
 * leaves KVM alone.
 */
VQN_EXPORT
void vqn_close(struct vqn_guest *g)
{
	struct vqn_view_dev *d;

	if (!g)
		return;
	if (g->binding && g->pid == getpid())
		g->binding->detach(g);
	else if (g->vm_fd >= 0)
		close(g->vm_fd);	/* its copy of the library's duplicate */
	while ((d = g->devs)) {
		g->devs = d->next;
		if (g->binding)
			g->binding->release(g, d);
		free(d);
	}
	if (g->notify >= 0)
		close(g->notify);
	if (g->epfd >= 0)
		close(g->epfd);
	close(g->fd);
	free(g->pend);
	free(g->rbuf);
	free(g->ready);
	free(g->evbuf);
	free(g);
}

VQN_EXPORT
int vqn_fd(const struct vqn_guest *g)
{
	return g->fd;
}

/* Guest */

VQN_EXPORT
int vqn_get_info(struct vqn_guest *g, struct vqnotify_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return vqn_xioctl(g->fd, VQNOTIFY_GET_INFO, info);
}

/*
 * The structs of vqn_guest_get() and vqn_dev_get() grew with API 2 (the
 * names, the run state). A program keeps the symbol version it was linked
 * with (libvqnotify.map): vqn_guest_get_api1() fills the struct of API 1's
 * header and not a byte past it (the module writes back no more than the
 * size it is given), vqn_guest_get@@VQNOTIFY_2 (the default, for programs
 * linked now) that of today's. libvqnotify.h names the _api1 function
 * (VQNOTIFY_3) for a program built with API 1's header; it is also
 * vqn_guest_get@VQNOTIFY_1, for programs linked before 1.2.0, whose header
 * bound their calls with a .symver. The _v2 name stays local.
 *
 * The versions are given by the symver attribute where the compiler has
 * it (GCC 10 on): link-time optimisation puts a top-level asm into one
 * partition, which need not hold the function it names, and GCC's then
 * fails to assemble the library.
 */
#ifdef __has_attribute
#if __has_attribute(__symver__)
#define VQN_SYMVER_ATTR
#endif
#endif
#ifdef VQN_SYMVER_ATTR
#define VQN_SYMVER(impl, sym) \
	extern __typeof__(impl) impl __attribute__((__symver__(sym)))
#else
#define VQN_SYMVER(impl, sym)	__asm__(".symver " #impl ", " sym)
#endif

static int guest_get(struct vqn_guest *g, struct vqnotify_guest_info *gi,
		     uint32_t size)
{
	memset(gi, 0, size);
	gi->size = size;
	return vqn_xioctl(g->fd, VQNOTIFY_GUEST_GET, gi);
}

VQN_EXPORT int vqn_guest_get_v2(struct vqn_guest *g,
				struct vqnotify_guest_info *gi);

VQN_EXPORT
int vqn_guest_get_api1(struct vqn_guest *g, struct vqnotify_guest_info *gi)
{
	return guest_get(g, gi, VQNOTIFY_GUEST_INFO_SIZE_VER1);
}
VQN_SYMVER(vqn_guest_get_api1, "vqn_guest_get@VQNOTIFY_1");

/*
 * An API 1 module writes no name: the label is the name it has (cut to 31
 * bytes), so "" means unnamed whatever the module.
 */
int vqn_guest_get_v2(struct vqn_guest *g, struct vqnotify_guest_info *gi)
{
	int ret = guest_get(g, gi, sizeof(*gi));

	if (!ret && !(g->features & VQNOTIFY_FEATURE_NAMES))
		memcpy(gi->name, gi->label, sizeof(gi->label));
	return ret;
}
VQN_SYMVER(vqn_guest_get_v2, "vqn_guest_get@@VQNOTIFY_2");

VQN_EXPORT
int vqn_set_label(struct vqn_guest *g, const char *name)
{
	return vqn_set_name(g, name);
}

/*
 * Names of up to VQNOTIFY_NAME_LEN - 1 bytes where the module has them. A
 * call like the others: the name's policy may lower the budget, and the
 * queues it preempts are settled before it returns.
 */
VQN_EXPORT
int vqn_set_name(struct vqn_guest *g, const char *name)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL,
	};
	int ret;

	if (g->features & VQNOTIFY_FEATURE_NAMES) {
		gs.flags = VQNOTIFY_GUEST_SET_NAME;
		ret = copy_name(gs.name, sizeof(gs.name), name);
	} else {
		ret = copy_name(gs.label, sizeof(gs.label), name);
	}
	if (ret)
		return ret;
	vqn_call_begin(g);
	ret = vqn_xioctl(g->fd, VQNOTIFY_GUEST_SET, &gs);
	return vqn_call_end(g, ret);
}

/*
 * The VM stops or runs again: slots stay reserved while it is stopped;
 * the caller holds no ioeventfd then (the KVM binding removes and re-adds
 * them).
 */
VQN_EXPORT
int vqn_set_run_state(struct vqn_guest *g, enum vqnotify_run_state state)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_RUN_STATE,
		.run_state = state,
	};
	int ret;

	if (!(g->features & VQNOTIFY_FEATURE_RUN_STATE))
		return -EOPNOTSUPP;
	vqn_call_begin(g);
	ret = vqn_xioctl(g->fd, VQNOTIFY_GUEST_SET, &gs);
	if (!ret) {
		g->stopped = state != VQNOTIFY_RUN_RUNNING;
		if (g->binding)
			g->binding->run_state(g);
	}
	return vqn_call_end(g, ret);
}

VQN_EXPORT
int vqn_set_budget(struct vqn_guest *g, uint32_t budget)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_BUDGET,
		.budget = budget,
	};
	int ret;

	vqn_call_begin(g);
	ret = vqn_xioctl(g->fd, VQNOTIFY_GUEST_SET, &gs);
	return vqn_call_end(g, ret);
}

/* Devices */

/* A device added behind the library's back (raw ioctls) is adopted. */
static int dev_lookup(struct vqn_guest *g, uint32_t id,
		      struct vqn_view_dev **dp)
{
	struct vqnotify_dev_get dg = { .size = sizeof(dg), .dev_id = id };
	struct vqn_view_dev *d = vqn_view_dev_find(g, id);
	int ret;

	if (!d) {
		ret = vqn_xioctl(g->fd, VQNOTIFY_DEV_GET, &dg);
		if (ret)
			return ret;
		d = vqn_dev_track(g, id, dg.num_queues);
		if (!d)
			return -ENOMEM;
		d->resync = true;
		ret = vqn_resync_dev(g, d);
		if (ret)	/* 1: removed meanwhile, @d freed */
			return ret < 0 ? ret : -ENOENT;
	}
	*dp = d;
	return 0;
}

/*
 * The start of a call on device @dev_id: the events pending read first,
 * then the device found (or adopted). 0 or -errno; the caller ends the
 * call with vqn_call_end() either way, for the events it read.
 */
static int dev_call_begin(struct vqn_guest *g, uint32_t dev_id,
			  struct vqn_view_dev **dp)
{
	vqn_call_begin(g);
	return dev_lookup(g, dev_id, dp);
}

VQN_EXPORT
int vqn_dev_add(struct vqn_guest *g, enum vqnotify_transport transport,
		uint32_t num_queues, const char *name, uint32_t *dev_id)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = transport,
		.num_queues = num_queues,
	};
	int ret;

	if (name && g->features & VQNOTIFY_FEATURE_NAMES) {
		da.flags = VQNOTIFY_DEV_ADD_NAME;
		ret = copy_name(da.name, sizeof(da.name), name);
		if (ret)
			return ret;
	} else if (name) {
		ret = copy_name(da.label, sizeof(da.label), name);
		if (ret)
			return ret;
	}
	ret = vqn_xioctl(g->fd, VQNOTIFY_DEV_ADD, &da);
	if (ret)
		return ret;
	if (!vqn_dev_track(g, da.out_dev_id, num_queues)) {
		struct vqnotify_dev_op op = {
			.size = sizeof(op),
			.dev_id = da.out_dev_id,
		};

		/* Fresh and untouched: removing it changes nothing else. */
		vqn_xioctl(g->fd, VQNOTIFY_DEV_REMOVE, &op);
		return -ENOMEM;
	}
	if (dev_id)
		*dev_id = da.out_dev_id;
	return 0;
}

/*
 * Apply the module's results of a call on @d; copy them out to @res, as
 * many as @cap holds. A result for a queue the view does not have (a view
 * gone stale) is not counted, and the device is resynchronised. Returns
 * the results counted.
 */
static int apply_results(struct vqn_guest *g, struct vqn_view_dev *d,
			 uint32_t nr, struct vqn_result *res, unsigned int cap)
{
	uint32_t i, n = 0;

	for (i = 0; i < nr && i < g->rbuf_cap; i++) {
		const struct vqnotify_vq_result *r = &g->rbuf[i];
		int kerr = 0;

		if (r->queue >= d->num_queues) {
			d->resync = true;
			continue;
		}
		if (vqn_view_stale(&d->q[r->queue], r->old_state))
			d->resync = true;
		kerr = vqn_view_set(g, d, r->queue, r->new_state);
		if (res && n < cap) {
			res[n] = (struct vqn_result) {
				.dev_id = d->id,
				.queue = r->queue,
				.old_state = r->old_state,
				.new_state = d->q[r->queue].state,
				.label = r->label,
				.reason = r->reason,
				.kvm_err = kerr,
			};
		}
		n++;
	}
	return n;
}

/*
 * A call on @d returned @ret: ENOENT says the module no longer has the
 * device (removed with a raw ioctl on vqn_fd()), and the resync the call's
 * settling makes forgets it, its ioeventfds with it. Returns @ret.
 */
static int dev_gone(struct vqn_view_dev *d, int ret)
{
	if (ret == -ENOENT)
		d->resync = true;
	return ret;
}

static int dev_op(struct vqn_guest *g, struct vqn_view_dev *d,
		  unsigned long cmd, struct vqnotify_dev_op *op, struct vqn_result *res,
		  unsigned int cap)
{
	int ret;

	op->size = sizeof(*op);
	op->dev_id = d->id;
	op->results = (uintptr_t)g->rbuf;
	op->nr_results = g->rbuf_cap;
	ret = vqn_xioctl(g->fd, cmd, op);
	if (ret)
		return dev_gone(d, ret);
	return apply_results(g, d, op->nr_results, res, cap);
}

int vqn_raw_set_status(struct vqn_guest *g, struct vqn_view_dev *d,
		       uint32_t status, const uint64_t *ready,
		       struct vqn_result *res, unsigned int cap)
{
	struct vqnotify_dev_op op = {
		.status = status,
		.ready = (uintptr_t)ready,
	};

	return dev_op(g, d, VQNOTIFY_SET_STATUS, &op, res, cap);
}

/*
 * The device was reset (g): KVM is asked again for the queues it refused,
 * at the next DRIVER_OK, as QEMU asks at a device's reset. Its refusal may
 * have been for the moment (ENOMEM, its bus full).
 */
static void forget_refusals(struct vqn_view_dev *d)
{
	uint32_t i;

	for (i = 0; i < d->num_queues; i++)
		d->q[i].refused = false;
}

/*
 * The caller's ready bitmap less the queues KVM refused, in the guest's
 * scratch bitmap (no allocation: a reset must not fail for memory), or
 * the caller's own when KVM refused none.
 */
static const uint64_t *ready_filter(struct vqn_guest *g,
				    struct vqn_view_dev *d,
				    const uint64_t *ready)
{
	uint32_t i, words = (d->num_queues + 63) / 64;
	uint64_t *r = NULL;

	for (i = 0; i < d->num_queues; i++) {
		if (!d->q[i].refused)
			continue;
		if (!r) {
			r = g->ready;
			if (ready) {
				memcpy(r, ready, words * sizeof(*r));
			} else {
				memset(r, 0xff, words * sizeof(*r));
				if (d->num_queues % 64)
					r[words - 1] = (1ULL <<
							(d->num_queues % 64)) - 1;
			}
		}
		r[i / 64] &= ~(1ULL << (i % 64));
	}
	return r ? r : ready;
}

VQN_EXPORT
int vqn_set_status(struct vqn_guest *g, uint32_t dev_id, uint8_t status,
		   const uint64_t *ready, struct vqn_result *res,
		   unsigned int cap)
{
	struct vqn_view_dev *d;
	int ret;

	ret = dev_call_begin(g, dev_id, &d);
	if (ret)
		return vqn_call_end(g, ret);
	ret = vqn_raw_set_status(g, d, status, ready_filter(g, d, ready),
				 res, cap);
	if (ret >= 0 && !status)
		forget_refusals(d);
	return vqn_call_end(g, ret);
}

VQN_EXPORT
int vqn_dev_reset(struct vqn_guest *g, uint32_t dev_id,
		  struct vqn_result *res, unsigned int cap)
{
	struct vqnotify_dev_op op = { 0 };
	struct vqn_view_dev *d;
	int ret;

	ret = dev_call_begin(g, dev_id, &d);
	if (ret)
		return vqn_call_end(g, ret);
	ret = dev_op(g, d, VQNOTIFY_DEV_RESET, &op, res, cap);
	if (ret >= 0)
		forget_refusals(d);
	return vqn_call_end(g, ret);
}

VQN_EXPORT
int vqn_dev_remove(struct vqn_guest *g, uint32_t dev_id,
		   struct vqn_result *res, unsigned int cap)
{
	struct vqnotify_dev_op op = { 0 };
	struct vqn_view_dev *d;
	int ret;

	ret = dev_call_begin(g, dev_id, &d);
	if (ret)
		return vqn_call_end(g, ret);
	ret = dev_op(g, d, VQNOTIFY_DEV_REMOVE, &op, res, cap);
	if (ret >= 0)
		vqn_dev_forget(g, d);
	return vqn_call_end(g, ret);
}

VQN_EXPORT
int vqn_host_notifier(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		      bool enable, struct vqn_result *res)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = dev_id,
		.queue = queue,
	};
	struct vqn_view_dev *d;
	int ret;

	ret = dev_call_begin(g, dev_id, &d);
	if (ret)
		return vqn_call_end(g, ret);
	ret = vqn_xioctl(g->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn);
	if (!ret) {
		g->rbuf[0] = hn.result;
		apply_results(g, d, 1, res, res ? 1 : 0);
	}
	return vqn_call_end(g, dev_gone(d, ret));
}

/* A call on a set of queues of @d (API 2); results applied to the view. */
int vqn_raw_queues(struct vqn_guest *g, struct vqn_view_dev *d,
		   unsigned long cmd, uint32_t flags, const uint64_t *queues,
		   uint32_t nr_queues, struct vqn_result *res, unsigned int cap)
{
	struct vqnotify_queues q = {
		.size = sizeof(q),
		.flags = flags,
		.dev_id = d->id,
		.nr_queues = nr_queues,
		.queues = (uintptr_t)queues,
		.results = (uintptr_t)g->rbuf,
		.nr_results = g->rbuf_cap,
	};
	int ret;

	ret = vqn_xioctl(g->fd, cmd, &q);
	if (ret)
		return dev_gone(d, ret);
	return apply_results(g, d, q.nr_results, res, cap);
}

/* A queue call, which the module offers when it has @feature. */
static int queues_call(struct vqn_guest *g, uint32_t dev_id, unsigned long cmd,
		       uint64_t feature, uint32_t flags,
		       const uint64_t *queues, uint32_t nr_queues,
		       struct vqn_result *res, unsigned int cap)
{
	struct vqn_view_dev *d;
	int ret;

	if (!(g->features & feature))
		return -EOPNOTSUPP;
	ret = dev_call_begin(g, dev_id, &d);
	if (ret)
		return vqn_call_end(g, ret);
	ret = vqn_raw_queues(g, d, cmd, flags, queues, nr_queues, res, cap);
	return vqn_call_end(g, ret);
}

VQN_EXPORT
int vqn_queues_acquire(struct vqn_guest *g, uint32_t dev_id,
		       const uint64_t *queues, uint32_t nr_queues,
		       struct vqn_result *res, unsigned int cap)
{
	return queues_call(g, dev_id, VQNOTIFY_QUEUES_ACQUIRE,
			   VQNOTIFY_FEATURE_QUEUE_OPS, 0, queues, nr_queues,
			   res, cap);
}

VQN_EXPORT
int vqn_queues_release(struct vqn_guest *g, uint32_t dev_id,
		       const uint64_t *queues, uint32_t nr_queues,
		       uint32_t flags, struct vqn_result *res,
		       unsigned int cap)
{
	return queues_call(g, dev_id, VQNOTIFY_QUEUES_RELEASE,
			   VQNOTIFY_FEATURE_QUEUE_OPS, flags, queues,
			   nr_queues, res, cap);
}

VQN_EXPORT
int vqn_host_notifiers(struct vqn_guest *g, uint32_t dev_id,
		       const uint64_t *queues, uint32_t nr_queues,
		       bool enable, struct vqn_result *res, unsigned int cap)
{
	return queues_call(g, dev_id, VQNOTIFY_SET_HOST_NOTIFIERS,
			   VQNOTIFY_FEATURE_HOST_NOTIFIERS,
			   enable ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0, queues,
			   nr_queues, res, cap);
}

VQN_EXPORT
int vqn_dev_save(struct vqn_guest *g, uint32_t dev_id, void *buf,
		 size_t *len)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = dev_id,
		.len = *len > UINT32_MAX ? UINT32_MAX : *len,
		.data = (uintptr_t)buf,
	};
	int ret;

	ret = vqn_xioctl(g->fd, VQNOTIFY_DEV_SAVE, &m);
	if (!ret || ret == -EMSGSIZE)
		*len = m.len;
	return ret;
}

VQN_EXPORT
int vqn_dev_load(struct vqn_guest *g, uint32_t dev_id, const void *buf,
		 size_t len, struct vqn_result *res, unsigned int cap)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = dev_id,
		.len = len > UINT32_MAX ? UINT32_MAX : len,
		.data = (uintptr_t)buf,
	};
	struct vqn_view_dev *d;
	int ret;

	ret = dev_call_begin(g, dev_id, &d);
	if (ret)
		return vqn_call_end(g, ret);
	m.results = (uintptr_t)g->rbuf;
	m.nr_results = g->rbuf_cap;
	ret = vqn_xioctl(g->fd, VQNOTIFY_DEV_LOAD, &m);
	if (!ret)
		ret = apply_results(g, d, m.nr_results, res, cap);
	return vqn_call_end(g, dev_gone(d, ret));
}

/* Queries */

VQN_EXPORT
int vqn_queue_get(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		  struct vqnotify_vq_info *info)
{
	struct vqnotify_queue_get qg = {
		.size = sizeof(qg),
		.dev_id = dev_id,
		.queue = queue,
	};
	int ret;

	ret = vqn_xioctl(g->fd, VQNOTIFY_QUEUE_GET, &qg);
	if (!ret)
		*info = qg.info;
	return ret;
}

static int dev_get(struct vqn_guest *g, uint32_t dev_id,
		   struct vqnotify_dev_get *dev, struct vqnotify_vq_info *queues,
		   unsigned int cap, uint32_t size)
{
	int ret;

	memset(dev, 0, size);
	dev->size = size;
	dev->dev_id = dev_id;
	dev->queues = (uintptr_t)queues;
	dev->nr_queues = queues ? cap : 0;
	ret = vqn_xioctl(g->fd, VQNOTIFY_DEV_GET, dev);
	dev->queues = 0;
	return ret ? ret : (int)dev->nr_queues;
}

/* Versioned as vqn_guest_get() is, for the same reason. */
VQN_EXPORT int vqn_dev_get_v2(struct vqn_guest *g, uint32_t dev_id,
			      struct vqnotify_dev_get *dev,
			      struct vqnotify_vq_info *queues,
			      unsigned int cap);

VQN_EXPORT
int vqn_dev_get_api1(struct vqn_guest *g, uint32_t dev_id,
		     struct vqnotify_dev_get *dev,
		     struct vqnotify_vq_info *queues, unsigned int cap)
{
	return dev_get(g, dev_id, dev, queues, cap, VQNOTIFY_DEV_GET_SIZE_VER1);
}
VQN_SYMVER(vqn_dev_get_api1, "vqn_dev_get@VQNOTIFY_1");

/* As vqn_guest_get(): the label of an API 1 module is the name. */
int vqn_dev_get_v2(struct vqn_guest *g, uint32_t dev_id,
		   struct vqnotify_dev_get *dev, struct vqnotify_vq_info *queues,
		   unsigned int cap)
{
	int ret = dev_get(g, dev_id, dev, queues, cap, sizeof(*dev));

	if (ret >= 0 && !(g->features & VQNOTIFY_FEATURE_NAMES))
		memcpy(dev->name, dev->label, sizeof(dev->label));
	return ret;
}
VQN_SYMVER(vqn_dev_get_v2, "vqn_dev_get@@VQNOTIFY_2");

VQN_EXPORT
int vqn_dev_list(struct vqn_guest *g, uint32_t *ids, unsigned int cap)
{
	struct vqn_view_dev *d;
	int n = 0;

	for (d = g->devs; d; d = d->next, n++)
		if ((unsigned int)n < cap)
			ids[n] = d->id;
	return n;
}

VQN_EXPORT
int vqn_queue_view(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		   struct vqn_view *view)
{
	struct vqn_view_dev *d = vqn_view_dev_find(g, dev_id);
	const struct vqn_q *q;

	if (!d)
		return -ENOENT;
	if (queue >= d->num_queues)
		return -EINVAL;
	q = &d->q[queue];
	*view = (struct vqn_view) {
		.state = q->state,
		.bound = q->bound,
		.kvm_assigned = q->kvm_on,
		.refused = q->refused,
		.kvm_err = q->kvm_err,
	};
	return 0;
}

/* Events */

VQN_EXPORT
int vqn_event_fd(struct vqn_guest *g)
{
	return g->epfd;
}

VQN_EXPORT
int vqn_read_events(struct vqn_guest *g, struct vqn_event *ev,
		    unsigned int max)
{
	unsigned int n = 0;
	int ret = 0;

	vqn_settle_failed(g, vqn_settle(g));
	for (; n < max && g->pend_nr; n++) {
		ev[n] = g->pend[g->pend_head];
		g->pend_head = (g->pend_head + 1) % g->pend_cap;
		g->pend_nr--;
	}
	/* A failure of settling once the events before it are read. */
	if (!n && !g->pend_nr) {
		ret = g->settle_err;
		g->settle_err = 0;
	}
	vqn_notify_update(g);
	return n ? (int)n : ret;
}

static int64_t vqn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A signal does not restart the wait: it goes on for what is left. */
VQN_EXPORT
int vqn_wait_events(struct vqn_guest *g, int timeout_ms)
{
	struct pollfd pfd = { .fd = g->epfd, .events = POLLIN };
	int64_t end = timeout_ms > 0 ?
		      vqn_now_ns() + (int64_t)timeout_ms * 1000000 : 0;
	int ret;

	if (g->pend_nr || g->settle_err)
		return 1;
	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret >= 0 || errno != EINTR)
			break;
		if (timeout_ms > 0) {
			int64_t left = end - vqn_now_ns();

			if (left <= 0)
				return 0;
			timeout_ms = (int)((left + 999999) / 1000000);
		}
	}
	if (ret < 0)
		return -errno;
	return ret > 0;
}
