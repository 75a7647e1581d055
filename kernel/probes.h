/* SPDX-License-Identifier: GPL-2.0 */
/* Targets: which syscalls are probed, for whom, and what their probes do. */
#ifndef SYSCALLMON_PROBES_H
#define SYSCALLMON_PROBES_H

#include <linux/types.h>
#include <uapi/syscallmon.h>

struct seq_file;

const char *smon_syscall_name(u32 nr);
const char *smon_syscall_symbol(u32 nr);
int smon_syscall_lookup(const char *name);

int smon_probes_init(void);
/* Disarms every probe and frees every target; waits until no task can still be in our code. */
void smon_probes_exit(void);

u32 smon_mode(void);
int smon_set_mode(u32 mode);

/* Arguments are validated by the caller except what needs the target table. */
int smon_target_add(const struct syscallmon_target *req, const u32 *pids);
int smon_target_del(u32 nr);
int smon_pids_add(u32 nr, const u32 *pids, u32 npids);
int smon_pids_del(u32 nr, const u32 *pids, u32 npids);
void smon_targets_clear(void);
void smon_counters_clear(void);
/* Adds pids to, or removes them from, every pid-scoped target. */
int smon_pids_apply_all(const u32 *pids, u32 npids, bool add);

/* Calls fn for each target in syscall order, under the config lock (fn may sleep). */
int smon_targets_for_each(int (*fn)(const struct syscallmon_target_info *info, void *arg), void *arg);

struct smon_probe_stats {
	u32 ntargets;
	u32 armed;
	u64 missed;
};
void smon_probe_stats(struct smon_probe_stats *stats);

/* Removes tgid from every pid scope (its process has exited). */
void smon_scopes_forget(pid_t tgid);

bool smon_syscall_unblockable(u32 nr);
/* Is nr the tgid of a live process (initial pid namespace)? */
bool smon_pid_alive(u32 nr);

#endif
