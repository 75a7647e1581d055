// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 1, storm: stress-ng's open, fork/exec and read/write stressors on
 * every vCPU while LOG targets openat, read, write, execve and clone (all
 * processes) and a reader thread drains /dev/syscallmon in batches.
 *
 * The accounting is exact by construction: the targets are added with the
 * mode OFF (nothing armed, so no record is in flight), the log and the
 * counters are cleared, the reader seeks to the head, and only then is the
 * mode set to LOG.  At the end the mode goes back to OFF, which unregisters
 * every probe and so waits for running handlers; after that nothing can be
 * written, and the readers drain what is left.
 *
 * Two readers, each its own open file and cursor: "fast" drains all the
 * time; "stalled" stops reading once until the writers are more than a ring
 * ahead of it, so it is certainly overtaken and must get lost records.  For
 * every target logged == hits (all processes are in scope); for each reader
 * the sum of logged equals records delivered + lost exactly, the ring head
 * moved by exactly that sum, its status shows the same lost count, and the
 * seq numbers it saw have no gap that a lost record does not explain.  Lost
 * records name no syscall, so per syscall delivered <= logged, and for a
 * reader that lost nothing (normally the fast one) delivered == logged.
 *
 * When SYSCALLMON_CLI names a working bin/syscallmon, a third reader is
 * `syscallmon tail --json` (started before the mode goes to LOG, once it
 * says it is following): its syscall lines plus the counts of its lost lines
 * equal logged too, its seq numbers increase with no gap its lost lines do
 * not explain, and its last line is the last record written.
 *
 * Meanwhile a second thread asks for the status (ioctl and
 * /proc/syscallmon/status) every 200 ms: each answer must come within 30 s.
 * It stops with the storm, before the mode goes back to OFF: status requests
 * wait for the config lock that a mode change holds while it unregisters
 * probes (under TCG with the exec stressor still winding down that took up
 * to 27 s; the figure storm.mode_off_ms shows it).
 *
 * Sizes: SYSCALLMON_STRESS_STORM_SECONDS (10; long 60),
 * SYSCALLMON_STRESS_STORM_RING (ring bytes, 2 MiB: the fast reader
 * normally keeps up, and the stalled one is overtaken within seconds).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stress.h"

#define STATUS_LIMIT_S	30.0
#define READ_BATCH	256

static const struct {
	uint32_t nr;
	const char *name;
} watched[] = {
	{ __NR_openat, "openat" },
	{ __NR_read, "read" },
	{ __NR_write, "write" },
	{ __NR_execve, "execve" },
	{ __NR_clone, "clone" },
};
#define NWATCHED (sizeof(watched) / sizeof(watched[0]))

struct status_probe {
	int fd;
	pthread_t thread;
	volatile int stop;
	uint64_t calls;
	uint64_t failures;
	double max_s;
};

/* ---- syscallmon tail --json ------------------------------------------------ */

struct tail_cli {
	pid_t pid;
	int err;		/* read end of its stderr */
	char out_path[64];	/* its stdout, NDJSON */
	char summary[256];	/* its last stderr line */
};

static int tail_start(struct tail_cli *t, const char *cli)
{
	char buf[512];
	size_t len = 0;
	int errp[2], out;
	double t0;

	snprintf(t->out_path, sizeof(t->out_path), "/tmp/smon-s1-tail.%d.ndjson", getpid());
	out = open(t->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || pipe2(errp, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	t->pid = fork();
	if (t->pid == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		execl(cli, "syscallmon", "tail", "--json", (char *)NULL);
		_exit(127);
	}
	close(out);
	close(errp[1]);
	t->err = errp[0];
	if (t->pid < 0)
		return -errno;
	/* Ready once it says it is following: it has opened the device and sought the head. */
	fcntl(t->err, F_SETFL, O_NONBLOCK);
	for (t0 = stress_now(); stress_now() - t0 < 120;) {
		ssize_t n = read(t->err, buf + len, sizeof(buf) - 1 - len);

		if (n > 0) {
			len += n;
			buf[len] = '\0';
			if (strstr(buf, "following"))
				return 0;
			if (len == sizeof(buf) - 1)
				len = 0;
		} else if (n == 0) {
			smon_diag("tail exited before following: %s", buf);
			return -ECHILD;
		}
		stress_sleep_ms(100);
	}
	smon_diag("tail did not start following in 120 s: %.*s", (int)len, buf);
	return -ETIMEDOUT;
}

/* How tail --json starts its lines (src/render/ndjson.ts). */
#define LOST_LINE	"{\"type\":\"lost\","
#define SYSCALL_LINE	"{\"type\":\"syscall\","
#define CONFIG_LINE	"{\"type\":\"config\","

struct tail_counts {
	uint64_t syscalls, configs, lost, lost_lines, seq_errors, last_seq;
	int any;
};

/* The unsigned number after "key": in line; false if there is none. */
static int line_number(const char *line, const char *key, unsigned long long *v)
{
	const char *p = strstr(line, key);

	return p && sscanf(p + strlen(key), "%llu", v) == 1;
}

/*
 * Counts tail's lines and checks their order: each line's seq follows the
 * last one's, and a lost line's seq (its first missed record) too, its
 * count moving the next expected seq past the records it stands for.
 */
static int tail_scan(const char *path, struct tail_counts *c)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	uint64_t next = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long seq, count;
		int lost = !strncmp(line, LOST_LINE, strlen(LOST_LINE));

		if ((!lost && strncmp(line, SYSCALL_LINE, strlen(SYSCALL_LINE)) &&
		     strncmp(line, CONFIG_LINE, strlen(CONFIG_LINE))) ||
		    !line_number(line, "\"seq\":", &seq) || (lost && !line_number(line, "\"count\":", &count))) {
			c->seq_errors++;	/* a line that is none of these: counted as a fault */
			continue;
		}
		if (c->any && seq != next)
			c->seq_errors++;
		c->any = 1;
		if (lost) {
			c->lost += count;
			c->lost_lines++;
			next = seq + count;
			continue;
		}
		c->last_seq = seq;
		next = seq + 1;
		if (strncmp(line, CONFIG_LINE, strlen(CONFIG_LINE)))
			c->syscalls++;
		else
			c->configs++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* Waits until tail has written the record with seq last (or 300 s), then stops it. */
static void tail_stop(struct tail_cli *t, uint64_t last, struct tail_counts *c)
{
	char buf[4096];
	ssize_t n;
	size_t len = 0;
	int status;

	for (double t0 = stress_now(); stress_now() - t0 < 300; stress_sleep_ms(500))
		if (tail_scan(t->out_path, c) == 0 && c->any && c->last_seq >= last)
			break;
	kill(t->pid, SIGTERM);
	waitpid(t->pid, &status, 0);
	fcntl(t->err, F_SETFL, 0);
	while ((n = read(t->err, buf + len, sizeof(buf) - 1 - len)) > 0 && len + n < sizeof(buf) - 1)
		len += n;
	buf[len] = '\0';
	close(t->err);
	{
		char *nl, *lastline = buf;

		while (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		nl = strrchr(buf, '\n');
		if (nl)
			lastline = nl + 1;
		snprintf(t->summary, sizeof(t->summary), "%.200s", lastline);
	}
	tail_scan(t->out_path, c);
	unlink(t->out_path);
}

static double read_proc_status(void)
{
	double t0 = stress_now();
	char *text;

	if (smon_read_file(SMON_PROC_STATUS, &text, NULL) < 0)
		return -1;
	free(text);
	return stress_now() - t0;
}

static void *status_main(void *arg)
{
	struct status_probe *p = arg;

	while (!p->stop) {
		struct syscallmon_status st;
		double t0 = stress_now(), dt, proc_dt;
		int ret = smon_status(p->fd, &st);

		dt = stress_now() - t0;
		proc_dt = read_proc_status();
		if (ret < 0 || proc_dt < 0)
			p->failures++;
		if (proc_dt > dt)
			dt = proc_dt;
		if (dt > p->max_s)
			p->max_s = dt;
		p->calls++;
		stress_sleep_ms(200);
	}
	return NULL;
}

static const char *watched_name(uint32_t nr)
{
	for (size_t w = 0; w < NWATCHED; w++)
		if (watched[w].nr == nr)
			return watched[w].name;
	return "?";
}

/*
 * The exactness checks for one reader; logged is the sum over targets,
 * configs the config records written meanwhile (the mode going to LOG and
 * back to OFF).
 */
static void check_reader(const char *who, int fd, const struct drainer *d,
			 const struct syscallmon_target_info *infos, uint32_t count,
			 uint64_t logged, uint64_t configs, uint64_t head)
{
	struct syscallmon_status st;
	uint64_t unattributed = 0;

	CHECK(d->error == 0, "%s reader: %s", who, smon_errname(d->error));
	CHECK(logged + configs == d->syscalls + d->configs + d->lost, "%s reader: logged %" PRIu64 " + %" PRIu64
	      " config records != delivered %" PRIu64 " + %" PRIu64 " + lost %" PRIu64, who, logged, configs,
	      d->syscalls, d->configs, d->lost);
	CHECK(d->configs + d->lost_configs == configs, "%s reader: config records %" PRIu64 " delivered + %"
	      PRIu64 " lost, want %" PRIu64, who, d->configs, d->lost_configs, configs);
	CHECK(d->seq_errors == 0, "%s reader: %" PRIu64 " records out of seq order (a gap no lost"
	      " record explains)", who, d->seq_errors);
	CHECK(d->exits == 0, "%s reader: %" PRIu64 " exit records (exit events are off)", who, d->exits);
	if (CHECK(smon_status(fd, &st) == 0, "%s reader: GET_STATUS", who)) {
		CHECK(st.reader_lost == d->lost, "%s reader: status says lost %" PRIu64 ", lost records"
		      " sum to %" PRIu64, who, (uint64_t)st.reader_lost, d->lost);
		CHECK(st.reader_seq == head, "%s reader: ends at seq %" PRIu64 ", head is %" PRIu64,
		      who, (uint64_t)st.reader_seq, head);
	}
	for (uint32_t i = 0; i < count; i++) {
		const struct syscallmon_target_info *t = &infos[i];

		CHECK(d->by_nr[t->nr] <= t->logged, "%s reader: %s delivered %" PRIu64 " > logged %"
		      PRIu64, who, watched_name(t->nr), d->by_nr[t->nr], (uint64_t)t->logged);
		if (d->lost == 0)
			CHECK(d->by_nr[t->nr] == t->logged, "%s reader lost nothing: %s delivered %"
			      PRIu64 " != logged %" PRIu64, who, watched_name(t->nr), d->by_nr[t->nr],
			      (uint64_t)t->logged);
		unattributed += t->logged - d->by_nr[t->nr];
	}
	CHECK(unattributed == d->lost, "%s reader: per-syscall shortfall %" PRIu64 " != lost %" PRIu64,
	      who, unattributed, d->lost);
	smon_diag("%s reader: delivered %" PRIu64 ", lost %" PRIu64 " in %" PRIu64 " lost record(s), %"
		  PRIu64 " reads%s", who, d->syscalls, d->lost, d->lost_records, d->reads,
		  d->lost ? "" : " (per-syscall counts exact)");
}

int main(void)
{
	long seconds = stress_size("SYSCALLMON_STRESS_STORM_SECONDS", 10, 60);
	long ring = stress_size("SYSCALLMON_STRESS_STORM_RING", 2 << 20, 2 << 20);
	/* No record is smaller than the fixed part: no more than this many are held. */
	long capacity = ring / sizeof(struct syscallmon_syscall);
	struct syscallmon_target_info infos[NWATCHED + 4];
	struct syscallmon_status before, after;
	struct status_probe probe = { 0 };
	struct drainer *fast, *stalled;
	const char *cli = getenv("SYSCALLMON_CLI");
	struct tail_counts tail_counts = { 0 };
	struct tail_cli tail = { 0 };
	int have_tail = 0;
	struct storm storm;
	uint64_t logged = 0, missed = 0, configs;
	uint32_t count = 0;
	long long seq0;
	char params[64];
	double t_storm, t_off;
	int fd, fd2, ret, rc;

	REQUIRE(storm_available(), "stress-ng is needed");
	fast = calloc(1, sizeof(*fast));
	stalled = calloc(1, sizeof(*stalled));
	REQUIRE(fast && stalled, "out of memory");
	seq0 = kmsg_last_seq();

	snprintf(params, sizeof(params), "ring_size=%ld", ring);
	fd = smon_load_open(params);
	fd2 = smon_open(0);
	REQUIRE(fd2 >= 0, "open device: %s", smon_errname(fd2));
	probe.fd = smon_open(0);
	REQUIRE(probe.fd >= 0, "open device: %s", smon_errname(probe.fd));

	for (size_t i = 0; i < NWATCHED; i++) {
		ret = smon_add_target(fd, watched[i].nr, SYSCALLMON_ACTION_LOG, 0,
				      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
		REQUIRE(ret == 0, "ADD_TARGET %s: %s", watched[i].name, smon_errname(ret));
	}
	REQUIRE(smon_clear(fd, SYSCALLMON_CLEAR_LOG | SYSCALLMON_CLEAR_COUNTERS) == 0, "CLEAR");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK head");
	REQUIRE(smon_seek(fd2, SYSCALLMON_SEEK_HEAD) == 0, "SEEK head");
	REQUIRE(smon_status(fd, &before) == 0, "GET_STATUS");
	REQUIRE(drainer_start(fast, fd, READ_BATCH, 0) == 0, "start the fast reader");
	/* More than the ring can hold of even the smallest records: the writer must have passed it. */
	REQUIRE(drainer_start(stalled, fd2, READ_BATCH, capacity + capacity / 8) == 0,
		"start the stalled reader");
	REQUIRE(pthread_create(&probe.thread, NULL, status_main, &probe) == 0, "start the status thread");
	if (cli && *cli) {
		ret = tail_start(&tail, cli);
		CHECK(ret == 0, "start %s tail --json: %s", cli, smon_errname(ret));
		have_tail = ret == 0;
	} else {
		smon_diag("syscallmon tail --json not checked: SYSCALLMON_CLI is not set");
	}
	ret = smon_set_mode(fd, SYSCALLMON_MODE_LOG);
	REQUIRE(ret == 0, "SET_MODE LOG: %s", smon_errname(ret));

	smon_diag("storm: stress-ng %s for %ld s, ring %ld bytes (at most %ld records)", STORM_STRESSORS,
		  seconds, ring, capacity);
	REQUIRE(storm_start(&storm, STORM_STRESSORS, seconds) == 0, "start stress-ng");
	t_storm = storm.started;
	/* The exec stressor winds down slowly under TCG: give it time before killing. */
	rc = storm_stop(&storm, seconds + 120);
	CHECK(rc == 0, "stress-ng exited with %d (0 = every stressor completed)", rc);
	/* On a busy host a storm may not reach past the stalled reader: storm again, a few times at most. */
	for (int again = 0; again < 3 && !__atomic_load_n(&stalled->stalled, __ATOMIC_ACQUIRE); again++) {
		smon_diag("the stalled reader is not overtaken yet: another %ld s of storm", seconds);
		REQUIRE(storm_start(&storm, STORM_STRESSORS, seconds) == 0, "start stress-ng");
		rc = storm_stop(&storm, seconds + 120);
		CHECK(rc == 0, "stress-ng exited with %d (0 = every stressor completed)", rc);
	}
	t_storm = stress_now() - t_storm;

	/*
	 * The storm is over: stop timing status requests before the mode
	 * change, which holds the module's config lock (status waits for it)
	 * while it unregisters the probes.
	 */
	probe.stop = 1;
	pthread_join(probe.thread, NULL);
	/* Disarming waits for running handlers: no record can be written after this. */
	t_off = stress_now();
	ret = smon_set_mode(fd, SYSCALLMON_MODE_OFF);
	t_off = stress_now() - t_off;
	CHECK(ret == 0, "SET_MODE OFF: %s", smon_errname(ret));
	stress_figure("storm.mode_off_ms", "%.0f", t_off * 1000);
	drainer_stop(fast);
	drainer_stop(stalled);
	REQUIRE(smon_status(fd, &after) == 0, "GET_STATUS");
	if (have_tail)
		tail_stop(&tail, after.head_seq - 1, &tail_counts);

	ret = stress_targets(fd, infos, NWATCHED + 4, &count);
	REQUIRE(ret == 0, "GET_TARGETS: %s", smon_errname(ret));
	REQUIRE(count == NWATCHED, "%u targets, want %zu", count, NWATCHED);

	for (uint32_t i = 0; i < count; i++) {
		const struct syscallmon_target_info *t = &infos[i];
		const char *name = watched_name(t->nr);
		char key[64];

		smon_diag("%-7s logged %10" PRIu64 "  hits %10" PRIu64 "  missed %" PRIu64, name,
			  (uint64_t)t->logged, (uint64_t)t->hits, (uint64_t)t->missed);
		logged += t->logged;
		missed += t->missed;
		CHECK(t->logged > 0, "%s: no record during the storm", name);
		/* Every process is in scope and the readers are exempt: every hit is logged. */
		CHECK(t->hits == t->logged, "%s: hits %" PRIu64 " != logged %" PRIu64, name,
		      (uint64_t)t->hits, (uint64_t)t->logged);
		snprintf(key, sizeof(key), "storm.logged.%s", name);
		stress_figure(key, "%" PRIu64, (uint64_t)t->logged);
	}
	configs = after.config_records - before.config_records;
	CHECK_EQ(configs, 2, "config records during the storm (the mode to LOG and to OFF)");
	CHECK(after.head_seq - before.head_seq == logged + configs, "records written (head moved %" PRIu64
	      ") != logged %" PRIu64 " + %" PRIu64 " config records", (uint64_t)(after.head_seq - before.head_seq),
	      logged, configs);
	check_reader("fast", fd, fast, infos, count, logged, configs, after.head_seq);
	check_reader("stalled", fd2, stalled, infos, count, logged, configs, after.head_seq);
	if (have_tail) {
		smon_diag("tail --json reader: %" PRIu64 " syscall lines, %" PRIu64 " lost in %" PRIu64
			  " lost line(s); its summary: %s", tail_counts.syscalls, tail_counts.lost,
			  tail_counts.lost_lines, tail.summary);
		CHECK(tail_counts.syscalls + tail_counts.configs + tail_counts.lost == logged + configs,
		      "tail --json: %" PRIu64 " lines + %" PRIu64 " config lines + %" PRIu64 " lost != logged %"
		      PRIu64 " + %" PRIu64 " config records", tail_counts.syscalls, tail_counts.configs, tail_counts.lost,
		      logged, configs);
		CHECK(tail_counts.seq_errors == 0, "tail --json: %" PRIu64 " lines out of seq order or unparsable",
		      tail_counts.seq_errors);
		CHECK(tail_counts.last_seq == after.head_seq - 1, "tail --json: last seq %" PRIu64 ", want %" PRIu64,
		      tail_counts.last_seq, (uint64_t)(after.head_seq - 1));
		stress_figure("storm.tail_json.delivered", "%" PRIu64, tail_counts.syscalls);
		stress_figure("storm.tail_json.lost", "%" PRIu64, tail_counts.lost);
	}
	CHECK(stalled->stalled && stalled->lost > 0, "the stalled reader was never overtaken"
	      " (storm too weak for a ring of %ld?)", capacity);
	CHECK(after.overwritten >= stalled->lost, "overwritten %" PRIu64 " < lost %" PRIu64,
	      (uint64_t)after.overwritten, stalled->lost);
	CHECK(probe.calls > 0, "the status thread never ran");
	CHECK(probe.failures == 0, "%" PRIu64 " status requests failed", probe.failures);
	CHECK(probe.max_s < STATUS_LIMIT_S, "a status request took %.1f s (limit %.0f s)",
	      probe.max_s, STATUS_LIMIT_S);

	stress_figure("storm.seconds", "%.1f", t_storm);
	stress_figure("storm.events", "%" PRIu64, logged);
	stress_figure("storm.events_per_s", "%.0f", t_storm > 0 ? logged / t_storm : 0);
	stress_figure("storm.fast.delivered", "%" PRIu64, fast->syscalls);
	stress_figure("storm.fast.lost", "%" PRIu64, fast->lost);
	stress_figure("storm.stalled.delivered", "%" PRIu64, stalled->syscalls);
	stress_figure("storm.stalled.lost", "%" PRIu64, stalled->lost);
	stress_figure("storm.overwritten", "%" PRIu64, (uint64_t)after.overwritten);
	stress_figure("storm.kprobe_missed", "%" PRIu64, missed);
	stress_figure("storm.status_calls", "%" PRIu64, probe.calls);
	stress_figure("storm.status_max_ms", "%.0f", probe.max_s * 1000);

	close(probe.fd);
	close(fd2);
	close(fd);
	stress_unload_checked(seq0);
	free(fast);
	free(stalled);
	smon_exit();
}
