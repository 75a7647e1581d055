// SPDX-License-Identifier: GPL-2.0
/*
 * Test 3: nothing is recorded or probed that should not be.
 *   a) mode OFF with openat targeted for every process: a child's 100 opens
 *      give zero records and no entry point is hooked;
 *   b) mode LOG with no target at all: zero records, zero probes;
 *   c) mode LOG with only getppid targeted (scoped to the child): its 100
 *      opens give zero records and only getppid's entry is hooked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define OPENS 100

static char path[300];

static int open_many(void *arg)
{
	(void)arg;
	return smon_open_times(path, OPENS, O_RDONLY | O_CLOEXEC);
}

/* Runs a gated child that opens path 100 times; the caller set the scope up. */
static void run_child(const char *comm, void (*scope)(int fd, uint32_t pid), int fd)
{
	const struct smon_child_opts opts = { .comm = comm };
	struct smon_child child;
	int ret;

	ret = smon_child_spawn(&child, &opts, open_many, NULL);
	if (!CHECK(ret == 0, "spawn child: %s", smon_errname(ret)))
		return;
	if (scope)
		scope(fd, child.pid);
	CHECK(smon_child_release(&child) == 0, "release child");
	ret = smon_child_wait(&child);
	CHECK(ret == 0, "child %s exited with %d", comm, ret);
}

static void expect_no_records(int fd, const char *phase)
{
	struct smon_events events = { 0 };
	struct syscallmon_status st;
	int ret;

	ret = smon_read_all(fd, &events);
	smon_drop_config(&events);
	CHECK(ret == 0, "%s: read records: %s", phase, smon_errname(ret));
	if (!CHECK(events.n == 0, "%s: %zu records, want 0", phase, events.n)) {
		for (size_t i = 0; i < events.n && i < 3; i++)
			smon_event_print(&events.ev[i]);
	}
	smon_events_free(&events);
	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "%s: GET_STATUS: %s", phase, smon_errname(ret)))
		CHECK(st.events == st.config_records, "%s: status.events %llu, want only the %llu config records",
		      phase, (unsigned long long)st.events, (unsigned long long)st.config_records);
}

/* Hooked functions of any kind: the module hooks only its targets' entry points. */
static void expect_no_probes(int fd, const char *phase)
{
	struct syscallmon_status st;
	int ret;

	ret = smon_hook_count(NULL);
	CHECK(ret == 0, "%s: %d functions hooked, want none", phase, ret);
	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "%s: GET_STATUS: %s", phase, smon_errname(ret)))
		CHECK(st.armed == 0, "%s: status.armed %u, want 0", phase, st.armed);
}

static void scope_getppid(int fd, uint32_t pid)
{
	int ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);

	CHECK(ret == 0, "ADD_TARGET getppid pids=[%u]: %s", pid, smon_errname(ret));
}

int main(void)
{
	int fd, ret, baseline;

	smon_tmpfile("t3", "file", path, sizeof(path));

	REQUIRE(smon_load(NULL) == 0, "load failed");
	baseline = smon_hook_count(NULL);
	REQUIRE(baseline >= 0, "hook list unreadable");
	/* Someone else's hooks would make "zero probes" unprovable. */
	REQUIRE(baseline == 0, "%d functions hooked before any target", baseline);

	fd = smon_open(0);
	REQUIRE(fd >= 0, "open device: %s", smon_errname(fd));

	smon_diag("a) mode OFF, openat targeted for all processes");
	ret = smon_set_mode(fd, SYSCALLMON_MODE_OFF);
	CHECK(ret == 0, "SET_MODE OFF: %s", smon_errname(ret));
	ret = smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_LOG, 0,
			      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
	CHECK(ret == 0, "ADD_TARGET openat ALL_PIDS: %s", smon_errname(ret));
	expect_no_probes(fd, "OFF");
	run_child("smon-t3-off", NULL, fd);
	expect_no_records(fd, "OFF");
	expect_no_probes(fd, "OFF after the child");

	smon_diag("b) mode LOG, no targets");
	ret = smon_del_target(fd, __NR_openat);
	CHECK(ret == 0, "DEL_TARGET openat: %s", smon_errname(ret));
	ret = smon_set_mode(fd, SYSCALLMON_MODE_LOG);
	CHECK(ret == 0, "SET_MODE LOG: %s", smon_errname(ret));
	expect_no_probes(fd, "LOG, no targets");
	run_child("smon-t3-none", NULL, fd);
	expect_no_records(fd, "LOG, no targets");

	smon_diag("c) mode LOG, only getppid targeted");
	run_child("smon-t3-other", scope_getppid, fd);
	expect_no_records(fd, "LOG, getppid only");
	CHECK_EQ(smon_hooked("__x64_sys_openat"), 0, "openat hooked, getppid only");
	CHECK_EQ(smon_hook_count("_sys_openat"), 0, "any openat entry hooked, getppid only");
	if (!CHECK_EQ(smon_hooked("__x64_sys_getppid"), 1, "getppid hooked, getppid only"))
		smon_hooks_dump();

	close(fd);
	ret = smon_unload();
	CHECK(ret == 0, "unload: %s", smon_errname(ret));
	CHECK_EQ(smon_hook_count(NULL), 0, "hooks after unload");
	smon_exit();
}
