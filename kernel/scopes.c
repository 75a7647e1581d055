// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>
#include <uapi/syscallmon.h>

#include "main.h"
#include "scopes.h"

#define MEMBER_HASH_BITS 12

struct smon_scope {
	refcount_t ref;
	bool tree;
	u32 count;			/* members; under members_lock */
	struct list_head members;	/* struct member.in_scope; under members_lock */
};

struct member {
	struct hlist_node node;		/* in members_hash; walked by probes under RCU */
	struct list_head in_scope;
	struct pid *tgid;		/* a reference, dropped after a grace period */
	struct smon_scope *scope;	/* compared, not followed, under RCU: it may be going */
	bool tree;			/* scope->tree, for walks under RCU */
	struct rcu_head rcu;
};

/*
 * members_lock serializes every change to the hash and to the scopes' member
 * lists.  It is taken with irqsave because the exit hook runs in do_exit()
 * with preemption off (a kprobe) and could otherwise deadlock against an
 * interrupted holder on the same CPU.  Readers (probe hits) take no lock.
 */
static DEFINE_SPINLOCK(members_lock);
static struct hlist_head members_hash[1 << MEMBER_HASH_BITS];

static struct hlist_head *bucket(const struct pid *tgid)
{
	return &members_hash[hash_ptr(tgid, MEMBER_HASH_BITS)];
}

static void free_member_rcu(struct rcu_head *rcu)
{
	struct member *m = container_of(rcu, struct member, rcu);

	put_pid(m->tgid);
	smon_kfree(m);
}

/* Caller holds members_lock. */
static void remove_member(struct smon_scope *scope, struct member *m)
{
	hlist_del_rcu(&m->node);
	list_del(&m->in_scope);
	scope->count--;
	call_rcu(&m->rcu, free_member_rcu);
}

struct smon_scope *smon_scope_new(bool tree)
{
	struct smon_scope *scope = smon_kzalloc(sizeof(*scope), GFP_KERNEL);

	if (!scope)
		return NULL;
	refcount_set(&scope->ref, 1);
	scope->tree = tree;
	INIT_LIST_HEAD(&scope->members);
	return scope;
}

struct smon_scope *smon_scope_get(struct smon_scope *scope)
{
	if (scope)
		refcount_inc(&scope->ref);
	return scope;
}

void smon_scope_put(struct smon_scope *scope)
{
	struct member *m, *next;
	unsigned long flags;

	if (!scope || !refcount_dec_and_test(&scope->ref))
		return;
	spin_lock_irqsave(&members_lock, flags);
	list_for_each_entry_safe(m, next, &scope->members, in_scope)
		remove_member(scope, m);
	spin_unlock_irqrestore(&members_lock, flags);
	/* No probe reaches a scope once no published target refers to it. */
	smon_kfree(scope);
}

/* The two lookups below run on every hooked call, whose hook already holds the RCU read lock. */
bool smon_scope_has(const struct smon_scope *scope, const struct pid *tgid)
{
	const struct member *m;

	hlist_for_each_entry_rcu(m, bucket(tgid), node)
		if (m->tgid == tgid && m->scope == scope)
			return true;
	return false;
}
NOKPROBE_SYMBOL(smon_scope_has);

void smon_scopes_of(const struct pid *tgid, void (*fn)(const struct smon_scope *scope, void *arg), void *arg)
{
	const struct member *m;

	hlist_for_each_entry_rcu(m, bucket(tgid), node)
		if (m->tgid == tgid)
			fn(m->scope, arg);
}
NOKPROBE_SYMBOL(smon_scopes_of);

/* Caller holds members_lock. */
static struct member *find_member(const struct smon_scope *scope, const struct pid *tgid)
{
	struct member *m;

	hlist_for_each_entry(m, bucket(tgid), node)
		if (m->tgid == tgid && m->scope == scope)
			return m;
	return NULL;
}

bool smon_process_alive(struct pid *tgid)
{
	struct task_struct *task;
	bool alive = false;

	rcu_read_lock();
	task = pid_task(tgid, PIDTYPE_TGID);
	/*
	 * The leader of a live process may itself be a zombie: what counts is
	 * whether the group still has live threads and is not being killed.
	 */
	if (task)
		alive = atomic_read(&task->signal->live) > 0 &&
			!(READ_ONCE(task->signal->flags) & SIGNAL_GROUP_EXIT);
	rcu_read_unlock();
	return alive;
}

struct pid *smon_process_get(u32 nr, struct pid_namespace *ns)
{
	struct pid *tgid;

	rcu_read_lock();
	tgid = get_pid(find_pid_ns(nr, ns));
	rcu_read_unlock();
	if (tgid && !smon_process_alive(tgid)) {
		put_pid(tgid);
		tgid = NULL;
	}
	return tgid;
}

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Sorted copy of pids without repeats; the caller frees it. */
static struct pid **unique_pids(struct pid *const *pids, u32 npids, u32 *nunique)
{
	struct pid **copy;
	u32 i, n = 0;

	copy = smon_kzalloc(array_size(npids ?: 1, sizeof(*copy)), GFP_KERNEL);
	if (!copy)
		return NULL;
	memcpy(copy, pids, npids * sizeof(*copy));
	sort(copy, npids, sizeof(*copy), cmp_ptr, NULL);
	for (i = 0; i < npids; i++)
		if (!n || copy[n - 1] != copy[i])
			copy[n++] = copy[i];
	*nunique = n;
	return copy;
}

static u32 limit(const struct smon_scope *scope)
{
	return scope->tree ? SYSCALLMON_MAX_TREE : SYSCALLMON_MAX_PIDS;
}

/* Caller holds members_lock: how many of pids (unique) are not members yet. */
static u32 count_new(const struct smon_scope *scope, struct pid *const *pids, u32 npids)
{
	u32 i, fresh = 0;

	for (i = 0; i < npids; i++)
		fresh += !find_member(scope, pids[i]);
	return fresh;
}

int smon_scopes_add(struct smon_scope *const *scopes, u32 nscopes, struct pid *const *pids, u32 npids)
{
	struct member **spare;
	struct pid **unique;
	unsigned long flags;
	u32 i, s, n, nspare, used = 0;
	int ret = 0;

	unique = unique_pids(pids, npids, &n);
	if (!unique)
		return -ENOMEM;
	nspare = n * nscopes;
	spare = smon_kzalloc(array_size(nspare ?: 1, sizeof(*spare)), GFP_KERNEL);
	if (!spare) {
		smon_kfree(unique);
		return -ENOMEM;
	}
	for (i = 0; i < nspare; i++) {
		spare[i] = smon_kzalloc(sizeof(**spare), GFP_KERNEL);
		if (!spare[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}

	spin_lock_irqsave(&members_lock, flags);
	for (s = 0; s < nscopes && !ret; s++)
		if (scopes[s]->count + count_new(scopes[s], unique, n) > limit(scopes[s]))
			ret = -ENOSPC;
	/*
	 * Checked under the lock the exit hook takes, after the process's
	 * live count dropped: either we see it gone here, or the hook runs
	 * after us and removes what we insert.
	 */
	for (i = 0; i < n && !ret; i++)
		if (!smon_process_alive(unique[i]))
			ret = -ESRCH;
	for (s = 0; s < nscopes && !ret; s++) {
		for (i = 0; i < n; i++) {
			struct member *m;

			if (find_member(scopes[s], unique[i]))
				continue;
			m = spare[used++];
			m->tgid = get_pid(unique[i]);
			m->scope = scopes[s];
			m->tree = scopes[s]->tree;
			list_add_tail(&m->in_scope, &scopes[s]->members);
			hlist_add_head_rcu(&m->node, bucket(m->tgid));
			scopes[s]->count++;
		}
	}
	/*
	 * The exit hook looks for members before it takes the lock: a process
	 * whose last thread left between the check above and the inserts would
	 * keep them.  Its live count dropped (a full barrier) before it looked,
	 * so after ours either it saw them, and waits for the lock to remove
	 * them, or we see it gone now and take them back: all or nothing.
	 */
	if (!ret) {
		smp_mb();
		for (i = 0; i < n && !ret; i++)
			if (!smon_process_alive(unique[i]))
				ret = -ESRCH;
		for (i = 0; i < used && ret; i++)
			remove_member(spare[i]->scope, spare[i]);
	}
	spin_unlock_irqrestore(&members_lock, flags);
out:
	for (i = used; i < nspare; i++)
		smon_kfree(spare[i]);
	smon_kfree(spare);
	smon_kfree(unique);
	return ret;
}

void smon_scope_del(struct smon_scope *scope, struct pid *tgid)
{
	struct member *m;
	unsigned long flags;

	spin_lock_irqsave(&members_lock, flags);
	m = find_member(scope, tgid);
	if (m)
		remove_member(scope, m);
	spin_unlock_irqrestore(&members_lock, flags);
}

u32 smon_scope_count(const struct smon_scope *scope)
{
	return READ_ONCE(scope->count);
}

u32 smon_scope_list(const struct smon_scope *scope, struct pid_namespace *ns, u32 *nrs, u32 max)
{
	const struct member *m;
	unsigned long flags;
	u32 n = 0;

	spin_lock_irqsave(&members_lock, flags);
	list_for_each_entry(m, &scope->members, in_scope) {
		pid_t nr = pid_nr_ns(m->tgid, ns);

		if (!nr)
			continue;
		if (n < max)
			nrs[n] = nr;
		n++;
	}
	spin_unlock_irqrestore(&members_lock, flags);
	return n;
}

void smon_scopes_forget(struct pid *tgid)
{
	struct hlist_node *next;
	struct member *m;
	unsigned long flags;
	bool any = false;

	/* Most exiting processes are in no scope: look before locking. */
	rcu_read_lock();
	hlist_for_each_entry_rcu(m, bucket(tgid), node)
		any |= m->tgid == tgid;
	rcu_read_unlock();
	if (!any)
		return;
	spin_lock_irqsave(&members_lock, flags);
	hlist_for_each_entry_safe(m, next, bucket(tgid), node)
		if (m->tgid == tgid)
			remove_member(m->scope, m);
	spin_unlock_irqrestore(&members_lock, flags);
}
NOKPROBE_SYMBOL(smon_scopes_forget);

/*
 * sched_process_fork, before the child first runs: a child of a tree member
 * joins its trees.  Threads share their process's identity: nothing to do.
 * Runs with preemption off, so members are allocated without sleeping; a
 * child that can't join is counted (status), never silently left out.
 */
static atomic64_t tree_missed = ATOMIC64_INIT(0);

static void on_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct pid *ptgid = task_tgid(parent), *ctgid;
	struct member *m, *joined;
	unsigned long flags;
	bool any = false;

	if (child->tgid == parent->tgid)
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(m, bucket(ptgid), node)
		any |= m->tgid == ptgid && m->tree;
	rcu_read_unlock();
	if (!any)
		return;
	ctgid = task_tgid(child);
	spin_lock_irqsave(&members_lock, flags);
	hlist_for_each_entry(m, bucket(ptgid), node) {
		if (m->tgid != ptgid || !m->scope->tree || find_member(m->scope, ctgid))
			continue;
		joined = m->scope->count < SYSCALLMON_MAX_TREE ?
			 smon_kzalloc(sizeof(*joined), GFP_NOWAIT | __GFP_NOWARN) : NULL;
		if (!joined) {
			atomic64_inc(&tree_missed);
			continue;
		}
		joined->tgid = get_pid(ctgid);
		joined->scope = m->scope;
		joined->tree = true;
		list_add_tail(&joined->in_scope, &m->scope->members);
		/* The child's bucket may be the parent's: the walk goes on from m, unaffected. */
		hlist_add_head_rcu(&joined->node, bucket(ctgid));
		m->scope->count++;
	}
	spin_unlock_irqrestore(&members_lock, flags);
}
NOKPROBE_SYMBOL(on_fork);

static struct tracepoint *fork_tp;

static void find_fork_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		fork_tp = tp;
}

int smon_scopes_init(void)
{
	int ret;

	for_each_kernel_tracepoint(find_fork_tp, NULL);
	if (!fork_tp) {
		pr_err("no sched_process_fork tracepoint: process trees can't follow forks\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(fork_tp, on_fork, NULL);
	if (ret)
		pr_err("cannot register on sched_process_fork: %d\n", ret);
	return ret;
}

void smon_scopes_exit(void)
{
	if (fork_tp)
		tracepoint_probe_unregister(fork_tp, on_fork, NULL);
	/* Every scope was put with its rule; wait for the members' frees and the probe. */
	tracepoint_synchronize_unregister();
	rcu_barrier();
}

u64 smon_scopes_tree_missed(void)
{
	return atomic64_read(&tree_missed);
}
