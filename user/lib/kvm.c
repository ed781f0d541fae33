// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvqnotify's KVM binding: a bound queue has a KVM ioeventfd exactly
 * while the module has it ASSIGNED.
 *
 * When KVM refuses an assign (EEXIST on an address someone else holds,
 * ENOMEM, ...), the guest keeps running with that queue trapping to the
 * VMM: the library reports it DEASSIGNED and tells the module. A module
 * with VQNOTIFY_FEATURE_QUEUE_OPS gets VQNOTIFY_QUEUES_RELEASE with
 * VQNOTIFY_QUEUES_KVM_REFUSED for exactly the refused queues (x): nothing
 * else of the device changes. An API 1 module only knows device-wide calls:
 * the device is restarted without the queue, DRIVER_OK cleared (s) and set
 * again (b) with the refused queue left out of the ready bitmap, which
 * moves the device's other queues too; those that end up elsewhere than
 * before are reported as library events. Either way later DRIVER_OKs keep
 * the queue out until it is bound again or the device is reset (g).
 *
 * While the guest is stopped (vqn_set_run_state()), no queue has an
 * ioeventfd in KVM; the module keeps the slots reserved.
 *
 * The binding sits on top of the core (libvqnotify.c): it calls the core's
 * calls, and the core reaches it only through struct vqn_binding, which
 * vqn_kvm_attach() and vqn_kvm_bind() install in the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/major.h>

#include "internal.h"

_Static_assert(VQN_KVM_DATAMATCH == KVM_IOEVENTFD_FLAG_DATAMATCH, "flags");
_Static_assert(VQN_KVM_PIO == KVM_IOEVENTFD_FLAG_PIO, "flags");
_Static_assert(VQN_KVM_CCW == KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, "flags");

/* /dev/kvm's minor: the kernel's <linux/miscdevice.h>, no uAPI header. */
#define VQN_KVM_MINOR	232

/* VIRTIO_CONFIG_S_ACKNOWLEDGE */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01

static int vqn_kvm_ioeventfd(int vm_fd, const struct vqn_kvm_notify *n,
			     bool assign)
{
	struct kvm_ioeventfd k = {
		.datamatch = n->datamatch,
		.addr = n->addr,
		.len = n->len,
		.fd = n->fd,
		.flags = n->flags,
	};

	if (!assign)
		k.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return ioctl(vm_fd, KVM_IOEVENTFD, &k) ? -errno : 0;
}

/* Queue @q in @state has a KVM ioeventfd when the binding is up. */
static bool vqn_q_wants(const struct vqn_guest *g, const struct vqn_q *q,
			uint8_t state)
{
	return state == VQNOTIFY_VQ_ASSIGNED && q->bound && g->vm_fd >= 0 &&
	       !g->stopped;
}

/*
 * The module put queue @qi in @state: follow it in the view and in KVM.
 * Returns 0, or the negative errno of an assign KVM refused, in which case
 * the view says DEASSIGNED and the device awaits vqn_kvm_fallback(), or of
 * a deassign that failed (not ENOENT: the ioeventfd is still there, and
 * kvm_on says so).
 *
 * The library registers its own duplicate of the caller's eventfd (q->n.fd,
 * vqn_kvm_bind()): KVM finds the ioeventfd to remove from the eventfd the
 * fd names, and the caller may have closed or replaced its fd meanwhile.
 */
static int vqn_q_apply(struct vqn_guest *g, struct vqn_view_dev *d, uint32_t qi,
		       uint8_t state)
{
	struct vqn_q *q = &d->q[qi];
	bool want;
	int ret;

	q->state = state;
	want = vqn_q_wants(g, q, state);
	if (want == q->kvm_on)
		return 0;
	ret = vqn_kvm_ioeventfd(g->vm_fd, &q->n, want);
	if (!want) {
		if (ret && ret != -ENOENT) {
			/* Still in KVM: kept, tried again at the next change. */
			q->kvm_err = ret;
			return ret;
		}
		/* Gone; ENOENT means someone removed it. */
		q->kvm_on = false;
		if (ret)
			q->kvm_err = ret;
		return 0;
	}
	if (!ret) {
		q->kvm_on = true;
		q->refused = false;
		q->kvm_err = 0;
		return 0;
	}
	q->kvm_err = ret;
	q->refused = true;
	q->state = VQNOTIFY_VQ_DEASSIGNED;
	d->fallback = true;
	g->fallback = true;
	return ret;
}

/* Release exactly the refused queues the module still has ASSIGNED. */
static int release_refused(struct vqn_guest *g, struct vqn_view_dev *d)
{
	uint32_t nq = d->num_queues, i, n = 0;
	struct vqnotify_vq_info *vi;
	struct vqnotify_dev_get dg;
	uint64_t *bm;
	int ret = -ENOMEM;

	d->fallback = false;
	vi = calloc(nq, sizeof(*vi));
	bm = calloc((nq + 63) / 64, sizeof(*bm));
	if (!vi || !bm)
		goto out;
	ret = vqn_dev_get(g, d->id, &dg, vi, nq);
	if (ret < 0)
		goto out;
	for (i = 0; i < nq; i++) {
		if (d->q[i].refused && vi[i].state == VQNOTIFY_VQ_ASSIGNED) {
			bm[i / 64] |= 1ULL << (i % 64);
			n++;
		}
	}
	ret = 0;
	if (n)
		ret = vqn_raw_queues(g, d, VQNOTIFY_QUEUES_RELEASE,
				     VQNOTIFY_QUEUES_KVM_REFUSED, bm, nq, NULL,
				     0);
out:
	if (ret < 0)
		d->resync = true;
	free(bm);
	free(vi);
	return ret < 0 ? ret : 0;
}

/*
 * The status that stops the device's ioeventfds (s) and keeps the rest:
 * @status without DRIVER_OK. A status of DRIVER_OK alone would leave 0,
 * a reset (g), which would also take vhost's queues and every queue's
 * initialised flag; virtio's ACKNOWLEDGE stands in for it.
 */
static uint32_t stopped_status(uint32_t status)
{
	status &= ~VQNOTIFY_STATUS_DRIVER_OK;
	return status ? status : VIRTIO_STATUS_ACKNOWLEDGE;
}

/* Restart one device without its refused queues; see the top comment. */
static int fallback_dev(struct vqn_guest *g, struct vqn_view_dev *d)
{
	uint32_t nq = d->num_queues, words = (nq + 63) / 64, i, round;
	struct vqnotify_vq_info *vi;
	struct vqnotify_dev_get dg;
	uint64_t *ready;
	uint8_t *before;
	int ret = -ENOMEM, err = 0;

	vi = calloc(nq, sizeof(*vi));
	ready = calloc(words, sizeof(*ready));
	before = calloc(nq, 1);
	if (!vi || !ready || !before)
		goto out;
	/*
	 * Room for an event per queue before the restart changes the view:
	 * without it, the restart's changes would be in the view, unreported,
	 * and the resync that follows would find nothing to report. If no
	 * room can be made, nothing changes: the resync finds the refused
	 * queue ASSIGNED in the module and asks for the fallback again.
	 */
	ret = vqn_pend_reserve_n(g, nq);
	if (ret)
		goto out;
	for (i = 0; i < nq; i++)
		before[i] = d->q[i].state;

	/* Each round leaves at least one more queue out: it ends. */
	for (round = 0; d->fallback && round <= nq; round++) {
		d->fallback = false;
		err = vqn_dev_get(g, d->id, &dg, vi, nq);
		if (err < 0)
			break;
		err = 0;
		if (!(dg.status & VQNOTIFY_STATUS_DRIVER_OK))
			break;
		memset(ready, 0, words * sizeof(*ready));
		for (i = 0; i < nq; i++)
			if (vi[i].flags & VQNOTIFY_VQ_INITIALISED &&
			    !d->q[i].refused)
				ready[i / 64] |= 1ULL << (i % 64);
		err = vqn_raw_set_status(g, d, stopped_status(dg.status),
					 NULL, NULL, 0);
		if (err < 0)
			break;
		err = vqn_raw_set_status(g, d, dg.status, ready, NULL, 0);
		if (err < 0)
			break;
		err = 0;
	}
	/*
	 * What the rounds moved is reported even when a later call failed:
	 * the resync after the failure would find it in the view already.
	 */
	for (i = 0; i < nq && !ret; i++) {
		uint8_t label = vi[i].label, reason = vi[i].reason;
		int kvm_err = 0;

		if (before[i] == d->q[i].state)
			continue;
		if (d->q[i].refused) {
			/*
			 * KVM refused it in a round of this restart: said as
			 * vqn_kvm_apply_one() says a refusal, not as the
			 * module's "not ready" of the round that left it out.
			 */
			label = VQNOTIFY_LABEL_NONE;
			reason = VQNOTIFY_REASON_KVM_REFUSED;
			kvm_err = d->q[i].kvm_err;
		} else if (vqn_queue_get(g, d->id, i, &vi[i]) == 0) {
			label = vi[i].label;
			reason = vi[i].reason;
		}
		ret = vqn_pend_library_transition(g, d, i, before[i], label,
						  reason, kvm_err);
	}
	if (!ret)
		ret = err;
out:
	/*
	 * Whatever failed, the view holds no ioeventfd KVM refused, and the
	 * resync decides again: a refused queue it finds ASSIGNED in the
	 * module asks for the fallback again (vqn_resync_dev()).
	 */
	if (ret < 0) {
		d->fallback = false;
		d->resync = true;
	}
	free(before);
	free(ready);
	free(vi);
	return ret;
}

static int vqn_kvm_fallback(struct vqn_guest *g)
{
	struct vqn_view_dev *d;
	int ret = 0, r;

	g->fallback = false;
	for (d = g->devs; d; d = d->next) {
		if (!d->fallback)
			continue;
		if (g->features & VQNOTIFY_FEATURE_QUEUE_OPS)
			r = release_refused(g, d);
		else
			r = fallback_dev(g, d);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

static void vqn_kvm_apply_all(struct vqn_guest *g);
static void vqn_kvm_release(struct vqn_guest *g, struct vqn_view_dev *d);

/* What the core calls of the binding, once the binding is used. */
static const struct vqn_binding vqn_kvm_binding = {
	.apply = vqn_q_apply,
	.fallback = vqn_kvm_fallback,
	.run_state = vqn_kvm_apply_all,
	.detach = vqn_kvm_detach,
	.release = vqn_kvm_release,
};

/*
 * Does @fd's name in /proc say it is a KVM VM's ("anon_inode:kvm-vm",
 * KVM's since it began)? A vCPU's ioctls wait for its KVM_RUN to return,
 * which can be never: the name turns every other file away before any
 * ioctl. The calling thread's files: /proc/self is the process leader's,
 * another table after unshare(CLONE_FILES). Returns 0 for a VM's, or when
 * /proc cannot tell (not mounted: the ioctls alone decide), or -EINVAL.
 */
static int vqn_kvm_vm_named(int fd)
{
	static const char vm_name[] = "anon_inode:kvm-vm";
	char path[40], name[sizeof(vm_name) + 1];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/thread-self/fd/%d", fd);
	n = readlink(path, name, sizeof(name));
	if (n >= 0 && (n != sizeof(vm_name) - 1 || memcmp(name, vm_name, n)))
		return -EINVAL;
	return 0;
}

/*
 * Is @fd a KVM VM's? A VM answers KVM_CHECK_EXTENSION but, unlike
 * /dev/kvm, not KVM_GET_API_VERSION; any other file (a vCPU's too)
 * answers neither. Attached to /dev/kvm, every assign would fail and
 * every queue would trap, refused by KVM for no reason a VMM could see.
 * A vCPU's is turned away before any ioctl (vqn_kvm_vm_named()). Returns
 * 0, -EBADF for a closed fd, -EIO for another process's VM (KVM serves
 * only the process that created it), or -EINVAL.
 */
static int vqn_kvm_check_vm(int fd)
{
	if (vqn_kvm_vm_named(fd))
		return -EINVAL;
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) < 0)
		return errno == EBADF || errno == EIO ? -errno : -EINVAL;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) >= 0)
		return -EINVAL;
	return 0;
}

VQN_EXPORT
int vqn_kvm_attach(struct vqn_guest *g, int vm_fd)
{
	int ret;

	if (vm_fd < 0)
		return -EBADF;
	if (g->vm_fd >= 0)
		return -EBUSY;
	ret = vqn_kvm_check_vm(vm_fd);
	if (ret)
		return ret;
	/*
	 * A duplicate, as of the eventfds: a number the caller closes and
	 * reuses cannot take the library's KVM_IOEVENTFD calls.
	 */
	vm_fd = fcntl(vm_fd, F_DUPFD_CLOEXEC, 3);
	if (vm_fd < 0)
		return -errno;
	/* The module's news first, as in vqn_kvm_bind(). */
	vqn_call_begin(g);
	g->binding = &vqn_kvm_binding;
	g->vm_fd = vm_fd;
	/* Its ioeventfds are this process's: its vqn_close() removes them. */
	g->pid = getpid();
	/* Queues bound before the VM was attached get their ioeventfds. */
	vqn_kvm_apply_all(g);
	/* Attached whatever the fallback does: its failure is settling's. */
	return vqn_call_end(g, 0);
}

/*
 * The binding changed under the queues (a VM attached, the guest stopped
 * or running again): every bound queue follows its state in KVM. No
 * module decision is there to carry what KVM did, so the library reports
 * it: an assign KVM refused as its own event (ASSIGNED -> DEASSIGNED, no
 * label, reason kvm-refused, kvm_err), before settling falls back; a
 * deassign that failed as a failure of settling, as vqn_kvm_detach()
 * does (the queue keeps kvm_err and is tried again at its next change).
 */
static void vqn_kvm_apply_one(struct vqn_guest *g, struct vqn_view_dev *d,
			      uint32_t i)
{
	struct vqn_q *q = &d->q[i];
	uint8_t old = q->state;
	int ret;

	/*
	 * An assign KVM may refuse: room for the refusal's event first, or
	 * the assign waits for the device's resync, at the next settling (the
	 * queue's next change may never come). A deassign (the guest
	 * stopping) is made whatever memory is left.
	 */
	if (vqn_q_wants(g, q, old) && !q->kvm_on) {
		ret = vqn_pend_reserve(g);
		if (ret) {
			d->resync = true;
			vqn_settle_failed(g, ret);
			return;
		}
	}
	ret = vqn_q_apply(g, d, i, old);
	if (ret && d->q[i].state != old)
		ret = vqn_pend_library_transition(g, d, i, old,
						  VQNOTIFY_LABEL_NONE,
						  VQNOTIFY_REASON_KVM_REFUSED,
						  ret);
	vqn_settle_failed(g, ret);
}

static void vqn_kvm_apply_all(struct vqn_guest *g)
{
	struct vqn_view_dev *d;
	uint32_t i;

	for (d = g->devs; d; d = d->next)
		for (i = 0; i < d->num_queues; i++)
			vqn_kvm_apply_one(g, d, i);
}

/*
 * The VM is forgotten whatever KVM says: a deassign that fails (but for
 * ENOENT: removed already) is the queue's kvm_err and vqn_read_events()'s.
 * The queues stay bound, their eventfds kept for the next attach.
 */
VQN_EXPORT
void vqn_kvm_detach(struct vqn_guest *g)
{
	struct vqn_view_dev *d;
	uint32_t i;
	int ret;

	if (g->vm_fd < 0)
		return;
	for (d = g->devs; d; d = d->next) {
		for (i = 0; i < d->num_queues; i++) {
			struct vqn_q *q = &d->q[i];

			if (!q->kvm_on)
				continue;
			ret = vqn_kvm_ioeventfd(g->vm_fd, &q->n, false);
			if (ret && ret != -ENOENT) {
				q->kvm_err = ret;
				vqn_settle_failed(g, ret);
			}
			q->kvm_on = false;
		}
	}
	close(g->vm_fd);
	g->vm_fd = -1;
	vqn_notify_update(g);
}

/*
 * The view forgets device @d (removed, or the guest closes): the library's
 * eventfds go. Its ioeventfds are gone from KVM already, or were left
 * there by a deassign that failed, reported then.
 */
static void vqn_kvm_release(struct vqn_guest *g, struct vqn_view_dev *d)
{
	uint32_t i;

	for (i = 0; i < d->num_queues; i++) {
		struct vqn_q *q = &d->q[i];

		if (q->bound)
			close(q->n.fd);
		q->bound = false;
		q->kvm_on = false;
	}
}

static bool notify_valid(const struct vqn_kvm_notify *n)
{
	if (n->fd < 0)
		return false;
	if (n->flags & ~(VQN_KVM_DATAMATCH | VQN_KVM_PIO | VQN_KVM_CCW))
		return false;
	if ((n->flags & VQN_KVM_PIO) && (n->flags & VQN_KVM_CCW))
		return false;
	switch (n->len) {
	case 0:
		return !(n->flags & VQN_KVM_DATAMATCH);
	case 1:
	case 2:
	case 4:
	case 8:
		return true;
	}
	return false;
}

/*
 * The library binds its own duplicate of @n->fd, closed when the queue is
 * bound again or unbound (its ioeventfd gone from KVM) or its device
 * forgotten: the caller may close or replace its eventfd at any time. A
 * previous binding's ioeventfd KVM fails to remove (but for ENOENT: gone
 * already) stays, and so does that binding: the error is returned.
 */
VQN_EXPORT
int vqn_kvm_bind(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		 const struct vqn_kvm_notify *n)
{
	struct vqn_view_dev *d = vqn_view_dev_find(g, dev_id);
	struct vqn_q *q;
	int fd = -1, ret;

	if (!d)
		return -ENOENT;
	if (queue >= d->num_queues || (n && !notify_valid(n)))
		return -EINVAL;
	if (n) {
		fd = fcntl(n->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	}
	/*
	 * The module's news first: a queue it preempted meanwhile is not
	 * assigned in KVM for the event to take away (or, KVM refusing,
	 * reported twice: refused, then preempted).
	 */
	vqn_call_begin(g);
	g->binding = &vqn_kvm_binding;
	q = &d->q[queue];
	if (q->kvm_on) {
		ret = vqn_kvm_ioeventfd(g->vm_fd, &q->n, false);
		if (ret && ret != -ENOENT) {
			q->kvm_err = ret;
			if (fd >= 0)
				close(fd);
			/* The events read first are settled and announced. */
			return vqn_call_end(g, ret);
		}
		q->kvm_on = false;
	}
	if (q->bound)
		close(q->n.fd);
	q->bound = n;
	/*
	 * A refused queue: the module may not have been told yet (an event
	 * read above promoted it, KVM refused it under the old binding, the
	 * fallback comes at the call's end and looks for the mark). The
	 * device's resync asks the module: a queue it has ASSIGNED is
	 * assigned anew; one it has released, nothing to do.
	 */
	if (q->refused)
		d->resync = true;
	q->refused = false;
	q->kvm_err = 0;
	if (n) {
		q->n = *n;
		q->n.fd = fd;
	}
	return vqn_call_end(g, vqn_q_apply(g, d, queue, q->state));
}

/*
 * May vqn_probe_kvm() ask @fd? /dev/kvm (the misc device of KVM's minor,
 * wherever it is mounted) or a VM's; a vCPU's ioctls would wait for its
 * KVM_RUN, and another file's could mean anything. 0, -EBADF or -EINVAL.
 */
static int vqn_kvm_check_probe(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISCHR(st.st_mode))
		return st.st_rdev == makedev(MISC_MAJOR, VQN_KVM_MINOR) ?
		       0 : -EINVAL;
	return vqn_kvm_vm_named(fd);
}

VQN_EXPORT
int vqn_probe_kvm(int fd, struct vqn_kvm_caps *caps)
{
	int kfd = fd, ret = 0;

	memset(caps, 0, sizeof(*caps));
	if (fd < 0) {
		kfd = open("/dev/kvm", O_RDONLY | O_CLOEXEC);
		if (kfd < 0)
			return -errno;
	} else {
		ret = vqn_kvm_check_probe(fd);
		if (ret)
			return ret;
	}
	caps->api_version = ioctl(kfd, KVM_GET_API_VERSION, 0);
	if (caps->api_version < 0) {
		/* A VM fd has no KVM_GET_API_VERSION. */
		caps->api_version = 0;
	}
	caps->ioeventfd = ioctl(kfd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD);
	if (caps->ioeventfd < 0) {
		ret = -errno;
		goto out;
	}
	caps->no_length = ioctl(kfd, KVM_CHECK_EXTENSION,
				KVM_CAP_IOEVENTFD_NO_LENGTH);
	caps->any_length = ioctl(kfd, KVM_CHECK_EXTENSION,
				 KVM_CAP_IOEVENTFD_ANY_LENGTH);
	if (caps->no_length < 0)
		caps->no_length = 0;
	if (caps->any_length < 0)
		caps->any_length = 0;
out:
	if (fd < 0)
		close(kfd);
	return ret;
}
