// SPDX-License-Identifier: GPL-2.0
/*
 * Test 8: a reader asleep in poll() and one asleep in a blocking read()
 * wake when a record arrives.  A scoped child opens a file DELAY_MS after it
 * is released; the reader must still be asleep then (so it really blocked)
 * and must wake within WAKE_TIMEOUT_S (a hang bound, not a latency bound).
 * A reader that asked to be woken only for WAKEUP_BYTES of records
 * (SYSCALLMON_IOC_SET_WAKEUP) is not readable with fewer pending, is woken
 * once they are there, and wakes for any record again when it asks for 1.
 * A thread asleep in poll() is not woken at all by records below its
 * wakeup (each wake-up is a voluntary context switch of the sleeper), and is
 * woken at once, with no new record, when its wakeup is lowered or its
 * reader seeks back to records already there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "smon_test.h"

#define DELAY_MS	2000
/* The reader must have slept most of the delay: proof it blocked at all. */
#define MIN_SLEPT_MS	(DELAY_MS / 2)
#define WAKE_TIMEOUT_S	60
#define WAKEUP_BYTES	8192
/* getppid records are over 100 bytes: FEW stay under WAKEUP_BYTES, MANY go past it. */
#define FEW_CALLS	5
#define MANY_CALLS	300
/* Records a sleeper would be woken for one by one, were it not for its wakeup. */
#define SPACED_CALLS	20
#define SPACED_MS	20

static char path[300];

static int delayed_open(void *arg)
{
	struct timespec ts = { DELAY_MS / 1000, (DELAY_MS % 1000) * 1000000L };
	int fd;

	(void)arg;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 10;
	close(fd);
	return 0;
}

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

static void check_record(const struct smon_event *ev, uint32_t pid, const char *who)
{
	if (!(CHECK_EQ(ev->type, SYSCALLMON_RECORD_SYSCALL, who) &
	      CHECK_EQ(ev->nr, __NR_openat, who) &
	      CHECK_EQ(ev->tgid, pid, who) &
	      CHECK(strcmp(ev->path, path) == 0, "%s: path \"%.256s\"", who, ev->path)))
		smon_event_print(ev);
}

/* Spawns the child, scopes openat to it (replacing the previous scope) and releases it. */
static int start_child(int fd, struct smon_child *child, const char *comm)
{
	const struct smon_child_opts opts = { .comm = comm };
	uint32_t pid;
	int ret;

	ret = smon_child_spawn(child, &opts, delayed_open, NULL);
	if (!CHECK(ret == 0, "spawn child: %s", smon_errname(ret)))
		return -1;
	pid = child->pid;
	ret = smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);
	if (!CHECK(ret == 0, "ADD_TARGET openat pids=[%u]: %s", pid, smon_errname(ret))) {
		smon_child_wait(child);
		return -1;
	}
	/* Past the target's config record: the open's record is the one to wake for. */
	ret = smon_seek(fd, SYSCALLMON_SEEK_HEAD);
	if (!CHECK(ret == 0, "seek: %s", smon_errname(ret))) {
		smon_child_wait(child);
		return -1;
	}
	return CHECK(smon_child_release(child) == 0, "release child") ? 0 : -1;
}

static void poll_wakes(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct smon_event ev;
	struct smon_child child;
	uint64_t t0, slept_ms;
	int ret;
	ssize_t n;

	smon_diag("poll()");
	ret = poll(&pfd, 1, 0);
	CHECK(ret == 0, "poll with nothing to read: got %d (revents %#x), want 0", ret,
	      pfd.revents);
	if (start_child(fd, &child, "smon-t8-poll") < 0)
		return;
	t0 = smon_monotonic_ns();
	pfd.revents = 0;
	ret = poll(&pfd, 1, WAKE_TIMEOUT_S * 1000);
	slept_ms = (smon_monotonic_ns() - t0) / 1000000;
	smon_diag("poll returned %d after %llu ms, revents %#x", ret,
		  (unsigned long long)slept_ms, pfd.revents);
	if (CHECK(ret == 1, "poll: got %d (%s), want 1 within %d s", ret,
		  ret < 0 ? strerror(errno) : "timeout", WAKE_TIMEOUT_S)) {
		CHECK(pfd.revents & POLLIN, "poll revents %#x without POLLIN", pfd.revents);
		CHECK(slept_ms >= MIN_SLEPT_MS, "poll returned after %llu ms, before the event",
		      (unsigned long long)slept_ms);
		/* poll() re-checks at its timeout: readable then is not a wake-up. */
		CHECK(slept_ms < WAKE_TIMEOUT_S * 1000ull,
		      "poll only returned at its %d s timeout: the event did not wake it",
		      WAKE_TIMEOUT_S);
		n = smon_read_one(fd, &ev);
		if (CHECK(n > 0 && n == ev.size, "read after poll: %zd (%s)", n,
			  n < 0 ? smon_errname(n) : "not one record"))
			check_record(&ev, child.pid, "record after poll");
	}
	ret = smon_child_wait(&child);
	CHECK(ret == 0, "poll child exited with %d", ret);
}

static void read_wakes(int fd)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: read gets EINTR */
	struct smon_event ev;
	struct smon_child child;
	uint64_t t0, slept_ms;
	ssize_t n;
	int ret, flags;

	smon_diag("blocking read()");
	flags = fcntl(fd, F_GETFL);
	CHECK(flags >= 0 && !(flags & O_NONBLOCK), "device fd is not blocking");
	sigaction(SIGALRM, &sa, NULL);
	if (start_child(fd, &child, "smon-t8-read") < 0)
		return;
	t0 = smon_monotonic_ns();
	alarm_fired = 0;
	alarm(WAKE_TIMEOUT_S);
	n = smon_read_one(fd, &ev);
	ret = n < 0 ? (int)-n : 0;
	alarm(0);
	slept_ms = (smon_monotonic_ns() - t0) / 1000000;
	smon_diag("read returned %zd after %llu ms", n, (unsigned long long)slept_ms);
	if (CHECK(n > 0 && n == ev.size, "blocking read: got %zd (%s), want one record within %d s",
		  n, n < 0 ? (ret == EINTR ? "timed out" : strerror(ret)) : "short",
		  WAKE_TIMEOUT_S)) {
		CHECK(slept_ms >= MIN_SLEPT_MS, "read returned after %llu ms, before the event",
		      (unsigned long long)slept_ms);
		/* The alarm's signal makes the sleeper re-check; that is not a wake-up. */
		CHECK(!alarm_fired, "read only returned when the %d s alarm fired: the event "
		      "did not wake it", WAKE_TIMEOUT_S);
		check_record(&ev, child.pid, "record from blocking read");
	}
	ret = smon_child_wait(&child);
	CHECK(ret == 0, "read child exited with %d", ret);
}

static int set_wakeup(int fd, uint64_t bytes)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_SET_WAKEUP, &bytes);
}

/* getppid n times, SPACED_MS apart: a sleeper woken per record gets the CPU for each. */
static int spaced_getppid(void *n)
{
	const struct timespec gap = { 0, SPACED_MS * 1000000L };

	for (intptr_t i = 0; i < (intptr_t)n; i++) {
		syscall(SYS_getppid);
		nanosleep(&gap, NULL);
	}
	return 0;
}

/* Starts a scoped child that calls getppid calls times (spaced or at once), logged. */
static int start_getppid(int fd, int calls, bool spaced, struct smon_child *child)
{
	const struct smon_watch w = {
		.nr = __NR_getppid, .action = SYSCALLMON_ACTION_LOG, .mode = SYSCALLMON_MODE_LOG,
		.fn = spaced ? spaced_getppid : smon_getppid_times, .arg = SMON_COUNT(calls),
	};
	struct smon_watched run;
	int ret = smon_watch_start(fd, &w, child, &run);

	return CHECK(ret == 0, "start a child making %d getppid calls: %s", calls, smon_errname(ret)) ? 0 : -1;
}

static void run_getppid(int fd, int calls, bool spaced)
{
	struct smon_child child;

	if (start_getppid(fd, calls, spaced, &child) == 0)
		CHECK(smon_child_wait(&child) == 0, "getppid child failed");
}

/* Reads every record there is; how many were getppid calls. */
static size_t read_getppid(int fd)
{
	struct smon_events events = { 0 };
	size_t n = 0;
	int ret = smon_read_all(fd, &events);

	CHECK(ret == 0, "read: %s", smon_errname(ret));
	for (size_t i = 0; i < events.n; i++)
		n += events.ev[i].type == SYSCALLMON_RECORD_SYSCALL && events.ev[i].nr == __NR_getppid;
	smon_events_free(&events);
	return n;
}

static int readable_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0);
}

/* A thread asleep in poll() on the device while the test acts. */
struct sleeper {
	pthread_t thread;
	int fd;
	int timeout_ms;
	pid_t tid;		/* set by the thread before it polls */
	int ret;
	short revents;
	uint64_t slept_ms;
	long wakes;		/* its voluntary context switches in poll(): one per sleep */
};

/* The calling thread's voluntary context switches, -1 if unknown. */
static long voluntary_switches(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/thread-self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	long before = voluntary_switches();
	uint64_t t0 = smon_monotonic_ns();

	__atomic_store_n(&s->tid, gettid(), __ATOMIC_RELEASE);
	s->ret = poll(&pfd, 1, s->timeout_ms);
	s->slept_ms = (smon_monotonic_ns() - t0) / 1000000;
	s->revents = pfd.revents;
	s->wakes = before < 0 ? -1 : voluntary_switches() - before;
	return NULL;
}

/* The state letter of thread tid of this process (/proc/self/task/TID/stat), '?' if unknown. */
static char thread_state(pid_t tid)
{
	char file[64], buf[512], *end;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/self/task/%d/stat", tid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	/* "tid (comm) S ...": comm may hold anything but ends at the last ')'. */
	end = strrchr(buf, ')');
	return end && end[1] == ' ' ? end[2] : '?';
}

/* Starts a thread polling fd and returns once it sleeps in poll(): 0, or -1 after a failed CHECK. */
static int sleeper_start(struct sleeper *s, int fd, int timeout_ms)
{
	pid_t tid = 0;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->timeout_ms = timeout_ms;
	if (!CHECK(pthread_create(&s->thread, NULL, sleeper_main, s) == 0, "pthread_create"))
		return -1;
	for (int i = 0; i < WAKE_TIMEOUT_S * 100; i++) {
		tid = __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE);
		if (tid && thread_state(tid) == 'S')
			return 0;
		usleep(10000);
	}
	CHECK(0, "the polling thread (tid %d) did not fall asleep within %d s", tid, WAKE_TIMEOUT_S);
	pthread_join(s->thread, NULL);
	return -1;
}

static void sleeper_join(struct sleeper *s, const char *what)
{
	pthread_join(s->thread, NULL);
	smon_diag("%s: poll returned %d after %llu ms, revents %#x, %ld wake-ups", what, s->ret,
		  (unsigned long long)s->slept_ms, s->revents, s->wakes);
}

/* s was woken by what the test did, before its timeout. */
static void check_woken(const struct sleeper *s, const char *what)
{
	CHECK(s->ret == 1 && (s->revents & POLLIN) && s->slept_ms < (uint64_t)s->timeout_ms,
	      "%s: poll got %d (revents %#x) after %llu ms, want readable before its %d ms timeout",
	      what, s->ret, s->revents, (unsigned long long)s->slept_ms, s->timeout_ms);
}

static void wakeup_watermark(int fd)
{
	struct syscallmon_status st;
	struct sleeper s;
	size_t n;
	int ret;

	smon_diag("SET_WAKEUP");
	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK(set_wakeup(fd, 0) == -EINVAL, "wakeup of 0 bytes accepted");
	CHECK(set_wakeup(fd, st.ring_size / 2 + 1) == -EINVAL, "wakeup past half the ring accepted");
	CHECK(set_wakeup(fd, st.ring_size / 2) == 0, "wakeup of half the ring refused");

	/*
	 * Below its wakeup, a sleeper is not woken at all: SPACED_CALLS
	 * records, each while it sleeps, are far less than half the ring.  It
	 * sleeps once, and once more at most if its timeout races a wake-up.
	 */
	if (sleeper_start(&s, fd, SPACED_CALLS * SPACED_MS + 2000) == 0) {
		run_getppid(fd, SPACED_CALLS, true);
		sleeper_join(&s, "below half the ring");
		CHECK(s.ret == 0, "%d records pending, less than half the ring: poll says %d, want 0",
		      SPACED_CALLS, s.ret);
		CHECK(s.wakes >= 1 && s.wakes <= 2,
		      "%d records below the wakeup: the sleeper switched out %ld times, want 1 (once "
		      "asleep, not once per record)", SPACED_CALLS, s.wakes);
	}
	n = read_getppid(fd);
	CHECK(n == SPACED_CALLS, "read %zu getppid records, want %d", n, SPACED_CALLS);

	REQUIRE(set_wakeup(fd, WAKEUP_BYTES) == 0, "wakeup of %d bytes refused", WAKEUP_BYTES);
	run_getppid(fd, FEW_CALLS, false);
	ret = readable_now(fd);
	CHECK(ret == 0, "%d records pending, fewer than %d bytes: poll says %d, want 0", FEW_CALLS,
	      WAKEUP_BYTES, ret);
	/* They were there all along: a read takes whatever there is. */
	n = read_getppid(fd);
	CHECK(n == FEW_CALLS, "read %zu getppid records, want %d", n, FEW_CALLS);

	/* A sleeper is woken once enough are pending. */
	if (sleeper_start(&s, fd, WAKE_TIMEOUT_S * 1000) == 0) {
		run_getppid(fd, MANY_CALLS, false);
		sleeper_join(&s, "past the wakeup");
		check_woken(&s, "MANY_CALLS records past the wakeup");
	}
	n = read_getppid(fd);
	CHECK(n == MANY_CALLS, "read %zu getppid records, want %d", n, MANY_CALLS);

	/* Lowered to what is already pending: woken at once, no record needed. */
	run_getppid(fd, FEW_CALLS, false);
	if (sleeper_start(&s, fd, WAKE_TIMEOUT_S * 1000) == 0) {
		ret = set_wakeup(fd, 1);
		CHECK(ret == 0, "wakeup of 1 byte refused: %s", smon_errname(ret));
		sleeper_join(&s, "wakeup lowered");
		check_woken(&s, "a wakeup lowered below what is pending");
	}
	n = read_getppid(fd);
	CHECK(n == FEW_CALLS, "read %zu getppid records, want %d", n, FEW_CALLS);

	REQUIRE(set_wakeup(fd, 1) == 0, "wakeup of 1 byte refused");
	ret = readable_now(fd);
	CHECK(ret == 0, "nothing pending: poll says %d", ret);
	run_getppid(fd, 1, false);
	ret = readable_now(fd);
	CHECK(ret == 1, "one record pending with a wakeup of 1 byte: poll says %d, want 1", ret);
	n = read_getppid(fd);
	CHECK(n == 1, "read %zu getppid records, want 1", n);

	/* A seek back to records already read: woken at once too. */
	if (sleeper_start(&s, fd, WAKE_TIMEOUT_S * 1000) == 0) {
		ret = smon_seek(fd, SYSCALLMON_SEEK_TAIL);
		CHECK(ret == 0, "seek to the tail: %s", smon_errname(ret));
		sleeper_join(&s, "seek back");
		check_woken(&s, "a seek back to records the ring holds");
	}
}

int main(void)
{
	int fd, ret;

	smon_tmpfile("t8", "file", path, sizeof(path));

	fd = smon_load_open(NULL);
	ret = smon_set_mode(fd, SYSCALLMON_MODE_LOG);
	REQUIRE(ret == 0, "SET_MODE LOG: %s", smon_errname(ret));
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek past the mode's config record");

	poll_wakes(fd);
	read_wakes(fd);
	wakeup_watermark(fd);

	smon_unload_exit(fd);
}
