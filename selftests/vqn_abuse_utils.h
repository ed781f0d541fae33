/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_abuse_utils.h: the toolkit's part for tests that abuse the module
 * (fuzz, failslab, crash, load, security, overflow, fdpass, stress):
 * environment knobs and time (tk_env_ull, tk_now, TK_SET_TIMEOUT), a task
 * blocked in a call (tk_wait_tid, tk_task_state, tk_wait_asleep), running
 * ahead of the per-CPU workqueue (tk_fifo_begin, tk_fifo_end), a
 * seeded PRNG (struct tk_rng, tk_seed, tk_below, tk_chance), the order of
 * a guest's event records (struct tk_seq, tk_seq_check), memory that
 * faults in known ways (tk_ro_page, tk_unmapped_addr, tk_page_before_hole,
 * struct tk_mem), a reader stalled in copy_to_user() (struct tk_stall,
 * tk_stall_start, tk_stall_resolve, tk_stall_end), a "still usable" probe (tk_check_usable), snapshots of
 * a whole guest (struct tk_snap, vqn_check_utils.h), privilege drops (tk_become_nobody,
 * tk_run_as_nobody), results shared with a child (struct tk_shared) and
 * fd passing (tk_send_fd, tk_recv_fd).
 *
 * Built on vqn_utils.h; nothing here asserts, so it runs in forked children
 * too, and reports a failure as -1 plus a reason in a struct tk_why.
 */
#ifndef _VQN_ABUSE_UTILS_H
#define _VQN_ABUSE_UTILS_H

#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>

#include "vqn_utils.h"

#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif

/* Environment knobs, time and a seeded PRNG */

static inline unsigned long long tk_env_ull(const char *name,
					    unsigned long long def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || *end)
		return def;
	return n;
}

/* The state letter of /proc/@tid/stat (a process or a thread), or '?'. */
static inline char tk_task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * The id a new thread stores into @tid (__ATOMIC_RELEASE) once it runs,
 * waited for up to 5 s: 0 if it never did.
 */
static inline pid_t tk_wait_tid(const pid_t *tid)
{
	pid_t t = 0;
	int i;

	for (i = 0; i < 1000 && !t; i++) {
		usleep(5000);
		t = __atomic_load_n(tid, __ATOMIC_ACQUIRE);
	}
	return t;
}

/*
 * Wait up to @ms for task @tid to sleep interruptibly ('S'), as one
 * blocked in poll() or read() does: a fixed sleep instead may end before
 * a descheduled task got there. 'S', or the last state seen.
 */
static inline char tk_wait_asleep(pid_t tid, int ms)
{
	char s = '?';
	int t;

	for (t = 0; t <= ms; t += 5) {
		s = tk_task_state(tid);
		if (s == 'S')
			break;
		usleep(5000);
	}
	return s;
}

/* The calling thread pinned to the CPU it runs on: 0, or -1 with errno. */
static inline int tk_pin_here(void)
{
	int here = sched_getcpu();
	cpu_set_t cpu;

	if (here < 0)
		return -1;
	CPU_ZERO(&cpu);
	CPU_SET(here, &cpu);
	return sched_setaffinity(0, sizeof(cpu), &cpu);
}

/*
 * Ahead of the per-CPU workqueue: pinned to the CPU it runs on (and left
 * pinned) and SCHED_FIFO, so that work a call queues on that CPU
 * (system_wq's, the module's promotion work) runs only after
 * tk_fifo_end(). 0, -errno, or 1 when SCHED_FIFO is refused.
 */
static inline int tk_fifo_begin(void)
{
	struct sched_param rt = { .sched_priority = 1 };

	if (tk_pin_here())
		return -errno;
	return sched_setscheduler(0, SCHED_FIFO, &rt) ? 1 : 0;
}

static inline int tk_fifo_end(void)
{
	struct sched_param other = { 0 };

	return sched_setscheduler(0, SCHED_OTHER, &other) ? -errno : 0;
}

/* splitmix64, so a seed reproduces a run exactly. */
struct tk_rng {
	uint64_t s;
};

static inline uint64_t tk_rand(struct tk_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t tk_below(struct tk_rng *r, uint32_t n)
{
	return n ? (uint32_t)(tk_rand(r) % n) : 0;
}

/* true with probability pct / 100 */
static inline bool tk_chance(struct tk_rng *r, unsigned int pct)
{
	return tk_below(r, 100) < pct;
}

/* Seed from @env, or from the clock; the caller prints it. */
static inline uint64_t tk_seed(const char *env)
{
	struct timespec ts;

	if (getenv(env) && *getenv(env))
		return tk_env_ull(env, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
}

/*
 * The harness's per-test timeout is a compile-time constant; a test whose
 * length comes from the environment moves it from main().
 */
#define TK_SET_TIMEOUT_F(fixture, test, secs) \
	(_##fixture##_##test##_object->timeout = (secs))
#define TK_SET_TIMEOUT(test, secs) (_##test##_object.timeout = (secs))

/* Memory that faults */

static inline unsigned long tk_page_size(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE);
}

/* A read-only page holding a copy of @len bytes of @src (zeroes else). */
static inline void *tk_ro_copy(const void *src, size_t len)
{
	void *p = mmap(NULL, tk_page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (len)
		memcpy(p, src, len);
	mprotect(p, tk_page_size(), PROT_READ);
	return p;
}

#define tk_ro_page() tk_ro_copy(NULL, 0)

/* An address with nothing mapped at it. */
static inline void *tk_unmapped_addr(void)
{
	void *p = mmap(NULL, tk_page_size(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, tk_page_size());
	return p;
}

/* Two pages: the second one unmapped, so a struct can straddle into it. */
static inline void *tk_page_before_hole(void)
{
	char *p = mmap(NULL, 2 * tk_page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + tk_page_size(), tk_page_size());
	memset(p, 0, tk_page_size());
	return p;
}

/*
 * Memory for pointer abuse: @rw is TK_MEM_PAGES pages, read-write and
 * prefaulted; @ro maps the same pages read-only (write a struct through
 * @rw, hand @ro to the kernel); @hole is the page right after @rw, which is
 * unmapped (mmap then munmap), so a buffer ending at @hole is cut short;
 * @none is a large PROT_NONE reservation for "random" user pointers that
 * can never hit live memory.
 */
#define TK_MEM_PAGES	32
#define TK_NONE_SIZE	(1UL << 24)

struct tk_mem {
	size_t page;
	size_t len;
	uint8_t *rw;
	uint8_t *ro;
	uint8_t *hole;
	uint8_t *none;
};

static inline int tk_mem_init(struct tk_mem *m)
{
	uint8_t *base;
	int fd;

	m->page = sysconf(_SC_PAGESIZE);
	m->len = TK_MEM_PAGES * m->page;
	fd = syscall(SYS_memfd_create, "vqn-hostile", 0);
	if (fd < 0 || ftruncate(fd, m->len))
		return -1;
	/* [rw x N][hole][PROT_NONE fence], so nothing lands in the hole. */
	base = mmap(NULL, m->len + 2 * m->page, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	m->rw = mmap(base, m->len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, fd, 0);
	m->ro = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
	m->none = mmap(NULL, TK_NONE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	close(fd);
	if (m->rw == MAP_FAILED || m->ro == MAP_FAILED ||
	    m->none == MAP_FAILED)
		return -1;
	m->hole = m->rw + m->len;
	if (munmap(m->hole, m->page))
		return -1;
	/* Prefault both aliases: no page fault may allocate in a test. */
	memset(m->rw, 0, m->len);
	for (size_t i = 0; i < m->len; i += m->page)
		(void)__atomic_load_n(m->ro + i, __ATOMIC_RELAXED);
	return 0;
}

/* @n bytes that end exactly where the hole begins. */
static inline void *tk_mem_edge(struct tk_mem *m, size_t n)
{
	return m->hole - n;
}

/* A kernel address: access_ok() refuses it. */
#define TK_KERNEL_PTR	0xffffffff81000000ULL

/*
 * A reader stalled in copy_to_user(): a guest of its own (@fd) with events
 * queued (its queues preempted), whose read() into @page faults on a
 * userfaultfd page that never resolves until tk_stall_end() (a FUSE-backed
 * page does the same for any user). @ret is what that read() returned, -2
 * until it did.
 */
struct tk_stall {
	int fd;
	int uffd;
	void *page;
	pthread_t reader;
	bool reading;
	bool resolved;
	ssize_t ret;
};

static inline void *tk_stall_read(void *arg)
{
	struct tk_stall *st = arg;

	st->ret = read(st->fd, st->page, sizeof(struct vqnotify_event));
	return NULL;
}

/*
 * Start @st's reader and return once it faulted: 0; 1 and why when there
 * is no userfaultfd for the caller (a skip); -1 and why when anything else
 * failed. tk_stall_end() either way.
 */
static inline int tk_stall_start(struct tk_stall *st, struct tk_why *w)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	size_t page = sysconf(_SC_PAGESIZE);
	struct uffd_msg msg;
	struct pollfd p;
	uint32_t nr = 0;

	st->fd = -1;
	st->page = NULL;
	st->reading = false;
	st->resolved = false;
	st->ret = -2;
	st->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (st->uffd < 0) {
		tk_fail(w, "no userfaultfd: %s", strerror(errno));
		return 1;
	}
	st->page = mmap(NULL, page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)st->page;
	reg.range.len = page;
	if (ioctl(st->uffd, UFFDIO_API, &api) || st->page == MAP_FAILED ||
	    ioctl(st->uffd, UFFDIO_REGISTER, &reg))
		return tk_fail(w, "userfaultfd: %s", strerror(errno));
	st->fd = tk_open(0);
	if (st->fd < 0 ||
	    _test_ioctl_dev_add(st->fd, VQNOTIFY_TRANSPORT_MMIO, 4, "s", NULL) ||
	    _test_ioctl_set_status(st->fd, 1, TK_STATUS_OK, NULL, NULL, &nr) ||
	    _test_ioctl_set_budget(st->fd, 1))	/* preemptions: events */
		return tk_fail(w, "no guest with events");
	if (pthread_create(&st->reader, NULL, tk_stall_read, st))
		return tk_fail(w, "no thread");
	st->reading = true;
	p = (struct pollfd){ .fd = st->uffd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1 ||
	    read(st->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return tk_fail(w, "the reader did not fault");
	return 0;
}

/*
 * Resolve the fault (once) and let the reader finish, the guest left open:
 * 0, or -errno when the fault could not be resolved. The record the reader
 * took is then in @st->page.
 */
static inline int tk_stall_resolve(struct tk_stall *st)
{
	struct uffdio_zeropage zp = { 0 };
	int ret = 0;

	zp.range.start = (uintptr_t)st->page;
	zp.range.len = sysconf(_SC_PAGESIZE);
	if (st->uffd >= 0 && !st->resolved &&
	    ioctl(st->uffd, UFFDIO_ZEROPAGE, &zp))
		ret = -errno;
	st->resolved = true;
	if (st->reading)
		pthread_join(st->reader, NULL);
	st->reading = false;
	return ret;
}

/*
 * Resolve the fault, whatever happened, let the reader finish and close
 * the guest: 0, or -errno when the fault could not be resolved.
 */
static inline int tk_stall_end(struct tk_stall *st)
{
	int ret = tk_stall_resolve(st);

	if (st->fd >= 0)
		close(st->fd);
	if (st->uffd >= 0)
		close(st->uffd);
	st->fd = st->uffd = -1;
	return ret;
}

/*
 * A guest that went through abuse still works: with its own limit lifted,
 * a new device reaches DRIVER_OK with one result per queue, QUEUE_GET,
 * DEV_GET and SAVE agree, vhost can take and return a queue, and the device
 * goes away again. @max_id bounds the device ids scanned when the guest is
 * full and one device must go first.
 */
static inline int tk_check_usable(int fd, uint32_t max_id, struct tk_why *w)
{
	struct vqnotify_vq_result res[4], r;
	struct vqnotify_vq_info vi[4], v = { 0 };
	struct vqnotify_dev_get dg;
	uint8_t blob[TK_BLOB_MAX];
	uint32_t id, nr = 4, len = sizeof(blob), q, seen = 0;
	int ret;

	ret = _test_ioctl_set_budget(fd, 0);
	if (ret)
		return tk_fail(w, "GUEST_SET budget 0: %s", strerror(-ret));
	ret = _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 4, "usable", &id);
	for (uint32_t old = max_id; ret == -EMFILE && old; old--) {
		if (_test_ioctl_dev_remove(fd, old, NULL, NULL))
			continue;
		ret = _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 4, "usable",
				 &id);
	}
	if (ret)
		return tk_fail(w, "DEV_ADD: %s", strerror(-ret));
	ret = _test_ioctl_set_status(fd, id, TK_STATUS_OK, NULL, res, &nr);
	if (ret)
		return tk_fail(w, "SET_STATUS DRIVER_OK: %s", strerror(-ret));
	if (nr != 4)
		return tk_fail(w, "SET_STATUS DRIVER_OK: %u results for 4 queues",
			       nr);
	for (uint32_t i = 0; i < nr; i++) {
		r = res[i];
		if (r.queue >= 4 || seen & (1U << r.queue))
			return tk_fail(w, "result %u: queue %u", i, r.queue);
		seen |= 1U << r.queue;
		if (r.old_state != VQNOTIFY_VQ_DEASSIGNED ||
		    !((r.new_state == VQNOTIFY_VQ_ASSIGNED &&
		       r.label == VQNOTIFY_LABEL_B &&
		       r.reason == VQNOTIFY_REASON_GRANTED) ||
		      (r.new_state == VQNOTIFY_VQ_DEASSIGNED &&
		       r.label == VQNOTIFY_LABEL_NONE &&
		       (r.reason == VQNOTIFY_REASON_LIMITED ||
			r.reason == VQNOTIFY_REASON_NO_SLOT ||
			r.reason == VQNOTIFY_REASON_HOST_CAP))))
			return tk_fail(w, "queue %u: %u -> %u label %u reason %u after DRIVER_OK",
				       r.queue, r.old_state, r.new_state,
				       r.label, r.reason);
		ret = _test_ioctl_queue_get(fd, id, r.queue, &v);
		/*
		 * A refused queue waits: the host-wide promotion work may
		 * have promoted it (r) since, on behalf of other guests'
		 * calls. Anything else must read back as the result said.
		 */
		if (!ret && r.new_state == VQNOTIFY_VQ_DEASSIGNED &&
		    v.state == VQNOTIFY_VQ_ASSIGNED &&
		    v.reason == VQNOTIFY_REASON_PROMOTED)
			continue;
		if (ret || v.state != r.new_state || v.reason != r.reason)
			return tk_fail(w, "QUEUE_GET %u: %s, state %u reason %u, result said %u %u",
				       r.queue, strerror(-ret), v.state,
				       v.reason, r.new_state, r.reason);
	}
	ret = _test_ioctl_dev_get(fd, id, &dg, vi, 4);
	if (ret || dg.num_queues != 4 || dg.nr_queues != 4 ||
	    dg.status != TK_STATUS_OK || strcmp(dg.label, "usable"))
		return tk_fail(w, "DEV_GET: %s (nq %u status %#x label %.32s)",
			       strerror(-ret), dg.num_queues, dg.status,
			       dg.label);
	ret = _test_ioctl_dev_save(fd, id, blob, &len);
	if (ret || len > sizeof(blob))
		return tk_fail(w, "SAVE: %s, len %u", strerror(-ret), len);
	ret = _test_ioctl_host_notifier(fd, id, 0, true, &r);
	if (ret && ret != -ENOSPC)
		return tk_fail(w, "HOST_NOTIFIER on: %s", strerror(-ret));
	if (!ret) {
		if (r.new_state != VQNOTIFY_VQ_OFFLIMITS)
			return tk_fail(w, "HOST_NOTIFIER on: new state %u",
				       r.new_state);
		ret = _test_ioctl_host_notifier(fd, id, 0, false, &r);
		if (ret)
			return tk_fail(w, "HOST_NOTIFIER off: %s",
				       strerror(-ret));
	}
	for (q = 0; q < 4; q++) {
		ret = _test_ioctl_queue_get(fd, id, q, &v);
		if (ret)
			return tk_fail(w, "QUEUE_GET %u: %s", q,
				       strerror(-ret));
	}
	ret = _test_ioctl_dev_remove(fd, id, NULL, NULL);
	if (ret)
		return tk_fail(w, "DEV_REMOVE: %s", strerror(-ret));
	ret = _test_ioctl_dev_get(fd, id, &dg, NULL, 0);
	if (ret != -ENOENT)
		return tk_fail(w, "DEV_GET after DEV_REMOVE: %s",
			       strerror(-ret));
	return 0;
}

/*
 * The order of one guest's event records, read by one reader: each seq
 * follows the one before, except after an OVERFLOW record (records were
 * lost), where it may jump ahead but never back.
 */
struct tk_seq {
	bool known;
	bool after_overflow;
	uint64_t next;
};

/* 0, or -1 and why when @e is out of order; then @e is the last seen. */
static inline int tk_seq_check(struct tk_seq *s,
			       const struct vqnotify_event *e,
			       struct tk_why *w)
{
	int ret = 0;

	if (s->known && (s->after_overflow ? e->seq < s->next :
					     e->seq != s->next))
		ret = tk_fail(w, "event seq %llu, expected %s%llu",
			      (unsigned long long)e->seq,
			      s->after_overflow ? ">= " : "",
			      (unsigned long long)s->next);
	s->known = true;
	s->next = e->seq + 1;
	s->after_overflow = e->type == VQNOTIFY_EVENT_OVERFLOW;
	return ret;
}

/* Host-wide usage through a throwaway guest. */
static inline int tk_host_usage(uint32_t *used, uint32_t *guests)
{
	struct vqnotify_info info;
	int fd = tk_open(0), ret;

	if (fd < 0)
		return fd;
	ret = _test_ioctl_get_info(fd, &info);
	close(fd);
	if (ret)
		return ret;
	*used = info.host_used;
	*guests = info.nr_guests - 1;	/* not counting the probe */
	return 0;
}

/* Privileges */

#define TK_NOBODY	65534
#define TK_CAP_DAC	(1ULL << CAP_DAC_OVERRIDE)	/* to open /dev/vqnotify */

static inline int tk_capset(uint64_t caps)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	d[0].effective = d[0].permitted = (uint32_t)caps;
	d[1].effective = d[1].permitted = caps >> 32;
	return syscall(SYS_capset, &h, d);
}

static inline int tk_capget(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/*
 * Become uid/gid 65534 without supplementary groups, with only @keep among
 * the capabilities (effective and permitted), an empty bounding set except
 * @keep, no ambient capabilities, and no_new_privs.
 */
static inline int tk_become_nobody(uint64_t keep)
{
	uint64_t eff, perm;
	int last = 40;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = 40;
		fclose(f);
	}
	for (int c = 0; c <= last; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -1;
	if (setgroups(0, NULL) || setresgid(TK_NOBODY, TK_NOBODY, TK_NOBODY) ||
	    setresuid(TK_NOBODY, TK_NOBODY, TK_NOBODY))
		return -1;
	if (tk_capset(keep) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (tk_capget(&eff, &perm) || eff != keep || perm != keep ||
	    getuid() != TK_NOBODY || geteuid() != TK_NOBODY || getgid() != TK_NOBODY ||
	    getgroups(0, NULL) != 0)
		return -1;
	return 0;
}

/*
 * Run @fn as nobody (keeping @keep) in a child; returns its exit status,
 * 100 when dropping privileges failed, -1 when it died.
 */
static inline int tk_run_as_nobody(uint64_t keep, int (*fn)(void *),
				   void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (tk_become_nobody(keep))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* What an unprivileged child saw, for the parent to judge. */
struct tk_shared {
	int ret[16];
	uint32_t val[16];
	char why[512];
};

static inline struct tk_shared *tk_shared_new(void)
{
	struct tk_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED)
		return NULL;
	for (unsigned int i = 0; i < TK_ARRAY_SIZE(sh->ret); i++)
		sh->ret[i] = 1;	/* "never ran" */
	return sh;
}

/* Pass an fd over a unix socket (SCM_RIGHTS): 0 or -1; the fd, or -1. */

static inline int tk_send_fd(int sock, int fd)
{
	char c = 'F';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static inline int tk_recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

#endif /* _VQN_ABUSE_UTILS_H */
