/* SPDX-License-Identifier: GPL-2.0 */
/* vqnotifyctl: shared declarations of its files. */
#ifndef _VQNOTIFYCTL_H
#define _VQNOTIFYCTL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/vqnotify_netlink.h>

#include "lib/libvqnotify.h"

/* Exit codes, as documented in vqnotifyctl(8). */
#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

extern const char *prog;

/* Global options. */
enum { TS_NONE, TS_LONG, TS_SHORT };

struct ctl_opts {
	bool json;
	bool pretty;
	int timestamp;		/* monitor: TS_LONG (-t), TS_SHORT (-ts) */
};
extern struct ctl_opts opts;

void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(void (*usage)(FILE *f), const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool is_help(const char *arg);
int matches(const char *prefix, const char *word);
int parse_u32(const char *s, uint32_t *v);
const char *errno_name(int err);
int errno_from_name(const char *name);
/*
 * SIGINT and SIGTERM call @handler; *@set holds the two, for the caller to
 * block but while it waits in ppoll(): one that came between its check of
 * the stop flag and the wait would be slept through.
 */
void stop_signals(void (*handler)(int), sigset_t *set);

/* output.c: a minimal JSON writer in the style of iproute2's. */
struct jw;
struct jw *jw_new(FILE *f, bool pretty);
void jw_free(struct jw *w);
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_uint(struct jw *w, const char *key, uint64_t val);
void jw_int(struct jw *w, const char *key, int64_t val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_double(struct jw *w, const char *key, double val);
/* End of a top-level value: newline, ready for the next one. */
void jw_end(struct jw *w);

/*
 * Escaping of tenant-supplied strings (guest and device names):
 *   ESC_TEXT  tables and lines: C0 controls, space and DEL as \xNN
 *             (a name is one field); C1 controls, other spaces, line
 *             separators, bidi controls, invisible and blank-looking code
 *             points and combining marks (output.c's unsafe_cp()) as
 *             \uNNNN or \UNNNNNNNN, and so every non-ASCII code point
 *             unless text_utf8; invalid UTF-8 bytes as \xNN, a
 *             backslash doubled;
 *   ESC_QUOTED a name between double quotes in a line: as ESC_TEXT, but
 *             an ASCII space goes out as it is and '"' as \";
 *   ESC_JSON  a JSON string's contents: always valid UTF-8; '"' and '\'
 *             escaped, unsafe code points as \uNNNN (a surrogate pair
 *             above U+FFFF), invalid bytes U+FFFD;
 *   ESC_PROM  a Prometheus label value: '"', '\' and newline escaped as
 *             the text format defines, other unsafe code points and
 *             invalid bytes U+FFFD.
 */
enum esc_mode { ESC_TEXT, ESC_QUOTED, ESC_JSON, ESC_PROM };
/*
 * Whether the terminal takes UTF-8, so that ESC_TEXT may pass non-ASCII
 * through: false (escape) until main() asks the locale (LC_CTYPE).
 */
extern bool text_utf8;
void put_escaped(FILE *f, const char *s, enum esc_mode mode);
/* Escaped (ESC_TEXT) for a table, "-" if empty; a rotating static buffer. */
const char *tname(const char *s);
/* Escaped (ESC_QUOTED) between double quotes, as tname()'s buffers. */
const char *tquoted(const char *s);

/* "driver_ok" for (b): the JSON key and metrics label of a transition. */
const char *transition_key(unsigned int label);

/* One row of a queue table, whatever its source (ioctl or netlink). */
struct queue_row {
	const char *guest;
	uint32_t guest_id;
	const char *dev;
	uint32_t dev_id;
	const char *transport;
	uint32_t queue;
	uint8_t state;
	uint8_t label;
	uint8_t reason;
	uint8_t flags;
	int kvm;		/* -1 unknown, 0 no ioeventfd, 1 held */
};
void queue_table_header(FILE *f, bool kvm);
void queue_table_row(FILE *f, const struct queue_row *r, bool kvm);
void queue_json(struct jw *w, const struct queue_row *r);

/* replay.c */
int cmd_replay(int argc, char **argv);
void replay_usage(FILE *f);

/* objects.c and monitor.c: the commands over the generic netlink family */
int cmd_guest(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_config(int argc, char **argv);
/* CONFIG_SET of one VQNOTIFY_A_CONFIG_* value: 0 or a negative errno. */
int config_set_u32(int attr, uint32_t v);
void guest_usage(FILE *f);
void dev_usage(FILE *f);
void queue_usage(FILE *f);
void stats_usage(FILE *f);
void monitor_usage(FILE *f);
void config_usage(FILE *f);

/* nl.c: the generic netlink family, for every command that uses it */
struct nl_sock;
struct nl_msg;
struct nlattr;

/* Attributes parsed from one message: above every attribute set's max. */
#define ATTR_MAX 32

struct nl {
	struct nl_sock *sk;
	int family;
	bool dump_intr;	/* the last request's dump had NLM_F_DUMP_INTR */
};

struct nl_guest {
	uint32_t id, pid, uid, budget, admin_budget, own_budget, reserve;
	uint32_t threshold, used, nr_assigned, nr_offlimits, nr_waiting;
	uint32_t nr_devices;
	bool limited, over_budget;
	uint64_t counts[VQNOTIFY_NR_COUNTERS];
	char name[VQNOTIFY_NAME_LEN];
};

struct nl_dev {
	uint32_t guest_id, id, transport, status, num_queues;
	char name[VQNOTIFY_NAME_LEN];
};

struct nl_queue {
	uint32_t guest_id, dev_id, index, state, reason, label, flags, seq;
};

/* Growing arrays filled by dump callbacks. */
struct vec {
	void *v;
	size_t nr, size;
	int err;	/* -ENOMEM once an element could not be added */
};

struct nl_config {
	uint32_t v[VQNOTIFY_A_CONFIG_MAX + 1];
	bool has[VQNOTIFY_A_CONFIG_MAX + 1];	/* the module sent it */
};

/* Host-wide counters, kept by the module across guests' lives. */
struct nl_stats {
	bool valid;		/* the module keeps them */
	uint64_t transitions[VQNOTIFY_LABEL_MAX];
	uint64_t refusals[VQNOTIFY_REASON_MAX];
	bool refusal_valid[VQNOTIFY_REASON_MAX];	/* reported */
	uint64_t preemptions, promotions, events_dropped;
	uint64_t guests_opened, guests_closed;
};

void *vec_add(struct vec *a);
int ctl_nl_open(struct nl *n);
void ctl_nl_close(struct nl *n);
/* id -1: all; the dumps fill @out with struct nl_guest, nl_dev, nl_queue. */
int dump_guests(struct nl *n, int64_t id, struct vec *out);
int dump_devs(struct nl *n, int64_t guest, struct vec *out);
int dump_queues(struct nl *n, int64_t guest, int64_t dev, struct vec *out);
/*
 * Dumps taken in the order queues (when @queues), devices, guests are
 * made to agree: what went between two of them (a device removed, a
 * guest closed) is left out, as is a device added after the queues' dump
 * (it has none there), so no row lacks its guest's or device's name or
 * its transport, and what came after the first is in no earlier dump.
 */
void dumps_prune(struct vec *guests, struct vec *devs, struct vec *queues);
/* In dumps dumps_prune() sorted: the guest or device, or NULL. */
const struct nl_guest *find_guest(const struct vec *guests, uint32_t id);
/* Its name, or "" when the dumps hold no such guest. */
const char *guest_name_of(const struct vec *guests, uint32_t id);
const struct nl_dev *find_dev(const struct vec *devs, uint32_t guest,
			      uint32_t id);
int get_config(struct nl *n, struct nl_config *c);
/* -EOPNOTSUPP: a module without host-wide counters. */
int get_stats(struct nl *n, struct nl_stats *st);
/* Print a failed request (with the kernel's extack); EXIT_RUNTIME. */
int fail(const char *what, int err);
/* A request of the family (a dump when @dump), to fill and nl_request(). */
struct nl_msg *nl_new(struct nl *n, uint8_t cmd, bool dump);
/* Send @msg (consumed), feed every reply to @parse: 0 or -errno. */
int nl_request(struct nl *n, struct nl_msg *msg,
	       int (*parse)(struct nl_msg *, void *), void *arg);
/*
 * nl_request() whose @parse adds the rows to @out (vec_add()): -ENOMEM
 * when a row could not be added, after the whole reply was read.
 */
int nl_request_vec(struct nl *n, struct nl_msg *msg,
		   int (*parse)(struct nl_msg *, void *), struct vec *out);
/*
 * The error a dump's NLMSG_DONE carries (the dump failed part-way), 0 if
 * none; its extended ack's message is kept for the error's report.
 */
struct nlmsghdr;
int nl_done_error(struct nlmsghdr *h);
/* A u32 attribute, 0 when absent; a uint (4 or 8 bytes). */
uint32_t get_u32(struct nlattr **tb, int a);
void get_name(const struct nlattr *a, char *dst);
uint64_t get_uint(const struct nlattr *a);
/* A guest's or device's attributes, as GUEST_GET and DEV_GET give them. */
void parse_guest(struct nlattr **tb, struct nl_guest *g);
void parse_dev(struct nlattr **tb, struct nl_dev *d);
/* 0 when the guest (and the device, unless -1) exist; ENOENT with extack. */
int check_exists(struct nl *n, int64_t guest, int64_t dev);
/* The command word of an object (show by default, as ip reads it). */
int subcommand(int argc, char **argv, void (*usage)(FILE *f),
	       const char *const *allowed, const char **cmd);
/* KEY N pairs from argv[@first], each KEY once: 0, or EXIT_USAGE. */
int check_pairs(int argc, char **argv, int first, int (*key_of)(const char *),
		void (*usage)(FILE *f), const char *what);
/* Up to @max optional u32 ids into @ids (-1 when absent). */
int parse_ids(int argc, char **argv, int max, int64_t *ids,
	      void (*usage)(FILE *f));

/* policy.c: the admin's policies and the per-user accounting */
int cmd_policy(int argc, char **argv);
int cmd_user(int argc, char **argv);
void policy_usage(FILE *f);
void user_usage(FILE *f);

/* metrics.c */
int cmd_metrics(int argc, char **argv);
void metrics_usage(FILE *f);

#endif /* _VQNOTIFYCTL_H */
