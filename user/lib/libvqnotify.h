/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvqnotify: a C API over /dev/vqnotify for VMMs.
 *
 * One struct vqn_guest is one open /dev/vqnotify, i.e. one guest. Every
 * function returns 0 (or a count) on success and a negative errno on
 * failure; the library never prints and never exits. A struct vqn_guest
 * must not be used by two threads at the same time.
 *
 * The library keeps a view of every queue of the devices added through it.
 * After each call it applies the call's results, then reads the events the
 * module queued (preemption, promotion, budget changes), so its view, and
 * the KVM ioeventfds it manages when a KVM VM is attached, follow the
 * module's decisions. Those events are handed to the caller by
 * vqn_read_events(); vqn_event_fd() is readable while any are pending.
 *
 * See libvqnotify(3).
 */
#ifndef _LIBVQNOTIFY_H
#define _LIBVQNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Not again after a copy whose guard headers_install renamed. */
#ifndef VQNOTIFY_API_VERSION
#include <linux/vqnotify.h>
#endif

/*
 * A program may include its own, older <linux/vqnotify.h> first (a VMM's
 * copy of the uAPI). With API 1's, whose structs of vqn_guest_get() and
 * vqn_dev_get() are smaller, its calls of those two are calls of
 * vqn_guest_get_api1() and vqn_dev_get_api1(), which fill no byte past
 * API 1's structs; the functions linked by default fill today's. An asm
 * label, not a .symver: link-time optimisation keeps a declaration's
 * label, and puts a top-level asm into one partition, away from calls in
 * others.
 */
#if VQNOTIFY_API_VERSION < 2
#define VQN_API1_NAME(name)	__asm__(#name "_api1")
#else
#define VQN_API1_NAME(name)
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VQN_DEVICE_PATH		"/dev/vqnotify"

struct vqn_guest;

/**
 * struct vqn_result - what a lifecycle call did to one queue
 * @dev_id: the device
 * @queue: the queue index
 * @old_state: enum vqnotify_vq_state before the call
 * @new_state: enum vqnotify_vq_state after the call, in the library's view:
 *             DEASSIGNED when KVM refused the ioeventfd (@kvm_err != 0)
 * @label: enum vqnotify_label of the module's transition (NONE: refused)
 * @reason: enum vqnotify_reason of the module's decision
 * @kvm_err: 0, or the negative errno of a KVM_IOEVENTFD assign KVM refused,
 *           or of a deassign that failed (the ioeventfd stays in KVM,
 *           vqn_view.kvm_assigned; the library tries again at the queue's
 *           next change)
 */
struct vqn_result {
	uint32_t dev_id;
	uint32_t queue;
	uint8_t old_state;
	uint8_t new_state;
	uint8_t label;
	uint8_t reason;
	int kvm_err;
};

/* Open /dev/vqnotify (or @path) as a new guest named @name (may be NULL). */
int vqn_open(struct vqn_guest **gp, const char *name);
int vqn_open_path(struct vqn_guest **gp, const char *path, const char *name);
/*
 * Remove the library's KVM ioeventfds, then close: the module frees all.
 * In a process forked from the one that opened @g (or attached its VM),
 * only that process's copies (memory, fds) are freed: the VM's ioeventfds
 * stay that process's. A forked process that shares the guest with its
 * parent (a device process) may call nothing else on @g: the guest's
 * events and state are the parent's, and KVM refuses its calls on the
 * parent's VM. One that carries on instead of its parent (a VMM that
 * daemonizes after opening) uses @g as its own, attaching its VM.
 */
void vqn_close(struct vqn_guest *g);
/* The /dev/vqnotify file descriptor, for callers that need raw ioctls. */
int vqn_fd(const struct vqn_guest *g);

int vqn_get_info(struct vqn_guest *g, struct vqnotify_info *info);
int vqn_guest_get(struct vqn_guest *g, struct vqnotify_guest_info *gi)
	VQN_API1_NAME(vqn_guest_get);
/*
 * API 2: up to VQNOTIFY_NAME_LEN - 1 printable bytes (31 on API 1). The
 * admin's policy for the name may lower the budget: events follow, as
 * for vqn_set_budget().
 */
int vqn_set_name(struct vqn_guest *g, const char *name);
/* The same as vqn_set_name(), under its API 1 name. */
int vqn_set_label(struct vqn_guest *g, const char *name);
/*
 * API 2: the VM stops (QEMU's stop, the final migration pass) or runs
 * again. The slots stay reserved; with a KVM VM attached the library
 * removes every ioeventfd while stopped and adds the ASSIGNED ones back.
 */
#if VQNOTIFY_API_VERSION >= 2
int vqn_set_run_state(struct vqn_guest *g, enum vqnotify_run_state state);
#endif
/* The VMM's own budget limit; 0 removes it. May preempt (events follow). */
int vqn_set_budget(struct vqn_guest *g, uint32_t budget);

/*
 * Lifecycle calls. @res (may be NULL) receives at most @cap entries, one per
 * queue the call changed or refused; the return value is the number of such
 * queues (which may exceed @cap), or a negative errno.
 */
int vqn_dev_add(struct vqn_guest *g, enum vqnotify_transport transport,
		uint32_t num_queues, const char *name, uint32_t *dev_id);
int vqn_dev_remove(struct vqn_guest *g, uint32_t dev_id,
		   struct vqn_result *res, unsigned int cap);
/*
 * @ready: bitmap of (num_queues + 63) / 64 words, bit n set when queue n is
 * initialised; NULL means every queue is.
 */
int vqn_set_status(struct vqn_guest *g, uint32_t dev_id, uint8_t status,
		   const uint64_t *ready, struct vqn_result *res,
		   unsigned int cap);
int vqn_dev_reset(struct vqn_guest *g, uint32_t dev_id,
		  struct vqn_result *res, unsigned int cap);
/*
 * vhost takes (@enable) or gives back one queue's host notifier: 0 (the
 * queue's result in @res, which may be NULL), or a negative errno
 * (-EALREADY: vhost holds it already, or does not).
 */
int vqn_host_notifier(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		      bool enable, struct vqn_result *res);

/*
 * API 2, calls on a set of queues: @queues is a bitmap of @nr_queues bits
 * (1..num_queues) in __u64 words, queue n is bit n % 64 of word n / 64.
 * Return the number of results (as vqn_set_status()) or -errno; -EOPNOTSUPP
 * from a module without VQNOTIFY_FEATURE_QUEUE_OPS.
 *
 * vqn_queues_acquire(): the VMM wants ioeventfds for these queues (q);
 * vqn_queues_release(): it gives them up (x), @flags VQNOTIFY_QUEUES_*;
 * vqn_host_notifiers(): vhost takes (c, d) or gives back (e, f) the host
 * notifiers of these queues at once, all or nothing (-ENOSPC).
 */
int vqn_queues_acquire(struct vqn_guest *g, uint32_t dev_id,
		       const uint64_t *queues, uint32_t nr_queues,
		       struct vqn_result *res, unsigned int cap);
int vqn_queues_release(struct vqn_guest *g, uint32_t dev_id,
		       const uint64_t *queues, uint32_t nr_queues,
		       uint32_t flags, struct vqn_result *res,
		       unsigned int cap);
int vqn_host_notifiers(struct vqn_guest *g, uint32_t dev_id,
		       const uint64_t *queues, uint32_t nr_queues,
		       bool enable, struct vqn_result *res, unsigned int cap);

/*
 * Migration. vqn_dev_save(): *@len is the capacity of @buf; on return (also
 * on -EMSGSIZE) the blob's length. vqn_dev_load() targets a quiescent
 * device (status 0, no queue holding or waiting for a slot: just added or
 * reset) with the same transport and queue count.
 */
int vqn_dev_save(struct vqn_guest *g, uint32_t dev_id, void *buf,
		 size_t *len);
int vqn_dev_load(struct vqn_guest *g, uint32_t dev_id, const void *buf,
		 size_t len, struct vqn_result *res, unsigned int cap);

/* The module's view. */
int vqn_queue_get(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		  struct vqnotify_vq_info *info);
/*
 * @dev: out (size/flags/dev_id set by the library); @queues: at most @cap
 * entries. Returns the number of queues written.
 */
int vqn_dev_get(struct vqn_guest *g, uint32_t dev_id,
		struct vqnotify_dev_get *dev, struct vqnotify_vq_info *queues,
		unsigned int cap) VQN_API1_NAME(vqn_dev_get);
/* Ids of the devices added through this handle, ascending. Returns count. */
int vqn_dev_list(struct vqn_guest *g, uint32_t *ids, unsigned int cap);

/**
 * struct vqn_view - the library's view of one queue
 * @state: enum vqnotify_vq_state as the library applied it
 * @bound: a KVM notify address is bound to the queue
 * @kvm_assigned: the library holds the queue's KVM ioeventfd
 * @refused: KVM refused the ioeventfd; the queue is reported to the module
 *           as not initialised until it is bound again
 * @kvm_err: negative errno of the last KVM_IOEVENTFD failure, or 0
 */
struct vqn_view {
	uint8_t state;
	bool bound;
	bool kvm_assigned;
	bool refused;
	int kvm_err;
};
int vqn_queue_view(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		   struct vqn_view *view);

/* Events */

/**
 * struct vqn_event - one decoded event
 * @seq: the module's sequence number (library events: that of the module's
 *       event or the library's OVERFLOW before them; an OVERFLOW, the
 *       module's or the library's: the first event lost)
 * @type: enum vqnotify_event_type
 * @flags: VQN_EVENT_F_*
 * @dev_id: TRANSITION: the device
 * @queue: TRANSITION: the queue
 * @old_state: TRANSITION: state before (the module's; library events:
 *             the library's view)
 * @new_state: TRANSITION: state after (library's view; DEASSIGNED when KVM
 *             refused the ioeventfd)
 * @label: TRANSITION: enum vqnotify_label
 * @reason: TRANSITION: enum vqnotify_reason
 * @value: BUDGET: the new effective budget
 * @lost: events just before this one that the caller never got: dropped
 *        by the module, its ring full (a seq gap), or by the library,
 *        without memory to queue them (a library OVERFLOW, whose lost are
 *        those, from its seq on), or the oldest of the 4096 it held
 *        (library events among them, which have no seq of their own)
 * @kvm_err: TRANSITION: negative errno of a refused KVM assign, or of a
 *           deassign KVM failed (the ioeventfd stays in KVM, as for
 *           struct vqn_result), or 0
 */
struct vqn_event {
	uint64_t seq;
	uint32_t type;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t queue;
	uint8_t old_state;
	uint8_t new_state;
	uint8_t label;
	uint8_t reason;
	uint32_t value;
	uint64_t lost;
	int kvm_err;
};
/* Made by the library: resynchronisation after an overflow or a KVM
 * fallback changed a queue the module did not report itself, or KVM
 * refused an assign no module decision asked for (vqn_kvm_attach(), the
 * guest running again), or an OVERFLOW counts events the library had no
 * memory to queue. */
#define VQN_EVENT_F_LIBRARY	(1U << 0)

/*
 * Readable (EPOLLIN) while vqn_read_events() has something to return:
 * level-triggered. With EPOLLET, read until vqn_read_events() returns 0
 * (or an error) at every wakeup: events left pending raise no new edge.
 */
int vqn_event_fd(struct vqn_guest *g);
/*
 * Decode up to @max pending events into @ev, without blocking. Returns the
 * number decoded (0: none), or, once no event is pending before it, a
 * failure of what the library did after a call (-errno, returned once).
 * An OVERFLOW event means the module dropped events (or the library, one
 * with VQN_EVENT_F_LIBRARY, which had no memory to queue them): the
 * library has already resynchronised its view (and KVM) with the module,
 * reporting each queue it corrected as a library event.
 */
int vqn_read_events(struct vqn_guest *g, struct vqn_event *ev,
		    unsigned int max);
/*
 * Wait up to @timeout_ms (-1: forever) for events. 1: vqn_read_events()
 * has something to return (events, or a failure), 0: timeout.
 */
int vqn_wait_events(struct vqn_guest *g, int timeout_ms);

/* KVM binding */

/* Flags of struct vqn_kvm_notify, as KVM_IOEVENTFD_FLAG_*. */
#define VQN_KVM_DATAMATCH	(1U << 0)
#define VQN_KVM_PIO		(1U << 1)
#define VQN_KVM_CCW		(1U << 3)

/**
 * struct vqn_kvm_notify - where and how the guest notifies one queue
 * @addr: PIO port or MMIO address (CCW: subchannel id)
 * @datamatch: value written (legacy virtio-pci: the queue index), with
 *             VQN_KVM_DATAMATCH
 * @len: access size: 0 (any; modern virtio-pci), 1, 2 (legacy PIO), 4, 8
 * @flags: VQN_KVM_*
 * @fd: the queue's eventfd; it stays owned by the caller, who may close
 *      it once vqn_kvm_bind() returned: the library binds its own
 *      duplicate, closed when the queue is bound again or unbound, or its
 *      device forgotten (removed, the guest closed); an ioeventfd a
 *      failed removal left in KVM holds the eventfd itself
 */
struct vqn_kvm_notify {
	uint64_t addr;
	uint64_t datamatch;
	uint32_t len;
	uint32_t flags;
	int fd;
};

/*
 * Let the library manage KVM ioeventfds on @vm_fd (the library keeps a
 * duplicate until vqn_kvm_detach() or vqn_close(); the process that
 * attaches is the one whose vqn_close() removes them): a bound queue has
 * one exactly while it is ASSIGNED.
 * vhost's own notifiers (OFFLIMITS queues) are not the library's: register
 * them after vqn_host_notifier(.., true) returns and remove them before
 * calling vqn_host_notifier(.., false). Returns 0, -EBUSY when a VM is
 * attached already, -EBADF, -EIO for a VM another process created (KVM
 * serves only its creator), or -EINVAL when @vm_fd is not a KVM VM's
 * (/dev/kvm's, a vCPU's, any other file), with nothing changed. A vCPU's
 * file is refused without waiting for its KVM_RUN, where /proc is mounted
 * (by its name in /proc/thread-self/fd: seccomp filters must allow
 * readlink).
 */
int vqn_kvm_attach(struct vqn_guest *g, int vm_fd);
/*
 * Remove every ioeventfd the library holds and forget the VM; the queues
 * stay bound. A removal KVM fails is returned by vqn_read_events().
 */
void vqn_kvm_detach(struct vqn_guest *g);
/*
 * Bind a queue's notify address (@n NULL: unbind, removing its ioeventfd).
 * Binding an ASSIGNED queue registers its ioeventfd at once; binding again
 * clears a previous refusal. The library keeps a duplicate of @n->fd (it
 * returns -EBADF for a closed one): the caller may close or replace its
 * eventfd after the call. When KVM fails to remove the queue's ioeventfd
 * (but for ENOENT: gone already), that error is returned and the queue
 * keeps its binding and ioeventfd. -ENOENT for an unknown device, -EINVAL
 * for a queue past the device's, a negative fd, or a notification KVM has
 * no form for (unknown flags, PIO with CCW, a @len other than 0, 1, 2, 4
 * or 8, a datamatch of length 0).
 */
int vqn_kvm_bind(struct vqn_guest *g, uint32_t dev_id, uint32_t queue,
		 const struct vqn_kvm_notify *n);

/**
 * struct vqn_kvm_caps - what KVM offers for ioeventfds
 * @api_version: KVM_GET_API_VERSION
 * @ioeventfd: KVM_CAP_IOEVENTFD
 * @no_length: KVM_CAP_IOEVENTFD_NO_LENGTH (zero-length MMIO, modern virtio)
 * @any_length: KVM_CAP_IOEVENTFD_ANY_LENGTH
 */
struct vqn_kvm_caps {
	int api_version;
	int ioeventfd;
	int no_length;
	int any_length;
};
/*
 * Ask KVM with KVM_GET_API_VERSION and KVM_CHECK_EXTENSION only. @fd: a
 * /dev/kvm or VM fd, or -1 to open /dev/kvm read-only for the duration of
 * the call. Any other fd gets -EINVAL before any ioctl (a vCPU's would
 * wait for its KVM_RUN), where /proc is mounted.
 */
int vqn_probe_kvm(int fd, struct vqn_kvm_caps *caps);

/* Names */
const char *vqn_state_name(unsigned int state);		/* "ASSIGNED" */
const char *vqn_label_name(unsigned int label);		/* "b", "-" */
const char *vqn_label_desc(unsigned int label);		/* "DRIVER_OK" */
const char *vqn_reason_name(unsigned int reason);	/* "no-slot" */
const char *vqn_transport_name(unsigned int transport);	/* "mmio" */
const char *vqn_event_type_name(unsigned int type);	/* "transition" */
/* Case-insensitive parse of the names above; negative errno if unknown. */
int vqn_state_from_name(const char *name);
int vqn_transport_from_name(const char *name);
int vqn_reason_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* _LIBVQNOTIFY_H */
