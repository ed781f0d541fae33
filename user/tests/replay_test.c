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
	return check_summary();
}
