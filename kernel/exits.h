/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process-exit probe (inside do_exit(), where group_dead is decided):
 * EXIT events, and forgetting a dead process wherever it is held by
 * identity (scopes, the device's openers).  Armed while the module is
 * loaded, so nothing that refers to a process can outlive it unseen.
 */
#ifndef SYSCALLMON_EXITS_H
#define SYSCALLMON_EXITS_H

#include <linux/types.h>

int smon_exits_init(void);
void smon_exits_exit(void);
/* Exit events set on or off (SYSCALLMON_IOC_SET_EXITS, a policy); whether the setting changed. */
bool smon_exits_set_events(bool on);
/* A file's hold on exit events (*held) becomes on; pid: who, for the record. */
void smon_exits_hold(bool *held, bool on, pid_t pid);
/* On: set on or held on by an open file. */
bool smon_exits_events_on(void);

struct smon_exits_info {
	bool on;
	bool set;
	u32 holders;
};
void smon_exits_get(struct smon_exits_info *info);
u64 smon_exits_seen(void);

#endif
