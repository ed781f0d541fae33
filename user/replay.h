/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqnotifyctl replay, shared by its files: replay.c (the script: reading,
 * checking, running each step; the symbols and arguments), replay_cmds.c
 * (the commands that drive guests) and replay_show.c (what replay prints,
 * and the checks: show, expect, echo).
 */
#ifndef VQN_REPLAY_H
#define VQN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vqnotifyctl.h"

#define MAX_ARGS	16
#define NAME_MAX_LEN	(VQNOTIFY_NAME_LEN - 1)
/* settle: quiet this long (at most the timeout) means settled. */
#define SETTLE_QUIET_MS		200
#define SETTLE_TIMEOUT_MS	2000
#define STATUS_DRIVER_UP	0x0f	/* ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK */
/* A step's check or run failed; its message has been printed. */
#define STEP_FAILED	(-100000)

struct r_guest {
	char *name;
	uint32_t id;		/* host-wide, once open */
	bool alive;
	struct vqn_guest *g;
};

struct r_dev {
	char *name;
	int guest;
	uint32_t nq;
	uint32_t transport;
	uint32_t id;
	bool alive;
};

struct r_var {
	char *name;
	bool set;
	void *blob;
	size_t len;
};

struct step {
	int line;
	char *text;
	int argc;
	char *argv[MAX_ARGS];
	int expect_err;		/* expect-error: the errno; argv is the command */
};

struct rctx {
	const char *file;
	struct step *cur;
	bool checking;		/* the first pass: names only, no ioctls */
	bool in_expect;		/* checking the command of an expect-error */
	bool autoshow;
	struct jw *jw;
	struct r_guest *guests;
	int nr_guests;
	struct r_dev *devs;
	int nr_devs;
	struct r_var *vars;
	int nr_vars;
	struct vqn_result *res;	/* VQNOTIFY_MAX_QUEUES entries */
};

/* replay.c */
int rp_step_error(struct rctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rp_guest_find(struct rctx *c, const char *name);
int rp_dev_find(struct rctx *c, const char *name);
int rp_var_find(struct rctx *c, const char *name);
void *rp_grow(void *p, int nr, size_t size);
int rp_guest_get(struct rctx *c, const char *name, bool alive);
int rp_dev_get(struct rctx *c, const char *name);
int rp_number(struct rctx *c, const char *s, const char *what,
	      uint32_t *v);
int rp_parse_list(struct rctx *c, const char *s, uint32_t nq,
		  uint64_t *bm, bool *all);
int rp_check_text(struct rctx *c, const char *s);
void rp_put_word(const char *sep, const char *w, bool quote_spaces);
int rp_parse_queues(struct rctx *c, const char *s, int di, uint64_t *bm,
		    uint32_t *one);
bool rp_bm_test(const uint64_t *bm, uint32_t q);
bool rp_valid_name(const char *s);
struct vqn_guest *rp_dev_guest(struct rctx *c, int di);

/* replay_show.c */
int rp_print_events(struct rctx *c);
void rp_print_guest_line(struct rctx *c, int gi);
void rp_print_result(struct rctx *c, const struct r_dev *d,
		     const struct vqn_result *r, bool event);
void rp_print_results(struct rctx *c, const struct r_dev *d, int n);
void rp_show_grid(struct rctx *c);
int rp_show_table(struct rctx *c, int only);
int c_show(struct rctx *c, int argc, char **argv);
int c_autoshow(struct rctx *c, int argc, char **argv);
int c_expect(struct rctx *c, int argc, char **argv);
int c_echo(struct rctx *c, int argc, char **argv);

/* replay_cmds.c */
int c_acquire(struct rctx *c, int argc, char **argv);
int c_budget(struct rctx *c, int argc, char **argv);
int c_close(struct rctx *c, int argc, char **argv);
int c_dev(struct rctx *c, int argc, char **argv);
int c_driver_ok(struct rctx *c, int argc, char **argv);
int c_guest(struct rctx *c, int argc, char **argv);
int c_host_cap(struct rctx *c, int argc, char **argv);
int c_load(struct rctx *c, int argc, char **argv);
int c_name(struct rctx *c, int argc, char **argv);
int c_release(struct rctx *c, int argc, char **argv);
int c_remove(struct rctx *c, int argc, char **argv);
int c_reset(struct rctx *c, int argc, char **argv);
int c_run_state(struct rctx *c, int argc, char **argv);
int c_save(struct rctx *c, int argc, char **argv);
int c_set_status(struct rctx *c, int argc, char **argv);
int c_settle(struct rctx *c, int argc, char **argv);
int c_vhost(struct rctx *c, int argc, char **argv);

#endif /* VQN_REPLAY_H */
