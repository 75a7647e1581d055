/* SPDX-License-Identifier: GPL-2.0 */
/* The event ring: fixed-size records, overwrite-oldest, one cursor per reader. */
#ifndef SYSCALLMON_RING_H
#define SYSCALLMON_RING_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/syscallmon.h>

/*
 * A reader's position, owned by one open file and attached to the ring
 * while it is open: a clear moves every attached cursor past the records it
 * drops, so a reader is told of records overwritten before it read them,
 * never of records a clear dropped.  Its fields change only inside the
 * smon_ring_* calls, under the ring's lock.
 */
struct smon_cursor {
	struct list_head node;	/* on the ring's list of attached cursors */
	u64 next;		/* seq of the next record to hand out */
	u64 lost;		/* overwritten records this reader was told it lost */
	u64 skipped;		/* overwritten records a clear moved next past, not told yet */
	u64 skipped_seq;	/* the first of those */
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

/* Process context.  Attaches cursor at the oldest record held; detach before freeing it. */
void smon_ring_attach(struct smon_cursor *cursor);
void smon_ring_detach(struct smon_cursor *cursor);

/*
 * Copies up to max records at the cursor into dst and advances it.  A cursor
 * that missed overwritten records first gets one SYSCALLMON_RECORD_LOST
 * record counting exactly those.  Returns the number of records written.
 */
size_t smon_ring_read(struct smon_cursor *cursor, struct syscallmon_event *dst, size_t max);
bool smon_ring_readable(const struct smon_cursor *cursor);
/* Moves the cursor to the oldest record held or to the head, forgetting what it missed. */
void smon_ring_seek(struct smon_cursor *cursor, bool to_head);
/* The cursor's next seq and the records it was told it lost, read together. */
void smon_ring_position(const struct smon_cursor *cursor, u64 *next, u64 *lost);

/* Copies the oldest record held whose seq is at least seq; false if there is none. */
bool smon_ring_copy_from(u64 seq, struct syscallmon_event *dst);

/* Drops every record below seq (clamped to the head), counted as cleared. */
void smon_ring_clear_below(u64 seq);
void smon_ring_clear_counters(void);
void smon_ring_stats(struct smon_ring_stats *stats);

#endif
