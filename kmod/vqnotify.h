/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces shared by the vqnotify module's files. */
#ifndef _VQNOTIFY_H
#define _VQNOTIFY_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "vqn_sm.h"
#include "vqn_user.h"

/**
 * struct vqn_config - host-wide settings, from module parameters, changed
 * by the admin over netlink (under vqn_guests_lock, with WRITE_ONCE: GET_INFO
 * reads them without it)
 * @default_budget: budget of a new guest
 * @threshold: many-ioeventfds threshold
 * @vhost_reserve: vhost reserve of a new guest
 * @host_cap: host-wide slot cap
 */
struct vqn_config {
	u32 default_budget;
	u32 threshold;
	u32 vhost_reserve;
	u32 host_cap;
};

/**
 * struct vqn_guest - one open file of /dev/vqnotify
 * @sm: state machine accounting, under @lock
 * @lock: protects @sm, @devs, @name and the devices' queues
 * @devs: devices by id
 * @nr_devices: entries in @devs
 * @next_dev_id: cyclic allocation hint for @devs
 * @id: host-wide id (vqn_guests)
 * @pid: the opener
 * @uid: effective uid of the opener (netlink shows the guest to this uid)
 * @user: the opener's accounting: what the guest holds is charged to it
 * @quota_exempt: the opener had CAP_SYS_RESOURCE: counted, never refused
 * @name: NUL-terminated name (kmalloc'ed, or the empty string)
 * @call: results collector of the ioctl in progress, under @lock
 * @host_waiting: queues wait for a slot the host cap or the user's quota
 *                refused: @host_node is on @user's waitq (both under
 *                vqn_host_wait_lock)
 * @host_node: entry on @user's waitq
 * @host_wait_reason: VQNOTIFY_REASON_HOST_CAP or _QUOTA: why it waits
 * @host_refused: the last refusal of vqn_env_host_take() (under @lock)
 * @host_serving: the host-wide promotion work serves this guest: it may
 *                take @host_quota host slots although others wait (under
 *                @lock)
 * @host_quota: host slots the work lets this guest take, see above
 * @read_lock: serialises readers of the event ring
 * @ev_lock: protects the event ring
 * @ev: event ring of @ev_cap records
 * @ev_cap: capacity of @ev, doubled as events queue up, up to @ev_depth
 * @ev_depth: events queued before an overflow (event_depth)
 * @ev_head: index of the oldest queued event
 * @ev_count: events queued
 * @ev_seq: sequence number of the next event
 * @ev_overflow: an overflow record is queued, further events are dropped
 * @wq: readers and pollers
 */
struct vqn_guest {
	struct vqn_guest_sm sm;
	struct mutex lock; /* see above */
	struct xarray devs;
	u32 nr_devices;
	u32 next_dev_id;
	u32 id;
	struct pid *pid;
	kuid_t uid;
	struct vqn_user *user;
	bool quota_exempt;
	const char *name;
	struct vqn_call *call;
	bool host_waiting;
	struct list_head host_node;
	u8 host_wait_reason;
	u8 host_refused;
	bool host_serving;
	u32 host_quota;

	struct mutex read_lock; /* see above */
	spinlock_t ev_lock; /* see above */
	struct vqnotify_event *ev;
	u32 ev_cap;
	u32 ev_depth;
	u32 ev_head;
	u32 ev_count;
	u64 ev_seq;
	bool ev_overflow;
	wait_queue_head_t wq;
};

extern struct vqn_config vqn_cfg;
extern struct mutex vqn_guests_lock;
extern struct xarray vqn_guests;
extern atomic_t vqn_host_used;
extern atomic_t vqn_nr_guests;
extern unsigned int vqn_max_guests;

static inline struct vqn_guest *vqn_guest_of(struct vqn_guest_sm *sm)
{
	return container_of(sm, struct vqn_guest, sm);
}

void vqn_guest_fill_info(struct vqn_guest *g, struct vqnotify_guest_info *gi);
void vqn_guest_event_budget(struct vqn_guest *g);
void vqn_host_promote_all(void);
void vqn_guests_apply_policy(const char *name, kuid_t uid);

/*
 * Host-wide counters, in the CONFIG_GET reply (vqnotify_nl.c): they outlive
 * the guests they counted. Per CPU, so that every guest's hot path
 * increments its own CPU's copy; a reader sums them.
 */
struct vqn_nl_stats {
	u64 transitions[VQNOTIFY_LABEL_MAX];
	u64 refusals[VQNOTIFY_REASON_MAX];
	u64 events_dropped;
	u64 guests_opened;
	u64 guests_closed;
};

DECLARE_PER_CPU(struct vqn_nl_stats, vqn_nl_stats);

/* Netlink family, vqnotify_nl.c */
int vqn_nl_init(void);
void vqn_nl_exit(void);
bool vqn_nl_listened(void);
/* The caller checked vqn_nl_listened(), once per call. */
void vqn_nl_notify_queue(struct vqn_guest *g, struct vqn_vq *vq, u8 old,
			 u8 label);
void vqn_nl_event_dropped(void);
void vqn_nl_notify_guest(struct vqn_guest *g, u8 cmd);
void vqn_nl_notify_dev(struct vqn_guest *g, struct vqn_dev *d, bool add);

#endif /* _VQNOTIFY_H */
