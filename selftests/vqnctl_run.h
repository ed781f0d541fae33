/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running vqnotifyctl from a selftest as a user would: its exit status,
 * stdout and stderr. The binary is $VQNOTIFYCTL, else vqnotifyctl from
 * $PATH (/bin in the test VM). Used by vqnotifyctl_test.c and
 * vqnotifyctl_cli_test.c; include it after kselftest_harness.h.
 */
#ifndef _VQNCTL_RUN_H
#define _VQNCTL_RUN_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX		65536
#define NOBODY		65534

struct run {
	int status;		/* exit code, or 128 + signal */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static const char *ctl(void)
{
	const char *p = getenv("VQNOTIFYCTL");

	return p && *p ? p : "vqnotifyctl";
}

static bool have_ctl(void)
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

static bool have_module(void)
{
	return access("/dev/vqnotify", F_OK) == 0;
}

static void slurp(int fd, char *buf)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, OUT_MAX - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run vqnotifyctl with @argv (NULL-terminated, without argv[0]). */
static struct run *run_as(uid_t uid, const char *input, const char **argv)
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
static char *script(char *path, const char *text)
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

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* Every non-empty line is one JSON object or array. */
static bool json_lines(const char *s)
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

#endif /* _VQNCTL_RUN_H */
