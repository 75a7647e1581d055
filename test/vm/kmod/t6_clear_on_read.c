// SPDX-License-Identifier: GPL-2.0
/*
 * Test 6: /proc/syscallmon/log and clear_on_read.
 *
 * For clear_on_read=1 and then =0: child A opens a file 5 times; the log is
 * read twice; child B (whose comm holds a comma and a newline) opens it 3
 * times; the log is read a third time.
 *   clear_on_read=1: read 1 = A's 5 lines, read 2 = nothing, read 3 = B's 3.
 *   clear_on_read=0: read 1 = A's 5, read 2 = the same 5, read 3 = A's 5
 *                    then B's 3.
 * Every line is "<seconds>,<pid>,<tgid>,<uid>,<comm>,__x64_sys_openat":
 * exactly six fields, even for B's comm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define A_OPENS		5
#define B_OPENS		3
#define A_COMM		"smon-t6-a"
#define B_COMM		"t6,b\nc"	/* must not split the CSV line */
#define SYSCALL_SYM	"__x64_sys_openat"

static char path[300];

static int open_n(void *arg)
{
	return smon_open_times(path, (int)(intptr_t)arg, O_RDONLY | O_CLOEXEC);
}

struct log_line {
	char text[256];
	uint64_t ts;
	uint32_t pid, tgid, uid;
	char comm[64];
	char syscall[64];
};

struct log {
	struct log_line *lines;
	size_t n;
};

/* Splits one CSV line; checks it has exactly six fields. */
static int parse_line(const char *text, struct log_line *l)
{
	char *fields[7], *copy, *p, *end;
	int nfields = 0;

	snprintf(l->text, sizeof(l->text), "%s", text);
	copy = strdup(text);
	if (!copy)
		return 0;
	for (p = copy; nfields < 7; ) {
		fields[nfields++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (!CHECK(nfields == 6 && !p, "log line \"%s\": not six fields", text))
		goto bad;
	errno = 0;
	l->ts = strtoull(fields[0], &end, 10);
	if (!CHECK(*fields[0] && !*end, "log line \"%s\": timestamp not an integer", text))
		goto bad;
	l->pid = strtoul(fields[1], &end, 10);
	l->tgid = strtoul(fields[2], NULL, 10);
	l->uid = strtoul(fields[3], NULL, 10);
	snprintf(l->comm, sizeof(l->comm), "%s", fields[4]);
	snprintf(l->syscall, sizeof(l->syscall), "%s", fields[5]);
	free(copy);
	return 1;
bad:
	free(copy);
	return 0;
}

/* One open-read-close of the log file, as `cat` does it. */
static int read_log(struct log *log)
{
	char *text, *line, *save = NULL;
	size_t len, n = 0;
	int ret;

	memset(log, 0, sizeof(*log));
	ret = smon_read_file(SMON_PROC_LOG, &text, &len);
	if (!CHECK(ret == 0, "read %s: %s", SMON_PROC_LOG, smon_errname(ret)))
		return 0;
	CHECK(len == 0 || text[len - 1] == '\n', "log does not end with a newline");
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	log->lines = calloc(n + 1, sizeof(*log->lines));
	if (!log->lines) {
		free(text);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!parse_line(line, &log->lines[log->n]))
			continue;
		log->n++;
	}
	free(text);
	return 1;
}

static void print_log(const struct log *log, const char *what)
{
	smon_diag("%s: %zu lines", what, log->n);
	for (size_t i = 0; i < log->n && i < 10; i++)
		smon_diag("  %s", log->lines[i].text);
}

/* Checks lines[from, from+n) are child pid's openat lines with comm. */
static void check_lines(const struct log *log, size_t from, size_t n, uint32_t pid,
			const char *comm, uint64_t t0, uint64_t t1, const char *what)
{
	for (size_t i = from; i < from + n && i < log->n; i++) {
		const struct log_line *l = &log->lines[i];
		int ok = 1;

		ok &= CHECK_EQ(l->pid, pid, what);
		ok &= CHECK_EQ(l->tgid, pid, what);
		ok &= CHECK_EQ(l->uid, 0, what);
		ok &= CHECK(!strcmp(l->syscall, SYSCALL_SYM), "%s: syscall \"%s\", want \"%s\"",
			    what, l->syscall, SYSCALL_SYM);
		ok &= CHECK(l->ts + 1 >= t0 && l->ts <= t1 + 1,
			    "%s: timestamp %" PRIu64 " outside [%" PRIu64 ", %" PRIu64 "] s",
			    what, l->ts, t0, t1);
		if (comm)
			ok &= CHECK(!strcmp(l->comm, comm), "%s: comm \"%s\", want \"%s\"",
				    what, l->comm, comm);
		else
			ok &= CHECK(!strchr(l->comm, ',') && !strchr(l->comm, '\n'),
				    "%s: comm \"%s\" not sanitised", what, l->comm);
		if (!ok) {
			smon_diag("  bad line: %s", l->text);
			return;
		}
	}
}

static int same_lines(const struct log *a, size_t a_from, const struct log *b, size_t n)
{
	if (a->n < a_from + n || b->n < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a->lines[a_from + i].text, b->lines[i].text))
			return 0;
	return 1;
}

/* Spawns a gated child, scopes openat to it and lets it open n times. */
static uint32_t run_child(int fd, const char *comm, int n)
{
	const struct smon_child_opts opts = { .comm = comm };
	struct smon_child child;
	uint32_t pid;
	int ret;

	ret = smon_child_spawn(&child, &opts, open_n, (void *)(intptr_t)n);
	if (!CHECK(ret == 0, "spawn child: %s", smon_errname(ret)))
		return 0;
	pid = child.pid;
	ret = smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);
	CHECK(ret == 0, "ADD_TARGET openat pids=[%u]: %s", pid, smon_errname(ret));
	CHECK(smon_child_release(&child) == 0, "release child");
	ret = smon_child_wait(&child);
	CHECK(ret == 0, "child %u exited with %d", pid, ret);
	return pid;
}

static void run(int clear_on_read)
{
	struct log first, second, third;
	struct syscallmon_status st;
	uint32_t a, b;
	uint64_t t0, t1;
	int fd, ret;

	smon_diag("clear_on_read=%d", clear_on_read);
	if (!CHECK(smon_load(clear_on_read ? "clear_on_read=1" : "clear_on_read=0") == 0,
		   "load failed"))
		return;
	fd = smon_open(0);
	if (!CHECK(fd >= 0, "open device: %s", smon_errname(fd)))
		return;
	ret = smon_set_mode(fd, SYSCALLMON_MODE_LOG);
	CHECK(ret == 0, "SET_MODE LOG: %s", smon_errname(ret));

	t0 = smon_realtime_ns() / 1000000000ull;
	a = run_child(fd, A_COMM, A_OPENS);
	t1 = smon_realtime_ns() / 1000000000ull;
	if (read_log(&first)) {
		print_log(&first, "read 1");
		CHECK(first.n == A_OPENS, "read 1: %zu lines, want %d", first.n, A_OPENS);
		check_lines(&first, 0, first.n, a, A_COMM, t0, t1, "read 1");
	}
	if (read_log(&second)) {
		print_log(&second, "read 2");
		if (clear_on_read)
			CHECK(second.n == 0, "read 2: %zu lines survived clear_on_read",
			      second.n);
		else
			CHECK(second.n == first.n && same_lines(&second, 0, &first, first.n),
			      "read 2 differs from read 1 without clear_on_read");
	}

	t0 = smon_realtime_ns() / 1000000000ull;
	b = run_child(fd, B_COMM, B_OPENS);
	t1 = smon_realtime_ns() / 1000000000ull;
	if (read_log(&third)) {
		size_t kept = clear_on_read ? 0 : A_OPENS;

		print_log(&third, "read 3");
		CHECK(third.n == kept + B_OPENS, "read 3: %zu lines, want %zu", third.n,
		      kept + B_OPENS);
		if (kept)
			CHECK(same_lines(&third, 0, &first, kept),
			      "read 3 does not start with read 1's lines");
		check_lines(&third, kept, B_OPENS, b, NULL, t0, t1, "read 3");
		free(third.lines);
	}

	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret))) {
		CHECK_EQ(!!(st.flags & SYSCALLMON_STATUS_CLEAR_ON_READ), clear_on_read,
			 "status CLEAR_ON_READ flag");
		/* The config records before the lines (the mode, the two targets) go with them. */
		CHECK_EQ(st.cleared, clear_on_read ? A_OPENS + B_OPENS + st.config_records : 0, "status.cleared");
	}
	free(first.lines);
	free(second.lines);
	close(fd);
	ret = smon_unload();
	CHECK(ret == 0, "unload: %s", smon_errname(ret));
}

int main(void)
{

	smon_tmpfile("t6", "file", path, sizeof(path));

	run(1);
	run(0);
	smon_exit();
}
