// SPDX-License-Identifier: GPL-2.0
/*
 * Test 8: a reader asleep in poll() and one asleep in a blocking read()
 * wake when a record arrives.  A scoped child opens a file DELAY_MS after it
 * is released; the reader must still be asleep then (so it really blocked)
 * and must wake within WAKE_TIMEOUT_S (a hang bound, not a latency bound).
 * A reader that asked to be woken only for WAKEUP_BYTES of records
 * (SYSCALLMON_IOC_SET_WAKEUP) is not readable with fewer pending, is woken
 * once they are there, and wakes for any record again when it asks for 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
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

/* Starts a scoped child that calls getppid calls times, logged. */
static int start_getppid(int fd, int calls, struct smon_child *child)
{
	const struct smon_watch w = {
		.nr = __NR_getppid, .action = SYSCALLMON_ACTION_LOG, .mode = SYSCALLMON_MODE_LOG,
		.fn = smon_getppid_times, .arg = SMON_COUNT(calls),
	};
	struct smon_watched run;
	int ret = smon_watch_start(fd, &w, child, &run);

	return CHECK(ret == 0, "start a child making %d getppid calls: %s", calls, smon_errname(ret)) ? 0 : -1;
}

static void run_getppid(int fd, int calls)
{
	struct smon_child child;

	if (start_getppid(fd, calls, &child) == 0)
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

static void wakeup_watermark(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct syscallmon_status st;
	struct smon_child child;
	uint64_t t0, slept_ms;
	size_t n;
	int ret;

	smon_diag("SET_WAKEUP");
	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK(set_wakeup(fd, 0) == -EINVAL, "wakeup of 0 bytes accepted");
	CHECK(set_wakeup(fd, st.ring_size / 2 + 1) == -EINVAL, "wakeup past half the ring accepted");
	CHECK(set_wakeup(fd, st.ring_size / 2) == 0, "wakeup of half the ring refused");
	REQUIRE(set_wakeup(fd, WAKEUP_BYTES) == 0, "wakeup of %d bytes refused", WAKEUP_BYTES);

	run_getppid(fd, FEW_CALLS);
	ret = readable_now(fd);
	CHECK(ret == 0, "%d records pending, fewer than %d bytes: poll says %d, want 0", FEW_CALLS,
	      WAKEUP_BYTES, ret);
	/* They were there all along: a read takes whatever there is. */
	n = read_getppid(fd);
	CHECK(n == FEW_CALLS, "read %zu getppid records, want %d", n, FEW_CALLS);

	/* A sleeper is woken once enough are pending. */
	if (start_getppid(fd, MANY_CALLS, &child) == 0) {
		t0 = smon_monotonic_ns();
		ret = poll(&pfd, 1, WAKE_TIMEOUT_S * 1000);
		slept_ms = (smon_monotonic_ns() - t0) / 1000000;
		smon_diag("poll with a wakeup returned %d after %llu ms", ret, (unsigned long long)slept_ms);
		CHECK(ret == 1 && (pfd.revents & POLLIN) && slept_ms < WAKE_TIMEOUT_S * 1000ull,
		      "poll with a wakeup of %d bytes: got %d (revents %#x) after %llu ms, want woken by "
		      "%d getppid records", WAKEUP_BYTES, ret, pfd.revents, (unsigned long long)slept_ms,
		      MANY_CALLS);
		CHECK(smon_child_wait(&child) == 0, "getppid child failed");
	}
	n = read_getppid(fd);
	CHECK(n == MANY_CALLS, "read %zu getppid records, want %d", n, MANY_CALLS);

	REQUIRE(set_wakeup(fd, 1) == 0, "wakeup of 1 byte refused");
	ret = readable_now(fd);
	CHECK(ret == 0, "nothing pending: poll says %d", ret);
	run_getppid(fd, 1);
	ret = readable_now(fd);
	CHECK(ret == 1, "one record pending with a wakeup of 1 byte: poll says %d, want 1", ret);
	n = read_getppid(fd);
	CHECK(n == 1, "read %zu getppid records, want 1", n);
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
