/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vqnotify state machine: pure logic, no locking, no allocation.
 *
 * The caller holds the guest's lock around every call. The environment
 * (the module, or a userspace test harness) provides the vqn_env_*()
 * functions declared at the end of this file.
 */
#ifndef _VQN_SM_H
#define _VQN_SM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/list.h>
#include <linux/bug.h>
#else
#include "vqn_user_shim.h"
#endif
#include <uapi/linux/vqnotify.h>

/**
 * struct vqn_vq - one virtqueue
 * @node: on vqn_guest_sm.assigned when ASSIGNED, on vqn_guest_sm.waiting
 *        when waiting for promotion, else empty
 * @dev: the device the queue belongs to
 * @assign_seq: guest-wide order of the last grant (0 unless ASSIGNED)
 * @state: enum vqnotify_vq_state
 * @reason: enum vqnotify_reason
 * @label: enum vqnotify_label of the last transition
 * @flags: VQNOTIFY_VQ_INITIALISED | VQNOTIFY_VQ_WAITING
 */
struct vqn_vq {
	struct list_head node;
	struct vqn_dev *dev;
	u32 assign_seq;
	u8 state;
	u8 reason;
	u8 label;
	u8 flags;
};

/**
 * struct vqn_dev - one virtio device
 * @id: id within the guest
 * @status: virtio device status byte
 * @transport: enum vqnotify_transport
 * @num_queues: number of entries in @vqs
 * @name: NUL-terminated name, owned by the environment
 * @vqs: the queues
 */
struct vqn_dev {
	u32 id;
	u32 status;
	u32 transport;
	u32 num_queues;
	const char *name;
	struct vqn_vq vqs[];
};

/**
 * struct vqn_guest_sm - per-guest state and accounting
 * @admin_budget: budget set by the admin (or the default)
 * @own_budget: the VMM's own limit, 0 if none
 * @vhost_reserve: slots userspace queues may not take
 * @threshold: guests whose budget is below this are limited
 * @used: slots held: ASSIGNED + OFFLIMITS queues
 * @nr_assigned: ASSIGNED queues
 * @nr_offlimits: OFFLIMITS queues
 * @nr_waiting: entries on @waiting
 * @assign_seq: last grant number handed out
 * @run_state: enum vqnotify_run_state; slots stay reserved while stopped
 * @assigned: ASSIGNED queues, oldest grant first
 * @waiting: DEASSIGNED queues refused for lack of slots, FIFO
 * @counts: transitions by enum vqnotify_label
 */
struct vqn_guest_sm {
	u32 admin_budget;
	u32 own_budget;
	u32 vhost_reserve;
	u32 threshold;
	u32 used;
	u32 nr_assigned;
	u32 nr_offlimits;
	u32 nr_waiting;
	u32 assign_seq;
	u32 run_state;
	struct list_head assigned;
	struct list_head waiting;
	u64 counts[VQNOTIFY_NR_COUNTERS];
};

void vqn_sm_guest_init(struct vqn_guest_sm *g, u32 budget, u32 reserve,
		       u32 threshold);
u32 vqn_sm_budget(const struct vqn_guest_sm *g);
bool vqn_sm_limited(const struct vqn_guest_sm *g);
void vqn_sm_set_limits(struct vqn_guest_sm *g, u32 admin_budget,
		       u32 own_budget, u32 reserve, u32 threshold);
void vqn_sm_set_run_state(struct vqn_guest_sm *g, u32 run_state);
u8 vqn_sm_vq_flags(const struct vqn_guest_sm *g, const struct vqn_vq *vq);

void vqn_sm_dev_init(struct vqn_guest_sm *g, struct vqn_dev *d);
void vqn_sm_set_status(struct vqn_guest_sm *g, struct vqn_dev *d, u32 status,
		       const unsigned long *ready);
void vqn_sm_dev_reset(struct vqn_guest_sm *g, struct vqn_dev *d);
void vqn_sm_dev_remove(struct vqn_guest_sm *g, struct vqn_dev *d);
void vqn_sm_reset(struct vqn_guest_sm *g, struct vqn_dev *d, u8 reason);
int vqn_sm_vhost_on(struct vqn_guest_sm *g, struct vqn_dev *d,
		    const unsigned long *queues);
void vqn_sm_vhost_off(struct vqn_guest_sm *g, struct vqn_dev *d,
		      const unsigned long *queues);
int vqn_sm_host_notifier(struct vqn_guest_sm *g, struct vqn_dev *d,
			 struct vqn_vq *vq, bool enable);
int vqn_sm_queues_acquire(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues);
int vqn_sm_queues_release(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues, u8 reason, bool reset);
bool vqn_sm_dev_quiescent(const struct vqn_dev *d);
void vqn_sm_load(struct vqn_guest_sm *g, struct vqn_dev *d, u32 status,
		 const unsigned long *ready);
void vqn_sm_reconfigure(struct vqn_guest_sm *g);
void vqn_sm_promote(struct vqn_guest_sm *g);
int vqn_sm_check(const struct vqn_guest_sm *g);

/*
 * Provided by the environment.
 *
 * vqn_env_report() is called for every transition and for every queue that
 * (b) refused (then @label is VQNOTIFY_LABEL_NONE and the state did not
 * change). @async is true for (p) and (r): changes the owner did not ask for.
 *
 * vqn_env_host_take() takes one host-wide slot: VQNOTIFY_REASON_GRANTED, or
 * VQNOTIFY_REASON_HOST_CAP when the host cap is reached, or
 * VQNOTIFY_REASON_QUOTA when the guest's owner holds its quota of slots;
 * vqn_env_host_give() returns one. vqn_env_host_wait() tells the environment
 * the guest has queues waiting for a slot it refused (the last refusal).
 */
void vqn_env_report(struct vqn_guest_sm *g, struct vqn_vq *vq, u8 old,
		    u8 label, bool async);
u8 vqn_env_host_take(struct vqn_guest_sm *g);
void vqn_env_host_give(struct vqn_guest_sm *g);
void vqn_env_host_wait(struct vqn_guest_sm *g);

static inline u32 vqn_vq_index(const struct vqn_vq *vq)
{
	return vq - vq->dev->vqs;
}

#endif /* _VQN_SM_H */
