// SPDX-License-Identifier: GPL-2.0
/*
 * Test 9: the task lister.  Three processes made by the test, each stopped
 * while the test looks at it: one with 3 threads, one that touched 8 MB of
 * anonymous memory (and runs at nice 5), one running as another uid/gid.
 *   - /proc/syscallmon/tasks has its header row and exactly one row per
 *     process (none for a non-leader thread); PPID, COMMAND, STATE, VM,
 *     THREADS, UID and GID agree with /proc/<pid>/status, RSS within
 *     RSS_SLACK_KB of VmRSS, and the 8 MB process shows at least 8 MB;
 *   - /proc/syscallmon/task_detail has one block per process whose fields
 *     agree the same way and whose TIDS are exactly /proc/<pid>/task/;
 *   - /proc/syscallmon/task_stats: the per-state counts add up to
 *     total_tasks (one walk), total_threads covers them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "smon_test.h"

#define PROC_TASKS	SYSCALLMON_PROC_DIR "/tasks"
#define PROC_DETAIL	SYSCALLMON_PROC_DIR "/task_detail"
#define PROC_STATS	SYSCALLMON_PROC_DIR "/task_stats"

#define EXTRA_THREADS	2
#define MEM_BYTES	(8u << 20)
#define MEM_NICE	5
#define OTHER_UID	4321
#define OTHER_GID	4322
/*
 * Both files read the same mm counters, but a task batches its RSS updates
 * (up to 64 page faults) before they reach the mm: allow one batch.
 */
#define RSS_SLACK_KB	256
#define MAX_TIDS	16

/* ---- the three workloads --------------------------------------------- */

static int threaded(void *arg)
{
	(void)arg;
	if (smon_start_idle_threads(EXTRA_THREADS))
		return 10;
	/* The threads exist now (clone returned); exiting the group ends them. */
	return smon_child_stop() ? 11 : 0;
}

static int big_rss(void *arg)
{
	char *mem;

	(void)arg;
	if (setpriority(PRIO_PROCESS, 0, MEM_NICE) < 0)
		return 12;
	mem = mmap(NULL, MEM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 10;
	for (size_t off = 0; off < MEM_BYTES; off += 4096)
		mem[off] = 1;
	return smon_child_stop() ? 11 : 0;
}

static int just_stop(void *arg)
{
	(void)arg;
	return smon_child_stop() ? 11 : 0;
}

/* ---- what /proc/<pid>/ says -------------------------------------------- */

struct proc_truth {
	pid_t pid;
	const char *comm;
	int ppid;
	char state;
	int threads;
	unsigned int uid, gid;
	unsigned long vm_kb, rss_kb;
	int nice;
	int tids[MAX_TIDS];
	int ntids;
};

static int read_truth(struct proc_truth *t)
{
	char path[64], *status, *stat;
	const char *v;
	struct dirent *de;
	DIR *dir;
	int ok = 1, ret;

	snprintf(path, sizeof(path), "/proc/%d/status", t->pid);
	ret = smon_read_file(path, &status, NULL);
	if (!CHECK(ret == 0, "read %s: %s", path, smon_errname(ret)))
		return -1;
	ok &= (v = smon_key_value(status, "State")) && sscanf(v, " %c", &t->state) == 1;
	ok &= (v = smon_key_value(status, "PPid")) && sscanf(v, "%d", &t->ppid) == 1;
	ok &= (v = smon_key_value(status, "Threads")) && sscanf(v, "%d", &t->threads) == 1;
	ok &= (v = smon_key_value(status, "Uid")) && sscanf(v, "%u", &t->uid) == 1;
	ok &= (v = smon_key_value(status, "Gid")) && sscanf(v, "%u", &t->gid) == 1;
	ok &= (v = smon_key_value(status, "VmSize")) && sscanf(v, "%lu", &t->vm_kb) == 1;
	ok &= (v = smon_key_value(status, "VmRSS")) && sscanf(v, "%lu", &t->rss_kb) == 1;
	free(status);
	if (!CHECK(ok, "%s: a field is missing", path))
		return -1;

	/* Field 19 of stat is nice; the comm in field 2 may hold spaces, so count from ')'. */
	snprintf(path, sizeof(path), "/proc/%d/stat", t->pid);
	ret = smon_read_file(path, &stat, NULL);
	if (!CHECK(ret == 0, "read %s: %s", path, smon_errname(ret)))
		return -1;
	v = strrchr(stat, ')');
	ok = v && sscanf(v + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
			 &t->nice) == 1;
	free(stat);
	if (!CHECK(ok, "%s: no nice field", path))
		return -1;

	snprintf(path, sizeof(path), "/proc/%d/task", t->pid);
	dir = opendir(path);
	if (!CHECK(dir, "opendir %s: %s", path, strerror(errno)))
		return -1;
	t->ntids = 0;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && t->ntids < MAX_TIDS)
			t->tids[t->ntids++] = atoi(de->d_name);
	closedir(dir);
	qsort(t->tids, t->ntids, sizeof(int), smon_cmp_ids);
	return 0;
}

/* ---- /proc/syscallmon/tasks ---------------------------------------------- */

static void check_tasks(const char *text, struct proc_truth *truth, int ntruth)
{
	static const char *const header[] = {
		"PID", "PPID", "COMMAND", "STATE", "VM(KB)", "RSS(KB)", "THREADS", "UID", "GID",
	};
	char *copy = strdup(text), *line, *save = NULL, *hsave = NULL, *tok;
	struct smon_task_row rows[3];
	int found[3] = { 0 }, nrows = 0, bad_rows = 0, h = 0;

	line = strtok_r(copy, "\n", &save);
	REQUIRE(line, "%s is empty", PROC_TASKS);
	{
		char *hline = strdup(line);

		for (tok = strtok_r(hline, " ", &hsave); tok; tok = strtok_r(NULL, " ", &hsave)) {
			CHECK(h < 9 && !strcmp(tok, header[h]),
			      "header field %d is \"%s\", want \"%s\"", h, tok,
			      h < 9 ? header[h] : "(none)");
			h++;
		}
		CHECK_EQ(h, 9, "header fields");
		free(hline);
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct smon_task_row row;

		nrows++;
		if (smon_parse_task_row(line, &row) < 0) {
			if (bad_rows++ < 3)
				CHECK(0, "unparsable row \"%s\"", line);
			continue;
		}
		for (int i = 0; i < ntruth; i++) {
			if (row.pid == truth[i].pid && found[i]++ == 0)
				rows[i] = row;
			/* One row per process: a thread's id must never be a PID. */
			for (int k = 0; k < truth[i].ntids; k++)
				CHECK(row.pid != truth[i].tids[k] || truth[i].tids[k] == truth[i].pid,
				      "thread %d of %d has a row of its own", row.pid, truth[i].pid);
		}
	}
	smon_diag("%s: %d rows", PROC_TASKS, nrows);
	for (int i = 0; i < ntruth; i++) {
		const struct proc_truth *t = &truth[i];
		const struct smon_task_row *r = &rows[i];
		long diff;

		if (!CHECK(found[i] == 1, "%d rows for pid %d (%s), want 1", found[i], t->pid,
			   t->comm))
			continue;
		smon_diag("row %d: ppid %d comm %s state %c vm %lu rss %lu threads %d uid %u gid %u; "
			  "status: ppid %d state %c vm %lu rss %lu threads %d uid %u gid %u",
			  r->pid, r->ppid, r->comm, r->state, r->vm_kb, r->rss_kb, r->threads, r->uid,
			  r->gid, t->ppid, t->state, t->vm_kb, t->rss_kb, t->threads, t->uid, t->gid);
		CHECK(!strcmp(r->comm, t->comm), "pid %d: COMMAND \"%s\", want \"%s\"", t->pid,
		      r->comm, t->comm);
		CHECK_EQ(r->ppid, t->ppid, "PPID vs /proc/<pid>/status");
		CHECK(r->state == t->state, "pid %d: STATE %c, /proc/<pid>/status says %c", t->pid,
		      r->state, t->state);
		CHECK_EQ(r->threads, t->threads, "THREADS vs /proc/<pid>/status");
		CHECK_EQ(r->uid, t->uid, "UID vs /proc/<pid>/status");
		CHECK_EQ(r->gid, t->gid, "GID vs /proc/<pid>/status");
		CHECK_EQ(r->vm_kb, t->vm_kb, "VM(KB) vs VmSize");
		diff = (long)r->rss_kb - (long)t->rss_kb;
		CHECK(labs(diff) <= RSS_SLACK_KB,
		      "pid %d: RSS(KB) %lu, VmRSS %lu: off by more than %d", t->pid, r->rss_kb,
		      t->rss_kb, RSS_SLACK_KB);
	}
	free(copy);
}

/* ---- /proc/syscallmon/task_detail ---------------------------------------- */

static void check_detail(const char *text, struct proc_truth *truth, int ntruth)
{
	static const char *const keys[] = {
		"PID", "PPID", "COMMAND", "STATE", "VM(KB)", "RSS(KB)", "THREADS", "UID", "GID",
		"NICE", "PRIORITY", "START_TIME_NS", "UTIME_NS", "STIME_NS", "TIDS",
	};
	int found[3] = { 0 }, nblocks = 0;
	char *copy = strdup(text), *cursor = copy, *block;

	while ((block = smon_next_block(&cursor))) {
		const char *v;
		int pid;

		nblocks++;
		v = smon_key_value(block, "PID");
		if (!CHECK(v && sscanf(v, "%d", &pid) == 1, "a block without PID: \"%.80s\"", block))
			continue;
		for (int i = 0; i < ntruth; i++) {
			const struct proc_truth *t = &truth[i];
			int tids[MAX_TIDS + 1], ntids, ival;
			unsigned int uval;
			char c;

			if (pid != t->pid || found[i]++)
				continue;
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				CHECK(smon_key_value(block, keys[k]), "pid %d: no %s field in its block",
				      pid, keys[k]);
			if ((v = smon_key_value(block, "PPID")) && sscanf(v, "%d", &ival) == 1)
				CHECK_EQ(ival, t->ppid, "task_detail PPID");
			if ((v = smon_key_value(block, "STATE")) && sscanf(v, " %c", &c) == 1)
				CHECK(c == t->state, "pid %d: task_detail STATE %c, want %c", pid, c,
				      t->state);
			if ((v = smon_key_value(block, "THREADS")) && sscanf(v, "%d", &ival) == 1)
				CHECK_EQ(ival, t->threads, "task_detail THREADS");
			if ((v = smon_key_value(block, "UID")) && sscanf(v, "%u", &uval) == 1)
				CHECK_EQ(uval, t->uid, "task_detail UID");
			if ((v = smon_key_value(block, "GID")) && sscanf(v, "%u", &uval) == 1)
				CHECK_EQ(uval, t->gid, "task_detail GID");
			if ((v = smon_key_value(block, "NICE")) && sscanf(v, "%d", &ival) == 1)
				CHECK_EQ(ival, t->nice, "task_detail NICE vs /proc/<pid>/stat");
			ntids = smon_block_tids(block, tids, MAX_TIDS + 1);
			if (!CHECK(smon_same_ids(tids, ntids, t->tids, t->ntids),
				   "pid %d: TIDS has %d ids, /proc/%d/task has %d, or they differ", pid, ntids,
				   pid, t->ntids)) {
				smon_print_ids("TIDS", tids, ntids);
				smon_print_ids("task/", t->tids, t->ntids);
			}
		}
	}
	smon_diag("%s: %d blocks", PROC_DETAIL, nblocks);
	for (int i = 0; i < ntruth; i++)
		CHECK(found[i] == 1, "%d task_detail blocks for pid %d, want 1", found[i],
		      truth[i].pid);
	free(copy);
}

/* ---- /proc/syscallmon/task_stats ----------------------------------------- */

static void check_stats(const char *text, int min_tasks, int min_threads)
{
	static const char *const states[] = {
		"running", "sleeping", "disk_sleep", "stopped", "tracing_stop", "zombie", "dead",
		"parked", "idle", "other",
	};
	unsigned long sum = 0, tasks = 0, threads = 0, value, vm_mb = 0, rss_mb = 0;
	int have_tasks = 0, have_threads = 0, seen[10] = { 0 };
	char *copy = strdup(text), *line, *save = NULL;
	char key[64];

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t k;

		if (!CHECK(sscanf(line, "%63[^:]: %lu", key, &value) == 2, "task_stats line \"%s\"",
			   line))
			continue;
		if (!strcmp(key, "total_tasks")) {
			tasks = value;
			have_tasks = 1;
		} else if (!strcmp(key, "total_threads")) {
			threads = value;
			have_threads = 1;
		} else if (!strcmp(key, "total_vm_mb")) {
			vm_mb = value;
		} else if (!strcmp(key, "total_rss_mb")) {
			rss_mb = value;
		} else {
			/* Every other line is a state count, and all of them must add up. */
			sum += value;
			for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
				if (!strcmp(key, states[k]))
					seen[k]++;
		}
	}
	smon_diag("task_stats: states sum %lu, total_tasks %lu, total_threads %lu, vm %lu MB, "
		  "rss %lu MB", sum, tasks, threads, vm_mb, rss_mb);
	for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		CHECK(seen[k] == 1, "task_stats: \"%s\" appears %d times, want 1", states[k],
		      seen[k]);
	CHECK(have_tasks && have_threads, "task_stats: total_tasks or total_threads missing");
	CHECK_EQ(sum, tasks, "task_stats: sum of the per-state counts vs total_tasks");
	CHECK(tasks >= (unsigned long)min_tasks, "task_stats: total_tasks %lu < %d live here",
	      tasks, min_tasks);
	CHECK(threads >= tasks && threads >= (unsigned long)min_threads,
	      "task_stats: total_threads %lu, want >= total_tasks %lu and >= %d", threads, tasks,
	      min_threads);
	/* The 8 MB process alone is that much resident. */
	CHECK(rss_mb >= MEM_BYTES >> 20, "task_stats: total_rss_mb %lu < %u", rss_mb,
	      MEM_BYTES >> 20);
	free(copy);
}

int main(void)
{
	static const char *const comms[3] = { "smon-t9-thr", "smon-t9-mem", "smon-t9-uid" };
	static const smon_workload_fn fns[3] = { threaded, big_rss, just_stop };
	struct smon_child children[3];
	struct proc_truth truth[3];
	char *tasks, *detail, *stats;
	int ret, threads = 1;

	REQUIRE(smon_load(NULL) == 0, "load failed");
	for (int i = 0; i < 3; i++) {
		struct smon_child_opts opts = { .comm = comms[i], .stops = 1 };

		if (i == 2) {
			opts.uid = OTHER_UID;
			opts.gid = OTHER_GID;
		}
		ret = smon_child_spawn(&children[i], &opts, fns[i], NULL);
		REQUIRE(ret == 0, "spawn %s: %s", comms[i], smon_errname(ret));
		REQUIRE(smon_child_release(&children[i]) == 0, "release %s", comms[i]);
		ret = smon_child_wait_stop(&children[i]);
		if (ret)
			smon_diag("%s exited with %d", comms[i], smon_child_wait(&children[i]));
		REQUIRE(ret == 0, "%s did not reach its stop", comms[i]);
	}

	/* All three are blocked in read() now: nothing of theirs changes while we look. */
	for (int i = 0; i < 3; i++) {
		memset(&truth[i], 0, sizeof(truth[i]));
		truth[i].pid = children[i].pid;
		truth[i].comm = comms[i];
		REQUIRE(read_truth(&truth[i]) == 0, "cannot read /proc/%d", truth[i].pid);
		threads += truth[i].threads;
	}
	/* Sanity of the workloads themselves, so agreement means something. */
	CHECK_EQ(truth[0].threads, 1 + EXTRA_THREADS, "threads of the threaded child (status)");
	CHECK_EQ(truth[0].ntids, 1 + EXTRA_THREADS,
		 "entries in /proc/<pid>/task of the threaded child");
	CHECK(truth[1].rss_kb >= MEM_BYTES / 1024, "VmRSS of the 8 MB child is %lu KB",
	      truth[1].rss_kb);
	CHECK_EQ(truth[1].nice, MEM_NICE, "nice of the 8 MB child (stat)");
	CHECK_EQ(truth[2].uid, OTHER_UID, "uid of the setresuid child (status)");
	CHECK_EQ(truth[2].ppid, getpid(), "ppid of the setresuid child (status)");

	ret = smon_read_file(PROC_TASKS, &tasks, NULL);
	REQUIRE(ret == 0, "read %s: %s", PROC_TASKS, smon_errname(ret));
	ret = smon_read_file(PROC_DETAIL, &detail, NULL);
	REQUIRE(ret == 0, "read %s: %s", PROC_DETAIL, smon_errname(ret));
	ret = smon_read_file(PROC_STATS, &stats, NULL);
	REQUIRE(ret == 0, "read %s: %s", PROC_STATS, smon_errname(ret));

	check_tasks(tasks, truth, 3);
	check_detail(detail, truth, 3);
	check_stats(stats, 4, threads);

	for (int i = 0; i < 3; i++) {
		CHECK(smon_child_resume(&children[i]) == 0, "resume %s", comms[i]);
		ret = smon_child_wait(&children[i]);
		CHECK(ret == 0, "%s exited with %d", comms[i], ret);
	}
	free(tasks);
	free(detail);
	free(stats);
	smon_unload_exit(-1);
}
