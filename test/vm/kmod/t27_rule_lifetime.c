// SPDX-License-Identifier: GPL-2.0
/*
 * Test 27: where rules come from and when they go; requests refused whole.
 *   a) A rule owned by an open file (class FILE) goes when the file's last
 *      holder closes it: a process that exits, one killed by SIGKILL, and
 *      one whose child still holds the file (the rule stays until the child
 *      dies too).  Rules added by hand stay.
 *   b) Bad requests get their errno and change nothing.
 *      A rule added again under its name (same class, same file) is
 *      replaced where it stands; another class's or file's name is taken.
 *   c) A policy with a rule that can't be made is refused whole: the
 *      rules, their ids and the mode stay as they were.  4096 rules fit
 *      (one more is ENOSPC); names are unique across classes.
 *   d) Several rules deleted at once (DEL_RULES) go together, each with its
 *      record; one id that is not there refuses the whole request; an id
 *      given twice is deleted once; bad requests are EINVAL or EFAULT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

static struct syscallmon_rule_info infos[SYSCALLMON_MAX_RULES];

static int has_rule(int fd, const char *name)
{
	int n = smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES);

	for (int i = 0; i < n; i++)
		if (!strcmp(infos[i].rule.name, name))
			return 1;
	return 0;
}

static void log_rule(struct syscallmon_rule *r, const char *name, uint32_t class)
{
	smon_rule_init(r, name, SYSCALLMON_RULE_LOG, 0);
	r->rule_class = class;
	smon_rule_syscall(r, SYS_getppid);
}

enum ending { EXIT, KILLED, CHILD_HOLDS };

/*
 * A process opens the device, adds a FILE rule and a HAND rule named after
 * how, tells us (ready), and then ends as how says.  For CHILD_HOLDS it
 * forks a child that keeps the file and waits on a pipe; returns its pid.
 */
static pid_t owner_process(enum ending how, const char *name, int *child_gate)
{
	int ready[2], gate[2];
	pid_t pid;
	char c;

	REQUIRE(pipe(ready) == 0 && pipe(gate) == 0, "pipes");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		struct syscallmon_rule r;
		char hand[64];
		int fd = smon_open(0);

		if (fd < 0)
			_exit(2);
		log_rule(&r, name, SYSCALLMON_CLASS_FILE);
		if (smon_add_rule(fd, &r) <= 0)
			_exit(3);
		snprintf(hand, sizeof(hand), "%s-hand", name);
		log_rule(&r, hand, SYSCALLMON_CLASS_HAND);
		if (smon_add_rule(fd, &r) <= 0)
			_exit(4);
		if (how == CHILD_HOLDS && fork() == 0) {
			/* Holds the file until the gate closes. */
			close(gate[1]);
			if (write(ready[1], "c", 1) != 1)
				_exit(5);
			while (read(gate[0], &c, 1) > 0)
				;
			_exit(0);
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(5);
		if (how == KILLED)
			for (;;)
				pause();
		_exit(0);
	}
	close(ready[1]);
	close(gate[0]);
	for (int i = 0; i < (how == CHILD_HOLDS ? 2 : 1); i++)
		REQUIRE(read(ready[0], &c, 1) == 1, "the owner is ready");
	close(ready[0]);
	*child_gate = gate[1];
	return pid;
}

/* The release of a file runs after its last close returns: give it a moment. */
static int gone_soon(int fd, const char *name)
{
	for (int i = 0; i < 200; i++) {
		if (!has_rule(fd, name))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void owned(int fd)
{
	int gate;
	pid_t pid;

	smon_diag("a file's rules go with the file");
	pid = owner_process(EXIT, "owned-exit", &gate);
	CHECK_EQ(smon_wait_pid(pid), 0, "the owner's exit");
	CHECK(gone_soon(fd, "owned-exit"), "the rule of an owner that exited is gone");
	CHECK(has_rule(fd, "owned-exit-hand"), "its rule added by hand stays");
	close(gate);

	pid = owner_process(KILLED, "owned-killed", &gate);
	CHECK(has_rule(fd, "owned-killed"), "the rule of a live owner");
	kill(pid, SIGKILL);
	CHECK_EQ(smon_wait_pid(pid), -1000 - SIGKILL, "the owner was killed");
	CHECK(gone_soon(fd, "owned-killed"), "the rule of an owner killed by SIGKILL is gone");
	close(gate);

	pid = owner_process(CHILD_HOLDS, "owned-shared", &gate);
	CHECK_EQ(smon_wait_pid(pid), 0, "the owner's exit");
	usleep(100000);
	CHECK(has_rule(fd, "owned-shared"), "the rule stays while the owner's child holds the file");
	close(gate);
	CHECK(gone_soon(fd, "owned-shared"), "the rule goes when the child exits");

	/* Left: the three rules added by hand. */
	REQUIRE(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES) == 3, "rules left by the owners");
	for (int i = 0; i < 3; i++) {
		CHECK(strstr(infos[i].rule.name, "-hand"), "rule %s left", infos[i].rule.name);
		CHECK_EQ(smon_del_rule(fd, infos[i].rule.id), 0, "delete a hand rule");
	}
	CHECK_EQ(smon_get_rules(fd, infos, 1), 0, "rules left");
}

static int add_with(int fd, void (*change)(struct syscallmon_rule *r))
{
	struct syscallmon_rule r;

	log_rule(&r, "bad", SYSCALLMON_CLASS_HAND);
	change(&r);
	return smon_add_rule(fd, &r);
}

static void bad_action(struct syscallmon_rule *r) { r->action = SYSCALLMON_RULE_KILL + 1; }
static void bad_flags(struct syscallmon_rule *r) { r->flags = 1u << 31; }
static void no_syscalls(struct syscallmon_rule *r) { memset(r->syscalls, 0, sizeof(r->syscalls)); }
static void bad_syscall(struct syscallmon_rule *r) { smon_rule_syscall(r, SYSCALLMON_NR_LIMIT - 1); }
static void no_name(struct syscallmon_rule *r) { r->name[0] = '\0'; }
static void long_name(struct syscallmon_rule *r) { memset(r->name, 'n', sizeof(r->name)); }
static void long_comm(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_COMM;
	memset(r->comm, 'c', sizeof(r->comm));
}
static void empty_comm(struct syscallmon_rule *r) { r->flags |= SYSCALLMON_SEL_COMM; }
static void empty_path(struct syscallmon_rule *r) { r->flags |= SYSCALLMON_SEL_PATH; }
static void pids_and_tree(struct syscallmon_rule *r) { r->flags |= SYSCALLMON_SEL_PIDS | SYSCALLMON_SEL_TREE; }
static void uid_backwards(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_UID;
	r->uid.min = 10;
	r->uid.max = 9;
}
static void reserved(struct syscallmon_rule *r) { r->reserved[1] = 1; }
static void policy_class(struct syscallmon_rule *r) { r->rule_class = SYSCALLMON_CLASS_POLICY; }
static void unknown_class(struct syscallmon_rule *r) { r->rule_class = 7; }
static void pids_unasked(struct syscallmon_rule *r) { r->npids = 1; }
static void failed_only_entry(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_RULE_FAILED_ONLY;
	r->record = SYSCALLMON_RECORD_ENTRY;
}
static void bad_record(struct syscallmon_rule *r) { r->record = SYSCALLMON_RECORD_BOTH + 1; }
static void negative_err(struct syscallmon_rule *r) { r->err = -1; }
static void block_exit_group(struct syscallmon_rule *r)
{
	r->action = SYSCALLMON_RULE_BLOCK;
	smon_rule_syscall(r, SYS_exit_group);
}
static void kill_exit(struct syscallmon_rule *r)
{
	r->action = SYSCALLMON_RULE_KILL;
	memset(r->syscalls, 0, sizeof(r->syscalls));
	smon_rule_syscall(r, SYS_exit);
}
static void too_many_pids(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_PIDS;
	r->npids = SYSCALLMON_MAX_PIDS + 1;
}
static void bad_pids_pointer(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_PIDS;
	r->npids = 1;
	r->pids = 8;
}
static void missing_exe(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_EXE;
	snprintf(r->exe, sizeof(r->exe), "/nonexistent/smon-t27");
}
static void dir_exe(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_EXE;
	snprintf(r->exe, sizeof(r->exe), "/tmp");
}
/* Relative names would be looked up again from the cwd of whoever lists the rules. */
static void relative_exe(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_EXE;
	snprintf(r->exe, sizeof(r->exe), "bin/sh");
}

static uint32_t init_pid = 1, dead_pid;

static void block_init(struct syscallmon_rule *r)
{
	r->action = SYSCALLMON_RULE_BLOCK;
	r->flags |= SYSCALLMON_SEL_PIDS;
	r->npids = 1;
	r->pids = (uint64_t)(uintptr_t)&init_pid;
}
static void dead(struct syscallmon_rule *r)
{
	r->flags |= SYSCALLMON_SEL_PIDS;
	r->npids = 1;
	r->pids = (uint64_t)(uintptr_t)&dead_pid;
}

static void bad_requests(int fd)
{
	static const struct {
		const char *what;
		void (*change)(struct syscallmon_rule *r);
		int err;
	} cases[] = {
		{ "action past kill", bad_action, -EINVAL },
		{ "an unknown flag", bad_flags, -EINVAL },
		{ "no syscall", no_syscalls, -EINVAL },
		{ "a number no syscall has", bad_syscall, -EINVAL },
		{ "an empty name", no_name, -EINVAL },
		{ "a name without its NUL", long_name, -EINVAL },
		{ "a comm without its NUL", long_comm, -EINVAL },
		{ "a comm selector without a comm", empty_comm, -EINVAL },
		{ "a path selector without a path", empty_path, -EINVAL },
		{ "pids and tree at once", pids_and_tree, -EINVAL },
		{ "a uid range backwards", uid_backwards, -EINVAL },
		{ "reserved set", reserved, -EINVAL },
		{ "class POLICY by ADD_RULE", policy_class, -EINVAL },
		{ "an unknown class", unknown_class, -EINVAL },
		{ "pids without a pid selector", pids_unasked, -EINVAL },
		{ "failures only, recorded at entry", failed_only_entry, -EINVAL },
		{ "an unknown record mode", bad_record, -EINVAL },
		{ "a negative errno", negative_err, -EINVAL },
		{ "block exit_group", block_exit_group, -EINVAL },
		{ "kill exit", kill_exit, -EINVAL },
		{ "more pids than a set holds", too_many_pids, -E2BIG },
		{ "pids at a bad address", bad_pids_pointer, -EFAULT },
		{ "an exe that does not exist", missing_exe, -ENOENT },
		{ "an exe that is a directory", dir_exe, -EINVAL },
		{ "a relative exe", relative_exe, -EINVAL },
		{ "block pid 1 without force", block_init, -EPERM },
		{ "a pid that names no process", dead, -ESRCH },
	};
	struct syscallmon_rule r;

	smon_diag("bad requests");
	dead_pid = smon_reaped_pid();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = add_with(fd, cases[i].change);

		CHECK(ret == cases[i].err, "%s: got %s, want %s", cases[i].what, smon_errname(ret),
		      smon_errname(cases[i].err));
	}
	CHECK_EQ(smon_get_rules(fd, infos, 1), 0, "no rule was added");
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_ADD_RULE, NULL), -EFAULT, "ADD_RULE at NULL");
	CHECK_EQ(smon_del_rule(fd, 0), -EINVAL, "DEL_RULE 0");
	CHECK_EQ(smon_del_rule(fd, 12345), -ENOENT, "DEL_RULE of no rule");
	{
		struct syscallmon_rule_list list = { .max = SYSCALLMON_MAX_RULES + 1 };

		CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_GET_RULES, &list), -EINVAL, "GET_RULES max too large");
	}

	/* Forced, pid 1 may be given to a block rule; a log rule needs no force. */
	log_rule(&r, "init-forced", SYSCALLMON_CLASS_HAND);
	block_init(&r);
	r.flags |= SYSCALLMON_RULE_FORCE;
	CHECK(smon_add_rule(fd, &r) > 0, "block pid 1, forced");
	log_rule(&r, "init-log", SYSCALLMON_CLASS_HAND);
	r.flags |= SYSCALLMON_SEL_PIDS;
	r.npids = 1;
	r.pids = (uint64_t)(uintptr_t)&init_pid;
	CHECK(smon_add_rule(fd, &r) > 0, "log pid 1");
	REQUIRE(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES) == 2, "rules");
	{
		uint32_t forced = infos[0].rule.id, logged = infos[1].rule.id;

		/* The same name and class again: the rule is replaced where it stands. */
		log_rule(&r, "init-forced", SYSCALLMON_CLASS_HAND);
		CHECK_EQ(smon_add_rule(fd, &r), forced, "init-forced again: its id");
		REQUIRE(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES) == 2, "rules after the replacement");
		CHECK(infos[0].rule.id == forced && infos[0].rule.action == SYSCALLMON_RULE_LOG &&
		      infos[1].rule.id == logged, "init-forced replaced in its place, as a log rule");
		/* A name owned by another class, or by another open file, is taken. */
		log_rule(&r, "init-log", SYSCALLMON_CLASS_FILE);
		CHECK_EQ(smon_add_rule(fd, &r), -EEXIST, "a hand rule's name for a file's rule");
		CHECK_EQ(smon_del_rule(fd, forced), 0, "delete");
		CHECK_EQ(smon_del_rule(fd, logged), 0, "delete");
		log_rule(&r, "owned-elsewhere", SYSCALLMON_CLASS_FILE);
		{
			int other = smon_open(0);

			REQUIRE(other >= 0 && smon_add_rule(other, &r) > 0, "a rule owned by another file");
			CHECK_EQ(smon_add_rule(fd, &r), -EEXIST, "another file's rule's name");
			close(other);
		}
	}
}

static struct syscallmon_rule many[SYSCALLMON_MAX_RULES + 1];

static void policies(int fd)
{
	struct syscallmon_policy p = { 0 };
	struct syscallmon_rule r;
	struct syscallmon_status st;
	uint32_t ids[2];
	int hand;

	smon_diag("policies are replaced whole or not at all");
	log_rule(&many[0], "p1", SYSCALLMON_CLASS_POLICY);
	log_rule(&many[1], "p2", SYSCALLMON_CLASS_POLICY);
	REQUIRE(smon_replace_policy(fd, SYSCALLMON_MODE_LOG, many, 2) == 0, "policy p1, p2");
	REQUIRE(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES) == 2, "two rules");
	ids[0] = infos[0].rule.id;
	ids[1] = infos[1].rule.id;
	log_rule(&r, "p1", SYSCALLMON_CLASS_HAND);
	CHECK_EQ(smon_add_rule(fd, &r), -EEXIST, "a hand rule taking a policy rule's name");
	log_rule(&r, "hand", SYSCALLMON_CLASS_HAND);
	hand = smon_add_rule(fd, &r);
	REQUIRE(hand > 0, "a rule by hand");

	log_rule(&many[0], "q1", SYSCALLMON_CLASS_POLICY);
	log_rule(&many[1], "q2", SYSCALLMON_CLASS_POLICY);
	missing_exe(&many[1]);
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, many, 2), -ENOENT, "a policy with a missing exe");
	log_rule(&many[1], "q1", SYSCALLMON_CLASS_POLICY);
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, many, 2), -EEXIST, "a policy naming two rules alike");
	log_rule(&many[1], "hand", SYSCALLMON_CLASS_POLICY);
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, many, 2), -EEXIST,
		 "a policy taking the name of a rule added by hand");
	log_rule(&many[1], "q2", SYSCALLMON_CLASS_POLICY);
	dead(&many[1]);
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_BLOCK, many, 2), -EINVAL, "a policy with pids");
	log_rule(&many[1], "q2", SYSCALLMON_CLASS_POLICY);
	many[1].rule_class = SYSCALLMON_CLASS_HAND;
	p.mode = SYSCALLMON_MODE_BLOCK;
	p.nrules = 2;
	p.rules = (uint64_t)(uintptr_t)many;
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &p), -EINVAL, "a policy with a hand rule");
	p.exits = 2;
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &p), -EINVAL, "a policy with exits 2");
	p.exits = 0;
	p.mode = 9;
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &p), -EINVAL, "a policy with mode 9");
	p.mode = SYSCALLMON_MODE_BLOCK;
	p.rules = 8;
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &p), -EFAULT, "a policy at a bad address");
	p.nrules = SYSCALLMON_MAX_RULES + 1;
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &p), -E2BIG, "a policy of 4097 rules");

	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK_EQ(st.mode, SYSCALLMON_MODE_LOG, "the mode after refused policies");
	REQUIRE(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES) == 3, "rules after refused policies");
	CHECK(!strcmp(infos[0].rule.name, "p1") && infos[0].rule.id == ids[0], "p1 stays first, with its id");
	CHECK(!strcmp(infos[1].rule.name, "p2") && infos[1].rule.id == ids[1], "p2 stays second, with its id");
	CHECK(!strcmp(infos[2].rule.name, "hand") && infos[2].rule.id == (uint32_t)hand, "the hand rule stays");

	smon_diag("4096 rules fit, in one policy");
	for (int i = 0; i < SYSCALLMON_MAX_RULES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "r%04d", i);
		log_rule(&many[i], name, SYSCALLMON_CLASS_POLICY);
		many[i].flags = SYSCALLMON_SEL_UID;
		many[i].uid.min = many[i].uid.max = 100000 + i;
	}
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_LOG, many, SYSCALLMON_MAX_RULES), -ENOSPC,
		 "4096 policy rules beside a hand rule");
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_LOG, many, SYSCALLMON_MAX_RULES - 1), 0,
		 "4095 policy rules beside a hand rule");
	log_rule(&r, "one-too-many", SYSCALLMON_CLASS_HAND);
	CHECK_EQ(smon_add_rule(fd, &r), -ENOSPC, "rule 4097");
	CHECK_EQ(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES), SYSCALLMON_MAX_RULES, "rules");
	CHECK(!strcmp(infos[SYSCALLMON_MAX_RULES - 1].rule.name, "hand"), "the hand rule comes after the policy's");
	/* Calls still go through all of them. */
	CHECK(syscall(SYS_getppid) > 0, "getppid");
	CHECK_EQ(smon_replace_policy(fd, SYSCALLMON_MODE_OFF, NULL, 0), 0, "empty policy");
	CHECK_EQ(smon_del_rule(fd, hand), 0, "delete the hand rule");
	CHECK_EQ(smon_get_rules(fd, infos, 1), 0, "rules left");
}

static int del_rules(int fd, const uint32_t *ids, uint32_t count)
{
	struct syscallmon_rule_ids req = { .count = count, .ids = (uintptr_t)ids };

	return smon_ioctl(fd, SYSCALLMON_IOC_DEL_RULES, &req);
}

static void several_at_once(int fd)
{
	struct smon_events events = { 0 };
	struct syscallmon_rule r;
	uint32_t ids[3], missing[3], twice[3];
	size_t i, dels = 0;

	smon_diag("several rules deleted at once, or none");
	REQUIRE(smon_delete_rules(fd) >= 0, "start with no rules");
	for (i = 0; i < 3; i++) {
		char name[16];
		int id;

		snprintf(name, sizeof(name), "several-%zu", i);
		log_rule(&r, name, SYSCALLMON_CLASS_HAND);
		id = smon_add_rule(fd, &r);
		REQUIRE(id > 0, "add %s", name);
		ids[i] = id;
	}
	missing[0] = ids[0];
	missing[1] = ids[2] + 1000;
	missing[2] = ids[1];
	CHECK_EQ(del_rules(fd, missing, 3), -ENOENT, "one id not there");
	CHECK_EQ(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES), 3, "rules left after the refusal");
	CHECK_EQ(del_rules(fd, ids, 0), -EINVAL, "count 0");
	CHECK_EQ(del_rules(fd, ids, SYSCALLMON_MAX_RULES + 1), -EINVAL, "count past the most rules");
	CHECK_EQ(smon_ioctl(fd, SYSCALLMON_IOC_DEL_RULES,
			    &(struct syscallmon_rule_ids){ .count = 1, .reserved = 1, .ids = (uintptr_t)ids }),
		 -EINVAL, "reserved set");
	CHECK_EQ(del_rules(fd, (const uint32_t *)8, 2), -EFAULT, "ids through a bad pointer");
	twice[0] = twice[1] = 0;
	CHECK_EQ(del_rules(fd, twice, 2), -EINVAL, "id 0");
	CHECK_EQ(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES), 3, "rules left after bad requests");

	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	twice[0] = ids[2];
	twice[1] = ids[0];
	twice[2] = ids[2];
	CHECK_EQ(del_rules(fd, twice, 3), 0, "delete two, one of them named twice");
	CHECK(smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES) == 1 && infos[0].rule.id == ids[1],
	      "only several-1 left");
	REQUIRE(smon_read_all(fd, &events) == 0, "read records");
	for (i = 0; i < events.n; i++)
		if (events.ev[i].type == SYSCALLMON_RECORD_CONFIG && events.ev[i].config_kind == SYSCALLMON_CONFIG_RULE_DEL)
			dels++;
	CHECK_EQ(dels, 2, "rule_del records");
	smon_events_free(&events);
	CHECK_EQ(del_rules(fd, &ids[1], 1), 0, "delete the last");
}

int main(void)
{
	int fd;

	fd = smon_load_open(NULL);
	owned(fd);
	bad_requests(fd);
	policies(fd);
	several_at_once(fd);
	smon_unload_exit(fd);
}
