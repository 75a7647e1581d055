// SPDX-License-Identifier: GPL-2.0
/*
 * hot: the overhead workload.  Runs N iterations of one hot syscall pattern
 * and prints one JSON line with the guest time the timed loop took.
 *
 *   hot lean N [--stop]     N x (openat(AT_FDCWD, "/dev/null", O_RDONLY) of a
 *                           string literal + close): the leanest open a program makes
 *   hot openat N [--stop]   N x (openat("/dev/null", O_CLOEXEC) of a copy on the
 *                           stack + close)
 *   hot read N [--stop]     N x 1-byte read of /dev/zero
 *
 * --stop: stop ourselves (SIGSTOP) after the warm-up, so the driver can
 * scope a target to this pid before the timed loop starts.
 * --mark: execute the marker instruction (see MARK) right before and right
 * after the timed loop, for the instruction-counting QEMU plugin
 * (scripts/bench/insn-count.c) to count exactly that loop.
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

#include "clock.h"

#define WARMUP 1000

/* xchg %bx,%bx: changes nothing; compilers never emit it, so the plugin can look for it. */
#define MARK() __asm__ volatile(".byte 0x66, 0x87, 0xdb" ::: "memory")

static void usage(void)
{
	fprintf(stderr, "usage: hot lean|openat|read N [--stop] [--mark]\n");
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

/* The path in the program's read-only data, as most programs pass one. */
static unsigned long run_lean(unsigned long n)
{
	unsigned long failed = 0, i;

	for (i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);

		if (fd < 0)
			failed++;
		close(fd);
	}
	return failed;
}

static int zero_fd = -1;

static unsigned long run_zero_reads(unsigned long n)
{
	unsigned long failed = 0, i;
	char c;

	for (i = 0; i < n; i++)
		if (read(zero_fd, &c, 1) != 1)
			failed++;
	return failed;
}

int main(int argc, char **argv)
{
	unsigned long n, failed;
	unsigned long long t0, t1;
	unsigned long (*loop)(unsigned long);
	int stop = 0, mark = 0, i;
	char *end;

	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "lean"))
		loop = run_lean;
	else if (!strcmp(argv[1], "openat"))
		loop = run_openat;
	else if (!strcmp(argv[1], "read"))
		loop = run_zero_reads;
	else
		usage();
	errno = 0;
	n = strtoul(argv[2], &end, 10);
	if (errno || *end || !n)
		usage();
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--stop"))
			stop = 1;
		else if (!strcmp(argv[i], "--mark"))
			mark = 1;
		else
			usage();
	}
	if (loop == run_zero_reads) {
		zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (zero_fd < 0) {
			perror("hot: /dev/zero");
			return 1;
		}
	}

	/* Fault in code, stack and libc paths so the timed loop measures steady state. */
	loop(WARMUP);
	if (stop)
		raise(SIGSTOP);

	if (mark)
		MARK();
	t0 = now_ns();
	failed = loop(n);
	t1 = now_ns();
	if (mark)
		MARK();

	printf("{\"op\":\"%s\",\"n\":%lu,\"ns\":%llu,\"failed\":%lu,\"pid\":%d}\n",
	       argv[1], n, t1 - t0, failed, (int)getpid());
	return 0;
}
