// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the escaping of tenants' names (user/output.c): every
 * printer, fed the bytes a hostile tenant could get past an older module
 * (uAPI 2 modules take printable ASCII only). Each mode's output must be
 * exactly what vqnotifyctl.h promises, and what the JSON writer and the
 * metrics writer make of them must pass python3's json module and
 * prometheus_client's parser with the names coming back as they should.
 * Ends with "N passed, N failed" (make -C user check).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../vqnotifyctl.h"

static int passed, failed;

static void check(bool ok, const char *what, const char *got)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: got '%s'\n", what, got ? got : "");
}

static char *escaped(const char *in, enum esc_mode mode)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	put_escaped(f, in, mode);
	fclose(f);
	return buf;
}

#define CF_ARABIC	"\xd8\x80\xd8\x85\xdb\x9d\xdc\x8f" \
			"\xe0\xa2\x90\xe0\xa2\x91\xe0\xa3\xa2"
#define CF_ASTRAL	"\xf0\x91\x82\xbd\xf0\x91\x83\x8d" \
			"\xf0\x93\x90\xb0\xf0\x93\x90\xbf" \
			"\xf0\x9b\xb2\xa0\xf0\x9b\xb2\xa3"

/* With text_utf8 true: a terminal in UTF-8. */
static const struct {
	enum esc_mode mode;
	const char *in, *want;
} cases[] = {
	{ ESC_TEXT, "evil\n1     prod-db",
	  "evil\\x0a1\\x20\\x20\\x20\\x20\\x20prod-db" },
	{ ESC_TEXT, "\x1b[2J\"q\\\x7f", "\\x1b[2J\"q\\\\\\x7f" },
	{ ESC_QUOTED, "vm 1\"\n\xc2\xa0\xff\\", "vm 1\\\"\\x0a\\u00a0\\xff\\\\" },
	{ ESC_TEXT, "caf\xc3\xa9\xe2\x80\xae!", "caf\xc3\xa9\\u202e!" },
	{ ESC_TEXT, "\xc2\x85|\xe2\x81\xa6|\xe2\x80\xa8", "\\u0085|\\u2066|\\u2028" },
	{ ESC_TEXT, "\xff\xc3(", "\\xff\\xc3(" },
	{ ESC_TEXT, "\xe2\x80", "\\xe2\\x80" },			/* truncated */
	{ ESC_TEXT, "\xed\xa0\x80", "\\xed\\xa0\\x80" },	/* surrogate */
	{ ESC_TEXT, "\xc0\xaf", "\\xc0\\xaf" },			/* overlong */
	{ ESC_TEXT, "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },	/* > U+10FFFF */
	{ ESC_TEXT, "\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80\\x20ok" },
	/* RLM, ALM, ZWSP, WJ, BOM: bidi marks and invisibles */
	{ ESC_TEXT, "a\xe2\x80\x8f\xd8\x9c\xe2\x80\x8b\xe2\x81\xa0\xef\xbb\xbf""b",
	  "a\\u200f\\u061c\\u200b\\u2060\\ufeffb" },
	/* NBSP, EN SPACE, IDEOGRAPHIC SPACE: no column to forge */
	{ ESC_TEXT, "evil\xc2\xa0""1\xe2\x80\x82""2\xe3\x80\x80""3",
	  "evil\\u00a01\\u20022\\u30003" },
	/*
	 * Soft hyphen, combining long solidus overlay, braille blank,
	 * Hangul filler, variation selector 16, tag A: look-alikes
	 */
	{ ESC_TEXT, "a\xc2\xad\xcc\xb8\xe2\xa0\x80\xe3\x85\xa4\xef\xb8\x8f\xf3\xa0\x81\x81""b",
	  "a\\u00ad\\u0338\\u2800\\u3164\\ufe0f\\U000e0041b" },
	{ ESC_JSON, "\xf3\xa0\x81\x81\xc2\xad", "\\udb40\\udc41\\u00ad" },
	{ ESC_PROM, "\xf3\xa0\x81\x81", "\xef\xbf\xbd" },
	{ ESC_JSON, "\xe2\x80\x8e\xc2\xa0", "\\u200e\xc2\xa0" },
	{ ESC_PROM, "\xe2\x80\x8f", "\xef\xbf\xbd" },
	{ ESC_JSON, "a\"b\\c\n\t\x7f", "a\\\"b\\\\c\\u000a\\u0009\\u007f" },
	{ ESC_JSON, "\xc2\x85\xe2\x80\xa8\xe2\x80\xae", "\\u0085\\u2028\\u202e" },
	{ ESC_JSON, "x\xffy\xc3", "x\xef\xbf\xbdy\xef\xbf\xbd" },
	{ ESC_PROM, "a\"b\\c\nd", "a\\\"b\\\\c\\nd" },
	{ ESC_PROM, "\r\x1b\x7f\xff", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ ESC_PROM, "caf\xc3\xa9", "caf\xc3\xa9" },
	/*
	 * Format characters (Cf): Arabic number signs U+0600 and U+0605,
	 * end of ayah U+06DD, Syriac abbreviation mark U+070F, U+0890-0891,
	 * U+08E2; U+0606 is no format character.
	 */
	{ ESC_TEXT, CF_ARABIC "\xd8\x86",
	  "\\u0600\\u0605\\u06dd\\u070f\\u0890\\u0891\\u08e2\xd8\x86" },
	{ ESC_JSON, CF_ARABIC "\xd8\x86",
	  "\\u0600\\u0605\\u06dd\\u070f\\u0890\\u0891\\u08e2\xd8\x86" },
	/*
	 * Kaithi number signs U+110BD and U+110CD, Egyptian hieroglyph
	 * format controls U+13430 and U+1343F, shorthand format controls
	 * U+1BCA0 and U+1BCA3
	 */
	{ ESC_TEXT, CF_ASTRAL,
	  "\\U000110bd\\U000110cd\\U00013430\\U0001343f"
	  "\\U0001bca0\\U0001bca3" },
	{ ESC_JSON, CF_ASTRAL,
	  "\\ud804\\udcbd\\ud804\\udccd\\ud80d\\udc30\\ud80d\\udc3f"
	  "\\ud82f\\udca0\\ud82f\\udca3" },
	{ ESC_PROM, "\xdb\x9d\xf0\x9b\xb2\xa3", "\xef\xbf\xbd\xef\xbf\xbd" },
};

/*
 * Text on a terminal not in UTF-8 (text_utf8 false): every non-ASCII code
 * point escaped, for there the bytes 0x80-0x9f of a sequence are C1
 * controls (0x9d: OSC, a window title; 0x9c: ST). JSON and metrics are
 * for programs: unchanged.
 */
static const struct {
	enum esc_mode mode;
	const char *in, *want;
} ascii_cases[] = {
	{ ESC_TEXT, "\xc3\x9d", "\\u00dd" },
	{ ESC_TEXT, "vm\xc3\x9d""2;pwned\xc3\x9cx",
	  "vm\\u00dd2;pwned\\u00dcx" },
	{ ESC_TEXT, "caf\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!",
	  "caf\\u00e9\\u20ac\\U0001f600!" },
	{ ESC_TEXT, "\xe2\x80\xae\xc2\xa0\xc2\x9b",
	  "\\u202e\\u00a0\\u009b" },
	{ ESC_TEXT, "\xff\xc3(\x9d", "\\xff\\xc3(\\x9d" },
	{ ESC_JSON, "caf\xc3\xa9\xc3\x9d\xe2\x80\xae",
	  "caf\xc3\xa9\xc3\x9d\\u202e" },
	{ ESC_PROM, "caf\xc3\xa9\xc3\x9d", "caf\xc3\xa9\xc3\x9d" },
};

/* Feed @text to python3 running @script; its exit status. */
static int python(const char *script, const char *text)
{
	char cmd[4096];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '%s'", script);
	p = popen(cmd, "w");
	if (!p)
		return -1;
	fputs(text, p);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Every name of @names through the JSON writer: strict UTF-8, valid JSON. */
static void json_round_trip(const char *const *names, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw *w = jw_new(f, false);
	int i;

	jw_arr_open(w, NULL);
	for (i = 0; i < n; i++) {
		jw_obj_open(w, NULL);
		jw_str(w, names[i], names[i]);	/* a key too */
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_end(w);
	jw_free(w);
	fclose(f);
	/* Each key and value: the name, invalid bytes as U+FFFD. */
	check(!python(
		"import json, sys\n"
		"docs = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))\n"
		"want = [\"evil\\n1     prod-db\", \"\\x1b[2J\\\"q\\\\\\x7f\\ufffd\\ufffd(\",\n"
		"        \"caf\\u00e9\\u202e!\", \"\\x00\"[1:] + \"d\\r\\t\\x01x\"]\n"
		"got = [list(d.items())[0] for d in docs]\n"
		"sys.exit(0 if got == [(n, n) for n in want] else print(got) or 1)\n",
		buf), "json: python3 parses it, names round-trip", buf);
	free(buf);
}

/* A metrics sample with each name as a label value: prometheus_client. */
static void prom_round_trip(const char *const *names, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	fputs("# HELP t_info A test.\n# TYPE t_info gauge\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "t_info{i=\"%d\",name=\"", i);
		put_escaped(f, names[i], ESC_PROM);
		fputs("\"} 1\n", f);
	}
	fclose(f);
	check(!python(
		"import sys\n"
		"from prometheus_client.parser import text_string_to_metric_families as p\n"
		"s = [x for f in p(sys.stdin.buffer.read().decode(\"utf-8\")) for x in f.samples]\n"
		"want = [\"evil\\n1     prod-db\", \"\\ufffd[2J\\\"q\\\\\\ufffd\\ufffd\\ufffd(\",\n"
		"        \"caf\\u00e9\\ufffd!\", \"d\\ufffd\\ufffd\\ufffdx\"]\n"
		"got = [x.labels[\"name\"] for x in s]\n"
		"sys.exit(0 if got == want else print(got) or 1)\n",
		buf), "prometheus: prometheus_client parses it, names round-trip",
	      buf);
	free(buf);
}

int main(void)
{
	static const char *const names[] = {
		"evil\n1     prod-db", "\x1b[2J\"q\\\x7f\xff\xc3(",
		"caf\xc3\xa9\xe2\x80\xae!", "d\r\t\x01x",
		"tag\xf3\xa0\x81\x81\xe2\xa0\x80",
	};
	char long_name[VQNOTIFY_NAME_LEN];
	unsigned int i;
	char *got;

	/* Until main() has asked the locale: a terminal not in UTF-8. */
	got = escaped("\xc3\x9d", ESC_TEXT);
	check(!text_utf8 && !strcmp(got, "\\u00dd"),
	      "text_utf8: false by default", got);
	free(got);

	/* Never the environment's locale: each decision, explicitly. */
	text_utf8 = false;
	for (i = 0; i < sizeof(ascii_cases) / sizeof(ascii_cases[0]); i++) {
		char what[64];
		const unsigned char *p;

		got = escaped(ascii_cases[i].in, ascii_cases[i].mode);
		snprintf(what, sizeof(what), "non-UTF-8 case %u", i);
		check(!strcmp(got, ascii_cases[i].want), what, got);
		for (p = (unsigned char *)got;
		     ascii_cases[i].mode == ESC_TEXT && *p; p++)
			if (*p >= 0x80) {
				snprintf(what, sizeof(what),
					 "non-UTF-8 case %u: a byte 0x%02x", i,
					 *p);
				check(false, what, got);
				break;
			}
		free(got);
	}
	/* The longest name, each byte "\u00dd"'s half, fits the buffer. */
	for (i = 0; i + 2 < sizeof(long_name); i += 2)
		memcpy(long_name + i, "\xc3\x9d", 2);
	long_name[i] = '\0';
	check(strlen(tname(long_name)) == 3 * i,
	      "tname: non-UTF-8, a whole name of U+00DD", tname(long_name));

	text_utf8 = true;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		got = escaped(cases[i].in, cases[i].mode);
		snprintf(what, sizeof(what), "case %u", i);
		check(!strcmp(got, cases[i].want), what, got);
		free(got);
	}
	got = escaped("\xc3\x9d", ESC_TEXT);
	check(!strcmp(got, "\xc3\x9d"), "UTF-8: U+00DD passes", got);
	free(got);
	check(!strcmp(tname(""), "-"), "tname: empty is -", tname(""));
	check(!strcmp(tname("-"), "\\x2d"), "tname: a name \"-\" is not none",
	      tname("-"));
	check(!strcmp(tname("--"), "--"), "tname: \"--\" as it is",
	      tname("--"));
	/* The longest name, all of it escaped, fits the table's buffer. */
	memset(long_name, 0xff, sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	check(strlen(tname(long_name)) == 4 * (sizeof(long_name) - 1),
	      "tname: a whole name of invalid bytes", tname(long_name));
	json_round_trip(names, 4);
	prom_round_trip(names, 4);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
