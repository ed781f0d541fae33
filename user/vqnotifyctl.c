// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl: show and steer the host's virtqueue notification slots, and
 * replay lifecycle scripts through /dev/vqnotify.
 *
 *   vqnotifyctl [-j] [-p] OBJECT COMMAND [ARGS]
 *
 * Exit codes: 0 success, 1 runtime failure, 2 usage error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vqnotifyctl.h"

/* From the build: dkms.conf's PACKAGE_VERSION (user/Makefile). */
#ifndef VQNOTIFYCTL_VERSION
#error "VQNOTIFYCTL_VERSION undefined: build with user/Makefile"
#endif

const char *prog = "vqnotifyctl";
struct ctl_opts opts;

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void stop_signals(void (*handler)(int), sigset_t *set)
{
	struct sigaction sa = { .sa_handler = handler };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int usage_error(void (*usage)(FILE *f), const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage)
		usage(stderr);
	return EXIT_USAGE;
}

bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "--help") ||
	       !strcmp(arg, "-h");
}

/* Decimal or 0x hexadecimal, nothing else after it. */
int parse_u32(const char *s, uint32_t *v)
{
	unsigned long long n;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	/* Decimal or 0x hexadecimal, as documented: "010" is ten, not eight. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		n = strtoull(s, &end, 16);
	} else {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		n = strtoull(s, &end, 10);
	}
	if (errno || *end || n > UINT32_MAX)
		return -EINVAL;
	*v = n;
	return 0;
}

const char *errno_name(int err)
{
	const char *n = strerrorname_np(err < 0 ? -err : err);

	return n ? n : "E?";
}

int errno_from_name(const char *name)
{
	int i;

	for (i = 1; i < 256; i++) {
		const char *n = strerrorname_np(i);

		if (n && !strcmp(n, name))
			return i;
	}
	return -EINVAL;
}

static void main_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       %s [OPTIONS] OBJECT help\n"
		"OBJECT := { guest | dev | queue | stats | monitor | metrics |\n"
		"            config | policy | user | replay | probe-kvm }\n"
		"OPTIONS := { -j[son] | -p[retty] | -t[imestamp] | -ts[hort] |\n"
		"             -V[ersion] | -h[elp] }\n"
		"Objects and commands may be abbreviated: g ls, q sh 3.\n"
		"\n"
		"  guest show [ID]                 guests host-wide (show, list, ls)\n"
		"  guest set ID { budget N | reserve N }\n"
		"  dev show [GUEST_ID]             devices\n"
		"  queue show [GUEST_ID [DEV_ID]]  queues and their slots\n"
		"  stats                           host-wide usage and transitions\n"
		"  monitor [events LIST] [guest G] [dev D] [count N]\n"
		"                                  one line per event until ^C\n"
		"  metrics [format F] [file FILE]  Prometheus or OpenMetrics text\n"
		"  metrics listen ADDR:PORT [count N]\n"
		"                                  the same over HTTP\n"
		"  config show\n"
		"  config set { default-budget | threshold | vhost-reserve |\n"
		"               host-cap | user-max-guests | user-max-devices |\n"
		"               user-max-queues | user-max-slots } N\n"
		"  policy show [name NAME | uid UID]\n"
		"  policy set { name NAME | uid UID } { budget | reserve |\n"
		"             max-guests | max-devices | max-queues |\n"
		"             max-slots } N ...\n"
		"  policy delete { name NAME | uid UID }\n"
		"                                  the admin's budgets and limits\n"
		"                                  by guest name or by user\n"
		"  user show [uid UID]             per-user usage and limits\n"
		"  replay FILE|-                   drive guests with a script\n"
		"  probe-kvm                       KVM's ioeventfd capabilities\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage error.\n"
		"See vqnotifyctl(8).\n", prog, prog);
}

static void probe_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] probe-kvm\n"
		"Asks /dev/kvm (KVM_CHECK_EXTENSION only) what it offers for\n"
		"ioeventfds: KVM_CAP_IOEVENTFD, _NO_LENGTH (zero-length MMIO,\n"
		"modern virtio-pci) and _ANY_LENGTH.\n", prog);
}

static int cmd_probe_kvm(int argc, char **argv)
{
	struct vqn_kvm_caps caps;
	int ret;

	if (argc > 1 && is_help(argv[1])) {
		probe_usage(stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error(probe_usage, "probe-kvm: unexpected '%s'",
				   argv[1]);
	ret = vqn_probe_kvm(-1, &caps);
	if (ret) {
		err_msg("probe-kvm: /dev/kvm: %s", strerror(-ret));
		return EXIT_RUNTIME;
	}
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		if (!w)
			return EXIT_RUNTIME;
		jw_obj_open(w, NULL);
		jw_int(w, "api_version", caps.api_version);
		jw_int(w, "ioeventfd", caps.ioeventfd);
		jw_int(w, "ioeventfd_no_length", caps.no_length);
		jw_int(w, "ioeventfd_any_length", caps.any_length);
		jw_obj_close(w);
		jw_end(w);
		jw_free(w);
		return EXIT_OK;
	}
	printf("kvm api version:          %d\n", caps.api_version);
	printf("KVM_CAP_IOEVENTFD:            %s\n",
	       caps.ioeventfd ? "yes" : "no");
	printf("KVM_CAP_IOEVENTFD_NO_LENGTH:  %s\n",
	       caps.no_length ? "yes" : "no");
	printf("KVM_CAP_IOEVENTFD_ANY_LENGTH: %s\n",
	       caps.any_length ? "yes" : "no");
	return EXIT_OK;
}

struct object {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *f);
};

/* In the order an abbreviation is tried: "m" is monitor, "me" metrics. */
static const struct object objects[] = {
	{ "guest", cmd_guest, guest_usage },
	{ "dev", cmd_dev, dev_usage },
	{ "queue", cmd_queue, queue_usage },
	{ "stats", cmd_stats, stats_usage },
	{ "monitor", cmd_monitor, monitor_usage },
	{ "metrics", cmd_metrics, metrics_usage },
	{ "config", cmd_config, config_usage },
	{ "replay", cmd_replay, replay_usage },
	{ "probe-kvm", cmd_probe_kvm, probe_usage },
	{ "policy", cmd_policy, policy_usage },
	{ "user", cmd_user, user_usage },
};

/* As iproute2's: 0 when @prefix is a non-empty prefix of @word. */
int matches(const char *prefix, const char *word)
{
	size_t n = strlen(prefix);

	return n && n <= strlen(word) && !memcmp(prefix, word, n) ? 0 : 1;
}

/*
 * Global options, as ip(8) takes them: one word each, abbreviated, with
 * one or two dashes (-j, -json, --json; -t, -ts). Old clusters of single
 * letters (-jp) still work. Sets *@n to the index of the first word
 * that is not an option; returns -1 to go on, or the exit status.
 */
static int global_options(int argc, char **argv, int *n)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "--")) {
			i++;
			break;
		}
		if (opt[1] == '-')
			opt++;
		if (!matches(opt, "-json")) {
			opts.json = true;
		} else if (!matches(opt, "-pretty")) {
			opts.pretty = true;
		} else if (!matches(opt, "-timestamp")) {
			opts.timestamp = TS_LONG;
		} else if (!matches(opt, "-tshort")) {
			opts.timestamp = TS_SHORT;
		} else if (!matches(opt, "-Version")) {
			printf("%s %s\n", prog, VQNOTIFYCTL_VERSION);
			return EXIT_OK;
		} else if (!matches(opt, "-help")) {
			main_usage(stdout);
			return EXIT_OK;
		} else if (argv[i][1] != '-' &&
			   strspn(opt + 1, "jp") == strlen(opt + 1)) {
			opts.json |= !!strchr(opt, 'j');
			opts.pretty |= !!strchr(opt, 'p');
		} else {
			return usage_error(main_usage, "unknown option '%s'",
					   argv[i]);
		}
	}
	*n = i;
	return -1;
}

int main(int argc, char **argv)
{
	unsigned int i;
	int n = 1, ret;

	/*
	 * All vqnotifyctl takes from the locale: whether the terminal is in
	 * UTF-8, for the names in text output. Back to "C" after, so that
	 * parsing and the rest do not depend on it.
	 */
	if (setlocale(LC_CTYPE, ""))
		text_utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	setlocale(LC_CTYPE, "C");

	ret = global_options(argc, argv, &n);
	if (ret >= 0)
		return ret;
	argc -= n;
	argv += n;
	if (!argc)
		return usage_error(main_usage, "no OBJECT given");
	if (is_help(argv[0])) {
		main_usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (!matches(argv[0], objects[i].name)) {
			ret = objects[i].run(argc, argv);
			/* A full disk or a closed pipe is a failure, not output. */
			if (fflush(stdout) || ferror(stdout)) {
				err_msg("stdout: %s", strerror(errno ? errno : EIO));
				return EXIT_RUNTIME;
			}
			return ret;
		}
	}
	return usage_error(main_usage, "unknown object '%s'", argv[0]);
}
