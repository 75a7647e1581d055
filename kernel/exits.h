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
/* Exit events on or off (SYSCALLMON_IOC_SET_EXITS). */
void smon_exits_set_events(bool on);
bool smon_exits_events_on(void);
u64 smon_exits_seen(void);

#endif
