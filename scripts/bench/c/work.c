// SPDX-License-Identifier: GPL-2.0
/*
 * work: the real workloads of the benchmark.  Runs one of them and prints
 * one JSON line with the guest time it took, like hot.
 *
 *   work tar ROOT [--stop]     `sh -c 'tar cf - tree | cat'` with ROOT as its
 *                              root directory (chroot), cat writing to /dev/null
 *   work exec N BIN [--stop]   N x (fork + execve(BIN) + wait)
 *
 * Everything they touch is to be in tmpfs (the driver copies tar, cat, sh and
 * their libraries into ROOT): a lookup on the VM's 9p root makes the guest
 * wait for the host, and idle time warps the instruction clock.
 *
 * One untimed run first faults in what the timed one needs; --stop: then stop
 * ourselves (SIGSTOP) so the driver can arm its tracer before the timed run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: work tar ROOT [--stop] | work exec N BIN [--stop]\n");
	exit(2);
}

static void __attribute__((noreturn)) die(const char *what)
{
	perror(what);
	exit(1);
}

/* Waits for pid; returns 0 when it exited with status 0. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("work: waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static const char *root;
static int null_fd = -1;

static int run_tar(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("work: fork");
	if (pid == 0) {
		if (dup2(null_fd, STDOUT_FILENO) < 0 || chroot(root) || chdir("/"))
			_exit(126);
		execl("/bin/sh", "sh", "-c", "tar cf - tree | cat", (char *)NULL);
		_exit(127);
	}
	return reap(pid);
}

static const char *bin;
static unsigned long execs;

static int run_execs(void)
{
	unsigned long i;
	int failed = 0;

	for (i = 0; i < execs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("work: fork");
		if (pid == 0) {
			execl(bin, bin, (char *)NULL);
			_exit(127);
		}
		failed |= reap(pid);
	}
	return failed;
}

int main(int argc, char **argv)
{
	int (*run)(void), stop = 0, nargs;
	unsigned long long t0, t1;
	char *end;

	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "tar")) {
		root = argv[2];
		run = run_tar;
		nargs = 3;
	} else if (!strcmp(argv[1], "exec") && argc >= 4) {
		errno = 0;
		execs = strtoul(argv[2], &end, 10);
		if (errno || *end || !execs)
			usage();
		bin = argv[3];
		run = run_execs;
		nargs = 4;
	} else {
		usage();
	}
	if (argc == nargs + 1 && !strcmp(argv[nargs], "--stop"))
		stop = 1;
	else if (argc != nargs)
		usage();
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0)
		die("work: /dev/null");

	if (run()) {
		fprintf(stderr, "work: the untimed %s run failed\n", argv[1]);
		return 1;
	}
	if (stop)
		raise(SIGSTOP);
	t0 = now_ns();
	if (run()) {
		fprintf(stderr, "work: the timed %s run failed\n", argv[1]);
		return 1;
	}
	t1 = now_ns();
	printf("{\"op\":\"%s\",\"n\":%lu,\"ns\":%llu,\"failed\":0,\"pid\":%d}\n",
	       argv[1], run == run_execs ? execs : 1ul, t1 - t0, (int)getpid());
	return 0;
}
