/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces shared by the vqnotify module's files. */
#ifndef _VQNOTIFY_H
#define _VQNOTIFY_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/vqnotify_netlink.h>

#include "vqn_sm.h"
#include "vqn_user.h"

/**
 * DOC: Layout
 *
 * The module's files, each using only the files below it (a call never
 * goes up; what the netlink family reports from the misc device's calls
 * reaches it through struct vqn_monitor_ops, registered from above). The
 * order is vqnotify-y's in Kbuild, and scripts/check-layers.sh (make
 * check) fails on a symbol used from above:
 *
 * ====================  =====================================================
 * vqnotify_main.c       module init and exit, nothing else
 * vqn_misc.c            the misc device /dev/vqnotify: vqn_fops_*, the ioctl
 *                       table and its dispatch
 * vqn_migration.c       DEV_SAVE and DEV_LOAD: the migration blob
 * vqn_ioctl.c           the ioctls that change or query a guest's devices
 * netlink-gen.c         netlink: the policies and the ops table, generated
 *                       from the YNL spec (scripts/check-spec.sh)
 * vqn_nl_guest.c        netlink: GUEST_GET, GUEST_SET, DEV_GET, QUEUE_GET
 * vqn_nl_admin.c        netlink: CONFIG_*, USER_GET, POLICY_*
 * vqn_nl.c              netlink: the family, its messages, the lookup and
 *                       lock of what a request names, the monitor group's
 *                       notifications (struct vqn_monitor_ops)
 * vqn_guest.c           a guest (one open file): creation, destruction,
 *                       names, devices, the admin's policies applied
 * vqn_event.c           a guest's event ring; the state machine's reports
 *                       (vqn_env_report()): results sink, host-wide counters,
 *                       tracepoints, the monitor hook and what it holds for
 *                       the calls group (vqn_monitor_flush())
 * vqn_pool.c            host-wide: settings (module parameters, vqn_cfg),
 *                       the guest table, the slot pool: its counters, locks
 *                       and promotion work (vqn_env_host_*())
 * vqn_user.c            per-user accounting and the admin's policies
 * vqn_pool_line.c       the slot pool's policy: who may take a slot, the
 *                       lines of waiting guests, whose turn it is; pure
 *                       logic, no locks (tools/sm builds it too)
 * vqn_sm.c              the state machine: pure logic, no locks
 * vqn_sm_check.c        its accounting invariants, checked (tests, teardown)
 * ====================  =====================================================
 *
 * Two things look up without being calls of this module's: the ops table
 * of netlink-gen.c names the netlink handlers, as any genetlink family's
 * table does (the module's init hands the table down to vqn_nl.c; the
 * netlink core calls the handlers); and the two pure files reach their
 * environment through functions their headers declare: the state machine
 * the vqn_env_*() of vqn_sm.h, which vqn_event.c (reports) and vqn_pool.c
 * (slots) provide, the slot pool's policy the vqn_line_env_*() of
 * vqn_pool_line.h (the counters of slots), which vqn_pool.c provides.
 */

/**
 * DOC: Locking
 *
 * The locks, outermost first; a lock is taken only after those above it,
 * never before:
 *
 * =====================  ========  ==========================================
 * lock                   kind      protects
 * =====================  ========  ==========================================
 * vqn_guests_lock        mutex     the writes of vqn_cfg and of the per-user
 *                                  defaults: the admin's changes serialise
 *                                  on it, with their walks of the guests;
 *                                  no tenant's call, close or netlink
 *                                  request takes it, nor the promotion work
 *                                  (guests are found under RCU with a
 *                                  reference, below)
 * vqn_kguest.lock        mutex     one guest: sm, devs, nr_devices,
 *                                  name, admin_set, last_dev, line.serving,
 *                                  line.quota, async and the
 *                                  queues of its devices; with its
 *                                  ntf_lock (a listener of the calls
 *                                  group), the only lock the ioctl hot
 *                                  path waits for, so guests never contend
 *                                  there (a rename resolves its policy
 *                                  under vqn_users_lock, which others hold
 *                                  for a lookup, an insertion, a removal,
 *                                  a policy's update, or the admin's walk
 *                                  of the policies or users)
 * vqn_kguest.ntf_lock    mutex     held while one guest's message to the
 *                                  calls group is sent: taken under the
 *                                  guest's lock, and for a call's results
 *                                  held past its unlock until they are sent
 *                                  (vqn_monitor_call()), so the group tells
 *                                  a guest's changes in the order of its
 *                                  lock; nests inside it; nothing is taken
 *                                  under it but the calls pool's lock
 *                                  (below), and by the promotion work,
 *                                  which holds it (trylock) through a
 *                                  guest's turn
 * vqn_kguest.read_lock   mutex     serialises the readers of one guest's
 *                                  event ring; never held with the guest's
 *                                  lock (a reader may stall in its page
 *                                  fault: only its own guest's readers wait)
 * vqn_host_wait_lock     spinlock  the lines of guests waiting for a slot:
 *                                  vqn_host_line.users, each user's
 *                                  line.waitq and line.node, a guest's
 *                                  line.node, the writes of its
 *                                  line.waiting and of the lines' counters;
 *                                  line.wait_reason (written under the
 *                                  guest's lock too)
 * vqn_kguest.ev_lock     spinlock  one guest's event ring: ev, ev_cap,
 *                                  ev_head, ev_count, ev_seq, ev_overflow;
 *                                  ev and ev_cap are written under the
 *                                  guest's lock too, and read under it
 *                                  alone by a pusher copying the ring
 * vqn_users_lock         mutex     the table of users (vqn_users) and the
 *                                  policies; a leaf, held for a lookup, an
 *                                  insertion, a removal, a policy's update
 *                                  or a walk
 * vqn_nl_pool.lock       local     one CPU's pages for the calls group's
 *                        lock      big messages (vqn_nl.c); a leaf, taken
 *                                  under a guest's ntf_lock to look at two
 *                                  pages' counts or put a new page in
 * =====================  ========  ==========================================
 *
 * The nestings that occur: vqn_guests_lock, then a guest's lock (admin
 * changes, one guest at a time), then vqn_host_wait_lock (a guest starts
 * waiting, takes slots while it waits, leaves the line in its own call, or
 * closes), ev_lock (an event is
 * queued), vqn_users_lock (a policy is resolved) or its ntf_lock (a
 * message to the calls group; the netlink family's own locks below it; in
 * a promotion turn, which holds it throughout, vqn_host_wait_lock and
 * ev_lock too); a guest's read_lock, then its ev_lock. The xarrays' own
 * locks are innermost.
 * Whoever waits for a guest's lock other than its own calls holds none of
 * the module's locks meanwhile, since the holder may be the tenant: netlink
 * requests and dumps, the promotion work and the admin's walks find the
 * guest under RCU (vqn_guests_get()) or in the line (under
 * vqn_host_wait_lock, which they drop first), take a reference
 * (vqn_kguest.ref) and only then wait for its lock, killably for the
 * netlink requests about one guest (the three GETs, GUEST_SET) and the
 * dumps (their callers can give up); a guest closed
 * meanwhile is gone (vqn_kguest.gone) and skipped (vqn_kguest_lock_live()).
 * The admin's walks (CONFIG_SET's threshold, POLICY_SET's budget or
 * reserve) wait so, killably too, holding vqn_guests_lock, which only other
 * admin changes need: the rest of a walk whose caller was killed is a work
 * item's, which waits for every guest, and the admin's changes after it
 * that walk (CONFIG_SET, a POLICY_SET of a budget or reserve), GUEST_SET,
 * which would be undone on the guests it has not reached, and POLICY_DEL,
 * not during any walk either, wait for it,
 * killably (vqn_kguests_admin_lock(), vqn_kguests_walk_wait()). The
 * promotion work, which every waiting guest of every user waits for, does
 * not wait at all: a guest whose lock or ntf_lock is busy stays in line,
 * passed over, and the work serves the others (vqn_host_promote_fn()).
 * Not remedied: the genetlink core runs netlink requests and a dump's
 * first part under its cb_lock, read side, so a family registering
 * meanwhile (a module loaded) waits for a tenant's lock too, and every
 * genetlink request after it. What bounds that wait is the longest hold:
 * one call's, bounded by one device's queues (at most
 * VQNOTIFY_MAX_QUEUES) and by the guest's budget for what it promotes
 * or preempts on other devices (a limit changed: the same); close takes
 * the lock once a device (vqn_kguest_destroy()), not once for all a
 * user's quota of queues. On a kernel that preempts inside system calls
 * (full preemption, PREEMPT_RT), a tenant throttled by its cgroup's
 * cpu.max (1 ms of CPU a period at least, periods of 1 s at most), or
 * at SCHED_IDLE beside a busy CPU, stretches a hold to about a period for
 * each millisecond of CPU it takes (more when the cgroup's other threads
 * are runnable too: they share each period's millisecond); under
 * voluntary preemption, or none, only a hold that sleeps or may
 * reschedule can be stretched so: one waiting for its ntf_lock, which
 * the promotion work or a call's message to the calls group holds, or one
 * allocating a notification (GFP_KERNEL, under the guest's lock: one for
 * each transition when the monitor group has a listener, one for a
 * guest's or device's change, one for a call to the calls group).
 * Nor remedied: on a kernel that preempts inside system calls, a tenant's
 * process held up so inside a message's netlink_broadcast() (its call's
 * to the calls group, after its unlock; the monitor group's, under it)
 * holds up the release of every netlink socket of the host meanwhile,
 * whose netlink_table_grab() waits for every broadcast under way, as any
 * process sending to a netlink group in its own context can (rtnetlink's
 * in a user namespace of its own). Seen in vqn_tenants_test on 6.12-rt:
 * a killed request's exit waited 0.93 s there.
 * Netlink requests about one guest and dumps wait for the guest's lock
 * killably; GUEST_SET and the admin's walks then for its ntf_lock,
 * killably too, before they change anything (vqn_monitor_wait()): their
 * change's messages to the calls group then wait for nobody, since
 * nobody takes a guest's ntf_lock without its lock.
 * open() runs under the misc core's global misc_mtx: it takes only
 * vqn_users_lock, the guest table's xarray lock and the new guest's own
 * locks (its lock, and its ntf_lock to tell listeners GUEST_ADD_NTF),
 * none of them held longer than a lookup, an allocation or a message
 * (a tenant's USER_GET holds vqn_users_lock for one lookup; only the
 * admin's walks all users). The message's allocations are not charged to
 * the tenant, so its memory cgroup cannot slow them; the host's own
 * reclaim can, as it can any misc device's open. Every lock is taken in
 * process context, so the module behaves the same on PREEMPT_RT.
 *
 * No user memory is faulted in under a guest's lock (a stalled fault would
 * block the netlink requests and dumps that reach the guest, and the
 * admin's walks of every guest): the calls copy in before and out
 * after it. The user accesses under it, those of a call on a device of up
 * to 8 queues (vqn_ioctl.c: its results' proof, and a queue call's
 * bitmap), run with page faults disabled and go the unlocked way when a
 * page is not present. For the same reason nothing
 * is allocated under it that may reclaim in the tenant's memory cgroup:
 * the tenant can fill its cgroup, and every such charge then reclaims
 * there. DEV_ADD reserves the device's id and grows the table of devices
 * with the lock dropped; the event ring and the held results grow without
 * waiting (GFP_NOWAIT, vqn_event.c); messages to netlink listeners are not
 * charged to the tenant.
 *
 * What is read without the lock that protects its writes, and what makes
 * that safe:
 *
 * - vqn_cfg and vqn_user_defaults: written with WRITE_ONCE() under
 *   vqn_guests_lock, read with READ_ONCE() by open(), GET_INFO, CONFIG_GET
 *   and the slot pool (each value as it was at some moment: no call needs
 *   two of them to agree).
 * - vqn_limits_gen (vqn_guest.c): bumped, fully ordered, after an admin's
 *   policy or threshold is stored and before its walk of the guests; open()
 *   reads it (acquire) before it resolves its limits and, after the guest
 *   is in the table, smp_mb(), again: a change the walk missed is seen.
 * - vqn_walk_pending (vqn_guest.c): written under vqn_guests_lock, read so
 *   too but by the admin's changes waiting for the work to clear it, with
 *   READ_ONCE() in wait_event_killable(), which the work's wake_up_all()
 *   after its unlock orders; seen set, the lock is taken and read again.
 * - vqn_host_used: an atomic; vqn_env_host_take_n() takes slots by
 *   atomic_try_cmpxchg() below READ_ONCE(vqn_cfg.host_cap).
 * - the lines' counters, nr_waiting and nr_capped of vqn_host_line and of
 *   each user's line, nr_held, and a user's no_room and held
 *   (vqn_pool_line.c): plain fields written with WRITE_ONCE() under
 *   vqn_host_wait_lock, read with READ_ONCE() without it.
 *   vqn_env_host_give_n() decrements vqn_host_used and the user's slots
 *   (vqn_line_env_uncharge() the user's alone), then
 *   smp_mb__after_atomic(), then reads vqn_host_line.nr_waiting; a guest
 *   that starts waiting increments vqn_host_line.nr_waiting, then (after
 *   the spinlock) smp_mb(), then reads vqn_host_used and the user's slots
 *   (vqn_env_host_wait()): one of the two sees the other, so no freed slot
 *   is missed.
 * - vqn_kguest.line.waiting: written with WRITE_ONCE() under
 *   vqn_host_wait_lock and the guest's lock (a guest stays in the line
 *   through its turn in the promotion work, which holds its lock; a
 *   closing guest, and one whose call or turn left nothing waiting for
 *   the host (vqn_env_host_unwait()), leave it under their lock), so read
 *   exactly under the guest's lock: a call of a waiting guest takes its
 *   slots under vqn_host_wait_lock (vqn_env_host_take_n()), where its
 *   place in the line and the counters it discounts itself from agree
 *   (the work changes a user's no_room and held, and the line's nr_capped
 *   and nr_held with them, without the guest's lock); a call of a guest
 *   out of the line reads the counters without it, each read a moment of
 *   the others' waiting.
 * - vqn_kguest.nr_devices: written with WRITE_ONCE() under the guest's
 *   lock, read with READ_ONCE() by DEV_ADD before it allocates, to refuse
 *   a full guest early (EMFILE); read again under the lock before it
 *   counts.
 * - vqn_kguest.ev_count: written with WRITE_ONCE() under ev_lock, read
 *   with READ_ONCE() by read() and poll() to decide whether to sleep, and
 *   by a pusher (who holds the guest's lock, so the count can only have
 *   dropped) to decide whether to grow the ring;
 *   the pusher's wake_up_interruptible_poll() after ev_lock pairs with the
 *   reader's wait_event_interruptible() (the wait queue's barriers).
 * - each user's used: atomics charged by cmpxchg against vqn_user_max(),
 *   which reads the user's max and vqn_user_defaults with READ_ONCE():
 *   max is written with WRITE_ONCE() under vqn_users_lock, the defaults
 *   with WRITE_ONCE() under vqn_guests_lock (a settings change).
 * - vqn_stats: per-CPU counters incremented with this_cpu_inc(), summed
 *   with READ_ONCE() (a 32-bit reader may see a torn increment).
 * - vqn_nr_guests: an atomic, bounded by atomic_add_unless().
 * - the monitor hook (vqn_monitor_set()): set at init before the misc
 *   device exists, never changed while it does.
 */

/**
 * struct vqn_config - host-wide settings, from module parameters, changed
 * by the admin over netlink (see "Locking")
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

struct vqn_async;
struct vqn_call;

/**
 * struct vqn_kguest - one open file of /dev/vqnotify (the library's
 * struct vqn_guest is the VMM's handle on it)
 * @sm: state machine accounting, under @lock
 * @lock: protects the guest ("Locking" says what)
 * @devs: devices by id
 * @nr_devices: entries in @devs
 * @next_dev_id: cyclic allocation hint for @devs, under @devs' own lock
 *               (xa_alloc_cyclic())
 * @id: host-wide id (vqn_guests)
 * @uid: effective uid of the opener (netlink shows the guest to this uid)
 * @uid_gen: the generation of @uid's guests and devices, for its dumps
 *           (vqn_user.h)
 * @pid: the opener
 * @user: the opener's accounting (vqn_user_uid(): in a user namespace, its
 *        maker's): what the guest holds is charged to it, and its uid
 *        policies apply
 * @memcg: the opener's memory cgroup, charged for what the guest allocates
 *         in another's context (vqn_event.c: its ring growing, @async)
 * @quota_exempt: the opener had CAP_SYS_RESOURCE: counted, never refused
 * @gone: closed, under @lock: what found it before then finds nothing
 * @ref: the open file's reference, and one per netlink request, admin
 *       walk or turn of the promotion work that found the guest and waits
 *       for, tries or holds @lock (vqn_kguest_put()); they find guests under RCU
 *       and take one only while not 0 (vqn_guests_get()), or in the line,
 *       which a guest leaves before its file's reference goes
 * @name: NUL-terminated name (kmalloc'ed, or the empty string)
 * @last_dev: the device vqn_kdev_find() found last, under @lock (a VMM's
 *            calls come a device at a time; an xa_load() was a fifth of a
 *            one-queue call under TCG)
 * @line: its place in the line of guests waiting for a slot
 *        (vqn_pool_line.h, "Locking")
 * @async: transitions no call asked for, held for the calls group until
 *         vqn_monitor_flush() (under @lock; allocated on first use)
 * @ntf_lock: orders the guest's messages to the calls group ("Locking")
 * @read_lock: serialises readers of the event ring ("Locking")
 * @ev: event ring of @ev_cap records
 * @ev_lock: protects the event ring ("Locking")
 * @ev_cap: capacity of @ev, doubled as events queue up, up to @ev_depth
 * @ev_depth: records the ring holds, the OVERFLOW one included (event_depth)
 * @ev_head: index of the oldest queued event
 * @ev_count: events queued
 * @ev_overflow: an overflow record is queued, further events are dropped
 * @ev_seq: sequence number of the next event
 * @wq: readers and pollers
 * @rcu: the struct is freed after a grace period
 *
 * The members are in an order that leaves almost no hole: 504 bytes on
 * Debian's 6.1, a kmalloc-512 object. 16 bytes more made it a kmalloc-1k
 * one, 500 B more per guest (make bench: mem_per_queue_guests).
 */
struct vqn_kguest {
	struct vqn_guest_sm sm;
	struct mutex lock; /* see above */
	struct xarray devs;
	u32 nr_devices;
	u32 next_dev_id;
	u32 id;
	kuid_t uid;
	struct vqn_uid_gen *uid_gen;
	struct pid *pid;
	struct vqn_user *user;
	struct mem_cgroup *memcg;
	bool quota_exempt;
	/* the admin's GUEST_SET is the last word on the limits (vqn_guest.c) */
	bool admin_set;
	bool gone;
	refcount_t ref;
	const char *name;
	struct vqn_dev *last_dev;
	struct vqn_line_guest line;
	struct vqn_async *async;
	struct mutex ntf_lock; /* see above */
	/* a big call's results array, for the next one (vqn_ioctl.c) */
	struct vqn_results *res_cache;

	struct mutex read_lock; /* see above */
	struct vqnotify_event *ev;
	spinlock_t ev_lock; /* see above */
	u32 ev_cap;
	u32 ev_depth;
	u32 ev_head;
	u32 ev_count;
	bool ev_overflow;
	u64 ev_seq;
	wait_queue_head_t wq;
	struct rcu_head rcu;
};

static inline struct vqn_kguest *vqn_kguest_of(struct vqn_guest_sm *sm)
{
	return container_of(sm, struct vqn_kguest, sm);
}

/*
 * A big call's results array, which the guest keeps for its next big call
 * (vqn_ioctl.c): @res has room for @cap results; @home is where it goes
 * back. Allocated apart from @res: 8 KiB for 1024 queues, not a page more.
 */
struct vqn_results {
	struct vqn_results **home;
	struct vqnotify_vq_result *res;
	u32 cap;
};

/*
 * The lifecycle call in progress on a guest: the state machine writes its
 * results into @sink (in @small for a device of a few queues, else in @big,
 * the guest's kept array, when the caller or an observer wants them).
 * @obs: who observed when the call began, VQN_OBS_*: asked once per call,
 * in one call into the netlink family (a DRIVER_OK of 1024 queues asked
 * 1024 times: 40% of the call; two questions a call were 8% of a one-queue
 * call). @reported: vqn_call_report() is done with it.
 */
struct vqn_call {
	u8 obs;
	bool reported;
	struct vqn_dev *dev;
	struct vqn_sink sink;
	struct vqn_results *big;
	struct vqnotify_vq_result small[8];
};

/* vqn_pool.c: settings, the guest table, the slot pool */
extern struct vqn_config vqn_cfg;
extern unsigned int vqn_max_guests;
extern unsigned int vqn_max_devices;
extern unsigned int vqn_event_depth;
extern struct mutex vqn_guests_lock;
extern struct xarray vqn_guests;
extern atomic_t vqn_host_used;
extern atomic_t vqn_nr_guests;

int vqn_pool_init(void);
void vqn_pool_exit(void);
int vqn_pool_guest_add(struct vqn_kguest *g);
void vqn_pool_guest_del(struct vqn_kguest *g);
struct vqn_kguest *vqn_guests_get(unsigned long *id,
				  bool (*want)(void *arg, unsigned long id,
					       struct vqn_kguest *g),
				  void *arg);
int vqn_kguest_lock_live(struct vqn_kguest *g, bool killable);
int vqn_guests_each(unsigned long *id,
		    bool (*want)(void *arg, unsigned long id,
				 struct vqn_kguest *g),
		    int (*fill)(void *arg, struct vqn_kguest *g), void *arg,
		    bool killable);
void vqn_kguest_put(struct vqn_kguest *g);
void vqn_host_promote_all(void);

/* vqn_event.c: the event ring, the state machine's reports */

/*
 * Host-wide counters, in the CONFIG_GET reply: they outlive the guests they
 * counted. Per CPU, so that every guest's hot path increments its own CPU's
 * copy; a reader sums them.
 */
struct vqn_stats {
	u64 transitions[VQNOTIFY_LABEL_MAX];
	u64 refusals[VQNOTIFY_REASON_MAX];
	u64 events_dropped;
	u64 guests_opened;
	u64 guests_closed;
};

/**
 * struct vqn_monitor_ops - who tells monitors about changes (the netlink
 * family, vqn_nl.c); called with the guest's lock held
 * @listeners: who listens now: VQN_OBS_MONITOR (the monitor group),
 *             VQN_OBS_CALLS (the calls group), for a transition no call
 *             asked for; a call asks once, directly (vqn_nl_listeners())
 * @queue: a queue's transition from @old to @new, or its refusal (@label
 *         VQNOTIFY_LABEL_NONE), for @reason: as the state machine reported
 *         it, which a later change of the same call does not rewrite; only
 *         when @listeners said VQN_OBS_MONITOR at the start of the call
 * @call: the @nr results of a call on device @dev_id of guest @guest_id,
 *        in one message; called after the guest is unlocked, only when
 *        @listeners said VQN_OBS_CALLS at the start of the call. With
 *        @async, transitions of the device no call asked for (p, r, a
 *        closing guest's g), under the guest's lock (vqn_monitor_flush())
 * @guest: GUEST_ADD_NTF, GUEST_DEL_NTF or GUEST_CHANGE_NTF for @g
 * @dev: a device was added (@add) or removed
 */
struct vqn_monitor_ops {
	unsigned int (*listeners)(void);
	void (*queue)(struct vqn_kguest *g, struct vqn_dev *d, u32 queue,
		      u8 old, u8 new, u8 label, u8 reason);
	void (*call)(u32 guest_id, const char *guest_name, u32 dev_id,
		     const char *dev_name,
		     const struct vqnotify_vq_result *res, u32 nr, bool async);
	void (*guest)(struct vqn_kguest *g, u8 cmd);
	void (*dev)(struct vqn_kguest *g, struct vqn_dev *d, bool add);
};

/* Observers of a call: the monitor groups, and any vqnotify tracepoint. */
#define VQN_OBS_MONITOR	BIT(0)
#define VQN_OBS_CALLS	BIT(1)
#define VQN_OBS_TRACE	BIT(2)

void vqn_monitor_set(const struct vqn_monitor_ops *ops);
void vqn_monitor_guest(struct vqn_kguest *g, u8 cmd);
void vqn_monitor_flush(struct vqn_kguest *g);
int vqn_monitor_wait(struct vqn_kguest *g);
void vqn_monitor_dev(struct vqn_kguest *g, struct vqn_dev *d, bool add);
void vqn_call_report(struct vqn_kguest *g, struct vqn_call *call);
void vqn_monitor_call_begin(struct vqn_kguest *g);
void vqn_monitor_call(struct vqn_kguest *g, const char *guest_name,
		      u32 dev_id, const char *dev_name,
		      const struct vqnotify_vq_result *res, u32 nr);
void vqn_stats_sum(struct vqn_stats *sum);

int vqn_event_init(struct vqn_kguest *g);
void vqn_event_free(struct vqn_kguest *g);
void vqn_event_budget(struct vqn_kguest *g);
ssize_t vqn_event_read(struct vqn_kguest *g, char __user *buf, size_t count,
		       bool nonblock);
__poll_t vqn_event_poll(struct vqn_kguest *g, struct file *file,
			poll_table *wait);

/* vqn_guest.c: guests */
struct vqn_kguest *vqn_kguest_create(void);
void vqn_kguest_destroy(struct vqn_kguest *g);
void vqn_results_free(struct vqn_results *r);
pid_t vqn_kguest_pid(struct vqn_kguest *g, struct pid_namespace *ns);
void vqn_kguest_fill_info(struct vqn_kguest *g,
			  struct vqnotify_guest_info *gi);
void vqn_kguest_apply_policy(struct vqn_kguest *g, bool renamed);
void vqn_kguest_set_threshold(struct vqn_kguest *g, u32 threshold);
int vqn_kguests_walk_wait(void);
int vqn_kguests_admin_lock(void);
void vqn_kguests_set_threshold(u32 threshold);
void vqn_kguests_apply_policy(const char *name, kuid_t uid);
void vqn_kguests_exit(void);
int vqn_name_check(const char *src, size_t size);
int vqn_name_dup(const char *src, size_t size, const char **out);
void vqn_name_free(const char *name);
struct vqn_dev *vqn_kdev_alloc(u32 nq);
void vqn_kdev_free(struct vqn_kguest *g, struct vqn_dev *d);
struct vqn_dev *vqn_kdev_lookup(struct vqn_kguest *g, u32 dev_id);

/* Inline: the last device found is the one of most calls (@last_dev). */
static inline struct vqn_dev *vqn_kdev_find(struct vqn_kguest *g, u32 dev_id)
{
	struct vqn_dev *d = g->last_dev;

	lockdep_assert_held(&g->lock);
	if (d && d->id == dev_id)
		return d;
	return vqn_kdev_lookup(g, dev_id);
}

void vqn_kdev_erase(struct vqn_kguest *g, struct vqn_dev *d);

#endif /* _VQNOTIFY_H */
