// SPDX-License-Identifier: GPL-2.0
/*
 * smonctl: the benchmark's own control tool for syscallmon.ko.  The guest
 * driver reconfigures the module between contenders dozens of times; the
 * CLI would cost a node start (~3 s under TCG) each time, and the bench must
 * not change what it measures by holding the device open.  This opens the
 * device, makes one change and closes it again.
 *
 *   smonctl mode off|log|block
 *   smonctl target NAME log|block all|PID [complete|entry|both]
 *                                              (replaces an existing target; what a call
 *                                               records, default complete)
 *   smonctl rule RULE NAME log|block pid|tree PID...
 *                                              (a named rule, enforced, on one syscall)
 *   smonctl noise N NAME keyed|plain           (N rules on NAME that match nothing: keyed by
 *                                               comm or uid, which the module indexes, or
 *                                               by a uid range, which it scans)
 *   smonctl rule-pids RULE                     (how many processes its pid set or tree holds)
 *   smonctl changes N NAME PID                 (N changes of NAME's target, block PID and log
 *                                               all in turn: one JSON line of their durations)
 *   smonctl forker N                           (stops itself; once continued, forks N children
 *                                               that wait, says "forked", waits for SIGTERM,
 *                                               then ends them)
 *   smonctl reset                              (mode off, no targets, no rules, empty log,
 *                                               zero counters)
 *   smonctl status                             (one JSON line)
 *
 * Exit codes: 0 ok, 2 usage, 3 device missing, 5 the kernel refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uapi/syscallmon.h>

static const char *const syscall_names[SYSCALLMON_NR_LIMIT] = {
#define SYSCALLMON_OP(nr, name, path_arg, fd_arg) [nr] = #name,
#include "syscall_table.h"
};

static void __attribute__((noreturn)) usage(const char *why)
{
	fprintf(stderr, "smonctl: %s\nusage: smonctl mode off|log|block | target NAME log|block all|PID [complete|entry|both] | "
		"rule RULE NAME log|block pid|tree PID... | noise N NAME keyed|plain | rule-pids RULE | "
		"changes N NAME PID | forker N | reset | status\n", why);
	exit(2);
}

static int open_dev(void)
{
	int fd = open(SYSCALLMON_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "smonctl: %s: %s\n", SYSCALLMON_DEVICE_PATH, strerror(errno));
		exit(3);
	}
	return fd;
}

static void xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) < 0) {
		fprintf(stderr, "smonctl: %s: %s\n", what, strerror(errno));
		exit(5);
	}
}

static uint32_t lookup(const char *name)
{
	uint32_t nr;

	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (syscall_names[nr] && !strcmp(syscall_names[nr], name))
			return nr;
	usage("unknown syscall name");
}

static void cmd_target(int fd, const char *name, const char *action, const char *scope, const char *record)
{
	struct syscallmon_target t = { 0 };
	uint32_t pid = 0;
	char *end;

	t.nr = lookup(name);
	if (!strcmp(action, "log"))
		t.action = SYSCALLMON_ACTION_LOG;
	else if (!strcmp(action, "block"))
		t.action = SYSCALLMON_ACTION_BLOCK;
	else
		usage("action must be log or block");
	if (!record || !strcmp(record, "complete"))
		t.record = SYSCALLMON_RECORD_COMPLETE;
	else if (!strcmp(record, "entry"))
		t.record = SYSCALLMON_RECORD_ENTRY;
	else if (!strcmp(record, "both"))
		t.record = SYSCALLMON_RECORD_BOTH;
	else
		usage("a target records complete, entry or both");
	if (!strcmp(scope, "all")) {
		t.flags = SYSCALLMON_TARGET_ALL_PIDS;
	} else {
		errno = 0;
		pid = (uint32_t)strtoul(scope, &end, 10);
		if (errno || *end || !pid)
			usage("scope must be all or a pid");
		t.npids = 1;
		t.pids = (uintptr_t)&pid;
	}
	xioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t, "ADD_TARGET");
}

static uint32_t parse_u32(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > UINT32_MAX)
		usage(what);
	return (uint32_t)v;
}

static void rule_init(struct syscallmon_rule *r, const char *rule, const char *name, uint32_t action)
{
	uint32_t nr = lookup(name);

	memset(r, 0, sizeof(*r));
	r->rule_class = SYSCALLMON_CLASS_HAND;
	snprintf(r->name, sizeof(r->name), "%s", rule);
	r->syscalls[nr / 64] |= 1ull << (nr % 64);
	r->action = action;
	r->flags = SYSCALLMON_RULE_ENFORCE;
}

static void cmd_rule(int fd, int argc, char **argv)
{
	static uint32_t pids[SYSCALLMON_MAX_TREE];
	struct syscallmon_rule r;
	uint32_t action;
	int i;

	if (!strcmp(argv[4], "log"))
		action = SYSCALLMON_RULE_LOG;
	else if (!strcmp(argv[4], "block"))
		action = SYSCALLMON_RULE_BLOCK;
	else
		usage("action must be log or block");
	rule_init(&r, argv[2], argv[3], action);
	if (!strcmp(argv[5], "pid"))
		r.flags |= SYSCALLMON_SEL_PIDS;
	else if (!strcmp(argv[5], "tree"))
		r.flags |= SYSCALLMON_SEL_TREE;
	else
		usage("selector must be pid or tree");
	for (i = 6; i < argc && r.npids < SYSCALLMON_MAX_TREE; i++)
		pids[r.npids++] = parse_u32(argv[i], "a pid is a number");
	if (!r.npids)
		usage("no pid");
	r.pids = (uintptr_t)pids;
	xioctl(fd, SYSCALLMON_IOC_ADD_RULE, &r, "ADD_RULE");
}

/* Rules that no process of the bench matches, as many as asked. */
static void cmd_noise(int fd, uint32_t n, const char *name, const char *kind)
{
	struct syscallmon_rule r;
	int keyed = !strcmp(kind, "keyed");
	uint32_t i;

	if (!keyed && strcmp(kind, "plain"))
		usage("noise is keyed or plain");
	for (i = 0; i < n; i++) {
		char rule[32];

		snprintf(rule, sizeof(rule), "noise-%u", i);
		rule_init(&r, rule, name, SYSCALLMON_RULE_LOG);
		if (keyed && i % 2) {
			r.flags |= SYSCALLMON_SEL_COMM;
			snprintf(r.comm, sizeof(r.comm), "nm-%u", i % 100000);
		} else if (keyed) {
			r.flags |= SYSCALLMON_SEL_UID;
			r.uid.min = r.uid.max = 100000 + i;
		} else {
			r.flags |= SYSCALLMON_SEL_UID;
			r.uid.min = 100000 + 10 * i;
			r.uid.max = 100000 + 10 * i + 5;
		}
		xioctl(fd, SYSCALLMON_IOC_ADD_RULE, &r, "ADD_RULE");
	}
}

static void cmd_rule_pids(int fd, const char *rule)
{
	static struct syscallmon_rule_info infos[SYSCALLMON_MAX_RULES];
	struct syscallmon_rule_list list = { .max = SYSCALLMON_MAX_RULES, .entries = (uintptr_t)infos };
	struct syscallmon_pid_list pids = { 0 };
	uint32_t i;

	xioctl(fd, SYSCALLMON_IOC_GET_RULES, &list, "GET_RULES");
	for (i = 0; i < list.count && i < list.max && strcmp(infos[i].rule.name, rule); i++)
		;
	if (i == list.count || i == list.max)
		usage("no such rule");
	pids.rule = infos[i].rule.id;
	xioctl(fd, SYSCALLMON_IOC_GET_PIDS, &pids, "GET_PIDS");
	printf("%u\n", pids.count);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Each change is published whole before its ioctl returns: from then on
 * every call is decided by it.  So a change's duration is how long it takes
 * to take effect.
 */
static void cmd_changes(int fd, uint32_t n, const char *name, uint32_t pid)
{
	uint64_t *ns = calloc(n, sizeof(*ns));
	struct syscallmon_target t = { 0 };
	uint32_t i;

	if (!ns || !n)
		usage("changes: N must be positive");
	t.nr = lookup(name);
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		if (i % 2) {
			t.action = SYSCALLMON_ACTION_LOG;
			t.flags = SYSCALLMON_TARGET_ALL_PIDS;
			t.npids = 0;
		} else {
			t.action = SYSCALLMON_ACTION_BLOCK;
			t.flags = 0;
			t.npids = 1;
			t.pids = (uintptr_t)&pid;
		}
		xioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t, "ADD_TARGET");
		ns[i] = now_ns() - t0;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("{\"n\":%u,\"median_ns\":%llu,\"p90_ns\":%llu,\"max_ns\":%llu}\n", n,
	       (unsigned long long)ns[n / 2], (unsigned long long)ns[n * 9 / 10], (unsigned long long)ns[n - 1]);
	free(ns);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Never opens the device: it and its children are monitored like any process. */
static void cmd_forker(uint32_t n)
{
	pid_t *kids = calloc(n ? n : 1, sizeof(*kids));
	struct sigaction sa = { .sa_handler = on_term };
	uint32_t i;

	if (!kids)
		exit(1);
	sigaction(SIGTERM, &sa, NULL);
	/* Whoever continues it has made its rules first: every child is forked under them. */
	raise(SIGSTOP);
	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
		if (kids[i] < 0)
			exit(1);
	}
	printf("forked %u\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	exit(0);
}

/* Every rule added by hand goes; the policy becomes empty and the mode OFF. */
static void delete_rules(int fd)
{
	static struct syscallmon_rule_info infos[SYSCALLMON_MAX_RULES];
	struct syscallmon_rule_list list = { .max = SYSCALLMON_MAX_RULES, .entries = (uintptr_t)infos };
	struct syscallmon_policy policy = { .mode = SYSCALLMON_MODE_OFF };
	uint32_t i;

	xioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &policy, "REPLACE_POLICY");
	xioctl(fd, SYSCALLMON_IOC_GET_RULES, &list, "GET_RULES");
	for (i = 0; i < list.count && i < list.max; i++)
		xioctl(fd, SYSCALLMON_IOC_DEL_RULE, &infos[i].rule.id, "DEL_RULE");
}

static void cmd_status(int fd)
{
	struct syscallmon_status st;
	struct syscallmon_target_info info[16];
	struct syscallmon_target_list list = { .max = 16, .entries = (uintptr_t)info };
	static const char *const modes[] = { "off", "log", "block" };
	uint32_t i;

	xioctl(fd, SYSCALLMON_IOC_GET_STATUS, &st, "GET_STATUS");
	xioctl(fd, SYSCALLMON_IOC_GET_TARGETS, &list, "GET_TARGETS");
	printf("{\"mode\":\"%s\",\"ring_size\":%llu,\"events\":%llu,\"overwritten\":%llu,\"missed\":%llu,"
	       "\"no_result\":%llu,\"targets\":[",
	       st.mode < 3 ? modes[st.mode] : "?", (unsigned long long)st.ring_size, (unsigned long long)st.events,
	       (unsigned long long)st.overwritten, (unsigned long long)st.missed, (unsigned long long)st.no_result);
	for (i = 0; i < list.count && i < list.max; i++)
		printf("%s{\"syscall\":\"%s\",\"hits\":%llu,\"logged\":%llu,\"blocked\":%llu,\"missed\":%llu}",
		       i ? "," : "", syscall_names[info[i].nr] ? syscall_names[info[i].nr] : "?",
		       (unsigned long long)info[i].hits, (unsigned long long)info[i].logged,
		       (unsigned long long)info[i].blocked, (unsigned long long)info[i].missed);
	printf("]}\n");
}

int main(int argc, char **argv)
{
	uint32_t v;
	int fd;

	if (argc < 2)
		usage("missing command");
	if (!strcmp(argv[1], "mode") && argc == 3) {
		if (!strcmp(argv[2], "off"))
			v = SYSCALLMON_MODE_OFF;
		else if (!strcmp(argv[2], "log"))
			v = SYSCALLMON_MODE_LOG;
		else if (!strcmp(argv[2], "block"))
			v = SYSCALLMON_MODE_BLOCK;
		else
			usage("mode must be off, log or block");
		fd = open_dev();
		xioctl(fd, SYSCALLMON_IOC_SET_MODE, &v, "SET_MODE");
	} else if (!strcmp(argv[1], "target") && (argc == 5 || argc == 6)) {
		fd = open_dev();
		cmd_target(fd, argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	} else if (!strcmp(argv[1], "rule") && argc >= 7) {
		fd = open_dev();
		cmd_rule(fd, argc, argv);
	} else if (!strcmp(argv[1], "noise") && argc == 5) {
		fd = open_dev();
		cmd_noise(fd, parse_u32(argv[2], "N is a number"), argv[3], argv[4]);
	} else if (!strcmp(argv[1], "rule-pids") && argc == 3) {
		fd = open_dev();
		cmd_rule_pids(fd, argv[2]);
	} else if (!strcmp(argv[1], "changes") && argc == 5) {
		fd = open_dev();
		cmd_changes(fd, parse_u32(argv[2], "N is a number"), argv[3], parse_u32(argv[4], "a pid is a number"));
	} else if (!strcmp(argv[1], "forker") && argc == 3) {
		cmd_forker(parse_u32(argv[2], "N is a number"));
	} else if (!strcmp(argv[1], "reset") && argc == 2) {
		fd = open_dev();
		delete_rules(fd);
		v = SYSCALLMON_MODE_OFF;
		xioctl(fd, SYSCALLMON_IOC_SET_MODE, &v, "SET_MODE");
		v = SYSCALLMON_CLEAR_MASK;
		xioctl(fd, SYSCALLMON_IOC_CLEAR, &v, "CLEAR");
	} else if (!strcmp(argv[1], "status") && argc == 2) {
		fd = open_dev();
		cmd_status(fd);
	} else {
		usage("bad arguments");
	}
	close(fd);
	return 0;
}
