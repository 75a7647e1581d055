/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every change of the configuration leaves a record in the ring
 * (SYSCALLMON_RECORD_CONFIG): who made it, what kind, and a line saying what
 * changed, so that whoever ships the stream also ships its history.
 */
#ifndef SYSCALLMON_CHANGES_H
#define SYSCALLMON_CHANGES_H

#include <linux/types.h>
#include <uapi/syscallmon.h>

struct smon_rule;

/* Any context: records a change made by the current task. */
__printf(3, 4) void smon_change(u32 kind, u32 id, const char *fmt, ...);

/* Configuration records written since load. */
u64 smon_changes_written(void);

/* "OFF", "LOG", "BLOCK" */
const char *smon_mode_name(u32 mode);

/* Describes a rule in a line: "#12 protect-secret block enforce open,exec file=/tmp/secret". */
void smon_describe_rule(const struct smon_rule *rule, char *buf, size_t len);

#endif
