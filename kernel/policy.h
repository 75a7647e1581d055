/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy: the mode, the rules and the targets, as one immutable
 * snapshot that the entry hook reads under RCU and that every change
 * replaces whole.  Scope membership is not part of the snapshot (scopes.h):
 * pids come and go, and process trees grow, without republishing it.
 */
#ifndef SYSCALLMON_POLICY_H
#define SYSCALLMON_POLICY_H

#include <linux/types.h>
#include <uapi/syscallmon.h>

struct pid;
struct pid_namespace;
struct smon_call;

int smon_policy_init(void);
/* Unload, first: turns everything off; no hook decides a call after it. */
void smon_policy_disarm(void);
/*
 * Unload, then: frees every target and the counters, waiting for the frees.
 * After smon_calls_exit(): a call followed to its return still counts what
 * it skips.
 */
void smon_policy_exit(void);

/* What the entry hook does with a call. */
struct smon_decision {
	bool record;		/* write a syscall record with verdict and err */
	bool block;		/* return -err without running the call */
	bool kill;		/* and SIGKILL the process */
	u32 rule;		/* the id of the rule that decided; 0: the target */
	bool failed_only;	/* record it only if it returns an error */
	u32 verdict;		/* enum syscallmon_verdict */
	u32 record_mode;	/* enum syscallmon_record_mode */
	int err;
};

/* Counted per syscall, whatever became of its target since. */
enum smon_op_count {
	SMON_COUNT_MISSED,	/* a hook run skipped (recursion) */
	SMON_COUNT_NO_RESULT,	/* recorded without a result: no return slot, or run inside the call */
	SMON_COUNT_FAILED_SKIPPED, /* a success not recorded: failures only */
	SMON_NR_COUNTS,
};

/*
 * Decides a call under the current snapshot.  Called by the entry hook with
 * the RCU read lock held and preemption off; false: nothing to do.
 */
bool smon_policy_decide(const struct smon_call *call, struct smon_decision *d);
/* Likewise for an access to the file object, op an enum smon_file_op (files.h), at a security hook. */
bool smon_policy_decide_file(u32 op, const struct inode *object, struct smon_decision *d);
/* Any context. */
void smon_policy_count(u32 op, enum smon_op_count what);

/*
 * Configuration, each serialized and applied whole or refused.  Requests are
 * validated by the caller except what needs the current policy.  pids are
 * processes (smon_process_get()), borrowed.
 */
int smon_set_mode(u32 mode);

struct smon_mode_info {
	u32 mode;	/* what calls are decided under */
	u32 set;	/* what SET_MODE or the policy set */
	u32 holders;	/* open files holding a mode (HOLD) */
};
void smon_mode_get(struct smon_mode_info *info);
/* A file's hold (*held, OFF for none) becomes mode; pid: who, for the record. */
int smon_mode_hold(u32 *held, u32 mode, pid_t pid);
/* mode: SYSCALLMON_MODE_* set in the same change (whole, or nothing of it), or -1 to leave it. */
int smon_target_add(const struct syscallmon_target *req, struct pid *const *pids, u32 npids, int mode);
int smon_target_del(u32 nr);
int smon_pids_add(u32 nr, struct pid *const *pids, u32 npids);
int smon_pids_del(u32 nr, struct pid *const *pids, u32 npids);
/* Adds pids to every pid-scoped target (all of them, or none); removes them from all. */
int smon_pids_add_all(struct pid *const *pids, u32 npids);
void smon_pids_del_all(struct pid *const *pids, u32 npids);
/* Every target, in one change: 0, or an error and none removed. */
int smon_targets_clear(void);
void smon_counters_clear(void);

/* Rules (include/uapi/syscallmon.h).  owner: the open file a CLASS_FILE rule belongs to. */
int smon_rule_add(const struct syscallmon_rule *req, struct pid *const *pids, u32 npids, const void *owner,
		  u32 *id);
/* The rules ids[0..n) at once, or none (-ENOENT: one is not there); sorts ids. */
int smon_rules_del(u32 *ids, u32 n);
/* The file closed: its rules go.  Returns how many went. */
u32 smon_rules_drop_owner(const void *owner);
/*
 * Mode and policy rules at once (the rules have no pids), then exit events;
 * tag names the policy (its config record, smon_policy_tag()).
 */
int smon_policy_replace(u32 mode, bool exits, const struct syscallmon_rule *reqs, u32 nrules, const char *tag);
/* The tag of the policy last replaced ("" if none). */
void smon_policy_tag(char *buf, size_t len);
/* Calls fn for each rule in evaluation order, under the configuration lock. */
int smon_rules_for_each(int (*fn)(const struct syscallmon_rule_info *info, void *arg), void *arg);

struct smon_scope;

/*
 * Calls fn for each target in syscall order, under the configuration lock
 * (fn may sleep, and must not change the configuration).  scope is the
 * target's pid scope (NULL for every process), for smon_scope_list().
 */
int smon_targets_for_each(int (*fn)(const struct syscallmon_target_info *info,
				    const struct smon_scope *scope, void *arg), void *arg);
/*
 * The processes in the scope of target nr (rule_id 0) or of rule rule_id,
 * as numbers in ns: fills up to max of nrs and returns how many there are,
 * or -EINVAL if there is no such scope.
 */
int smon_scope_pids(u32 nr, u32 rule_id, struct pid_namespace *ns, u32 *nrs, u32 max);

struct smon_probe_stats {
	u32 ntargets;
	u32 nrules;
	u32 armed;
	u64 missed;
	u64 no_result;
};
void smon_probe_stats(struct smon_probe_stats *stats);

#endif
