/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/syscallmon: control ioctls, event reads, and who holds it open. */
#ifndef SYSCALLMON_DEVICE_H
#define SYSCALLMON_DEVICE_H

#include <linux/types.h>

struct syscallmon_target;

int smon_device_init(void);
void smon_device_exit(void);

struct pid;

/*
 * Any context, with the RCU read lock held (every hooked call's hook holds
 * it): did process tgid open the device, and does it still hold it?
 */
bool smon_device_holder(const struct pid *tgid);
/* Any context: process tgid has exited; it is nobody's opener any more. */
void smon_device_forget(struct pid *tgid);
u32 smon_device_readers(void);

/* The checks shared by ioctls and /proc/syscallmon/control. */
int smon_check_mode(u32 mode);
int smon_check_target(const struct syscallmon_target *req);

#endif
