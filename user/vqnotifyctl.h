/* SPDX-License-Identifier: GPL-2.0 */
/* vqnotifyctl: shared declarations of its files. */
#ifndef _VQNOTIFYCTL_H
#define _VQNOTIFYCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/libvqnotify.h"

/* Exit codes, as documented in vqnotifyctl(8). */
#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

extern const char *prog;

/* Global options. */
struct ctl_opts {
	bool json;
	bool pretty;
};
extern struct ctl_opts opts;

void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(void (*usage)(FILE *f), const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool is_help(const char *arg);
int parse_u32(const char *s, uint32_t *v);
const char *errno_name(int err);
int errno_from_name(const char *name);

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
/* End of a top-level value: newline, ready for the next one. */
void jw_end(struct jw *w);

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

/* nl.c: everything over the generic netlink family. */
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

#endif /* _VQNOTIFYCTL_H */
