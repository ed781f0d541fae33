/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl handlers of /dev/vqnotify (vqn_ioctl.c, vqn_migration.c), for
 * the table of vqn_misc.c. Each gets the guest and the argument copied in;
 * vqn_misc.c copies it back out.
 */
#ifndef _VQN_IOCTL_H
#define _VQN_IOCTL_H

#include "vqnotify.h"

int vqn_ioctl_get_info(struct vqn_kguest *g, void *arg);
int vqn_ioctl_guest_set(struct vqn_kguest *g, void *arg);
int vqn_ioctl_guest_get(struct vqn_kguest *g, void *arg);
int vqn_ioctl_dev_add(struct vqn_kguest *g, void *arg);
void vqn_ioctl_dev_add_undo(struct vqn_kguest *g, void *arg);
int vqn_ioctl_set_status(struct vqn_kguest *g, void *arg);
int vqn_ioctl_dev_reset(struct vqn_kguest *g, void *arg);
int vqn_ioctl_dev_remove(struct vqn_kguest *g, void *arg);
int vqn_ioctl_host_notifier(struct vqn_kguest *g, void *arg);
int vqn_ioctl_queue_get(struct vqn_kguest *g, void *arg);
int vqn_ioctl_dev_get(struct vqn_kguest *g, void *arg);
int vqn_ioctl_dev_save(struct vqn_kguest *g, void *arg);
int vqn_ioctl_dev_load(struct vqn_kguest *g, void *arg);
int vqn_ioctl_queues_acquire(struct vqn_kguest *g, void *arg);
int vqn_ioctl_queues_release(struct vqn_kguest *g, void *arg);
int vqn_ioctl_host_notifiers(struct vqn_kguest *g, void *arg);

/* A device-wide call and its results (vqn_ioctl.c, for vqn_migration.c) */
int vqn_call_prepare(struct vqn_kguest *g, u32 dev_id, u64 ures, u32 cap,
		     struct vqn_call *call, u32 *nq);
struct vqn_dev *vqn_call_begin(struct vqn_kguest *g, u32 dev_id, u32 nq,
			       struct vqn_call *call);
void vqn_call_end(struct vqn_kguest *g, struct vqn_call *call);
void vqn_call_free(struct vqn_call *call);
int vqn_call_finish(struct vqn_call *call, u64 ures, u32 *nr_results);

#endif /* _VQN_IOCTL_H */
