// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/threads.h>
#include <linux/uaccess.h>
#include <uapi/syscallmon.h>

#include "calls.h"
#include "changes.h"
#include "device.h"
#include "exits.h"
#include "files.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "ring.h"
#include "scopes.h"
#include "syscalls.h"

/* Bytes copied per trip through the ring lock: bounds how long a reader holds it. */
#define SMON_READ_BYTES (16 * 1024)

struct smon_file {
	struct mutex read_lock;		/* one reader at a time: the cursor and the bounce */
	struct smon_cursor cursor;
	/*
	 * The process that opened the file, exempt from monitoring while it
	 * lives and has an fd on it; NULL once it exited or closed its last.
	 * A process that inherited or received the file is monitored like any
	 * other.
	 */
	struct pid *opener;
	pid_t opened_by;		/* the opener's pid, for the record of its close */
	struct list_head node;		/* in files; under holders_lock */
	/*
	 * bounce[held_from, held_to): records taken from the ring whose copy
	 * out faulted.  They go out first on the next read, so a bad buffer
	 * loses nothing and the cursor only ever moves forward (a clear may
	 * have moved it since).
	 */
	u32 held_from;
	u32 held_to;
	u8 bounce[SMON_READ_BYTES];
	/* Changed the configuration: its close is a change too (its holder's exemption ends). */
	bool changed;
	u32 held_mode;			/* SYSCALLMON_IOC_HOLD; OFF: none */
	bool held_exits;
};

/*
 * The openers, as the probes check them on every hit: an immutable array
 * replaced whole on open and close and read under RCU, so the common case
 * (nobody or one tail) is a short scan of pointers.  An opener that exits is
 * cleared in place (entries are only ever cleared, never set, under a
 * reader).  The array holds its own references, dropped after a grace period.
 *
 * holders_lock (irqsave: the exit hook runs with preemption off) protects
 * files, each file's opener and the publication of the array.
 */
struct smon_holders {
	struct rcu_head rcu;
	u32 count;
	struct pid *tgid[];	/* [count] checked by probes, then [count] the references */
};

static DEFINE_MUTEX(open_lock);		/* serializes rebuilding the array */
static DEFINE_SPINLOCK(holders_lock);
static LIST_HEAD(files);
static u32 nfiles;
static struct smon_holders __rcu *holders;

bool smon_device_holder(const struct pid *tgid)
{
	const struct smon_holders *h = rcu_dereference(holders);
	u32 i;

	for (i = 0; h && i < h->count; i++)
		if (READ_ONCE(h->tgid[i]) == tgid)
			return true;
	return false;
}

u32 smon_device_readers(void)
{
	return READ_ONCE(nfiles);
}

static void free_holders_rcu(struct rcu_head *rcu)
{
	struct smon_holders *h = container_of(rcu, struct smon_holders, rcu);
	u32 i;

	for (i = 0; i < h->count; i++)
		put_pid(h->tgid[h->count + i]);
	smon_kfree(h);
}

enum files_change {
	FILE_OPENED,
	FILE_CLOSED,
	OPENER_LEFT,		/* the opener has no fd on the file any more */
};

/* Whether another open file than f has opener (the probes' array lists each file's). */
static bool opener_elsewhere(const struct smon_file *f, const struct pid *opener)
{
	const struct smon_file *each;

	list_for_each_entry(each, &files, node)
		if (each != f && each->opener == opener)
			return true;
	return false;
}

/* Changes the open files (or f's opener) and republishes the openers. */
static int update_files(struct smon_file *f, enum files_change change)
{
	struct smon_holders *old, *new;
	struct pid *gone = NULL;
	struct smon_file *each;
	unsigned long flags;
	u32 n = 0, room;

	mutex_lock(&open_lock);
	room = nfiles + (change == FILE_OPENED ? 1 : 0);
	new = smon_kzalloc(struct_size(new, tgid, 2 * room), GFP_KERNEL);
	if (!new && change == FILE_OPENED) {
		mutex_unlock(&open_lock);
		return -ENOMEM;
	}
	spin_lock_irqsave(&holders_lock, flags);
	if (change == FILE_OPENED) {
		list_add_tail(&f->node, &files);
		nfiles++;
	} else if (change == FILE_CLOSED) {
		list_del(&f->node);
		nfiles--;
		gone = f->opener;
	} else {
		gone = f->opener;
		f->opener = NULL;
	}
	old = rcu_dereference_protected(holders, lockdep_is_held(&holders_lock));
	if (new) {
		list_for_each_entry(each, &files, node)
			if (each->opener)
				new->tgid[n++] = each->opener;
		new->count = n;
		memmove(&new->tgid[n], new->tgid, n * sizeof(new->tgid[0]));
		for (; n; n--)
			get_pid(new->tgid[n - 1]);
		rcu_assign_pointer(holders, new);
	} else if (old) {
		/* No memory for a smaller array: clear the opener's entry in place, unless another file has it. */
		if (gone && !opener_elsewhere(f, gone))
			for (n = 0; n < old->count; n++)
				if (old->tgid[n] == gone)
					WRITE_ONCE(old->tgid[n], NULL);
		old = NULL;
	}
	spin_unlock_irqrestore(&holders_lock, flags);
	mutex_unlock(&open_lock);
	if (change == OPENER_LEFT)
		put_pid(gone);
	if (old)
		call_rcu(&old->rcu, free_holders_rcu);
	return 0;
}

void smon_device_forget(struct pid *tgid)
{
	struct smon_holders *h;
	struct smon_file *f;
	unsigned long flags;
	bool holder;
	u32 i;

	rcu_read_lock();
	holder = smon_device_holder(tgid);
	rcu_read_unlock();
	if (!holder)
		return;
	spin_lock_irqsave(&holders_lock, flags);
	list_for_each_entry(f, &files, node) {
		if (f->opener == tgid) {
			put_pid(f->opener);
			f->opener = NULL;
		}
	}
	h = rcu_dereference_protected(holders, lockdep_is_held(&holders_lock));
	for (i = 0; h && i < h->count; i++)
		if (h->tgid[i] == tgid)
			WRITE_ONCE(h->tgid[i], NULL);
	spin_unlock_irqrestore(&holders_lock, flags);
}

static int smon_open(struct inode *inode, struct file *file)
{
	struct smon_file *f;
	int ret;

	/* Events reveal every user's activity: root only, even if the node's mode is relaxed. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = smon_kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->read_lock);
	f->opener = get_pid(task_tgid(current));
	f->opened_by = pid_nr(f->opener);
	ret = update_files(f, FILE_OPENED);
	if (ret) {
		put_pid(f->opener);
		smon_kfree(f);
		return ret;
	}
	smon_ring_attach(&f->cursor);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int smon_release(struct inode *inode, struct file *file)
{
	struct smon_file *f = file->private_data;
	u32 dropped;

	update_files(f, FILE_CLOSED);
	smon_ring_detach(&f->cursor);
	/* Rules a `run` added through this file go with it, even if run was killed. */
	dropped = smon_rules_drop_owner(f);
	/* Retried as the rules are: a hold must not outlive its file. */
	while (smon_mode_hold(&f->held_mode, SYSCALLMON_MODE_OFF, f->opened_by)) {
		pr_warn_ratelimited("out of memory letting go of a closed file's mode; retrying\n");
		msleep(10);
	}
	smon_exits_hold(&f->held_exits, false, f->opened_by);
	/* A file that only read (status, log, tail) changed nothing and leaves no record. */
	if (READ_ONCE(f->changed) || dropped)
		smon_change(SYSCALLMON_CONFIG_CLOSED, 0, "opened by pid %d; %u rules dropped", f->opened_by, dropped);
	/* The array of openers holds its own references: ours can go now. */
	put_pid(f->opener);
	smon_kfree(f);
	return 0;
}

static int is_file(const void *file, struct file *each, unsigned int fd)
{
	return each == file;
}

/*
 * An fd on file was closed.  The opener's last one ends its exemption: a
 * child that inherited the file, or a process it was passed to, keeps it
 * open but was never exempt.
 */
static int smon_flush(struct file *file, fl_owner_t id)
{
	struct smon_file *f = file->private_data;

	if (READ_ONCE(f->opener) == task_tgid(current) && id == current->files &&
	    !iterate_fd(current->files, 0, is_file, file))
		update_files(f, OPENER_LEFT);
	return 0;
}

/* Lockless, for wait conditions and poll, like smon_ring_readable(). */
static bool smon_file_readable(const struct smon_file *f)
{
	return READ_ONCE(f->held_from) != READ_ONCE(f->held_to) || smon_ring_readable(&f->cursor);
}

/* Bytes of the whole records at the start of buf[0, len) (records: header size first). */
static size_t whole_records(const u8 *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		u16 size = ((const struct syscallmon_header *)(buf + n))->size;

		if (n + size > len)
			break;
		n += size;
	}
	return n;
}

static ssize_t smon_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct smon_file *f = file->private_data;
	size_t done = 0;
	ssize_t ret;

	/* Room for the largest record, so that every read can hand out at least one. */
	if (len < SYSCALLMON_RECORD_MAX)
		return -EINVAL;
	if (mutex_lock_interruptible(&f->read_lock))
		return -ERESTARTSYS;
	while (!smon_file_readable(f) && !(file->f_flags & O_NONBLOCK)) {
		mutex_unlock(&f->read_lock);
		ret = wait_event_interruptible(smon_ring_wait, smon_file_readable(f));
		if (ret)
			return ret;
		if (mutex_lock_interruptible(&f->read_lock))
			return -ERESTARTSYS;
	}
	while (done < len) {
		size_t n, left;

		if (f->held_from == f->held_to) {
			n = smon_ring_read(&f->cursor, f->bounce, sizeof(f->bounce));
			if (!n)
				break;
			WRITE_ONCE(f->held_from, 0);
			WRITE_ONCE(f->held_to, n);
		}
		n = whole_records(f->bounce + f->held_from, min_t(size_t, len - done, f->held_to - f->held_from));
		if (!n)
			break;
		left = copy_to_user(buf + done, f->bounce + f->held_from, n);
		/* A record cut by the fault counts as not handed out. */
		n = whole_records(f->bounce + f->held_from, n - left);
		WRITE_ONCE(f->held_from, f->held_from + n);
		done += n;
		if (left) {
			if (!done) {
				mutex_unlock(&f->read_lock);
				return -EFAULT;
			}
			break;
		}
	}
	mutex_unlock(&f->read_lock);
	if (!done)
		return -EAGAIN;
	return done;
}

static int smon_mmap(struct file *file, struct vm_area_struct *vma)
{
	return smon_ring_mmap(vma);
}

static __poll_t smon_poll(struct file *file, poll_table *wait)
{
	struct smon_file *f = file->private_data;

	poll_wait(file, &smon_ring_wait, wait);
	/*
	 * Pairs with wq_has_sleeper() in a push: either it sees this waiter,
	 * or this sees its head.  A reader is woken once per cursor move, so
	 * a wake-up missed here would not come again with the next push.
	 */
	smp_mb();
	return smon_file_readable(f) ? EPOLLIN | EPOLLRDNORM : 0;
}

int smon_check_mode(u32 mode)
{
	return mode <= SYSCALLMON_MODE_BLOCK ? 0 : -EINVAL;
}

static int check_nr(u32 nr)
{
	return smon_op_name(nr) ? 0 : -EINVAL;
}

int smon_check_target(const struct syscallmon_target *req)
{
	if (check_nr(req->nr) || req->action > SYSCALLMON_ACTION_BLOCK ||
	    (req->flags & ~SYSCALLMON_TARGET_FLAGS_MASK) || req->record > SYSCALLMON_RECORD_BOTH ||
	    req->err < 0 || req->err > SYSCALLMON_MAX_ERRNO)
		return -EINVAL;
	/* Whether a call failed is known at its return: only a complete record can wait for it. */
	if ((req->flags & SYSCALLMON_TARGET_FAILED_ONLY) && req->record != SYSCALLMON_RECORD_COMPLETE)
		return -EINVAL;
	if (req->action == SYSCALLMON_ACTION_BLOCK && smon_op_unblockable(req->nr))
		return -EINVAL;
	if (!(req->flags & SYSCALLMON_TARGET_ALL_PIDS) && req->npids > SYSCALLMON_MAX_PIDS)
		return -E2BIG;
	return 0;
}

/* A pid array as the processes it names in the caller's pid namespace, with references. */
struct process_list {
	u32 n;
	struct pid **pids;
};

static void put_processes(struct process_list *list)
{
	u32 i;

	for (i = 0; i < list->n; i++)
		put_pid(list->pids[i]);
	smon_kvfree(list->pids);
	list->pids = NULL;
	list->n = 0;
}

/*
 * Copies in npids (already bounded) pid numbers and finds the processes they
 * name in the caller's pid namespace: -EINVAL for an impossible number,
 * -ESRCH for one that names no live process, or, with gone_ok (deleting:
 * such a process left every set when it exited), that one skipped.
 */
static int get_processes(struct process_list *list, u64 uptr, u32 npids, bool gone_ok)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	u32 *nrs, i;
	int ret = 0;

	list->n = 0;
	/* A tree's or a rule's pids: up to 512 KiB, which a busy host's memory may not have in one piece. */
	list->pids = smon_kvzalloc(array_size(npids ?: 1, sizeof(*list->pids)));
	nrs = smon_kvzalloc(array_size(npids ?: 1, sizeof(*nrs)));
	if (!list->pids || !nrs) {
		ret = -ENOMEM;
		goto out;
	}
	if (npids && copy_from_user(nrs, u64_to_user_ptr(uptr), npids * sizeof(*nrs))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < npids && !ret; i++)
		if (!nrs[i] || nrs[i] > PID_MAX_LIMIT)
			ret = -EINVAL;
	for (i = 0; i < npids && !ret; i++) {
		struct pid *pid = smon_process_get(nrs[i], ns);

		if (pid)
			list->pids[list->n++] = pid;
		else if (!gone_ok)
			ret = -ESRCH;
	}
out:
	smon_kvfree(nrs);
	if (ret)
		put_processes(list);
	return ret;
}

static long ioctl_get_version(void __user *arg)
{
	struct syscallmon_version v = {
		.api_version = SYSCALLMON_API_VERSION,
		.record_max = SYSCALLMON_RECORD_MAX,
		.max_pids = SYSCALLMON_MAX_PIDS,
		.nr_limit = SYSCALLMON_NR_LIMIT,
	};

	return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long ioctl_set_mode(u32 __user *arg)
{
	u32 mode;

	if (get_user(mode, arg))
		return -EFAULT;
	if (smon_check_mode(mode))
		return -EINVAL;
	return smon_set_mode(mode);
}

static DEFINE_MUTEX(hold_lock);

static long ioctl_hold(struct smon_file *f, void __user *arg)
{
	struct syscallmon_hold req;
	pid_t pid = task_tgid_nr(current);
	int ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (smon_check_mode(req.mode) || (req.exits != SYSCALLMON_EXITS_OFF && req.exits != SYSCALLMON_EXITS_ON) ||
	    req.reserved[0] || req.reserved[1])
		return -EINVAL;
	/*
	 * The mode first: it is what can fail, and exit events then change with
	 * it or not at all.  One HOLD at a time, so two threads' requests on one
	 * file don't end as a mix of both.
	 */
	mutex_lock(&hold_lock);
	ret = smon_mode_hold(&f->held_mode, req.mode, pid);
	if (!ret)
		smon_exits_hold(&f->held_exits, req.exits == SYSCALLMON_EXITS_ON, pid);
	mutex_unlock(&hold_lock);
	return ret;
}

static long ioctl_add_target(void __user *arg)
{
	struct syscallmon_target req;
	struct process_list list = {};
	long ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	ret = smon_check_target(&req);
	if (ret)
		return ret;
	if (!(req.flags & SYSCALLMON_TARGET_ALL_PIDS)) {
		ret = get_processes(&list, req.pids, req.npids, false);
		if (ret)
			return ret;
	}
	if (!req.err)
		req.err = SYSCALLMON_DEFAULT_ERRNO;
	ret = smon_target_add(&req, list.pids, list.n, -1);
	put_processes(&list);
	return ret;
}

static long ioctl_del_target(void __user *arg)
{
	struct syscallmon_target req;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (check_nr(req.nr))
		return -EINVAL;
	return smon_target_del(req.nr);
}

static long ioctl_change_pids(void __user *arg, bool add)
{
	struct syscallmon_pids req;
	struct process_list list = {};
	long ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (check_nr(req.nr))
		return -EINVAL;
	if (req.npids > SYSCALLMON_MAX_PIDS)
		return -E2BIG;
	ret = get_processes(&list, req.pids, req.npids, !add);
	if (ret)
		return ret;
	ret = add ? smon_pids_add(req.nr, list.pids, list.n) : smon_pids_del(req.nr, list.pids, list.n);
	put_processes(&list);
	return ret;
}

static long ioctl_clear(u32 __user *arg)
{
	u32 what;

	if (get_user(what, arg))
		return -EFAULT;
	if (what & ~SYSCALLMON_CLEAR_MASK)
		return -EINVAL;
	/* First: the one part that can fail, and then nothing is cleared. */
	if (what & SYSCALLMON_CLEAR_TARGETS) {
		int ret = smon_targets_clear();

		if (ret)
			return ret;
	}
	if (what & SYSCALLMON_CLEAR_LOG)
		smon_ring_clear_below(U64_MAX);
	if (what & SYSCALLMON_CLEAR_COUNTERS) {
		smon_counters_clear();
		smon_ring_clear_counters();
	}
	/* After the clear: the record of it stays. */
	if (what)
		smon_change(SYSCALLMON_CONFIG_CLEAR, 0, "%s%s%s", what & SYSCALLMON_CLEAR_LOG ? " log" : "",
			    what & SYSCALLMON_CLEAR_TARGETS ? " targets" : "",
			    what & SYSCALLMON_CLEAR_COUNTERS ? " counters" : "");
	return 0;
}

static long ioctl_get_status(struct smon_file *f, void __user *arg)
{
	struct syscallmon_status st;
	struct smon_ring_stats ring;
	struct smon_probe_stats probes;
	struct smon_mode_info mode;
	struct smon_exits_info exits;

	smon_ring_stats(&ring);
	smon_probe_stats(&probes);
	smon_mode_get(&mode);
	smon_exits_get(&exits);
	memset(&st, 0, sizeof(st));
	st.api_version = SYSCALLMON_API_VERSION;
	st.mode = mode.mode;
	st.mode_set = mode.set;
	st.mode_holders = mode.holders;
	st.flags = (READ_ONCE(smon_clear_on_read) ? SYSCALLMON_STATUS_CLEAR_ON_READ : 0) |
		   (exits.on ? SYSCALLMON_STATUS_EXITS : 0) | (exits.set ? SYSCALLMON_STATUS_EXITS_SET : 0);
	st.exits_holders = exits.holders;
	st.return_slots = smon_calls_slots();
	st.ntargets = probes.ntargets;
	st.armed = probes.armed;
	st.readers = smon_device_readers();
	st.hooked = smon_probes_hooked();
	st.ring_size = ring.size;
	st.head = ring.head;
	st.tail = ring.tail;
	st.head_seq = ring.head_seq;
	st.tail_seq = ring.tail_seq;
	st.events = ring.head_seq;
	st.overwritten = ring.overwritten;
	st.cleared = ring.cleared;
	smon_ring_position(&f->cursor, &st.reader_seq, &st.reader_lost);
	st.missed = probes.missed;
	st.no_result = probes.no_result;
	st.calls_in_flight = smon_calls_in_flight();
	st.exits = smon_exits_seen();
	st.allocs_live = atomic64_read(&smon_allocs_live);
	st.nrules = probes.nrules;
	st.file_hooks = smon_files_hooked();
	st.tree_missed = smon_scopes_tree_missed();
	st.file_hooks_missed = smon_files_missed();
	st.config_records = smon_changes_written();
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

struct target_list_cursor {
	struct syscallmon_target_info *entries;
	u32 max;
	u32 count;
};

static int copy_target_info(const struct syscallmon_target_info *info, const struct smon_scope *scope,
			    void *arg)
{
	struct target_list_cursor *c = arg;

	if (c->count < c->max)
		c->entries[c->count] = *info;
	c->count++;
	return 0;
}

static long ioctl_get_targets(struct syscallmon_target_list __user *arg)
{
	struct syscallmon_target_list list;
	struct target_list_cursor c;
	int ret;

	if (copy_from_user(&list, arg, sizeof(list)))
		return -EFAULT;
	if (list.max > SYSCALLMON_NR_LIMIT)
		return -EINVAL;
	c.entries = smon_kvzalloc(array_size(list.max ?: 1, sizeof(*c.entries)));
	if (!c.entries)
		return -ENOMEM;
	c.max = list.max;
	c.count = 0;
	ret = smon_targets_for_each(copy_target_info, &c);
	/*
	 * Copied out after the configuration lock is dropped: a fault on the
	 * caller's buffer can wait for ever (userfaultfd, a FUSE mapping), and
	 * every change and every close of the device would wait with it.
	 */
	if (!ret && (copy_to_user(u64_to_user_ptr(list.entries), c.entries,
				  array_size(min(c.count, c.max), sizeof(*c.entries))) ||
		     put_user(c.count, &arg->count)))
		ret = -EFAULT;
	smon_kvfree(c.entries);
	return ret;
}

static long ioctl_get_pids(struct syscallmon_pid_list __user *arg)
{
	struct syscallmon_pid_list req;
	u32 *nrs;
	int count;
	long ret = 0;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if ((!req.rule && check_nr(req.nr)) || req.max > SYSCALLMON_MAX_TREE)
		return -EINVAL;
	nrs = smon_kvzalloc(array_size(req.max ?: 1, sizeof(*nrs)));
	if (!nrs)
		return -ENOMEM;
	count = smon_scope_pids(req.nr, req.rule, task_active_pid_ns(current), nrs, req.max);
	if (count < 0)
		ret = count;
	else if (copy_to_user(u64_to_user_ptr(req.pids), nrs, min_t(u32, count, req.max) * sizeof(*nrs)) ||
		 put_user(count, &arg->count))
		ret = -EFAULT;
	smon_kvfree(nrs);
	return ret;
}

/* A string selector must end within its array. */
static bool terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/* The checks of a rule request that need nothing but the request. */
static int check_rule(const struct syscallmon_rule *r)
{
	DECLARE_BITMAP(ops, SYSCALLMON_NR_LIMIT);
	const struct syscallmon_id_range *ranges[] = { &r->uid, &r->euid, &r->auid, &r->gid };
	bool acts = r->action == SYSCALLMON_RULE_BLOCK || r->action == SYSCALLMON_RULE_KILL;
	bool file_rule = r->flags & SYSCALLMON_SEL_FILE;
	u32 nr, i;

	bitmap_from_arr64(ops, r->syscalls, SYSCALLMON_NR_LIMIT);
	if (r->action > SYSCALLMON_RULE_KILL || (r->flags & ~SYSCALLMON_RULE_FLAGS_MASK) ||
	    r->record > SYSCALLMON_RECORD_BOTH || r->reserved[0] || r->reserved[1] || r->err < 0 ||
	    r->err > SYSCALLMON_MAX_ERRNO || !terminated(r->name, sizeof(r->name)) || !r->name[0] ||
	    !terminated(r->comm, sizeof(r->comm)) || !terminated(r->exe, sizeof(r->exe)) ||
	    !terminated(r->cgroup, sizeof(r->cgroup)) || !terminated(r->path, sizeof(r->path)) ||
	    !terminated(r->file, sizeof(r->file)))
		return -EINVAL;
	if ((r->flags & SYSCALLMON_RULE_FAILED_ONLY) && r->record != SYSCALLMON_RECORD_COMPLETE)
		return -EINVAL;
	/*
	 * A selector without its value would match nothing, or everything.
	 * exe and file are absolute: a stale check looks them up again, from
	 * whatever cwd the asker has.
	 */
	if (((r->flags & SYSCALLMON_SEL_COMM) && !r->comm[0]) || ((r->flags & SYSCALLMON_SEL_EXE) && r->exe[0] != '/') ||
	    ((r->flags & SYSCALLMON_SEL_CGROUP) && !r->cgroup[0]) || ((r->flags & SYSCALLMON_SEL_PATH) && !r->path[0]) ||
	    (file_rule && r->file[0] != '/'))
		return -EINVAL;
	if ((r->flags & SYSCALLMON_SEL_PIDS) && (r->flags & SYSCALLMON_SEL_TREE))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(ranges); i++)
		if ((r->flags & (SYSCALLMON_SEL_UID << i)) && ranges[i]->min > ranges[i]->max)
			return -EINVAL;
	/*
	 * A file rule decides accesses to its file, and nothing else: no
	 * syscalls, no path argument, no result to wait for.
	 */
	if (file_rule) {
		if (!r->file_ops || (r->file_ops & ~SYSCALLMON_FILE_OPS_MASK) || !bitmap_empty(ops, SYSCALLMON_NR_LIMIT) ||
		    (r->flags & (SYSCALLMON_SEL_PATH | SYSCALLMON_RULE_FAILED_ONLY)))
			return -EINVAL;
		if (r->file_ops & ~smon_files_supported())
			return -ENOENT;
	} else if (r->file_ops || bitmap_empty(ops, SYSCALLMON_NR_LIMIT)) {
		return -EINVAL;
	}
	for_each_set_bit(nr, ops, SYSCALLMON_NR_LIMIT) {
		if (!smon_op_name(nr))
			return -EINVAL;
		if (acts && smon_op_unblockable(nr))
			return -EINVAL;
		if (!smon_op_implemented(nr))
			return -ENOENT;
	}
	if ((r->flags & SYSCALLMON_SEL_TREE) && r->npids > SYSCALLMON_MAX_TREE)
		return -E2BIG;
	if (!(r->flags & SYSCALLMON_SEL_TREE) && r->npids > SYSCALLMON_MAX_PIDS)
		return -E2BIG;
	return 0;
}

static long ioctl_add_rule(struct smon_file *f, struct syscallmon_rule __user *arg)
{
	struct syscallmon_rule *req = smon_kzalloc(sizeof(*req), GFP_KERNEL);
	struct process_list list = {};
	u32 id = 0;
	long ret;

	if (!req)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(req, arg, sizeof(*req)))
		goto out;
	ret = check_rule(req);
	if (!ret && req->rule_class != SYSCALLMON_CLASS_HAND && req->rule_class != SYSCALLMON_CLASS_FILE)
		ret = -EINVAL;	/* policy rules come whole, with REPLACE_POLICY */
	if (!ret && (req->flags & (SYSCALLMON_SEL_PIDS | SYSCALLMON_SEL_TREE)))
		ret = get_processes(&list, req->pids, req->npids, false);
	else if (!ret && req->npids)
		ret = -EINVAL;
	if (!ret)
		ret = smon_rule_add(req, list.pids, list.n, req->rule_class == SYSCALLMON_CLASS_FILE ? f : NULL, &id);
	put_processes(&list);
	if (!ret && put_user(id, &arg->id))
		ret = -EFAULT;
out:
	smon_kfree(req);
	return ret;
}

static long ioctl_del_rule(u32 __user *arg)
{
	u32 id;

	if (get_user(id, arg))
		return -EFAULT;
	return id ? smon_rules_del(&id, 1) : -EINVAL;
}

static long ioctl_del_rules(void __user *arg)
{
	struct syscallmon_rule_ids req;
	u32 *ids, i;
	long ret = 0;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!req.count || req.count > SYSCALLMON_MAX_RULES || req.reserved)
		return -EINVAL;
	ids = smon_kzalloc(array_size(req.count, sizeof(*ids)), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	if (copy_from_user(ids, u64_to_user_ptr(req.ids), array_size(req.count, sizeof(*ids))))
		ret = -EFAULT;
	for (i = 0; i < req.count && !ret; i++)
		if (!ids[i])
			ret = -EINVAL;
	if (!ret)
		ret = smon_rules_del(ids, req.count);
	smon_kfree(ids);
	return ret;
}

struct rule_list_cursor {
	struct syscallmon_rule_info __user *entries;
	u32 max;
	u32 count;
};

static int copy_rule_info(const struct syscallmon_rule_info *info, void *arg)
{
	struct rule_list_cursor *c = arg;

	if (c->count < c->max && copy_to_user(&c->entries[c->count], info, sizeof(*info)))
		return -EFAULT;
	c->count++;
	return 0;
}

static long ioctl_get_rules(struct syscallmon_rule_list __user *arg)
{
	struct syscallmon_rule_list list;
	struct rule_list_cursor c;
	int ret;

	if (copy_from_user(&list, arg, sizeof(list)))
		return -EFAULT;
	if (list.max > SYSCALLMON_MAX_RULES)
		return -EINVAL;
	c.entries = u64_to_user_ptr(list.entries);
	c.max = list.max;
	c.count = 0;
	ret = smon_rules_for_each(copy_rule_info, &c);
	if (ret)
		return ret;
	return put_user(c.count, &arg->count) ? -EFAULT : 0;
}

static long ioctl_replace_policy(struct syscallmon_policy __user *arg)
{
	struct syscallmon_rule *rules;
	struct syscallmon_policy req;
	long ret = 0;
	u32 i;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (smon_check_mode(req.mode) || req.reserved ||
	    (req.exits != SYSCALLMON_EXITS_OFF && req.exits != SYSCALLMON_EXITS_ON) ||
	    strnlen(req.tag, sizeof(req.tag)) == sizeof(req.tag))
		return -EINVAL;
	if (req.nrules > SYSCALLMON_MAX_RULES)
		return -E2BIG;
	rules = smon_kvzalloc(array_size(req.nrules ?: 1, sizeof(*rules)));
	if (!rules)
		return -ENOMEM;
	if (req.nrules && copy_from_user(rules, u64_to_user_ptr(req.rules), req.nrules * sizeof(*rules)))
		ret = -EFAULT;
	for (i = 0; i < req.nrules && !ret; i++) {
		ret = check_rule(&rules[i]);
		/* A policy names what exists at any time: no pids, no process trees. */
		if (!ret && (rules[i].rule_class != SYSCALLMON_CLASS_POLICY || rules[i].npids ||
			     (rules[i].flags & (SYSCALLMON_SEL_PIDS | SYSCALLMON_SEL_TREE))))
			ret = -EINVAL;
	}
	if (!ret)
		ret = smon_policy_replace(req.mode, req.exits == SYSCALLMON_EXITS_ON, rules, req.nrules, req.tag);
	smon_kvfree(rules);
	return ret;
}

static long ioctl_fetch(struct smon_file *f, struct syscallmon_fetch __user *arg)
{
	struct syscallmon_fetch fetch;
	int ret;

	if (copy_from_user(&fetch, arg, sizeof(fetch)))
		return -EFAULT;
	mutex_lock(&f->read_lock);
	/* Records read() took from the ring but did not hand out would be skipped: not both. */
	ret = f->held_from != f->held_to ? -EBUSY : smon_ring_fetch(&f->cursor, &fetch);
	mutex_unlock(&f->read_lock);
	if (ret)
		return ret;
	return copy_to_user(arg, &fetch, sizeof(fetch)) ? -EFAULT : 0;
}

static long ioctl_set_wakeup(struct smon_file *f, u64 __user *arg)
{
	u64 bytes;

	if (get_user(bytes, arg))
		return -EFAULT;
	return smon_ring_set_wakeup(&f->cursor, bytes);
}

static long ioctl_seek(struct smon_file *f, u32 __user *arg)
{
	u32 whence;

	if (get_user(whence, arg))
		return -EFAULT;
	if (whence != SYSCALLMON_SEEK_TAIL && whence != SYSCALLMON_SEEK_HEAD)
		return -EINVAL;
	mutex_lock(&f->read_lock);
	smon_ring_seek(&f->cursor, whence == SYSCALLMON_SEEK_HEAD);
	WRITE_ONCE(f->held_from, 0);
	WRITE_ONCE(f->held_to, 0);
	mutex_unlock(&f->read_lock);
	return 0;
}

static long ioctl_set_exits(u32 __user *arg)
{
	u32 on;

	if (get_user(on, arg))
		return -EFAULT;
	if (on != SYSCALLMON_EXITS_OFF && on != SYSCALLMON_EXITS_ON)
		return -EINVAL;
	if (smon_exits_set_events(on == SYSCALLMON_EXITS_ON))
		smon_change(SYSCALLMON_CONFIG_EXITS, 0, "exit events %s -> %s%s", on ? "off" : "on", on ? "on" : "off",
			    smon_exits_events_on() != on ? " (held on)" : "");
	return 0;
}

static bool only_reads(unsigned int cmd)
{
	switch (cmd) {
	case SYSCALLMON_IOC_GET_VERSION:
	case SYSCALLMON_IOC_GET_STATUS:
	case SYSCALLMON_IOC_GET_TARGETS:
	case SYSCALLMON_IOC_SEEK:
	case SYSCALLMON_IOC_GET_PIDS:
	case SYSCALLMON_IOC_FETCH:
	case SYSCALLMON_IOC_GET_RULES:
	case SYSCALLMON_IOC_SET_WAKEUP:
		return true;
	default:
		return false;
	}
}

static long dispatch_ioctl(struct smon_file *f, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case SYSCALLMON_IOC_GET_VERSION:
		return ioctl_get_version(uarg);
	case SYSCALLMON_IOC_SET_MODE:
		return ioctl_set_mode(uarg);
	case SYSCALLMON_IOC_ADD_TARGET:
		return ioctl_add_target(uarg);
	case SYSCALLMON_IOC_DEL_TARGET:
		return ioctl_del_target(uarg);
	case SYSCALLMON_IOC_ADD_PIDS:
		return ioctl_change_pids(uarg, true);
	case SYSCALLMON_IOC_DEL_PIDS:
		return ioctl_change_pids(uarg, false);
	case SYSCALLMON_IOC_CLEAR:
		return ioctl_clear(uarg);
	case SYSCALLMON_IOC_GET_STATUS:
		return ioctl_get_status(f, uarg);
	case SYSCALLMON_IOC_GET_TARGETS:
		return ioctl_get_targets(uarg);
	case SYSCALLMON_IOC_SEEK:
		return ioctl_seek(f, uarg);
	case SYSCALLMON_IOC_SET_EXITS:
		return ioctl_set_exits(uarg);
	case SYSCALLMON_IOC_GET_PIDS:
		return ioctl_get_pids(uarg);
	case SYSCALLMON_IOC_FETCH:
		return ioctl_fetch(f, uarg);
	case SYSCALLMON_IOC_ADD_RULE:
		return ioctl_add_rule(f, uarg);
	case SYSCALLMON_IOC_DEL_RULE:
		return ioctl_del_rule(uarg);
	case SYSCALLMON_IOC_GET_RULES:
		return ioctl_get_rules(uarg);
	case SYSCALLMON_IOC_REPLACE_POLICY:
		return ioctl_replace_policy(uarg);
	case SYSCALLMON_IOC_SET_WAKEUP:
		return ioctl_set_wakeup(f, uarg);
	case SYSCALLMON_IOC_HOLD:
		return ioctl_hold(f, uarg);
	case SYSCALLMON_IOC_DEL_RULES:
		return ioctl_del_rules(uarg);
	default:
		return -ENOTTY;
	}
}

static long smon_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct smon_file *f = file->private_data;
	long ret;

	if (_IOC_TYPE(cmd) != SYSCALLMON_IOC_MAGIC)
		return -ENOTTY;
	/* The opener was checked at open; the caller may since have dropped privileges. */
	if (!capable(CAP_SYS_ADMIN) || !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	ret = dispatch_ioctl(f, cmd, (void __user *)arg);
	if (ret >= 0 && !only_reads(cmd))
		WRITE_ONCE(f->changed, true);
	return ret;
}

static const struct file_operations smon_fops = {
	.owner = THIS_MODULE,
	.open = smon_open,
	.release = smon_release,
	.flush = smon_flush,
	.read = smon_read,
	.poll = smon_poll,
	.mmap = smon_mmap,
	.unlocked_ioctl = smon_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice smon_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "syscallmon",
	.fops = &smon_fops,
	.mode = 0600,
};

int smon_device_init(void)
{
	return misc_register(&smon_miscdev);
}

void smon_device_exit(void)
{
	struct smon_holders *h;

	misc_deregister(&smon_miscdev);
	/* No file is open (.owner pins the module): wait out the arrays' frees, free the last. */
	rcu_barrier();
	/* The exit hook, unregistered later, may still look at the array. */
	h = rcu_dereference_protected(holders, true);
	RCU_INIT_POINTER(holders, NULL);
	synchronize_rcu();
	smon_kfree(h);
}
