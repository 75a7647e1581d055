/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The syscall tables: x86_64 operations (what targets name) and every
 * implemented entry point of every ABI, generated from this kernel's own
 * tables (scripts/gen-syscalls.sh), resolved to addresses once at load.
 */
#ifndef SYSCALLMON_SYSCALLS_H
#define SYSCALLMON_SYSCALLS_H

#include <linux/types.h>
#include <asm/unistd.h>
#include <uapi/syscallmon.h>

struct pt_regs;

/* Name of x86_64 syscall nr, NULL if this kernel has no such number. */
const char *smon_op_name(u32 nr);
/* The number of a name, or -EINVAL. */
int smon_op_lookup(const char *name);
/* Does this kernel implement the operation through at least one entry point? */
bool smon_op_implemented(u32 nr);
/* Returning with an errno from these would leave the task running code it can't survive. */
bool smon_op_unblockable(u32 nr);
/* exit and exit_group: recorded at entry, they have no result. */
static inline bool smon_op_never_returns(u32 nr)
{
	return nr == __NR_exit || nr == __NR_exit_group;
}

/* execve and execveat: once they succeed, the old image's memory is gone. */
static inline bool smon_op_execs(u32 nr)
{
	return nr == __NR_execve || nr == __NR_execveat;
}

/* The entry symbol of (abi, native nr), or NULL: what the /proc log names. */
const char *smon_entry_symbol(u32 abi, u32 native_nr);
/* Which argument of (abi, native nr) is its path, or -1: not always the operation's. */
int smon_entry_path_arg(u32 abi, u32 native_nr);

/*
 * Entry points are "sites": distinct addresses to hook (aliases share one,
 * e.g. the x86_64 and i386 entries of a call without arguments).  Sites are
 * numbered 0..smon_nr_sites()-1.
 */
u32 smon_nr_sites(void);
unsigned long smon_site_ip(u32 site);
/* Calls fn for each site an operation needs hooked, on every ABI. */
void smon_op_for_each_site(u32 nr, void (*fn)(u32 site, void *arg), void *arg);

/* A call, as the entry hook sees it. */
struct smon_call {
	u32 op;			/* x86_64 number of the operation */
	u32 abi;		/* enum syscallmon_abi */
	u32 native_nr;
	s8 path_arg;		/* where this entry takes the operation's path and fd, or -1 */
	s8 fd_arg;
	u64 args[SYSCALLMON_NR_ARGS];
};

/*
 * Decodes the call the current task is making, given the address of the
 * entry point that was hit: false if that isn't the entry point of the
 * task's current syscall, or the call performs no x86_64 operation.
 * Any context; reads only the task's saved user registers.
 */
bool smon_decode_call(unsigned long ip, struct smon_call *call);

/* The syscall the current task is in, as far as it is one; any context. */
bool smon_current_call(struct smon_call *call);

/* Where ftrace hooks the kernel function name, or 0 if this kernel has none. */
unsigned long smon_function_ip(const char *name);

/* Resolves the entry symbols; called once at load. */
int smon_syscalls_init(void);
void smon_syscalls_exit(void);

#endif
