/* SPDX-License-Identifier: GPL-2.0 */
/* The task lister: /proc/syscallmon/{tasks,task_detail,task_stats}. */
#ifndef SYSCALLMON_TASKS_H
#define SYSCALLMON_TASKS_H

struct proc_dir_entry;

int smon_tasks_init(struct proc_dir_entry *dir);

#endif
