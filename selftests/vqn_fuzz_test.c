// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzer for /dev/vqnotify (and the vqnotify generic netlink family when it
 * is there).
 *
 * VQN_FUZZ_PROCS processes (default 4) each own two guests and share a
 * third one, and for VQN_FUZZ_SECONDS (default 60) throw at them: valid
 * lifecycle traffic, the same structures mutated (sizes from 0 to twice the
 * structure and 0xffffffff, non-zero tails, flags, reserved fields, ids,
 * queue indexes, counts, labels, status bytes), the structure itself and
 * every user pointer in it aimed at unmapped memory, at a read-only mapping,
 * at a buffer cut short by an unmapped page, at kernel and non-canonical
 * addresses; random command numbers; read() with every size and pointer;
 * poll(); write(), mmap() and lseek(); netlink messages, random and valid.
 *
 * Every error must be one the uAPI documents. Events read from a guest only
 * its own process uses must be well formed and consecutive in seq unless an
 * OVERFLOW record came. At the end each guest must satisfy the accounting
 * invariants (GUEST_GET used == nr_assigned + nr_offlimits; the queue
 * states of DEV_GET add up to the counters) and still work, and once every
 * fuzzer is gone the host-wide used count and guest count must be back
 * where they started.
 *
 * Reproducible: VQN_FUZZ_SEED=<seed> repeats a run's choices (each process
 * derives its own stream from it); VQN_FUZZ_PROCS=1 VQN_FUZZ_ITERS=<n>
 * repeats one process's exact sequence. A failure prints the seed.
 */
#define _GNU_SOURCE
#include "vqn_fuzz.h"
#include "vqn_fuzz_fops.h"
#include "vqn_fuzz_ioctl.h"
#include "vqn_fuzz_netlink.h"

static void fz_run(struct fz *f)
{
	while (!f->rep->failed && tk_now() < f->deadline &&
	       (!f->max_iters || f->rep->iters < f->max_iters)) {
		unsigned int pick = tk_below(&f->rng, 1000);

		f->rep->iters++;
		if (pick < 350)
			fz_drive(f);
		else if (pick < 800)
			fz_ioctl(f, true);
		else if (pick < 850)
			fz_ioctl(f, false);
		else if (pick < 930)
			fz_read(f);
		else if (pick < 960)
			fz_poll(f);
		else if (pick < 970)
			fz_other_fops(f);
		else if (pick < 975)
			fz_reopen(f);
		else if (f->have_nl)
			fz_netlink(f);
	}
}

/* One fuzzer process; its verdict goes to its report. */
static void fz_child(struct fz_shared *sh, int idx, int shared_fd,
		     uint64_t seed, double seconds, uint64_t max_iters)
{
	struct fz f = { 0 };
	struct tk_why w;
	int i;

	f.sh = sh;
	f.rep = &sh->rep[idx];
	f.rep->seed = seed;
	f.rng.s = seed + idx * 0x632be59bd9b4e019ULL;
	f.deadline = tk_now() + seconds;
	f.max_iters = max_iters;
	if (tk_mem_init(&f.mem)) {
		fz_fail(&f, "scratch memory: %s", strerror(errno));
		return;
	}
	for (i = 0; i < FZ_OWN; i++) {
		if (fz_open_guest(&f, &f.g[i])) {
			fz_fail(&f, "open: %s", strerror(-f.g[i].fd));
			return;
		}
	}
	f.g[FZ_OWN] = (struct fz_guest){ .fd = shared_fd, .shared = true };
	f.have_nl = !tk_nl_open(&f.nl);
	if (!f.have_nl) {
		/* The family is the module's: a fuzzer without it fuzzes less. */
		fz_fail(&f, "netlink: no vqnotify family");
		return;
	}
	/* Half the fuzzers listen: notifications are built only then. */
	if (f.have_nl && f.nl.monitor && tk_chance(&f.rng, 50) &&
	    !tk_nl_open(&f.mon))
		f.have_mon = !tk_nl_join_buf(&f.mon, f.mon.monitor, 0);

	fz_run(&f);
	/* Wait until every fuzzer stopped and the admin state is back. */
	__atomic_add_fetch(&sh->stopped, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go_check, __ATOMIC_SEQ_CST))
		usleep(1000);
	if (f.rep->failed)
		return;

	/* Own guests: invariants, still usable, then closed. */
	for (i = 0; i < FZ_OWN; i++) {
		struct fz_guest *g = &f.g[i];

		if (tk_check_guest_settled(g->fd, fz_max_id(&f, g), &w) ||
		    tk_check_usable(g->fd, fz_max_id(&f, g), &w) ||
		    tk_check_guest_settled(g->fd, fz_max_id(&f, g) + 1, &w)) {
			fz_fail(&f, "own guest %d after fuzzing: %s", i,
				w.msg);
			return;
		}
		close(g->fd);
	}
}

/* Run the fuzzer with the configured knobs. */
TEST(fuzz)
{
	double seconds = tk_env_ull("VQN_FUZZ_SECONDS", 60);
	unsigned int procs = tk_env_ull("VQN_FUZZ_PROCS", 4);
	uint64_t max_iters = tk_env_ull("VQN_FUZZ_ITERS", 0);
	uint64_t seed = tk_seed("VQN_FUZZ_SEED");
	struct fz_shared *sh;
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;
	uint32_t used0, guests0, used1, guests1;
	uint64_t iters = 0, ioctls = 0, ok = 0, reads = 0, events = 0,
		 nls = 0, reopen = 0;
	pid_t pids[FZ_MAX_PROCS];
	struct tk_nl_config cfg;
	struct tk_nl nl;
	bool have_nl;
	struct tk_why w;
	double t0;
	int shared_fd, status;
	unsigned int i;

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	if (procs < 1 || procs > FZ_MAX_PROCS)
		procs = 4;
	ksft_print_msg("fuzz: seed %#llx, %u processes, %.0f s (VQN_FUZZ_SEED, VQN_FUZZ_PROCS, VQN_FUZZ_SECONDS)\n",
		       (unsigned long long)seed, procs, seconds);
	ASSERT_EQ(0, tk_host_usage(&used0, &guests0));

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	shared_fd = tk_open(0);
	ASSERT_LE(0, shared_fd);
	fcntl(shared_fd, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(0, _test_ioctl_get_info(shared_fd, &info));

	/* Fuzzers may change the host-wide settings as root: kept here. */
	have_nl = !tk_nl_open(&nl);
	ASSERT_TRUE(have_nl) TH_LOG("no vqnotify netlink family");
	ASSERT_EQ(0, _test_nl_config_get(&nl, &cfg));
	ASSERT_EQ(0, _test_ioctl_guest_get(shared_fd, &gi));
	sh->shared_id = gi.guest_id;

	t0 = tk_now();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			fz_child(sh, i, shared_fd, seed, seconds, max_iters);
			_exit(0);
		}
	}
	while (__atomic_load_n(&sh->stopped, __ATOMIC_SEQ_CST) < procs) {
		siginfo_t si = { 0 };

		/* A fuzzer that died never stops: do not wait for it. */
		if (!waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid)
			break;
		usleep(10000);
	}
	if (have_nl) {
		EXPECT_EQ(0, _test_nl_config_set(&nl, &cfg));
		/* Host-cap promotion work the restore may have queued. */
		usleep(200000);
	}
	__atomic_store_n(&sh->go_check, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < procs; i++) {
		struct fz_report *r = &sh->rep[i];

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("fuzzer %u (seed %#llx) died: status %#x", i,
			       (unsigned long long)seed, status);
		}
		EXPECT_FALSE(r->failed) {
			TH_LOG("fuzzer %u: %s", i, r->why);
		}
		iters += r->iters;
		ioctls += r->ioctls;
		ok += r->ioctl_ok;
		reads += r->reads;
		events += r->events;
		nls += r->nl_msgs;
		reopen += r->reopen;
	}
	ksft_print_msg("fuzz: %llu iterations in %.1f s (%.0f/s): %llu ioctls (%llu succeeded), %llu reads (%llu events), %llu netlink messages, %llu guest reopens\n",
		       (unsigned long long)iters, tk_now() - t0,
		       iters / (tk_now() - t0), (unsigned long long)ioctls,
		       (unsigned long long)ok, (unsigned long long)reads,
		       (unsigned long long)events, (unsigned long long)nls,
		       (unsigned long long)reopen);
	/*
	 * A fuzzer whose calls were all refused would test only the checks
	 * (about a sixth succeed in the rig): at least 1 in 100, and events
	 * and netlink answers read.
	 */
	EXPECT_LT(ioctls / 100, ok);
	EXPECT_LT(0, events);
	EXPECT_LT(0, nls);

	/* The shared guest, now that nobody else uses it. */
	EXPECT_EQ(0, tk_check_guest_settled(shared_fd, sh->shared_adds + 1, &w)) {
		TH_LOG("shared guest (seed %#llx): %s",
		       (unsigned long long)seed, w.msg);
	}
	EXPECT_EQ(0, tk_check_usable(shared_fd, sh->shared_adds + 1, &w)) {
		TH_LOG("shared guest (seed %#llx): %s",
		       (unsigned long long)seed, w.msg);
	}
	close(shared_fd);

	ASSERT_EQ(0, tk_host_usage(&used1, &guests1));
	EXPECT_EQ(used0, used1) {
		TH_LOG("host_used %u before, %u after every fuzzer is gone (seed %#llx)",
		       used0, used1, (unsigned long long)seed);
	}
	EXPECT_EQ(guests0, guests1) {
		TH_LOG("nr_guests %u before, %u after (seed %#llx)",
		       guests0, guests1, (unsigned long long)seed);
	}
}

int main(int argc, char **argv)
{
	TK_SET_TIMEOUT(fuzz, tk_env_ull("VQN_FUZZ_SECONDS", 60) + 120);
	return test_harness_run(argc, argv);
}
