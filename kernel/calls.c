// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <asm/word-at-a-time.h>

#include "calls.h"
#include "main.h"
#include "policy.h"
#include "ring.h"
#include "syscalls.h"

/*
 * A call followed to its return.  The entry hook fills it (it can't sleep:
 * the path is read without faulting pages in) and queues a task_work on
 * the calling task; the kernel runs that on the task's way back to user
 * space, after the call returned, with the result in the task's saved ax.
 * So the return costs no probe on any function, and a call waiting in
 * read() for hours holds one slot and nothing else.  Calls do not nest: a
 * task has at most one slot.
 */
struct smon_slot {
	struct callback_head work;
	struct task_struct *task;	/* a reference: unload cancels through it */
	u32 next_free;			/* free list link; under slots_lock */
	bool busy;			/* taken, until its call's record is written */
	u32 flags;			/* SYSCALLMON_SYSCALL_* so far */
	bool failed_only;
	u64 entry_ns;			/* CLOCK_MONOTONIC */
	struct syscallmon_syscall rec;	/* the fixed part, all but the result */
	char path[SYSCALLMON_PATH_LEN];
	char target_buf[SYSCALLMON_TARGET_LEN];
	const char *target;		/* the fd target, in target_buf */
};

/*
 * Free slots are on a list under slots_lock (taken with irqsave from the
 * hook, preemption off, and from task context) or are a CPU's spare: one
 * free slot per CPU kept off the list, so that most calls take and give
 * back a slot with one atomic exchange and no lock.  Spares are exchanged
 * with xchg() (locked), never this_cpu ops, because a caller that finds no
 * free slot takes other CPUs' spares.  Waiters at unload sleep on
 * slots_freed until in_flight is 0.
 */
static DEFINE_SPINLOCK(slots_lock);
static DECLARE_WAIT_QUEUE_HEAD(slots_freed);
static struct smon_slot *slots;
static u32 nr_slots;
static u32 free_head;		/* index + 1 of the first free slot; 0: none */
static DEFINE_PER_CPU(struct smon_slot *, spare_slot);
static atomic64_t in_flight;

/*
 * Where a record's strings are read when nothing holds the call (the hook
 * runs with preemption off), before the record is written in place in the
 * ring: its size depends on them.
 */
struct scratch {
	char path[SYSCALLMON_PATH_LEN];
	char target_buf[SYSCALLMON_TARGET_LEN];
};
static struct scratch __percpu *scratch;

/* The list's first free slot, else any CPU's spare: none only when every slot is taken. */
static struct smon_slot *slot_get_slow(void)
{
	struct smon_slot *slot = NULL;
	unsigned long flags;
	int cpu;

	spin_lock_irqsave(&slots_lock, flags);
	if (free_head) {
		slot = &slots[free_head - 1];
		free_head = slot->next_free;
	}
	spin_unlock_irqrestore(&slots_lock, flags);
	if (slot)
		return slot;
	for_each_possible_cpu(cpu) {
		slot = xchg(per_cpu_ptr(&spare_slot, cpu), NULL);
		if (slot)
			break;
	}
	return slot;
}

/* Preemption is off (the hook). */
static struct smon_slot *slot_get(void)
{
	struct smon_slot *slot = xchg(this_cpu_ptr(&spare_slot), NULL);

	if (!slot)
		slot = slot_get_slow();
	if (slot) {
		WRITE_ONCE(slot->busy, true);
		atomic64_inc(&in_flight);
	}
	return slot;
}

static void slot_put(struct smon_slot *slot)
{
	unsigned long flags;
	bool spared;

	put_task_struct(slot->task);
	WRITE_ONCE(slot->busy, false);
	spared = !cmpxchg(get_cpu_ptr(&spare_slot), NULL, slot);
	put_cpu_ptr(&spare_slot);
	if (!spared) {
		spin_lock_irqsave(&slots_lock, flags);
		slot->next_free = free_head;
		free_head = slot - slots + 1;
		spin_unlock_irqrestore(&slots_lock, flags);
	}
	/* The slot is free before unload can see in_flight at 0 and free every slot. */
	atomic64_dec(&in_flight);
	/* wq_has_sleeper() orders in_flight's update before the check; only unload ever waits. */
	if (wq_has_sleeper(&slots_freed))
		wake_up(&slots_freed);
}

/*
 * strncpy_from_user() without its hardened-usercopy check of dst, a fixed
 * buffer of ours (that check cost more than copying a short path), a word
 * at a time as it does: the count copied without the NUL, or -EFAULT.
 */
static long copy_user_string(char *dst, const char __user *src, long count)
{
	const struct word_at_a_time constants = WORD_AT_A_TIME_CONSTANTS;
	/* A tagged pointer (x86 LAM) is checked without its tag, as the kernel's own copy does. */
	unsigned long addr = (unsigned long)untagged_addr(src);
	long res = 0, max;

	if (addr >= TASK_SIZE_MAX)
		return -EFAULT;
	max = min_t(unsigned long, count, TASK_SIZE_MAX - addr);
	if (!user_read_access_begin(src, max))
		return -EFAULT;
	while (max >= (long)sizeof(unsigned long)) {
		unsigned long c, data;

		/* A word may cross into an unmapped page the string doesn't reach: then bytes. */
		unsafe_get_user(c, (const unsigned long __user *)(src + res), byte_at_a_time);
		if (has_zero(c, &data, &constants)) {
			data = prep_zero_mask(c, data, &constants);
			data = create_zero_mask(data);
			*(unsigned long *)(dst + res) = c & zero_bytemask(data);
			res += find_zero(data);
			goto out;
		}
		*(unsigned long *)(dst + res) = c;
		res += sizeof(unsigned long);
		max -= sizeof(unsigned long);
	}
byte_at_a_time:
	while (max) {
		char c;

		unsafe_get_user(c, src + res, efault);
		dst[res] = c;
		if (!c)
			goto out;
		res++;
		max--;
	}
	/* count bytes without a NUL: too long; fewer: the end of user space. */
	if (res < count)
		goto efault;
out:
	user_read_access_end();
	return res;
efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * Copies a NUL-terminated user string from pages already there: the hook
 * may not sleep, and a page only a user's FUSE daemon can bring in would
 * hold up the return (and unload, which waits for it).
 */
static u32 read_path(char *buf, unsigned long uaddr, u32 *flags)
{
	long n;

	*flags &= ~(SYSCALLMON_SYSCALL_PATH | SYSCALLMON_SYSCALL_PATH_UNREADABLE |
		    SYSCALLMON_SYSCALL_PATH_TRUNCATED);
	/* NULL is "no path" (utimensat(fd, NULL, ...)), not an unreadable one. */
	if (!uaddr)
		return 0;
	pagefault_disable();
	n = copy_user_string(buf, (const char __user *)uaddr, SYSCALLMON_PATH_LEN);
	pagefault_enable();
	if (n < 0) {
		*flags |= SYSCALLMON_SYSCALL_PATH_UNREADABLE;
		return 0;
	}
	*flags |= SYSCALLMON_SYSCALL_PATH;
	if (n >= SYSCALLMON_PATH_LEN) {
		*flags |= SYSCALLMON_SYSCALL_PATH_TRUNCATED;
		n = SYSCALLMON_PATH_LEN - 1;
	}
	buf[n] = '\0';
	return n + 1;
}

/*
 * The name a pipe, a socket or an anonymous inode has from its filesystem's
 * d_dname() ("pipe:[ino]", "socket:[ino]", "anon_inode:[eventfd]", what
 * /proc/PID/fd shows), written at the end of buf as d_path() writes it: its
 * length with the NUL, 0 for any other file or a name d_path() would refuse.
 * Their d_dname() formats it with vsnprintf(), a few hundred instructions
 * on every read and write of a pipe, a socket, an eventfd or an epoll fd.
 */
static u16 pseudo_name(const struct path *path, char *buf, int buflen, const char **name)
{
	/* d_dname()'s limit (dynamic_dname()'s buffer), with the NUL. */
	const int longest = 64;
	const struct dentry *dentry = path->dentry;
	unsigned long ino = d_inode(dentry)->i_ino;
	char *p = buf + buflen;
	const char *prefix;

	/* d_path() names a filesystem's root by its path, not by d_dname(). */
	if (buflen < longest || (IS_ROOT(dentry) && dentry == path->mnt->mnt_root))
		return 0;
	switch (dentry->d_sb->s_magic) {
	case PIPEFS_MAGIC:
		prefix = "pipe:[";
		break;
	case SOCKFS_MAGIC:
		prefix = "socket:[";
		break;
	case ANON_INODE_FS_MAGIC:
		/* anon_inode:NAME, and NAME ("[eventfd]") never changes. */
		if (sizeof("anon_inode:") + dentry->d_name.len > longest)
			return 0;
		*--p = '\0';
		p -= dentry->d_name.len;
		memcpy(p, dentry->d_name.name, dentry->d_name.len);
		p -= sizeof("anon_inode:") - 1;
		memcpy(p, "anon_inode:", sizeof("anon_inode:") - 1);
		*name = p;
		return buf + buflen - p;
	default:
		return 0;
	}
	*--p = '\0';
	*--p = ']';
	do {
		*--p = '0' + ino % 10;
		ino /= 10;
	} while (ino);
	p -= strlen(prefix);
	memcpy(p, prefix, strlen(prefix));
	*name = p;
	return buf + buflen - p;
}

/*
 * path as d_path() writes it into buf: its length with the NUL, 0 if it does
 * not fit; *name: where in buf it starts.
 */
static u16 path_text(const struct path *path, char *buf, int buflen, const char **name)
{
	const struct dentry_operations *op = path->dentry->d_op;
	char *text;
	u16 len;

	if (op && op->d_dname && (len = pseudo_name(path, buf, buflen, name)))
		return len;
	text = d_path(path, buf, buflen);
	if (IS_ERR(text))
		return 0;
	*name = text;
	/*
	 * d_path() builds a path backwards from the end of buf, so it ends
	 * there; a filesystem's own d_dname() (pipes, sockets, anon inodes)
	 * need not, and is measured.
	 */
	return op && op->d_dname ? strlen(text) + 1 : buf + buflen - text;
}

/*
 * What fd refers to, as /proc/PID/fd shows it ("/tmp/x", "pipe:[1234]",
 * "socket:[5678]", "anon_inode:[eventfd]"), through a reference: fget()
 * holds the file while d_path() reads it.  Neither sleeps.  *name_out: where
 * in buf d_path() put it; its length with the NUL is returned.
 */
static u16 read_target(char *buf, unsigned int fd, u32 *flags, const char **name_out)
{
	struct file *file;
	u16 len;

	/* fget_raw: an O_PATH directory fd (openat's dirfd) has a path too. */
	file = fget_raw(fd);
	if (!file)
		return 0;
	len = path_text(&file->f_path, buf, SYSCALLMON_TARGET_LEN, name_out);
	if (len)
		*flags |= SYSCALLMON_SYSCALL_TARGET;
	fput(file);
	return len;
}

/* fill_record() writes each field of the fixed part: a new field is written there too. */
static_assert(sizeof(struct syscallmon_syscall) ==
	      offsetof(struct syscallmon_syscall, rule) + sizeof(u32));

/*
 * Every byte of the fixed part but the header's size, flags and seq (the
 * ring's): a record written in place in the ring is not cleared first.  The
 * result is 0 until it is known.  ts_ns: CLOCK_REALTIME at entry.
 */
static void fill_record(struct syscallmon_syscall *rec, const struct smon_call *call,
			const struct smon_decision *d, u64 ts_ns, u16 path_len, u16 target_len)
{
	rec->h.type = SYSCALLMON_RECORD_SYSCALL;
	rec->h.ts_ns = ts_ns;
	smon_task_fill(&rec->task);
	rec->nr = call->op;
	rec->native_nr = call->native_nr;
	rec->abi = call->abi;
	rec->verdict = d->verdict;
	rec->err = d->verdict == SYSCALLMON_VERDICT_ALLOWED ? 0 : d->err;
	rec->ret = 0;
	rec->duration_ns = 0;
	rec->call_id = 0;
	memcpy(rec->args, call->args, sizeof(rec->args));
	rec->path_len = path_len;
	rec->target_len = target_len;
	rec->rule = d->rule;
}

/*
 * The path and fd target arguments, read at entry: their lengths with the
 * NUL, 0 for none.  The target is read into target_buf, at *target.
 */
static void read_arguments(const struct smon_call *call, char *path, u16 *path_len,
			   char *target_buf, const char **target, u16 *target_len, u32 *flags)
{
	int fd = call->fd_arg >= 0 ? (int)call->args[call->fd_arg] : -1;

	*path_len = call->path_arg >= 0 ? read_path(path, call->args[call->path_arg], flags) : 0;
	/* A negative fd (AT_FDCWD and the like) has no file. */
	*target_len = fd >= 0 ? read_target(target_buf, fd, flags, target) : 0;
}

/*
 * A record that is whole at once (at entry, a blocked call's, a file
 * access's), written in place in the ring: built nowhere else.
 */
static void write_record(const struct smon_call *call, const struct smon_decision *d, u64 ts_ns,
			 u32 flags, const char *path, u16 path_len, const char *target, u16 target_len)
{
	struct smon_ring_write w;
	struct syscallmon_syscall *rec =
		(void *)smon_ring_reserve(sizeof(*rec) + path_len + target_len, flags, &w);

	fill_record(rec, call, d, ts_ns, path_len, target_len);
	if (d->block)
		rec->ret = -d->err;	/* decided at the verdict: it returns -err without running */
	/* As smon_ring_push() does: no call to copy nothing. */
	if (path_len)
		memcpy(rec->data, path, path_len);
	if (target_len)
		memcpy(rec->data + path_len, target, target_len);
	smon_ring_commit(&w);
}

static void push(struct syscallmon_syscall *rec, u32 flags, const char *path, const char *target)
{
	/* The entry half of a RECORD_BOTH call is its own call_id. */
	smon_ring_push(&rec->h, sizeof(*rec), flags,
		       flags & SYSCALLMON_SYSCALL_ENTRY ? &rec->call_id : NULL,
		       path, rec->path_len, target, rec->target_len);
}

/*
 * Whether task work runs on the task's way back to user space, after the
 * call, and not inside it: KVM_RUN, an io_uring_enter that waits and an
 * exec by an io_uring user run task work themselves while the call goes
 * on, when the saved ax still holds the -ENOSYS the entry pushed.  Walks
 * the stack, so asked only when ax is -ENOSYS, a result too (an unknown
 * futex op).
 */
static noinline bool after_the_call(void)
{
	unsigned long frames[32];
	char name[KSYM_SYMBOL_LEN];
	unsigned int n = stack_trace_save(frames, ARRAY_SIZE(frames), 0);

	while (n--) {
		sprint_symbol_no_offset(name, frames[n]);
		/* syscall_exit_to_user_mode() and what it runs the exit work in. */
		if (str_has_prefix(name, "syscall_exit_to_user_mode") ||
		    str_has_prefix(name, "exit_to_user_mode"))
			return true;
	}
	return false;
}

/* The task is back from the call: the result is in its saved registers. */
static void call_returned(struct callback_head *work)
{
	struct smon_slot *slot = container_of(work, struct smon_slot, work);
	long ret = (long)task_pt_regs(current)->ax;
	bool failed = IS_ERR_VALUE(ret);
	u32 op = slot->rec.nr;

	/*
	 * Run inside the call: its result is not known yet, and work queued
	 * again would run again at once.  Written as a call whose return could
	 * not be followed.
	 */
	if (unlikely(ret == -ENOSYS) && !after_the_call()) {
		smon_policy_count(op, SMON_COUNT_NO_RESULT);
		push(&slot->rec, slot->flags | SYSCALLMON_SYSCALL_NO_RESULT, slot->path, slot->target);
		goto out;
	}
	if (slot->failed_only && !failed) {
		smon_policy_count(op, SMON_COUNT_FAILED_SKIPPED);
		goto out;
	}
	slot->rec.ret = ret;
	slot->rec.duration_ns = ktime_get_ns() - slot->entry_ns;
	/*
	 * Not readable at entry (a page not present yet): the kernel has read
	 * it by now, so its page is there, unless a successful exec replaced
	 * the memory it was in.
	 */
	if ((slot->flags & SYSCALLMON_SYSCALL_PATH_UNREADABLE) && !(smon_op_execs(op) && ret == 0))
		slot->rec.path_len = read_path(slot->path,
					       slot->rec.args[smon_entry_path_arg(slot->rec.abi, slot->rec.native_nr)],
					       &slot->flags);
	push(&slot->rec, slot->flags | SYSCALLMON_SYSCALL_RESULT, slot->path, slot->target);
out:
	slot_put(slot);
}

enum followed {
	FOLLOWED,		/* its record comes at return */
	NOT_FOLLOWED,		/* no slot free, or the task runs no task_work any more */
	ENTRY_ONLY,		/* likewise, but RECORD_BOTH's entry half is written */
};

static enum followed follow(const struct smon_call *call, const struct smon_decision *d)
{
	struct smon_slot *slot;
	u16 path_len, target_len;

	/* Kernel threads never return to user space, where the result is taken. */
	if (current->flags & (PF_KTHREAD | PF_EXITING))
		return NOT_FOLLOWED;
	slot = slot_get();
	if (!slot)
		return NOT_FOLLOWED;
	slot->task = get_task_struct(current);
	slot->flags = 0;
	slot->failed_only = d->failed_only;
	/* One clock read: the real time is the monotonic one plus the kernel's offset. */
	slot->entry_ns = ktime_get_ns();
	slot->target = NULL;
	read_arguments(call, slot->path, &path_len, slot->target_buf, &slot->target, &target_len,
		       &slot->flags);
	fill_record(&slot->rec, call, d, ktime_to_ns(ktime_mono_to_real(ns_to_ktime(slot->entry_ns))),
		    path_len, target_len);
	if (d->record_mode == SYSCALLMON_RECORD_BOTH) {
		/* The entry half is seen at once; both halves carry its seq. */
		push(&slot->rec, slot->flags | SYSCALLMON_SYSCALL_ENTRY, slot->path, slot->target);
	}
	init_task_work(&slot->work, call_returned);
	if (task_work_add(current, &slot->work, TWA_RESUME)) {
		slot_put(slot);
		return d->record_mode == SYSCALLMON_RECORD_BOTH ? ENTRY_ONLY : NOT_FOLLOWED;
	}
	return FOLLOWED;
}

void smon_record_call(const struct smon_call *call, const struct smon_decision *d)
{
	const char *target = NULL;
	u16 path_len, target_len;
	struct scratch *s;
	u32 flags = 0;
	u64 ts_ns;

	if (!d->block && d->record_mode != SYSCALLMON_RECORD_ENTRY && !smon_op_never_returns(call->op)) {
		enum followed f = follow(call, d);

		if (f == FOLLOWED)
			return;
		smon_policy_count(call->op, SMON_COUNT_NO_RESULT);
		/* The entry half written before it failed stays the only record. */
		if (f == ENTRY_ONLY)
			return;
		flags = SYSCALLMON_SYSCALL_NO_RESULT;
	}
	s = this_cpu_ptr(scratch);
	ts_ns = ktime_get_real_ns();
	read_arguments(call, s->path, &path_len, s->target_buf, &target, &target_len, &flags);
	if (d->block)
		flags |= SYSCALLMON_SYSCALL_RESULT;
	write_record(call, d, ts_ns, flags, s->path, path_len, target, target_len);
}
NOKPROBE_SYMBOL(smon_record_call);

void smon_record_file(const struct smon_decision *d, const struct path *object)
{
	struct scratch *s = this_cpu_ptr(scratch);
	u32 flags = SYSCALLMON_SYSCALL_FILE;
	u64 ts_ns = ktime_get_real_ns();
	struct smon_call call;
	const char *name = NULL;
	u16 path_len;

	if (!smon_current_call(&call)) {
		memset(&call, 0, sizeof(call));
		call.op = SYSCALLMON_NR_NONE;
		call.native_nr = SYSCALLMON_NR_NONE;
		call.path_arg = call.fd_arg = -1;
	}
	path_len = path_text(object, s->path, SYSCALLMON_PATH_LEN, &name);
	flags |= path_len ? SYSCALLMON_SYSCALL_PATH : SYSCALLMON_SYSCALL_PATH_UNREADABLE;
	if (d->block)
		flags |= SYSCALLMON_SYSCALL_RESULT;
	write_record(&call, d, ts_ns, flags, name, path_len, NULL, 0);
}
NOKPROBE_SYMBOL(smon_record_file);

/*
 * Takes the slot's task_work off its task's list, as task_work_cancel()
 * does (not exported): under the task's pi_lock, which task_work_run()
 * takes after it grabbed the list, so the work is either still on the list
 * and removed here, or already taken to run.
 */
static bool cancel_return(struct smon_slot *slot)
{
	struct task_struct *task = slot->task;
	struct callback_head **pprev = &task->task_works;
	struct callback_head *work;
	unsigned long flags;

	raw_spin_lock_irqsave(&task->pi_lock, flags);
	work = READ_ONCE(*pprev);
	while (work) {
		if (work != &slot->work) {
			pprev = &work->next;
			work = READ_ONCE(*pprev);
		} else if (try_cmpxchg(pprev, &work, work->next)) {
			break;
		}
	}
	raw_spin_unlock_irqrestore(&task->pi_lock, flags);
	return work != NULL;
}

int smon_calls_init(u32 n)
{
	u32 i;

	scratch = alloc_percpu(struct scratch);
	if (!scratch)
		return -ENOMEM;
	atomic64_inc(&smon_allocs_live);
	/* No slot at all (return_slots=0): every call is written at entry. */
	slots = n ? smon_vzalloc(array_size(n, sizeof(*slots))) : NULL;
	if (n && !slots) {
		free_percpu(scratch);
		atomic64_dec(&smon_allocs_live);
		return -ENOMEM;
	}
	nr_slots = n;
	for (i = 0; i < n; i++)
		slots[i].next_free = i + 2 <= n ? i + 2 : 0;
	free_head = n ? 1 : 0;
	for_each_possible_cpu(i)
		per_cpu(spare_slot, i) = NULL;
	atomic64_set(&in_flight, 0);
	return 0;
}

void smon_calls_exit(void)
{
	u32 i, dropped = 0;

	/*
	 * No hook runs any more: no slot gets taken, taken ones only get freed.
	 * A slot freed after its busy was read may have dropped its task, which
	 * may exit and be reaped: under RCU it is not freed while looked at.
	 */
	for (i = 0; i < nr_slots; i++) {
		bool cancelled;

		rcu_read_lock();
		cancelled = READ_ONCE(slots[i].busy) && cancel_return(&slots[i]);
		rcu_read_unlock();
		if (cancelled) {
			slot_put(&slots[i]);
			dropped++;
		}
	}
	/* The rest are running call_returned() now: it frees them. */
	wait_event(slots_freed, atomic64_read(&in_flight) == 0);
	if (dropped)
		pr_info("dropped %u calls still waiting for their return\n", dropped);
	smon_vfree(slots);
	slots = NULL;
	free_percpu(scratch);
	atomic64_dec(&smon_allocs_live);
}

u32 smon_calls_slots(void)
{
	return nr_slots;
}

u64 smon_calls_in_flight(void)
{
	return atomic64_read(&in_flight);
}
