// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/objtool.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <asm/linkage.h>

#include "calls.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "syscalls.h"

/*
 * A blocked call returns through this instead of the syscall: the hook
 * points regs->ip here with regs->ax already holding -errno, and ftrace's
 * trampoline returns into it.  The kernel's override_function_with_return()
 * does the same but is not exported.
 */
asm(
	".pushsection .text, \"ax\"\n"
	".globl smon_blocked_return\n"
	".type smon_blocked_return, @function\n"
	"smon_blocked_return:\n"
	ANNOTATE_NOENDBR "\n"
	ASM_RET
	".size smon_blocked_return, .-smon_blocked_return\n"
	".popsection\n"
);

/*
 * Runs at a hooked entry point in the context of the calling task, with
 * preemption enabled (the hook guards its own recursion): ip is the hooked
 * address, regs what the entry point will run with.
 */
static void entry_hook(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *ops,
		       struct ftrace_regs *fregs)
{
	struct pt_regs *regs = smon_hook_regs(fregs);
	/*
	 * Each written before it is read: exempt from the kernel's zeroing of
	 * every local (INIT_STACK_ALL_ZERO), a rep stos on every hooked call.
	 */
	struct smon_decision d __uninitialized;
	struct smon_call call __uninitialized;
	int bit;

	if (!smon_decode_call(ip, &call))
		return;
	bit = ftrace_test_recursion_trylock(ip, parent_ip);	/* also disables preemption */
	if (bit < 0) {
		smon_policy_count(call.op, SMON_COUNT_MISSED);
		return;
	}
	rcu_read_lock();
	if (smon_policy_decide(&call, &d)) {
		if (d.record)
			smon_record_call(&call, &d);
		if (d.block) {
			/* A kill: the process dies on its way out, before the call could run. */
			if (d.kill)
				send_sig(SIGKILL, current, 1);
			regs->ax = (unsigned long)(long)-d.err;
			regs->ip = (unsigned long)&smon_blocked_return;
		}
	}
	rcu_read_unlock();
	ftrace_test_recursion_unlock(bit);
}
NOKPROBE_SYMBOL(entry_hook);

/*
 * One ftrace_ops for every site: its filter is the set of hooked sites, so
 * hooking many at once is one code update.  IPMODIFY because blocking
 * changes where the entry point returns to; an empty filter would mean
 * "every function", so the ops is registered only while a site is hooked.
 */
static DEFINE_MUTEX(hook_lock);		/* every set's hooked, registered and filter */

/* The ips of sites set in a but not in b; *n gets how many.  NULL on no memory. */
static unsigned long *site_ips(const struct smon_hook_set *set, const unsigned long *a, const unsigned long *b,
			       u32 *n)
{
	u32 site, count = 0;
	unsigned long *ips;

	for (site = 0; site < set->nsites; site++)
		count += test_bit(site, a) && !(b && test_bit(site, b));
	ips = smon_kzalloc(array_size(count ?: 1, sizeof(*ips)), GFP_KERNEL);
	if (!ips)
		return NULL;
	for (site = 0, count = 0; site < set->nsites; site++)
		if (test_bit(site, a) && !(b && test_bit(site, b)))
			ips[count++] = set->site_ip(site);
	*n = count;
	return ips;
}

static void reset_filter(struct smon_hook_set *set)
{
	/* An empty list with reset: back to "no filter" while unregistered. */
	ftrace_set_filter_ips(&set->ops, NULL, 0, 0, 1);
}

int smon_hooks_add(struct smon_hook_set *set, const unsigned long *sites)
{
	unsigned long *ips;
	u32 n;
	int ret = 0;

	mutex_lock(&hook_lock);
	ips = site_ips(set, sites, set->hooked, &n);
	if (!ips) {
		ret = -ENOMEM;
		goto out;
	}
	if (!n)
		goto out_free;
	ret = ftrace_set_filter_ips(&set->ops, ips, n, 0, 0);
	if (ret)
		goto out_free;
	if (!set->registered) {
		ret = register_ftrace_function(&set->ops);
		if (ret) {
			reset_filter(set);
			goto out_free;
		}
		set->registered = true;
	}
	bitmap_or(set->hooked, set->hooked, sites, set->nsites);
out_free:
	smon_kfree(ips);
out:
	mutex_unlock(&hook_lock);
	if (ret)
		pr_warn("cannot hook the %s: %d\n", set->what, ret);
	return ret;
}

static void remove_all_locked(struct smon_hook_set *set)
{
	lockdep_assert_held(&hook_lock);
	if (set->registered) {
		unregister_ftrace_function(&set->ops);	/* waits for running hooks */
		set->registered = false;
	}
	reset_filter(set);
	bitmap_zero(set->hooked, set->nsites);
}

void smon_hooks_keep_only(struct smon_hook_set *set, const unsigned long *sites)
{
	unsigned long *ips;
	u32 n;
	int ret;

	mutex_lock(&hook_lock);
	if (bitmap_empty(sites, set->nsites)) {
		remove_all_locked(set);
		goto out;
	}
	ips = site_ips(set, set->hooked, sites, &n);
	if (!ips || !n) {
		smon_kfree(ips);
		goto out;
	}
	/* Never empties the filter: sites has a bit set, and those stay. */
	ret = ftrace_set_filter_ips(&set->ops, ips, n, 1, 0);
	if (!ret)
		bitmap_and(set->hooked, set->hooked, sites, set->nsites);
	else
		/* Still hooked, but the policy no longer has work there: harmless until the next change. */
		pr_warn("cannot unhook %u of the %s: %d\n", n, set->what, ret);
	smon_kfree(ips);
out:
	mutex_unlock(&hook_lock);
}

void smon_hooks_remove_all(struct smon_hook_set *set)
{
	mutex_lock(&hook_lock);
	remove_all_locked(set);
	mutex_unlock(&hook_lock);
}

u32 smon_hooks_count(struct smon_hook_set *set)
{
	u32 n;

	mutex_lock(&hook_lock);
	n = bitmap_weight(set->hooked, set->nsites);
	mutex_unlock(&hook_lock);
	return n;
}

int smon_hooks_init(struct smon_hook_set *set)
{
	set->hooked = smon_kzalloc(BITS_TO_LONGS(set->nsites) * sizeof(long) ?: sizeof(long), GFP_KERNEL);
	return set->hooked ? 0 : -ENOMEM;
}

void smon_hooks_exit(struct smon_hook_set *set)
{
	if (!set->hooked)
		return;
	smon_hooks_remove_all(set);
	ftrace_free_filter(&set->ops);
	smon_kfree(set->hooked);
	set->hooked = NULL;
}

static struct smon_hook_set entry_set = {
	.ops = {
		.func = entry_hook,
		.flags = FTRACE_OPS_FL_IPMODIFY,
	},
	.what = "syscall entry points",
	.site_ip = smon_site_ip,
};

int smon_probes_hook(const unsigned long *sites)
{
	return smon_hooks_add(&entry_set, sites);
}

void smon_probes_unhook_others(const unsigned long *sites)
{
	smon_hooks_keep_only(&entry_set, sites);
}

void smon_probes_unhook_all(void)
{
	smon_hooks_remove_all(&entry_set);
}

u32 smon_probes_hooked(void)
{
	return smon_hooks_count(&entry_set);
}

int smon_probes_init(void)
{
	entry_set.nsites = smon_nr_sites();
	return smon_hooks_init(&entry_set);
}

void smon_probes_exit(void)
{
	smon_hooks_exit(&entry_set);
	/*
	 * A task sent to smon_blocked_return may have been preempted before
	 * executing it; unregistering only waits for running hooks.  Tasks RCU
	 * waits until every task has passed a voluntary switch or user mode,
	 * after which none can still be on our text.
	 */
	synchronize_rcu_tasks();
}
