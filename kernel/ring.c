// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "main.h"
#include "ring.h"

/*
 * Records live at records[seq & mask].  head - tail <= capacity always holds;
 * a push into a full ring advances tail and counts the eviction.
 *
 * The tail moves for two reasons that a reader must tell apart: a push
 * overwrites the oldest record (lost to whoever had not read it), or a clear
 * drops records on purpose (lost to nobody).  A clear therefore moves every
 * attached cursor that is behind it, noting first what that cursor had
 * already missed to overwrites.  So for any attached cursor, the records
 * between it and the tail were all overwritten, and a read counts them as
 * lost without knowing the history.
 *
 * ring_lock protects records, head, tail, the counters, the cursor list and
 * the attached cursors' fields.  It is taken with irqsave: kprobe handlers
 * run in whatever context the probed function is called from, and a probe
 * hit from an interrupt on a CPU already holding the lock in process context
 * would otherwise deadlock on itself.  Readers hold it only to memcpy a
 * bounded batch (see SMON_READ_BATCH in device.c); a clear holds it for one
 * step per attached cursor (one per open file of the device).
 */
static DEFINE_SPINLOCK(ring_lock);
static struct syscallmon_event *records;
static u32 ring_mask;
static u64 ring_head;
static u64 ring_tail;
static u64 ring_overwritten;
static u64 ring_cleared;
static LIST_HEAD(ring_cursors);

DECLARE_WAIT_QUEUE_HEAD(smon_ring_wait);

void smon_event_init(struct syscallmon_event *ev, u16 type)
{
	struct task_struct *task = current;
	const struct cred *cred = current_cred();

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ts_ns = ktime_get_real_ns();
	ev->pid = task->pid;
	ev->tgid = task->tgid;
	rcu_read_lock();
	ev->ppid = task_tgid_nr(rcu_dereference(task->real_parent));
	rcu_read_unlock();
	ev->uid = __kuid_val(cred->uid);
	ev->gid = __kgid_val(cred->gid);
	/* Racy against a concurrent rename, like perf's comm reads; always NUL-terminated. */
	memcpy(ev->comm, task->comm, sizeof(ev->comm));
	ev->comm[sizeof(ev->comm) - 1] = '\0';
}

int smon_ring_init(u32 capacity)
{
	records = smon_vzalloc(array_size(capacity, sizeof(*records)));
	if (!records)
		return -ENOMEM;
	ring_mask = capacity - 1;
	ring_head = 0;
	ring_tail = 0;
	ring_overwritten = 0;
	ring_cleared = 0;
	return 0;
}

void smon_ring_free(void)
{
	smon_vfree(records);
	records = NULL;
}

void smon_ring_push(struct syscallmon_event *ev)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	ev->seq = ring_head;
	if (ring_head - ring_tail > ring_mask) {
		ring_tail++;
		ring_overwritten++;
	}
	memcpy(&records[ring_head & ring_mask], ev, sizeof(*ev));
	ring_head++;
	spin_unlock_irqrestore(&ring_lock, flags);

	/* wq_has_sleeper() orders the push before the check; most pushes have no sleeper. */
	if (wq_has_sleeper(&smon_ring_wait))
		wake_up_interruptible_poll(&smon_ring_wait, EPOLLIN | EPOLLRDNORM);
}

static void fill_lost_record(struct syscallmon_event *rec, u64 first_seq, u64 count)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = SYSCALLMON_RECORD_LOST;
	rec->nr = SYSCALLMON_NR_NONE;
	rec->path_flags = SYSCALLMON_PATH_NONE;
	rec->seq = first_seq;
	rec->ts_ns = ktime_get_real_ns();
	rec->lost = count;
}

void smon_ring_attach(struct smon_cursor *cursor)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	cursor->next = ring_tail;
	cursor->lost = 0;
	cursor->skipped = 0;
	list_add(&cursor->node, &ring_cursors);
	spin_unlock_irqrestore(&ring_lock, flags);
}

void smon_ring_detach(struct smon_cursor *cursor)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	list_del(&cursor->node);
	spin_unlock_irqrestore(&ring_lock, flags);
}

size_t smon_ring_read(struct smon_cursor *cursor, struct syscallmon_event *dst, size_t max)
{
	unsigned long flags;
	size_t n = 0;

	if (!max)
		return 0;
	spin_lock_irqsave(&ring_lock, flags);
	if (cursor->skipped || cursor->next < ring_tail) {
		/* Records between the cursor and the tail were overwritten (see ring_lock). */
		u64 overtaken = cursor->next < ring_tail ? ring_tail - cursor->next : 0;
		u64 first = cursor->skipped ? cursor->skipped_seq : cursor->next;
		u64 missed = cursor->skipped + overtaken;

		fill_lost_record(&dst[n++], first, missed);
		cursor->lost += missed;
		cursor->skipped = 0;
		WRITE_ONCE(cursor->next, cursor->next + overtaken);
	}
	while (n < max && cursor->next < ring_head) {
		memcpy(&dst[n++], &records[cursor->next & ring_mask], sizeof(*dst));
		WRITE_ONCE(cursor->next, cursor->next + 1);
	}
	spin_unlock_irqrestore(&ring_lock, flags);
	return n;
}

/* Lockless, for poll and wait conditions: a stale answer is followed by a wakeup or a retry. */
bool smon_ring_readable(const struct smon_cursor *cursor)
{
	return READ_ONCE(cursor->next) != READ_ONCE(ring_head) || READ_ONCE(cursor->skipped);
}

void smon_ring_seek(struct smon_cursor *cursor, bool to_head)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	WRITE_ONCE(cursor->next, to_head ? ring_head : ring_tail);
	WRITE_ONCE(cursor->skipped, 0);
	spin_unlock_irqrestore(&ring_lock, flags);
}

void smon_ring_position(const struct smon_cursor *cursor, u64 *next, u64 *lost)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	*next = cursor->next;
	*lost = cursor->lost;
	spin_unlock_irqrestore(&ring_lock, flags);
}

bool smon_ring_copy_from(u64 seq, struct syscallmon_event *dst)
{
	unsigned long flags;
	bool held;

	spin_lock_irqsave(&ring_lock, flags);
	if (seq < ring_tail)
		seq = ring_tail;
	held = seq < ring_head;
	if (held)
		memcpy(dst, &records[seq & ring_mask], sizeof(*dst));
	spin_unlock_irqrestore(&ring_lock, flags);
	return held;
}

void smon_ring_clear_below(u64 seq)
{
	struct smon_cursor *cursor;
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	if (seq > ring_head)
		seq = ring_head;
	if (seq > ring_tail) {
		list_for_each_entry(cursor, &ring_cursors, node) {
			if (cursor->next >= seq)
				continue;
			if (cursor->next < ring_tail) {
				if (!cursor->skipped)
					cursor->skipped_seq = cursor->next;
				WRITE_ONCE(cursor->skipped, cursor->skipped + ring_tail - cursor->next);
			}
			WRITE_ONCE(cursor->next, seq);
		}
		ring_cleared += seq - ring_tail;
		ring_tail = seq;
	}
	spin_unlock_irqrestore(&ring_lock, flags);
}

void smon_ring_clear_counters(void)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	ring_overwritten = 0;
	ring_cleared = 0;
	spin_unlock_irqrestore(&ring_lock, flags);
}

void smon_ring_stats(struct smon_ring_stats *stats)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	stats->capacity = ring_mask + 1;
	stats->head = ring_head;
	stats->tail = ring_tail;
	stats->overwritten = ring_overwritten;
	stats->cleared = ring_cleared;
	spin_unlock_irqrestore(&ring_lock, flags);
}
