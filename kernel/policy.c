// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bsearch.h>
#include <linux/cgroup.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

#include "changes.h"
#include "device.h"
#include "exits.h"
#include "files.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "rules.h"
#include "scopes.h"
#include "syscalls.h"

/*
 * A syscall's rules in evaluation order (its target, if any, last), with a
 * hash index over the one selector of each rule that is cheapest to look
 * up: a call gathers the few rules whose key it has (one lookup per kind of
 * key the syscall's rules use; a cgroup, one per level of the caller's
 * cgroup), plus those without a key ("plain"), and evaluates those in
 * order.  Many rules that don't match a process cost a lookup, not a scan.
 */
enum key_kind { KEY_SCOPE = 1, KEY_EXE, KEY_COMM, KEY_UID, KEY_FILE, KEY_CGROUP };

struct rule_key {
	u64 hi;		/* kind << 56, and for KEY_EXE and KEY_FILE the device */
	u64 lo;
	u16 pos;	/* in op_rules.rules */
};

/*
 * What a rule that matched makes of a call by a process that holds no
 * device, under a mode: the same for every such call, so the common case
 * has it made once per snapshot (verdict_of()).
 */
struct verdict {
	struct smon_decision d;
	bool act;		/* false: the rule allows the call, nothing to do */
	u8 counter;		/* besides matched and logged: offset in smon_rule_counters, or 0 */
};

struct op_rules {
	u16 n;
	u16 nplain;
	u16 nkeys;
	u16 kinds;			/* 1 << kind of every kind in keys */
	u32 hash_mask;			/* slots - 1 */
	struct smon_rule *target;	/* this syscall's target (also rules[n - 1]), or NULL */
	struct smon_rule *sole;		/* the only rule, if it selects by its scope alone */
	struct verdict sole_verdict[2];	/* its verdict for any process, and for pid 1 */
	struct smon_rule **rules;
	u16 *plain;			/* ascending positions */
	struct rule_key *keys;		/* sorted: the rules of one key are adjacent, in order */
	u16 *slots;			/* open addressing: 1 + index in keys of a key's first, 0 empty */
};

static u32 key_hash(u64 hi, u64 lo)
{
	return hash_64(hi ^ (lo * GOLDEN_RATIO_64), 32);
}

/*
 * What the entry hook reads to decide, published with rcu_assign_pointer()
 * and never changed afterwards: a change builds a new snapshot and frees the
 * old one after a grace period, so a call sees the old policy or the new
 * one, never a mix.  Rules are shared between consecutive snapshots; the
 * per-syscall tables are built for each.
 */
struct smon_policy {
	struct rcu_work free_work;
	u32 mode;
	u32 ntargets;
	u32 nrules;
	struct smon_rule **rules;	/* named rules in order: policy, hand, file */
	struct smon_rule *target[SYSCALLMON_NR_LIMIT];
	struct op_rules *by_op[SYSCALLMON_NR_LIMIT];
	struct op_rules *by_file_op[SMON_NR_FILE_OPS];	/* file rules: all keyed by their file */
};

static DEFINE_MUTEX(config_lock);	/* serializes every change; the hook never takes it */
static struct smon_policy __rcu *policy;
static struct workqueue_struct *free_wq;	/* frees old snapshots in process context */
static u64 __percpu *op_counts;		/* [SYSCALLMON_NR_LIMIT][SMON_NR_COUNTS] */
static char __percpu (*path_bufs)[SYSCALLMON_SELECTOR_LEN];	/* path selectors read here */
static u32 next_rule_id = 1;		/* under config_lock */
/*
 * The mode a snapshot decides under is the one set (SET_MODE, a policy),
 * raised to the highest an open file holds (HOLD): a `run` that
 * needs LOG or BLOCK for its command's time holds it, and another's end,
 * or a mode set meanwhile, can't lower it under the command.
 */
static u32 mode_set = SYSCALLMON_MODE_OFF;		/* changed under config_lock */
static u32 mode_holds[SYSCALLMON_MODE_BLOCK + 1];	/* files holding each mode; changed under config_lock */

static struct smon_policy *current_policy(void)
{
	return rcu_dereference_protected(policy, lockdep_is_held(&config_lock));
}

/* The same for a comm in a rule and in a task: 16 bytes, zero after the NUL. */
static u64 comm_key(const char *comm)
{
	u64 h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < SYSCALLMON_COMM_LEN && comm[i]; i++)
		h = (h ^ (u8)comm[i]) * 0x100000001b3ull;
	return h;
}

static int key_cmp(const void *a, const void *b)
{
	const struct rule_key *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->pos - y->pos;
}

/* The key a rule is found by, or false for a plain rule. */
static bool rule_key(const struct smon_rule *r, struct rule_key *k)
{
	if (r->flags & SYSCALLMON_SEL_FILE) {
		k->hi = (u64)KEY_FILE << 56;
		k->lo = (unsigned long)smon_held_inode(&r->file);
	} else if (r->scope) {
		k->hi = (u64)KEY_SCOPE << 56;
		k->lo = (unsigned long)r->scope;
	} else if (r->flags & SYSCALLMON_SEL_EXE) {
		k->hi = (u64)KEY_EXE << 56;
		k->lo = (unsigned long)smon_held_inode(&r->exe);
	} else if ((r->flags & SYSCALLMON_SEL_COMM) && !(r->flags & SYSCALLMON_RULE_COMM_PREFIX)) {
		k->hi = (u64)KEY_COMM << 56;
		k->lo = comm_key(r->comm);
	} else if ((r->flags & SYSCALLMON_SEL_UID) && r->uid.min == r->uid.max) {
		k->hi = (u64)KEY_UID << 56;
		k->lo = r->uid.min;
	} else if (r->flags & SYSCALLMON_SEL_CGROUP) {
		k->hi = (u64)KEY_CGROUP << 56;
		k->lo = cgroup_id(r->cgroup);
	} else {
		return false;
	}
	return true;
}

static void op_rules_add(struct op_rules *o, struct smon_rule *r)
{
	u16 pos = o->n++;

	o->rules[pos] = r;
	if (rule_key(r, &o->keys[o->nkeys])) {
		o->keys[o->nkeys++].pos = pos;
		o->kinds |= 1u << (o->keys[o->nkeys - 1].hi >> 56);
	} else {
		o->plain[o->nplain++] = pos;
	}
}

static bool is_act(u32 action)
{
	return action == SYSCALLMON_RULE_BLOCK || action == SYSCALLMON_RULE_KILL;
}

/* Do rule r's block and kill act under mode, rather than being counted as would_*? */
static inline bool enforced(const struct smon_rule *r, u32 mode)
{
	return (r->flags & SYSCALLMON_RULE_ENFORCE) && mode == SYSCALLMON_MODE_BLOCK;
}

/* The verdict of rule r under mode for a process that holds no device; init: for pid 1. */
static void verdict_of(const struct smon_rule *r, u32 mode, bool init, struct verdict *v)
{
	bool forced = r->flags & SYSCALLMON_RULE_FORCE;
	bool kill = r->action == SYSCALLMON_RULE_KILL;

	memset(v, 0, sizeof(*v));
	v->d.err = r->err;
	v->d.rule = r->id;
	if (r->action == SYSCALLMON_RULE_ALLOW)
		return;
	v->act = true;
	v->d.record = true;
	v->d.record_mode = r->record;
	v->d.failed_only = r->flags & SYSCALLMON_RULE_FAILED_ONLY;
	v->d.verdict = SYSCALLMON_VERDICT_ALLOWED;
	if (!is_act(r->action))
		return;
	if (enforced(r, mode) && (forced || !init)) {
		v->d.verdict = kill ? SYSCALLMON_VERDICT_KILLED : SYSCALLMON_VERDICT_BLOCKED;
		v->d.block = true;
		v->d.kill = kill;
		v->counter = kill ? offsetof(struct smon_rule_counters, killed) :
				    offsetof(struct smon_rule_counters, blocked);
	} else {
		v->d.verdict = kill ? SYSCALLMON_VERDICT_WOULD_KILL : SYSCALLMON_VERDICT_WOULD_BLOCK;
		v->counter = offsetof(struct smon_rule_counters, would_act);
	}
}
NOKPROBE_SYMBOL(verdict_of);

/* Does rule r decide syscall nr (nr < SYSCALLMON_NR_LIMIT) or file access nr - SYSCALLMON_NR_LIMIT? */
static bool decides(const struct smon_rule *r, u32 nr)
{
	return nr < SYSCALLMON_NR_LIMIT ? test_bit(nr, r->ops) : r->file_ops & (1u << (nr - SYSCALLMON_NR_LIMIT));
}

/* The rules of syscall (or file access) nr in order (n of them), and their index. */
static struct op_rules *build_op(const struct smon_policy *p, u32 nr, u32 n)
{
	u32 nslots = roundup_pow_of_two(2 * n), i, h;
	struct op_rules *o;
	size_t size = sizeof(*o) + n * (sizeof(*o->rules) + sizeof(*o->plain) + sizeof(*o->keys)) +
		      nslots * sizeof(*o->slots);

	o = smon_kvzalloc(size);
	if (!o)
		return NULL;
	o->keys = (struct rule_key *)(o + 1);
	o->rules = (struct smon_rule **)(o->keys + n);
	o->plain = (u16 *)(o->rules + n);
	o->slots = o->plain + n;
	o->hash_mask = nslots - 1;
	for (i = 0; i < p->nrules && o->n < n; i++)
		if (decides(p->rules[i], nr))
			op_rules_add(o, p->rules[i]);
	if (nr < SYSCALLMON_NR_LIMIT && p->target[nr]) {
		o->target = p->target[nr];
		op_rules_add(o, o->target);
	}
	if (o->n == 1 && smon_rule_scope_only(o->rules[0])) {
		o->sole = o->rules[0];
		verdict_of(o->sole, p->mode, false, &o->sole_verdict[0]);
		verdict_of(o->sole, p->mode, true, &o->sole_verdict[1]);
	}
	sort(o->keys, o->nkeys, sizeof(*o->keys), key_cmp, NULL);
	for (i = 0; i < o->nkeys; i++) {
		if (i && o->keys[i].hi == o->keys[i - 1].hi && o->keys[i].lo == o->keys[i - 1].lo)
			continue;
		for (h = key_hash(o->keys[i].hi, o->keys[i].lo) & o->hash_mask; o->slots[h];
		     h = (h + 1) & o->hash_mask)
			;
		o->slots[h] = i + 1;
	}
	return o;
}

static void free_ops(struct smon_policy *p)
{
	u32 nr;

	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		smon_kvfree(p->by_op[nr]);
		p->by_op[nr] = NULL;
	}
	for (nr = 0; nr < SMON_NR_FILE_OPS; nr++) {
		smon_kvfree(p->by_file_op[nr]);
		p->by_file_op[nr] = NULL;
	}
}

/*
 * The table of each syscall and file access that has rules: counted in a
 * pass over the rules' syscalls, not over all syscalls for each rule.
 */
static int build_ops(struct smon_policy *p)
{
	u16 *counts = smon_kzalloc((SYSCALLMON_NR_LIMIT + SMON_NR_FILE_OPS) * sizeof(*counts), GFP_KERNEL);
	unsigned long file_ops;
	u32 nr, i;
	int ret = 0;

	if (!counts)
		return -ENOMEM;
	for (i = 0; i < p->nrules; i++) {
		for_each_set_bit(nr, p->rules[i]->ops, SYSCALLMON_NR_LIMIT)
			counts[nr]++;
		file_ops = p->rules[i]->file_ops;
		for_each_set_bit(nr, &file_ops, SMON_NR_FILE_OPS)
			counts[SYSCALLMON_NR_LIMIT + nr]++;
	}
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT + SMON_NR_FILE_OPS && !ret; nr++) {
		u32 n = counts[nr] + (nr < SYSCALLMON_NR_LIMIT && p->target[nr] ? 1 : 0);
		struct op_rules **slot = nr < SYSCALLMON_NR_LIMIT ? &p->by_op[nr] :
					 &p->by_file_op[nr - SYSCALLMON_NR_LIMIT];

		if (!n)
			continue;
		*slot = build_op(p, nr, n);
		if (!*slot)
			ret = -ENOMEM;
	}
	smon_kfree(counts);
	if (ret)
		free_ops(p);
	return ret;
}

/* ---- deciding a call --------------------------------------------------------- */

#define MAX_CANDIDATES 32
/* Up to this many rules on a syscall are tested in order, without the index. */
#define SCAN_MAX 2

struct candidates {
	u32 n;
	bool overflow;
	u16 pos[MAX_CANDIDATES];
};

static void add_candidate(struct candidates *c, u16 pos)
{
	if (c->n == MAX_CANDIDATES)
		c->overflow = true;
	else
		c->pos[c->n++] = pos;
}

/* Adds the positions of every rule with key (hi, lo). */
static void lookup(const struct op_rules *o, u64 hi, u64 lo, struct candidates *c)
{
	u32 h, i;

	for (h = key_hash(hi, lo) & o->hash_mask; o->slots[h]; h = (h + 1) & o->hash_mask) {
		i = o->slots[h] - 1;
		if (o->keys[i].hi != hi || o->keys[i].lo != lo)
			continue;
		for (; i < o->nkeys && o->keys[i].hi == hi && o->keys[i].lo == lo; i++)
			add_candidate(c, o->keys[i].pos);
		return;
	}
}

struct scope_lookup {
	const struct op_rules *o;
	struct candidates *c;
};

static void lookup_scope(const struct smon_scope *scope, void *arg)
{
	struct scope_lookup *l = arg;

	lookup(l->o, (u64)KEY_SCOPE << 56, (unsigned long)scope, l->c);
}

/* The first rule of o the calling task matches, in order; NULL if none. */
static struct smon_rule *first_match(const struct op_rules *o, struct smon_match_ctx *ctx)
{
	struct candidates c __uninitialized;	/* pos[] is filled as it grows */
	const struct inode *exe;
	u32 i, j;

	/* A few rules: testing each costs less than gathering candidates from the index. */
	if (o->n <= SCAN_MAX) {
		for (i = 0; i < o->n; i++)
			if (smon_rule_matches(o->rules[i], ctx))
				return o->rules[i];
		return NULL;
	}
	c.n = 0;
	c.overflow = false;
	for (i = 0; i < o->nplain; i++)
		add_candidate(&c, o->plain[i]);
	if (o->kinds & (1u << KEY_UID))
		lookup(o, (u64)KEY_UID << 56, __kuid_val(ctx->cred->uid), &c);
	if (o->kinds & (1u << KEY_COMM))
		lookup(o, (u64)KEY_COMM << 56, comm_key(current->comm), &c);
	if ((o->kinds & (1u << KEY_EXE)) && (exe = smon_match_exe(ctx)))
		lookup(o, (u64)KEY_EXE << 56, (unsigned long)exe, &c);
	if (o->kinds & (1u << KEY_CGROUP)) {
		struct cgroup *cg;

		if (!ctx->cgroup)
			ctx->cgroup = task_dfl_cgroup(current);
		for (cg = ctx->cgroup; cg; cg = cgroup_parent(cg))
			lookup(o, (u64)KEY_CGROUP << 56, cgroup_id(cg), &c);
	}
	if ((o->kinds & (1u << KEY_FILE)) && ctx->object)
		lookup(o, (u64)KEY_FILE << 56, (unsigned long)ctx->object, &c);
	if (o->kinds & (1u << KEY_SCOPE)) {
		struct scope_lookup l = { o, &c };

		smon_scopes_of(ctx->tgid, lookup_scope, &l);
	}
	if (c.overflow) {
		/* More candidates than kept: evaluate them all, in order. */
		for (i = 0; i < o->n; i++)
			if (smon_rule_matches(o->rules[i], ctx))
				return o->rules[i];
		return NULL;
	}
	/* Insertion sort: a handful of positions. */
	for (i = 1; i < c.n; i++) {
		u16 v = c.pos[i];

		for (j = i; j > 0 && c.pos[j - 1] > v; j--)
			c.pos[j] = c.pos[j - 1];
		c.pos[j] = v;
	}
	for (i = 0; i < c.n; i++) {
		if (i && c.pos[i] == c.pos[i - 1])
			continue;
		if (smon_rule_matches(o->rules[c.pos[i]], ctx))
			return o->rules[c.pos[i]];
	}
	return NULL;
}

/* Is the caller a device holder?  Counts the call as evaluated by the target if not. */
static bool count_evaluated(const struct op_rules *o, const struct pid *tgid)
{
	bool holder = smon_device_holder(tgid);

	if (!holder && o->target)
		this_cpu_inc(o->target->stats->pcpu->hits);
	return holder;
}

/* Counts a verdict against the rule's counters c; false: nothing to do. */
static __always_inline bool apply(const struct verdict *v, struct smon_rule_counters __percpu *c,
				  struct smon_decision *d)
{
	this_cpu_inc(c->matched);
	if (!v->act)
		return false;
	if (v->counter)
		this_cpu_inc(*(u64 __percpu *)((char __percpu *)c + v->counter));
	this_cpu_inc(c->logged);
	*d = v->d;
	return true;
}

/* Rule r matched: what the hook does; false: nothing to do. */
static bool act(const struct smon_policy *p, const struct smon_rule *r, bool holder, struct smon_decision *d)
{
	struct smon_rule_counters __percpu *c = r->stats->pcpu;
	struct verdict v __uninitialized;	/* verdict_of() fills it */

	if (holder) {
		/* Never record ourselves (no feedback loop); act on a holder only when forced. */
		if (!is_act(r->action) || !(r->flags & SYSCALLMON_RULE_FORCE) || !enforced(r, p->mode))
			return false;
		this_cpu_inc(c->matched);
		if (r->action == SYSCALLMON_RULE_KILL)
			this_cpu_inc(c->killed);
		else
			this_cpu_inc(c->blocked);
		d->err = r->err;
		d->rule = r->id;
		d->record = false;
		d->block = true;
		d->kill = r->action == SYSCALLMON_RULE_KILL;
		return true;
	}
	verdict_of(r, p->mode, is_global_init(current), &v);
	return apply(&v, c, d);
}
NOKPROBE_SYMBOL(act);

/* The first rule of o that matches decides; false: nothing to do. */
static bool decide(const struct smon_policy *p, const struct op_rules *o, struct smon_match_ctx *ctx,
		   struct smon_decision *d)
{
	bool holder = count_evaluated(o, ctx->tgid);
	const struct smon_rule *r = first_match(o, ctx);

	return r && act(p, r, holder, d);
}
NOKPROBE_SYMBOL(decide);

/* A call whose rules need the match context.  Apart, so the common case's frame has no context. */
static noinline bool decide_call(const struct smon_policy *p, const struct op_rules *o,
				 const struct smon_call *call, struct smon_decision *d)
{
	struct smon_match_ctx ctx __uninitialized;	/* smon_match_init() fills it */

	smon_match_init(&ctx, call, *this_cpu_ptr(path_bufs));
	return decide(p, o, &ctx, d);
}
NOKPROBE_SYMBOL(decide_call);

bool smon_policy_decide(const struct smon_call *call, struct smon_decision *d)
{
	const struct smon_policy *p = rcu_dereference(policy);
	const struct op_rules *o;
	const struct pid *tgid;
	bool holder;

	if (!p || p->mode == SYSCALLMON_MODE_OFF)
		return false;
	o = p->by_op[call->op];
	if (!o)
		return false;
	if (!o->sole)
		return decide_call(p, o, call, d);
	/* The common case, one rule and at most a scope: no match context to build. */
	tgid = task_tgid(current);
	holder = count_evaluated(o, tgid);
	if (o->sole->scope && !smon_scope_has(o->sole->scope, tgid))
		return false;
	if (holder)
		return act(p, o->sole, true, d);
	return apply(&o->sole_verdict[is_global_init(current)], o->sole->stats->pcpu, d);
}
NOKPROBE_SYMBOL(smon_policy_decide);

bool smon_policy_decide_file(u32 op, const struct inode *object, struct smon_decision *d)
{
	const struct smon_policy *p = rcu_dereference(policy);
	struct smon_match_ctx ctx __uninitialized;	/* smon_match_init*() fills it */
	const struct op_rules *o;

	if (!p || p->mode == SYSCALLMON_MODE_OFF)
		return false;
	o = p->by_file_op[op];
	if (!o)
		return false;
	smon_match_init_file(&ctx, object);
	return decide(p, o, &ctx, d);
}
NOKPROBE_SYMBOL(smon_policy_decide_file);

void smon_policy_count(u32 op, enum smon_op_count what)
{
	this_cpu_inc(op_counts[op * SMON_NR_COUNTS + what]);
}
NOKPROBE_SYMBOL(smon_policy_count);

/* ---- snapshots ----------------------------------------------------------------- */

static struct smon_policy *policy_alloc(u32 mode, u32 nrules)
{
	struct smon_policy *p = smon_kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return NULL;
	p->mode = mode;
	p->rules = smon_kzalloc(array_size(nrules ?: 1, sizeof(*p->rules)), GFP_KERNEL);
	if (!p->rules) {
		smon_kfree(p);
		return NULL;
	}
	return p;
}

/* A copy of old's mode, targets and rules, with room for extra more rules. */
static struct smon_policy *policy_copy(const struct smon_policy *old, u32 extra)
{
	struct smon_policy *p = policy_alloc(old->mode, old->nrules + extra);
	u32 nr, i;

	if (!p)
		return NULL;
	p->ntargets = old->ntargets;
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		p->target[nr] = old->target[nr];
		if (p->target[nr])
			smon_rule_get(p->target[nr]);
	}
	for (i = 0; i < old->nrules; i++) {
		p->rules[i] = old->rules[i];
		smon_rule_get(p->rules[i]);
	}
	p->nrules = old->nrules;
	return p;
}

static void policy_free(struct smon_policy *p)
{
	u32 nr, i;

	free_ops(p);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		smon_rule_put(p->target[nr]);
	for (i = 0; i < p->nrules; i++)
		smon_rule_put(p->rules[i]);
	smon_kfree(p->rules);
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

/* The entry points a snapshot needs hooked: every ABI's entries of every syscall with a rule, unless OFF. */
static unsigned long *wanted_sites(const struct smon_policy *p)
{
	unsigned long *sites = smon_kzalloc(BITS_TO_LONGS(smon_nr_sites()) * sizeof(long) ?: sizeof(long),
					    GFP_KERNEL);
	u32 nr;

	if (!sites || p->mode == SYSCALLMON_MODE_OFF)
		return sites;
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (p->by_op[nr])
			smon_op_for_each_site(nr, set_site, sites);
	return sites;
}

/* The file accesses (SYSCALLMON_FILE_*) a snapshot needs hooked. */
static u32 wanted_file_ops(const struct smon_policy *p)
{
	u32 op, ops = 0;

	for (op = 0; op < SMON_NR_FILE_OPS && p->mode != SYSCALLMON_MODE_OFF; op++)
		if (p->by_file_op[op])
			ops |= 1u << op;
	return ops;
}

/*
 * Makes new the current snapshot, or frees it and changes nothing.  Entry
 * points the new one needs are hooked before it is published and those only
 * the old one needed are unhooked after, so no call passes unseen in between.
 */
static int publish(struct smon_policy *new)
{
	struct smon_policy *old = current_policy();
	u32 file_ops, old_file_ops = old ? wanted_file_ops(old) : 0;
	unsigned long *sites;
	int ret;

	lockdep_assert_held(&config_lock);
	ret = build_ops(new);
	if (ret) {
		policy_free(new);
		return ret;
	}
	sites = wanted_sites(new);
	if (!sites) {
		policy_free(new);
		return -ENOMEM;
	}
	file_ops = wanted_file_ops(new);
	ret = smon_files_hook(file_ops | old_file_ops);
	if (!ret) {
		ret = smon_probes_hook(sites);
		if (ret)
			smon_files_hook(old_file_ops);
	}
	if (ret) {
		smon_kfree(sites);
		policy_free(new);
		return ret;
	}
	rcu_assign_pointer(policy, new);
	smon_probes_unhook_others(sites);
	smon_files_hook(file_ops);
	smon_kfree(sites);
	if (old) {
		INIT_RCU_WORK(&old->free_work, policy_free_work);
		queue_rcu_work(free_wq, &old->free_work);
	}
	return 0;
}

static u32 held_mode(void)
{
	if (mode_holds[SYSCALLMON_MODE_BLOCK])
		return SYSCALLMON_MODE_BLOCK;
	return mode_holds[SYSCALLMON_MODE_LOG] ? SYSCALLMON_MODE_LOG : SYSCALLMON_MODE_OFF;
}

static u32 effective_mode(void)
{
	lockdep_assert_held(&config_lock);
	return max(mode_set, held_mode());
}

/* Publishes the current snapshot under the effective mode, if that changed. */
static int publish_mode(void)
{
	struct smon_policy *p;

	if (current_policy()->mode == effective_mode())
		return 0;
	p = policy_copy(current_policy(), 0);
	if (!p)
		return -ENOMEM;
	p->mode = effective_mode();
	return publish(p);
}

/* "off -> log", "log -> block (held at block)": the mode set, and what a hold makes of it. */
static void record_mode(u32 set_before, u32 before, const char *why, pid_t pid)
{
	u32 after = effective_mode();

	if (why)
		smon_change(SYSCALLMON_CONFIG_MODE, 0, "%s -> %s (%s by pid %d; set: %s)", smon_mode_name(before),
			    smon_mode_name(after), why, pid, smon_mode_name(mode_set));
	else if (mode_set == after)
		smon_change(SYSCALLMON_CONFIG_MODE, 0, "%s -> %s", smon_mode_name(set_before), smon_mode_name(mode_set));
	else
		smon_change(SYSCALLMON_CONFIG_MODE, 0, "%s -> %s (held at %s)", smon_mode_name(set_before),
			    smon_mode_name(mode_set), smon_mode_name(after));
}

/* Without config_lock, which a change holds while it looks paths up: a status read never waits on one. */
void smon_mode_get(struct smon_mode_info *info)
{
	rcu_read_lock();
	info->mode = rcu_dereference(policy)->mode;
	rcu_read_unlock();
	info->set = READ_ONCE(mode_set);
	info->holders = READ_ONCE(mode_holds[SYSCALLMON_MODE_LOG]) + READ_ONCE(mode_holds[SYSCALLMON_MODE_BLOCK]);
}

int smon_set_mode(u32 mode)
{
	u32 set_before, before;
	int ret;

	mutex_lock(&config_lock);
	set_before = mode_set;
	before = current_policy()->mode;
	WRITE_ONCE(mode_set, mode);
	ret = publish_mode();
	if (ret)
		WRITE_ONCE(mode_set, set_before);
	else if (mode != set_before)
		record_mode(set_before, before, NULL, 0);
	mutex_unlock(&config_lock);
	return ret;
}

static void hold_count(u32 mode, int delta)
{
	if (mode != SYSCALLMON_MODE_OFF)
		WRITE_ONCE(mode_holds[mode], mode_holds[mode] + delta);
}

int smon_mode_hold(u32 *held, u32 mode, pid_t pid)
{
	u32 before;
	int ret;

	mutex_lock(&config_lock);
	if (*held == mode) {
		mutex_unlock(&config_lock);
		return 0;
	}
	before = current_policy()->mode;
	hold_count(*held, -1);
	hold_count(mode, 1);
	ret = publish_mode();
	if (ret) {
		hold_count(mode, -1);
		hold_count(*held, 1);
	} else {
		if (effective_mode() != before)
			record_mode(mode_set, before, mode > *held ? "held" : "released", pid);
		*held = mode;
	}
	mutex_unlock(&config_lock);
	return ret;
}

/* ---- targets --------------------------------------------------------------------- */

/* A target in a few words: "block errno 1 pids 2", "log all", "none". */
static void describe_target(const struct smon_rule *t, char *buf, size_t len)
{
	if (!t) {
		strscpy(buf, "none", len);
		return;
	}
	if (t->action == SYSCALLMON_RULE_BLOCK)
		snprintf(buf, len, "block errno %d", t->err);
	else
		snprintf(buf, len, "log");
	if (t->scope)
		snprintf(buf + strlen(buf), len - strlen(buf), " pids %u", smon_scope_count(t->scope));
	else
		strlcat(buf, " all", len);
	if (t->flags & SYSCALLMON_RULE_FORCE)
		strlcat(buf, " force", len);
	if (t->record == SYSCALLMON_RECORD_ENTRY)
		strlcat(buf, " record=entry", len);
	else if (t->record == SYSCALLMON_RECORD_BOTH)
		strlcat(buf, " record=both", len);
	if (t->flags & SYSCALLMON_RULE_FAILED_ONLY)
		strlcat(buf, " failed-only", len);
}

struct target_change {
	char was[64];
	char now[64];
};

/* Caller holds config_lock, before the snapshot with after is published (before may go with the old one). */
static void target_change(struct target_change *c, const struct smon_rule *before, const struct smon_rule *after)
{
	describe_target(before, c->was, sizeof(c->was));
	describe_target(after, c->now, sizeof(c->now));
}

static void target_changed(u32 nr, const struct target_change *c)
{
	smon_change(SYSCALLMON_CONFIG_TARGET, nr, "%s: %s -> %s", smon_op_name(nr), c->was, c->now);
}

static bool includes_init(struct pid *const *pids, u32 npids)
{
	u32 i;

	for (i = 0; i < npids; i++)
		if (pid_nr(pids[i]) == 1)
			return true;
	return false;
}

/* Pid 1 can be given to a block or kill rule only with force. */
static int check_init(const struct smon_rule *r, struct pid *const *pids, u32 npids)
{
	if (is_act(r->action) && !(r->flags & SYSCALLMON_RULE_FORCE) && includes_init(pids, npids))
		return -EPERM;
	return 0;
}

int smon_target_add(const struct syscallmon_target *req, struct pid *const *pids, u32 npids, int mode)
{
	struct smon_policy *old, *p;
	struct smon_rule *cur, *rule = NULL;
	struct target_change change;
	u32 set_before, before;
	int ret;

	mutex_lock(&config_lock);
	old = current_policy();
	set_before = mode_set;
	before = old->mode;
	cur = old->target[req->nr];
	ret = -EBUSY;
	if (cur && (req->flags & SYSCALLMON_TARGET_EXCLUSIVE))
		goto out;
	ret = -ENOENT;
	if (!cur && !smon_op_implemented(req->nr))
		goto out;
	rule = smon_rule_new_target(req, pids, npids, cur ? cur->stats : NULL);
	if (IS_ERR(rule)) {
		ret = PTR_ERR(rule);
		rule = NULL;
		goto out;
	}
	ret = check_init(rule, pids, npids);
	if (ret)
		goto out;
	ret = -ENOMEM;
	p = policy_copy(old, 0);
	if (!p)
		goto out;
	target_change(&change, cur, rule);
	if (cur)
		smon_rule_put(cur);
	else
		p->ntargets++;
	p->target[req->nr] = rule;
	rule = NULL;
	if (mode >= 0) {
		WRITE_ONCE(mode_set, mode);
		p->mode = effective_mode();
	}
	ret = publish(p);
	if (ret) {
		WRITE_ONCE(mode_set, set_before);
		goto out;
	}
	target_changed(req->nr, &change);
	if (mode >= 0 && mode != set_before)
		record_mode(set_before, before, NULL, 0);
out:
	mutex_unlock(&config_lock);
	smon_rule_put(rule);
	return ret;
}

int smon_target_del(u32 nr)
{
	struct smon_policy *p;
	int ret = -EINVAL;	/* "release what isn't intercepted" */

	mutex_lock(&config_lock);
	if (current_policy()->target[nr]) {
		ret = -ENOMEM;
		p = policy_copy(current_policy(), 0);
		if (p) {
			struct target_change change;

			target_change(&change, p->target[nr], NULL);
			smon_rule_put(p->target[nr]);
			p->target[nr] = NULL;
			p->ntargets--;
			ret = publish(p);
			if (!ret)
				target_changed(nr, &change);
		}
	}
	mutex_unlock(&config_lock);
	return ret;
}

/* "1234,1240 (3 now)": the pids as the initial namespace numbers them, as many as fit. */
static void pids_changed(u32 nr, char sign, struct pid *const *pids, u32 npids, const struct smon_scope *scope)
{
	char list[160];
	size_t at = 0;
	u32 i;

	list[0] = '\0';
	for (i = 0; i < npids && at < sizeof(list) - 12; i++)
		at += scnprintf(list + at, sizeof(list) - at, "%s%d", i ? "," : "", pid_nr(pids[i]));
	if (i < npids)
		strlcat(list, ",...", sizeof(list));
	if (scope)
		smon_change(SYSCALLMON_CONFIG_PIDS, nr, "%s: %cpids %s (%u now)", smon_op_name(nr), sign, list,
			    smon_scope_count(scope));
	else
		smon_change(SYSCALLMON_CONFIG_PIDS, 0, "every pid-scoped target: %cpids %s", sign, list);
}

int smon_pids_add(u32 nr, struct pid *const *pids, u32 npids)
{
	const struct smon_rule *rule;
	int ret = -EINVAL;

	mutex_lock(&config_lock);
	rule = current_policy()->target[nr];
	if (rule && rule->scope) {
		ret = check_init(rule, pids, npids);
		if (!ret)
			ret = smon_scopes_add(&rule->scope, 1, pids, npids);
		if (!ret)
			pids_changed(nr, '+', pids, npids, rule->scope);
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
		if (npids)
			pids_changed(nr, '-', pids, npids, rule->scope);
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
		ret = check_init(rule, pids, npids);
		scopes[n++] = rule->scope;
	}
	if (!ret)
		ret = smon_scopes_add(scopes, n, pids, npids);
	if (!ret)
		pids_changed(0, '+', pids, npids, NULL);
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
	pids_changed(0, '-', pids, npids, NULL);
	mutex_unlock(&config_lock);
}

int smon_targets_clear(void)
{
	const struct smon_policy *old;
	struct smon_policy *p;
	int ret = -ENOMEM;
	u32 i;

	mutex_lock(&config_lock);
	old = current_policy();
	p = policy_alloc(old->mode, old->nrules);
	if (p) {
		for (i = 0; i < old->nrules; i++) {
			p->rules[i] = old->rules[i];
			smon_rule_get(p->rules[i]);
		}
		p->nrules = old->nrules;
	}
	if (p)
		ret = publish(p);
	mutex_unlock(&config_lock);
	return ret;
}

/* ---- rules ------------------------------------------------------------------------ */

static struct smon_rule *find_rule(const struct smon_policy *p, u32 id, u32 *index)
{
	u32 i;

	for (i = 0; i < p->nrules; i++) {
		if (p->rules[i]->id == id) {
			if (index)
				*index = i;
			return p->rules[i];
		}
	}
	return NULL;
}

static bool name_taken(const struct smon_policy *p, const char *name, u32 skip_class)
{
	u32 i;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i]->class != skip_class && !strcmp(p->rules[i]->name, name))
			return true;
	return false;
}

/* Where a rule of class goes: after the last rule of its class or of the ones before it. */
static u32 insert_at(const struct smon_policy *p, u32 class)
{
	u32 i = p->nrules;

	while (i && p->rules[i - 1]->class > class)
		i--;
	return i;
}

int smon_rule_add(const struct syscallmon_rule *req, struct pid *const *pids, u32 npids, const void *owner,
		  u32 *id)
{
	char *text = smon_kzalloc(SYSCALLMON_CONFIG_TEXT_LEN, GFP_KERNEL);
	const struct smon_policy *old;
	struct smon_rule *rule, *prev = NULL;
	struct smon_policy *p;
	u32 at, i;
	int ret;

	if (!text)
		return -ENOMEM;
	mutex_lock(&config_lock);
	old = current_policy();
	for (i = 0; i < old->nrules && !prev; i++)
		if (!strcmp(old->rules[i]->name, req->name))
			prev = old->rules[i];
	/* A rule of the same name is replaced where it stands, if it is the caller's to replace. */
	ret = -EEXIST;
	if (prev && (prev->class != req->rule_class || prev->owner != owner))
		goto out;
	ret = -ENOSPC;
	if (!prev && old->nrules >= SYSCALLMON_MAX_RULES)
		goto out;
	rule = smon_rule_new(req, pids, npids, owner, prev ? prev->stats : NULL);
	if (IS_ERR(rule)) {
		ret = PTR_ERR(rule);
		goto out;
	}
	ret = check_init(rule, pids, npids);
	if (ret) {
		smon_rule_put(rule);
		goto out;
	}
	rule->id = prev ? prev->id : next_rule_id++;
	ret = -ENOMEM;
	p = policy_copy(old, prev ? 0 : 1);
	if (!p) {
		smon_rule_put(rule);
		goto out;
	}
	if (prev) {
		find_rule(p, prev->id, &at);
		smon_rule_put(p->rules[at]);
	} else {
		at = insert_at(p, rule->class);
		memmove(&p->rules[at + 1], &p->rules[at], (p->nrules - at) * sizeof(*p->rules));
		p->nrules++;
	}
	p->rules[at] = rule;
	*id = rule->id;
	smon_describe_rule(rule, text, SYSCALLMON_CONFIG_TEXT_LEN);
	ret = publish(p);
	if (!ret)
		smon_change(SYSCALLMON_CONFIG_RULE_ADD, *id, "%s%s", text, prev ? " (replaced)" : "");
out:
	mutex_unlock(&config_lock);
	smon_kfree(text);
	return ret;
}

/* Caller holds config_lock: publishes a copy without the rules drop() picks. */
static int remove_rules(bool (*drop)(const struct smon_rule *r, const void *arg), const void *arg)
{
	const struct smon_policy *old = current_policy();
	struct smon_policy *p = policy_copy(old, 0);
	u32 i, n = 0;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < p->nrules; i++) {
		if (drop(p->rules[i], arg))
			smon_rule_put(p->rules[i]);
		else
			p->rules[n++] = p->rules[i];
	}
	p->nrules = n;
	return publish(p);
}

static int cmp_id(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

struct id_set {
	const u32 *ids;		/* ascending */
	u32 n;
};

static bool in_set(const struct smon_rule *r, const void *arg)
{
	const struct id_set *set = arg;

	return bsearch(&r->id, set->ids, set->n, sizeof(*set->ids), cmp_id) != NULL;
}

int smon_rules_del(u32 *ids, u32 n)
{
	struct id_set set = { ids, n };
	struct smon_rule **held, *rule;
	u32 i, nheld = 0;
	int ret = 0;

	sort(ids, n, sizeof(*ids), cmp_id, NULL);
	held = smon_kzalloc(array_size(n, sizeof(*held)), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	mutex_lock(&config_lock);
	for (i = 0; i < n && !ret; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		rule = find_rule(current_policy(), ids[i], NULL);
		if (!rule) {
			ret = -ENOENT;
			break;
		}
		/* Held until the records name them: the old snapshot may be freed first. */
		smon_rule_get(rule);
		held[nheld++] = rule;
	}
	if (!ret)
		ret = remove_rules(in_set, &set);
	for (i = 0; i < nheld && !ret; i++)
		smon_change(SYSCALLMON_CONFIG_RULE_DEL, held[i]->id, "#%u %s", held[i]->id, held[i]->name);
	mutex_unlock(&config_lock);
	for (i = 0; i < nheld; i++)
		smon_rule_put(held[i]);
	smon_kfree(held);
	return ret;
}

static bool owned_by(const struct smon_rule *r, const void *owner)
{
	return r->class == SYSCALLMON_CLASS_FILE && r->owner == owner;
}

u32 smon_rules_drop_owner(const void *owner)
{
	const struct smon_policy *p;
	u32 i, n = 0;

	mutex_lock(&config_lock);
	p = current_policy();
	for (i = 0; i < p->nrules; i++)
		n += owned_by(p->rules[i], owner);
	/* Retried: a file's rules must not outlive it. */
	while (n && remove_rules(owned_by, owner)) {
		pr_warn_ratelimited("out of memory dropping a closed file's rules; retrying\n");
		mutex_unlock(&config_lock);
		msleep(10);
		mutex_lock(&config_lock);
	}
	mutex_unlock(&config_lock);
	return n;
}

static char policy_tag[SYSCALLMON_POLICY_TAG_LEN];	/* under config_lock */

int smon_policy_replace(u32 mode, bool exits, const struct syscallmon_rule *reqs, u32 nrules, const char *tag)
{
	const struct smon_policy *old;
	struct smon_policy *p = NULL;
	struct smon_rule **made;
	u32 i, j, n = 0, kept, set_before;
	int ret = 0;

	made = smon_kzalloc(array_size(nrules ?: 1, sizeof(*made)), GFP_KERNEL);
	if (!made)
		return -ENOMEM;
	mutex_lock(&config_lock);
	old = current_policy();
	/* The new policy's names: unique among themselves and against rules it does not replace. */
	for (i = 0; i < nrules && !ret; i++) {
		if (name_taken(old, reqs[i].name, SYSCALLMON_CLASS_POLICY))
			ret = -EEXIST;
		for (j = 0; j < i && !ret; j++)
			if (!strcmp(reqs[i].name, reqs[j].name))
				ret = -EEXIST;
	}
	for (i = 0; i < old->nrules; i++)
		n += old->rules[i]->class != SYSCALLMON_CLASS_POLICY;
	if (!ret && n + nrules > SYSCALLMON_MAX_RULES)
		ret = -ENOSPC;
	for (i = 0; i < nrules && !ret; i++) {
		struct smon_rule *prev = NULL;

		/* A rule kept by name keeps its counters. */
		for (j = 0; j < old->nrules && !prev; j++)
			if (old->rules[j]->class == SYSCALLMON_CLASS_POLICY && !strcmp(old->rules[j]->name, reqs[i].name))
				prev = old->rules[j];
		made[i] = smon_rule_new(&reqs[i], NULL, 0, NULL, prev ? prev->stats : NULL);
		if (IS_ERR(made[i])) {
			ret = PTR_ERR(made[i]);
			made[i] = NULL;
		} else {
			made[i]->id = prev ? prev->id : next_rule_id++;
		}
	}
	if (!ret) {
		ret = -ENOMEM;
		p = policy_copy(old, nrules);
	}
	if (p) {
		kept = 0;
		/* Policy rules come first: the new ones, then every other class as it was. */
		for (i = 0; i < p->nrules; i++) {
			if (p->rules[i]->class == SYSCALLMON_CLASS_POLICY)
				smon_rule_put(p->rules[i]);
			else
				p->rules[kept++] = p->rules[i];
		}
		memmove(&p->rules[nrules], p->rules, kept * sizeof(*p->rules));
		memcpy(p->rules, made, nrules * sizeof(*made));
		memset(made, 0, nrules * sizeof(*made));
		p->nrules = nrules + kept;
		set_before = mode_set;
		WRITE_ONCE(mode_set, mode);
		p->mode = effective_mode();
		ret = publish(p);
		if (ret)
			WRITE_ONCE(mode_set, set_before);
	}
	if (!ret) {
		smon_exits_set_events(exits);
		strscpy(policy_tag, tag, sizeof(policy_tag));
		smon_change(SYSCALLMON_CONFIG_POLICY, 0, "%u rules, mode %s, exits %s%s%s", nrules, smon_mode_name(mode),
			    exits ? "on" : "off", tag[0] ? ", " : "", tag);
	}
	mutex_unlock(&config_lock);
	for (i = 0; i < nrules; i++)
		smon_rule_put(made[i]);
	smon_kfree(made);
	return ret;
}

int smon_rules_for_each(int (*fn)(const struct syscallmon_rule_info *info, void *arg), void *arg)
{
	struct syscallmon_rule_info *info = smon_kzalloc(sizeof(*info), GFP_KERNEL);
	struct smon_rule **held = NULL;
	const struct smon_policy *p;
	int ret = 0;
	u32 i, n;

	if (!info)
		return -ENOMEM;
	mutex_lock(&config_lock);
	p = current_policy();
	n = p->nrules;
	if (n)
		held = smon_kvzalloc(array_size(n, sizeof(*held)));
	for (i = 0; held && i < n; i++) {
		held[i] = p->rules[i];
		smon_rule_get(held[i]);
	}
	mutex_unlock(&config_lock);
	if (n && !held)
		ret = -ENOMEM;
	/*
	 * Outside the lock: a rule's stale check looks its names up, which a
	 * user who owns a directory on the way (a FUSE mount) can make wait for
	 * ever, and fn may copy to a user's buffer.
	 */
	for (i = 0; i < n && !ret; i++) {
		smon_rule_info(held[i], info);
		ret = fn(info, arg);
	}
	for (i = 0; held && i < n; i++)
		smon_rule_put(held[i]);
	smon_kvfree(held);
	smon_kfree(info);
	return ret;
}

/* ---- counters and status --------------------------------------------------------------- */

void smon_counters_clear(void)
{
	const struct smon_policy *p;
	int cpu;
	u32 nr, i;

	mutex_lock(&config_lock);
	p = current_policy();
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(op_counts, cpu), 0, SYSCALLMON_NR_LIMIT * SMON_NR_COUNTS * sizeof(u64));
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (p->target[nr])
			smon_rule_counters_clear(p->target[nr]);
	for (i = 0; i < p->nrules; i++)
		smon_rule_counters_clear(p->rules[i]);
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

static void fill_info(const struct smon_policy *p, u32 nr, struct syscallmon_target_info *info)
{
	const struct smon_rule *rule = p->target[nr];
	struct smon_rule_counters c;

	memset(info, 0, sizeof(*info));
	info->nr = nr;
	info->action = rule->action == SYSCALLMON_RULE_BLOCK ? SYSCALLMON_ACTION_BLOCK : SYSCALLMON_ACTION_LOG;
	info->err = rule->err;
	info->flags = (rule->scope ? 0 : SYSCALLMON_TARGET_ALL_PIDS) |
		      (rule->flags & SYSCALLMON_RULE_FORCE ? SYSCALLMON_TARGET_FORCE : 0) |
		      (rule->flags & SYSCALLMON_RULE_FAILED_ONLY ? SYSCALLMON_TARGET_FAILED_ONLY : 0);
	info->npids = rule->scope ? smon_scope_count(rule->scope) : 0;
	info->armed = p->mode != SYSCALLMON_MODE_OFF;
	info->record = rule->record;
	smon_rule_counters(rule, &c);
	info->hits = c.hits;
	info->logged = c.logged;
	info->blocked = c.blocked;
	info->missed = count_of(nr, SMON_COUNT_MISSED);
	info->no_result = count_of(nr, SMON_COUNT_NO_RESULT);
	info->failed_skipped = count_of(nr, SMON_COUNT_FAILED_SKIPPED);
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
		fill_info(p, nr, &info);
		ret = fn(&info, p->target[nr]->scope, arg);
	}
	mutex_unlock(&config_lock);
	return ret;
}

int smon_scope_pids(u32 nr, u32 rule_id, struct pid_namespace *ns, u32 *nrs, u32 max)
{
	const struct smon_policy *p;
	const struct smon_rule *rule;
	int ret = -EINVAL;

	mutex_lock(&config_lock);
	p = current_policy();
	rule = rule_id ? find_rule(p, rule_id, NULL) : p->target[nr];
	if (rule && rule->scope)
		ret = smon_scope_list(rule->scope, ns, nrs, max);
	mutex_unlock(&config_lock);
	return ret;
}

void smon_policy_tag(char *buf, size_t len)
{
	mutex_lock(&config_lock);
	strscpy(buf, policy_tag, len);
	mutex_unlock(&config_lock);
}

void smon_probe_stats(struct smon_probe_stats *stats)
{
	const struct smon_policy *p;
	u32 nr;

	memset(stats, 0, sizeof(*stats));
	mutex_lock(&config_lock);
	p = current_policy();
	stats->nrules = p->nrules;
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		if (!p->by_op[nr])
			continue;
		stats->missed += count_of(nr, SMON_COUNT_MISSED);
		stats->no_result += count_of(nr, SMON_COUNT_NO_RESULT);
		if (!p->target[nr])
			continue;
		stats->ntargets++;
		stats->armed += p->mode != SYSCALLMON_MODE_OFF;
	}
	mutex_unlock(&config_lock);
}

/* ---- load and unload ------------------------------------------------------------------------ */

int smon_policy_init(void)
{
	struct smon_policy *p;

	op_counts = __alloc_percpu(SYSCALLMON_NR_LIMIT * SMON_NR_COUNTS * sizeof(u64), sizeof(u64));
	path_bufs = alloc_percpu(typeof(*path_bufs));
	free_wq = alloc_workqueue("syscallmon", 0, 0);
	p = policy_alloc(SYSCALLMON_MODE_OFF, 0);
	if (!op_counts || !path_bufs || !free_wq || !p) {
		if (p)
			policy_free(p);
		if (free_wq)
			destroy_workqueue(free_wq);
		free_percpu(path_bufs);
		free_percpu(op_counts);
		return -ENOMEM;
	}
	rcu_assign_pointer(policy, p);
	return 0;
}

void smon_policy_disarm(void)
{
	struct smon_policy *p;

	mutex_lock(&config_lock);
	p = policy_alloc(SYSCALLMON_MODE_OFF, 0);
	if (!p || publish(p)) {
		/* Can't build an empty snapshot: unhook everything and free in place. */
		smon_probes_unhook_all();
		smon_files_hook(0);
		p = current_policy();
		RCU_INIT_POINTER(policy, NULL);
		synchronize_rcu();
		policy_free(p);
	}
	mutex_unlock(&config_lock);
}

void smon_policy_exit(void)
{
	struct smon_policy *p = rcu_dereference_protected(policy, true);

	/* Old snapshots wait for a grace period, then for the workqueue. */
	rcu_barrier();
	destroy_workqueue(free_wq);
	if (p) {
		RCU_INIT_POINTER(policy, NULL);
		synchronize_rcu();
		policy_free(p);
	}
	free_percpu(path_bufs);
	free_percpu(op_counts);
}
