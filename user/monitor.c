// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl monitor: the module's notifications as they come, with the
 * names of guests and devices, filters and timestamps.
 *
 * It listens to the "calls" group where the module says that group tells
 * everything (CONFIG_GET's calls-monitor): a call's results, and the
 * transitions nobody called for, packed in one CALL_NTF, one line each
 * here. Older modules tell them one message a queue on the "monitor"
 * group only, which slows their guests' calls: the monitor joins it there.
 * VQNOTIFYCTL_MONITOR_GROUP (calls or monitor) chooses the group. Both
 * print the same lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/netlink.h>

#include "vqnotifyctl.h"

void monitor_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-t|-ts] monitor [events LIST] [guest G] [dev D]\n"
		"                                [count N]\n"
		"LIST := { all | guest | dev | queue | refusal }[,...]\n"
		"Prints one line (with -j one JSON object) per guest or device\n"
		"added or removed, per queue transition and per refused queue,\n"
		"host-wide, with the guest's and device's names beside their\n"
		"ids, until interrupted or, with count, after N events shown.\n"
		"events: only these kinds; guest G: only the guest of id or name\n"
		"G; dev D: only its device of id or name D. -t: a Timestamp:\n"
		"line before each event, -ts: a short [timestamp] prefix (as\n"
		"ip -t monitor). Needs CAP_NET_ADMIN.\n", prog);
}

static volatile sig_atomic_t stop, signalled;

static void on_signal(int sig)
{
	stop = 1;
	signalled = 1;
}

enum {
	EV_GUEST = 1,
	EV_DEV = 2,
	EV_QUEUE = 4,
	EV_REFUSAL = 8,
	EV_ALL = 15,
};

/* A guest's or device's name, as the monitor knows it. */
struct mon_name {
	uint32_t guest, dev;	/* dev: UINT32_MAX for the guest itself */
	bool dumped;		/* from a dump: the newest name there was */
	char name[VQNOTIFY_NAME_LEN];
};

struct mon {
	struct jw *w;
	uint32_t left;		/* events to go; 0: no limit */
	unsigned int events;	/* EV_* shown */
	const char *guest_sel;	/* id or name; NULL: any */
	const char *dev_sel;
	struct nl lookup;	/* a second socket, for names */
	struct vec names;	/* struct mon_name */
	/*
	 * The names' index, by guest and device: open addressing, each slot
	 * an index into @names plus one (0: empty), @len a power of two at
	 * least twice @names.nr. A dump names every object of the host, each
	 * looked up: by a walk of the table, 26,000 devices were 338 million
	 * comparisons a dump. Rebuilt when @stale (names removed or lost);
	 * without memory for it, the lookup walks the table.
	 */
	uint32_t *index;
	size_t len;
	bool stale;
};

#define MON_GUEST UINT32_MAX
/* The receive buffer asked for (the kernel caps it at net.core.rmem_max). */
#define MON_RCVBUF (4 << 20)

static size_t mon_slot(const struct mon *m, uint32_t guest, uint32_t dev)
{
	uint64_t h = ((uint64_t)guest << 32 | dev) * 0x9e3779b97f4a7c15ULL;

	return (h >> 32) & (m->len - 1);
}

static void mon_index_add(struct mon *m, size_t i)
{
	const struct mon_name *n = (struct mon_name *)m->names.v + i;
	size_t s = mon_slot(m, n->guest, n->dev);

	while (m->index[s])
		s = (s + 1) & (m->len - 1);
	m->index[s] = i + 1;
}

/* The index of every name, afresh: false without memory for it. */
static bool mon_index_build(struct mon *m)
{
	size_t len = 64, i;

	while (len < 2 * (m->names.nr + 1))
		len *= 2;
	if (len > m->len || !m->index) {
		free(m->index);
		m->index = calloc(len, sizeof(*m->index));
		m->len = m->index ? len : 0;
		if (!m->index)
			return false;
	} else {
		memset(m->index, 0, m->len * sizeof(*m->index));
	}
	for (i = 0; i < m->names.nr; i++)
		mon_index_add(m, i);
	m->stale = false;
	return true;
}

static struct mon_name *mon_find(struct mon *m, uint32_t guest, uint32_t dev)
{
	struct mon_name *n = m->names.v;
	size_t i, s;

	if ((m->stale || !m->index) && !mon_index_build(m)) {
		for (i = 0; i < m->names.nr; i++)
			if (n[i].guest == guest && n[i].dev == dev)
				return &n[i];
		return NULL;
	}
	for (s = mon_slot(m, guest, dev); m->index[s];
	     s = (s + 1) & (m->len - 1)) {
		i = m->index[s] - 1;
		if (n[i].guest == guest && n[i].dev == dev)
			return &n[i];
	}
	return NULL;
}

/* Remember a name (from a notification, or a dump when @dumped). */
static struct mon_name *mon_set(struct mon *m, uint32_t guest, uint32_t dev,
				const char *name, bool dumped)
{
	struct mon_name *n = mon_find(m, guest, dev);

	if (!n) {
		m->names.size = sizeof(*n);
		n = vec_add(&m->names);
		if (!n)
			return NULL;
		n->guest = guest;
		n->dev = dev;
		if (m->stale || !m->index || 2 * m->names.nr > m->len)
			m->stale = true;
		else
			mon_index_add(m, m->names.nr - 1);
	}
	n->dumped = dumped;
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

/*
 * mon_set() of a notification's name attribute @a, when it has one: the
 * module's name of the object as it sent it, "" included, so nothing to
 * dump for (an unnamed guest's every result line cost two host-wide
 * dumps).
 */
static void mon_set_attr(struct mon *m, uint32_t guest, uint32_t dev,
			 const struct nlattr *a)
{
	char name[VQNOTIFY_NAME_LEN];

	if (!a)
		return;
	get_name(a, name);
	mon_set(m, guest, dev, name, true);
}

/*
 * A guest (@dev MON_GUEST: with its devices) or device was removed: its
 * names go, or the table would grow with every guest the host ever had.
 */
static void mon_forget(struct mon *m, uint32_t guest, uint32_t dev)
{
	struct mon_name *n = m->names.v;
	size_t i = 0;

	while (i < m->names.nr) {
		if (n[i].guest == guest &&
		    (dev == MON_GUEST || n[i].dev == dev)) {
			n[i] = n[--m->names.nr];
			m->stale = true;
		} else {
			i++;
		}
	}
}

static void mon_names_free(struct mon *m)
{
	free(m->names.v);
	free(m->index);
}

static void mon_dump_names(struct mon *m)
{
	struct vec guests = { 0 }, devs = { 0 };
	struct nl_guest *g;
	struct nl_dev *d;
	size_t i;

	dump_guests(&m->lookup, -1, &guests);
	dump_devs(&m->lookup, -1, &devs);
	for (i = 0, g = guests.v; i < guests.nr; i++)
		mon_set(m, g[i].id, MON_GUEST, g[i].name, true);
	for (i = 0, d = devs.v; i < devs.nr; i++)
		mon_set(m, d[i].guest_id, d[i].id, d[i].name, true);
	free(guests.v);
	free(devs.v);
}

/*
 * The name of a guest (@dev MON_GUEST) or device: from the notifications
 * seen, else from a dump, for an object opened before the monitor or
 * named after it was added (a VMM sets its guest's name after the open).
 * An object the dump does not name either is not looked up again.
 */
static const char *mon_name(struct mon *m, uint32_t guest, uint32_t dev)
{
	struct mon_name *n = mon_find(m, guest, dev);

	if (!n || (!n->name[0] && !n->dumped)) {
		mon_dump_names(m);
		n = mon_find(m, guest, dev);
		if (!n)
			n = mon_set(m, guest, dev, "", true);
		else if (!n->name[0])
			n->dumped = true;
	}
	return n ? n->name : "";
}

/* Does an id and name match a selector (an id, or a name)? */
static bool selected(const char *sel, uint32_t id, const char *name)
{
	uint32_t v;

	if (!sel)
		return true;
	if (!parse_u32(sel, &v))
		return v == id;
	return !strcmp(sel, name);
}

static void mon_timestamp(struct mon *m)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	if (!opts.timestamp)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (m->w) {
		jw_double(m->w, "timestamp", ts.tv_sec + ts.tv_nsec / 1e9);
		return;
	}
	localtime_r(&ts.tv_sec, &tm);
	if (opts.timestamp == TS_SHORT) {
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		printf("[%s.%06ld] ", buf, ts.tv_nsec / 1000);
	} else {
		strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
		printf("Timestamp: %s %06ld usec\n", buf, ts.tv_nsec / 1000);
	}
}

/* The start of one event: its timestamp and kind. */
static void mon_begin(struct mon *m, const char *event, const char *tag)
{
	if (m->w) {
		jw_obj_open(m->w, NULL);
		jw_str(m->w, "event", event);
		mon_timestamp(m);
	} else {
		mon_timestamp(m);
		printf("[%s] ", tag);
	}
}

static void mon_end(struct mon *m)
{
	if (m->w) {
		jw_obj_close(m->w);
		jw_end(m->w);
	} else {
		putchar('\n');
	}
}

/*
 * The socket's buffer overflowed: events were lost. Said in the output,
 * where a JSON consumer looks (ip monitor says it on stderr only), and
 * whatever the filters; the names learnt go, since a removal or rename
 * among the lost would leave them stale.
 */
static void mon_lost(struct mon *m)
{
	m->names.nr = 0;
	m->stale = true;
	mon_begin(m, "lost", "lost");
	if (!m->w)
		printf("events lost: the socket's receive buffer overflowed");
	mon_end(m);
	fflush(stdout);
}

/* @what: add, del or change (its name or run state). */
static bool mon_guest_event(struct mon *m, struct nlattr **tb,
			    const char *what)
{
	char event[16];

	struct nl_guest g = { 0 };

	parse_guest(tb, &g);
	mon_set(m, g.id, MON_GUEST, g.name, false);
	if (!(m->events & EV_GUEST) || !selected(m->guest_sel, g.id, g.name) ||
	    m->dev_sel)
		return false;
	snprintf(event, sizeof(event), "guest_%s", what);
	mon_begin(m, event, "guest");
	if (m->w) {
		jw_uint(m->w, "guest_id", g.id);
		jw_str(m->w, "guest", g.name);
		jw_uint(m->w, "pid", g.pid);
		jw_uint(m->w, "uid", g.uid);
	} else {
		printf("%s guest %u (%s) pid %u uid %u", what, g.id,
		       tname(g.name), g.pid, g.uid);
	}
	mon_end(m);
	return true;
}

static bool mon_dev_event(struct mon *m, struct nlattr **tb, bool add)
{
	struct nl_dev d = { 0 };
	const char *gname;

	parse_dev(tb, &d);
	mon_set(m, d.guest_id, d.id, d.name, false);
	mon_set_attr(m, d.guest_id, MON_GUEST, tb[VQNOTIFY_A_DEV_GUEST_NAME]);
	gname = mon_name(m, d.guest_id, MON_GUEST);
	if (!(m->events & EV_DEV) ||
	    !selected(m->guest_sel, d.guest_id, gname) ||
	    !selected(m->dev_sel, d.id, d.name))
		return false;
	mon_begin(m, add ? "dev_add" : "dev_del", "dev");
	if (m->w) {
		jw_uint(m->w, "guest_id", d.guest_id);
		jw_str(m->w, "guest", gname);
		jw_uint(m->w, "dev_id", d.id);
		jw_str(m->w, "dev", d.name);
		jw_str(m->w, "transport", vqn_transport_name(d.transport));
		jw_uint(m->w, "queues", d.num_queues);
	} else {
		printf("%s guest %u (%s) dev %u (%s) %s %u queues",
		       add ? "add" : "del", d.guest_id, tname(gname), d.id,
		       tname(d.name), vqn_transport_name(d.transport),
		       d.num_queues);
	}
	mon_end(m);
	return true;
}

/* One queue's transition or refusal, from either group's messages. */
struct mon_vq {
	uint32_t guest, dev, queue, old, new, label, reason;
	struct nlattr *gname, *dname;	/* the names then, if sent */
};

/* A transition, or (@refusal) a queue refused a slot. */
static bool mon_vq_event(struct mon *m, const struct mon_vq *v, bool refusal)
{
	uint32_t guest = v->guest, dev = v->dev, q = v->queue;
	const char *old = vqn_state_name(v->old);
	const char *new = vqn_state_name(v->new);
	unsigned int label = v->label;
	const char *reason = vqn_reason_name(v->reason);
	char gname[VQNOTIFY_NAME_LEN];
	const char *dname;

	if (!(m->events & (refusal ? EV_REFUSAL : EV_QUEUE)))
		return false;
	/* Modules that send the names with the event: as they were then. */
	mon_set_attr(m, guest, MON_GUEST, v->gname);
	mon_set_attr(m, guest, dev, v->dname);
	/* A copy: the device's lookup may dump, and move the names. */
	snprintf(gname, sizeof(gname), "%s", mon_name(m, guest, MON_GUEST));
	dname = mon_name(m, guest, dev);
	if (!selected(m->guest_sel, guest, gname) ||
	    !selected(m->dev_sel, dev, dname))
		return false;
	mon_begin(m, refusal ? "refusal" : "transition",
		  refusal ? "refusal" : "queue");
	if (m->w) {
		jw_uint(m->w, "guest_id", guest);
		jw_str(m->w, "guest", gname);
		jw_uint(m->w, "dev_id", dev);
		jw_str(m->w, "dev", dname);
		jw_uint(m->w, "queue", q);
		if (refusal) {
			jw_str(m->w, "state", old);
		} else {
			jw_str(m->w, "old", old);
			jw_str(m->w, "new", new);
			jw_str(m->w, "label", vqn_label_name(label));
			jw_str(m->w, "transition", transition_key(label));
		}
		jw_str(m->w, "reason", reason);
	} else if (refusal) {
		printf("guest %u (%s) dev %u (%s) q%u %s refused: %s", guest,
		       tname(gname), dev, tname(dname), q, old, reason);
	} else {
		printf("guest %u (%s) dev %u (%s) q%u %s -> %s (%s) %s", guest,
		       tname(gname), dev, tname(dname), q, old, new,
		       vqn_label_name(label), reason);
	}
	mon_end(m);
	return true;
}

/* QUEUE_NTF, or REFUSAL_NTF (@refusal): the monitor group's, one a queue. */
static bool mon_queue_event(struct mon *m, struct nlattr **tb, bool refusal)
{
	const struct mon_vq v = {
		.guest = get_u32(tb, VQNOTIFY_A_TRANSITION_GUEST_ID),
		.dev = get_u32(tb, VQNOTIFY_A_TRANSITION_DEV_ID),
		.queue = get_u32(tb, VQNOTIFY_A_TRANSITION_QUEUE),
		.old = get_u32(tb, VQNOTIFY_A_TRANSITION_OLD_STATE),
		.new = get_u32(tb, VQNOTIFY_A_TRANSITION_NEW_STATE),
		.label = get_u32(tb, VQNOTIFY_A_TRANSITION_LABEL),
		.reason = get_u32(tb, VQNOTIFY_A_TRANSITION_REASON),
		.gname = tb[VQNOTIFY_A_TRANSITION_GUEST_NAME],
		.dname = tb[VQNOTIFY_A_TRANSITION_DEV_NAME],
	};

	return mon_vq_event(m, &v, refusal);
}

/*
 * A result without a label that the monitor group calls a refusal (the
 * module's rule): not a queue left with vhost, nor one its VMM released.
 */
static bool mon_refused(uint32_t reason)
{
	return reason != VQNOTIFY_REASON_VHOST &&
	       reason != VQNOTIFY_REASON_RELEASED &&
	       reason != VQNOTIFY_REASON_KVM_REFUSED;
}

/*
 * CALL_NTF: a call's results, or (async) transitions nobody called for,
 * packed; a line each, as the monitor group's QUEUE_NTF and REFUSAL_NTF,
 * until count is reached (the rest is not shown).
 */
static void mon_call_event(struct mon *m, struct nlattr **tb)
{
	const struct nlattr *a = tb[VQNOTIFY_A_CALL_RESULTS];
	struct vqnotify_vq_result r;
	struct mon_vq v = {
		.guest = get_u32(tb, VQNOTIFY_A_CALL_GUEST_ID),
		.dev = get_u32(tb, VQNOTIFY_A_CALL_DEV_ID),
		.gname = tb[VQNOTIFY_A_CALL_GUEST_NAME],
		.dname = tb[VQNOTIFY_A_CALL_DEV_NAME],
	};
	size_t i, nr;
	bool refusal;

	if (!a)
		return;
	nr = nla_len(a) / sizeof(r);
	for (i = 0; i < nr && !stop; i++) {
		/* Records of 8 bytes, attribute data aligned to 4. */
		memcpy(&r, (const char *)nla_data(a) + i * sizeof(r),
		       sizeof(r));
		refusal = r.label == VQNOTIFY_LABEL_NONE;
		if (refusal && !mon_refused(r.reason))
			continue;
		v.queue = r.queue;
		v.old = r.old_state;
		v.new = r.new_state;
		v.label = r.label;
		v.reason = r.reason;
		if (mon_vq_event(m, &v, refusal) && m->left && !--m->left)
			stop = 1;
	}
}

static int cb_monitor(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[ATTR_MAX + 1];
	struct mon *m = arg;
	int max = VQNOTIFY_A_TRANSITION_MAX;
	bool shown;

	/* count reached: not one more of the messages received with it */
	if (stop)
		return NL_STOP;
	if (!genlmsg_valid_hdr(nlmsg_hdr(msg), 0))
		return NL_SKIP;
	if (gh->cmd == VQNOTIFY_CMD_GUEST_ADD_NTF ||
	    gh->cmd == VQNOTIFY_CMD_GUEST_DEL_NTF ||
	    gh->cmd == VQNOTIFY_CMD_GUEST_CHANGE_NTF)
		max = VQNOTIFY_A_GUEST_MAX;
	else if (gh->cmd == VQNOTIFY_CMD_DEV_ADD_NTF ||
		 gh->cmd == VQNOTIFY_CMD_DEV_DEL_NTF)
		max = VQNOTIFY_A_DEV_MAX;
	else if (gh->cmd == VQNOTIFY_CMD_CALL_NTF)
		max = VQNOTIFY_A_CALL_MAX;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, max, NULL))
		return NL_SKIP;
	switch (gh->cmd) {
	case VQNOTIFY_CMD_CALL_NTF:
		/* Counted as it is shown, a line at a time. */
		mon_call_event(m, tb);
		fflush(stdout);
		return NL_OK;
	case VQNOTIFY_CMD_GUEST_ADD_NTF:
		shown = mon_guest_event(m, tb, "add");
		break;
	case VQNOTIFY_CMD_GUEST_DEL_NTF:
		shown = mon_guest_event(m, tb, "del");
		if (tb[VQNOTIFY_A_GUEST_ID])
			mon_forget(m, get_u32(tb, VQNOTIFY_A_GUEST_ID),
				   MON_GUEST);
		break;
	case VQNOTIFY_CMD_GUEST_CHANGE_NTF:
		shown = mon_guest_event(m, tb, "change");
		break;
	case VQNOTIFY_CMD_DEV_ADD_NTF:
	case VQNOTIFY_CMD_DEV_DEL_NTF:
		shown = mon_dev_event(m, tb,
				      gh->cmd == VQNOTIFY_CMD_DEV_ADD_NTF);
		if (gh->cmd == VQNOTIFY_CMD_DEV_DEL_NTF &&
		    tb[VQNOTIFY_A_DEV_GUEST_ID] && tb[VQNOTIFY_A_DEV_ID])
			mon_forget(m, get_u32(tb, VQNOTIFY_A_DEV_GUEST_ID),
				   get_u32(tb, VQNOTIFY_A_DEV_ID));
		break;
	case VQNOTIFY_CMD_QUEUE_NTF:
		shown = mon_queue_event(m, tb, false);
		break;
	case VQNOTIFY_CMD_REFUSAL_NTF:
		shown = mon_queue_event(m, tb, true);
		break;
	default:
		return NL_SKIP;
	}
	fflush(stdout);
	if (shown && m->left && !--m->left)
		stop = 1;
	return NL_OK;
}

/* events LIST, guest G, dev D, count N: 0 or EXIT_USAGE. */
static int monitor_args(struct mon *m, int argc, char **argv)
{
	int i;

	m->events = EV_ALL;
	for (i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage_error(monitor_usage,
					   "monitor: '%s' needs a value",
					   argv[i]);
		if (!matches(argv[i], "count")) {
			if (parse_u32(v, &m->left) || !m->left)
				return usage_error(monitor_usage,
						   "monitor: bad count '%s'",
						   v);
		} else if (!matches(argv[i], "guest")) {
			m->guest_sel = v;
		} else if (!matches(argv[i], "dev")) {
			m->dev_sel = v;
		} else if (!matches(argv[i], "events")) {
			char *copy = strdup(v), *tok, *save = NULL;

			m->events = 0;
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (!strcmp(tok, "all"))
					m->events |= EV_ALL;
				else if (!strcmp(tok, "guest"))
					m->events |= EV_GUEST;
				else if (!strcmp(tok, "dev"))
					m->events |= EV_DEV;
				else if (!strcmp(tok, "queue"))
					m->events |= EV_QUEUE;
				else if (!strcmp(tok, "refusal"))
					m->events |= EV_REFUSAL;
				else
					break;
			}
			free(copy);
			if (tok || !m->events)
				return usage_error(monitor_usage,
						   "monitor: bad events '%s'",
						   v);
		} else {
			return usage_error(monitor_usage,
					   "monitor: unexpected '%s'", argv[i]);
		}
	}
	if (m->dev_sel && !m->guest_sel)
		return usage_error(monitor_usage,
				   "monitor: dev needs guest");
	return 0;
}

static int cb_calls_monitor(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1];

	if (!genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_CONFIG_MAX, NULL))
		*(bool *)arg = tb[VQNOTIFY_A_CONFIG_CALLS_MONITOR];
	return NL_OK;
}

/*
 * The group to join: "calls" when the module says it tells everything
 * the "monitor" group does (one message per call there, one per queue
 * here), else "monitor"; VQNOTIFYCTL_MONITOR_GROUP chooses. NULL: a bad
 * choice.
 */
static const char *mon_group(struct mon *m)
{
	const char *env = getenv("VQNOTIFYCTL_MONITOR_GROUP");
	bool calls = false;

	if (env && *env) {
		if (!strcmp(env, VQNOTIFY_MCGRP_CALLS) ||
		    !strcmp(env, VQNOTIFY_MCGRP_MONITOR))
			return env;
		err_msg("monitor: VQNOTIFYCTL_MONITOR_GROUP is '%s', not %s or %s",
			env, VQNOTIFY_MCGRP_CALLS, VQNOTIFY_MCGRP_MONITOR);
		return NULL;
	}
	nl_request(&m->lookup, nl_new(&m->lookup, VQNOTIFY_CMD_CONFIG_GET,
				      false), cb_calls_monitor, &calls);
	return calls ? VQNOTIFY_MCGRP_CALLS : VQNOTIFY_MCGRP_MONITOR;
}

int cmd_monitor(int argc, char **argv)
{
	struct pollfd pfd = { .events = POLLIN };
	sigset_t block, waiting;
	bool write_failed = false;
	struct mon m = { 0 };
	const char *group;
	struct nl n;
	int grp, ret;

	if (argc > 1 && is_help(argv[1])) {
		monitor_usage(stdout);
		return EXIT_OK;
	}
	ret = monitor_args(&m, argc, argv);
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	if (ctl_nl_open(&m.lookup)) {
		ctl_nl_close(&n);
		return EXIT_RUNTIME;
	}
	group = mon_group(&m);
	if (!group) {
		ret = -EINVAL;
		goto out;
	}
	grp = genl_ctrl_resolve_grp(n.sk, VQNOTIFY_FAMILY_NAME, group);
	if (grp < 0) {
		err_msg("monitor: no multicast group '%s'", group);
		ret = -ENOENT;
		goto out;
	}
	ret = nl_socket_add_membership(n.sk, grp);
	if (ret) {
		err_msg("monitor: cannot join '%s': %s", group,
			nl_geterror(ret));
		goto out;
	}
	nl_socket_disable_seq_check(n.sk);
	/* A call of 1024 queues is one 8 KiB message: room for bursts. */
	nl_socket_set_buffer_size(n.sk, MON_RCVBUF, 0);
	nl_socket_modify_cb(n.sk, NL_CB_VALID, NL_CB_CUSTOM, cb_monitor, &m);
	if (opts.json)
		m.w = jw_new(stdout, false);
	/*
	 * libnl retries a receive interrupted by a signal: wait in ppoll(),
	 * which ^C does interrupt, and receive without blocking. SIGINT and
	 * SIGTERM are blocked from the check of stop into the wait (one that
	 * came in between would be slept through until the next message),
	 * and not while printing: a full pipe on stdout does not keep them
	 * out.
	 */
	stop_signals(on_signal, &block);
	nl_socket_set_nonblocking(n.sk);
	pfd.fd = nl_socket_get_fd(n.sk);
	ret = 0;
	for (;;) {
		int r, e;

		sigprocmask(SIG_BLOCK, &block, &waiting);
		if (stop)
			break;
		r = ppoll(&pfd, 1, NULL, &waiting);
		e = errno;
		sigprocmask(SIG_SETMASK, &waiting, NULL);
		if (r < 0) {
			if (e == EINTR)
				continue;
			ret = -e;
			err_msg("monitor: ppoll: %s", strerror(e));
			break;
		}
		ret = nl_recvmsgs_default(n.sk);
		/* Output that cannot be written ends it (main() says so). */
		if (ferror(stdout) && !signalled) {
			write_failed = true;
			ret = 0;
			break;
		}
		/*
		 * ENOBUFS (libnl's NLE_NOMEM): the socket overflowed and
		 * events were lost; the monitor goes on, as ip monitor does.
		 */
		if (ret == -NLE_NOMEM) {
			mon_lost(&m);
			ret = 0;
			continue;
		}
		if (ret < 0 && ret != -NLE_AGAIN && ret != -NLE_INTR) {
			err_msg("monitor: %s", nl_geterror(ret));
			break;
		}
		ret = 0;
	}
	sigprocmask(SIG_SETMASK, &waiting, NULL);
	/*
	 * A signal that interrupted a write to a full pipe failed it (EINTR):
	 * stdio dropped that part of its buffer and marked the stream. The
	 * user asked to stop; that is no output error. The last line may be
	 * cut, as it would be by a monitor ^C kills. A stop at the count, or
	 * a write that failed before the signal came, is still main()'s
	 * output error.
	 */
	if (signalled && !write_failed)
		clearerr(stdout);
out:
	jw_free(m.w);
	mon_names_free(&m);
	ctl_nl_close(&m.lookup);
	ctl_nl_close(&n);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}
