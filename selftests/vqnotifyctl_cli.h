/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqnotifyctl_cli.h: what the vqnotifyctl_cli_*_test programs share:
 * records of real output for the host's checks, checks of text output,
 * and whether the module's netlink family is there.
 *
 * What only a real parser can judge goes to the host: the output of every
 * -j command and of metrics is written, as records, to the guest's second
 * serial port ($VQN_OUT, default /dev/ttyS1; the rig puts it in
 * build/logs/KERNEL.out), where scripts/check-output.py validates the JSON
 * against Documentation/vqnotifyctl.schema.json and the metrics with
 * prometheus_client's parsers. A record is
 *
 *	VQN-OUT BEGIN <kind> <name> <bytes>\n<bytes>\nVQN-OUT END\n
 *
 * with kind json (one document), jsonl (one per line), prom, om
 * (OpenMetrics), names (tenants' names, hex, one per line) or skip (the
 * records of <name> cannot be made here, and why). check-output.py knows
 * which program makes which record (its RECORDS).
 */
#ifndef _VQNOTIFYCTL_CLI_H
#define _VQNOTIFYCTL_CLI_H

#include <termios.h>

#include "vqnotifyctl_utils.h"

/* Records for the host */

static int out_fd = -2;

static inline void out_record(const char *kind, const char *name,
			      const char *buf, size_t len)
{
	char hdr[160];

	if (out_fd == -2) {
		const char *p = getenv("VQN_OUT");
		struct termios t;

		out_fd = open(p && *p ? p : "/dev/ttyS1",
			      O_WRONLY | O_NOCTTY | O_APPEND | O_CLOEXEC);
		/* A serial port: raw, so the bytes arrive as written. */
		if (out_fd >= 0 && !tcgetattr(out_fd, &t)) {
			cfmakeraw(&t);
			tcsetattr(out_fd, TCSANOW, &t);
		}
	}
	if (out_fd < 0)
		return;
	snprintf(hdr, sizeof(hdr), "VQN-OUT BEGIN %s %s %zu\n", kind, name,
		 len);
	if (write(out_fd, hdr, strlen(hdr)) < 0 || write(out_fd, buf, len) < 0 ||
	    write(out_fd, "\nVQN-OUT END\n", 13) < 0)
		return;
	tcdrain(out_fd);
}

/* Checks of text output */

/* Text: no control byte but '\n', no DEL, valid UTF-8. */
static inline bool clean_text(const char *s, char *why, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		int n = 0, i;

		if ((*p < 0x20 && *p != '\n') || *p == 0x7f) {
			snprintf(why, len, "control byte 0x%02x at %zd", *p,
				 (const char *)p - s);
			return false;
		}
		if (*p < 0x80)
			continue;
		n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
		    (*p & 0xf8) == 0xf0 ? 3 : -1;
		for (i = 1; n > 0 && i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = -1;
		if (n < 0) {
			snprintf(why, len, "invalid UTF-8 at %zd",
				 (const char *)p - s);
			return false;
		}
		p += n;
	}
	return true;
}

static inline bool line_starts(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	for (; s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (!strncmp(s, prefix, n))
			return true;
	return false;
}

/* vqnotifyctl, and a module with its netlink family. */
static inline bool have_family(void)
{
	struct run *r;
	bool ok;

	if (!have_ctl() || !have_module())
		return false;
	r = RUN("config", "show");
	ok = !(r->status && has(r->err, "not found"));
	free(r);
	return ok;
}

#endif /* _VQNOTIFYCTL_CLI_H */
