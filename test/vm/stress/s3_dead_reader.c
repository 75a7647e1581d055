// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 3, slow and dead readers can't stall the watched syscalls.
 *
 * A gated child makes N getppid() calls, LOG-targeted for it alone, into
 * the smallest ring (64 KiB: C = 409 getppid records of 160 bytes), while
 * three reader processes hold the device:
 *   dead     never calls read() until the workload is over;
 *   stopped  was blocked in read() and is stopped with SIGSTOP;
 *   slow     reads as little as a read may (a few records) with a pause between reads.
 * The workload must finish (it never waits for a reader) in about the time
 * it takes with the probe armed and no reader at all.  Then the counts are
 * exact: logged == N; from the readers' start the ring holds the config
 * record of the target, then of the mode going to LOG, the N calls, and
 * the config record of the mode going OFF; the dead and the stopped reader
 * each get one lost record of exactly what was overwritten since they
 * started (two of them config records) and then every record the ring
 * still holds (the last a config record) in seq order; the slow reader's
 * delivered + lost == N + 3 with no unexplained seq gap.
 *
 * Sizes: SYSCALLMON_STRESS_DEAD_CALLS (N: 20000; long 200000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

#define CAPACITY	(SYSCALLMON_RING_SIZE_MIN / sizeof(struct syscallmon_syscall))
#define WORKLOAD_LIMIT_S 300.0
/* Generous: TCG timing swings; a reader-induced stall would be far worse. */
#define MAX_SLOWDOWN	4.0

enum reader_kind { READER_DEAD, READER_STOPPED, READER_SLOW, NREADERS };
static const char *const reader_names[NREADERS] = { "dead", "stopped", "slow" };

struct shared {
	long calls;
	double workload_s;		/* set by the workload child */
	struct {
		pid_t pid;
		volatile int ready;	/* device open, at the head */
		volatile int finish;	/* parent: read what is left and report */
		volatile int done;
		int error;
		uint64_t foreign;	/* records not from the workload */
		struct drainer d;
	} r[NREADERS];
};

static struct shared *sh;

static int workload(void *arg)
{
	double t0 = stress_now();

	(void)arg;
	for (long i = 0; i < sh->calls; i++)
		syscall(SYS_getppid);
	sh->workload_s = stress_now() - t0;
	return 0;
}

/* Accounts the records a read() returned. */
static void account(int k, const uint8_t *buf, ssize_t len, pid_t workload_pid)
{
	struct smon_events events = { 0 };

	if (smon_decode_records(buf, len, &events)) {
		sh->r[k].error = -EPROTO;
		return;
	}
	drainer_account(&sh->r[k].d, events.ev, events.n);
	for (size_t i = 0; i < events.n; i++)
		if (events.ev[i].type == SYSCALLMON_RECORD_SYSCALL &&
		    (events.ev[i].nr != __NR_getppid || events.ev[i].tgid != (uint32_t)workload_pid))
			sh->r[k].foreign++;
	smon_events_free(&events);
}

/* Reads until empty (non-blocking); returns 0 or -errno. */
static int drain(int k, int fd, size_t batch, pid_t workload_pid)
{
	static uint8_t buf[64 * SYSCALLMON_RECORD_MAX];
	ssize_t n;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	while ((n = read(fd, buf, batch * SYSCALLMON_RECORD_MAX)) > 0)
		account(k, buf, n, workload_pid);
	return n < 0 && errno != EAGAIN ? -errno : 0;
}

static void __attribute__((noreturn)) reader_main(int k, pid_t workload_pid)
{
	static uint8_t buf[64 * SYSCALLMON_RECORD_MAX];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = smon_open(0);
	if (fd < 0 || smon_seek(fd, SYSCALLMON_SEEK_HEAD) < 0) {
		sh->r[k].error = fd < 0 ? fd : -EIO;
		sh->r[k].done = 1;
		_exit(1);
	}
	sh->r[k].d.next_seq = UINT64_MAX;
	sh->r[k].ready = 1;
	switch (k) {
	case READER_DEAD:
		while (!sh->r[k].finish)
			stress_sleep_ms(10);
		break;
	case READER_STOPPED: {
		/* Blocks here; stopped by the parent; resumes once the workload is over. */
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0)
			account(k, buf, n, workload_pid);
		else
			sh->r[k].error = -errno;
		while (!sh->r[k].finish)
			stress_sleep_ms(10);
		break;
	}
	case READER_SLOW:
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			sh->r[k].error = -errno;
		while (!sh->r[k].finish) {
			/* The least a read may ask for: a few records at a time. */
			ssize_t n = read(fd, buf, SYSCALLMON_RECORD_MAX);

			if (n > 0)
				account(k, buf, n, workload_pid);
			else if (errno != EAGAIN)
				sh->r[k].error = -errno;
			stress_sleep_ms(2);
		}
		break;
	}
	if (!sh->r[k].error)
		sh->r[k].error = drain(k, fd, 64, workload_pid);
	sh->r[k].done = 1;
	/* Holds the device until the parent kills it, once every reader has drained. */
	for (;;)
		pause();
}

static pid_t start_reader(int k, pid_t workload_pid)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		reader_main(k, workload_pid);
	for (int i = 0; pid > 0 && i < 500 && !sh->r[k].ready && !sh->r[k].done; i++)
		stress_sleep_ms(10);
	return pid;
}

static char proc_state(pid_t pid)
{
	char path[64], *text, *p, state = '?';

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (smon_read_file(path, &text, NULL) < 0)
		return '?';
	p = strrchr(text, ')');
	if (p && p[1] == ' ')
		state = p[2];
	free(text);
	return state;
}

/* The workload in a gated child, not yet scoped or released. */
static void spawn_workload(struct smon_child *child)
{
	int ret = smon_child_spawn(child, &(struct smon_child_opts){ .comm = "smon-s3-work" }, workload, NULL);

	REQUIRE(ret == 0, "spawn workload: %s", smon_errname(ret));
}

/*
 * Scopes the getppid target to the spawned workload (*before: the status
 * then, unless NULL), sets mode and releases it; returns its seconds.
 * Stops the test if it has not finished within WORKLOAD_LIMIT_S (when:
 * what the message says about the run).
 */
static double run_spawned(int fd, struct smon_child *child, uint32_t mode, struct syscallmon_status *before,
			  const char *when)
{
	uint32_t pid = child->pid;
	double t0;
	int ret;

	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);
	REQUIRE(ret == 0, "ADD_TARGET getppid: %s", smon_errname(ret));
	if (before)
		REQUIRE(smon_status(fd, before) == 0, "GET_STATUS");
	REQUIRE(smon_set_mode(fd, mode) == 0, "SET_MODE");
	sh->workload_s = -1;
	t0 = stress_now();
	REQUIRE(smon_child_release(child) == 0, "release workload");
	while (stress_now() - t0 < WORKLOAD_LIMIT_S && waitpid(child->pid, NULL, WNOHANG) == 0)
		stress_sleep_ms(20);
	if (!CHECK(sh->workload_s >= 0, "%sthe workload did not finish %ld calls in %.0f s: stalled", when,
		   sh->calls, WORKLOAD_LIMIT_S)) {
		kill(child->pid, SIGKILL);
		smon_child_wait(child);
		smon_bail();
	}
	return sh->workload_s;
}

/* A baseline: the workload alone, in mode; returns its seconds. */
static double run_workload(int fd, uint32_t mode)
{
	struct smon_child child;

	spawn_workload(&child);
	return run_spawned(fd, &child, mode, NULL, "");
}

/* start: the seq the readers started at; after: the ring once the workload was over. */
static void check_overtaken(int k, uint64_t start, const struct syscallmon_status *after)
{
	const struct drainer *d = &sh->r[k].d;
	const char *who = reader_names[k];
	uint64_t lost = after->tail_seq - start;

	CHECK(sh->r[k].error == 0, "%s reader: %s", who, smon_errname(sh->r[k].error));
	CHECK(d->lost_records == 1 && d->lost == lost, "%s reader: %" PRIu64
	      " lost record(s) counting %" PRIu64 ", want one of %" PRIu64, who, d->lost_records,
	      d->lost, lost);
	CHECK_EQ(d->lost_configs, 2, "config records among the lost (the target, the mode to LOG)");
	CHECK_EQ(d->syscalls + d->configs, after->head_seq - after->tail_seq,
		 "records after the lost one (all the ring held)");
	CHECK(d->syscalls + 1 >= CAPACITY, "%s reader: %" PRIu64 " calls held, want about %zu", who, d->syscalls,
	      CAPACITY);
	CHECK_EQ(d->configs, 1, "config records after it (the mode to OFF)");
	CHECK_EQ(d->next_seq, after->head_seq, "seq after the last record");
	CHECK_EQ(d->seq_errors, 0, "seq gaps not explained by a lost record");
	CHECK_EQ(sh->r[k].foreign, 0, "records not from the workload's getppid");
}

int main(void)
{
	struct syscallmon_status before, after;
	struct syscallmon_target_info info;
	double t_off, t_armed, t_readers;
	long long seq0 = kmsg_last_seq();
	uint64_t start;
	pid_t workload_pid = 0;
	int fd;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(sh != MAP_FAILED, "mmap");
	sh->calls = stress_size("SYSCALLMON_STRESS_DEAD_CALLS", 20000, 200000);
	REQUIRE(sh->calls > (long)CAPACITY, "need more calls than the ring holds (%zu)", CAPACITY);

	fd = smon_load_open("ring_size=65536");

	/* Baselines: no probe at all; probe armed and no reader but us (we never read). */
	t_off = run_workload(fd, SYSCALLMON_MODE_OFF);
	t_armed = run_workload(fd, SYSCALLMON_MODE_LOG);
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0, "SET_MODE OFF");

	/* The measured run: readers first, then the counters and the ring start from zero. */
	REQUIRE(smon_clear(fd, SYSCALLMON_CLEAR_LOG | SYSCALLMON_CLEAR_COUNTERS) == 0, "CLEAR");
	{
		struct smon_child child;

		spawn_workload(&child);
		workload_pid = child.pid;
		for (int k = 0; k < NREADERS; k++) {
			sh->r[k].pid = start_reader(k, workload_pid);
			REQUIRE(sh->r[k].pid > 0 && sh->r[k].ready, "start the %s reader", reader_names[k]);
		}
		stress_sleep_ms(200);	/* let the stopped reader block in read() */
		kill(sh->r[READER_STOPPED].pid, SIGSTOP);
		for (int i = 0; i < 200 && proc_state(sh->r[READER_STOPPED].pid) != 'T'; i++)
			stress_sleep_ms(10);
		CHECK(proc_state(sh->r[READER_STOPPED].pid) == 'T', "the stopped reader is not stopped");
		t_readers = run_spawned(fd, &child, SYSCALLMON_MODE_LOG, &before, "with the readers, ");
	}
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0, "SET_MODE OFF");
	REQUIRE(smon_status(fd, &after) == 0, "GET_STATUS");
	REQUIRE(smon_target_info(fd, __NR_getppid, &info) == 0, "GET_TARGETS");

	smon_diag("%ld getppid calls: %.2f s unprobed, %.2f s probed, %.2f s probed with the readers",
		  sh->calls, t_off, t_armed, t_readers);
	CHECK(t_readers < t_armed * MAX_SLOWDOWN, "the readers slowed the workload %.1fx (limit %.0fx)",
	      t_readers / t_armed, MAX_SLOWDOWN);
	/* The readers started at the head, just before the target's config record. */
	start = before.head_seq - 1;
	CHECK_EQ(info.logged, sh->calls, "logged");
	CHECK_EQ(after.head_seq - before.head_seq, sh->calls + 2, "records written (the calls, two mode changes)");
	/* Since the clear: its own config record, then everything below the tail. */
	CHECK_EQ(after.overwritten, after.tail_seq - (start - 1), "overwritten");

	kill(sh->r[READER_STOPPED].pid, SIGCONT);
	/* All drain before any closes the device: a close is a config record the others would read. */
	for (int k = 0; k < NREADERS; k++)
		sh->r[k].finish = 1;
	for (int k = 0; k < NREADERS; k++) {
		for (int i = 0; i < 3000 && !sh->r[k].done; i++)
			stress_sleep_ms(10);
		CHECK(sh->r[k].done, "the %s reader did not finish", reader_names[k]);
	}
	for (int k = 0; k < NREADERS; k++) {
		kill(sh->r[k].pid, SIGKILL);
		waitpid(sh->r[k].pid, NULL, 0);
	}
	check_overtaken(READER_DEAD, start, &after);
	check_overtaken(READER_STOPPED, start, &after);
	{
		const struct drainer *d = &sh->r[READER_SLOW].d;

		CHECK(sh->r[READER_SLOW].error == 0, "slow reader: %s", smon_errname(sh->r[READER_SLOW].error));
		CHECK(d->syscalls + d->configs + d->lost == (uint64_t)sh->calls + 3, "slow reader: delivered %" PRIu64
		      " + %" PRIu64 " config + lost %" PRIu64 " != %ld + 3", d->syscalls, d->configs, d->lost, sh->calls);
		CHECK_EQ(d->seq_errors, 0, "slow reader: seq gaps not explained by a lost record");
		CHECK_EQ(sh->r[READER_SLOW].foreign, 0, "slow reader: records not from the workload");
		stress_figure("dead.slow_reader.delivered", "%" PRIu64, d->syscalls);
		stress_figure("dead.slow_reader.lost", "%" PRIu64, d->lost);
	}
	stress_figure("dead.calls", "%ld", sh->calls);
	stress_figure("dead.overwritten", "%" PRIu64, (uint64_t)after.overwritten);
	stress_figure("dead.dead_reader.lost", "%" PRIu64, sh->r[READER_DEAD].d.lost);
	stress_figure("dead.calls_per_s.unprobed", "%.0f", sh->calls / t_off);
	stress_figure("dead.calls_per_s.probed", "%.0f", sh->calls / t_armed);
	stress_figure("dead.calls_per_s.with_readers", "%.0f", sh->calls / t_readers);

	close(fd);
	stress_unload_checked(seq0);
	smon_exit();
}
