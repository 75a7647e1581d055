// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

/* ---- sizing and figures --------------------------------------------------- */

int stress_long(void)
{
	const char *v = getenv("SYSCALLMON_STRESS_LONG");

	return v && !strcmp(v, "1");
}

long stress_size(const char *env, long short_value, long long_value)
{
	const char *v = env ? getenv(env) : NULL;
	char *end;
	long n;

	if (v && *v) {
		errno = 0;
		n = strtol(v, &end, 10);
		REQUIRE(!errno && !*end && n >= 0, "%s=\"%s\" is not a non-negative integer", env, v);
		return n;
	}
	return stress_long() ? long_value : short_value;
}

void stress_figure(const char *key, const char *fmt, ...)
{
	const char *path = getenv("SYSCALLMON_STRESS_FIGURES");
	char value[256];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	smon_diag("figure %s = %s", key, value);
	if (!path || !*path)
		return;
	f = fopen(path, "ae");
	if (!f) {
		smon_diag("cannot append to %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%s\t%s\n", key, value);
	fclose(f);
}

/* ---- kernel log ----------------------------------------------------------- */

long long kmsg_last_seq(void)
{
	long long last = smon_kmsg_scan(-1, NULL, NULL);

	return last < 0 ? -1 : last;
}

struct allocs_scan {
	int found;
	long long live;
};

static void find_allocs(long long seq, const char *msg, void *arg)
{
	struct allocs_scan *s = arg;
	const char *p = strstr(msg, "syscallmon: unloaded: allocations live ");

	(void)seq;
	if (p && sscanf(p, "syscallmon: unloaded: allocations live %lld", &s->live) == 1)
		s->found = 1;
}

int kmsg_unload_allocs(long long after, long long *live)
{
	struct allocs_scan s = { 0, 0 };

	smon_kmsg_scan(after, find_allocs, &s);
	if (!s.found)
		return -ENOENT;
	*live = s.live;
	return 0;
}

static void print_problem(long long seq, const char *msg, void *arg)
{
	const char *rule = smon_kernel_problem(msg);

	(void)seq;
	if (!rule)
		return;
	smon_diag("kernel: [%s] %s", rule, msg);
	++*(int *)arg;
}

int kmsg_problems(long long after)
{
	int count = 0;

	smon_kmsg_scan(after, print_problem, &count);
	return count;
}

/* ---- a test's own module -------------------------------------------------- */

void stress_unload_checked(long long seq0)
{
	long long live;
	int ret;

	ret = smon_unload();
	CHECK(ret == 0, "unload: %s", smon_errname(ret));
	ret = kmsg_unload_allocs(seq0, &live);
	CHECK(ret == 0, "no \"unloaded: allocations live\" line in the kernel log");
	if (ret == 0)
		CHECK_EQ(live, 0, "allocations live at unload");
	CHECK_EQ(kmsg_problems(seq0), 0, "kernel problem lines");
}

/* ---- time ----------------------------------------------------------------- */

double stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void stress_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- randomness ------------------------------------------------------------ */

static uint64_t rng_state;

void stress_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

uint64_t stress_rnd(void)
{
	/* xorshift64*: fast, and the seed reproduces a run. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

uint32_t stress_below(uint32_t n)
{
	return n ? stress_rnd() % n : 0;
}

/* ---- storm ----------------------------------------------------------------- */

int storm_available(void)
{
	if (access("/usr/bin/stress-ng", X_OK) == 0)
		return 1;
	smon_diag("stress-ng is not installed (apt-get install stress-ng)");
	return 0;
}

static void close_all_but_stdio(void)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

int storm_start(struct storm *s, const char *stressors, int seconds)
{
	char dir[] = "/tmp/smon-storm.XXXXXX";
	char timeout[32];
	char *args, *argv[64];
	int argc = 0;

	if (!mkdtemp(dir))
		return -errno;
	/* nobody works in it; the exec stressor refuses to run as root. */
	if (chmod(dir, 0777) < 0)
		return -errno;
	snprintf(timeout, sizeof(timeout), "%ds", seconds);
	args = strdup(stressors);
	if (!args)
		return -ENOMEM;
	argv[argc++] = "stress-ng";
	for (char *save = NULL, *tok = strtok_r(args, " ", &save); tok && argc < 50;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc++] = "--timeout";
	argv[argc++] = timeout;
	argv[argc++] = "--temp-path";
	argv[argc++] = dir;
	argv[argc++] = "--metrics-brief";
	argv[argc] = NULL;

	s->pid = smon_fork();
	if (s->pid < 0) {
		free(args);
		return s->pid;
	}
	if (s->pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_all_but_stdio();
		/* stress-ng is chatty: its output goes to a log, never into the TAP stream. */
		const char *log = getenv("SYSCALLMON_STRESS_NG_LOG");
		int out = open(log && *log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (out >= 0) {
			dup2(out, STDOUT_FILENO);
			dup2(out, STDERR_FILENO);
			close(out);
		}
		if (chdir(dir) < 0 || stress_drop_to_nobody() < 0)
			_exit(126);
		execvp("stress-ng", argv);
		_exit(127);
	}
	setpgid(s->pid, s->pid);	/* also from here: no race with killpg */
	free(args);
	s->reaped = 0;
	s->status = 0;
	s->started = stress_now();
	return 0;
}

int storm_running(struct storm *s)
{
	int status;

	if (s->pid <= 0 || s->reaped)
		return 0;
	if (waitpid(s->pid, &status, WNOHANG) != s->pid)
		return 1;
	s->reaped = 1;
	s->status = smon_exit_code(status);
	return 0;
}

int storm_stop(struct storm *s, int grace)
{
	pid_t pid = s->pid;
	int status;

	if (pid <= 0)
		return -ECHILD;
	for (int i = 0; i < grace * 10 && storm_running(s); i++)
		stress_sleep_ms(100);
	if (!s->reaped)
		killpg(pid, SIGTERM);
	for (int i = 0; i < 100 && storm_running(s); i++)
		stress_sleep_ms(100);
	if (!s->reaped) {
		killpg(pid, SIGKILL);
		if (waitpid(pid, &status, 0) == pid)
			s->status = smon_exit_code(status);
		s->reaped = 1;
	}
	/* Workers stress-ng left behind, if any. */
	killpg(pid, SIGKILL);
	s->pid = 0;
	return s->status;
}

/* ---- drainer --------------------------------------------------------------- */

void drainer_account(struct drainer *d, const struct smon_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct smon_event *e = &ev[i];

		if (d->next_seq != UINT64_MAX && e->seq != d->next_seq)
			d->seq_errors++;
		switch (e->type) {
		case SYSCALLMON_RECORD_LOST:
			d->lost += e->lost;
			d->lost_configs += e->lost_config;
			d->lost_records++;
			d->next_seq = e->seq + e->lost;
			continue;
		case SYSCALLMON_RECORD_SYSCALL:
			d->syscalls++;
			if (e->nr < SYSCALLMON_NR_LIMIT)
				d->by_nr[e->nr]++;
			if (e->abi == SYSCALLMON_ABI_I386)
				d->ia32++;
			break;
		case SYSCALLMON_RECORD_EXIT:
			d->exits++;
			break;
		case SYSCALLMON_RECORD_CONFIG:
			d->configs++;
			break;
		default:
			d->seq_errors++;
			break;
		}
		d->next_seq = e->seq + 1;
	}
}

/* Reads once; returns records read, 0 when none is available, -errno on error. */
static long drain_once(struct drainer *d, uint8_t *buf)
{
	struct smon_events events = { 0 };
	ssize_t n = read(d->fd, buf, d->batch * SYSCALLMON_RECORD_MAX);
	long records;

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0 || smon_decode_records(buf, n, &events))
		return -EPROTO;
	d->reads++;
	drainer_account(d, events.ev, events.n);
	records = events.n;
	smon_events_free(&events);
	return records;
}

/* Waits, not reading, until the writer is stall_lag records ahead (or a stop). */
static void stall(struct drainer *d)
{
	struct syscallmon_status st;

	while (!d->stop) {
		if (smon_status(d->fd, &st) < 0)
			break;
		if (st.head_seq - st.reader_seq > d->stall_lag) {
			d->stalled = 1;
			break;
		}
		stress_sleep_ms(50);
	}
}

static void *drainer_main(void *arg)
{
	struct drainer *d = arg;
	uint8_t *buf = malloc(d->batch * SYSCALLMON_RECORD_MAX);
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };

	if (!buf) {
		d->error = -ENOMEM;
		return NULL;
	}
	while (!d->stop) {
		long n;

		/* A timeout, so a stop request is seen even when nothing arrives. */
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = drain_once(d, buf);
		if (n < 0) {
			d->error = n;
			break;
		}
		if (d->stall_lag && !d->stalled && n > 0)
			stall(d);
	}
	free(buf);
	return NULL;
}

int drainer_start(struct drainer *d, int fd, size_t batch, uint64_t stall_lag)
{
	int flags = fcntl(fd, F_GETFL);

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->batch = batch;
	d->stall_lag = stall_lag;
	d->next_seq = UINT64_MAX;
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return -pthread_create(&d->thread, NULL, drainer_main, d);
}

int drainer_stop(struct drainer *d)
{
	uint8_t *buf;
	long n;

	d->stop = 1;
	pthread_join(d->thread, NULL);
	if (d->error)
		return d->error;
	buf = malloc(d->batch * SYSCALLMON_RECORD_MAX);
	if (!buf)
		return -ENOMEM;
	while ((n = drain_once(d, buf)) > 0)
		;
	free(buf);
	if (n < 0)
		d->error = n;
	return d->error;
}

/* ---- misc ------------------------------------------------------------------ */

int stress_control(const char *cmd)
{
	int fd = open(SMON_PROC_CONTROL, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int stress_targets(int fd, struct syscallmon_target_info *infos, uint32_t max, uint32_t *count)
{
	struct syscallmon_target_list list = {
		.max = max,
		.entries = (uint64_t)(uintptr_t)infos,
	};
	int ret = smon_ioctl(fd, SYSCALLMON_IOC_GET_TARGETS, &list);

	if (ret < 0)
		return ret;
	*count = list.count;
	return 0;
}

/* ---- child processes ------------------------------------------------------- */

int stress_drop_to_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY_GID, NOBODY_GID, NOBODY_GID) < 0 ||
	    setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID) < 0)
		return -errno;
	return 0;
}

pid_t stress_fork_child(void (*fn)(void *arg), void *arg)
{
	pid_t pid = smon_fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_all_but_stdio();
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void idle_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

pid_t stress_idle_child(void)
{
	return stress_fork_child(idle_forever, NULL);
}

struct as_nobody {
	int (*fn)(void *arg);
	void *arg;
};

static int drop_then_run(void *arg)
{
	const struct as_nobody *job = arg;
	int ret = stress_drop_to_nobody();

	if (ret < 0) {
		printf("# FAIL: cannot drop to nobody: %s\n", smon_errname(ret));
		return 120;
	}
	return job->fn(job->arg);
}

int stress_run_as_nobody(int (*fn)(void *arg), void *arg)
{
	struct as_nobody job = { fn, arg };

	return smon_run_child(drop_then_run, &job, NULL);
}

/* ---- fuzzers ------------------------------------------------------------------ */

uint64_t stress_fuzz_seed(void)
{
	uint64_t seed = stress_size("SYSCALLMON_STRESS_FUZZ_SEED", 0, 0);

	if (!seed)
		seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
	smon_diag("seed %" PRIu64 " (SYSCALLMON_STRESS_FUZZ_SEED=%" PRIu64 " repeats the run)", seed, seed);
	return seed;
}

void stress_run_workers(int n, long total, uint64_t seed, void (*fn)(int w, long share, uint64_t seed),
			int (*finished)(int w))
{
	pid_t pids[n];

	for (int w = 0; w < n; w++) {
		pids[w] = smon_fork();
		REQUIRE(pids[w] >= 0, "fork: %s", smon_errname(pids[w]));
		if (pids[w] == 0)
			fn(w, total / n + (w < total % n), seed + w * 0x9e3779b97f4a7c15ull);
	}
	for (int w = 0; w < n; w++) {
		int status;

		waitpid(pids[w], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && finished(w),
		      "worker %d ended with status %#x", w, status);
	}
}

/* ---- basic LOG/BLOCK checks ------------------------------------------------ */

#define BASIC_OPENS 50

static char basic_known[300];
static char basic_created[300];

static int basic_open_many(void *arg)
{
	char path[sizeof(basic_known)];

	(void)arg;
	/* On the stack: a page the probe can read without faulting. */
	strcpy(path, basic_known);
	return smon_open_times(path, BASIC_OPENS, O_RDONLY | O_CLOEXEC);
}

/* Expects (arg != NULL) the create to be refused with EPERM, or to succeed. */
static int basic_create(void *arg)
{
	char path[sizeof(basic_created)];
	int fd;

	strcpy(path, basic_created);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (arg)
		return fd < 0 && errno == EPERM ? 0 : fd < 0 ? 11 : 10;
	if (fd < 0)
		return 12;
	close(fd);
	return 0;
}

/* Runs fn in a gated child scoped by an openat target; returns its records. */
static int basic_run(int fd, uint32_t action, uint32_t mode, smon_workload_fn fn, void *arg,
		     struct smon_events *events, uint32_t *pid_out)
{
	const struct smon_child_opts opts = { .comm = "smon-basic" };
	const struct smon_watch watch = {
		.nr = __NR_openat, .action = action, .mode = mode, .opts = &opts, .fn = fn, .arg = arg,
	};
	struct smon_watched run;
	int ret = smon_watch_child(fd, &watch, events, &run);

	*pid_out = run.pid;
	return ret ? ret : run.status;
}

/* Counts openat records of pid with the path and verdict wanted; others are "bad". */
static void basic_count(const struct smon_events *events, uint32_t pid, const char *path,
			uint32_t verdict, size_t *good, size_t *bad)
{
	*good = *bad = 0;
	for (size_t i = 0; i < events->n; i++) {
		const struct smon_event *e = &events->ev[i];

		if (e->type == SYSCALLMON_RECORD_SYSCALL && e->nr == __NR_openat && e->tgid == pid &&
		    !strcmp(e->path, path) && e->verdict == verdict)
			++*good;
		else
			++*bad;
	}
}

void stress_basic_checks(const char *tag)
{
	struct smon_events events = { 0 };
	size_t good, bad;
	uint32_t pid;
	int fd, ret;

	smon_tmpfile(tag, "known-file", basic_known, sizeof(basic_known));
	/* Next to it, and not made: the block case must fail to create it. */
	snprintf(basic_created, sizeof(basic_created), "%.*s/created-file",
		 (int)(strrchr(basic_known, '/') - basic_known), basic_known);

	fd = smon_open(0);
	REQUIRE(fd >= 0, "basic: open device: %s", smon_errname(fd));
	ret = smon_clear(fd, SYSCALLMON_CLEAR_TARGETS | SYSCALLMON_CLEAR_LOG | SYSCALLMON_CLEAR_COUNTERS);
	CHECK(ret == 0, "basic: CLEAR: %s", smon_errname(ret));
	/* Rules come before the targets: whatever ran before (the fuzzer) may have left an allow. */
	ret = smon_delete_rules(fd);
	CHECK(ret == 0, "basic: delete rules: %s", ret < 0 ? smon_errname(ret) : "some are left");
	/* Exit records would be counted as strays; whoever ran before may have turned them on. */
	ret = smon_ioctl(fd, SYSCALLMON_IOC_SET_EXITS, &(uint32_t){ SYSCALLMON_EXITS_OFF });
	CHECK(ret == 0, "basic: SET_EXITS off: %s", smon_errname(ret));

	/* LOG: exactly one record per open, with the child's pid and the path. */
	ret = basic_run(fd, SYSCALLMON_ACTION_LOG, SYSCALLMON_MODE_LOG, basic_open_many, NULL, &events, &pid);
	CHECK(ret == 0, "basic LOG: child or read failed: %d", ret);
	basic_count(&events, pid, basic_known, SYSCALLMON_VERDICT_ALLOWED, &good, &bad);
	CHECK(good == BASIC_OPENS && bad == 0, "basic LOG: %zu good openat records, %zu others (want %d, 0)",
	      good, bad, BASIC_OPENS);
	smon_events_free(&events);

	/* BLOCK: open(O_CREAT) fails with EPERM and creates nothing; the record says blocked. */
	ret = basic_run(fd, SYSCALLMON_ACTION_BLOCK, SYSCALLMON_MODE_BLOCK, basic_create, "blocked",
			&events, &pid);
	CHECK(ret == 0, "basic BLOCK: child status %d (10: create ran, 11: wrong errno)", ret);
	CHECK(!smon_path_exists(basic_created), "basic BLOCK: the blocked create made %s", basic_created);
	basic_count(&events, pid, basic_created, SYSCALLMON_VERDICT_BLOCKED, &good, &bad);
	CHECK(good == 1 && bad == 0, "basic BLOCK: %zu blocked records, %zu others (want 1, 0)", good, bad);
	smon_events_free(&events);

	/* The same block target in LOG mode: the call runs, the record says "would block". */
	ret = basic_run(fd, SYSCALLMON_ACTION_BLOCK, SYSCALLMON_MODE_LOG, basic_create, NULL, &events, &pid);
	CHECK(ret == 0, "basic audit: child status %d (12: create failed)", ret);
	CHECK(smon_path_exists(basic_created), "basic audit: LOG mode did not let the create run");
	basic_count(&events, pid, basic_created, SYSCALLMON_VERDICT_WOULD_BLOCK, &good, &bad);
	CHECK(good == 1 && bad == 0, "basic audit: %zu would-block records, %zu others (want 1, 0)", good, bad);
	smon_events_free(&events);

	ret = smon_set_mode(fd, SYSCALLMON_MODE_OFF);
	CHECK(ret == 0, "basic: SET_MODE OFF: %s", smon_errname(ret));
	ret = smon_clear(fd, SYSCALLMON_CLEAR_TARGETS);
	CHECK(ret == 0, "basic: CLEAR targets: %s", smon_errname(ret));
	close(fd);
}
