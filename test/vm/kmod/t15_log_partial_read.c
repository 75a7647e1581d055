// SPDX-License-Identifier: GPL-2.0
/*
 * Test 15: /proc/syscallmon/log with clear_on_read drops only records whose
 * whole line was read.
 *
 * A scoped child makes 30 getppid calls.  With clear_on_read off, the log
 * is byte for byte the CSV the records say ("<s>,<pid>,<tgid>,<uid>,<comm>,
 * __x64_sys_getppid", as read from the device), and reading it drops
 * nothing.  Then, with clear_on_read on, each step opens the log, reads,
 * closes, and checks what it got and what the ring still holds:
 *   - 10 bytes (`dd bs=10 count=1`): the start of line 1; held 30, cleared 0;
 *   - byte by byte up to the first newline: line 1; held 29, cleared 1;
 *   - one read of line 2 and 5 bytes more: held 28, cleared 2;
 *   - one read of exactly line 3: held 27, cleared 3;
 *   - open and close without reading: held 27;
 *   - everything: lines 4-30; held 0, cleared 30, overwritten 0.
 * The log shows no config records; the two written before the calls (the
 * target, the mode) go with line 1, the two after them (mode OFF, the
 * parameter) stay, and the counts above are of calls only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define CALLS		30
#define CONFIG_BEFORE	2	/* config records of the target and the mode */
#define CONFIG_AFTER	2	/* of mode OFF and of clear_on_read set */
#define CHILD_COMM	"smon-t15"
#define CLEAR_ON_READ	"/sys/module/" SMON_MODULE_NAME "/parameters/clear_on_read"

static int call_getppid(void *arg)
{
	(void)arg;
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	return 0;
}

/* The log's text for these records, as /proc/syscallmon/log's CSV has it. */
static char *expected_csv(const struct smon_events *events, size_t *line_end)
{
	size_t cap = events->n * 128 + 1, len = 0;
	char *text = malloc(cap);

	if (!text)
		return NULL;
	text[0] = '\0';
	for (size_t i = 0; i < events->n; i++) {
		const struct smon_event *ev = &events->ev[i];

		len += snprintf(text + len, cap - len, "%llu,%u,%u,%u,%s,__x64_sys_getppid\n",
				(unsigned long long)(ev->ts_ns / 1000000000ull), ev->pid, ev->tgid,
				ev->uid, ev->comm);
		line_end[i] = len;
	}
	return text;
}

/* held and cleared count calls; config records before the first call held go when it does. */
static void check_ring(int fd, uint64_t held, uint64_t cleared, uint64_t config_after, const char *when)
{
	struct syscallmon_status st;
	int ret = smon_status(fd, &st);
	char what[128];

	if (!CHECK(ret == 0, "GET_STATUS %s: %s", when, smon_errname(ret)))
		return;
	smon_diag("%s: held %llu, cleared %llu, overwritten %llu", when,
		  (unsigned long long)(st.head_seq - st.tail_seq), (unsigned long long)st.cleared,
		  (unsigned long long)st.overwritten);
	snprintf(what, sizeof(what), "records held %s", when);
	CHECK_EQ(st.head_seq - st.tail_seq, held + config_after + (cleared ? 0 : CONFIG_BEFORE), what);
	snprintf(what, sizeof(what), "status.cleared %s", when);
	CHECK_EQ(st.cleared, cleared + (cleared ? CONFIG_BEFORE : 0), what);
	snprintf(what, sizeof(what), "status.overwritten %s", when);
	CHECK_EQ(st.overwritten, 0, what);
}

/* Opens the log, makes the reads of the sizes given (0 ends), closes; returns the bytes. */
static size_t read_log(char *out, size_t cap, const size_t *sizes)
{
	size_t got = 0;
	int fd = open(SMON_PROC_LOG, O_RDONLY | O_CLOEXEC);

	if (!CHECK(fd >= 0, "open %s: %s", SMON_PROC_LOG, strerror(errno)))
		return 0;
	for (; *sizes; sizes++) {
		ssize_t n;

		if (!CHECK(got + *sizes <= cap, "read_log: buffer too small"))
			break;
		n = read(fd, out + got, *sizes);
		if (!CHECK(n >= 0, "read %s: %s", SMON_PROC_LOG, strerror(errno)))
			break;
		got += n;
	}
	close(fd);
	return got;
}

/* Reads one byte at a time until a newline, as a line-buffered reader might. */
static size_t read_line_bytewise(char *out, size_t cap)
{
	size_t got = 0;
	int fd = open(SMON_PROC_LOG, O_RDONLY | O_CLOEXEC);

	if (!CHECK(fd >= 0, "open %s: %s", SMON_PROC_LOG, strerror(errno)))
		return 0;
	while (got < cap) {
		ssize_t n = read(fd, out + got, 1);

		if (!CHECK(n == 1, "one-byte read %zu: %zd (%s)", got, n, n < 0 ? strerror(errno) : "EOF"))
			break;
		if (out[got++] == '\n')
			break;
	}
	close(fd);
	return got;
}

static void check_bytes(const char *got, size_t got_len, const char *want, size_t want_len,
			const char *what)
{
	if (CHECK(got_len == want_len && !memcmp(got, want, want_len),
		  "%s: got %zu bytes, want %zu", what, got_len, want_len))
		return;
	smon_diag("  got:  \"%.*s\"", (int)got_len, got);
	smon_diag("  want: \"%.*s\"", (int)want_len, want);
}

int main(void)
{
	const struct smon_child_opts opts = { .comm = CHILD_COMM };
	const struct smon_watch watch = {
		.nr = __NR_getppid, .action = SYSCALLMON_ACTION_LOG, .mode = SYSCALLMON_MODE_LOG,
		.opts = &opts, .fn = call_getppid,
	};
	size_t line_end[CALLS], len, at, cap;
	struct smon_events events = { 0 };
	struct smon_watched run;
	char *want, *got;
	int fd, ret;

	fd = smon_load_open("clear_on_read=0");
	ret = smon_watch_child(fd, &watch, &events, &run);
	REQUIRE(ret == 0 && events.n == CALLS, "device: %zu records (%s), want %d", events.n,
		smon_errname(ret), CALLS);
	REQUIRE(run.status == 0, "child exited with %d", run.status);
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0, "SET_MODE OFF");
	want = expected_csv(&events, line_end);
	REQUIRE(want, "out of memory");
	len = line_end[CALLS - 1];
	cap = len + 8192;
	got = malloc(cap);
	REQUIRE(got, "out of memory");
	check_ring(fd, CALLS, 0, 1, "after the calls");

	{
		char *text;
		size_t text_len;

		ret = smon_read_file(SMON_PROC_LOG, &text, &text_len);
		REQUIRE(ret == 0, "read %s: %s", SMON_PROC_LOG, smon_errname(ret));
		check_bytes(text, text_len, want, len, "the whole log, clear_on_read off");
		free(text);
		check_ring(fd, CALLS, 0, 1, "after reading it all, clear_on_read off");
	}

	REQUIRE(smon_write_file(CLEAR_ON_READ, "1", 1) == 1, "set %s", CLEAR_ON_READ);

	{
		const size_t sizes[] = { 10, 0 };

		at = read_log(got, cap, sizes);
		check_bytes(got, at, want, 10, "a 10-byte read");
		check_ring(fd, CALLS, 0, CONFIG_AFTER, "after a 10-byte read");
	}

	at = read_line_bytewise(got, cap);
	check_bytes(got, at, want, line_end[0], "line 1, byte by byte");
	check_ring(fd, CALLS - 1, 1, CONFIG_AFTER, "after line 1 byte by byte");

	{
		const size_t sizes[] = { line_end[1] - line_end[0] + 5, 0 };

		at = read_log(got, cap, sizes);
		check_bytes(got, at, want + line_end[0], sizes[0], "line 2 and 5 bytes of line 3");
		check_ring(fd, CALLS - 2, 2, CONFIG_AFTER, "after line 2 and part of line 3");
	}
	{
		const size_t sizes[] = { line_end[2] - line_end[1], 0 };

		at = read_log(got, cap, sizes);
		check_bytes(got, at, want + line_end[1], sizes[0], "exactly line 3");
		check_ring(fd, CALLS - 3, 3, CONFIG_AFTER, "after exactly line 3");
	}
	{
		const size_t sizes[] = { 0 };

		at = read_log(got, cap, sizes);
		check_ring(fd, CALLS - 3, 3, CONFIG_AFTER, "after an open and close without a read");
	}
	{
		/* Smaller than a line and not dividing one: reads end mid-line, then finish it. */
		const size_t sizes[] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
					 4096, 4096, 0 };

		at = read_log(got, cap, sizes);
		check_bytes(got, at, want + line_end[2], len - line_end[2], "lines 4-30 in pieces");
		check_ring(fd, 0, CALLS, CONFIG_AFTER, "after reading the rest");
	}

	free(got);
	free(want);
	smon_events_free(&events);
	smon_unload_exit(fd);
}
