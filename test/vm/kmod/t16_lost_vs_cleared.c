// SPDX-License-Identifier: GPL-2.0
/*
 * Test 16: records a clear drops are cleared, not lost.  The smallest ring
 * holds C getppid records (64 KiB of 160-byte records: C = 409); a scoped
 * child makes getppid calls in batches, stopping after each so the test
 * can clear and read in between.  Readers of /dev/syscallmon:
 *   A  opened first and reads only at the checkpoints below;
 *   B  keeps up: reads after every batch;
 *   C  opened right after the second clear.
 *
 * Every change writes a config record too: the target and the mode (seq 0
 * and 1, before the calls, which start at S = 2), each clear (after it
 * clears), and clear_on_read set.  Records differ in size, so how many the
 * ring holds is read from its status (tail); the rest is exact:
 *
 *   batch 0: 10 calls.  B reads them.  CLEAR_LOG drops the 12 records; its
 *            own record stays (tail S + 10).
 *   batch 1: 5 calls.  A (behind the clear) gets exactly those 5 and no
 *            lost record; so does B.
 *   batch 2: C + 24 calls: the oldest are overwritten, up to tail T2,
 *            batch 1's 5 (which A and B have read) among them.
 *            CLEAR_LOG drops what is held; its record is at H2.  C opens.
 *   batch 3: C + 4 calls: overwritten up to T3, the clear's record with
 *            them.  A and B get one lost record (first seq S + 16) counting
 *            what was overwritten that they had not read, T2 - (S + 16) +
 *            T3 - H2, one of them a config record, then every call held;
 *            C gets lost T3 - H2 (first seq H2, one config record), then
 *            the same.  Each reader's reader_lost says the same.
 *   D opens; the whole /proc log is read with clear_on_read: the calls
 *            held are cleared, the parameter's record stays.
 *   batch 4: 5 calls.  A and D get those 5, no lost record.  E opens
 *            before them and reads into a bad buffer (EFAULT), then into
 *            one whose second record crosses into an unmapped page, then
 *            into a good one: together, the 5 once each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define RECORD		sizeof(struct syscallmon_syscall)	/* getppid: no path, no target */
#define C		(SYSCALLMON_RING_SIZE_MIN / RECORD)
#define CHILD_COMM	"smon-t16"
#define S		2	/* the first call's seq: after the target's and the mode's records */
#define CLEAR_ON_READ	"/sys/module/" SMON_MODULE_NAME "/parameters/clear_on_read"

static const int batches[] = { 10, 5, C + 24, C + 4, 5 };
#define NBATCHES (sizeof(batches) / sizeof(batches[0]))

static uint32_t child_pid;

static int call_batches(void *arg)
{
	(void)arg;
	for (size_t b = 0; b < NBATCHES; b++) {
		for (int i = 0; i < batches[b]; i++)
			syscall(SYS_getppid);
		if (smon_child_stop())
			return 11;
	}
	return 0;
}

/* Checks ev[0..n) are the child's getppid records first_seq, first_seq + 1, ... */
static void check_records(const struct smon_event *ev, size_t n, uint64_t first_seq,
			  size_t want, const char *who)
{
	char what[96];

	snprintf(what, sizeof(what), "%s: records", who);
	if (!CHECK_EQ(n, want, what))
		return;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == SYSCALLMON_RECORD_SYSCALL && ev[i].seq == first_seq + i &&
		    ev[i].nr == __NR_getppid && ev[i].tgid == child_pid)
			continue;
		CHECK(0, "%s: record %zu is not the child's getppid with seq %llu", who, i,
		      (unsigned long long)(first_seq + i));
		smon_event_print(&ev[i]);
		return;
	}
}

/*
 * Reads all a reader has: a lost record of lost (first seq lost_seq, config
 * records among them lost_config) if lost is not 0, else none; then, config
 * records aside, want calls from first_seq.  Its reader_lost must then be
 * total_lost.
 */
static void check_reader(int fd, const char *who, uint64_t lost, uint64_t lost_config, uint64_t lost_seq,
			 uint64_t first_seq, size_t want, uint64_t total_lost)
{
	struct smon_events events = { 0 };
	struct syscallmon_status st;
	const struct smon_event *ev;
	size_t n;
	char what[96];
	int ret;

	ret = smon_read_all(fd, &events);
	if (!CHECK(ret == 0, "%s: read: %s", who, smon_errname(ret)))
		return;
	smon_drop_config(&events);
	ev = events.ev;
	n = events.n;
	smon_diag("%s: %zu records, the first of type %u", who, n, n ? ev[0].type : 0);
	if (n && ev[0].type == SYSCALLMON_RECORD_LOST) {
		if (CHECK(lost, "%s: a lost record (lost %llu, seq %llu), want none: cleared "
			  "records are not lost", who, (unsigned long long)ev[0].lost,
			  (unsigned long long)ev[0].seq)) {
			snprintf(what, sizeof(what), "%s: lost record's count", who);
			CHECK_EQ(ev[0].lost, lost, what);
			snprintf(what, sizeof(what), "%s: lost record's seq (first lost)", who);
			CHECK_EQ(ev[0].seq, lost_seq, what);
			snprintf(what, sizeof(what), "%s: lost record's config records", who);
			CHECK_EQ(ev[0].lost_config, lost_config, what);
		}
		ev++;
		n--;
	} else {
		CHECK(!lost, "%s: no lost record, want one counting %llu", who,
		      (unsigned long long)lost);
	}
	check_records(ev, n, first_seq, want, who);
	smon_events_free(&events);

	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "%s: GET_STATUS: %s", who, smon_errname(ret))) {
		snprintf(what, sizeof(what), "%s: status.reader_lost", who);
		CHECK_EQ(st.reader_lost, total_lost, what);
	}
}

/*
 * tail: the expected tail, or 0 for whatever it is (returned); overwritten:
 * or 0 for every record below the tail that was not cleared.
 */
static uint64_t check_ring(int fd, uint64_t head, uint64_t tail, uint64_t overwritten,
			   uint64_t cleared, const char *when)
{
	struct syscallmon_status st;
	char what[96];
	int ret = smon_status(fd, &st);

	REQUIRE(ret == 0, "GET_STATUS %s: %s", when, smon_errname(ret));
	if (!tail)
		tail = st.tail_seq;
	if (!overwritten)
		overwritten = st.tail_seq - cleared;	/* whatever went below the tail and was not cleared */
	smon_diag("ring %s: head %llu tail %llu overwritten %llu cleared %llu", when,
		  (unsigned long long)st.head_seq, (unsigned long long)st.tail_seq,
		  (unsigned long long)st.overwritten, (unsigned long long)st.cleared);
	snprintf(what, sizeof(what), "head %s", when);
	CHECK_EQ(st.head_seq, head, what);
	snprintf(what, sizeof(what), "tail %s", when);
	CHECK_EQ(st.tail_seq, tail, what);
	snprintf(what, sizeof(what), "overwritten %s", when);
	CHECK_EQ(st.overwritten, overwritten, what);
	snprintf(what, sizeof(what), "cleared %s", when);
	CHECK_EQ(st.cleared, cleared, what);
	return st.tail_seq;
}

static void next_batch(struct smon_child *child, int first)
{
	if (!first)
		REQUIRE(smon_child_resume(child) == 0, "resume the child");
	REQUIRE(smon_child_wait_stop(child) == 0, "the child did not finish its batch");
}

/* A read that faults hands nothing out twice and loses nothing. */
static void check_faulting_reads(int fd, uint64_t first_seq)
{
	struct smon_events got = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	static uint8_t buf[4 * SYSCALLMON_RECORD_MAX];
	char *map, *straddle;
	ssize_t n;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %s", strerror(errno));
	REQUIRE(munmap(map + page, page) == 0, "munmap: %s", strerror(errno));

	n = read(fd, map + page, SYSCALLMON_RECORD_MAX);
	CHECK(n < 0 && errno == EFAULT, "E: read into an unmapped page: %zd (%s), want EFAULT",
	      n, n < 0 ? strerror(errno) : "no error");

	/*
	 * The first record (the parameter's config record) fits in the mapped
	 * page, the second (a call) crosses its end: one record, or EFAULT if
	 * the copy stopped short of the page's end.
	 */
	straddle = map + page - RECORD - 100;
	n = read(fd, straddle, SYSCALLMON_RECORD_MAX);
	smon_diag("E: read whose second record faults: %zd (%s)", n,
		  n < 0 ? strerror(errno) : "bytes");
	if (n > 0) {
		size_t before = got.n;

		CHECK(smon_decode_records(straddle, n, &got) == 0 && got.n == before + 1,
		      "E: the read whose second record faults gave %zu records, want 1", got.n - before);
	} else {
		CHECK(n < 0 && errno == EFAULT, "E: read whose second record faults: %zd (%s), "
		      "want one record or EFAULT", n, n < 0 ? strerror(errno) : "bytes");
	}
	munmap(map, page);

	n = read(fd, buf, sizeof(buf));
	if (CHECK(n >= 0, "E: read: %zd (%s)", n, n < 0 ? strerror(errno) : ""))
		CHECK(smon_decode_records(buf, n, &got) == 0, "E: decode");
	smon_drop_config(&got);
	check_records(got.ev, got.n, first_seq, 5, "E, all reads together");
	smon_events_free(&got);
}

int main(void)
{
	const struct smon_child_opts opts = { .comm = CHILD_COMM, .stops = 1 };
	struct smon_child child;
	uint64_t h2, t2, h3, t3, cleared, overwritten, lost;
	int ctl, a, b, c, d, e, ret;
	char *text;

	REQUIRE(smon_load("ring_size=65536 clear_on_read=0") == 0, "load failed");
	ctl = smon_open(0);
	a = smon_open(0);
	b = smon_open(0);
	REQUIRE(ctl >= 0 && a >= 0 && b >= 0, "open the device");
	ret = smon_child_spawn(&child, &opts, call_batches, NULL);
	REQUIRE(ret == 0, "spawn child: %s", smon_errname(ret));
	child_pid = child.pid;
	ret = smon_add_target(ctl, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &child_pid, 1);
	REQUIRE(ret == 0, "ADD_TARGET getppid pids=[%u]: %s", child_pid, smon_errname(ret));
	REQUIRE(smon_set_mode(ctl, SYSCALLMON_MODE_LOG) == 0, "SET_MODE LOG");
	REQUIRE(smon_child_release(&child) == 0, "release child");

	next_batch(&child, 1);
	check_reader(b, "B after batch 0", 0, 0, 0, S, 10, 0);
	REQUIRE(smon_clear(ctl, SYSCALLMON_CLEAR_LOG) == 0, "CLEAR_LOG");
	check_ring(ctl, S + 11, S + 10, 0, S + 10, "after the first clear");

	next_batch(&child, 0);
	check_reader(a, "A after batch 1", 0, 0, 0, S + 11, 5, 0);
	check_reader(b, "B after batch 1", 0, 0, 0, S + 11, 5, 0);

	next_batch(&child, 0);
	h2 = S + 16 + C + 24;
	t2 = check_ring(ctl, h2, 0, 0, S + 10, "after batch 2");
	CHECK(t2 > S + 16, "batch 2 overwrote batch 1 (tail %llu)", (unsigned long long)t2);
	REQUIRE(smon_clear(ctl, SYSCALLMON_CLEAR_LOG) == 0, "CLEAR_LOG");
	cleared = S + 10 + h2 - t2;
	check_ring(ctl, h2 + 1, h2, t2 - (S + 10), cleared, "after the second clear");
	c = smon_open(0);
	REQUIRE(c >= 0, "open C: %s", smon_errname(c));

	next_batch(&child, 0);
	h3 = h2 + 1 + C + 4;
	t3 = check_ring(ctl, h3, 0, 0, cleared, "after batch 3");
	CHECK(t3 > h2, "batch 3 overwrote the second clear's record (tail %llu)", (unsigned long long)t3);
	lost = t2 - (S + 16) + t3 - h2;
	check_reader(a, "A after batch 3", lost, 1, S + 16, t3, h3 - t3, lost);
	check_reader(b, "B after batch 3", lost, 1, S + 16, t3, h3 - t3, lost);
	check_reader(c, "C after batch 3", t3 - h2, 1, h2, t3, h3 - t3, t3 - h2);

	/* The parameter's record (at h3) may overwrite the oldest call: the tail is read again. */
	REQUIRE(smon_write_file(CLEAR_ON_READ, "1", 1) == 1, "set %s", CLEAR_ON_READ);
	t3 = check_ring(ctl, h3 + 1, 0, 0, cleared, "after setting clear_on_read");
	d = smon_open(0);
	REQUIRE(d >= 0, "open D: %s", smon_errname(d));
	ret = smon_read_file(SMON_PROC_LOG, &text, NULL);
	REQUIRE(ret == 0, "read %s: %s", SMON_PROC_LOG, smon_errname(ret));
	free(text);
	/* The calls were shown and go; the parameter's record was not and stays. */
	overwritten = t3 - cleared;
	cleared += h3 - t3;
	check_ring(ctl, h3 + 1, h3, overwritten, cleared, "after reading the log with clear_on_read");

	e = smon_open(0);
	REQUIRE(e >= 0, "open E: %s", smon_errname(e));
	next_batch(&child, 0);
	check_reader(a, "A after batch 4", 0, 0, 0, h3 + 1, 5, lost);
	check_reader(d, "D after batch 4", 0, 0, 0, h3 + 1, 5, 0);
	check_faulting_reads(e, h3 + 1);

	REQUIRE(smon_child_resume(&child) == 0, "resume the child");
	ret = smon_child_wait(&child);
	CHECK(ret == 0, "child exited with %d", ret);
	close(e);
	close(d);
	close(c);
	close(b);
	close(a);
	smon_unload_exit(ctl);
}
