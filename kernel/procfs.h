/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/syscallmon: the seed-compatible CSV log, the status text, the control file. */
#ifndef SYSCALLMON_PROCFS_H
#define SYSCALLMON_PROCFS_H

#include <linux/capability.h>
#include <linux/errno.h>

/*
 * Every /proc/syscallmon file shows or changes what every user's processes
 * do: its open needs CAP_SYS_ADMIN whatever the file's mode, as the device
 * does, so a root whose capabilities were dropped (a container) gets EPERM.
 */
static inline int smon_proc_may_open(void)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

int smon_procfs_init(void);
void smon_procfs_exit(void);

#endif
