// SPDX-License-Identifier: GPL-2.0
/*
 * Test 29: every configuration change is a record, with who made it.
 *   a) A process named t29-admin (uid 0) opens the device and changes the
 *      mode, adds and changes a target, adds pids, adds a rule it owns and
 *      one by hand, deletes one, replaces the policy with a tag, turns exit
 *      events on, removes the target and closes the device: a reader that
 *      was watching sees one config record per change, in order, each with
 *      t29-admin's pid, uid and comm, the right kind and id, and text that
 *      says what changed; the close says one rule was dropped.
 *   b) "mode block" written to /proc/syscallmon/control by t29-proc, and
 *      the clear_on_read parameter set through sysfs, are records too.
 *   c) A clear of the log leaves its own record readable.
 *   d) A reader that was overtaken is told how many of the records it lost
 *      were config records, by read() and by FETCH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define PARAM_CLEAR_ON_READ "/sys/module/syscallmon/parameters/clear_on_read"

struct expected {
	uint32_t kind;
	uint32_t id;		/* SMON_NR_NONE: whatever id */
	const char *text;	/* a part of the text */
};

/* The admin's changes; returns 0 if all of them worked, else the step that failed. */
static int admin(void *arg)
{
	struct syscallmon_rule r;
	uint32_t self = getpid();
	int fd, id;

	(void)arg;
	if (prctl(PR_SET_NAME, "t29-admin"))
		return 100;
	fd = smon_open(0);
	if (fd < 0)
		return 101;
	if (smon_set_mode(fd, SYSCALLMON_MODE_LOG))
		return 1;
	if (smon_add_target(fd, SYS_getppid, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_ALL_PIDS, NULL, 0))
		return 2;
	if (smon_add_target(fd, SYS_getppid, SYSCALLMON_ACTION_BLOCK, 13, 0, &self, 1))
		return 3;
	if (smon_add_pids(fd, SYS_getppid, &self, 1))
		return 4;
	smon_rule_init(&r, "owned", SYSCALLMON_RULE_LOG, 0);
	r.rule_class = SYSCALLMON_CLASS_FILE;
	smon_rule_syscall(&r, SYS_getpid);
	if (smon_add_rule(fd, &r) <= 0)
		return 5;
	smon_rule_init(&r, "by-hand", SYSCALLMON_RULE_BLOCK, SYSCALLMON_SEL_UID);
	r.uid.min = r.uid.max = 4242;
	smon_rule_syscall(&r, SYS_mkdir);
	id = smon_add_rule(fd, &r);
	if (id <= 0)
		return 6;
	if (smon_del_rule(fd, id))
		return 7;
	smon_rule_init(&r, "policy-rule", SYSCALLMON_RULE_LOG, 0);
	smon_rule_syscall(&r, SYS_uname);
	if (smon_replace_policy_tagged(fd, SYSCALLMON_MODE_LOG, SYSCALLMON_EXITS_OFF, &r, 1, "sha256:0123abcd"))
		return 8;
	if (smon_set_exits(fd, SYSCALLMON_EXITS_ON))
		return 9;
	if (smon_del_target(fd, SYS_getppid))
		return 10;
	close(fd);
	return 0;
}

static int proc_writer(void *arg)
{
	(void)arg;
	if (prctl(PR_SET_NAME, "t29-proc"))
		return 100;
	if (smon_write_file(SMON_PROC_CONTROL, "mode block\n", 11) != 11)
		return 1;
	if (smon_write_file(PARAM_CLEAR_ON_READ, "1", 1) != 1 || smon_write_file(PARAM_CLEAR_ON_READ, "0", 1) != 1)
		return 2;
	return 0;
}

/* Checks that the config records among events are want[0..n), in order, made by pid and comm. */
static void expect_records(const struct smon_events *events, const struct expected *want, size_t n, pid_t pid,
			   const char *comm)
{
	size_t k = 0;

	for (size_t i = 0; i < events->n; i++) {
		const struct smon_event *ev = &events->ev[i];

		if (ev->type != SYSCALLMON_RECORD_CONFIG || ev->tgid != (uint32_t)pid)
			continue;
		smon_event_print(ev);
		if (!CHECK(k < n, "an unexpected config record: kind %u \"%s\"", ev->config_kind, ev->text))
			continue;
		CHECK(ev->config_kind == want[k].kind, "record %zu: kind %u, want %u (\"%s\")", k, ev->config_kind,
		      want[k].kind, ev->text);
		if (want[k].id != SMON_NR_NONE)
			CHECK(ev->config_id == want[k].id, "record %zu: id %u, want %u", k, ev->config_id, want[k].id);
		CHECK(strstr(ev->text, want[k].text), "record %zu: \"%s\" does not say \"%s\"", k, ev->text,
		      want[k].text);
		CHECK(!strcmp(ev->comm, comm) && ev->uid == 0, "record %zu: made by %s uid %u", k, ev->comm, ev->uid);
		k++;
	}
	CHECK_EQ(k, n, "config records");
}

/*
 * Runs fn (what) in a child, which names itself comm and makes changes:
 * the config records read from fd's cursor on must be want[0..n), made by
 * that child.
 */
static void expect_changes(int fd, int (*fn)(void *arg), const char *what, const char *comm,
			   const struct expected *want, size_t n)
{
	struct smon_events events = { 0 };
	pid_t pid = 0;
	int code = smon_run_child(fn, NULL, &pid);

	REQUIRE(pid > 0 && code == 0, "%s (failed at step %d)", what, code);
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	expect_records(&events, want, n, pid, comm);
	smon_events_free(&events);
}

static void changes(int fd)
{
	struct smon_events events = { 0 };
	const struct expected admin_wants[] = {
		{ SYSCALLMON_CONFIG_MODE, 0, "OFF -> LOG" },
		{ SYSCALLMON_CONFIG_TARGET, SYS_getppid, "getppid: none -> log all" },
		{ SYSCALLMON_CONFIG_TARGET, SYS_getppid, "getppid: log all -> block errno 13 pids 1" },
		{ SYSCALLMON_CONFIG_PIDS, SYS_getppid, "+pids" },
		{ SYSCALLMON_CONFIG_RULE_ADD, SMON_NR_NONE, "owned log getpid" },
		{ SYSCALLMON_CONFIG_RULE_ADD, SMON_NR_NONE, "by-hand block audit mkdir uid=4242" },
		{ SYSCALLMON_CONFIG_RULE_DEL, SMON_NR_NONE, "by-hand" },
		{ SYSCALLMON_CONFIG_POLICY, 0, "1 rules, mode LOG, exits off, sha256:0123abcd" },
		{ SYSCALLMON_CONFIG_EXITS, 0, "off -> on" },
		{ SYSCALLMON_CONFIG_TARGET, SYS_getppid, "-> none" },
		{ SYSCALLMON_CONFIG_CLOSED, 0, "1 rules dropped" },
	};
	const struct expected proc_wants[] = {
		{ SYSCALLMON_CONFIG_MODE, 0, "LOG -> BLOCK" },
		{ SYSCALLMON_CONFIG_PARAM, 0, "clear_on_read 0 -> 1" },
		{ SYSCALLMON_CONFIG_PARAM, 0, "clear_on_read 1 -> 0" },
	};

	smon_diag("the changes of another process, through the device");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	expect_changes(fd, admin, "the admin's changes", "t29-admin", admin_wants,
		       sizeof(admin_wants) / sizeof(admin_wants[0]));

	smon_diag("through /proc and a module parameter");
	expect_changes(fd, proc_writer, "the /proc writer", "t29-proc", proc_wants,
		       sizeof(proc_wants) / sizeof(proc_wants[0]));

	smon_diag("a clear of the log leaves its record");
	REQUIRE(smon_clear(fd, SYSCALLMON_CLEAR_LOG) == 0, "clear");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_TAIL) == 0, "seek to the oldest");
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	CHECK(events.n == 1 && events.ev[0].type == SYSCALLMON_RECORD_CONFIG &&
	      events.ev[0].config_kind == SYSCALLMON_CONFIG_CLEAR && strstr(events.ev[0].text, "log"),
	      "one record left after the clear, the clear's (%zu records)", events.n);
	smon_events_free(&events);
}

static void lost_config(int fd)
{
	struct smon_events events = { 0 };
	struct syscallmon_fetch f = { 0 };
	struct smon_child child;
	int behind, fetcher;
	uint64_t lost = 0, config = 0;

	smon_diag("an overtaken reader is told how many config records it lost");
	behind = smon_open(O_NONBLOCK);
	fetcher = smon_open(O_NONBLOCK);
	REQUIRE(behind >= 0 && fetcher >= 0, "open readers");
	REQUIRE(smon_seek(behind, SYSCALLMON_SEEK_HEAD) == 0 && smon_seek(fetcher, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	/* Three config records, then enough getppid records to overwrite them. */
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0 && smon_set_mode(fd, SYSCALLMON_MODE_LOG) == 0, "modes");
	REQUIRE(smon_child_spawn(&child, NULL, smon_getppid_times, SMON_COUNT(5000)) == 0, "spawn");
	REQUIRE(smon_add_target(fd, SYS_getppid, SYSCALLMON_ACTION_LOG, 0, 0, (uint32_t[]){ child.pid }, 1) == 0,
		"target the flood");
	REQUIRE(smon_child_release(&child) == 0, "release");
	CHECK_EQ(smon_child_wait(&child), 0, "flood");
	REQUIRE(smon_read_all(behind, &events) == 0, "read");
	for (size_t i = 0; i < events.n; i++) {
		if (events.ev[i].type == SYSCALLMON_RECORD_LOST) {
			lost += events.ev[i].lost;
			config += events.ev[i].lost_config;
		}
	}
	CHECK(lost > 0, "the reader lost records");
	CHECK_EQ(config, 3, "config records among them (two modes and the target)");
	smon_events_free(&events);
	REQUIRE(smon_ioctl(fetcher, SYSCALLMON_IOC_FETCH, &f) == 0, "FETCH");
	CHECK_EQ(f.lost, lost, "FETCH: lost");
	CHECK_EQ(f.lost_config, 3, "FETCH: config records lost");
	close(behind);
	close(fetcher);
	CHECK_EQ(smon_del_target(fd, SYS_getppid), 0, "delete the target");
}

int main(void)
{
	int fd;

	/* The smallest ring: 5000 getppid records overwrite it many times. */
	REQUIRE(smon_load("ring_size=65536") == 0, "load");
	fd = smon_open(O_NONBLOCK);
	REQUIRE(fd >= 0, "open device");
	changes(fd);
	lost_config(fd);
	close(fd);
	CHECK_EQ(smon_unload(), 0, "unload");
	smon_exit();
}
