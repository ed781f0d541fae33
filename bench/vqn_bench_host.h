/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_bench: the host-wide figures: kernel memory per queue, many guests
 * (a transition, the netlink dump), promotion with guests waiting, and
 * parallel scaling.
 * Part of vqn_bench.c (one program, one translation unit), included there.
 */
#ifndef _VQN_BENCH_HOST_H
#define _VQN_BENCH_HOST_H

/* Kernel memory: the module's allocations are GFP_KERNEL_ACCOUNT */

static char cg_stat[128];
static const char *cg_how;

/*
 * The bench runs in a memory cgroup of its own; "kernel" in its memory.stat
 * counts every charged kernel page (slab objects, large kmallocs, vmalloc)
 * to the byte-rounded page, with at most a page per CPU left in the
 * per-CPU object stock. memcg statistics flush every 2 s: wait for a flush
 * before each read.
 */
static int cg_setup(void)
{
	const char *root = "/sys/fs/cgroup", *dir = "/sys/fs/cgroup/vqn-bench";
	char path[128], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (access(path, F_OK))
		mount("cgroup2", root, "cgroup2", 0, NULL);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	if (write_file(path, "+memory"))
		return -1;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(path, pid))
		return -1;
	snprintf(cg_stat, sizeof(cg_stat), "%s/memory.stat", dir);
	cg_how = settle_s > 0 ?
		"memory.stat kernel of the bench's own memory cgroup, read after a 2 s stats flush" :
		"memory.stat kernel of the bench's own memory cgroup, not flushed (smoke)";
	return 0;
}

static long kmem_now(void)
{
	char line[256];
	long v = -1;
	FILE *f;

	if (settle_s > 0)
		usleep(settle_s * 1e6);
	f = fopen(cg_stat, "re");
	if (!f)
		die("open %s", cg_stat);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "kernel %ld", &v) == 1)
			break;
	fclose(f);
	if (v < 0)
		die("no kernel line in %s", cg_stat);
	return v;
}

/* 1000 guests x 25 devices x 4 queues */

#define BIG_DEVS	25
#define BIG_QUEUES	4

static int *big_fds;

static void big_open(int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		big_fds[i] = vq_open();
		for (j = 0; j < BIG_DEVS; j++)
			dev_add(big_fds[i], BIG_QUEUES);
	}
}

static void big_close(int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(big_fds[i]);
}

static void bench_memory(void)
{
	struct fig *f1 = fig_new("mem_per_queue_1024", "kernel memory per queue, 1024-queue devices, bytes", "B");
	struct fig *fg = fig_new("mem_per_queue_guests", "kernel memory per queue, guests x 25 devices x 4 queues, bytes", "B");
	int ndev = smoke ? 4 : 32, n = guests_big, i, fd;
	long k0, k1, k2, k3;
	double per;

	if (cg_setup()) {
		fig_note(f1, "not measured: no memory cgroup");
		fig_note(fg, "not measured: no memory cgroup");
		return;
	}
	fd = vq_open();
	k0 = kmem_now();
	for (i = 0; i < ndev; i++)
		dev_add(fd, NQ);
	k1 = kmem_now();
	close(fd);
	per = (double)(k1 - k0) / (ndev * NQ);
	f1->measured = 1;
	f1->s.min = f1->s.med = f1->s.p90 = per;
	fig_target(f1, "B/queue", per, "<= 32", 32, 1);
	fig_note(f1, "%d devices: %ld B; %s", ndev, k1 - k0, cg_how);

	/* The guests, then as many plain files: the file and fd table part. */
	k0 = kmem_now();
	big_open(n);
	k1 = kmem_now();
	big_close(n);
	k2 = kmem_now();
	for (i = 0; i < n; i++)
		if ((big_fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			die("open /dev/null");
	k3 = kmem_now();
	big_close(n);
	per = (double)((k1 - k0) - (k3 - k2)) / (n * BIG_DEVS * BIG_QUEUES);
	fg->measured = 1;
	fg->s.min = fg->s.med = fg->s.p90 = per;
	fig_target(fg, "B/queue", per, "<= 48", 48, 1);
	fig_note(fg, "%d guests: %ld B, minus %ld B for as many open files of /dev/null; %.0f B/queue with them",
		 n, k1 - k0, k3 - k2, (double)(k1 - k0) / (n * BIG_DEVS * BIG_QUEUES));
}

/* Netlink dump rate and one transition, with many guests open vs one */

static void bench_guests(void)
{
	struct fig *f1 = fig_new("transition_1_guest", "(d)/(e) with 1 guest open, ns per call", "ns");
	struct fig *fn = fig_new("transition_many_guests", "(d)/(e) with the guests of the memory figure open, ns per call", "ns");
	struct fig *fd_ = fig_new("netlink_dump", "netlink dump of every queue (QUEUES_GET, packed), ns per queue", "ns");
	struct fig *fq = fig_new("netlink_dump_q", "netlink dump of every queue (QUEUE_GET, a message per queue), ns per queue", "ns");
	int reps = smoke ? 1 : 3, n = guests_big, r, i, nl, family, group;
	long expect = (long)n * BIG_DEVS * BIG_QUEUES;
	struct onoff de = { 0 };
	int per = (trials + reps - 1) / reps;
	int save = trials;

	f1->hidden = 1;
	de.fd = vq_open();
	de.dev = dev_add(de.fd, 1);
	de.q = 0;
	de.on_label = VQNOTIFY_LABEL_D;
	de.off_label = VQNOTIFY_LABEL_E;
	set_status(de.fd, de.dev, STATUS_OK, NULL, 0);
	nl = nl_open();
	if (nl < 0 || nl_resolve(nl, &family, &group, VQNOTIFY_MCGRP_MONITOR))
		die("netlink family");

	trials = per;
	for (r = 0; r < reps; r++) {
		struct fig *fa[] = { f1 };
		trial_fn fn_[] = { trial_onoff };
		void *ctx[] = { &de };

		run_figs(de.fd, 1, fa, fn_, ctx);
		big_open(n);
		fa[0] = fn;
		run_figs(de.fd, 1, fa, fn_, ctx);
		if (r == 0) {
			int dumps = smoke ? 2 : 7;

			/* The two dumps alternate; the first two warm up. */
			for (i = 0; i < 2 * (dumps + 1); i++) {
				int cmd = i & 1 ? VQNOTIFY_CMD_QUEUE_GET :
						  VQNOTIFY_CMD_QUEUES_GET;
				double t = now_ns();
				long q = nl_dump_queues(nl, family, cmd);

				t = now_ns() - t;
				if (q < expect)
					die("dump: %ld queues of %ld", q, expect);
				if (i > 1)
					fig_push(i & 1 ? fq : fd_, t / q,
						 null_trial(de.fd));
			}
		}
		big_close(n);
	}
	trials = save;
	fig_done(f1);
	fig_done(fn);
	fig_done(fd_);
	fig_done(fq);
	fig_target(fn, "vs 1 guest", fn->xnull / f1->xnull, "<= 1.2x", 1.2, 1);
	fig_note(fn, "%d guests, %d blocks of each alternating", n, reps);
	fig_target(fd_, "queues/s", 1e9 / fd_->s.min, ">= 1e6", 1e6, -1);
	fig_note(fd_, "%ld queues in %d guests per dump, a message per device",
		 expect, n);
	fig_target(fq, "queues/s", 1e9 / fq->s.min, "-", 0, 0);
	fig_note(fq, "the same queues, a message per queue (QUEUE_GET)");
	close(nl);
	close(de.fd);
}

/*
 * Promotion: the host full (its cap one slot above what others use), one
 * guest holding the last slot and N waiting for it (HOST_CAP), one device
 * of one queue each, in the host's line in the order they asked. Timed:
 * from the holder's clearing DRIVER_OK ((s) frees its slot) until the
 * event of the guest at the head of the line is readable (the module
 * promotes from a work item). The holder then asks again (DRIVER_OK),
 * joining the line's tail, and the promoted guest holds the slot: the
 * line stays N long, and the guest promoted is always the one that waited
 * longest (one user's guests, in the order they started waiting), whose
 * poll() would time out were it another. A promotion that walked the
 * waiting guests would cost N times one step.
 */
struct promo {
	int nl, family;
	uint32_t cap0;
};

static void promo_measure(struct promo *p, int nwait, struct fig *f, int count)
{
	int n = nwait + 1, i, k, holder = 0, head = 1;
	int *fds = calloc(n, sizeof(*fds));
	uint32_t *dev = calloc(n, sizeof(*dev));
	struct vqnotify_info info;

	if (!fds || !dev)
		die("calloc");
	for (i = 0; i < n; i++) {
		fds[i] = vq_open();
		dev[i] = dev_add(fds[i], 1);
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK))
			die("O_NONBLOCK");
	}
	info = get_info(fds[0]);
	if (nl_set_host_cap(p->nl, p->family, info.host_used + 1))
		die("CONFIG_SET host_cap");
	/* The first takes the slot; the others wait, in this order. */
	for (i = 0; i < n; i++)
		set_status(fds[i], dev[i], STATUS_OK, NULL, 0);
	info = get_info(fds[0]);
	if (info.host_used != info.host_cap)
		die("promotion: host %u of %u slots used, not full",
		    info.host_used, info.host_cap);
	for (k = -1; k < count; k++) {
		struct pollfd pfd = { .fd = fds[head], .events = POLLIN };
		struct vqnotify_event ev;
		double t = now_ns(), nul;

		set_status(fds[holder], dev[holder], STATUS_STOP, NULL, 0);
		if (poll(&pfd, 1, 5000) != 1)
			die("promotion: guest %d of %d, the line's head, got no event within 5 s",
			    head, n);
		t = now_ns() - t;
		if (read(fds[head], &ev, sizeof(ev)) != sizeof(ev) ||
		    ev.label != VQNOTIFY_LABEL_R)
			die("promotion: event label %u", ev.label);
		/* The old holder asks again: the line's tail. */
		set_status(fds[holder], dev[holder], STATUS_OK, NULL, 0);
		nul = null_trial(fds[head]);
		if (k >= 0)
			fig_push(f, t, nul);
		holder = head;
		head = (head + 1) % n;
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	free(dev);
	if (nl_set_host_cap(p->nl, p->family, p->cap0))
		die("CONFIG_SET host_cap back");
}

/*
 * As many guests waiting as the issue asks (10,000), where the module's
 * max_guests lets the bench open them (make bench loads it with room):
 * else as many as it does, less a few for the other figures' guests.
 */
static int promo_waiting(void)
{
	char buf[32];
	int want = smoke ? 50 : 10000, max;

	read_line("/sys/module/vqnotify/parameters/max_guests", buf,
		  sizeof(buf));
	max = atoi(buf);
	if (max > 0 && want > max - 8)
		want = max - 8;
	return want;
}

static void bench_promotion(void)
{
	struct fig *f1 = fig_new("promotion_1_waiting", "promotion latency, 1 guest waiting, ns", "ns");
	struct fig *fn = fig_new("promotion_many_waiting", "promotion latency, many guests waiting, ns", "ns");
	int reps = smoke ? 1 : 3, r, group, fd = vq_open();
	int per = (trials + reps - 1) / reps, nwait = promo_waiting();
	struct promo p;

	f1->hidden = 1;
	p.nl = nl_open();
	if (p.nl < 0 || nl_resolve(p.nl, &p.family, &group,
					     VQNOTIFY_MCGRP_MONITOR))
		die("netlink family");
	p.cap0 = get_info(fd).host_cap;
	close(fd);
	for (r = 0; r < reps; r++) {
		promo_measure(&p, 1, f1, per);
		promo_measure(&p, nwait, fn, per);
	}
	fig_done(f1);
	fig_done(fn);
	fig_target(fn, "vs 1 waiting", fn->xnull / f1->xnull, "<= 1.2x", 1.2, 1);
	fig_note(fn, "%d guests waiting for the host cap, the promoted one the longest; 1 waiting: min %.0f ns, %.2fx null",
		 nwait, f1->s.min, f1->xnull);
	close(p.nl);
}

/*
 * Parallel scaling: P processes, each its own guest, doing (d)/(e) pairs,
 * against one; and a pure userspace loop the same way. Under single-threaded
 * TCG the control shows ~1x: then nothing is claimed.
 */
static volatile unsigned long spin_sink;

static double scale_run(int procs, int user_only, int count)
{
	double t = now_ns();
	int i;

	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			int k;

			pin_cpu(-1);
			if (user_only) {
				unsigned long x = 1;

				for (k = 0; k < count * 4096; k++)
					x = x * 6364136223846793005UL + 1;
				spin_sink = x;
			} else {
				int fd = vq_open();
				uint32_t dev = dev_add(fd, 1);

				set_status(fd, dev, STATUS_OK, NULL, 0);
				for (k = 0; k < count; k++) {
					host_notifier(fd, dev, 0, 1);
					host_notifier(fd, dev, 0, 0);
				}
			}
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("scaling child failed");
	}
	return (now_ns() - t) / 1e9;
}

static void bench_scale(void)
{
	struct fig *f = fig_new("parallel_scaling", "throughput of P processes / 1 process, (d)/(e) loops", "x");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int procs = ncpu > 1 ? ncpu : 2, count = smoke ? 200 : 5000;
	double k1, kp, u1, up;

	k1 = scale_run(1, 0, count);
	kp = scale_run(procs, 0, count);
	u1 = scale_run(1, 1, count);
	up = scale_run(procs, 1, count);
	f->measured = 1;
	f->s.min = f->s.med = f->s.p90 = procs * k1 / kp;
	fig_target(f, "scaling", procs * k1 / kp, "not claimed", 0, 0);
	fig_note(f, "%d procs on %ld CPUs: vqnotify %.2fx, pure-userspace control %.2fx; a control below 1.8x means the machine cannot show parallelism",
		 procs, ncpu, procs * k1 / kp, procs * u1 / up);
}

#endif /* _VQN_BENCH_HOST_H */
