// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/workqueue.h>

#include "device.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "scopes.h"
#include "syscalls.h"

struct smon_counters {
	u64 hits;
	u64 logged;
	u64 blocked;
};

/* A target's counters: they outlive the versions of the target that share them. */
struct target_stats {
	refcount_t ref;
	struct smon_counters __percpu *pcpu;
};

/* One version of a target; immutable once published. */
struct smon_rule {
	refcount_t ref;		/* one per snapshot holding it */
	u32 op;
	u32 action;
	int err;
	u32 flags;		/* SYSCALLMON_TARGET_ALL_PIDS, _FORCE, _FAILED_ONLY */
	u32 record;		/* enum syscallmon_record_mode */
	struct smon_scope *scope;	/* NULL: every process */
	struct target_stats *stats;
};

/*
 * What the entry hook reads to decide, published with rcu_assign_pointer()
 * and never changed afterwards: a change builds a new snapshot and frees the
 * old one after a grace period, so a call sees the old policy or the new
 * one, never a mix.  Rules are shared between consecutive snapshots.
 */
struct smon_policy {
	struct rcu_work free_work;
	u32 mode;
	u32 ntargets;
	struct smon_rule *target[SYSCALLMON_NR_LIMIT];
};

static DEFINE_MUTEX(config_lock);	/* serializes every change; the hook never takes it */
static struct smon_policy __rcu *policy;
static struct workqueue_struct *free_wq;	/* frees old snapshots in process context */
static u64 __percpu *op_counts;		/* [SYSCALLMON_NR_LIMIT][SMON_NR_COUNTS] */

static struct smon_policy *current_policy(void)
{
	return rcu_dereference_protected(policy, lockdep_is_held(&config_lock));
}

static bool in_scope(const struct smon_rule *rule, const struct pid *tgid)
{
	return !rule->scope || smon_scope_has(rule->scope, tgid);
}

bool smon_policy_decide(const struct smon_call *call, struct smon_decision *d)
{
	const struct smon_policy *p = rcu_dereference(policy);
	const struct smon_rule *rule;
	struct smon_counters __percpu *c;
	struct pid *tgid;
	bool block, forced;

	if (!p || p->mode == SYSCALLMON_MODE_OFF)
		return false;
	rule = p->target[call->op];
	if (!rule)
		return false;
	tgid = task_tgid(current);
	c = rule->stats->pcpu;
	block = rule->action == SYSCALLMON_ACTION_BLOCK;
	forced = rule->flags & SYSCALLMON_TARGET_FORCE;
	d->err = rule->err;
	if (smon_device_holder(tgid)) {
		/* Never record ourselves (no feedback loop); block a holder only when forced. */
		if (!(block && forced && p->mode == SYSCALLMON_MODE_BLOCK && in_scope(rule, tgid)))
			return false;
		this_cpu_inc(c->blocked);
		d->record = false;
		d->block = true;
		return true;
	}
	this_cpu_inc(c->hits);
	if (!in_scope(rule, tgid))
		return false;
	d->record = true;
	d->block = false;
	d->record_mode = rule->record;
	d->failed_only = rule->flags & SYSCALLMON_TARGET_FAILED_ONLY;
	d->verdict = SYSCALLMON_VERDICT_ALLOWED;
	if (block) {
		if (p->mode == SYSCALLMON_MODE_BLOCK && (forced || !is_global_init(current))) {
			d->verdict = SYSCALLMON_VERDICT_BLOCKED;
			d->block = true;
		} else {
			d->verdict = SYSCALLMON_VERDICT_WOULD_BLOCK;
		}
	}
	this_cpu_inc(c->logged);
	if (d->block)
		this_cpu_inc(c->blocked);
	return true;
}
NOKPROBE_SYMBOL(smon_policy_decide);

void smon_policy_count(u32 op, enum smon_op_count what)
{
	this_cpu_inc(op_counts[op * SMON_NR_COUNTS + what]);
}
NOKPROBE_SYMBOL(smon_policy_count);

static struct target_stats *stats_new(void)
{
	struct target_stats *s = smon_kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->pcpu = alloc_percpu(struct smon_counters);
	if (!s->pcpu) {
		smon_kfree(s);
		return NULL;
	}
	atomic64_inc(&smon_allocs_live);
	refcount_set(&s->ref, 1);
	return s;
}

static void stats_put(struct target_stats *s)
{
	if (!s || !refcount_dec_and_test(&s->ref))
		return;
	free_percpu(s->pcpu);
	atomic64_dec(&smon_allocs_live);
	smon_kfree(s);
}

static void rule_put(struct smon_rule *rule)
{
	if (!rule || !refcount_dec_and_test(&rule->ref))
		return;
	smon_scope_put(rule->scope);
	stats_put(rule->stats);
	smon_kfree(rule);
}

static struct smon_policy *policy_copy(const struct smon_policy *old)
{
	struct smon_policy *p = smon_kzalloc(sizeof(*p), GFP_KERNEL);
	u32 nr;

	if (!p)
		return NULL;
	p->mode = old->mode;
	p->ntargets = old->ntargets;
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		p->target[nr] = old->target[nr];
		if (p->target[nr])
			refcount_inc(&p->target[nr]->ref);
	}
	return p;
}

static void policy_free(struct smon_policy *p)
{
	u32 nr;

	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		rule_put(p->target[nr]);
	smon_kfree(p);
}

static void policy_free_work(struct work_struct *work)
{
	policy_free(container_of(to_rcu_work(work), struct smon_policy, free_work));
}

static void set_site(u32 site, void *bitmap)
{
	__set_bit(site, bitmap);
}

/* The entry points a snapshot needs hooked: every ABI's entries of every target, unless OFF. */
static unsigned long *wanted_sites(const struct smon_policy *p)
{
	unsigned long *sites = smon_kzalloc(BITS_TO_LONGS(smon_nr_sites()) * sizeof(long) ?: sizeof(long),
					    GFP_KERNEL);
	u32 nr;

	if (!sites || p->mode == SYSCALLMON_MODE_OFF)
		return sites;
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (p->target[nr])
			smon_op_for_each_site(nr, set_site, sites);
	return sites;
}

/*
 * Makes new the current snapshot, or frees it and changes nothing.  Entry
 * points the new one needs are hooked before it is published and those only
 * the old one needed are unhooked after, so no call passes unseen in between.
 */
static int publish(struct smon_policy *new)
{
	struct smon_policy *old = current_policy();
	unsigned long *sites;
	int ret;

	lockdep_assert_held(&config_lock);
	sites = wanted_sites(new);
	if (!sites) {
		policy_free(new);
		return -ENOMEM;
	}
	ret = smon_probes_hook(sites);
	if (ret) {
		smon_kfree(sites);
		policy_free(new);
		return ret;
	}
	rcu_assign_pointer(policy, new);
	smon_probes_unhook_others(sites);
	smon_kfree(sites);
	if (old) {
		INIT_RCU_WORK(&old->free_work, policy_free_work);
		queue_rcu_work(free_wq, &old->free_work);
	}
	return 0;
}

u32 smon_mode(void)
{
	u32 mode;

	rcu_read_lock();
	mode = rcu_dereference(policy)->mode;
	rcu_read_unlock();
	return mode;
}

int smon_set_mode(u32 mode)
{
	struct smon_policy *p;
	int ret = -ENOMEM;

	mutex_lock(&config_lock);
	p = policy_copy(current_policy());
	if (p) {
		p->mode = mode;
		ret = publish(p);
	}
	mutex_unlock(&config_lock);
	return ret;
}

static bool includes_init(struct pid *const *pids, u32 npids)
{
	u32 i;

	for (i = 0; i < npids; i++)
		if (pid_nr(pids[i]) == 1)
			return true;
	return false;
}

/* Pid 1 can be given to a block target only with force. */
static int check_init(u32 action, u32 flags, struct pid *const *pids, u32 npids)
{
	if (action == SYSCALLMON_ACTION_BLOCK && !(flags & SYSCALLMON_TARGET_FORCE) &&
	    includes_init(pids, npids))
		return -EPERM;
	return 0;
}

int smon_target_add(const struct syscallmon_target *req, struct pid *const *pids, u32 npids)
{
	struct smon_policy *old, *p = NULL;
	struct smon_rule *cur, *rule;
	int ret;

	rule = smon_kzalloc(sizeof(*rule), GFP_KERNEL);
	if (!rule)
		return -ENOMEM;
	refcount_set(&rule->ref, 1);
	rule->op = req->nr;
	rule->action = req->action;
	rule->err = req->err;
	rule->flags = req->flags & (SYSCALLMON_TARGET_ALL_PIDS | SYSCALLMON_TARGET_FORCE |
				    SYSCALLMON_TARGET_FAILED_ONLY);
	rule->record = req->record;

	mutex_lock(&config_lock);
	old = current_policy();
	cur = old->target[req->nr];
	ret = -EBUSY;
	if (cur && (req->flags & SYSCALLMON_TARGET_EXCLUSIVE))
		goto out;
	ret = -ENOENT;
	if (!cur && !smon_op_implemented(req->nr))
		goto out;
	if (!(rule->flags & SYSCALLMON_TARGET_ALL_PIDS)) {
		ret = check_init(rule->action, rule->flags, pids, npids);
		if (ret)
			goto out;
		ret = -ENOMEM;
		rule->scope = smon_scope_new();
		if (!rule->scope)
			goto out;
		ret = smon_scopes_add(&rule->scope, 1, pids, npids);
		if (ret)
			goto out;
	}
	ret = -ENOMEM;
	if (cur) {
		rule->stats = cur->stats;
		refcount_inc(&rule->stats->ref);
	} else {
		rule->stats = stats_new();
		if (!rule->stats)
			goto out;
	}
	p = policy_copy(old);
	if (!p)
		goto out;
	if (cur)
		rule_put(cur);
	else
		p->ntargets++;
	p->target[req->nr] = rule;
	rule = NULL;
	ret = publish(p);
out:
	mutex_unlock(&config_lock);
	rule_put(rule);
	return ret;
}

int smon_target_del(u32 nr)
{
	struct smon_policy *p;
	int ret = -EINVAL;	/* "release what isn't intercepted" */

	mutex_lock(&config_lock);
	if (current_policy()->target[nr]) {
		ret = -ENOMEM;
		p = policy_copy(current_policy());
		if (p) {
			rule_put(p->target[nr]);
			p->target[nr] = NULL;
			p->ntargets--;
			ret = publish(p);
		}
	}
	mutex_unlock(&config_lock);
	return ret;
}

int smon_pids_add(u32 nr, struct pid *const *pids, u32 npids)
{
	const struct smon_rule *rule;
	int ret = -EINVAL;

	mutex_lock(&config_lock);
	rule = current_policy()->target[nr];
	if (rule && rule->scope) {
		ret = check_init(rule->action, rule->flags, pids, npids);
		if (!ret)
			ret = smon_scopes_add(&rule->scope, 1, pids, npids);
	}
	mutex_unlock(&config_lock);
	return ret;
}

int smon_pids_del(u32 nr, struct pid *const *pids, u32 npids)
{
	const struct smon_rule *rule;
	int ret = -EINVAL;
	u32 i;

	mutex_lock(&config_lock);
	rule = current_policy()->target[nr];
	if (rule && rule->scope) {
		for (i = 0; i < npids; i++)
			smon_scope_del(rule->scope, pids[i]);
		ret = 0;
	}
	mutex_unlock(&config_lock);
	return ret;
}

int smon_pids_add_all(struct pid *const *pids, u32 npids)
{
	struct smon_scope **scopes;
	const struct smon_policy *p;
	u32 nr, n = 0;
	int ret = 0;

	scopes = smon_kzalloc(SYSCALLMON_NR_LIMIT * sizeof(*scopes), GFP_KERNEL);
	if (!scopes)
		return -ENOMEM;
	mutex_lock(&config_lock);
	p = current_policy();
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT && !ret; nr++) {
		const struct smon_rule *rule = p->target[nr];

		if (!rule || !rule->scope)
			continue;
		ret = check_init(rule->action, rule->flags, pids, npids);
		scopes[n++] = rule->scope;
	}
	if (!ret)
		ret = smon_scopes_add(scopes, n, pids, npids);
	mutex_unlock(&config_lock);
	smon_kfree(scopes);
	return ret;
}

void smon_pids_del_all(struct pid *const *pids, u32 npids)
{
	const struct smon_policy *p;
	u32 nr, i;

	mutex_lock(&config_lock);
	p = current_policy();
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (p->target[nr] && p->target[nr]->scope)
			for (i = 0; i < npids; i++)
				smon_scope_del(p->target[nr]->scope, pids[i]);
	mutex_unlock(&config_lock);
}

static int clear_targets_locked(void)
{
	struct smon_policy *p = smon_kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	p->mode = current_policy()->mode;
	return publish(p);
}

void smon_targets_clear(void)
{
	mutex_lock(&config_lock);
	if (clear_targets_locked())
		pr_warn("could not clear the targets: out of memory\n");
	mutex_unlock(&config_lock);
}

void smon_counters_clear(void)
{
	const struct smon_policy *p;
	int cpu;
	u32 nr;

	mutex_lock(&config_lock);
	p = current_policy();
	for_each_possible_cpu(cpu) {
		memset(per_cpu_ptr(op_counts, cpu), 0, SYSCALLMON_NR_LIMIT * SMON_NR_COUNTS * sizeof(u64));
		for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
			if (p->target[nr])
				memset(per_cpu_ptr(p->target[nr]->stats->pcpu, cpu), 0,
				       sizeof(struct smon_counters));
		}
	}
	mutex_unlock(&config_lock);
}

static u64 count_of(u32 nr, enum smon_op_count what)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(op_counts, cpu)[nr * SMON_NR_COUNTS + what]);
	return sum;
}

static void fill_info(const struct smon_policy *p, const struct smon_rule *rule,
		      struct syscallmon_target_info *info)
{
	int cpu;

	memset(info, 0, sizeof(*info));
	info->nr = rule->op;
	info->action = rule->action;
	info->err = rule->err;
	info->flags = rule->flags;
	info->npids = rule->scope ? smon_scope_count(rule->scope) : 0;
	info->armed = p->mode != SYSCALLMON_MODE_OFF;
	for_each_possible_cpu(cpu) {
		const struct smon_counters *c = per_cpu_ptr(rule->stats->pcpu, cpu);

		info->hits += READ_ONCE(c->hits);
		info->logged += READ_ONCE(c->logged);
		info->blocked += READ_ONCE(c->blocked);
	}
	info->record = rule->record;
	info->missed = count_of(rule->op, SMON_COUNT_MISSED);
	info->no_result = count_of(rule->op, SMON_COUNT_NO_RESULT);
	info->failed_skipped = count_of(rule->op, SMON_COUNT_FAILED_SKIPPED);
}

int smon_targets_for_each(int (*fn)(const struct syscallmon_target_info *info,
				    const struct smon_scope *scope, void *arg), void *arg)
{
	struct syscallmon_target_info info;
	const struct smon_policy *p;
	int ret = 0;
	u32 nr;

	mutex_lock(&config_lock);
	p = current_policy();
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT && !ret; nr++) {
		if (!p->target[nr])
			continue;
		fill_info(p, p->target[nr], &info);
		ret = fn(&info, p->target[nr]->scope, arg);
	}
	mutex_unlock(&config_lock);
	return ret;
}

int smon_target_pids(u32 nr, struct pid_namespace *ns, u32 *nrs, u32 max)
{
	const struct smon_rule *rule;
	int ret = -EINVAL;

	mutex_lock(&config_lock);
	rule = current_policy()->target[nr];
	if (rule && rule->scope)
		ret = smon_scope_list(rule->scope, ns, nrs, max);
	mutex_unlock(&config_lock);
	return ret;
}

void smon_probe_stats(struct smon_probe_stats *stats)
{
	const struct smon_policy *p;
	u32 nr;

	memset(stats, 0, sizeof(*stats));
	mutex_lock(&config_lock);
	p = current_policy();
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		if (!p->target[nr])
			continue;
		stats->ntargets++;
		stats->armed += p->mode != SYSCALLMON_MODE_OFF;
		stats->missed += count_of(nr, SMON_COUNT_MISSED);
		stats->no_result += count_of(nr, SMON_COUNT_NO_RESULT);
	}
	mutex_unlock(&config_lock);
}

int smon_policy_init(void)
{
	struct smon_policy *p;

	op_counts = __alloc_percpu(SYSCALLMON_NR_LIMIT * SMON_NR_COUNTS * sizeof(u64), sizeof(u64));
	if (!op_counts)
		return -ENOMEM;
	free_wq = alloc_workqueue("syscallmon", 0, 0);
	p = smon_kzalloc(sizeof(*p), GFP_KERNEL);
	if (!free_wq || !p) {
		if (free_wq)
			destroy_workqueue(free_wq);
		smon_kfree(p);
		free_percpu(op_counts);
		return -ENOMEM;
	}
	p->mode = SYSCALLMON_MODE_OFF;
	rcu_assign_pointer(policy, p);
	return 0;
}

void smon_policy_exit(void)
{
	struct smon_policy *p;

	mutex_lock(&config_lock);
	p = smon_kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p || publish(p)) {
		/* Can't build an empty snapshot: unhook everything and free in place. */
		smon_probes_unhook_all();
		p = current_policy();
		RCU_INIT_POINTER(policy, NULL);
		synchronize_rcu();
		policy_free(p);
		p = NULL;
	}
	mutex_unlock(&config_lock);
	/* Old snapshots wait for a grace period, then for the workqueue. */
	rcu_barrier();
	destroy_workqueue(free_wq);
	if (p) {
		RCU_INIT_POINTER(policy, NULL);
		synchronize_rcu();
		policy_free(p);
	}
	free_percpu(op_counts);
}
