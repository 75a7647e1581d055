// SPDX-License-Identifier: GPL-2.0
/*
 * Test 31: a file that holds a mode, or exit events, keeps them while it is
 * open.
 *   a) With the mode OFF and getppid a block target, a file holding BLOCK
 *      makes a child's getppid fail with EPERM; status says mode BLOCK, set
 *      OFF, one holder, and /proc/syscallmon/status says the same.
 *   b) A second file holding LOG, and the mode set to LOG meanwhile, change
 *      nothing of that; the first file's close leaves LOG: the call runs.
 *   c) A hold let go (OFF) leaves the mode set; the mode set to OFF then
 *      disarms.
 *   d) A process that holds BLOCK and exits without closing lets go.
 *   e) Each change of what calls are decided under is a config record that
 *      says who held or let go; a hold that changes nothing makes none.
 *   f) Exit events held on by a file stay on when set off, and a child's
 *      exit is recorded; they go off when the file lets go.
 *   g) A bad mode, exits value or reserved word is EINVAL, a bad pointer
 *      EFAULT, and nothing changes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

static int hold_both(int fd, uint32_t mode, uint32_t exits)
{
	struct syscallmon_hold h = { .mode = mode, .exits = exits };

	return smon_ioctl(fd, SYSCALLMON_IOC_HOLD, &h);
}

static int hold(int fd, uint32_t mode)
{
	return hold_both(fd, mode, SYSCALLMON_EXITS_OFF);
}

/* A child's getppid: 0 if it ran, else its errno. */
static int getppid_in_child(void *arg)
{
	(void)arg;
	return syscall(SYS_getppid) < 0 ? errno : 0;
}

static int child_getppid(void)
{
	return smon_run_child(getppid_in_child, NULL, NULL);
}

static void expect_mode(int fd, uint32_t mode, uint32_t set, uint32_t holders, const char *when)
{
	struct syscallmon_status st;
	char *text = NULL, want[96];
	int ret;

	REQUIRE(smon_status(fd, &st) == 0, "status %s", when);
	CHECK(st.mode == mode && st.mode_set == set && st.mode_holders == holders,
	      "%s: mode %u set %u holders %u, want %u %u %u", when, st.mode, st.mode_set, st.mode_holders,
	      mode, set, holders);
	ret = smon_read_file(SMON_PROC_STATUS, &text, NULL);
	if (!CHECK(ret == 0, "read %s: %s", SMON_PROC_STATUS, smon_errname(ret)))
		return;
	snprintf(want, sizeof(want), "mode_set: %s\nmode_holders: %u\n",
		 set == SYSCALLMON_MODE_OFF ? "OFF" : set == SYSCALLMON_MODE_LOG ? "LOG" : "BLOCK", holders);
	CHECK(strstr(text, want) != NULL, "%s: /proc status lacks \"%s\"", when, want);
	free(text);
}

static void expect_exits(int fd, int on, int set, uint32_t holders, const char *when)
{
	struct syscallmon_status st;

	REQUIRE(smon_status(fd, &st) == 0, "status %s", when);
	CHECK(!!(st.flags & SYSCALLMON_STATUS_EXITS) == on && !!(st.flags & SYSCALLMON_STATUS_EXITS_SET) == set &&
		      st.exits_holders == holders,
	      "%s: exit events %s, set %s, %u holders; want %s, %s, %u", when,
	      st.flags & SYSCALLMON_STATUS_EXITS ? "on" : "off", st.flags & SYSCALLMON_STATUS_EXITS_SET ? "on" : "off",
	      st.exits_holders, on ? "on" : "off", set ? "on" : "off", holders);
}

static int exit_quietly(void *arg)
{
	(void)arg;
	return 0;
}

/* Exit records of pid among what fd reads now. */
static size_t exits_of(int fd, pid_t pid)
{
	struct smon_events events = { 0 };
	size_t i, n = 0;

	REQUIRE(smon_read_all(fd, &events) == 0, "read records");
	for (i = 0; i < events.n; i++)
		n += events.ev[i].type == SYSCALLMON_RECORD_EXIT && events.ev[i].tgid == (uint32_t)pid;
	smon_events_free(&events);
	return n;
}

static void held_exits(int fd)
{
	int holder = smon_open(0);
	pid_t pid = 0;

	smon_diag("exit events held on, then set off");
	REQUIRE(holder >= 0, "open");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	CHECK_EQ(hold_both(holder, SYSCALLMON_MODE_OFF, SYSCALLMON_EXITS_ON), 0, "hold exit events on");
	expect_exits(fd, 1, 0, 1, "held on");
	CHECK_EQ(smon_set_exits(fd, SYSCALLMON_EXITS_ON), 0, "set on");
	CHECK_EQ(smon_set_exits(fd, SYSCALLMON_EXITS_OFF), 0, "set off");
	expect_exits(fd, 1, 0, 1, "held on, set off");
	CHECK_EQ(smon_run_child(exit_quietly, NULL, &pid), 0, "a child exits");
	CHECK_EQ(exits_of(fd, pid), 1, "exit records of the child, held on");
	CHECK_EQ(hold_both(holder, SYSCALLMON_MODE_OFF, SYSCALLMON_EXITS_OFF), 0, "let go");
	expect_exits(fd, 0, 0, 0, "let go");
	CHECK_EQ(smon_run_child(exit_quietly, NULL, &pid), 0, "another child exits");
	CHECK_EQ(exits_of(fd, pid), 0, "exit records of the child, let go");
	close(holder);
}

/* Holds BLOCK through a file of its own and exits with it open. */
static int hold_and_exit(void *arg)
{
	int fd = smon_open(0);

	(void)arg;
	return fd < 0 ? 100 : hold(fd, SYSCALLMON_MODE_BLOCK) ? 101 : 0;
}

/* The mode records read from fd: each must contain want[i], in order. */
static void expect_records(int fd, const char *const *want, size_t n)
{
	struct smon_events events = { 0 };
	size_t i, k = 0;

	REQUIRE(smon_read_all(fd, &events) == 0, "read records");
	for (i = 0; i < events.n; i++) {
		const struct smon_event *ev = &events.ev[i];

		if (ev->type != SYSCALLMON_RECORD_CONFIG || ev->config_kind != SYSCALLMON_CONFIG_MODE)
			continue;
		if (CHECK(k < n, "an unexpected mode record: \"%s\"", ev->text))
			CHECK(strstr(ev->text, want[k]) != NULL, "mode record %zu: \"%s\", want \"%s\"", k, ev->text,
			      want[k]);
		k++;
	}
	CHECK_EQ(k, n, "mode records");
	smon_events_free(&events);
}

int main(void)
{
	const char *const wants[] = {
		"OFF -> BLOCK (held by pid",
		"OFF -> LOG (held at BLOCK)",
		"BLOCK -> LOG (released by pid",
		"LOG -> OFF",
		"OFF -> BLOCK (held by pid",
		"BLOCK -> OFF (released by pid",
	};
	int fd = smon_load_open(NULL);
	int first, second;
	uint32_t big = SYSCALLMON_MODE_BLOCK + 1;

	REQUIRE(smon_add_target(fd, SYS_getppid, SYSCALLMON_ACTION_BLOCK, 0, SYSCALLMON_TARGET_ALL_PIDS, NULL, 0) == 0,
		"block getppid");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	expect_mode(fd, SYSCALLMON_MODE_OFF, SYSCALLMON_MODE_OFF, 0, "at first");
	CHECK_EQ(child_getppid(), 0, "getppid with the mode OFF");

	smon_diag("a file holds BLOCK with the mode OFF");
	first = smon_open(0);
	second = smon_open(0);
	REQUIRE(first >= 0 && second >= 0, "open two more files");
	CHECK_EQ(hold(first, SYSCALLMON_MODE_BLOCK), 0, "hold BLOCK");
	CHECK_EQ(hold(first, SYSCALLMON_MODE_BLOCK), 0, "hold BLOCK again (no change, no record)");
	expect_mode(fd, SYSCALLMON_MODE_BLOCK, SYSCALLMON_MODE_OFF, 1, "held at BLOCK");
	CHECK_EQ(child_getppid(), EPERM, "getppid while a file holds BLOCK");

	smon_diag("another hold, and the mode set, under it");
	CHECK_EQ(hold(second, SYSCALLMON_MODE_LOG), 0, "hold LOG");
	CHECK_EQ(smon_set_mode(fd, SYSCALLMON_MODE_LOG), 0, "set LOG");
	expect_mode(fd, SYSCALLMON_MODE_BLOCK, SYSCALLMON_MODE_LOG, 2, "held at BLOCK, set LOG");
	CHECK_EQ(child_getppid(), EPERM, "getppid once the mode was set to LOG");

	smon_diag("the BLOCK holder closes");
	close(first);
	expect_mode(fd, SYSCALLMON_MODE_LOG, SYSCALLMON_MODE_LOG, 1, "after the BLOCK holder closed");
	CHECK_EQ(child_getppid(), 0, "getppid after the BLOCK holder closed");

	smon_diag("the LOG holder lets go, then the mode is set to OFF");
	CHECK_EQ(hold(second, SYSCALLMON_MODE_OFF), 0, "let go");
	expect_mode(fd, SYSCALLMON_MODE_LOG, SYSCALLMON_MODE_LOG, 0, "let go");
	CHECK_EQ(smon_set_mode(fd, SYSCALLMON_MODE_OFF), 0, "set OFF");
	expect_mode(fd, SYSCALLMON_MODE_OFF, SYSCALLMON_MODE_OFF, 0, "set OFF");

	smon_diag("a holder that exits without closing");
	CHECK_EQ(smon_run_child(hold_and_exit, NULL, NULL), 0, "a child holds BLOCK and exits");
	expect_mode(fd, SYSCALLMON_MODE_OFF, SYSCALLMON_MODE_OFF, 0, "after the holder exited");

	smon_diag("bad requests change nothing");
	CHECK_EQ(hold(second, big), -EINVAL, "hold a mode past BLOCK");
	CHECK_EQ(hold_both(second, SYSCALLMON_MODE_LOG, 2), -EINVAL, "hold exits 2");
	CHECK_EQ(smon_ioctl(second, SYSCALLMON_IOC_HOLD,
			    &(struct syscallmon_hold){ .mode = SYSCALLMON_MODE_LOG, .reserved = { 0, 1 } }),
		 -EINVAL, "a reserved word set");
	CHECK_EQ(smon_ioctl(second, SYSCALLMON_IOC_HOLD, (void *)8), -EFAULT, "hold through a bad pointer");
	expect_mode(fd, SYSCALLMON_MODE_OFF, SYSCALLMON_MODE_OFF, 0, "after bad requests");
	expect_exits(fd, 0, 0, 0, "after bad requests");
	close(second);

	expect_records(fd, wants, sizeof(wants) / sizeof(wants[0]));
	held_exits(fd);
	smon_del_target(fd, SYS_getppid);
	smon_unload_exit(fd);
}
