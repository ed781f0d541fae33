/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_failslab.h: the fault injection under vqn_failslab_test. debugfs
 * knobs set and put back (struct fs_knob), vqnotify's text range for the
 * stack filter (fs_module_text), this thread's fail-nth (fs_arm,
 * fs_disarm), the context the calls under test work on (struct fs_ctx),
 * everything a failed call must not change (struct fs_state, fs_state,
 * fs_state_cmp), what a monitor listener was and should have been told
 * (fs_mon_count, fs_mon_expected), and the totals over all tests.
 */
#ifndef _VQN_FAILSLAB_H
#define _VQN_FAILSLAB_H

#include "kselftest_harness.h"
#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

#define FS_DBG		"/sys/kernel/debug/"

/* debugfs knobs set for the test and put back after it. */
struct fs_knob {
	const char *path;
	char saved[64];
	bool set;
};

/* What a call under test works on, one per test (the fixture's c). */
struct fs_ctx {
	int fd;			/* guest under test */
	int probe;		/* host-wide counters */
	int newfd;		/* open: the new guest */
	uint32_t dev;
	uint32_t nq;
	uint32_t guest_id;
	uint32_t blob_len;
	uint8_t blob[TK_BLOB_MAX];
	uint64_t ready[TK_BITMAP_WORDS(VQNOTIFY_MAX_QUEUES)];
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_event ev[8];
	int nread;		/* records the last read() returned */
	uint64_t next_seq;	/* the seq read() must return next, 0: any */
	bool seq_broken;	/* a record read out of sequence */
	struct tk_nl nl;
	bool have_nl;
	struct tk_nl_config cfg;
	struct tk_nl_guests ids;
	struct tk_nl mon;	/* joined the monitor group */
	bool have_mon;
};

static int fs_knob_set(struct fs_knob *k, const char *val)
{
	if (!k->set && tk_read_file(k->path, k->saved, sizeof(k->saved)))
		return -ENOENT;
	k->set = true;
	return tk_write_file(k->path, val);
}

/* vqnotify's text, from /proc/kallsyms: [start, end). */
static int fs_module_text(unsigned long *start, unsigned long *end)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], type, name[256], mod[64];
	unsigned long a;

	*start = ~0UL;
	*end = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s [%63[^]]]", &a, &type, name,
			   mod) != 4 || strcmp(mod, "vqnotify") ||
		    (type != 't' && type != 'T'))
			continue;
		if (a < *start)
			*start = a;
		if (a > *end)
			*end = a;
	}
	fclose(f);
	if (!*end || !*start)
		return -ENOENT;	/* no module, or addresses hidden */
	*end += 0x2000;		/* the last function's length */
	return 0;
}

/* Totals over all tests, printed when the harness exits. */
struct fs_totals {
	unsigned int calls;
	unsigned int points;
	unsigned int enomem;
	unsigned int absorbed;
};

static struct fs_totals *fs_totals;

static void fs_print_totals(void)
{
	if (fs_totals && fs_totals->calls)
		ksft_print_msg("failslab: %u fault points over %u calls: %u failed with ENOMEM, %u absorbed\n",
			       fs_totals->points, fs_totals->calls,
			       fs_totals->enomem, fs_totals->absorbed);
}

/* fail-nth of this thread */

static int fs_nth_fd = -1;

static void fs_arm(unsigned int nth)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u", nth);

	if (pwrite(fs_nth_fd, buf, n, 0) != n)
		abort();
}

/* Disarm; true when the fault fired. */
static bool fs_disarm(void)
{
	char buf[16] = "";
	bool fired;

	if (pread(fs_nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	fired = atoi(buf) == 0;
	if (pwrite(fs_nth_fd, "0", 1, 0) != 1)
		abort();
	return fired;
}

/* Everything a failed call must not have changed. */
struct fs_state {
	struct tk_snap snap;
	struct vqnotify_info info;
	struct tk_nl_config cfg;
	struct tk_nl_policies pol;
	struct tk_nl_user user;	/* the caller's: what it is charged */
};

static int fs_state(struct fs_ctx *c, struct fs_state *s)
{
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (c->fd >= 0)
		ret = tk_snap_take(c->fd, 8, &s->snap);
	if (!ret)
		ret = _test_ioctl_get_info(c->probe, &s->info);
	if (!ret && c->have_nl)
		ret = _test_nl_config_get(&c->nl, &s->cfg);
	if (!ret && c->have_nl)
		ret = _test_nl_policy_dump(&c->nl, &s->pol);
	if (!ret && c->have_nl)
		ret = _test_nl_user_get(&c->nl, getuid(), &s->user);
	return ret;
}

static int fs_state_cmp(struct fs_state *a, struct fs_state *b,
			struct tk_why *w)
{
	if (a->info.host_used != b->info.host_used ||
	    a->info.nr_guests != b->info.nr_guests)
		return tk_fail(w, "host_used %u/%u nr_guests %u/%u",
			       a->info.host_used, b->info.host_used,
			       a->info.nr_guests, b->info.nr_guests);
	if (memcmp(&a->cfg, &b->cfg, sizeof(a->cfg)))
		return tk_fail(w, "netlink config changed");
	if (a->user.nr_guests != b->user.nr_guests ||
	    a->user.nr_devices != b->user.nr_devices ||
	    a->user.nr_queues != b->user.nr_queues ||
	    a->user.nr_slots != b->user.nr_slots)
		return tk_fail(w, "user charged guests %lld/%lld devices %lld/%lld queues %lld/%lld slots %lld/%lld",
			       (long long)a->user.nr_guests,
			       (long long)b->user.nr_guests,
			       (long long)a->user.nr_devices,
			       (long long)b->user.nr_devices,
			       (long long)a->user.nr_queues,
			       (long long)b->user.nr_queues,
			       (long long)a->user.nr_slots,
			       (long long)b->user.nr_slots);
	if (a->pol.n != b->pol.n ||
	    memcmp(a->pol.p, b->pol.p, sizeof(a->pol.p)))
		return tk_fail(w, "policies changed (%d, then %d)", a->pol.n,
			       b->pol.n);
	return tk_snap_cmp(&a->snap, &b->snap, w);
}

/* Notifications the listener got since the last call; -1 on an overrun. */
struct fs_mon_tally {
	uint16_t family;
	int count;
};

/*
 * A refusal is no change of state: not counted here. A CALL_NTF (the
 * calls group) counts the transitions among its results.
 */
static void fs_mon_cb(const struct nlmsghdr *h, void *arg)
{
	struct fs_mon_tally *t = arg;
	const struct vqnotify_vq_result *r;
	const struct nlattr *res;
	struct tk_nl_attrs a;
	uint8_t cmd;
	int i, n;

	if (h->nlmsg_type != t->family)
		return;
	cmd = ((struct genlmsghdr *)NLMSG_DATA(h))->cmd;
	if (cmd != VQNOTIFY_CMD_CALL_NTF) {
		t->count += cmd != VQNOTIFY_CMD_REFUSAL_NTF;
		return;
	}
	tk_nl_parse_msg(&a, h);
	res = a.tb[VQNOTIFY_A_CALL_RESULTS];
	if (!res)
		return;
	r = tk_nla_data(res);
	n = tk_nla_len(res) / (int)sizeof(*r);
	for (i = 0; i < n; i++)
		t->count += r[i].label > VQNOTIFY_LABEL_A;
}

static int fs_mon_count(struct fs_ctx *c)
{
	struct fs_mon_tally t = { .family = c->mon.family };
	bool overrun = false;

	tk_nl_drain(&c->mon, fs_mon_cb, &t, &overrun);
	return overrun ? -1 : t.count;
}

/* What a listener should have been told between two states. */
static int fs_mon_expected(const struct fs_state *a, const struct fs_state *b)
{
	const struct vqnotify_guest_info *x = &a->snap.gi, *y = &b->snap.gi;
	int n = 0;

	/* (a) is counted per queue but is no transition: DEV_ADD says it. */
	for (int l = VQNOTIFY_LABEL_B; l < VQNOTIFY_LABEL_MAX; l++)
		n += y->counts[l] - x->counts[l];
	n += abs((int)y->nr_devices - (int)x->nr_devices);
	return n;
}

#endif /* _VQN_FAILSLAB_H */
