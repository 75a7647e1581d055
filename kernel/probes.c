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

/*
 * Runs at a hooked entry point in the context of the calling task, with
 * preemption enabled (the hook guards its own recursion): ip is the hooked
 * address, regs what the entry point will run with.
 */
static void entry_hook(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *ops,
		       struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct smon_decision d;
	struct smon_call call;
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
static struct ftrace_ops entry_ops = {
	.func = entry_hook,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY,
};

static DEFINE_MUTEX(hook_lock);		/* hooked, registered, entry_ops' filter */
static unsigned long *hooked;		/* bitmap over the sites */
static bool registered;

/* The ips of sites set in a but not in b; *n gets how many.  NULL on no memory. */
static unsigned long *site_ips(const unsigned long *a, const unsigned long *b, u32 *n)
{
	u32 nsites = smon_nr_sites(), site, count = 0;
	unsigned long *ips;

	for (site = 0; site < nsites; site++)
		count += test_bit(site, a) && !(b && test_bit(site, b));
	ips = smon_kzalloc(array_size(count ?: 1, sizeof(*ips)), GFP_KERNEL);
	if (!ips)
		return NULL;
	for (site = 0, count = 0; site < nsites; site++)
		if (test_bit(site, a) && !(b && test_bit(site, b)))
			ips[count++] = smon_site_ip(site);
	*n = count;
	return ips;
}

static void reset_filter(void)
{
	/* An empty list with reset: back to "no filter" while unregistered. */
	ftrace_set_filter_ips(&entry_ops, NULL, 0, 0, 1);
}

int smon_probes_hook(const unsigned long *sites)
{
	unsigned long *ips;
	u32 n;
	int ret = 0;

	mutex_lock(&hook_lock);
	ips = site_ips(sites, hooked, &n);
	if (!ips) {
		ret = -ENOMEM;
		goto out;
	}
	if (!n)
		goto out_free;
	ret = ftrace_set_filter_ips(&entry_ops, ips, n, 0, 0);
	if (ret)
		goto out_free;
	if (!registered) {
		ret = register_ftrace_function(&entry_ops);
		if (ret) {
			reset_filter();
			goto out_free;
		}
		registered = true;
	}
	bitmap_or(hooked, hooked, sites, smon_nr_sites());
out_free:
	smon_kfree(ips);
out:
	mutex_unlock(&hook_lock);
	if (ret)
		pr_warn("cannot hook the entry points: %d\n", ret);
	return ret;
}

static void unhook_all_locked(void)
{
	lockdep_assert_held(&hook_lock);
	if (registered) {
		unregister_ftrace_function(&entry_ops);	/* waits for running hooks */
		registered = false;
	}
	reset_filter();
	bitmap_zero(hooked, smon_nr_sites());
}

void smon_probes_unhook_others(const unsigned long *sites)
{
	unsigned long *ips;
	u32 n;
	int ret;

	mutex_lock(&hook_lock);
	if (bitmap_empty(sites, smon_nr_sites())) {
		unhook_all_locked();
		goto out;
	}
	ips = site_ips(hooked, sites, &n);
	if (!ips || !n) {
		smon_kfree(ips);
		goto out;
	}
	/* Never empties the filter: sites has a bit set, and those stay. */
	ret = ftrace_set_filter_ips(&entry_ops, ips, n, 1, 0);
	if (!ret)
		bitmap_and(hooked, hooked, sites, smon_nr_sites());
	else
		/* Still hooked, but the policy no longer has work there: harmless until the next change. */
		pr_warn("cannot unhook %u entry points: %d\n", n, ret);
	smon_kfree(ips);
out:
	mutex_unlock(&hook_lock);
}

void smon_probes_unhook_all(void)
{
	mutex_lock(&hook_lock);
	unhook_all_locked();
	mutex_unlock(&hook_lock);
}

u32 smon_probes_hooked(void)
{
	u32 n;

	mutex_lock(&hook_lock);
	n = bitmap_weight(hooked, smon_nr_sites());
	mutex_unlock(&hook_lock);
	return n;
}

int smon_probes_init(void)
{
	hooked = smon_kzalloc(BITS_TO_LONGS(smon_nr_sites()) * sizeof(long) ?: sizeof(long), GFP_KERNEL);
	return hooked ? 0 : -ENOMEM;
}

void smon_probes_exit(void)
{
	smon_probes_unhook_all();
	ftrace_free_filter(&entry_ops);
	/*
	 * A task sent to smon_blocked_return may have been preempted before
	 * executing it; unregistering only waits for running hooks.  Tasks RCU
	 * waits until every task has passed a voluntary switch or user mode,
	 * after which none can still be on our text.
	 */
	synchronize_rcu_tasks();
	smon_kfree(hooked);
}
