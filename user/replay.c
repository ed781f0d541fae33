// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl replay: drive one or more guests through /dev/vqnotify (with
 * libvqnotify) from a line-based script, printing every transition.
 *
 * The whole script is read and checked first (syntax, names, numbers), so a
 * malformed line stops the replay before anything is done; then it runs
 * line by line and stops at the first failing step. The grammar is in
 * replay_usage() and vqnotifyctl(8).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay.h"

void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] replay FILE|-\n"
		"Runs a lifecycle script through /dev/vqnotify, one process, any\n"
		"number of guests, printing each transition. One command a line;\n"
		"'#' starts a comment. NAMEs: letters, digits, '_', '-', '.'.\n"
		"\n"
		"  guest NAME [budget N] [name TEXT]\n"
		"                                  open a guest (own budget N)\n"
		"  name GUEST TEXT                 the guest's name\n"
		"  budget GUEST N                  the guest's own budget (0: none)\n"
		"  run-state GUEST stopped|running the VM stops (slots parked)/runs\n"
		"  dev GUEST NAME pio|mmio|ccw QUEUES [name TEXT]\n"
		"                                  add a device\n"
		"  status DEV VALUE [ready LIST]   set the virtio status byte\n"
		"  driver-ok DEV [ready LIST]      status 0x0f (DRIVER_OK set)\n"
		"  vhost DEV Q|LIST on|off         vhost takes/returns queues\n"
		"  acquire DEV LIST                the VMM wants ioeventfds (q)\n"
		"  release DEV LIST [kvm-refused] [reset]\n"
		"                                  the VMM gives them up (x)\n"
		"  reset DEV                       device reset\n"
		"  remove DEV                      unplug the device\n"
		"  save DEV VAR                    keep its migration blob in VAR\n"
		"  load DEV VAR                    load VAR into a new device\n"
		"  close GUEST                     close the guest's file\n"
		"  host-cap N                      host-wide cap (CAP_NET_ADMIN)\n"
		"  settle [TIMEOUT_MS [QUIET_MS]]  wait until no event comes\n"
		"  show [GUEST]                    the per-queue table\n"
		"  autoshow on|off                 a state grid after each step\n"
		"  expect DEV Q|LIST STATE [REASON] [FLAG=0|1]...\n"
		"                                  fail unless the queues are so\n"
		"  expect guest GUEST KEY=N...     fail unless the guest's totals\n"
		"  expect host KEY=N...            ... or the host's are so\n"
		"  expect-error ERRNO COMMAND...   fail unless COMMAND fails so\n"
		"  echo TEXT...                    print TEXT\n"
		"\n"
		"LIST: all | none | N[-M][,...]. STATE: deassigned | assigned |\n"
		"offlimits. FLAG: initialised | waiting | parked. Guest KEYs: used,\n"
		"assigned, offlimits, waiting, devices, budget, run-state=stopped|\n"
		"running, and a label letter (a..x) for its count. Host KEYs: used,\n"
		"cap, guests. TEXT: 1-%d printable characters (quote blanks).\n"
		"ERRNO: a name such as ENOSPC. settle: quiet for QUIET_MS (default\n"
		"%d), at most TIMEOUT_MS (default %d).\n"
		"Exit status: 0 success, 1 a step failed, 2 malformed script or\n"
		"usage error (nothing was run).\n", prog, NAME_MAX_LEN,
		SETTLE_QUIET_MS, SETTLE_TIMEOUT_MS);
}

/*
 * "FILE:LINE: error: ..." for the step in hand, escaped: the message may
 * quote a script's words, and a script, the admin's or one attached to a
 * bug report, may hold any byte but NUL.
 */
int rp_step_error(struct rctx *c, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int n;

	fflush(stdout);
	fprintf(stderr, "%s:%d: error: ", c->file, c->cur->line);
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs(strerror(ENOMEM), stderr);
	} else {
		put_escaped(stderr, msg, ESC_QUOTED);
		free(msg);
	}
	fputc('\n', stderr);
	return STEP_FAILED;
}

/* A script's word on stdout after @sep, escaped as rp_step_error()'s. */
void rp_put_word(const char *sep, const char *w, bool quote_spaces)
{
	bool q = quote_spaces && strchr(w, ' ');

	fputs(sep, stdout);
	if (q)
		putchar('"');
	put_escaped(stdout, w, ESC_QUOTED);
	if (q)
		putchar('"');
}

bool rp_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return false;
	return true;
}

/* Symbols */

int rp_guest_find(struct rctx *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_guests; i++)
		if (!strcmp(c->guests[i].name, name))
			return i;
	return -1;
}

int rp_dev_find(struct rctx *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_devs; i++)
		if (!strcmp(c->devs[i].name, name))
			return i;
	return -1;
}

int rp_var_find(struct rctx *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_vars; i++)
		if (!strcmp(c->vars[i].name, name))
			return i;
	return -1;
}

void *rp_grow(void *p, int nr, size_t size)
{
	void *n = realloc(p, (nr + 1) * size);

	if (!n) {
		err_msg("out of memory");
		exit(EXIT_RUNTIME);
	}
	memset((char *)n + nr * size, 0, size);
	return n;
}

int rp_guest_get(struct rctx *c, const char *name, bool alive)
{
	int i = rp_guest_find(c, name);

	if (i < 0)
		return rp_step_error(c, "unknown guest '%s'", name);
	if (alive && !c->in_expect && !c->guests[i].alive)
		return rp_step_error(c, "guest '%s' is closed", name);
	return i;
}

int rp_dev_get(struct rctx *c, const char *name)
{
	int i = rp_dev_find(c, name);

	if (i < 0)
		return rp_step_error(c, "unknown device '%s'", name);
	if (!c->in_expect && !c->devs[i].alive)
		return rp_step_error(c, "device '%s' was removed", name);
	return i;
}

int rp_number(struct rctx *c, const char *s, const char *what,
	      uint32_t *v)
{
	if (parse_u32(s, v))
		return rp_step_error(c, "%s: '%s' is not a number", what, s);
	return 0;
}

/* LIST: all | none | N[-M][,...], into (nq + 63) / 64 words. */
int rp_parse_list(struct rctx *c, const char *s, uint32_t nq,
		  uint64_t *bm, bool *all)
{
	char *copy, *tok, *save = NULL;
	int ret = 0;

	*all = false;
	memset(bm, 0, (VQNOTIFY_MAX_QUEUES / 64) * sizeof(*bm));
	if (!strcmp(s, "all")) {
		*all = true;
		return 0;
	}
	if (!strcmp(s, "none"))
		return 0;
	copy = strdup(s);
	if (!copy)
		return rp_step_error(c, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint32_t lo, hi, i;

		if (dash)
			*dash = '\0';
		if (parse_u32(tok, &lo) || (dash && parse_u32(dash + 1, &hi))) {
			ret = rp_step_error(c, "bad queue list '%s'", s);
			break;
		}
		if (!dash)
			hi = lo;
		if (lo > hi || (!c->in_expect && hi >= nq) ||
		    hi >= VQNOTIFY_MAX_QUEUES) {
			ret = rp_step_error(c, "queue list '%s': out of range 0-%u",
					 s, nq - 1);
			break;
		}
		for (i = lo; i <= hi; i++)
			bm[i / 64] |= 1ULL << (i % 64);
	}
	free(copy);
	return ret;
}

/* A name given as TEXT: printable ASCII, as the module wants it. */
int rp_check_text(struct rctx *c, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (c->in_expect)
		return 0;
	for (p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			break;
	if (!n || n > NAME_MAX_LEN || *p)
		return rp_step_error(c, "bad name '%s': 1-%d printable characters",
				  s, NAME_MAX_LEN);
	return 0;
}

/*
 * Q or LIST of device @di into @bm. A plain number is one queue (*one,
 * else UINT32_MAX), checked as before lists existed; "all" is every queue.
 */
int rp_parse_queues(struct rctx *c, const char *s, int di, uint64_t *bm,
		    uint32_t *one)
{
	const struct r_dev *d = &c->devs[di];
	uint32_t q;
	bool all;

	*one = UINT32_MAX;
	if (!parse_u32(s, &q)) {
		if (!c->in_expect && q >= d->nq)
			return rp_step_error(c, "device '%s' has no queue %u",
					  d->name, q);
		memset(bm, 0, (VQNOTIFY_MAX_QUEUES / 64) * sizeof(*bm));
		if (q < VQNOTIFY_MAX_QUEUES)
			bm[q / 64] |= 1ULL << (q % 64);
		*one = q;
		return 0;
	}
	if (strcmp(s, "all") && strcmp(s, "none") && !strpbrk(s, ",-"))
		return rp_step_error(c, "queue: '%s' is not a number", s);
	if (rp_parse_list(c, s, d->nq, bm, &all))
		return STEP_FAILED;
	for (q = 0; all && q < d->nq; q++)
		bm[q / 64] |= 1ULL << (q % 64);
	return 0;
}

bool rp_bm_test(const uint64_t *bm, uint32_t q)
{
	return q < VQNOTIFY_MAX_QUEUES && bm[q / 64] & (1ULL << (q % 64));
}

struct vqn_guest *rp_dev_guest(struct rctx *c, int di)
{
	return c->guests[c->devs[di].guest].g;
}

struct rcmd {
	const char *name;
	int (*fn)(struct rctx *c, int argc, char **argv);
	bool changes;		/* worth a grid with autoshow */
	bool may_fail;		/* may stand after expect-error */
};

static const struct rcmd rcmds[] = {
	{ "guest", c_guest, true, true },
	{ "name", c_name, false, true },
	{ "budget", c_budget, true, true },
	{ "run-state", c_run_state, true, true },
	{ "dev", c_dev, true, true },
	{ "status", c_set_status, true, true },
	{ "driver-ok", c_driver_ok, true, true },
	{ "vhost", c_vhost, true, true },
	{ "acquire", c_acquire, true, true },
	{ "release", c_release, true, true },
	{ "reset", c_reset, true, true },
	{ "remove", c_remove, true, true },
	{ "save", c_save, false, true },
	{ "load", c_load, true, true },
	{ "close", c_close, true, true },
	{ "host-cap", c_host_cap, true, true },
	{ "settle", c_settle, true, false },
	{ "show", c_show, false, false },
	{ "autoshow", c_autoshow, false, false },
	{ "expect", c_expect, false, false },
	{ "echo", c_echo, false, false },
};

static const struct rcmd *rcmd_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(rcmds) / sizeof(rcmds[0]); i++)
		if (!strcmp(rcmds[i].name, name))
			return &rcmds[i];
	return NULL;
}

/* Split a line into words; '#' starts a comment, "..." keeps spaces. */
static int tokenize(struct rctx *c, struct step *s, char *p)
{
	s->argc = 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return 0;
		if (s->argc == MAX_ARGS)
			return rp_step_error(c, "too many words (at most %d)",
					  MAX_ARGS);
		if (*p == '"') {
			s->argv[s->argc++] = ++p;
			p = strchr(p, '"');
			if (!p)
				return rp_step_error(c, "unterminated quote");
		} else {
			s->argv[s->argc++] = p;
			while (*p && !isspace((unsigned char)*p) && *p != '#')
				p++;
			if (*p == '#') {
				*p = '\0';
				return 0;
			}
			if (!*p)
				return 0;
		}
		*p++ = '\0';
	}
}

/* Check (c->checking) or run one step. */
static int do_step(struct rctx *c, struct step *s)
{
	const struct rcmd *cmd;
	char **argv = s->argv;
	int argc = s->argc, ret;

	c->cur = s;
	c->in_expect = false;
	if (!strcmp(argv[0], "expect-error")) {
		if (argc < 3)
			return rp_step_error(c,
				"usage: expect-error ERRNO COMMAND...");
		ret = errno_from_name(argv[1]);
		if (ret < 0)
			return rp_step_error(c, "unknown errno name '%s'",
					  argv[1]);
		s->expect_err = ret;
		argv += 2;
		argc -= 2;
		c->in_expect = true;
	}
	cmd = rcmd_find(argv[0]);
	if (!cmd)
		return rp_step_error(c, "unknown command '%s'", argv[0]);
	if (c->in_expect && !cmd->may_fail)
		return rp_step_error(c, "'%s' cannot follow expect-error",
				  argv[0]);
	ret = cmd->fn(c, argc - 1, argv + 1);
	if (c->checking || ret == STEP_FAILED)
		return ret;

	if (s->expect_err) {
		if (!ret)
			return rp_step_error(c, "'%s' succeeded, expected %s",
					  argv[0], errno_name(s->expect_err));
		if (ret != -s->expect_err)
			return rp_step_error(c, "'%s' failed with %s, expected %s",
					  argv[0], errno_name(ret),
					  errno_name(s->expect_err));
		if (!c->jw)
			printf("  failed as expected: %s\n", errno_name(ret));
		ret = 0;
	} else if (ret) {
		return rp_step_error(c, "%s: %s (%s)", argv[0], strerror(-ret),
				  errno_name(ret));
	}
	ret = rp_print_events(c);
	if (ret)
		return rp_step_error(c, "%s: events: %s (%s)", argv[0],
				     strerror(-ret), errno_name(ret));
	if (c->autoshow && cmd->changes && !c->jw)
		rp_show_grid(c);
	return 0;
}

/*
 * The whole of @f, NUL-terminated, its length in @len; NULL with errno
 * set when it cannot be read (EISDIR for a directory, say) or memory runs
 * out (ENOMEM).
 */
static char *read_all(FILE *f, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0) {
			if (ferror(f)) {
				int e = errno ? errno : EIO;

				free(buf);
				errno = e;
				return NULL;
			}
			break;
		}
		if (len == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static void rctx_reset_symbols(struct rctx *c)
{
	int i;

	for (i = 0; i < c->nr_guests; i++)
		c->guests[i].alive = false;
	for (i = 0; i < c->nr_devs; i++)
		c->devs[i].alive = false;
	for (i = 0; i < c->nr_vars; i++)
		c->vars[i].set = false;
}

static void rctx_free(struct rctx *c)
{
	int i;

	for (i = 0; i < c->nr_guests; i++) {
		vqn_close(c->guests[i].g);
		free(c->guests[i].name);
	}
	for (i = 0; i < c->nr_devs; i++)
		free(c->devs[i].name);
	for (i = 0; i < c->nr_vars; i++) {
		free(c->vars[i].name);
		free(c->vars[i].blob);
	}
	free(c->guests);
	free(c->devs);
	free(c->vars);
	free(c->res);
	jw_free(c->jw);
}

int cmd_replay(int argc, char **argv)
{
	struct rctx c = { 0 };
	struct step *steps = NULL;
	int nr = 0, line = 0, i, ret = EXIT_OK;
	char *text, *p, *nl, *nul;
	size_t len;
	int err;
	FILE *f;

	if (argc > 1 && is_help(argv[1])) {
		replay_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return usage_error(replay_usage, "replay: expected FILE or -");
	c.file = argv[1];
	if (!strcmp(argv[1], "-")) {
		c.file = "<stdin>";
		f = stdin;
	} else {
		f = fopen(argv[1], "r");
		if (!f) {
			err_msg("replay: %s: %s", argv[1], strerror(errno));
			return EXIT_USAGE;
		}
	}
	text = read_all(f, &len);
	err = text ? 0 : errno;		/* before fclose() changes it */
	if (f != stdin)
		fclose(f);
	if (!text && err != ENOMEM) {
		err_msg("replay: %s: %s", c.file, strerror(err));
		return EXIT_USAGE;
	}
	/* A NUL would end the script there, unchecked and unrun. */
	nul = text ? memchr(text, '\0', len) : NULL;
	if (nul) {
		for (p = text; p < nul; p++)
			line += *p == '\n';
		err_msg("replay: %s:%d: a NUL byte", c.file, line + 1);
		free(text);
		return EXIT_USAGE;
	}
	c.res = calloc(VQNOTIFY_MAX_QUEUES, sizeof(*c.res));
	if (!text || !c.res) {
		err_msg("replay: out of memory");
		free(text);
		free(c.res);
		return EXIT_RUNTIME;
	}

	/* Pass 1: split and check every line; run nothing. */
	c.checking = true;
	for (p = text; p && *p; p = nl) {
		struct step s = { .line = ++line };

		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		s.text = p;
		c.cur = &s;
		if (tokenize(&c, &s, p)) {
			ret = EXIT_USAGE;
			goto out;
		}
		if (!s.argc)
			continue;
		steps = rp_grow(steps, nr, sizeof(*steps));
		steps[nr] = s;
		if (do_step(&c, &steps[nr++])) {
			ret = EXIT_USAGE;
			goto out;
		}
	}

	/* Pass 2: run. */
	rctx_reset_symbols(&c);
	c.checking = false;
	if (opts.json)
		c.jw = jw_new(stdout, false);	/* a line a step, as monitor */
	for (i = 0; i < nr; i++) {
		if (!c.jw && strcmp(steps[i].argv[0], "echo")) {
			int j;

			printf("%4d>", steps[i].line);
			for (j = 0; j < steps[i].argc; j++)
				rp_put_word(" ", steps[i].argv[j], true);
			printf("\n");
		}
		if (do_step(&c, &steps[i])) {
			ret = EXIT_RUNTIME;
			break;
		}
	}
out:
	fflush(stdout);
	rctx_free(&c);
	free(steps);
	free(text);
	return ret;
}
