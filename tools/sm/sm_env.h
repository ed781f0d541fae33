/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace environment for the vqnotify state machine (kmod/vqn_sm.c):
 * a host with a slot cap, guests with devices, and a log of every report.
 *
 * The sm_*() wrappers call the vqn_sm_*() entry points as the module's
 * glue does (kmod/vqn_ioctl.c, vqn_guest.c, vqn_pool.c): with a results
 * sink for the call, which they record beside the events so the checks can
 * tell results from events; the host-wide promotion work and the resets of
 * a closing guest are the environment's, as in vqn_pool.c and vqn_guest.c.
 * The slot pool's policy is the module's own kmod/vqn_pool_line.c: the
 * environment keeps its counters of slots (vqn_line_env_*()).
 */
#ifndef _SM_ENV_H
#define _SM_ENV_H

#include "vqn_sm.h"
#include "vqn_pool_line.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define SM_MAX_GUESTS	8
#define SM_MAX_USERS	4
#define SM_MAX_DEVS	16
#define SM_ERR_LEN	512
#define SM_BITMAP_LONGS	BITS_TO_LONGS(VQNOTIFY_MAX_QUEUES)

/**
 * struct sm_report - one vqn_env_report() call
 * @vq: the queue
 * @dev_id: its device's id
 * @queue: its index
 * @old_state: state before
 * @new_state: state after (the queue's state when reported)
 * @label: enum vqnotify_label, NONE for a refusal
 * @reason: the queue's reason when reported
 * @async: an event (p, r) rather than a result of the call
 */
struct sm_report {
	struct vqn_vq *vq;
	u32 dev_id;
	u32 queue;
	u8 old_state;
	u8 new_state;
	u8 label;
	u8 reason;
	bool async;
};

struct sm_guest;

/**
 * struct sm_user - the module's per-user accounting (kmod/vqn_user.c)
 * @used: slots its guests hold
 * @max: its slot quota (UINT32_MAX: none, the default)
 * @line: its waiting guests (kmod/vqn_pool_line.h)
 */
struct sm_user {
	u32 used;
	u32 max;
	u64 charged;
	struct vqn_line_user line;
};

/**
 * struct sm_host - the host-wide part of the module
 * @cap: host-wide slot cap
 * @used: slots taken host-wide
 * @took: slots ever taken host-wide (a call that failed took none)
 * @room_asked: vqn_line_env_room() calls: what the line's walks cost
 * @work_pending: the host-wide promotion work is scheduled
 * @guests: open guests
 * @users: users, by index (a guest belongs to user 0 unless told)
 * @line: the guests waiting for a slot, host-wide (vqn_host_line)
 * @left_line: called (may be NULL) when a guest's own call, or its turn
 *             in the promotion work, took it out of the line
 *             (vqn_env_host_unwait()), with @left_arg
 * @left_arg: for @left_line
 */
struct sm_host {
	u32 cap;
	u32 used;
	u64 took;
	u64 room_asked;
	bool work_pending;
	struct sm_guest *guests[SM_MAX_GUESTS];
	struct sm_user users[SM_MAX_USERS];
	struct vqn_line line;
	void (*left_line)(struct sm_host *h, struct sm_guest *g, void *arg);
	void *left_arg;
};

/**
 * struct sm_guest - one open guest
 * @sm: the state machine's per-guest state
 * @host: the host it lives on
 * @line: its place in the line of guests waiting for a slot
 * @user: index of its user in the host's users
 * @gone: it is closing (vqn_kguest.gone): out of the host's table and the
 *        line since sm_guest_close_begin(); its devices go at
 *        sm_guest_close_end()
 * @devs: devices, by slot (id is the slot + 1)
 * @acquired: the device had a per-queue acquire since its last reset: its
 *            queues may be ASSIGNED without DRIVER_OK
 * @counts: transitions by label, counted from reports and dev adds
 * @reports: reports since the last sm_reports_clear()
 * @nr_reports: entries in @reports
 * @max_reports: capacity of @reports
 * @call_dev: device of the call in progress, NULL for none
 * @call_any: the call may report on any device (release)
 * @call_first: index in @reports of the first report of the call
 * @sink: the results of the call in progress, in @res
 * @sunk: results of @sink already copied into @reports
 * @res: room for a call's results, one per queue of a device
 * @errors: misbehaviour seen by the environment itself
 * @err: description of the first error
 */
struct sm_guest {
	struct vqn_guest_sm sm;
	struct sm_host *host;
	struct vqn_line_guest line;
	u8 user;
	bool gone;
	struct vqn_dev *devs[SM_MAX_DEVS];
	bool acquired[SM_MAX_DEVS];
	u64 counts[VQNOTIFY_NR_COUNTERS];
	struct sm_report *reports;
	unsigned int nr_reports;
	unsigned int max_reports;
	struct vqn_dev *call_dev;
	bool call_any;
	unsigned int call_first;
	struct vqn_sink sink;
	unsigned int sunk;
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	unsigned int errors;
	char err[SM_ERR_LEN];
};

void sm_host_init(struct sm_host *h, u32 cap);
void sm_host_set_cap(struct sm_host *h, u32 cap);
void sm_host_set_quota(struct sm_host *h, unsigned int user, u32 max);
bool sm_host_run_work(struct sm_host *h);

/*
 * The moments of a turn of the promotion work (sm_host_run_work_between()):
 * the guest picked, its lock not tried yet; still in the line, under its
 * lock, its slot not taken yet; its turn over, its new place in the line
 * taken (vqn_line_served()), its lock dropped.
 */
enum sm_work_moment {
	SM_WORK_PICKED,
	SM_WORK_TAKEN,
	SM_WORK_SERVED,
};

typedef bool (*sm_between_fn)(struct sm_host *h, struct sm_guest *g,
			      enum sm_work_moment when, void *arg);
bool sm_host_run_work_between(struct sm_host *h, sm_between_fn between,
			      void *arg);

int sm_guest_open(struct sm_host *h, struct sm_guest *g, u32 budget,
		  u32 reserve, u32 threshold);
void sm_guest_close(struct sm_guest *g);
void sm_guest_close_begin(struct sm_guest *g);
void sm_guest_close_end(struct sm_guest *g);
void sm_set_own_budget(struct sm_guest *g, u32 budget);
void sm_set_admin_budget(struct sm_guest *g, u32 budget);
void sm_set_reserve(struct sm_guest *g, u32 reserve);
void sm_set_threshold(struct sm_guest *g, u32 threshold);

struct vqn_dev *sm_dev_add(struct sm_guest *g, u32 num_queues);
struct vqn_dev *sm_dev_find(struct sm_guest *g, u32 id);
void sm_dev_remove(struct sm_guest *g, struct vqn_dev *d);
void sm_dev_reset(struct sm_guest *g, struct vqn_dev *d);
void sm_set_status(struct sm_guest *g, struct vqn_dev *d, u32 status,
		   const unsigned long *ready);
int sm_host_notifier(struct sm_guest *g, struct vqn_dev *d, u32 queue,
		     bool enable);
int sm_host_notifiers(struct sm_guest *g, struct vqn_dev *d,
		      const unsigned long *queues, bool enable);
int sm_queues_acquire(struct sm_guest *g, struct vqn_dev *d,
		      const unsigned long *queues);
int sm_queues_release(struct sm_guest *g, struct vqn_dev *d,
		      const unsigned long *queues, u8 reason, bool reset);
void sm_set_run_state(struct sm_guest *g, u32 run_state);
void sm_load(struct sm_guest *g, struct vqn_dev *d, u32 status,
	     const unsigned long *ready, const unsigned long *vhost);

void sm_reports_clear(struct sm_guest *g);
const struct sm_report *sm_report_find(const struct sm_guest *g,
				       const struct vqn_vq *vq,
				       unsigned int nth);
unsigned int sm_reports_count(const struct sm_guest *g, u8 label,
			      bool async);

bool sm_edge_legal(u8 old, u8 new, u8 label, bool async);
/* sm_check.c */
bool sm_user_fits(const struct vqn_guest_sm *sm, u32 held, u32 offlimits);
int sm_check_guest(const struct sm_guest *g, char *msg, size_t len);
int sm_check_line(const struct sm_host *h, char *msg, size_t len);
int sm_check_host(const struct sm_host *h, char *msg, size_t len);

const char *sm_state_name(u8 state);
const char *sm_label_name(u8 label);
const char *sm_reason_name(u8 reason);

#endif /* _SM_ENV_H */
