// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/path.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>

#include "calls.h"
#include "files.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "syscalls.h"

/*
 * The hook functions and what they decide.  Both truncate hooks: 6.2 moved
 * ftruncate and O_TRUNC from security_path_truncate to security_file_truncate.
 * An exec is decided where the kernel opens a file to run it (__FMODE_EXEC):
 * the program, a #! script's interpreter and an ELF's PT_INTERP alike;
 * security_bprm_check sees only the first two.
 */
enum hook_fn {
	HOOK_FILE_OPEN,
	HOOK_PATH_UNLINK,
	HOOK_PATH_RMDIR,
	HOOK_PATH_RENAME,
	HOOK_PATH_LINK,
	HOOK_PATH_TRUNCATE,
	HOOK_FILE_TRUNCATE,
	NR_HOOK_FNS,
};

static const struct {
	const char *symbol;
	u32 ops;		/* SYSCALLMON_FILE_* it decides */
	bool optional;		/* the access is decided without it on kernels that lack it */
} hook_fns[NR_HOOK_FNS] = {
	[HOOK_FILE_OPEN]	= { "security_file_open", SYSCALLMON_FILE_OPEN | SYSCALLMON_FILE_EXEC },
	[HOOK_PATH_UNLINK]	= { "security_path_unlink", SYSCALLMON_FILE_UNLINK },
	[HOOK_PATH_RMDIR]	= { "security_path_rmdir", SYSCALLMON_FILE_UNLINK },
	[HOOK_PATH_RENAME]	= { "security_path_rename", SYSCALLMON_FILE_RENAME },
	[HOOK_PATH_LINK]	= { "security_path_link", SYSCALLMON_FILE_LINK },
	[HOOK_PATH_TRUNCATE]	= { "security_path_truncate", SYSCALLMON_FILE_TRUNCATE },
	[HOOK_FILE_TRUNCATE]	= { "security_file_truncate", SYSCALLMON_FILE_TRUNCATE, true },
};

static unsigned long hook_ips[NR_HOOK_FNS];	/* 0: not in this kernel */
static u32 supported;
static atomic64_t missed = ATOMIC64_INIT(0);

static unsigned long hook_fn_ip(u32 fn)
{
	return hook_ips[fn];
}

/*
 * Decides one access to inode, reached as path: records it if a rule says
 * so, and true if it is refused (regs then return -err from the hook).
 */
static bool decide(enum smon_file_op op, const struct inode *inode, const struct path *path,
		   struct pt_regs *regs)
{
	struct smon_decision d;

	if (!inode || !smon_policy_decide_file(op, inode, &d))
		return false;
	if (d.record)
		smon_record_file(&d, path);
	if (!d.block)
		return false;
	/* A kill: the process dies on its way out, the access not made. */
	if (d.kill)
		send_sig(SIGKILL, current, 1);
	regs->ax = (unsigned long)(long)-d.err;
	regs->ip = (unsigned long)&smon_blocked_return;
	return true;
}
NOKPROBE_SYMBOL(decide);

/*
 * An access to dentry as a name in dir: the file itself (none for a name
 * not made yet), then its directory.
 */
static bool decide_name(enum smon_file_op op, const struct path *dir, struct dentry *dentry, struct pt_regs *regs)
{
	struct path name = { .mnt = dir->mnt, .dentry = dentry };

	return decide(op, d_backing_inode(dentry), &name, regs) ||
	       decide(op, d_backing_inode(dir->dentry), &name, regs);
}
NOKPROBE_SYMBOL(decide_name);

static void file_hook(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = smon_hook_regs(fregs);
	enum hook_fn fn;
	int bit;

	for (fn = 0; fn < NR_HOOK_FNS && hook_ips[fn] != ip; fn++)
		;
	if (fn == NR_HOOK_FNS)
		return;
	bit = ftrace_test_recursion_trylock(ip, parent_ip);	/* also disables preemption */
	if (bit < 0) {
		atomic64_inc(&missed);
		return;
	}
	rcu_read_lock();
	switch (fn) {
	case HOOK_FILE_OPEN: {
		struct file *file = (struct file *)regs->di;
		bool to_run = (file->f_flags & __FMODE_EXEC) || (file->f_mode & FMODE_EXEC);

		decide(to_run ? SMON_FILE_EXEC : SMON_FILE_OPEN, file_inode(file), &file->f_path, regs);
		break;
	}
	case HOOK_PATH_UNLINK:
	case HOOK_PATH_RMDIR:
		decide_name(SMON_FILE_UNLINK, (const struct path *)regs->di, (struct dentry *)regs->si, regs);
		break;
	case HOOK_PATH_RENAME:
		/* (old_dir, old_dentry, new_dir, new_dentry, flags): moving it, or replacing it. */
		if (!decide_name(SMON_FILE_RENAME, (const struct path *)regs->di, (struct dentry *)regs->si, regs))
			decide_name(SMON_FILE_RENAME, (const struct path *)regs->dx, (struct dentry *)regs->cx, regs);
		break;
	case HOOK_PATH_LINK: {
		/* (old_dentry, new_dir, new_dentry): a new name for the file, in new_dir. */
		const struct path *new_dir = (const struct path *)regs->si;
		struct path old = { .mnt = new_dir->mnt, .dentry = (struct dentry *)regs->di };

		if (!decide(SMON_FILE_LINK, d_backing_inode(old.dentry), &old, regs))
			decide_name(SMON_FILE_LINK, new_dir, (struct dentry *)regs->dx, regs);
		break;
	}
	case HOOK_PATH_TRUNCATE: {
		const struct path *path = (const struct path *)regs->di;

		decide(SMON_FILE_TRUNCATE, d_backing_inode(path->dentry), path, regs);
		break;
	}
	case HOOK_FILE_TRUNCATE: {
		struct file *file = (struct file *)regs->di;

		decide(SMON_FILE_TRUNCATE, file_inode(file), &file->f_path, regs);
		break;
	}
	default:
		break;
	}
	rcu_read_unlock();
	ftrace_test_recursion_unlock(bit);
}
NOKPROBE_SYMBOL(file_hook);

static struct smon_hook_set file_set = {
	.ops = {
		.func = file_hook,
		.flags = FTRACE_OPS_FL_IPMODIFY,
	},
	.what = "security hook functions",
	.nsites = NR_HOOK_FNS,
	.site_ip = hook_fn_ip,
};

u32 smon_files_supported(void)
{
	return supported;
}

int smon_files_hook(u32 ops)
{
	unsigned long fns = 0;
	u32 fn;
	int ret;

	for (fn = 0; fn < NR_HOOK_FNS; fn++)
		if (hook_ips[fn] && (hook_fns[fn].ops & ops))
			__set_bit(fn, &fns);
	ret = smon_hooks_add(&file_set, &fns);
	if (!ret)
		smon_hooks_keep_only(&file_set, &fns);
	return ret;
}

u32 smon_files_hooked(void)
{
	return smon_hooks_count(&file_set);
}

u64 smon_files_missed(void)
{
	return atomic64_read(&missed);
}

int smon_files_init(void)
{
	u32 fn, missing = 0;

	BUILD_BUG_ON(NR_HOOK_FNS > BITS_PER_LONG);
	for (fn = 0; fn < NR_HOOK_FNS; fn++) {
		hook_ips[fn] = smon_function_ip(hook_fns[fn].symbol);
		if (hook_ips[fn])
			supported |= hook_fns[fn].ops;
		else if (!hook_fns[fn].optional)
			missing |= hook_fns[fn].ops;
	}
	/* An access is decided only where every hook function that makes it is there. */
	supported &= ~missing;
	if (missing)
		pr_info("file rules can't decide accesses %#x: this kernel lacks their security hooks\n", missing);
	return smon_hooks_init(&file_set);
}

void smon_files_exit(void)
{
	smon_hooks_exit(&file_set);
}
