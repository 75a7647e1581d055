// SPDX-License-Identifier: GPL-2.0
/*
 * Test 14: the task lister shows the reader's pid namespace.
 *
 * This program re-executes itself under `unshare -pf --mount-proc`, as
 * pid 1 of a new pid namespace, and starts two processes there (one with
 * EXTRA_THREADS more threads).  Inside, compared with that namespace's own
 * /proc:
 *   - /proc/syscallmon/tasks has exactly one row per process /proc lists,
 *     no other, with the same PPID (0 for pid 1, whose parent is outside),
 *     COMMAND and THREADS;
 *   - task_detail has a block for exactly those processes, and each block's
 *     TIDS are the namespace's numbers in /proc/<pid>/task;
 *   - task_stats counts exactly those processes and their threads.
 * Meanwhile, in the initial namespace: every process that /proc lists both
 * before and after the read has a row (nothing is hidden there), and the
 * namespace's processes have rows under their initial-namespace pids, their
 * pid 1 a child of unshare, the other two its children.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define PROC_TASKS	SYSCALLMON_PROC_DIR "/tasks"
#define PROC_DETAIL	SYSCALLMON_PROC_DIR "/task_detail"
#define PROC_STATS	SYSCALLMON_PROC_DIR "/task_stats"

#define EXTRA_THREADS	2
#define NS_CHILDREN	2
#define MAX_PIDS	4096
#define MAX_TIDS	16
#define THREADED_COMM	"smon-t14-thr"
#define IDLE_COMM	"smon-t14-idle"

/* ---- what /proc says ---------------------------------------------------- */

static int has_pid(const int *pids, int n, int pid)
{
	return bsearch(&pid, pids, n, sizeof(int), smon_cmp_ids) != NULL;
}

/* The numeric entries of dir (a /proc or a /proc/<pid>/task), sorted. */
static int list_ids(const char *dir, int *ids, int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long id = strtol(de->d_name, &end, 10);

		if (*end || id <= 0)
			continue;
		if (n == max) {
			closedir(d);
			return -E2BIG;
		}
		ids[n++] = id;
	}
	closedir(d);
	qsort(ids, n, sizeof(int), smon_cmp_ids);
	return n;
}

struct proc_view {
	int pid, ppid, threads;
	char comm[32];
	char nspid[64];		/* NSpid: the pid in each namespace, outermost first */
};

/* Reads /proc/<pid>/status and comm; -ENOENT if the process is gone. */
static int read_proc(int pid, struct proc_view *v)
{
	char path[64], *text;
	const char *val;
	int ret;

	memset(v, 0, sizeof(*v));
	v->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	ret = smon_read_file(path, &text, NULL);
	if (ret)
		return ret;
	ret = -EPROTO;
	if ((val = smon_key_value(text, "PPid")) && sscanf(val, "%d", &v->ppid) == 1 &&
	    (val = smon_key_value(text, "Threads")) && sscanf(val, "%d", &v->threads) == 1 &&
	    (val = smon_key_value(text, "NSpid")) && sscanf(val, " %63[0-9 \t]", v->nspid) == 1)
		ret = 0;
	free(text);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	ret = smon_read_file(path, &text, NULL);
	if (ret)
		return ret;
	snprintf(v->comm, sizeof(v->comm), "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
	return 0;
}

/* ---- what the task lister says ------------------------------------------- */

/* Parses /proc/syscallmon/tasks; returns the number of rows, or -1. */
static int read_tasks(struct smon_task_row *rows, int max)
{
	char *text, *line, *save = NULL;
	int n = 0, ret;

	ret = smon_read_file(PROC_TASKS, &text, NULL);
	if (!CHECK(ret == 0, "read %s: %s", PROC_TASKS, smon_errname(ret)))
		return -1;
	line = strtok_r(text, "\n", &save);	/* the header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!CHECK(n < max, "more than %d rows", max))
			break;
		if (!CHECK(smon_parse_task_row(line, &rows[n]) == 0, "unparsable row \"%s\"", line))
			continue;
		n++;
	}
	free(text);
	return n;
}

static const struct smon_task_row *find_row(const struct smon_task_row *rows, int n, int pid)
{
	const struct smon_task_row *found = NULL;

	for (int i = 0; i < n; i++) {
		if (rows[i].pid != pid)
			continue;
		CHECK(!found, "two rows for pid %d", pid);
		found = &rows[i];
	}
	return found;
}

/* ---- inside the namespace ------------------------------------------------ */

/* Starts a process named comm with extra threads; it idles until killed. */
static pid_t start_idle(const char *comm, int threads, int up)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_NAME, comm);
	if (smon_start_idle_threads(threads))
		_exit(10);
	/* Its threads exist now: tell the parent. */
	if (write(up, "u", 1) != 1)
		_exit(11);
	for (;;)
		pause();
}

/* Checks task_detail's blocks against /proc: the same pids, and TIDS = /proc/<pid>/task. */
static void check_detail_in_ns(const int *pids, int npids)
{
	char *text, *cursor, *block;
	int seen[MAX_PIDS] = { 0 }, nblocks = 0, strangers = 0, ret;

	ret = smon_read_file(PROC_DETAIL, &text, NULL);
	if (!CHECK(ret == 0, "read %s: %s", PROC_DETAIL, smon_errname(ret)))
		return;
	cursor = text;
	while ((block = smon_next_block(&cursor))) {
		int tids[MAX_TIDS + 1], want[MAX_TIDS], ntids, nwant, pid, idx;
		char taskdir[64];
		const char *v;

		nblocks++;
		v = smon_key_value(block, "PID");
		if (!CHECK(v && sscanf(v, "%d", &pid) == 1, "a block without PID: \"%.80s\"", block))
			continue;
		idx = -1;
		for (int i = 0; i < npids; i++)
			if (pids[i] == pid)
				idx = i;
		if (idx < 0) {
			if (strangers++ < 5)
				CHECK(0, "task_detail has pid %d, which this namespace's /proc does "
				      "not list", pid);
			continue;
		}
		seen[idx]++;
		ntids = smon_block_tids(block, tids, MAX_TIDS + 1);
		snprintf(taskdir, sizeof(taskdir), "/proc/%d/task", pid);
		nwant = list_ids(taskdir, want, MAX_TIDS);
		if (!CHECK(smon_same_ids(tids, ntids, want, nwant),
			   "pid %d: TIDS has %d ids, %s has %d, or they differ", pid, ntids, taskdir, nwant)) {
			smon_print_ids("TIDS", tids, ntids);
			smon_print_ids("task/", want, nwant);
		}
	}
	smon_diag("in the namespace: %s has %d blocks", PROC_DETAIL, nblocks);
	CHECK_EQ(strangers, 0, "task_detail blocks for processes outside the namespace");
	for (int i = 0; i < npids; i++)
		CHECK(seen[i] == 1, "task_detail: %d blocks for pid %d, want 1", seen[i], pids[i]);
	free(text);
}

static void check_stats_in_ns(int tasks, int threads)
{
	unsigned long total_tasks = 0, total_threads = 0;
	const char *v;
	char *text;
	int ret;

	ret = smon_read_file(PROC_STATS, &text, NULL);
	if (!CHECK(ret == 0, "read %s: %s", PROC_STATS, smon_errname(ret)))
		return;
	CHECK((v = smon_key_value(text, "total_tasks")) && sscanf(v, "%lu", &total_tasks) == 1,
	      "task_stats: no total_tasks");
	CHECK((v = smon_key_value(text, "total_threads")) && sscanf(v, "%lu", &total_threads) == 1,
	      "task_stats: no total_threads");
	CHECK_EQ(total_tasks, tasks, "task_stats total_tasks vs the namespace's /proc");
	CHECK_EQ(total_threads, threads, "task_stats total_threads vs the namespace's /proc");
	free(text);
}

/*
 * pid 1 of the new namespace.  ready: where to say the checks are done;
 * gate: EOF on it means the initial namespace has looked, and it is time to go.
 */
static void __attribute__((noreturn)) in_namespace(int ready, int gate)
{
	static struct smon_task_row rows[MAX_PIDS];
	int pids[MAX_PIDS], npids, nrows, threads = 0, up[2];
	pid_t children[NS_CHILDREN];
	char byte;

	REQUIRE(getpid() == 1, "not pid 1 of a new namespace (pid %d)", (int)getpid());
	REQUIRE(pipe2(up, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	children[0] = start_idle(THREADED_COMM, EXTRA_THREADS, up[1]);
	children[1] = start_idle(IDLE_COMM, 0, up[1]);
	for (int i = 0; i < NS_CHILDREN; i++) {
		REQUIRE(children[i] > 0, "fork: %s", strerror(errno));
		REQUIRE(read(up[0], &byte, 1) == 1, "a child in the namespace did not start");
	}

	/* Nothing starts or ends in here while we look: both views are of one moment. */
	npids = list_ids("/proc", pids, MAX_PIDS);
	REQUIRE(npids == 1 + NS_CHILDREN, "this namespace's /proc lists %d processes, want %d",
		npids, 1 + NS_CHILDREN);
	nrows = read_tasks(rows, MAX_PIDS);
	REQUIRE(nrows >= 0, "no task list");
	smon_diag("in the namespace: /proc lists %d processes, %s has %d rows", npids,
		  PROC_TASKS, nrows);
	CHECK_EQ(nrows, npids, "rows in the namespace vs its /proc");
	for (int i = 0, shown = 0; i < nrows && shown < 5; i++)
		if (!CHECK(has_pid(pids, npids, rows[i].pid),
			   "row for pid %d (%s), which this namespace's /proc does not list",
			   rows[i].pid, rows[i].comm))
			shown++;
	for (int i = 0; i < npids; i++) {
		const struct smon_task_row *row = find_row(rows, nrows, pids[i]);
		struct proc_view v;

		if (!CHECK(read_proc(pids[i], &v) == 0, "read /proc/%d", pids[i]))
			continue;
		threads += v.threads;
		if (!CHECK(row, "no row for pid %d (%s)", pids[i], v.comm))
			continue;
		smon_diag("  pid %d: row ppid %d comm %s threads %d; /proc: ppid %d comm %s "
			  "threads %d", pids[i], row->ppid, row->comm, row->threads, v.ppid,
			  v.comm, v.threads);
		CHECK_EQ(row->ppid, v.ppid, "PPID vs the namespace's /proc/<pid>/status");
		CHECK(!strcmp(row->comm, v.comm), "pid %d: COMMAND %s, /proc/%d/comm says %s",
		      pids[i], row->comm, pids[i], v.comm);
		CHECK_EQ(row->threads, v.threads, "THREADS vs /proc/<pid>/status");
	}
	{
		const struct smon_task_row *init = find_row(rows, nrows, 1);

		CHECK(init && init->ppid == 0, "pid 1's PPID is %d, want 0 (its parent is outside)",
		      init ? init->ppid : -1);
	}
	check_detail_in_ns(pids, npids);
	check_stats_in_ns(npids, threads);

	/* Our verdict goes out through the exit status; now let the other side look. */
	if (write(ready, "r", 1) != 1)
		CHECK(0, "tell the test we are ready: %s", strerror(errno));
	while (read(gate, &byte, 1) > 0)
		;
	for (int i = 0; i < NS_CHILDREN; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	smon_exit();
}

/* ---- the initial namespace ----------------------------------------------- */

/* The process whose parent is ppid (unshare's forked child, the namespace's pid 1). */
static int child_of(int ppid)
{
	static int pids[MAX_PIDS];
	int n = list_ids("/proc", pids, MAX_PIDS), found = 0;

	for (int i = 0; i < n; i++) {
		struct proc_view v;

		if (read_proc(pids[i], &v) == 0 && v.ppid == ppid) {
			CHECK(!found, "unshare (%d) has two children", ppid);
			found = pids[i];
		}
	}
	return found;
}

static void check_initial_namespace(pid_t unshare_pid)
{
	static int before[MAX_PIDS], after[MAX_PIDS];
	static struct smon_task_row rows[MAX_PIDS];
	int nbefore, nafter, nrows, stable = 0, ns_init, ns_kids = 0;
	const struct smon_task_row *row;
	struct proc_view v;

	ns_init = child_of(unshare_pid);
	REQUIRE(ns_init > 0, "no child of unshare (%d) in /proc", (int)unshare_pid);
	REQUIRE(read_proc(ns_init, &v) == 0, "read /proc/%d", ns_init);
	smon_diag("the namespace's pid 1 is %d here; NSpid: %s", ns_init, v.nspid);

	nbefore = list_ids("/proc", before, MAX_PIDS);
	nrows = read_tasks(rows, MAX_PIDS);
	nafter = list_ids("/proc", after, MAX_PIDS);
	REQUIRE(nbefore > 0 && nafter > 0 && nrows > 0, "cannot list processes");
	smon_diag("initial namespace: /proc lists %d then %d processes, %s has %d rows", nbefore,
		  nafter, PROC_TASKS, nrows);
	/* Processes may come and go between the reads; those listed both times can't hide. */
	for (int i = 0; i < nbefore; i++) {
		if (!has_pid(after, nafter, before[i]))
			continue;
		stable++;
		CHECK(find_row(rows, nrows, before[i]), "no row for pid %d, listed by /proc",
		      before[i]);
	}
	CHECK(nrows >= stable, "%d rows, fewer than the %d processes /proc listed twice", nrows,
	      stable);

	row = find_row(rows, nrows, ns_init);
	if (CHECK(row, "no row for the namespace's pid 1 (%d here)", ns_init))
		CHECK_EQ(row->ppid, unshare_pid, "PPID of the namespace's pid 1: unshare's pid");
	for (int i = 0; i < nrows; i++) {
		if (rows[i].ppid != ns_init)
			continue;
		ns_kids++;
		CHECK(!strcmp(rows[i].comm, THREADED_COMM) || !strcmp(rows[i].comm, IDLE_COMM),
		      "child %d of the namespace's pid 1 is %s", rows[i].pid, rows[i].comm);
		CHECK(rows[i].pid != 2 && rows[i].pid != 3,
		      "child %d of the namespace's pid 1 shown with its number in the namespace",
		      rows[i].pid);
	}
	CHECK_EQ(ns_kids, NS_CHILDREN, "rows whose PPID is the namespace's pid 1");
}

int main(int argc, char **argv)
{
	int ready[2], gate[2], status;
	char self[4096], rfd[16], gfd[16], byte;
	pid_t pid;
	ssize_t len;

	if (argc == 4 && !strcmp(argv[1], "--in-namespace"))
		in_namespace(atoi(argv[2]), atoi(argv[3]));

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(len > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[len] = '\0';
	REQUIRE(smon_load(NULL) == 0, "load failed");
	/* Only the child's ends cross exec: ready's write end and gate's read end. */
	REQUIRE(pipe2(ready, O_CLOEXEC) == 0 && pipe2(gate, O_CLOEXEC) == 0, "pipe: %s",
		strerror(errno));

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int w = dup(ready[1]), r = dup(gate[0]);	/* dup clears O_CLOEXEC */

		snprintf(rfd, sizeof(rfd), "%d", w);
		snprintf(gfd, sizeof(gfd), "%d", r);
		execlp("unshare", "unshare", "-pf", "--mount-proc", self, "--in-namespace", rfd, gfd,
		       (char *)NULL);
		printf("# exec unshare: %s\n", strerror(errno));
		_exit(127);
	}
	close(ready[1]);
	close(gate[0]);

	if (CHECK(read(ready[0], &byte, 1) == 1, "the namespace's pid 1 ended before its checks"))
		check_initial_namespace(pid);
	close(gate[1]);
	REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the checks inside the namespace failed (unshare: status %#x)", status);

	smon_unload_exit(-1);
}
