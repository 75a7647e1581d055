// SPDX-License-Identifier: GPL-2.0
/*
 * Test 22: calls that wait, and the return slots that follow them.
 *   a) Default return slots: 1000 threads of a scoped process wait in
 *      read() on a pipe; once all are inside, 1000 bytes release them: 1000
 *      read records, each with its result (1) and none without.
 *   b) return_slots=100: the same 1000 waiting reads give exactly 100
 *      records with results and 900 written at entry without one
 *      (SYSCALLMON_SYSCALL_NO_RESULT), counted as the target's no_result;
 *      return_slots=0 (allowed: nothing is followed) all 1000.
 *   c) Unload while 1000 reads wait, followed: the module drops what it
 *      followed, unloads with no allocation live and a clean kernel log,
 *      and the reads then return normally.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define THREADS		1000

struct shared {
	int pipe_r, pipe_w;
	int got;	/* reads that returned 1 */
};

static struct shared *sh;

static void *waiter(void *arg)
{
	char c;

	(void)arg;
	if (syscall(SYS_read, sh->pipe_r, &c, 1) == 1)
		__atomic_add_fetch(&sh->got, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* The scoped process: THREADS threads block in read(); it waits for them to end. */
static int waiters(void *arg)
{
	static pthread_t threads[THREADS];
	pthread_attr_t attr;
	int p[2];

	(void)arg;
	if (pipe(p))
		return 1;
	sh->pipe_r = p[0];
	sh->pipe_w = p[1];
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&threads[i], &attr, waiter, NULL))
			return 2;
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

/* How many of pid's threads are inside read() now. */
static int inside_read(pid_t pid)
{
	char dir[64], path[64 + sizeof(((struct dirent *)0)->d_name) + 16], *text;
	struct dirent *d;
	int n = 0;
	DIR *tasks;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	tasks = opendir(dir);
	if (!tasks)
		return -1;
	while ((d = readdir(tasks))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/syscall", dir, d->d_name);
		if (smon_read_file(path, &text, NULL) == 0) {
			n += !strncmp(text, "0 ", 2);
			free(text);
		}
	}
	closedir(tasks);
	return n;
}

static void wait_all_inside(pid_t pid)
{
	int n = 0;

	for (int i = 0; i < 6000 && n < THREADS; i++) {
		n = inside_read(pid);
		if (n < THREADS)
			usleep(10000);
	}
	REQUIRE(n == THREADS, "%d of %d threads inside read()", n, THREADS);
}

/* The write end is the child's: write to it through /proc. */
static void release_all(pid_t pid)
{
	static char bytes[THREADS];
	char path[64];
	int w;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, sh->pipe_w);
	w = open(path, O_WRONLY | O_CLOEXEC);
	REQUIRE(w >= 0, "open %s: %s", path, strerror(errno));
	REQUIRE(write(w, bytes, sizeof(bytes)) == sizeof(bytes), "write %d bytes", THREADS);
	close(w);
}

/*
 * Loads the module (params), starts the waiters in a process whose reads
 * are logged, and returns once all of them are inside read(): the fd.
 */
static int start_waiters(const char *params, const char *comm, struct smon_child *child)
{
	const struct smon_child_opts opts = { .comm = comm };
	const struct smon_watch watch = {
		.nr = __NR_read, .action = SYSCALLMON_ACTION_LOG, .mode = SYSCALLMON_MODE_LOG,
		.opts = &opts, .fn = waiters,
	};
	struct smon_watched run;
	int fd = smon_load_open(params), ret;

	sh->got = 0;
	ret = smon_watch_start(fd, &watch, child, &run);
	REQUIRE(ret == 0, "read LOG for the process with the waiting threads: %s", smon_errname(ret));
	wait_all_inside(child->pid);
	return fd;
}

static void run(const char *params, int want_results, int want_no_result)
{
	struct smon_events events = { 0 };
	struct syscallmon_target_info info;
	struct smon_child child;
	size_t results = 0, without = 0;
	uint32_t pid;
	int fd, ret;

	smon_diag("%s: %d waiting reads", params ? params : "defaults", THREADS);
	fd = start_waiters(params, "smon-t22", &child);
	pid = child.pid;
	release_all(pid);
	CHECK_EQ(smon_child_wait(&child), 0, "exit status of the process with the waiting threads");
	CHECK_EQ(sh->got, THREADS, "reads that returned a byte");
	ret = smon_read_all(fd, &events);
	CHECK(ret == 0, "read: %s", smon_errname(ret));
	for (size_t i = 0; i < events.n; i++) {
		const struct smon_event *e = &events.ev[i];

		if (e->type != SYSCALLMON_RECORD_SYSCALL || e->nr != __NR_read || e->tgid != pid ||
		    (long)(int)e->args[0] != sh->pipe_r)
			continue;
		if ((e->flags & SYSCALLMON_SYSCALL_RESULT) && e->ret == 1)
			results++;
		else if (e->flags & SYSCALLMON_SYSCALL_NO_RESULT)
			without++;
	}
	CHECK_EQ(results, want_results, "records with their result");
	CHECK_EQ(without, want_no_result, "records without a result");
	if (CHECK(smon_target_info(fd, __NR_read, &info) == 0, "GET_TARGETS read"))
		CHECK_EQ(info.no_result, want_no_result, "target no_result");
	smon_events_free(&events);
	close(fd);
	CHECK(smon_unload() == 0, "unload");
}

static void unload_in_flight(void)
{
	struct syscallmon_status st;
	struct smon_child child;
	int fd;

	smon_diag("unload while %d followed reads wait", THREADS);
	fd = start_waiters(NULL, "smon-t22-unl", &child);
	if (CHECK(smon_status(fd, &st) == 0, "GET_STATUS"))
		CHECK_EQ(st.calls_in_flight, THREADS, "calls followed");
	close(fd);
	CHECK(smon_unload() == 0, "unload with calls in flight");
	release_all(child.pid);
	CHECK_EQ(smon_child_wait(&child), 0, "exit status after the unload");
	CHECK_EQ(sh->got, THREADS, "reads that returned a byte after the unload");
}

int main(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(sh != MAP_FAILED, "mmap");
	run(NULL, THREADS, 0);
	run("return_slots=100", 100, THREADS - 100);
	run("return_slots=0", 0, THREADS);
	unload_in_flight();
	smon_exit();
}
