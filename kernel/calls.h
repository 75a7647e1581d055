/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recording calls: at entry, or when they return (with their result and
 * duration), in which case the call is held in a return slot until the
 * task comes back from it.
 */
#ifndef SYSCALLMON_CALLS_H
#define SYSCALLMON_CALLS_H

#include <linux/types.h>

struct path;
struct smon_call;
struct smon_decision;

/* slots: how many calls may be followed to their return at once. */
int smon_calls_init(u32 slots);
/*
 * Once no hook can start following a call any more: drops every call still
 * waiting for its return (nothing is recorded for it) and waits for those
 * returning now.
 */
void smon_calls_exit(void);
u32 smon_calls_slots(void);
u64 smon_calls_in_flight(void);

/*
 * Records a call the policy decided to record (the entry hook, preemption
 * off): now, or once it returns, as d says.
 */
void smon_record_call(const struct smon_call *call, const struct smon_decision *d);
/*
 * Records an access a file rule decided (a security hook, preemption off):
 * now, in the syscall the task is in, with the file's path.
 */
void smon_record_file(const struct smon_decision *d, const struct path *object);

#endif
