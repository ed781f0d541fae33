/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_bench: the observers' cost: DRIVER_OK-1024 with a netlink monitor
 * listening, and with the tracepoints enabled.
 * Part of vqn_bench.c (one program, one translation unit), included there.
 */
#ifndef _VQN_BENCH_OBS_H
#define _VQN_BENCH_OBS_H

/* DRIVER_OK-1024 with a netlink monitor listening, and with the tracepoint */

struct monitor {
	int sock;
	sem_t go, done;
	long want, got;
	int err;
	pthread_t thread;
};

/* The monitor drains between trials: it never runs inside a timed call. */
static void *monitor_fn(void *p)
{
	struct monitor *m = p;

	for (;;) {
		sem_wait(&m->go);
		if (m->want < 0)
			return NULL;
		while (m->got < m->want) {
			long n = nl_monitor_recv(m->sock, 0);

			if (n < 0) {
				m->err = -n;
				break;
			}
			m->got += n;
		}
		sem_post(&m->done);
	}
}

struct mon_trial {
	struct drv_ok *ok;
	struct monitor *m;
	int group;
	int join;
	int per_call;
};

static double trial_mon(void *p)
{
	struct mon_trial *c = p;
	int opt = c->join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
	double t;

	if (setsockopt(c->m->sock, SOL_NETLINK, opt, &c->group, sizeof(c->group)))
		die("monitor membership");
	t = trial_driver_ok(c->ok);
	if (c->join) {
		/*
		 * The reset's (g) and DRIVER_OK's (b): one message each, or
		 * one message per call.
		 */
		c->m->want += c->per_call ? 2 : 2 * NQ;
		sem_post(&c->m->go);
		sem_wait(&c->m->done);
		if (c->m->err || c->m->got != c->m->want)
			die("monitor: %ld of %ld messages (error %d)",
			    c->m->got, c->m->want, c->m->err);
		if (nl_monitor_recv(c->m->sock, MSG_DONTWAIT) != -EAGAIN)
			die("monitor: more than the call's %d messages",
			    c->per_call ? 2 : 2 * NQ);
	}
	return t;
}

/*
 * @gname: the group the monitor joins, whose messages come one per call
 * (@per_call) or one per queue; @target: the figure is judged.
 */
static void monitor_figure(const char *name, const char *desc,
			   const char *gname, int per_call, int target)
{
	struct fig *fo = fig_new(per_call ? "driver_ok_1024_base_mon" : "driver_ok_1024_base_mon_q", "DRIVER_OK-1024, no listener, interleaved with the next", "ns");
	struct fig *fm = fig_new(name, desc, "ns");
	static struct drv_ok dok;
	struct mon_trial off, on;
	struct monitor m = { 0 };
	int nl, family, group;

	fo->hidden = 1;
	nl = nl_open();
	if (nl < 0 || nl_resolve(nl, &family, &group, gname)) {
		fig_note(fm, "not measured: the vqnotify family does not resolve");
		return;
	}
	close(nl);
	m.sock = nl_monitor_open(group, 64 << 20);
	if (m.sock < 0)
		die("monitor socket");
	sem_init(&m.go, 0, 0);
	sem_init(&m.done, 0, 0);
	if (pthread_create(&m.thread, NULL, monitor_fn, &m))
		die("monitor thread");
	dok.fd = vq_open();
	dok.dev = dev_add(dok.fd, NQ);
	/*
	 * The guest's and device's notifications of the lines above, read
	 * before the trials: each trial's drain then reads that trial's
	 * messages, not older ones (it counts them), and the socket is empty
	 * when a call is timed, as a monitor that keeps up leaves it.
	 */
	for (;;) {
		long n = nl_monitor_recv(m.sock, MSG_DONTWAIT);

		if (n == -EAGAIN)
			break;
		if (n < 0 && n != -EINTR)
			die("monitor: reading the setup's notifications: error %ld", -n);
	}
	off = (struct mon_trial){ &dok, &m, group, 0, per_call };
	on = (struct mon_trial){ &dok, &m, group, 1, per_call };
	{
		struct fig *f[] = { fo, fm };
		trial_fn fn[] = { trial_mon, trial_mon };
		void *ctx[] = { &off, &on };

		run_figs(dok.fd, 2, f, fn, ctx);
	}
	if (target)
		fig_target(fm, "vs no listener", fm->xnull / fo->xnull, "<= 1.3x", 1.3, 1);
	else
		fig_target(fm, "vs no listener", fm->xnull / fo->xnull, "-", 0, 0);
	fig_note(fm, "group \"%s\": %ld messages drained by a second thread between calls",
		 gname, m.got);
	m.want = -1;
	sem_post(&m.go);
	pthread_join(m.thread, NULL);
	close(m.sock);
	close(dok.fd);
}

/*
 * The target is about the calls group (CALL_NTF, one message per call);
 * the monitor group's one message per queue, kept for older tools, is
 * printed beside it.
 */
static void bench_monitor(void)
{
	monitor_figure("driver_ok_1024_monitor",
		       "DRIVER_OK-1024 with one netlink listener of the calls group, ns",
		       VQNOTIFY_MCGRP_CALLS, 1, 1);
	monitor_figure("driver_ok_1024_monitor_q",
		       "DRIVER_OK-1024 with one netlink listener of the monitor group (a message per queue), ns",
		       VQNOTIFY_MCGRP_MONITOR, 0, 0);
}

/* The enable file of vqnotify's event @event, or of all of them (NULL). */
static const char *trace_enable_path(const char *event)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	static char path[128];
	unsigned int i, tries;

	for (tries = 0; tries < 2; tries++) {
		for (i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/events/vqnotify/%s%senable",
				 roots[i], event ? event : "", event ? "/" : "");
			if (!access(path, W_OK))
				return path;
		}
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	}
	return NULL;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Enabling a tracepoint patches kernel text: it is toggled per block of
 * trials, not per trial, the two conditions alternating block by block.
 * @event: the event to enable, NULL for every vqnotify event; @target: the
 * figure is judged (else it is printed only).
 */
static void trace_figure(const char *name, const char *desc,
			 const char *event, int target)
{
	struct fig *fo = fig_new(event ? "driver_ok_1024_base_trace" : "driver_ok_1024_base_trace_all", "DRIVER_OK-1024, tracepoint off, interleaved with the next", "ns");
	struct fig *ft = fig_new(name, desc, "ns");
	const char *p = trace_enable_path(event);
	int block = smoke ? 1 : 10, i, j, k;
	static struct drv_ok dok;
	char path[128];

	fo->hidden = 1;
	if (!p) {
		fig_note(ft, "not measured: no tracefs or no vqnotify events");
		return;
	}
	snprintf(path, sizeof(path), "%s", p);
	dok.fd = vq_open();
	dok.dev = dev_add(dok.fd, NQ);
	for (i = 0; i < trials; i += block)
		for (k = 0; k < 2; k++) {
			int on = (k + i / block) & 1;
			struct fig *f = on ? ft : fo;

			if (write_file(path, on ? "1" : "0"))
				die("write %s", path);
			trial_driver_ok(&dok);	/* warm-up after the switch */
			null_trial(dok.fd);
			for (j = 0; j < block && i + j < trials; j++) {
				double v = trial_driver_ok(&dok);

				fig_push(f, v, null_trial(dok.fd));
			}
		}
	write_file(path, "0");
	fig_done(fo);
	fig_done(ft);
	if (target)
		fig_target(ft, "vs disabled", ft->xnull / fo->xnull, "<= 2x", 2, 1);
	else
		fig_target(ft, "vs disabled", ft->xnull / fo->xnull, "-", 0, 0);
	fig_note(ft, "%s enabled, toggled every %d trials",
		 event ? event : "every vqnotify event", block);
	close(dok.fd);
}

/*
 * The call's one vq_call event (runs of queues changed alike) is what the
 * target is about; the per-queue vq_transition and vq_refusal events kept
 * for older tools are printed beside it.
 */
static void bench_trace(void)
{
	trace_figure("driver_ok_1024_trace",
		     "DRIVER_OK-1024 with the vq_call tracepoint enabled, ns",
		     "vq_call", 1);
	trace_figure("driver_ok_1024_trace_all",
		     "DRIVER_OK-1024 with every vqnotify tracepoint enabled, ns",
		     NULL, 0);
}

#endif /* _VQN_BENCH_OBS_H */
