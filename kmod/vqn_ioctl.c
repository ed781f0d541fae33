// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: the ioctls of /dev/vqnotify that change or query a guest and
 * its devices (the table and the dispatch are in vqn_misc.c; DEV_SAVE and
 * DEV_LOAD in vqn_migration.c).
 *
 * A lifecycle call takes the guest's lock around one call of the state
 * machine, which puts the call's results in its sink (struct vqn_call);
 * they are reported when the call ends (vqn_call_end()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/nospec.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vqnotify.h"
#include "vqnotify_trace.h"
#include "vqn_ioctl.h"
#include "vqn_nl.h"

int vqn_ioctl_get_info(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_info *info = arg;

	if (info->flags)
		return -EOPNOTSUPP;
	if (info->__reserved)
		return -EINVAL;
	info->api_version = VQNOTIFY_API_VERSION;
	info->max_queues = VQNOTIFY_MAX_QUEUES;
	info->max_devices = vqn_max_devices;
	info->event_size = sizeof(struct vqnotify_event);
	info->event_depth = g->ev_depth;
	/*
	 * No global lock for a VMM's call: each value as it was at some
	 * moment of the call (the writers hold vqn_guests_lock).
	 */
	info->default_budget = READ_ONCE(vqn_cfg.default_budget);
	info->threshold = READ_ONCE(vqn_cfg.threshold);
	info->vhost_reserve = READ_ONCE(vqn_cfg.vhost_reserve);
	info->host_cap = READ_ONCE(vqn_cfg.host_cap);
	info->nr_guests = atomic_read(&vqn_nr_guests);
	info->host_used = atomic_read(&vqn_host_used);
	info->features = VQNOTIFY_FEATURE_SAVE_LOAD | VQNOTIFY_FEATURE_NETLINK |
			 VQNOTIFY_FEATURE_LOAD_QUIESCENT |
			 VQNOTIFY_FEATURE_RUN_STATE | VQNOTIFY_FEATURE_QUEUE_OPS |
			 VQNOTIFY_FEATURE_HOST_NOTIFIERS |
			 VQNOTIFY_FEATURE_NAMES | VQNOTIFY_FEATURE_FAIR |
			 VQNOTIFY_FEATURE_RELEASE_VHOST;
	return 0;
}

int vqn_ioctl_guest_set(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_guest_set *gs = arg;
	const char *name = NULL;
	const struct vqn_guest_sm *sm = &g->sm;
	int ret;

	if (gs->flags & ~(VQNOTIFY_GUEST_SET_LABEL | VQNOTIFY_GUEST_SET_BUDGET |
			  VQNOTIFY_GUEST_SET_NAME |
			  VQNOTIFY_GUEST_SET_RUN_STATE))
		return -EOPNOTSUPP;
	if ((gs->flags & VQNOTIFY_GUEST_SET_LABEL) &&
	    (gs->flags & VQNOTIFY_GUEST_SET_NAME))
		return -EINVAL;
	/* A struct too short for @name would name the guest "". */
	if (gs->flags & VQNOTIFY_GUEST_SET_NAME &&
	    gs->size < offsetofend(struct vqnotify_guest_set, name))
		return -EINVAL;
	if (gs->flags & VQNOTIFY_GUEST_SET_RUN_STATE) {
		if (gs->run_state > VQNOTIFY_RUN_STOPPED)
			return -EINVAL;
	} else if (gs->run_state) {
		return -EINVAL;
	}
	if (gs->flags & VQNOTIFY_GUEST_SET_LABEL)
		ret = vqn_name_dup(gs->label, sizeof(gs->label), &name);
	else if (gs->flags & VQNOTIFY_GUEST_SET_NAME)
		ret = vqn_name_dup(gs->name, sizeof(gs->name), &name);
	else
		ret = 0;
	if (ret)
		return ret;

	mutex_lock(&g->lock);
	if (name) {
		swap(g->name, name);
		vqn_kguest_apply_policy(g, true);
	}
	if (gs->flags & VQNOTIFY_GUEST_SET_RUN_STATE)
		vqn_sm_set_run_state(&g->sm, gs->run_state);
	if (gs->flags & VQNOTIFY_GUEST_SET_BUDGET)
		vqn_sm_set_limits(&g->sm, sm->admin_budget, gs->budget,
				  sm->vhost_reserve, sm->threshold);
	if (gs->flags & (VQNOTIFY_GUEST_SET_LABEL | VQNOTIFY_GUEST_SET_NAME |
			 VQNOTIFY_GUEST_SET_RUN_STATE))
		vqn_monitor_guest(g, VQNOTIFY_CMD_GUEST_CHANGE_NTF);
	vqn_monitor_flush(g);	/* the (p) and (r) of a new budget */
	mutex_unlock(&g->lock);
	if (name)
		vqn_name_free(name);
	return 0;
}

int vqn_ioctl_guest_get(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_guest_info *gi = arg;

	if (gi->flags)
		return -EOPNOTSUPP;
	if (gi->__reserved || gi->__reserved2)
		return -EINVAL;
	mutex_lock(&g->lock);
	vqn_kguest_fill_info(g, gi);
	mutex_unlock(&g->lock);
	return 0;
}

/*
 * A free entry of the state machine's table of the guest's devices (its
 * lists name a queue by its device's entry: struct vqn_vq is 16 bytes),
 * which grows by doubling from 8 entries; EMFILE when the guest has
 * max_devices devices. A bigger table is allocated with the guest's lock
 * dropped ("DOC: Locking": nothing that may reclaim in the tenant's memory
 * cgroup is allocated under it), then everything is looked at again:
 * another call may have added a device or grown the table meanwhile.
 */
static int vqn_kdev_slot(struct vqn_kguest *g, u32 *slot)
{
	struct vqn_guest_sm *sm = &g->sm;
	struct vqn_dev **devs;
	u32 i, n;

	lockdep_assert_held(&g->lock);
	for (;;) {
		if (g->nr_devices >= vqn_max_devices)
			return -EMFILE;
		for (i = 0; i < sm->nr_dev_slots; i++) {
			if (!sm->devs[i]) {
				*slot = i;
				return 0;
			}
		}
		n = max(8U, 2 * sm->nr_dev_slots);
		/*
		 * The last queue of slot VQN_MAX_DEV_SLOTS - 1 would be named
		 * VQN_NIL; vqn_pool_init() keeps max_devices below it.
		 */
		if (n >= VQN_MAX_DEV_SLOTS)
			return -EMFILE;
		mutex_unlock(&g->lock);
		/* Past 2^19 slots, more than kmalloc gives: vmalloc. */
		devs = kvcalloc(n, sizeof(*devs), GFP_KERNEL_ACCOUNT);
		mutex_lock(&g->lock);
		if (!devs) {
			if (sm->nr_dev_slots < n)
				return -ENOMEM;
			continue;	/* another call grew it */
		}
		if (sm->nr_dev_slots < n) {
			if (sm->nr_dev_slots)
				memcpy(devs, sm->devs,
				       sm->nr_dev_slots * sizeof(*devs));
			swap(sm->devs, devs);
			sm->nr_dev_slots = n;
		}
		kvfree(devs);
	}
}

/*
 * A refused DEV_ADD gives back the id it reserved, and the allocation hint
 * back to that id unless another add moved it on: the next add gets the
 * id this one would have had.
 */
static void vqn_kdev_id_release(struct vqn_kguest *g, u32 id)
{
	xa_lock(&g->devs);
	__xa_cmpxchg(&g->devs, id, XA_ZERO_ENTRY, NULL, 0);
	if (g->next_dev_id == id + 1)
		g->next_dev_id = id;
	xa_unlock(&g->devs);
}

int vqn_ioctl_dev_add(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_dev_add *da = arg;
	struct vqn_dev *d;
	const char *src;
	u32 id, slot;
	size_t size;
	int ret;

	if (da->flags & ~VQNOTIFY_DEV_ADD_NAME)
		return -EOPNOTSUPP;
	if (da->__reserved || da->out_dev_id)
		return -EINVAL;
	if (da->flags & VQNOTIFY_DEV_ADD_NAME &&
	    da->size < offsetofend(struct vqnotify_dev_add, name))
		return -EINVAL;
	if (da->transport < VQNOTIFY_TRANSPORT_PIO ||
	    da->transport > VQNOTIFY_TRANSPORT_CCW)
		return -EINVAL;
	if (!da->num_queues || da->num_queues > VQNOTIFY_MAX_QUEUES)
		return -EINVAL;

	/*
	 * What the caller got wrong, and a full guest, are refused before
	 * anything is charged or allocated: such a call charges its user
	 * nothing, which another of its guests could be refused EDQUOT for
	 * meanwhile. (The count under the lock, vqn_kdev_slot(), has the last
	 * word: this one spares a full guest's charges.)
	 */
	src = da->flags & VQNOTIFY_DEV_ADD_NAME ? da->name : da->label;
	size = da->flags & VQNOTIFY_DEV_ADD_NAME ? sizeof(da->name) :
						   sizeof(da->label);
	ret = vqn_name_check(src, size);
	if (ret < 0)
		return ret;
	if (READ_ONCE(g->nr_devices) >= vqn_max_devices)
		return -EMFILE;

	/* Charged before anything is allocated: EDQUOT costs the host nothing. */
	if (!vqn_user_charge(g->user, VQN_LIMIT_DEVICES, 1, !g->quota_exempt))
		return -EDQUOT;
	if (!vqn_user_charge(g->user, VQN_LIMIT_QUEUES, da->num_queues,
			     !g->quota_exempt)) {
		vqn_user_uncharge(g->user, VQN_LIMIT_DEVICES, 1);
		return -EDQUOT;
	}
	d = vqn_kdev_alloc(da->num_queues);
	if (!d) {
		vqn_user_uncharge(g->user, VQN_LIMIT_QUEUES, da->num_queues);
		vqn_user_uncharge(g->user, VQN_LIMIT_DEVICES, 1);
		return -ENOMEM;
	}
	d->transport = da->transport;
	d->num_queues = da->num_queues;
	ret = vqn_name_dup(src, size, &d->name);
	if (ret)
		goto err_free;

	/*
	 * The id is reserved without the guest's lock ("DOC: Locking"): a
	 * reserved entry reads as no device, and the store that fills it
	 * allocates nothing.
	 */
	ret = xa_alloc_cyclic(&g->devs, &id, NULL, xa_limit_31b,
			      &g->next_dev_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_free;

	mutex_lock(&g->lock);
	ret = vqn_kdev_slot(g, &slot);
	if (ret)
		goto err_unlock;
	d->id = id;
	d->unnamed = true;
	ret = xa_err(xa_store(&g->devs, id, d, GFP_NOWAIT));
	if (WARN_ON_ONCE(ret))
		goto err_unlock;
	WRITE_ONCE(g->nr_devices, g->nr_devices + 1);
	vqn_sm_dev_init(&g->sm, d, slot);
	vqn_monitor_dev(g, d, true);
	mutex_unlock(&g->lock);

	da->out_dev_id = id;
	return 0;

err_unlock:
	mutex_unlock(&g->lock);
	vqn_kdev_id_release(g, id);
err_free:
	vqn_kdev_free(g, d);
	return ret;
}

/*
 * The id of the device DEV_ADD added could not be written out (another
 * thread of the caller unmapped its structure after the call proved it
 * writable): the device goes again, and the call that fails with EFAULT
 * leaves the guest as it was, but for its counts (the device's (a) stay
 * counted, vqn_sm_dev_uninit()). Unless a call of the guest has named the
 * device meanwhile (vqn_kdev_lookup(); an id is easy to guess): its caller
 * knows the id, and the device stays. Not vqn_kdev_find() here, which
 * would name it. The id is used up, as a removed device's: listeners saw
 * it added, and see it removed.
 */
void vqn_ioctl_dev_add_undo(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_dev_add *da = arg;
	struct vqn_dev *d;

	mutex_lock(&g->lock);
	d = xa_load(&g->devs, da->out_dev_id);
	if (d && d->unnamed && vqn_sm_dev_uninit(&g->sm, d)) {
		vqn_kdev_erase(g, d);
		vqn_monitor_dev(g, d, false);
	} else {
		d = NULL;
	}
	mutex_unlock(&g->lock);
	if (d)
		vqn_kdev_free(g, d);
}

/*
 * Who wants each result of a call (not only their counts), VQN_OBS_*: 0
 * for nobody. The netlink family is asked directly, the layer below.
 */
static __always_inline unsigned int vqn_call_observers(void)
{
	unsigned int obs = vqn_nl_listeners();

	if (trace_vq_call_enabled() || trace_vq_transition_enabled() ||
	    trace_vq_refusal_enabled())
		obs |= VQN_OBS_TRACE;
	return obs;
}

/*
 * A call's results in the caller's buffer: @n of them copied out, or
 * zeroed, in one user access, eight words a turn. clear_user() and
 * copy_to_user() are string instructions, which QEMU's TCG runs an
 * iteration at a time, and a loop is a jump back to a new block each turn:
 * 1024 results were 2048 blocks.
 */
static __always_inline int vqn_results_write(u64 ures, const u64 *src, u32 n,
					     u32 step)
{
	u64 __user *p = u64_to_user_ptr(ures);
	u32 i;

	BUILD_BUG_ON(sizeof(struct vqnotify_vq_result) != sizeof(u64));
	if (!user_access_begin(p, n * sizeof(u64)))
		return -EFAULT;
	for (i = 0; i + 8 <= n; i += 8, src += 8 * step) {
		unsafe_put_user(src[0], p + i, efault);
		unsafe_put_user(src[1 * step], p + i + 1, efault);
		unsafe_put_user(src[2 * step], p + i + 2, efault);
		unsafe_put_user(src[3 * step], p + i + 3, efault);
		unsafe_put_user(src[4 * step], p + i + 4, efault);
		unsafe_put_user(src[5 * step], p + i + 5, efault);
		unsafe_put_user(src[6 * step], p + i + 6, efault);
		unsafe_put_user(src[7 * step], p + i + 7, efault);
	}
	for (; i < n; i++, src += step)
		unsafe_put_user(src[0], p + i, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int vqn_results_zero(u64 ures, u32 n)
{
	static const u64 zero;

	return vqn_results_write(ures, &zero, n, 0);
}

static int vqn_results_put(u64 ures, const struct vqnotify_vq_result *res,
			   u32 n)
{
	return vqn_results_write(ures, (const u64 *)res, n, 1);
}

/*
 * A big call's results array (the kernel's copy), kept by the guest for its
 * next big call: allocating it for each call was 2.3 us of a DRIVER_OK of
 * 1024 queues under TCG (7% of it). Taken and given back with xchg(), so
 * concurrent calls of a guest never share one; the guest keeps the one
 * given back last, and frees it when it goes (vqn_kguest_destroy()).
 */
static struct vqn_results *vqn_results_get(struct vqn_kguest *g, u32 n)
{
	struct vqn_results *r = xchg(&g->res_cache, NULL);

	if (r && r->cap >= n)
		return r;
	vqn_results_free(r);
	r = kmalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return NULL;
	r->res = kvmalloc_array(n, sizeof(*r->res), GFP_KERNEL_ACCOUNT);
	if (!r->res) {
		kfree(r);
		return NULL;
	}
	r->home = &g->res_cache;
	r->cap = n;
	return r;
}

static void vqn_results_keep(struct vqn_results *r)
{
	vqn_results_free(xchg(r->home, r));
}

/*
 * Everything a device-wide call may fail on is checked before any state
 * changes: the device, the caller's results buffer and the kernel's
 * results array; vqn_call_results() the last two, for a device of @nq
 * queues. The buffer is proved writable by a byte written in each of its
 * pages (fault_in_writeable()), not by zeroing it all: vqn_call_finish()
 * writes every entry, the results and zeros after them. Zeroing 1024
 * entries first, then writing them again, was a pass of a DRIVER_OK's.
 */
static __always_inline int vqn_call_results(struct vqn_kguest *g, u64 ures,
					    u32 cap, struct vqn_call *call,
					    u32 nq)
{
	/* not @small: only the results written are read */
	memset(call, 0, offsetof(struct vqn_call, small));
	call->obs = vqn_call_observers();
	if (ures) {
		if (cap < nq)
			return -EINVAL;
		if (fault_in_writeable(u64_to_user_ptr(ures),
				       nq * sizeof(struct vqnotify_vq_result)))
			return -EFAULT;
	} else if (!call->obs) {
		/* The sink counts the results; nobody wants them. */
		return 0;
	}
	/* A device of a few queues needs no allocation for its results. */
	if (nq <= ARRAY_SIZE(call->small)) {
		call->sink.res = call->small;
	} else {
		/* not zeroed: only the results written are read */
		call->big = vqn_results_get(g, nq);
		if (!call->big)
			return -ENOMEM;
		call->sink.res = call->big->res;
	}
	call->sink.cap = nq;
	return 0;
}

int vqn_call_prepare(struct vqn_kguest *g, u32 dev_id, u64 ures, u32 cap,
		     struct vqn_call *call, u32 *nq)
{
	struct vqn_dev *d;

	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, dev_id);
	*nq = d ? d->num_queues : 0;
	mutex_unlock(&g->lock);
	if (!d)
		return -ENOENT;
	return vqn_call_results(g, ures, cap, call, *nq);
}

/*
 * Look the device up again under the lock: it may have gone meanwhile. The
 * observers asked by vqn_call_prepare() are those of the call.
 */
struct vqn_dev *vqn_call_begin(struct vqn_kguest *g, u32 dev_id, u32 nq,
			       struct vqn_call *call)
{
	struct vqn_dev *d;

	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, dev_id);
	if (!d || d->num_queues != nq) {
		mutex_unlock(&g->lock);
		return NULL;
	}
	call->dev = d;
	return d;
}

/*
 * A call on a device of up to eight queues (its results fit in the call) in
 * one round of the guest's lock instead of vqn_call_prepare()'s and
 * vqn_call_begin()'s two: the caller's results buffer is proved writable
 * under the lock with page faults disabled, so no user access waits under
 * it ("DOC: Locking"); a page that would need a fault sends the call the
 * two-round way, nothing changed. The same checks in the same order as
 * those two (vqn_call_results() for the results).
 *
 * Returns 0 with the guest locked and @call->dev set; 1 for the two-round
 * way, or an error, with the guest unlocked.
 */
static int vqn_call_begin_small(struct vqn_kguest *g, u32 dev_id, u64 ures,
				u32 cap, struct vqn_call *call, u32 *nq)
{
	struct vqn_dev *d;
	int ret;

	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, dev_id);
	if (!d) {
		ret = -ENOENT;
		goto unlock;
	}
	*nq = d->num_queues;
	ret = 1;
	if (*nq > ARRAY_SIZE(call->small))
		goto unlock;
	pagefault_disable();
	ret = vqn_call_results(g, ures, cap, call, *nq);
	pagefault_enable();
	if (ret == -EFAULT)
		ret = 1;
	if (ret)
		goto unlock;
	call->dev = d;
	return 0;
unlock:
	mutex_unlock(&g->lock);
	return ret;
}

/*
 * The call's results go to the observers, then the guest is unlocked; the
 * calls group's one message is built and sent after that (with the names
 * as they were: the device may be freed, the guest renamed, meanwhile).
 * Inline in this file's calls (vqn_call_end() for vqn_migration.c's): on a
 * one-queue call, the calls and returns around the decision are most of its
 * cost under TCG (Documentation/performance.rst).
 */
static __always_inline void __vqn_call_end(struct vqn_kguest *g,
					   struct vqn_call *call)
{
	char gname[VQNOTIFY_NAME_LEN] __uninitialized;
	char dname[VQNOTIFY_NAME_LEN] __uninitialized;
	const struct vqn_sink *s = &call->sink;
	bool calls = call->obs & VQN_OBS_CALLS && s->res && s->nr;
	u32 dev_id = call->dev->id;

	vqn_call_report(g, call);
	if (calls) {
		strscpy(gname, g->name, sizeof(gname));
		strscpy(dname, call->dev->name, sizeof(dname));
		vqn_monitor_call_begin(g);
	}
	mutex_unlock(&g->lock);
	if (calls)
		vqn_monitor_call(g, gname, dev_id, dname, s->res,
				 min(s->nr, s->cap));
}

void vqn_call_end(struct vqn_kguest *g, struct vqn_call *call)
{
	__vqn_call_end(g, call);
}

void vqn_call_free(struct vqn_call *call)
{
	if (call->big)
		vqn_results_keep(call->big);
}

/*
 * The caller's results buffer gets its device's entries (vqn_call_results()
 * made @call->sink's array one per queue): the results, then zeros. Inline
 * in this file's calls, vqn_call_finish() for vqn_migration.c's, as
 * __vqn_call_end().
 */
static __always_inline int __vqn_call_finish(struct vqn_call *call, u64 ures,
					     u32 *nr_results)
{
	const struct vqn_sink *s = &call->sink;
	u32 nr = s->nr;
	int ret = 0;

	/* The array has room for every queue, and each has one result. */
	if (WARN_ON_ONCE(s->res && nr > s->cap))
		nr = s->cap;
	*nr_results = s->nr;
	if (ures && ((nr && vqn_results_put(ures, s->res, nr)) ||
		     (nr < s->cap &&
		      vqn_results_zero(ures + nr * sizeof(*s->res),
				       s->cap - nr))))
		ret = -EFAULT;
	vqn_call_free(call);
	return ret;
}

int vqn_call_finish(struct vqn_call *call, u64 ures, u32 *nr_results)
{
	return __vqn_call_finish(call, ures, nr_results);
}

/*
 * Read a user bitmap of @nbits bits in __u64 words, in one user access; no
 * bit past @nbits.
 */
static int vqn_get_bitmap(unsigned long *dst, u64 uptr, u32 nbits)
{
	u64 words[BITS_TO_U64(VQNOTIFY_MAX_QUEUES)] __uninitialized;
	u64 __user *p = u64_to_user_ptr(uptr);
	u32 i, n = BITS_TO_U64(nbits);

	if (!user_access_begin(p, n * sizeof(u64)))
		return -EFAULT;
	for (i = 0; i < n; i++)
		unsafe_get_user(words[i], p + i, efault);
	user_access_end();
	if (nbits % 64 && words[n - 1] >> (nbits % 64))
		return -EINVAL;
	/* One word, most devices: no call to memcpy(). */
	if (BITS_PER_LONG == 64 && n == 1)
		dst[0] = words[0];
	else
		bitmap_from_arr64(dst, words, nbits);
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int vqn_ioctl_dev_op(struct vqn_kguest *g, void *arg, unsigned int cmd)
{
	DECLARE_BITMAP(ready, VQNOTIFY_MAX_QUEUES) __uninitialized;
	struct vqnotify_dev_op *op = arg;
	bool have_ready = false;
	struct vqn_call call __uninitialized;
	struct vqn_dev *d;
	u32 nq;
	int ret;

	if (op->flags)
		return -EOPNOTSUPP;
	if (op->__reserved)
		return -EINVAL;
	if (cmd == VQNOTIFY_SET_STATUS) {
		if (op->status > 0xff)
			return -EINVAL;
	} else if (op->status || op->ready) {
		return -EINVAL;
	}

	ret = vqn_call_prepare(g, op->dev_id, op->results, op->nr_results,
			       &call, &nq);
	if (ret)
		return ret;
	if (op->ready) {
		ret = vqn_get_bitmap(ready, op->ready, nq);
		if (ret)
			goto out;
		have_ready = true;
	}

	d = vqn_call_begin(g, op->dev_id, nq, &call);
	if (!d) {
		ret = -ENOENT;
		goto out;
	}
	switch (cmd) {
	case VQNOTIFY_SET_STATUS:
		vqn_sm_set_status(&g->sm, d, op->status,
				  have_ready ? ready : NULL, &call.sink);
		break;
	case VQNOTIFY_DEV_RESET:
		vqn_sm_dev_reset(&g->sm, d, &call.sink);
		break;
	case VQNOTIFY_DEV_REMOVE:
		vqn_sm_dev_remove(&g->sm, d, &call.sink);
		vqn_kdev_erase(g, d);
		/* Its queues' last results first, then the device goes. */
		vqn_call_report(g, &call);
		vqn_monitor_dev(g, d, false);
		break;
	}
	__vqn_call_end(g, &call);
	if (cmd == VQNOTIFY_DEV_REMOVE)
		vqn_kdev_free(g, d);
out:
	if (ret) {
		vqn_call_free(&call);
		return ret;
	}
	return __vqn_call_finish(&call, op->results, &op->nr_results);
}

int vqn_ioctl_set_status(struct vqn_kguest *g, void *arg)
{
	return vqn_ioctl_dev_op(g, arg, VQNOTIFY_SET_STATUS);
}

int vqn_ioctl_dev_reset(struct vqn_kguest *g, void *arg)
{
	return vqn_ioctl_dev_op(g, arg, VQNOTIFY_DEV_RESET);
}

int vqn_ioctl_dev_remove(struct vqn_kguest *g, void *arg)
{
	return vqn_ioctl_dev_op(g, arg, VQNOTIFY_DEV_REMOVE);
}

/*
 * A call's bitmap of queues, left uninitialised on the stack (where
 * CONFIG_INIT_STACK_ALL_ZERO clears its 128 bytes on entry), made empty:
 * the words the state machine reads, those of a device of @nq queues; one
 * store, not a call to memset(), for most devices.
 */
static __always_inline void vqn_bitmap_clear_dev(unsigned long *b, u32 nq)
{
	if (nq <= BITS_PER_LONG)
		b[0] = 0;
	else
		bitmap_zero(b, nq);
}

/* The queues of a call on a set of queues, of its device's @nq. */
static int vqn_queues_bitmap(unsigned long *queues,
			     const struct vqnotify_queues *q, u32 nq)
{
	int ret;

	if (q->nr_queues > nq)
		return -EINVAL;
	vqn_bitmap_clear_dev(queues, nq);
	ret = vqn_get_bitmap(queues, q->queues, q->nr_queues);
	/* No bit past nr_queues is set (vqn_get_bitmap()). */
	if (!ret && (q->nr_queues <= BITS_PER_LONG ? !queues[0] :
		     bitmap_empty(queues, q->nr_queues)))
		ret = -EINVAL;
	return ret;
}

/* ACQUIRE, RELEASE and SET_HOST_NOTIFIERS: a call on a set of queues. */
static int vqn_ioctl_queues(struct vqn_kguest *g, void *arg, unsigned int cmd)
{
	DECLARE_BITMAP(queues, VQNOTIFY_MAX_QUEUES) __uninitialized;
	struct vqnotify_queues *q = arg;
	struct vqn_call call __uninitialized;
	struct vqn_dev *d;
	u32 allowed, nq;
	u8 reason;
	int ret;

	switch (cmd) {
	case VQNOTIFY_QUEUES_RELEASE:
		allowed = VQNOTIFY_QUEUES_KVM_REFUSED | VQNOTIFY_QUEUES_RESET;
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
		allowed = VQNOTIFY_HOST_NOTIFIER_ENABLE;
		break;
	default:
		allowed = 0;
	}
	if (q->flags & ~allowed)
		return -EOPNOTSUPP;
	if (q->__reserved || !q->nr_queues ||
	    q->nr_queues > VQNOTIFY_MAX_QUEUES)
		return -EINVAL;

	ret = vqn_call_begin_small(g, q->dev_id, q->results, q->nr_results,
				   &call, &nq);
	if (ret < 0)
		return ret;
	if (!ret) {
		/* Under the lock: the bitmap read with page faults disabled. */
		pagefault_disable();
		ret = vqn_queues_bitmap(queues, q, nq);
		pagefault_enable();
		if (ret)
			mutex_unlock(&g->lock);
		if (ret && ret != -EFAULT)
			goto out;
		d = call.dev;
	}
	if (ret) {
		ret = vqn_call_prepare(g, q->dev_id, q->results, q->nr_results,
				       &call, &nq);
		if (ret)
			return ret;
		ret = vqn_queues_bitmap(queues, q, nq);
		if (ret)
			goto out;
		d = vqn_call_begin(g, q->dev_id, nq, &call);
		if (!d) {
			ret = -ENOENT;
			goto out;
		}
	}
	switch (cmd) {
	case VQNOTIFY_QUEUES_ACQUIRE:
		ret = vqn_sm_queues_acquire(&g->sm, d, queues, &call.sink);
		break;
	case VQNOTIFY_QUEUES_RELEASE:
		reason = q->flags & VQNOTIFY_QUEUES_KVM_REFUSED ?
			 VQNOTIFY_REASON_KVM_REFUSED :
			 VQNOTIFY_REASON_RELEASED;
		ret = vqn_sm_queues_release(&g->sm, d, queues, reason,
					    q->flags & VQNOTIFY_QUEUES_RESET,
					    &call.sink);
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
		if (q->flags & VQNOTIFY_HOST_NOTIFIER_ENABLE)
			ret = vqn_sm_vhost_on(&g->sm, d, queues, &call.sink);
		else
			vqn_sm_vhost_off(&g->sm, d, queues, &call.sink);
		break;
	}
	__vqn_call_end(g, &call);
out:
	if (ret) {
		vqn_call_free(&call);
		return ret;
	}
	return __vqn_call_finish(&call, q->results, &q->nr_results);
}

int vqn_ioctl_queues_acquire(struct vqn_kguest *g, void *arg)
{
	return vqn_ioctl_queues(g, arg, VQNOTIFY_QUEUES_ACQUIRE);
}

int vqn_ioctl_queues_release(struct vqn_kguest *g, void *arg)
{
	return vqn_ioctl_queues(g, arg, VQNOTIFY_QUEUES_RELEASE);
}

int vqn_ioctl_host_notifiers(struct vqn_kguest *g, void *arg)
{
	return vqn_ioctl_queues(g, arg, VQNOTIFY_SET_HOST_NOTIFIERS);
}

/*
 * API 1's one-queue call: EALREADY when vhost holds the queue already
 * (enable) or does not (disable); else the bitmap call's steps on a bitmap
 * of that queue.
 */
int vqn_ioctl_host_notifier(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_host_notifier *hn = arg;
	bool enable = hn->flags & VQNOTIFY_HOST_NOTIFIER_ENABLE;
	DECLARE_BITMAP(one, VQNOTIFY_MAX_QUEUES) __uninitialized;
	struct vqn_call call __uninitialized;	/* results in @hn, not @small */
	struct vqn_dev *d;
	int ret = 0;
	u32 q;

	if (hn->flags & ~VQNOTIFY_HOST_NOTIFIER_ENABLE)
		return -EOPNOTSUPP;
	if (hn->__reserved || hn->__reserved2)
		return -EINVAL;
	memset(&hn->result, 0, sizeof(hn->result));

	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, hn->dev_id);
	if (!d) {
		ret = -ENOENT;
		goto out;
	}
	if (hn->queue >= d->num_queues) {
		ret = -EINVAL;
		goto out;
	}
	/* A user's index, into the queues and the stack's bitmap. */
	q = array_index_nospec(hn->queue, d->num_queues);
	if (enable == vqn_sm_vhost_holds(d, q)) {
		ret = -EALREADY;
		goto out;
	}
	vqn_bitmap_clear_dev(one, d->num_queues);
	__set_bit(q, one);
	memset(&call.sink, 0, sizeof(call.sink));
	call.sink.res = &hn->result;
	call.sink.cap = 1;
	call.dev = d;
	call.obs = vqn_call_observers();
	call.reported = false;
	call.big = NULL;
	if (enable)
		ret = vqn_sm_vhost_on(&g->sm, d, one, &call.sink);
	else
		vqn_sm_vhost_off(&g->sm, d, one, &call.sink);
	__vqn_call_end(g, &call);
	return ret;
out:
	mutex_unlock(&g->lock);
	return ret;
}

static void vqn_fill_vq_info(struct vqnotify_vq_info *vi,
			     const struct vqn_kguest *g, const struct vqn_vq *vq)
{
	vi->state = vq->state;
	vi->reason = vq->reason;
	vi->label = vq->label;
	vi->flags = vqn_sm_vq_flags(&g->sm, vq);
	vi->assign_seq = vq->assign_seq;
}

int vqn_ioctl_queue_get(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_queue_get *qg = arg;
	struct vqn_dev *d;
	int ret = 0;

	if (qg->flags)
		return -EOPNOTSUPP;
	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, qg->dev_id);
	if (!d)
		ret = -ENOENT;
	else if (qg->queue >= d->num_queues)
		ret = -EINVAL;
	else
		vqn_fill_vq_info(&qg->info, g,
				 &d->vqs[array_index_nospec(qg->queue,
							    d->num_queues)]);
	mutex_unlock(&g->lock);
	return ret;
}

int vqn_ioctl_dev_get(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_dev_get *dg = arg;
	struct vqnotify_vq_info *vi = NULL;
	struct vqn_dev *d;
	u32 i, n = 0;
	int ret = 0;

	if (dg->flags)
		return -EOPNOTSUPP;
	if (dg->__reserved)
		return -EINVAL;
	if (dg->queues && dg->nr_queues) {
		n = min_t(u32, dg->nr_queues, VQNOTIFY_MAX_QUEUES);
		vi = kvcalloc(n, sizeof(*vi), GFP_KERNEL_ACCOUNT);
		if (!vi)
			return -ENOMEM;
	}

	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, dg->dev_id);
	if (!d) {
		mutex_unlock(&g->lock);
		ret = -ENOENT;
		goto out;
	}
	dg->status = d->status;
	dg->transport = d->transport;
	dg->num_queues = d->num_queues;
	strscpy_pad(dg->label, d->name, sizeof(dg->label));
	strscpy_pad(dg->name, d->name, sizeof(dg->name));
	n = min(n, d->num_queues);
	for (i = 0; i < n; i++)
		vqn_fill_vq_info(&vi[i], g, &d->vqs[i]);
	mutex_unlock(&g->lock);

	dg->nr_queues = n;
	if (n && copy_to_user(u64_to_user_ptr(dg->queues), vi, n * sizeof(*vi)))
		ret = -EFAULT;
out:
	kvfree(vi);
	return ret;
}
