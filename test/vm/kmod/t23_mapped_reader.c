// SPDX-License-Identifier: GPL-2.0
/*
 * Test 23: the mapped reader.
 *   a) A reader that maps the ring and follows it with SYSCALLMON_IOC_FETCH
 *      sees the same records, byte for byte and in the same order, as a
 *      read() reader.
 *   b) Stopped while the ring is overwritten, it is told exactly how many
 *      records it lost and goes on at the oldest one held.
 *   c) The mapping is read-only: PROT_WRITE is refused, mprotect can't add
 *      it, and a write through the mapping faults.
 *   d) Readers map, read, unmap and close over and over while a producer
 *      runs: nothing breaks, nothing is left behind.
 *   e) A reader that hands back its position with SYSCALLMON_FETCH_KEEP_LOSS
 *      (as one that stops does) learns of its loss but leaves it to the
 *      file's next reader: read() then starts with the lost record.
 *   f) FETCH takes only the start of a record: a position inside one, whose
 *      bytes (a policy's tag) look like a header with the seq given, is
 *      EINVAL, and the cursor stays; the record's own start is taken.  The
 *      head a FETCH reported, given back after the ring went on, is taken
 *      with its own seq only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define RING		SYSCALLMON_RING_SIZE_MIN
#define RECORD		sizeof(struct syscallmon_syscall)	/* getppid: fixed part only */
#define CAPACITY	(RING / RECORD)

struct mapped {
	int fd;
	const struct syscallmon_ring_page *page;
	const uint8_t *data;
	size_t len;
	uint64_t pos, seq;	/* the next record to deliver */
};

static int map_ring(struct mapped *m, int fd)
{
	void *p = mmap(NULL, SYSCALLMON_MMAP_DATA + RING, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	m->fd = fd;
	m->page = p;
	m->data = (const uint8_t *)p + SYSCALLMON_MMAP_DATA;
	m->len = SYSCALLMON_MMAP_DATA + RING;
	m->pos = m->seq = 0;
	return 0;
}

/*
 * Delivers every record in the mapping up to the head into out, as a
 * reader must: copy, then check the tail has not passed it.  Returns the
 * lost count FETCH reported, or -errno.
 */
static long follow(struct mapped *m, struct smon_events *out)
{
	struct syscallmon_fetch f = { .pos = m->pos, .seq = m->seq };
	uint8_t rec[SYSCALLMON_RECORD_MAX];
	long lost;

	if (ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) < 0)
		return -errno;
	lost = f.lost;
	m->pos = f.pos;
	m->seq = f.seq;
	while (m->pos < f.head) {
		const struct syscallmon_header *h = (const void *)(m->data + (m->pos & (RING - 1)));
		uint16_t size = __atomic_load_n(&h->size, __ATOMIC_RELAXED);

		/* Records differ in size: an overwritten position may be inside a newer record. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->page->tail, __ATOMIC_ACQUIRE) > m->pos)
			break;
		if (size < 8 || size > SYSCALLMON_RECORD_MAX)
			return -EPROTO;
		memcpy(rec, h, size);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->page->tail, __ATOMIC_ACQUIRE) > m->pos)
			break;	/* overwritten while copied: the next FETCH counts it */
		if (((struct syscallmon_header *)rec)->type != SYSCALLMON_RECORD_PAD) {
			if (smon_decode_records(rec, size, out))
				return -EPROTO;
			m->seq++;
		}
		m->pos += size;
	}
	return lost;
}

static int calls(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

static void produce(int fd, long n)
{
	struct smon_child child;
	uint32_t pid;

	REQUIRE(smon_child_spawn(&child, &(struct smon_child_opts){ .comm = "smon-t23" }, calls,
				 (void *)n) == 0, "spawn");
	pid = child.pid;
	REQUIRE(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1) == 0, "ADD_TARGET");
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_LOG) == 0, "SET_MODE LOG");
	smon_child_release(&child);
	CHECK_EQ(smon_child_wait(&child), 0, "producer exit status");
	REQUIRE(smon_del_target(fd, __NR_getppid) == 0, "DEL_TARGET");
}

static void same_records(int fd, struct mapped *m)
{
	struct smon_events by_read = { 0 }, by_map = { 0 };
	long lost;

	smon_diag("a) mapped and read() readers");
	produce(fd, CAPACITY / 2);
	CHECK(smon_read_all(fd, &by_read) == 0, "read()");
	lost = follow(m, &by_map);
	CHECK_EQ(lost, 0, "mapped reader: lost");
	/* The calls, and the config records of the target, the mode and the target's removal. */
	CHECK_EQ(by_map.n, CAPACITY / 2 + 3, "mapped reader: records");
	if (CHECK_EQ(by_map.n, by_read.n, "records, mapped vs read()"))
		for (size_t i = 0; i < by_map.n; i++)
			if (!CHECK(!memcmp(&by_map.ev[i], &by_read.ev[i], sizeof(by_map.ev[i])),
				   "record %zu differs", i)) {
				smon_event_print(&by_map.ev[i]);
				smon_event_print(&by_read.ev[i]);
				break;
			}
	smon_events_free(&by_read);
	smon_events_free(&by_map);
}

static void overwritten(int fd, struct mapped *m)
{
	struct smon_events events = { 0 };
	struct syscallmon_status st;
	long lost, calls = 3 * CAPACITY;
	uint64_t first = m->seq;

	smon_diag("b) %ld records while the mapped reader is stopped", calls);
	produce(fd, calls);
	/* The ring holds the newest records: the last calls and the target's removal. */
	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK_EQ(st.head_seq - first, calls + 2, "records written (the calls, the target added and removed)");
	lost = follow(m, &events);
	CHECK_EQ(lost, st.tail_seq - first, "lost, as FETCH tells it");
	CHECK_EQ(events.n, st.head_seq - st.tail_seq, "records after the loss");
	CHECK(events.n + 1 >= CAPACITY, "records after the loss: %zu, want about %zu", events.n, (size_t)CAPACITY);
	if (events.n)
		CHECK_EQ(events.ev[0].seq, st.tail_seq, "the first record after the loss");
	smon_events_free(&events);
}

static void loss_kept(int fd, struct mapped *m)
{
	struct smon_events events = { 0 };
	struct syscallmon_status st;
	uint64_t first = m->seq;

	smon_diag("e) a loss handed back with SYSCALLMON_FETCH_KEEP_LOSS");
	produce(fd, 3 * CAPACITY);
	REQUIRE(smon_status(fd, &st) == 0, "status");
	for (int i = 0; i < 2; i++) {
		struct syscallmon_fetch f = { .pos = m->pos, .seq = m->seq, .flags = SYSCALLMON_FETCH_KEEP_LOSS };
		struct pollfd p = { .fd = m->fd, .events = POLLIN };

		smon_diag("FETCH %d, keeping the loss", i + 1);
		REQUIRE(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) == 0, "FETCH, keeping the loss: %s", strerror(errno));
		CHECK_EQ(f.lost, st.tail_seq - first, "lost");
		CHECK_EQ(f.pos, m->pos, "the cursor stays");
		CHECK_EQ(f.seq, first, "seq");
		CHECK_EQ(poll(&p, 1, 0), 1, "the file is readable");
	}
	CHECK(smon_read_all(m->fd, &events) == 0, "read()");
	if (CHECK(events.n > 0, "read() after the kept loss: records")) {
		CHECK_EQ(events.ev[0].type, SYSCALLMON_RECORD_LOST, "read()'s first record");
		CHECK_EQ(events.ev[0].seq, first, "the lost record's seq");
		CHECK_EQ(events.ev[0].lost, st.tail_seq - first, "the lost record's count");
		CHECK_EQ(events.n - 1, st.head_seq - st.tail_seq, "records after it");
	}
	smon_events_free(&events);
	/* Unknown flags and a reserved word are refused. */
	for (int i = 0; i < 2; i++) {
		struct syscallmon_fetch f = { .pos = st.head, .seq = st.head_seq };

		if (i)
			f.reserved = 1;
		else
			f.flags = 1u << 1;
		errno = 0;
		CHECK(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) < 0 && errno == EINVAL,
		      "FETCH with %s: errno %d, want EINVAL", i ? "reserved set" : "an unknown flag", errno);
	}
	m->pos = st.head;
	m->seq = st.head_seq;
}

/* The policy record with tag, at *pos in the mapping; 0 if it is not held. */
static const struct syscallmon_config *policy_record(const struct mapped *m, const char *tag, uint64_t *pos,
						     uint64_t *seq)
{
	uint64_t head = m->page->head, at = m->page->tail, n = m->page->tail_seq;

	for (; at < head; at += ((const struct syscallmon_header *)(m->data + (at & (RING - 1))))->size) {
		const struct syscallmon_config *c = (const void *)(m->data + (at & (RING - 1)));

		if (c->h.type == SYSCALLMON_RECORD_PAD)
			continue;
		if (c->h.type == SYSCALLMON_RECORD_CONFIG && c->kind == SYSCALLMON_CONFIG_POLICY &&
		    memmem(c->data, c->text_len, tag, strlen(tag))) {
			*pos = at;
			*seq = n;
			return c;
		}
		n++;
	}
	return NULL;
}

/* Records (not PADs) in the mapping from from up to to, both records' starts. */
static uint64_t records_between(const struct mapped *m, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (uint64_t at = from; at < to; at += ((const struct syscallmon_header *)(m->data + (at & (RING - 1))))->size)
		n += ((const struct syscallmon_header *)(m->data + (at & (RING - 1))))->type != SYSCALLMON_RECORD_PAD;
	return n;
}

static void forged_position(int fd, struct mapped *m)
{
	struct syscallmon_fetch f, before = { .pos = m->pos, .seq = m->seq, .flags = SYSCALLMON_FETCH_KEEP_LOSS };
	const struct syscallmon_config *c;
	const struct syscallmon_header *forged = NULL;
	char tag[48];
	uint64_t pos = 0, seq = 0, told, told_seq;

	smon_diag("f) a FETCH position inside a record");
	/* 'H' bytes at every offset: some 16 of them, 8-aligned, read as a header with seq 0x4848...48. */
	memset(tag, 'H', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	REQUIRE(smon_replace_policy_tagged(fd, SYSCALLMON_MODE_LOG, SYSCALLMON_EXITS_OFF, NULL, 0, tag) == 0,
		"REPLACE_POLICY");
	c = policy_record(m, tag, &pos, &seq);
	REQUIRE(c, "the policy record is in the mapping");
	for (size_t off = SYSCALLMON_RECORD_ALIGN; off + sizeof(*forged) <= c->h.size && !forged;
	     off += SYSCALLMON_RECORD_ALIGN) {
		const struct syscallmon_header *h = (const void *)((const uint8_t *)c + off);

		if (h->seq == 0x4848484848484848ull)
			forged = h;
	}
	REQUIRE(forged, "a forged header in the tag");
	REQUIRE(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &before) == 0, "FETCH: %s", strerror(errno));
	f = (struct syscallmon_fetch){ .pos = pos + ((const uint8_t *)forged - (const uint8_t *)c),
				       .seq = forged->seq };
	errno = 0;
	CHECK(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) < 0 && errno == EINVAL,
	      "FETCH at offset %zu of a record: errno %d, want EINVAL",
	      (size_t)((const uint8_t *)forged - (const uint8_t *)c), errno);
	f = (struct syscallmon_fetch){ .pos = before.pos, .seq = before.seq, .flags = SYSCALLMON_FETCH_KEEP_LOSS };
	REQUIRE(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) == 0, "FETCH: %s", strerror(errno));
	CHECK_EQ(f.pos, before.pos, "the cursor after the refused FETCH");
	CHECK_EQ(f.seq, before.seq, "its seq");
	f = (struct syscallmon_fetch){ .pos = pos, .seq = seq + 1 };
	errno = 0;
	CHECK(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) < 0 && errno == EINVAL,
	      "FETCH at the record's start with the next seq: errno %d, want EINVAL", errno);
	f = (struct syscallmon_fetch){ .pos = pos, .seq = seq };
	CHECK(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) == 0, "FETCH at the record's start: %s", strerror(errno));
	CHECK_EQ(f.pos, pos, "the cursor at the record");
	CHECK_EQ(f.seq, seq, "its seq");

	/* The head that FETCH reported, given back once the ring went on past it: only with its own seq. */
	told = f.head;
	told_seq = seq + records_between(m, pos, told);
	REQUIRE(smon_replace_policy_tagged(fd, SYSCALLMON_MODE_LOG, SYSCALLMON_EXITS_OFF, NULL, 0, "after") == 0,
		"REPLACE_POLICY");
	REQUIRE(m->page->head > told, "the ring went on past the head reported");
	f = (struct syscallmon_fetch){ .pos = told, .seq = told_seq + 1 };
	errno = 0;
	CHECK(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) < 0 && errno == EINVAL,
	      "FETCH at the head reported with the next seq: errno %d, want EINVAL", errno);
	f = (struct syscallmon_fetch){ .pos = told, .seq = told_seq };
	CHECK(ioctl(m->fd, SYSCALLMON_IOC_FETCH, &f) == 0, "FETCH at the head reported: %s", strerror(errno));
	CHECK_EQ(f.pos, told, "the cursor at the head reported");
	CHECK_EQ(f.seq, told_seq, "its seq");
}

static void read_only(int fd, struct mapped *m)
{
	int status;
	pid_t pid;

	smon_diag("c) the mapping is read-only");
	CHECK(mmap(NULL, RING, PROT_READ | PROT_WRITE, MAP_SHARED, fd, SYSCALLMON_MMAP_DATA) == MAP_FAILED &&
	      errno == EPERM, "mmap with PROT_WRITE: %s, want EPERM", strerror(errno));
	CHECK(mmap(NULL, RING, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, SYSCALLMON_MMAP_DATA) == MAP_FAILED,
	      "a private writable mapping was allowed");
	CHECK(mmap(NULL, 2 * RING, PROT_READ, MAP_SHARED, fd, SYSCALLMON_MMAP_DATA) == MAP_FAILED &&
	      errno == EINVAL, "mmap past the ring's end: %s, want EINVAL", strerror(errno));
	CHECK(mprotect((void *)m->page, m->len, PROT_READ | PROT_WRITE) < 0,
	      "mprotect added PROT_WRITE to the mapping");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		((volatile uint8_t *)m->data)[0] = 0xff;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "a write through the mapping: status %#x, want SIGSEGV", status);
}

static int churn(void *arg)
{
	(void)arg;
	for (int round = 0; round < 200; round++) {
		struct smon_events events = { 0 };
		struct mapped m;
		int fd = smon_open(0);

		if (fd < 0 || map_ring(&m, fd))
			return 1;
		if (follow(&m, &events) < 0)
			return 2;
		smon_events_free(&events);
		munmap((void *)m.page, m.len);
		close(fd);
	}
	return 0;
}

static void unmap_while_producing(int fd)
{
	struct smon_child churner;
	int status;
	pid_t producer;

	smon_diag("d) readers map, read, unmap and close while a producer runs");
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_LOG) == 0, "SET_MODE LOG");
	REQUIRE(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_ALL_PIDS, NULL,
				0) == 0, "ADD_TARGET");
	producer = fork();
	REQUIRE(producer >= 0, "fork");
	if (producer == 0) {
		for (;;)
			syscall(SYS_getppid);
	}
	REQUIRE(smon_child_spawn(&churner, NULL, churn, NULL) == 0, "spawn");
	smon_child_release(&churner);
	CHECK_EQ(smon_child_wait(&churner), 0, "the readers' exit status");
	kill(producer, SIGKILL);
	waitpid(producer, &status, 0);
	REQUIRE(smon_del_target(fd, __NR_getppid) == 0, "DEL_TARGET");
}

int main(void)
{
	struct mapped m;
	int fd, mfd;

	REQUIRE(smon_load("ring_size=65536") == 0, "load failed");
	fd = smon_open(0);
	mfd = smon_open(0);
	REQUIRE(fd >= 0 && mfd >= 0, "open device");
	REQUIRE(map_ring(&m, mfd) == 0, "mmap the ring: %s", strerror(errno));
	CHECK_EQ(m.page->size, RING, "the control page's size");

	same_records(fd, &m);
	overwritten(fd, &m);
	loss_kept(fd, &m);
	read_only(mfd, &m);
	unmap_while_producing(fd);
	forged_position(fd, &m);

	munmap((void *)m.page, m.len);
	close(mfd);
	close(fd);
	CHECK(smon_unload() == 0, "unload");
	smon_exit();
}
