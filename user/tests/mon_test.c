// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vqnotifyctl monitor's names (user/monitor.c, #included
 * for its static functions): each guest's and device's name is found
 * again after many were learnt, a removed guest's go with its devices',
 * lost events forget them all; and learning a host's worth of names, as a
 * dump does, takes time in proportion to them, not to their square. Ends
 * with "N passed, N failed".
 */
#include "../monitor.c"

#include "check.h"

#define GUESTS	1000
#define DEVS	100	/* per guest: 101,000 names with the guests' */

static void name_of(char *buf, uint32_t guest, uint32_t dev)
{
	snprintf(buf, VQNOTIFY_NAME_LEN, "g%u-d%u", guest, dev);
}

/* Every name of guests [first, last) is there, or (@there false) none. */
static bool all_found(struct mon *m, uint32_t first, uint32_t last,
		      bool there)
{
	char want[VQNOTIFY_NAME_LEN];
	struct mon_name *n;
	uint32_t g, d;

	for (g = first; g < last; g++) {
		for (d = 0; d <= DEVS; d++) {
			uint32_t dev = d == DEVS ? MON_GUEST : d;

			n = mon_find(m, g, dev);
			if (!there) {
				if (n)
					return false;
				continue;
			}
			name_of(want, g, dev);
			if (!n || strcmp(n->name, want))
				return false;
		}
	}
	return true;
}

static void learn(struct mon *m, uint32_t first, uint32_t last)
{
	char name[VQNOTIFY_NAME_LEN];
	uint32_t g, d;

	for (g = first; g < last; g++) {
		for (d = 0; d <= DEVS; d++) {
			uint32_t dev = d == DEVS ? MON_GUEST : d;

			name_of(name, g, dev);
			mon_set(m, g, dev, name, true);
		}
	}
}

int main(void)
{
	struct mon m = { 0 };
	clock_t t0, t;
	char what[128];

	/*
	 * 101,000 names learnt and each found: a walk of the table for each
	 * is about 10^10 comparisons (8 s of CPU on the development machine);
	 * indexed, 0.12 s. At most 1 s: CPU time, so a busy host does not
	 * count.
	 */
	t0 = clock();
	learn(&m, 0, GUESTS);
	check(m.names.nr == GUESTS * (DEVS + 1), "every name learnt once");
	check(all_found(&m, 0, GUESTS, true), "every name found");
	t = clock() - t0;
	snprintf(what, sizeof(what),
		 "101,000 names learnt and found in %.2f s of CPU (at most 1)",
		 (double)t / CLOCKS_PER_SEC);
	check(t < CLOCKS_PER_SEC, what);
	printf("# %s\n", what);

	/* Learnt again (a second dump): renamed in place, none added. */
	learn(&m, 0, GUESTS);
	check(m.names.nr == GUESTS * (DEVS + 1), "a second dump adds none");
	mon_set(&m, 7, 3, "renamed", false);
	check(!strcmp(mon_find(&m, 7, 3)->name, "renamed"), "a rename kept");
	mon_set(&m, 7, 3, "g7-d3", false);

	check(!mon_find(&m, GUESTS, 0) && !mon_find(&m, 0, DEVS),
	      "names never learnt are not found");

	/* A guest removed: its names and its devices' go, and only those. */
	mon_forget(&m, 10, MON_GUEST);
	check(all_found(&m, 10, 11, false), "a removed guest's names go");
	check(all_found(&m, 0, 10, true) && all_found(&m, 11, GUESTS, true),
	      "the other guests' names stay");
	/* A device removed: its name only. */
	mon_forget(&m, 20, 5);
	check(!mon_find(&m, 20, 5) && mon_find(&m, 20, 4) &&
	      mon_find(&m, 20, MON_GUEST), "a removed device's name goes");
	learn(&m, 10, 11);
	mon_set(&m, 20, 5, "g20-d5", true);
	check(all_found(&m, 0, GUESTS, true), "names learnt again are found");

	/* Lost events: every name goes (a removal may be among them). */
	mon_lost(&m);
	check(all_found(&m, 0, GUESTS, false), "lost events forget every name");
	learn(&m, 0, 50);
	check(all_found(&m, 0, 50, true), "names learnt after the loss");

	mon_names_free(&m);
	return check_summary();
}
