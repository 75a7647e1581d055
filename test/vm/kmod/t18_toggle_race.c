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
 * Then whole policies, mode and rules in one step, between {BLOCK: allow
 * the bystander's comm, then block every comm starting "smon-t18-"} and
 * {LOG: block every comm starting "smon-t18-"}.  Only a mix (BLOCK with
 * the second's rules, or the first's block without its allow) could refuse
 * the bystander.
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

enum how { IOCTLS, PROC_CONTROL, POLICIES };

static const char *const how_names[] = { "the ioctls", "/proc/syscallmon/control", "policies" };

static void getppid_rule(struct syscallmon_rule *r, const char *name, uint32_t action, uint32_t flags,
			 const char *comm)
{
	smon_rule_init(r, name, action, flags | SYSCALLMON_SEL_COMM);
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	smon_rule_syscall(r, __NR_getppid);
}

static long toggle_policies(int fd, uint64_t end)
{
	struct syscallmon_rule a[2], b[1];
	long changes = 0;
	int ret = 0;

	getppid_rule(&a[0], "allow-bystander", SYSCALLMON_RULE_ALLOW, 0, "smon-t18-by");
	getppid_rule(&a[1], "block-t18", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE | SYSCALLMON_RULE_COMM_PREFIX,
		     "smon-t18-");
	b[0] = a[1];
	while (smon_monotonic_ns() < end && !ret) {
		ret = smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, a, 2) ?:
		      smon_replace_policy(fd, SYSCALLMON_MODE_LOG, b, 1);
		changes += 2;
	}
	CHECK(ret == 0, "policies: a change failed: %s", smon_errname(ret));
	return changes;
}

/* Runs toggle() until the phase's time is up; returns how many changes it made. */
static long toggle_for(int fd, uint32_t x, double seconds, enum how how)
{
	uint64_t end = smon_monotonic_ns() + (uint64_t)(seconds * 1e9);
	char add[64], del[64];
	long changes = 0;
	int ret = 0;

	if (how == POLICIES)
		return toggle_policies(fd, end);
	snprintf(add, sizeof(add), "pid add %u\n", x);
	snprintf(del, sizeof(del), "pid del %u\n", x);
	while (smon_monotonic_ns() < end && !ret) {
		if (how == PROC_CONTROL) {
			ret = control(add) ?: control("getppid block\n") ?: control(del) ?: control("getppid log\n");
		} else {
			ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_BLOCK, 0, 0, &x, 1) ?:
			      smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0,
					      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
		}
		changes += 2;
	}
	CHECK(ret == 0, "%s: a change failed: %s", how_names[how], smon_errname(ret));
	return changes;
}

static void phase(int fd, enum how way, double seconds)
{
	const char *how = how_names[way];
	struct smon_child x, bystander;
	long changes;

	memset(tally, 0, 2 * sizeof(*tally));
	REQUIRE(smon_child_spawn(&x, &(struct smon_child_opts){ .comm = "smon-t18-x" }, call_loop,
				 (void *)0) == 0, "spawn X");
	REQUIRE(smon_child_spawn(&bystander, &(struct smon_child_opts){ .comm = "smon-t18-by" }, call_loop,
				 (void *)1) == 0, "spawn the bystander");
	if (way == IOCTLS)
		REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK) == 0, "SET_MODE BLOCK");
	smon_child_release(&x);
	smon_child_release(&bystander);
	changes = toggle_for(fd, x.pid, seconds, way);
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
	REQUIRE(smon_replace_policy(fd, SYSCALLMON_MODE_OFF, NULL, 0) == 0, "empty policy, mode OFF");
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

	phase(fd, IOCTLS, seconds);
	phase(fd, PROC_CONTROL, seconds);
	phase(fd, POLICIES, seconds);

	close(fd);
	CHECK(smon_unload() == 0, "unload");
	smon_exit();
}
