// SPDX-License-Identifier: GPL-2.0
/*
 * Test 26: a process tree is a process and everything it forks from then
 * on, joined at fork before the child runs.
 *   a) A root forks 3 children, each forks 2 grandchildren (raw fork; the
 *      first syscall of every child is getppid, as is the root's first
 *      after its release).  With a LOG rule on
 *      getppid and openat for the root's tree: while they all live the
 *      tree lists the 10 processes; afterwards every one of them has
 *      exactly one getppid record (its first syscall) and one openat of its
 *      own file, and a bystander forked by the test has none.  Once they
 *      have exited the tree is empty.
 *   b) A root with 500 live children: the tree lists 501; none missed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define CHILDREN	3
#define GRANDCHILDREN	2
#define TREE_SIZE	(1 + CHILDREN + CHILDREN * GRANDCHILDREN)
#define WIDE		500

static const char *dir;	/* where the tree's members make their files */
static int hold[2];	/* made by a root: its descendants wait on hold[0] until it writes */
static int forked[2];	/* made by the tree's root: a child writes once its children exist */

/* Raw syscalls only: the child's first syscall is getppid. */
static long raw_fork(void)
{
	return syscall(SYS_fork);
}

/* Waits for a byte on hold, opens dir/name, and returns. */
static void member(const char *name)
{
	char path[128], c;
	long fd;

	syscall(SYS_getppid);
	if (syscall(SYS_read, hold[0], &c, 1) != 1)
		syscall(SYS_exit_group, 3);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		syscall(SYS_exit_group, 4);
	syscall(SYS_close, fd);
}

static void reap_all(void)
{
	while (syscall(SYS_wait4, -1, NULL, 0, NULL) > 0)
		;
}

static int tree_root(void *arg)
{
	char name[32];

	(void)arg;
	if (pipe(hold) || pipe(forked))
		return 7;
	for (int i = 0; i < CHILDREN; i++) {
		if (raw_fork() == 0) {
			for (int j = 0; j < GRANDCHILDREN; j++) {
				if (raw_fork() == 0) {
					snprintf(name, sizeof(name), "g%d%d", i, j);
					member(name);
					syscall(SYS_exit_group, 0);
				}
			}
			if (syscall(SYS_write, forked[1], "f", 1) != 1)
				syscall(SYS_exit_group, 8);
			snprintf(name, sizeof(name), "c%d", i);
			member(name);
			reap_all();
			syscall(SYS_exit_group, 0);
		}
	}
	for (int i = 0; i < CHILDREN; i++)
		if (read(forked[0], name, 1) != 1)
			return 9;
	/* Everyone forked: let the test look, then let them go on. */
	if (smon_child_stop())
		return 125;
	for (int i = 0; i < TREE_SIZE - 1; i++)
		if (write(hold[1], "x", 1) != 1)
			return 5;
	if (write(hold[1], "x", 1) != 1)
		return 5;
	member("root");
	reap_all();
	return 0;
}

static int wide_root(void *arg)
{
	(void)arg;
	if (pipe(hold))
		return 7;
	for (int i = 0; i < WIDE; i++) {
		long pid = raw_fork();

		if (pid == 0) {
			char c;

			syscall(SYS_read, hold[0], &c, 1);
			syscall(SYS_exit_group, 0);
		}
		if (pid < 0)
			return 6;
	}
	if (smon_child_stop())
		return 125;
	for (int i = 0; i < WIDE; i++)
		if (write(hold[1], "x", 1) != 1)
			return 5;
	reap_all();
	return 0;
}

static int bystander(void *arg)
{
	(void)arg;
	syscall(SYS_getppid);
	return 0;
}

/* Is pid a descendant of root (or root), by /proc's PPid chain? */
static int descends_from(pid_t pid, pid_t root)
{
	for (int depth = 0; depth < 8 && pid > 1; depth++) {
		char path[64], *text = NULL, *p;

		if (pid == root)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		if (smon_read_file(path, &text, NULL))
			return 0;
		p = strstr(text, "\nPPid:");
		pid = p ? atoi(p + 6) : 0;
		free(text);
	}
	return pid == root;
}

static int add_tree_rule(int fd, const char *name, uint32_t root)
{
	struct syscallmon_rule rule;
	int id;

	smon_rule_init(&rule, name, SYSCALLMON_RULE_LOG, SYSCALLMON_SEL_TREE);
	smon_rule_syscall(&rule, SYS_getppid);
	smon_rule_syscall(&rule, SYS_openat);
	rule.npids = 1;
	rule.pids = (uint64_t)(uintptr_t)&root;
	id = smon_add_rule(fd, &rule);
	REQUIRE(id > 0, "add tree rule: %s", smon_errname(id));
	return id;
}

static void tree(int fd)
{
	struct smon_child_opts opts = { .comm = "t26-root", .stops = 1 };
	struct smon_events events = { 0 };
	struct smon_child root, other;
	uint32_t listed[TREE_SIZE + 4], tgids[TREE_SIZE];
	size_t ntgids = 0;
	int id, n;

	smon_diag("a tree of %d processes, three levels", TREE_SIZE);
	dir = smon_tmpdir("t26");
	REQUIRE(smon_child_spawn(&root, &opts, tree_root, NULL) == 0, "spawn root");
	REQUIRE(smon_child_spawn(&other, NULL, bystander, NULL) == 0, "spawn bystander");
	id = add_tree_rule(fd, "tree", root.pid);
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	REQUIRE(smon_child_release(&root) == 0 && smon_child_release(&other) == 0, "release");
	REQUIRE(smon_child_wait_stop(&root) == 0, "root stopped");
	n = smon_rule_pids(fd, id, listed, TREE_SIZE + 4);
	CHECK_EQ(n, TREE_SIZE, "processes in the tree");
	for (int i = 0; i < n && i < TREE_SIZE + 4; i++)
		CHECK(descends_from(listed[i], root.pid), "listed pid %u descends from the root %d", listed[i],
		      root.pid);
	REQUIRE(smon_child_resume(&root) == 0, "resume");
	CHECK_EQ(smon_child_wait(&root), 0, "root's exit code");
	CHECK_EQ(smon_child_wait(&other), 0, "bystander's exit code");

	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	for (size_t i = 0; i < events.n; i++) {
		const struct smon_event *ev = &events.ev[i];
		size_t k;

		if (ev->type != SYSCALLMON_RECORD_SYSCALL)
			continue;
		CHECK_EQ(ev->rule, id, "a record names the tree rule");
		CHECK(ev->tgid != (uint32_t)other.pid, "a record of the bystander");
		for (k = 0; k < ntgids && tgids[k] != ev->tgid; k++)
			;
		if (k == ntgids && ntgids < TREE_SIZE)
			tgids[ntgids++] = ev->tgid;
	}
	CHECK_EQ(ntgids, TREE_SIZE, "processes with records");
	for (size_t k = 0; k < ntgids; k++) {
		size_t getppids = 0, opens = 0, first = 1;

		for (size_t i = 0; i < events.n; i++) {
			const struct smon_event *ev = &events.ev[i];

			if (ev->tgid != tgids[k] || ev->type != SYSCALLMON_RECORD_SYSCALL)
				continue;
			if (first)
				CHECK_EQ(ev->nr, SYS_getppid, "a child's first recorded syscall");
			first = 0;
			getppids += ev->nr == SYS_getppid;
			opens += ev->nr == SYS_openat && ev->ret >= 0 && strstr(ev->path, dir);
		}
		CHECK_EQ(getppids, 1, "getppid records of a process");
		CHECK_EQ(opens, 1, "openat records of a process");
	}
	smon_events_free(&events);
	CHECK_EQ(smon_rule_pids(fd, id, listed, TREE_SIZE + 4), 0, "processes in the tree once all exited");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

static void wide(int fd)
{
	struct smon_child_opts opts = { .comm = "t26-wide", .stops = 1 };
	struct syscallmon_status st;
	struct smon_child root;
	static uint32_t listed[WIDE + 8];
	int id;

	smon_diag("a tree of %d live processes", WIDE + 1);
	REQUIRE(smon_child_spawn(&root, &opts, wide_root, NULL) == 0, "spawn root");
	id = add_tree_rule(fd, "wide", root.pid);
	REQUIRE(smon_child_release(&root) == 0, "release");
	REQUIRE(smon_child_wait_stop(&root) == 0, "root stopped");
	CHECK_EQ(smon_rule_pids(fd, id, listed, WIDE + 8), WIDE + 1, "processes in the tree");
	REQUIRE(smon_child_resume(&root) == 0, "resume");
	CHECK_EQ(smon_child_wait(&root), 0, "root's exit code");
	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK_EQ(st.tree_missed, 0, "forks that could not join");
	CHECK_EQ(st.nrules, 1, "rules");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

int main(void)
{
	int fd = smon_load_open_mode(NULL, SYSCALLMON_MODE_LOG);

	tree(fd);
	wide(fd);
	smon_unload_exit(fd);
}
