// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_threads_test: concurrency: threads on one guest's fd, and many guests
 * in many threads; the accounting invariant holds after each.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>

#include "vqn_utils.h"

TK_GUEST_FIXTURE(guest)

/*
 * Concurrency on one fd: threads drive their own devices, one changes the
 * budget, one drains events, one adds and removes devices whose ids the
 * others also poke at. Only the documented errors may come back, and the
 * accounting must hold afterwards.
 */
#define CONC_THREADS	4
#define CONC_ITERS	1500

struct conc {
	int fd;
	uint32_t threshold;
	volatile bool stop;
	uint32_t dev[CONC_THREADS];
	volatile uint32_t churn_id;
	int bad_ret;
	const char *bad_op;
	pthread_mutex_t lock;
};

static void conc_bad(struct conc *c, const char *op, int ret)
{
	pthread_mutex_lock(&c->lock);
	if (!c->bad_op) {
		c->bad_op = op;
		c->bad_ret = ret;
	}
	pthread_mutex_unlock(&c->lock);
}

struct conc_arg {
	struct conc *c;
	int idx;
};

static void *conc_worker(void *arg)
{
	struct conc_arg *a = arg;
	struct conc *c = a->c;
	uint32_t id = c->dev[a->idx], x = 2463534242U + a->idx;
	struct vqnotify_vq_result res[16];
	struct vqnotify_vq_info vi;
	int i, ret;

	for (i = 0; i < CONC_ITERS; i++) {
		uint32_t nr = 16, other = c->churn_id;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		switch (x % 6) {
		case 0:
			ret = _test_ioctl_set_status(c->fd, id, x & 8 ? TK_STATUS_OK :
					     TK_STATUS_FEATURES, NULL, res,
					     &nr);
			if (ret)
				conc_bad(c, "set_status", ret);
			break;
		case 1:
			ret = _test_ioctl_host_notifier(c->fd, id, (x >> 8) % 16,
						x & 16, NULL);
			if (ret && ret != -EALREADY && ret != -ENOSPC)
				conc_bad(c, "host_notifier", ret);
			break;
		case 2:
			ret = _test_ioctl_dev_reset(c->fd, id, res, &nr);
			if (ret)
				conc_bad(c, "reset", ret);
			break;
		case 3:
			ret = _test_ioctl_queue_get(c->fd, id, (x >> 8) % 16, &vi);
			if (ret)
				conc_bad(c, "queue_get", ret);
			break;
		case 4:
			/* A device that may be removed under us. */
			ret = _test_ioctl_set_status(c->fd, other, TK_STATUS_OK, NULL,
					     res, &nr);
			if (ret && ret != -ENOENT)
				conc_bad(c, "set_status(churn)", ret);
			ret = _test_ioctl_host_notifier(c->fd, other, 0, true, NULL);
			if (ret && ret != -ENOENT && ret != -EALREADY &&
			    ret != -ENOSPC)
				conc_bad(c, "host_notifier(churn)", ret);
			break;
		case 5:
			ret = _test_ioctl_dev_reset(c->fd, other, res, &nr);
			if (ret && ret != -ENOENT)
				conc_bad(c, "reset(churn)", ret);
			break;
		}
	}
	return NULL;
}

static void *conc_budget(void *arg)
{
	struct conc *c = arg;
	uint32_t i = 0;

	while (!c->stop) {
		uint32_t b[] = { 0, c->threshold - 1, c->threshold,
				 c->threshold + 9, 30 };
		int ret = _test_ioctl_set_budget(c->fd, b[i++ % 5]);

		if (ret)
			conc_bad(c, "set_budget", ret);
	}
	return NULL;
}

static void *conc_reader(void *arg)
{
	struct conc *c = arg;
	struct vqnotify_event ev[32];

	while (!c->stop) {
		int n = tk_read_events(c->fd, ev, 32);

		if (n < 0)
			conc_bad(c, "read", n);
		if (!n)
			sched_yield();
	}
	return NULL;
}

static void *conc_churn(void *arg)
{
	struct conc *c = arg;
	uint32_t id;

	while (!c->stop) {
		int ret = _test_ioctl_dev_add(c->fd, VQNOTIFY_TRANSPORT_PIO, 4, "churn",
				      &id);

		if (ret) {
			conc_bad(c, "dev_add", ret);
			break;
		}
		c->churn_id = id;
		sched_yield();
		ret = _test_ioctl_dev_remove(c->fd, id, NULL, NULL);
		if (ret)
			conc_bad(c, "dev_remove", ret);
	}
	return NULL;
}

TEST_F_TIMEOUT(guest, threads_one_fd, 120)
{
	pthread_t w[CONC_THREADS], extra[3];
	struct conc_arg args[CONC_THREADS];
	long base = tk_host_used(self->fd);
	struct conc c = {
		.fd = tk_open(0),
		.threshold = self->info.threshold,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	int i;

	ASSERT_LE(0, c.fd);
	for (i = 0; i < CONC_THREADS; i++) {
		ASSERT_EQ(0, _test_ioctl_dev_add(c.fd, VQNOTIFY_TRANSPORT_MMIO, 16,
					 NULL, &c.dev[i]));
		args[i].c = &c;
		args[i].idx = i;
	}
	ASSERT_EQ(0, pthread_create(&extra[0], NULL, conc_budget, &c));
	ASSERT_EQ(0, pthread_create(&extra[1], NULL, conc_reader, &c));
	ASSERT_EQ(0, pthread_create(&extra[2], NULL, conc_churn, &c));
	for (i = 0; i < CONC_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&w[i], NULL, conc_worker,
					    &args[i]));
	for (i = 0; i < CONC_THREADS; i++)
		pthread_join(w[i], NULL);
	c.stop = true;
	for (i = 0; i < 3; i++)
		pthread_join(extra[i], NULL);
	EXPECT_EQ(NULL, c.bad_op)
		TH_LOG("%s: %s", c.bad_op, strerror(-c.bad_ret));
	test_check_guest(c.fd, c.dev, CONC_THREADS);
	close(c.fd);
	EXPECT_EQ(base, tk_host_used(self->fd));
}

/*
 * Threads add devices to one guest until it is full: the table of devices
 * grows (8, 16, ... entries) with the guest's lock dropped, so a thread
 * may find it grown or the guest full when it comes back. Exactly
 * max_devices adds succeed, the rest get EMFILE; every id is distinct and
 * names a device whose queues work.
 */
#define ADD_THREADS	4

struct add_race {
	int fd;
	uint32_t max;
	uint32_t *ids;
	uint32_t nr;		/* under @lock */
	const char *bad;
	int bad_ret;
	pthread_mutex_t lock;
};

static void *add_race_fn(void *arg)
{
	struct add_race *a = arg;
	uint32_t id;
	int ret;

	for (;;) {
		ret = _test_ioctl_dev_add(a->fd, VQNOTIFY_TRANSPORT_PIO, 2,
					  "race", &id);
		pthread_mutex_lock(&a->lock);
		if (ret == -EMFILE) {
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		if (ret || a->nr >= a->max) {
			if (!a->bad) {
				a->bad = ret ? "dev_add" : "more than max_devices";
				a->bad_ret = ret;
			}
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		a->ids[a->nr++] = id;
		pthread_mutex_unlock(&a->lock);
	}
}

TEST_F_TIMEOUT(guest, threads_dev_add_to_max_devices, 120)
{
	struct add_race a = {
		.fd = tk_open(0),
		.max = self->info.max_devices,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct vqnotify_vq_result res[2];
	long base = tk_host_used(self->fd);
	pthread_t t[ADD_THREADS];
	uint32_t i, j, nr;
	int n;

	ASSERT_LE(0, a.fd);
	a.ids = calloc(a.max, sizeof(*a.ids));
	ASSERT_NE(NULL, a.ids);
	for (n = 0; n < ADD_THREADS; n++)
		ASSERT_EQ(0, pthread_create(&t[n], NULL, add_race_fn, &a));
	for (n = 0; n < ADD_THREADS; n++)
		pthread_join(t[n], NULL);
	ASSERT_EQ(NULL, a.bad)
		TH_LOG("%s: %s", a.bad, strerror(-a.bad_ret));
	ASSERT_EQ(a.max, a.nr);
	for (i = 0; i < a.nr; i++)
		for (j = i + 1; j < a.nr; j++)
			ASSERT_NE(a.ids[i], a.ids[j])
				TH_LOG("devices %u and %u: id %u", i, j,
				       a.ids[i]);
	for (i = 0; i < a.nr; i++) {
		nr = 2;
		ASSERT_EQ(0, _test_ioctl_set_status(a.fd, a.ids[i],
						    TK_STATUS_OK, NULL, res,
						    &nr))
			TH_LOG("device %u", a.ids[i]);
	}
	test_check_guest(a.fd, a.ids, a.nr);
	close(a.fd);
	free(a.ids);
	EXPECT_EQ(base, tk_host_used(self->fd));
}

/*
 * Many guests in many threads at once: each call gets only its documented
 * errors, vhost gets queues, and each guest's accounting holds.
 */
static void *guest_thread(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg, ids[2], i, handed = 0;
	struct vqnotify_vq_result res[32];
	const char *bad = NULL;
	struct tk_why why;
	int fd = tk_open(0), ret = 0;

	if (fd < 0)
		return strdup("open");
	for (i = 0; i < 2; i++)
		if (_test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 32, NULL, &ids[i]))
			bad = "dev_add";
	for (i = 0; i < 400 && !bad; i++) {
		uint32_t nr = 32, id = ids[i % 2];

		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 4) {
		case 0:
			ret = _test_ioctl_set_status(fd, id, TK_STATUS_OK, NULL,
						     res, &nr);
			if (ret)
				bad = "set_status";
			break;
		case 1:
		case 2:
			ret = _test_ioctl_host_notifier(fd, id, (seed >> 8) % 32,
							(seed >> 16) % 4 == 1,
							NULL);
			if (!ret)
				handed++;
			else if (ret != -EALREADY && ret != -ENOSPC)
				bad = "host_notifier";
			break;
		case 3:
			ret = _test_ioctl_set_budget(fd, (seed >> 4) % 40);
			if (ret)
				bad = "set_budget";
			break;
		}
	}
	if (!bad && !handed) {
		bad = "no host notifier call succeeded";
		ret = 0;
	}
	if (!bad && tk_check_guest(fd, ids, 2, &why)) {
		close(fd);
		return strdup(why.msg);
	}
	close(fd);
	if (!bad)
		return NULL;
	snprintf(why.msg, sizeof(why.msg), "%s%s%s", bad, ret ? ": " : "",
		 ret ? strerror(-ret) : "");
	return strdup(why.msg);
}

TEST_F_TIMEOUT(guest, threads_many_guests, 120)
{
	long base = tk_host_used(self->fd);
	pthread_t t[8];
	void *ret;
	int i;

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, guest_thread,
					    (void *)(uintptr_t)(i + 1)));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(t[i], &ret));
		EXPECT_EQ(NULL, ret) TH_LOG("guest %d: %s", i, (char *)ret);
	}
	EXPECT_EQ(base, tk_host_used(self->fd));
}

TEST_HARNESS_MAIN
