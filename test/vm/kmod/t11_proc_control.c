// SPDX-License-Identifier: GPL-2.0
/*
 * Test 11: filters written to /proc/syscallmon/control.
 *   - pid scoping: `pid add X` scopes the next target to X (exactly its
 *     calls are logged), `pid del X` empties that scope, and a target made
 *     after it covers everyone; a dead pid is ESRCH; an added pid that
 *     died and was reused does not bring the newcomer into a later target;
 *   - the README's example: `openat log`, `unlink block`; coreutils
 *     `unlink FILE` (unlink(2)) fails with EPERM and FILE remains, its
 *     openat calls are still logged, and so are a forked child's openat
 *     (ALLOWED) and unlink (BLOCKED, EPERM) of FILE; status shows both
 *     filters with ALLOWED/BLOCKED;
 *   - garbage (random words, unknown syscall, overlong, embedded NUL,
 *     `exit block`, ...) is EINVAL and leaves mode and filters unchanged;
 *   - `openat off`, `mode off` (unlink works again) and `clear` work.
 * While `unlink block` is on, every process's unlink(2) fails: the window
 * is a few calls long, and clean-up runs even when a check stops the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define UNLINK_BIN	"/usr/bin/unlink"
#define SCOPED_CALLS	50
#define MAX_FILTERS	8

static char file_path[300];

/* One write of the whole command, as `echo CMD > control` does: 0 or -errno. */
static int control_raw(const void *buf, size_t len)
{
	ssize_t n = smon_write_file(SMON_PROC_CONTROL, buf, len);

	if (n >= 0 && (size_t)n != len)
		return -EMSGSIZE;
	return n < 0 ? (int)n : 0;
}

static int control(const char *cmd)
{
	return control_raw(cmd, strlen(cmd));
}

#define CONTROL_OK(cmd)								\
	do {									\
		int ret_ = control(cmd);					\
		CHECK(ret_ == 0, "write \"%s\" to control: %s", cmd, smon_errname(ret_)); \
	} while (0)

/* Runs even if a REQUIRE stops the test: nobody may be left unable to unlink. */
static void control_cleanup(void)
{
	if (!smon_loaded())
		return;
	control("clear\n");
	control("mode off\n");
}

/* ---- /proc/syscallmon/status --------------------------------------------- */

struct filter {
	char name[32];
	unsigned int nr;
	char status[16], action[16], armed[8];
	int err;
	unsigned long long hits, logged, blocked, missed;
	char scope[160];
};

struct status_view {
	char mode[16];
	int nfilters;
	struct filter f[MAX_FILTERS];
	char config[1024];	/* mode and filters without their counters */
};

static int read_status(struct status_view *v)
{
	char *text, *line, *save = NULL;
	int ret, in_filters = 0, header_seen = 0;
	size_t used;

	memset(v, 0, sizeof(*v));
	ret = smon_read_file(SMON_PROC_STATUS, &text, NULL);
	if (!CHECK(ret == 0, "read %s: %s", SMON_PROC_STATUS, smon_errname(ret)))
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct filter *f;
		int off = 0;

		if (!in_filters) {
			sscanf(line, "mode: %15s", v->mode);
			in_filters = !strcmp(line, "Active filters:");
			continue;
		}
		if (!header_seen) {
			header_seen = 1;
			CHECK(!strncmp(line, "SYSCALL", 7), "filter header \"%s\"", line);
			continue;
		}
		if (!CHECK(v->nfilters < MAX_FILTERS, "more than %d filters", MAX_FILTERS))
			break;
		f = &v->f[v->nfilters++];
		if (!CHECK(sscanf(line, "%31s %u %15s %15s %d %7s %llu %llu %llu %llu %n", f->name,
				  &f->nr, f->status, f->action, &f->err, f->armed, &f->hits,
				  &f->logged, &f->blocked, &f->missed, &off) >= 10 && off > 0,
			   "unparsable filter line \"%s\"", line))
			continue;
		snprintf(f->scope, sizeof(f->scope), "%s", line + off);
	}
	free(text);
	CHECK(in_filters && header_seen, "status has no \"Active filters:\" section with a header");
	used = snprintf(v->config, sizeof(v->config), "mode %s;", v->mode);
	for (int i = 0; i < v->nfilters && used < sizeof(v->config); i++)
		used += snprintf(v->config + used, sizeof(v->config) - used, " %s %u %s %s %d %s %s;",
				 v->f[i].name, v->f[i].nr, v->f[i].status, v->f[i].action,
				 v->f[i].err, v->f[i].armed, v->f[i].scope);
	return 0;
}

static const struct filter *find_filter(const struct status_view *v, const char *name)
{
	for (int i = 0; i < v->nfilters; i++)
		if (!strcmp(v->f[i].name, name))
			return &v->f[i];
	return NULL;
}

static void check_filter(const struct status_view *v, const char *name, unsigned int nr,
			 const char *status, const char *action, int err, const char *armed,
			 const char *scope)
{
	const struct filter *f = find_filter(v, name);

	if (!CHECK(f, "status lists no %s filter (have: %s)", name, v->config))
		return;
	CHECK_EQ(f->nr, nr, "filter NR");
	CHECK(!strcmp(f->status, status), "%s: STATUS %s, want %s", name, f->status, status);
	CHECK(!strcmp(f->action, action), "%s: ACTION %s, want %s", name, f->action, action);
	CHECK_EQ(f->err, err, "filter ERRNO");
	CHECK(!strcmp(f->armed, armed), "%s: ARMED %s, want %s", name, f->armed, armed);
	CHECK(!strcmp(f->scope, scope), "%s: SCOPE \"%s\", want \"%s\"", name, f->scope, scope);
}

/* ---- workloads ----------------------------------------------------------- */

/* Opens then unlinks file_path; returns the unlink errno (0 if it worked). */
static int open_then_unlink(void *arg)
{
	int fd = open(file_path, O_RDONLY | O_CLOEXEC);

	(void)arg;
	if (fd < 0)
		return 100;
	close(fd);
	return unlink(file_path) < 0 ? errno & 0xff : 0;
}

/*
 * coreutils unlink FILE, its stderr captured in msg: returns the exit status
 * (-1000 - signal if killed) and its pid.
 */
static int coreutils_unlink(const char *file, pid_t *pid, char *msg, size_t msglen)
{
	char *const argv[] = { "unlink", (char *)file, NULL };
	char *const envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	int err[2], status;
	size_t used = 0;
	ssize_t n;

	msg[0] = '\0';
	if (pipe2(err, O_CLOEXEC) < 0)
		return -errno - 2000;
	fflush(NULL);
	*pid = fork();
	if (*pid < 0)
		return -errno - 2000;
	if (*pid == 0) {
		/* The device fd is O_CLOEXEC: the exec'd unlink does not hold it. */
		if (dup2(err[1], STDERR_FILENO) < 0)
			_exit(126);
		execve(UNLINK_BIN, argv, envp);
		_exit(127);
	}
	close(err[1]);
	while (used + 1 < msglen && (n = read(err[0], msg + used, msglen - used - 1)) > 0)
		used += n;
	msg[used] = '\0';
	close(err[0]);
	while (waitpid(*pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno - 2000;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1000 - WTERMSIG(status);
}

/* ---- phases -------------------------------------------------------------- */

static size_t count_nr(const struct smon_events *e, pid_t tgid, uint32_t nr)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->ev[i].tgid == (uint32_t)tgid && e->ev[i].nr == nr;
	return n;
}

static void pid_scope_phase(int fd)
{
	const struct smon_child_opts opts = { .comm = "smon-t11-scope", .stops = 1 };
	struct smon_events events = { 0 };
	struct status_view v;
	struct smon_child child;
	char cmd[64], scope[32];
	pid_t dead;
	int ret;

	smon_diag("pid add/del scope later targets");
	dead = smon_reaped_pid();
	snprintf(cmd, sizeof(cmd), "pid add %d\n", dead);
	ret = control(cmd);
	CHECK(ret == -ESRCH, "\"pid add %d\" (a reaped child): %s, want ESRCH", dead,
	      smon_errname(ret));

	ret = smon_child_spawn(&child, &opts, smon_getppid_stop_getppid, SMON_COUNT(SCOPED_CALLS));
	REQUIRE(ret == 0, "spawn: %s", smon_errname(ret));
	snprintf(cmd, sizeof(cmd), "pid add %d\n", child.pid);
	CONTROL_OK(cmd);
	CONTROL_OK("getppid log\n");
	snprintf(scope, sizeof(scope), "pids %d", child.pid);
	if (read_status(&v) == 0) {
		CHECK(!strcmp(v.mode, "LOG"), "mode %s after \"getppid log\", want LOG", v.mode);
		CHECK_EQ(v.nfilters, 1, "filters");
		check_filter(&v, "getppid", __NR_getppid, "ALLOWED", "log", 0, "yes", scope);
	}

	CHECK(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	CHECK(smon_child_release(&child) == 0, "release");
	ret = smon_child_wait_stop(&child);
	CHECK(ret == 0, "the scoped child never stopped");
	CHECK_READ_NO_CONFIG(fd, &events);
	CHECK_EQ(count_nr(&events, child.pid, __NR_getppid), SCOPED_CALLS,
		 "getppid records of the pid added");
	CHECK_EQ(events.n, SCOPED_CALLS, "records in all (nobody else is in the scope)");
	smon_events_free(&events);

	snprintf(cmd, sizeof(cmd), "pid del %d\n", child.pid);
	CONTROL_OK(cmd);
	if (read_status(&v) == 0)
		check_filter(&v, "getppid", __NR_getppid, "ALLOWED", "log", 0, "yes", "none");
	CHECK(smon_child_resume(&child) == 0, "resume");
	CHECK_EQ(smon_child_wait(&child), 0, "scoped child exit status");
	CHECK_READ_NO_CONFIG(fd, &events);
	CHECK(events.n == 0, "%zu records after \"pid del\" emptied the scope, want 0", events.n);
	smon_events_free(&events);

	/* No pids given any more: a new target covers everyone. */
	CONTROL_OK("gettid log\n");
	if (read_status(&v) == 0) {
		check_filter(&v, "gettid", __NR_gettid, "ALLOWED", "log", 0, "yes", "all");
		check_filter(&v, "getppid", __NR_getppid, "ALLOWED", "log", 0, "yes", "none");
	}
	CONTROL_OK("clear\n");
	if (read_status(&v) == 0)
		CHECK_EQ(v.nfilters, 0, "filters after clear");
}

/*
 * `pid add X`, X dies, its pid is reused by Y: a later target must not
 * monitor Y, who was never added (the ABI's "a reused pid is never
 * monitored by mistake" holds for the control file's pids too).
 */
static void control_pid_reuse_phase(int fd)
{
	const struct smon_child_opts opts = { .comm = "smon-t11-reuse", .stops = 1 };
	struct smon_events events = { 0 };
	struct smon_child gone, reuser;
	struct status_view v;
	char cmd[64], scope[32];
	int ret;

	smon_diag("pid add X, X exits, X is reused: a later target does not monitor the newcomer");
	ret = smon_child_spawn(&gone, NULL, NULL, NULL);
	REQUIRE(ret == 0, "spawn: %s", smon_errname(ret));
	snprintf(cmd, sizeof(cmd), "pid add %d\n", gone.pid);
	CONTROL_OK(cmd);
	smon_child_wait(&gone);
	ret = -EAGAIN;
	for (int attempt = 0; attempt < 5 && ret == -EAGAIN; attempt++)
		ret = smon_child_spawn_pid(&reuser, &opts, smon_getppid_stop_getppid,
					   SMON_COUNT(SCOPED_CALLS), gone.pid);
	REQUIRE(ret == 0, "could not get pid %d again through ns_last_pid: %s", gone.pid,
		smon_errname(ret));

	ret = control("getppid log\n");
	smon_diag("\"getppid log\" after pid %d was reused: %s", gone.pid, smon_errname(ret));
	snprintf(scope, sizeof(scope), "pids %d", gone.pid);
	if (read_status(&v) == 0 && find_filter(&v, "getppid"))
		CHECK(strcmp(find_filter(&v, "getppid")->scope, scope),
		      "the new getppid target is scoped to %s: the pid's new process, never added",
		      scope);
	CHECK(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	CHECK(smon_child_release(&reuser) == 0, "release");
	CHECK(smon_child_wait_stop(&reuser) == 0, "the reusing child never stopped");
	CHECK_READ_NO_CONFIG(fd, &events);
	CHECK_EQ(count_nr(&events, reuser.pid, __NR_getppid), 0,
		 "getppid records of the process that reused an added pid");
	smon_events_free(&events);
	CHECK(smon_child_resume(&reuser) == 0, "resume");
	CHECK_EQ(smon_child_wait(&reuser), 0, "reusing child exit status");
	CONTROL_OK("clear\n");
}

static void check_unlink_events(const struct smon_events *e, pid_t pid, const char *what,
				const char *comm, size_t want_openat)
{
	size_t unlinks = 0, openats = 0, others = 0;

	for (size_t i = 0; i < e->n; i++) {
		const struct smon_event *ev = &e->ev[i];
		int ok = 1;

		if (ev->tgid != (uint32_t)pid)
			continue;
		if (ev->nr == __NR_unlink) {
			unlinks++;
			ok &= CHECK_EQ(ev->verdict, SYSCALLMON_VERDICT_BLOCKED, "unlink verdict");
			ok &= CHECK(ev->err == EPERM, "%s: unlink record err %s, want EPERM", what,
				    smon_errname(ev->err));
			ok &= CHECK(!strcmp(ev->path, file_path), "%s: unlink path \"%.256s\"", what,
				    ev->path);
		} else if (ev->nr == __NR_openat) {
			openats++;
			ok &= CHECK_EQ(ev->verdict, SYSCALLMON_VERDICT_ALLOWED, "openat verdict");
			if (want_openat)
				ok &= CHECK(!strcmp(ev->path, file_path), "%s: openat path \"%.256s\"",
					    what, ev->path);
		} else {
			others++;
		}
		ok &= CHECK(strncmp(ev->comm, comm, SYSCALLMON_COMM_LEN) == 0,
			    "%s: comm \"%.16s\", want \"%s\"", what, ev->comm, comm);
		if (!ok)
			smon_event_print(ev);
	}
	smon_diag("%s: %zu unlink, %zu openat records", what, unlinks, openats);
	CHECK(unlinks == 1, "%s: %zu unlink records, want 1", what, unlinks);
	if (want_openat)
		CHECK(openats == want_openat, "%s: %zu openat records, want %zu", what, openats,
		      want_openat);
	else
		CHECK(openats >= 1, "%s: no openat record: openat is no longer logged", what);
	CHECK(others == 0, "%s: %zu records of other syscalls", what, others);
}

static void transcript_phase(int fd)
{
	const struct smon_child_opts opts = { .comm = "smon-t11-unlink" };
	struct smon_events events = { 0 };
	struct status_view v;
	struct smon_child child;
	char msg[512];
	pid_t pid;
	int ret, status, spawned;

	smon_diag("the README's example: openat log, unlink block");
	CHECK(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	CONTROL_OK("openat log\n");
	CONTROL_OK("unlink block\n");

	/* The window where every process's unlink(2) fails starts here. */
	status = coreutils_unlink(file_path, &pid, msg, sizeof(msg));
	ret = smon_child_spawn(&child, &opts, open_then_unlink, NULL);
	spawned = CHECK(ret == 0, "spawn: %s", smon_errname(ret));
	if (spawned) {
		CHECK(smon_child_release(&child) == 0, "release");
		CHECK_EQ(smon_child_wait(&child), EPERM, "forked child's unlink(2) errno");
	}
	if (read_status(&v) == 0) {
		CHECK(!strcmp(v.mode, "BLOCK"), "mode %s after \"unlink block\", want BLOCK",
		      v.mode);
		CHECK_EQ(v.nfilters, 2, "filters");
		check_filter(&v, "openat", __NR_openat, "ALLOWED", "log", 0, "yes", "all");
		check_filter(&v, "unlink", __NR_unlink, "BLOCKED", "block", EPERM, "yes", "all");
	}
	smon_diag("coreutils unlink: exit %d, stderr \"%s\"", status, msg);
	CHECK(status == 1, "coreutils unlink exited %d, want 1", status);
	CHECK(strstr(msg, "Operation not permitted"),
	      "coreutils unlink's error is not EPERM: \"%s\"", msg);
	CHECK(smon_path_exists(file_path), "%s is gone: the blocked unlink ran", file_path);

	CHECK_READ_NO_CONFIG(fd, &events);
	check_unlink_events(&events, pid, "coreutils unlink", "unlink", 0);
	if (spawned)
		check_unlink_events(&events, child.pid, "forked child", opts.comm, 1);
	if (read_status(&v) == 0) {
		const struct filter *f = find_filter(&v, "unlink");

		if (f)
			CHECK(f->blocked >= 2, "unlink filter BLOCKED counter %llu, want >= 2",
			      f->blocked);
	}
	smon_events_free(&events);
}

struct garbage {
	const char *what;
	const char *buf;
	size_t len;
};

static void garbage_phase(void)
{
	static char overlong_valid[80], overlong[200];
	static const char with_nul[] = "unlink off\0extra\n";
	const struct garbage cases[] = {
		{ "random words", "hello world\n", 12 },
		{ "one random word", "frobnicate\n", 11 },
		{ "unknown syscall", "nosuchcall block\n", 17 },
		{ "unknown action", "openat frob\n", 12 },
		{ "too many words", "openat log extra\n", 17 },
		{ "unknown mode", "mode sideways\n", 14 },
		{ "pid not a number", "pid add abc\n", 12 },
		{ "pid 0", "pid add 0\n", 10 },
		{ "unknown pid verb", "pid frob 1\n", 11 },
		{ "clear with an argument", "clear now\n", 10 },
		{ "exit block (unblockable)", "exit block\n", 11 },
		{ "exit_group block (unblockable)", "exit_group block\n", 17 },
		{ "only blanks", " \t \n", 4 },
		{ "empty write", "", 0 },
		{ "embedded NUL after a valid command", with_nul, sizeof(with_nul) - 1 },
		{ "overlong (65 bytes, valid words)", overlong_valid, 65 },
		{ "overlong (199 bytes)", overlong, 199 },
	};
	struct status_view before, after;

	smon_diag("garbage is refused and changes nothing");
	/* "unlink off" padded past the limit: accepting it would drop the unlink filter. */
	memset(overlong_valid, ' ', sizeof(overlong_valid));
	memcpy(overlong_valid, "unlink off", 10);
	overlong_valid[64] = '\n';
	memset(overlong, 'x', sizeof(overlong));
	REQUIRE(read_status(&before) == 0, "status");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = control_raw(cases[i].buf, cases[i].len);

		CHECK(ret == -EINVAL, "%s: %s, want EINVAL", cases[i].what, smon_errname(ret));
	}
	REQUIRE(read_status(&after) == 0, "status");
	smon_diag("config before: %s", before.config);
	CHECK(!strcmp(before.config, after.config), "garbage changed the state: now %s",
	      after.config);
}

static void off_and_clear_phase(void)
{
	struct status_view v;
	char msg[512];
	pid_t pid;
	int ret;

	smon_diag("openat off, mode off, clear");
	CONTROL_OK("openat off\n");
	if (read_status(&v) == 0) {
		CHECK_EQ(v.nfilters, 1, "filters after \"openat off\"");
		CHECK(!find_filter(&v, "openat"), "openat is still a filter");
	}
	ret = control("openat off\n");
	CHECK(ret == -EINVAL, "\"openat off\" again: %s, want EINVAL", smon_errname(ret));
	CONTROL_OK("mode off\n");
	if (read_status(&v) == 0) {
		CHECK(!strcmp(v.mode, "OFF"), "mode %s after \"mode off\"", v.mode);
		check_filter(&v, "unlink", __NR_unlink, "BLOCKED", "block", EPERM, "no", "all");
	}
	/* Disarmed: the same command works now. */
	ret = coreutils_unlink(file_path, &pid, msg, sizeof(msg));
	CHECK(ret == 0, "coreutils unlink with mode off: exit %d, \"%s\"", ret, msg);
	CHECK(!smon_path_exists(file_path), "%s still exists with mode off", file_path);
	CONTROL_OK("clear\n");
	if (read_status(&v) == 0) {
		CHECK_EQ(v.nfilters, 0, "filters after clear");
		CHECK(!strcmp(v.mode, "OFF"), "mode %s after clear", v.mode);
	}
	CONTROL_OK("mode log\n");
	if (read_status(&v) == 0)
		CHECK(!strcmp(v.mode, "LOG"), "mode %s after \"mode log\"", v.mode);
	CONTROL_OK("mode off\n");
}

int main(void)
{
	int fd;

	smon_tmpfile("t11", "FILE", file_path, sizeof(file_path));

	REQUIRE(smon_load(NULL) == 0, "load failed");
	smon_at_end(control_cleanup);
	/* Holding the device exempts this process: its own unlinks (clean-up) still work. */
	fd = smon_open(0);
	REQUIRE(fd >= 0, "open device: %s", smon_errname(fd));

	pid_scope_phase(fd);
	control_pid_reuse_phase(fd);
	transcript_phase(fd);
	garbage_phase();
	off_and_clear_phase();

	smon_unload_exit(fd);
}
