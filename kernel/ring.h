/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event ring: variable-length records in a ring of bytes that
 * overwrites the oldest, one cursor per reader, mappable read-only.
 */
#ifndef SYSCALLMON_RING_H
#define SYSCALLMON_RING_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/syscallmon.h>

struct vm_area_struct;

/* Where a record is: its byte position and its seq. */
struct smon_ring_pos {
	u64 pos;
	u64 seq;
};

/*
 * A reader's position, owned by one open file and attached to the ring
 * while it is open: a clear moves every attached cursor past the records it
 * drops, so a reader is told of records overwritten before it read them,
 * never of records a clear dropped.  Its fields change only inside the
 * smon_ring_* calls, under the ring's lock.
 */
struct smon_cursor {
	struct list_head node;	/* on the ring's list of attached cursors */
	struct smon_ring_pos at;	/* the next record to hand out */
	struct smon_ring_pos told;	/* the head as its last FETCH reported it: a record's start */
	u64 lost;		/* overwritten records this reader was told it lost */
	u64 skipped;		/* overwritten records a clear moved it past, not told yet */
	u64 skipped_seq;	/* the first of those */
	u64 skipped_config;	/* configuration records among them */
	u64 wakeup;		/* bytes to have pending before it is readable (SYSCALLMON_IOC_SET_WAKEUP) */
	bool woken;		/* woken since it last moved: not woken again until it does */
};

struct smon_ring_stats {
	u64 size;
	u64 head;		/* byte positions */
	u64 tail;
	u64 head_seq;
	u64 tail_seq;
	u64 overwritten;
	u64 cleared;
};

extern wait_queue_head_t smon_ring_wait;

/*
 * Fills what every record says of the current task.  The caller is in an
 * RCU read-side critical section (preemption off counts): the parent is
 * read through RCU, and the hot path already is in one.
 */
void smon_task_fill(struct syscallmon_task *task);

int smon_ring_init(u64 size);
void smon_ring_free(void);

/* A record being written in place, from smon_ring_reserve() to smon_ring_commit(). */
struct smon_ring_write {
	unsigned long irqflags;
};

/*
 * Any context.  Makes room for a record of used bytes at the head and
 * returns it with its header's size (used, padded), flags and seq set and
 * its padding zeroed.  The ring's lock stays held, IRQs off, until
 * smon_ring_commit() publishes the record: between the two the caller
 * writes every other byte of it, without sleeping or taking other locks.
 */
struct syscallmon_header *smon_ring_reserve(size_t used, u32 flags, struct smon_ring_write *w);
void smon_ring_commit(struct smon_ring_write *w);

/*
 * Any context.  Appends one record made of a fixed part (starting with its
 * header, whose size, seq and flags are set here) and up to two strings
 * (path and target, lengths including their NUL, 0 for none), padded.
 * seq_copy, if not NULL, is a field of the fixed part that gets the seq too.
 * Returns the record's seq.
 */
u64 smon_ring_push(struct syscallmon_header *fixed, size_t fixed_size, u32 flags, u64 *seq_copy,
		   const char *path, u16 path_len, const char *target, u16 target_len);

/* Process context.  Attaches cursor at the oldest record held; detach before freeing it. */
void smon_ring_attach(struct smon_cursor *cursor);
void smon_ring_detach(struct smon_cursor *cursor);

/*
 * Copies whole records at the cursor into dst (up to len bytes), advancing
 * it; PAD records are skipped.  A cursor that missed overwritten records
 * first gets one SYSCALLMON_RECORD_LOST record counting exactly those.
 * Returns the bytes written.
 */
size_t smon_ring_read(struct smon_cursor *cursor, void *dst, size_t len);
/* Whether the cursor has its wakeup's worth of bytes to read, or a loss to hear of. */
bool smon_ring_readable(const struct smon_cursor *cursor);
/* How many bytes must be pending before the cursor is readable: 1 to half the ring, or -EINVAL. */
int smon_ring_set_wakeup(struct smon_cursor *cursor, u64 bytes);
/* Moves the cursor to the oldest record held or to the head, forgetting what it missed. */
void smon_ring_seek(struct smon_cursor *cursor, bool to_head);
/* The cursor's next seq and the records it was told it lost, read together. */
void smon_ring_position(const struct smon_cursor *cursor, u64 *next, u64 *lost);
/*
 * A mapped reader delivered the records before at: moves its cursor there
 * (never back, never into a record it can't have read) and then past what
 * was overwritten, unless fetch->flags keeps that loss for the cursor's next
 * reader; fills fetch for SYSCALLMON_IOC_FETCH.
 */
int smon_ring_fetch(struct smon_cursor *cursor, struct syscallmon_fetch *fetch);

/*
 * Copies the record at or after *at (the oldest held if *at was
 * overwritten) into dst, if it is below end, and moves *at past it.  PAD
 * records are skipped.  False when there is none.
 */
bool smon_ring_copy_next(struct smon_ring_pos *at, u64 end_seq, void *dst, size_t len);
/* Where the oldest record held and the head are now. */
void smon_ring_bounds(struct smon_ring_pos *tail, struct smon_ring_pos *head);

/* Drops every record below seq (clamped to the head), counted as cleared. */
void smon_ring_clear_below(u64 seq);
void smon_ring_clear_counters(void);
void smon_ring_stats(struct smon_ring_stats *stats);

/* Maps the control page and the records read-only (SYSCALLMON_MMAP_DATA). */
int smon_ring_mmap(struct vm_area_struct *vma);

#endif
