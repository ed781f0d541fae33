/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqnotifyctl_utils.h: what the tests of vqnotifyctl share: running it as
 * a user would (RUN(), run_as()), scripts in files, checks of what it
 * printed, and their fixture CTL_FIXTURE(). The module is reached through
 * the toolkit, vqn_utils.h.
 */
#ifndef _VQNOTIFYCTL_UTILS_H
#define _VQNOTIFYCTL_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vqn_utils.h"

#define OUT_MAX		65536
#define NOBODY		65534

struct run {
	int status;		/* exit code, or 128 + signal */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static inline const char *ctl(void)
{
	const char *p = getenv("VQNOTIFYCTL");

	return p && *p ? p : "vqnotifyctl";
}

static inline bool have_ctl(void)
{
	const char *p = ctl(), *path;
	char buf[4096];

	if (strchr(p, '/'))
		return access(p, X_OK) == 0;
	path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, p);
		if (access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

static inline bool have_module(void)
{
	return tk_present();
}

/*
 * The replays assume the module's defaults (threshold 7, no vhost
 * reserve, budget and host cap to spare), which a test killed before
 * restoring the host-wide config may have left changed.
 */
static inline bool host_defaults(char *why, size_t len)
{
	struct vqnotify_info i;
	int fd = tk_open(0), ret;
	bool ok;

	ret = fd < 0 ? fd : _test_ioctl_get_info(fd, &i);
	if (fd >= 0)
		close(fd);
	if (ret) {
		snprintf(why, len, "GET_INFO: %s", strerror(-ret));
		return false;
	}
	ok = i.threshold == 7 && !i.vhost_reserve && i.default_budget >= 64 &&
	     i.host_cap >= i.host_used + 64;
	snprintf(why, len, "host config is not the module's defaults (left by "
		 "an earlier test?): threshold %u reserve %u default budget %u "
		 "host cap %u used %u", i.threshold, i.vhost_reserve,
		 i.default_budget, i.host_cap, i.host_used);
	return ok;
}

static inline void slurp(int fd, char *buf)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, OUT_MAX - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run vqnotifyctl with @argv (NULL-terminated, without argv[0]). */
static inline struct run *run_as(uid_t uid, const char *input, const char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	const char *args[32] = { ctl() };
	int in, out, err, i, st;
	pid_t pid;

	for (i = 0; argv[i] && i < 30; i++)
		args[i + 1] = argv[i];
	in = memfd_create("in", 0);
	out = memfd_create("out", 0);
	err = memfd_create("err", 0);
	if (input && write(in, input, strlen(input)) < 0)
		r->status = -1;
	lseek(in, 0, SEEK_SET);
	pid = fork();
	if (!pid) {
		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		execvp(args[0], (char **)args);
		_exit(127);
	}
	close(in);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, r->out);
	slurp(err, r->err);
	return r;
}

#define RUN(...) run_as(0, NULL, (const char *[]){ __VA_ARGS__, NULL })

/* A script in a file; returns its path (static buffer per call site). */
static inline char *script(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/vqnctl-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) < 0)
		path[0] = '\0';
	close(fd);
	return path;
}

/*
 * Wait up to @ms for process @pid to catch @sig (its SigCgt in
 * /proc/PID/status): a signal sent before vqnotifyctl installed its
 * handler would kill it, and a fixed sleep before it may end too soon on
 * a slow machine. True once it does.
 */
static inline bool ctl_wait_catches(pid_t pid, int sig, int ms)
{
	unsigned long long mask;
	char path[64], line[128];
	FILE *f;
	int t;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	for (t = 0; t <= ms; t += 10) {
		mask = 0;
		f = fopen(path, "r");
		if (!f)
			return false;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "SigCgt: %llx", &mask) == 1)
				break;
		fclose(f);
		if (mask & (1ULL << (sig - 1)))
			return true;
		usleep(10000);
	}
	return false;
}

static inline bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* Every non-empty line is one JSON object or array. */
static inline bool json_lines(const char *s)
{
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (n && !(s[0] == '{' && s[n - 1] == '}') &&
		    !(s[0] == '[' && s[n - 1] == ']'))
			return false;
		s += n + !!nl;
	}
	return true;
}

/*
 * A guest of the test's own, named @name (unless NULL), with one DRIVER_OK
 * device of @nq queues "ctl-dev": it holds their host slots. Its fd, or
 * -errno; its id in *@guest_id (unless NULL).
 */
static inline int ctl_open_guest(const char *name, uint32_t nq,
				 uint32_t *guest_id)
{
	struct vqnotify_guest_info gi;
	int fd = tk_open(0), ret = 0;
	uint32_t dev;

	if (fd < 0)
		return fd;
	if (name)
		ret = _test_ioctl_set_label(fd, name);
	if (!ret)
		ret = _test_ioctl_guest_get(fd, &gi);
	if (!ret)
		ret = _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, nq,
					  "ctl-dev", &dev);
	if (!ret)
		ret = _test_ioctl_set_status(fd, dev, TK_STATUS_OK, NULL, NULL,
					     NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	if (guest_id)
		*guest_id = gi.guest_id;
	return fd;
}

/* The fixture of the tests that need vqnotifyctl: @path a script to drop. */
#define CTL_FIXTURE(name)						\
	FIXTURE(name) {							\
		char path[64];						\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		char why[256];						\
									\
		self->path[0] = '\0';					\
		if (!have_ctl())					\
			SKIP(return, "no vqnotifyctl (set VQNOTIFYCTL)"); \
		if (have_module())					\
			ASSERT_TRUE(host_defaults(why, sizeof(why)))	\
				TH_LOG("%s", why);			\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		if (self->path[0])					\
			unlink(self->path);				\
	}

#endif /* _VQNOTIFYCTL_UTILS_H */
