// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/align.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "main.h"
#include "ring.h"

/*
 * Records are bytes [tail, head) of a ring of ring_size bytes, each at
 * data[pos & ring_mask], each a multiple of SYSCALLMON_RECORD_ALIGN long.
 * None straddles the end: a push that would is preceded by a PAD record
 * filling the end.  A push that doesn't fit evicts the oldest records
 * (tail moves on) and counts them overwritten.
 *
 * The tail moves for two reasons that a reader must tell apart: a push
 * overwrites the oldest record (lost to whoever had not read it), or a clear
 * drops records on purpose (lost to nobody).  A clear therefore moves every
 * attached cursor that is behind it, noting first what that cursor had
 * already missed to overwrites.  So for any attached cursor, the records
 * between it and the tail were all overwritten, and a read counts them as
 * lost without knowing the history.
 *
 * Mapped readers copy records without the lock.  So a push publishes the
 * new tail (in the control page) before it overwrites anything, and the new
 * head only after the record is whole: a reader that copied the record at
 * pos and then sees tail <= pos has read it whole.
 *
 * ring_lock protects the records, head, tail, the counters, the cursor list,
 * the attached cursors' fields and the point at which readers are due a
 * wake-up (ring_wake_at).  It is taken with irqsave: the entry
 * hook runs in whatever context the hooked function is called from.  Readers
 * hold it only to copy a bounded batch (see SMON_READ_BYTES in device.c); a
 * clear holds it for a walk over what it drops and one step per attached
 * cursor (one per open file of the device).
 */
static DEFINE_SPINLOCK(ring_lock);
static void *area;			/* vmalloc_user: the control page, then the records */
static struct syscallmon_ring_page *page;
static u8 *data;
static u64 ring_size;
static u64 ring_mask;
static u64 ring_head;
static u64 ring_tail;
static u64 ring_head_seq;
static u64 ring_tail_seq;
static u64 ring_overwritten;
static u64 ring_cleared;
static LIST_HEAD(ring_cursors);
/*
 * The head position from which some attached reader is due a wake-up: the
 * lowest cursor position plus that reader's wakeup (0 for a reader with
 * skipped records to hear of) among readers not yet woken, U64_MAX when
 * there is none.  A push that leaves the head below it wakes nobody, so a
 * reader that asked for a batch of bytes (SYSCALLMON_IOC_SET_WAKEUP) sleeps
 * through the pushes before it instead of being woken by each to find too
 * little.  A reader is woken once and then not again until its cursor
 * moves: a reader that is slow to get the CPU costs the producer one
 * wake-up, not one per record.
 */
static u64 ring_wake_at = U64_MAX;

/*
 * The seqs of the configuration records overwritten last, so that a reader
 * is told how many of the records it lost were configuration records.
 */
#define CONFIG_KEPT 4096
static u64 overwritten_config[CONFIG_KEPT];
static u64 overwritten_config_n;	/* ever */

DECLARE_WAIT_QUEUE_HEAD(smon_ring_wait);

static struct syscallmon_header *record_at(u64 pos)
{
	return (struct syscallmon_header *)(data + (pos & ring_mask));
}

void smon_task_fill(struct syscallmon_task *t)
{
	struct task_struct *task = current;
	const struct cred *cred = current_cred();

	t->pid = task->pid;
	t->tgid = task->tgid;
	t->ppid = task_tgid_nr(rcu_dereference_check(task->real_parent, rcu_read_lock_any_held()));
	t->uid = __kuid_val(cred->uid);
	t->gid = __kgid_val(cred->gid);
	t->reserved = 0;
	/* Racy against a concurrent rename, like perf's comm reads; always NUL-terminated. */
	memcpy(t->comm, task->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
}

int smon_ring_init(u64 size)
{
	area = vmalloc_user(PAGE_SIZE + size);
	if (!area)
		return -ENOMEM;
	atomic64_inc(&smon_allocs_live);
	page = area;
	data = (u8 *)area + PAGE_SIZE;
	ring_size = size;
	ring_mask = size - 1;
	ring_head = ring_tail = ring_head_seq = ring_tail_seq = 0;
	ring_overwritten = ring_cleared = 0;
	ring_wake_at = U64_MAX;
	overwritten_config_n = 0;
	page->size = size;
	return 0;
}

void smon_ring_free(void)
{
	vfree(area);
	atomic64_dec(&smon_allocs_live);
	area = NULL;
}

/* Caller holds ring_lock: the oldest record goes, overwritten or cleared. */
static void drop_oldest(u64 *counter)
{
	const struct syscallmon_header *h = record_at(ring_tail);

	if (h->type != SYSCALLMON_RECORD_PAD) {
		if (h->type == SYSCALLMON_RECORD_CONFIG && counter == &ring_overwritten)
			overwritten_config[overwritten_config_n++ % CONFIG_KEPT] = ring_tail_seq;
		ring_tail_seq++;
		(*counter)++;
	}
	ring_tail += h->size;
}

/* Caller holds ring_lock: how many configuration records in seqs [from, to) were overwritten. */
static u64 config_overwritten(u64 from, u64 to)
{
	u64 i, n = 0, kept = min_t(u64, overwritten_config_n, CONFIG_KEPT);

	for (i = 1; i <= kept; i++) {
		u64 seq = overwritten_config[(overwritten_config_n - i) % CONFIG_KEPT];

		if (seq < from)
			break;
		n += seq < to;
	}
	return n;
}

/* Caller holds ring_lock; before anything at the old tail is overwritten. */
static void publish_tail(void)
{
	WRITE_ONCE(page->tail_seq, ring_tail_seq);
	WRITE_ONCE(page->tail, ring_tail);
	smp_wmb();	/* the tail is seen moved before the bytes change */
}

/* Caller holds ring_lock, after a cursor moved, came, went or changed its wakeup. */
static void update_wake_at(void)
{
	const struct smon_cursor *cursor;
	u64 at = U64_MAX;

	list_for_each_entry(cursor, &ring_cursors, node)
		if (!cursor->woken)
			at = min(at, cursor->skipped ? 0 : cursor->at.pos + cursor->wakeup);
	ring_wake_at = at;
}

/* Caller holds ring_lock; a cursor that moves is due a wake-up again. */
static void cursor_moved(struct smon_cursor *cursor)
{
	cursor->woken = false;
	update_wake_at();
}

/* Caller holds ring_lock: are enough records pending for the cursor's reader to wake? */
static bool cursor_due(const struct smon_cursor *cursor)
{
	return cursor->skipped || ring_head - cursor->at.pos >= cursor->wakeup;
}

/* Caller holds ring_lock and is about to wake the readers: those due are woken. */
static noinline void mark_woken(void)
{
	struct smon_cursor *cursor;

	list_for_each_entry(cursor, &ring_cursors, node)
		if (cursor_due(cursor))
			cursor->woken = true;
	update_wake_at();
}

/*
 * After a reader's own change made it due without a push (a lower wakeup, a
 * seek back): no push may come to wake another thread asleep on its file.
 */
static void wake_if_due(bool due)
{
	if (due)
		wake_up_interruptible_poll(&smon_ring_wait, EPOLLIN | EPOLLRDNORM);
}

/* Both halves of a push, inlined into smon_ring_push() and wrapped for writers in place. */
static __always_inline struct syscallmon_header *reserve(size_t used, u32 flags,
							  unsigned long *irqflags)
{
	size_t size = ALIGN(used, SYSCALLMON_RECORD_ALIGN);
	struct syscallmon_header *h;
	u64 off, pad;

	spin_lock_irqsave(&ring_lock, *irqflags);
	off = ring_head & ring_mask;
	pad = off + size > ring_size ? ring_size - off : 0;
	if (ring_head + pad + size - ring_tail > ring_size) {
		while (ring_head + pad + size - ring_tail > ring_size)
			drop_oldest(&ring_overwritten);
		publish_tail();
	}
	if (pad) {
		h = record_at(ring_head);
		h->size = pad;
		h->type = SYSCALLMON_RECORD_PAD;
		h->flags = 0;
		ring_head += pad;
	}
	h = record_at(ring_head);
	/* The padding is the end of the last word, which the writer then fills up to used. */
	BUILD_BUG_ON(SYSCALLMON_RECORD_ALIGN != sizeof(u64));
	*(u64 *)((u8 *)h + size - sizeof(u64)) = 0;
	h->size = size;
	h->flags = flags;
	h->seq = ring_head_seq++;
	return h;
}

static __always_inline void commit(unsigned long irqflags)
{
	bool due;

	ring_head += record_at(ring_head)->size;
	WRITE_ONCE(page->head_seq, ring_head_seq);
	smp_store_release(&page->head, ring_head);	/* the record is whole before it is seen */
	due = ring_head >= ring_wake_at;
	if (unlikely(due))
		mark_woken();
	spin_unlock_irqrestore(&ring_lock, irqflags);

	/* wq_has_sleeper() orders the push before the check; most pushes have no sleeper. */
	if (due && wq_has_sleeper(&smon_ring_wait))
		wake_up_interruptible_poll(&smon_ring_wait, EPOLLIN | EPOLLRDNORM);
}

struct syscallmon_header *smon_ring_reserve(size_t used, u32 flags, struct smon_ring_write *w)
{
	return reserve(used, flags, &w->irqflags);
}

void smon_ring_commit(struct smon_ring_write *w)
{
	commit(w->irqflags);
}

u64 smon_ring_push(struct syscallmon_header *fixed, size_t fixed_size, u32 flags, u64 *seq_copy,
		   const char *path, u16 path_len, const char *target, u16 target_len)
{
	unsigned long irqflags;
	struct syscallmon_header *h = reserve(fixed_size + path_len + target_len, flags, &irqflags);
	u64 seq = h->seq;

	fixed->size = h->size;
	fixed->flags = flags;
	fixed->seq = seq;
	if (seq_copy)
		*seq_copy = seq;
	memcpy(h, fixed, fixed_size);
	/* Most records lack one string or both: a call to copy nothing costs a dozen instructions. */
	if (path_len)
		memcpy((u8 *)h + fixed_size, path, path_len);
	if (target_len)
		memcpy((u8 *)h + fixed_size + path_len, target, target_len);
	commit(irqflags);
	return seq;
}

void smon_ring_attach(struct smon_cursor *cursor)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	cursor->at.pos = ring_tail;
	cursor->at.seq = ring_tail_seq;
	cursor->told = cursor->at;
	cursor->lost = 0;
	cursor->skipped = 0;
	cursor->skipped_config = 0;
	cursor->wakeup = 1;
	cursor->woken = false;
	list_add(&cursor->node, &ring_cursors);
	update_wake_at();
	spin_unlock_irqrestore(&ring_lock, flags);
}

void smon_ring_detach(struct smon_cursor *cursor)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	list_del(&cursor->node);
	update_wake_at();
	spin_unlock_irqrestore(&ring_lock, flags);
}

/*
 * Caller holds ring_lock: how many records the cursor missed, overwritten or
 * skipped by a clear (0 if none), and how many of them were configuration
 * records in *config.
 */
static u64 missed_by(const struct smon_cursor *cursor, u64 *config)
{
	/* Records between the cursor and the tail were overwritten (see ring_lock). */
	u64 overtaken = cursor->at.pos < ring_tail ? ring_tail_seq - cursor->at.seq : 0;

	*config = cursor->skipped_config + (overtaken ? config_overwritten(cursor->at.seq, ring_tail_seq) : 0);
	return cursor->skipped + overtaken;
}

/*
 * Caller holds ring_lock: counts what the cursor missed as lost, moves an
 * overtaken cursor to the tail and returns missed_by(), the first of them
 * in *first.
 */
static u64 catch_up(struct smon_cursor *cursor, u64 *first, u64 *config)
{
	u64 missed = missed_by(cursor, config);

	if (!missed)
		return 0;
	*first = cursor->skipped ? cursor->skipped_seq : cursor->at.seq;
	cursor->lost += missed;
	cursor->skipped = 0;
	cursor->skipped_config = 0;
	if (cursor->at.pos < ring_tail) {
		WRITE_ONCE(cursor->at.pos, ring_tail);
		cursor->at.seq = ring_tail_seq;
	}
	return missed;
}

size_t smon_ring_read(struct smon_cursor *cursor, void *dst, size_t len)
{
	unsigned long flags;
	u64 missed, first, config;
	size_t n = 0;

	if (len < SYSCALLMON_RECORD_MAX)
		return 0;
	spin_lock_irqsave(&ring_lock, flags);
	missed = catch_up(cursor, &first, &config);
	if (missed) {
		struct syscallmon_lost *lost = dst;

		memset(lost, 0, sizeof(*lost));
		lost->h.size = sizeof(*lost);
		lost->h.type = SYSCALLMON_RECORD_LOST;
		lost->h.seq = first;
		lost->h.ts_ns = ktime_get_real_ns();
		lost->count = missed;
		lost->config = config;
		n = sizeof(*lost);
	}
	while (cursor->at.pos < ring_head) {
		const struct syscallmon_header *h = record_at(cursor->at.pos);

		if (h->type != SYSCALLMON_RECORD_PAD) {
			if (n + h->size > len)
				break;
			memcpy((u8 *)dst + n, h, h->size);
			n += h->size;
			cursor->at.seq++;
		}
		WRITE_ONCE(cursor->at.pos, cursor->at.pos + h->size);
	}
	cursor_moved(cursor);
	spin_unlock_irqrestore(&ring_lock, flags);
	return n;
}

/* Lockless, for poll and wait conditions: a stale answer is followed by a wakeup or a retry. */
bool smon_ring_readable(const struct smon_cursor *cursor)
{
	/* The cursor first: it never passes the head, so the difference can't wrap. */
	u64 pos = READ_ONCE(cursor->at.pos);

	smp_rmb();
	return READ_ONCE(ring_head) - pos >= READ_ONCE(cursor->wakeup) || READ_ONCE(cursor->skipped);
}

int smon_ring_set_wakeup(struct smon_cursor *cursor, u64 bytes)
{
	unsigned long flags;
	bool due;

	/* Beyond half the ring, records would be overwritten before their reader woke. */
	if (!bytes || bytes > ring_size / 2)
		return -EINVAL;
	spin_lock_irqsave(&ring_lock, flags);
	WRITE_ONCE(cursor->wakeup, bytes);
	cursor_moved(cursor);
	due = cursor_due(cursor);
	spin_unlock_irqrestore(&ring_lock, flags);
	wake_if_due(due);
	return 0;
}

void smon_ring_seek(struct smon_cursor *cursor, bool to_head)
{
	unsigned long flags;
	bool due;

	spin_lock_irqsave(&ring_lock, flags);
	WRITE_ONCE(cursor->at.pos, to_head ? ring_head : ring_tail);
	cursor->at.seq = to_head ? ring_head_seq : ring_tail_seq;
	WRITE_ONCE(cursor->skipped, 0);
	cursor->skipped_config = 0;
	cursor_moved(cursor);
	due = cursor_due(cursor);
	spin_unlock_irqrestore(&ring_lock, flags);
	wake_if_due(due);
}

void smon_ring_position(const struct smon_cursor *cursor, u64 *next, u64 *lost)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	*next = cursor->at.seq;
	*lost = cursor->lost;
	spin_unlock_irqrestore(&ring_lock, flags);
}

/*
 * Caller holds ring_lock: is at a place the cursor's reader can have stopped
 * at since?  Only the start of a record is: a read from inside one would
 * take its bytes (a path, a policy's tag: the caller's choice) for headers,
 * whose sizes lead out of the ring or nowhere.  A header there proves
 * nothing, so the records from the cursor are walked up to at: the ones its
 * reader read since.  A reader that delivered all it was told of, the usual
 * FETCH, gives back the head its last FETCH reported: no walk.
 */
static bool plausible(const struct smon_cursor *cursor, const struct smon_ring_pos *at)
{
	u64 pos = ring_tail, seq = ring_tail_seq;

	if (at->pos == ring_head)
		return at->seq == ring_head_seq;
	if (at->pos < ring_tail)
		return at->seq <= ring_tail_seq;	/* overwritten since: counted as lost */
	if (at->pos > ring_head)
		return false;
	if (at->pos == cursor->told.pos)
		return at->seq == cursor->told.seq;
	/* A cursor at or past the tail is at a record's start: every move put it on one. */
	if (cursor->at.pos >= ring_tail) {
		pos = cursor->at.pos;
		seq = cursor->at.seq;
	}
	while (pos < at->pos) {
		const struct syscallmon_header *h = record_at(pos);

		seq += h->type != SYSCALLMON_RECORD_PAD;
		pos += h->size;
	}
	return pos == at->pos && seq == at->seq;
}

int smon_ring_fetch(struct smon_cursor *cursor, struct syscallmon_fetch *fetch)
{
	struct smon_ring_pos given = { fetch->pos, fetch->seq };
	bool keep_loss = fetch->flags & SYSCALLMON_FETCH_KEEP_LOSS;
	unsigned long flags;
	bool due = false;
	u64 first;
	int ret = 0;

	if (fetch->flags & ~SYSCALLMON_FETCH_KEEP_LOSS || fetch->reserved)
		return -EINVAL;
	spin_lock_irqsave(&ring_lock, flags);
	/* Behind the cursor: a clear moved it since (or the reader went back): keep it. */
	if (given.pos > cursor->at.pos) {
		if (given.seq < cursor->at.seq || !plausible(cursor, &given)) {
			ret = -EINVAL;
			goto out;
		}
		WRITE_ONCE(cursor->at.pos, given.pos);
		cursor->at.seq = given.seq;
	}
	if (keep_loss)
		fetch->lost = missed_by(cursor, &fetch->lost_config);
	else
		fetch->lost = catch_up(cursor, &first, &fetch->lost_config);
	fetch->pos = cursor->at.pos;
	fetch->seq = cursor->at.seq;
	fetch->head = ring_head;
	cursor->told.pos = ring_head;
	cursor->told.seq = ring_head_seq;
	cursor_moved(cursor);
	/* A loss left for the file's next reader: one asleep on it hears of it now. */
	due = keep_loss && fetch->lost && cursor_due(cursor);
out:
	spin_unlock_irqrestore(&ring_lock, flags);
	wake_if_due(due);
	return ret;
}

bool smon_ring_copy_next(struct smon_ring_pos *at, u64 end_seq, void *dst, size_t len)
{
	const struct syscallmon_header *h;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&ring_lock, flags);
	if (at->pos < ring_tail) {
		at->pos = ring_tail;
		at->seq = ring_tail_seq;
	}
	for (; at->pos < ring_head && at->seq < end_seq; at->pos += h->size) {
		h = record_at(at->pos);
		if (h->type == SYSCALLMON_RECORD_PAD)
			continue;
		memcpy(dst, h, min_t(size_t, h->size, len));
		at->pos += h->size;
		at->seq++;
		found = true;
		break;
	}
	spin_unlock_irqrestore(&ring_lock, flags);
	return found;
}

void smon_ring_bounds(struct smon_ring_pos *tail, struct smon_ring_pos *head)
{
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	tail->pos = ring_tail;
	tail->seq = ring_tail_seq;
	head->pos = ring_head;
	head->seq = ring_head_seq;
	spin_unlock_irqrestore(&ring_lock, flags);
}

void smon_ring_clear_below(u64 seq)
{
	struct smon_cursor *cursor;
	u64 old_tail, old_tail_seq;
	unsigned long flags;

	spin_lock_irqsave(&ring_lock, flags);
	if (seq > ring_head_seq)
		seq = ring_head_seq;
	if (seq <= ring_tail_seq)
		goto out;
	old_tail = ring_tail;
	old_tail_seq = ring_tail_seq;
	while (ring_tail_seq < seq)
		drop_oldest(&ring_cleared);
	list_for_each_entry(cursor, &ring_cursors, node) {
		if (cursor->at.seq >= seq)
			continue;
		if (cursor->at.pos < old_tail) {
			if (!cursor->skipped)
				cursor->skipped_seq = cursor->at.seq;
			cursor->skipped_config += config_overwritten(cursor->at.seq, old_tail_seq);
			WRITE_ONCE(cursor->skipped, cursor->skipped + old_tail_seq - cursor->at.seq);
		}
		WRITE_ONCE(cursor->at.pos, ring_tail);
		cursor->at.seq = ring_tail_seq;
		cursor->woken = false;
	}
	update_wake_at();
	publish_tail();
out:
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
	stats->size = ring_size;
	stats->head = ring_head;
	stats->tail = ring_tail;
	stats->head_seq = ring_head_seq;
	stats->tail_seq = ring_tail_seq;
	stats->overwritten = ring_overwritten;
	stats->cleared = ring_cleared;
	spin_unlock_irqrestore(&ring_lock, flags);
}

int smon_ring_mmap(struct vm_area_struct *vma)
{
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	/* Readers see the ring; none may change it, not even in a private copy. */
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	if (vma->vm_pgoff + pages > (PAGE_SIZE + ring_size) >> PAGE_SHIFT)
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
#else
	vma->vm_flags &= ~(VM_MAYWRITE | VM_MAYEXEC);
#endif
	return remap_vmalloc_range(vma, area, vma->vm_pgoff);
}
