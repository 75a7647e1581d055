/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process-exit probe (inside do_exit(), where group_dead is decided):
 * EXIT events, and pid-scope cleanup when processes die.
 */
#ifndef SYSCALLMON_EXITS_H
#define SYSCALLMON_EXITS_H

#include <linux/types.h>

/* Exit events on or off (SYSCALLMON_IOC_SET_EXITS). */
int smon_exits_set_events(bool on);
/* Whether some target's pid scope needs its dead pids removed. */
int smon_exits_set_cleanup(bool needed);
bool smon_exits_events_on(void);
u64 smon_exits_seen(void);
void smon_exits_exit(void);

#endif
