// SPDX-License-Identifier: GPL-2.0
/* vqnotifyctl: JSON writer and the queue table, shared by all commands. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vqnotifyctl.h"

#define JW_MAX_DEPTH	16

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
};

/* Never NULL: out of memory, the command ends there, as ip(8)'s -j does. */
struct jw *jw_new(FILE *f, bool pretty)
{
	struct jw *w = calloc(1, sizeof(*w));

	if (!w) {
		fputs("vqnotifyctl: JSON writer: out of memory\n", stderr);
		exit(EXIT_RUNTIME);
	}
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

/*
 * Tenant-supplied strings (guest and device names) are printed escaped
 * everywhere. This module takes printable ASCII only, but the modules of
 * API 1 checked them for NUL termination only: from those they may hold
 * control characters, a newline that forges a table row, terminal escapes,
 * bidi overrides or invalid UTF-8.
 */

/*
 * The code point of the valid UTF-8 sequence at @s and its length (1-4),
 * or 0: an invalid, overlong or truncated sequence, a surrogate.
 */
static int utf8_seq(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	int n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		n = 2, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Code points no printer passes through: C0 and C1 controls, DEL, the line
 * and paragraph separators, every bidi control (the marks, embeddings,
 * overrides and isolates that make text display in another order than it
 * is stored), and those that make two names look alike or a name look
 * like columns: the invisible ones (every format character, Unicode's Cf
 * as of 15.0: zero-width spaces and joiners, word joiner, invisible
 * operators, BOM, soft hyphen, tags, the Arabic, Syriac and Kaithi number
 * signs and marks, the Egyptian hieroglyph and shorthand format controls;
 * and variation selectors), the blank-looking fillers (Hangul, Mongolian,
 * Khmer, the braille blank) and the main blocks of combining marks, which
 * draw over the character before them.
 */
static bool unsafe_cp(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xad ||
	       (c >= 0x300 && c <= 0x36f) || (c >= 0x600 && c <= 0x605) ||
	       c == 0x61c || c == 0x6dd || c == 0x70f || c == 0x890 ||
	       c == 0x891 || c == 0x8e2 || c == 0x115f || c == 0x1160 ||
	       c == 0x17b4 || c == 0x17b5 || (c >= 0x180b && c <= 0x180f) ||
	       (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x206f) || (c >= 0x20d0 && c <= 0x20ff) ||
	       c == 0x2800 || c == 0x3164 || (c >= 0xfe00 && c <= 0xfe0f) ||
	       (c >= 0xfe20 && c <= 0xfe2f) || c == 0xfeff || c == 0xffa0 ||
	       (c >= 0xfff9 && c <= 0xfffb) || c == 0x110bd || c == 0x110cd ||
	       (c >= 0x13430 && c <= 0x1343f) || (c >= 0x1bca0 && c <= 0x1bca3) ||
	       (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe0000 && c <= 0xe0fff);
}

/* Spaces (Unicode's Zs, ASCII's included) */
static bool space_cp(uint32_t c)
{
	return c == ' ' || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

bool text_utf8;

/* Whether @cp (valid, not a quote or a backslash) goes out as it is. */
static bool pass_cp(uint32_t cp, enum esc_mode mode)
{
	if (unsafe_cp(cp))
		return false;
	if (mode != ESC_TEXT && mode != ESC_QUOTED)
		return true;
	/* A name is one field: no column or word to forge. */
	if (space_cp(cp) && !(mode == ESC_QUOTED && cp == ' '))
		return false;
	/*
	 * On a terminal not in UTF-8 (LANG=C, the Linux console after
	 * unicode_stop, a Latin-1 xterm) the bytes 0x80-0x9f of a sequence
	 * are C1 controls: 0x9b is CSI, 0x9d OSC.
	 */
	return cp < 0x80 || text_utf8;
}

/* Write @s to @f escaped for @mode (see vqnotifyctl.h). */
void put_escaped(FILE *f, const char *s, enum esc_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n;

	for (; *p; p += n) {
		n = utf8_seq(p, &cp);
		if (!n) {
			n = 1;
			if (mode == ESC_TEXT || mode == ESC_QUOTED)
				fprintf(f, "\\x%02x", *p);
			else
				fputs(replacement, f);
		} else if (cp == '\\' || (cp == '"' && mode != ESC_TEXT)) {
			fprintf(f, "\\%c", (int)cp);
		} else if (pass_cp(cp, mode)) {
			fwrite(p, 1, n, f);
		} else if (mode == ESC_JSON && cp > 0xffff) {
			/* JSON's \u is UTF-16: a surrogate pair */
			cp -= 0x10000;
			fprintf(f, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
				0xdc00 + (cp & 0x3ff));
		} else if (mode == ESC_JSON) {
			fprintf(f, "\\u%04x", cp);
		} else if (mode == ESC_PROM) {
			fputs(cp == '\n' ? "\\n" : replacement, f);
		} else {
			fprintf(f, cp < 0x80 ? "\\x%02x" :
				   cp < 0x10000 ? "\\u%04x" : "\\U%08x", cp);
		}
	}
}

/*
 * @s escaped for @mode in one of a few rotating buffers, so that several
 * fit in one printf().
 */
static const char *escape_buf(const char *s, enum esc_mode mode)
{
	static char bufs[8][VQNOTIFY_NAME_LEN * 6 + 1];
	static unsigned int next;
	char *buf = bufs[next++ % 8];
	FILE *f;

	f = fmemopen(buf, sizeof(bufs[0]), "w");
	if (!f)
		return "?";
	setbuf(f, NULL);
	put_escaped(f, s, mode);
	fputc('\0', f);
	fclose(f);
	buf[sizeof(bufs[0]) - 1] = '\0';
	return buf;
}

/*
 * A name for a text table: escaped, "-" when empty; a name that is "-"
 * as "\x2d", or a tenant's guest would look unnamed.
 */
const char *tname(const char *s)
{
	if (!s || !*s)
		return "-";
	if (!strcmp(s, "-"))
		return "\\x2d";
	return escape_buf(s, ESC_TEXT);
}

const char *tquoted(const char *s)
{
	return escape_buf(s, ESC_QUOTED);
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	put_escaped(f, s, ESC_JSON);
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

void jw_double(struct jw *w, const char *key, double val)
{
	member(w, key);
	fprintf(w->f, "%.6f", val);
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

/*
 * The JSON and metrics name of each transition label: what happened, in
 * snake_case; the letter stays in "label" (Documentation/vqnotify.rst).
 */
const char *transition_key(unsigned int label)
{
	static const char *const keys[] = {
		[VQNOTIFY_LABEL_NONE] = "none",
		[VQNOTIFY_LABEL_A] = "added",
		[VQNOTIFY_LABEL_B] = "driver_ok",
		[VQNOTIFY_LABEL_C] = "vhost_on_deassigned",
		[VQNOTIFY_LABEL_D] = "vhost_on_assigned",
		[VQNOTIFY_LABEL_E] = "vhost_off_assigned",
		[VQNOTIFY_LABEL_F] = "vhost_off_deassigned",
		[VQNOTIFY_LABEL_G] = "reset",
		[VQNOTIFY_LABEL_P] = "preempted",
		[VQNOTIFY_LABEL_R] = "promoted",
		[VQNOTIFY_LABEL_S] = "stopped",
		[VQNOTIFY_LABEL_Q] = "acquired",
		[VQNOTIFY_LABEL_X] = "released",
	};

	_Static_assert(sizeof(keys) / sizeof(keys[0]) == VQNOTIFY_LABEL_MAX,
		       "a label has no key");
	return label < VQNOTIFY_LABEL_MAX ? keys[label] : "unknown";
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
	fprintf(f, "%-12s %-16s %-4s %3u  %-10s %-5s %-14s", tname(r->guest),
		tname(r->dev),
		r->transport, r->queue, vqn_state_name(r->state),
		r->label ? label : "-", vqn_reason_name(r->reason));
	if (kvm)
		fprintf(f, " %s", r->kvm < 0 ? "-" : r->kvm ? "yes" : "no");
	fputc('\n', f);
}

void queue_json(struct jw *w, const struct queue_row *r)
{
	jw_obj_open(w, NULL);
	jw_str(w, "guest", r->guest ? r->guest : "");
	jw_uint(w, "guest_id", r->guest_id);
	jw_str(w, "dev", r->dev ? r->dev : "");
	jw_uint(w, "dev_id", r->dev_id);
	jw_str(w, "transport", r->transport);
	jw_uint(w, "queue", r->queue);
	jw_str(w, "state", vqn_state_name(r->state));
	jw_str(w, "label", vqn_label_name(r->label));
	jw_str(w, "reason", vqn_reason_name(r->reason));
	jw_bool(w, "initialised", r->flags & VQNOTIFY_VQ_INITIALISED);
	jw_bool(w, "waiting", r->flags & VQNOTIFY_VQ_WAITING);
	jw_bool(w, "parked", r->flags & VQNOTIFY_VQ_PARKED);
	if (r->kvm >= 0)
		jw_bool(w, "kvm_ioeventfd", r->kvm);
	jw_obj_close(w);
}
