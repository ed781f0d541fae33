/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_bench: figures (trials, statistics, targets), the denominator, and
 * the ioctls the figures time.
 * Part of vqn_bench.c (one program, one translation unit), included there.
 */
#ifndef _VQN_BENCH_FIG_H
#define _VQN_BENCH_FIG_H

#ifndef VQN_BENCH_SMOKE_DEFAULT
#define VQN_BENCH_SMOKE_DEFAULT 0
#endif

#define NQ		VQNOTIFY_MAX_QUEUES
#define STATUS_OK	0x0f	/* ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK */
#define STATUS_STOP	(STATUS_OK & ~VQNOTIFY_STATUS_DRIVER_OK)
/* A command of the module's type that it does not implement: ENOTTY. */
#define VQN_ENOTTY_CMD	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE - 1)
#define NULL_BATCH	16	/* null ioctls per denominator trial */
#define PAIR_BATCH	8	/* on/off pairs per trial of a one-queue figure */
#define MAX_TRIALS	1001
#define MAX_FIGS	48

static int smoke, trials, warm;
static int guests_big;		/* guests of the 1000-guest figures */
static double settle_s;		/* wait for memcg statistics to flush */

static const char *die_prefix;

/* Program failure: the one TAP result says so. */
static void die(const char *fmt, ...)
{
	FILE *out = die_prefix ? stderr : stdout;
	int err = errno;
	va_list ap;

	if (die_prefix)
		fprintf(out, "%s: ", die_prefix);
	else
		fprintf(out, "not ok 1 vqn_bench # ");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fprintf(out, " (errno %d: %s)\n", err, strerror(err));
	exit(1);
}

/* The first line of @path, or "unknown". */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	snprintf(buf, len, "unknown");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

/* Figures */

struct stats {
	double min, med, p90;
};

struct fig {
	const char *name;
	const char *what;
	const char *unit;	/* of min/med/p90 */
	double v[MAX_TRIALS], nul[MAX_TRIALS];
	int n;
	struct stats s, sn;
	double xnull, xnull_med;
	/* What the target is judged on. */
	const char *metric;
	double value;
	const char *target;
	double limit;
	int dir;		/* 1: value <= limit; -1: value >= limit; 0: none */
	int measured;
	int hidden;		/* a baseline shown only in the JSON */
	char note[200];
};

static struct fig figs[MAX_FIGS];
static int nfigs;
static struct fig *null_fig;

static struct fig *fig_new(const char *name, const char *what,
			   const char *unit)
{
	struct fig *f;

	if (nfigs == MAX_FIGS)
		die("more than %d figures: raise MAX_FIGS", MAX_FIGS);
	f = &figs[nfigs++];
	f->name = name;
	f->what = what;
	f->unit = unit;
	f->metric = "x null";
	f->target = "-";
	return f;
}

static void fig_note(struct fig *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->note, sizeof(f->note), fmt, ap);
	va_end(ap);
}

static void fig_target(struct fig *f, const char *metric, double value,
		       const char *target, double limit, int dir)
{
	f->metric = metric;
	f->value = value;
	f->target = target;
	f->limit = limit;
	f->dir = dir;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stats stats_of(const double *v, int n)
{
	static double s[MAX_TRIALS];
	struct stats st = { 0 };

	if (!n)
		return st;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	st.min = s[0];
	st.med = s[n / 2];
	st.p90 = s[(int)(0.9 * (n - 1) + 0.5)];
	return st;
}

static void fig_push(struct fig *f, double v, double nul)
{
	if (f->n < MAX_TRIALS) {
		f->v[f->n] = v;
		f->nul[f->n] = nul;
		f->n++;
	}
}

static void fig_done(struct fig *f)
{
	f->s = stats_of(f->v, f->n);
	f->sn = stats_of(f->nul, f->n);
	if (f->sn.min > 0) {
		f->xnull = f->s.min / f->sn.min;
		f->xnull_med = f->s.med / f->sn.med;
	}
	if (!f->dir && !strcmp(f->metric, "x null"))
		f->value = f->xnull;
	f->measured = 1;
}

/*
 * Set in a helper process of the bench's: its failure goes to stderr, and
 * the bench's one TAP result says the helper failed.
 */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Pin to @cpu, or allow every CPU when @cpu < 0. */
static void pin_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE && i < 256; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* /dev/vqnotify */

static int vq_open(void)
{
	int fd = open("/dev/vqnotify", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/vqnotify");
	return fd;
}

static uint32_t dev_add(int fd, uint32_t nq)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = VQNOTIFY_TRANSPORT_MMIO,
		.num_queues = nq,
		.label = "bench",
	};

	if (ioctl(fd, VQNOTIFY_DEV_ADD, &da))
		die("DEV_ADD %u queues", nq);
	return da.out_dev_id;
}

/* SET_STATUS; returns nr_results. */
static uint32_t set_status(int fd, uint32_t dev, uint32_t status,
			   struct vqnotify_vq_result *res, uint32_t cap)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = dev,
		.status = status,
		.results = (uintptr_t)res,
		.nr_results = res ? cap : 0,
	};

	if (ioctl(fd, VQNOTIFY_SET_STATUS, &op))
		die("SET_STATUS %#x", status);
	return op.nr_results;
}

/* SET_HOST_NOTIFIER; returns the label of the queue's transition. */
static uint8_t host_notifier(int fd, uint32_t dev, uint32_t q, int on)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = on ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = dev,
		.queue = q,
	};

	if (ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn))
		die("SET_HOST_NOTIFIER %d", on);
	return hn.result.label;
}

static struct vqnotify_info get_info(int fd)
{
	struct vqnotify_info info = { .size = sizeof(info) };

	if (ioctl(fd, VQNOTIFY_GET_INFO, &info))
		die("GET_INFO");
	return info;
}

/* The denominator: ns per ENOTTY ioctl, one batch. */
static double null_trial(int fd)
{
	double t = now_ns();
	int i, bad = 0;

	for (i = 0; i < NULL_BATCH; i++)
		bad |= ioctl(fd, VQN_ENOTTY_CMD, 0) != -1;
	t = (now_ns() - t) / NULL_BATCH;
	if (bad || errno != ENOTTY)
		die("the null ioctl did not fail with ENOTTY");
	return t;
}

/*
 * Run figures side by side: each trial runs every figure once (in an order
 * that rotates), each followed by its own null batch on @fd.
 */
typedef double (*trial_fn)(void *ctx);

static void run_figs(int fd, int n, struct fig **f, trial_fn *fn, void **ctx)
{
	int i, j, k;

	for (i = 0; i < warm; i++)
		for (j = 0; j < n; j++) {
			fn[j](ctx[j]);
			null_trial(fd);
		}
	for (i = 0; i < trials; i++)
		for (k = 0; k < n; k++) {
			double v, nul;

			j = (i + k) % n;
			v = fn[j](ctx[j]);
			nul = null_trial(fd);
			fig_push(f[j], v, nul);
		}
	for (j = 0; j < n; j++)
		fig_done(f[j]);
}

#endif /* _VQN_BENCH_FIG_H */
