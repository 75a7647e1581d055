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
 *   batch 0: 10 calls, seq 0-9.  B reads them.  CLEAR_LOG drops 10.
 *   batch 1: 5 calls, seq 10-14.  A (behind the clear by 10) gets exactly
 *            those 5 and no lost record; so does B.
 *   batch 2: C + 24 calls, seq 15 on: 29 overwritten (tail 39), batch 1's
 *            5 (which A and B have read) and 24 that nobody read.
 *            CLEAR_LOG drops the C held.  C opens.
 *   batch 3: C + 4 calls: 4 more overwritten (tail C + 43).  A and B get
 *            one lost record (first seq 15) counting 28 = 24 + 4, the
 *            overwritten ones they had not read, then the C held; C gets
 *            lost 4 (first seq C + 39), then the same.  Each reader's
 *            reader_lost says the same; the ring: overwritten 33, cleared
 *            C + 10.
 *   D opens; the whole /proc log is read with clear_on_read: C more
 *            cleared.
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
 * Reads all a reader has: a lost record of lost (first seq lost_seq) if lost
 * is not 0, else none; then want records from first_seq.  Its reader_lost
 * must then be total_lost.
 */
static void check_reader(int fd, const char *who, uint64_t lost, uint64_t lost_seq,
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

static void check_ring(int fd, uint64_t head, uint64_t tail, uint64_t overwritten,
		       uint64_t cleared, const char *when)
{
	struct syscallmon_status st;
	char what[96];
	int ret = smon_status(fd, &st);

	if (!CHECK(ret == 0, "GET_STATUS %s: %s", when, smon_errname(ret)))
		return;
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
	 * The first record fits in the mapped page, the second crosses its end:
	 * one record, or EFAULT if the copy stopped short of the page's end.
	 */
	straddle = map + page - RECORD - 100;
	n = read(fd, straddle, SYSCALLMON_RECORD_MAX);
	smon_diag("E: read whose second record faults: %zd (%s)", n,
		  n < 0 ? strerror(errno) : "bytes");
	if (n == (ssize_t)RECORD)
		CHECK(smon_decode_records(straddle, n, &got) == 0, "E: decode");
	else
		CHECK(n < 0 && errno == EFAULT, "E: read whose second record faults: %zd (%s), "
		      "want %zu or EFAULT", n, n < 0 ? strerror(errno) : "bytes", RECORD);
	munmap(map, page);

	n = read(fd, buf, sizeof(buf));
	if (CHECK(n >= 0, "E: read: %zd (%s)", n, n < 0 ? strerror(errno) : ""))
		CHECK(smon_decode_records(buf, n, &got) == 0, "E: decode");
	check_records(got.ev, got.n, first_seq, 5, "E, all reads together");
	smon_events_free(&got);
}

int main(void)
{
	const struct smon_child_opts opts = { .comm = CHILD_COMM, .stops = 1 };
	struct smon_child child;
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
	check_reader(b, "B after batch 0", 0, 0, 0, 10, 0);
	REQUIRE(smon_clear(ctl, SYSCALLMON_CLEAR_LOG) == 0, "CLEAR_LOG");
	check_ring(ctl, 10, 10, 0, 10, "after the first clear");

	next_batch(&child, 0);
	check_reader(a, "A after batch 1", 0, 0, 10, 5, 0);
	check_reader(b, "B after batch 1", 0, 0, 10, 5, 0);

	next_batch(&child, 0);
	check_ring(ctl, C + 39, 39, 29, 10, "after batch 2");
	REQUIRE(smon_clear(ctl, SYSCALLMON_CLEAR_LOG) == 0, "CLEAR_LOG");
	check_ring(ctl, C + 39, C + 39, 29, C + 10, "after the second clear");
	c = smon_open(0);
	REQUIRE(c >= 0, "open C: %s", smon_errname(c));

	next_batch(&child, 0);
	check_ring(ctl, 2 * C + 43, C + 43, 33, C + 10, "after batch 3");
	check_reader(a, "A after batch 3", 28, 15, C + 43, C, 28);
	check_reader(b, "B after batch 3", 28, 15, C + 43, C, 28);
	check_reader(c, "C after batch 3", 4, C + 39, C + 43, C, 4);

	d = smon_open(0);
	REQUIRE(d >= 0, "open D: %s", smon_errname(d));
	REQUIRE(smon_write_file(CLEAR_ON_READ, "1", 1) == 1, "set %s", CLEAR_ON_READ);
	ret = smon_read_file(SMON_PROC_LOG, &text, NULL);
	REQUIRE(ret == 0, "read %s: %s", SMON_PROC_LOG, smon_errname(ret));
	free(text);
	check_ring(ctl, 2 * C + 43, 2 * C + 43, 33, 2 * C + 10, "after reading the log with clear_on_read");

	e = smon_open(0);
	REQUIRE(e >= 0, "open E: %s", smon_errname(e));
	next_batch(&child, 0);
	check_reader(a, "A after batch 4", 0, 0, 2 * C + 43, 5, 28);
	check_reader(d, "D after batch 4", 0, 0, 2 * C + 43, 5, 0);
	check_faulting_reads(e, 2 * C + 43);

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
