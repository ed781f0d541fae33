// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_admin_test: what only the admin changes, through the generic netlink
 * family, as seen by the guest: admin budget, vhost reserve, host cap and
 * threshold.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "vqn_utils.h"
#include "vqn_nl_utils.h"

/*
 * What only the admin can change, through the generic netlink family:
 * a guest's admin budget (with its BUDGET event), a vhost reserve, the
 * threshold and the host-wide cap. Host-wide settings are put back in
 * teardown. Skipped when the family or CAP_NET_ADMIN is missing.
 */
FIXTURE(admin) {
	int fd;
	struct vqnotify_info info;
	long host0;
	struct vqnotify_guest_info gi;
	struct tk_nl nl;
};

FIXTURE_SETUP(admin)
{
	int ret;

	self->nl.fd = -1;
	tk_setup_guest(self);
	test_cmd_guest_get(&self->gi);
	/* The module is loaded (tk_setup_guest()): its family must be. */
	ret = tk_nl_open(&self->nl);
	ASSERT_EQ(0, ret) TH_LOG("genetlink family %s: %s",
				 VQNOTIFY_FAMILY_NAME, strerror(-ret));
	/* A no-op admin request tells whether we may. */
	ret = _test_nl_guest_set(&self->nl, self->gi.guest_id,
			       self->gi.budget, -1);
	if (ret == -EPERM)
		SKIP(return, "no CAP_NET_ADMIN");
	ASSERT_EQ(0, ret);
	/* It was announced: drop that BUDGET event. */
	ASSERT_EQ(1, tk_read_events(self->fd,
				     (struct vqnotify_event[2]){}, 2));
}

FIXTURE_TEARDOWN(admin)
{
	struct vqnotify_info now;

	if (self->nl.fd >= 0 && !_test_ioctl_get_info(self->fd, &now)) {
		if (now.host_cap != self->info.host_cap)
			_test_nl_config_set_one(&self->nl, VQNOTIFY_A_CONFIG_HOST_CAP,
					  self->info.host_cap);
		if (now.threshold != self->info.threshold)
			_test_nl_config_set_one(&self->nl,
					  VQNOTIFY_A_CONFIG_THRESHOLD,
					  self->info.threshold);
	}
	/* uid_policy_*: the policy of our uid, if a failure left it behind. */
	if (self->nl.fd >= 0)
		_test_nl_policy_del(&self->nl, NULL, geteuid());
	tk_nl_close(&self->nl);
	if (self->fd >= 0)
		close(self->fd);
}

static void expect_budget_ev(struct __test_metadata *_metadata, int line,
			     const struct vqnotify_event *e, uint32_t value)
{
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, e->type)
		TH_LOG("line %d: event type", line);
	EXPECT_EQ(value, e->value) TH_LOG("line %d: budget", line);
	EXPECT_EQ(0U, e->dev_id) TH_LOG("line %d", line);
	EXPECT_EQ(0U, e->label) TH_LOG("line %d", line);
}

#define EXPECT_BUDGET_EV(e, v) expect_budget_ev(_metadata, __LINE__, &(e), v)

/*
 * The admin's budget and the VMM's own limit: the smaller applies. An
 * admin change preempts like an own one, and is announced by an event.
 */
TEST_F(admin, guest_budget)
{
	uint32_t n = tk_budget_above(&self->info, 5), b = n - 3, id, i;
	uint32_t gid = self->gi.guest_id;
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;

	test_cmd_nl_guest_set(gid, -1, 0);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, n, NULL, &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_guest_get(&gi);
	ASSERT_EQ(n, gi.nr_assigned);
	/* The reserve setting above sent its BUDGET event. */
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 16));
	EXPECT_BUDGET_EV(ev[0], self->gi.budget);

	/* Admin lowers: (p) newest first, then the BUDGET event. */
	test_cmd_nl_guest_set(gid, b, -1);
	ASSERT_EQ(4, tk_read_events(self->fd, ev, 16));
	for (i = 0; i < 3; i++)
		EXPECT_EV(ev[i], id, n - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
	EXPECT_BUDGET_EV(ev[3], b);
	EXPECT_EQ(ev[0].seq + 3, ev[3].seq);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(b, gi.budget);
	EXPECT_EQ(b, gi.used);

	/* The own limit below the admin's wins. */
	test_cmd_set_budget(b - 1);
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 16));
	EXPECT_EV(ev[0], id, n - 4, ASSIG, DEASS, L(P), R(PREEMPT_BUDGET));
	/* Admin raises, but the own limit still holds: no promotion. */
	test_cmd_nl_guest_set(gid, 1000, -1);
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 16));
	EXPECT_BUDGET_EV(ev[0], b - 1);
	/* Own limit lifted: the admin's budget, and FIFO promotion. */
	test_cmd_set_budget(0);
	ASSERT_EQ(4, tk_read_events(self->fd, ev, 16));
	for (i = 0; i < 4; i++)
		EXPECT_EV(ev[i], id, n - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
	test_cmd_guest_get(&gi);
	EXPECT_EQ(1000U, gi.budget);
	EXPECT_EQ(n, gi.nr_assigned);
	CHECK_COUNTS(self->fd, "a%u b%u p4 r4", n, n);
}

/*
 * A vhost reserve: userspace leaves it free, vhost takes it without
 * preempting, and vhost holding queues shrinks what is left of it.
 */
TEST_F(admin, vhost_reserve)
{
	uint32_t n = self->info.threshold + 5, id, q, rsv = 3;
	struct vqnotify_vq_result r;
	struct vqnotify_event ev[8];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;

	test_cmd_set_budget(n);
	test_cmd_nl_guest_set(self->gi.guest_id, -1, 0);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, n, NULL, &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	(void)tk_read_events(self->fd, ev, 8);

	/* Setting the reserve preempts userspace to make room for it. */
	test_cmd_nl_guest_set(self->gi.guest_id, -1, rsv);
	ASSERT_EQ((int)rsv + 1, tk_read_events(self->fd, ev, 8));
	for (q = 0; q < rsv; q++)
		EXPECT_EV(ev[q], id, n - 1 - q, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
	EXPECT_BUDGET_EV(ev[rsv], n);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(rsv, gi.vhost_reserve);
	EXPECT_EQ(n - rsv, gi.used);
	EXPECT_EQ(rsv, gi.nr_waiting);

	/* vhost takes a reserved slot: (c), no preemption, no promotion. */
	test_cmd_host_notifier(id, n - 1, true, &r);
	EXPECT_RES(r, n - 1, DEASS, OFFL, L(C), R(VHOST));
	EXPECT_NO_EVENTS(self->fd);

	/*
	 * (d) on a userspace queue: one more slot in vhost's hands, so one
	 * less reserved, and the oldest waiting queue is promoted (r).
	 */
	test_cmd_host_notifier(id, 0, true, &r);
	EXPECT_RES(r, 0, ASSIG, OFFL, L(D), R(VHOST));
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 8));
	EXPECT_EV(ev[0], id, n - 2, DEASS, ASSIG, L(R), R(PROMOTED));
	vi = EXPECT_VQ(self->fd, id, n - 3, DEASS, R(PREEMPT_BUDGET), L(P));
	EXPECT_EQ(INIT | WAIT, vi.flags);

	/* The last reserved slot is vhost's too. */
	test_cmd_host_notifier(id, n - 3, true, &r);
	EXPECT_RES(r, n - 3, DEASS, OFFL, L(C), R(VHOST));
	EXPECT_NO_EVENTS(self->fd);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(n, gi.used);
	EXPECT_EQ(3U, gi.nr_offlimits);
	EXPECT_EQ(0U, gi.nr_waiting);
	test_check_guest(self->fd, &id, 1);
}

/*
 * The host-wide cap: (b) refuses HOST_CAP and the queues wait; vhost still
 * gets a slot by preempting its own guest, else ENOSPC; a slot freed by
 * another guest, and a raised cap, promote the waiting queues (r) from the
 * module's worker, asynchronously.
 */
TEST_F(admin, host_cap)
{
	struct vqnotify_vq_result res[4];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct vqnotify_event ev[8];
	struct vqnotify_guest_info gi;
	uint32_t id, vh, other, q, nr = 4;
	long base = tk_host_used(self->fd);
	int fd2, fd3;

	ASSERT_LE(0, base);
	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_HOST_CAP, base + 3);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd2, VQNOTIFY_TRANSPORT_MMIO, 1, NULL,
				 &other));
	ASSERT_EQ(0, _test_ioctl_set_status(fd2, other, TK_STATUS_OK, NULL, NULL,
				    NULL));

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, NULL, &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		if (q < 2) {
			EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
			continue;
		}
		EXPECT_WAITING(self->fd, res[q], id, q, R(HOST_CAP));
	}
	EXPECT_EQ(base + 3, tk_host_used(self->fd));

	/* vhost at the cap: the guest's own newest grant makes room. */
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 1, NULL, &vh);
	test_cmd_host_notifier(vh, 0, true, NULL);
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 8));
	EXPECT_EV(ev[0], id, 1, ASSIG, DEASS, L(P), R(PREEMPT_VHOST));
	/* ...and a guest with nothing to preempt gets ENOSPC. */
	fd3 = tk_open(0);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd3, VQNOTIFY_TRANSPORT_MMIO, 1, NULL, &q));
	EXPECT_NO_CHANGE(fd3, &q, 1, -ENOSPC,
			 _test_ioctl_host_notifier(fd3, q, 0, true, NULL));
	close(fd3);

	/* Another guest frees a slot: the oldest waiting queue gets it. */
	close(fd2);
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("no promotion after close");
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 8));
	EXPECT_EV(ev[0], id, 2, DEASS, ASSIG, L(R), R(PROMOTED));

	/* The cap is raised: the rest follow, FIFO. */
	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_HOST_CAP,
				   self->info.host_cap);
	for (q = 0; q < 2; ) {
		int n;

		ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("promotion %u", q);
		n = tk_read_events(self->fd, ev + q, 2 - q);
		ASSERT_LT(0, n);
		q += n;
	}
	EXPECT_EV(ev[0], id, 3, DEASS, ASSIG, L(R), R(PROMOTED));
	EXPECT_EV(ev[1], id, 1, DEASS, ASSIG, L(R), R(PROMOTED));
	test_cmd_guest_get(&gi);
	EXPECT_EQ(4U, gi.nr_assigned);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(base + 5, tk_host_used(self->fd));
}

/* The admin raises the threshold above the budget: limited at once. */
TEST_F(admin, threshold)
{
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;
	uint32_t id, q, thr = self->info.threshold;

	test_cmd_set_budget(thr + 2);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_CCW, 4, NULL, &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 0, true, NULL);
	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_THRESHOLD, thr + 3);
	ASSERT_EQ(4, tk_read_events(self->fd, ev, 16));
	for (q = 0; q < 3; q++)
		EXPECT_EV(ev[q], id, 3 - q, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
	EXPECT_BUDGET_EV(ev[3], thr + 2);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(thr + 3, gi.threshold);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	/* vhost's queue is not touched; the preempted ones wait. */
	EXPECT_VQ(self->fd, id, 0, OFFL, R(VHOST), L(D));
	EXPECT_EQ(1U, gi.used);
	EXPECT_EQ(3U, gi.nr_waiting);

	/* The threshold back: promoted in the order they were preempted. */
	test_cmd_nl_config_set_one(VQNOTIFY_A_CONFIG_THRESHOLD, thr);
	ASSERT_EQ(4, tk_read_events(self->fd, ev, 16));
	for (q = 0; q < 3; q++)
		EXPECT_EV(ev[q], id, 3 - q, DEASS, ASSIG, L(R), R(PROMOTED));
	EXPECT_BUDGET_EV(ev[3], thr + 2);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(0U, gi.out_flags);
	EXPECT_EQ(4U, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
}

/*
 * A uid policy's quota limits are the user's, not its guests' budgets:
 * setting one alone leaves every guest's budget as it is, the one the admin
 * gave a guest with GUEST_SET included (it stands until the admin's next
 * policy budget or reserve for the guest). The guest is root's: the
 * policy of uid 0, deleted at the end.
 */
TEST_F(admin, uid_policy_limits_keep_the_admins_guest_budget)
{
	uint32_t gid = self->gi.guest_id, uid = geteuid();
	struct tk_nl_guest g;

	test_cmd_nl_policy_set(NULL, uid, 64, -1);
	test_cmd_nl_guest_get(gid, &g);
	EXPECT_EQ(64, g.budget);
	test_cmd_nl_guest_set(gid, 2, -1);
	test_cmd_nl_guest_get(gid, &g);
	EXPECT_EQ(2, g.budget);

	test_cmd_nl_policy_set_one(NULL, uid, VQNOTIFY_A_POLICY_MAX_SLOTS,
				   100000);
	test_cmd_nl_guest_get(gid, &g);
	EXPECT_EQ(2, g.budget);
	EXPECT_EQ(2, g.admin_budget);

	/* The admin's next policy budget for it applies in full. */
	test_cmd_nl_policy_set(NULL, uid, 64, -1);
	test_cmd_nl_guest_get(gid, &g);
	EXPECT_EQ(64, g.budget);
	test_cmd_nl_policy_del(NULL, uid);
}

/*
 * What the admin's changes of limits cost a guest's memory, in two memory
 * cgroups of the test's own, "opener" and "admin" (named with the test's
 * pid), on a cgroup2 mount of its own: the one hierarchy mounted again in a
 * temporary directory, the host's mounts untouched, unmounted in teardown.
 * The memory controller is enabled at the root only if it was not, and
 * disabled again then. Skipped without cgroup2's memory controller (a
 * cgroup v1 hierarchy holding it), without the genetlink family, or
 * without CAP_NET_ADMIN.
 */
FIXTURE(admin_memcg) {
	int fd;
	struct tk_nl nl;
	char mnt[32];
	char opener[96], admin[96];
	bool mounted, memory_enabled;
};

static int cg_enter(const char *dir)
{
	char path[128], pid[16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return tk_write_file(path, pid);
}

/* memory.stat's "kernel" bytes of the cgroup at @dir, or -1. */
static long cg_kernel(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	return tk_file_long(path, "kernel %ld");
}

/*
 * The "kernel" bytes of the cgroup at @dir once they exceed @from by @by,
 * or after 30 s (a flush shows them: memcg statistics flush every 2 s,
 * when the flush work gets to run); -1 on error.
 */
static long cg_kernel_grown(const char *dir, long from, long by)
{
	long v = -1;
	int i;

	for (i = 0; i < 300; i++) {
		v = cg_kernel(dir);
		if (v < 0 || v - from >= by)
			break;
		usleep(100 * 1000);
	}
	return v;
}

FIXTURE_SETUP(admin_memcg)
{
	char path[64], ctl[256];
	int ret;

	self->fd = -1;
	self->nl.fd = -1;
	ret = tk_nl_open(&self->nl);
	if (ret)
		SKIP(return, "genetlink family %s: %s", VQNOTIFY_FAMILY_NAME,
		     strerror(-ret));
	strcpy(self->mnt, "/tmp/vqn-cg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	if (mount("cgroup2", self->mnt, "cgroup2", 0, NULL))
		SKIP(return, "cgroup2: %s", strerror(errno));
	self->mounted = true;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", self->mnt);
	ASSERT_EQ(0, tk_read_file(path, ctl, sizeof(ctl)));
	if (!strstr(ctl, "memory")) {
		ret = tk_write_file(path, "+memory");
		if (ret)
			SKIP(return, "cgroup2 memory controller: %s",
			     strerror(-ret));
		self->memory_enabled = true;
	}
	snprintf(self->opener, sizeof(self->opener), "%s/vqn-opener-%d",
		 self->mnt, getpid());
	snprintf(self->admin, sizeof(self->admin), "%s/vqn-admin-%d",
		 self->mnt, getpid());
	ASSERT_EQ(0, mkdir(self->opener, 0755));
	ASSERT_EQ(0, mkdir(self->admin, 0755));
}

FIXTURE_TEARDOWN(admin_memcg)
{
	char path[64];

	if (self->fd >= 0)
		close(self->fd);
	tk_nl_close(&self->nl);
	if (self->mounted) {
		cg_enter(self->mnt);
		rmdir(self->opener);
		rmdir(self->admin);
		if (self->memory_enabled) {
			snprintf(path, sizeof(path), "%s/cgroup.subtree_control",
				 self->mnt);
			tk_write_file(path, "-memory");
		}
		umount2(self->mnt, MNT_DETACH);
	}
	rmdir(self->mnt);
}

/*
 * A guest's event ring grows as its events queue up, in the context of
 * whoever made them: here the admin, a BUDGET event for each change of the
 * guest's limits. The memory is the guest's: charged to the memory cgroup
 * of the process that opened it, not to the admin's (nor, for the module's
 * promotion work, to nobody). The guest is opened from "opener", the
 * admin's 200 changes come from "admin": the ring grows from 8 records to
 * 256 (8 KiB), and the opener's "kernel" memory grows by it.
 */
/*
 * cg_kernel_grown() may wait 30 s, the harness's default: 60 s each (the
 * binary's tests then add up to 270 s, within the rig's 300 s).
 */
TEST_F_TIMEOUT(admin_memcg, ring_grown_by_admin_charged_to_opener, 60)
{
	struct vqnotify_event ev[256];
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;
	long o0, o1, a0, a1;
	int i, ret;

	ASSERT_EQ(0, cg_enter(self->opener));
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, cg_enter(self->admin));
	ASSERT_EQ(0, _test_ioctl_get_info(self->fd, &info));
	if (info.event_depth < 256)
		SKIP(return, "event_depth %u: the ring cannot reach 8 KiB",
		     info.event_depth);
	ASSERT_EQ(0, _test_ioctl_guest_get(self->fd, &gi));
	/* A no-op admin request tells whether we may; drop its event. */
	ret = _test_nl_guest_set(&self->nl, gi.guest_id, gi.budget, -1);
	if (ret == -EPERM)
		SKIP(return, "no CAP_NET_ADMIN");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 2));

	/* memcg statistics flush every 2 s */
	usleep(2500 * 1000);
	o0 = cg_kernel(self->opener);
	a0 = cg_kernel(self->admin);
	ASSERT_LE(0, o0);
	ASSERT_LE(0, a0);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, _test_nl_guest_set(&self->nl, gi.guest_id,
						1000 + i % 2, -1));
	o1 = cg_kernel_grown(self->opener, o0, 4096);
	a1 = cg_kernel(self->admin);
	ASSERT_LE(0, o1);
	ASSERT_LE(0, a1);
	/* Every event queued: the ring has grown to 256 records. */
	EXPECT_EQ(200, tk_read_events(self->fd, ev, 256));
	/*
	 * The admin's side is only logged: its own reads of memory.stat and
	 * netlink requests move it by a page or so either way.
	 */
	TH_LOG("kernel memory: opener %+ld B, admin %+ld B", o1 - o0, a1 - a0);
	EXPECT_LE(4096, o1 - o0);
}

/*
 * What a guest holds for the calls group, the transitions nobody called
 * for (one array of 256 results, allocated on the first), is the guest's
 * too. With a listener on "calls", the admin cuts the guest's budget from
 * 16 to 15: one of its queues is preempted (p), and the array (over 2 KiB,
 * so a page at least) is allocated in the admin's context, charged to the
 * opener. Its ring does not grow meanwhile (three events of eight). On one
 * CPU: the admin's own allocations then replace any of the opener's
 * precharged bytes there before the first reading, so the array cannot be
 * served from them.
 */
TEST_F_TIMEOUT(admin_memcg, held_results_charged_to_opener, 60)
{
	struct vqnotify_vq_result res[16];
	struct vqnotify_event ev[8];
	struct vqnotify_guest_info gi;
	struct tk_nl mon;
	long o0, o1, a0, a1;
	uint32_t dev, nr = 16, i, assigned = 0;
	cpu_set_t one;
	int ret;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, cg_enter(self->opener));
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 16, "held", &dev);
	ASSERT_EQ(0, cg_enter(self->admin));
	ASSERT_EQ(0, _test_ioctl_guest_get(self->fd, &gi));
	ret = _test_nl_guest_set(&self->nl, gi.guest_id, 16, -1);
	if (ret == -EPERM)
		SKIP(return, "no CAP_NET_ADMIN");
	ASSERT_EQ(0, ret);
	test_cmd_set_status(dev, TK_STATUS_OK, NULL, res, &nr);
	for (i = 0; i < nr; i++)
		assigned += res[i].new_state == VQNOTIFY_VQ_ASSIGNED;
	ASSERT_EQ(16U, assigned);
	ASSERT_EQ(0, tk_nl_open_calls(&mon));

	/* memcg statistics flush every 2 s */
	usleep(2500 * 1000);
	o0 = cg_kernel(self->opener);
	a0 = cg_kernel(self->admin);
	ASSERT_LE(0, o0);
	ASSERT_LE(0, a0);
	ASSERT_EQ(0, _test_nl_guest_set(&self->nl, gi.guest_id, 15, -1));
	o1 = cg_kernel_grown(self->opener, o0, 2048);
	a1 = cg_kernel(self->admin);
	ASSERT_LE(0, o1);
	ASSERT_LE(0, a1);
	/* The preemption was held, then sent: one CALL_NTF. */
	EXPECT_EQ(1, tk_nl_drain(&mon, NULL, NULL, NULL));
	tk_nl_close(&mon);
	/* Two BUDGET events and the (p): the ring kept its 8 records. */
	EXPECT_EQ(3, tk_read_events(self->fd, ev, 8));
	TH_LOG("kernel memory: opener %+ld B, admin %+ld B", o1 - o0, a1 - a0);
	EXPECT_LE(2048, o1 - o0);
}

TEST_HARNESS_MAIN
