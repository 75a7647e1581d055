// SPDX-License-Identifier: GPL-2.0
/*
 * Test 25: rules in order, their actions and their states.
 *   a) openat: "allow dpkg" (comm dpkg) before "block" (two processes):
 *      the dpkg process opens its file 20 times, the other is refused 20
 *      times; the allow rule counts 20 matches and writes nothing, the block
 *      rule 20 matches, 20 records and 20 refusals, each record naming it.
 *   b) A block rule in audit logs would_block and the call runs; the same
 *      policy with the rule enforced (same name: same id, counters kept)
 *      refuses the next call; enforced but in LOG mode, the call runs again
 *      (the mode is the master switch).
 *   c) kill: a process of 4 threads, one calling openat(O_CREAT), dies of
 *      SIGKILL and leaves no file; the record says KILLED.  In audit, the
 *      record says WOULD_KILL, the file is made and the process lives.
 *   d) The device holder is exempt from a block rule on its own pid unless
 *      the rule is forced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define OPENS 20

static const char *dir;

static int open_many(void *arg)
{
	int refused = 0;

	for (int i = 0; i < OPENS; i++) {
		int fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else if (errno == EPERM)
			refused++;
		else
			return 255;
	}
	return refused;
}

static struct smon_events events;

/* Records of nr by pid among those read so far. */
static size_t count_records(pid_t pid, uint32_t nr, uint32_t rule, uint32_t verdict)
{
	size_t n = 0;

	for (size_t i = 0; i < events.n; i++)
		n += events.ev[i].tgid == (uint32_t)pid && events.ev[i].nr == nr &&
		     events.ev[i].rule == rule && events.ev[i].verdict == verdict;
	return n;
}

static void order(int fd)
{
	struct smon_child_opts dpkg_opts = { .comm = "dpkg" }, other_opts = { .comm = "t25-other" };
	struct syscallmon_rule allow, block;
	struct syscallmon_rule_info info;
	struct smon_child dpkg, other;
	char path[128];
	uint32_t pids[2];
	int allow_id, block_id;

	smon_diag("allow dpkg, then block: the first rule that matches decides");
	snprintf(path, sizeof(path), "%s/file", dir);
	REQUIRE(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0, "file");
	REQUIRE(smon_child_spawn(&dpkg, &dpkg_opts, open_many, path) == 0, "spawn dpkg");
	REQUIRE(smon_child_spawn(&other, &other_opts, open_many, path) == 0, "spawn other");

	smon_rule_init(&allow, "allow-dpkg", SYSCALLMON_RULE_ALLOW, SYSCALLMON_SEL_COMM);
	snprintf(allow.comm, sizeof(allow.comm), "dpkg");
	smon_rule_syscall(&allow, SYS_openat);
	allow_id = smon_add_rule(fd, &allow);
	REQUIRE(allow_id > 0, "add allow-dpkg: %s", smon_errname(allow_id));
	smon_rule_init(&block, "block-both", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE | SYSCALLMON_SEL_PIDS);
	smon_rule_syscall(&block, SYS_openat);
	pids[0] = dpkg.pid;
	pids[1] = other.pid;
	block.npids = 2;
	block.pids = (uint64_t)(uintptr_t)pids;
	block_id = smon_add_rule(fd, &block);
	REQUIRE(block_id > 0, "add block-both: %s", smon_errname(block_id));

	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	REQUIRE(smon_child_release(&dpkg) == 0 && smon_child_release(&other) == 0, "release");
	CHECK_EQ(smon_child_wait(&dpkg), 0, "refusals seen by dpkg");
	CHECK_EQ(smon_child_wait(&other), OPENS, "refusals seen by the other process");
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	CHECK_EQ(count_records(dpkg.pid, SYS_openat, allow_id, SYSCALLMON_VERDICT_ALLOWED), 0, "dpkg's records");
	CHECK_EQ(count_records(dpkg.pid, SYS_openat, block_id, SYSCALLMON_VERDICT_BLOCKED), 0,
		 "dpkg's records naming the block rule");
	CHECK_EQ(count_records(other.pid, SYS_openat, block_id, SYSCALLMON_VERDICT_BLOCKED), OPENS,
		 "the other's blocked records naming the block rule");
	REQUIRE(smon_rule_info(fd, allow_id, &info) == 0, "allow-dpkg listed");
	CHECK_EQ(info.matched, OPENS, "allow-dpkg matched");
	CHECK_EQ(info.logged, 0, "allow-dpkg logged");
	CHECK_EQ(info.blocked, 0, "allow-dpkg blocked");
	REQUIRE(smon_rule_info(fd, block_id, &info) == 0, "block-both listed");
	CHECK_EQ(info.matched, OPENS, "block-both matched");
	CHECK_EQ(info.logged, OPENS, "block-both logged");
	CHECK_EQ(info.blocked, OPENS, "block-both blocked");
	CHECK_EQ(info.would_act, 0, "block-both would_act");
	smon_events_free(&events);
	CHECK_EQ(smon_del_rule(fd, allow_id), 0, "delete allow-dpkg");
	CHECK_EQ(smon_del_rule(fd, block_id), 0, "delete block-both");
	CHECK_EQ(smon_del_rule(fd, block_id), -ENOENT, "delete it again");
}

/* Makes dir/a, stops, dir/b, stops, dir/c: 0 for each made, 1 for each EPERM, as bits. */
static int three_mkdirs(void *arg)
{
	const char *names[] = { "a", "b", "c" };
	int refused = 0;

	(void)arg;
	for (int i = 0; i < 3; i++) {
		char path[128];

		if (i && smon_child_stop())
			return 125;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (syscall(SYS_mkdir, path, 0755) < 0)
			refused |= (errno == EPERM ? 1 : 8) << i;
	}
	return refused;
}

static void audit_then_enforce(int fd)
{
	struct smon_child_opts opts = { .comm = "t25-audit", .stops = 1 };
	struct syscallmon_rule rule;
	struct syscallmon_rule_info info;
	struct smon_child child;
	uint32_t id;
	char path[128];

	smon_diag("audit, then enforced: would_block, then blocked; LOG mode: would_block again");
	smon_rule_init(&rule, "mkdir-audit", SYSCALLMON_RULE_BLOCK, SYSCALLMON_SEL_COMM);
	snprintf(rule.comm, sizeof(rule.comm), "t25-audit");
	smon_rule_syscall(&rule, SYS_mkdir);
	REQUIRE(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, &rule, 1) == 0, "policy with the rule in audit");
	REQUIRE(smon_get_rules(fd, &info, 1) == 1, "one rule");
	id = info.rule.id;
	CHECK_EQ(info.rule.rule_class, SYSCALLMON_CLASS_POLICY, "the rule's class");
	REQUIRE(smon_child_spawn(&child, &opts, three_mkdirs, NULL) == 0, "spawn");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	REQUIRE(smon_child_release(&child) == 0, "release");
	REQUIRE(smon_child_wait_stop(&child) == 0, "first stop");
	snprintf(path, sizeof(path), "%s/a", dir);
	CHECK(smon_path_exists(path), "the audited mkdir ran");

	rule.flags |= SYSCALLMON_RULE_ENFORCE;
	REQUIRE(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, &rule, 1) == 0, "the same policy, enforced");
	REQUIRE(smon_get_rules(fd, &info, 1) == 1, "one rule");
	CHECK_EQ(info.rule.id, id, "the rule kept its id");
	REQUIRE(smon_child_resume(&child) == 0 && smon_child_wait_stop(&child) == 0, "second stop");
	snprintf(path, sizeof(path), "%s/b", dir);
	CHECK(!smon_path_exists(path), "the enforced mkdir did not run");

	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_LOG) == 0, "mode LOG");
	REQUIRE(smon_child_resume(&child) == 0, "resume");
	CHECK_EQ(smon_child_wait(&child), 1 << 1, "refusals seen by the child (b only)");
	snprintf(path, sizeof(path), "%s/c", dir);
	CHECK(smon_path_exists(path), "in LOG mode the enforced rule's mkdir ran");

	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	CHECK_EQ(count_records(child.pid, SYS_mkdir, id, SYSCALLMON_VERDICT_WOULD_BLOCK), 2, "would_block records");
	CHECK_EQ(count_records(child.pid, SYS_mkdir, id, SYSCALLMON_VERDICT_BLOCKED), 1, "blocked records");
	smon_events_free(&events);
	REQUIRE(smon_rule_info(fd, id, &info) == 0, "rule listed");
	CHECK_EQ(info.matched, 3, "matched, over both versions");
	CHECK_EQ(info.would_act, 2, "would_act");
	CHECK_EQ(info.blocked, 1, "blocked");
	REQUIRE(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, NULL, 0) == 0, "empty policy");
	CHECK_EQ(smon_get_rules(fd, &info, 1), 0, "rules left");
}

/* Three threads that wait, then a create from the fourth. */
static int threads_then_create(void *arg)
{
	int fd;

	if (smon_start_idle_threads(3))
		return 200;
	fd = syscall(SYS_openat, AT_FDCWD, arg, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return 100 + (errno & 0x3f);
	return 0;
}

static void kill_case(int fd, int enforce)
{
	struct smon_child_opts opts = { .comm = "t25-kill" };
	struct syscallmon_rule rule;
	struct syscallmon_rule_info info;
	struct smon_child child;
	char path[128];
	int id;

	smon_diag("kill %s: a process of 4 threads creating a file", enforce ? "enforced" : "in audit");
	snprintf(path, sizeof(path), "%s/kill-%s", dir, enforce ? "enforced" : "audit");
	REQUIRE(smon_child_spawn(&child, &opts, threads_then_create, path) == 0, "spawn");
	smon_rule_init(&rule, "kill-t25", SYSCALLMON_RULE_KILL,
		       SYSCALLMON_SEL_COMM | (enforce ? SYSCALLMON_RULE_ENFORCE : 0));
	snprintf(rule.comm, sizeof(rule.comm), "t25-kill");
	smon_rule_syscall(&rule, SYS_openat);
	id = smon_add_rule(fd, &rule);
	REQUIRE(id > 0, "add kill rule: %s", smon_errname(id));
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	REQUIRE(smon_child_release(&child) == 0, "release");
	CHECK_EQ(smon_child_wait(&child), enforce ? -1000 - SIGKILL : 0, "how the process ended");
	CHECK_EQ(smon_path_exists(path), !enforce, "the file exists");
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	CHECK_EQ(count_records(child.pid, SYS_openat, id,
			       enforce ? SYSCALLMON_VERDICT_KILLED : SYSCALLMON_VERDICT_WOULD_KILL), 1,
		 "the openat record");
	smon_events_free(&events);
	REQUIRE(smon_rule_info(fd, id, &info) == 0, "rule listed");
	CHECK_EQ(info.killed, enforce, "killed");
	CHECK_EQ(info.would_act, !enforce, "would_act");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

/* An enforced block rule on mkdir for this process, the device holder (flags: FORCE or not). */
static int block_own_mkdir(int fd, const char *name, uint32_t flags)
{
	uint32_t self = getpid();
	struct syscallmon_rule rule;
	int id;

	smon_rule_init(&rule, name, SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE | SYSCALLMON_SEL_PIDS | flags);
	smon_rule_syscall(&rule, SYS_mkdir);
	rule.npids = 1;
	rule.pids = (uint64_t)(uintptr_t)&self;
	id = smon_add_rule(fd, &rule);
	REQUIRE(id > 0, "add %s: %s", name, smon_errname(id));
	return id;
}

static void holder(int fd)
{
	char path[128];
	int id;

	smon_diag("the device holder: exempt unless forced");
	id = block_own_mkdir(fd, "block-self", 0);
	snprintf(path, sizeof(path), "%s/self-1", dir);
	CHECK_EQ(mkdir(path, 0755), 0, "the holder's mkdir, not forced");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
	id = block_own_mkdir(fd, "block-self-forced", SYSCALLMON_RULE_FORCE);
	snprintf(path, sizeof(path), "%s/self-2", dir);
	CHECK_EQ(mkdir(path, 0755) < 0 ? errno : 0, EPERM, "the holder's mkdir, forced");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

int main(void)
{
	int fd;

	dir = smon_tmpdir("t25");
	fd = smon_load_open_mode(NULL, SYSCALLMON_MODE_BLOCK);

	order(fd);
	audit_then_enforce(fd);
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK) == 0, "mode BLOCK");
	kill_case(fd, 0);
	kill_case(fd, 1);
	holder(fd);
	smon_unload_exit(fd);
}
