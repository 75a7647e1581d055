/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scopes: sets of processes a target applies to.  A member is a process's
 * identity (the struct pid of its thread group), never its number, so a
 * later process given the same number is in no scope.  Membership lives in
 * one RCU hash keyed by that identity: a probe hit checks it in O(1), and a
 * process exit removes the process from every scope in O(its scopes).
 */
#ifndef SYSCALLMON_SCOPES_H
#define SYSCALLMON_SCOPES_H

#include <linux/types.h>

struct pid;
struct pid_namespace;
struct smon_scope;

/*
 * Process context.  A new scope has no member; put frees it with its
 * members.  A tree scope also takes in every process a member forks from
 * then on, before the child runs.
 */
struct smon_scope *smon_scope_new(bool tree);
struct smon_scope *smon_scope_get(struct smon_scope *scope);
void smon_scope_put(struct smon_scope *scope);

/*
 * Adds every process of pids to every one of scopes, or nothing at all:
 * -ESRCH if one is exiting or gone, -ENOSPC if a scope would hold more than
 * SYSCALLMON_MAX_PIDS.  Process context; pids are borrowed.
 */
int smon_scopes_add(struct smon_scope *const *scopes, u32 nscopes, struct pid *const *pids, u32 npids);
void smon_scope_del(struct smon_scope *scope, struct pid *pid);
u32 smon_scope_count(const struct smon_scope *scope);

/* Any context, under RCU (a probe hit): is the process identified by tgid in scope? */
bool smon_scope_has(const struct smon_scope *scope, const struct pid *tgid);
/* Any context, under RCU: calls fn for each scope tgid is in. */
void smon_scopes_of(const struct pid *tgid, void (*fn)(const struct smon_scope *scope, void *arg), void *arg);

/* Fills nrs with up to max members as numbers in ns; returns how many members are visible there. */
u32 smon_scope_list(const struct smon_scope *scope, struct pid_namespace *ns, u32 *nrs, u32 max);

/* Any context: process tgid has exited; it leaves every scope. */
void smon_scopes_forget(struct pid *tgid);

/*
 * The live process numbered nr in ns (the caller's namespace for pids a user
 * passed), with a reference; NULL if there is none or it is exiting or a
 * zombie.
 */
struct pid *smon_process_get(u32 nr, struct pid_namespace *ns);
bool smon_process_alive(struct pid *tgid);

/* Process trees grow at fork: a tracepoint, registered while the module is loaded. */
int smon_scopes_init(void);
void smon_scopes_exit(void);
/* Children of tree members that could not join (no memory, or the tree was full). */
u64 smon_scopes_tree_missed(void);

#endif
