/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The entry hook: one ftrace callback on the entry points (sites) the
 * policy needs, which decodes the call, asks the policy, records it and, to
 * block, makes the call return -errno without running it.
 */
#ifndef SYSCALLMON_PROBES_H
#define SYSCALLMON_PROBES_H

#include <linux/ftrace.h>
#include <linux/types.h>
#include <asm/linkage.h>

/*
 * A set of hooked functions ("sites", numbered 0..nsites-1) that share one
 * ftrace_ops: hooking or unhooking many of them is one code update.  The
 * callback may block a call by pointing regs->ip at smon_blocked_return
 * with regs->ax holding -errno (the ops has IPMODIFY), regs being
 * smon_hook_regs().  One lock for every
 * set; process context.
 */
struct smon_hook_set {
	struct ftrace_ops ops;
	const char *what;			/* for messages: "syscall entry points" */
	u32 nsites;
	unsigned long (*site_ip)(u32 site);
	unsigned long *hooked;			/* bitmap over the sites */
	bool registered;
};

int smon_hooks_init(struct smon_hook_set *set);
/* Hooks every site set in sites that isn't hooked yet; on error nothing changed. */
int smon_hooks_add(struct smon_hook_set *set, const unsigned long *sites);
/* Unhooks every hooked site not set in sites. */
void smon_hooks_keep_only(struct smon_hook_set *set, const unsigned long *sites);
void smon_hooks_remove_all(struct smon_hook_set *set);
u32 smon_hooks_count(struct smon_hook_set *set);
/* Unhooks all; the caller then waits for tasks still on smon_blocked_return. */
void smon_hooks_exit(struct smon_hook_set *set);

/* Where a blocked call returns to: a bare ret, with regs->ax as the result. */
asmlinkage void smon_blocked_return(void);

/*
 * The hooked function's argument registers, ax and ip.  The ops asks for
 * no more than that (no FTRACE_OPS_FL_SAVE_REGS): ftrace then calls it
 * through ftrace_caller, which saves and restores only those and takes
 * back a changed ip, a few dozen instructions less than ftrace_regs_caller
 * on every hooked call.  ftrace_get_regs() is NULL there; the other
 * registers, cs and flags are not saved.
 */
static __always_inline struct pt_regs *smon_hook_regs(struct ftrace_regs *fregs)
{
#ifdef arch_ftrace_regs
	return &arch_ftrace_regs(fregs)->regs;
#else
	return &fregs->regs;
#endif
}

/* The syscall entry points. */

/*
 * Hooks every site set in sites (a bitmap over smon_nr_sites()) that isn't
 * hooked yet, all in one ftrace update; on error nothing changed.
 */
int smon_probes_hook(const unsigned long *sites);
/* Unhooks every hooked site not set in sites. */
void smon_probes_unhook_others(const unsigned long *sites);
void smon_probes_unhook_all(void);
/* How many sites are hooked now. */
u32 smon_probes_hooked(void);

int smon_probes_init(void);
/* Waits until no task can still be running the module's text. */
void smon_probes_exit(void);

#endif
