// SPDX-License-Identifier: GPL-2.0
/*
 * vqn-qmp: run one command on a QEMU's QMP unix socket and print the answer.
 * The rig's busybox has no unix-socket client; this is the smallest one.
 *
 *   vqn-qmp SOCKET HMP COMMAND LINE   human-monitor-command; prints its text
 *   vqn-qmp -j SOCKET JSON            a raw QMP command; prints the reply line
 *   vqn-qmp --now                     the wall clock, SECONDS.MICROSECONDS
 *                                     (busybox date has no %N), the clock
 *                                     of QEMU's "-msg timestamp=on" traces
 *
 * Waits up to 10 s for the socket to appear, 60 s for the answer. Events
 * QEMU sends meanwhile are skipped. Exit status: 0 on "return", 1 on
 * "error" or any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *in;

/* The next reply line (an event is not one); NULL at EOF. */
static char *reply(void)
{
	static char *line;
	static size_t cap;

	while (getline(&line, &cap, in) > 0) {
		if (!strncmp(line, "{\"return\"", 9) || !strncmp(line, "{\"error\"", 8))
			return line;
	}
	return NULL;
}

/* Print the JSON string starting after the opening quote at @s. */
static void print_json_string(const char *s)
{
	for (; *s && *s != '"'; s++) {
		if (*s != '\\') {
			putchar(*s);
			continue;
		}
		switch (*++s) {
		case 'n': putchar('\n'); break;
		case 'r': break;
		case 't': putchar('\t'); break;
		case 'u': {
			unsigned int c = 0;

			if (sscanf(s + 1, "%4x", &c) == 1 && c < 0x80)
				putchar(c);
			s += 4;
			break;
		}
		case '\0': return;
		default: putchar(*s); break;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int raw = argc > 1 && !strcmp(argv[1], "-j");
	char *cmd, *r;
	size_t len;
	int fd, i;

	if (argc == 2 && !strcmp(argv[1], "--now")) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		printf("%ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
		return 0;
	}
	argv += raw;
	argc -= raw;
	if (argc < 3) {
		fprintf(stderr, "usage: vqn-qmp [-j] SOCKET COMMAND...\n");
		return 2;
	}
	alarm(60);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	for (i = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)); i++) {
		if (i == 100) {
			fprintf(stderr, "vqn-qmp: %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		usleep(100000);
	}
	in = fdopen(fd, "r");
	/* The greeting, then capabilities negotiation. */
	dprintf(fd, "{\"execute\":\"qmp_capabilities\"}\n");
	if (!reply())
		return 1;
	len = 0;
	for (i = 2; i < argc; i++)
		len += strlen(argv[i]) * 2 + 1;
	cmd = calloc(1, len + 1);
	for (i = 2; i < argc; i++) {
		char *p = cmd + strlen(cmd), *a;

		if (i > 2)
			*p++ = ' ';
		for (a = argv[i]; *a; a++) {
			if (!raw && (*a == '"' || *a == '\\'))
				*p++ = '\\';
			*p++ = *a;
		}
	}
	if (raw)
		dprintf(fd, "%s\n", cmd);
	else
		dprintf(fd, "{\"execute\":\"human-monitor-command\",\"arguments\":"
			"{\"command-line\":\"%s\"}}\n", cmd);
	r = reply();
	if (!r)
		return 1;
	if (raw) {
		fputs(r, stdout);
	} else if (!strncmp(r, "{\"return\": \"", 12)) {
		print_json_string(r + 12);
	}
	return strncmp(r, "{\"return\"", 9) != 0;
}
