/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A rule: the syscalls it covers, what it does, and the selectors a process
 * must all match.  A syscall's target is a rule too (class SMON_CLASS_TARGET,
 * id 0), evaluated after every other rule of that syscall.  Rules are
 * immutable once published; a change makes a new one (sharing its counters).
 */
#ifndef SYSCALLMON_RULES_H
#define SYSCALLMON_RULES_H

#include <linux/bitmap.h>
#include <linux/dcache.h>
#include <linux/path.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <uapi/syscallmon.h>

struct cgroup;
struct cred;
struct pid;
struct smon_call;
struct smon_scope;

/* Beyond the uapi classes: a syscall's target. */
#define SMON_CLASS_TARGET	3

struct smon_rule_counters {
	u64 hits;		/* targets: calls of the syscall evaluated, outside device holders */
	u64 matched;
	u64 logged;
	u64 blocked;
	u64 killed;
	u64 would_act;
};

/* A rule's counters: they outlive the versions of the rule that share them. */
struct smon_rule_stats {
	refcount_t ref;
	struct smon_rule_counters __percpu *pcpu;
};

struct smon_rule {
	refcount_t ref;			/* one per snapshot holding it */
	u32 id;				/* 0 for a target */
	u32 class;			/* enum syscallmon_rule_class, or SMON_CLASS_TARGET */
	const void *owner;		/* SYSCALLMON_CLASS_FILE: the open file that owns it */
	char name[SYSCALLMON_RULE_NAME_LEN];
	DECLARE_BITMAP(ops, SYSCALLMON_NR_LIMIT);
	u32 file_ops;			/* SYSCALLMON_FILE_*: a file rule's accesses */
	u32 action;			/* enum syscallmon_rule_action */
	int err;
	u32 flags;			/* SYSCALLMON_RULE_*, SYSCALLMON_SEL_* */
	u32 record;			/* enum syscallmon_record_mode */
	struct syscallmon_id_range uid, euid, auid, gid;
	char comm[SYSCALLMON_COMM_LEN];
	size_t comm_len;
	/*
	 * exe and file hold the files they were resolved to: a rule matches
	 * their inodes, which live as long as the rule.  Not their device and
	 * inode numbers, which btrfs repeats across subvolumes of one
	 * filesystem (those are only reported).
	 */
	char exe_path[SYSCALLMON_SELECTOR_LEN];
	struct path exe;
	dev_t exe_dev;
	unsigned long exe_ino;
	char file_path[SYSCALLMON_SELECTOR_LEN];
	struct path file;
	dev_t file_dev;
	unsigned long file_ino;
	char cgroup_path[SYSCALLMON_SELECTOR_LEN];
	struct cgroup *cgroup;		/* a reference */
	char path[SYSCALLMON_SELECTOR_LEN];
	size_t path_len;
	struct smon_scope *scope;	/* SEL_PIDS or SEL_TREE; NULL: no such selector */
	struct smon_rule_stats *stats;
};

/*
 * What selectors look at: the calling task, its attributes read when a rule
 * first needs them, and the call (syscall rules) or the file accessed (file
 * rules).  Lives on the hook's stack.
 */
struct smon_match_ctx {
	const struct smon_call *call;	/* NULL for a file access */
	const struct inode *object;	/* the file accessed; NULL for a call */
	struct pid *tgid;
	const struct cred *cred;
	bool exe_read;
	const struct inode *exe;	/* compared, never dereferenced */
	struct cgroup *cgroup;
	int path_len;			/* -2 not read yet, -1 none or unreadable */
	char *path;			/* SYSCALLMON_SELECTOR_LEN bytes, the caller's */
};

/*
 * Does rule r select processes by its scope alone, or select every process?
 * Names every other selector smon_rule_matches() tests.
 */
static inline bool smon_rule_scope_only(const struct smon_rule *r)
{
	return !(r->flags & (SYSCALLMON_SEL_UID | SYSCALLMON_SEL_EUID | SYSCALLMON_SEL_AUID | SYSCALLMON_SEL_GID |
			     SYSCALLMON_SEL_COMM | SYSCALLMON_SEL_EXE | SYSCALLMON_SEL_CGROUP | SYSCALLMON_SEL_PATH |
			     SYSCALLMON_SEL_FILE));
}

void smon_match_init(struct smon_match_ctx *ctx, const struct smon_call *call, char *path_buf);
void smon_match_init_file(struct smon_match_ctx *ctx, const struct inode *object);
/* Any context, under RCU: does the calling task match every selector of rule? */
bool smon_rule_matches(const struct smon_rule *rule, struct smon_match_ctx *ctx);
/* The calling task's executable's inode, NULL if it has none; only to compare. */
const struct inode *smon_match_exe(struct smon_match_ctx *ctx);
/* The inode a rule's exe or file selector holds. */
static inline const struct inode *smon_held_inode(const struct path *path)
{
	return d_backing_inode(path->dentry);
}

/*
 * Process context.  A rule from a request (validated by the caller but for
 * what needs resolving), its pids as processes (borrowed), sharing stats
 * if given (a new version of a rule) or with new ones.
 */
struct smon_rule *smon_rule_new(const struct syscallmon_rule *req, struct pid *const *pids, u32 npids,
				const void *owner, struct smon_rule_stats *stats);
/* A syscall's target as a rule. */
struct smon_rule *smon_rule_new_target(const struct syscallmon_target *req, struct pid *const *pids,
				       u32 npids, struct smon_rule_stats *stats);
void smon_rule_get(struct smon_rule *rule);
/* Process context. */
void smon_rule_put(struct smon_rule *rule);

/* Sums the counters of every CPU. */
void smon_rule_counters(const struct smon_rule *rule, struct smon_rule_counters *sum);
void smon_rule_counters_clear(const struct smon_rule *rule);

/* The request a rule was made from, as GET_RULES reports it.  Process context (it looks up paths). */
void smon_rule_info(const struct smon_rule *rule, struct syscallmon_rule_info *info);

#endif
