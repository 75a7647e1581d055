/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/syscallmon: the seed-compatible CSV log and the status text. */
#ifndef SYSCALLMON_PROCFS_H
#define SYSCALLMON_PROCFS_H

int smon_procfs_init(void);
void smon_procfs_exit(void);

#endif
