// SPDX-License-Identifier: GPL-2.0
/*
 * Test 12: per-pid intercept semantics, on getppid.
 *   - intercept = ADD_TARGET with SYSCALLMON_TARGET_EXCLUSIVE and no pids:
 *     the probe is armed, the scope matches nothing (hits, no records);
 *     intercepting twice is EBUSY and changes nothing; releasing a syscall
 *     that isn't intercepted is EINVAL; monitoring a pid that doesn't exist
 *     is ESRCH; monitoring (ADD_PIDS) logs exactly that process's calls,
 *     stopping (DEL_PIDS) logs none of them, also when a pid named beside
 *     it is gone;
 *   - pid reuse: a monitored process exits, its pid leaves the scope; the
 *     pid is reused on purpose (ns_last_pid) and the new process is not
 *     monitored (hits, no records) until it is added explicitly;
 *   - a pid leaves the scope however its process ends: exit, SIGKILL, a
 *     multithreaded process whose leader exits before the others, and two
 *     threads ending the process at the same moment;
 *   - do_exit is probed while a pid scope exists, not after the release.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define NR		__NR_getppid
#define SYMBOL		"__x64_sys_getppid"
#define CALLS		40
#define AT_ONCE_ROUNDS	300

static int leader_first_group(void *arg)
{
	(void)arg;
	smon_exit_leader_first(1, 9);
	return 111;
}

static int leader_first_last(void *arg)
{
	(void)arg;
	smon_exit_leader_first(0, 4);
	return 111;
}

static int get_info(int fd, struct syscallmon_target_info *info)
{
	int ret = smon_target_info(fd, NR, info);

	return CHECK(ret == 0, "GET_TARGETS getppid: %s", smon_errname(ret)) ? 0 : -1;
}

static int scope_has(int fd, uint32_t pid)
{
	static uint32_t pids[SYSCALLMON_MAX_PIDS];
	int n = smon_target_pids(fd, NR, pids, SYSCALLMON_MAX_PIDS);

	CHECK(n >= 0, "GET_PIDS getppid: %s", smon_errname(n));
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/* Records read now: exactly want getppid records of tgid, and nothing else. */
static void expect_records(int fd, pid_t tgid, size_t want, const char *what)
{
	struct smon_events events = { 0 };
	size_t mine = 0;
	int ret = smon_read_all(fd, &events);

	smon_drop_config(&events);
	CHECK(ret == 0, "%s: read records: %s", what, smon_errname(ret));
	for (size_t i = 0; i < events.n; i++)
		mine += events.ev[i].type == SYSCALLMON_RECORD_SYSCALL && events.ev[i].nr == NR &&
			events.ev[i].tgid == (uint32_t)tgid;
	smon_diag("%s: %zu records, %zu getppid of pid %d", what, events.n, mine, tgid);
	CHECK(mine == want, "%s: %zu getppid records of pid %d, want %zu", what, mine, tgid, want);
	CHECK(events.n == mine, "%s: %zu other records", what, events.n - mine);
	for (size_t i = 0; i < events.n && i < 3 && (mine != want || events.n != mine); i++)
		smon_event_print(&events.ev[i]);
	smon_events_free(&events);
}

/* Spawns fn(SMON_COUNT(CALLS)) in a gated child and monitors its pid (ADD_PIDS); -1 if no child. */
static int spawn_monitored(int fd, struct smon_child *child, const struct smon_child_opts *opts,
			   smon_workload_fn fn, uint32_t *pid)
{
	int ret = smon_child_spawn(child, opts, fn, SMON_COUNT(CALLS));

	if (!CHECK(ret == 0, "spawn: %s", smon_errname(ret)))
		return -1;
	*pid = child->pid;
	ret = smon_add_pids(fd, NR, pid, 1);
	CHECK(ret == 0, "monitor pid %u: %s", *pid, smon_errname(ret));
	return 0;
}

static uint64_t hits_now(int fd)
{
	struct syscallmon_target_info info;

	return get_info(fd, &info) ? 0 : info.hits;
}

static void intercept_errors(int fd)
{
	struct syscallmon_target_info info;
	uint32_t gone;
	int ret;

	smon_diag("intercept, intercept twice, release what isn't intercepted, monitor a dead pid");
	/* Armed while the module is loaded, before any scope can exist. */
	CHECK_EQ(smon_kprobe_listed(SMON_EXIT_PROBE), 1, "exit probe before any pid scope");
	ret = smon_add_target(fd, NR, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_EXCLUSIVE,
			      NULL, 0);
	REQUIRE(ret == 0, "intercept getppid: %s", smon_errname(ret));
	CHECK_EQ(smon_hooked(SYMBOL), 1, SYMBOL " hooked after intercept");
	if (get_info(fd, &info) == 0) {
		CHECK_EQ(info.npids, 0, "intercepted: scope size");
		CHECK_EQ(info.armed, 1, "intercepted: armed");
		CHECK(!(info.flags & SYSCALLMON_TARGET_ALL_PIDS), "intercepted: scope is all pids");
	}

	/* A second intercept must not touch the first: ALL_PIDS would widen it. */
	ret = smon_add_target(fd, NR, SYSCALLMON_ACTION_BLOCK, 0,
			      SYSCALLMON_TARGET_EXCLUSIVE | SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
	CHECK(ret == -EBUSY, "intercept getppid twice: %s, want EBUSY", smon_errname(ret));
	if (get_info(fd, &info) == 0) {
		CHECK(!(info.flags & SYSCALLMON_TARGET_ALL_PIDS), "EBUSY intercept widened the scope");
		CHECK_EQ(info.action, SYSCALLMON_ACTION_LOG, "EBUSY intercept changed the action");
	}

	ret = smon_del_target(fd, __NR_getpid);
	CHECK(ret == -EINVAL, "release getpid (not intercepted): %s, want EINVAL",
	      smon_errname(ret));

	gone = smon_reaped_pid();
	REQUIRE(kill(gone, 0) < 0 && errno == ESRCH, "pid %u is still in use", gone);
	ret = smon_add_pids(fd, NR, &gone, 1);
	CHECK(ret == -ESRCH, "monitor pid %u (doesn't exist): %s, want ESRCH", gone,
	      smon_errname(ret));
	if (get_info(fd, &info) == 0)
		CHECK_EQ(info.npids, 0, "scope size after a refused monitor");
}

static void empty_scope_matches_nothing(int fd)
{
	const struct smon_child_opts opts = { .comm = "smon-t12-none" };
	struct smon_child child;
	uint64_t hits;
	int ret;

	smon_diag("intercepted, nobody monitored: calls hit the probe, nothing is logged");
	CHECK(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	hits = hits_now(fd);
	ret = smon_child_spawn(&child, &opts, smon_getppid_times, SMON_COUNT(CALLS));
	if (!CHECK(ret == 0, "spawn: %s", smon_errname(ret)))
		return;
	CHECK(smon_child_release(&child) == 0, "release");
	CHECK_EQ(smon_child_wait(&child), 0, "child exit status");
	hits = hits_now(fd) - hits;
	CHECK(hits >= CALLS, "probe hits grew by %llu, want >= %d (armed?)",
	      (unsigned long long)hits, CALLS);
	expect_records(fd, child.pid, 0, "empty scope");
}

static void monitor_start_stop(int fd)
{
	uint32_t pids[2];
	const struct smon_child_opts opts = { .comm = "smon-t12-mon", .stops = 1 };
	struct syscallmon_target_info info;
	struct smon_child child;
	uint32_t pid, self = getpid();
	int ret;

	smon_diag("monitor start, then stop, one pid");
	if (spawn_monitored(fd, &child, &opts, smon_getppid_stop_getppid, &pid))
		return;
	if (get_info(fd, &info) == 0) {
		CHECK_EQ(info.npids, 1, "scope size while monitoring");
		CHECK(scope_has(fd, pid), "scope lacks pid %u", pid);
	}
	CHECK(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	CHECK(smon_child_release(&child) == 0, "release");
	CHECK(smon_child_wait_stop(&child) == 0, "the child never stopped");
	expect_records(fd, pid, CALLS, "monitored");

	/* With a pid that is gone beside it: the live one still leaves. */
	pids[0] = smon_reaped_pid();
	pids[1] = pid;
	ret = smon_del_pids(fd, NR, pids, 2);
	CHECK(ret == 0, "stop monitoring pids %u (gone) and %u: %s", pids[0], pid, smon_errname(ret));
	CHECK(!scope_has(fd, pid), "pid %u still monitored after a delete that named a gone pid too",
	      pid);
	/* Not in the set: a no-op, says the ABI. */
	ret = smon_del_pids(fd, NR, &self, 1);
	CHECK(ret == 0, "stop monitoring a pid never monitored: %s", smon_errname(ret));
	if (get_info(fd, &info) == 0)
		CHECK_EQ(info.npids, 0, "scope size after stop");
	CHECK(smon_child_resume(&child) == 0, "resume");
	CHECK_EQ(smon_child_wait(&child), 0, "child exit status");
	expect_records(fd, pid, 0, "monitoring stopped");
}

static void pid_reuse(int fd)
{
	const struct smon_child_opts first_opts = { .comm = "smon-t12-first" };
	const struct smon_child_opts reuse_opts = { .comm = "smon-t12-reuse", .stops = 1 };
	struct syscallmon_target_info info;
	struct smon_child first, reuser;
	uint64_t hits;
	uint32_t pid;
	int ret = -EAGAIN;

	smon_diag("pid reuse: a monitored pid exits and is reused; the newcomer is not monitored");
	if (spawn_monitored(fd, &first, &first_opts, smon_getppid_times, &pid))
		return;
	CHECK(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	CHECK(smon_child_release(&first) == 0, "release");
	CHECK_EQ(smon_child_wait(&first), 0, "first child exit status");
	expect_records(fd, pid, CALLS, "first process, monitored");
	if (get_info(fd, &info) == 0) {
		CHECK(!scope_has(fd, pid), "pid %u is still in the scope after its process exited",
		      pid);
		CHECK_EQ(info.npids, 0, "scope size after the monitored process exited");
		CHECK_EQ(info.armed, 1, "target armed after its scope emptied");
	}

	/* The pid was freed by the reap above; hand it out again. */
	for (int attempt = 0; attempt < 5; attempt++) {
		ret = smon_child_spawn_pid(&reuser, &reuse_opts, smon_getppid_stop_getppid,
					   SMON_COUNT(CALLS), pid);
		if (ret != -EAGAIN)
			break;
	}
	REQUIRE(ret == 0, "could not get pid %u again through ns_last_pid: %s", pid,
		smon_errname(ret));
	smon_diag("new process has the reused pid %d", reuser.pid);
	if (get_info(fd, &info) == 0)
		CHECK(!scope_has(fd, pid), "the reused pid %u is in the scope", pid);
	hits = hits_now(fd);
	CHECK(smon_child_release(&reuser) == 0, "release");
	CHECK(smon_child_wait_stop(&reuser) == 0, "the reusing child never stopped");
	hits = hits_now(fd) - hits;
	CHECK(hits >= CALLS, "probe hits grew by %llu, want >= %d (armed?)",
	      (unsigned long long)hits, CALLS);
	expect_records(fd, pid, 0, "reused pid, not monitored");

	/* Control: the same process, once monitored explicitly, is logged. */
	ret = smon_add_pids(fd, NR, &pid, 1);
	CHECK(ret == 0, "monitor the reused pid %u: %s", pid, smon_errname(ret));
	CHECK(smon_child_resume(&reuser) == 0, "resume");
	CHECK_EQ(smon_child_wait(&reuser), 0, "reusing child exit status");
	expect_records(fd, pid, CALLS, "reused pid, monitored explicitly");
	if (get_info(fd, &info) == 0)
		CHECK_EQ(info.npids, 0, "scope size after the reusing process exited");
}

struct ending {
	const char *name;
	smon_workload_fn fn;	/* NULL: killed by SIGKILL before it runs */
};

/* However the process ends, its pid must not stay in the scope. */
static void leaves_scope(int fd, const struct ending *e)
{
	const struct smon_child_opts opts = { .comm = "smon-t12-end" };
	struct syscallmon_target_info info;
	struct smon_child child;
	uint32_t pid;
	int ret;

	smon_diag("pid leaves the scope: %s", e->name);
	if (spawn_monitored(fd, &child, &opts, e->fn, &pid))
		return;
	if (e->fn) {
		CHECK(smon_child_release(&child) == 0, "release");
	} else {
		CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	}
	ret = smon_child_wait(&child);
	smon_diag("exit status %d", ret);
	CHECK(ret >= 0 ? ret < 110 : ret == -1000 - SIGKILL, "%s: the workload failed (%d)",
	      e->name, ret);
	if (get_info(fd, &info) == 0) {
		CHECK(!scope_has(fd, pid),
		      "%s: pid %u is still in the scope after its process ended", e->name, pid);
		CHECK_EQ(info.npids, 0, "scope size");
		/* Don't let a leftover spoil the next case. */
		if (scope_has(fd, pid))
			smon_del_pids(fd, NR, &pid, 1);
	}
}

/* Two threads ending the process at the same moment: a race the pid must not survive. */
static void leaves_scope_at_once(int fd)
{
	const struct smon_child_opts opts = { .comm = "smon-t12-once" };
	struct syscallmon_target_info info;
	int rounds = 0, stayed = 0;

	smon_diag("pid leaves the scope: %d processes whose two threads SYS_exit at the same moment",
		  AT_ONCE_ROUNDS);
	for (; rounds < AT_ONCE_ROUNDS; rounds++) {
		struct smon_child child;
		uint32_t pid;
		int ret;

		if (spawn_monitored(fd, &child, &opts, smon_exit_threads_at_once, &pid))
			break;
		CHECK(smon_child_release(&child) == 0, "release");
		ret = smon_child_wait(&child);
		if (!CHECK(ret == 0, "round %d: exit status %d", rounds, ret))
			break;
		if (get_info(fd, &info))
			break;
		if (scope_has(fd, pid)) {
			stayed++;
			smon_del_pids(fd, NR, &pid, 1);
		}
	}
	smon_diag("%d rounds: the pid stayed in the scope %d times", rounds, stayed);
	CHECK(stayed == 0, "%d of %d pids stayed in the scope after their process ended", stayed,
	      rounds);
}

static void release(int fd)
{
	int ret;

	smon_diag("release");
	ret = smon_del_target(fd, NR);
	CHECK(ret == 0, "release getppid: %s", smon_errname(ret));
	ret = smon_del_target(fd, NR);
	CHECK(ret == -EINVAL, "release getppid twice: %s, want EINVAL", smon_errname(ret));
	CHECK_EQ(smon_hooked(SYMBOL), 0, SYMBOL " hooked after release");
}

int main(void)
{
	static const struct ending endings[] = {
		{ "killed by SIGKILL", NULL },
		{ "leader exits first, then the last thread SYS_exit(4)", leader_first_last },
		{ "leader exits first, then a thread exit_group(9)", leader_first_group },
	};
	int fd = smon_load_open_mode(NULL, SYSCALLMON_MODE_LOG);

	intercept_errors(fd);
	empty_scope_matches_nothing(fd);
	monitor_start_stop(fd);
	pid_reuse(fd);
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++)
		leaves_scope(fd, &endings[i]);
	leaves_scope_at_once(fd);
	release(fd);

	smon_unload_exit(fd);
}
