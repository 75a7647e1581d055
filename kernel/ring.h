/* SPDX-License-Identifier: GPL-2.0 */
/* The event ring: fixed-size records, overwrite-oldest, one cursor per reader. */
#ifndef SYSCALLMON_RING_H
#define SYSCALLMON_RING_H

#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/syscallmon.h>

/* A reader's position.  Owned by one open file; not shared. */
struct smon_cursor {
	u64 next;	/* seq of the next record to hand out */
	u64 lost;	/* records this reader never saw */
};

struct smon_ring_stats {
	u32 capacity;
	u64 head;	/* seq the next record will get */
	u64 tail;	/* oldest seq still held */
	u64 overwritten;
	u64 cleared;
};

extern wait_queue_head_t smon_ring_wait;

/* Zeroes ev and fills what every record says of the current task: ids, credentials, comm, time. */
void smon_event_init(struct syscallmon_event *ev, u16 type);

int smon_ring_init(u32 capacity);
void smon_ring_free(void);

/* Any context.  Stamps ev->seq, copies the record in, wakes readers. */
void smon_ring_push(struct syscallmon_event *ev);

/*
 * Copies up to max records at the cursor into dst and advances it.  A cursor
 * that fell behind the tail first gets one SYSCALLMON_RECORD_LOST record
 * counting exactly what it missed.  Returns the number of records written.
 */
size_t smon_ring_read(struct smon_cursor *cursor, struct syscallmon_event *dst, size_t max);
bool smon_ring_readable(const struct smon_cursor *cursor);
void smon_ring_seek(struct smon_cursor *cursor, bool to_head);

/* Copies record seq into dst if it is still held. */
bool smon_ring_copy(u64 seq, struct syscallmon_event *dst);

/* Drops every record below seq (clamped to the head). */
void smon_ring_clear_below(u64 seq);
void smon_ring_clear_counters(void);
void smon_ring_stats(struct smon_ring_stats *stats);

#endif
