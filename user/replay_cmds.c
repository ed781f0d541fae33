// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl replay: the commands that drive guests through libvqnotify.
 * Each checks its arguments (c->checking: and stops there) and runs,
 * returning 0, a negative errno from the library, or STEP_FAILED.
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

/* The host-wide id of a guest (as netlink shows it), 0 if unknown. */
static uint32_t guest_id_of(struct vqn_guest *g)
{
	struct vqnotify_guest_info info;

	return vqn_guest_get(g, &info) ? 0 : info.guest_id;
}

int c_guest(struct rctx *c, int argc, char **argv)
{
	const char *name = NULL;
	uint32_t budget = 0;
	struct r_guest *g;
	int i, ret;

	if (argc < 1 || argc % 2 == 0)
		return rp_step_error(c, "usage: guest NAME [budget N] [name TEXT]");
	if (!rp_valid_name(argv[0]))
		return rp_step_error(c, "bad guest name '%s'", argv[0]);
	for (i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "budget")) {
			if (rp_number(c, argv[i + 1], "budget", &budget))
				return STEP_FAILED;
		} else if (!strcmp(argv[i], "name")) {
			if (rp_check_text(c, argv[i + 1]))
				return STEP_FAILED;
			name = argv[i + 1];
		} else {
			return rp_step_error(c,
				"usage: guest NAME [budget N] [name TEXT]");
		}
	}
	i = rp_guest_find(c, argv[0]);
	if (i < 0) {
		c->guests = rp_grow(c->guests, c->nr_guests, sizeof(*c->guests));
		i = c->nr_guests++;
		c->guests[i].name = strdup(argv[0]);
	} else if (c->guests[i].alive) {
		return rp_step_error(c, "guest '%s' is already open", argv[0]);
	}
	g = &c->guests[i];
	if (c->checking) {
		g->alive = !c->in_expect;
		return 0;
	}
	ret = vqn_open(&g->g, name ? name : argv[0]);
	if (ret == -ENOENT)
		return rp_step_error(c, "%s: %s (is the vqnotify module loaded?)",
				  VQN_DEVICE_PATH, strerror(-ret));
	if (ret)
		return ret;
	if (budget) {
		ret = vqn_set_budget(g->g, budget);
		if (ret) {
			vqn_close(g->g);
			g->g = NULL;
			return ret;
		}
	}
	g->alive = true;
	g->id = guest_id_of(g->g);
	if (!c->jw && !c->autoshow)
		rp_print_guest_line(c, i);
	return 0;
}

int c_name(struct rctx *c, int argc, char **argv)
{
	int gi;

	if (argc != 2)
		return rp_step_error(c, "usage: name GUEST TEXT");
	gi = rp_guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (rp_check_text(c, argv[1]))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!c->guests[gi].g)
		return -EBADF;
	return vqn_set_name(c->guests[gi].g, argv[1]);
}

int c_run_state(struct rctx *c, int argc, char **argv)
{
	bool stop;
	int gi, ret;

	if (argc != 2 ||
	    (strcmp(argv[1], "stopped") && strcmp(argv[1], "running")))
		return rp_step_error(c, "usage: run-state GUEST stopped|running");
	gi = rp_guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	stop = !strcmp(argv[1], "stopped");
	if (c->checking)
		return 0;
	if (!c->guests[gi].g)
		return -EBADF;
	ret = vqn_set_run_state(c->guests[gi].g, stop ? VQNOTIFY_RUN_STOPPED :
				VQNOTIFY_RUN_RUNNING);
	if (ret)
		return ret;
	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_str(c->jw, "guest", argv[0]);
		jw_uint(c->jw, "guest_id", c->guests[gi].id);
		jw_str(c->jw, "run_state", argv[1]);
		jw_obj_close(c->jw);
		jw_end(c->jw);
	} else {
		printf("  %s: %s%s\n", argv[0], argv[1],
		       stop ? ", slots kept, no ioeventfd in KVM" : "");
	}
	return 0;
}

int c_budget(struct rctx *c, int argc, char **argv)
{
	uint32_t budget;
	int gi;

	if (argc != 2)
		return rp_step_error(c, "usage: budget GUEST N");
	gi = rp_guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (rp_number(c, argv[1], "budget", &budget))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!c->guests[gi].g)
		return -EBADF;
	return vqn_set_budget(c->guests[gi].g, budget);
}

int c_dev(struct rctx *c, int argc, char **argv)
{
	uint32_t nq, id;
	int gi, t, di, ret;
	struct r_dev *d;

	if (argc != 4 && !(argc == 6 && !strcmp(argv[4], "name")))
		return rp_step_error(c,
			"usage: dev GUEST NAME pio|mmio|ccw QUEUES [name TEXT]");
	gi = rp_guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (!rp_valid_name(argv[1]))
		return rp_step_error(c, "bad device name '%s'", argv[1]);
	if (argc == 6 && rp_check_text(c, argv[5]))
		return STEP_FAILED;
	t = vqn_transport_from_name(argv[2]);
	if (t < 0)
		return rp_step_error(c, "bad transport '%s' (pio, mmio or ccw)",
				  argv[2]);
	if (rp_number(c, argv[3], "queue count", &nq))
		return STEP_FAILED;
	if (!c->in_expect && (!nq || nq > VQNOTIFY_MAX_QUEUES))
		return rp_step_error(c, "queue count %u not in 1-%u", nq,
				  VQNOTIFY_MAX_QUEUES);
	di = rp_dev_find(c, argv[1]);
	if (di < 0) {
		c->devs = rp_grow(c->devs, c->nr_devs, sizeof(*c->devs));
		di = c->nr_devs++;
		c->devs[di].name = strdup(argv[1]);
	} else if (c->devs[di].alive) {
		return rp_step_error(c, "device '%s' already exists", argv[1]);
	}
	d = &c->devs[di];
	if (c->checking) {
		d->guest = gi;
		d->nq = nq;
		d->alive = !c->in_expect;
		return 0;
	}
	if (!c->guests[gi].g)
		return -EBADF;
	ret = vqn_dev_add(c->guests[gi].g, t, nq, argc == 6 ? argv[5] : argv[1],
			  &id);
	if (ret)
		return ret;
	d->guest = gi;
	d->nq = nq;
	d->transport = t;
	d->id = id;
	d->alive = true;
	return 0;
}

static int c_status(struct rctx *c, int argc, char **argv, bool driver_ok)
{
	static uint64_t ready[VQNOTIFY_MAX_QUEUES / 64];
	uint32_t status = STATUS_DRIVER_UP;
	int di, ret, rest = driver_ok ? 1 : 2;
	bool all = true;

	if (argc != rest && !(argc == rest + 2 && !strcmp(argv[rest], "ready")))
		return rp_step_error(c, driver_ok ?
				  "usage: driver-ok DEV [ready LIST]" :
				  "usage: status DEV VALUE [ready LIST]");
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (!driver_ok) {
		if (rp_number(c, argv[1], "status", &status))
			return STEP_FAILED;
		if (!c->in_expect && status > 0xff)
			return rp_step_error(c, "status 0x%x is not a byte",
					  status);
	}
	if (argc == rest + 2 &&
	    rp_parse_list(c, argv[rest + 1], c->devs[di].nq, ready, &all))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!rp_dev_guest(c, di))
		return -EBADF;
	ret = vqn_set_status(rp_dev_guest(c, di), c->devs[di].id, status,
			     all ? NULL : ready, c->res, VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	rp_print_results(c, &c->devs[di], ret);
	return 0;
}

int c_driver_ok(struct rctx *c, int argc, char **argv)
{
	return c_status(c, argc, argv, true);
}

int c_set_status(struct rctx *c, int argc, char **argv)
{
	return c_status(c, argc, argv, false);
}

/*
 * vhost DEV Q on|off: one queue, API 1's SET_HOST_NOTIFIER; vhost DEV LIST
 * on|off: SET_HOST_NOTIFIERS, all or nothing, as QEMU batches them.
 */
int c_vhost(struct rctx *c, int argc, char **argv)
{
	static uint64_t bm[VQNOTIFY_MAX_QUEUES / 64];
	struct vqn_result r;
	uint32_t q;
	bool on;
	int di, ret;

	if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off")))
		return rp_step_error(c, "usage: vhost DEV Q on|off");
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (rp_parse_queues(c, argv[1], di, bm, &q))
		return STEP_FAILED;
	on = !strcmp(argv[2], "on");
	if (c->checking)
		return 0;
	if (!rp_dev_guest(c, di))
		return -EBADF;
	if (q == UINT32_MAX) {
		ret = vqn_host_notifiers(rp_dev_guest(c, di), c->devs[di].id, bm,
					 c->devs[di].nq, on, c->res,
					 VQNOTIFY_MAX_QUEUES);
		if (ret < 0)
			return ret;
		rp_print_results(c, &c->devs[di], ret);
		return 0;
	}
	ret = vqn_host_notifier(rp_dev_guest(c, di), c->devs[di].id, q, on, &r);
	if (ret)
		return ret;
	rp_print_result(c, &c->devs[di], &r, false);
	return 0;
}

/* acquire DEV LIST; release DEV LIST [kvm-refused] [reset] */
static int c_queues(struct rctx *c, int argc, char **argv, bool acquire)
{
	static uint64_t bm[VQNOTIFY_MAX_QUEUES / 64];
	uint32_t flags = 0, one;
	int di, i, ret;

	if (argc < 2 || (acquire && argc != 2))
		return rp_step_error(c, acquire ? "usage: acquire DEV LIST" :
			"usage: release DEV LIST [kvm-refused] [reset]");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "kvm-refused"))
			flags |= VQNOTIFY_QUEUES_KVM_REFUSED;
		else if (!strcmp(argv[i], "reset"))
			flags |= VQNOTIFY_QUEUES_RESET;
		else
			return rp_step_error(c,
				"usage: release DEV LIST [kvm-refused] [reset]");
	}
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (rp_parse_queues(c, argv[1], di, bm, &one))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!rp_dev_guest(c, di))
		return -EBADF;
	if (acquire)
		ret = vqn_queues_acquire(rp_dev_guest(c, di), c->devs[di].id, bm,
					 c->devs[di].nq, c->res,
					 VQNOTIFY_MAX_QUEUES);
	else
		ret = vqn_queues_release(rp_dev_guest(c, di), c->devs[di].id, bm,
					 c->devs[di].nq, flags, c->res,
					 VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	rp_print_results(c, &c->devs[di], ret);
	return 0;
}

int c_acquire(struct rctx *c, int argc, char **argv)
{
	return c_queues(c, argc, argv, true);
}

int c_release(struct rctx *c, int argc, char **argv)
{
	return c_queues(c, argc, argv, false);
}

static int c_reset_remove(struct rctx *c, int argc, char **argv,
			  bool remove)
{
	int di, ret;

	if (argc != 1)
		return rp_step_error(c, remove ? "usage: remove DEV" :
				  "usage: reset DEV");
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (c->checking) {
		if (remove && !c->in_expect)
			c->devs[di].alive = false;
		return 0;
	}
	if (!rp_dev_guest(c, di))
		return -EBADF;
	if (remove)
		ret = vqn_dev_remove(rp_dev_guest(c, di), c->devs[di].id, c->res,
				     VQNOTIFY_MAX_QUEUES);
	else
		ret = vqn_dev_reset(rp_dev_guest(c, di), c->devs[di].id, c->res,
				    VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	rp_print_results(c, &c->devs[di], ret);
	if (remove)
		c->devs[di].alive = false;
	return 0;
}

int c_reset(struct rctx *c, int argc, char **argv)
{
	return c_reset_remove(c, argc, argv, false);
}

int c_remove(struct rctx *c, int argc, char **argv)
{
	return c_reset_remove(c, argc, argv, true);
}

int c_save(struct rctx *c, int argc, char **argv)
{
	struct r_var *v;
	size_t len = 0;
	int di, vi, ret;

	if (argc != 2)
		return rp_step_error(c, "usage: save DEV VAR");
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (!rp_valid_name(argv[1]))
		return rp_step_error(c, "bad variable name '%s'", argv[1]);
	vi = rp_var_find(c, argv[1]);
	if (vi < 0) {
		c->vars = rp_grow(c->vars, c->nr_vars, sizeof(*c->vars));
		vi = c->nr_vars++;
		c->vars[vi].name = strdup(argv[1]);
	}
	v = &c->vars[vi];
	if (c->checking) {
		v->set |= !c->in_expect;
		return 0;
	}
	if (!rp_dev_guest(c, di))
		return -EBADF;
	ret = vqn_dev_save(rp_dev_guest(c, di), c->devs[di].id, NULL, &len);
	if (ret && ret != -EMSGSIZE)
		return ret;
	free(v->blob);
	v->blob = malloc(len);
	if (!v->blob)
		return -ENOMEM;
	ret = vqn_dev_save(rp_dev_guest(c, di), c->devs[di].id, v->blob, &len);
	if (ret)
		return ret;
	v->len = len;
	v->set = true;
	if (!c->jw)
		printf("  %s: saved %zu bytes in %s\n", argv[0], len, argv[1]);
	return 0;
}

int c_load(struct rctx *c, int argc, char **argv)
{
	int di, vi, ret;

	if (argc != 2)
		return rp_step_error(c, "usage: load DEV VAR");
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	vi = rp_var_find(c, argv[1]);
	if (vi < 0 || (!c->in_expect && !c->vars[vi].set))
		return rp_step_error(c, "variable '%s' was never saved", argv[1]);
	if (c->checking)
		return 0;
	if (!rp_dev_guest(c, di))
		return -EBADF;
	ret = vqn_dev_load(rp_dev_guest(c, di), c->devs[di].id,
			   c->vars[vi].blob, c->vars[vi].len, c->res,
			   VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	rp_print_results(c, &c->devs[di], ret);
	return 0;
}

int c_close(struct rctx *c, int argc, char **argv)
{
	int gi, di;

	if (argc != 1)
		return rp_step_error(c, "usage: close GUEST");
	gi = rp_guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (!c->checking) {
		if (!c->guests[gi].g)
			return -EBADF;
		vqn_close(c->guests[gi].g);
		c->guests[gi].g = NULL;
		if (!c->jw)
			printf("  %s: closed, every slot released\n", argv[0]);
	}
	if (c->in_expect)
		return 0;
	c->guests[gi].alive = false;
	for (di = 0; di < c->nr_devs; di++)
		if (c->devs[di].guest == gi)
			c->devs[di].alive = false;
	return 0;
}

int c_host_cap(struct rctx *c, int argc, char **argv)
{
	uint32_t cap;
	int ret;

	if (argc != 1)
		return rp_step_error(c, "usage: host-cap N");
	if (rp_number(c, argv[0], "host cap", &cap))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	ret = config_set_u32(VQNOTIFY_A_CONFIG_HOST_CAP, cap);
	if (ret)
		return ret;
	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_uint(c->jw, "host_cap", cap);
		jw_obj_close(c->jw);
		jw_end(c->jw);
	} else {
		printf("  host cap now %u\n", cap);
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * settle [TIMEOUT_MS [QUIET_MS]]: promotions that free host slots cause in
 * other guests run asynchronously in the module. Print events as they
 * come until no guest has had one for QUIET_MS (SETTLE_QUIET_MS; TIMEOUT_MS
 * if shorter); fail with ETIMEDOUT if they still come at TIMEOUT_MS.
 */
int c_settle(struct rctx *c, int argc, char **argv)
{
	uint32_t timeout = SETTLE_TIMEOUT_MS, quiet = SETTLE_QUIET_MS;
	int64_t start, last, now, wait;
	struct pollfd *pfd;
	int gi, n, ret = 0;

	if (argc > 2)
		return rp_step_error(c, "usage: settle [TIMEOUT_MS [QUIET_MS]]");
	if (argc >= 1 && rp_number(c, argv[0], "timeout", &timeout))
		return STEP_FAILED;
	if (argc == 2 && rp_number(c, argv[1], "quiet time", &quiet))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (quiet > timeout)
		quiet = timeout;
	pfd = calloc(c->nr_guests + 1, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	/* Whoever reads a pipe sees what we wait for. */
	fflush(stdout);
	start = last = now_ms();
	for (;;) {
		ret = rp_print_events(c);
		if (ret)
			break;
		now = now_ms();
		if (now - last >= quiet)
			break;
		if (now - start >= timeout) {
			ret = -ETIMEDOUT;
			break;
		}
		for (gi = 0, n = 0; gi < c->nr_guests; gi++) {
			if (!c->guests[gi].alive || !c->guests[gi].g)
				continue;
			pfd[n].fd = vqn_event_fd(c->guests[gi].g);
			pfd[n++].events = POLLIN;
		}
		wait = quiet - (now - last);
		if (wait > timeout - (now - start))
			wait = timeout - (now - start);
		n = poll(pfd, n, (int)wait);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (n > 0)
			last = now_ms();
	}
	free(pfd);
	if (ret)
		return ret;
	if (!c->jw)
		printf("  settled: no event for %u ms (%lld ms in all)\n", quiet,
		       (long long)(now - start));
	return 0;
}
