// SPDX-License-Identifier: GPL-2.0
/*
 * The slot pool's policy (vqn_pool_line.h): pure logic, built by the module
 * and, unchanged, by the userspace tests (tools/sm) through vqn_user_shim.h.
 *
 * Fairness: while guests wait for a slot, freed slots go to them in turn
 * by the promotion work (vqn_line_next(), vqn_line_serve(),
 * vqn_line_served()): round-robin over the users whose guests wait, then
 * over each user's guests, one slot each. A guest that asks later waits
 * behind the guests of its own user, and behind every guest waiting for
 * the host cap; guests waiting for their user's quota hold up no other
 * user, unless the user is held (below). A guest that is the only one
 * waiting serves itself.
 *
 * Behind its own user's guests a guest waits for what they wait for: the
 * host cap if any of them does, else its user's quota, which holds up no
 * other user unless the user is held. A guest stays in the line, counted,
 * through its turn in the promotion work, and waits on for what it waited
 * for if its turn leaves it queues waiting. A guest whose own call
 * leaves none of its queues waiting for the host leaves the line in that
 * call (vqn_line_unwait() from vqn_env_host_unwait()): still counted, it
 * would hold every other user up until the work came round to it.
 *
 * A user whose quota is full waits for it first, whatever its guests were
 * refused: the promotion work, which walks the users in line, finds it so
 * (vqn_line_next(), vqn_line_recheck()) and stops counting its guests
 * waiting for the host cap against other users until it finds room again.
 * Else a user served up to its quota, or whose quota the admin lowered,
 * would leave guests counted as waiting for the cap and refuse every
 * other user's slots for good.
 * Room comes back (a slot given back, the quota raised) also while the
 * host is full, when no walk runs: the work then looks again at each user
 * in line (vqn_line_recheck()), or the first call of another user would
 * take each slot freed before the work could walk, for good.
 * An exempt guest in line is room at once (vqn_line_wait()).
 *
 * So for a user whose guests wait for its quota: found with room by that
 * recheck, with the host full, it is held (vqn_line_user.held), and its
 * first guest waits for the cap, whatever refused it (its queues still
 * say what did), holding up other users until the work walks it and finds
 * it without room, the recheck does, or its line empties. Only a full host
 * holds a user: a user at its quota whose guests come and go often has
 * room for a moment, and counting its guests waiting for the quota then
 * would refuse other users slots a host with room has.
 */
#include "vqn_sm.h"
#include "vqn_pool_line.h"

/*
 * Under the line's lock when @lg waits (vqn_env_host_take_n()): whether
 * it waits and the counters it discounts itself from must agree, and
 * the promotion work changes its user's no_room, and with it
 * line->nr_capped, without the guest's lock. Else without it, the
 * counters read with READ_ONCE(): a guest out of the line stays out under
 * its own call, and the others' comings and goings are each a moment of
 * the read.
 */
static u8 vqn_line_may_take(const struct vqn_line *line,
			    const struct vqn_line_user *lu,
			    const struct vqn_line_guest *lg)
{
	bool self = READ_ONCE(lg->waiting);
	/* Counted in line->nr_capped: its user has room (vqn_line_room()). */
	bool self_cap = self &&
			READ_ONCE(lg->wait_reason) == VQNOTIFY_REASON_HOST_CAP &&
			!READ_ONCE(lu->no_room);
	/*
	 * Its user held for it alone: its only guest waiting, or exempt (it
	 * does not wait behind its user's other guests).
	 */
	bool self_held = self && READ_ONCE(lu->held) &&
			 (READ_ONCE(lu->nr_waiting) == 1 || lg->exempt);

	if (lg->serving)
		return lg->quota ? VQNOTIFY_REASON_GRANTED : lg->wait_reason;
	/* An exempt guest waits only for the host cap, as other users do. */
	if (READ_ONCE(lu->nr_waiting) > self && !lg->exempt)
		return READ_ONCE(lu->nr_capped) && !READ_ONCE(lu->no_room) ?
		       VQNOTIFY_REASON_HOST_CAP : VQNOTIFY_REASON_QUOTA;
	if (READ_ONCE(line->nr_capped) > self_cap ||
	    READ_ONCE(line->nr_held) > self_held)
		return VQNOTIFY_REASON_HOST_CAP;
	return VQNOTIFY_REASON_GRANTED;
}

/*
 * Up to @n slots, charged to the user and to the host: as many as the
 * user's quota and then the host cap leave. In its turn of the promotion
 * work a guest takes at most its turn's quota. What one slot at a time
 * would give: the quota and the cap refuse alike every slot after the
 * first they refuse. *@reason says why the next slot was refused.
 *
 * Fewer than @least slots are none: the host's counter never holds, even
 * for a moment, the slots of a call that fails for want of them, which
 * another guest could have been refused meanwhile. The user's counter may:
 * its quota is charged first, and given back if the host refuses.
 */
u32 vqn_line_take_n(struct vqn_line *line, struct vqn_line_user *lu,
		    struct vqn_line_guest *lg, u32 n, u32 least, u8 *reason)
{
	u32 got = 0, charged;

	*reason = vqn_line_may_take(line, lu, lg);
	if (*reason != VQNOTIFY_REASON_GRANTED)
		return 0;
	if (lg->serving) {
		n = min(n, lg->quota);
		*reason = lg->wait_reason;
	}
	charged = vqn_line_env_charge(lg, n, least);
	if (charged < n)
		*reason = VQNOTIFY_REASON_QUOTA;
	if (charged)
		got = vqn_line_env_take(lg, charged, least);
	if (got < charged) {
		vqn_line_env_uncharge(lg, charged - got);
		*reason = VQNOTIFY_REASON_HOST_CAP;
	}
	if (lg->serving)
		lg->quota -= got;
	return got;
}

/* One guest of @lu more (@d 1) or less (-1) waits for the host cap. */
static void vqn_line_capped(struct vqn_line *line, struct vqn_line_user *lu,
			    int d)
{
	if (!lu->no_room)
		WRITE_ONCE(line->nr_capped, line->nr_capped + d);
	WRITE_ONCE(lu->nr_capped, lu->nr_capped + d);
}

/* Has @lu room in its quota? Its guests waiting for the cap count if so. */
static void vqn_line_room(struct vqn_line *line, struct vqn_line_user *lu,
			  bool room)
{
	if (lu->no_room != room)
		return;
	WRITE_ONCE(lu->no_room, !room);
	WRITE_ONCE(line->nr_capped, room ? line->nr_capped + lu->nr_capped :
					   line->nr_capped - lu->nr_capped);
}

/* Is @lu held (vqn_line_recheck())? Counted in line->nr_held if so. */
static void vqn_line_hold(struct vqn_line *line, struct vqn_line_user *lu,
			  bool held)
{
	if (lu->held == held)
		return;
	WRITE_ONCE(lu->held, held);
	WRITE_ONCE(line->nr_held, held ? line->nr_held + 1 :
					 line->nr_held - 1);
}

/*
 * The guest has queues waiting for a slot, which @reason refused: it joins
 * its user's line at the tail, and its user the host's line. False when it
 * waits already for that reason: nothing changed. (A guest in its turn is
 * in the line already: vqn_line_serve().)
 */
bool vqn_line_wait(struct vqn_line *line, struct vqn_line_user *lu,
		   struct vqn_line_guest *lg, u8 reason)
{
	bool cap = reason == VQNOTIFY_REASON_HOST_CAP;

	if (lg->waiting) {
		if (lg->wait_reason == reason)
			return false;
		/* Still waiting, now for the other reason. */
		vqn_line_capped(line, lu, cap ? 1 : -1);
		WRITE_ONCE(lg->wait_reason, reason);
		return true;
	}
	list_add_tail(&lg->node, &lu->waitq);
	if (list_empty(&lu->node))
		list_add_tail(&lu->node, &line->users);
	WRITE_ONCE(lg->waiting, true);
	WRITE_ONCE(lg->wait_reason, reason);
	WRITE_ONCE(lu->nr_waiting, lu->nr_waiting + 1);
	WRITE_ONCE(line->nr_waiting, line->nr_waiting + 1);
	lu->nr_exempt += lg->exempt;
	/* The next walk would find it (vqn_line_first()): count it now. */
	if (lg->exempt)
		vqn_line_room(line, lu, true);
	if (cap)
		vqn_line_capped(line, lu, 1);
	return true;
}

/* Take @lg, a guest of @lu, out of the line, if it waits. */
void vqn_line_unwait(struct vqn_line *line, struct vqn_line_user *lu,
		     struct vqn_line_guest *lg)
{
	if (!lg->waiting)
		return;
	list_del_init(&lg->node);
	WRITE_ONCE(lg->waiting, false);
	WRITE_ONCE(lu->nr_waiting, lu->nr_waiting - 1);
	WRITE_ONCE(line->nr_waiting, line->nr_waiting - 1);
	lu->nr_exempt -= lg->exempt;
	if (lg->wait_reason == VQNOTIFY_REASON_HOST_CAP)
		vqn_line_capped(line, lu, -1);
	if (list_empty(&lu->waitq)) {
		list_del_init(&lu->node);
		vqn_line_room(line, lu, true);
		vqn_line_hold(line, lu, false);
	}
}

/*
 * The first waiting guest of @lu that may take a slot: its first, unless
 * the user's quota is full; then an exempt one behind it, if any. The
 * quota is the same for all the others: a user with a full quota and a
 * long line is passed over at the cost of one guest, not of its line.
 */
static struct vqn_line_guest *vqn_line_first(struct vqn_line_user *lu)
{
	struct vqn_line_guest *lg;

	lg = list_first_entry(&lu->waitq, struct vqn_line_guest, node);
	if (vqn_line_env_room(lg))
		return lg;
	if (!lu->nr_exempt)
		return NULL;
	list_for_each_entry(lg, &lu->waitq, node)
		if (lg->exempt)
			return lg;
	return NULL;
}

/*
 * The next guest to serve, left in the line: the first waiting guest of the
 * first user in line with room in its quota (or an exempt guest of a user
 * without); that user goes to the tail of the line. The guest stays in
 * the line through its turn, once its lock is taken (vqn_line_serve()), or
 * is passed over (vqn_line_pass()): only under its lock does it leave the
 * line, so its own calls see it in the line or out, whole. O(users in
 * line) per slot handed out, plus a user's guests when its quota is full
 * and some of them are exempt (opened with CAP_SYS_RESOURCE, never a
 * tenant's alone). NULL: none. Each user passed over has no room
 * (vqn_line_room()) and is held no more; the user picked stays held, its
 * guest maybe found busy.
 */
struct vqn_line_guest *vqn_line_next(struct vqn_line *line)
{
	struct vqn_line_guest *lg;
	struct vqn_line_user *lu;
	bool room;

	list_for_each_entry(lu, &line->users, node) {
		lg = vqn_line_first(lu);
		room = !!lg;
		vqn_line_room(line, lu, room);
		if (room) {
			list_move_tail(&lu->node, &line->users);
			return lg;
		}
		vqn_line_hold(line, lu, false);
	}
	return NULL;
}

/*
 * The promotion work found the host full, so no walk (vqn_line_next())
 * looks at the users in line: it looks at each as a walk would. Each with
 * room counts its guests waiting for the cap against other users (again,
 * if it was found without room: a slot given back, the quota raised), and
 * is held, its first guest waiting for the cap whatever refused it; each
 * without room (the quota lowered, or filled) counts them no more, and is
 * held no more. O(users in line), as a walk (plus a user's guests when
 * its quota is full and some of them are exempt).
 */
void vqn_line_recheck(struct vqn_line *line)
{
	struct vqn_line_user *lu;
	bool room;

	list_for_each_entry(lu, &line->users, node) {
		room = !!vqn_line_first(lu);
		vqn_line_room(line, lu, room);
		vqn_line_hold(line, lu, room);
	}
}

/*
 * @lg, which vqn_line_next() gave, was found busy (its lock held): it keeps
 * waiting, for what it waited for, behind its user's other guests. Nothing
 * is counted again. Not if it left the line meanwhile (it closed, or its
 * own call left it waiting for nothing).
 */
void vqn_line_pass(struct vqn_line_user *lu, struct vqn_line_guest *lg)
{
	if (lg->waiting)
		list_move_tail(&lg->node, &lu->waitq);
}

/*
 * The turn of @lg, the guest of @sm, under its lock: one slot. It stays in
 * the line, counted, through its turn: taken out before its turn took the
 * slot, another guest's call (on another CPU, the line's lock free) would
 * find nobody waiting and take it. Its turn may leave it waiting for
 * nothing from the host: it then leaves the line (vqn_env_host_unwait()).
 * A guest that left the line since vqn_line_next() gave it (its own call,
 * under this lock) is not served. Then vqn_line_served().
 */
void vqn_line_serve(struct vqn_line_guest *lg, struct vqn_guest_sm *sm)
{
	if (!lg->waiting)
		return;
	lg->serving = true;
	lg->quota = 1;
	vqn_sm_promote(sm);
	lg->serving = false;
}

/*
 * After vqn_line_serve(), under the line's lock too: a guest that took its
 * slot and still waits goes to the tail of its user's line (its user is at
 * the tail of the host's, from vqn_line_next()). One that its user's quota
 * or the host cap stopped before it took its slot keeps its place: first
 * of its user, or where its own call put it back in the line since
 * vqn_line_next() gave it, behind guests that waited longer, or, exempt
 * and picked past its user's full quota, where it was. Stopped by
 * the cap, its user goes back to the head of the host's line, and the
 * promotion work stops: true.
 */
bool vqn_line_served(struct vqn_line *line, struct vqn_line_user *lu,
		     struct vqn_line_guest *lg)
{
	if (!lg->waiting)
		return false;
	if (!lg->quota) {
		list_move_tail(&lg->node, &lu->waitq);
		return false;
	}
	if (lg->wait_reason != VQNOTIFY_REASON_HOST_CAP)
		return false;
	list_move(&lu->node, &line->users);
	return true;
}
