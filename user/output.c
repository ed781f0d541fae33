// SPDX-License-Identifier: GPL-2.0
/* vqnotifyctl: JSON writer and the queue table, shared by all commands. */
#include <inttypes.h>
#include <stdlib.h>

#include "vqnotifyctl.h"

#define JW_MAX_DEPTH	16

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
};

struct jw *jw_new(FILE *f, bool pretty)
{
	struct jw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
	return w;
}

void jw_free(struct jw *w)
{
	free(w);
}

static void indent(struct jw *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("    ", w->f);
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separator, indentation and key of the next member. */
static void member(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->depth)
		indent(w);
	if (key) {
		quoted(w->f, key);
		fputs(w->pretty ? ": " : ":", w->f);
	}
}

static void open_(struct jw *w, const char *key, char c)
{
	member(w, key);
	fputc(c, w->f);
	if (w->depth < JW_MAX_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth)
		w->depth--;
	if (!empty)
		indent(w);
	fputc(c, w->f);
}

void jw_obj_open(struct jw *w, const char *key)
{
	open_(w, key, '{');
}

void jw_obj_close(struct jw *w)
{
	close_(w, '}');
}

void jw_arr_open(struct jw *w, const char *key)
{
	open_(w, key, '[');
}

void jw_arr_close(struct jw *w)
{
	close_(w, ']');
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	member(w, key);
	quoted(w->f, val);
}

void jw_uint(struct jw *w, const char *key, uint64_t val)
{
	member(w, key);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_int(struct jw *w, const char *key, int64_t val)
{
	member(w, key);
	fprintf(w->f, "%" PRId64, val);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	member(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_end(struct jw *w)
{
	fputc('\n', w->f);
	w->depth = 0;
	w->first[0] = true;
	fflush(w->f);
}

void queue_table_header(FILE *f, bool kvm)
{
	fprintf(f, "%-12s %-16s %-4s %3s  %-10s %-5s %-14s%s\n", "GUEST",
		"DEVICE", "TRAN", "Q", "STATE", "LABEL", "REASON",
		kvm ? " KVM" : "");
}

void queue_table_row(FILE *f, const struct queue_row *r, bool kvm)
{
	char label[8];

	snprintf(label, sizeof(label), "(%s)", vqn_label_name(r->label));
	fprintf(f, "%-12s %-16s %-4s %3u  %-10s %-5s %-14s", r->guest, r->dev,
		r->transport, r->queue, vqn_state_name(r->state),
		r->label ? label : "-", vqn_reason_name(r->reason));
	if (kvm)
		fprintf(f, " %s", r->kvm < 0 ? "-" : r->kvm ? "yes" : "no");
	fputc('\n', f);
}

void queue_json(struct jw *w, const struct queue_row *r)
{
	jw_obj_open(w, NULL);
	jw_str(w, "guest", r->guest);
	jw_uint(w, "guest_id", r->guest_id);
	jw_str(w, "dev", r->dev);
	jw_uint(w, "dev_id", r->dev_id);
	jw_str(w, "transport", r->transport);
	jw_uint(w, "queue", r->queue);
	jw_str(w, "state", vqn_state_name(r->state));
	jw_str(w, "label", vqn_label_name(r->label));
	jw_str(w, "reason", vqn_reason_name(r->reason));
	jw_bool(w, "initialised", r->flags & VQNOTIFY_VQ_INITIALISED);
	jw_bool(w, "waiting", r->flags & VQNOTIFY_VQ_WAITING);
	if (r->kvm >= 0)
		jw_bool(w, "kvm_ioeventfd", r->kvm);
	jw_obj_close(w);
}
