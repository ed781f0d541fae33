/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_fuzz_fops.h: the file operations of vqn_fuzz_test beside ioctl():
 * read() with every size and pointer (the records must be well formed and
 * consecutive in seq on a guest only this process uses), poll(), write(),
 * mmap() and lseek(), and an own guest closed and opened again.
 */
#ifndef _VQN_FUZZ_FOPS_H
#define _VQN_FUZZ_FOPS_H

#include "vqn_fuzz.h"

/* Events */

static void fz_check_events(struct fz *f, struct fz_guest *g, int gi,
			    const struct vqnotify_event *ev, size_t n)
{
	struct tk_why w;

	for (size_t i = 0; i < n; i++, ev++) {
		const struct vqnotify_event *e = ev;
		bool ok = !e->__reserved;

		f->rep->events++;
		switch (e->type) {
		case VQNOTIFY_EVENT_TRANSITION:
			ok &= (e->label == VQNOTIFY_LABEL_P &&
			       e->old_state == VQNOTIFY_VQ_ASSIGNED &&
			       e->new_state == VQNOTIFY_VQ_DEASSIGNED &&
			       (e->reason == VQNOTIFY_REASON_PREEMPT_VHOST ||
				e->reason == VQNOTIFY_REASON_PREEMPT_BUDGET)) ||
			      (e->label == VQNOTIFY_LABEL_R &&
			       e->old_state == VQNOTIFY_VQ_DEASSIGNED &&
			       e->new_state == VQNOTIFY_VQ_ASSIGNED &&
			       e->reason == VQNOTIFY_REASON_PROMOTED);
			break;
		case VQNOTIFY_EVENT_OVERFLOW:
			ok &= !e->dev_id && !e->queue && !e->old_state &&
			      !e->new_state && !e->label && !e->reason &&
			      !e->value;
			break;
		case VQNOTIFY_EVENT_BUDGET:
			break;
		default:
			ok = false;
		}
		if (!ok) {
			fz_fail(f, "guest %d: bad event seq %llu type %u dev %u queue %u %u->%u label %u reason %u",
				gi, (unsigned long long)e->seq, e->type,
				e->dev_id, e->queue, e->old_state,
				e->new_state, e->label, e->reason);
			return;
		}
		if (g->shared)
			continue;
		if (tk_seq_check(&g->seq, e, &w)) {
			fz_fail(f, "guest %d: %s", gi, w.msg);
			return;
		}
	}
}

static void fz_read(struct fz *f)
{
	static const size_t sizes[] = {
		0, 1, 31, 32, 33, 63, 64, 96, 100, 256, 4096, 16384,
	};
	struct fz_guest *g;
	uint8_t *good = f->mem.rw + FZ_READBUF;
	uint8_t *buf = good;
	size_t size;
	ssize_t n;
	int gi, err;

	g = fz_pick_guest(f, &gi);
	size = sizes[tk_below(&f->rng, TK_ARRAY_SIZE(sizes))];
	switch (tk_below(&f->rng, 12)) {
	case 0:
		buf = f->mem.ro + FZ_READBUF;
		break;
	case 1:
		buf = f->mem.hole;
		break;
	case 2:
		/* Room for part of the records asked for. */
		buf = tk_mem_edge(&f->mem, tk_below(&f->rng, size + 1));
		break;
	case 3:
		buf = (uint8_t *)(uintptr_t)TK_KERNEL_PTR;
		break;
	case 4:
		size = (size_t)-1 >> tk_below(&f->rng, 40);
		break;
	}
	f->rep->reads++;
	n = read(g->fd, buf, size);
	err = n < 0 ? errno : 0;
	fz_trace(f, 1, size, gi, n < 0 ? -err : (int)n);
	if (n < 0) {
		if (err != EAGAIN && err != EINVAL && err != EFAULT)
			fz_fail(f, "read(%zu) on guest %d: %s", size, gi,
				strerror(err));
		else if (err == EINVAL && size >= sizeof(struct vqnotify_event))
			fz_fail(f, "read(%zu) on guest %d: EINVAL", size, gi);
		return;
	}
	if (n % sizeof(struct vqnotify_event) || (size_t)n > size) {
		fz_fail(f, "read(%zu) on guest %d returned %zd", size, gi, n);
		return;
	}
	if (!n && size >= sizeof(struct vqnotify_event) && !g->shared)
		fz_fail(f, "read(%zu) on own guest %d returned 0", size, gi);
	/* Records the kernel wrote where we can look at them. */
	if (buf >= f->mem.rw && buf < f->mem.rw + f->mem.len)
		fz_check_events(f, g, gi, (struct vqnotify_event *)buf,
				n / sizeof(struct vqnotify_event));
}

/* Own guests only: poll() says POLLIN exactly when read() finds records. */
static void fz_poll(struct fz *f)
{
	struct pollfd p[FZ_OWN + 1];
	int n, gi = tk_below(&f->rng, FZ_OWN);

	for (int i = 0; i <= FZ_OWN; i++)
		p[i] = (struct pollfd){ .fd = f->g[i].fd, .events = POLLIN };
	n = poll(p, FZ_OWN + 1, 0);
	fz_trace(f, 2, 0, -1, n);
	if (n < 0) {
		fz_fail(f, "poll: %s", strerror(errno));
		return;
	}
	for (int i = 0; i <= FZ_OWN; i++) {
		if (p[i].revents & ~(POLLIN | POLLRDNORM)) {
			fz_fail(f, "poll guest %d: revents %#x", i,
				p[i].revents);
			return;
		}
	}
	if (p[gi].revents & POLLIN) {
		uint8_t *buf = f->mem.rw + FZ_READBUF;
		ssize_t r = read(f->g[gi].fd, buf, 4096);

		if (r <= 0)
			fz_fail(f, "guest %d: POLLIN but read gave %zd (%s)",
				gi, r, r < 0 ? strerror(errno) : "");
		else
			fz_check_events(f, &f->g[gi], gi,
					(struct vqnotify_event *)buf,
					r / sizeof(struct vqnotify_event));
	}
}

/* The other file operations the device does not have. */
static void fz_other_fops(struct fz *f)
{
	struct fz_guest *g;
	int gi;
	void *p;

	g = fz_pick_guest(f, &gi);
	switch (tk_below(&f->rng, 3)) {
	case 0:
		if (write(g->fd, f->mem.rw, tk_below(&f->rng, 64)) >= 0 ||
		    errno != EINVAL)
			fz_fail(f, "write on guest %d did not fail EINVAL",
				gi);
		break;
	case 1:
		p = mmap(NULL, f->mem.page, PROT_READ, MAP_SHARED, g->fd, 0);
		if (p != MAP_FAILED) {
			munmap(p, f->mem.page);
			fz_fail(f, "mmap of guest %d succeeded", gi);
		}
		break;
	default:
		lseek(g->fd, tk_rand(&f->rng) >> 1, SEEK_SET);
		break;
	}
}

/* Own guest closed and opened again, checked first. */
static void fz_reopen(struct fz *f)
{
	int gi = tk_below(&f->rng, FZ_OWN);
	struct fz_guest *g = &f->g[gi];
	struct tk_why w;

	/* Other fuzzers' netlink admin calls may change it meanwhile. */
	if (tk_check_guest_scan(g->fd, fz_max_id(f, g), NULL, &w) == -1)
		fz_fail(f, "own guest %d before reopen: %s", gi, w.msg);
	close(g->fd);
	f->rep->reopen++;
	if (fz_open_guest(f, g))
		fz_fail(f, "reopen guest %d: %s", gi, strerror(-g->fd));
}

#endif /* _VQN_FUZZ_FOPS_H */
