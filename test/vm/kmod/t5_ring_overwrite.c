// SPDX-License-Identifier: GPL-2.0
/*
 * Test 5: ring overwrite.  With the smallest ring (64 KiB), a scoped child
 * makes 5000 getppid calls while nobody reads.  A getppid record has no
 * path and no fd target: each takes the fixed part, 160 bytes, so the ring
 * holds 409 of them.  Setting the target and the mode writes two config
 * records first (seq 0 and 1), so the calls are seq 2..5001.  A reader
 * that opened before and moved past those then gets one LOST record
 * counting exactly 4591 (from seq 2) and the newest 409 records, seq
 * 4593..5001 without a gap.  A reader that opens after starts at the oldest
 * record held: the same 409, no LOST record.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define RING		SYSCALLMON_RING_SIZE_MIN
#define RECORD		sizeof(struct syscallmon_syscall)
#define CAPACITY	(RING / RECORD)
#define CALLS		5000
#define LOST		(CALLS - CAPACITY)
#define CONFIG		2	/* the target's and the mode's config records, before the calls */

/* Checks records[0..] are the newest CAPACITY getppid calls of pid. */
static void check_newest(const struct smon_event *ev, size_t n, uint32_t pid,
			 const char *reader)
{
	int bad = 0;

	if (!CHECK(n == CAPACITY, "%s: %zu records after the marker, want %zu", reader, n,
		   CAPACITY))
		return;
	for (size_t i = 0; i < n && bad < 3; i++) {
		int ok = 1;

		ok &= CHECK_EQ(ev[i].type, SYSCALLMON_RECORD_SYSCALL, "type");
		ok &= CHECK_EQ(ev[i].seq, CONFIG + LOST + i, "seq");
		ok &= CHECK_EQ(ev[i].nr, __NR_getppid, "nr");
		ok &= CHECK_EQ(ev[i].tgid, pid, "tgid");
		/* The child is a 64-bit process: nothing it does is an ia32 entry. */
		ok &= CHECK_EQ(ev[i].abi, SYSCALLMON_ABI_X64, "abi");
		ok &= CHECK_EQ(ev[i].size, RECORD, "size: the fixed part only");
		if (!ok) {
			smon_diag("%s: record %zu is wrong", reader, i);
			smon_event_print(&ev[i]);
			bad++;
		}
	}
}

int main(void)
{
	const struct smon_child_opts opts = { .comm = "smon-t5-child" };
	const struct smon_watch watch = {
		.nr = __NR_getppid, .action = SYSCALLMON_ACTION_LOG, .mode = SYSCALLMON_MODE_LOG,
		.opts = &opts, .fn = smon_getppid_times, .arg = SMON_COUNT(CALLS),
	};
	struct smon_events events = { 0 };
	struct syscallmon_status st;
	struct smon_watched run;
	uint32_t pid;
	int fd, late, ret;

	REQUIRE(smon_load("ring_size=65536") == 0, "load failed");

	/* Opened before any record exists: its cursor is at seq 0. */
	fd = smon_open(0);
	REQUIRE(fd >= 0, "open device: %s", smon_errname(fd));
	ret = smon_status(fd, &st);
	REQUIRE(ret == 0, "GET_STATUS: %s", smon_errname(ret));
	CHECK_EQ(st.ring_size, RING, "status.ring_size");
	CHECK_EQ(st.reader_seq, 0, "status.reader_seq before any record");

	ret = smon_watch_child(fd, &watch, &events, &run);
	CHECK(ret == 0, "early reader: getppid LOG for a gated child, read records: %s", smon_errname(ret));
	pid = run.pid;
	CHECK(run.status == 0, "child exited with %d", run.status);

	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret))) {
		CHECK_EQ(st.config_records, CONFIG, "status.config_records");
		CHECK_EQ(st.events, CONFIG + CALLS, "status.events");
		CHECK_EQ(st.head_seq, CONFIG + CALLS, "status.head_seq");
		CHECK_EQ(st.tail_seq, CONFIG + LOST, "status.tail_seq");
		CHECK_EQ(st.head - st.tail, RING, "bytes held: records and the padding at the end");
		CHECK_EQ(st.overwritten, CONFIG + LOST, "status.overwritten");
	}

	smon_diag("early reader: %zu records", events.n);
	if (CHECK(events.n >= 1, "early reader: no records")) {
		const struct smon_event *ev = &events.ev[0];

		if (!(CHECK_EQ(ev->type, SYSCALLMON_RECORD_LOST, "first record type (LOST)") &
		      CHECK_EQ(ev->lost, LOST, "LOST record count") &
		      CHECK_EQ(ev->seq, CONFIG, "LOST record seq (first seq lost)") &
		      CHECK_EQ(ev->size, sizeof(struct syscallmon_lost), "LOST record size")))
			smon_event_print(ev);
		check_newest(events.ev + 1, events.n - 1, pid, "early reader");
	}
	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret))) {
		CHECK_EQ(st.reader_lost, LOST, "status.reader_lost");
		CHECK_EQ(st.reader_seq, CONFIG + CALLS, "status.reader_seq after reading");
	}
	smon_events_free(&events);

	late = smon_open(0);
	if (CHECK(late >= 0, "open a second reader: %s", smon_errname(late))) {
		ret = smon_read_all(late, &events);
		CHECK(ret == 0, "late reader: read records: %s", smon_errname(ret));
		smon_diag("late reader: %zu records", events.n);
		if (events.n && events.ev[0].type == SYSCALLMON_RECORD_LOST) {
			CHECK(0, "late reader got a LOST record (lost=%llu): a new reader "
			      "starts at the oldest record held",
			      (unsigned long long)events.ev[0].lost);
		} else {
			check_newest(events.ev, events.n, pid, "late reader");
		}
		smon_events_free(&events);
		close(late);
	}

	smon_unload_exit(fd);
}
