/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the reliability and security tests.  They
 * build on test/vm/kmod/smon_test.h (CHECK, REQUIRE, smon_load, gated
 * children, ...) and add what load tests need: short/long sizing, a figures
 * file for `npm run stress`, kernel log scans, a stress-ng storm and a
 * draining reader that accounts for every record.
 */
#ifndef SMON_STRESS_H
#define SMON_STRESS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "smon_test.h"

/* ---- sizing and figures --------------------------------------------------- */

/* 1 when SYSCALLMON_STRESS_LONG=1 (the `npm run stress` forms). */
int stress_long(void);

/*
 * A size for this run: env (if set and a non-negative integer) wins, else
 * long_value under stress_long(), else short_value.  A malformed env value
 * stops the test (a typo must not silently shrink a soak).
 */
long stress_size(const char *env, long short_value, long long_value);

/*
 * Records one measured figure: a "# figure key = value" diagnostic and,
 * when SYSCALLMON_STRESS_FIGURES names a file, a "key<TAB>value" line there
 * (scripts/stress.mjs turns them into the table).
 */
void stress_figure(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- kernel log ----------------------------------------------------------- */

/* Sequence number of the newest /dev/kmsg record, -1 if none or unreadable. */
long long kmsg_last_seq(void);

/*
 * Value N of the newest "syscallmon: unloaded: allocations live N" line
 * after seq; -ENOENT when there is none.
 */
int kmsg_unload_allocs(long long after, long long *live);

/* Prints the kernel log's problem lines after seq (smon_kernel_problem()); returns their count. */
int kmsg_problems(long long after);

/* ---- a test's own module -------------------------------------------------- */

/*
 * The end of a test that loaded the module: unloads it, then checks the
 * kernel log written since seq0 (kmsg_last_seq() before the load) has the
 * module's "allocations live 0" line and no problem line.  The caller has
 * closed its descriptors.
 */
void stress_unload_checked(long long seq0);

/* ---- time ----------------------------------------------------------------- */

double stress_now(void);		/* CLOCK_MONOTONIC, seconds */
void stress_sleep_ms(long ms);

/* ---- randomness: xorshift64*, per process; the seed reproduces a run ------ */

void stress_seed(uint64_t seed);	/* 0 is taken as 1 */
uint64_t stress_rnd(void);
uint32_t stress_below(uint32_t n);	/* 0..n-1; 0 when n is 0 */

/* ---- storm: stress-ng as nobody ------------------------------------------ */

struct storm {
	pid_t pid;		/* stress-ng, leader of its own process group */
	int reaped;
	int status;		/* once reaped: exit code, or -1000 - signal */
	double started;
};

/* 1 if stress-ng is installed; else prints how to get it. */
int storm_available(void);

/*
 * Starts `stress-ng <stressors> --timeout <seconds>s` in its own process
 * group, as nobody (the exec stressor refuses root), in a fresh directory
 * under /tmp, with every descriptor but stdio closed so no worker holds
 * /dev/syscallmon.  stressors is one string of space-separated arguments.
 * Its output goes to $SYSCALLMON_STRESS_NG_LOG (default /dev/null).
 */
int storm_start(struct storm *s, const char *stressors, int seconds);
/* 1 while stress-ng has not exited. */
int storm_running(struct storm *s);
/*
 * Waits up to grace seconds for stress-ng to finish on its own, then
 * SIGTERM, then SIGKILL to the whole group.  Returns its exit status
 * (0 = completed), or -1000 - signal.
 */
int storm_stop(struct storm *s, int grace);

/* The storm's stressors on every vCPU: open, fork/exec, read/write. */
#define STORM_STRESSORS "--open 0 --exec 0 --fork 0 --pipe 0"

/* ---- drainer: a reader thread that accounts for every record -------------- */

struct drainer {
	int fd;			/* the device, opened by the caller */
	size_t batch;		/* records of the largest size per read() */
	/*
	 * When set: after its first records, the thread stops reading until the
	 * ring's head is more than stall_lag records past its cursor (so it is
	 * sure to be overtaken and get a lost record), then drains normally.
	 */
	uint64_t stall_lag;
	int stalled;		/* the stall happened */
	pthread_t thread;
	volatile int stop;
	/* Filled by the thread; read them after drainer_stop(). */
	uint64_t by_nr[SYSCALLMON_NR_LIMIT];
	uint64_t syscalls;	/* SYSCALL records */
	uint64_t exits;		/* EXIT records */
	uint64_t configs;	/* CONFIG records */
	uint64_t lost;		/* sum of LOST records' counts */
	uint64_t lost_configs;	/* of those, config records */
	uint64_t lost_records;
	uint64_t reads;
	uint64_t next_seq;	/* seq expected next; UINT64_MAX before the first record */
	uint64_t seq_errors;	/* a record whose seq was not the one expected */
	uint64_t ia32;		/* records with SYSCALLMON_ABI_I386 */
	int error;		/* -errno of a failed read(), 0 if none */
};

/* Starts the thread reading d->fd (blocking in poll) until drainer_stop(). */
int drainer_start(struct drainer *d, int fd, size_t batch, uint64_t stall_lag);
/* Stops the thread, then reads what is left (non-blocking) until empty. */
int drainer_stop(struct drainer *d);
/* Accounts one batch of records (used by the thread; also for one-shot reads). */
void drainer_account(struct drainer *d, const struct smon_event *ev, size_t n);

/* ---- basic LOG/BLOCK checks ------------------------------------------------ */

/*
 * On a loaded module: LOG openat scoped to a child gives exactly one record
 * per open with its pid and path; BLOCK makes open(O_CREAT) fail with EPERM
 * and create nothing; LOG mode with that block target lets it run and
 * records "would block".  Clears targets and turns exit events off first;
 * leaves the mode OFF.
 * tag names the temporary directory (smon_tmpdir: one per process).
 */
void stress_basic_checks(const char *tag);

/* ---- child processes --------------------------------------------------------- */

#define NOBODY_UID 65534
#define NOBODY_GID 65534

/* Drops this process to uid and gid nobody, without supplementary groups: 0, or -errno. */
int stress_drop_to_nobody(void);

/*
 * Forks a child that dies with the test (PR_SET_PDEATHSIG) and holds no
 * descriptor but stdio, and runs fn(arg), which never returns.  Returns its
 * pid, or -errno.
 */
pid_t stress_fork_child(void (*fn)(void *arg), void *arg);

/* A child that blocks in pause() until killed (a stress_fork_child()). */
pid_t stress_idle_child(void);

/* smon_run_child() of fn, dropped to nobody first (exit 120 if it can't). */
int stress_run_as_nobody(int (*fn)(void *arg), void *arg);

/* ---- fuzzers ------------------------------------------------------------------ */

/*
 * SYSCALLMON_STRESS_FUZZ_SEED, or one from the clock when it is unset or 0;
 * printed, so that a run can be repeated.
 */
uint64_t stress_fuzz_seed(void);

/*
 * Splits total among n forked workers and runs fn(w, share, seed) in each,
 * every one with its own seed derived from seed; fn ends its process.
 * Waits for all of them: a worker that did not exit 0 with finished(w)
 * true (what it says of its work) is a failed check.
 */
void stress_run_workers(int n, long total, uint64_t seed, void (*fn)(int w, long share, uint64_t seed),
			int (*finished)(int w));

/* ---- misc ------------------------------------------------------------------ */

/* One write of cmd to /proc/syscallmon/control: 0, or -errno of open or write. */
int stress_control(const char *cmd);

/* Fetches every target's info (up to max) into infos; *count is how many exist. */
int stress_targets(int fd, struct syscallmon_target_info *infos, uint32_t max, uint32_t *count);

#endif
