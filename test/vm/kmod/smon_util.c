// SPDX-License-Identifier: GPL-2.0
/*
 * run.sh's helper, so the guest needs no kmod or util-linux features:
 *
 *   smon_util kmsg-seq          print the sequence number of the newest
 *                               kernel log record (-1 if none)
 *   smon_util kmsg-check SEQ    print the kernel log records after SEQ that
 *                               report a kernel problem; exit 1 if any
 *   smon_util kmsg-since SEQ    print every kernel log record after SEQ
 *   smon_util unload            unload syscallmon if loaded; exit 1 if it
 *                               stays loaded
 *
 * /dev/kmsg is read rather than dmesg's text because records carry a
 * sequence number: "since the test began" stays exact even if the log
 * buffer wraps.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smon_test.h"

/*
 * What the issue counts as a kernel problem, plus close relatives; the VM
 * runner's dmesg check (src/vm/dmesg.ts) uses the same words.  Whole words,
 * so "DEBUG" is not "BUG".
 */
static const char *const problem_words[] = { "WARNING", "BUG", "Oops" };
static const char *const problem_phrases[] = {
	"general protection", "soft lockup", "hard LOCKUP", "Call Trace",
	"blocked for more than", "detected stall", "Kernel panic", "UBSAN:", "KASAN:",
	"list_add corruption", "list_del corruption", "refcount_t:",
};

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int has_word(const char *msg, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = strstr(msg, word); p; p = strstr(p + 1, word))
		if ((p == msg || !is_word_char(p[-1])) && !is_word_char(p[len]))
			return 1;
	return 0;
}

static int is_problem(const char *msg)
{
	for (size_t i = 0; i < sizeof(problem_words) / sizeof(problem_words[0]); i++)
		if (has_word(msg, problem_words[i]))
			return 1;
	for (size_t i = 0; i < sizeof(problem_phrases) / sizeof(problem_phrases[0]); i++)
		if (strstr(msg, problem_phrases[i]))
			return 1;
	return 0;
}

/*
 * Calls fn for every record with seq > after.  A record is
 * "prio,seq,usec,flags;message\n KEY=value\n...".
 */
static int scan_kmsg(long long after, long long *last,
		     void (*fn)(long long seq, const char *msg, void *arg), void *arg)
{
	char buf[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "smon_util: open /dev/kmsg: %s\n", strerror(errno));
		return -1;
	}
	*last = -1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		long long seq;
		char *msg, *nl;

		if (n < 0) {
			if (errno == EPIPE)	/* overwritten while we read: go on */
				continue;
			if (errno == EINTR)
				continue;
			break;			/* EAGAIN: no more records */
		}
		buf[n] = '\0';
		if (sscanf(buf, "%*u,%lld,", &seq) != 1)
			continue;
		*last = seq;
		msg = strchr(buf, ';');
		if (!msg || seq <= after)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		fn(seq, msg, arg);
	}
	close(fd);
	return 0;
}

static void ignore(long long seq, const char *msg, void *arg)
{
	(void)seq;
	(void)msg;
	(void)arg;
}

static void print_problem(long long seq, const char *msg, void *arg)
{
	if (!is_problem(msg))
		return;
	printf("%lld: %s\n", seq, msg);
	++*(int *)arg;
}

static void print_all(long long seq, const char *msg, void *arg)
{
	(void)arg;
	printf("%lld: %s\n", seq, msg);
}

static long long parse_seq(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end) {
		fprintf(stderr, "smon_util: bad sequence number \"%s\"\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long long last;
	int found = 0;

	if (argc == 2 && !strcmp(argv[1], "kmsg-seq")) {
		if (scan_kmsg(-1, &last, ignore, NULL) < 0)
			return 1;
		printf("%lld\n", last);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "kmsg-check")) {
		if (scan_kmsg(parse_seq(argv[2]), &last, print_problem, &found) < 0)
			return 1;
		return found ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "kmsg-since")) {
		if (scan_kmsg(parse_seq(argv[2]), &last, print_all, NULL) < 0)
			return 1;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "unload")) {
		int ret;

		if (!smon_loaded())
			return 0;
		ret = smon_unload();
		if (ret < 0) {
			fprintf(stderr, "smon_util: unload syscallmon: %s\n", smon_errname(ret));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: smon_util kmsg-seq | kmsg-check SEQ | kmsg-since SEQ | unload\n");
	return 2;
}
