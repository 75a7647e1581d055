// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/mm_types.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "main.h"
#include "rules.h"
#include "scopes.h"
#include "syscalls.h"

void smon_match_init(struct smon_match_ctx *ctx, const struct smon_call *call, char *path_buf)
{
	ctx->call = call;
	ctx->object = NULL;
	ctx->tgid = task_tgid(current);
	ctx->cred = current_cred();
	ctx->exe_read = false;
	ctx->cgroup = NULL;
	ctx->path_len = -2;
	ctx->path = path_buf;
}
NOKPROBE_SYMBOL(smon_match_init);

void smon_match_init_file(struct smon_match_ctx *ctx, const struct inode *object)
{
	smon_match_init(ctx, NULL, NULL);
	ctx->object = object;
}
NOKPROBE_SYMBOL(smon_match_init_file);

const struct inode *smon_match_exe(struct smon_match_ctx *ctx)
{
	if (!ctx->exe_read) {
		struct mm_struct *mm = current->mm;
		struct file *exe;

		ctx->exe_read = true;
		/*
		 * What the kernel recorded at exec: for a #! script, the
		 * interpreter.  Kernel threads have no mm and no program.  Files
		 * are freed by RCU on 6.1 but reused under RCU since 6.7
		 * (SLAB_TYPESAFE_BY_RCU): a slot PR_SET_MM_EXE_FILE frees
		 * meanwhile may hold another file, or one being set up with no
		 * inode yet, so the inode is only compared, never followed.
		 */
		exe = mm ? rcu_dereference(mm->exe_file) : NULL;
		ctx->exe = exe ? READ_ONCE(exe->f_inode) : NULL;
	}
	return ctx->exe;
}
NOKPROBE_SYMBOL(smon_match_exe);

static bool id_in_range(u32 v, const struct syscallmon_id_range *r)
{
	return v >= r->min && v <= r->max;
}

/* The call's first path argument as it passed it; never faulted in (the hook can't sleep). */
static int path_arg(struct smon_match_ctx *ctx)
{
	unsigned long uaddr;
	long n;
	int arg;

	if (ctx->path_len != -2)
		return ctx->path_len;
	ctx->path_len = -1;
	arg = ctx->call ? ctx->call->path_arg : -1;
	if (arg < 0)
		return -1;
	uaddr = ctx->call->args[arg];
	if (!uaddr)
		return -1;
	pagefault_disable();
	n = strncpy_from_user(ctx->path, (const char __user *)uaddr, SYSCALLMON_SELECTOR_LEN);
	pagefault_enable();
	/* Longer than any selector: it can't equal one, and its prefix is what was read. */
	if (n >= 0)
		ctx->path_len = n < SYSCALLMON_SELECTOR_LEN ? n : SYSCALLMON_SELECTOR_LEN;
	return ctx->path_len;
}

bool smon_rule_matches(const struct smon_rule *r, struct smon_match_ctx *ctx)
{
	u32 f = r->flags;
	int len;

	if (r->scope && !smon_scope_has(r->scope, ctx->tgid))
		return false;
	if ((f & SYSCALLMON_SEL_UID) && !id_in_range(__kuid_val(ctx->cred->uid), &r->uid))
		return false;
	if ((f & SYSCALLMON_SEL_EUID) && !id_in_range(__kuid_val(ctx->cred->euid), &r->euid))
		return false;
	if ((f & SYSCALLMON_SEL_AUID) && !id_in_range(__kuid_val(audit_get_loginuid(current)), &r->auid))
		return false;
	if ((f & SYSCALLMON_SEL_GID) && !id_in_range(__kgid_val(ctx->cred->gid), &r->gid))
		return false;
	if (f & SYSCALLMON_SEL_COMM) {
		/* comm is always NUL-terminated; exact means up to and with the NUL. */
		if (strncmp(current->comm, r->comm, (f & SYSCALLMON_RULE_COMM_PREFIX) ? r->comm_len :
			    SYSCALLMON_COMM_LEN))
			return false;
	}
	if (f & SYSCALLMON_SEL_EXE) {
		if (smon_match_exe(ctx) != smon_held_inode(&r->exe))
			return false;
		/* A traced process runs whatever its tracer puts in it: no exception for it. */
		if (r->action == SYSCALLMON_RULE_ALLOW && READ_ONCE(current->ptrace))
			return false;
	}
	if (f & SYSCALLMON_SEL_CGROUP) {
		if (!ctx->cgroup)
			ctx->cgroup = task_dfl_cgroup(current);
		if (!cgroup_is_descendant(ctx->cgroup, r->cgroup))
			return false;
	}
	if ((f & SYSCALLMON_SEL_FILE) &&
	    (!ctx->object || ctx->object != smon_held_inode(&r->file)))
		return false;
	if (f & SYSCALLMON_SEL_PATH) {
		len = path_arg(ctx);
		if (len < 0 || len < r->path_len)
			return false;
		if (!(f & SYSCALLMON_RULE_PATH_PREFIX) && len != r->path_len)
			return false;
		if (memcmp(ctx->path, r->path, r->path_len))
			return false;
	}
	return true;
}
NOKPROBE_SYMBOL(smon_rule_matches);

static struct smon_rule_stats *stats_new(void)
{
	struct smon_rule_stats *s = smon_kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->pcpu = alloc_percpu(struct smon_rule_counters);
	if (!s->pcpu) {
		smon_kfree(s);
		return NULL;
	}
	atomic64_inc(&smon_allocs_live);
	refcount_set(&s->ref, 1);
	return s;
}

static void stats_put(struct smon_rule_stats *s)
{
	if (!s || !refcount_dec_and_test(&s->ref))
		return;
	free_percpu(s->pcpu);
	atomic64_dec(&smon_allocs_live);
	smon_kfree(s);
}

static struct smon_rule *rule_alloc(struct smon_rule_stats *stats)
{
	struct smon_rule *r = smon_kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return NULL;
	refcount_set(&r->ref, 1);
	if (stats) {
		refcount_inc(&stats->ref);
		r->stats = stats;
	} else {
		r->stats = stats_new();
		if (!r->stats) {
			smon_kfree(r);
			return NULL;
		}
	}
	return r;
}

/* The file name names now (following symlinks), held in *path; a program must be a regular file. */
static int resolve(const char *name, bool regular, struct path *path, dev_t *dev, unsigned long *ino)
{
	struct kstat stat;
	int ret = kern_path(name, LOOKUP_FOLLOW, path);

	if (ret)
		return ret;
	/* Reported as stat() shows them: on btrfs a subvolume's device is not its superblock's. */
	if (regular && !d_is_reg(path->dentry))
		ret = -EINVAL;
	else
		ret = vfs_getattr(path, &stat, STATX_INO, AT_STATX_SYNC_AS_STAT);
	if (ret) {
		path_put(path);
		path->dentry = NULL;
		return ret;
	}
	*dev = stat.dev;
	*ino = stat.ino;
	return 0;
}

/* Does name still name the file held? */
static bool still_names(const char *name, const struct path *held)
{
	struct path path;
	bool same;

	if (kern_path(name, LOOKUP_FOLLOW, &path))
		return false;
	same = d_backing_inode(path.dentry) == smon_held_inode(held);
	path_put(&path);
	return same;
}

static int resolve_cgroup(struct smon_rule *r)
{
	struct cgroup *cgrp = cgroup_get_from_path(r->cgroup_path);

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp) == -ENOENT ? -ENOENT : PTR_ERR(cgrp);
	r->cgroup = cgrp;
	return 0;
}

static int make_scope(struct smon_rule *r, struct pid *const *pids, u32 npids, bool tree)
{
	r->scope = smon_scope_new(tree);
	if (!r->scope)
		return -ENOMEM;
	return smon_scopes_add(&r->scope, 1, pids, npids);
}

struct smon_rule *smon_rule_new(const struct syscallmon_rule *req, struct pid *const *pids, u32 npids,
				const void *owner, struct smon_rule_stats *stats)
{
	struct smon_rule *r = rule_alloc(stats);
	int ret = 0;

	if (!r)
		return ERR_PTR(-ENOMEM);
	r->class = req->rule_class;
	r->owner = owner;
	strscpy(r->name, req->name, sizeof(r->name));
	bitmap_from_arr64(r->ops, req->syscalls, SYSCALLMON_NR_LIMIT);
	r->action = req->action;
	r->err = req->err ?: SYSCALLMON_DEFAULT_ERRNO;
	r->flags = req->flags;
	r->record = req->record;
	r->uid = req->uid;
	r->euid = req->euid;
	r->auid = req->auid;
	r->gid = req->gid;
	strscpy(r->comm, req->comm, sizeof(r->comm));
	r->comm_len = strlen(r->comm);
	strscpy(r->exe_path, req->exe, sizeof(r->exe_path));
	strscpy(r->cgroup_path, req->cgroup, sizeof(r->cgroup_path));
	strscpy(r->path, req->path, sizeof(r->path));
	r->path_len = strlen(r->path);
	r->file_ops = req->file_ops;
	strscpy(r->file_path, req->file, sizeof(r->file_path));
	if (r->flags & SYSCALLMON_SEL_EXE)
		ret = resolve(r->exe_path, true, &r->exe, &r->exe_dev, &r->exe_ino);
	if (!ret && (r->flags & SYSCALLMON_SEL_FILE))
		ret = resolve(r->file_path, false, &r->file, &r->file_dev, &r->file_ino);
	if (!ret && (r->flags & SYSCALLMON_SEL_CGROUP))
		ret = resolve_cgroup(r);
	if (!ret && (r->flags & (SYSCALLMON_SEL_PIDS | SYSCALLMON_SEL_TREE)))
		ret = make_scope(r, pids, npids, r->flags & SYSCALLMON_SEL_TREE);
	if (ret) {
		smon_rule_put(r);
		return ERR_PTR(ret);
	}
	return r;
}

struct smon_rule *smon_rule_new_target(const struct syscallmon_target *req, struct pid *const *pids,
				       u32 npids, struct smon_rule_stats *stats)
{
	struct smon_rule *r = rule_alloc(stats);
	int ret;

	if (!r)
		return ERR_PTR(-ENOMEM);
	r->class = SMON_CLASS_TARGET;
	__set_bit(req->nr, r->ops);
	r->action = req->action == SYSCALLMON_ACTION_BLOCK ? SYSCALLMON_RULE_BLOCK : SYSCALLMON_RULE_LOG;
	r->err = req->err;
	/* A target's block always acts in BLOCK mode: it is enforced. */
	r->flags = SYSCALLMON_RULE_ENFORCE;
	if (req->flags & SYSCALLMON_TARGET_FORCE)
		r->flags |= SYSCALLMON_RULE_FORCE;
	if (req->flags & SYSCALLMON_TARGET_FAILED_ONLY)
		r->flags |= SYSCALLMON_RULE_FAILED_ONLY;
	r->record = req->record;
	if (!(req->flags & SYSCALLMON_TARGET_ALL_PIDS)) {
		r->flags |= SYSCALLMON_SEL_PIDS;
		ret = make_scope(r, pids, npids, false);
		if (ret) {
			smon_rule_put(r);
			return ERR_PTR(ret);
		}
	}
	return r;
}

void smon_rule_get(struct smon_rule *rule)
{
	refcount_inc(&rule->ref);
}

void smon_rule_put(struct smon_rule *r)
{
	if (!r || !refcount_dec_and_test(&r->ref))
		return;
	smon_scope_put(r->scope);
	if (r->cgroup)
		cgroup_put(r->cgroup);
	if (r->exe.dentry)
		path_put(&r->exe);
	if (r->file.dentry)
		path_put(&r->file);
	stats_put(r->stats);
	smon_kfree(r);
}

void smon_rule_counters(const struct smon_rule *rule, struct smon_rule_counters *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct smon_rule_counters *c = per_cpu_ptr(rule->stats->pcpu, cpu);

		sum->hits += READ_ONCE(c->hits);
		sum->matched += READ_ONCE(c->matched);
		sum->logged += READ_ONCE(c->logged);
		sum->blocked += READ_ONCE(c->blocked);
		sum->killed += READ_ONCE(c->killed);
		sum->would_act += READ_ONCE(c->would_act);
	}
}

void smon_rule_counters_clear(const struct smon_rule *rule)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(rule->stats->pcpu, cpu), 0, sizeof(struct smon_rule_counters));
}

void smon_rule_info(const struct smon_rule *r, struct syscallmon_rule_info *info)
{
	struct syscallmon_rule *q = &info->rule;
	struct smon_rule_counters c;

	memset(info, 0, sizeof(*info));
	q->id = r->id;
	q->rule_class = r->class;
	strscpy(q->name, r->name, sizeof(q->name));
	bitmap_to_arr64(q->syscalls, r->ops, SYSCALLMON_NR_LIMIT);
	q->action = r->action;
	q->err = r->err;
	q->flags = r->flags;
	q->record = r->record;
	q->uid = r->uid;
	q->euid = r->euid;
	q->auid = r->auid;
	q->gid = r->gid;
	strscpy(q->comm, r->comm, sizeof(q->comm));
	strscpy(q->exe, r->exe_path, sizeof(q->exe));
	strscpy(q->cgroup, r->cgroup_path, sizeof(q->cgroup));
	strscpy(q->path, r->path, sizeof(q->path));
	strscpy(q->file, r->file_path, sizeof(q->file));
	q->file_ops = r->file_ops;
	q->npids = r->scope ? smon_scope_count(r->scope) : 0;
	info->exe_dev = new_encode_dev(r->exe_dev);
	info->exe_ino = r->exe_ino;
	info->cgroup_id = r->cgroup ? cgroup_id(r->cgroup) : 0;
	info->file_dev = new_encode_dev(r->file_dev);
	info->file_ino = r->file_ino;
	if (((r->flags & SYSCALLMON_SEL_EXE) && !still_names(r->exe_path, &r->exe)) ||
	    ((r->flags & SYSCALLMON_SEL_FILE) && !still_names(r->file_path, &r->file)))
		info->state |= SYSCALLMON_RULE_STALE;
	smon_rule_counters(r, &c);
	info->matched = c.matched;
	info->logged = c.logged;
	info->blocked = c.blocked;
	info->killed = c.killed;
	info->would_act = c.would_act;
}
