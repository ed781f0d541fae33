// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_fdpass_test: a guest fd handed to another process reaches its own
 * guest only.
 *
 * scm:    a guest fd passed over a unix socket (SCM_RIGHTS) to an
 *         unprivileged process still only reaches its own guest: ids that
 *         exist only in another guest are ENOENT for every ioctl taking a
 *         device id, and the other guest does not change; once its opener
 *         is gone, the guest names no pid.
 *
 * The module is loaded afresh for each test binary. Written on the
 * toolkit vqn_utils.h (vqn_abuse_utils.h for the privilege drop).
 */
#define _GNU_SOURCE

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

/* scm: a guest fd passed to an unprivileged process */

#define SCM_OTHER_DEVS	5

struct scm_data {
	int a;			/* passed over the socket: one device */
	int b;			/* not passed: SCM_OTHER_DEVS devices */
	uint32_t a_id;
	struct tk_shared *sh;
	struct tk_snap snap_a;
	struct tk_snap snap_b;
};

static void scm_data_setup(struct __test_metadata *_metadata, struct scm_data *d)
{
	struct vqnotify_guest_info gi;

	d->a = d->b = -1;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	d->sh = tk_shared_new();
	ASSERT_NE(NULL, d->sh);
	d->a = tk_open(0);
	d->b = tk_open(0);
	ASSERT_LE(0, d->a);
	ASSERT_LE(0, d->b);
	ASSERT_EQ(0, _test_ioctl_dev_add(d->a, VQNOTIFY_TRANSPORT_PIO, 4, "a0", NULL));
	for (int i = 0; i < SCM_OTHER_DEVS; i++) {
		uint32_t id, nr = 0;

		ASSERT_EQ(0, _test_ioctl_dev_add(d->b, VQNOTIFY_TRANSPORT_MMIO, 4, "b",
					&id));
		ASSERT_EQ(0, _test_ioctl_set_status(d->b, id, TK_STATUS_OK, NULL, NULL, &nr));
	}
	ASSERT_EQ(0, _test_ioctl_guest_get(d->a, &gi));
	d->a_id = gi.guest_id;
	ASSERT_EQ(0, tk_snap_take(d->a, 16, &d->snap_a));
	ASSERT_EQ(0, tk_snap_take(d->b, 16, &d->snap_b));
}

static void scm_data_teardown(struct scm_data *d)
{
	if (d->a >= 0)
		close(d->a);
	if (d->b >= 0)
		close(d->b);
}

FIXTURE(scm) {
	struct scm_data d;
};

FIXTURE_SETUP(scm)
{
	scm_data_setup(_metadata, &self->d);
}

FIXTURE_TEARDOWN(scm)
{
	scm_data_teardown(&self->d);
}

FIXTURE(scm_foreign) {
	struct scm_data d;
};

FIXTURE_VARIANT(scm_foreign) {
	unsigned long cmd;
};

FIXTURE_VARIANT_ADD(scm_foreign, set_status) { .cmd = VQNOTIFY_SET_STATUS };
FIXTURE_VARIANT_ADD(scm_foreign, dev_reset) { .cmd = VQNOTIFY_DEV_RESET };
FIXTURE_VARIANT_ADD(scm_foreign, dev_remove) { .cmd = VQNOTIFY_DEV_REMOVE };
FIXTURE_VARIANT_ADD(scm_foreign, host_notifier) {
	.cmd = VQNOTIFY_SET_HOST_NOTIFIER
};
FIXTURE_VARIANT_ADD(scm_foreign, queue_get) { .cmd = VQNOTIFY_QUEUE_GET };
FIXTURE_VARIANT_ADD(scm_foreign, dev_get) { .cmd = VQNOTIFY_DEV_GET };
FIXTURE_VARIANT_ADD(scm_foreign, dev_save) { .cmd = VQNOTIFY_DEV_SAVE };
FIXTURE_VARIANT_ADD(scm_foreign, dev_load) { .cmd = VQNOTIFY_DEV_LOAD };

FIXTURE_SETUP(scm_foreign)
{
	scm_data_setup(_metadata, &self->d);
}

FIXTURE_TEARDOWN(scm_foreign)
{
	scm_data_teardown(&self->d);
}

/* One call of @cmd naming device @id, well formed otherwise. */
static int vs_call_dev(int fd, unsigned long cmd, uint32_t id)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	static uint8_t blob[TK_BLOB_MAX];
	struct vqnotify_dev_get dg;
	uint32_t nr = VQNOTIFY_MAX_QUEUES, len = sizeof(blob);

	switch (cmd) {
	case VQNOTIFY_SET_STATUS:
		return _test_ioctl_set_status(fd, id, TK_STATUS_OK, NULL, res, &nr);
	case VQNOTIFY_DEV_RESET:
	case VQNOTIFY_DEV_REMOVE:
		return _test_ioctl_dev_op(fd, cmd, id, 0, NULL, res, &nr);
	case VQNOTIFY_SET_HOST_NOTIFIER:
		return _test_ioctl_host_notifier(fd, id, 0, true, NULL);
	case VQNOTIFY_QUEUE_GET:
		return _test_ioctl_queue_get(fd, id, 0, NULL);
	case VQNOTIFY_DEV_GET:
		return _test_ioctl_dev_get(fd, id, &dg, vi, VQNOTIFY_MAX_QUEUES);
	case VQNOTIFY_DEV_SAVE:
		return _test_ioctl_dev_save(fd, id, blob, &len);
	case VQNOTIFY_DEV_LOAD:
		/* A blob that would load into a fresh 4-queue MMIO device. */
		if (_test_ioctl_dev_save(fd, 1, blob, &len))
			return -EIO;
		blob[16] = TK_STATUS_OK;
		blob[20] = VQNOTIFY_TRANSPORT_MMIO;
		tk_blob_reseal(blob, len);
		return _test_ioctl_dev_load(fd, id, blob, len, res, &nr);
	}
	return -EIO;
}

struct vs_scm_ctx {
	struct scm_data *d;
	unsigned long cmd;
	int sock;
};

/* Pass guest a to an unprivileged child running @fn. */
static int vs_scm_pass(struct scm_data *d, unsigned long cmd,
		       int (*fn)(void *))
{
	struct vs_scm_ctx c = { .d = d, .cmd = cmd };
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	c.sock = sv[1];
	ret = tk_send_fd(sv[0], d->a);
	if (!ret)
		ret = tk_run_as_nobody(0, fn, &c);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

static int vs_scm_receiver(void *arg)
{
	struct vs_scm_ctx *c = arg;
	struct tk_shared *sh = c->d->sh;
	struct vqnotify_guest_info gi;
	int fd = tk_recv_fd(c->sock);

	if (fd < 0)
		return 10;
	sh->ret[0] = _test_ioctl_guest_get(fd, &gi);
	sh->val[0] = gi.guest_id;
	sh->val[1] = gi.owner_pid;
	/* Ids 2..: devices of guest b only. */
	for (uint32_t id = 2; id <= SCM_OTHER_DEVS; id++)
		sh->ret[id] = vs_call_dev(fd, c->cmd, id);
	return 0;
}

TEST_F(scm_foreign, foreign_dev_id_enoent)
{
	struct scm_data *d = &self->d;
	struct tk_snap a, b;
	struct tk_why w;

	ASSERT_EQ(0, vs_scm_pass(d, variant->cmd, vs_scm_receiver));
	EXPECT_EQ(0, d->sh->ret[0]);
	EXPECT_EQ(d->a_id, d->sh->val[0]);
	EXPECT_EQ(getpid(), (pid_t)d->sh->val[1]);
	for (uint32_t id = 2; id <= SCM_OTHER_DEVS; id++) {
		EXPECT_EQ(-ENOENT, d->sh->ret[id]) {
			TH_LOG("device id %u", id);
		}
	}
	ASSERT_EQ(0, tk_snap_take(d->a, 16, &a));
	ASSERT_EQ(0, tk_snap_take(d->b, 16, &b));
	EXPECT_EQ(0, tk_snap_cmp(&d->snap_a, &a, &w)) {
		TH_LOG("guest a: %s", w.msg);
	}
	EXPECT_EQ(0, tk_snap_cmp(&d->snap_b, &b, &w)) {
		TH_LOG("guest b: %s", w.msg);
	}
}

/* What the receiver does reaches guest a, never b. */
static int vs_scm_use(void *arg)
{
	struct vs_scm_ctx *c = arg;
	int fd = tk_recv_fd(c->sock);

	if (fd < 0)
		return 10;
	c->d->sh->ret[0] = _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_CCW, 2,
				      "passed", NULL);
	c->d->sh->ret[1] = vs_call_dev(fd, VQNOTIFY_SET_STATUS, 1);
	return 0;
}

TEST_F(scm, passed_fd_changes_own_guest_only)
{
	struct scm_data *d = &self->d;
	struct vqnotify_guest_info gi;
	struct tk_snap b;
	struct tk_why w;

	ASSERT_EQ(0, vs_scm_pass(d, 0, vs_scm_use));
	EXPECT_EQ(0, d->sh->ret[0]);
	EXPECT_EQ(0, d->sh->ret[1]);
	ASSERT_EQ(0, _test_ioctl_guest_get(d->a, &gi));
	EXPECT_EQ(2U, gi.nr_devices);
	EXPECT_EQ(4U, gi.nr_assigned);
	ASSERT_EQ(0, tk_snap_take(d->b, 16, &b));
	EXPECT_EQ(0, tk_snap_cmp(&d->snap_b, &b, &w)) {
		TH_LOG("guest b: %s", w.msg);
	}
}

/*
 * The opener exited; its guest lives on in the fd it passed: GUEST_GET
 * says pid 0, not a number the kernel may give any other process.
 */
TEST_F(scm, owner_pid_0_once_the_opener_is_gone)
{
	struct vqnotify_guest_info gi;
	int sv[2], fd, status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = tk_open(0);
		_exit(fd < 0 || tk_send_fd(sv[1], fd) ? 1 : 0);
	}
	fd = tk_recv_fd(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, _test_ioctl_guest_get(fd, &gi));
	EXPECT_EQ(0U, gi.owner_pid) {
		TH_LOG("the opener %d is gone, the guest names pid %u", pid,
		       gi.owner_pid);
	}
	/* While it lives, the opener: this process. */
	ASSERT_EQ(0, _test_ioctl_guest_get(self->d.a, &gi));
	EXPECT_EQ(getpid(), (pid_t)gi.owner_pid);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* Events of guest a reach the receiver; b's stay with b. */
static int vs_scm_events(void *arg)
{
	struct vs_scm_ctx *c = arg;
	struct vqnotify_event ev[8];
	int fd = tk_recv_fd(c->sock);
	ssize_t n;

	if (fd < 0)
		return 10;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, ev, sizeof(ev));
	c->d->sh->ret[0] = n < 0 ? -errno : (int)n;
	c->d->sh->val[0] = n > 0 ? ev[0].type : 0;
	return 0;
}

TEST_F(scm, passed_fd_reads_own_events_only)
{
	struct scm_data *d = &self->d;
	struct vqnotify_event ev[32];
	uint32_t nr = 0;

	/*
	 * Own limits below the threshold: guest b's 20 queues and guest a's
	 * 4 are all preempted, an event each.
	 */
	ASSERT_EQ(0, _test_ioctl_set_budget(d->b, 1));
	ASSERT_EQ(0, _test_ioctl_set_status(d->a, 1, TK_STATUS_OK, NULL, NULL, &nr));
	ASSERT_EQ(0, _test_ioctl_set_budget(d->a, 3));
	ASSERT_EQ(0, vs_scm_pass(d, 0, vs_scm_events));
	EXPECT_EQ((int)(4 * sizeof(ev[0])), d->sh->ret[0]);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, d->sh->val[0]);
	fcntl(d->b, F_SETFL, O_NONBLOCK);
	EXPECT_EQ((ssize_t)(20 * sizeof(ev[0])), read(d->b, ev, sizeof(ev)));
}

TEST_HARNESS_MAIN
