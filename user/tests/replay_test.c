// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vqnotifyctl replay (user/replay*.c) against a library
 * that fails: the guest's calls are stood in for (the linker's --wrap), so
 * no module is needed. A failure vqn_read_events() returns (a failed
 * settling, reported once) fails the step that read it, and replay exits
 * 1; before, the step passed and the failure was lost. A script that
 * cannot be read, or has a NUL byte, exits 2 before any step runs. Ends
 * with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../vqnotifyctl.h"
#include "../lib/libvqnotify.h"

#include "check.h"

/* What the next vqn_read_events() calls return, in turn; then 0. */
static int reads[4], nr_reads, next_read;
static struct vqn_guest *fake = (struct vqn_guest *)&reads;

int __wrap_vqn_open(struct vqn_guest **g, const char *name)
{
	(void)name;
	*g = fake;
	return 0;
}

void __wrap_vqn_close(struct vqn_guest *g)
{
	(void)g;
}

int __wrap_vqn_guest_get(struct vqn_guest *g,
			 struct vqnotify_guest_info *info)
{
	(void)g;
	(void)info;
	return -ENOSYS;
}

int __wrap_vqn_event_fd(struct vqn_guest *g)
{
	(void)g;
	return -1;
}

int __wrap_vqn_read_events(struct vqn_guest *g, struct vqn_event *ev,
			   unsigned int max)
{
	(void)g;
	(void)ev;
	(void)max;
	return next_read < nr_reads ? reads[next_read++] : 0;
}

/* replay of a file (a path, "-" is not used here): its status. */
static int replay_path(char *path)
{
	char *argv[] = { "replay", path, NULL };
	int ret = cmd_replay(2, argv);

	fflush(stdout);
	return ret;
}

/*
 * replay of the @len bytes of @script while vqn_read_events() returns
 * @r0, then @r1: its status.
 */
static int replay_bytes(const char *script, size_t len, int r0, int r1)
{
	char path[] = "/tmp/vqn-replay-test-XXXXXX";
	int fd = mkstemp(path), ret;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (!f || fwrite(script, 1, len, f) != len || fclose(f)) {
		perror("replay_test: script");
		exit(2);
	}
	reads[0] = r0;
	reads[1] = r1;
	nr_reads = 2;
	next_read = 0;
	ret = replay_path(path);
	unlink(path);
	return ret;
}

static int replay(const char *script, int r0, int r1)
{
	return replay_bytes(script, strlen(script), r0, r1);
}

/*
 * replay of @script, its stdout and stderr in @out (up to @size bytes,
 * NUL-terminated): its status.
 */
static int replay_output(const char *script, char *out, size_t size)
{
	struct capture c;
	int ret = capture_begin(&c) ? -1 : replay(script, 0, 0);

	capture_end(&c, out, size);
	return ret;
}

/*
 * A script's bytes reach the terminal escaped: the step echo, echo and
 * the errors quoting a word (a name, a command); the escape
 * sequences there once cleared the screen or set the terminal's title.
 */
static void replay_escapes_words(void)
{
	static const char *const scripts[] = {
		"echo \"\x1b]0;title\x07\"\n",
		"guest \x1b[2J\n",
		"\x1b[2Jbogus\n",
		"expect-error EINVAL guest \"vm\x1b[2J\"\n",
	};
	char out[4096], what[64];
	unsigned int i;

	/* In UTF-8, as main() finds it: non-ASCII text as it is. */
	text_utf8 = true;
	check(replay_output("echo caf\xc3\xa9\n", out, sizeof(out)) == 0 &&
	      strstr(out, "caf\xc3\xa9\n"), "UTF-8: echo's text as it is");
	text_utf8 = false;
	check(replay_output("echo caf\xc3\xa9\n", out, sizeof(out)) == 0 &&
	      strstr(out, "caf\\u00e9\n"), "not UTF-8: echo's U+00E9 escaped");

	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		int ret = replay_output(scripts[i], out, sizeof(out));

		snprintf(what, sizeof(what),
			 "script %u's bytes escaped on the terminal", i);
		check(ret >= 0 && !strpbrk(out, "\x1b\x07") &&
		      strstr(out, "\\x1b"), what);
		if (strpbrk(out, "\x1b\x07"))
			fprintf(stderr, "  (raw escape in %zu bytes)\n",
				strlen(out));
	}
}

int main(void)
{
	static const char nul[] = "echo before\n\0\nbogus command\n";

	check(replay("guest vm1\necho done\n", 0, 0) == EXIT_OK,
	      "a library that does not fail: replay passes");
	check(replay("guest vm1\necho done\n", -ENOMEM, 0) == EXIT_RUNTIME,
	      "a step whose events failed fails replay");
	check(replay("guest vm1\nsettle 100\n", 0, -EIO) == EXIT_RUNTIME,
	      "settle fails when the events it reads fail");
	/* Before, both ran what came before and exited 0. */
	check(replay_bytes(nul, sizeof(nul) - 1, 0, 0) == EXIT_USAGE,
	      "a script with a NUL byte is refused");
	check(replay_path("/tmp") == EXIT_USAGE,
	      "a script that cannot be read (a directory) is refused");
	replay_escapes_words();
	return check_summary();
}
