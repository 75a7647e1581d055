// SPDX-License-Identifier: GPL-2.0
/*
 * Test 18: a configuration change is seen whole or not at all.
 *
 * One target, getppid, is toggled as fast as the control process can
 * between {log, every process} and {block, one process X}: first through
 * the ioctls, then through /proc/syscallmon/control ("pid add X" + "getppid
 * block", "pid del X" + "getppid log").  Meanwhile X and a bystander call
 * getppid in a loop.  The bystander is never in a block target's scope, so
 * none of its calls may fail; X's calls may fail, but only with EPERM, and
 * do at least once.
 *
 * SYSCALLMON_TOGGLE_SECONDS: seconds per phase (default 20).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

struct tally {
	atomic_int stop;
	uint64_t calls;
	uint64_t eperm;
	uint64_t other;		/* any other failure */
	int other_errno;
};

static struct tally *tally;	/* [0] X, [1] the bystander; MAP_SHARED */

static int call_loop(void *arg)
{
	struct tally *t = &tally[(intptr_t)arg];

	while (!atomic_load(&t->stop)) {
		long r = syscall(SYS_getppid);

		t->calls++;
		if (r >= 0)
			continue;
		if (errno == EPERM) {
			t->eperm++;
		} else {
			t->other++;
			t->other_errno = errno;
		}
	}
	return 0;
}

static int control(const char *cmd)
{
	ssize_t n = smon_write_file(SMON_PROC_CONTROL, cmd, strlen(cmd));

	return n < 0 ? (int)n : 0;
}

/* Runs toggle() until the phase's time is up; returns how many changes it made. */
static long toggle_for(int fd, uint32_t x, double seconds, int use_proc)
{
	uint64_t end = smon_monotonic_ns() + (uint64_t)(seconds * 1e9);
	char add[64], del[64];
	long changes = 0;
	int ret = 0;

	snprintf(add, sizeof(add), "pid add %u\n", x);
	snprintf(del, sizeof(del), "pid del %u\n", x);
	while (smon_monotonic_ns() < end && !ret) {
		if (use_proc) {
			ret = control(add) ?: control("getppid block\n") ?: control(del) ?: control("getppid log\n");
		} else {
			ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_BLOCK, 0, 0, &x, 1) ?:
			      smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0,
					      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
		}
		changes += 2;
	}
	CHECK(ret == 0, "%s: a change failed: %s", use_proc ? "/proc control" : "ioctls", smon_errname(ret));
	return changes;
}

static void phase(int fd, int use_proc, double seconds)
{
	const char *how = use_proc ? "/proc/syscallmon/control" : "the ioctls";
	struct smon_child x, bystander;
	long changes;

	memset(tally, 0, 2 * sizeof(*tally));
	REQUIRE(smon_child_spawn(&x, &(struct smon_child_opts){ .comm = "smon-t18-x" }, call_loop,
				 (void *)0) == 0, "spawn X");
	REQUIRE(smon_child_spawn(&bystander, &(struct smon_child_opts){ .comm = "smon-t18-by" }, call_loop,
				 (void *)1) == 0, "spawn the bystander");
	if (!use_proc)
		REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK) == 0, "SET_MODE BLOCK");
	smon_child_release(&x);
	smon_child_release(&bystander);
	changes = toggle_for(fd, x.pid, seconds, use_proc);
	atomic_store(&tally[0].stop, 1);
	atomic_store(&tally[1].stop, 1);
	CHECK_EQ(smon_child_wait(&x), 0, "X's exit status");
	CHECK_EQ(smon_child_wait(&bystander), 0, "the bystander's exit status");
	smon_diag("%s: %ld changes in %.0f s; X: %llu calls, %llu EPERM; bystander: %llu calls", how,
		  changes, seconds, (unsigned long long)tally[0].calls, (unsigned long long)tally[0].eperm,
		  (unsigned long long)tally[1].calls);
	CHECK(tally[1].calls > 0, "%s: the bystander made no call", how);
	CHECK(tally[1].eperm == 0 && tally[1].other == 0,
	      "%s: the bystander, never in scope, had %llu calls fail with EPERM and %llu otherwise", how,
	      (unsigned long long)tally[1].eperm, (unsigned long long)tally[1].other);
	CHECK(tally[0].other == 0, "%s: X had %llu calls fail with %s, want only EPERM", how,
	      (unsigned long long)tally[0].other, smon_errname(tally[0].other_errno));
	CHECK(tally[0].eperm > 0, "%s: X was never blocked in %llu calls", how,
	      (unsigned long long)tally[0].calls);
	CHECK(changes > 100, "%s: only %ld changes", how, changes);
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0, "SET_MODE OFF");
	REQUIRE(smon_clear(fd, SYSCALLMON_CLEAR_TARGETS | SYSCALLMON_CLEAR_LOG) == 0, "CLEAR");
}

int main(void)
{
	const char *env = getenv("SYSCALLMON_TOGGLE_SECONDS");
	double seconds = env ? atof(env) : 20;
	int fd;

	tally = mmap(NULL, 2 * sizeof(*tally), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(tally != MAP_FAILED, "mmap");
	REQUIRE(smon_load(NULL) == 0, "load failed");
	/* We hold the device: our own calls are exempt, whatever the target says. */
	fd = smon_open(0);
	REQUIRE(fd >= 0, "open device: %s", smon_errname(fd));

	phase(fd, 0, seconds);
	phase(fd, 1, seconds);

	close(fd);
	CHECK(smon_unload() == 0, "unload");
	smon_exit();
}
