// SPDX-License-Identifier: GPL-2.0
/*
 * The test runners' helper, so the guest needs no kmod or util-linux
 * features:
 *
 *   smon_util kmsg-seq          print the sequence number of the newest
 *                               kernel log record (-1 if none)
 *   smon_util kmsg-check SEQ    print the kernel log records after SEQ that
 *                               report a kernel problem; exit 1 if any
 *   smon_util kmsg-since SEQ    print every kernel log record after SEQ
 *   smon_util check             the same judgement over a kernel log given
 *                               as text on stdin (dmesg output, a VM's
 *                               console), one finding a line; exit 1 if any
 *   smon_util unload            unload syscallmon if loaded; exit 1 if it
 *                               stays loaded
 *
 * Findings are "[rule] line" (kmsg-check: "SEQ: [rule] message"); the judge
 * is smon_kernel_problem() in smon_test.c.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smon_test.h"

static void ignore(long long seq, const char *msg, void *arg)
{
	(void)seq;
	(void)msg;
	(void)arg;
}

static void print_problem(long long seq, const char *msg, void *arg)
{
	const char *rule = smon_kernel_problem(msg);

	if (!rule)
		return;
	printf("%lld: [%s] %s\n", seq, rule, msg);
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

static int scan(long long after, void (*fn)(long long, const char *, void *), void *arg, long long *last)
{
	*last = smon_kmsg_scan(after, fn, arg);
	if (*last == -2) {
		perror("smon_util: open /dev/kmsg");
		return -1;
	}
	return 0;
}

/* Judges stdin line by line; returns the number of findings. */
static int check_text(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int found = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		const char *rule;

		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		rule = smon_kernel_problem(line);
		if (rule) {
			printf("[%s] %s\n", rule, line);
			found++;
		}
	}
	free(line);
	return found;
}

int main(int argc, char **argv)
{
	long long last;
	int found = 0;

	if (argc == 2 && !strcmp(argv[1], "kmsg-seq")) {
		if (scan(-1, ignore, NULL, &last) < 0)
			return 1;
		printf("%lld\n", last);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "kmsg-check")) {
		if (scan(parse_seq(argv[2]), print_problem, &found, &last) < 0)
			return 1;
		return found ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "kmsg-since")) {
		if (scan(parse_seq(argv[2]), print_all, NULL, &last) < 0)
			return 1;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "check"))
		return check_text() ? 1 : 0;
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
	fprintf(stderr, "usage: smon_util kmsg-seq | kmsg-check SEQ | kmsg-since SEQ | check | unload\n");
	return 2;
}
