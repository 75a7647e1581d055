// SPDX-License-Identifier: GPL-2.0
/*
 * hot: the overhead workload.  Runs N iterations of one hot syscall pattern
 * and prints one JSON line with the guest time the timed loop took.
 *
 *   hot openat N [--stop]   N x (openat("/dev/null") + close)
 *   hot read N [--stop]     N x 1-byte read of /dev/zero
 *
 * --stop: stop ourselves (SIGSTOP) after the warm-up, so the driver can
 * scope a target to this pid before the timed loop starts.
 *
 * Failures of the hot call are counted, not fatal: under a BLOCK target
 * every openat fails with EPERM and the loop still closes the (bad) fd, so
 * a blocked iteration makes the same two calls as a real one.
 *
 * Under -icount shift=0 CLOCK_MONOTONIC advances one nanosecond per guest
 * instruction, so "ns" is an instruction count there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 1000

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: hot openat|read N [--stop]\n");
	exit(2);
}

/* Returns how many of the n hot calls failed. */
static unsigned long run_openat(unsigned long n)
{
	/* On the stack: the probe reads the path without faulting, and a blocked call never faults it in. */
	char path[] = "/dev/null";
	unsigned long failed = 0, i;

	for (i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			failed++;
		close(fd);
	}
	return failed;
}

static unsigned long run_read(int fd, unsigned long n)
{
	unsigned long failed = 0, i;
	char c;

	for (i = 0; i < n; i++)
		if (read(fd, &c, 1) != 1)
			failed++;
	return failed;
}

int main(int argc, char **argv)
{
	unsigned long n, failed;
	unsigned long long t0, t1;
	int is_read, stop = 0, fd = -1;
	char *end;

	if (argc < 3 || argc > 4)
		usage();
	if (!strcmp(argv[1], "openat"))
		is_read = 0;
	else if (!strcmp(argv[1], "read"))
		is_read = 1;
	else
		usage();
	errno = 0;
	n = strtoul(argv[2], &end, 10);
	if (errno || *end || !n)
		usage();
	if (argc == 4) {
		if (strcmp(argv[3], "--stop"))
			usage();
		stop = 1;
	}
	if (is_read) {
		fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror("hot: /dev/zero");
			return 1;
		}
	}

	/* Fault in code, stack and libc paths so the timed loop measures steady state. */
	if (is_read)
		run_read(fd, WARMUP);
	else
		run_openat(WARMUP);
	if (stop)
		raise(SIGSTOP);

	t0 = now_ns();
	failed = is_read ? run_read(fd, n) : run_openat(n);
	t1 = now_ns();

	printf("{\"op\":\"%s\",\"n\":%lu,\"ns\":%llu,\"failed\":%lu,\"pid\":%d}\n",
	       argv[1], n, t1 - t0, failed, (int)getpid());
	return 0;
}
