// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 2, unload under load.  With LOG targets armed for every process
 * (openat, read, write, execve, clone) and the stress-ng storm running:
 *
 *   1. while a reader process holds /dev/syscallmon, unloading is refused:
 *      delete_module() gives EWOULDBLOCK and `rmmod` says "in use"; the
 *      module, its device and the reader carry on;
 *   2. once the reader has exited, unloading succeeds with the probes still
 *      armed, the storm still running and a child whose mkdir is blocked
 *      calling it in a loop, so tasks are sent to the module's return stub
 *      while it goes away (the module waits, with synchronize_rcu_tasks(),
 *      until none can still be there); the child survives, and the kernel
 *      log's unload line shows no allocation live.  Under TCG that wait can
 *      last minutes while CPU-bound workers rarely reach user mode on a
 *      tick, so if the unload has not finished 20 s (long form 90 s) into
 *      it, the storm is stopped (and said so in the figures);
 *   3. loaded again with the storm still running, LOG and BLOCK work
 *      (stress_basic_checks: exact openat records with the path, a blocked
 *      open(O_CREAT) creates nothing, audit mode lets it run);
 *   4. load/unload cycles with targets armed (the five storm syscalls for
 *      everyone, plus a BLOCK target scoped to an idle child, exit events on
 *      every other cycle, mode LOG or BLOCK in turn) while a light load
 *      keeps hitting the probes, each ending with the unload line showing
 *      nothing live.  The storm is stopped first: under TCG one unload
 *      during the storm takes from 15 s to over a minute (most of it in
 *      synchronize_rcu_tasks(), which waits for every busy task to pass a
 *      voluntary context switch), too slow to repeat a hundred times.
 *
 * Under multi-threaded TCG, arming and disarming probes was slow while
 * stress-ng's exec stressor ran (a mode change took 15-45 s with one exec
 * worker per vCPU, about 1 s without them), so the short form runs one
 * worker of each stressor and the long form one per vCPU.
 *
 * Sizes: SYSCALLMON_STRESS_UNLOAD_CYCLES (10; long 100).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include "stress.h"

#define STORM_SECONDS	3600	/* stopped by the test, long before */
#define STORM_LIGHT	"--open 1 --exec 1 --fork 1 --pipe 1"

static const uint32_t storm_nrs[] = { __NR_openat, __NR_read, __NR_write, __NR_execve, __NR_clone };
#define NSTORM (sizeof(storm_nrs) / sizeof(storm_nrs[0]))


static int arm_storm_targets(int fd)
{
	for (size_t i = 0; i < NSTORM; i++) {
		int ret = smon_add_target(fd, storm_nrs[i], SYSCALLMON_ACTION_LOG, 0,
					  SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A reader like `tail`: holds the device and reads until killed. */
static pid_t start_reader(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct smon_event ev[64];
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		fd = smon_open(0);
		if (fd < 0)
			_exit(2);
		if (write(ready[1], "R", 1) != 1)
			_exit(3);
		close(ready[1]);
		for (;;)
			if (read(fd, ev, sizeof(ev)) < 0 && errno != EINTR)
				_exit(4);
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return pid < 0 ? -errno : -ECHILD;
	}
	close(ready[0]);
	return pid;
}

/* A light load (a stress_fork_child()): hits the storm's probes and leaves the CPUs mostly idle. */
static void light_load(void *arg)
{
	char buf[64];

	(void)arg;
	for (;;) {
		for (int i = 0; i < 20; i++) {
			int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				if (read(fd, buf, sizeof(buf)) < 0)
					_exit(1);
				close(fd);
			}
		}
		stress_sleep_ms(5);
	}
}

/*
 * The hammer (a stress_fork_child()): calls a blocked mkdir in a loop.
 * Each call is sent to the module's smon_blocked_return, so some task is
 * always about to run module text while the module unloads (what
 * synchronize_rcu_tasks() is for).
 */
static void hammer_mkdir(void *arg)
{
	char path[64];

	(void)arg;
	snprintf(path, sizeof(path), "/tmp/smon-s2-hammer-%d", getpid());
	for (;;) {
		for (int i = 0; i < 100; i++)
			if (mkdir(path, 0700) == 0)
				rmdir(path);	/* after the unload: nothing blocks it any more */
		/* A voluntary switch now and then, or RCU tasks waits on this loop too. */
		stress_sleep_ms(1);
	}
}

/* Stops the storm if the unload is still waiting after limit_s (TCG: RCU tasks can take minutes). */
struct unload_watch {
	pthread_t thread;
	struct storm *storm;
	double limit_s;
	volatile int done;
	int stopped;
};

static void *unload_watch(void *arg)
{
	struct unload_watch *w = arg;
	double t0 = stress_now();

	while (!w->done && stress_now() - t0 < w->limit_s)
		stress_sleep_ms(100);
	if (!w->done) {
		w->stopped = 1;
		storm_stop(w->storm, 0);
	}
	return NULL;
}

static uint64_t proc_events(void)
{
	unsigned long long events = 0;
	char *text, *p;

	if (smon_read_file(SMON_PROC_STATUS, &text, NULL) < 0)
		return 0;
	p = strstr(text, "\nevents: ");
	if (p)
		sscanf(p, "\nevents: %llu", &events);
	free(text);
	return events;
}

static void refused_while_held(struct storm *storm)
{
	uint64_t events0, events1;
	char out[512] = "";
	size_t len = 0;
	int ret, status;
	pid_t reader;
	FILE *p;

	reader = start_reader();
	REQUIRE(reader > 0, "start the reader: %s", smon_errname(reader));
	events0 = proc_events();
	stress_sleep_ms(500);

	ret = smon_unload_once();
	CHECK(ret == -EWOULDBLOCK, "delete_module while a reader holds the device: got %s, want %s",
	      smon_errname(ret), smon_errname(EWOULDBLOCK));
	p = popen("rmmod syscallmon 2>&1", "r");
	REQUIRE(p, "popen rmmod: %s", strerror(errno));
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = '\0';
	status = pclose(p);
	CHECK(status != 0 && strstr(out, "in use"), "rmmod while held: status %d, output \"%s\"", status,
	      out);
	smon_diag("rmmod while held: %.*s", (int)strcspn(out, "\n"), out);

	CHECK(smon_loaded(), "the module is gone although a reader held it");
	CHECK(smon_path_exists(SYSCALLMON_DEVICE_PATH), "%s disappeared", SYSCALLMON_DEVICE_PATH);
	CHECK(kill(reader, 0) == 0, "the reader died");
	stress_sleep_ms(500);
	events1 = proc_events();
	CHECK(events1 > events0, "no records written after the refused unload (%" PRIu64 " -> %" PRIu64 ")",
	      events0, events1);
	CHECK(storm_running(storm), "the storm stopped");

	kill(reader, SIGTERM);
	waitpid(reader, &status, 0);
}

/* One load/unload cycle with targets armed; returns its seconds. */
static double cycle(int i, pid_t idle)
{
	struct smon_events events = { 0 };
	uint32_t pid = idle, on = i % 2;
	double t0 = stress_now();
	long long seq = kmsg_last_seq(), live;
	int fd, ret;

	REQUIRE(smon_load(NULL) == 0, "cycle %d: load", i);
	fd = smon_open(0);
	REQUIRE(fd >= 0, "cycle %d: open: %s", i, smon_errname(fd));
	REQUIRE(arm_storm_targets(fd) == 0, "cycle %d: add targets", i);
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_BLOCK, 0, 0, &pid, 1);
	REQUIRE(ret == 0, "cycle %d: ADD getppid block: %s", i, smon_errname(ret));
	REQUIRE(smon_ioctl(fd, SYSCALLMON_IOC_SET_EXITS, &on) == 0, "cycle %d: SET_EXITS", i);
	ret = smon_set_mode(fd, i % 3 ? SYSCALLMON_MODE_LOG : SYSCALLMON_MODE_BLOCK);
	REQUIRE(ret == 0, "cycle %d: SET_MODE: %s", i, smon_errname(ret));
	stress_sleep_ms(50);
	CHECK_EQ(smon_read_all(fd, &events), 0, "cycle read");
	smon_events_free(&events);
	close(fd);
	/* Leave the probes armed: unloading must take them down itself. */
	ret = smon_unload();
	REQUIRE(ret == 0, "cycle %d: unload: %s", i, smon_errname(ret));
	ret = kmsg_unload_allocs(seq, &live);
	CHECK(ret == 0, "cycle %d: no unload line in the kernel log", i);
	if (ret == 0)
		CHECK(live == 0, "cycle %d: %lld allocations live at unload", i, live);
	return stress_now() - t0;
}

int main(void)
{
	long cycles = stress_size("SYSCALLMON_STRESS_UNLOAD_CYCLES", 10, 100);
	double t0, unload_s, total = 0, worst = 0;
	long long seq0 = kmsg_last_seq(), seq, live;
	struct storm storm;
	struct unload_watch watch = { 0 };
	pid_t idle, load, hammer;
	uint32_t hammer_pid;
	int fd, ret;

	REQUIRE(storm_available(), "stress-ng is needed");

	REQUIRE(smon_load(NULL) == 0, "load");
	hammer = stress_fork_child(hammer_mkdir, NULL);
	REQUIRE(hammer > 0, "fork the blocked-mkdir child");
	hammer_pid = hammer;
	fd = smon_open(0);
	REQUIRE(fd >= 0, "open device: %s", smon_errname(fd));
	REQUIRE(arm_storm_targets(fd) == 0, "add targets");
	ret = smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, 0, &hammer_pid, 1);
	REQUIRE(ret == 0, "ADD mkdir block: %s", smon_errname(ret));
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK) == 0, "SET_MODE BLOCK");
	close(fd);

	REQUIRE(storm_start(&storm, stress_long() ? STORM_STRESSORS : STORM_LIGHT, STORM_SECONDS) == 0,
		"start stress-ng");
	stress_sleep_ms(2000);
	REQUIRE(storm_running(&storm), "stress-ng stopped early");

	refused_while_held(&storm);

	seq = kmsg_last_seq();
	CHECK(storm_running(&storm), "the storm stopped before the unload");
	CHECK(waitpid(hammer, NULL, WNOHANG) == 0, "the blocked-mkdir child died before the unload");
	watch.storm = &storm;
	watch.limit_s = stress_long() ? 90 : 20;
	REQUIRE(pthread_create(&watch.thread, NULL, unload_watch, &watch) == 0, "watch thread");
	t0 = stress_now();
	ret = smon_unload();
	unload_s = stress_now() - t0;
	watch.done = 1;
	pthread_join(watch.thread, NULL);
	CHECK(ret == 0, "unload with probes armed, storm running: %s", smon_errname(ret));
	ret = kmsg_unload_allocs(seq, &live);
	CHECK(ret == 0, "no unload line in the kernel log");
	if (ret == 0)
		CHECK_EQ(live, 0, "allocations live at unload");
	/* It was sent to smon_blocked_return thousands of times while the module went away. */
	{
		int status = 0;
		/* Still running (a zombie would pass kill(pid, 0)). */
		pid_t r = waitpid(hammer, &status, WNOHANG);

		CHECK(r == 0, "the blocked-mkdir child did not survive the unload (status %#x)", status);
		kill(hammer, SIGKILL);
		if (r == 0)
			waitpid(hammer, NULL, 0);
	}
	stress_figure("unload.under_storm_ms", "%.0f", unload_s * 1000);
	stress_figure("unload.storm_stopped_during_unload", "%s", watch.stopped ? "yes" : "no");
	if (watch.stopped)
		smon_diag("the unload had not finished %.0f s into the storm: the storm was stopped to let it"
			  " (synchronize_rcu_tasks) end", watch.limit_s);

	REQUIRE(smon_load(NULL) == 0, "load again");
	if (watch.stopped)
		REQUIRE(storm_start(&storm, stress_long() ? STORM_STRESSORS : STORM_LIGHT, STORM_SECONDS) == 0,
			"restart stress-ng");
	stress_basic_checks("s2");
	storm_stop(&storm, 0);
	ret = smon_unload();
	REQUIRE(ret == 0, "unload: %s", smon_errname(ret));

	idle = stress_idle_child();
	REQUIRE(idle > 0, "fork idle child");
	load = stress_fork_child(light_load, NULL);
	REQUIRE(load > 0, "fork the light load");
	for (long i = 0; i < cycles; i++) {
		double s = cycle(i, idle);

		if (i < 3 || (i + 1) % 10 == 0)
			smon_diag("cycle %ld: %.1f s", i + 1, s);
		total += s;
		if (s > worst)
			worst = s;
	}
	kill(load, SIGKILL);
	kill(idle, SIGKILL);
	waitpid(load, NULL, 0);
	waitpid(idle, NULL, 0);

	stress_figure("unload.cycles", "%ld", cycles);
	stress_figure("unload.cycle_avg_ms", "%.0f", cycles ? total * 1000 / cycles : 0);
	stress_figure("unload.cycle_max_ms", "%.0f", worst * 1000);
	CHECK_EQ(kmsg_problems(seq0), 0, "kernel problem lines");
	smon_exit();
}
