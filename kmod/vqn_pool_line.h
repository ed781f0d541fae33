/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slot pool's policy: who may take a host-wide slot now, and the lines
 * of guests waiting for one. Pure logic, like the state machine: no locks,
 * no allocation, no work. The module (vqn_pool.c) and the userspace tests
 * (tools/sm/sm_env.c) build the same vqn_pool_line.c; each is the
 * environment: it holds the counters of slots, provides the vqn_line_env_*()
 * functions declared at the end of this file, locks, orders and schedules.
 *
 * The caller of vqn_line_take_n() and vqn_line_serve() holds the guest's
 * lock, and of vqn_line_take_n() the line's too when the guest waits (not
 * of vqn_line_serve(), whose turn calls it); of vqn_line_wait(),
 * vqn_line_unwait(), vqn_line_served(), vqn_line_next(), vqn_line_recheck()
 * and vqn_line_pass() the line's lock, and of vqn_line_wait(),
 * vqn_line_unwait() and vqn_line_served() the guest's too: whether a guest
 * is in the line, and what it waits for, change only under its own lock
 * (vqn_line_pass() moves a busy one within its user's line, counting
 * nothing). The counters of the line, and a guest's @waiting and
 * @wait_reason, are written with WRITE_ONCE() under the line's lock and
 * read without it with READ_ONCE() ("DOC: Locking" in vqnotify.h).
 */
#ifndef _VQN_POOL_LINE_H
#define _VQN_POOL_LINE_H

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/types.h>
#else
#include "vqn_user_shim.h"
#endif

struct vqn_guest_sm;

/**
 * struct vqn_line - the guests waiting for a slot, host-wide
 * @users: the users with waiting guests, in turn (vqn_line_user.node)
 * @nr_waiting: guests waiting
 * @nr_capped: those waiting for the host cap, of users with room in their
 *             quota (vqn_line_user.no_room): no guest overtakes them
 * @nr_held: users found with room while the host was full
 *           (vqn_line_user.held): no other guest overtakes them either
 */
struct vqn_line {
	struct list_head users;
	u32 nr_waiting;
	u32 nr_capped;
	u32 nr_held;
};

/**
 * struct vqn_line_user - one user's guests waiting for a slot
 * @node: on vqn_line.users while @waitq is not empty
 * @waitq: its waiting guests, in the order they started waiting, a guest
 *         served or passed over since at the tail
 * @nr_waiting: entries on @waitq
 * @nr_capped: those waiting for the host cap (the others for the quota)
 * @nr_exempt: those exempt from its quota (vqn_line_guest.exempt): without
 *             them, when one guest has no room in the quota none has
 * @no_room: the promotion work found its quota full (vqn_line_next(), or
 *           vqn_line_recheck() when the host is full): its guests wait for
 *           the quota first, and @nr_capped is not counted in
 *           vqn_line.nr_capped until the work finds room again. Never
 *           while @nr_exempt.
 * @held: vqn_line_recheck() found room in its quota while the host was
 *        full: its first guest waits for the cap, whatever refused it,
 *        until a walk (vqn_line_next()) or a recheck finds the user
 *        without room, or its line empties. Never with @no_room.
 */
struct vqn_line_user {
	struct list_head node;
	struct list_head waitq;
	u32 nr_waiting;
	u32 nr_capped;
	u32 nr_exempt;
	bool no_room;
	bool held;
};

/**
 * struct vqn_line_guest - one guest's place
 * @node: on its user's waitq while @waiting
 * @quota: slots its turn lets it take, while @serving; after its turn,
 *         what it did not take (vqn_line_served())
 * @waiting: queues wait for a slot the host cap or the user's quota refused
 * @wait_reason: VQNOTIFY_REASON_HOST_CAP or _QUOTA: what it waits for
 * @serving: the promotion work serves it: it may take @quota slots
 *           although others wait
 * @exempt: its user's quota does not apply to it (the opener had
 *          CAP_SYS_RESOURCE), set once at open: it does not wait behind
 *          its user's guests waiting for the quota
 */
struct vqn_line_guest {
	struct list_head node;
	u32 quota;
	bool waiting;
	u8 wait_reason;
	bool serving;
	bool exempt;
};

static inline void vqn_line_init(struct vqn_line *line)
{
	INIT_LIST_HEAD(&line->users);
	line->nr_waiting = 0;
	line->nr_capped = 0;
	line->nr_held = 0;
}

static inline void vqn_line_user_init(struct vqn_line_user *lu)
{
	INIT_LIST_HEAD(&lu->node);
	INIT_LIST_HEAD(&lu->waitq);
	lu->nr_waiting = 0;
	lu->nr_capped = 0;
	lu->nr_exempt = 0;
	lu->no_room = false;
	lu->held = false;
}

/*
 * Does @lg wait already, for @reason? Under the guest's lock, without the
 * line's: exact, since both change only under the guest's lock.
 */
static inline bool vqn_line_waits_for(const struct vqn_line_guest *lg,
				      u8 reason)
{
	return READ_ONCE(lg->waiting) && READ_ONCE(lg->wait_reason) == reason;
}

u32 vqn_line_take_n(struct vqn_line *line, struct vqn_line_user *lu,
		    struct vqn_line_guest *lg, u32 n, u32 least, u8 *reason);
bool vqn_line_wait(struct vqn_line *line, struct vqn_line_user *lu,
		   struct vqn_line_guest *lg, u8 reason);
void vqn_line_unwait(struct vqn_line *line, struct vqn_line_user *lu,
		     struct vqn_line_guest *lg);
struct vqn_line_guest *vqn_line_next(struct vqn_line *line);
void vqn_line_recheck(struct vqn_line *line);
void vqn_line_pass(struct vqn_line_user *lu, struct vqn_line_guest *lg);
void vqn_line_serve(struct vqn_line_guest *lg, struct vqn_guest_sm *sm);
bool vqn_line_served(struct vqn_line *line, struct vqn_line_user *lu,
		     struct vqn_line_guest *lg);

/*
 * Turns one run of the promotion work serves at most (vqn_pool.c, and
 * tools/sm's copy of the work): then it queues itself again, and other
 * work of the system queue runs between. However many queues wait
 * host-wide, and however fast a tenant frees slots and asks for them
 * again, the work does not hold a worker for the line to empty.
 */
#define VQN_PROMOTE_BATCH	64

/*
 * Provided by the environment: the counters of slots.
 *
 * vqn_line_env_charge() charges up to @n slots to @lg's user, as many as
 * its quota leaves (all of them when the quota does not apply to the
 * guest), and returns how many; vqn_line_env_uncharge() gives @n back.
 * vqn_line_env_take() takes up to @n host-wide slots below the host cap and
 * returns how many. Both take none rather than fewer than @least (<= @n).
 * vqn_line_env_room(): may @lg take a slot its user's quota allows, if the
 * host has one? (Always, when @lg->exempt.)
 */
u32 vqn_line_env_charge(struct vqn_line_guest *lg, u32 n, u32 least);
void vqn_line_env_uncharge(struct vqn_line_guest *lg, u32 n);
u32 vqn_line_env_take(struct vqn_line_guest *lg, u32 n, u32 least);
bool vqn_line_env_room(struct vqn_line_guest *lg);

#endif /* _VQN_POOL_LINE_H */
