// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vqnotifyctl replay (user/replay*.c) against a library
 * that fails: the guest's calls are stood in for (the linker's --wrap), so
 * no module is needed. A failure vqn_read_events() returns (a failed
 * settling, reported once) fails the step that read it, and replay exits
 * 1; before, the step passed and the failure was lost. Ends with
 * "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* replay of @script while vqn_read_events() returns @r0, then @r1: status. */
static int replay(const char *script, int r0, int r1)
{
	char path[] = "/tmp/vqn-replay-test-XXXXXX";
	char *argv[] = { "replay", path, NULL };
	int fd = mkstemp(path), ret;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (!f || fputs(script, f) < 0 || fclose(f)) {
		perror("replay_test: script");
		exit(2);
	}
	reads[0] = r0;
	reads[1] = r1;
	nr_reads = 2;
	next_read = 0;
	ret = cmd_replay(2, argv);
	unlink(path);
	fflush(stdout);
	return ret;
}

int main(void)
{
	check(replay("guest vm1\necho done\n", 0, 0) == EXIT_OK,
	      "a library that does not fail: replay passes");
	check(replay("guest vm1\necho done\n", -ENOMEM, 0) == EXIT_RUNTIME,
	      "a step whose events failed fails replay");
	check(replay("guest vm1\nsettle 100\n", 0, -EIO) == EXIT_RUNTIME,
	      "settle fails when the events it reads fail");
	return check_summary();
}
