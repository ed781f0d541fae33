// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of how vqnotifyctl metrics --listen reads a request
 * (user/metrics.c, #included for its static functions): which format the
 * Accept header's q values choose, and that a request with a NUL byte is
 * answered 400 at once, not held until its timeout. Ends with "N passed,
 * N failed".
 */
#include "../metrics.c"

#include "check.h"

#define REQ(hdrs) "GET /metrics HTTP/1.1\r\nHost: x\r\n" hdrs "\r\n"

/* Request heads, and whether each asks for OpenMetrics. */
static const struct {
	const char *req;
	bool om;
} accepts[] = {
	{ REQ(""), false },
	{ REQ("Accept: application/openmetrics-text\r\n"), true },
	/* Prometheus's own */
	{ REQ("Accept: application/openmetrics-text;version=1.0.0;q=0.5,"
	      "application/openmetrics-text;version=0.0.1;q=0.4,"
	      "text/plain;version=0.0.4;q=0.3,*/*;q=0.2\r\n"), true },
	{ REQ("Accept: application/openmetrics-text;version=1.0.0,"
	      "text/plain;q=0.5\r\n"), true },
	/* The text format preferred */
	{ REQ("Accept: text/plain;version=0.0.4;q=0.5,"
	      "application/openmetrics-text;version=1.0.0;q=0.4\r\n"), false },
	/* q=0: refused */
	{ REQ("Accept: text/plain, application/openmetrics-text;q=0\r\n"),
	  false },
	{ REQ("Accept: application/openmetrics-text;q=0\r\n"), false },
	{ REQ("Accept: application/openmetrics-text; q=0.000\r\n"), false },
	/* A tie: OpenMetrics */
	{ REQ("Accept: text/plain;q=0.5,"
	      "application/openmetrics-text;q=0.50\r\n"), true },
	/* Wildcards count for the text format, not for OpenMetrics. */
	{ REQ("Accept: */*\r\n"), false },
	{ REQ("Accept: */*;q=0.6, application/openmetrics-text;q=0.5\r\n"),
	  false },
	{ REQ("Accept: TEXT/*;Q=0.6, Application/OpenMetrics-Text;q=0.5\r\n"),
	  false },
	{ REQ("Accept: application/*, text/plain;q=0.1\r\n"), false },
	{ REQ("Accept: text/html, application/openmetrics-text;q=0.1\r\n"),
	  true },
	/* Spaces, and q among other parameters */
	{ REQ("Accept:text/plain ; q=0.2 ,  application/openmetrics-text ;"
	      " version=1.0.0 ; q=0.3\r\n"), true },
	/* A quoted value with ',' and ';' is one parameter. */
	{ REQ("Accept: text/plain;x=\"a,b;q=0\\\",c\";q=0.9,"
	      "application/openmetrics-text;q=0.8\r\n"), false },
	/* An unterminated quote ends with the line. */
	{ REQ("Accept: application/openmetrics-text;x=\"a,text/plain\r\n"),
	  true },
	/* Two Accept lines count as one list. */
	{ REQ("Accept: application/openmetrics-text;q=0.5\r\n"
	      "Accept: text/plain;q=0.9\r\n"), false },
	/* Only a whole type counts, and only in an Accept header. */
	{ REQ("Accept: application/openmetrics-textx\r\n"), false },
	{ REQ("Accept: application/openmetrics\r\n"), false },
	{ REQ("X-Accept: application/openmetrics-text\r\n"), false },
	{ REQ("Accept-Encoding: application/openmetrics-text\r\n"), false },
	/* Malformed q values: refused, whatever follows */
	{ REQ("Accept: application/openmetrics-text;q=x\r\n"), false },
	{ REQ("Accept: application/openmetrics-text;q=\r\n"), false },
	/* q above 1 is 1. */
	{ REQ("Accept: text/plain;q=1, application/openmetrics-text;q=1.5\r\n"),
	  true },
	/* Nothing after the head's end is a header. */
	{ "GET /metrics HTTP/1.1\r\n\r\nAccept: application/openmetrics-text"
	  "\r\n\r\n", false },
	{ "GET /metrics HTTP/1.1\nAccept: application/openmetrics-text\n\n",
	  true },
	/* Truncated anywhere */
	{ "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;q=",
	  false },
	{ "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;",
	  true },
	{ "GET /metrics HTTP/1.1\r\nAccept: text/plain;x=\"\\", false },
};

/*
 * conn_recv() of a connection that got @n parts of @len[] bytes each of
 * @req, one after the other: what it returned after the last, and what it
 * sent into @out (@size bytes at most, terminated).
 */
static int recv_parts(const char *req, const size_t *len, int n, char *out,
		      size_t size)
{
	struct conn *c = calloc(1, sizeof(*c));
	int sv[2], ret = -1, i;
	ssize_t got;

	out[0] = '\0';
	if (!c || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		free(c);
		return -1;
	}
	c->fd = sv[0];
	for (i = 0; i < n; i++) {
		if (write(sv[1], req, len[i]) != (ssize_t)len[i])
			break;
		req += len[i];
		ret = conn_recv(c);
		if (ret)
			break;
	}
	got = recv(sv[1], out, size - 1, MSG_DONTWAIT);
	out[got > 0 ? got : 0] = '\0';
	close(sv[0]);
	close(sv[1]);
	free(c);
	return i < n - 1 ? -1 : ret;
}

static const char bad_request[] = "HTTP/1.1 400 Bad Request\r\n";

static void nul_requests(void)
{
	static const char nul[] = "GET /metrics HTTP/1.1\r\nX: \0\r\n\r\n";
	static const char lead[] = "GET /metrics HTTP/1.1\r\n";
	static const char part[] = "GET /metrics HTTP/1.1\r\nX: \0";
	static const char late[] = "GET /metrics HTTP/1.1\r\n\r\n\0";
	size_t len[2];
	char out[512];

	/* The reviewer's: 400 at once, not silence until the timeout. */
	len[0] = sizeof(nul) - 1;
	check(recv_parts(nul, len, 1, out, sizeof(out)) == 1 &&
	      !strncmp(out, bad_request, strlen(bad_request)),
	      "NUL in the head: 400 at once");
	/* Incomplete but good so far: more to read, nothing sent. */
	len[0] = sizeof(lead) - 1;
	check(!recv_parts(lead, len, 1, out, sizeof(out)) && !out[0],
	      "an incomplete head: waits for more");
	/* The same head, the NUL in a second read. */
	len[1] = sizeof(nul) - 1 - len[0];
	check(recv_parts(nul, len, 2, out, sizeof(out)) == 1 &&
	      !strncmp(out, bad_request, strlen(bad_request)),
	      "NUL in the second read: 400 at once");
	/* A NUL before any end of the head: 400, not a wait for more. */
	len[0] = sizeof(part) - 1;
	check(recv_parts(part, len, 1, out, sizeof(out)) == 1 &&
	      !strncmp(out, bad_request, strlen(bad_request)),
	      "NUL in an incomplete head: 400 at once");
	/* After the head's end, in the same read: still a NUL in it. */
	len[0] = sizeof(late) - 1;
	check(recv_parts(late, len, 1, out, sizeof(out)) == 1 &&
	      !strncmp(out, bad_request, strlen(bad_request)),
	      "NUL after the head's end: 400");
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "accept %u: %s", i,
			 accepts[i].om ? "OpenMetrics" : "the text format");
		check(wants_openmetrics(accepts[i].req) == accepts[i].om, what);
	}
	nul_requests();
	/* 25.5 days of uptime: wrong where long has 32 bits (i386, armhf). */
	check(ms_since(&(struct timespec){ 0 },
		       &(struct timespec){ .tv_sec = 2200000 }) == 2200000000LL,
	      "milliseconds past 2^31: the first pause, from 0");
	return check_summary();
}
