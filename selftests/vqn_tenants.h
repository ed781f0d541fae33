/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the many-tenants tests (vqn_tenants_test.c and
 * vqn_tenants_load_test.c): users of the kvm group as a udev host has
 * them, processes that act as one of them step by step, and what the
 * admin puts back after a test.
 *
 * Built on the toolkit: vqn_utils.h for the ioctls, vqn_nl_utils.h for
 * the admin's netlink requests (their extack message in nl->ext_msg),
 * vqn_abuse_utils.h for time and environment knobs.
 */
#ifndef _VQN_TENANTS_H
#define _VQN_TENANTS_H

#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

/* The two tenants: a hostile one and a well-behaved VMM. */
#define TN_HOSTILE	65534
#define TN_VMM		65533
#define TN_FDS		16384

/* The kvm group of /etc/group (the rig's init has one), else 36. */
static inline gid_t tn_kvm_gid(void)
{
	char line[256];
	gid_t gid = 36;
	FILE *f = fopen("/etc/group", "r");

	if (!f)
		return gid;
	while (fgets(line, sizeof(line), f)) {
		unsigned int g;

		if (sscanf(line, "kvm:%*[^:]:%u:", &g) == 1 ||
		    sscanf(line, "kvm::%u:", &g) == 1) {
			gid = g;
			break;
		}
	}
	fclose(f);
	return gid;
}

/* As the udev rule leaves it: root:kvm 0660. */
static inline int tn_dev_setup(void)
{
	if (chown(TK_DEV_PATH, 0, tn_kvm_gid()) || chmod(TK_DEV_PATH, 0660))
		return -errno;
	return 0;
}

/*
 * Become @uid, group @uid, with kvm as the only supplementary group: a
 * VMM of the kvm group, without capabilities (setresuid from root to
 * non-root clears them). Many files may be open, as a VMM's can.
 */
static inline int tn_become(uid_t uid)
{
	struct rlimit rl = { TN_FDS, TN_FDS };
	gid_t kvm = tn_kvm_gid();

	if (setrlimit(RLIMIT_NOFILE, &rl) || setgroups(1, &kvm) ||
	    setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	return geteuid() == uid ? 0 : -1;
}

/*
 * A process acting as one user, step by step: tn_step() sends it a step
 * number, it runs @fn(@arg, step) and answers with the result (0..255);
 * its files stay open between steps. Step 0 ends it.
 */
struct tn_agent {
	pid_t pid;
	int cmd;
	int res;
};

static inline int tn_agent_start(struct tn_agent *a, uid_t uid,
				 int (*fn)(void *arg, int step), void *arg)
{
	int c[2], r[2];

	if (pipe(c) || pipe(r))
		return -1;
	a->pid = fork();
	if (a->pid < 0)
		return -1;
	if (!a->pid) {
		unsigned char step, ret;

		close(c[1]);
		close(r[0]);
		if (tn_become(uid))
			_exit(100);
		while (read(c[0], &step, 1) == 1 && step) {
			ret = fn(arg, step);
			if (write(r[1], &ret, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(c[0]);
	close(r[1]);
	a->cmd = c[1];
	a->res = r[0];
	return 0;
}

/* Run step @step: its result, or -1 when the agent died. */
static inline int tn_step(struct tn_agent *a, int step)
{
	unsigned char s = step, ret;

	if (write(a->cmd, &s, 1) != 1 || read(a->res, &ret, 1) != 1)
		return -1;
	return ret;
}

static inline void tn_agent_stop(struct tn_agent *a)
{
	if (a->pid <= 0)
		return;
	close(a->cmd);
	close(a->res);
	waitpid(a->pid, NULL, 0);
	a->pid = 0;
}

/* Run @fn(@arg, 1) as @uid in a child and return its result. */
static inline int tn_run_as(uid_t uid, int (*fn)(void *arg, int step),
			    void *arg)
{
	struct tn_agent a;
	int ret;

	if (tn_agent_start(&a, uid, fn, arg))
		return -1;
	ret = tn_step(&a, 1);
	tn_agent_stop(&a);
	return ret;
}

/* This thread on CPU @cpu alone. */
static inline void tn_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Memory the agents write their findings to. */
static inline void *tn_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The calling thread's time on a CPU and waiting for one, in s; @fd is its
 * open /proc/thread-self/schedstat (opened by this thread); -1: unknown.
 * The time on a CPU is the thread's CPU clock: schedstat's first field is
 * brought up to date only at the scheduler's next tick or switch, which
 * under the emulator can be milliseconds late.
 */
static inline double tn_sched_time_fd(int fd)
{
	unsigned long long run, wait;
	struct timespec cpu;
	char buf[96];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0 || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu))
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return -1;
	return cpu.tv_sec + cpu.tv_nsec / 1e9 + wait / 1e9;
}

/* This thread's time on a CPU and waiting for one, in s; -1: unknown. */
static inline double tn_sched_time(void)
{
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	double t;

	if (fd < 0)
		return -1;
	t = tn_sched_time_fd(fd);
	close(fd);
	return t;
}

/* The admin's side */

/* Put the settings of @c back, and the per-user limits to their defaults. */
static inline int tn_config_restore(struct tk_nl *nl,
				    const struct tk_nl_config *c)
{
	int ret = _test_nl_config_set(nl, c);

	for (int a = VQNOTIFY_A_CONFIG_USER_MAX_GUESTS;
	     !ret && a <= VQNOTIFY_A_CONFIG_USER_MAX_SLOTS; a++)
		ret = _test_nl_config_set_one(nl, a, 0);
	return ret;
}

/*
 * Promotion is asynchronous: wait up to @secs seconds for the host to use
 * @want slots. 0 with what it uses in *@used, or CONFIG_GET's error.
 */
static inline int tn_wait_host_used(struct tk_nl *nl, int64_t want,
				    int secs, int64_t *used)
{
	struct tk_nl_config c;
	int t, ret;

	for (t = 0; t < secs * 100; t++) {
		ret = _test_nl_config_get(nl, &c);
		if (ret)
			return ret;
		*used = c.host_used;
		if (c.host_used == want)
			break;
		usleep(10000);
	}
	return 0;
}

/* The guests of one uid, as a dump shows them to the admin. */
struct tn_guests {
	uint32_t n;
	uint32_t nr_assigned;	/* summed */
	uint32_t nr_waiting;	/* summed */
	uint32_t budget;	/* of the last one */
};

static inline int tn_guests_of(struct tk_nl *nl, uid_t uid,
			       struct tn_guests *tg)
{
	static struct tk_nl_guests gr;
	int ret = _test_nl_guest_dump(nl, &gr);

	memset(tg, 0, sizeof(*tg));
	if (!ret && gr.n < (int)gr.nr_ids)
		return -E2BIG;		/* more guests than gr.g[] holds */
	for (int i = 0; !ret && i < gr.n; i++) {
		if (gr.g[i].uid != uid)
			continue;
		tg->n++;
		tg->nr_assigned += gr.g[i].nr_assigned;
		tg->nr_waiting += gr.g[i].nr_waiting;
		tg->budget = gr.g[i].budget;
	}
	return ret;
}

/* DRIVER_OK on device @dev: 0 or -errno; its results counted by reason. */
static inline int tn_dev_ok(int fd, uint32_t dev, uint32_t *granted,
			    uint32_t *quota, uint32_t *host_cap)
{
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	uint32_t nr = VQNOTIFY_MAX_QUEUES;
	int ret;

	ret = _test_ioctl_set_status(fd, dev, TK_STATUS_OK, NULL, res, &nr);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < nr; i++) {
		if (res[i].new_state == VQNOTIFY_VQ_ASSIGNED && granted)
			(*granted)++;
		if (res[i].reason == VQNOTIFY_REASON_QUOTA && quota)
			(*quota)++;
		if (res[i].reason == VQNOTIFY_REASON_HOST_CAP && host_cap)
			(*host_cap)++;
	}
	return 0;
}

/* A DRIVER_OK device of @nq queues: 0 or -errno; counts by reason. */
static inline int tn_dev_up(int fd, uint32_t nq, uint32_t *id,
			    uint32_t *granted, uint32_t *quota,
			    uint32_t *host_cap)
{
	uint32_t dev;
	int ret;

	ret = _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, nq, "t", &dev);
	if (ret)
		return ret;
	if (id)
		*id = dev;
	return tn_dev_ok(fd, dev, granted, quota, host_cap);
}

/* A guest's lock kept busy: DRIVER_OK and reset of device @dev, for ever. */
static inline void tn_busy_calls(int fd, uint32_t dev)
{
	for (;;) {
		_test_ioctl_set_status(fd, dev, TK_STATUS_OK, NULL, NULL, NULL);
		_test_ioctl_dev_reset(fd, dev, NULL, NULL);
	}
}

/*
 * A tenant's load in a process group of its own (setpgid(0, 0)), its
 * processes forked: tell the test it runs (*@ready 1), close the guest's
 * @fd in this process and reap them, as SIGTERM to the group ends them;
 * when this process exits, every file of the tenant is closed.
 */
static inline void tn_group_run(int *ready, int fd)
{
	signal(SIGTERM, SIG_IGN);
	__atomic_store_n(ready, 1, __ATOMIC_RELEASE);
	close(fd);
	while (wait(NULL) > 0)
		;
	_exit(0);
}

/* It could not start: *@ready -1, and the group ends, this process too. */
static inline void tn_group_fail(int *ready)
{
	__atomic_store_n(ready, -1, __ATOMIC_RELEASE);
	kill(0, SIGKILL);
	_exit(1);
}

#endif /* _VQN_TENANTS_H */
