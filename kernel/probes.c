// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/objtool.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/linkage.h>

#include "device.h"
#include "exits.h"
#include "main.h"
#include "probes.h"
#include "ring.h"

struct smon_syscall {
	const char *name;
	const char *symbol;
	s8 path_arg;		/* index of the first path argument, or -1 */
};

static const struct smon_syscall syscall_table[SYSCALLMON_NR_LIMIT] = {
#define SYSCALLMON_SYSCALL(nr, name, symbol, path_arg) [nr] = { #name, symbol, path_arg },
#include "syscalls.h"
#undef SYSCALLMON_SYSCALL
};

struct smon_counters {
	u64 hits;
	u64 logged;
	u64 blocked;
};

/*
 * Configuration fields (action, err, flags) are written under config_lock
 * and read locklessly by the probe handler.  The pid set is written under
 * scope_lock (by ioctls and by the exit probe, which can't sleep) and read
 * locklessly: slots are only ever set or zeroed in place, never moved, so a
 * handler scanning [0, nslots) can't miss a pid that stays in the set.
 */
struct smon_target {
	u32 nr;
	u32 action;
	int err;
	u32 flags;
	u32 nslots;			/* slots in use are below this */
	u32 npids;
	pid_t pids[SYSCALLMON_MAX_PIDS];	/* 0 = free slot */
	bool armed;
	bool ia32_armed;		/* the 32-bit entry is probed too */
	u64 missed_before;		/* nmissed of earlier registrations */
	struct smon_counters __percpu *counters;
	struct kprobe kp;		/* __x64_sys_<name> */
	struct kprobe kp_ia32;		/* __ia32_compat_sys_<name> or __ia32_sys_<name> */
	char ia32_symbol[2][KSYM_NAME_LEN];
};

static DEFINE_MUTEX(config_lock);	/* targets[], arming, mode changes */
static DEFINE_SPINLOCK(scope_lock);	/* pid sets; taken by the exit probe */
static struct smon_target *targets[SYSCALLMON_NR_LIMIT];
static u32 mode = SYSCALLMON_MODE_OFF;

/*
 * A blocked call returns through this instead of the syscall: the handler
 * points regs->ip here with regs->ax already holding -errno.  The kernel's
 * override_function_with_return() does the same but is not exported.
 */
asmlinkage void smon_blocked_return(void);
asm(
	".pushsection .text, \"ax\"\n"
	".type smon_blocked_return, @function\n"
	"smon_blocked_return:\n"
	ANNOTATE_NOENDBR "\n"
	ASM_RET
	".size smon_blocked_return, .-smon_blocked_return\n"
	".popsection\n"
);

const char *smon_syscall_name(u32 nr)
{
	return nr < SYSCALLMON_NR_LIMIT ? syscall_table[nr].name : NULL;
}

const char *smon_syscall_symbol(u32 nr)
{
	return nr < SYSCALLMON_NR_LIMIT ? syscall_table[nr].symbol : NULL;
}

/* Returns the syscall number for a name from the generated table, or -EINVAL. */
int smon_syscall_lookup(const char *name)
{
	u32 nr;

	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (syscall_table[nr].name && !strcmp(syscall_table[nr].name, name))
			return nr;
	return -EINVAL;
}

/* Returning with an errno from these would leave the task running code it can't survive. */
bool smon_syscall_unblockable(u32 nr)
{
	switch (nr) {
	case __NR_exit:
	case __NR_exit_group:
	case __NR_rt_sigreturn:
	case __NR_restart_syscall:
		return true;
	default:
		return false;
	}
}

static bool scope_matches(const struct smon_target *t, pid_t tgid)
{
	u32 i, nslots;

	if (READ_ONCE(t->flags) & SYSCALLMON_TARGET_ALL_PIDS)
		return true;
	nslots = READ_ONCE(t->nslots);
	for (i = 0; i < nslots; i++)
		if (READ_ONCE(t->pids[i]) == tgid)
			return true;
	return false;
}

static void read_path_arg(struct syscallmon_event *ev, unsigned long uaddr)
{
	long n;

	/* Probes can't sleep: a path in a page that isn't present is reported, not faulted in. */
	pagefault_disable();
	n = strncpy_from_user(ev->path, (const char __user *)uaddr, sizeof(ev->path));
	pagefault_enable();
	if (n < 0) {
		ev->path_flags |= SYSCALLMON_PATH_UNREADABLE;
		ev->path[0] = '\0';
	} else if (n >= (long)sizeof(ev->path)) {
		ev->path_flags |= SYSCALLMON_PATH_TRUNCATED;
		ev->path[sizeof(ev->path) - 1] = '\0';
	}
}

static void record_syscall(const struct smon_target *t, const u64 *args, u32 verdict, int err,
			   u32 event_flags)
{
	struct syscallmon_event ev;
	int path_arg = syscall_table[t->nr].path_arg;

	smon_event_init(&ev, SYSCALLMON_RECORD_SYSCALL);
	ev.nr = t->nr;
	ev.verdict = verdict;
	ev.err = verdict == SYSCALLMON_VERDICT_ALLOWED ? 0 : err;
	ev.event_flags = event_flags;
	memcpy(ev.args, args, sizeof(ev.args));
	if (path_arg >= 0)
		read_path_arg(&ev, ev.args[path_arg]);
	else
		ev.path_flags = SYSCALLMON_PATH_NONE;
	smon_ring_push(&ev);
}

/*
 * Runs at a syscall entry point, preemption disabled, in the context of the
 * calling task.  args are the user's six arguments.
 */
static int handle_hit(struct smon_target *t, struct pt_regs *regs, const u64 *args, u32 event_flags)
{
	pid_t tgid = current->tgid;
	u32 flags = READ_ONCE(t->flags);
	bool block = READ_ONCE(t->action) == SYSCALLMON_ACTION_BLOCK;
	bool exempt = false;
	u32 verdict = SYSCALLMON_VERDICT_ALLOWED;
	int err = READ_ONCE(t->err);

	if (smon_device_holder(tgid)) {
		/* Never record ourselves (no feedback loop); block a holder only when forced. */
		if (!(block && (flags & SYSCALLMON_TARGET_FORCE) &&
		      READ_ONCE(mode) == SYSCALLMON_MODE_BLOCK && scope_matches(t, tgid)))
			return 0;
		this_cpu_inc(t->counters->blocked);
		goto override;
	}
	this_cpu_inc(t->counters->hits);
	if (!scope_matches(t, tgid))
		return 0;

	if (block) {
		exempt = tgid == 1 && !(flags & SYSCALLMON_TARGET_FORCE);
		if (READ_ONCE(mode) == SYSCALLMON_MODE_BLOCK && !exempt)
			verdict = SYSCALLMON_VERDICT_BLOCKED;
		else
			verdict = SYSCALLMON_VERDICT_WOULD_BLOCK;
	}
	record_syscall(t, args, verdict, err, event_flags);
	this_cpu_inc(t->counters->logged);
	if (verdict != SYSCALLMON_VERDICT_BLOCKED)
		return 0;
	this_cpu_inc(t->counters->blocked);
override:
	regs->ax = (unsigned long)(long)-err;
	regs->ip = (unsigned long)&smon_blocked_return;
	return 1;
}
NOKPROBE_SYMBOL(handle_hit);

/* __x64_sys_<name>(const struct pt_regs *): regs->di is the task's saved user registers. */
static int x64_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	const struct pt_regs *user = (const struct pt_regs *)regs->di;
	u64 args[SYSCALLMON_NR_ARGS] = { user->di, user->si, user->dx, user->r10, user->r8, user->r9 };

	/*
	 * A syscall without arguments has one entry for both ABIs (the ia32
	 * probe is skipped as an alias): tell a 32-bit caller apart here.
	 */
	return handle_hit(container_of(kp, struct smon_target, kp), regs, args,
			  in_ia32_syscall() ? SYSCALLMON_EVENT_IA32 : 0);
}
NOKPROBE_SYMBOL(x64_pre_handler);

/* The int $0x80 / compat entry: same target, i386 argument registers. */
static int ia32_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	const struct pt_regs *user = (const struct pt_regs *)regs->di;
	u64 args[SYSCALLMON_NR_ARGS] = {
		(u32)user->bx, (u32)user->cx, (u32)user->dx, (u32)user->si, (u32)user->di, (u32)user->bp,
	};

	return handle_hit(container_of(kp, struct smon_target, kp_ia32), regs, args,
			  SYSCALLMON_EVENT_IA32);
}
NOKPROBE_SYMBOL(ia32_pre_handler);

/*
 * A post_handler keeps the kprobe from being optimized into a jump, which
 * can't be redirected (as kernel/fail_function.c does).
 */
static void syscall_post_handler(struct kprobe *kp, struct pt_regs *regs, unsigned long flags)
{
}
NOKPROBE_SYMBOL(syscall_post_handler);

static int register_probe(struct kprobe *kp, const char *symbol, kprobe_pre_handler_t pre,
			  u32 kp_flags)
{
	memset(kp, 0, sizeof(*kp));
	kp->symbol_name = symbol;
	kp->pre_handler = pre;
	kp->post_handler = syscall_post_handler;
	kp->flags = kp_flags;
	return register_kprobe(kp);
}

/*
 * A block must also hold for a 32-bit caller: probe the ia32 entry when
 * this kernel has one for the syscall (many x86_64 syscalls have none).
 */
static int register_ia32_probe(struct smon_target *t)
{
	int i, ret = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(t->ia32_symbol) && ret == -ENOENT; i++)
		ret = register_probe(&t->kp_ia32, t->ia32_symbol[i], ia32_pre_handler, 0);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	/*
	 * For syscalls without arguments both entry symbols alias one function
	 * (__do_sys_<name>): the x86_64 probe already sees every call.
	 */
	if (t->kp_ia32.addr == t->kp.addr) {
		unregister_kprobe(&t->kp_ia32);
		return 0;
	}
	t->ia32_armed = true;
	return 0;
}

static int arm(struct smon_target *t)
{
	int ret;

	lockdep_assert_held(&config_lock);
	if (t->armed)
		return 0;
	ret = register_probe(&t->kp, syscall_table[t->nr].symbol, x64_pre_handler, 0);
	if (ret)
		return ret;
	ret = register_ia32_probe(t);
	if (ret) {
		unregister_kprobe(&t->kp);
		t->missed_before += t->kp.nmissed;
		return ret;
	}
	t->armed = true;
	return 0;
}

static u64 live_missed(const struct smon_target *t)
{
	if (!t->armed)
		return 0;
	return t->kp.nmissed + (t->ia32_armed ? t->kp_ia32.nmissed : 0);
}

static void disarm(struct smon_target *t)
{
	lockdep_assert_held(&config_lock);
	if (!t->armed)
		return;
	t->missed_before += live_missed(t);
	unregister_kprobe(&t->kp);	/* waits for running handlers */
	if (t->ia32_armed)
		unregister_kprobe(&t->kp_ia32);
	t->armed = false;
	t->ia32_armed = false;
}

/* Probes a symbol without arming it: -ENOENT if this kernel lacks the entry point. */
static int check_symbol(struct smon_target *t)
{
	int ret = register_probe(&t->kp, syscall_table[t->nr].symbol, x64_pre_handler,
				 KPROBE_FLAG_DISABLED);

	if (ret)
		return ret;
	unregister_kprobe(&t->kp);
	return 0;
}

static void free_target(struct smon_target *t)
{
	if (!t)
		return;
	free_percpu(t->counters);
	atomic64_dec(&smon_allocs_live);
	smon_kfree(t);
}

static struct smon_target *alloc_target(u32 nr)
{
	struct smon_target *t = smon_kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	t->counters = alloc_percpu(struct smon_counters);
	if (!t->counters) {
		smon_kfree(t);
		return NULL;
	}
	atomic64_inc(&smon_allocs_live);
	t->nr = nr;
	/* "__x64_sys_" is 10 characters: the ia32 names share the rest. */
	snprintf(t->ia32_symbol[0], KSYM_NAME_LEN, "__ia32_compat_sys_%s", syscall_table[nr].symbol + 10);
	snprintf(t->ia32_symbol[1], KSYM_NAME_LEN, "__ia32_sys_%s", syscall_table[nr].symbol + 10);
	return t;
}

/*
 * The exit probe must run while any target has a pid set, so that pids
 * leave the set when their process dies.  Caller holds config_lock.
 */
static int update_exit_cleanup(void)
{
	bool needed = false;
	u32 nr;

	lockdep_assert_held(&config_lock);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT && !needed; nr++)
		needed = targets[nr] && !(targets[nr]->flags & SYSCALLMON_TARGET_ALL_PIDS);
	return smon_exits_set_cleanup(needed);
}

static void set_scope(struct smon_target *t, u32 flags, const u32 *pids, u32 npids)
{
	unsigned long irqflags;
	u32 i;

	spin_lock_irqsave(&scope_lock, irqflags);
	for (i = 0; i < SYSCALLMON_MAX_PIDS; i++)
		WRITE_ONCE(t->pids[i], i < npids ? (pid_t)pids[i] : 0);
	WRITE_ONCE(t->nslots, npids);
	t->npids = npids;
	WRITE_ONCE(t->flags, flags);
	spin_unlock_irqrestore(&scope_lock, irqflags);
}

bool smon_pid_alive(u32 nr)
{
	bool found;

	rcu_read_lock();
	found = pid_task(find_pid_ns(nr, &init_pid_ns), PIDTYPE_TGID) != NULL;
	rcu_read_unlock();
	return found;
}

/* Pids being added to a target: each must be alive, and pid 1 needs force to be blocked. */
static int check_new_pids(u32 action, u32 flags, const u32 *pids, u32 npids)
{
	u32 i;

	for (i = 0; i < npids; i++) {
		if (!smon_pid_alive(pids[i]))
			return -ESRCH;
		if (pids[i] == 1 && action == SYSCALLMON_ACTION_BLOCK &&
		    !(flags & SYSCALLMON_TARGET_FORCE))
			return -EPERM;
	}
	return 0;
}

static u32 dedup_pids(u32 *pids, u32 npids)
{
	u32 i, j, n = 0;

	for (i = 0; i < npids; i++) {
		for (j = 0; j < n && pids[j] != pids[i]; j++)
			;
		if (j == n)
			pids[n++] = pids[i];
	}
	return n;
}

int smon_target_add(const struct syscallmon_target *req, const u32 *req_pids)
{
	u32 flags = req->flags & ~SYSCALLMON_TARGET_EXCLUSIVE;
	u32 pids[SYSCALLMON_MAX_PIDS];
	u32 npids = 0;
	struct smon_target *t;
	unsigned long irqflags;
	int ret;

	if (!(flags & SYSCALLMON_TARGET_ALL_PIDS)) {
		memcpy(pids, req_pids, req->npids * sizeof(*pids));
		npids = dedup_pids(pids, req->npids);
	}
	ret = check_new_pids(req->action, flags, pids, npids);
	if (ret)
		return ret;

	mutex_lock(&config_lock);
	t = targets[req->nr];
	if (t) {
		ret = (req->flags & SYSCALLMON_TARGET_EXCLUSIVE) ? -EBUSY : 0;
		if (!ret) {
			WRITE_ONCE(t->action, req->action);
			WRITE_ONCE(t->err, req->err);
			set_scope(t, flags, pids, npids);
		}
		goto out;
	}

	ret = -ENOMEM;
	t = alloc_target(req->nr);
	if (!t)
		goto out;
	t->action = req->action;
	t->err = req->err;
	set_scope(t, flags, pids, npids);
	ret = mode == SYSCALLMON_MODE_OFF ? check_symbol(t) : arm(t);
	if (ret) {
		free_target(t);
		goto out;
	}
	spin_lock_irqsave(&scope_lock, irqflags);
	WRITE_ONCE(targets[req->nr], t);
	spin_unlock_irqrestore(&scope_lock, irqflags);
out:
	if (!ret)
		ret = update_exit_cleanup();
	mutex_unlock(&config_lock);
	return ret;
}

static void remove_target(u32 nr)
{
	struct smon_target *t = targets[nr];
	unsigned long irqflags;

	disarm(t);
	/* Under scope_lock: smon_scopes_forget() walks targets[] holding only that. */
	spin_lock_irqsave(&scope_lock, irqflags);
	WRITE_ONCE(targets[nr], NULL);
	spin_unlock_irqrestore(&scope_lock, irqflags);
	free_target(t);
}

int smon_target_del(u32 nr)
{
	int ret = 0;

	mutex_lock(&config_lock);
	if (targets[nr]) {
		remove_target(nr);
		update_exit_cleanup();
	} else {
		ret = -EINVAL;	/* "release what isn't intercepted", as the fourth seed says */
	}
	mutex_unlock(&config_lock);
	return ret;
}

/* Adds pids (deduplicated) to a pid-scoped target.  Caller holds config_lock. */
static int pids_add_locked(struct smon_target *t, const u32 *req_pids, u32 npids)
{
	u32 pids[SYSCALLMON_MAX_PIDS];
	unsigned long irqflags;
	u32 i, j, missing = 0;
	int ret;

	lockdep_assert_held(&config_lock);
	memcpy(pids, req_pids, npids * sizeof(*pids));
	npids = dedup_pids(pids, npids);
	ret = check_new_pids(t->action, t->flags, pids, npids);
	if (ret)
		return ret;

	spin_lock_irqsave(&scope_lock, irqflags);
	for (i = 0; i < npids; i++) {
		for (j = 0; j < t->nslots && t->pids[j] != (pid_t)pids[i]; j++)
			;
		if (j == t->nslots)
			pids[missing++] = pids[i];
	}
	ret = -ENOSPC;
	if (t->npids + missing <= SYSCALLMON_MAX_PIDS) {
		for (i = 0, j = 0; i < missing; i++) {
			while (t->pids[j])
				j++;
			WRITE_ONCE(t->pids[j], (pid_t)pids[i]);
			if (j >= t->nslots)
				WRITE_ONCE(t->nslots, j + 1);
		}
		t->npids += missing;
		ret = 0;
	}
	spin_unlock_irqrestore(&scope_lock, irqflags);
	return ret;
}

int smon_pids_add(u32 nr, const u32 *pids, u32 npids)
{
	struct smon_target *t;
	int ret = -EINVAL;

	mutex_lock(&config_lock);
	t = targets[nr];
	if (t && !(t->flags & SYSCALLMON_TARGET_ALL_PIDS))
		ret = pids_add_locked(t, pids, npids);
	mutex_unlock(&config_lock);
	return ret;
}

/* Caller holds scope_lock. */
static void scope_remove(struct smon_target *t, pid_t tgid)
{
	u32 i;

	for (i = 0; i < t->nslots; i++) {
		if (t->pids[i] != tgid)
			continue;
		WRITE_ONCE(t->pids[i], 0);
		t->npids--;
	}
	while (t->nslots && !t->pids[t->nslots - 1])
		WRITE_ONCE(t->nslots, t->nslots - 1);
}

int smon_pids_del(u32 nr, const u32 *pids, u32 npids)
{
	struct smon_target *t;
	unsigned long irqflags;
	int ret = -EINVAL;
	u32 i;

	mutex_lock(&config_lock);
	t = targets[nr];
	if (t && !(t->flags & SYSCALLMON_TARGET_ALL_PIDS)) {
		spin_lock_irqsave(&scope_lock, irqflags);
		for (i = 0; i < npids; i++)
			scope_remove(t, pids[i]);
		spin_unlock_irqrestore(&scope_lock, irqflags);
		ret = 0;
	}
	mutex_unlock(&config_lock);
	return ret;
}

int smon_pids_apply_all(const u32 *pids, u32 npids, bool add)
{
	unsigned long irqflags;
	int ret = 0;
	u32 nr, i;

	mutex_lock(&config_lock);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT && !ret; nr++) {
		struct smon_target *t = targets[nr];

		if (!t || (t->flags & SYSCALLMON_TARGET_ALL_PIDS))
			continue;
		if (add) {
			ret = pids_add_locked(t, pids, npids);
			continue;
		}
		spin_lock_irqsave(&scope_lock, irqflags);
		for (i = 0; i < npids; i++)
			scope_remove(t, pids[i]);
		spin_unlock_irqrestore(&scope_lock, irqflags);
	}
	mutex_unlock(&config_lock);
	return ret;
}

/*
 * Called from the exit probe (atomic context), so it takes only scope_lock;
 * remove_target() unpublishes a target under the same lock before freeing it.
 */
void smon_scopes_forget(pid_t tgid)
{
	unsigned long irqflags;
	u32 nr;

	spin_lock_irqsave(&scope_lock, irqflags);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		struct smon_target *t = READ_ONCE(targets[nr]);

		if (t && !(t->flags & SYSCALLMON_TARGET_ALL_PIDS))
			scope_remove(t, tgid);
	}
	spin_unlock_irqrestore(&scope_lock, irqflags);
}

void smon_targets_clear(void)
{
	u32 nr;

	mutex_lock(&config_lock);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (targets[nr])
			remove_target(nr);
	update_exit_cleanup();
	mutex_unlock(&config_lock);
}

void smon_counters_clear(void)
{
	int cpu;
	u32 nr;

	mutex_lock(&config_lock);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		struct smon_target *t = targets[nr];

		if (!t)
			continue;
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(t->counters, cpu), 0, sizeof(struct smon_counters));
		/* nmissed of a live kprobe can't be reset: offset it (u64 wraps back). */
		t->missed_before = -live_missed(t);
	}
	mutex_unlock(&config_lock);
}

u32 smon_mode(void)
{
	return READ_ONCE(mode);
}

int smon_set_mode(u32 new_mode)
{
	int ret = 0;
	u32 nr;

	mutex_lock(&config_lock);
	if (new_mode == SYSCALLMON_MODE_OFF) {
		WRITE_ONCE(mode, new_mode);
		for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
			if (targets[nr])
				disarm(targets[nr]);
		goto out;
	}
	if (mode == SYSCALLMON_MODE_OFF) {
		for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
			if (!targets[nr])
				continue;
			ret = arm(targets[nr]);
			if (ret)
				break;
		}
		if (ret) {
			/* All or nothing: never leave a half-armed set behind. */
			for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
				if (targets[nr])
					disarm(targets[nr]);
			goto out;
		}
	}
	WRITE_ONCE(mode, new_mode);
out:
	mutex_unlock(&config_lock);
	return ret;
}

static void fill_info(const struct smon_target *t, struct syscallmon_target_info *info)
{
	int cpu;
	u32 i, n = 0;

	memset(info, 0, sizeof(*info));
	info->nr = t->nr;
	info->action = t->action;
	info->err = t->err;
	info->flags = t->flags;
	info->armed = t->armed;
	for_each_possible_cpu(cpu) {
		const struct smon_counters *c = per_cpu_ptr(t->counters, cpu);

		info->hits += READ_ONCE(c->hits);
		info->logged += READ_ONCE(c->logged);
		info->blocked += READ_ONCE(c->blocked);
	}
	info->missed = t->missed_before + live_missed(t);
	for (i = 0; i < t->nslots; i++) {
		pid_t pid = READ_ONCE(t->pids[i]);

		if (pid)
			info->pids[n++] = pid;
	}
	info->npids = n;
}

int smon_targets_for_each(int (*fn)(const struct syscallmon_target_info *info, void *arg), void *arg)
{
	struct syscallmon_target_info *info;
	int ret = 0;
	u32 nr;

	info = smon_kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	mutex_lock(&config_lock);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT && !ret; nr++) {
		if (!targets[nr])
			continue;
		fill_info(targets[nr], info);
		ret = fn(info, arg);
	}
	mutex_unlock(&config_lock);
	smon_kfree(info);
	return ret;
}

void smon_probe_stats(struct smon_probe_stats *stats)
{
	u32 nr;

	memset(stats, 0, sizeof(*stats));
	mutex_lock(&config_lock);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		const struct smon_target *t = targets[nr];

		if (!t)
			continue;
		stats->ntargets++;
		stats->armed += t->armed;
		stats->missed += t->missed_before + live_missed(t);
	}
	mutex_unlock(&config_lock);
}

int smon_probes_init(void)
{
	return 0;
}

void smon_probes_exit(void)
{
	u32 nr;

	mutex_lock(&config_lock);
	WRITE_ONCE(mode, SYSCALLMON_MODE_OFF);
	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (targets[nr])
			disarm(targets[nr]);
	mutex_unlock(&config_lock);
	/*
	 * A task sent to smon_blocked_return may have been preempted before
	 * executing it; unregister_kprobe() only waits for handlers.  Tasks RCU
	 * waits until every task has passed a voluntary switch or user mode,
	 * after which none can still be on our text.
	 */
	synchronize_rcu_tasks();
	smon_targets_clear();
}
