/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvqnotify's internals, shared by its files. */
#ifndef _VQN_INTERNAL_H
#define _VQN_INTERNAL_H

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "libvqnotify.h"

#define VQN_EXPORT __attribute__((visibility("default")))

/* Module records read per read() call. */
#define VQN_EV_BATCH	64
/* Events held for the caller at most (a power of two): then the oldest go. */
#define VQN_PEND_MAX	4096
/* Snapshots a resync takes again while events arrive (vqn_resync_dev()). */
#define VQN_RESYNC_TRIES	4

static inline int vqn_xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* One queue as the library sees it. */
struct vqn_q {
	uint8_t state;
	bool bound;
	bool kvm_on;
	bool refused;
	int kvm_err;
	struct vqn_kvm_notify n;	/* bound: n.fd is the library's dup */
};

struct vqn_view_dev {
	struct vqn_view_dev *next;
	uint32_t id;
	uint32_t num_queues;
	bool resync;		/* a result disagreed with the view */
	bool fallback;		/* KVM refused a queue the module assigned */
	struct vqn_q q[];
};

/*
 * The KVM binding (kvm.c) sits on top of the core (libvqnotify.c): the core
 * calls it only through these, which the binding's entry points install
 * (vqn_kvm_attach(), vqn_kvm_bind()); without them the core keeps the view
 * alone.
 * @apply: the module put queue @qi in @state: the view and KVM follow it;
 *         the negative errno of an assign KVM refused
 * @fallback: restart the devices that have queues KVM refused
 * @run_state: the run state changed (vqn_guest.stopped): follow it in KVM
 * @detach: remove every ioeventfd from KVM (the guest closes)
 * @release: the view forgets device @d: close the binding's fds of it
 */
struct vqn_binding {
	int (*apply)(struct vqn_guest *g, struct vqn_view_dev *d, uint32_t qi,
		     uint8_t state);
	int (*fallback)(struct vqn_guest *g);
	void (*run_state)(struct vqn_guest *g);
	void (*detach)(struct vqn_guest *g);
	void (*release)(struct vqn_guest *g, struct vqn_view_dev *d);
};

struct vqn_guest {
	int fd;
	int epfd;		/* vqn_event_fd(): fd + notify */
	int notify;		/* eventfd: readable while events are pending */
	int vm_fd;		/* attached KVM VM (our duplicate), or -1 */
	pid_t pid;		/* the opener, or the process that attached
				 * the VM: a forked child's KVM is not its */
	uint32_t event_size;
	uint64_t features;	/* VQNOTIFY_FEATURE_* of the module */
	bool stopped;		/* run state: no ioeventfd in KVM */
	const struct vqn_binding *binding;	/* KVM, once used */
	struct vqn_view_dev *devs;

	/* Decoded events waiting for vqn_read_events(), a ring. */
	struct vqn_event *pend;
	unsigned int pend_head, pend_nr, pend_cap;
	bool notified;
	uint64_t next_seq;	/* expected seq of the next module event */
	/* seq of the last module event decoded, or of the OVERFLOW owed */
	uint64_t last_seq;
	/*
	 * Read from the module, not queued (no memory): an OVERFLOW owed,
	 * for @dropped events from seq @dropped_seq on.
	 */
	uint64_t dropped, dropped_seq;
	bool fallback;		/* some device needs a KVM fallback */
	int settle_err;		/* settling failed: for vqn_read_events() */

	/*
	 * Results buffer for the module, and vqn_set_status()'s ready bitmap
	 * less the refused queues: sized for the largest device when it is
	 * added, so that vqn_set_status() needs no memory of its own.
	 */
	struct vqnotify_vq_result *rbuf;
	unsigned int rbuf_cap;
	uint64_t *ready;
	unsigned int ready_words;
	void *evbuf;
};

/* view.c: the library's view of the queues, and the event queue */
struct vqn_view_dev *vqn_view_dev_find(struct vqn_guest *g, uint32_t id);
struct vqn_view_dev *vqn_dev_track(struct vqn_guest *g, uint32_t id,
				   uint32_t nq);
void vqn_dev_forget(struct vqn_guest *g, struct vqn_view_dev *d);
int vqn_view_set(struct vqn_guest *g, struct vqn_view_dev *d, uint32_t qi,
		 uint8_t state);
bool vqn_view_stale(const struct vqn_q *q, uint8_t old);
void vqn_notify_update(struct vqn_guest *g);
int vqn_pend_reserve(struct vqn_guest *g);
int vqn_pend_reserve_n(struct vqn_guest *g, unsigned int n);
int vqn_pend_library_transition(struct vqn_guest *g,
				const struct vqn_view_dev *d, uint32_t qi,
				uint8_t old, uint8_t label, uint8_t reason,
				int kvm_err);
int vqn_resync_dev(struct vqn_guest *g, struct vqn_view_dev *d);
int vqn_drain(struct vqn_guest *g);
int vqn_settle(struct vqn_guest *g);
void vqn_settle_failed(struct vqn_guest *g, int err);
void vqn_call_begin(struct vqn_guest *g);
int vqn_call_end(struct vqn_guest *g, int ret);

/* libvqnotify.c, for kvm.c */
int vqn_raw_set_status(struct vqn_guest *g, struct vqn_view_dev *d,
		       uint32_t status, const uint64_t *ready,
		       struct vqn_result *res, unsigned int cap);
int vqn_raw_queues(struct vqn_guest *g, struct vqn_view_dev *d,
		   unsigned long cmd, uint32_t flags, const uint64_t *queues,
		   uint32_t nr_queues, struct vqn_result *res, unsigned int cap);

#endif /* _VQN_INTERNAL_H */
